"""Lagrangian, KKT conditions, and exact KKT solutions of small problems.

Convention (stated in every rendering): ``min f(x) s.t. g_i(x) <= 0, h_j(x) = 0`` with the
Lagrangian ``L = f + Σ_j λ_j h_j + Σ_i μ_i g_i`` and ``μ >= 0``. Vector constraints (``Ax <= b``) get
vector multipliers of their shape. Multipliers are named λ (equalities) and μ (inequalities),
numbered when there are several, and ν / ξ when λ / μ are already the problem's own symbols.
"""

from __future__ import annotations

import dataclasses
import itertools
import signal
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy

from symgd import derive
from symgd.errors import UnsupportedError
from symgd.functions import MATRIX_EXPONENTIAL, det, inverse_entry, logabsdet
from symgd.problem import Constraint, Problem, SymbolDict, _name_of
from symgd.render import latex_of, name_latex
from symgd.parse import ir

CONVENTION = (r"\mathcal{L} = f + \sum_j \lambda_j h_j + \sum_i \mu_i g_i,\quad \mu \ge 0"
              r"\quad (h_j = 0,\ g_i \le 0)")


@dataclass(frozen=True)
class Multiplier:
    """The multiplier of one constraint: a Symbol, or an IndexedBase for a vector constraint."""

    symbol: object
    constraint: Constraint
    shape: tuple

    def entry(self, indices):
        return self.symbol[indices] if indices else self.symbol


@dataclass(frozen=True)
class KKTPoint:
    """One solution of the KKT system: variable values, multipliers and the objective there."""

    values: dict
    multipliers: dict
    objective: float
    licq: bool
    global_minimum: bool = False


@dataclass(frozen=True)
class KKTSolution:
    """What ``KKT.solve`` found: the KKT points, the global minimum where it is certain, a status."""

    points: tuple[KKTPoint, ...]
    status: str          # "optimal", "kkt points" (not certified global), "infeasible", "no kkt point"
    convex: bool
    message: str

    @property
    def minimum(self) -> KKTPoint | None:
        best = [p for p in self.points if p.global_minimum]
        return best[0] if best else None


