"""Generated NumPy gradients against hand-written NumPy, jax.jit(jax.grad) and autograd.

For every loss of the loss list with data (n = 100,000 samples, d = 100 features, K = 10 classes,
float64, fixed seed; smaller sizes where the loss is not over samples), in one process:

* median time of the generated ``grad`` and ``value_and_grad``, the expert hand-written NumPy
  gradient and ``value_and_grad`` below, ``jax.jit(jax.grad(loss))`` (x64, CPU) and
  ``autograd.grad(loss)``; all implementations are called in turn within each round, so machine
  noise is shared;
* ``paired``: the median over ``--pairs`` of the generated ``grad``'s time over the hand-written one's,
  the two timed back to back in alternating order with no JAX or autograd call between them
  (``timing.paired_ratio``: the rounds' ratio spreads by about ten per cent from run to run), and
  ``vg paired``: the same for the generated ``value_and_grad`` over the generated ``grad``;
* peak extra memory of one call (tracemalloc) of the generated and the hand-written gradient, and
  of the generated and the hand-written ``value_and_grad``;
* the time to a first gradient: symgd parse + derive + codegen + load + one call, against JAX's
  trace + compile + one call (both warm: the median of the 2nd to (rounds + 1)th time in the process,
  interleaved), and their ratio.

Asserts nothing; prints a table. Install the extras and run from the repository root:

    pip install -e ".[bench]" && python benchmarks/codegen.py [--rounds 7] [--pairs 21] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import datetime
import os
import platform
import statistics
import time
from pathlib import Path
import tracemalloc

import numpy as np
import scipy.linalg

import symgd

sys.path.insert(0, str(Path(__file__).resolve().parent))   # the shared timing protocol
from timing import median_times, paired_ratio  # noqa: E402

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:   # an optional extra
    jax = None
try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = None


# -- the losses, as symgd reads them ------------------------------------------------------------
LOSSES = {
    "least squares": (r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2", ["w"], ["X", "y"]),
    "ridge": (r"L(w) = \frac{1}{n}\sum_{i=1}^{n} (y_i - w^\top x_i)^2 + \lambda\|w\|_2^2", ["w"], ["y", "x", "lam"]),
    "linear + bias": (r"J(w, b) = \sum_{i=1}^{n} (y_i - w^\top x_i - b)^2", ["w", "b"], ["y", "x"]),
    "logistic": (r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]",
                 ["w"], ["y", "x"]),
    "softmax": (r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}",
                ["W"], ["Y", "x"]),
    "hinge": (r"L(w) = \frac{\lambda}{2}\|w\|^2 + \frac{1}{n}\sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)",
              ["w"], ["y", "x", "lam"]),
    "lasso": (r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 + \lambda\|w\|_1", ["w"], ["X", "y", "lam"]),
    "pseudo-Huber": (r"L(w) = \sum_{i=1}^{n}\delta^2\left(\sqrt{1 + \left(\frac{y_i - w^\top x_i}{\delta}\right)^2} - 1\right)",
                     ["w"], ["y", "x", "delta"]),
    "Poisson": (r"L(w) = \sum_{i=1}^{n}\left(\exp(w^\top x_i) - y_i w^\top x_i\right)", ["w"], ["x", "y"]),
    "matrix factorization": (r"J(U, V) = \|R - UV^\top\|_F^2 + \lambda\left(\|U\|_F^2 + \|V\|_F^2\right)",
                             ["U", "V"], ["R", "lam"]),
    "quadratic form": (r"f(x) = \frac{1}{2}x^\top A x - b^\top x", ["x"], ["A", "b"]),
    "log-det": (r"L(\Theta) = \operatorname{tr}(S\Theta) - \log\det\Theta", ["Theta"], ["S"]),
    "two-layer tanh": (r"L(W, v) = \sum_{i=1}^{n}\left(y_i - v^\top\tanh(W x_i)\right)^2", ["W", "v"], ["y", "x"]),
    "gamma GLM": (r"L(\beta) = \sum_{i=1}^{n}(y_i e^{-x_i^\top\beta} + x_i^\top\beta)", ["beta"], ["y", "x"]),
    "logistic log(1+e^u)": (r"L(w) = \sum_{i=1}^{n}\left(\log(1 + e^{x_i^\top w}) - y_i x_i^\top w\right)",
                            ["w"], ["y", "x"]),
}


def make_data(n, d, K, seed=0):
    """Parameters and data for every loss (shapes chosen so every dimension differs)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) / np.sqrt(d)
    spd = rng.normal(size=(200, 200))
    theta = spd @ spd.T / 200 + np.eye(200)
    labels = rng.integers(0, K, size=n)
    return {
        "w": rng.normal(size=d) * 0.1, "b": 0.3, "W": rng.normal(size=(K, d)) * 0.1, "lam": 0.1, "delta": 1.5,
        "X": x, "x": x, "y": rng.normal(size=n), "y01": (rng.random(n) < 0.5).astype(float),
        "ypm": np.where(rng.random(n) < 0.5, -1.0, 1.0), "ycount": rng.poisson(1.0, size=n).astype(float),
        "Y": np.eye(K)[labels], "U": rng.normal(size=(2000, 20)) * 0.1, "V": rng.normal(size=(1000, 20)) * 0.1,
        "R": rng.normal(size=(2000, 1000)), "A": rng.normal(size=(1000, 1000)), "b_vec": rng.normal(size=1000),
        "x_vec": rng.normal(size=1000), "Theta": theta, "S": np.cov(rng.normal(size=(200, 400))),
        "Wh": rng.normal(size=(32, d)) * 0.1, "v": rng.normal(size=32) * 0.1,
        "ypos": rng.gamma(2.0, 1.0, size=n),
    }


