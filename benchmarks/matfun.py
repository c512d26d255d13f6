"""Matrix functions in generated code: the GP marginal likelihood and the Gaussian NLL.

Two likelihoods whose gradients need a factorisation of a parameter-dependent matrix, float64, fixed
seed, in one process:

* the Gaussian-process negative log marginal likelihood (Rasmussen & Williams eq. 5.8-5.9) in its
  three hyperparameters (sigma_f, ell, sigma_n), squared-exponential kernel, n = 2,000 points in 3-d;
* the multivariate Gaussian negative log-likelihood in mu and a full covariance Sigma (declared
  symmetric positive definite), d = 500, N = 2,000 samples.

For each: the median time of symgd's generated ``value_and_grad``, of ``jax.jit(jax.value_and_grad)``
(x64, CPU; compiled before timing) and of a hand-written NumPy/SciPy implementation with one Cholesky
factorisation; all three are called in turn within each round (interleaved, so machine noise is
shared), and the values and gradients are compared first. Asserts nothing; prints a table.

    pip install -e ".[bench]" && python benchmarks/matfun.py [--rounds 7] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time

import numpy as np
import scipy.linalg

import symgd

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:   # an optional extra
    jax = None

GP = (r"\min_{\sigma_f, \ell, \sigma_n} \frac{1}{2} y^\top (K + \sigma_n^2 I)^{-1} y + \frac{1}{2} \log|K + \sigma_n^2 I|"
      r" + \frac{n}{2}\log(2\pi) \quad K_{ij} = \sigma_f^2 \exp\left(-\frac{\|x_i - x_j\|^2}{2 \ell^2}\right),"
      r" K \succeq 0")   # K + sigma_n^2 I is then positive definite: Cholesky
GAUSSIAN = (r"\min_{\mu, \Sigma} \frac{N}{2}\log\det\Sigma + \frac12 \sum_{i=1}^N (x_i - \mu)^\top \Sigma^{-1} (x_i - \mu)"
            r" \quad \Sigma \in \mathbb{S}^d_{++}")


# -- hand-written: what a numerical analyst writes (one Cholesky, solves, no inverse but K^{-1} for traces)
def gp_hand(theta, x, y):
    sf, ell, sn = theta
    n = len(y)
    sq = np.sum(x ** 2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    e = np.exp(-d2 / (2 * ell ** 2))
    k = sf ** 2 * e + sn ** 2 * np.eye(n)
    c = scipy.linalg.cho_factor(k, lower=True)
    alpha = scipy.linalg.cho_solve(c, y)
    value = 0.5 * y @ alpha + np.sum(np.log(np.diag(c[0]))) + n / 2 * np.log(2 * np.pi)
    w = scipy.linalg.cho_solve(c, np.eye(n)) - np.outer(alpha, alpha)   # K^{-1} - alpha alpha^T
    dk = (2 * sf * e, sf ** 2 * e * d2 / ell ** 3, 2 * sn * np.eye(n))
    return value, tuple(0.5 * np.sum(w * d) for d in dk)


def gaussian_hand(mu, sigma, x):
    n = len(x)
    c = scipy.linalg.cho_factor(sigma, lower=True)
    r = x - mu
    s = scipy.linalg.cho_solve(c, r.T)          # Sigma^{-1} (x_i - mu), column i
    value = n * np.sum(np.log(np.diag(c[0]))) + 0.5 * np.sum(r.T * s)
    sigma_inv = scipy.linalg.cho_solve(c, np.eye(len(mu)))
    return value, (-s.sum(axis=1), n / 2 * sigma_inv - 0.5 * s @ s.T)


def gp_jax(theta, x, y):
    sf, ell, sn = theta[0], theta[1], theta[2]
    n = y.shape[0]
    sq = jnp.sum(x ** 2, axis=1)
    d2 = jnp.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    k = sf ** 2 * jnp.exp(-d2 / (2 * ell ** 2)) + sn ** 2 * jnp.eye(n)
    c = jax.scipy.linalg.cho_factor(k, lower=True)
    return 0.5 * y @ jax.scipy.linalg.cho_solve(c, y) + jnp.sum(jnp.log(jnp.diag(c[0]))) + n / 2 * jnp.log(2 * jnp.pi)


def gaussian_jax(mu, sigma, x):
    c = jax.scipy.linalg.cho_factor(sigma, lower=True)
    r = x - mu
    return x.shape[0] * jnp.sum(jnp.log(jnp.diag(c[0]))) + 0.5 * jnp.sum(r.T * jax.scipy.linalg.cho_solve(c, r.T))


def _median(rounds: int, others: dict) -> dict:
    """Interleaved timing: each round calls every implementation once, in turn."""
    times: dict = {name: [] for name in others}
    for _ in range(rounds):
        for name, call in others.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _agree(a, b) -> float:
    a = np.concatenate([np.ravel(np.asarray(p, dtype=float)) for p in a])
    b = np.concatenate([np.ravel(np.asarray(p, dtype=float)) for p in b])
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="n = 400, d = 100")
    args = parser.parse_args()
    n_gp, d, n_samples = (400, 100, 400) if args.quick else (2000, 500, 2000)
    rng = np.random.default_rng(0)
    print(f"{datetime.date.today()}  {platform.processor() or platform.machine()}  {os.cpu_count()} cpus  "
          f"numpy {np.__version__}  jax {jax.__version__ if jax else '-'}")

    start = time.perf_counter()
    gp = symgd.codegen(symgd.parse(GP)).load()
    gaussian = symgd.codegen(symgd.parse(GAUSSIAN)).load()
    print(f"symgd parse + derive + generate + load, both: {time.perf_counter() - start:.1f} s")

    x, y = rng.normal(size=(n_gp, 3)), rng.normal(size=n_gp)
    theta = np.array([1.3, 0.8, 0.4])
    xs = rng.normal(size=(n_samples, d)) @ rng.normal(size=(d, d)) / np.sqrt(d)
    mu = rng.normal(size=d)
    a = rng.normal(size=(d, d))
    sigma = a @ a.T / d + np.eye(d)

    cases = {
        f"GP marginal likelihood, n = {n_gp}": {
            "symgd": lambda: gp.value_and_grad(*theta, y=y, x=x),
            "hand (Cholesky)": lambda: gp_hand(theta, x, y),
        },
        f"Gaussian NLL, d = {d}, N = {n_samples}": {
            "symgd": lambda: gaussian.value_and_grad(mu, sigma, xs),
            "hand (Cholesky)": lambda: gaussian_hand(mu, sigma, xs),
        },
    }
    if jax is not None:
        gp_jit = jax.jit(jax.value_and_grad(gp_jax))
        gauss_jit = jax.jit(jax.value_and_grad(gaussian_jax, argnums=(0, 1)))
        cases[f"GP marginal likelihood, n = {n_gp}"]["jax.jit"] = \
            lambda: jax.block_until_ready(gp_jit(jnp.asarray(theta), x, y))
        cases[f"Gaussian NLL, d = {d}, N = {n_samples}"]["jax.jit"] = \
            lambda: jax.block_until_ready(gauss_jit(mu, sigma, xs))

    print("\n| case | symgd value_and_grad | hand-written Cholesky | jax.jit(value_and_grad) | symgd / hand | symgd / jax |")
    print("|---|---|---|---|---|---|")
    for title, calls in cases.items():
        results = {name: call() for name, call in calls.items()}   # warm-up, compile, and agreement
        sym_value, sym_grad = results["symgd"]
        hand_value, hand_grad = results["hand (Cholesky)"]
        if "Gaussian" in title:   # JAX and the hand-written code give G; symgd the symmetric (G + G^T)/2 (equal here)
            hand_grad = (hand_grad[0], (hand_grad[1] + hand_grad[1].T) / 2)
        error = max(abs(sym_value - hand_value) / abs(hand_value), _agree(sym_grad, hand_grad))
        medians = _median(args.rounds, calls)
        jax_time = medians.get("jax.jit", float("nan"))
        print(f"| {title} | {medians['symgd'] * 1e3:.0f} ms | {medians['hand (Cholesky)'] * 1e3:.0f} ms | "
              f"{jax_time * 1e3:.0f} ms | {medians['symgd'] / medians['hand (Cholesky)']:.2f}x | "
              f"{medians['symgd'] / jax_time:.2f}x |  (symgd vs hand: relative difference {error:.1e})")


if __name__ == "__main__":
    main()
