"""Generated solvers for constrained problems: an augmented Lagrangian method.

``min f(x) s.t. h(x) = 0, g(x) <= 0`` (simple bounds such as ``x >= 0`` or ``l <= x <= u`` go to
the inner solver as bounds). The generated module has, besides ``loss``/``grad``, the constraint
values, the gradient of the Lagrangian with the multipliers as inputs, and ``fit``: outer
multiplier updates ``λ += ρ h``, ``μ = max(0, μ + ρ g)``; the penalty ρ grows tenfold when the
violation does not shrink by a quarter (the scheme GENO uses); inner solves by
``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` with the bounds. It stops on the KKT
residuals (stationarity, feasibility, complementarity) and reports infeasibility instead of looping.
"""

from __future__ import annotations

import dataclasses

import sympy

from symgd.tensor.print_numpy import identifier
from symgd.codegen.module import ModuleWriter
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
    bounds, general = split_bounds(problem)
    inner = dataclasses.replace(problem, constraints=tuple(problem.constraints[i] for i in general),
                                constraints_ir=tuple(problem.constraints_ir[i] for i in general))
    writer = ModuleWriter(problem, gradient, hessian, "lbfgs", None)
    pieces = [writer.loss_function(), writer.grad_function(), writer.value_and_grad_function()]
    equalities = [c for c in inner.constraints if c.kind == "eq"]
    inequalities = [c for c in inner.constraints if c.kind == "le"]
    pieces.append(_constraints_function(writer, equalities, inequalities))
    pieces.append(_lagrangian_gradient_function(writer, inner, equalities, inequalities))
    pieces.append(_bounds_function(writer, problem, bounds))
    pieces.append(_fit_function(writer, problem))
    return writer.assemble(docstring, pieces, scipy=True)


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


def _lagrangian_gradient_function(writer: ModuleWriter, inner: Problem, equalities, inequalities) -> str:
    """∇f + J_h^T λ + J_g^T μ, with λ and μ flat arrays split per constraint."""
    if not inner.constraints:
        body = ["return grad(" + ", ".join(writer.args) + ")"]
        return writer.function("lagrangian_grad", "The gradient of the Lagrangian (no general constraints: "
                               "the gradient of the loss).", body, ", lam, mu")
    conditions = kkt(inner)
    names = {}
    for multiplier in conditions.multipliers:
        names[multiplier.symbol] = identifier("m_" + _name_of(multiplier.symbol))
    writer.names.update(names)
    lines = []
    for group, flat in ((equalities, "lam"), (inequalities, "mu")):
        members = [m for m in conditions.multipliers if m.constraint in group]
        offset = "0"
        for multiplier in members:
            size = " * ".join(writer._dim_code(d) for d in multiplier.shape) or "1"
            end = size if offset == "0" else f"{offset} + {size}"
            name = names[multiplier.symbol]
            if multiplier.shape:
                shape = ", ".join(writer._dim_code(d) for d in multiplier.shape)
                lines.append(f"{name} = {flat}[{offset}:{end}].reshape(({shape},))")
            else:
                lines.append(f"{name} = {flat}[{offset}]")
            offset = end
    scalars = [not b.indices for b in conditions.gradient.blocks]
    items = writer._block_items(conditions.gradient)
    body = writer._body(items, lambda v: "return " + writer._tuple(v, scalars), prefix=tuple(lines))
    return writer.function("lagrangian_grad", "The gradient of f + lam . h + mu . g (lam, mu flat, "
                           "in the order of constraint_values).", body, ", lam, mu")


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


def _fit_function(writer: ModuleWriter, problem: Problem) -> str:
    names = [problem.argnames[p] for p in problem.params]
    rest = [problem.argnames[s] for s in (*problem.data, *writer.constants)]
    starts = [n + "0" for n in names]
    args_rest = ", ".join(rest)
    tail = (", " + args_rest) if rest else ""
    return FIT_AUGLAG.format(
        signature=", ".join(starts + rest), starts=", ".join(starts) + ("," if len(starts) == 1 else ""),
        tail=tail, result="params[0]" if len(names) == 1 else "params",
        result_starts="starts[0]" if len(names) == 1 else "starts",
        bounds_call="bounds(" + ", ".join(starts + rest) + ")")


