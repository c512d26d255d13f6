"""Generated solvers against the solvers people use, timed to the same objective.

Problems (one run records all):
* portfolio, d = 1,000: ``min w^T Σ w s.t. 1^T w = 1, m^T w >= r, w >= 0`` (long-only, budget,
  return floor) — symgd (qp, and auglag) vs CVXPY + OSQP, CVXPY + Clarabel, SLSQP;
* NNLS, A of 2000 × 1000: ``min ||Ax - b||^2 s.t. x >= 0`` — symgd vs ``scipy.optimize.nnls``, CVXPY;
* lasso, n = 20,000, d = 500: ``1/(2n) ||Xw - y||^2 + λ ||w||_1`` with default settings — symgd's
  prox ``fit`` (working-set proximal Newton) and its FISTA (``_fista``, no lr given) vs scikit-learn's
  ``Lasso`` (coordinate descent) at its default tol and at 1e-8;
* ℓ1-logistic regression, n = 20,000, d = 500: ``Σ log(1 + exp(-y_i x_i^T w)) + λ ||w||_1`` — symgd's
  prox ``fit`` vs scikit-learn's ``LogisticRegression(solver="liblinear", l1_ratio=1)``, C = 1/λ;
* linear SVM, n = 4,000, d = 50, through its dual ``min ½ ||Z^T a||^2 - 1^T a s.t. 0 <= a <= C``
  (Z = diag(y) X, w = Z^T a) — symgd's generated ``fit`` (an interior point through the Hessian's
  rank, d) and its projected gradient (``_fit_projected``) vs scikit-learn's
  ``LinearSVC(loss="hinge", dual=True)`` (liblinear's dual coordinate descent), compared on the primal
  objective ``½ ||w||^2 + C Σ max(0, 1 - y_i x_i^T w)``;
* the same SVM with the squared hinge (``LinearSVC``'s default), its dual with ``||a||^2 / (4C)`` added —
  symgd vs ``LinearSVC``;
* the same SVM with an unregularised bias, its dual with ``y^T a = 0`` — symgd vs ``SVC(kernel="linear")``
  (libsvm) and the primal in CVXPY + Clarabel;
* ``KKT.solve`` on small textbook problems (at most 4 unknowns and 6 constraints).

Each solver runs ``--runs`` times, interleaved; the table has the median wall time (seconds, from
the data to the solution, CVXPY's problem construction included), the time over symgd's, the
relative objective gap to the best feasible objective found by any solver, the constraint violation,
and the status symgd reported. Asserts nothing.

    pip install -e ".[bench]" && python benchmarks/constrained.py [--runs 3] [--only lasso logistic ...]
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
try:
    from sklearn.linear_model import Lasso, LogisticRegression
    from sklearn.svm import SVC, LinearSVC
except ImportError:   # optional
    Lasso = LogisticRegression = LinearSVC = SVC = None


def interleaved(solvers: dict, runs: int) -> dict:
    """name -> (median seconds, last result), the solvers run in turn ``runs`` times."""
    times = {name: [] for name in solvers}
    results = {}
    for _ in range(runs):
        for name, solve in solvers.items():
            start = time.perf_counter()
            results[name] = solve()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), results[name]) for name in solvers}


def portfolio(d: int, runs: int, slsqp: bool = True):
    rng = np.random.default_rng(0)
    factors = rng.normal(size=(d, 20))
    sigma = factors @ factors.T / 20 + np.diag(rng.uniform(0.05, 0.2, size=d))
    mean = rng.uniform(0.01, 0.1, size=d)
    r = float(np.quantile(mean, 0.7))
    generated = symgd.codegen(r"\min_w w^\top \Sigma w \quad \text{s.t.} \quad \mathbf{1}^\top w = 1,\; "
                              r"m^\top w \ge r,\; w \ge 0")
    module = generated.load()
    start = np.full(d, 1.0 / d)
    status = {}

    def ours():
        w, info = module.fit(start, sigma, mean, r)
        status["symgd"] = info["status"]
        return w

    auglag = symgd.codegen(generated.problem, optimizer="auglag").load()

    def ours_auglag():
        w, info = auglag.fit(start, sigma, mean, r)
        status["symgd auglag"] = info["status"]
        return w

    solvers = {f"symgd {generated.optimizer}": ours, "symgd auglag": ours_auglag}
    if cvxpy is not None:
        for solver, options in (("OSQP", {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 200000}), ("CLARABEL", {})):
            def solve(solver=solver, options=options):
                w = cvxpy.Variable(d)
                problem = cvxpy.Problem(cvxpy.Minimize(cvxpy.quad_form(w, cvxpy.psd_wrap(sigma))),
                                        [cvxpy.sum(w) == 1, mean @ w >= r, w >= 0])
                problem.solve(solver=solver, **options)
                return w.value
            solvers[f"CVXPY+{solver}"] = solve
    if slsqp:
        solvers["SLSQP"] = lambda: minimize(lambda w: w @ sigma @ w, start, jac=lambda w: 2 * sigma @ w, method="SLSQP",
                                            bounds=[(0, None)] * d, options={"maxiter": 500, "ftol": 1e-12},
                                            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1,
                                                          "jac": lambda w: np.ones(d)},
                                                         {"type": "ineq", "fun": lambda w: mean @ w - r,
                                                          "jac": lambda w: mean}]).x
    rows = interleaved(solvers, runs)

    def violation(w):
        return max(abs(w.sum() - 1), max(r - mean @ w, 0.0), max(-np.min(w), 0.0))
    return rows, (lambda w: w @ sigma @ w), violation, status


def least_squares(d: int, runs: int):
    rng = np.random.default_rng(1)
    A = rng.normal(size=(2 * d, d))
    b = rng.normal(size=2 * d)
    generated = symgd.codegen(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0")
    module = generated.load()
    status = {}

    def ours():
        x, info = module.fit(np.zeros(d), A, b)
        status["symgd"] = info["status"]
        return x

    solvers = {f"symgd {generated.optimizer}": ours, "scipy nnls": lambda: nnls(A, b, maxiter=50 * d)[0]}
    if cvxpy is not None:
        def solve():
            x = cvxpy.Variable(d)
            cvxpy.Problem(cvxpy.Minimize(cvxpy.sum_squares(A @ x - b)), [x >= 0]).solve(solver="CLARABEL")
            return x.value
        solvers["CVXPY+CLARABEL"] = solve
    rows = interleaved(solvers, runs)
    return rows, (lambda x: np.sum((A @ x - b) ** 2)), (lambda x: max(-np.min(x), 0.0)), status


def lasso(n: int, d: int, runs: int):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(n, d))
    truth = np.where(rng.uniform(size=d) < 0.1, rng.normal(size=d), 0.0)
    y = X @ truth + 0.5 * rng.normal(size=n)
    lam = 0.1 * np.max(np.abs(X.T @ y)) / n
    module = symgd.codegen(r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2 + \lambda\|w\|_1", optimizer="prox").load()
    solvers = {"symgd prox": lambda: module.fit(np.zeros(d), X, y, lam)[0],
               "symgd FISTA": lambda: module._fista(np.zeros(d), X, y, lam)[0]}
    if Lasso is not None:
        for tol in (1e-4, 1e-8):   # scikit-learn's default, and a tight one
            solvers[f"sklearn Lasso {tol:g}"] = lambda tol=tol: Lasso(alpha=lam, fit_intercept=False, tol=tol,
                                                                      max_iter=100000).fit(X, y).coef_
    rows = interleaved(solvers, runs)

    def objective(w):
        return np.sum((X @ w - y) ** 2) / (2 * n) + lam * np.sum(np.abs(w))
    return rows, objective, (lambda w: 0.0), {}


def l1_logistic(n: int, d: int, runs: int):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, d))
    truth = np.where(rng.uniform(size=d) < 0.1, rng.normal(size=d), 0.0)
    y = np.where(X @ truth + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    lam = 0.1 * np.max(np.abs(X.T @ y)) / 2   # a tenth of the smallest weight with w = 0 optimal
    module = symgd.codegen(r"\min_w \sum_i \log(1 + e^{-y_i x_i^\top w}) + \lambda\|w\|_1", optimizer="prox").load()
    solvers = {"symgd prox": lambda: module.fit(np.zeros(d), y=y, x=X, lambda_=lam)[0]}
    if LogisticRegression is not None:
        for tol in (1e-4, 1e-8):
            solvers[f"liblinear {tol:g}"] = lambda tol=tol: LogisticRegression(
                l1_ratio=1.0, solver="liblinear", C=1 / lam, fit_intercept=False, tol=tol, max_iter=10000
            ).fit(X, y).coef_.ravel()
    rows = interleaved(solvers, runs)

    def objective(w):
        return np.sum(np.logaddexp(0.0, -y * (X @ w))) + lam * np.sum(np.abs(w))
    return rows, objective, (lambda w: 0.0), {}


def _svm_data(seed: int, n: int, d: int, offset: float = 0.0):
    """Labels ±1 of a noisy linear rule (plus ``offset``, a bias) on Gaussian features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, np.where(X @ rng.normal(size=d) + offset + rng.normal(size=n) > 0, 1.0, -1.0)


