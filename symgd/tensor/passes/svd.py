"""One SVD for the nuclear norm and its gradient: ‖X‖_* as ⟨U V^T, X⟩ where U V^T is computed anyway.

``value_and_grad`` of a loss with ‖X‖_* needs the singular values (the value) and U V^T (the
gradient); computed apart that is two SVDs. Since ‖X‖_* = Σ σ_i = tr(V U^T U Σ V^T) = ⟨U V^T, X⟩,
the value is read off the gradient's U V^T by one inner product (O(mn) beside the SVD's O(mn min(m, n))).
Where U V^T is not needed (``loss`` alone) the value keeps the cheaper singular-values-only SVD.
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with each ‖X‖_* whose U V^T it also computes read from that U V^T."""
    polar = {id(node.arg) for node in ir.postorder(program.roots)
             if isinstance(node, ir.MatFn) and node.op == "polar"}
    if not polar:
        return program

    def shared(node: ir.Node) -> ir.Node:
        if isinstance(node, ir.MatFn) and node.op == "nuc" and id(node.arg) in polar:
            rows, cols = node.arg.shape
            return ir.contract([ir.matfn("polar", node.arg), node.arg], ["ab", "ab"], "", {"a": rows, "b": cols})
        return node

    return program.with_roots(ir.rewrite(program.roots, shared))