FIT_AUGLAG = '''def fit({signature}, *, max_iter=100, tol=1e-8, rho=10.0, callback=None):
    """Solve the constrained problem by the augmented Lagrangian method.

    Returns (solution, info): info has "multipliers" (lam for h = 0, mu for g <= 0, and the bound
    multipliers), "residuals" (stationarity, feasibility, complementarity), "status" ("optimal",
    "infeasible" or "max_iter") and "history" (the loss after each outer iteration).
    """
    starts = tuple(np.array(p, dtype=float) for p in ({starts}))
    shapes = [np.shape(p) for p in starts]
    sizes = [int(np.prod(s)) for s in shapes]
    box = {bounds_call}
    lower = np.concatenate([np.ravel(low) for low, _ in box])
    upper = np.concatenate([np.ravel(high) for _, high in box])

    def unpack(theta):
        pieces = np.split(theta, np.cumsum(sizes)[:-1])
        return tuple(piece.reshape(shape) for piece, shape in zip(pieces, shapes))

    if np.any(lower > upper):   # contradictory bounds, such as x >= 1 and x <= 0
        residuals = {{"stationarity": np.nan, "feasibility": float(np.max(lower - upper)), "complementarity": np.nan}}
        return {result_starts}, {{"multipliers": {{}}, "residuals": residuals, "status": "infeasible", "history": []}}
    theta = np.clip(_flat(starts), lower, upper)
    h, g = constraint_values(*unpack(theta){tail})
    lam, mu = np.zeros(h.size), np.zeros(g.size)
    history, violation, status = [], np.inf, "max_iter"

    def augmented(theta):
        params = unpack(theta)
        value = loss(*params{tail})
        h, g = constraint_values(*params{tail})
        shifted = np.maximum(0.0, mu + rho * g)
        value += lam @ h + 0.5 * rho * (h @ h) + (shifted @ shifted - mu @ mu) / (2 * rho)
        return value, _flat(lagrangian_grad(*params{tail}, lam=lam + rho * h, mu=shifted))

    for _ in range(max_iter):
        inner = minimize(augmented, theta, jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper)),
                         options={{"maxiter": 5000, "gtol": tol * 1e-3, "ftol": 1e-16}})
        theta = inner.x
        params = unpack(theta)
        h, g = constraint_values(*params{tail})
        lam = lam + rho * h
        mu = np.maximum(0.0, mu + rho * g)
        history.append(loss(*params{tail}))
        if callback is not None:
            callback(len(history) - 1, params, history[-1])
        residuals = _residuals(theta, params, lam, mu, h, g, lower, upper{tail})
        if max(residuals.values()) <= tol:
            status = "optimal"
            break
        new_violation = max(np.max(np.abs(h), initial=0.0), np.max(g, initial=0.0))
        if new_violation > tol and new_violation > 0.25 * violation:
            if rho >= 1e10:   # the penalty cannot grow further and the violation stays: infeasible
                status = "infeasible"
                break
            rho *= 10.0
        violation = new_violation
    step = _flat(lagrangian_grad(*params{tail}, lam=lam, mu=mu))
    at_lower, at_upper = np.isclose(theta, lower), np.isclose(theta, upper)
    multipliers = {{"lam": lam, "mu": mu, "lower": np.where(at_lower, np.maximum(step, 0.0), 0.0),
                   "upper": np.where(at_upper, np.maximum(-step, 0.0), 0.0)}}
    info = {{"multipliers": multipliers, "residuals": residuals, "status": status, "history": history}}
    return {result}, info


def _flat(parts):
    """One flat vector from a parameter, or a tuple of them."""
    parts = parts if isinstance(parts, tuple) else (parts,)
    return np.concatenate([np.ravel(p) for p in parts])


def _residuals(theta, params, lam, mu, h, g, lower, upper{tail}):
    """KKT residuals: stationarity (projected on the bounds), feasibility, complementarity."""
    step = _flat(lagrangian_grad(*params{tail}, lam=lam, mu=mu))
    stationarity = np.max(np.abs(theta - np.clip(theta - step, lower, upper)), initial=0.0)
    feasibility = max(np.max(np.abs(h), initial=0.0), np.max(g, initial=0.0))
    complementarity = np.max(np.abs(mu * g), initial=0.0)
    return {{"stationarity": stationarity, "feasibility": feasibility, "complementarity": complementarity}}
'''




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
    """The module source of projected gradient descent with a backtracking step."""
    writer = ModuleWriter(problem, gradient, None, "gd", None)
    bounds, _ = split_bounds(problem)
    pieces = [writer.loss_function(), writer.grad_function(), writer.value_and_grad_function()]
    if kind.kind == "box":
        pieces.append(_bounds_function(writer, problem, bounds))
    pieces += [_projection_function(writer, problem, kind), _fit_projected(writer, problem)]
    return writer.assemble(docstring, pieces)


