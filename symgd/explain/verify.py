"""Numeric verification of each step of an explanation, before it is shown.

Every equation is evaluated on both sides at random points with every dimension distinct
(symgd.numeric.random_values, generic non-symmetric matrices so a missing transpose cannot hide).
A differential dv is the directional derivative of v along a random direction dθ of the parameters,
by central differences, independent of the rules that wrote the step; a read-off gradient is
compared entry by entry with central differences of the loss; the first line (the loss as read) is
compared with the index form's own evaluator (symgd.numeric).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symgd import numeric
from symgd.problem import Problem
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate

STEP = 1e-5        # central differences: truncation ~ STEP², rounding ~ 1e-16 / STEP
TOLERANCE = 1e-5   # relative; both far above central-difference error, far below a wrong rule's


@dataclass(frozen=True)
class Equation:
    """What a step claims, in a form the verifier evaluates.

    ``kind`` is one of: ``value`` (``left`` = ``right``, both expressions over inputs and pieces),
    ``loss`` (``left`` the loss graph, ``right`` the index-form objective), ``differential``
    (d``left`` = ``right``, ``left`` a node of the loss graph, ``right`` linear in differentials),
    ``inner`` (d``left`` = Σ ⟨G, E⟩ over the pairs in ``right``), ``gradient`` (``right`` is
    ∂(loss)/∂``left``), ``index`` (``left`` equals the index-form block ``right``).
    """

    kind: str
    left: object
    right: object


class Verifier:
    """Evaluates equations at a few random points of one problem.

    Args:
        problem: the problem (symbols, shapes, dimensions).
        params: parameter symbols; their differentials are random directions.
        root: the loss graph.
        pieces: the named pieces (their symbols are valued by their nodes).
        differentials: Input node of a differential -> the node it is the differential of.
        seeds: one random point per seed.
    """

    def __init__(self, problem: Problem, params: tuple, root: ir.Node, pieces, differentials: dict,
                 seeds=(0, 1)) -> None:
        self.problem, self.root, self.pieces, self.differentials = problem, root, pieces, differentials
        self.points = [point for point in (self._inside(params, seed) for seed in seeds) if point is not None]

    def _inside(self, params: tuple, seed: int) -> "_Point | None":
        """A random point where the loss is defined: plain normal values first, then positive data
        and smaller parameters (log barriers, logs of data, fractional powers)."""
        for strategy in range(len(STRATEGIES)):
            point = _Point(self.problem, params, seed, strategy)
            if point.defined(self):
                return point
        return None

    def sizes(self) -> dict:
        """The dimensions of the random points."""
        names = numeric.random_values(self.problem, seed=0)
        return {str(d): names[str(d)] for d in self.problem.dims}

    def discrepancy(self, equation: Equation) -> float:
        """The largest relative difference of the two sides over the points (0 for an identity);
        infinite when no point inside the loss's domain was found or a side cannot be evaluated."""
        if not self.points:
            return float("inf")
        with np.errstate(all="ignore"):
            try:
                return max(self._discrepancy(equation, point) for point in self.points)
            except (ValueError, ZeroDivisionError, OverflowError, np.linalg.LinAlgError):
                return float("inf")

    def _discrepancy(self, equation: Equation, point: "_Point") -> float:
        kind, left, right = equation.kind, equation.left, equation.right
        if kind == "loss":
            return _relative(point.value(left, self), numeric.evaluate(right, point.names))
        if kind == "value":
            return _relative(point.value(left, self), point.value(right, self))
        if kind == "differential":
            return _relative(point.derivative(left, self), point.linear(right, self))
        if kind == "inner":
            total = sum(np.sum(np.asarray(point.linear(g, self)) * np.asarray(point.linear(e, self)))
                        for g, e in right)
            return _relative(point.derivative(left, self), total)
        if kind == "gradient":
            return _relative(point.gradient(self.root, left, self), point.value(right, self))
        if kind == "index":
            block = right
            expected = numeric.entries(block.expr, block.indices, point.concrete(block.shape), point.names)
            return _relative(point.value(left, self), expected)
        raise ValueError(kind)


