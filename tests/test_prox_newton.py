"""The prox solver's fit for F(w) = φ(Xw) + λ||w||_1 (working-set proximal Newton) against a
proximal-gradient reference written here, and its derivatives of φ against central differences."""

import numpy as np
import pytest

import symgd

LASSO = r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2 + \lambda\|w\|_1"
LOGISTIC = r"\min_w \sum_i \log(1 + e^{-y_i x_i^\top w}) + \lambda\|w\|_1"
WEIGHTED = r"\min_w \sum_i c_i (x_i^\top w - y_i)^2 + \lambda\|w\|_1"
ELASTIC_NET = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 + \frac{\rho}{2}\|w\|_2^2 + \lambda\|w\|_1"
NAMED_Z = r"L(w) = \frac{1}{2}\|Xw - z\|_2^2 + \lambda\|w\|_1"


def proximal_gradient(value_and_grad, lam, d, tol=1e-13, max_iter=200000):
    """The reference: ISTA with a backtracking step (Beck & Teboulle), run to a fixed point."""
    w, step = np.zeros(d), 1.0
    value, gradient = value_and_grad(w)
    for _ in range(max_iter):
        while True:
            moved = w - step * gradient
            new = np.sign(moved) * np.maximum(np.abs(moved) - step * lam, 0.0)
            new_value, new_gradient = value_and_grad(new)
            if new_value <= value + gradient @ (new - w) + (new - w) @ (new - w) / (2 * step) + 1e-15 * abs(value):
                break
            step /= 2
        if np.max(np.abs(new - w)) <= tol * max(1.0, np.max(np.abs(new))):
            return new
        w, value, gradient, step = new, new_value, new_gradient, step * 1.2
    raise AssertionError("the reference did not converge")


def regression(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, X @ np.where(rng.uniform(size=d) < 0.4, rng.normal(size=d), 0.0) + 0.3 * rng.normal(size=n)


@pytest.mark.parametrize("n, d", [(37, 11), (9, 23)])   # more rows than columns, and fewer
def test_lasso_fit_matches_proximal_gradient(n, d):
    X, y = regression(n, d, seed=n)
    lam = 0.2 * np.max(np.abs(X.T @ y)) / n
    generated = symgd.codegen(LASSO, optimizer="prox")
    assert "_l1_quadratic" in generated.source   # the smooth part was recognised as φ(Xw)
    w, history = generated.load().fit(np.zeros(d), X, y, lam)

    def value_and_grad(v):
        r = X @ v - y
        return r @ r / (2 * n), X.T @ r / n
    expected = proximal_gradient(value_and_grad, lam, d)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-8)
    assert 0 < np.count_nonzero(w) < d
    assert history[-1] == pytest.approx(value_and_grad(w)[0] + lam * np.sum(np.abs(w)), rel=1e-12)
    assert history[0] == pytest.approx(y @ y / (2 * n)) and all(b <= a for a, b in zip(history, history[1:]))
    again, history = generated.load().fit(w, X, y, lam)   # from the solution: nothing to do
    np.testing.assert_array_equal(again, w)
    assert len(history) == 1


def test_l1_logistic_fit_matches_proximal_gradient():
    rng = np.random.default_rng(7)
    n, d = 41, 6
    x = rng.normal(size=(n, d))
    y = np.sign(x @ rng.normal(size=d) + 0.5 * rng.normal(size=n))
    lam = 0.15 * np.max(np.abs(x.T @ y))
    module = symgd.codegen(LOGISTIC, optimizer="prox").load()
    w, _ = module.fit(np.zeros(d), y, x, lam)

    def value_and_grad(v):
        u = -y * (x @ v)
        return np.sum(np.logaddexp(0.0, u)), x.T @ (-y / (1 + np.exp(-u)))
    np.testing.assert_allclose(w, proximal_gradient(value_and_grad, lam, d), rtol=0, atol=1e-7)


def test_weighted_rows_matches_proximal_gradient():
    X, y = regression(29, 7, seed=3)
    c = np.random.default_rng(4).uniform(0.2, 3.0, size=29)   # a curvature that differs by row
    lam = 0.3 * np.max(np.abs(X.T @ (c * y)))
    module = symgd.codegen(WEIGHTED, optimizer="prox").load()
    problem = symgd.parse(WEIGHTED)
    values = {"c": c, "x": X, "y": y, "lambda_": lam}
    w, _ = module.fit(np.zeros(7), *[values[problem.argnames[s]] for s in (*problem.data, *problem.constants)])

    def value_and_grad(v):
        r = X @ v - y
        return np.sum(c * r * r), X.T @ (2 * c * r)
    np.testing.assert_allclose(w, proximal_gradient(value_and_grad, lam, 7), rtol=0, atol=1e-8)


@pytest.mark.parametrize("source, data", [
    (LOGISTIC, lambda rng, n: (np.sign(rng.normal(size=n)), rng.normal(size=(n, 3)))),
    (WEIGHTED, lambda rng, n: (rng.uniform(0.5, 2, size=n), rng.normal(size=(n, 3)), rng.normal(size=n))),
])
def test_link_derivatives_match_central_differences(source, data):
    rng = np.random.default_rng(11)
    n = 13
    module = symgd.codegen(source, optimizer="prox").load()
    arrays = data(rng, n)
    z = rng.normal(size=n)
    value, gradient = module._link_value_and_grad(z, *arrays)
    curvature = np.broadcast_to(module._link_curvature(z, *arrays), (n,))
    h = 1e-5
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        up, down = module._link_value_and_grad(z + e, *arrays), module._link_value_and_grad(z - e, *arrays)
        assert gradient[i] == pytest.approx((up[0] - down[0]) / (2 * h), rel=1e-6, abs=1e-8)
        assert curvature[i] == pytest.approx((up[1][i] - down[1][i]) / (2 * h), rel=1e-6, abs=1e-8)


def test_a_smooth_part_outside_xw_keeps_fista():
    source = symgd.codegen(ELASTIC_NET, optimizer="prox").source
    assert "_l1_quadratic" not in source and "def fit(" in source and "def _fista(" not in source
    X, y = regression(30, 5, seed=8)
    lam, rho = 0.5, 0.7
    w, _ = symgd.codegen(ELASTIC_NET, optimizer="prox").load().fit(np.zeros(5), X, y, rho, lam, tol=1e-13,
                                                                    max_iter=100000)

    def value_and_grad(v):
        r = X @ v - y
        return 0.5 * r @ r + 0.5 * rho * v @ v, X.T @ r + rho * v
    np.testing.assert_allclose(w, proximal_gradient(value_and_grad, lam, 5), rtol=0, atol=1e-8)


def test_given_lr_runs_fista():
    X, y = regression(20, 4, seed=9)
    module = symgd.codegen(LASSO, optimizer="prox").load()
    lam = 0.1
    fista = module._fista(np.zeros(4), X, y, lam, lr=0.05, max_iter=3)
    fit = module.fit(np.zeros(4), X, y, lam, lr=0.05, max_iter=3)
    np.testing.assert_array_equal(fit[0], fista[0])
    assert fit[1] == fista[1]


def test_data_named_z_is_not_the_predictor():
    X, y = regression(25, 6, seed=12)
    lam = 0.2 * np.max(np.abs(X.T @ y))
    module = symgd.codegen(NAMED_Z, optimizer="prox").load()
    w, _ = module.fit(np.zeros(6), X, y, lam)

    def value_and_grad(v):
        r = X @ v - y
        return 0.5 * r @ r, X.T @ r
    np.testing.assert_allclose(w, proximal_gradient(value_and_grad, lam, 6), rtol=0, atol=1e-8)
