"""Test helpers: numeric values of derivative blocks, central differences, comparisons.

The evaluator (symgd.numeric) is independent of the code generator: it walks the expression and
loops over sum ranges, so tests compare symgd's symbolic results against plain numbers.
"""

from __future__ import annotations

import numpy as np
import sympy

import symgd
from corpus.harness import central_differences
from symgd.numeric import dimension_size, entries, evaluate, random_values  # noqa: F401 - re-exported for the tests


def random_env(problem, seed: int = 0, sizes: dict | None = None, symmetric: bool = False) -> dict:
    """Random values for every symbol with every dimension distinct (see symgd.numeric).

    Square matrices are generic (not symmetric) unless asked for, so that a missing transpose in
    ``x^T A x``'s gradient cannot hide behind A = A^T.
    """
    return random_values(problem, seed, sizes, symmetric=symmetric)


def objective_value(problem, env: dict) -> float:
    return evaluate(problem.objective, env)


def shape_names(problem) -> dict:
    """name -> shape as strings, e.g. {"X": ("n", "d"), "lambda": ()}, for data, params, constants."""
    out = {}
    for symbol, shape in problem.shapes.items():
        if problem.roles[symbol] in ("parameter", "data", "constant"):
            name = str(symbol.label) if isinstance(symbol, sympy.IndexedBase) else str(symbol)
            out[name] = tuple(str(d) for d in shape)
    return out


def roles_by_name(problem) -> dict:
    return {(str(s.label) if isinstance(s, sympy.IndexedBase) else str(s)): r for s, r in problem.roles.items()}


def _name(symbol) -> str:
    return str(symbol.label) if isinstance(symbol, sympy.IndexedBase) else str(symbol)


def block_values(block, env: dict, problem) -> np.ndarray:
    """Evaluate a derivative block entry by entry over its free indices."""
    shape = tuple(dimension_size(d, env) for d in block.shape)
    return entries(block.expr, block.indices, shape, env)


def block_values_as_matrix_form(block, env: dict, problem) -> np.ndarray:
    """The block's values laid out as its matrix form: a block of rank 3 or 4 as ∂²L/∂vec(θ)∂vec(φ)^T
    (vec stacks columns: each parameter's axes reversed, then flattened)."""
    values = block_values(block, env, problem)
    if block.matrix is None or not block.matrix.vec:
        return values
    rank = len(problem.shapes[block.wrt[0]])
    order = tuple(reversed(range(rank))) + tuple(reversed(range(rank, values.ndim)))
    return values.transpose(order).reshape(int(np.prod(values.shape[:rank])), int(np.prod(values.shape[rank:])))


def numeric_gradient(problem, expr, param, env: dict, step: float = 1e-5) -> np.ndarray:
    """Central differences of ``expr`` (the objective, or a gradient entry) w.r.t. ``param``."""
    name = _name(param)
    value = np.array(env[name], dtype=float)
    out = np.zeros(value.shape)
    for position in np.ndindex(*value.shape) if value.shape else [()]:
        h = step * max(1.0, abs(float(value[position])))
        plus, minus = value.copy(), value.copy()
        plus[position] += h
        minus[position] -= h
        f_plus = evaluate(expr, {**env, name: plus if value.shape else float(plus)})
        f_minus = evaluate(expr, {**env, name: minus if value.shape else float(minus)})
        out[position] = (f_plus - f_minus) / (2 * h)
    return out


def check_against_reference(problem, reference, arguments) -> None:
    """Loss and every gradient block of ``problem`` equal the reference's at a random point."""
    env = random_env(problem, seed=3)
    args = {name: np.asarray(env[symbol], dtype=float) for name, symbol in arguments.items()}
    assert_close(objective_value(problem, env), reference(**args), what="loss")
    gradient = symgd.gradient(problem)
    for block in gradient.blocks:
        written = next(name for name, symbol in arguments.items() if symbol == str(block.wrt[0]))
        slope = central_differences(lambda values: reference(**values), args, written)
        assert_close(block_values(block, env, problem), slope, rel=1e-5, what=f"gradient in {written}")


def assert_close(actual, expected, rel: float = 1e-7, what: str = "") -> None:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    error = np.linalg.norm(actual - expected)
    scale = max(np.linalg.norm(expected), 1e-3)
    assert error <= rel * scale, f"{what}: relative error {error / scale:.2e}\n{actual}\n{expected}"


def check_at_point(problem, reference, arguments: dict, env: dict) -> None:
    """The loss and every gradient block of ``problem`` at the point ``env`` equal the reference's and its central
    differences (arguments: reference name -> symbol name)."""
    values = {written: np.asarray(env[name], dtype=float) for written, name in arguments.items()}
    assert_close(objective_value(problem, env), reference(**values), what="loss")
    for block in symgd.gradient(problem).blocks:
        written = next(w for w, n in arguments.items() if n == str(getattr(block.wrt[0], "label", block.wrt[0])))
        slope = central_differences(lambda v: reference(**v), values, written)
        assert_close(block_values(block, env, problem), slope, rel=1e-5, what=f"gradient in {written}")
