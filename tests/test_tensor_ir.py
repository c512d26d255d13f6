"""The tensor IR: interning, folding, the checker and the printer."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

from symgd.errors import InternalError
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate

n, d = sympy.symbols("n d", integer=True, positive=True)
X, w, y = sympy.IndexedBase("X"), sympy.IndexedBase("w"), sympy.IndexedBase("y")


def test_equal_nodes_are_one_node():
    a = ir.contract([ir.input_(X, (n, d)), ir.input_(w, (d,))], ["ab", "b"], "a", {"a": n, "b": d})
    b = ir.contract([ir.input_(X, (n, d)), ir.input_(w, (d,))], ["ab", "b"], "a", {"a": n, "b": d})
    assert a is b
    assert ir.add(a, ir.input_(y, (n,))) is ir.add(b, ir.input_(y, (n,)))


def test_constructors_fold_numbers_and_flatten():
    v = ir.input_(y, (n,))
    assert ir.mul(ir.const(2), ir.const(Fraction(1, 2)), v) is v
    assert ir.add(v, ir.const(0)) is v
    assert ir.mul(ir.const(3), ir.mul(ir.const(2), v)).args == (ir.const(6), v)
    assert ir.neg(ir.neg(v)) is v
    assert ir.power(ir.power(v, 2), 3) is ir.power(v, 6)
    assert ir.transpose(ir.transpose(ir.input_(X, (n, d)), (1, 0)), (1, 0)) is ir.input_(X, (n, d))
    zero = ir.mul(ir.const(0), v)
    assert isinstance(zero, ir.Broadcast) and zero.shape == (n,)


def test_shapes_follow_from_operands():
    x = ir.input_(X, (n, d))
    assert ir.matmul(ir.transpose(x, (1, 0)), x).shape == (d, d)
    assert ir.matmul(x, ir.input_(w, (d,))).shape == (n,)
    assert ir.reduce("sum", x, (0,)).shape == (d,)
    assert ir.broadcast(ir.input_(y, (n,)), (0,), (n, d)).shape == (n, d)
    assert ir.matfn("logdet", ir.input_(X, (d, d))).shape == ()


def test_mismatched_elementwise_operands_are_refused():
    with pytest.raises(InternalError, match="different shapes"):
        ir.add(ir.input_(y, (n,)), ir.input_(w, (d,)))


@pytest.mark.parametrize("bad, message", [
    (lambda: ir.intern(ir.Map("exp", (ir.input_(y, (n,)),), (d,))), "another shape"),
    (lambda: ir.intern(ir.MatMul(ir.input_(X, (n, d)), ir.input_(y, (n,)), (n,))), "operands"),
    (lambda: ir.intern(ir.Contract((ir.input_(X, (n, d)), ir.input_(y, (n,))), ("ab", "b"), "a", (n,))),
     "two lengths"),
    (lambda: ir.intern(ir.Diagonal(ir.input_(X, (n, d)), (n,))), "square"),
    (lambda: ir.intern(ir.Broadcast(ir.input_(y, (n,)), (1,), (n, d))), "do not fit"),
])
def test_checker_names_malformed_nodes(bad, message):
    node = bad()
    with pytest.raises(InternalError, match=message):
        ir.check([ir.add(node, node) if node.shape else node])


def test_pretty_lists_each_node_once_with_its_shape():
    x = ir.input_(X, (n, d))
    z = ir.matmul(x, ir.input_(w, (d,)))
    r = ir.add(z, ir.neg(ir.input_(y, (n,))))
    text = ir.pretty([ir.matmul(r, r), ir.matmul(ir.transpose(x, (1, 0)), r)], ("loss", "grad"))
    assert text.count("matmul(X, w)") == 1
    assert "(n,) = add(" in text
    assert text.splitlines()[-1].startswith("return loss=%")


def test_postorder_puts_operands_first_and_rewrite_rebuilds():
    x, v = ir.input_(X, (n, d)), ir.input_(w, (d,))
    z = ir.matmul(x, v)
    root = ir.apply("exp", z)
    order = ir.postorder([root])
    assert order.index(z) < order.index(root)
    (swapped,) = ir.rewrite([root], lambda node: ir.apply("tanh", *node.args) if isinstance(node, ir.Map) else node)
    assert swapped is ir.apply("tanh", z)


def test_interpreter_agrees_with_numpy():
    rng = np.random.default_rng(0)
    env = {X: rng.normal(size=(5, 3)), w: rng.normal(size=3), n: 5, d: 3}
    x = ir.input_(X, (n, d))
    node = ir.contract([x, ir.input_(w, (d,))], ["ab", "b"], "a", {"a": n, "b": d})
    assert np.allclose(evaluate(node, env), env[X] @ env[w])


def test_printer_makes_broadcasts_explicit_where_no_operand_has_the_full_shape():
    from symgd.tensor.print_numpy import NumpyPrinter
    v = ir.input_(y, (n,))
    c = ir.input_(sympy.Symbol("c"), ())
    outer = ir.mul(ir.broadcast(v, (0,), (n, d)), c)
    names = {y: "y", sympy.Symbol("c"): "c", n: "n", d: "d"}
    _, (code,) = NumpyPrinter(names, set()).render(ir.Program((outer,), ("out",)))
    value = eval(code, {"np": np, "y": np.arange(3.0), "c": 2.0, "n": 3, "d": 4})  # generated code, no user text
    assert value.shape == (3, 4) and np.allclose(value, 2.0 * np.arange(3.0)[:, None])
