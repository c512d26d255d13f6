"""Generated solvers for constrained problems: projected gradient and the augmented Lagrangian.

``min f(x) s.t. h(x) = 0, g(x) <= 0`` (simple bounds such as ``x >= 0`` or ``l <= x <= u`` are kept
apart as bounds). Both generated modules have, besides ``loss``/``grad``, the constraint values,
the gradient and Hessian of the Lagrangian with the multipliers as inputs, the bounds, and what the
formula says about convexity; their ``fit`` ends with one KKT analysis (``solver_text.ANALYSIS``):
multipliers by least squares on the active set, the residuals, and a status that is a certificate
("optimal" only for a convex problem or under the second-order sufficient condition).

The augmented Lagrangian: outer multiplier updates ``λ += ρ h``, ``μ = max(0, μ + ρ g)``; the
penalty ρ grows tenfold when the violation does not shrink by a quarter (the scheme GENO uses);
inner solves by ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` with the bounds.
Projected gradient: for sets with a closed-form projection (box, simplex, ℓ2 ball, hyperplane).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import sympy

from symgd import derive
from symgd.tensor.print_numpy import identifier
from symgd.codegen.module import ModuleWriter
from symgd.codegen.linear_model import LinearModel, low_rank_quadratic, predictor_functions
from symgd.codegen.solver_text import ANALYSIS, DENSE, FIT_AUGLAG, FIT_LOW_RANK, FIT_PROJECTED, FIT_QP
from symgd.errors import UnsupportedError
from symgd.kkt import kkt
from symgd.problem import Problem, _name_of


@dataclasses.dataclass(frozen=True)
class Bound:
    """A simple bound on a parameter: ``side`` is "lower" or "upper", ``value`` a SymPy scalar."""

    param: object
    side: str
    value: sympy.Expr
    position: int   # index of the constraint in problem.constraints
    indices: tuple = ()   # the free indices of an entry-wise bound (l_k <= x_k)


def split_bounds(problem: Problem) -> tuple[list[Bound], list[int]]:
    """Constraints that are simple bounds (x >= 0, x <= u, l <= x on a whole parameter) and the rest."""
    bounds, rest = [], []
    for position, constraint in enumerate(problem.constraints):
        bound = _as_bound(problem, constraint, position)
        (bounds if bound is not None else rest).append(bound if bound is not None else position)
    return bounds, rest


def _as_bound(problem: Problem, constraint, position):
    if constraint.kind != "le":
        return None
    expr = constraint.expr
    for param in problem.params:
        shape = problem.shapes[param]
        if tuple(constraint.shape) != tuple(shape):
            continue   # a bound covers the whole parameter, entry by entry
        entry = param[constraint.indices] if shape else param
        coefficient = expr.coeff(entry)
        rest = sympy.expand(expr - coefficient * entry)
        data_only = not rest.free_symbols & set(problem.params) and all(
            e.base not in problem.params for e in rest.atoms(sympy.Indexed))
        if coefficient in (1, -1) and data_only:
            # x - u <= 0 (upper bound u = -rest) or -x + l <= 0 (lower bound l = rest)
            if coefficient == 1:
                return Bound(param, "upper", -rest, position, constraint.indices)
            return Bound(param, "lower", rest, position, constraint.indices)
    return None


def generate_auglag(problem: Problem, gradient, hessian, docstring: str) -> str:
    """The module source of the augmented Lagrangian solver."""
    writer = ModuleWriter(problem, gradient, hessian, "lbfgs", None)
    pieces = _shared_pieces(writer, problem) + [FIT_AUGLAG.format(**_call_names(writer, problem))]
    return writer.assemble(docstring, pieces, scipy=("lsq_linear", "minimize"))


def quadratic_program(problem: Problem) -> bool:
    """A quadratic (or linear) objective with affine constraints, read from the formula."""
    params = tuple(problem.params)
    if any(curvature(c.expr, params) not in ("affine", "constant") for c in problem.constraints):
        return False
    try:
        hessian = derive.hessian(problem)
    except UnsupportedError:
        return False
    return not any(block.expr.has(*params) for block in hessian.blocks)


def nonconvex_quadratic(problem: Problem) -> str | None:
    """Why the objective is known not to be convex from the formula alone (a concave quadratic, or a
    Hessian of numbers with a negative eigenvalue), or None. ADMM's linear system is then not positive
    definite: such a problem goes to the augmented Lagrangian."""
    params = tuple(problem.params)
    if curvature(problem.objective, params) == "concave":
        return "the objective is concave"
    if any(problem.shapes[p] for p in params):
        return None
    try:
        blocks = {block.wrt: block.expr for block in derive.hessian(problem).blocks}
    except UnsupportedError:
        return None
    if any(not expr.is_number for expr in blocks.values()):
        return None
    matrix = np.array([[float(blocks.get((a, b), 0)) for b in params] for a in params])
    smallest = float(np.linalg.eigvalsh((matrix + matrix.T) / 2)[0])
    return f"the objective's Hessian has the eigenvalue {smallest:.3g}" if smallest < 0 else None


def generate_qp(problem: Problem, gradient, docstring: str) -> str:
    """The module source of the ADMM solver for quadratic programs (see ``solver_text.FIT_QP``)."""
    writer = ModuleWriter(problem, gradient, None, "gd", None)
    pieces = _shared_pieces(writer, problem)
    if "HAS_HESSIAN = False" in pieces[-2]:
        raise UnsupportedError("the quadratic-program solver needs the Hessian; use optimizer='auglag'")
    names = _call_names(writer, problem)
    general = [problem.constraints[i] for i in split_bounds(problem)[1]]
    # bounds and equalities only on a loss φ(Z^T a) + c^T a: the interior point through the low rank
    model = low_rank_quadratic(problem) if all(c.kind == "eq" for c in general) else None
    pieces.append(FIT_QP.format(name="_fit_admm" if model else "fit", **names))
    if model is not None:
        pieces += _low_rank_pieces(writer, model, names, "qp")
    return writer.assemble(docstring, pieces, scipy=("linprog", "lsq_linear"), linalg=("cho_factor", "cho_solve"))


def _shared_pieces(writer: ModuleWriter, problem: Problem) -> list[str]:
    """loss, grad, value_and_grad, the constraints, the Lagrangian's gradient and Hessian, the bounds,
    the convexity facts and the KKT analysis: what both solvers need to say what they found."""
    bounds, general = split_bounds(problem)
    inner = dataclasses.replace(problem, constraints=tuple(problem.constraints[i] for i in general),
                                constraints_ir=tuple(problem.constraints_ir[i] for i in general))
    pieces = [writer.loss_function(), writer.grad_function(), writer.value_and_grad_function()]
    equalities = [c for c in inner.constraints if c.kind == "eq"]
    inequalities = [c for c in inner.constraints if c.kind == "le"]
    pieces.append(_constraints_function(writer, equalities, inequalities))
    conditions = kkt(inner) if inner.constraints else None
    prefix = _multiplier_lines(writer, conditions, equalities, inequalities)
    pieces.append(_lagrangian_gradient_function(writer, conditions, prefix))
    hessian_function, quadratic = _lagrangian_hessian_function(writer, problem, conditions, prefix)
    if hessian_function is not None:
        pieces += [hessian_function, DENSE]
    pieces.append(_bounds_function(writer, problem, bounds))
    facts = [f"CONVEXITY = {convexity_reason(problem, inner)!r}   # how the formula shows convexity, or None",
             f"QUADRATIC = {quadratic!r}   # the Lagrangian's Hessian does not depend on the parameters",
             f"HAS_HESSIAN = {hessian_function is not None!r}"]
    pieces += ["\n".join(facts) + "\n", ANALYSIS]
    return pieces


def _values(writer: ModuleWriter, constraints) -> list:
    items = []
    for constraint in constraints:
        renamed = tuple(sympy.Symbol(f"{index}_c", integer=True) for index in constraint.indices)
        for index, dim in zip(renamed, constraint.shape):
            writer.free_ranges[index] = dim
        items.append((constraint.expr.xreplace(dict(zip(constraint.indices, renamed))), renamed))
    return items


def _constraints_function(writer: ModuleWriter, equalities, inequalities) -> str:
    items = _values(writer, equalities) + _values(writer, inequalities)
    count = len(equalities)

    def result(values):
        def stack(group):
            if not group:
                return "np.zeros(0)"
            return "np.concatenate([" + ", ".join(f"np.ravel({v})" for v in group) + "])"
        return f"return {stack(values[:count])}, {stack(values[count:])}"

    body = writer._body(items, result) if items else ["return np.zeros(0), np.zeros(0)"]
    return writer.function("constraint_values", "(h, g): equality and inequality values, flattened "
                           "(h = 0 and g <= 0 when feasible; simple bounds are not included).", body)


def _multiplier_lines(writer: ModuleWriter, conditions, equalities, inequalities) -> tuple[str, ...]:
    """Lines splitting the flat lam and mu into each constraint's multiplier, named apart from the
    problem's own identifiers."""
    if conditions is None:
        return ()
    taken = set(writer.names.values())
    lines = []
    for group, flat in ((equalities, "lam"), (inequalities, "mu")):
        offset = "0"
        for multiplier in (m for m in conditions.multipliers if m.constraint in group):
            name = identifier("m_" + _name_of(multiplier.symbol))
            while name in taken:
                name += "_"
            taken.add(name)
            writer.names[multiplier.symbol] = name
            size = " * ".join(writer._dim_code(d) for d in multiplier.shape) or "1"
            end = size if offset == "0" else f"{offset} + {size}"
            if multiplier.shape:
                shape = ", ".join(writer._dim_code(d) for d in multiplier.shape)
                lines.append(f"{name} = {flat}[{offset}:{end}].reshape(({shape},))")
            else:
                lines.append(f"{name} = {flat}[{offset}]")
            offset = end
    return tuple(lines)