@dataclass
class KKT:
    """The KKT conditions of a constrained problem (see the module docstring for the convention).

    Attributes:
        lagrangian: L in index form.
        multipliers: one per constraint, in constraint order.
        stationarity: ∂L/∂x = 0 per parameter (SymPy Eq, entry-wise with free indices).
        primal_feasibility: h = 0 and g <= 0 (SymPy relations, entry-wise for vectors).
        dual_feasibility: μ >= 0.
        complementary_slackness: μ_i g_i = 0.
    """

    problem: Problem
    lagrangian: sympy.Expr
    multipliers: tuple[Multiplier, ...]
    gradient: derive.Derivation
    stationarity: tuple = field(default=())
    primal_feasibility: tuple = field(default=())
    dual_feasibility: tuple = field(default=())
    complementary_slackness: tuple = field(default=())

    @property
    def latex(self) -> str:
        """The Lagrangian and the four groups of conditions, typeset as a textbook does."""
        lines = [r"\mathcal{L} = " + self._lagrangian_latex()]
        stationarity = []
        for block in self.gradient.blocks:
            (param,) = block.wrt
            name = name_latex(_name_of(param))
            if block.matrix is not None:
                stationarity.append(r"\nabla_{%s} \mathcal{L} = %s = 0" % (name, block.matrix_latex))
            else:
                indices = " ".join(sympy.latex(i) for i in block.indices)
                head = r"\frac{\partial \mathcal{L}}{\partial %s%s}" % (name, "_{%s}" % indices if indices else "")
                stationarity.append(f"{head} = {block.index_latex} = 0")
        lines.append(r"\text{stationarity: } " + r",\; ".join(stationarity))
        primal = [self._constraint_latex(m) for m in self.multipliers]
        lines.append(r"\text{primal feasibility: } " + r",\; ".join(primal))
        inequalities = [m for m in self.multipliers if m.constraint.kind == "le"]
        if inequalities:
            dual = [f"{self._multiplier_latex(m)} \\ge 0" for m in inequalities]
            lines.append(r"\text{dual feasibility: } " + r",\; ".join(dual))
            odot = r"\odot "
            slack = [f"{self._multiplier_latex(m)} {odot if m.shape else ''}{self._g_latex(m)} = 0"
                     for m in inequalities]
            lines.append(r"\text{complementary slackness: } " + r",\; ".join(slack))
        lines.append(r"\text{(convention: } " + CONVENTION + r"\text{)}")
        return r" \\ ".join(lines)

    def _repr_latex_(self) -> str:
        return "$$" + self.latex + "$$"

    def _multiplier_latex(self, multiplier: Multiplier) -> str:
        return name_latex(_name_of(multiplier.symbol))

    def _g_latex(self, multiplier: Multiplier) -> str:
        position = self.multipliers.index(multiplier)
        relation = self.problem.constraints_ir[position]
        return r"\left(" + latex_of(_normalised(relation)) + r"\right)"

    def _constraint_latex(self, multiplier: Multiplier) -> str:
        position = self.multipliers.index(multiplier)
        relation = self.problem.constraints_ir[position]
        sign = "=" if multiplier.constraint.kind == "eq" else r"\le"
        return f"{latex_of(_normalised(relation))} {sign} 0"

    def _lagrangian_latex(self) -> str:
        text = latex_of(self.problem.objective_ir)
        for multiplier in self.multipliers:
            name = self._multiplier_latex(multiplier)
            name = name + r"^\top" if multiplier.shape else name
            text += f" + {name} {self._g_latex(multiplier)}"
        return text

    def solve(self, data: dict | None = None, *, timeout: float = 10.0) -> KKTSolution:
        """Solve the KKT system exactly by enumerating active sets.

        Args:
            data: values of the data and constants (arrays or numbers), by name; needed when the
                problem has data. Dimensions are read from their shapes.
            timeout: seconds before giving up with a clear error.

        Returns:
            The KKT points with their multipliers and objective values; the global minimum is
            marked when the problem is convex (a quadratic objective with a positive semidefinite
            Hessian, affine or convex quadratic inequality constraints, affine equalities).

        Raises:
            UnsupportedError: sizes that are not explicit and small, or the time bound exceeded.
        """
        return _solve(self, data or {}, timeout)


def _normalised(relation: ir.Relation):
    """The IR of g (g <= 0) or h (h = 0) for a constraint as written."""
    left, right = relation.operands
    if relation.ops[0] in (">=", ">", "succeq"):   # w \succeq 0 on a vector: componentwise, -w <= 0
        left, right = right, left
    if right == ir.Num("0"):
        return left
    if left == ir.Num("0"):
        return ir.Neg(right)
    terms = left.terms if isinstance(left, ir.Add) else (left,)
    return ir.Add((*terms, ir.Neg(right)))


def _multiplier_names(problem: Problem) -> list[str]:
    taken = {_name_of(s) for s in problem.roles}
    equality = "lambda" if "lambda" not in taken else "nu"
    inequality = "mu" if "mu" not in taken else "xi"
    kinds = [c.kind for c in problem.constraints]
    names, seen = [], {"eq": 0, "le": 0}
    for kind in kinds:
        seen[kind] += 1
        base = equality if kind == "eq" else inequality
        names.append(base if kinds.count(kind) == 1 else f"{base}_{seen[kind]}")
    return names


def lagrangian(problem: Problem) -> tuple[sympy.Expr, tuple[Multiplier, ...]]:
    """L = f + Σ λ_j h_j + Σ μ_i g_i in index form, and the multipliers."""
    if not problem.constraints:
        raise UnsupportedError("a Lagrangian needs constraints; this problem has none")
    multipliers = []
    terms = [problem.objective]
    for name, constraint in zip(_multiplier_names(problem), problem.constraints):
        if constraint.shape:
            symbol = sympy.IndexedBase(name, shape=constraint.shape, real=True)
            body = symbol[constraint.indices] * constraint.expr
            limits = [(index, 1, size) for index, size in zip(constraint.indices, constraint.shape)]
            terms.append(sympy.Sum(body, *limits))
        else:
            symbol = sympy.Symbol(name, real=True)
            terms.append(symbol * constraint.expr)
        multipliers.append(Multiplier(symbol, constraint, constraint.shape))
    return sympy.Add(*terms), tuple(multipliers)


