"""Identifiers the generated module introduces never clash with the user's argument names."""

import builtins
import io
import keyword
import re
import subprocess
import sys
import tokenize

import numpy as np
import pytest

import symgd
from symgd.codegen.names import placeholder_problem

# one problem per kind of generated module; {names} is a sum of scalar constants
SOURCES = {
    "auglag": "min_x norm2(A*x - b)^2 + ({names})*x'*x st x'*x <= 4, x >= 0",
    "projected": "min_x norm2(A*x - b)^2 + ({names})*x'*x st x >= 0",
    "qp": "min_x norm2(A*x - b)^2 + ({names})*x'*x st aa'*x <= 1, x >= 0",
    "gd": "norm2(A*x - b)^2 + ({names})*x'*x",
    "momentum": "norm2(A*x - b)^2 + ({names})*x'*x",
    "nesterov": "norm2(A*x - b)^2 + ({names})*x'*x",
    "adam": "norm2(A*x - b)^2 + ({names})*x'*x",
    "newton": "norm2(A*x - b)^2 + ({names})*x'*x",
    "lbfgs": "norm2(A*x - b)^2 + ({names})*x'*x",
    "prox": "norm2(A*x - b)^2 + ({names})*norm1(x)",
}


def internal_names(optimizer):
    """Every identifier in the generated module that does not come from the user."""
    problem = symgd.parse(SOURCES[optimizer].format(names="c"), wrt="x")
    placeheld, _ = placeholder_problem(problem)
    source = symgd.codegen(placeheld, optimizer=optimizer).source
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.string for t in tokens if t.type == tokenize.NAME and not keyword.iskeyword(t.string)
            and not t.string.startswith("__symgd_arg") and t.string not in dir(builtins)
            and t.string not in ("np", "numpy", "scipy", "optimize", "linalg", "minimize", "lsq_linear", "linprog")}


def spellable(name):
    """Names a user can give a scalar in the text syntax: letters and digits, not a function name."""
    return re.fullmatch(r"[a-z][a-z0-9]*", name) is not None


@pytest.mark.parametrize("optimizer", list(SOURCES))
def test_data_named_like_every_internal_identifier(optimizer):
    names = sorted(n for n in internal_names(optimizer) if spellable(n))
    assert {"lam", "mu", "g"} <= set(names) or optimizer not in ("auglag", "projected", "qp")
    usable = []
    for name in names:   # keep the names the text syntax reads as one scalar constant
        try:
            problem = symgd.parse(SOURCES[optimizer].format(names=name), wrt="x")
        except symgd.SymgdError:
            continue
        if name in problem.argnames.values():
            usable.append(name)
    assert len(usable) >= 0.8 * len(names), set(names) - set(usable)
    for start in range(0, len(usable), 150):   # a source holds at most 200 symbols (MAX_SYMBOLS)
        _check_module_with_names(optimizer, usable[start:start + 150])


def _check_module_with_names(optimizer, usable):
    """A module whose constants carry the given internal names loads, evaluates and fits."""
    problem = symgd.parse(SOURCES[optimizer].format(names=" + ".join(usable)), wrt="x")
    module = symgd.codegen(problem, optimizer=optimizer)
    mod = module.load()
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(9, 4)), rng.normal(size=9)
    weights = {name: 0.01 for name in usable}
    args = [problem.argnames[s] for s in (*problem.data, *problem.constants)]
    values = {"A": A, "b": b, "aa": np.ones(4), **weights}
    x0 = np.full(4, 0.25)
    call = [values[a] for a in args]
    total = 0.01 * len(usable)
    assert mod.loss(x0, *call) == pytest.approx(np.sum((A @ x0 - b) ** 2) + total * (
        np.sum(np.abs(x0)) if optimizer == "prox" else x0 @ x0))
    result = mod.fit(x0, *call, max_iter=5)
    assert result is not None


def test_public_names_stay_when_an_argument_takes_one():
    problem = symgd.parse("norm2(A*x - b)^2 + fit*x'*x", wrt="x")
    mod = symgd.codegen(problem).load()
    A, b = np.eye(3), np.ones(3)
    w, history = mod.fit(np.zeros(3), A, b, 0.5, lr=0.1, max_iter=3)
    assert len(history) == 3
    assert mod.loss(np.zeros(3), A, b, 0.5) == pytest.approx(3.0)


def test_multiplier_named_mu_in_the_data():
    source = r"\min_w w^\top \Sigma w \quad \text{s.t.} \quad \mathbf{1}^\top w = 1,\; \mu^\top w \ge r"
    module = symgd.codegen(source)
    mod = module.load()
    rng = np.random.default_rng(1)
    factors = rng.normal(size=(6, 6))
    sigma = factors @ factors.T / 6 + 0.1 * np.eye(6)
    mu = rng.uniform(0.01, 0.1, size=6)
    w, info = mod.fit(np.full(6, 1 / 6), sigma, mu, float(np.quantile(mu, 0.6)))
    assert info["status"] == "optimal" and abs(w.sum() - 1) < 1e-7


def test_cli_codegen_output_loads_before_it_is_written(tmp_path):
    target = tmp_path / "module.py"
    run = subprocess.run([sys.executable, "-m", "symgd", "codegen", r"L(w) = \|Xw - y\|^2", "-o", str(target)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "def fit(" in target.read_text()
