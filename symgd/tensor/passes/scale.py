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
    copy it, since r itself must stay; likewise a scaled operand that several products share. Numbers
    common to several terms of a sum then come out of it."""
    counts = ir.uses(program.roots)
    return program.with_roots(ir.rewrite(program.roots, lambda node: _hoist(node, counts)))


def _hoist(node: ir.Node, counts: dict) -> ir.Node:
    if isinstance(node, ir.Map) and node.op == "add":
        return _common_number(node)
    if not isinstance(node, ir.MatMul):
        return node
    for position, operand in enumerate((node.a, node.b)):
        if not (isinstance(operand, ir.Map) and operand.op == "mul"):
            continue
        arrays = [f for f in operand.args if f.shape]
        numbers = [f for f in operand.args if not f.shape]   # 2, or 1 / n (r / n beside r @ r)
        if len(arrays) == 1 and (counts.get(id(arrays[0]), 0) > 1 or _scaled_for_several(operand, node, counts)):
            operands = [node.a, node.b]
            operands[position] = arrays[0]
            return ir.mul(*numbers, ir.matmul(*operands))
    return node


def _scaled_for_several(operand: ir.Node, product: ir.MatMul, counts: dict) -> bool:
    """A scaled operand c v that several products share (``A.T @ h + A @ h`` with h = x / 2, from
    ½ x^T A x) is a further array alive through all of them; the number goes on each product
    instead, where the product is no bigger than the operand (then the sum takes it out again)."""
    return counts.get(id(operand), 0) > 1 and len(product.shape) <= len(operand.shape)


def _common_number(node: ir.Map) -> ir.Node:
    """c a + c b + t -> c (a + b) + t for a number c other than ±1 on several array terms: one
    scaling of the sum instead of one per term, and no scaled copy of each term alive at once."""
    groups: dict = {}
    for term in node.args:
        if isinstance(term, ir.Map) and term.op == "mul" and isinstance(term.args[0], ir.Const) \
                and abs(term.args[0].value) != 1 and term.shape == node.shape:
            groups.setdefault(term.args[0].value, []).append(term)
    for number, terms in groups.items():
        if len(terms) > 1:
            rest = [t for t in node.args if all(t is not s for s in terms)]
            summed = ir.add(*(ir.mul(*t.args[1:]) for t in terms))
            return ir.add(ir.mul(ir.const(number), summed), *rest)
    return node
