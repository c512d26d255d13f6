"""Common sub-expressions: which shared nodes are computed once into a local name.

Hash-consing already makes every repeated sub-expression one node, across all the results of a
function (the loss and the gradient in ``value_and_grad``, the blocks of a Hessian). This pass
chooses the nodes worth a name: used more than once, and costing a pass over an array or a BLAS
call (views such as transposes and broadcasts, negations, which print as subtraction, inputs,
numbers and cheap scalar arithmetic such as ``2 * n`` are repeated instead). The bindings come operands first.
"""

from __future__ import annotations

from symgd.tensor import ir

_VIEWS = (ir.Input, ir.Const, ir.Transpose, ir.Broadcast, ir.Identity, ir.Diagonal)


def run(program: ir.Program) -> ir.Program:
    """The program with ``lets`` set."""
    order = ir.postorder(program.roots)
    counts = _uses(program.roots, order)
    lets = tuple(node for node in order if counts.get(id(node), 0) > 1 and _worth_naming(node))
    return ir.Program(program.roots, program.labels, lets)


def _uses(roots, order: list) -> dict:
    """id -> how often the node is computed if nothing is named: a view (``X.T``) is re-read at
    each use, so its operand counts once per use of the view."""
    counts: dict = {}
    for root in roots:
        counts[id(root)] = counts.get(id(root), 0) + 1
    for node in reversed(order):   # users before their operands
        weight = counts.get(id(node), 0) if isinstance(node, _VIEWS) or _is_negation(node) else 1
        for child in node.children():
            counts[id(child)] = counts.get(id(child), 0) + weight
    return counts


def _worth_naming(node: ir.Node) -> bool:
    if isinstance(node, _VIEWS) or _is_negation(node):
        return False
    return bool(node.shape) or _reads_array(node)


def _is_negation(node: ir.Node) -> bool:
    """-x is printed as a minus sign (x - y), not computed on its own."""
    return isinstance(node, ir.Map) and node.op == "mul" and len(node.args) == 2 \
        and isinstance(node.args[0], ir.Const) and node.args[0].value == -1


def _reads_array(node: ir.Node) -> bool:
    """A scalar worth a name: it reads an array (a contraction, a reduction, a determinant)."""
    return any(child.shape or _reads_array(child) for child in node.children())
