"""Symmetric and positive-definite declarations, and the gradient convention for a symmetric parameter.

The gradient with respect to a symmetric matrix Σ is the symmetric matrix G_s = ½(G + Gᵀ) of the
gradient G that treats the entries as independent: for every symmetric direction E the directional
derivative d/dt f(Σ + tE) is ⟨G_s, E⟩. The tests check exactly that, with central differences along
random symmetric directions, against hand-written NumPy losses; and the Matrix Cookbook's section 2.8
forms (2G_s − G_s ∘ I) by converting.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from helpers import assert_close
from symgd.codegen import generate
from symgd.errors import ShapeError

inv, det, tr = np.linalg.inv, np.linalg.det, np.trace


def _spd(rng, n):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def _symmetric_direction(rng, n):
    e = rng.normal(size=(n, n))
    return (e + e.T) / 2


def _directional(f, env, name, direction, h=1e-6):
    plus, minus = dict(env), dict(env)
    plus[name] = env[name] + h * direction
    minus[name] = env[name] - h * direction
    return (f(**plus) - f(**minus)) / (2 * h)


DECLARATIONS = [
    (r"\min_\Sigma \log\det\Sigma + \operatorname{tr}(\Sigma^{-1} S) \quad \Sigma \in \mathbb{S}^n_{++}, "
     r"S \in \mathbb{S}^n", {"Sigma": "positive definite", "S": "symmetric"}),
    (r"\min_\Sigma \log|\Sigma| + \operatorname{tr}(\Sigma^{-1} S) \quad \Sigma \succ 0, S \in \mathbb{S}^{n}",
     {"Sigma": "positive definite", "S": "symmetric"}),
    (r"\min_K \log\det K + \operatorname{tr}(K) \quad K \succeq 0", {"K": "positive definite"}),
    (r"\min_X \operatorname{tr}(A X) \quad X \in \mathbb{S}^n_+", {"X": "positive semidefinite"}),
    ("min_Sigma logdet(Sigma) + tr(inv(Sigma) S)\nSigma: positive definite\nS: symmetric",
     {"Sigma": "positive definite", "S": "symmetric"}),
    (r"\min_\Sigma \log\det\Sigma + \operatorname{tr}(\Sigma^{-1} S) \quad \Sigma \succ 0, S = S^\top",
     {"Sigma": "positive definite", "S": "symmetric"}),
    (r"\min_X \log\det X + \operatorname{tr}(X^{-1} S) \quad X^\top = X, S = S^T", {"X": "symmetric", "S": "symmetric"}),
    (r"\min_X \operatorname{tr}(X^{-1} S) \quad \text{s.t.} \quad X = X^{\mathsf T}", {"X": "symmetric"}),
    (r"\min_\Sigma \log\det\Sigma + \operatorname{tr}(\Sigma^{-1} S) \quad \Sigma \text{ is positive definite}, "
     r"S \text{ symmetric}", {"Sigma": "positive definite", "S": "symmetric"}),
    (r"\min_X \log\det X \quad X \text{ symmetric positive semidefinite}", {"X": "positive semidefinite"}),
    ("min_X logdet(X) + tr(inv(X) S)\nX = X^T\nS = S'", {"X": "symmetric", "S": "symmetric"}),
]


@pytest.mark.parametrize("source, expected", DECLARATIONS, ids=range(len(DECLARATIONS)))
def test_declarations_are_read_and_reported(source, expected):
    problem = symgd.parse(source)
    assert {str(s.label): kind for s, kind in problem.symmetric.items()} == expected
    assert all(any(name in reading and "declared" in reading for reading in problem.readings) for name in expected)


def test_s_equals_s_transpose_declares_symmetry_and_is_neither_an_update_nor_a_constraint():
    """``X = X^\\top`` once read as an update rule of X (and a data S = S^\\top made S a parameter)."""
    written = symgd.parse(r"\min_X \log\det X + \operatorname{tr}(X^{-1} S) \quad X = X^\top, S = S^\top")
    declared = symgd.parse(r"\min_X \log\det X + \operatorname{tr}(X^{-1} S) \quad X \in \mathbb{S}^n, S \in \mathbb{S}^n")
    assert [str(p) for p in written.params] == ["X"] and not written.updates and not written.constraints
    derivation = symgd.gradient(written)
    assert derivation.latex == symgd.gradient(declared).latex
    assert derivation.latex.endswith(r"= X^{-1} - X^{-1} S X^{-1}")   # no S^T, no X^{-T}
    rng = np.random.default_rng(8)
    env = {"X": _spd(rng, 5), "S": _spd(rng, 5)}
    _, grad = generate(written).load().value_and_grad(**env)

    def f(X, S):
        return np.linalg.slogdet(X)[1] + tr(inv(X) @ S)

    for _ in range(3):
        e = _symmetric_direction(rng, 5)
        assert np.isclose(np.sum(grad * e), _directional(f, env, "X", e), rtol=1e-6)


def test_a_symmetry_statement_about_a_vector_is_refused():
    with pytest.raises(ShapeError, match="not a square matrix"):
        symgd.parse(r"\min_w \|Xw - y\|^2 \quad w = w^\top")


def test_a_definite_declaration_of_a_matrix_that_is_not_square_is_refused():
    with pytest.raises(ShapeError, match="not a square matrix"):
        symgd.parse(r"\min_W \|W\|_F^2 \quad W \in \mathbb{R}^{n \times d}, W \succ 0")


def test_gaussian_covariance_gradient_uses_the_symmetry_and_is_the_symmetric_gradient():
    source = r"\min_\Sigma \log\det\Sigma + \operatorname{tr}(\Sigma^{-1} S) \quad \Sigma \in \mathbb{S}^n_{++}, S \in \mathbb{S}^n"
    problem = symgd.parse(source)
    derivation = symgd.gradient(problem)
    assert derivation.latex.endswith(r"= \Sigma^{-1} - \Sigma^{-1} S \Sigma^{-1}")   # no S^T, no Σ^{-T}
    assert any(r"\frac12(G + G^\top)" in note for note in derivation.notes)
    rng = np.random.default_rng(3)
    env = {"Sigma": _spd(rng, 5), "S": _spd(rng, 5)}
    _, grad = generate(problem).load().value_and_grad(**env)
    sigma_inv = inv(env["Sigma"])
    assert_close(grad, sigma_inv - sigma_inv @ env["S"] @ sigma_inv, rel=1e-10, what="hand-written")

    def f(Sigma, S):
        return np.linalg.slogdet(Sigma)[1] + tr(inv(Sigma) @ S)

    for _ in range(3):
        e = _symmetric_direction(rng, 5)
        assert np.isclose(np.sum(grad * e), _directional(f, env, "Sigma", e), rtol=1e-6)


SYMMETRIC_PARAMETER = [   # loss on a symmetric X (4 x 4), hand-written NumPy loss
    (r"\operatorname{tr}(A X)", lambda X, A: tr(A @ X)),
    (r"a^\top X b", lambda X, a, b: a @ X @ b),
    (r"\log\det X", lambda X: np.linalg.slogdet(X)[1]),
    (r"\operatorname{tr}(X^{-1} A)", lambda X, A: tr(inv(X) @ A)),
    (r"\|X - A\|_F^2", lambda X, A: np.sum((X - A) ** 2)),
    (r"\operatorname{tr}(X A X B)", lambda X, A, B: tr(X @ A @ X @ B)),
]


@pytest.mark.parametrize("loss, reference", SYMMETRIC_PARAMETER, ids=[c[0] for c in SYMMETRIC_PARAMETER])
def test_symmetric_parameter_gradient_is_symmetric_and_matches_symmetric_perturbations(loss, reference):
    problem = symgd.parse(r"\min_X " + loss + r" \quad X \in \mathbb{S}^n")
    rng = np.random.default_rng(len(loss))
    env = {"X": _spd(rng, 4)}
    env.update({name: rng.normal(size=(4, 4)) for name in ("A", "B") if name in loss})
    env.update({name: rng.normal(size=4) for name in ("a", "b") if f"{name}^" in loss or f" {name}" in loss})
    value, grad = generate(problem).load().value_and_grad(**env)
    assert np.isclose(value, reference(**env), rtol=1e-10)
    assert_close(grad, grad.T, rel=1e-12, what="symmetry")
    for _ in range(3):
        e = _symmetric_direction(rng, 4)
        assert np.isclose(np.sum(grad * e), _directional(reference, env, "X", e), rtol=1e-6, atol=1e-9)


COOKBOOK_2_8 = [   # (eq, loss, NumPy loss, the Cookbook's printed gradient for a symmetric X)
    ("141 tr AX", r"\operatorname{tr}(A X)", lambda X, A: tr(A @ X), lambda X, A: A + A.T - np.diag(np.diag(A))),
    ("142 det X", r"\det X", lambda X, A: det(X),
     lambda X, A: det(X) * (2 * inv(X) - np.diag(np.diag(inv(X))))),
    ("143 ln det X", r"\ln\det X", lambda X, A: np.linalg.slogdet(X)[1],
     lambda X, A: 2 * inv(X) - np.diag(np.diag(inv(X)))),
]


@pytest.mark.parametrize("case", COOKBOOK_2_8, ids=[c[0] for c in COOKBOOK_2_8])
def test_cookbook_structured_symmetric_forms(case):
    _, loss, reference, cookbook = case
    problem = symgd.parse(r"\min_X " + loss + r" \quad X \in \mathbb{S}^n")
    rng = np.random.default_rng(11)
    env = {"X": _spd(rng, 4), "A": rng.normal(size=(4, 4))}
    module = generate(problem).load()
    args = {name: env[name] for name in ("X", "A") if name in loss}
    _, grad = module.value_and_grad(**args)
    assert_close(2 * grad - np.diag(np.diag(grad)), cookbook(**env), rel=1e-10, what="2 G_s - G_s o I")
    e = _symmetric_direction(rng, 4)
    assert np.isclose(np.sum(grad * e), _directional(reference, env, "X", e), rtol=1e-6)


GAUSSIAN_MEAN = (r"\min_{\mu} \frac{N}{2}\log\det\Sigma + \frac12 \sum_{i=1}^N (x_i - \mu)^\top \Sigma^{-1} (x_i - \mu)"
                 r" \quad \Sigma \in \mathbb{S}^d_{++}")


@pytest.mark.parametrize("claim, verdict", [
    (r"\frac{\partial L}{\partial \mu} = \sum_{i=1}^N \Sigma^{-1}(\mu - x_i)", "correct"),
    (r"\frac{\partial L}{\partial \mu} = \sum_{i=1}^N \Sigma^{-1}(x_i - \mu)", "incorrect"),
])
def test_check_reads_a_gaussian_mean_gradient_with_the_declared_symmetric_covariance(claim, verdict):
    assert symgd.check(symgd.parse(GAUSSIAN_MEAN), claim).verdict == verdict


def test_check_accepts_the_textbook_covariance_gradient():
    problem = symgd.parse(GAUSSIAN_MEAN.replace(r"\min_{\mu}", r"\min_{\Sigma}"))
    claim = (r"\frac{\partial L}{\partial \Sigma} = \frac{N}{2}\Sigma^{-1} - \frac12 \sum_{i=1}^N "
             r"\Sigma^{-1}(x_i - \mu)(x_i - \mu)^\top \Sigma^{-1}")
    assert symgd.check(problem, claim).verdict == "correct"


SANDWICHED = [   # (loss with S symmetric, X n x d, the gradient's matrix form, NumPy loss)
    (r"\log\det(X^\top S X)", r"2 S X \left(X^\top S X\right)^{-1}",   # Matrix Cookbook eq. 55
     lambda X, S: np.linalg.slogdet(X.T @ S @ X)[1]),
    (r"\operatorname{tr}((X^\top S X)^{-1})", r"-2 S X \left(X^\top S X\right)^{-1} \left(X^\top S X\right)^{-1}",
     lambda X, S: tr(inv(X.T @ S @ X))),
    (r"\log\det(X S X^\top + 2 I)", r"2 \left(X S X^\top + 2 I\right)^{-1} X S",
     lambda X, S: np.linalg.slogdet(X @ S @ X.T + 2 * np.eye(len(X)))[1]),
]


@pytest.mark.parametrize("loss, form, reference", SANDWICHED, ids=[c[0] for c in SANDWICHED])
def test_a_matrix_sandwiching_a_symmetric_one_is_symmetric_in_the_matrix_form(loss, form, reference):
    """X^T S X is symmetric because S is declared so: the matrix form reads (X^T S X)^{-1}, never its
    transpose, and the generated gradient (which uses the symmetry) matches central differences."""
    problem = symgd.parse(r"\min_X " + loss + r" \quad S = S^\top")
    derivation = symgd.gradient(problem)
    assert derivation.latex == r"\frac{\partial L}{\partial X} = " + form
    rng = np.random.default_rng(len(loss))
    shape = (6, 4) if "X^\\top S" in loss else (4, 6)   # S is 6 x 6 either way; X not square
    env = {"X": rng.normal(size=shape), "S": _spd(rng, 6)}
    value, grad = generate(problem).load().value_and_grad(**env)
    assert np.isclose(value, reference(**env), rtol=1e-10)
    for _ in range(2):
        e = rng.normal(size=shape)
        assert np.isclose(np.sum(grad * e), _directional(reference, env, "X", e), rtol=1e-6)
    dims = dict(zip((str(d) for d in problem.shapes[problem.symbol("X")]), shape))
    assert_close(derivation.blocks[0].matrix.evaluate({**env, **dims}), grad, rel=1e-9, what="matrix form")
