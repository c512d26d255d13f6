"""An interpreter of the tensor IR: each node evaluated with NumPy directly (no printer, no passes),
so tests can check a pass by evaluating the graph before and after it, and a matrix form against
the index form. Small sizes only (it keeps every intermediate)."""

from __future__ import annotations

import numpy as np

from symgd.functions import (ELEMENTWISE, PRIMITIVES, expm_derivative_reference, expm_reference, max_norm_subgradient,
                             polar_reference)
from symgd.tensor import ir

def _logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


# elementwise primitives by name, each evaluated by its row of the primitive table
FUNCTIONS = {p.name: p.evaluator() for p in PRIMITIVES if p.kind == ELEMENTWISE and p.evaluator() is not None}


def evaluate(node: ir.Node, env: dict, memo: dict | None = None):
    """The value of ``node``; ``env`` maps each Input's symbol to a number or an array, and each
    dimension symbol to its length."""
    memo = {} if memo is None else memo
    if node in memo:
        return memo[node]
    if isinstance(node, ir.SampleSum):   # the body once per sample, its rows bound (fresh memo: they differ)
        value = sum(evaluate(node.body, {**env, **_rows(node, env, t)}) for t in range(_length(node.count, env)))
    else:
        args = [evaluate(child, env, memo) for child in node.children()]
        value = _value(node, args, env)
    expected = tuple(_length(d, env) for d in node.shape)
    assert np.shape(value) == expected, f"{type(node).__name__}: shape {np.shape(value)} != {expected}"
    memo[node] = value
    return value


def _rows(node: ir.SampleSum, env: dict, sample: int) -> dict:
    """The values of a sample sum's bindings at ``sample`` (counted from 0)."""
    return {row: np.take(np.asarray(env[data]), sample, axis=axis) for row, data, axis in node.bindings}


def _length(dim, env) -> int:
    """The length of an axis: a number, a dimension symbol, or a product of them (Kronecker products)."""
    return int(dim) if dim.is_Integer else int(env[dim]) if dim in env else int(dim.xreplace(env))


