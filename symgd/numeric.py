"""Numeric evaluation of index-form expressions, entry by entry (small sizes: checks and tests).

Deliberately independent of the code generator: it walks the SymPy expression and loops over sum
ranges, so symgd's symbolic results can be compared with plain numbers.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy

from symgd.supplied import as_arrays
from symgd.functions import (MATRIX_EXPONENTIAL, PRIMITIVES, det, expm_derivative_entry, expm_derivative_reference,
                             expm_frechet_adjoint, expm_frechet_adjoint_reference, expm_inner, expm_reference,
                             expm_trace, inverse_entry, logabsdet, matrix_of, max_norm, max_norm_grad,
                             max_norm_subgradient, nuclear_norm, polar_entry, polar_reference, array_of)

# one-argument primitives by SymPy class, each evaluated by its row of the primitive table
FUNCTIONS = {p.sympy: p.evaluator() for p in PRIMITIVES   # polygamma(n, u) takes two
             if isinstance(p.sympy, type) and p.evaluator() is not None and p.sympy not in (sympy.Max, sympy.Min)}


_MATRICES = "\0matrices"   # env key of the matrices evaluated so far in one top-level call (never a name)


def evaluate(expr, env: dict) -> float:
    """Evaluate an index-form expression; ``env`` maps names to floats (scalars, dims, indices) or arrays.

    Raises:
        ValueError: a value outside a function's domain (the log of a negative number) or an overflow.
    """
    if _MATRICES not in env:   # the arrays of env are fixed during one call: each matrix is built once
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            try:
                return evaluate(as_arrays(expr), {**env, _MATRICES: {}})
            except FloatingPointError as error:
                raise ValueError(f"outside the domain here: {error}") from None
    if expr.is_Number or expr.is_NumberSymbol:   # 2, 1/2, pi
        return float(expr)
    if isinstance(expr, sympy.Symbol):
        return env[expr.name]
    if isinstance(expr, sympy.Indexed):
        label = expr.base.label   # .name, not str(): SymPy's printer dominated the time of large sums
        array = env[label.name if isinstance(label, sympy.Symbol) else str(label)]
        position = tuple(int(evaluate(i, env)) - 1 for i in expr.indices)
        if min(position, default=0) < 0:   # NumPy would wrap x[-1] round to the last entry
            raise IndexError(f"{expr} is entry {tuple(p + 1 for p in position)}, before the first")
        return float(array[position])
    if isinstance(expr, sympy.Add):
        return sum(evaluate(a, env) for a in expr.args)
    if isinstance(expr, sympy.Mul):
        return math.prod(evaluate(a, env) for a in expr.args)
    if isinstance(expr, sympy.Pow):
        value = evaluate(expr.base, env) ** evaluate(expr.exp, env)
        if isinstance(value, complex):   # a fractional power of a negative number
            raise ValueError(f"{expr} is outside its domain here")
        return value
    if isinstance(expr, (sympy.Sum, sympy.Product)):
        return _evaluate_bigop(expr, env)
    if isinstance(expr, (sympy.Max, sympy.Min)):
        values = [evaluate(a, env) for a in expr.args]
        return max(values) if isinstance(expr, sympy.Max) else min(values)
    if isinstance(expr, sympy.KroneckerDelta):
        return float(evaluate(expr.args[0], env) == evaluate(expr.args[1], env))
    if isinstance(expr, sympy.Heaviside):
        return float(evaluate(expr.args[0], env) > 0)
    if isinstance(expr, det):
        return _of_matrix("det", expr.args[0], env, np.linalg.det)
    if isinstance(expr, logabsdet):
        return _of_matrix("logabsdet", expr.args[0], env, lambda m: np.linalg.slogdet(m)[1])
    if isinstance(expr, inverse_entry):
        base, i, j = expr.args
        inverse = _of_matrix("inv", base, env, np.linalg.inv)
        return float(inverse[int(evaluate(i, env)) - 1, int(evaluate(j, env)) - 1])
    if isinstance(expr, MATRIX_EXPONENTIAL):
        return _matrix_exponential(expr, env)
    if isinstance(expr, max_norm):
        return float(np.max(np.abs(_of_matrix("array", expr.args[0], env, lambda a: a))))
    if isinstance(expr, max_norm_grad):
        vector, p = expr.args
        return float(_of_matrix("argmaxsign", vector, env, max_norm_subgradient)[int(evaluate(p, env)) - 1])
    if isinstance(expr, nuclear_norm):
        return _of_matrix("nuc", expr.args[0], env, lambda m: np.linalg.norm(m, "nuc"))
    if isinstance(expr, polar_entry):
        base, i, j = expr.args
        polar = _of_matrix("polar", base, env, polar_reference)
        return float(polar[int(evaluate(i, env)) - 1, int(evaluate(j, env)) - 1])
    for function, numeric in FUNCTIONS.items():
        if isinstance(expr, function):
            return numeric(*(evaluate(arg, env) for arg in expr.args))
    raise TypeError(f"cannot evaluate {type(expr).__name__}: {expr}")


def _matrix_exponential(expr, env: dict) -> float:
    """An entry of e^M, tr(e^M), ⟨C, e^M⟩, an entry of L(M^T, C) or of the rank-4 ∂e^M/∂M (scipy.linalg.expm and
    expm_frechet)."""
    if isinstance(expr, expm_inner):   # args (C, M)
        weights, matrix = expr.args
        return float(np.vdot(matrix_value(weights, env), _of_matrix("expm", matrix, env, expm_reference)))
    if isinstance(expr, expm_frechet_adjoint):   # args (M, C, p, q): one adjoint per pair of matrices
        matrix, weights, p, q = expr.args
        adjoint = _of_matrix("expm_frechet", sympy.Tuple(matrix, weights), env,
                             lambda pair: expm_frechet_adjoint_reference(*pair))
        return float(adjoint[int(evaluate(p, env)) - 1, int(evaluate(q, env)) - 1])
    if isinstance(expr, expm_derivative_entry):   # args (M, i, j, p, q): the rank-4 array once per matrix
        derivative = _of_matrix("dexpm", expr.args[0], env, expm_derivative_reference)
        return float(derivative[tuple(int(evaluate(index, env)) - 1 for index in expr.args[1:])])
    exponential = _of_matrix("expm", expr.args[0], env, expm_reference)
    if isinstance(expr, expm_trace):
        return float(np.trace(exponential))
    return float(exponential[int(evaluate(expr.args[1], env)) - 1, int(evaluate(expr.args[2], env)) - 1])


def _of_matrix(kind: str, matrix, env: dict, function):
    """``function`` of a matrix's value, computed once per matrix and values of the scalars it depends on
    (an inverse entry inside sums would otherwise rebuild and invert the whole matrix per entry)."""
    cache = env.get(_MATRICES)
    if cache is None:
        return function(matrix_value(matrix, env))
    scalars = tuple((name, float(env[name])) for name in _symbol_names(matrix)   # indices, scalars: any type
                    if name in env and np.ndim(env[name]) == 0)
    key = (kind, matrix, scalars)
    if key not in cache:
        cache[key] = function(matrix_value(matrix, env))
    return cache[key]


@functools.lru_cache(maxsize=256)
def _symbol_names(matrix) -> tuple:
    return tuple(sorted(s.name for s in matrix.free_symbols))


def matrix_value(matrix, env: dict) -> np.ndarray:
    """The array of a named matrix or of a ``matrix_of`` or ``array_of`` (its entries evaluated one by one);
    of a ``Tuple`` of matrices, their arrays."""
    if isinstance(matrix, sympy.Tuple):
        return tuple(matrix_value(part, env) for part in matrix)
    if isinstance(matrix, array_of):
        return array_value(matrix, env)
    if isinstance(matrix, sympy.IndexedBase):
        return np.asarray(env[str(matrix.label)])
    assert isinstance(matrix, matrix_of)
    size = int(evaluate(matrix.size, env))
    body, row, col = matrix.args[:3]
    return entries(body, (row, col), (size, size), env)


def array_value(array, env: dict) -> np.ndarray:
    """The values of a named array or of an ``array_of`` (its entries evaluated one by one)."""
    if isinstance(array, sympy.IndexedBase):
        return np.asarray(env[str(array.label)], dtype=float)
    assert isinstance(array, array_of)
    body, indices, dims = array.args[:3]
    return entries(body, tuple(indices), tuple(int(evaluate(d, env)) for d in dims), env)


def _evaluate_bigop(expr, env: dict) -> float:
    body, *limits = expr.args
    total = 0.0 if isinstance(expr, sympy.Sum) else 1.0
    (index, lower, upper), rest = limits[-1], limits[:-1]   # SymPy lists the innermost limit first
    inner = type(expr)(body, *rest) if rest else body
    for value in range(int(evaluate(lower, env)), int(evaluate(upper, env)) + 1):
        term = evaluate(inner, {**env, index.name: value})
        total = total + term if isinstance(expr, sympy.Sum) else total * term
    return total


def entries(expr, indices: tuple, shape: tuple, env: dict) -> np.ndarray:
    """Evaluate ``expr`` at every value of its free ``indices`` (1-based) over ``shape``."""
    out = np.zeros(shape)
    expr = as_arrays(expr)   # a supplied function's value and Jacobians: arrays given at the point
    env = env if _MATRICES in env else {**env, _MATRICES: {}}   # matrices shared by all entries
    for position in np.ndindex(*shape) if shape else [()]:
        local = {**env, **{str(i): p + 1 for i, p in zip(indices, position)}}
        out[position] = evaluate(expr, local)
    return out


DEFAULT_SIZES = {"n": 7, "d": 3, "K": 4, "m": 5, "k": 2, "p": 6, "q": 8, "h": 9}


def dimension_size(dim, env: dict) -> int:
    """The size of an axis: a number, a dimension's value in ``env``, or an expression of dimensions
    (``M + 1``: the coefficients w_0, ..., w_M of ``\\sum_{j=0}^{M}``)."""
    if dim.is_Integer:
        return int(dim)
    if dim.is_Symbol:
        return env[str(dim)]
    return int(dim.xreplace({s: sympy.Integer(env[str(s)]) for s in dim.free_symbols}))


def random_values(problem, seed: int = 0, sizes: dict | None = None, symmetric: bool = True) -> dict:
    """Random values for every symbol of ``problem`` with every dimension distinct.

    Square matrices are symmetric positive definite (``symmetric``, and always for a matrix the
    problem declares symmetric), or generic but diagonally dominant (``symmetric=False``:
    determinants stay positive, and a symmetric matrix cannot hide a missing transpose).
    """
    rng = np.random.default_rng(seed)
    sizes = {**DEFAULT_SIZES, **(sizes or {})}
    env: dict = {}
    for dim in problem.dims:
        size = sizes.get(str(dim), 3 + len(env))
        while size in env.values():   # m = 5 by default, r the fifth dimension: keep them apart
            size += 1
        env[str(dim)] = size
    for symbol, shape in problem.shapes.items():
        role = problem.roles[symbol]
        if role in ("dimension", "index"):
            continue
        concrete = tuple(dimension_size(d, env) for d in shape)
        name = str(symbol.label) if isinstance(symbol, sympy.IndexedBase) else str(symbol)
        if symbol in getattr(problem, "labels", {}):   # the one-hot matrix of integer class labels
            env[name] = np.eye(concrete[-1])[rng.integers(0, concrete[-1], size=concrete[:-1])]
        elif not concrete:
            env[name] = float(rng.uniform(0.5, 1.5))
        elif len(concrete) == 2 and concrete[0] == concrete[1]:
            a = rng.normal(size=concrete)
            declared = symbol in getattr(problem, "symmetric", {})   # declared symmetric: always symmetric
            env[name] = (a @ a.T if symmetric or declared else 0.5 * a) + concrete[0] * np.eye(concrete[0])
        else:
            env[name] = rng.normal(size=concrete)
    return env