def _generated_label(generated) -> str:
    """The row name of symgd's generated fit: its interior point where the structure was found."""
    return "symgd interior point" if "_interior_point" in generated.source else f"symgd {generated.optimizer}"


def svm_dual(n: int, d: int, runs: int, projected: bool = True):
    X, y = _svm_data(4, n, d)
    C = 0.1
    generated = symgd.codegen(r"\min_a \frac{1}{2}\|Z^\top a\|^2 - \mathbf{1}^\top a \quad \text{s.t.} \quad 0 \le a \le C")
    module = generated.load()
    status = {}

    def ours(fit=module.fit, name="symgd"):
        Z = y[:, None] * X
        a, info = fit(np.zeros(n), Z, np.full(n, C))   # C is read as a vector: a <= C entrywise
        status[name] = info["status"]
        return Z.T @ a
    solvers = {_generated_label(generated): ours}
    if "_interior_point" in generated.source and projected:
        solvers["symgd projected"] = lambda: ours(module._fit_projected, "symgd projected")
    if LinearSVC is not None:
        for tol in (1e-4, 1e-8):
            solvers[f"LinearSVC {tol:g}"] = lambda tol=tol: LinearSVC(
                loss="hinge", dual=True, C=C, fit_intercept=False, tol=tol, max_iter=1000000).fit(X, y).coef_.ravel()
    rows = interleaved(solvers, runs)

    def objective(w):
        return 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1 - y * (X @ w)))
    return rows, objective, (lambda w: 0.0), status