def _lagrangian_gradient_function(writer: ModuleWriter, conditions, prefix: tuple) -> str:
    """∇f + J_h^T λ + J_g^T μ, with λ and μ flat arrays split per constraint."""
    if conditions is None:
        body = ["return grad(" + ", ".join(writer.args) + ")"]
        return writer.function("lagrangian_grad", "The gradient of the Lagrangian (no general constraints: "
                               "the gradient of the loss).", body, ", lam, mu")
    scalars = [not b.indices for b in conditions.gradient.blocks]
    items = writer._block_items(conditions.gradient)
    body = _body_with_multipliers(writer, items, lambda v: "return " + writer._tuple(v, scalars), prefix)
    return writer.function("lagrangian_grad", "The gradient of f + lam . h + mu . g (lam, mu flat, "
                           "in the order of constraint_values).", body, ", lam, mu")


def _body_with_multipliers(writer: ModuleWriter, items: list, result, prefix: tuple) -> list[str]:
    """The body, splitting out only the multipliers it uses (the Hessian of an affine constraint's
    term is zero, so its multiplier does not appear there)."""
    body = writer._body(items, result)
    used = tuple(line for line in prefix if re.search(rf"\b{re.escape(line.split(' = ')[0])}\b", "\n".join(body)))
    return writer._body(items, result, prefix=used) if used else body


