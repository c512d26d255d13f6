"""Smooth parts of a linear predictor, F(w) = φ(Xw) with one term per row, for the prox solver.

Recognised from the index form: every sum over the parameter's index ``j`` has the body
``w_j X_{aj}`` times factors free of ``j`` (``Σ_j X_{ij} w_j``, ``Σ_j w_j x_{ij} y_i``), all with the
same data matrix ``X``; each such sum becomes the entry ``z_a`` of the predictor ``z = Xw`` (times
its other factors). What is left, φ(z), must not contain ``w`` and must be separable: a sum of
terms ``c Σ_i ψ(z_i, ...)`` that each use ``z`` only at their own row ``i``. Then the Hessian of F
is ``X^T diag(ψ''(z)) X``: the generated ``fit`` builds it on a small working set of coordinates
and solves the ℓ1-penalised model there (proximal Newton, as glmnet and newGLMNET do), touching
all of ``X`` once per iteration instead of once per gradient step.

φ's gradient ψ'(z) and its curvature ψ''(z) (the gradient of Σ_i ψ'(z_i)) are derived and printed
like any other derivative, by a writer for a problem whose parameter is ``z``.

The same recognition, with the matrix also allowed transposed (``Σ_k a_k Z_{kj}``, z = Z^T a) and
terms linear in the parameter set aside (``- 1^T a``), finds the box-constrained problems whose loss
is φ(Z^T a) + c^T a with φ quadratic (``low_rank_quadratic``): the SVM dual ``½||Z^T a||^2 - 1^T a``
has a 4000 x 4000 Hessian of rank 50, and the generated ``fit`` solves it through that rank
(``solver_text.FIT_LOW_RANK``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import sympy

from symgd import derive
from symgd.codegen.module import ModuleWriter
from symgd.errors import UnsupportedError
from symgd.problem import Problem, SymbolDict

PREDICTOR_NAME = "z"   # renamed apart (symgd.codegen.names) when the user has a name z


@dataclass(frozen=True)
class LinearModel:
    """F(w) = φ(Xw): ``matrix`` is X, ``predictor`` the IndexedBase z, ``link`` φ as a problem in z."""

    matrix: sympy.IndexedBase
    predictor: sympy.IndexedBase
    link: Problem
    transposed: bool = False   # z = matrix^T w (the parameter runs along the matrix's rows)
    diagonal: sympy.Expr = sympy.S.Zero   # terms c Σ_k d_k w_k^2 set aside (a diagonal Hessian)


def linear_model(problem: Problem, smooth: sympy.Expr, *, transposed: bool = False,
                 affine: bool = False) -> LinearModel | None:
    """``smooth`` (the objective's smooth part) as φ(Xw), or None when it is not of that form;
    ``transposed`` also accepts φ(X^T w), ``affine`` sets terms linear in w (c^T w) aside (they are
    not part of φ; the caller reads them from the gradient at 0) and terms c Σ_k d_k w_k^2 (kept as
    ``diagonal``)."""
    if len(problem.params) != 1:
        return None
    (param,) = problem.params
    shape = problem.shapes[param]
    if not isinstance(param, sympy.IndexedBase) or len(shape) != 1:
        return None
    diagonal = sympy.S.Zero
    if affine:
        terms = [term for term in sympy.Add.make_args(smooth) if not _linear_in(term, param)]
        diagonal = sympy.Add(*(term for term in terms if _linear_in(term, param, power=2)))
        smooth = sympy.Add(*(term for term in terms if not _linear_in(term, param, power=2)))
    matrices: set = set()
    predictors: dict = {}

    def predictor_entry(node: sympy.Sum):
        found = _linear_term(problem, node, param, shape[0], transposed)
        if found is None:
            return node
        matrix, row, rest, flipped = found
        matrices.add((matrix, flipped))
        if (matrix, flipped) not in predictors:
            rows = problem.shapes[matrix][1 if flipped else 0]
            predictors[matrix, flipped] = sympy.IndexedBase(f"_{PREDICTOR_NAME}", shape=(rows,), real=True)
        return rest * predictors[matrix, flipped][row]

    link = smooth.replace(lambda node: isinstance(node, sympy.Sum) and node.has(param), predictor_entry)
    if len(matrices) != 1 or link.has(param):
        return None
    ((matrix, flipped),) = matrices
    predictor = predictors[matrix, flipped]
    if not _separable(link, predictor):
        return None
    shapes = SymbolDict(problem.shapes)
    shapes[predictor] = problem.shapes[matrix][1:] if flipped else problem.shapes[matrix][:1]
    roles = SymbolDict(problem.roles)
    roles[predictor] = "parameter"
    argnames = SymbolDict(problem.argnames)
    argnames[predictor] = PREDICTOR_NAME
    link_problem = dataclasses.replace(problem, objective=link, params=(predictor,), shapes=shapes, roles=roles,
                                       argnames=argnames, requests=(), updates=(), constraints=())
    return LinearModel(matrix, predictor, link_problem, flipped, diagonal)


def _linear_in(term: sympy.Expr, param, power: int = 1) -> bool:
    """``term`` is c Σ_k (w_k^power times factors free of w), c free of w: a term of c^T w (power 1)
    or of a diagonal quadratic Σ_k d_k w_k^2 (power 2)."""
    factor, rest = term.as_independent(param, as_Add=False)
    if not isinstance(rest, sympy.Sum) or len(rest.limits) != 1:
        return False
    index = rest.limits[0][0]
    _, entry = rest.function.as_independent(param, as_Add=False)
    return entry == param[index] ** power


def _linear_term(problem: Problem, node: sympy.Sum, param, size, transposed: bool = False):
    """(X, a, rest, False) when ``node`` is Σ_j w_j X_{aj} rest over all of w's index, (X, a, rest,
    True) for Σ_j w_j X_{ja} rest when ``transposed``, else None."""
    if len(node.limits) != 1:
        return None
    index, lower, upper = node.limits[0]
    if lower != 1 or upper != size:
        return None
    entry, matrix, rest = None, None, []
    for factor in sympy.Mul.make_args(node.function):
        if isinstance(factor, sympy.Indexed) and factor.base.label == param.label and factor.indices == (index,):
            if entry is not None:
                return None
            entry = factor
        elif isinstance(factor, sympy.Indexed) and len(factor.indices) == 2 and index in factor.indices \
                and factor.indices[0] != factor.indices[1] and factor.base in problem.data and matrix is None \
                and (factor.indices[1] == index or transposed):
            matrix = factor
        elif factor.has(index) or factor.has(param):
            return None
        else:
            rest.append(factor)
    if entry is None or matrix is None:
        return None
    flipped = matrix.indices[0] == index
    row = matrix.indices[1 if flipped else 0]
    if not isinstance(row, sympy.Symbol):
        return None
    return matrix.base, row, sympy.Mul(*rest), flipped


def _separable(link: sympy.Expr, predictor) -> bool:
    """Every term with z is c Σ_i (body using z only as z_i, in no inner sum)."""
    for term in sympy.Add.make_args(sympy.expand(link, deep=False, mul=True, multinomial=False, power_exp=False,
                                                 power_base=False, log=False)):
        if not term.has(predictor):
            continue
        _, rest = term.as_independent(predictor, as_Add=False)
        if not isinstance(rest, sympy.Sum) or len(rest.limits) != 1:
            return False
        index = rest.limits[0][0]
        body = rest.function
        entries = [e for e in body.atoms(sympy.Indexed) if e.base == predictor]
        if any(e.indices != (index,) for e in entries):
            return False
        if any(inner.has(predictor) for inner in body.find(sympy.Sum)):
            return False
    return True


class _PredictorWriter(ModuleWriter):
    """Writes functions of the predictor z; the dimensions are read from the arrays without the
    shape check (``fit`` checked the user's arrays, and z = Xw has X's rows)."""

    def _dims_lines(self, code: list[str]) -> list[str]:
        text = "\n".join(code)
        lines = []
        for dim, name in self.dim_names.items():
            if not re.search(rf"\b{re.escape(name)}\b", text):
                continue
            for symbol in self.params + self.data:
                shape = self.problem.shapes[symbol]
                if dim in shape:
                    lines.append(f"{name} = np.shape({self.problem.argnames[symbol]})[{shape.index(dim)}]")
                    break
        return lines


def predictor_functions(model: LinearModel) -> tuple[str, list[str], set[str]]:
    """The text of ``_link_value_and_grad`` (φ and ψ'(z)) and ``_link_curvature`` (ψ''(z)), the
    names of their arguments after z, and the helpers (sigmoid, ...) they use."""
    link = model.link
    gradient, curvature = _link_derivatives(model)
    curvature_problem = curvature.problem
    writer = _PredictorWriter(link, gradient, None, "prox", None)
    items = [(link.objective, ())] + writer._block_items(gradient)
    body = writer._body(items, lambda v: f"return float({v[0]}), {v[1]}")
    text = writer.function("_link_value_and_grad", "phi(z) and its gradient (one entry per row).", body)
    curvature_writer = _PredictorWriter(curvature_problem, curvature, None, "prox", None)
    body = curvature_writer._body(curvature_writer._block_items(curvature), lambda v: f"return {v[0]}")
    text += "\n\n" + curvature_writer.function("_link_curvature", "The second derivative of phi at each row "
                                               "(the diagonal of its Hessian).", body)
    rest = [link.argnames[s] for s in (*link.data, *writer.constants)]
    return text, rest, writer.helpers | curvature_writer.helpers


def _link_derivatives(model: LinearModel):
    """The derivations of ψ'(z) (φ's gradient) and ψ''(z) (the gradient of Σ_i ψ'(z_i): the diagonal
    of φ's Hessian, φ being separable)."""
    link = model.link
    gradient = derive.gradient(link)
    (block,) = gradient.blocks
    (free,) = block.indices
    row = sympy.Symbol("_row", integer=True)
    rows = link.shapes[model.predictor][0]
    total = sympy.Sum(block.expr.xreplace({free: row}), (row, 1, rows))
    return gradient, derive.gradient(dataclasses.replace(link, objective=total))


def low_rank_quadratic(problem: Problem) -> LinearModel | None:
    """The model φ(z) of a loss φ(Z^T a) + c^T a (or φ(X a) + c^T a) with φ quadratic: separable,
    its second derivative free of z, so the Hessian is Z diag(ψ'') Z^T, of rank at most the length
    of z. None when the loss is not of that form (a sign of ψ'' is checked where the data are)."""
    model = linear_model(problem, problem.objective, transposed=True, affine=True)
    if model is None:
        return None
    try:
        _, curvature = _link_derivatives(model)
    except UnsupportedError:
        return None
    return None if any(block.expr.has(model.predictor) for block in curvature.blocks) else model


FIT_LINEAR = '''def fit({signature}, *, lr=None, max_iter=1000, tol=1e-8, batch_size=None, callback=None, seed=0):
    """Minimise F(w) + c ||w||_1, where F depends on w only through z = {matrix} w, one term per row;
    returns (parameters, history of losses: at the start, then after each iteration).

    Proximal Newton on a working set (as glmnet): each iteration takes the full gradient
    {matrix}^T phi'(z) (one pass over {matrix}), chooses the working set (the non-zero coefficients and
    the coordinates that violate the optimality conditions most), builds the Hessian there,
    {matrix}_S^T diag(phi''(z)) {matrix}_S, solves the l1-penalised quadratic model on it to high
    accuracy (``_l1_quadratic``) and steps to that solution, halving the step until the loss
    falls (a full step is exact when F is quadratic). Stops when no coordinate violates the
    optimality conditions by more than ``tol`` relative to max(c, the largest gradient entry at
    the start), or after ``max_iter`` iterations. A number ``lr`` or a ``batch_size`` runs FISTA
    instead (``_fista``).
    """
    if lr is not None or batch_size is not None:
        return _fista({call}, lr=lr, max_iter=max_iter, tol=tol, batch_size=batch_size, callback=callback,
                      seed=seed)
    _dims({dims_call})
    w = np.array({start}, dtype=float)
    weight = _l1_weight({rest_all})
    z = {matrix} @ w if np.any(w) else np.zeros(np.shape({matrix})[0])
    value, slope = _link_value_and_grad(z, {rest_link})
    objective = value + weight * np.sum(np.abs(w))
    history, scale, working, columns = [objective], None, None, None
    for iteration in range(max_iter):
        gradient = {matrix}.T @ slope
        violation = np.where(w != 0, np.abs(gradient + weight * np.sign(w)), np.maximum(np.abs(gradient) - weight, 0))
        if scale is None:
            scale = max(weight, np.max(np.abs(gradient)), np.finfo(float).tiny)
        if np.max(violation) <= tol * scale:
            break
        support = np.flatnonzero(w)
        candidates = np.setdiff1d(np.flatnonzero(violation > tol * scale), support)
        worst = candidates[np.argsort(-violation[candidates])[:max(100, 2 * len(support))]]
        previous, working = working, np.union1d(support, worst)
        if previous is None or not np.array_equal(working, previous):   # else the columns are those we have
            columns = np.take({matrix}, working, axis=1)
        hessian = _weighted_gram(columns, np.broadcast_to(_link_curvature(z, {rest_link}), np.shape(z)))
        current = w[working]
        target = _l1_quadratic(hessian, gradient[working] - hessian @ current, weight, current, 0.01 * tol * scale)
        direction = target - current
        outside = np.sum(np.abs(w)) - np.sum(np.abs(current))   # the l1 norm off the working set
        decrease = gradient[working] @ direction + weight * (np.sum(np.abs(target)) - np.sum(np.abs(current)))
        moved = columns @ direction
        step = 1.0
        while True:
            new_z = z + step * moved
            new_value, new_slope = _link_value_and_grad(new_z, {rest_link})
            candidate = current + step * direction
            new_objective = new_value + weight * (outside + np.sum(np.abs(candidate)))
            if new_objective <= objective + 1e-4 * step * decrease or step < 1e-10:
                break
            step /= 2
        if not np.any(step * direction):
            break   # the model's solution is where we are: rounding, not the tolerance, is the limit
        w = w.copy()   # a callback may keep the last one
        w[working] = candidate
        z, value, slope, objective = new_z, new_value, new_slope, new_objective
        history.append(objective)
        if callback is not None:
            callback(iteration, (w,), objective)
    return w, history


def _weighted_gram(columns, curvature):
    """columns^T diag(curvature) columns, by one symmetric product (half the work of a general one);
    negative curvature (a non-convex F) is taken as 0, and a relative 1e-12 on the diagonal keeps
    the model bounded below (as newGLMNET does)."""
    if np.size(curvature) and np.all(curvature == curvature[0]):
        gram = max(curvature[0], 0.0) * (columns.T @ columns)
    else:
        scaled = np.sqrt(np.maximum(curvature, 0.0))[:, None] * columns
        gram = scaled.T @ scaled
    gram[np.diag_indices_from(gram)] += 1e-12 * max(np.max(np.diag(gram), initial=0.0), np.finfo(float).tiny)
    return gram


def _l1_quadratic(hessian, linear, weight, start, tol, max_iter=100000):
    """argmin_v v^T H v / 2 + linear^T v + weight ||v||_1 (H positive semi-definite), from ``start``,
    by FISTA with adaptive restart (O'Donoghue & Candes); the step is 1/L with L the largest
    eigenvalue of H. Stops when the gradient-mapping L |y - prox(y)| is at most ``tol``."""
    lipschitz = max(np.linalg.eigvalsh(hessian)[-1], np.finfo(float).tiny) if len(start) else 1.0
    v = lookahead = start
    momentum = 1.0
    for _ in range(max_iter):
        moved = lookahead - (hessian @ lookahead + linear) / lipschitz
        new = np.sign(moved) * np.maximum(np.abs(moved) - weight / lipschitz, 0)
        if lipschitz * np.max(np.abs(new - lookahead), initial=0.0) <= tol:
            return new
        if (lookahead - new) @ (new - v) > 0:   # the objective would rise: restart the momentum
            momentum = 1.0
        next_momentum = (1 + np.sqrt(1 + 4 * momentum**2)) / 2
        lookahead = new + (momentum - 1) / next_momentum * (new - v)
        v, momentum = new, next_momentum
    return v
'''
