"""``check`` and ``KKT`` on the likelihoods with matrix functions (issue 10).

Hand derivations as a statistician writes them — the Gaussian score −Σ^{-1}Σ_i(x_i − μ), the
covariance gradient ½(NΣ^{-1} − Σ^{-1}SΣ^{-1}) in the symmetric convention, Rasmussen & Williams'
−½ tr((ααᵀ − K_y^{-1}) ∂K_y/∂θ) for one GP hyperparameter, the ridge validation error's derivative
in λ — are judged correct, and the usual slips (sign, the ½, ∂K/∂σ_f without its 2) incorrect with
the slip named. Each claim is first evaluated by hand in NumPy and compared with central differences
of the loss, so a verdict can only pass if it is true. Then the D-optimal design problem, max log
det(Σ_i w_i x_i x_iᵀ) on the simplex: its stationarity condition against central differences of the
Lagrangian, KKT.solve on small instances with a known optimum (Kiefer-Wolfowitz: λ = d), and the
generated solver's point checked against the conditions written by hand.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import symgd
from helpers import entries
from matfun_sources import GAUSSIAN, GP, RIDGE
from symgd.codegen import generate

inv, slogdet = np.linalg.inv, np.linalg.slogdet


KY = r"(K + \sigma_n^2 I)^{-1}"
GP_BRACKET = rf"{KY} y y^\top {KY} - {KY}"   # α αᵀ − K_y^{{-1}}, α = K_y^{{-1}} y written out
RIDGE_CLAIM = (r"\frac{\partial L}{\partial \lambda} = %s (v - Z (X^\top X + \lambda I)^{-1} X^\top y)^\top Z "
               r"(X^\top X + \lambda I)^{-2} X^\top y")
OUTER = r"\sum_{i=1}^N (x_i-\mu)(x_i-\mu)^\top"


# -- hand-written NumPy: the losses and the claims, at one random point with distinct sizes -------------

def _gaussian_point(rng):
    n, d = 7, 4
    a = rng.normal(size=(d, d))
    return {"x": rng.normal(size=(n, d)), "mu": rng.normal(size=d), "Sigma": a @ a.T + d * np.eye(d)}


def _gaussian_loss(x, mu, Sigma):
    r = x - mu
    return len(x) / 2 * slogdet(Sigma)[1] + 0.5 * np.sum(r * np.linalg.solve(Sigma, r.T).T)


def _scatter(x, mu):
    return (x - mu).T @ (x - mu)


def _gp_point(rng):
    return {"sigma_f": 1.3, "ell": 0.8, "sigma_n": 0.6, "x": rng.normal(size=(6, 2)), "y": rng.normal(size=6)}


def _kernel(sigma_f, ell, x):
    sq = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    return sigma_f ** 2 * np.exp(-sq / (2 * ell ** 2))


def _gp_loss(sigma_f, ell, sigma_n, x, y):
    ky = _kernel(sigma_f, ell, x) + sigma_n ** 2 * np.eye(len(y))
    return 0.5 * y @ np.linalg.solve(ky, y) + 0.5 * slogdet(ky)[1] + len(y) / 2 * np.log(2 * np.pi)


def _gp_bracket(sigma_f, ell, sigma_n, x, y):
    ky_inv = inv(_kernel(sigma_f, ell, x) + sigma_n ** 2 * np.eye(len(y)))
    alpha = ky_inv @ y
    return np.outer(alpha, alpha) - ky_inv


def _ridge_point(rng):
    n, d, m = 8, 3, 5
    return {"lambda": 0.7, "X": rng.normal(size=(n, d)), "y": rng.normal(size=n), "Z": rng.normal(size=(m, d)),
            "v": rng.normal(size=m)}


def _ridge_loss(X, y, Z, v, **lam):
    beta = np.linalg.solve(X.T @ X + lam["lambda"] * np.eye(X.shape[1]), X.T @ y)
    return np.sum((v - Z @ beta) ** 2)


def _ridge_claim(sign):
    def value(X, y, Z, v, **lam):
        a_inv = inv(X.T @ X + lam["lambda"] * np.eye(X.shape[1]))
        return sign * (v - Z @ a_inv @ X.T @ y) @ Z @ a_inv @ a_inv @ X.T @ y
    return value


def _sym(g):
    return (g + g.T) / 2


# (model, claim, verdict, the slip's words, NumPy of the claim, the parameter, loss, point)
CLAIMS = [
    ("gaussian mu", GAUSSIAN, r"\frac{\partial L}{\partial \mu} = -\Sigma^{-1}\sum_{i=1}^N (x_i - \mu)", "correct", None,
     lambda x, mu, Sigma: -inv(Sigma) @ np.sum(x - mu, axis=0), "mu", _gaussian_loss, _gaussian_point),
    ("gaussian mu sign", GAUSSIAN, r"\frac{\partial L}{\partial \mu} = \Sigma^{-1}\sum_{i=1}^N (x_i - \mu)", "incorrect",
     "sign", lambda x, mu, Sigma: inv(Sigma) @ np.sum(x - mu, axis=0), "mu", _gaussian_loss, _gaussian_point),
    ("gaussian Sigma", GAUSSIAN,
     rf"\frac{{\partial L}}{{\partial \Sigma}} = \frac12\left(N\Sigma^{{-1}} - \Sigma^{{-1}} {OUTER} \Sigma^{{-1}}\right)",
     "correct", None,
     lambda x, mu, Sigma: (len(x) * inv(Sigma) - inv(Sigma) @ _scatter(x, mu) @ inv(Sigma)) / 2,
     "Sigma", _gaussian_loss, _gaussian_point),
    ("gaussian Sigma half", GAUSSIAN,
     rf"\frac{{\partial L}}{{\partial \Sigma}} = N\Sigma^{{-1}} - \Sigma^{{-1}} {OUTER} \Sigma^{{-1}}", "incorrect", "1/2",
     lambda x, mu, Sigma: len(x) * inv(Sigma) - inv(Sigma) @ _scatter(x, mu) @ inv(Sigma),
     "Sigma", _gaussian_loss, _gaussian_point),
    ("gp sigma_n", GP, rf"\frac{{\partial L}}{{\partial \sigma_n}} = -\frac12 \operatorname{{tr}}\left(({GP_BRACKET}) "
     r"2\sigma_n I\right)", "correct", None,
     lambda sigma_f, ell, sigma_n, x, y: -0.5 * np.trace(_gp_bracket(sigma_f, ell, sigma_n, x, y) * 2 * sigma_n),
     "sigma_n", _gp_loss, _gp_point),
    ("gp sigma_n sign", GP, rf"\frac{{\partial L}}{{\partial \sigma_n}} = \frac12 \operatorname{{tr}}\left(({GP_BRACKET}) "
     r"2\sigma_n I\right)", "incorrect", "sign",   # R&W 5.9 is the log-likelihood's; L is its negative
     lambda sigma_f, ell, sigma_n, x, y: 0.5 * np.trace(_gp_bracket(sigma_f, ell, sigma_n, x, y) * 2 * sigma_n),
     "sigma_n", _gp_loss, _gp_point),
    ("gp sigma_f", GP, rf"\frac{{\partial L}}{{\partial \sigma_f}} = -\frac{{1}}{{\sigma_f}} \operatorname{{tr}}\left(("
     rf"{GP_BRACKET}) K\right)", "correct", None,   # ∂K/∂σ_f = 2K/σ_f
     lambda sigma_f, ell, sigma_n, x, y: -np.trace(_gp_bracket(sigma_f, ell, sigma_n, x, y) @ _kernel(sigma_f, ell, x))
     / sigma_f, "sigma_f", _gp_loss, _gp_point),
    ("gp sigma_f factor", GP, rf"\frac{{\partial L}}{{\partial \sigma_f}} = -\frac{{1}}{{2\sigma_f}} \operatorname{{tr}}"
     rf"\left(({GP_BRACKET}) K\right)", "incorrect", "1/2 times",   # ∂K/∂σ_f taken as K/σ_f
     lambda sigma_f, ell, sigma_n, x, y: -np.trace(_gp_bracket(sigma_f, ell, sigma_n, x, y) @ _kernel(sigma_f, ell, x))
     / (2 * sigma_f), "sigma_f", _gp_loss, _gp_point),
    ("ridge", RIDGE, RIDGE_CLAIM % "2", "correct", None, _ridge_claim(2), "lambda", _ridge_loss, _ridge_point),
    ("ridge sign", RIDGE, RIDGE_CLAIM % "-2", "incorrect", "sign", _ridge_claim(-2), "lambda", _ridge_loss,
     _ridge_point),
]


def _gradient_by_differences(loss, point, name, symmetric, h=1e-6):
    """Central differences of the loss in each entry of ``name`` (symmetric pairs moved together for
    the declared symmetric Σ: the symmetric gradient's entry (i, j), i ≠ j, is half that pair's)."""
    value = np.asarray(point[name], dtype=float)
    grad = np.zeros(value.shape)
    for position in np.ndindex(*value.shape):
        step = np.zeros(value.shape)
        step[position] = h
        if symmetric:
            step[position[::-1]] = h
        plus, minus = {**point, name: value + step}, {**point, name: value - step}
        grad[position] = (loss(**plus) - loss(**minus)) / (2 * h)
        if symmetric and position[0] != position[1]:
            grad[position] /= 2
    return grad


@pytest.mark.parametrize("case", CLAIMS, ids=[c[0] for c in CLAIMS])
def test_hand_derivations_of_the_three_models_get_the_right_verdict(case):
    _, source, claim, verdict, slip, by_hand, name, loss, draw = case
    point = draw(np.random.default_rng(len(claim)))
    truth = _gradient_by_differences(loss, point, name, symmetric=name == "Sigma")
    claimed = np.asarray(by_hand(**point))
    assert np.allclose(claimed, truth, rtol=1e-6, atol=1e-8) == (verdict == "correct")   # the reference is right
    result = symgd.check(symgd.parse(source), claim)
    assert result.verdict == verdict, str(result)
    if slip is not None:
        assert any(slip in line for line in result.diagnosis), result.diagnosis


def test_the_command_line_names_the_sign_slip_in_a_gp_hyperparameter_gradient():
    claim = CLAIMS[5][2]
    result = subprocess.run([sys.executable, "-m", "symgd", "check", GP, "--claim", claim],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr   # 1: an incorrect claim
    assert "incorrect" in result.stdout and "sign" in result.stdout


# -- KKT: D-optimal design -----------------------------------------------------------------------------

D_OPTIMAL = (r"\max_w \log\det\left(\sum_{i=1}^n w_i x_i x_i^\top\right) \quad \text{s.t.} \quad "
             r"\sum_{i=1}^n w_i = 1, \; w \succeq 0")


def _lagrangian(w, x, lam, mu):
    """L = -log det(Σ w_i x_i x_iᵀ) + λ(Σ w_i − 1) + μᵀ(−w): the convention L = f + λh + μᵀg, g = −w ≤ 0."""
    return -slogdet(x.T @ (w[:, None] * x))[1] + lam * (np.sum(w) - 1) - mu @ w


def _stationarity_by_hand(w, x, lam, mu):
    """∂L/∂w_k = −x_kᵀ M^{-1} x_k + λ − μ_k, M = Σ_i w_i x_i x_iᵀ."""
    m_inv = inv(x.T @ (w[:, None] * x))
    return -np.einsum("kd,de,ke->k", x, m_inv, x) + lam - mu


def test_d_optimal_design_kkt_conditions_match_central_differences_of_the_lagrangian():
    conditions = symgd.kkt(D_OPTIMAL)
    assert r"-w \le 0" in conditions.latex and r"\mu \odot \left(-w\right) = 0" in conditions.latex
    problem = conditions.problem
    rng = np.random.default_rng(5)
    (n_dim,) = [d for d in problem.dims if str(d) == "n"]
    (d_dim,) = [d for d in problem.dims if d != n_dim]
    n, d = 6, 3
    w, x, lam, mu = rng.uniform(0.2, 1.0, size=n), rng.normal(size=(n, d)), 0.7, rng.uniform(0.1, 1.0, size=n)
    (block,) = conditions.gradient.blocks
    env = {"n": n, str(d_dim): d, "w": w, "x": x, "lambda": lam, "mu": mu}
    symbolic = entries(block.expr, block.indices, (n,), env)
    h = 1e-6
    differences = np.array([(_lagrangian(w + h * e, x, lam, mu) - _lagrangian(w - h * e, x, lam, mu)) / (2 * h)
                            for e in np.eye(n)])
    assert np.allclose(symbolic, differences, rtol=1e-6, atol=1e-8)
    assert np.allclose(_stationarity_by_hand(w, x, lam, mu), differences, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("x, weights, lam, mu", [
    # three points in the plane, none redundant: equal weights, λ = d = 2 (Kiefer-Wolfowitz)
    ([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [1 / 3, 1 / 3, 1 / 3], 2.0, [0.0, 0.0, 0.0]),
    # a short third point gets no weight: M = I/2, μ_3 = 2 − x_3ᵀ M^{-1} x_3 = 2 − 0.04
    ([[1.0, 0.0], [0.0, 1.0], [0.1, 0.1]], [0.5, 0.5, 0.0], 2.0, [0.0, 0.0, 1.96]),
], ids=["interior", "one point unused"])
def test_kkt_solve_finds_the_d_optimal_design(x, weights, lam, mu):
    x = np.array(x)
    solution = symgd.kkt(D_OPTIMAL).solve({"x": x}, timeout=60)
    assert solution.points, solution.message
    best = min(solution.points, key=lambda p: p.objective)
    found = np.array([best.values[f"w_{k}"] for k in range(1, 4)])
    assert np.allclose(found, weights, atol=1e-9)
    assert np.isclose(best.multipliers["lambda"], lam) and np.allclose(best.multipliers["mu"], mu, atol=1e-9)
    assert np.allclose(_stationarity_by_hand(found, x, lam, np.array(mu)), 0, atol=1e-9)
    assert np.isclose(best.objective, -slogdet(x.T @ (found[:, None] * x))[1])


def test_generated_solver_returns_a_d_optimal_design_satisfying_the_kkt_conditions():
    rng = np.random.default_rng(7)
    n, d = 7, 3
    x = rng.normal(size=(n, d))
    module = generate(symgd.parse(D_OPTIMAL)).load()
    w, info = module.fit(np.full(n, 1 / n), x=x)
    assert info["status"] == "optimal", info
    assert np.isclose(np.sum(w), 1) and np.all(w >= 0)
    leverage = np.einsum("kd,de,ke->k", x, inv(x.T @ (w[:, None] * x)), x)   # x_kᵀ M^{-1} x_k
    assert np.isclose(np.max(leverage), d, rtol=1e-6)   # Kiefer-Wolfowitz: max leverage = d at the optimum
    assert np.allclose(leverage[w > 1e-6], d, rtol=1e-6)
    lam = info["multipliers"]["lam"][0]
    assert np.isclose(lam, d, rtol=1e-6)
    mu = info["multipliers"]["lower"]
    assert np.allclose(_stationarity_by_hand(w, x, lam, mu), 0, atol=1e-6)
