"""The scale pass: scalar factors go on the smallest operand of a contraction, or stay outside."""

import sympy

from symgd.tensor import ir
from symgd.tensor.passes import scale

n, d = sympy.symbols("n d", integer=True, positive=True)
x = ir.input_(sympy.IndexedBase("X"), (n, d))
r = ir.input_(sympy.IndexedBase("r"), (n,))
c = ir.input_(sympy.Symbol("c"), ())
DIMS = {"i": n, "k": d, "l": d}


def _run(*roots):
    return scale.run(ir.Program(roots, tuple(f"r{n}" for n in range(len(roots))))).roots


def test_the_vector_operand_takes_the_factor():
    square = ir.input_(sympy.IndexedBase("A"), (d, d))
    v = ir.input_(sympy.IndexedBase("v"), (d,))
    (out,) = _run(ir.mul(ir.const(2), c, ir.contract([square, v], ["kl", "l"], "k", DIMS)))
    assert isinstance(out, ir.Contract) and ir.mul(ir.const(2), c, v) in out.args   # A @ (2 c v)


def test_a_vector_along_the_samples_summed_into_a_gradient_leaves_the_factor_on_the_gradient():
    scaled = ir.mul(ir.const(2), c, ir.contract([x, r], ["ik", "i"], "k", DIMS))   # the result has w's axis d
    assert _run(scaled) == (scaled,)                                             # X.T @ r * (2 c): a d-vector pass
    already = ir.mul(ir.const(2), ir.contract([x, ir.mul(c, r)], ["ik", "i"], "k", DIMS))
    (out,) = _run(already)
    assert isinstance(out, ir.Contract) and ir.mul(ir.const(2), c, r) in out.args   # X.T @ (r * (2 c)): one pass


def test_a_negation_goes_into_a_sum_with_as_many_negative_terms():
    s = ir.input_(sympy.IndexedBase("s"), (n,))
    (out,) = _run(ir.neg(ir.contract([x, ir.add(r, ir.neg(s))], ["ik", "i"], "k", DIMS)))   # -(X.T @ (r - s))
    assert isinstance(out, ir.Contract) and ir.add(s, ir.neg(r)) in out.args                  # X.T @ (s - r)
    kept = ir.neg(ir.contract([x, ir.add(r, s)], ["ik", "i"], "k", DIMS))
    assert _run(kept) == (kept,)   # -(X.T @ (r + s)): the negation of the d-vector


def test_matrix_products_and_scalar_results_keep_the_factor_outside():
    gram = ir.mul(c, ir.contract([x, x], ["ik", "il"], "kl", DIMS))
    dot = ir.mul(c, ir.contract([r, ir.input_(sympy.IndexedBase("s"), (n,))], ["i", "i"], "", DIMS))
    assert _run(gram) == (gram,)
    assert _run(dot) == (dot,)


def test_a_shared_contraction_keeps_the_factor_outside():
    z = ir.contract([x, ir.input_(sympy.IndexedBase("w"), (d,))], ["ik", "k"], "i", DIMS)
    negated = ir.neg(z)
    assert _run(negated, ir.apply("exp", z)) == (negated, ir.apply("exp", z))


def test_a_scaled_operand_shared_by_products_gives_its_number_to_their_sum():
    square = ir.input_(sympy.IndexedBase("A"), (d, d))
    v = ir.input_(sympy.IndexedBase("v"), (d,))
    half = ir.mul(ir.const(sympy.Rational(1, 2)), v)
    total = ir.add(ir.matmul(square, half), ir.matmul(ir.transpose(square, (1, 0)), half), ir.neg(v))
    (out,) = scale.run_shared(ir.Program((total,), ("r0",))).roots
    products = ir.add(ir.matmul(square, v), ir.matmul(ir.transpose(square, (1, 0)), v))
    assert out == ir.add(ir.mul(ir.const(sympy.Rational(1, 2)), products), ir.neg(v))   # (A v + A.T v) / 2 - v


def test_a_symbolic_number_on_a_shared_operand_goes_on_the_product():
    w = ir.input_(sympy.IndexedBase("w"), (d,))
    residual = ir.add(ir.matmul(x, w), ir.neg(r))                            # r = X w - y, shared
    scaled = ir.mul(ir.power(ir.input_(n, ()), -1), residual)                # r / n
    roots = (ir.matmul(residual, residual), ir.matmul(ir.transpose(x, (1, 0)), scaled))
    _, out = scale.run_shared(ir.Program(roots, ("loss", "grad"))).roots
    assert isinstance(out, ir.Map) and out.op == "mul" and any(isinstance(f, ir.MatMul) for f in out.args)   # X.T @ r / n


def test_numbers_on_a_matrix_plus_lambda_i_go_on_both_terms():
    gram = ir.contract([x, x], ["ik", "il"], "kl", DIMS)
    shifted = ir.add(ir.mul(c, ir.identity(d)), ir.mul(ir.power(ir.input_(n, ()), -1), gram))
    (out,) = _run(ir.mul(ir.const(2), shifted))
    assert out is ir.add(ir.mul(ir.const(2), c, ir.identity(d)),
                         ir.mul(ir.const(2), ir.power(ir.input_(n, ()), -1), gram))
    (kept,) = _run(ir.mul(ir.const(2), ir.add(gram, gram.args[0] if False else ir.transpose(gram, (1, 0)))))
    assert isinstance(kept, ir.Map) and kept.op == "mul"   # no identity: the number stays on the sum
