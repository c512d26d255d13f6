"""Scalar factors of a contraction go on its smallest operand: ``(X.T @ X) @ (2 * v)``, not
``2 * ((X.T @ X) @ v)`` (one pass over a vector instead of one over the result), and never on a
matrix operand (which would copy it): when every operand is a matrix, or the result is a scalar, the
factor stays on the result. A vector along the data summed into a gradient's vector (``X.T @ r``, r
along the samples) keeps its number outside too, ``X.T @ r * (2 / n)``: the shorter pass, unless r
is already scaled (``r * c``: the numbers join that factor). A negation goes into a sum with as many
negative terms as positive ones or more (``X.T @ (s - y)``, not ``-(X.T @ (y - s))``).
A contraction used elsewhere keeps its factor outside too, so it is computed once (``-(x @ w)`` and
``x @ w`` share ``x @ w``). Scalars on a sum of a matrix and c I go on both terms: the identity's
term is a number added on the diagonal (memory planning), so ``2 (λI + X^T X / n)`` costs one
scaling of the matrix, as ``H *= 2 / n; H.flat[::d + 1] += 2 λ`` by hand.
"""

from __future__ import annotations

from symgd.tensor import ir
from symgd.tensor.passes.memory import identity_scale


def run(program: ir.Program) -> ir.Program:
    """The program with scalar factors moved into contractions where that is cheaper."""
    counts = ir.uses(program.roots)
    short = {dim for root in program.roots for dim in root.shape}   # the parameters' axes, in a gradient
    return program.with_roots(ir.rewrite(program.roots, lambda node: _rule(node, counts, short)))


def _rule(node: ir.Node, counts: dict, short: set) -> ir.Node:
    if not (isinstance(node, ir.Map) and node.op == "mul"):
        return node
    spread = _onto_identity_sum(node)
    if spread is not None:
        return spread
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
    if scalars == [ir.const(-1)] and _more_negative_terms(args[smallest]):
        args[smallest] = ir.add(*(ir.neg(term) for term in args[smallest].args))   # -(X.T @ (y - s)): X.T @ (s - y)
    elif _summed_away(contraction, smallest, short):
        return node
    else:
        args[smallest] = ir.mul(*scalars, args[smallest])
    dims = {c: d for spec, a in zip(contraction.specs, contraction.args) for c, d in zip(spec, a.shape)}
    return ir.contract(args, contraction.specs, contraction.out, dims)


def _onto_identity_sum(node: ir.Map) -> ir.Node | None:
    """c (M + s I) -> c M + c s I for scalars c and a sum of one matrix M and a multiple of the
    identity; else None."""
    sums = [f for f in node.args if f.shape]
    if len(sums) != 1 or not (isinstance(sums[0], ir.Map) and sums[0].op == "add" and len(sums[0].args) == 2):
        return None
    if not any(identity_scale(term) is not None for term in sums[0].args):
        return None
    scalars = [f for f in node.args if f is not sums[0]]
    return ir.add(*(ir.mul(*scalars, term) for term in sums[0].args))


def _more_negative_terms(operand: ir.Node) -> bool:
    """A sum with at least as many terms written with a minus as without: its negation takes the
    minus in (``s - y`` instead of ``-(y - s)``: one pass fewer)."""
    if not (isinstance(operand, ir.Map) and operand.op == "add"):
        return False
    negative = sum(1 for t in operand.args if isinstance(t, ir.Map) and t.op == "mul"
                   and isinstance(t.args[0], ir.Const) and t.args[0].value < 0
                   or isinstance(t, ir.Const) and t.value < 0)
    return 2 * negative >= len(operand.args)


def _summed_away(contraction: ir.Contract, position: int, short: set) -> bool:
    """A vector operand along a data axis summed into a vector along the parameters' axes (``X.T @
    r`` in a gradient, r along the samples): scaling the result is the shorter pass (an expert
    scales the d-vector after the product, not the n-vector before it), unless the operand is
    scaled already (the numbers then join its factor at no cost). Which axis is long is known only
    there: the results' axes are the parameters'; the others are the data's."""
    operand = contraction.args[position]
    if len(contraction.shape) != 1 or contraction.shape[0] not in short or operand.shape[0] in short:
        return False
    return not (isinstance(operand, ir.Map) and operand.op == "mul" and any(not f.shape for f in operand.args))


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
    """c a ± c b + t -> c (a ± b) + t for a number c other than ±1 on several array terms (the
    gradient of ||x - y||^2 is 2x - 2y in index form): one scaling of the sum instead of one per
    term, and no scaled copy of each term alive at once."""
    groups: dict = {}
    for term in node.args:
        if isinstance(term, ir.Map) and term.op == "mul" and isinstance(term.args[0], ir.Const) \
                and abs(term.args[0].value) != 1 and term.shape == node.shape and identity_scale(term) is None:
            groups.setdefault(abs(term.args[0].value), []).append(term)
    for terms in groups.values():
        if len(terms) > 1:
            number = abs(terms[0].args[0].value)   # positive: 2 (x - y), not -2 (y - x), which would negate
            rest = [t for t in node.args if all(t is not s for s in terms)]
            summed = ir.add(*(ir.mul(*t.args[1:]) if t.args[0].value == number
                              else ir.mul(ir.const(-1), *t.args[1:]) for t in terms))
            return ir.add(ir.mul(ir.const(number), summed), *rest)
    return node