def svm_squared_dual(n: int, d: int, runs: int):
    """``LinearSVC``'s default loss, the squared hinge, through its dual ``min ½ ||Z^T a||^2 + ||a||^2 / (4C)
    - 1^T a s.t. a >= 0``: symgd's generated fit vs ``LinearSVC(loss="squared_hinge")``, compared on the
    primal objective ``½ ||w||^2 + C Σ max(0, 1 - y_i x_i^T w)^2``."""
    X, y = _svm_data(4, n, d)
    C = 0.1
    generated = symgd.codegen(r"\min_a \frac{1}{2}\|Z^\top a\|^2 + \frac{1}{4C}\|a\|^2 - \mathbf{1}^\top a "
                              r"\quad \text{s.t.} \quad a \ge 0")
    module = generated.load()
    status = {}

    def ours():
        Z = y[:, None] * X
        a, info = module.fit(np.zeros(n), Z, C)
        status["symgd"] = info["status"]
        return Z.T @ a
    solvers = {_generated_label(generated): ours}
    if LinearSVC is not None:
        for tol in (1e-4, 1e-8):
            solvers[f"LinearSVC {tol:g}"] = lambda tol=tol: LinearSVC(
                C=C, fit_intercept=False, tol=tol, max_iter=1000000).fit(X, y).coef_.ravel()
    rows = interleaved(solvers, runs)

    def objective(w):
        return 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1 - y * (X @ w)) ** 2)
    return rows, objective, (lambda w: 0.0), status


