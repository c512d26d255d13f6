"""Box-constrained losses φ(Z^T a) + c^T a with φ quadratic (the SVM dual): the generated ``fit`` is an
interior point through the Hessian's low rank. Checked against references that do not use symgd:
the SVM's primal objective (zero duality gap), scipy's NNLS, L-BFGS-B, and the KKT conditions
written out by hand."""

import numpy as np
import pytest
from scipy.optimize import minimize, nnls

import symgd

SVM_DUAL = r"\min_a \frac{1}{2}\|Z^\top a\|^2 - \mathbf{1}^\top a \quad \text{s.t.} \quad 0 \le a \le C"


def svm_data(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.where(X @ rng.normal(size=d) + rng.normal(size=n) > 0, 1.0, -1.0)
    return X, y


def box_kkt_violation(gradient, x, lower, upper):
    """By hand: a coordinate strictly inside has a zero gradient, one on its lower bound a gradient
    >= 0, one on its upper bound a gradient <= 0 (sufficient for a convex problem)."""
    inside = (x > lower) & (x < upper)
    return max(np.max(np.abs(gradient[inside]), initial=0.0),
               np.max(-gradient[(x == lower) & ~inside], initial=0.0),
               np.max(gradient[(x == upper) & ~inside], initial=0.0),
               np.max(lower - x, initial=0.0), np.max(x - upper, initial=0.0))


def counting_interior_points(module):
    """The module with its interior point wrapped to count the calls ``fit`` makes."""
    inner, calls = module._interior_point, []

    def counted(*args, **kwargs):
        calls.append(1)
        return inner(*args, **kwargs)
    module._interior_point = counted
    module.interior_point_calls = calls
    return module


@pytest.fixture(scope="module")
def svm_module():
    generated = symgd.codegen(SVM_DUAL)
    assert "def _fit_projected(" in generated.source
    return counting_interior_points(generated.load())


@pytest.mark.parametrize("n, d, C", [(60, 7, 0.5), (45, 4, 10.0)])
def test_svm_dual_has_zero_duality_gap_with_the_hinge_primal(svm_module, n, d, C):
    X, y = svm_data(n, d, seed=n)
    Z = y[:, None] * X
    calls = len(svm_module.interior_point_calls)
    a, info = svm_module.fit(np.zeros(n), Z, np.full(n, C))
    assert len(svm_module.interior_point_calls) == calls + 1
    assert info["status"] == "optimal", info
    assert max(info["residuals"].values()) <= 1e-8
    w = Z.T @ a
    primal = 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1 - y * (X @ w)))   # the SVM, written by hand
    dual = 0.5 * w @ w - np.sum(a)
    assert primal == pytest.approx(-dual, rel=1e-10, abs=1e-10)   # zero gap: both are optimal
    assert box_kkt_violation(Z @ w - 1, a, 0.0, C) <= 1e-9
    # the multipliers of the bounds close stationarity: g - lower + upper = 0
    g = Z @ w - 1
    np.testing.assert_allclose(g - info["multipliers"]["lower"] + info["multipliers"]["upper"], 0, atol=1e-9)