def kkt(problem: Problem) -> KKT:
    """The KKT conditions of ``problem`` (see :class:`KKT`)."""
    value, multipliers = lagrangian(problem)
    roles, shapes = SymbolDict(problem.roles), SymbolDict(problem.shapes)
    for multiplier in multipliers:
        roles[multiplier.symbol] = "multiplier"
        shapes[multiplier.symbol] = multiplier.shape
    lagrange_problem = dataclasses.replace(problem, objective=value, roles=roles, shapes=shapes,
                                           objective_name="\\mathcal{L}")
    gradient = derive.gradient(lagrange_problem)
    stationarity = tuple(sympy.Eq(block.expr, 0) for block in gradient.blocks)
    primal, dual, slack = [], [], []
    for multiplier in multipliers:
        constraint = multiplier.constraint
        entry = multiplier.entry(constraint.indices)
        if constraint.kind == "eq":
            primal.append(sympy.Eq(constraint.expr, 0))
        else:
            primal.append(sympy.Le(constraint.expr, 0))
            dual.append(sympy.Ge(entry, 0))
            slack.append(sympy.Eq(entry * constraint.expr, 0))
    return KKT(problem, value, multipliers, gradient, stationarity, tuple(primal), tuple(dual), tuple(slack))


# ---------------------------------------------------------------------------------------------
# Exact solution of small problems
# ---------------------------------------------------------------------------------------------

MAX_ACTIVE_SETS = 4096


class _Timeout(Exception):
    pass


def _solve(conditions: KKT, data: dict, timeout: float) -> KKTSolution:
    problem = conditions.problem
    if getattr(problem, "supplied", None):   # f(x), c_i(x): their values are the user's, not formulas to solve
        calls = ", ".join(function.written for function in problem.supplied.values())
        raise UnsupportedError(f"KKT.solve of a problem through a function you supply ({calls}): symgd writes its "
                               "conditions with the Jacobians but cannot solve them without the function's formula")
    sizes = _sizes(problem, data)
    scalar = _Scalarizer(problem, conditions.multipliers, sizes, data)
    objective = scalar.expand(problem.objective)
    equalities, inequalities = scalar.constraints()
    variables = scalar.variables
    if len(inequalities) > 12:
        raise UnsupportedError(f"{len(inequalities)} scalar inequality constraints: too many active sets "
                               "to enumerate; use symgd.codegen(..., optimizer='auglag')")
    previous = signal.signal(signal.SIGALRM, _raise_timeout) if _main_thread() else None
    if previous is not None:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    convex = _is_convex(objective, equalities, inequalities, variables)
    try:
        points = None
        if convex and _strictly_convex(objective, variables):
            points = _unique_minimum(objective, equalities, inequalities, variables)
        if points is None:
            points = _enumerate(objective, equalities, inequalities, variables)
    except _Timeout:
        raise UnsupportedError(f"KKT.solve took longer than {timeout} s; use a generated solver") from None
    finally:
        if previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    named = [scalar.present(p, objective, equalities, inequalities) for p in points]
    if named and convex:
        best = min(p.objective for p in named)
        named = [dataclasses.replace(p, global_minimum=abs(p.objective - best) <= 1e-9 * max(1.0, abs(best)))
                 for p in named]
    named.sort(key=lambda p: p.objective)
    if named:
        status = "optimal" if convex else "kkt points"
        message = ("convex problem: a KKT point is a global minimum" if convex else
                   "not recognised as convex: the KKT points are candidates; compare their objective values")
    elif _affine(equalities + inequalities, variables) and not _feasible(equalities, inequalities, variables):
        status, message = "infeasible", "the constraints have no common solution: the problem is infeasible"
    else:
        status, message = "no kkt point", ("no point satisfies the KKT conditions: the problem may be unbounded, "
                                           "infeasible, or LICQ may fail at its minimum")
    return KKTSolution(tuple(named), status, convex, message)


def _raise_timeout(*_):
    raise _Timeout()


def _main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


