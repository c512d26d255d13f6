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

from symgd.codegen.emit import identifier
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
        if coefficient in (1, -1) and not rest.has(sympy.Indexed) and not rest.free_symbols & set(problem.params):
            # x - u <= 0 (upper bound u = -rest) or -x + l <= 0 (lower bound l = rest)
            if coefficient == 1:
                return Bound(param, "upper", -rest, position)
            return Bound(param, "lower", rest, position)
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
    shapes = writer.shapes_block()
    parts = [f'r"""{docstring}"""\n', "import numpy as np\n", "from scipy.optimize import minimize\n"]
    if shapes:
        parts.append("\n" + shapes)
    from symgd.codegen.module import HELPERS
    for helper in sorted(writer.helpers):
        parts.append("\n" + HELPERS[helper].lstrip("\n"))
    parts += ["\n\n" + piece for piece in pieces]
    return "".join(parts).rstrip() + "\n"


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
    emitter = writer._emitter([bounds[0].value])
    emitter.count(bounds[0].value)
    emitter.finish_counting()
    return emitter.value(bounds[0].value, ())


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


