"""Exit statuses of the command line: a closed pipe, an internal error, a module that does not load."""

import subprocess
import sys

import symgd
from symgd import cli
from symgd.codegen import GeneratedModule
from symgd.errors import InternalError


def test_closed_pipe_ends_quietly():
    process = subprocess.Popen([sys.executable, "-m", "symgd", "codegen", r"L(w) = \|Xw - y\|^2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()   # the reader goes away before symgd writes, as `| head` does
    error = process.stderr.read().decode()
    process.wait()
    assert "Traceback" not in error and "BrokenPipe" not in error, error
    assert process.returncode == 0


def test_internal_error_has_its_own_status_and_says_how_to_report(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise InternalError("symgd failed on this input (KeyError: 'x')")
    monkeypatch.setattr(cli, "parse", broken)
    assert cli.main(["parse", "x^2"]) == 3
    error = capsys.readouterr().err
    assert "InternalError" in error and "bug in symgd" in error and "report" in error


def test_user_error_is_still_two(capsys):
    assert cli.main(["parse", r"\frac{1}{"]) == 2


def test_codegen_output_that_does_not_load_is_not_written(monkeypatch, tmp_path, capsys):
    problem = symgd.parse(r"L(w) = \|Xw - y\|^2")
    monkeypatch.setattr(cli, "codegen", lambda *a, **k: GeneratedModule("def f(a, a):\n    pass\n", problem, "gd"))
    target = tmp_path / "out.py"
    assert cli.main(["codegen", r"L(w) = \|Xw - y\|^2", "-o", str(target)]) == 1
    assert not target.exists()
    assert "does not load" in capsys.readouterr().err
