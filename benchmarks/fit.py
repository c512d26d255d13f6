"""Fits with generated modules against scikit-learn, to the same objective.

* ℓ2-regularised logistic regression: the generated ``fit`` (``optimizer="lbfgs"``: scipy's
  L-BFGS-B on the generated ``value_and_grad``) against ``LogisticRegression(solver="lbfgs")``.
  scikit-learn minimises ``C Σ_i log(1 + e^{-y_i x_i^T w}) + ½‖w‖²`` (no intercept here); symgd
  minimises ``Σ_i log(1 + e^{-y_i x_i^T w}) + λ/2 ‖w‖²`` with ``λ = 1/C``, the same minimiser. Both
  stop on the same rule: scikit-learn (≥ 1.1) runs L-BFGS-B on its objective divided by n (the mean
  loss) with gtol = 1e-7 and ftol = 64 eps, which is gtol = 1e-7 n on the summed objective, so the
  generated ``fit`` gets ``tol=1e-7 * n`` (its ftol is 64 eps too). The table gives each one's time
  and iterations and the gap between the objectives they reach (evaluated by one NumPy function),
  so a faster fit that stopped short shows.
* lasso: the generated ``fit`` (``optimizer="prox"``: FISTA with backtracking) against
  ``Lasso`` (coordinate descent), both on ``1/(2n) ‖Xw - y‖² + α ‖w‖₁``; the objective each reaches
  and the time. Measured only (the solvers' own work is elsewhere).

Median of interleaved rounds; asserts nothing; prints a table. From the repository root:

    pip install -e ".[bench]" && python benchmarks/fit.py [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
import warnings

import numpy as np

import symgd

try:
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Lasso, LogisticRegression
except ImportError:   # an optional extra
    sklearn = None

LOGISTIC = r"L(w) = \sum_{i=1}^{n}\log(1 + e^{-y_i x_i^\top w}) + \frac{\lambda}{2}\|w\|^2"
LASSO = r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2 + \lambda\|w\|_1"


def logistic_objective(w, y, x, lam):
    """The ℓ2-logistic objective, one NumPy spelling for both fits."""
    return float(np.sum(np.logaddexp(0.0, -y * (x @ w))) + lam / 2 * (w @ w))


def lasso_objective(w, X, y, alpha):
    r = X @ w - y
    return float(r @ r / (2 * len(y)) + alpha * np.abs(w).sum())


def logistic_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    truth = rng.normal(size=d) / np.sqrt(d)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-(x @ truth) * 3)), 1.0, -1.0)
    return x, y


def lasso_data(n, d, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    truth = np.where(rng.random(d) < 0.1, rng.normal(size=d), 0.0)
    return X, X @ truth + 0.1 * rng.normal(size=n)


def interleaved(functions: dict, rounds: int) -> tuple[dict, dict]:
    """Median seconds of each function, called in turn within each round, and its last result."""
    times: dict = {key: [] for key in functions}
    results = {}
    for _ in range(rounds):
        for key, function in functions.items():
            start = time.perf_counter()
            results[key] = function()
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(values) for key, values in times.items()}, results


def logistic_rounds(n, d, C, rounds):
    x, y = logistic_data(n, d)
    lam = 1.0 / C
    module = symgd.codegen(LOGISTIC, optimizer="lbfgs").load()

    def ours():
        w, history = module.fit(np.zeros(d), y, x, lam, max_iter=10_000, tol=1e-7 * n)   # sklearn's rule, see above
        return w, len(history)

    def theirs():
        model = LogisticRegression(C=C, solver="lbfgs", fit_intercept=False, tol=1e-7, max_iter=10_000)
        model.fit(x, y)
        return model.coef_.ravel(), int(model.n_iter_[0])

    times, results = interleaved({"symgd": ours, "sklearn": theirs}, rounds)
    objectives = {key: logistic_objective(w, y, x, lam) for key, (w, _) in results.items()}
    iterations = {key: count for key, (_, count) in results.items()}
    return times, objectives, iterations


def lasso_rounds(n, d, alpha, rounds):
    X, y = lasso_data(n, d)
    module = symgd.codegen(LASSO, optimizer="prox").load()

    def ours():
        w, history = module.fit(np.zeros(d), X, y, alpha, max_iter=10_000, tol=1e-8)
        return w, len(history)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = Lasso(alpha=alpha, fit_intercept=False, tol=1e-8, max_iter=10_000).fit(X, y)
        return model.coef_.ravel(), int(model.n_iter_)

    times, results = interleaved({"symgd": ours, "sklearn": theirs}, rounds)
    objectives = {key: lasso_objective(w, X, y, alpha) for key, (w, _) in results.items()}
    iterations = {key: count for key, (_, count) in results.items()}
    return times, objectives, iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="n = 10,000 instead of 100,000")
    options = parser.parse_args()
    if sklearn is None:
        raise SystemExit("scikit-learn is not installed: pip install -e '.[bench]'")
    n = 10_000 if options.quick else 100_000
    print(f"date: {datetime.date.today()}  machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.system()}  python {platform.python_version()}  numpy {np.__version__}  "
          f"scikit-learn {sklearn.__version__}")
    print(f"median of {options.rounds} interleaved rounds, float64\n")
    header = f"{'problem':<34}{'symgd s':>9}{'sklearn s':>11}{'ratio':>7}{'iters':>12}{'objective gap':>15}"
    print(header)
    print("-" * len(header))
    for d, C in ((100, 1.0), (20, 0.01)):
        times, objectives, iterations = logistic_rounds(n, d, C, options.rounds)
        gap = (objectives["symgd"] - objectives["sklearn"]) / abs(objectives["sklearn"])
        print(f"{f'l2-logistic n={n} d={d} C={C}':<34}{times['symgd']:>9.3f}{times['sklearn']:>11.3f}"
              f"{times['symgd'] / times['sklearn']:>7.2f}{iterations['symgd']:>6}/{iterations['sklearn']:<5}"
              f"{gap:>15.1e}")
    for d, alpha in ((200, 0.05),):
        times, objectives, iterations = lasso_rounds(n // 10, d, alpha, options.rounds)
        gap = (objectives["symgd"] - objectives["sklearn"]) / abs(objectives["sklearn"])
        print(f"{f'lasso n={n // 10} d={d} alpha={alpha}':<34}{times['symgd']:>9.3f}{times['sklearn']:>11.3f}"
              f"{times['symgd'] / times['sklearn']:>7.2f}{iterations['symgd']:>6}/{iterations['sklearn']:<5}"
              f"{gap:>15.1e}")
    print("\niters: symgd / scikit-learn; objective gap: (symgd - sklearn) / |sklearn| at the end of each fit")


if __name__ == "__main__":
    main()
