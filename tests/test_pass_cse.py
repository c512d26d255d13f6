"""The cse pass: shared nodes that cost a pass over an array are named once; views are not."""

import sympy

import symgd
from symgd.tensor import ir
from symgd.tensor.passes import cse

n, d = sympy.symbols("n d", integer=True, positive=True)
x, w, y = ir.input_(sympy.IndexedBase("X"), (n, d)), ir.input_(sympy.IndexedBase("w"), (d,)), \
    ir.input_(sympy.IndexedBase("y"), (n,))


def test_shared_products_are_named_once_and_views_are_not():
    z = ir.matmul(x, w)
    r = ir.add(z, ir.neg(y))
    loss = ir.matmul(r, r)
    grad = ir.matmul(ir.transpose(x, (1, 0)), r)
    program = cse.run(ir.Program((loss, grad), ("loss", "grad")))
    assert program.lets == (r,)
    assert cse.run(ir.Program((grad,), ("grad",))).lets == ()


def test_value_and_grad_computes_the_scores_once():
    source = r"L(w) = \sum_{i=1}^{n}\left(\exp(w^\top x_i) - y_i w^\top x_i\right)"
    text = symgd.codegen(source).source
    start = text.index("def value_and_grad")
    body = text[start:text.index("\ndef ", start)]
    assert body.count("x @ w") == 1
