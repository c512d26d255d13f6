"""Every generated ``step`` against one step of its optimizer written out by hand in NumPy."""

import numpy as np
import pytest

import symgd

RIDGE = r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2 + \lambda\|w\|_2^2"
LASSO = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 + \lambda\|w\|_1"
N, D, LAM, LR = 7, 3, 0.3, 0.05


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    return rng.normal(size=(N, D)), rng.normal(size=N), rng.normal(size=D)


def ridge_gradient(w, X, y):
    return X.T @ (X @ w - y) / N + 2 * LAM * w


def test_gd_step(data):
    X, y, w = data
    module = symgd.codegen(RIDGE, optimizer="gd").load()
    np.testing.assert_allclose(module.step(w, X, y, LAM, LR), w - LR * ridge_gradient(w, X, y), rtol=0, atol=1e-12)


def test_momentum_steps(data):
    X, y, w = data
    module = symgd.codegen(RIDGE, optimizer="momentum").load()
    w1, state = module.step(w, X, y, LAM, LR)
    velocity = ridge_gradient(w, X, y)
    np.testing.assert_allclose(w1, w - LR * velocity, rtol=0, atol=1e-12)
    w2, _ = module.step(w1, X, y, LAM, LR, state=state)
    velocity = 0.9 * velocity + ridge_gradient(w - LR * velocity, X, y)
    np.testing.assert_allclose(w2, w - LR * ridge_gradient(w, X, y) - LR * velocity, rtol=0, atol=1e-12)


def test_nesterov_steps(data):
    X, y, w = data
    module = symgd.codegen(RIDGE, optimizer="nesterov").load()
    w1, state = module.step(w, X, y, LAM, LR)
    g0 = ridge_gradient(w, X, y)
    expected1 = w - LR * (g0 + 0.9 * g0)            # PyTorch: buf = g; p -= lr (g + momentum buf)
    np.testing.assert_allclose(w1, expected1, rtol=0, atol=1e-12)
    w2, _ = module.step(w1, X, y, LAM, LR, state=state)
    g1 = ridge_gradient(expected1, X, y)
    buffer = 0.9 * g0 + g1
    np.testing.assert_allclose(w2, expected1 - LR * (g1 + 0.9 * buffer), rtol=0, atol=1e-12)


def test_adam_steps(data):
    X, y, w = data
    module = symgd.codegen(RIDGE, optimizer="adam").load()
    state, expected = None, w.copy()
    m, v = np.zeros(D), np.zeros(D)
    current = w
    for t in (1, 2, 3):   # Kingma & Ba, Algorithm 1
        g = ridge_gradient(expected, X, y)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected = expected - LR * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        current, state = module.step(current, X, y, LAM, LR, state=state)
        np.testing.assert_allclose(current, expected, rtol=0, atol=1e-12)
    assert state[2] == 3


def test_newton_step(data):
    X, y, w = data
    module = symgd.codegen(RIDGE, optimizer="newton").load()
    hessian = X.T @ X / N + 2 * LAM * np.eye(D)
    expected = w - 0.7 * np.linalg.solve(hessian, ridge_gradient(w, X, y))
    np.testing.assert_allclose(module.step(w, X, y, LAM, 0.7), expected, rtol=0, atol=1e-12)


def test_prox_step_shrinks_by_lr_times_lambda_once(data):
    X, y, w = data
    module = symgd.codegen(LASSO, optimizer="prox").load()
    moved = w - LR * (X.T @ (X @ w - y))             # a gradient step on the smooth part only
    expected = np.sign(moved) * np.maximum(np.abs(moved) - LR * LAM, 0.0)
    np.testing.assert_allclose(module.step(w, X, y, LAM, LR), expected, rtol=0, atol=1e-12)


def test_gd_step_with_two_parameters():
    rng = np.random.default_rng(12)
    U, V, Y = rng.normal(size=(4, 2)), rng.normal(size=(2, 5)), rng.normal(size=(4, 5))
    module = symgd.codegen(r"L(U, V) = \|UV - Y\|_F^2").load()
    residual = U @ V - Y
    new_u, new_v = module.step(U, V, Y, LR)
    np.testing.assert_allclose(new_u, U - LR * 2 * residual @ V.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(new_v, V - LR * 2 * U.T @ residual, rtol=0, atol=1e-12)
