"""The distributive law: contractions that share an operand are added before contracting.

    Σ_i x_ik - Σ_i y_i e^{-z_i} x_ik   ->   Σ_i x_ik (1 - y_i e^{-z_i})   (x.T @ (1 - y * e))

In an elementwise sum, terms ``c_t · contract(A, B_t)`` with the same operand A in the same role
(the same letters relative to the output) and a second operand B_t over the same letters become one
``contract(A, Σ_t c_t B_t)``: one pass over A instead of one per term, and no temporary of A's size.
A term ``contract(A)`` (a plain sum over A's axes) is A contracted with ones (``\\mathbf{1}``).

The other direction where it saves a temporary: a term broadcast from fewer axes comes out of a
contracted sum (``einsum(z - lse[None], Y)`` is ``einsum(z, Y) - lse @ Y.sum(axis=1)``).
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with shared contraction operands factored out of sums, and broadcast terms split
    out of a contraction's summed operand."""
    counts = ir.uses(program.roots)
    roots = ir.rewrite(program.roots, lambda node: _split_broadcasts(node, counts))
    return program.with_roots(ir.rewrite(roots, _rule, memo="factor"))


def _split_broadcasts(node: ir.Node, counts: dict) -> ir.Node:
    """The other direction where it saves a temporary: Σ_ab (z_ab - v_b) Y_ba, a contraction of a
    sum with a term broadcast from fewer axes (the log-softmax z - logsumexp(z)), is
    Σ_ab z_ab Y_ba - Σ_b v_b Σ_a Y_ba: no array z - v of the full size, and Y's sum over the
    broadcast axes is a smaller contraction (often computed already, as Y 1 for the gradient)."""
    if not (isinstance(node, ir.Contract) and len(node.args) == 2):
        return node
    for position, operand in enumerate(node.args):
        if not (isinstance(operand, ir.Map) and operand.op == "add" and counts.get(id(operand), 0) == 1):
            continue
        spread = [t for t in operand.args if isinstance(t, ir.Broadcast) and t.arg.shape]
        whole = [t for t in operand.args if all(t is not b for b in spread)]
        if not spread or not whole or any(t.shape != operand.shape for t in whole):
            continue
        spec, other, other_spec = node.specs[position], node.args[1 - position], node.specs[1 - position]
        dims = dict(zip(spec, operand.shape)) | dict(zip(other_spec, other.shape))
        if any(set(spec) - set(other_spec) - {spec[axis] for axis in t.axes} for t in spread):
            continue   # a letter only the broadcast spans: v alone would not carry it
        terms = [ir.contract([ir.add(*whole), other], [spec, other_spec], node.out, dims)]
        for term in spread:
            letters = "".join(spec[axis] for axis in term.axes)
            value, number = term.arg, []
            if isinstance(value, ir.Map) and value.op == "mul" and isinstance(value.args[0], ir.Const):
                number, value = [value.args[0]], ir.mul(*value.args[1:])   # - lse: the sign goes outside
            terms.append(ir.mul(*number, ir.contract([value, other], [letters, other_spec], node.out, dims)))
        return ir.add(*terms)
    return node


def _rule(node: ir.Node) -> ir.Node:
    if not (isinstance(node, ir.Map) and node.op == "add"):
        return node
    terms = list(node.args)
    while True:
        merged = _merge_once(terms)
        if merged is None:
            break
        terms = merged
    return ir.add(*terms) if len(terms) != len(node.args) else node


def _split(term: ir.Node):
    """(scalar coefficient factors, contraction) when ``term`` is c · contract(...), else None."""
    if isinstance(term, ir.Contract):
        return [], term
    if isinstance(term, ir.Map) and term.op == "mul":
        contractions = [f for f in term.args if isinstance(f, ir.Contract)]
        scalars = [f for f in term.args if f not in contractions]
        if len(contractions) == 1 and not any(f.shape for f in scalars):   # (Σ_a y_a) · M: no contraction to share
            return scalars, contractions[0]
    return None


def _readings(contraction: ir.Contract):
    """Each way to read the contraction as (shared operand A, key, other operand B or None, B's spec):
    the key holds A and the letters of A and of the output renamed by first appearance."""
    if len(contraction.args) > 2:
        return
    for position, (arg, spec) in enumerate(zip(contraction.args, contraction.specs)):
        rename: dict = {}
        for letter in spec + contraction.out:
            rename.setdefault(letter, chr(ord("a") + len(rename)))
        key = (arg, "".join(rename[c] for c in spec), "".join(rename[c] for c in contraction.out))
        if len(contraction.args) == 1:
            summed = "".join(c for c in spec if c not in contraction.out)
            yield key, None, "".join(rename[c] for c in summed)
        else:
            other, other_spec = contraction.args[1 - position], contraction.specs[1 - position]
            if any(c not in rename for c in other_spec):
                continue   # B has letters of its own: not a shared role
            yield key, other, "".join(rename[c] for c in other_spec)


def _merge_once(terms: list):
    """One group of at least two terms that share an operand, merged; None if there is none."""
    groups: dict = {}
    for position, term in enumerate(terms):
        split = _split(term)
        if split is None:
            continue
        scalars, contraction = split
        for key, other, other_spec in _readings(contraction):
            members = groups.setdefault(key, [])
            if not any(m[0] == position for m in members):
                members.append((position, scalars, other, other_spec, contraction))
    for key, members in groups.items():
        positions = {m[0] for m in members}
        if len(positions) < 2:
            continue
        letters = {frozenset(m[3]) for m in members}
        if len(letters) != 1 or not _saves_work(key, members):
            continue
        return _combine(terms, key, members)
    return None


def _saves_work(key, members: list) -> bool:
    """Factoring pays when the shared operand A is bigger than the operands B_t added in its place:
    one pass over A is saved for a sum over B's size. With B bigger than A (½ x^T A x: x shared,
    A and A^T added), the sum A/2 + A^T/2 would be a new d × d array costing more than the second
    product it saves. Full inner products of operands of one shape (x^T z / 2 - b^T x, a quadratic
    form's value) cost a pass over their operands either way: factored, x @ (z / 2 - b) only adds
    a temporary of x's size; (A + A^T) X still saves a matrix product."""
    shared_spec, out, other_spec = key[1], key[2], members[0][3]
    if not out and sorted(other_spec) == sorted(shared_spec):
        return False
    return len(other_spec) <= len(shared_spec)


def _combine(terms: list, key, members: list) -> list:
    shared, shared_spec, out = key
    other_spec = members[0][3]
    dims = dict(zip(shared_spec, shared.shape))
    dims.update(zip(out, members[0][4].shape))
    parts = []
    for _, scalars, other, spec, _ in members:
        if other is None:
            value = ir.broadcast_to(ir.const(1), tuple(dims[c] for c in other_spec))
        else:
            value = ir.transpose(other, [spec.index(c) for c in other_spec])
        parts.append(ir.mul(*scalars, value))
    combined = ir.contract([shared, ir.add(*parts)], [shared_spec, other_spec], out, dims)
    used = {m[0] for m in members}
    return [combined] + [t for n, t in enumerate(terms) if n not in used]