def _value(node, args, env):  # noqa: C901 - one branch per node type
    if isinstance(node, ir.Input):
        return env[node.symbol]
    if isinstance(node, ir.Const):
        return float(node.value)
    if isinstance(node, ir.Map):
        if node.op == "add":
            return sum(args[1:], args[0])
        if node.op == "mul":
            out = args[0]
            for a in args[1:]:
                out = out * a
            return out
        if node.op == "pow":
            return args[0] ** (float(node.param) if node.param is not None else args[1])
        if node.op == "heaviside":
            return np.heaviside(args[0], float(node.param))
        return FUNCTIONS[node.op](*args)
    if isinstance(node, ir.Contract):
        return np.einsum(",".join(node.specs) + "->" + node.out, *args)
    if isinstance(node, ir.Reduce):
        if node.op == "sum":
            return np.sum(args[0], axis=node.axes)
        if node.op == "prod":
            return np.prod(args[0], axis=node.axes)
        if node.op == "max":
            return np.max(args[0], axis=node.axes)
        return _logsumexp(args[0], node.axes)
    if isinstance(node, ir.MatMul):
        return args[0] @ args[1]
    if isinstance(node, ir.Broadcast):
        shape = tuple(_length(d, env) for d in node.shape)
        value = np.asarray(args[0])
        order = sorted(range(len(node.axes)), key=lambda n: node.axes[n])
        value = np.transpose(value, order) if value.ndim else value
        expanded = value.reshape([shape[p] if p in node.axes else 1 for p in range(len(shape))]) if value.ndim \
            else value
        return np.broadcast_to(expanded, shape)
    if isinstance(node, ir.Transpose):
        return np.transpose(args[0], node.perm)
    if isinstance(node, ir.Diagonal):
        return np.diagonal(args[0])
    if isinstance(node, ir.Identity):
        return np.eye(_length(node.shape[0], env))
    if isinstance(node, ir.Slice):
        start = _length(node.start, env)
        window = start if node.stop is None else slice(start, _length(node.stop, env))
        return np.asarray(args[0])[(slice(None),) * node.axis + (window,)]
    if isinstance(node, ir.Pad):
        widths = [(0, 0)] * len(node.shape)
        before = _length(node.before, env)
        widths[node.axis] = (before, _length(node.shape[node.axis], env) - before - np.shape(args[0])[node.axis])
        return np.pad(np.asarray(args[0], dtype=float), widths, constant_values=float(node.value))
    if isinstance(node, ir.Arange):
        start = _length(node.start, env)
        return np.arange(start, start + _length(node.shape[0], env))
    if isinstance(node, ir.Scan):
        flip = (lambda a: np.flip(a, axis=node.axis)) if node.reverse else (lambda a: a)
        return flip(np.cumprod(flip(np.asarray(args[0], dtype=float)), axis=node.axis))
    if isinstance(node, ir.Tri):
        rows, cols = (_length(d, env) for d in node.shape)
        return np.tri(rows, cols, _length(node.offset, env))
    if isinstance(node, ir.Kron):
        return np.kron(args[0], args[1])
    if isinstance(node, ir.Commutation):
        return _commutation(*(_length(d, env) for d in node.dims))
    if isinstance(node, ir.Softmax):
        e = np.exp(args[0] - np.max(args[0], axis=node.axis, keepdims=True))
        return e / e.sum(axis=node.axis, keepdims=True)
    if isinstance(node, ir.GramBlocks):
        return _gram_blocks(node, args)
    if isinstance(node, ir.Factor):   # stands for its matrix here
        return args[0]
    if isinstance(node, ir.Solve):
        return np.linalg.solve(args[0].T if node.transposed else args[0], args[1])
    if isinstance(node, ir.MatFn):
        return {"inv": np.linalg.inv, "det": np.linalg.det,
                "logdet": lambda a: np.linalg.slogdet(a)[1],
                "logabsdet": lambda a: np.linalg.slogdet(a)[1],
                "nuc": lambda a: np.linalg.norm(a, "nuc"), "polar": polar_reference,
                "maxabs": lambda a: np.max(np.abs(a)), "argmaxsign": max_norm_subgradient,
                "expm": expm_reference, "dexpm": expm_derivative_reference}[node.op](args[0])
    if isinstance(node, ir.ExpmFrechet):   # L(a, e): scipy's, as the reference of d e^a in the direction e
        import scipy.linalg
        return scipy.linalg.expm_frechet(args[0], args[1], compute_expm=False)
    raise AssertionError(type(node).__name__)


def _gram_blocks(node: ir.GramBlocks, args: list) -> np.ndarray:
    """Σ_a x_a x_a^T ⊗ (weights_a + diag(diagonal_a)), block by block as the definition reads."""
    parts = iter(args)
    x = np.asarray(next(parts), dtype=float)
    weights = next(parts) if node.weights is not None else None
    diagonal = next(parts) if node.diagonal is not None else None
    rows = (weights if weights is not None else diagonal).shape[0]
    cols = weights.shape[1] if weights is not None else rows
    out = np.zeros((rows, x.shape[1], cols, x.shape[1]))
    for k in range(rows):
        for m in range(cols):
            s = (weights[k, m] if weights is not None else 0.0) \
                + (diagonal[k] if diagonal is not None and k == m else 0.0)
            out[k, :, m, :] = np.einsum("ai,a,aj->ij", x, np.broadcast_to(s, x.shape[:1]), x)
    return out


def _commutation(rows: int, cols: int) -> np.ndarray:
    """K with K @ Z.reshape(-1, order="F") == Z.T.reshape(-1, order="F") for Z of shape (rows, cols)."""
    out = np.zeros((rows * cols, rows * cols))
    for i in range(rows):
        for j in range(cols):
            out[i * cols + j, j * rows + i] = 1.0
    return out