def arguments(name, data):
    """The positional arguments (parameters, then data) of each loss."""
    x = data["x"]
    return {
        "least squares": (data["w"], data["X"], data["y"]),
        "ridge": (data["w"], data["y"], x, data["lam"]),
        "linear + bias": (data["w"], data["b"], data["y"], x),
        "logistic": (data["w"], data["y01"], x),
        "softmax": (data["W"], data["Y"], x),
        "hinge": (data["w"], data["ypm"], x, data["lam"]),
        "lasso": (data["w"], data["X"], data["y"], data["lam"]),
        "pseudo-Huber": (data["w"], data["y"], x, data["delta"]),
        "Poisson": (data["w"], x, data["ycount"]),
        "matrix factorization": (data["U"], data["V"], data["R"], data["lam"]),
        "quadratic form": (data["x_vec"], data["A"], data["b_vec"]),
        "log-det": (data["Theta"], data["S"]),
        "two-layer tanh": (data["Wh"], data["v"], data["y"], x),
        "gamma GLM": (data["w"], data["ypos"], x),
        "logistic log(1+e^u)": (data["w"], x, data["y01"]),
    }[name]


# -- expert hand-written NumPy gradients (in-place where it saves a pass or a copy) ---------------
def _sigmoid(z):
    out = np.negative(z)
    np.logaddexp(0.0, out, out=out)
    np.negative(out, out=out)
    return np.exp(out, out=out)


def hand_least_squares(w, X, y):
    r = X @ w
    r -= y
    r /= len(y)
    return X.T @ r


def hand_ridge(w, y, x, lam):
    r = x @ w
    r -= y
    r *= 2.0 / len(y)
    g = x.T @ r
    g += 2.0 * lam * w
    return g


def hand_bias(w, b, y, x):
    r = x @ w
    r += b
    r -= y
    r *= 2.0
    return x.T @ r, r.sum()


def hand_logistic(w, y, x):
    p = _sigmoid(x @ w)
    p -= y
    return x.T @ p


def hand_softmax(W, Y, x):
    scores = x @ W.T
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    scores *= Y.sum(axis=1, keepdims=True)   # rows of Y need not sum to 1 for this loss
    scores -= Y
    return scores.T @ x


def hand_hinge(w, y, x, lam):
    margin = x @ w
    margin *= y
    coefficient = np.where(margin < 1.0, y, 0.0)
    coefficient /= -len(y)
    g = x.T @ coefficient
    g += lam * w
    return g