def _lagrangian_hessian_function(writer: ModuleWriter, problem: Problem, conditions,
                                 prefix: tuple) -> tuple[str | None, bool]:
    """The Hessian of the Lagrangian as one dense matrix over the flattened parameters, and whether
    it is constant (f and every constraint quadratic or affine); (None, False) when symgd cannot
    generate it."""
    try:
        hessian = derive.hessian(conditions.gradient.problem if conditions is not None else problem)
        items = writer._block_items(hessian)
        count = len(writer.params)
        shapes = "(" + ", ".join(f"np.shape({writer.names[p]})" for p in writer.params) + \
            ("," if count == 1 else "") + ")"

        def result(values):
            rows = ["(" + ", ".join(values[row * count:(row + 1) * count]) + ",)" for row in range(count)]
            return f"return _dense(({', '.join(rows)},), {shapes})"
        body = _body_with_multipliers(writer, items, result, prefix)
    except UnsupportedError:
        return None, False
    quadratic = not any(block.expr.has(*writer.params) for block in hessian.blocks)
    return writer.function("lagrangian_hess", "The Hessian of f + lam . h + mu . g over the flattened "
                           "parameters (one dense matrix).", body, ", lam, mu"), quadratic


def _bounds_function(writer: ModuleWriter, problem: Problem, bounds: list) -> str:
    lines = []
    for param in problem.params:
        name = problem.argnames[param]
        lower = [b for b in bounds if b.param == param and b.side == "lower"]
        upper = [b for b in bounds if b.param == param and b.side == "upper"]
        lines.append(f"{name}_lower = np.full(np.shape({name}), {_bound_code(writer, lower, '-np.inf')})")
        lines.append(f"{name}_upper = np.full(np.shape({name}), {_bound_code(writer, upper, 'np.inf')})")
    pairs = ", ".join(f"({problem.argnames[p]}_lower, {problem.argnames[p]}_upper)" for p in problem.params)
    lines.append(f"return [{pairs}]")
    return writer.function("bounds", "Lower and upper bounds of each parameter (from the simple-bound "
                           "constraints), as arrays of the parameter's shape.", lines)


