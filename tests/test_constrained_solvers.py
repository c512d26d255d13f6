"""Generated augmented-Lagrangian solvers against SciPy references and the exact KKT solution."""

import numpy as np
import pytest
from scipy.optimize import linprog, minimize, nnls

import symgd

TOL = 1e-6


def assert_kkt_small(info):
    assert info["status"] == "optimal", info
    for name, value in info["residuals"].items():
        assert value <= TOL, (name, value)


def test_equality_constrained_quadratic():
    module = symgd.codegen(r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1").load()
    (x, y), info = module.fit(0.0, 0.0)
    assert_kkt_small(info)
    assert x == pytest.approx(0.5, abs=1e-5) and y == pytest.approx(0.5, abs=1e-5)
    assert info["multipliers"]["lam"][0] == pytest.approx(-1.0, abs=1e-5)   # same convention as KKT.solve


def test_textbook_active_set_example():
    source = r"\min_{x,y} (x-2)^2 + (y-1)^2 \quad \text{s.t.} \quad x^2 \le y,\; x + y \le 2"
    (x, y), info = symgd.codegen(source).load().fit(0.0, 0.0)
    assert_kkt_small(info)
    reference = minimize(lambda v: (v[0] - 2) ** 2 + (v[1] - 1) ** 2, [0.0, 0.0], method="SLSQP",
                         constraints=[{"type": "ineq", "fun": lambda v: v[1] - v[0] ** 2},
                                      {"type": "ineq", "fun": lambda v: 2 - v[0] - v[1]}])
    assert np.allclose([x, y], reference.x, atol=1e-5)
    exact = symgd.kkt(source).solve().minimum
    assert np.allclose(info["multipliers"]["mu"], [exact.multipliers["mu_1"], exact.multipliers["mu_2"]], atol=1e-5)


@pytest.mark.parametrize("optimizer", ["qp", "auglag"])
def test_linear_program_against_linprog(optimizer):
    rng = np.random.default_rng(0)
    A = rng.uniform(0.5, 2.0, size=(4, 6))
    b = rng.uniform(1.0, 3.0, size=4)
    c = -rng.uniform(0.5, 1.5, size=6)
    module = symgd.codegen(r"\min_x c^\top x \quad \text{s.t.} \quad Ax \le b,\; x \ge 0", optimizer=optimizer).load()
    x, info = module.fit(np.zeros(6), c, A, b)
    assert_kkt_small(info)
    reference = linprog(c, A_ub=A, b_ub=b, bounds=[(0, None)] * 6, method="highs")
    assert np.allclose(x, reference.x, atol=1e-5)
    # HiGHS reports d(objective)/d(b) = -mu and the bound duals
    assert np.allclose(info["multipliers"]["mu"], -reference.ineqlin.marginals, atol=1e-6)
    assert np.allclose(info["multipliers"]["lower"], reference.lower.marginals, atol=1e-6)


def test_nonnegative_least_squares_against_nnls():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(30, 8))
    b = rng.normal(size=30)
    module = symgd.codegen(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0").load()
    x, info = module.fit(np.zeros(8), A, b)
    assert_kkt_small(info)
    assert np.allclose(x, nnls(A, b)[0], atol=1e-5)
    small = symgd.kkt(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0").solve({"A": A[:6, :3], "b": b[:6]})
    x_small, _ = module.fit(np.zeros(3), A[:6, :3], b[:6])
    assert np.allclose(x_small, [small.minimum.values[f"x_{i}"] for i in (1, 2, 3)], atol=1e-5)


@pytest.mark.parametrize("optimizer", ["qp", "auglag"])
def test_minimum_variance_portfolio_against_slsqp(optimizer):
    rng = np.random.default_rng(2)
    factors = rng.normal(size=(10, 10))
    Sigma = factors @ factors.T / 10 + 0.1 * np.eye(10)
    mu = rng.uniform(0.01, 0.1, size=10)
    r = 0.06
    source = r"\min_w w^\top \Sigma w \quad \text{s.t.} \quad \mathbf{1}^\top w = 1,\; m^\top w \ge r"
    module = symgd.codegen(source, optimizer=optimizer).load()
    w, info = module.fit(np.full(10, 0.1), Sigma, mu, r)
    assert_kkt_small(info)
    reference = minimize(lambda v: v @ Sigma @ v, np.full(10, 0.1), jac=lambda v: 2 * Sigma @ v, method="SLSQP",
                         constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1},
                                      {"type": "ineq", "fun": lambda v: mu @ v - r}], options={"ftol": 1e-14})
    assert np.allclose(w, reference.x, atol=1e-5)