def hand_lasso(w, X, y, lam):
    r = X @ w
    r -= y
    g = X.T @ r
    g += lam * np.sign(w)
    return g


def _pseudo_huber_root(r, delta):
    """sqrt(1 + (r / delta)^2), in one new array."""
    root = r / delta
    root *= root
    root += 1.0
    return np.sqrt(root, out=root)


def hand_pseudo_huber(w, y, x, delta):
    r = x @ w
    r -= y
    r /= _pseudo_huber_root(r, delta)
    return x.T @ r


def hand_poisson(w, x, y):
    z = x @ w
    np.exp(z, out=z)
    z -= y
    return x.T @ z


def hand_factorization(U, V, R, lam):
    E = U @ V.T
    E -= R
    E *= 2.0
    gU = E @ V
    gU += 2.0 * lam * U
    gV = E.T @ U
    gV += 2.0 * lam * V
    return gU, gV


def hand_quadratic(x, A, b):
    g = A @ x
    g += A.T @ x
    g *= 0.5
    g -= b
    return g


def hand_logdet(Theta, S):
    return S.T - np.linalg.inv(Theta).T


def hand_two_layer(W, v, y, x):
    H = np.tanh(W @ x.T)
    r = H.T @ v
    r -= y
    r *= 2.0
    gv = H @ r   # before H's buffer is overwritten
    return _tanh_layer_gradient(H, r, v, x), gv


def _tanh_layer_gradient(H, r, v, x):
    """(v (1 - H^2) r^T) x, in H's buffer: the first layer's gradient of the two-layer network."""
    H *= H
    np.subtract(1.0, H, out=H)
    H *= r
    H *= v[:, None]
    return H @ x


def hand_gamma(beta, y, x):
    r = x @ beta
    np.negative(r, out=r)
    np.exp(r, out=r)
    r *= y
    np.subtract(1.0, r, out=r)
    return x.T @ r


def hand_logistic_softplus(w, x, y):
    r = _sigmoid(x @ w)
    r -= y
    return x.T @ r


HAND = {"least squares": hand_least_squares, "ridge": hand_ridge, "linear + bias": hand_bias,
        "logistic": hand_logistic, "softmax": hand_softmax, "hinge": hand_hinge, "lasso": hand_lasso,
        "pseudo-Huber": hand_pseudo_huber, "Poisson": hand_poisson, "matrix factorization": hand_factorization,
        "quadratic form": hand_quadratic, "log-det": hand_logdet, "two-layer tanh": hand_two_layer,
        "gamma GLM": hand_gamma, "logistic log(1+e^u)": hand_logistic_softplus}


# -- expert hand-written NumPy value_and_grad: the loss and the gradient share their work ---------
# Each computes the scores once, takes the loss's reductions from them before the gradient's
# chain overwrites their buffer, and keeps no more arrays alive than the gradient alone needs.
def vg_least_squares(w, X, y):
    r = X @ w
    r -= y
    value = (r @ r) / (2 * len(y))
    r /= len(y)
    return value, X.T @ r


def vg_ridge(w, y, x, lam):
    r = x @ w
    r -= y
    value = (r @ r) / len(y) + lam * (w @ w)
    r *= 2.0 / len(y)
    g = x.T @ r
    g += 2.0 * lam * w
    return value, g


def vg_bias(w, b, y, x):
    r = x @ w
    r += b
    r -= y
    value = r @ r
    r *= 2.0
    return value, (x.T @ r, r.sum())


def _vg_softplus_minus_linear(z, y):
    """sum(softplus(z)) - y @ z and its derivative σ(z) - y, in two n-vectors (z's buffer is
    reused): σ(z) = exp(z - softplus(z)), whose exponent is ≤ 0, so nothing overflows."""
    value = -(y @ z)
    s = np.logaddexp(0.0, z)
    value += s.sum()
    np.subtract(z, s, out=s)
    np.exp(s, out=s)
    s -= y
    return value, s


def vg_logistic(w, y, x):
    value, p = _vg_softplus_minus_linear(x @ w, y)   # y ∈ {0, 1}: y softplus(-z) + (1-y) softplus(z)
    return value, x.T @ p