def _sizes(problem: Problem, data: dict) -> dict:
    """Concrete sizes of the dimensions: declared integers, or read from the data's shapes."""
    sizes = {}
    for symbol, shape in problem.shapes.items():
        name = _name_of(symbol)
        if name in data and shape:
            for dim, size in zip(shape, np.shape(data[name])):
                sizes[dim] = size
    for dim in problem.dims:
        if dim not in sizes:
            raise UnsupportedError(f"KKT.solve needs explicit sizes: give data with the dimension {dim}")
    total = sum(int(np.prod([sizes.get(d, d) for d in problem.shapes[p]])) for p in problem.params)
    if total > 12:
        raise UnsupportedError(f"KKT.solve enumerates active sets exactly; {total} scalar variables are too many")
    return sizes


def _exact(value):
    """A float as an exact rational (data enter the symbolic solve exactly)."""
    fraction = Fraction(float(value)).limit_denominator(10**12)
    return sympy.Rational(fraction.numerator, fraction.denominator)


class _Scalarizer:
    """Expands index form at concrete sizes into scalar unknowns x_1, x_2, ... and numbers."""

    def __init__(self, problem: Problem, multipliers, sizes: dict, data: dict) -> None:
        self.problem = problem
        self.multipliers = multipliers
        self.sizes = {d: sympy.Integer(s) for d, s in sizes.items()}
        self.replacements = {}
        self.variables = []
        for param in problem.params:
            shape = [int(self.sizes.get(d, d)) for d in problem.shapes[param]]
            if not shape:
                self.variables.append(param)
                continue
            for position in np.ndindex(*shape):
                indices = tuple(p + 1 for p in position)
                symbol = sympy.Symbol(f"{_name_of(param)}_{''.join(map(str, indices))}", real=True)
                self.replacements[(_name_of(param), indices)] = symbol
                self.variables.append(symbol)
        self.values, self.scalars, self.matrices = {}, {}, {}
        for symbol in (*problem.data, *problem.constants):
            name = _name_of(symbol)
            if name not in data:
                raise UnsupportedError(f"KKT.solve needs a value for {name}")
            value = np.asarray(data[name], dtype=float)
            if value.shape:
                for position in np.ndindex(*value.shape):
                    self.values[(name, tuple(p + 1 for p in position))] = _exact(value[position])
            else:
                self.scalars[symbol] = _exact(value)

    def expand(self, expr):
        """Entries by (name, indices): substituting sizes rebuilds the IndexedBase objects."""
        expr = _unroll(expr.xreplace(self.sizes))
        table = {**self.replacements, **self.values}

        def entry(indexed):
            key = (str(indexed.base.label), tuple(int(i) for i in indexed.indices))
            return table.get(key, indexed)

        expr = expr.replace(lambda e: isinstance(e, sympy.Indexed) and all(i.is_Integer for i in e.indices), entry)
        expr = expr.replace(lambda e: isinstance(e, (det, logabsdet, inverse_entry)), self._written_out)
        if expr.has(*MATRIX_EXPONENTIAL):   # an exact solve needs polynomial or rational equations
            raise UnsupportedError("KKT.solve with the matrix exponential e^{M}: its KKT equations are not "
                                   "polynomial, so there is no exact solution to enumerate; use the generated "
                                   "solver (symgd.codegen), whose fit reports a certified status")
        return expr.xreplace(self.scalars)

    def _written_out(self, function):
        """det, log|det| and inverse entries of a matrix of concrete size as expressions in its entries
        (the solver needs rational functions of the unknowns, not opaque matrix functions)."""
        matrix = self._matrix(function.args[0])
        if isinstance(function, det):
            return matrix.det(method="berkowitz")
        if isinstance(function, logabsdet):
            return sympy.log(matrix.det(method="berkowitz") ** 2) / 2   # real, derivative d(det)/det
        i, j = (int(k) for k in function.args[1:])
        return matrix.adjugate(method="berkowitz")[i - 1, j - 1] / matrix.det(method="berkowitz")

    def _matrix(self, matrix) -> sympy.Matrix:
        """A named matrix or a ``matrix_of`` at the concrete sizes, entry by entry."""
        if matrix not in self.matrices:
            if isinstance(matrix, sympy.IndexedBase):
                size = int(self.sizes.get(self.problem.shapes[matrix][0], self.problem.shapes[matrix][0]))
                rows = [[self.expand(matrix[i, j]) for j in range(1, size + 1)] for i in range(1, size + 1)]
            else:
                size = int(matrix.size.xreplace(self.sizes))
                rows = [[self.expand(matrix.entry(sympy.Integer(i), sympy.Integer(j))) for j in range(1, size + 1)]
                        for i in range(1, size + 1)]
            self.matrices[matrix] = sympy.Matrix(rows)
        return self.matrices[matrix]

    def constraints(self):
        equalities, inequalities = [], []
        for multiplier in self.multipliers:
            constraint = multiplier.constraint
            target = equalities if constraint.kind == "eq" else inequalities
            shape = [int(self.sizes.get(d, d)) for d in constraint.shape]
            for position in np.ndindex(*shape) if shape else [()]:
                entry = dict(zip(constraint.indices, (p + 1 for p in position)))
                target.append(self.expand(constraint.expr.xreplace(entry)))
        return equalities, inequalities

    def present(self, point: dict, objective, equalities, inequalities) -> KKTPoint:
        values = {str(v): point["x"][v] for v in self.variables}
        multipliers = {}
        eq_values = iter(point["lambda"])
        le_values = iter(point["mu"])
        for multiplier in self.multipliers:
            shape = [int(self.sizes.get(d, d)) for d in multiplier.shape]
            count = int(np.prod(shape)) if shape else 1
            source = eq_values if multiplier.constraint.kind == "eq" else le_values
            entries = [next(source) for _ in range(count)]
            multipliers[_name_of(multiplier.symbol)] = entries[0] if not shape else np.reshape(entries, shape)
        return KKTPoint(values, multipliers, point["objective"], point["licq"])


