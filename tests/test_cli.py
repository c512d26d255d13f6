"""The symgd command line, run as a subprocess like a user would."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.tex"))


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "symgd", *args], capture_output=True, text=True, input=stdin)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_parses(path):
    result = run("parse", f"@{path}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("objective:")
    assert "parameters:" in result.stdout


def test_examples_cover_the_loss_list():
    assert len(EXAMPLES) == 15


def test_text_format_lists_roles_and_shapes():
    result = run("parse", r"\frac{1}{n}\sum_{i=1}^{n} (y_i - w^\top x_i)^2 + \lambda\|w\|_2^2", "--wrt", "w")
    assert result.returncode == 0
    assert "parameters: w (d,)" in result.stdout
    assert "data: y (n,), x (n, d)" in result.stdout
    assert "constants: lambda [argument lambda_]" in result.stdout


def test_json_format():
    result = run("parse", "norm2(X*w - y)^2", "--wrt", "w", "--format", "json")
    data = json.loads(result.stdout)
    assert data["params"] == ["w"]
    assert {s["name"]: s["role"] for s in data["symbols"]}["X"] == "data"


def test_latex_format_round_trips():
    first = run("parse", r"\|Xw - y\|^2 + \lambda\|w\|_1", "--wrt", "w", "--format", "latex")
    second = run("parse", first.stdout.strip(), "--format", "latex")
    assert second.returncode == 0
    assert second.stdout == first.stdout


def test_stdin_and_where_file(tmp_path):
    where = tmp_path / "where.tex"
    where.write_text(r"X \in \mathbb{R}^{m \times p}")
    result = run("parse", "-", "--where", f"@{where}", "--wrt", "w", stdin=r"\|Xw - y\|^2")
    assert result.returncode == 0
    assert "X (m, p)" in result.stdout


def test_user_error_exit_code_and_caret_without_traceback():
    result = run("parse", r"\frac{1}{2}(w^\top w", "--wrt", "w")
    assert result.returncode == 2
    assert "ParseError" in result.stderr and "^" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_is_a_user_error():
    result = run("parse", "@/no/such/file.tex")
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_grad_prints_matrix_form_and_entry():
    result = run("grad", r"\frac{1}{2n}\|Xw - y\|_2^2", "--wrt", "w")
    assert result.returncode == 0, result.stderr
    assert r"dL/d[w] (d,) = \frac{1}{n} X^\top \left(X w - y\right)" in result.stdout
    assert "entry [k] =" in result.stdout


@pytest.mark.parametrize("style, expected", [
    ("latex", r"\frac{\partial L}{\partial w} = x^\top \left(\sigma\left(x w\right) - y\right)"),
    ("index", r"\frac{\partial L}{\partial w_{k}} = \sum_{i=1}^{n}"),
])
def test_grad_formats(style, expected):
    result = run("grad", f"@{EXAMPLES[3]}", "--format", style)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_grad_json_and_nonsmooth():
    result = run("grad", f"@{EXAMPLES[5]}", "--format", "json")
    data = json.loads(result.stdout)
    assert data["kind"] == "gradient"
    assert data["nonsmooth"][0]["condition"] == r"1 - y_{i} w^\top x_{i} = 0"


def test_hess_and_inverted_notation_note():
    result = run("hess", f"@{EXAMPLES[10]}", "--format", "latex")
    assert r"\frac{1}{2} \left(A + A^\top\right)" in result.stdout
    note = run("grad", r"\frac{\partial \theta}{\partial L} \quad L(\theta) = (\theta - 3)^2")
    assert note.stdout.startswith("note:") and "reciprocal" in note.stdout
    assert r"= 2 \theta - 6" in note.stdout


def test_grad_user_error():
    result = run("grad", r"\|Xw - y\|^2")
    assert result.returncode == 2
    assert "wrt" in result.stderr
