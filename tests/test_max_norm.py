"""The max-norm \\|v\\|_\\infty = max_i |v_i| of a vector: value, gradient sign(v_k) e_k, non-smooth report, code.

References are hand-written NumPy (the largest absolute entry) and central differences of it; at a random
point the largest |v_i| is unique, so the max-norm is differentiable there.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from corpus.harness import central_differences
from helpers import assert_close, block_values, evaluate, random_env
from symgd.codegen import generate

CHEBYSHEV = r"\mbox{minimize}\ \ \|Ax - b\|_\infty"


def _chebyshev(A, x, b):
    return np.max(np.abs(A @ x - b))


def _sizes(problem, rows, cols):
    """m rows (the residual's length) and n columns (x's length), whatever symgd named them."""
    (x,) = problem.params
    (n,) = problem.shapes[x]
    m = next(d for d in problem.dims if d != n)
    return {str(m): rows, str(n): cols}


@pytest.mark.parametrize("rows, cols", [(7, 3), (4, 6)])
def test_chebyshev_gradient_matches_central_differences(rows, cols):
    problem = symgd.parse(CHEBYSHEV, wrt="x")
    env = random_env(problem, seed=2, sizes=_sizes(problem, rows, cols))
    args = {"A": env["A"], "x": env["x"], "b": env["b"]}
    assert args["A"].shape == (rows, cols)
    assert evaluate(problem.objective, env) == pytest.approx(_chebyshev(**args), rel=1e-12)
    (block,) = symgd.gradient(problem).blocks
    slope = central_differences(lambda values: _chebyshev(**values), args, "x")
    assert_close(block_values(block, env, problem), slope, rel=1e-6, what="gradient in x")


@pytest.mark.parametrize("spelling", [r"\|v\|_\infty", r"\|v\|_{\infty}", r"\left\|v\right\|_\infty"])
def test_max_norm_of_a_named_vector_plus_a_smooth_term(spelling):
    problem = symgd.parse(spelling + r" + \frac12\|v - c\|^2", wrt="v")
    env = random_env(problem, seed=5)

    def reference(v, c):
        return np.max(np.abs(v)) + 0.5 * np.sum((v - c) ** 2)

    args = {"v": env["v"], "c": env["c"]}
    assert evaluate(problem.objective, env) == pytest.approx(reference(**args), rel=1e-12)
    (block,) = symgd.gradient(problem).blocks
    assert_close(block_values(block, env, problem), central_differences(lambda a: reference(**a), args, "v"),
                 rel=1e-6, what="gradient in v")


def test_plain_text_spelling():
    problem = symgd.parse("norminf(A*x - b)", wrt="x")
    env = random_env(problem, seed=6)
    assert evaluate(problem.objective, env) == pytest.approx(_chebyshev(env["A"], env["x"], env["b"]), rel=1e-12)


def test_matrix_form_notes_and_nonsmooth_report():
    derivation = symgd.gradient(CHEBYSHEV, wrt="x")
    (block,) = derivation.blocks
    assert block.matrix.latex == r"A^\top \operatorname{sign}(v_{i^*})\, e_{i^*}"
    assert any("v = A x - b" in note for note in derivation.notes)
    (kink,) = derivation.nonsmooth
    assert r"\infty" in kink.construct and "tie for the largest" in kink.condition


@pytest.mark.parametrize("rows, cols", [(7, 3), (4, 6)])
def test_generated_module_matches_numpy(rows, cols):
    module = generate(symgd.parse(CHEBYSHEV, wrt="x")).load()
    rng = np.random.default_rng(9)
    A, x, b = rng.standard_normal((rows, cols)), rng.standard_normal(cols), rng.standard_normal(rows)
    assert module.loss(x, A, b) == pytest.approx(_chebyshev(A, x, b), rel=1e-12)
    slope = central_differences(lambda values: _chebyshev(**values), {"A": A, "x": x, "b": b}, "x")
    assert_close(module.grad(x, A, b), slope, rel=1e-6, what="generated gradient")
    value, gradient = module.value_and_grad(x, A, b)
    assert value == pytest.approx(_chebyshev(A, x, b), rel=1e-12)
    np.testing.assert_array_equal(gradient, module.grad(x, A, b))


def test_a_tie_gives_a_subgradient():
    """|v_0| = |v_2| largest: sign(v_k) e_k at one of them, inside the subdifferential (ℓ1 norm 1, ⟨g, v⟩ = ‖v‖_∞)."""
    module = generate(symgd.parse(r"\|v\|_\infty", wrt="v")).load()
    v = np.array([-2.0, 1.0, 2.0, 0.5])
    g = module.grad(v)
    assert np.sum(np.abs(g)) == pytest.approx(1.0)
    assert g @ v == pytest.approx(2.0)
    np.testing.assert_array_equal(module.grad(np.zeros(3)), np.zeros(3))


def test_max_norm_of_a_matrix_is_refused():
    with pytest.raises(symgd.UnsupportedError, match="infinity-norm of the matrix"):
        symgd.gradient(r"\|X\|_\infty", wrt="X")


def test_hessian_is_refused():
    with pytest.raises(symgd.UnsupportedError, match="second derivative of the max-norm"):
        symgd.hessian(r"\|v\|_\infty + \frac12\|v\|^2", wrt="v")


def test_explain_steps_are_verified():
    explanation = symgd.explain(CHEBYSHEV, wrt="x")
    assert all(step.discrepancy is not None and step.discrepancy < 1e-6 for step in explanation.steps)