@pytest.mark.parametrize("optimizer", ["qp", "auglag"])
def test_infeasible_problem_is_reported_not_looped(optimizer):
    module = symgd.codegen(r"\min_x x^2 \quad \text{s.t.} \quad x \ge 1,\; x \le 0", optimizer=optimizer).load()
    _, info = module.fit(0.5)
    assert info["status"] == "infeasible"
    module = symgd.codegen(r"\min_{x,y} x^2 + y^2 \quad \text{s.t.} \quad x + y = 1,\; x + y = 2",
                           optimizer=optimizer).load()
    _, info = module.fit(0.0, 0.0)
    assert info["status"] == "infeasible"


def test_constrained_module_is_standalone_and_lint_clean(tmp_path):
    import subprocess
    import sys
    path = symgd.codegen(r"\min_x c^\top x \quad \text{s.t.} \quad Ax \le b,\; x \ge 0").write(tmp_path / "lp.py")
    subprocess.run([sys.executable, "-m", "py_compile", str(path)], check=True)
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", str(path)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def simplex_reference(v):
    """Euclidean projection onto the probability simplex by the sorted-threshold rule (Held et al.)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u)
    rho = np.nonzero(u * np.arange(1, len(v) + 1) > (css - 1))[0][-1]
    return np.maximum(v - (css[rho] - 1) / (rho + 1.0), 0.0)


@pytest.mark.parametrize("source, optimizer", [
    (r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad \mathbf{1}^\top x = 1,\; x \ge 0", "projected"),
    (r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad \mathbf{1}^\top x = 1,\; x \ge 0", "auglag"),
])
def test_projection_onto_the_simplex(source, optimizer):
    rng = np.random.default_rng(5)
    v = rng.normal(size=12)
    module = symgd.codegen(source, optimizer=optimizer).load()
    x, info = module.fit(np.zeros(12), v)
    assert_kkt_small(info)
    assert np.allclose(x, simplex_reference(v), atol=1e-6)


def test_projected_is_chosen_automatically_for_projectable_sets():
    cases = {
        r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0": "projected",
        r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad \mathbf{1}^\top x = 1,\; x \ge 0": "projected",
        r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad \|x\|_2 \le 1": "projected",
        r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad a^\top x = 2": "projected",
        r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad l \le x \le u \quad x \in \mathbb{R}^{d}": "projected",
        r"\min_x c^\top x \quad \text{s.t.} \quad Ax \le b,\; x \ge 0": "qp",
        r"\min_{x,y} (x-2)^2 + (y-1)^2 \quad \text{s.t.} \quad x^2 \le y,\; x + y \le 2": "auglag",
    }
    for source, expected in cases.items():
        assert symgd.codegen(source).optimizer == expected, source


def test_projected_nnls_ball_affine_and_box():
    rng = np.random.default_rng(6)
    A, b = rng.normal(size=(30, 6)), rng.normal(size=30)
    x, info = symgd.codegen(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0").load().fit(np.zeros(6), A, b)
    assert_kkt_small(info)
    assert np.allclose(x, nnls(A, b)[0], atol=1e-5)
    v = 3 * rng.normal(size=5)
    x, info = symgd.codegen(r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad \|x\|_2 \le 1").load().fit(np.zeros(5), v)
    assert_kkt_small(info)
    assert np.allclose(x, v / np.linalg.norm(v), atol=1e-6)
    a = rng.normal(size=5)
    x, info = symgd.codegen(r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad a^\top x = 2").load().fit(np.zeros(5), v, a)
    assert_kkt_small(info)
    assert np.allclose(x, v - a * (a @ v - 2) / (a @ a), atol=1e-6)
    lower, upper = -np.ones(5) * 0.5, np.ones(5) * 0.5
    x, info = symgd.codegen(r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad l \le x \le u \quad x \in \mathbb{R}^{d}").load().fit(
        np.zeros(5), v, lower, upper)
    assert_kkt_small(info)
    assert np.allclose(x, np.clip(v, lower, upper), atol=1e-6)


@pytest.mark.parametrize("source, starts, data, rows, low, high, violation", [
    # the budget and the return floor cannot both hold with x >= 0: max a^T x on the simplex is 3
    (r"\min_x \|x - c\|^2 \quad \text{s.t.} \quad \mathbf{1}^\top x = 1,\; x \ge 0,\; a^\top x \ge 5",
     [np.zeros(3)], [np.array([0.2, 0.3, 0.5]), np.array([1.0, 2.0, 3.0])],
     np.array([[1.0, 1.0, 1.0], [-1.0, -2.0, -3.0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]),
     np.array([1.0, -np.inf, 0, 0, 0]), np.array([1.0, -5.0, np.inf, np.inf, np.inf]), 2 / 3),
    (r"\min_{x,y} x^2 + y^2 \quad \text{s.t.} \quad x + y = 1,\; x + y = 2", [0.0, 0.0], [],
     np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([1.0, 2.0]), np.array([1.0, 2.0]), 1.0),
    (r"\min_x x^2 \quad \text{s.t.} \quad x \ge 1,\; x \le 0", [0.5], [],   # two bounds that cross
     np.array([[1.0]]), np.array([1.0]), np.array([0.0]), 0.5),
])
def test_qp_on_infeasible_constraints_returns_the_least_violation_and_a_farkas_certificate(
        source, starts, data, rows, low, high, violation):
    module = symgd.codegen(source, optimizer="qp").load()
    result, info = module.fit(*starts, *data)
    assert info["status"] == "infeasible" and "no common point" in info["certificate"]
    point = np.concatenate([np.ravel(p) for p in (result if isinstance(result, tuple) else (result,))])
    excess = np.maximum(np.maximum(rows @ point - high, 0), np.maximum(low - rows @ point, 0))   # per row
    assert np.sum(excess) == pytest.approx(violation, abs=1e-9)   # the returned point violates them least
    upper, lower = info["farkas"]["upper"], info["farkas"]["lower"]
    assert np.all(upper >= -1e-12) and np.all(lower >= -1e-12)
    np.testing.assert_allclose((upper - lower) @ rows, 0, atol=1e-9)   # the combination of the rows vanishes ...
    limits = np.where(upper > 0, upper * np.where(np.isfinite(high), high, 0), 0).sum() - \
        np.where(lower > 0, lower * np.where(np.isfinite(low), low, 0), 0).sum()
    assert limits == pytest.approx(-violation, abs=1e-9)   # ... and of the limits is negative: 0 <= -violation


def test_a_nonconvex_quadratic_goes_to_the_augmented_lagrangian_not_to_admm():
    # ADMM's Cholesky factorisation failed with a bare LinAlgError when the default chose qp for these
    for source in (r"\min_{x,y} x^2 - y^2 \quad \text{s.t.} \quad x + y = 1",
                   r"\min_{x,y} -x^2 - y^2 \quad \text{s.t.} \quad x + y = 1"):
        assert symgd.codegen(source).optimizer == "auglag", source
        with pytest.raises(symgd.UnsupportedError, match="convex quadratic"):
            symgd.codegen(source, optimizer="qp")
    assert symgd.codegen(r"\min_{x,y} x^2 + y^2 \quad \text{s.t.} \quad x + y = 1").optimizer == "qp"
    # -x^2 - y^2 on the line: its one KKT point (1/2, 1/2) is the maximum there, and is named so
    (x, y), info = symgd.codegen(r"\min_{x,y} -x^2 - y^2 \quad \text{s.t.} \quad x + y = 1").load().fit(0.0, 0.0)
    assert info["status"] != "optimal" and np.allclose([x, y], [0.5, 0.5])


def test_qp_on_an_indefinite_quadratic_of_the_data_says_so():
    rng = np.random.default_rng(7)
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    Q = rotation @ np.diag([-1.0, 2.0, 0.5]) @ rotation.T   # indefinite: known only from the data
    module = symgd.codegen(r"\min_x x^\top Q x + c^\top x \quad \text{s.t.} \quad Ax \le b").load()
    with pytest.raises(ValueError, match="not convex on these data.*auglag"):
        module.fit(np.zeros(3), Q, rng.normal(size=3), rng.normal(size=(4, 3)), np.ones(4))
