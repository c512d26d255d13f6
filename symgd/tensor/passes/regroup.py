"""Sums of reductions regrouped around an array the function computes anyway.

    Σ_i z_i - Σ_i y_i + n b   ->   Σ_i r_i   when r = z - y + b is computed for another result

The derivative of ``Σ_i (x_i^T w - y_i + b)^2`` with respect to b reads ``2 (Σ_i x_i^T w - Σ_i y_i + n b)``
after the calculus distributed the sum; the gradient with respect to w already builds
r = x w - y + b. Summing r is one pass over a vector, and r no longer has to share its buffer with
a separately kept x w (which stops NumPy from working in place). The rewrite is the distributive
law read backwards, only where the regrouped array exists: an elementwise sum ``A = a_1 + ... + a_m``
(a scalar b spread over A's shape counts as b times the product of A's dimensions) whose every
term, summed over all its axes, is a term of a scalar sum.
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with scalar sums of full reductions regrouped around computed arrays."""
    sums = [node for node in ir.postorder(program.roots)
            if isinstance(node, ir.Map) and node.op == "add" and node.shape]
    if not sums:
        return program
    return program.with_roots(ir.rewrite(program.roots, lambda node: _rule(node, sums)))


def _rule(node: ir.Node, sums: list) -> ir.Node:
    if not (isinstance(node, ir.Map) and node.op == "add" and not node.shape):
        return node
    terms = list(node.args)
    for array in sums:
        wanted = _summed_terms(array)
        if wanted is None or any(term not in terms for term in wanted):
            continue
        for term in wanted:
            terms.remove(term)
        terms.append(ir.reduce("sum", array, range(len(array.shape))))
    return ir.add(*terms) if len(terms) != len(node.args) else node


def _summed_terms(array: ir.Map) -> list | None:
    """The scalar terms whose sum is Σ (all axes) of ``array``: one per term of the elementwise sum."""
    axes = range(len(array.shape))
    terms = []
    for part in array.args:
        scalar = part.arg if isinstance(part, ir.Broadcast) and not part.arg.shape else part
        if not scalar.shape:   # b spread over (n,): Σ_i b = n b
            sizes = (ir.const(int(d)) if d.is_Integer else ir.input_(d) for d in array.shape)
            terms.append(ir.mul(scalar, *sizes))
            continue
        coefficient, base = [], part
        if isinstance(part, ir.Map) and part.op == "mul":
            coefficient = [f for f in part.args if not f.shape]
            arrays = [f for f in part.args if f.shape]
            if len(arrays) != 1:
                return None
            base = arrays[0]
        terms.append(ir.mul(*coefficient, ir.reduce("sum", base, axes)))
    return terms
