"""The softmax pass: a softmax and the log-sum-exp of the same scores share one shifted exponential, a
sigmoid beside the softplus of its scores is exp(z - softplus(z)); values kept (checked against NumPy
written from the definition, also at scores of ±1000)."""

import numpy as np
import sympy

import symgd
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.passes import softmax

K, n = sympy.symbols("K n", integer=True, positive=True)
Z = sympy.IndexedBase("z")
z = ir.input_(Z, (K, n))
lse = ir.reduce("logsumexp", z, (0,))
probabilities = ir.softmax(z, 0)


def _run(*roots):
    return softmax.run(ir.Program(tuple(roots), tuple(f"r{k}" for k in range(len(roots))))).roots


def _reference_softmax(scores):
    shifted = np.exp(scores - scores.max(axis=0))
    return shifted / shifted.sum(axis=0)


def _reference_lse(scores):
    top = scores.max(axis=0)
    return top + np.log(np.exp(scores - top).sum(axis=0))


def _exponentials(node):
    return [m for m in ir.postorder([node]) if isinstance(m, ir.Map) and m.op == "exp"]


def test_a_softmax_and_its_log_sum_exp_share_one_shifted_exponential():
    value, gradient = _run(ir.reduce("sum", lse, (0,)), probabilities)
    assert not any(isinstance(node, ir.Softmax) or isinstance(node, ir.Reduce) and node.op == "logsumexp"
                   for node in ir.postorder([value, gradient]))
    (shared,) = _exponentials(gradient)
    assert _exponentials(value) == [shared]   # one exp node, computed once for both
    rng = np.random.default_rng(0)
    for scores in (rng.normal(size=(4, 7)), 1000.0 * rng.normal(size=(4, 7))):
        env = {Z: scores, K: 4, n: 7}
        got = evaluate(gradient, env)
        assert np.allclose(got, _reference_softmax(scores), rtol=1e-12, atol=1e-300)
        assert np.all(np.isfinite(got)) and np.allclose(got.sum(axis=0), 1.0)
        assert np.isclose(evaluate(value, env), _reference_lse(scores).sum(), rtol=1e-13)


def test_a_softmax_alone_or_along_another_axis_is_kept():
    assert _run(probabilities) == (probabilities,)
    other = ir.reduce("logsumexp", z, (1,))   # a log-sum-exp along the other axis says nothing here
    assert _run(other, probabilities)[1] is probabilities
    shifted = ir.softmax(ir.mul(ir.const(2), z), 0)   # other scores
    assert _run(lse, shifted)[1] is shifted


def test_generated_value_and_grad_of_the_cross_entropy_exponentiates_the_scores_once():
    module = symgd.codegen(r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}"
                           r"{\sum_{j=1}^{K}\exp(w_j^\top x_i)}")
    body = module.source[module.source.index("def value_and_grad"):]
    body = body[:body.index("\ndef ")]
    assert "softmax(" not in body and "logsumexp(" not in body and body.count("np.exp") == 1
    rng = np.random.default_rng(1)
    W, x = rng.normal(size=(3, 5)), rng.normal(size=(11, 5)) * 300   # scores of several hundred
    Y = np.eye(3)[rng.integers(0, 3, size=11)] * rng.uniform(0.5, 2.0, size=(11, 1))   # rows not summing to 1
    value, gradient = module.load().value_and_grad(W, Y, x)
    scores = x @ W.T
    top = scores.max(axis=1, keepdims=True)
    log_p = scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
    assert np.isclose(value, -np.sum(Y * log_p), rtol=1e-10)
    expected = (np.exp(log_p) * Y.sum(axis=1, keepdims=True) - Y).T @ x
    assert np.allclose(gradient, expected, rtol=1e-9, atol=1e-9)


def test_a_sigmoid_beside_the_softplus_of_the_same_scores_is_read_from_it():
    u = ir.input_(sympy.IndexedBase("u"), (n,))
    value, gradient = _run(ir.reduce("sum", ir.apply("softplus", u), (0,)), ir.apply("sigmoid", u))
    assert not any(isinstance(node, ir.Map) and node.op == "sigmoid" for node in ir.postorder([gradient]))
    scores = np.array([-1000.0, -40.0, -3.0, 0.0, 0.5, 3.0, 40.0, 1000.0])
    with np.errstate(under="ignore"):
        got = evaluate(gradient, {sympy.IndexedBase("u"): scores, n: len(scores)})
    expected = np.where(scores >= 0, 1 / (1 + np.exp(-np.abs(scores))), np.exp(-np.abs(scores)) / (1 + np.exp(-np.abs(scores))))
    assert np.allclose(got, expected, rtol=1e-13, atol=0)
    alone = ir.apply("sigmoid", u)
    assert _run(alone) == (alone,)   # no softplus computed: the sigmoid helper stays
    assert _run(ir.apply("softplus", ir.mul(ir.const(2), u)), alone)[1] is alone