def _bound_code(writer: ModuleWriter, bounds: list, default: str) -> str:
    if not bounds:
        return default
    if len(bounds) > 1:
        raise UnsupportedError("two bounds of the same side on one parameter")
    value = bounds[0].value
    return writer.scalar_code(value, tuple(i for i in bounds[0].indices if i in value.free_symbols))


def _call_names(writer: ModuleWriter, problem: Problem) -> dict:
    """The pieces of text the fit templates are filled in with."""
    names = [problem.argnames[p] for p in problem.params]
    rest = [problem.argnames[s] for s in (*problem.data, *writer.constants)]
    starts = [n + "0" for n in names]
    return {"signature": ", ".join(starts + rest), "x": names[0],
            "starts": ", ".join(starts) + ("," if len(starts) == 1 else ""),
            "data": ", ".join(rest) + ("," if len(rest) == 1 else ""),
            "result": "params[0]" if len(names) == 1 else "params"}


# ---------------------------------------------------------------------------------------------
# Convexity from the formula
# ---------------------------------------------------------------------------------------------

def curvature(expr: sympy.Expr, params: tuple) -> str | None:
    """"constant", "affine", "convex" or "concave" when the composition rules show it (sums,
    positive multiples, even powers and absolute values of affine expressions, the Euclidean norm of
    an affine vector, exp and log of affine expressions); None when they do not."""
    if not expr.has(*params):
        return "constant"
    if expr in params or (isinstance(expr, sympy.Indexed) and expr.base in params):
        return "affine"
    if isinstance(expr, sympy.Add):
        return _combine([curvature(term, params) for term in expr.args])
    if isinstance(expr, sympy.Sum):
        return None if any(limit.has(*params) for limit in expr.args[1:]) else curvature(expr.args[0], params)
    if isinstance(expr, sympy.Mul):
        return _product_curvature(expr, params)
    if isinstance(expr, sympy.Pow):
        return _power_curvature(expr, params)
    inner = curvature(expr.args[0], params) if len(expr.args) == 1 else None
    if isinstance(expr, sympy.Abs) and inner == "affine":
        return "convex"
    if isinstance(expr, sympy.exp) and inner == "affine":
        return "convex"
    if isinstance(expr, sympy.log) and inner == "affine":
        return "concave"
    return None


def _product_curvature(expr: sympy.Mul, params: tuple) -> str | None:
    factor, rest = expr.as_independent(*params, as_Add=False)
    if isinstance(rest, sympy.Mul):
        return None   # two factors with parameters
    inner = curvature(rest, params)
    if inner not in ("convex", "concave"):
        return inner
    if factor.is_positive:
        return inner
    if factor.is_negative:
        return "concave" if inner == "convex" else "convex"
    return None


def _power_curvature(expr: sympy.Pow, params: tuple) -> str | None:
    base, exponent = expr.args
    if exponent.has(*params):
        return None
    inner = curvature(base, params)
    if inner == "affine" and exponent.is_Integer and exponent > 0 and exponent % 2 == 0:
        return "convex"
    if exponent == sympy.Rational(1, 2) and _sum_of_squares(base, params):
        return "convex"   # the Euclidean norm of an affine vector
    return None


def _sum_of_squares(expr, params: tuple) -> bool:
    while isinstance(expr, sympy.Sum):
        expr = expr.args[0]
    return isinstance(expr, sympy.Pow) and expr.exp == 2 and curvature(expr.base, params) == "affine"


def _combine(kinds: list) -> str | None:
    kinds = [k for k in kinds if k != "constant"]
    if None in kinds:
        return None
    if not kinds:
        return "constant"
    for result in ("affine", "convex", "concave"):
        if all(k in ("affine", result) for k in kinds):
            return result
    return None


def convexity_reason(problem: Problem, inner: Problem) -> str | None:
    """Why the problem is convex, read from its formula (None when the rules do not show it): a
    convex objective, affine equalities and convex inequalities g <= 0 (simple bounds are affine)."""
    params = tuple(problem.params)
    objective = curvature(problem.objective, params)
    kinds = [curvature(c.expr, params) for c in inner.constraints]
    allowed = {"eq": ("constant", "affine"), "le": ("constant", "affine", "convex")}
    if objective not in ("constant", "affine", "convex") or \
            any(kind not in allowed[c.kind] for c, kind in zip(inner.constraints, kinds)):
        return None
    objective_words = "linear" if objective != "convex" else \
        "convex (sums, positive multiples, even powers, norms and absolute values of affine expressions)"
    constraint_words = "affine" if "convex" not in kinds else "affine equalities and convex inequalities"
    return (f"convex problem, decided from the formula: the objective is {objective_words} and the constraints "
            f"are {constraint_words}")


