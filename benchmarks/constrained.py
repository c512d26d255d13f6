"""Generated augmented-Lagrangian solvers against SLSQP (and CVXPY where installed) at d = 1,000.

Problems: the minimum-variance portfolio ``min w^T Σ w s.t. 1^T w = 1, m^T w >= r`` and
non-negative least squares ``min ||Ax - b||^2 s.t. x >= 0`` (A of 2000×1000; scipy.optimize.nnls
is timed too). Prints the median wall time of each solver over a few runs, the ratio to the
generated solver, and how far each solution is from the generated one. Asserts nothing.

    pip install -e ".[bench]" && python benchmarks/constrained.py [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time

import numpy as np
from scipy.optimize import minimize, nnls

import symgd

try:
    import cvxpy
except ImportError:   # optional
    cvxpy = None


def timed(function, runs):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def portfolio(d, runs):
    rng = np.random.default_rng(0)
    factors = rng.normal(size=(d, 20))
    sigma = factors @ factors.T / 20 + np.diag(rng.uniform(0.05, 0.2, size=d))
    mean = rng.uniform(0.01, 0.1, size=d)
    r = float(np.quantile(mean, 0.7))
    generated = symgd.codegen(r"\min_w w^\top \Sigma w \quad \text{s.t.} \quad \mathbf{1}^\top w = 1,\; m^\top w \ge r")
    module = generated.load()
    start = np.full(d, 1.0 / d)
    rows = {f"symgd {generated.optimizer}": timed(lambda: module.fit(start, sigma, mean, r)[0], runs)}
    rows["SLSQP"] = timed(lambda: minimize(lambda w: w @ sigma @ w, start, jac=lambda w: 2 * sigma @ w,
                                           method="SLSQP", options={"maxiter": 500, "ftol": 1e-12},
                                           constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1,
                                                         "jac": lambda w: np.ones(d)},
                                                        {"type": "ineq", "fun": lambda w: mean @ w - r,
                                                         "jac": lambda w: mean}]).x, runs)
    if cvxpy is not None:
        w = cvxpy.Variable(d)
        problem = cvxpy.Problem(cvxpy.Minimize(cvxpy.quad_form(w, cvxpy.psd_wrap(sigma))),
                                [cvxpy.sum(w) == 1, mean @ w >= r])
        rows["CVXPY"] = timed(lambda: (problem.solve(), w.value)[1], runs)
    return rows


def least_squares(d, runs):
    rng = np.random.default_rng(1)
    A = rng.normal(size=(2 * d, d))
    b = rng.normal(size=2 * d)
    generated = symgd.codegen(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0")
    module = generated.load()
    rows = {f"symgd {generated.optimizer}": timed(lambda: module.fit(np.zeros(d), A, b)[0], runs)}
    rows["scipy nnls"] = timed(lambda: nnls(A, b, maxiter=50 * d)[0], runs)
    rows["SLSQP"] = timed(lambda: minimize(lambda x: np.sum((A @ x - b) ** 2), np.zeros(d),
                                           jac=lambda x: 2 * A.T @ (A @ x - b), method="SLSQP",
                                           bounds=[(0, None)] * d, options={"maxiter": 500}).x, runs)
    if cvxpy is not None:
        x = cvxpy.Variable(d)
        problem = cvxpy.Problem(cvxpy.Minimize(cvxpy.sum_squares(A @ x - b)), [x >= 0])
        rows["CVXPY"] = timed(lambda: (problem.solve(), x.value)[1], runs)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--d", type=int, default=1000)
    options = parser.parse_args()
    print(f"date: {datetime.date.today()}  machine: {platform.machine()}, {os.cpu_count()} CPUs  "
          f"python {platform.python_version()}" + ("" if cvxpy else "  (cvxpy not installed)"))
    for name, rows in (("portfolio", portfolio(options.d, options.runs)), ("NNLS", least_squares(options.d, options.runs))):
        ours_time, ours = next(value for key, value in rows.items() if key.startswith("symgd"))
        print(f"\n{name}, d = {options.d}, median of {options.runs} runs")
        print(f"{'solver':<16}{'seconds':>10}{'time / symgd':>14}{'max |x - x_symgd|':>20}")
        for solver, (seconds, solution) in rows.items():
            print(f"{solver:<16}{seconds:>10.3f}{seconds / ours_time:>14.2f}{np.max(np.abs(solution - ours)):>20.2e}")


if __name__ == "__main__":
    main()
