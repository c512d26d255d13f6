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
"""

from __future__ import annotations

from symgd.tensor import ir
from symgd.tensor.passes.memory import printed_postorder


def run(program: ir.Program) -> ir.Program:
    """The program with the early scalar reductions of its scalar results added to ``lets``."""
    if not program.lets:
        return program
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
    lets = []
    by_place = sorted(early.values(), key=lambda item: item[:2])   # operands first within one place
    for k, node in enumerate(program.lets):
        lets.append(node)
        lets.extend(found for place, _, found in by_place if place == k)
    return ir.Program(program.roots, program.labels, tuple(lets), program.overwrite)


def _named_reads(node: ir.Node, named: set) -> list:
    """The named values ``node``'s expression reads (through nodes printed inline)."""
    return [n for n in printed_postorder(node, named) if id(n) in named and n is not node]
