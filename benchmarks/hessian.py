"""Generated Hessians against hand-written NumPy and jax.jit(jax.hessian).

For the losses whose Hessian a Newton method would use (n = 10,000 samples, d = 50 features,
K = 10 classes, float64, fixed seed), in one process: the median time of the generated ``hess``,
an expert hand-written NumPy Hessian (Gram form ``X.T @ (s[:, None] * X)``; for softmax one GEMM
over the n x Kd matrix of class-weighted features plus the K diagonal blocks) and
``jax.jit(jax.hessian(loss))`` (x64, CPU, arrays already on the device), called in turn within each
round, each timed call right after an untimed one of the same function, with a pause after the JAX
call while XLA's threads stop spinning; ``paired``: the median over ``--pairs`` of the generated
Hessian's time over the hand-written one's, timed back to back (``timing.paired_ratio``). Every
implementation's result is compared with the hand-written one first.

Asserts nothing (beyond the results agreeing); prints a table. From the repository root:

    pip install -e ".[bench]" && python benchmarks/hessian.py [--rounds 7] [--n 10000] [--pairs 21]
"""

from __future__ import annotations

import argparse
import sys
import datetime
import os
import platform
from pathlib import Path

import numpy as np

import symgd

sys.path.insert(0, str(Path(__file__).resolve().parent))   # the shared timing protocol
from timing import median_times, paired_ratio  # noqa: E402

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:   # an optional extra
    jax = None

LOSSES = {
    "least squares": r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2",
    "ridge": r"L(w) = \frac{1}{n}\sum_{i=1}^{n} (y_i - w^\top x_i)^2 + \lambda\|w\|_2^2",
    "logistic": r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]",
    "Poisson": r"L(w) = \sum_{i=1}^{n}\left(\exp(w^\top x_i) - y_i w^\top x_i\right)",
    "gamma GLM": r"L(w) = \sum_{i=1}^{n}(y_i e^{-x_i^\top w} + x_i^\top w)",
    "pseudo-Huber": r"L(w) = \sum_{i=1}^{n}\delta^2\left(\sqrt{1 + \left(\frac{y_i - w^\top x_i}{\delta}\right)^2} - 1\right)",
    "softmax": r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}",
}


def make_data(n, d, K, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) / np.sqrt(d)
    return {"w": rng.normal(size=d) * 0.1, "W": rng.normal(size=(K, d)) * 0.1, "x": x, "y": rng.normal(size=n),
            "y01": (rng.random(n) < 0.5).astype(float), "ycount": rng.poisson(1.0, size=n).astype(float),
            "ypos": rng.gamma(2.0, 1.0, size=n), "Y": np.eye(K)[rng.integers(0, K, size=n)], "lam": 0.1,
            "delta": 1.5}


def arguments(name, v):
    return {"least squares": (v["w"], v["x"], v["y"]), "ridge": (v["w"], v["y"], v["x"], v["lam"]),
            "logistic": (v["w"], v["y01"], v["x"]), "Poisson": (v["w"], v["x"], v["ycount"]),
            "gamma GLM": (v["w"], v["ypos"], v["x"]), "pseudo-Huber": (v["w"], v["y"], v["x"], v["delta"]),
            "softmax": (v["W"], v["Y"], v["x"])}[name]


# -- expert hand-written Hessians ------------------------------------------------------------------
def _gram(x, s):
    return x.T @ (s[:, None] * x)


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def hand_least_squares(w, X, y):
    return X.T @ X / len(y)


def hand_ridge(w, y, x, lam):
    H = x.T @ x
    H *= 2.0 / len(y)
    H.flat[::len(w) + 1] += 2.0 * lam
    return H


def hand_logistic(w, y, x):
    z = x @ w
    return _gram(x, _sigmoid(z) * _sigmoid(-z))


def hand_poisson(w, x, y):
    return _gram(x, np.exp(x @ w))


def hand_gamma(w, y, x):
    return _gram(x, y * np.exp(-(x @ w)))


def hand_pseudo_huber(w, y, x, delta):
    r = (x @ w - y) / delta
    return _gram(x, (1.0 + r * r) ** -1.5)