def svm_bias_dual(n: int, d: int, runs: int):
    """The SVM with an (unregularised) bias through its dual, ``y^T a = 0`` added to the box: symgd's
    generated fit (the qp module, whose fit is the low-rank interior point here) vs scikit-learn's
    ``SVC(kernel="linear")`` (libsvm's SMO: the same problem) and the primal in CVXPY + Clarabel;
    compared on the primal objective with the bias (symgd's bias is the equality's multiplier)."""
    X, y = _svm_data(5, n, d, 0.7)
    C = 0.1
    generated = symgd.codegen(r"\min_a \frac{1}{2}\|Z^\top a\|^2 - \mathbf{1}^\top a \quad \text{s.t.} \quad "
                              r"y^\top a = 0,\; 0 \le a \le C")
    module = generated.load()
    status = {}

    def ours():
        Z = y[:, None] * X
        a, info = module.fit(np.zeros(n), Z, y, np.full(n, C))
        status["symgd"] = info["status"]
        return np.append(Z.T @ a, info["multipliers"]["lam"][0])
    solvers = {_generated_label(generated): ours}
    if SVC is not None:
        for tol in (1e-3, 1e-8):   # libsvm's default, and a tight one
            def solve(tol=tol):
                model = SVC(kernel="linear", C=C, tol=tol).fit(X, y)
                return np.append(model.coef_.ravel(), model.intercept_[0])
            solvers[f"SVC linear {tol:g}"] = solve
    if cvxpy is not None:
        def primal():
            w, b = cvxpy.Variable(d), cvxpy.Variable()
            cvxpy.Problem(cvxpy.Minimize(0.5 * cvxpy.sum_squares(w) + C * cvxpy.sum(cvxpy.pos(1 - cvxpy.multiply(
                y, X @ w + b))))).solve(solver="CLARABEL")
            return np.append(w.value, b.value)
        solvers["CVXPY+CLARABEL"] = primal
    rows = interleaved(solvers, runs)

    def objective(v):
        w, b = v[:-1], v[-1]
        return 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1 - y * (X @ w + b)))
    return rows, objective, (lambda v: 0.0), status