def vg_softmax(W, Y, x):
    scores = x @ W.T
    scores -= scores.max(axis=1, keepdims=True)   # the loss is invariant to a shift per row
    value = -np.einsum("ik,ik->", Y, scores)
    np.exp(scores, out=scores)
    total = scores.sum(axis=1, keepdims=True)
    rows = Y.sum(axis=1, keepdims=True)   # rows of Y need not sum to 1 for this loss
    value += rows[:, 0] @ np.log(total[:, 0])
    scores /= total
    scores *= rows
    scores -= Y
    return value, scores.T @ x


def vg_hinge(w, y, x, lam):
    slack = x @ w
    slack *= y
    np.subtract(1.0, slack, out=slack)
    active = slack > 0.0
    value = 0.5 * lam * (w @ w) + np.maximum(slack, 0.0, out=slack).sum() / len(y)
    np.multiply(y, active, out=slack)
    slack /= -len(y)
    g = x.T @ slack
    g += lam * w
    return value, g


def vg_lasso(w, X, y, lam):
    r = X @ w
    r -= y
    value = 0.5 * (r @ r) + lam * np.abs(w).sum()
    g = X.T @ r
    g += lam * np.sign(w)
    return value, g


def vg_pseudo_huber(w, y, x, delta):
    r = x @ w
    r -= y
    root = _pseudo_huber_root(r, delta)
    value = delta**2 * (root.sum() - len(y))
    r /= root
    return value, x.T @ r


def vg_poisson(w, x, y):
    z = x @ w
    value = -(y @ z)
    np.exp(z, out=z)
    value += z.sum()
    z -= y
    return value, x.T @ z


def vg_factorization(U, V, R, lam):
    E = U @ V.T
    E -= R
    flat = E.ravel()
    value = flat @ flat + lam * (np.vdot(U, U) + np.vdot(V, V))
    E *= 2.0
    gU = E @ V
    gU += 2.0 * lam * U
    gV = E.T @ U
    gV += 2.0 * lam * V
    return value, (gU, gV)


def vg_quadratic(x, A, b):
    g = A @ x
    value = 0.5 * (x @ g) - b @ x
    g += A.T @ x
    g *= 0.5
    g -= b
    return value, g


def vg_logdet(Theta, S):
    """One LU factorisation for the log-determinant and the inverse (slogdet and inv would
    factorise twice)."""
    lu, pivots = scipy.linalg.lu_factor(Theta, check_finite=False)
    value = np.einsum("ij,ji->", S, Theta) - np.log(np.abs(np.diagonal(lu))).sum()   # det > 0 in the domain
    inverse = scipy.linalg.lu_solve((lu, pivots), np.eye(len(Theta)), overwrite_b=True, check_finite=False)
    inverse -= S
    return value, np.negative(inverse.T, out=inverse.T)


def vg_two_layer(W, v, y, x):
    H = np.tanh(W @ x.T)
    r = H.T @ v
    r -= y
    value = r @ r
    r *= 2.0
    gv = H @ r
    return value, (_tanh_layer_gradient(H, r, v, x), gv)


def vg_gamma(beta, y, x):
    r = x @ beta
    value = r.sum()
    np.negative(r, out=r)
    np.exp(r, out=r)
    r *= y
    value += r.sum()
    np.subtract(1.0, r, out=r)
    return value, x.T @ r


def vg_logistic_softplus(w, x, y):
    value, p = _vg_softplus_minus_linear(x @ w, y)
    return value, x.T @ p


HAND_VG = {"least squares": vg_least_squares, "ridge": vg_ridge, "linear + bias": vg_bias,
           "logistic": vg_logistic, "softmax": vg_softmax, "hinge": vg_hinge, "lasso": vg_lasso,
           "pseudo-Huber": vg_pseudo_huber, "Poisson": vg_poisson, "matrix factorization": vg_factorization,
           "quadratic form": vg_quadratic, "log-det": vg_logdet, "two-layer tanh": vg_two_layer,
           "gamma GLM": vg_gamma, "logistic log(1+e^u)": vg_logistic_softplus}