class _ActiveSets:
    """The KKT system of each active set: stationarity with the active multipliers, the equalities
    and the active inequalities, solved exactly; its solutions checked against the rest."""

    def __init__(self, objective, equalities, inequalities, variables) -> None:
        self.problem = (objective, equalities, inequalities)
        self.variables = variables
        self.lambdas = [sympy.Symbol(f"_lambda{j}", real=True) for j in range(len(equalities))]
        self.mus = [sympy.Symbol(f"_mu{i}", real=True) for i in range(len(inequalities))]
        # gradients once: the stationarity of each active set combines them
        self.gradients = [[sympy.diff(expr, v) for v in variables] for expr in (objective, *equalities, *inequalities)]

    def points(self, active: tuple) -> list[dict]:
        """The KKT points whose active inequalities include ``active`` (by position)."""
        objective, equalities, inequalities = self.problem
        gradients = self.gradients
        weights = [(1, gradients[0])] + [(lam, gradients[1 + j]) for j, lam in enumerate(self.lambdas)] + \
            [(self.mus[i], gradients[1 + len(equalities) + i]) for i in active]
        stationarity = [sympy.Add(*(w * g[k] for w, g in weights)) for k in range(len(self.variables))]
        equations = stationarity + list(equalities) + [inequalities[i] for i in active]
        unknowns = list(self.variables) + self.lambdas + [self.mus[i] for i in active]
        found = []
        multipliers = (len(self.variables), {self.mus[i] for i in active})
        for solution in _solve_system(equations, unknowns, multipliers):
            point = _check(solution, self.variables, self.lambdas, self.mus, active, objective, equalities,
                           inequalities)
            if point is not None:
                found.append(point)
        return found


def _unroll(expr):
    """Sums over concrete ranges written out term by term (``Sum.doit`` substitutes each term with
    ``subs``, seconds on a 6 x 3 least-squares objective; ``xreplace`` takes milliseconds)."""
    if isinstance(expr, sympy.Sum):
        # the outermost index first: an inner range may depend on it (Σ_i Σ_{j<i})
        index, lower, upper = expr.limits[-1]
        inner = expr.function if len(expr.limits) == 1 else sympy.Sum(expr.function, *expr.limits[:-1])
        rebinds = any(index in s.variables for s in inner.find(sympy.Sum))
        if rebinds or not (lower.is_Integer and upper.is_Integer):
            return expr.doit()
        return sympy.Add(*(_unroll(inner.xreplace({index: sympy.Integer(k)}))
                           for k in range(int(lower), int(upper) + 1)))
    if not expr.args or isinstance(expr, sympy.Indexed):
        return expr
    return expr.func(*(_unroll(arg) for arg in expr.args))


