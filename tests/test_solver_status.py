"""Status words of the generated constrained solvers are certificates: "optimal" only at a certified
minimum, "kkt point" with what is known, and multipliers that match hand-derived or SciPy values."""

import numpy as np
import pytest

import symgd
from symgd.codegen.constrained import curvature

CIRCLE = r"\min_{x,y} x + y \quad \text{s.t.} \quad x^2 + y^2 = 2"      # Nocedal & Wright, Example 12.1
QUARTIC = r"\min_{x,y} x + y \quad \text{s.t.} \quad x^4 + y^4 = 2"
SIMPLEX = r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad \mathbf{1}^\top x = 1,\; x \ge 0"


def start_points(count, seed):
    rng = np.random.default_rng(seed)
    points = [(1.0, 1.0), (2.0, 2.0), (0.5, 0.5)]   # on the diagonal the first run lands on the maximum
    return points + [tuple(2 * rng.normal(size=2)) for _ in range(count - len(points))]


def test_circle_never_optimal_at_the_maximum_and_finds_the_minimum():
    module = symgd.codegen(CIRCLE).load()
    for start in start_points(20, seed=0):
        (x, y), info = module.fit(*start)
        assert info["status"] == "optimal", (start, info["status"], info["certificate"])
        assert np.allclose([x, y], [-1.0, -1.0], atol=1e-6), start
        # stationarity by hand: 1 + 2 lam x = 0 at x = -1
        assert info["multipliers"]["lam"][0] == pytest.approx(0.5, abs=1e-6)
        assert "global minimum" in info["certificate"]


def test_circle_without_restarts_is_never_optimal_at_the_maximum():
    # without the restarts, the analysis alone must keep (1, 1) from being called optimal
    module = symgd.codegen(CIRCLE).load()
    landed = []
    for start in start_points(20, seed=0):
        (x, y), info = module.fit(*start, restarts=0)
        at_maximum = np.allclose([x, y], [1.0, 1.0], atol=1e-4)
        landed.append(at_maximum)
        assert not (at_maximum and info["status"] == "optimal"), (start, info["certificate"])
        if info["status"] == "optimal":
            assert np.allclose([x, y], [-1.0, -1.0], atol=1e-6), start
    assert any(landed)   # the test exercises the maximum (the diagonal starts reach it)


def test_circle_maximum_is_a_kkt_point_named_as_such_without_restarts():
    module = symgd.codegen(CIRCLE).load()
    (x, y), info = module.fit(1.0, 1.0, restarts=0)
    assert np.allclose([x, y], [1.0, 1.0], atol=1e-6)
    assert info["status"] == "kkt point"
    assert info["certificate"].startswith("saddle or maximum")
    assert info["multipliers"]["lam"][0] == pytest.approx(-0.5, abs=1e-6)


def test_second_order_sufficient_condition_certifies_a_non_quadratic_problem():
    module = symgd.codegen(QUARTIC).load()
    (x, y), info = module.fit(1.0, 1.0, restarts=0)
    assert info["status"] == "kkt point" and info["certificate"].startswith("saddle or maximum")
    for start in start_points(8, seed=1):
        (x, y), info = module.fit(*start)
        assert np.allclose([x, y], [-1.0, -1.0], atol=1e-6), start
        assert info["status"] == "optimal"
        assert info["certificate"].startswith("local minimum (second-order sufficient)")
        assert info["multipliers"]["lam"][0] == pytest.approx(0.25, abs=1e-6)   # 1 + 4 lam x^3 = 0


def test_zero_curvature_is_inconclusive():
    module = symgd.codegen(r"\min_{x,y} x^3 + y^2 \quad \text{s.t.} \quad x + y \le 5").load()
    (x, y), info = module.fit(0.0, 1.0, restarts=0)
    assert abs(x) < 1e-6 and abs(y) < 1e-6
    assert info["status"] == "kkt point"
    assert info["certificate"].startswith("second-order test inconclusive")


def test_max_iter_when_the_iterations_run_out():
    module = symgd.codegen(CIRCLE).load()
    _, info = module.fit(3.0, -1.0, max_iter=1)
    assert info["status"] == "max_iter"


