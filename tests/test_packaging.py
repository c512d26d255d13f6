"""The wheel must contain every subpackage and the grammars (a non-editable install uses only it)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    present = {"symgd." + p.parent.relative_to(ROOT / "symgd").as_posix().replace("/", ".")
               for p in (ROOT / "symgd").rglob("__init__.py") if p.parent != ROOT / "symgd"} | {"symgd"}
    assert present <= listed
    assert config["tool"]["setuptools"]["package-dir"]["symgd.grammar"] == "grammar"
    assert {"latex.lark", "text.lark"} <= {p.name for p in (ROOT / "grammar").glob("*.lark")}
