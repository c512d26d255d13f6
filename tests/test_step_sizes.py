"""fit chooses its own step size when no lr is given (backtracking), on problems where any fixed
default would diverge or crawl; a given lr is used as it is."""

import numpy as np
import pytest

import symgd

RIDGE = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2"
LASSO = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 + \lambda\|w\|_1"


def scaled_data(scale, seed=0):
    rng = np.random.default_rng(seed)
    X = scale * rng.normal(size=(50, 6))
    return X, X @ rng.normal(size=6) + 0.1 * rng.normal(size=50)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "newton"])
@pytest.mark.parametrize("scale", [30.0, 0.05])   # curvature about 5e4 and 0.1: lr=0.1 diverges / crawls
def test_default_step_reaches_least_squares(optimizer, scale):
    X, y = scaled_data(scale)
    module = symgd.codegen(RIDGE, optimizer=optimizer).load()
    w, history = module.fit(np.zeros(6), X, y, max_iter=20000, tol=1e-9 * scale**2)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.max(np.abs(w - expected)) < 1e-6 * max(1.0, np.max(np.abs(expected)))
    assert all(b <= a + 1e-12 * abs(a) for a, b in zip(history, history[1:]))   # backtracking never goes uphill


def test_default_fista_step_reaches_the_lasso_conditions():
    X, y = scaled_data(30.0, seed=1)
    lam = 0.3 * np.max(np.abs(X.T @ y))
    module = symgd.codegen(LASSO, optimizer="prox").load()
    # fit itself is proximal Newton here (F(w) = φ(Xw)); FISTA, with its backtracking, is _fista
    w, history = module._fista(np.zeros(6), X, y, lam, max_iter=20000, tol=1e-14)
    g = X.T @ (X @ w - y)
    active = np.abs(w) > 1e-10
    assert np.all(np.abs(g[active] + lam * np.sign(w[active])) < 1e-6 * lam)
    assert np.all(np.abs(g[~active]) <= lam * (1 + 1e-6))
    objective = 0.5 * np.sum((X @ w - y) ** 2) + lam * np.sum(np.abs(w))
    assert history[-1] == pytest.approx(objective, rel=1e-12)   # the history is the loss at the iterates


def test_given_lr_is_used_as_it_is():
    X, y = scaled_data(1.0)
    module = symgd.codegen(RIDGE).load()
    w, history = module.fit(np.zeros(6), X, y, lr=1e-3, max_iter=2)
    g0 = X.T @ (-y)
    w1 = -1e-3 * g0
    w2 = w1 - 1e-3 * (X.T @ (X @ w1 - y))
    np.testing.assert_allclose(w, w2, rtol=0, atol=1e-12)