# -- the same losses for JAX and autograd (one definition, two array modules) ---------------------
def make_losses(xp):
    def softplus(z):
        return xp.logaddexp(0.0, z)

    def lse(a):
        top = xp.max(a, axis=1, keepdims=True)
        return top[:, 0] + xp.log(xp.sum(xp.exp(a - top), axis=1))

    return {
        "least squares": lambda w, X, y: xp.sum((X @ w - y) ** 2) / (2 * y.shape[0]),
        "ridge": lambda w, y, x, lam: xp.sum((y - x @ w) ** 2) / y.shape[0] + lam * xp.sum(w * w),
        "linear + bias": lambda w, b, y, x: xp.sum((y - x @ w - b) ** 2),
        "logistic": lambda w, y, x: xp.sum(y * softplus(-(x @ w)) + (1 - y) * softplus(x @ w)),
        "softmax": lambda W, Y, x: -xp.sum(Y * ((x @ W.T) - lse(x @ W.T)[:, None])),
        "hinge": lambda w, y, x, lam: lam / 2 * xp.sum(w * w) + xp.sum(xp.maximum(0.0, 1 - y * (x @ w))) / y.shape[0],
        "lasso": lambda w, X, y, lam: 0.5 * xp.sum((X @ w - y) ** 2) + lam * xp.sum(xp.abs(w)),
        "pseudo-Huber": lambda w, y, x, delta: xp.sum(delta**2 * (xp.sqrt(1 + ((y - x @ w) / delta) ** 2) - 1)),
        "Poisson": lambda w, x, y: xp.sum(xp.exp(x @ w) - y * (x @ w)),
        "matrix factorization": lambda U, V, R, lam: xp.sum((R - U @ V.T) ** 2) + lam * (xp.sum(U * U) + xp.sum(V * V)),
        "quadratic form": lambda x, A, b: 0.5 * x @ (A @ x) - b @ x,
        "log-det": lambda Theta, S: xp.trace(S @ Theta) - xp.linalg.slogdet(Theta)[1],
        "two-layer tanh": lambda W, v, y, x: xp.sum((y - xp.tanh(W @ x.T).T @ v) ** 2),
        "gamma GLM": lambda beta, y, x: xp.sum(y * xp.exp(-(x @ beta)) + x @ beta),
        "logistic log(1+e^u)": lambda w, x, y: xp.sum(xp.log(1 + xp.exp(x @ w)) - y * (x @ w)),
    }


def param_count(name):
    return len(LOSSES[name][1])