@pytest.mark.parametrize("optimizer", ["projected", "qp"])
def test_max_iter_from_the_other_solvers(optimizer):
    module = symgd.codegen(SIMPLEX, optimizer=optimizer).load()
    x, info = module.fit(np.array([5.0, -3.0, 2.0]), np.array([0.3, -0.2, 0.9]), max_iter=1)
    assert info["status"] == "max_iter", (info["status"], info["residuals"])
    assert "ran out" in info["certificate"]


def test_stalled_where_no_multiplier_exists():
    # the minimum x = 0 is feasible, but 1 + 2 mu x = 0 has no solution there (LICQ fails)
    module = symgd.codegen(r"\min_{x} x \quad \text{s.t.} \quad x^2 \le 0").load()
    x, info = module.fit(1.0)
    assert abs(x) < 1e-3
    assert info["status"] == "stalled", info["status"]
    assert "LICQ" in info["certificate"]


def test_infeasible_when_the_violation_stays():
    module = symgd.codegen(r"\min_{x,y} x^2 + y^2 \quad \text{s.t.} \quad x + y = 1,\; x + y = 2",
                           optimizer="auglag").load()
    (x, y), info = module.fit(0.0, 0.0)
    assert info["status"] == "infeasible"
    assert x + y == pytest.approx(1.5, abs=1e-6)   # the least violation: halfway between the two lines
    assert info["residuals"]["feasibility"] == pytest.approx(0.5, abs=1e-6)


