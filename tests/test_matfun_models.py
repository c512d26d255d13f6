"""Three likelihoods with matrix functions of parameter-dependent matrices, against JAX.

The multivariate Gaussian negative log-likelihood in μ and a full Σ (declared symmetric positive
definite), the Gaussian-process marginal likelihood in its three hyperparameters (Rasmussen &
Williams eq. 5.8-5.9), and a ridge validation error with (XᵀX + λI)^{-1}: symgd's generated
``value_and_grad`` agrees with ``jax.value_and_grad`` of the same function written in jax.numpy
(float64) to 1e-8 relative. For Σ, JAX's gradient treats the entries as independent (G); symgd's is
the symmetric gradient ½(G + Gᵀ) (see tests/test_symmetric.py), so that is what is compared.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from helpers import assert_close
from matfun_sources import GAUSSIAN, GP, RIDGE
from symgd.codegen import generate

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


def _relative(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def test_gaussian_nll_in_mean_and_full_covariance_matches_jax():
    problem = symgd.parse(GAUSSIAN)
    rng = np.random.default_rng(0)
    n, d = 9, 4
    x = rng.normal(size=(n, d))
    a = rng.normal(size=(d, d))
    mu, sigma = rng.normal(size=d), a @ a.T + d * np.eye(d)

    def nll(mu, sigma):
        r = x - mu
        return n / 2 * jnp.linalg.slogdet(sigma)[1] + 0.5 * jnp.sum(r * jnp.linalg.solve(sigma, r.T).T)

    value, (g_mu, g_sigma) = jax.value_and_grad(nll, argnums=(0, 1))(mu, sigma)
    ours, (o_mu, o_sigma) = generate(problem).load().value_and_grad(mu, sigma, x)
    assert _relative(ours, value) < 1e-8
    assert _relative(o_mu, g_mu) < 1e-8
    assert _relative(o_sigma, (g_sigma + g_sigma.T) / 2) < 1e-8


def test_gp_marginal_likelihood_in_three_hyperparameters_matches_jax_and_uses_no_inv():
    problem = symgd.parse(GP)
    assert [str(p) for p in problem.params] == ["sigma_f", "ell", "sigma_n"]
    module = generate(problem, hessian=True)   # the 3 x 3 Hessian is checked below
    assert "np.linalg.inv(" not in module.source and "definite=True)" in module.source   # Cholesky
    rng = np.random.default_rng(1)
    n = 8
    x, y = rng.normal(size=(n, 3)), rng.normal(size=n)

    def nll(theta):
        sf, ell, sn = theta
        sq = jnp.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
        k = sf ** 2 * jnp.exp(-sq / (2 * ell ** 2)) + sn ** 2 * jnp.eye(n)
        return 0.5 * y @ jnp.linalg.solve(k, y) + 0.5 * jnp.linalg.slogdet(k)[1] + n / 2 * jnp.log(2 * jnp.pi)

    theta = np.array([1.3, 0.8, 0.4])
    value, grad = jax.value_and_grad(nll)(theta)
    loaded = module.load()
    ours, ours_grad = loaded.value_and_grad(*theta, y=y, x=x)
    assert _relative(ours, value) < 1e-8
    assert _relative(np.array(ours_grad), grad) < 1e-8
    hessian = np.array(loaded.hess(*theta, y=y, x=x), dtype=float)   # the hyperparameters' 3 x 3 Hessian
    assert_close(hessian, jax.hessian(nll)(theta), rel=1e-8, what="Hessian")


def test_ridge_validation_error_in_lambda_matches_jax():
    problem = symgd.parse(RIDGE)
    rng = np.random.default_rng(2)
    n, d, m = 9, 4, 6
    x, y, z, v = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=(m, d)), rng.normal(size=m)

    def error(lam):
        beta = jnp.linalg.solve(x.T @ x + lam * jnp.eye(d), x.T @ y)
        return jnp.sum((v - z @ beta) ** 2)

    value, grad = jax.value_and_grad(error)(0.7)
    module = generate(problem)
    assert "np.linalg.inv(" not in module.source
    ours, ours_grad = module.load().value_and_grad(0.7, v=v, Z=z, X=x, y=y)
    assert _relative(ours, value) < 1e-8
    assert _relative(ours_grad, grad) < 1e-8


def test_singular_and_indefinite_matrices_raise_clear_errors_not_nan():
    ridge = generate(symgd.parse(RIDGE)).load()
    x = np.ones((5, 3))   # rank 1: X^T X + 0 I is singular
    with pytest.raises(ValueError, match="singular"):
        ridge.value_and_grad(0.0, v=np.ones(4), Z=np.ones((4, 3)), X=x, y=np.ones(5))
    gaussian = generate(symgd.parse(GAUSSIAN)).load()
    with pytest.raises(ValueError, match="positive definite"):
        gaussian.value_and_grad(np.zeros(2), -np.eye(2), np.ones((3, 2)))
