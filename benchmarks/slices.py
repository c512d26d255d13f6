"""Generated gradients of losses over shifted indices against hand-written NumPy.

The Rosenbrock function in n dimensions, Σ_{i=1}^{n-1} [100 (x_{i+1} - x_i²)² + (1 - x_i)²], and 1-D
total-variation denoising, ‖x - y‖² + λ Σ_{i=1}^{n-1} |x_{i+1} - x_i|, at n = 10⁶ (float64, fixed
seed): the generated ``grad`` and ``value_and_grad`` (slices x[1:], x[:-1] and their zero-padded
adjoints) against the gradient an engineer writes by hand (one zeroed buffer, slice updates in place).
Median times over interleaved rounds (``timing.median_times``) and the paired ratio generated /
hand-written (``timing.paired_ratio``). Asserts nothing; prints a table:

    python benchmarks/slices.py [--n 1000000] [--rounds 7] [--pairs 21]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import symgd

sys.path.insert(0, str(Path(__file__).resolve().parent))   # the shared timing protocol
from timing import median_times, paired_ratio  # noqa: E402

ROSENBROCK = r"f(x) = \sum_{i=1}^{n-1}\left[100(x_{i+1} - x_i^2)^2 + (1 - x_i)^2\right]"
TV = r"\|x - y\|_2^2 + \lambda\sum_{i=1}^{n-1}|x_{i+1} - x_i|"


def rosenbrock_grad(x):
    """By hand (as scipy.optimize.rosen_der): one buffer, the two shifted parts added in place."""
    head, tail = x[:-1], x[1:]
    t = tail - head ** 2
    g = np.zeros_like(x)
    g[:-1] = -400 * head * t - 2 * (1 - head)
    g[1:] += 200 * t
    return g


def rosenbrock_value_and_grad(x):
    head, tail = x[:-1], x[1:]
    t = tail - head ** 2
    value = 100 * float(t @ t) + float((1 - head) @ (1 - head))
    g = np.zeros_like(x)
    g[:-1] = -400 * head * t - 2 * (1 - head)
    g[1:] += 200 * t
    return value, g


def tv_grad(x, y, lam):
    s = np.sign(np.diff(x))
    g = 2 * (x - y)
    g[:-1] -= lam * s
    g[1:] += lam * s
    return g


def tv_value_and_grad(x, y, lam):
    d = np.diff(x)
    r = x - y
    s = np.sign(d)
    g = 2 * r
    g[:-1] -= lam * s
    g[1:] += lam * s
    return float(r @ r) + lam * float(np.abs(d).sum()), g


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=21)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, y, lam = rng.normal(size=args.n), rng.normal(size=args.n), 0.3
    rosen = symgd.codegen(symgd.parse(ROSENBROCK, wrt="x")).load()
    tv = symgd.codegen(symgd.parse(TV, wrt="x")).load()
    assert np.allclose(rosen.grad(x), rosenbrock_grad(x)) and np.allclose(tv.grad(x, y, lam), tv_grad(x, y, lam))
    cases = {
        "rosenbrock grad": (lambda: rosen.grad(x), lambda: rosenbrock_grad(x)),
        "rosenbrock value_and_grad": (lambda: rosen.value_and_grad(x), lambda: rosenbrock_value_and_grad(x)),
        "tv grad": (lambda: tv.grad(x, y, lam), lambda: tv_grad(x, y, lam)),
        "tv value_and_grad": (lambda: tv.value_and_grad(x, y, lam), lambda: tv_value_and_grad(x, y, lam)),
    }
    print(f"n = {args.n:,}, float64; medians of {args.rounds} interleaved rounds, paired ratio over {args.pairs} pairs")
    print(f"{'function':28} {'gen ms':>8} {'hand ms':>8} {'gen/hand':>9} {'paired':>7}")
    for name, (generated, hand) in cases.items():
        times = median_times({"generated": generated, "hand": hand}, args.rounds)
        ratio = paired_ratio(generated, hand, args.pairs)
        print(f"{name:28} {times['generated'] * 1e3:8.2f} {times['hand'] * 1e3:8.2f} "
              f"{times['generated'] / times['hand']:9.2f} {ratio:7.2f}")


if __name__ == "__main__":
    main()
