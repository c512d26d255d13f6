"""A softmax beside the log-sum-exp of the same scores is read from it: softmax(z) = exp(z - lse(z)).

``value_and_grad`` of a cross-entropy computes both the loss's log-sum-exp of the scores and the
gradient's softmax of them. Each helper subtracts the maxima, exponentiates and sums on its own:
two exponentials of the whole score matrix where hand-written code takes one. With the
log-sum-exp l known, the softmax is one subtraction and one exponential, ``exp(z - l)``, and no
maxima, sums or division: the exponent is at most 0 (l is at least the largest score), so nothing
overflows, and its largest entry per column is exp(max - l) in [1/K, 1], so nothing underflows to
an all-zero column either. Only where the program computes that log-sum-exp anyway; a gradient
alone keeps the softmax helper.
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with every softmax whose log-sum-exp (same scores, same axis) it also computes
    written as ``exp(z - lse)``."""
    sums = {(id(node.arg), node.axes[0]): node for node in ir.postorder(program.roots)
            if isinstance(node, ir.Reduce) and node.op == "logsumexp" and len(node.axes) == 1}
    if not sums:
        return program
    return program.with_roots(ir.rewrite(program.roots, lambda node: _from_sum(node, sums)))


def _from_sum(node: ir.Node, sums: dict) -> ir.Node:
    if not isinstance(node, ir.Softmax):
        return node
    total = sums.get((id(node.arg), node.axis))
    if total is None:
        return node
    kept = tuple(k for k in range(len(node.shape)) if k != node.axis)   # the log-sum-exp's axes
    spread = ir.broadcast(total, kept, node.shape)
    return ir.apply("exp", ir.add(node.arg, ir.neg(spread)))
