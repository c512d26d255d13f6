"""The distributive law: contractions that share an operand are added before contracting.

    Σ_i x_ik - Σ_i y_i e^{-z_i} x_ik   ->   Σ_i x_ik (1 - y_i e^{-z_i})   (x.T @ (1 - y * e))

In an elementwise sum, terms ``c_t · contract(A, B_t)`` with the same operand A in the same role
(the same letters relative to the output) and a second operand B_t over the same letters become one
``contract(A, Σ_t c_t B_t)``: one pass over A instead of one per term, and no temporary of A's size.
A term ``contract(A)`` (a plain sum over A's axes) is A contracted with ones (``\\mathbf{1}``).
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with shared contraction operands factored out of sums."""
    return program.with_roots(ir.rewrite(program.roots, _rule))


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
    product it saves."""
    shared_spec, other_spec = key[1], members[0][3]
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
