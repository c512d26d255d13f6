"""Solves instead of inverses: a product with the inverse of a factorised matrix becomes a solve.

The builder lifts every inverse and determinant of a matrix M through one ``Factor`` of M
(Cholesky where M is declared positive definite, pivoted LU otherwise), so whatever this pass
leaves reads the same factorisation. Here ``M^{-1} B`` becomes ``solve(F, B)``, ``M^{-T} B`` a
transposed solve, ``B M^{-1}`` the transpose of ``solve(F, B^T, transposed)`` (a row vector
``b^T M^{-1}`` needs no transpose at all), and ``B M^{-T}`` likewise. An inverse used some other
way (its diagonal, an einsum of three operands) stays a whole inverse, still computed from the
factorisation by a solve against the identity.

First, a chain of matrix products that holds an inverse and ends in a vector is multiplied from the
vector's end (``(M^{-1} A M^{-1}) y`` as ``M^{-1}(A(M^{-1} y))``: solves with vectors, O(n^2) each,
instead of solves with matrices, O(n^3)).
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with products with an inverse replaced by solves."""
    roots = ir.rewrite(program.roots, _from_the_vector, memo="solve_vector")
    return program.with_roots(ir.rewrite(roots, _solve, memo="solve"))


def _from_the_vector(node: ir.Node) -> ir.Node:
    """(A B) v -> A (B v) and v (A B) -> (v A) B, recursively, where the chain holds an inverse
    ((A B)^T is B^T A^T here)."""
    if not isinstance(node, ir.MatMul):
        return node
    a, b = node.a, node.b
    if len(b.shape) == 1 and _holds_inverse(a) and (parts := _product(a)) is not None:
        return _from_the_vector(ir.matmul(parts[0], _from_the_vector(ir.matmul(parts[1], b))))
    if len(a.shape) == 1 and _holds_inverse(b) and (parts := _product(b)) is not None:
        return _from_the_vector(ir.matmul(_from_the_vector(ir.matmul(a, parts[0])), parts[1]))
    return node


def _product(node: ir.Node) -> tuple[ir.Node, ir.Node] | None:
    """The two factors of a matrix product: (A, B) for A @ B, (B^T, A^T) for (A @ B)^T."""
    if isinstance(node, ir.MatMul) and len(node.shape) == 2 and len(node.a.shape) == 2 and len(node.b.shape) == 2:
        return node.a, node.b
    if isinstance(node, ir.Transpose) and node.perm == (1, 0):
        inner = _product(node.arg)
        if inner is not None:
            return ir.transpose(inner[1], (1, 0)), ir.transpose(inner[0], (1, 0))
    return None


def _holds_inverse(node: ir.Node) -> bool:
    return any(_inverse(part) is not None for part in ir.postorder((node,)))


def _inverse(node: ir.Node) -> tuple[ir.Node, bool] | None:
    """(factor, transposed) if ``node`` is M^{-1} or M^{-T} of a factorised M."""
    if isinstance(node, ir.MatFn) and node.op == "inv" and isinstance(node.arg, ir.Factor):
        return node.arg, False
    if isinstance(node, ir.Transpose) and node.perm == (1, 0):
        inner = _inverse(node.arg)
        if inner is not None:
            return inner[0], not inner[1]
    return None


def _solve(node: ir.Node) -> ir.Node:
    if not isinstance(node, ir.MatMul):
        return node
    left = _inverse(node.a)
    if left is not None:   # M^{-1} B, M^{-T} B
        factor, transposed = left
        return ir.solve(factor, node.b, transposed)
    right = _inverse(node.b)
    if right is not None:   # B M^{-1} = (M^{-T} B^T)^T
        factor, transposed = right
        if len(node.a.shape) == 1:
            return ir.solve(factor, node.a, not transposed)
        return ir.transpose(ir.solve(factor, ir.transpose(node.a, (1, 0)), not transposed), (1, 0))
    return node
