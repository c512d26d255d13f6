"""The cse pass: shared nodes that cost a pass over an array are named once; views are not."""

from fractions import Fraction

import numpy as np
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


def test_a_power_and_its_reciprocal_share_one_node():
    """sqrt(1 + r^2) for the loss and r / sqrt(1 + r^2) for the gradient: one root, named once."""
    r = ir.add(ir.matmul(x, w), ir.neg(y))
    inside = ir.add(ir.power(r, 2), ir.const(1))
    root = ir.power(inside, Fraction(1, 2))
    loss = ir.reduce("sum", root, (0,))
    grad = ir.matmul(ir.transpose(x, (1, 0)), ir.mul(r, ir.power(inside, Fraction(-1, 2))))
    program = cse.run(ir.Program((loss, grad), ("loss", "grad")))
    powers = [node for node in ir.postorder(program.roots) if isinstance(node, ir.Map) and node.op == "pow"]
    assert sorted(str(node.param) for node in powers) == ["-1", "1/2", "2"]
    assert root in program.lets
    alone = cse.run(ir.Program((grad,), ("grad",)))   # no root to share: the gradient as it was
    assert alone.roots == (grad,)


def test_generated_pseudo_huber_value_and_grad_takes_one_square_root():
    source = r"L(w) = \sum_{i=1}^{n}\delta^2\left(\sqrt{1 + \left(\frac{y_i - w^\top x_i}{\delta}\right)^2} - 1\right)"
    module = symgd.codegen(source)
    text = module.source
    start = text.index("def value_and_grad")
    assert text[start:text.index("\ndef ", start)].count("np.sqrt") == 1
    rng = np.random.default_rng(2)
    X, labels, weights, delta = rng.normal(size=(9, 4)), rng.normal(size=9), rng.normal(size=4), 1.7
    residual = labels - X @ weights
    root = np.sqrt(1 + (residual / delta) ** 2)
    value, gradient = module.load().value_and_grad(weights, labels, X, delta)
    assert np.isclose(value, np.sum(delta**2 * (root - 1)), rtol=1e-12)
    np.testing.assert_allclose(gradient, -X.T @ (residual / root), rtol=1e-12)