def _projection_function(writer: ModuleWriter, problem: Problem, kind: ProjectionSet) -> str:
    (param,) = problem.params
    x = problem.argnames[param]
    rest = [problem.argnames[s] for s in (*problem.data, *writer.constants)]
    call = ", ".join([x] + rest)
    if kind.kind == "box":
        body = [f"(({x}_lower, {x}_upper),) = bounds({call})",
                f"projected = np.clip({x}, {x}_lower, {x}_upper)",
                f"lower = np.where(projected <= {x}_lower, np.maximum(g, 0.0), 0.0)",
                f"upper = np.where(projected >= {x}_upper, np.maximum(-g, 0.0), 0.0)",
                "# the bound multipliers are nonzero only where the bound is active: complementarity is 0",
                "return projected, {\"lower\": lower, \"upper\": upper}, g - lower + upper, 0.0"]
        doc = "Projection onto the box; bound multipliers, stationarity vector, complementarity."
    elif kind.kind == "simplex":
        body = [f"u = np.sort({x})[::-1]",
                "cumulative = np.cumsum(u) - 1.0",
                "k = np.arange(1, u.size + 1)",
                "last = np.nonzero(u - cumulative / k > 0)[0][-1]",
                f"projected = np.maximum({x} - cumulative[last] / (last + 1), 0.0)",
                "support = projected > 0",
                "lam = -np.mean(g[support])",
                "mu = np.where(support, 0.0, np.maximum(g + lam, 0.0))",
                "return projected, {\"lam\": lam, \"mu\": mu}, g + lam - mu, np.max(np.abs(mu * projected))"]
        doc = ("Projection onto the probability simplex (sorted threshold); multipliers, stationarity vector, "
               "complementarity.")
    elif kind.kind == "ball":
        radius = writer.scalar_code(kind.radius)
        body = [f"radius = {radius}",
                f"norm = np.linalg.norm({x})",
                f"projected = {x} if norm <= radius else {x} * (radius / norm)",
                "on_sphere = np.linalg.norm(projected) >= radius * (1 - 1e-12)",
                "mu = max(0.0, -(g @ projected) / radius) if on_sphere else 0.0",
                "slack = abs(mu * (np.linalg.norm(projected) - radius))",
                "return projected, {\"mu\": mu}, g + mu * projected / radius, slack"]
        doc = "Projection onto the l2 ball; multiplier, stationarity vector, complementarity."
    else:
        offset = writer.scalar_code(kind.offset)
        normal = f"np.ones_like({x})" if kind.normal is None else writer.names[kind.normal]
        body = [f"a = {normal}",
                f"projected = {x} - a * ((a @ {x} - {offset}) / (a @ a))",
                "lam = -(a @ g) / (a @ a)",
                "return projected, {\"lam\": lam}, g + lam * a, 0.0"]
        doc = "Projection onto the hyperplane a^T x = b; multiplier, stationarity vector, complementarity (0)."
    signature = ", ".join([x] + rest) + ", g"
    lines = [f"def project({signature}):", f'    """{doc}"""'] + ["    " + line for line in body]
    return "\n".join(lines) + "\n"


def _fit_projected(writer: ModuleWriter, problem: Problem) -> str:
    (param,) = problem.params
    x = problem.argnames[param]
    rest = [problem.argnames[s] for s in (*problem.data, *writer.constants)]
    tail = (", " + ", ".join(rest)) if rest else ""
    return FIT_PROJECTED.format(x=x, signature=", ".join([x + "0"] + rest), tail=tail)


FIT_PROJECTED = '''def fit({signature}, *, lr=1.0, max_iter=10000, tol=1e-8, callback=None):
    """Projected gradient descent with a backtracking step (the step halves until the loss
    decreases as its quadratic model promises, and may grow again after a success).

    Returns (solution, info): info has "multipliers", "residuals" (stationarity, feasibility,
    complementarity), "status" ("optimal" or "max_iter") and "history" (losses).
    """
    {x} = project(np.array({x}0, dtype=float){tail}, g=np.zeros(np.shape({x}0)))[0]
    value, g = value_and_grad({x}{tail})
    step, history, status = lr, [value], "max_iter"
    for iteration in range(max_iter):
        while True:
            candidate = project({x} - step * g{tail}, g=g)[0]
            move = candidate - {x}
            new_value = loss(candidate{tail})
            if new_value <= value + g @ move + (move @ move) / (2 * step) or step < 1e-20:
                break
            step /= 2
        {x}, value = candidate, new_value
        g = grad({x}{tail})
        history.append(value)
        if callback is not None:
            callback(iteration, {x}, value)
        if np.max(np.abs(move), initial=0.0) <= tol * step:
            status = "optimal"
            break
        step *= 1.5
    projected, multipliers, stationarity, complementarity = project({x}{tail}, g=g)
    residuals = {{"stationarity": float(np.max(np.abs(stationarity))),
                 "feasibility": float(np.max(np.abs(projected - {x}))), "complementarity": float(complementarity)}}
    if max(residuals.values()) > 1e3 * tol:
        status = "max_iter"
    return {x}, {{"multipliers": multipliers, "residuals": residuals, "status": status, "history": history}}

'''