def test_wide_nonnegative_least_squares_against_scipy_nnls():
    rng = np.random.default_rng(5)
    A, b = rng.normal(size=(9, 31)), rng.normal(size=9)   # rank 9 < 31 / 2: the low-rank fit
    module = counting_interior_points(symgd.codegen(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0").load())
    x, info = module.fit(np.zeros(31), A, b)
    assert info["status"] == "optimal", info
    assert module.interior_point_calls
    reference = nnls(A, b)[0]
    # x need not be unique (A is wide), Ax and the loss are
    np.testing.assert_allclose(A @ x, A @ reference, atol=1e-8)
    assert np.sum((A @ x - b) ** 2) == pytest.approx(np.sum((A @ reference - b) ** 2), rel=1e-10, abs=1e-12)
    assert box_kkt_violation(2 * A.T @ (A @ x - b), x, 0.0, np.inf) <= 1e-9


def test_general_bounds_one_sided_and_two_sided_against_lbfgsb():
    rng = np.random.default_rng(6)
    n, k = 23, 5
    M = rng.normal(size=(n, k))
    c = rng.normal(size=n)
    lower = rng.uniform(-1.0, 0.0, size=n)
    upper = np.where(rng.uniform(size=n) < 0.3, np.inf, lower + rng.uniform(0.1, 2.0, size=n))
    module = counting_interior_points(symgd.codegen(
        r"\min_x \frac{3}{2}\|M^\top x\|^2 + c^\top x \quad \text{s.t.} \quad l \le x \le u").load())
    x, info = module.fit(np.zeros(n), M, c, lower, upper)
    assert info["status"] == "optimal", info
    assert module.interior_point_calls

    def objective(v):
        return 1.5 * np.sum((M.T @ v) ** 2) + c @ v, 3 * M @ (M.T @ v) + c
    reference = minimize(objective, np.clip(np.zeros(n), lower, upper), jac=True, method="L-BFGS-B",
                         bounds=list(zip(lower, upper)), options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    assert objective(x)[0] <= reference.fun + 1e-9
    assert box_kkt_violation(objective(x)[1], x, lower, upper) <= 1e-9


def test_status_is_honest_when_the_interior_point_runs_out(svm_module):
    X, y = svm_data(40, 5, seed=1)
    a, info = svm_module.fit(np.zeros(40), y[:, None] * X, np.full(40, 1.0), max_iter=2)
    assert info["status"] == "max_iter" and "ran out" in info["certificate"]
    assert max(info["residuals"].values()) > 1e-8


def test_falls_back_to_projected_gradient(svm_module):
    X, y = svm_data(30, 4, seed=2)
    Z, C = y[:, None] * X, np.full(30, 0.7)
    a, info = svm_module.fit(np.zeros(30), Z, C)
    calls = len(svm_module.interior_point_calls)
    unbounded = np.where(np.arange(30) < 3, np.inf, C)   # three coordinates with only a lower bound: still boxed
    for upper, options in ((C, {"lr": 1.0}),               # a step size asks for projected gradient
                           (unbounded, {})):
        fallback, fallback_info = svm_module.fit(np.zeros(30), Z, upper, **options)
        assert fallback_info["status"] == "optimal", fallback_info
        assert box_kkt_violation(Z @ (Z.T @ fallback) - 1, fallback, 0.0, upper) <= 1e-7
    assert len(svm_module.interior_point_calls) == calls + 1   # the second one
    np.testing.assert_allclose(svm_module.fit(np.zeros(30), Z, C, lr=1.0)[0], a, atol=1e-6)
    # a loss whose rank is not low (A taller than wide): projected gradient, the same answer as nnls
    rng = np.random.default_rng(7)
    A, b = rng.normal(size=(12, 5)), rng.normal(size=12)
    module = counting_interior_points(symgd.codegen(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0").load())
    x, info = module.fit(np.zeros(5), A, b)
    assert info["status"] == "optimal" and not module.interior_point_calls
    np.testing.assert_allclose(x, nnls(A, b)[0], atol=1e-7)


def test_coordinates_without_a_bound_fall_back_and_an_unbounded_loss_is_not_optimal():
    # the last ten coordinates have no bound: the interior point needs one on each, so projected
    # gradient runs; M^T has a null space there on which c^T x is not constant, so the loss is
    # unbounded below and no status may claim a minimum
    rng = np.random.default_rng(8)
    M, c = rng.normal(size=(20, 3)), rng.normal(size=20)
    module = counting_interior_points(symgd.codegen(
        r"\min_x \frac{1}{2}\|M^\top x\|^2 + c^\top x \quad \text{s.t.} \quad x \le u").load())
    x, info = module.fit(np.zeros(20), M, c, np.where(np.arange(20) < 10, 1.0, np.inf), max_iter=300)
    assert not module.interior_point_calls
    assert info["status"] == "max_iter"


SVM_BIAS_DUAL = (r"\min_a \frac{1}{2}\|Z^\top a\|^2 - \mathbf{1}^\top a \quad \text{s.t.} \quad y^\top a = 0,\; "
                 r"0 \le a \le C")


@pytest.fixture(scope="module")
def svm_bias_module():
    generated = symgd.codegen(SVM_BIAS_DUAL)
    assert generated.optimizer == "qp" and "def _fit_admm(" in generated.source
    return counting_interior_points(generated.load())


def hinge_gap_with_bias(X, y, a, b, C):
    """The primal SVM with a bias b, written by hand, minus the dual's value at a: zero only when
    both are optimal."""
    w = (y[:, None] * X).T @ a
    return 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1 - y * (X @ w + b))) - (np.sum(a) - 0.5 * w @ w)


@pytest.mark.parametrize("n, d, C, low_rank", [(60, 7, 0.5, True), (41, 3, 4.0, True), (12, 7, 0.5, False),
                                                (53, 5, 1e-4, True)])   # a box narrower than "near a bound"
def test_svm_with_a_bias_has_zero_duality_gap_with_the_hinge_primal(svm_bias_module, n, d, C, low_rank):
    # the dual of min |w|^2 / 2 + C sum_i max(0, 1 - y_i (x_i^T w + b)): the equality's multiplier is b;
    # with 12 rows and 7 features the rank is not low, and ADMM (_fit_admm) runs instead
    rng = np.random.default_rng(n)
    X = rng.normal(size=(n, d))
    y = np.where(X @ rng.normal(size=d) + 0.7 + rng.normal(size=n) > 0, 1.0, -1.0)
    calls = len(svm_bias_module.interior_point_calls)
    a, info = svm_bias_module.fit(np.zeros(n), y[:, None] * X, y, np.full(n, C))
    assert len(svm_bias_module.interior_point_calls) == calls + low_rank
    assert info["status"] == "optimal", info
    assert y @ a == pytest.approx(0, abs=1e-9)
    assert hinge_gap_with_bias(X, y, a, info["multipliers"]["lam"][0], C) == pytest.approx(0, abs=1e-8)


def test_qp_on_the_svm_dual_goes_through_the_low_rank_and_refuses_a_dense_size_it_would_spend_minutes_on(
        svm_module):
    module = counting_interior_points(symgd.codegen(SVM_DUAL, optimizer="qp").load())
    X, y = svm_data(20, 3, seed=3)
    Z, C = y[:, None] * X, np.full(20, 0.5)
    a, info = module.fit(np.zeros(20), Z, C)
    assert info["status"] == "optimal" and module.interior_point_calls
    b = svm_module.fit(np.zeros(20), Z, C)[0]
    assert 0.5 * np.sum((Z.T @ a) ** 2) - a.sum() == pytest.approx(0.5 * np.sum((Z.T @ b) ** 2) - b.sum(), abs=1e-9)
    # a loss without the structure: ADMM on the dense n x n matrix, refused above max_size
    dense = symgd.codegen(r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad \mathbf{1}^\top x = 1,\; x \ge 0",
                          optimizer="qp").load()
    n = 3001
    with pytest.raises(ValueError, match=r"3001 unknowns: the qp solver .* default optimizer \('projected'\)"):
        dense.fit(np.zeros(n), np.ones(n))
    with pytest.raises(ValueError, match="max_size=2"):
        dense.fit(np.zeros(3), np.ones(3), max_size=2)


def test_squared_hinge_svm_dual_with_its_diagonal_term_has_zero_duality_gap():
    # LinearSVC's default loss: min |w|^2 / 2 + C sum_i max(0, 1 - y_i x_i^T w)^2, whose dual adds |a|^2 / (4C);
    # the formula cannot tell the sign of C, the data can: certified convex where it runs
    module = counting_interior_points(symgd.codegen(
        r"\min_a \frac{1}{2}\|Z^\top a\|^2 + \frac{1}{4C}\|a\|^2 - \mathbf{1}^\top a \quad \text{s.t.} \quad a \ge 0").load())
    X, y = svm_data(70, 6, seed=9)
    C = 0.3
    a, info = module.fit(np.zeros(70), y[:, None] * X, C)
    assert module.interior_point_calls and info["status"] == "optimal", info
    w = (y[:, None] * X).T @ a
    primal = 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1 - y * (X @ w)) ** 2)
    assert primal == pytest.approx(np.sum(a) - 0.5 * w @ w - a @ a / (4 * C), rel=1e-10)
    _, negative = module.fit(np.zeros(70), y[:, None] * X, -C, max_iter=20)   # concave: not this solver, never optimal
    assert len(module.interior_point_calls) == 1 and negative["status"] != "optimal"
    # above 3000 unknowns the dense second-order test is skipped: convexity is what the fit checked on the data
    X, y = svm_data(3001, 4, seed=11)
    a, info = module.fit(np.zeros(3001), y[:, None] * X, C)
    assert info["status"] == "optimal" and "checked on these data" in info["certificate"]
    w = (y[:, None] * X).T @ a
    primal = 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1 - y * (X @ w)) ** 2)
    assert primal == pytest.approx(np.sum(a) - 0.5 * w @ w - a @ a / (4 * C), rel=1e-10)


