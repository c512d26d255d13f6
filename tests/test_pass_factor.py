"""The factor pass: contractions sharing an operand are added before contracting (distributive law)."""

from fractions import Fraction

import numpy as np
import sympy

import symgd
from symgd.tensor import ir
from symgd.tensor.passes import factor
from symgd.tensor.evaluate import evaluate

n, d = sympy.symbols("n d", integer=True, positive=True)
X, a, b = sympy.IndexedBase("X"), sympy.IndexedBase("a"), sympy.IndexedBase("b")
x, va, vb = ir.input_(X, (n, d)), ir.input_(a, (n,)), ir.input_(b, (n,))
DIMS = {"i": n, "k": d}
rng = np.random.default_rng(1)
ENV = {X: rng.normal(size=(7, 3)), a: rng.normal(size=7), b: rng.normal(size=7), n: 7, d: 3}


def _run(node):
    (out,) = factor.run(ir.Program((node,), ("out",))).roots
    return out


def test_gamma_glm_shape_sum_over_x_minus_weighted_sum():
    plain = ir.contract([x], ["ik"], "k", DIMS)                       # Σ_i x_ik
    weighted = ir.contract([va, x], ["i", "ik"], "k", DIMS)           # Σ_i a_i x_ik
    node = ir.add(plain, ir.neg(weighted))
    out = _run(node)
    assert isinstance(out, ir.Contract) and len(out.args) == 2 and x in out.args
    assert np.allclose(evaluate(out, ENV), ENV[X].sum(axis=0) - ENV[X].T @ ENV[a])


def test_terms_with_the_operand_in_another_role_stay_apart():
    first = ir.contract([va, x], ["i", "ik"], "k", DIMS)
    other = ir.contract([x, ir.input_(sympy.IndexedBase("c"), (d,))], ["ik", "k"], "i", DIMS)   # X c: shape (n,)
    node = ir.add(first, ir.contract([vb, x], ["i", "ik"], "k", DIMS))
    out = _run(node)
    assert isinstance(out, ir.Contract) and out.args[0] is x
    assert np.allclose(evaluate(out, ENV), ENV[X].T @ (ENV[a] + ENV[b]))
    assert _run(ir.add(other, va)) is ir.add(other, va)


def test_generated_gamma_gradient_is_one_matrix_vector_product():
    source = r"L(\beta) = \sum_{i=1}^{n}(y_i e^{-x_i^\top\beta} + x_i^\top\beta)"
    text = symgd.codegen(source).source
    grad = text[text.index("def grad"):text.index("def value_and_grad")]
    assert grad.count("@") == 2 and "[:, None]" not in grad and ".sum(axis" not in grad


def test_a_shared_vector_is_not_factored_out_of_products_with_matrices():
    # ½ x^T A x: Σ_a x_a A_ab and Σ_a x_a A_ba share x, but A/2 + A^T/2 would be a new d × d array
    A = sympy.IndexedBase("A")
    xs, mat = ir.input_(X, (d,)), ir.input_(A, (d, d))
    env = {X: rng.normal(size=3), A: rng.normal(size=(3, 3)), d: 3}
    node = ir.add(ir.mul(ir.const(Fraction(1, 2)), ir.contract([xs, mat], ["a", "ab"], "b", {"a": d, "b": d})),
                  ir.mul(ir.const(Fraction(1, 2)), ir.contract([xs, mat], ["a", "ba"], "b", {"a": d, "b": d})))
    out = _run(node)
    assert all(node.shape != (d, d) for node in ir.postorder([out]) if isinstance(node, ir.Map))
    assert np.allclose(evaluate(out, env), (env[A] + env[A].T) @ env[X] / 2)


def test_quadratic_form_gradient_builds_no_matrix():
    text = symgd.codegen(r"f(x) = \frac{1}{2}x^\top A x - b^\top x").source
    grad = text[text.index("def grad"):text.index("def value_and_grad")]
    assert "A / 2" not in grad and "A.T / 2" not in grad and grad.count("@") == 2


def test_a_scalar_contraction_times_an_array_is_not_a_contraction_to_share():
    """(Σ_i a_i) X + (Σ_i a_i) X ⊙ X once lost its arrays: the scalar Σ_i a_i was read as the shared
    contraction and X, X ⊙ X as coefficients (the softmax Hessian's matrix form had the wrong shape)."""
    total = ir.contract([va], ["i"], "", DIMS)
    node = ir.add(ir.mul(total, x), ir.mul(total, x, x))
    out = _run(node)
    assert out.shape == (n, d)
    assert np.allclose(evaluate(out, ENV), ENV[a].sum() * (ENV[X] + ENV[X] ** 2))


def test_a_broadcast_term_comes_out_of_a_contracted_sum():
    Z, Y = sympy.IndexedBase("Z"), sympy.IndexedBase("Y")
    z, y = ir.input_(Z, (d, n)), ir.input_(Y, (n, d))
    shifted = ir.add(z, ir.broadcast(ir.neg(va), (1,), (d, n)))              # z - a[None, :] (log-softmax)
    out = _run(ir.contract([shifted, y], ["ki", "ik"], "", DIMS))          # Σ_ik (z_ki - a_i) Y_ik
    assert not any(isinstance(node, ir.Broadcast) and node.shape == (d, n) for node in ir.postorder([out]))
    env = {**ENV, Z: rng.normal(size=(3, 7)), Y: rng.normal(size=(7, 3))}
    expected = np.sum((env[Z] - env[a][None, :]) * env[Y].T)
    assert np.isclose(evaluate(out, env), expected)
    kept = ir.contract([shifted, va], ["ki", "i"], "k", DIMS)              # the broadcast's letter is not a's: kept
    assert np.allclose(evaluate(_run(kept), ENV | {Z: env[Z]}), (env[Z] - env[a][None, :]) @ env[a])


def test_inner_products_with_a_shared_vector_stay_apart():
    """The inner products a^T b - a^T a: factoring a out would add a temporary b - a of a's
    size to save nothing (one pass over a for one over the sum)."""
    node = ir.add(ir.contract([va, vb], ["i", "i"], "", DIMS), ir.neg(ir.contract([va, va], ["i", "i"], "", DIMS)))
    out = _run(node)
    assert out is node
    assert np.isclose(evaluate(out, ENV), ENV[a] @ ENV[b] - ENV[a] @ ENV[a])


def test_quadratic_form_value_has_no_temporary_for_its_inner_products():
    text = symgd.codegen(r"f(x) = \frac{1}{2}x^\top A x - b^\top x").source
    start = text.index("def value_and_grad")
    assert "- b)" not in text[start:text.index("\ndef ", start)]
