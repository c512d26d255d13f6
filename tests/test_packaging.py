"""Packaging: the wheel holds every subpackage and the grammars, what generated modules import is
installed with symgd, and the README's examples run."""

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import symgd

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    present = {"symgd." + p.parent.relative_to(ROOT / "symgd").as_posix().replace("/", ".")
               for p in (ROOT / "symgd").rglob("__init__.py") if p.parent != ROOT / "symgd"} | {"symgd"}
    assert present <= listed
    assert config["tool"]["setuptools"]["package-dir"]["symgd.grammar"] == "grammar"
    assert {"latex.lark", "text.lark"} <= {p.name for p in (ROOT / "grammar").glob("*.lark")}


def python_blocks(text):
    """The ```python code blocks of a Markdown text, in order."""
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def _imported_modules(block: str) -> set:
    return set(re.findall(r"^(?:from|import) (\w+)", block, flags=re.M))


def test_readme_python_blocks_run_on_the_installed_package(tmp_path):
    blocks = python_blocks((ROOT / "README.md").read_text())
    assert len(blocks) >= 5
    # a block for an optional library (PyTorch: its own extra) runs where that library is installed
    blocks = [b for b in blocks if all(importlib.util.find_spec(m) for m in _imported_modules(b))]
    script = "\n\n".join(blocks)
    # run outside the repository, so the installed package is what gets imported
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]


def test_what_generated_modules_import_is_a_runtime_dependency():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    installed = {re.match(r"[A-Za-z0-9_.-]+", d).group(0).lower() for d in config["project"]["dependencies"]}
    sources = [symgd.codegen(r"L(w) = \|Xw - y\|^2", optimizer=o).source for o in ("gd", "lbfgs")]
    sources += [symgd.codegen(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0", optimizer=o).source
                for o in ("projected", "auglag")]
    imported = {m for source in sources for m in re.findall(r"^(?:from|import) (\w+)", source, flags=re.M)}
    assert imported == {"numpy", "scipy"}
    assert imported <= installed