def _enumerate(objective, equalities, inequalities, variables) -> list[dict]:
    systems = _ActiveSets(objective, equalities, inequalities, variables)
    points = []
    subsets = itertools.chain.from_iterable(
        itertools.combinations(range(len(inequalities)), size)
        for size in range(min(len(inequalities), len(variables) + len(equalities)) + 1))
    for count, active in enumerate(subsets):
        if count >= MAX_ACTIVE_SETS:
            raise UnsupportedError("too many active sets to enumerate")
        for point in systems.points(active):
            if not any(_same(point, other) for other in points):
                points.append(point)
    return points


def _unique_minimum(objective, equalities, inequalities, variables) -> list[dict] | None:
    """A strictly convex problem has one KKT point at most: the minimiser. A numeric solve (SLSQP)
    guesses which inequalities are active there; that one system is solved exactly and checked
    like every other (one exact solve instead of one per active set). None when the guess fails
    (the caller then enumerates)."""
    from scipy.optimize import minimize

    try:
        value, gradient = _polynomial_function(objective, variables)
        constraints = []
        for kind, sign, expr in [("eq", 1, h) for h in equalities] + [("ineq", -1, g) for g in inequalities]:
            function, jacobian = _polynomial_function(sign * expr, variables)
            constraints.append({"type": kind, "fun": function, "jac": jacobian})
        result = minimize(value, np.zeros(len(variables)), jac=gradient, method="SLSQP", constraints=constraints,
                          options={"maxiter": 500, "ftol": 1e-14})
    except (sympy.PolynomialError, ValueError, ArithmeticError):
        return None
    if not np.all(np.isfinite(result.x)):
        return None
    at = dict(zip(variables, result.x))
    slack = [float(g.xreplace(at)) for g in inequalities]
    active = tuple(i for i, value in enumerate(slack) if abs(value) <= 1e-6 * max(1.0, np.max(np.abs(result.x))))
    points = _ActiveSets(objective, equalities, inequalities, variables).points(active)
    return points[:1] or None


def _solve_system(equations: list, unknowns: list, multipliers: tuple = (None, ())) -> list[dict]:
    """The isolated solutions of the equations. Polynomial systems go through a lex Groebner basis,
    which is triangular: the unknowns are found one at a time, last first, as roots of univariate
    polynomials whose coefficients are evaluated at the values already found (milliseconds, where
    ``sympy.solve`` takes seconds on a cubic). Other systems go to ``sympy.solve``. ``multipliers``:
    (how many leading unknowns are the point, the multipliers that must be >= 0), so that a linear
    system whose point is unique but whose multipliers are not (LICQ fails) still gives its point."""
    polynomial = all(e.is_polynomial(*unknowns) and e.free_symbols <= set(unknowns) for e in equations)
    if polynomial and all(sympy.Poly(e, *unknowns).total_degree() <= 1 for e in equations if e != 0):
        return _solve_linear(equations, unknowns, *multipliers)
    if not polynomial:
        try:
            return sympy.solve(equations, unknowns, dict=True)
        except NotImplementedError:
            raise UnsupportedError("SymPy cannot solve this KKT system exactly") from None
    basis = sympy.groebner([e for e in equations if e != 0], *unknowns, order="lex")
    if list(basis.exprs) == [1]:
        return []
    solutions, known = [{}], []
    for unknown in reversed(unknowns):
        pieces = [g for g in basis.exprs if g.has(unknown) and g.free_symbols <= set(known) | {unknown}]
        if not pieces:
            return []   # the unknown is free: a continuum of solutions, not points
        coefficients = [_coefficient_table(g, unknown, known) for g in pieces]
        solutions = [extended for partial in solutions
                     for extended in _roots(coefficients, unknown, known, partial)]
        known.append(unknown)
    return solutions


def _polynomial_function(expr, variables):
    """A polynomial in ``variables`` as two NumPy functions of the point: its value and gradient."""
    poly = sympy.Poly(expr, *variables)
    powers = np.array(poly.monoms(), dtype=float).reshape(-1, len(variables))
    coefficients = np.array([float(c) for c in poly.coeffs()])

    def value(x):
        return float(coefficients @ np.prod(np.asarray(x, dtype=float) ** powers, axis=1))

    def gradient(x):
        x = np.asarray(x, dtype=float)
        lowered = np.maximum(powers[:, None, :] - np.eye(len(variables))[None], 0)   # term, variable, power
        return np.einsum("t,tk,tk->k", coefficients, powers, np.prod(x ** lowered, axis=2))
    return value, gradient


