"""Scalar factors of a contraction go on its smallest operand: ``X.T @ (2 * r)``, not ``2 * (X.T @ r)``
(one pass over a vector instead of one over the result), and never on a matrix operand (which would
copy it): when every operand is a matrix, or the result is a scalar, the factor stays on the result.
A contraction used elsewhere keeps its factor outside too, so it is computed once (``-(x @ w)`` and
``x @ w`` share ``x @ w``).
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with scalar factors moved into contractions where that is cheaper."""
    counts = ir.uses(program.roots)
    return program.with_roots(ir.rewrite(program.roots, lambda node: _rule(node, counts)))


def _rule(node: ir.Node, counts: dict) -> ir.Node:
    if not (isinstance(node, ir.Map) and node.op == "mul"):
        return node
    contractions = [f for f in node.args if isinstance(f, ir.Contract)]
    scalars = [f for f in node.args if not f.shape]
    if len(contractions) != 1 or len(scalars) + 1 != len(node.args):
        return node
    (contraction,) = contractions
    if counts.get(id(contraction), 0) > 1:
        return node
    args = list(contraction.args)
    if len({id(a) for a in args}) < len(args):   # r @ r: keep one operand twice
        return node
    smallest = min(range(len(args)), key=lambda n: len(args[n].shape))
    rank = len(args[smallest].shape)
    if rank > 1 or rank > len(contraction.shape):
        return node
    args[smallest] = ir.mul(*scalars, args[smallest])
    dims = {c: d for spec, a in zip(contraction.specs, contraction.args) for c, d in zip(spec, a.shape)}
    return ir.contract(args, contraction.specs, contraction.out, dims)


def run_shared(program: ir.Program) -> ir.Program:
    """After planning: a number on an operand of a matrix product that is shared with another result
    (``x.T @ (2 * r)`` beside ``np.sum(r)``) goes back on the product: scaling the shared r would
    copy it, since r itself must stay."""
    counts = ir.uses(program.roots)
    return program.with_roots(ir.rewrite(program.roots, lambda node: _hoist(node, counts)))


def _hoist(node: ir.Node, counts: dict) -> ir.Node:
    if not isinstance(node, ir.MatMul):
        return node
    for position, operand in enumerate((node.a, node.b)):
        if isinstance(operand, ir.Map) and operand.op == "mul" and len(operand.args) == 2 \
                and isinstance(operand.args[0], ir.Const) and counts.get(id(operand.args[1]), 0) > 1:
            operands = [node.a, node.b]
            operands[position] = operand.args[1]
            return ir.mul(operand.args[0], ir.matmul(*operands))
    return node
