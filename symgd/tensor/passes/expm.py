"""The gradient of a scalar function of e^M as one Fréchet derivative: Σ_ij G_ij ∂(e^M)_ij/∂M_pq = L(M^T, G)_pq.

Differentiating an entry of the matrix exponential gives the rank-4 array D[i, j, p, q] = ∂(e^M)_ij/∂M_pq
(``MatFn`` ``dexpm``: n² Fréchet derivatives, O(n⁵)). A gradient contracts it at once over (i, j) with
what multiplies e^M: a matrix G = ∂f/∂e^M, or vectors (x^T e^M y: G = x y^T; 1^T e^M x: G = 1 x^T), with
their other axes summed (Σ_s x_s^T e^M x_s: G = X^T X). By
⟨G, L(M, E)⟩ = ⟨L(M^T, G), E⟩ that contraction is the single Fréchet derivative L(M^T, G)
(``ExpmFrechet``: one ``scipy.linalg.expm_frechet``, O(n³)). Hessians, which keep all four axes, keep
the rank-4 array.
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with each contraction of ∂e^M/∂M over its first two axes read as L(M^T, G)."""
    return program.with_roots(ir.rewrite(program.roots, _adjoint))


def _adjoint(node: ir.Node) -> ir.Node:
    if not isinstance(node, ir.Contract):
        return node
    operands = _opened(node)
    found = [k for k, (arg, _) in enumerate(operands) if _is_derivative(arg)]
    if len(found) != 1:
        return node
    (k,) = found
    derivative, spec = operands[k]
    if len(set(spec)) != 4:
        return node
    rows, cols, p, q = spec
    others = [operand for n, operand in enumerate(operands) if n != k]
    if sorted(node.out) != sorted(p + q) or any(p in s or q in s for _, s in others):
        return node
    weights = _weights(others, rows, cols, _dims(operands))
    result = ir.expm_frechet(ir.transpose(derivative.arg, (1, 0)), weights)   # L(M^T, G)[p, q]
    return result if node.out == p + q else ir.transpose(result, (1, 0))


def _is_derivative(node: ir.Node) -> bool:
    return isinstance(node, ir.MatFn) and node.op == "dexpm"


def _opened(node: ir.Contract) -> list:
    """(operand, letters) of the contraction, with an operand that is itself a contraction of ∂e^M/∂M
    opened (the builder contracts x^T e^M x one vector at a time), its summed letters renamed apart."""
    used = set("".join(node.specs) + node.out)
    fresh = (c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    operands = []
    for arg, spec in zip(node.args, node.specs):
        if isinstance(arg, ir.Contract) and any(_is_derivative(a) for a in arg.args):
            operands += ir.opened(arg, spec, fresh)
        else:
            operands.append((arg, spec))
    return operands


def _dims(operands: list) -> dict:
    return {letter: dim for arg, spec in operands for letter, dim in zip(spec, arg.shape)}


def _weights(others: list, rows: str, cols: str, dims: dict) -> ir.Node:
    """G[i, j]: the product of the other operands over (rows, cols), their other letters summed (Σ_s x_s x_s^T
    for Σ_s x_s^T e^M x_s); an axis none of them has is summed against ones (Σ_i D_ijpq x_j: G = 1 x^T)."""
    if len(others) == 1 and others[0][1] == rows + cols:
        return others[0][0]
    if len(others) == 1 and others[0][1] == cols + rows:
        return ir.transpose(others[0][0], (1, 0))
    args, specs = [a for a, _ in others], [s for _, s in others]
    for letter in (rows, cols):
        if not any(letter in s for s in specs):
            args.append(ir.broadcast_to(ir.const(1), (dims[letter],)))
            specs.append(letter)
    return ir.contract(args, specs, rows + cols, dims)