def _solve_linear(equations: list, unknowns: list, point_size: int | None = None, nonnegative=()) -> list[dict]:
    """A linear system, exactly (rational arithmetic): its one solution, or [] when it has none or
    a continuum of points (a continuum is not a point). When only multipliers are free (the first
    ``point_size`` unknowns are determined: redundant constraints, LICQ fails), the point with
    multipliers chosen by a linear program so that those in ``nonnegative`` are >= 0 where possible."""
    matrix, right = sympy.linear_eq_to_matrix(equations, unknowns)
    augmented = matrix.row_join(right)
    reduced, pivots = augmented.rref()
    if len(unknowns) in pivots:
        return []   # inconsistent: a pivot in the right-hand column
    if len(pivots) == len(unknowns):
        return [{unknown: reduced[row, -1] for row, unknown in enumerate(unknowns)}]
    free = [column for column in range(len(unknowns)) if column not in pivots]
    if point_size is None or free[0] < point_size or \
            any(reduced[row, column] != 0 for row, pivot in enumerate(pivots) if pivot < point_size for column in free):
        return []   # the point itself is free
    return [_multipliers_by_lp(reduced, pivots, free, unknowns, nonnegative)]


def _multipliers_by_lp(reduced, pivots, free, unknowns, nonnegative) -> dict:
    """The solution of the reduced system with the free unknowns chosen by a linear program so that the
    unknowns in ``nonnegative`` are >= 0 (each pivot unknown is its right-hand side minus the free ones'
    columns); the free unknowns at 0 when no such choice exists (the check then rejects the point)."""
    from scipy.optimize import linprog

    constant = np.array([float(reduced[row, -1]) for row in range(len(pivots))])
    columns = np.array([[float(reduced[row, column]) for column in free] for row in range(len(pivots))])
    rows = [row for row, pivot in enumerate(pivots) if unknowns[pivot] in nonnegative]
    result = linprog(np.zeros(len(free)), A_ub=columns[rows] if rows else None,
                     b_ub=constant[rows] if rows else None,
                     bounds=[(0, None) if unknowns[column] in nonnegative else (None, None) for column in free])
    chosen = result.x if result.status == 0 else np.zeros(len(free))
    solution = {unknowns[column]: sympy.Float(value) for column, value in zip(free, chosen)}
    for row, pivot in enumerate(pivots):
        solution[unknowns[pivot]] = reduced[row, -1] - sum(reduced[row, column] * solution[unknowns[column]]
                                                           for column in free)
    return solution


def _strictly_convex(objective, variables) -> bool:
    """A quadratic objective whose constant Hessian is positive definite."""
    hessian = _hessian(objective, variables)
    if any(entry.free_symbols & set(variables) for entry in hessian):
        return False
    values = np.array(hessian.evalf(), dtype=float)
    eigenvalues = np.linalg.eigvalsh((values + values.T) / 2)
    return bool(eigenvalues[0] > 1e-12 * max(1.0, eigenvalues[-1]))


def _coefficient_table(polynomial, unknown, known: list) -> tuple[int, list]:
    """The degree in ``unknown`` and the terms (power of unknown, powers of the known, coefficient)."""
    poly = sympy.Poly(polynomial, unknown, *known)
    return poly.degree(unknown), [(monom[0], monom[1:], complex(coeff)) for monom, coeff in poly.terms()]


