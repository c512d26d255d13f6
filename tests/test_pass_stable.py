"""The stable pass: the unstable spellings that differentiation brings back are rewritten, values kept."""

from fractions import Fraction

import numpy as np
import sympy

from symgd.tensor import ir
from symgd.tensor.passes import stable
from symgd.tensor.evaluate import evaluate

n = sympy.Symbol("n", integer=True, positive=True)
U = sympy.IndexedBase("u")
u = ir.input_(U, (n,))


def _run(node):
    (out,) = stable.run(ir.Program((node,), ("out",))).roots
    return out


def _ops(node):
    return {n.op for n in ir.postorder([node]) if isinstance(n, ir.Map)}


def _values(node, scores):
    with np.errstate(all="ignore"):
        return evaluate(node, {U: scores, n: len(scores)})


SCORES = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 30.0, 1000.0])
MODERATE = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])
e = ir.apply("exp", u)
one_plus = ir.add(ir.const(1), e)


def test_derivative_of_softplus_becomes_the_sigmoid():
    node = ir.mul(e, ir.power(one_plus, -1))   # e^u / (1 + e^u)
    out = _run(node)
    assert out is ir.apply("sigmoid", u)
    assert np.allclose(_values(out, MODERATE), _values(node, MODERATE))
    assert np.all(np.isfinite(_values(out, SCORES)))
    assert not np.all(np.isfinite(_values(node, SCORES)))


def test_second_derivative_becomes_a_product_of_sigmoids():
    node = ir.add(ir.mul(e, ir.power(one_plus, -1)), ir.neg(ir.mul(ir.apply("exp", ir.mul(ir.const(2), u)),
                                                                  ir.power(one_plus, -2))))
    out = _run(node)
    assert "exp" not in _ops(out)
    assert np.allclose(_values(out, MODERATE), _values(node, MODERATE))
    assert np.all(np.isfinite(_values(out, SCORES)))


def test_negative_scores_and_one_minus_sigmoid():
    node = ir.power(ir.add(ir.const(1), ir.apply("exp", ir.neg(u))), -1)   # 1 / (1 + e^-u)
    assert _run(node) is ir.apply("sigmoid", u)
    assert _run(ir.add(ir.const(1), ir.neg(ir.apply("sigmoid", u)))) is ir.apply("sigmoid", ir.neg(u))
    assert _run(ir.add(e, ir.const(-1))) is ir.apply("expm1", u)


def test_logs_of_positive_things():
    assert _run(ir.apply("log", e)) is u
    assert _run(ir.apply("log", one_plus)) is ir.apply("softplus", u)
    node = ir.apply("log", ir.power(ir.add(ir.const(1), ir.apply("exp", ir.neg(u))), -1))   # log σ(u), spelt out
    out = _run(node)
    assert "exp" not in _ops(out) and "log" not in _ops(out)
    assert np.allclose(_values(out, MODERATE), _values(node, MODERATE))
    assert np.all(np.isfinite(_values(out, SCORES)))
    assert _run(ir.apply("log", ir.add(ir.const(1), ir.power(u, 2)))) is ir.apply("log1p", ir.power(u, 2))


def test_other_expressions_are_left_alone():
    node = ir.mul(ir.apply("tanh", u), ir.power(ir.add(ir.const(2), e), -1))
    assert _run(node) is node


def test_operands_of_one_contraction_over_the_same_axes_are_rewritten_as_a_product():
    # Σ_a e^{u_a} (1 + e^{u_a})^{-1} y_a, the intercept's derivative of a logistic loss: three operands of a
    # contraction, never one elementwise product; the pass left e^u · σ(-u), inf · 0 = NaN at u = 1000
    Y = sympy.IndexedBase("y")
    y = ir.input_(Y, (n,))
    node = ir.contract([ir.power(one_plus, -1), y, e], ["a", "a", "a"], "", {"a": n})
    out = _run(node)
    assert "exp" not in _ops(out)
    labels = np.array([1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0])
    with np.errstate(all="ignore"):
        value = evaluate(out, {U: SCORES, Y: labels, n: len(SCORES)})
        moderate = evaluate(out, {U: MODERATE, Y: labels[:5], n: 5})
        expected = evaluate(node, {U: MODERATE, Y: labels[:5], n: 5})
    assert np.isfinite(value)
    assert np.isclose(moderate, expected)


def test_one_minus_a_quotient_by_one_plus_its_numerator_is_the_reciprocal():
    t = ir.mul(ir.power(u, 2), ir.const(Fraction(1, 4)))   # t = u² / 4 >= 0 (the pseudo-Huber Hessian's)
    g = ir.add(t, ir.const(1))
    node = ir.add(ir.const(1), ir.neg(ir.mul(t, ir.power(g, -1))))   # 1 - t / (1 + t)
    out = _run(node)
    assert out is ir.power(g, -1)
    assert np.allclose(_values(out, MODERATE), _values(node, MODERATE), rtol=1e-14)
    big = np.array([1e6, 1e9, -1e12])
    assert np.allclose(_values(out, big), 1 / (1 + big**2 / 4), rtol=1e-14)   # no cancellation
    other = ir.add(ir.const(2), ir.neg(ir.mul(t, ir.power(g, -1))))   # 2 - t / (1 + t): not of the form
    assert _run(other) is other
