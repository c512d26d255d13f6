"""A softmax (a sigmoid) beside the log-sum-exp (the softplus) of the same scores shares its work.

``value_and_grad`` of a cross-entropy computes both the loss's log-sum-exp of the scores and the
gradient's softmax of them. Each helper subtracts the maxima, exponentiates and sums on its own:
two exponentials of the whole score matrix where hand-written code takes one. Where both are
computed, both are written from one shifted exponential, as by hand:

    m = max(z),  e = exp(z - m),  s = Σ e,  logsumexp(z) = log s + m,  softmax(z) = e / s

(the exponent is ≤ 0, so nothing overflows, and s ≥ 1 holds the largest entry's 1, so nothing is
0 / 0). A gradient alone keeps the softmax helper.

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
    """The program with every softmax and log-sum-exp of the same scores along the same axis read
    from one shifted exponential, and every sigmoid whose softplus it computes as
    ``exp(z - softplus(z))``."""
    sums: dict = {}
    softmaxes: set = set()
    for node in ir.postorder(program.roots):
        if isinstance(node, ir.Reduce) and node.op == "logsumexp" and len(node.axes) == 1:
            sums[(id(node.arg), node.axes[0])] = node
        elif isinstance(node, ir.Softmax):
            softmaxes.add((id(node.arg), node.axis))
        elif isinstance(node, ir.Map) and node.op == "softplus":
            sums[(id(node.args[0]), None)] = node
    both = softmaxes & set(sums)
    if not both and not any(axis is None for _, axis in sums):
        return program
    return program.with_roots(ir.rewrite(program.roots, lambda node: _shared(node, sums, both)))


def _shared(node: ir.Node, sums: dict, both: set) -> ir.Node:
    if isinstance(node, ir.Map) and node.op == "sigmoid":
        u = node.args[0]
        softplus = sums.get((id(u), None))
        return node if softplus is None else ir.apply("exp", ir.add(u, ir.neg(softplus)))   # exp(u - softplus(u))
    if isinstance(node, ir.Softmax) and (id(node.arg), node.axis) in both:
        shifted, total = _shifted_exponential(node.arg, node.axis)
        return ir.mul(shifted, ir.power(_spread(total, node.axis, node.shape), -1))   # e / s
    if isinstance(node, ir.Reduce) and node.op == "logsumexp" and (id(node.arg), node.axes[0]) in both:
        _, total = _shifted_exponential(node.arg, node.axes[0])
        return ir.add(ir.apply("log", total), ir.reduce("max", node.arg, node.axes))   # log s + m
    return node


def _shifted_exponential(z: ir.Node, axis: int) -> tuple:
    """e = exp(z - max(z)) along ``axis`` and its sum s (one node each: hash-consed)."""
    shifted = ir.apply("exp", ir.add(z, ir.neg(_spread(ir.reduce("max", z, (axis,)), axis, z.shape))))
    return shifted, ir.reduce("sum", shifted, (axis,))


def _spread(vector: ir.Node, axis: int, shape) -> ir.Node:
    """A reduction along ``axis`` broadcast back to ``shape``."""
    return ir.broadcast(vector, tuple(k for k in range(len(shape)) if k != axis), shape)
