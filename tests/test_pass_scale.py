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
    (out,) = _run(ir.mul(ir.const(2), c, ir.contract([x, r], ["ik", "i"], "k", DIMS)))
    assert isinstance(out, ir.Contract) and ir.mul(ir.const(2), c, r) in out.args


def test_matrix_products_and_scalar_results_keep_the_factor_outside():
    gram = ir.mul(c, ir.contract([x, x], ["ik", "il"], "kl", DIMS))
    dot = ir.mul(c, ir.contract([r, ir.input_(sympy.IndexedBase("s"), (n,))], ["i", "i"], "", DIMS))
    assert _run(gram) == (gram,)
    assert _run(dot) == (dot,)


def test_a_shared_contraction_keeps_the_factor_outside():
    z = ir.contract([x, ir.input_(sympy.IndexedBase("w"), (d,))], ["ik", "k"], "i", DIMS)
    negated = ir.neg(z)
    assert _run(negated, ir.apply("exp", z)) == (negated, ir.apply("exp", z))