@pytest.mark.parametrize("zeros", [0, 4])
def test_diagonal_weights_some_zero_against_lbfgsb(zeros):
    rng = np.random.default_rng(10 + zeros)
    n, k = 17, 3
    M, c = rng.normal(size=(n, k)), rng.normal(size=n)
    weights = np.where(np.arange(n) < zeros, 0.0, rng.uniform(0.1, 1.0, size=n))
    upper = rng.uniform(0.5, 1.5, size=n)
    module = counting_interior_points(symgd.codegen(
        r"\min_x \frac{1}{2}\|M^\top x\|^2 + \sum_i g_i x_i^2 + c^\top x \quad \text{s.t.} \quad 0 \le x \le u").load())
    x, info = module.fit(np.zeros(n), M, weights, c, upper)
    assert module.interior_point_calls and info["status"] == "optimal", info

    def objective(v):
        return 0.5 * np.sum((M.T @ v) ** 2) + weights @ v ** 2 + c @ v, M @ (M.T @ v) + 2 * weights * v + c
    reference = minimize(objective, np.zeros(n), jac=True, method="L-BFGS-B", bounds=[(0, b) for b in upper],
                         options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    assert objective(x)[0] <= reference.fun + 1e-9
    assert box_kkt_violation(objective(x)[1], x, 0.0, upper) <= 1e-9


@pytest.mark.parametrize("C", [1e-4, 1.0, 1e4])
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_svm_with_a_bias_across_scales_is_optimal_only_with_a_zero_gap(svm_bias_module, C, scale):
    # the KKT tolerance is absolute: where the data's scale puts it out of reach the status says so, but
    # an "optimal" is always a zero duality gap; at unit scale every C is solved
    rng = np.random.default_rng(12)
    X = scale * rng.normal(size=(50, 3))
    y = np.where(X @ rng.normal(size=3) + 0.3 * scale + scale * rng.normal(size=50) > 0, 1.0, -1.0)
    a, info = svm_bias_module.fit(np.zeros(50), y[:, None] * X, y, np.full(50, C))
    if scale == 1.0:
        assert info["status"] == "optimal", info
    if info["status"] == "optimal":
        gap = hinge_gap_with_bias(X, y, a, info["multipliers"]["lam"][0], C)
        assert abs(gap) <= 1e-7 * max(1.0, np.sum(a)), gap