def simplex_solution(v):
    """Projection onto the simplex (sorted threshold) and its multipliers, derived by hand:
    2(x - v) + lam - nu = 0, so lam = 2 tau on the support and nu_i = 2 (tau - v_i) off it."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u)
    k = np.nonzero(u * np.arange(1, len(v) + 1) > css - 1)[0][-1]
    tau = (css[k] - 1) / (k + 1)
    x = np.maximum(v - tau, 0.0)
    return x, 2 * tau, np.where(x > 0, 0.0, 2 * (tau - v))


@pytest.mark.parametrize("optimizer", ["projected", "auglag", "qp"])
def test_simplex_problem_is_optimal_with_exact_multipliers_from_every_start(optimizer):
    v = np.array([0.3, -0.2, 0.9])
    x_ref, lam_ref, nu_ref = simplex_solution(v)
    module = symgd.codegen(SIMPLEX, optimizer=optimizer).load()
    rng = np.random.default_rng(3)
    for _ in range(20):
        x, info = module.fit(2 * rng.normal(size=3), v)
        assert info["status"] == "optimal", (info["status"], info["residuals"])
        assert np.allclose(x, x_ref, atol=1e-7)
        assert info["multipliers"]["lam"][0] == pytest.approx(lam_ref, abs=1e-6)
        assert np.allclose(info["multipliers"]["lower"], nu_ref, atol=1e-6)
        assert max(info["residuals"].values()) <= 1e-8
        assert info["certificate"].startswith("global minimum: convex problem, decided from the formula")


def test_quadratic_problem_is_certified_by_its_lagrangian():
    rng = np.random.default_rng(2)
    factors = rng.normal(size=(8, 8))
    sigma = factors @ factors.T / 8 + 0.1 * np.eye(8)
    m = rng.uniform(0.01, 0.1, size=8)
    module = symgd.codegen(r"\min_w w^\top \Sigma w \quad \text{s.t.} \quad \mathbf{1}^\top w = 1,\; m^\top w \ge r").load()
    w, info = module.fit(np.full(8, 1 / 8), sigma, m, float(np.quantile(m, 0.7)))
    assert info["status"] == "optimal"
    assert "Lagrangian's Hessian at these multipliers is positive semidefinite" in info["certificate"]


@pytest.mark.parametrize("source, expected", [
    (r"\|Ax - b\|^2", "convex"),
    (r"c^\top x", "affine"),
    (r"\|x\|_2", "convex"),
    (r"-\|x - v\|^2", "concave"),
    (r"x^\top A x", None),            # convex only when A is positive semidefinite: data decide
    (r"\sum_i |x_i| + 3", "convex"),
    (r"(c^\top x)^3", None),          # an odd power of an affine expression
    (r"\log(c^\top x)", "concave"),
])
def test_curvature_rules(source, expected):
    problem = symgd.parse(source, wrt="x")
    assert curvature(problem.objective, tuple(problem.params)) == expected


def gibbs_distribution(a, mean):
    """The maximum-entropy distribution on the points a with the given mean (Boyd & Vandenberghe 7.2):
    p_i proportional to exp(beta a_i), beta solved from the mean by bisection."""
    from scipy.optimize import brentq

    def weights(beta):
        w = np.exp(beta * (a - a.max()))
        return w / w.sum()
    beta = brentq(lambda b: weights(b) @ a - mean, -50, 50, xtol=1e-15)
    return weights(beta)


def test_auglag_keeps_its_iterates_in_the_domain_of_the_log_instead_of_calling_a_feasible_problem_infeasible():
    # L-BFGS-B's first trial step left p > 0 (p log p is nan there); it stopped, the penalty grew to its cap
    # and a feasible problem was reported "infeasible"
    a, mean = np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 3.7
    module = symgd.codegen(r"\min_p \sum_i p_i \log p_i \quad \text{s.t.} \quad \mathbf{1}^\top p = 1,\; a^\top p = m",
                           optimizer="auglag").load()
    p, info = module.fit(np.full(5, 0.2), a, mean)
    assert info["status"] == "optimal", (info["status"], info["certificate"])
    np.testing.assert_allclose(p, gibbs_distribution(a, mean), atol=1e-7)


@pytest.mark.parametrize("source, starts", [
    (r"\min_{x,y} x^2 - y^2 \quad \text{s.t.} \quad x + y = 1", (0.0, 0.0)),   # 2x - 1 on the line: no minimum
    (r"\min_{x,y} -x - y \quad \text{s.t.} \quad x - y \le 1,\; x \ge 0,\; y \ge 0", (0.0, 0.0)),   # unbounded LP
])
def test_auglag_on_an_unbounded_problem_says_diverged_never_infeasible(source, starts):
    # the iterates ran to 1e152, where rounding made x + y = 1 fail: that violation was reported as "infeasible"
    (x, y), info = symgd.codegen(source, optimizer="auglag").load().fit(*starts)
    assert info["status"] == "diverged", (info["status"], info["certificate"])
    assert "unbounded" in info["certificate"]


@pytest.mark.parametrize("source", [
    r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad x \ge 0",    # a bound
    r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad 2x \ge 0",   # the same set as a general inequality
])
def test_a_point_near_a_bound_but_off_the_minimum_is_not_certified(source):
    # x_1 = 5e-5 is within the activity threshold sqrt(tol) of the bound, where the minimum is x_1 = v_1 = 1e-5:
    # the product multiplier * distance (4e-5 * 5e-5 = 2e-9) passed tol = 1e-8 and the analysis said "optimal"
    module = symgd.codegen(source, optimizer="auglag").load()
    v = np.array([1e-5, 0.5, -0.3])
    for point, off in ((np.array([5e-5, 0.5, 0.0]), True), (np.maximum(v, 0.0), False)):   # the minimum by hand
        lower, upper, unpack = module._layout((point,), (v,))
        residuals = module._analyse(point, unpack, lower, upper, (v,), 1e-8)[1]
        assert (max(residuals.values()) > 1e-8) == off, (point, residuals)
    x, info = module.fit(np.ones(3), v)
    assert info["status"] == "optimal" and np.allclose(x, np.maximum(v, 0.0), atol=1e-8)   # feasible to tol


@pytest.mark.parametrize("optimizer", ["projected", "qp", "auglag"])
def test_crossed_box_is_infeasible_at_once(optimizer):
    # projected gradient ran all its iterations (minutes) and said "max_iter"
    module = symgd.codegen(r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad l \le x \le u \quad x \in \mathbb{R}^{d}",
                           optimizer=optimizer).load()
    _, info = module.fit(np.zeros(3), np.ones(3), np.array([0.0, 2.0, 0.0]), np.ones(3))
    assert info["status"] == "infeasible"


def test_auglag_from_the_kink_of_a_norm_says_so_without_raising():
    # at x = 0 the gradient of |x|_2 is nan: eigh raised LinAlgError inside the analysis
    module = symgd.codegen(r"\min_x x^\top Q x + c^\top x \quad \text{s.t.} \quad \|x\|_2 \le 1",
                           optimizer="auglag").load()
    _, info = module.fit(np.zeros(3), np.diag([-2.0, 1.0, 3.0]), np.array([0.1, 0.2, -0.3]))
    assert info["status"] == "undefined" and "kink" in info["certificate"]