def hand_softmax(W, Y, x):
    K, d = W.shape
    scores = x @ W.T
    scores -= scores.max(axis=1, keepdims=True)
    P = np.exp(scores)
    P /= P.sum(axis=1, keepdims=True)
    c = Y.sum(axis=1)
    weighted = (P * c[:, None])[:, :, None] * x[:, None, :]          # n x K x d
    H = -weighted.reshape(len(x), K * d).T @ (P[:, :, None] * x[:, None, :]).reshape(len(x), K * d)
    H = H.reshape(K, d, K, d)
    for k in range(K):
        H[k, :, k, :] += x.T @ (weighted[:, k, :])
    return H


HAND = {"least squares": hand_least_squares, "ridge": hand_ridge, "logistic": hand_logistic,
        "Poisson": hand_poisson, "gamma GLM": hand_gamma, "pseudo-Huber": hand_pseudo_huber,
        "softmax": hand_softmax}


def jax_losses():
    def softplus(z):
        return jnp.logaddexp(0.0, z)

    def lse(a):
        top = jnp.max(a, axis=1, keepdims=True)
        return top[:, 0] + jnp.log(jnp.sum(jnp.exp(a - top), axis=1))

    return {
        "least squares": lambda w, X, y: jnp.sum((X @ w - y) ** 2) / (2 * y.shape[0]),
        "ridge": lambda w, y, x, lam: jnp.sum((y - x @ w) ** 2) / y.shape[0] + lam * jnp.sum(w * w),
        "logistic": lambda w, y, x: jnp.sum(y * softplus(-(x @ w)) + (1 - y) * softplus(x @ w)),
        "Poisson": lambda w, x, y: jnp.sum(jnp.exp(x @ w) - y * (x @ w)),
        "gamma GLM": lambda w, y, x: jnp.sum(y * jnp.exp(-(x @ w)) + x @ w),
        "pseudo-Huber": lambda w, y, x, delta: jnp.sum(delta**2 * (jnp.sqrt(1 + ((y - x @ w) / delta) ** 2) - 1)),
        "softmax": lambda W, Y, x: -jnp.sum(Y * ((x @ W.T) - lse(x @ W.T)[:, None])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=21, help="back-to-back generated/hand-written pairs")
    options = parser.parse_args()
    data = make_data(n=options.n, d=50, K=10)
    print(f"date: {datetime.date.today()}  machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.system()}  python {platform.python_version()}  numpy {np.__version__}"
          + (f"  jax {jax.__version__}" if jax else "  (jax not installed)"))
    print(f"n = {options.n}, d = 50, K = 10, float64, median of {options.rounds} interleaved rounds\n")
    header = f"{'loss':<16}{'hess ms':>9}{'hand ms':>9}{'jax ms':>9}{'gen/hand':>10}{'paired':>8}{'gen/jax':>9}"
    print(header)
    print("-" * len(header))
    losses = jax_losses() if jax else {}
    for name, source in LOSSES.items():
        args = arguments(name, data)
        module = symgd.codegen(symgd.parse(source), hessian=True).load()
        expected = HAND[name](*args)
        functions = {"gen": lambda: module.hess(*args), "hand": lambda: HAND[name](*args)}
        if jax:
            jitted = jax.jit(jax.hessian(losses[name]))
            device_args = tuple(jnp.asarray(a) for a in args)
            functions["jax"] = lambda: jitted(*device_args)
        for key, function in functions.items():   # warm-up (JAX compiles here), and agreement
            got = np.asarray(function())
            if not np.allclose(got, expected, rtol=1e-8, atol=1e-10 * np.abs(expected).max()):
                raise SystemExit(f"{name}: {key} disagrees with the hand-written Hessian")
        times = median_times(functions, options.rounds)
        jax_time = times.get("jax")
        paired = paired_ratio(functions["gen"], functions["hand"], options.pairs)   # no JAX call in between
        print(f"{name:<16}{times['gen'] * 1e3:>9.2f}{times['hand'] * 1e3:>9.2f}"
              + (f"{jax_time * 1e3:>9.2f}" if jax_time else f"{'-':>9}")
              + f"{times['gen'] / times['hand']:>10.2f}{paired:>8.2f}"
              + (f"{times['gen'] / jax_time:>9.2f}" if jax_time else f"{'-':>9}"))


if __name__ == "__main__":
    main()