_NNLS_RNG = np.random.default_rng(1)   # the data of tests/test_constrained_solvers.py's 6 x 3 problem
_NNLS_A, _NNLS_B = _NNLS_RNG.normal(size=(30, 8)), _NNLS_RNG.normal(size=30)
TEXTBOOK = {   # the KKT.solve problems of the tests and three more (<= 4 unknowns, <= 6 constraints)
    "equality QP": (r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1", {}),
    "active-set example": (r"\min_{x,y} (x-2)^2 + (y-1)^2 \quad \text{s.t.} \quad x^2 \le y,\; x + y \le 2", {}),
    "LP, 3 rows": (r"\min_x c^\top x \quad \text{s.t.} \quad Ax \le b,\; x \ge 0",
                   {"c": [-1.0, -2.0], "A": [[1.0, 1.0], [1.0, 3.0], [2.0, 1.0]], "b": [4.0, 6.0, 7.0]}),
    "NNLS 3x2": (r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0",
                 {"A": [[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], "b": [-1.0, 2.0, 1.0]}),
    "trust region 2-D": (r"\min_{x,y} x + 2y + x^2 + xy - y^2 \quad \text{s.t.} \quad x^2 + y^2 \le 1", {}),
    "LP, 3 unknowns, 6 rows": (r"\min_{x,y,z} -x - 2y - z \quad \text{s.t.} \quad x + y + z \le 4,\; x \le 2,\; "
                               r"y \le 3,\; x \ge 0,\; y \ge 0,\; z \ge 0", {}),
    "4 unknowns, 4 rows": (r"\min_{x,y,z,u} (x-1)^2 + (y-2)^2 + (z-3)^2 + (u-4)^2 \quad \text{s.t.} \quad "
                           r"x + y + z + u \le 5,\; x^2 + y^2 \le 2,\; z \ge 0,\; u \le 3", {}),
    "equality + bound": (r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1,\; x \ge 0", {}),
    "infeasible": (r"\min_x x^2 \quad \text{s.t.} \quad x \ge 1,\; x \le 0", {}),
    "nonconvex -x^2": (r"\min_{x} -x^2 \quad \text{s.t.} \quad x \le 1,\; x \ge -2", {}),
    "LICQ failure": (r"\min_x (x - 1)^2 \quad \text{s.t.} \quad x \le 0,\; x \ge 0", {}),
    "named multipliers": (r"\min_x \lambda x^2 \quad \text{s.t.} \quad x = 1,\; x \ge 0", {"lambda": 2.0}),
    "NNLS 6x3": (r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0", {"A": _NNLS_A[:6, :3], "b": _NNLS_B[:6]}),
}


def kkt_textbook(runs: int) -> None:
    """KKT.solve on small textbook problems: median seconds of the solve (the conditions derived once)."""
    print(f"\nKKT.solve, median and slowest of {runs} runs (target <= 2 s each)")
    for name, (source, data) in TEXTBOOK.items():
        conditions = symgd.kkt(source)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            solution = conditions.solve(data)
            times.append(time.perf_counter() - start)
        print(f"{name:<26}{statistics.median(times):>8.3f} s {max(times):>8.3f} s  {solution.status}")


def report(title: str, rows: dict, objective, violation, status: dict) -> None:
    feasible = [objective(x) for _, x in rows.values() if violation(x) <= 1e-8]
    best = min(feasible) if feasible else min(objective(x) for _, x in rows.values())
    ours = next(seconds for name, (seconds, _) in rows.items() if name.startswith("symgd"))
    print(f"\n{title}" + (f"  (symgd status: {', '.join(f'{k}: {v}' for k, v in status.items())})" if status else ""))
    print(f"{'solver':<22}{'seconds':>10}{'time/symgd':>12}{'objective gap':>16}{'violation':>12}")
    for name, (seconds, x) in rows.items():
        gap = (objective(x) - best) / max(abs(best), 1e-300)
        print(f"{name:<22}{seconds:>10.3f}{seconds / ours:>12.2f}{gap:>16.2e}{violation(x):>12.1e}")


PROBLEMS = ("portfolio", "nnls", "lasso", "logistic", "svm", "svm-squared", "svm-bias", "kkt")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=PROBLEMS, nargs="+", help="run these problems only")
    parser.add_argument("--no-slsqp", action="store_true", help="leave SLSQP out of the portfolio")
    parser.add_argument("--no-projected", action="store_true", help="leave symgd's projected gradient out of the SVM")
    options = parser.parse_args()
    print(f"date: {datetime.date.today()}  machine: {platform.machine()}, {os.cpu_count()} CPUs  "
          f"python {platform.python_version()}" + ("" if cvxpy else "  (cvxpy not installed)")
          + ("" if Lasso else "  (scikit-learn not installed)"))
    chosen = set(options.only or PROBLEMS)
    if "portfolio" in chosen:
        report("portfolio, d = 1000 (long-only, budget, return floor)",
               *portfolio(1000, options.runs, slsqp=not options.no_slsqp))
    if "nnls" in chosen:
        report("NNLS, A 2000 x 1000", *least_squares(1000, options.runs))
    if "lasso" in chosen:
        report("lasso, n = 20000, d = 500, default settings", *lasso(20000, 500, options.runs))
    if "logistic" in chosen:
        report("l1-logistic, n = 20000, d = 500", *l1_logistic(20000, 500, options.runs))
    if "svm" in chosen:
        report("linear SVM (dual), n = 4000, d = 50, primal objective",
               *svm_dual(4000, 50, options.runs, projected=not options.no_projected))
    if "svm-squared" in chosen:
        report("linear SVM, squared hinge (dual), n = 4000, d = 50, primal objective",
               *svm_squared_dual(4000, 50, options.runs))
    if "svm-bias" in chosen:
        report("linear SVM with a bias (dual with y^T a = 0), n = 4000, d = 50, primal objective",
               *svm_bias_dual(4000, 50, options.runs))
    if "kkt" in chosen:
        kkt_textbook(options.runs)


if __name__ == "__main__":
    main()