# How random points are drawn, in the order tried: (data and constants made positive, parameters
# made positive, parameters scaled by).
STRATEGIES = ((False, False, 1.0), (True, False, 1.0), (True, True, 1.0), (True, False, 0.1), (True, False, 0.01))


class _Point:
    """One random point: values of every symbol, and a random direction for each parameter."""

    def __init__(self, problem: Problem, params: tuple, seed: int, strategy: int = 0) -> None:
        self.objective = problem.objective
        self.names = _values(problem, seed, *STRATEGIES[strategy])
        self.env: dict = {dim: self.names[str(dim)] for dim in problem.dims}
        for symbol in problem.shapes:
            if problem.roles[symbol] not in ("dimension", "index"):
                self.env[symbol] = self.names[str(getattr(symbol, "label", symbol))]
        rng = np.random.default_rng(1000 + seed)
        self.params = params
        self.directions = {p: rng.normal(size=self.concrete(problem.shapes[p])) for p in params}
        self.cache: dict = {}

    def defined(self, verifier: Verifier) -> bool:
        """The loss is finite here and a step either way (in both evaluators)."""
        with np.errstate(all="ignore"):
            try:
                values = [self.value(verifier.root, verifier, t) for t in (0.0, STEP, -STEP)]
                values.append(numeric.evaluate(self.objective, self.names))
            except (ValueError, ZeroDivisionError, OverflowError, np.linalg.LinAlgError):
                return False
        return all(np.all(np.isfinite(v)) for v in values)

    def concrete(self, shape) -> tuple:
        return tuple(numeric.dimension_size(d, self.names) for d in shape)

    def _env(self, t: float, verifier: Verifier) -> dict:
        """The values at θ + t dθ, pieces included."""
        if t not in self.cache:
            env = dict(self.env)
            for p in self.params:
                env[p] = self.env[p] + t * self.directions[p]
            memo: dict = {}
            for piece in verifier.pieces:
                env[piece.symbol.symbol] = evaluate(piece.node, env, memo)
            self.cache[t] = (env, memo)
        return self.cache[t]

    def value(self, node: ir.Node, verifier: Verifier, t: float = 0.0):
        env, _ = self._env(t, verifier)
        return evaluate(node, env, {})

    def derivative(self, node: ir.Node, verifier: Verifier):
        """The directional derivative of ``node`` along the direction, by central differences."""
        ahead, behind = self.value(node, verifier, STEP), self.value(node, verifier, -STEP)
        return (np.asarray(ahead) - np.asarray(behind)) / (2 * STEP)

    def linear(self, node: ir.Node, verifier: Verifier):
        """``node`` with each differential valued as the directional derivative of what it stands for."""
        env, _ = self._env(0.0, verifier)
        env = dict(env)
        for symbol_node, of in verifier.differentials.items():
            if of in self.directions:
                env[symbol_node.symbol] = self.directions[of]
            else:
                env[symbol_node.symbol] = self.derivative(of, verifier)
        return evaluate(node, env, {})

    def gradient(self, root: ir.Node, param, verifier: Verifier):
        """∂ root / ∂ param entry by entry, by central differences."""
        base = self.env[param]
        out = np.zeros(np.shape(base))
        for position in np.ndindex(*np.shape(base)) if np.ndim(base) else [()]:
            values = []
            for sign in (1, -1):
                env = dict(self.env)
                shifted = np.array(base, dtype=float)
                shifted[position] += sign * STEP
                env[param] = shifted if np.ndim(base) else float(shifted)
                values.append(evaluate(root, env, {}))
            out[position] = (values[0] - values[1]) / (2 * STEP)
        return out if np.ndim(base) else float(out)


def _values(problem: Problem, seed: int, positive: bool, positive_params: bool, scale: float) -> dict:
    names = numeric.random_values(problem, seed=seed, symmetric=False)
    for symbol, role in problem.roles.items():
        name = str(getattr(symbol, "label", symbol))
        if name not in names or role in ("dimension", "index"):
            continue
        if role == "parameter":
            names[name] = (np.abs(names[name]) if positive_params else names[name]) * scale
        elif positive:
            names[name] = np.abs(names[name])
    return names


def _relative(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    scale = max(1e-6, float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return float(np.max(np.abs(a - b), initial=0.0)) / scale