def _roots(coefficients: list, unknown, known: list, partial: dict) -> list[dict]:
    """``partial`` extended by each value of ``unknown`` that every piece allows ([] when no piece
    pins it down at these values: a continuum is not a point)."""
    polynomials = []
    point = [partial[k] for k in known]
    for degree, terms in coefficients:
        values = np.zeros(degree + 1, dtype=complex)
        for power, powers, coefficient in terms:
            values[degree - power] += coefficient * np.prod([v ** e for v, e in zip(point, powers)])
        scale = max(1.0, np.max(np.abs(values)))
        values = np.trim_zeros(np.where(np.abs(values) <= 1e-12 * scale, 0.0, values), "f")
        if values.size > 1:
            polynomials.append(values)
    if not polynomials:
        return []
    lowest = min(polynomials, key=len)
    extended = []
    for root in np.roots(lowest):
        if abs(root.imag) <= 1e-9 * max(1.0, abs(root)):
            root = complex(root.real)   # a double root comes back with rounding in its imaginary part
        if all(abs(np.polyval(p, root)) <= 1e-8 * np.sum(np.abs(p) * abs(root) ** np.arange(len(p))[::-1])
               for p in polynomials):
            extended.append({**partial, unknown: complex(root)})
    return extended


def _check(solution, variables, lambdas, mus, active, objective, equalities, inequalities):
    if any(v not in solution for v in variables):
        return None   # a continuum of solutions: not a point
    try:
        x = {v: complex(solution[v]) for v in variables}
        lam = [complex(solution.get(symbol, 0)) for symbol in lambdas]
        mu = [complex(solution.get(mus[i], 0)) if i in active else 0j for i in range(len(mus))]
    except TypeError:
        return None   # free parameters left in the solution
    if any(abs(value.imag) > 1e-12 for value in (*x.values(), *lam, *mu)):
        return None
    real = {v: value.real for v, value in x.items()}
    g = [float(expr.xreplace(real)) for expr in inequalities]
    if any(value > 1e-9 for value in g) or any(m.real < -1e-12 for m in mu):
        return None
    if any(abs(float(expr.xreplace(real))) > 1e-9 for expr in equalities):
        return None
    active_constraints = list(equalities) + [inequalities[i] for i in range(len(g)) if abs(g[i]) <= 1e-9]
    licq = True
    if active_constraints:
        jacobian = np.array([[float(sympy.diff(c, v).xreplace(real)) for v in variables] for c in active_constraints])
        licq = np.linalg.matrix_rank(jacobian) == len(active_constraints)
    return {"x": {v: _clean(real[v]) for v in variables}, "lambda": [_clean(value.real) for value in lam],
            "mu": [_clean(value.real) for value in mu], "objective": float(objective.xreplace(real)),
            "licq": bool(licq)}


def _clean(value: float) -> float:
    return 0.0 if abs(value) < 1e-14 else value


def _same(a: dict, b: dict) -> bool:
    return all(abs(a["x"][v] - b["x"][v]) <= 1e-9 * max(1.0, abs(a["x"][v])) for v in a["x"])


def _hessian(expr, variables):
    return sympy.Matrix([[sympy.diff(expr, a, b) for b in variables] for a in variables])


def _constant_psd(expr, variables) -> bool:
    """A quadratic (or affine) function with a positive semidefinite constant Hessian."""
    hessian = _hessian(expr, variables)
    if any(entry.free_symbols & set(variables) for entry in hessian):
        return False
    values = np.array(hessian.evalf(), dtype=float)
    return bool(np.all(np.linalg.eigvalsh((values + values.T) / 2) >= -1e-12))


def _affine(constraints, variables) -> bool:
    return all(_hessian(c, variables).is_zero_matrix for c in constraints)


def _is_convex(objective, equalities, inequalities, variables) -> bool:
    return (_constant_psd(objective, variables) and _affine(equalities, variables)
            and all(_constant_psd(g, variables) for g in inequalities))


def _feasible(equalities, inequalities, variables) -> bool:
    """Affine constraints: is there a feasible point? (a linear program with a zero objective)."""
    from scipy.optimize import linprog

    def rows(constraints):
        a = [[float(sympy.diff(c, v)) for v in variables] for c in constraints]
        b = [-float(c.xreplace({v: 0 for v in variables})) for c in constraints]
        return (np.array(a) if a else None), (np.array(b) if b else None)

    a_ub, b_ub = rows(inequalities)
    a_eq, b_eq = rows(equalities)
    result = linprog(np.zeros(len(variables)), A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                     bounds=[(None, None)] * len(variables))
    return result.status != 2


__all__ = ["KKT", "KKTPoint", "KKTSolution", "Multiplier", "kkt", "lagrangian"]