# ---------------------------------------------------------------------------------------------
# Projected gradient for sets with a closed-form projection
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ProjectionSet:
    """A constraint set with a closed-form projection: "box", "simplex", "ball" or "affine"."""

    kind: str
    radius: sympy.Expr | None = None      # ball
    normal: sympy.Expr | None = None      # affine: a (an IndexedBase) or None for the ones vector
    offset: sympy.Expr | None = None      # affine: b in a^T x = b


def projection_set(problem: Problem) -> ProjectionSet | None:
    """The set, when the constraints are exactly one of the projectable kinds on one vector parameter."""
    if len(problem.params) != 1 or len(problem.shapes[problem.params[0]]) != 1:
        return None
    (param,) = problem.params
    bounds, general = split_bounds(problem)
    if not general:
        return ProjectionSet("box")
    if len(general) != 1:
        return None
    constraint = problem.constraints[general[0]]
    if constraint.shape:
        return None
    expr = sympy.expand(constraint.expr)
    sums = [term for term in sympy.Add.make_args(expr) if isinstance(term, sympy.Sum)]
    rest = sympy.Add(*(t for t in sympy.Add.make_args(expr) if not isinstance(t, sympy.Sum)))
    if constraint.kind == "eq" and len(sums) == 1 and not rest.has(param):
        body, (index, _, _) = sums[0].args
        if body == param[index]:
            kind = "simplex" if _nonnegative(bounds, param) and rest == -1 else "affine"
            if kind == "affine" and bounds:
                return None
            return ProjectionSet(kind, normal=None, offset=-rest)
        if isinstance(body, sympy.Mul) and param[index] in body.args and not bounds:
            normal = body / param[index]
            if isinstance(normal, sympy.Indexed) and normal.indices == (index,):
                return ProjectionSet("affine", normal=normal.base, offset=-rest)
        return None
    if constraint.kind == "le" and not bounds and isinstance(expr, sympy.Add):
        norms = [t for t in sympy.Add.make_args(expr) if isinstance(t, sympy.Pow) and t.exp == sympy.Rational(1, 2)]
        radius = -(expr - norms[0]) if len(norms) == 1 else None
        if len(norms) == 1 and isinstance(norms[0].base, sympy.Sum):
            body, (index, _, _) = norms[0].base.args
            if body == param[index] ** 2 and not radius.has(param):
                return ProjectionSet("ball", radius=radius)
    return None


def _nonnegative(bounds, param) -> bool:
    return any(b.param == param and b.side == "lower" and b.value == 0 for b in bounds) and \
        not any(b.param == param and b.side == "upper" for b in bounds)


def generate_projected(problem: Problem, gradient, docstring: str, kind: ProjectionSet) -> str:
    """The module source of projected gradient descent with a backtracking step; for a box and a
    loss φ(Z^T a) + c^T a with φ quadratic (``linear_model.low_rank_quadratic``), ``fit`` is the
    interior point through the Hessian's low rank (``solver_text.FIT_LOW_RANK``) and projected
    gradient is ``_fit_projected``."""
    writer = ModuleWriter(problem, gradient, None, "gd", None)
    pieces = _shared_pieces(writer, problem)
    model = low_rank_quadratic(problem) if kind.kind == "box" else None
    names = _call_names(writer, problem)
    pieces += [_projection_function(writer, problem, kind),
               FIT_PROJECTED.format(name="_fit_projected" if model else "fit", **names)]
    if model is None:
        return writer.assemble(docstring, pieces, scipy=("lsq_linear",))
    pieces += _low_rank_pieces(writer, model, names, "projected")
    return writer.assemble(docstring, pieces, scipy=("lsq_linear",), linalg=("cho_factor", "cho_solve"))


