"""A softmax (a sigmoid) beside the log-sum-exp (the softplus) of the same scores is read from it.

``value_and_grad`` of a cross-entropy computes both the loss's log-sum-exp of the scores and the
gradient's softmax of them. Each helper subtracts the maxima, exponentiates and sums on its own:
two exponentials of the whole score matrix where hand-written code takes one. With the
log-sum-exp l known, the softmax is one subtraction and one exponential, ``exp(z - l)``, and no
maxima, sums or division: the exponent is at most 0 (l is at least the largest score), so nothing
overflows, and its largest entry per column is exp(max - l) in [1/K, 1], so nothing underflows to
an all-zero column either. Only where the program computes that log-sum-exp anyway; a gradient
alone keeps the softmax helper.

The sigmoid is the softmax of two classes and softplus(z) = log(1 + e^z) their log-sum-exp: a
sigmoid beside the softplus of the same scores is ``exp(z - softplus(z))`` (the logistic loss's
``value_and_grad``, as hand-written code does), with an exponent ≤ 0 again; instead of the sigmoid
helper's seven passes, a subtraction and an exponential. (Not for the pair softplus(±z) of the
logistic loss with labels 0/1, which the stable pass has already split into log1p(e^{-|z|}) +
max(±z, 0): summing that into an array for the sigmoid cost more than the helper, measured.)
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with every softmax whose log-sum-exp (same scores, same axis) it also computes
    written as ``exp(z - lse)``, and every sigmoid whose softplus it computes as ``exp(z - softplus(z))``."""
    sums: dict = {}
    for node in ir.postorder(program.roots):
        if isinstance(node, ir.Reduce) and node.op == "logsumexp" and len(node.axes) == 1:
            sums[(id(node.arg), node.axes[0])] = node
        elif isinstance(node, ir.Map) and node.op == "softplus":
            sums[(id(node.args[0]), None)] = node
    if not sums:
        return program
    return program.with_roots(ir.rewrite(program.roots, lambda node: _from_sum(node, sums)))


def _from_sum(node: ir.Node, sums: dict) -> ir.Node:
    if isinstance(node, ir.Map) and node.op == "sigmoid":
        u = node.args[0]
        softplus = sums.get((id(u), None))
        return node if softplus is None else ir.apply("exp", ir.add(u, ir.neg(softplus)))   # exp(u - softplus(u))
    if not isinstance(node, ir.Softmax):
        return node
    total = sums.get((id(node.arg), node.axis))
    if total is None:
        return node
    kept = tuple(k for k in range(len(node.shape)) if k != node.axis)   # the log-sum-exp's axes
    spread = ir.broadcast(total, kept, node.shape)
    return ir.apply("exp", ir.add(node.arg, ir.neg(spread)))
