"""Common sub-expressions: which shared nodes are computed once into a local name.

Hash-consing already makes every repeated sub-expression one node, across all the results of a
function (the loss and the gradient in ``value_and_grad``, the blocks of a Hessian). This pass
chooses the nodes worth a name: used more than once, and costing a pass over an array or a BLAS
call (views such as transposes and broadcasts, negations, which print as subtraction, inputs,
numbers and cheap scalar arithmetic such as ``2 * n`` are repeated instead). The bindings come operands first.
"""

from __future__ import annotations

from fractions import Fraction

from symgd.tensor import ir

_VIEWS = (ir.Input, ir.Const, ir.Transpose, ir.Broadcast, ir.Identity, ir.Diagonal, ir.Slice)


def run(program: ir.Program) -> ir.Program:
    """The program with ``lets`` set (and each power shared with its reciprocal)."""
    roots = share_reciprocal_powers(program.roots)
    order = ir.postorder(roots)
    counts = _uses(roots, order)
    lets = tuple(node for node in order if counts.get(id(node), 0) > 1 and _worth_naming(node))
    return ir.Program(roots, program.labels, lets)


def share_reciprocal_powers(roots) -> tuple:
    """a^{-q} read as 1 / a^{q} where a^{q} is computed too, for arrays (pseudo-Huber: the loss's
    root sqrt(1 + r^2) and the gradient's r / sqrt(1 + r^2)), so that the power is one shared node,
    computed once. Built directly, and so are the nodes over it: ``ir.power`` and ``ir.mul`` would
    fold the power of a power back."""
    order = ir.postorder(roots)
    present = {id(node) for node in order}
    done: dict = {}
    for node in order:
        children = [done[id(c)] for c in node.children()]
        if all(new is old for new, old in zip(children, node.children())):
            done[id(node)] = _reciprocal_of_present(node, present)
        elif isinstance(node, ir.Map):
            done[id(node)] = ir.intern(ir.Map(node.op, tuple(children), node.shape, node.param))
        else:
            done[id(node)] = ir.rebuild(node, children)
    return tuple(done[id(root)] for root in roots)


def _reciprocal_of_present(node: ir.Node, present: set) -> ir.Node:
    """1 / a^{q} for an array a^{-q} whose a^{q} is in ``present`` (else the node). Only where a is
    unchanged: a rebuilt operand would not be the node that computes a^{q}."""
    if isinstance(node, ir.Map) and node.op == "pow" and node.shape and node.param is not None \
            and node.param < 0 and node.param != -1:
        positive = ir.power(node.args[0], -node.param)
        if id(positive) in present:
            return ir.intern(ir.Map("pow", (positive,), node.shape, Fraction(-1)))
    return node


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