def peak_memory(function) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def first_gradient_times(name, args, rounds: int = 3) -> tuple[float, float | None]:
    """Seconds from the loss text to a first gradient, medians of ``rounds`` warm runs (the first run
    of each is not counted; the two alternate, so machine noise is shared): symgd parse + derive +
    codegen + load + one call, and JAX trace + compile + one call."""
    source = LOSSES[name][0]

    def symgd_once():
        module = symgd.codegen(symgd.parse(source)).load()
        return module.grad(*args)

    runs = {"symgd": symgd_once}
    if jax is not None:
        loss = make_losses(jnp)[name]
        argnums = tuple(range(param_count(name)))

        def jax_once():
            function = jax.jit(jax.grad(loss, argnums=argnums))
            return jax.block_until_ready(function(*args))

        runs["jax"] = jax_once
    times = {key: [] for key in runs}
    for run in runs.values():
        run()
    for _ in range(rounds):
        for key, run in runs.items():
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    ours = statistics.median(times["symgd"])
    return ours, statistics.median(times["jax"]) if jax is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="n = 10,000 instead of 100,000")
    parser.add_argument("--pairs", type=int, default=21, help="back-to-back generated/hand-written pairs")
    options = parser.parse_args()
    n = 10_000 if options.quick else 100_000
    data = make_data(n=n, d=100, K=10)
    print(f"date: {datetime.date.today()}  machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.system()}  python {platform.python_version()}  numpy {np.__version__}"
          + (f"  jax {jax.__version__}" if jax else "  (jax not installed)")
          + ("" if autograd else "  (autograd not installed)"))
    print(f"n = {n}, d = 100, K = 10, float64, median of {options.rounds} interleaved rounds\n")
    header = (f"{'loss':<22}{'grad ms':>9}{'hand ms':>9}{'gen/hand':>9}{'paired':>8}{'gen/jax':>9}{'gen/autograd':>13}"
              f"{'vg/grad':>9}{'paired':>8}{'vg/hand vg':>11}{'mem gen/hand':>14}{'mem vg/hand vg':>16}"
              f"{'first grad: symgd s':>21}{'jax s':>8}{'jax/symgd':>10}")
    print(header)
    print("-" * len(header))
    ratios = {"hand": [], "hand, paired": [], "jax": [], "autograd": [], "hand vg": []}   # the last: value_and_grad
    vg_paired = []   # value_and_grad over grad, both generated, back to back
    first = []   # JAX's time to a first gradient over symgd's
    jax_losses = make_losses(jnp) if jax else {}
    autograd_losses = make_losses(anp) if autograd else {}
    for name, (source, params, _) in LOSSES.items():
        args = arguments(name, data)
        module = symgd.codegen(symgd.parse(source)).load()
        count = len(params)
        functions = {"gen": lambda: module.grad(*args), "vg": lambda: module.value_and_grad(*args),
                     "hand": lambda: HAND[name](*args), "hand vg": lambda: HAND_VG[name](*args)}
        if jax:   # arrays already on the device, as in a JAX training loop
            jitted = jax.jit(jax.grad(jax_losses[name], argnums=tuple(range(count))))
            device_args = tuple(jnp.asarray(a) for a in args)
            functions["jax"] = lambda: jitted(*device_args)
        if autograd:
            graded = autograd.grad(autograd_losses[name], tuple(range(count)) if count > 1 else 0)
            functions["autograd"] = lambda: graded(*args)
        times = median_times(functions, options.rounds)
        paired = paired_ratio(functions["gen"], functions["hand"], options.pairs)   # no JAX call in between
        vg_over_grad = paired_ratio(functions["vg"], functions["gen"], options.pairs)
        memory = peak_memory(functions["gen"]) / max(peak_memory(functions["hand"]), 1)
        memory_vg = peak_memory(functions["vg"]) / max(peak_memory(functions["hand vg"]), 1)
        ours, theirs = first_gradient_times(name, args, options.rounds)
        row = f"{name:<22}{times['gen'] * 1e3:>9.2f}{times['hand'] * 1e3:>9.2f}{times['gen'] / times['hand']:>9.2f}"
        row += f"{paired:>8.2f}"
        row += f"{times['gen'] / times['jax']:>9.2f}" if jax else f"{'-':>9}"
        row += f"{times['gen'] / times['autograd']:>13.2f}" if autograd else f"{'-':>13}"
        row += f"{times['vg'] / times['gen']:>9.2f}{vg_over_grad:>8.2f}{times['vg'] / times['hand vg']:>11.2f}"
        row += f"{memory:>14.2f}{memory_vg:>16.2f}{ours:>21.3f}"
        row += f"{theirs:>8.3f}{theirs / ours:>10.2f}" if theirs is not None else f"{'-':>8}{'-':>10}"
        print(row)
        if theirs is not None:
            first.append(theirs / ours)
        ratios["hand"].append(times["gen"] / times["hand"])
        ratios["hand, paired"].append(paired)
        ratios["hand vg"].append(times["vg"] / times["hand vg"])
        vg_paired.append(vg_over_grad)
        if jax:
            ratios["jax"].append(times["gen"] / times["jax"])
        if autograd:
            ratios["autograd"].append(times["gen"] / times["autograd"])
    print()
    for key, values in ratios.items():
        if values:
            print(f"geometric mean generated/{key}: {statistics.geometric_mean(values):.2f}  (max {max(values):.2f})")
    if vg_paired:
        print(f"value_and_grad over grad, paired: geometric mean {statistics.geometric_mean(vg_paired):.2f}"
              f"  (max {max(vg_paired):.2f})")
    if first:
        print(f"first gradient, JAX trace + compile over symgd: geometric mean {statistics.geometric_mean(first):.2f}"
              f"  (min {min(first):.2f})")


if __name__ == "__main__":
    main()