_FALLBACKS = {   # what the low-rank fit hands over to when the structure does not hold at run time
    "projected": dict(
        options="lr=None, max_iter=None, tol=1e-8, restarts=3, callback=None", fallback_if="lr is not None or ",
        fallback_call="return _fit_projected({x}0, *data, lr=1.0 if lr is None else lr, max_iter=10000 if max_iter "
                      "is None else max_iter, tol=tol, restarts=restarts, callback=callback)",
        fallback_doc="A number ``lr``, a coordinate without a finite bound, crossed or equal bounds, phi'' < 0 or\n"
                     "    k > n / 2 run projected gradient instead (``_fit_projected``, which takes ``max_iter`` and\n"
                     "    ``restarts`` as its own).", equalities_doc=""),
    "qp": dict(
        options="max_iter=None, tol=1e-8, rho=0.1, restarts=0, callback=None, max_size=3000", fallback_if="",
        fallback_call="return _fit_admm({x}0, *data, max_iter=20000 if max_iter is None else max_iter, tol=tol, "
                      "rho=rho, restarts=restarts, callback=callback, max_size=max_size)",
        fallback_doc="A coordinate without a finite bound, crossed or equal bounds, an inequality other than a\n"
                     "    bound, phi'' < 0 or k > n / 2 run ADMM instead (``_fit_admm``, on the dense n x n\n"
                     "    matrix, at most ``max_size`` unknowns; ``rho`` and ``restarts`` are its own).",
        equalities_doc=" and the affine equalities"),
}


def _low_rank_pieces(writer: ModuleWriter, model: LinearModel, names: dict, solver: str) -> list[str]:
    """φ's functions and the interior-point ``fit`` for a loss φ(Z^T a) + c^T a with φ quadratic,
    handing over to ``solver``'s fit (named ``_fit_projected`` or ``_fit_admm``) otherwise."""
    functions, link_args, helpers = predictor_functions(model)
    writer.helpers |= helpers
    matrix = writer.problem.argnames[model.matrix]
    x = names["x"]
    fallback = dict(_FALLBACKS[solver])
    fallback["fallback_call"] = fallback["fallback_call"].replace("{x}", x)
    pieces = [functions]
    diagonal = "np.zeros(size)"
    if model.diagonal != 0:   # Σ_k d_k a_k^2 terms: their gradient at a = 1 is the diagonal of their Hessian
        problem = dataclasses.replace(writer.problem, objective=model.diagonal, constraints=(), constraints_ir=())
        items = writer._block_items(derive.gradient(problem))
        pieces.append(writer.function("_diagonal_gradient", "The gradient of the loss's terms d_k a_k^2 (a diagonal "
                                      "Hessian, set apart from phi).", writer._body(items, lambda v: f"return {v[0]}")))
        diagonal = "np.broadcast_to(np.asarray(_diagonal_gradient(np.ones(shape), *data), dtype=float), (size,))"
    return pieces + [FIT_LOW_RANK.format(
        columns=matrix if model.transposed else f"{matrix}.T", rest_link=", ".join(link_args), diagonal=diagonal,
        predictor=f"{matrix}^T {x}" if model.transposed else f"{matrix} {x}", **fallback, **names)]


def _projection_function(writer: ModuleWriter, problem: Problem, kind: ProjectionSet) -> str:
    (param,) = problem.params
    x = problem.argnames[param]
    rest = [problem.argnames[s] for s in (*problem.data, *writer.constants)]
    call = ", ".join([x] + rest)
    if kind.kind == "box":
        body = [f"(({x}_lower, {x}_upper),) = bounds({call})",
                f"return np.clip({x}, {x}_lower, {x}_upper)"]
        doc = "The projection onto the box of the bounds."
    elif kind.kind == "simplex":
        body = [f"u = np.sort({x})[::-1]",
                "cumulative = np.cumsum(u) - 1.0",
                "k = np.arange(1, u.size + 1)",
                "last = np.nonzero(u - cumulative / k > 0)[0][-1]",
                f"return np.maximum({x} - cumulative[last] / (last + 1), 0.0)"]
        doc = "The projection onto the probability simplex (sorted threshold)."
    elif kind.kind == "ball":
        radius = writer.scalar_code(kind.radius)
        body = [f"radius = {radius}",
                f"norm = np.linalg.norm({x})",
                f"return {x} if norm <= radius else {x} * (radius / norm)"]
        doc = "The projection onto the l2 ball."
    else:
        offset = writer.scalar_code(kind.offset)
        normal = f"np.ones_like({x})" if kind.normal is None else writer.names[kind.normal]
        body = [f"a = {normal}",
                f"return {x} - a * ((a @ {x} - {offset}) / (a @ a))"]
        doc = "The projection onto the hyperplane a^T x = b."
    lines = [f"def project({call}):", f'    """{doc}"""'] + ["    " + line for line in body]
    return "\n".join(lines) + "\n"
