"""Evaluation order: the scalar reductions of a scalar result are computed as soon as the named
arrays they read exist, before the arrays computed from those.

A function prints its named values (``lets``) first and its results in one ``return``. So the loss
of ``value_and_grad`` is summed after every named array: for the Poisson loss Σ exp(z) - y^T z the
scores z must stay intact until the end, and ``h = exp(z)`` needs a second array beside them. Hand
written code sums first (``s = y @ z``), then exponentiates in z's buffer. This pass names each
scalar node of a scalar result that reads an array (a reduction, an inner product, a determinant)
and reads a named value, and places it among the ``lets`` right after the last named value it
reads; memory planning (``memory.py``) then sees the earlier last read and works in the buffer.
Nothing is computed twice or in another form: only the order and the names change.

Likewise for array results: they are computed in order, so a named array read by the first result
and by a later one stays alive through the first, which then cannot work in its buffer (the
two-layer network: ``(h ** 2 - 1) * r`` for the first layer beside ``h @ r`` for the second, a
second d x n array). A node of a later result that reads such an array and is smaller than it (a
contraction of it, ``h @ r``) is named before the results, as hand-written code computes ``gv = H @
r`` before ``H *= H``.
"""

from __future__ import annotations

from symgd.tensor import ir
from symgd.tensor.passes.memory import printed_postorder


def run(program: ir.Program) -> ir.Program:
    """The program with the early scalar reductions of its scalar results, and the contractions of
    later array results that read what an earlier one reads, added to ``lets``."""
    if not program.lets:
        return program
    return _hoist_later_reads(_early_reductions(program))


def _hoist_later_reads(program: ir.Program) -> ir.Program:
    """Name, right after the last named value they read, the nodes of array results after the first
    that read a named array an earlier result reads and have fewer axes than it."""
    named = {id(node) for node in program.lets}
    position = {id(node): k for k, node in enumerate(program.lets)}
    read_before: set = set()   # named values read by earlier results
    found: dict = {}
    for root in program.roots:
        if id(root) in named:
            continue
        order = printed_postorder(root, named)
        if root.shape and read_before:
            for node in order:
                if id(node) in named or id(node) in found or not _computes_anew(node):
                    continue
                shared = [c for c in node.children() if id(c) in read_before and len(node.shape) < len(c.shape)]
                if shared:
                    read = [position[id(v)] for v in _named_reads(node, named)]
                    found[id(node)] = (max(read), len(found), node)
        read_before |= {id(n) for n in order if id(n) in named and n.shape}
    if not found:
        return program
    return _insert(program, found)


def _computes_anew(node: ir.Node) -> bool:
    """A product or reduction, which returns a new array: never a view (a diagonal, an einsum of one
    operand), whose name could alias the array it reads and so stop memory planning."""
    return isinstance(node, (ir.MatMul, ir.Reduce)) or isinstance(node, ir.Contract) and len(node.args) > 1


def _early_reductions(program: ir.Program) -> ir.Program:
    """The program with the early scalar reductions of its scalar results added to ``lets``."""
    named = {id(node) for node in program.lets}
    position = {id(node): k for k, node in enumerate(program.lets)}
    early: dict = {}   # id -> (position of the last named value read, order found, node)
    for root in program.roots:
        if root.shape or id(root) in named:
            continue
        for node in printed_postorder(root, named):
            if node.shape or id(node) in named or id(node) in early or not any(c.shape for c in node.children()):
                continue
            read = [position[id(v)] for v in _named_reads(node, named)]
            if read:
                early[id(node)] = (max(read), len(early), node)
    if not early:
        return program
    return _insert(program, early)


def _insert(program: ir.Program, placed: dict) -> ir.Program:
    """The program with the nodes of ``placed`` (id -> (position of the last named value read, order
    found, node)) named, each right after that named value."""
    lets = []
    by_place = sorted(placed.values(), key=lambda item: item[:2])   # operands first within one place
    for k, node in enumerate(program.lets):
        lets.append(node)
        lets.extend(found for place, _, found in by_place if place == k)
    return ir.Program(program.roots, program.labels, tuple(lets), program.overwrite)


def _named_reads(node: ir.Node, named: set) -> list:
    """The named values ``node``'s expression reads (through nodes printed inline)."""
    return [n for n in printed_postorder(node, named) if id(n) in named and n is not node]
