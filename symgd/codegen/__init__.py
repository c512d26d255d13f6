"""Code generation: a standalone module with loss, grad, value_and_grad, hess, step and fit.

    module = symgd.codegen(problem, optimizer="adam")
    module.source          # the Python text (imports numpy only; scipy.optimize for L-BFGS)
    mod = module.load()    # the module object (compiled from the text; no file)
    w, history = mod.fit(w0, X, y, lam, lr=0.1)

Arguments of every generated function: the parameters in ``wrt`` order, then the data, then the
constants, named by ``Problem.argnames``. Dimensions are read from the arrays' shapes. Integer class
labels (``f_{y_i}``: ``Problem.labels``) are passed as the user has them, integers 0, ..., K - 1 (0-based,
as NumPy indexes); each function builds their one-hot matrix (a ValueError for a label outside the range
on NumPy, a NaN loss on the array backends).

``backend="array_api"`` gives a module whose functions take their namespace from their arguments
(NumPy, CuPy, PyTorch, JAX, Dask arrays), ``backend="jax"`` one compiled by ``jax.jit``
(see ``backends.py``).
"""

from __future__ import annotations

import dataclasses
import itertools
import linecache
import types
from dataclasses import dataclass
from pathlib import Path

import sympy

from symgd import derive
from symgd.codegen import batch
from symgd.codegen.backends import backend_named
from symgd.codegen.constrained import (generate_auglag, generate_projected, generate_qp, nonconvex_quadratic,
                                        projection_set, quadratic_program)
from symgd.codegen.linear_model import FIT_LINEAR, linear_model, predictor_functions
from symgd.codegen.module import ModuleWriter
from symgd.codegen.names import placeholder_problem, rename_apart
from symgd.codegen.stable import stabilise
from symgd.functions import nuclear_norm
from symgd.errors import UnsupportedError
from symgd.problem import Problem

_LOADED = itertools.count(1)   # generated modules loaded so far, for their file names
BACKENDS = ("numpy", "array_api", "jax")
OPTIMIZERS = ("gd", "momentum", "nesterov", "adam", "newton", "lbfgs", "prox", "auglag", "projected", "qp")


@dataclass(frozen=True)
class GeneratedModule:
    """A generated module: ``source`` text, ``load()`` to import it, ``write(path)`` to save it."""

    source: str
    problem: Problem
    optimizer: str

    def load(self) -> types.ModuleType:
        """The source as a module object: compiled from the text, so nothing is written or read
        (no file, never the current directory); its lines stay in ``linecache`` under a name of its
        own, for tracebacks and ``inspect.getsource``."""
        filename = f"<symgd generated module {next(_LOADED)}>"
        code = compile(self.source, filename, "exec")
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        module = types.ModuleType(f"symgd_generated_{id(self)}", None)
        module.__file__ = filename
        exec(code, module.__dict__)   # safe: the text symgd generated, never the user's (names are identifiers)
        return module

    def write(self, path) -> Path:
        """Write the source to ``path``; returns the path."""
        target = Path(path)
        target.write_text(self.source, encoding="utf-8")
        return target


@dataclass(frozen=True)
class _Prox:
    """A separable ℓ1 term ``weight * Σ_j |w_j|`` (``term``) split off for proximal gradient, or a
    nuclear-norm term ``weight * ‖X‖_*`` (``kind`` "nuclear": its prox is singular value thresholding)."""

    weight: sympy.Expr
    term: sympy.Expr
    kind: str = "l1"
    smooth_function: str = ""
    linear_fit: str = ""   # the working-set proximal Newton fit when F(w) = φ(Xw); then FISTA is _fista


SUPPLIED_OPTIMIZERS = ("gd", "momentum", "nesterov", "adam", "lbfgs")   # those that need only the gradient


def _check_supplied_functions(problem: Problem, backend: str, optimizer: str, hessian: bool | None) -> None:
    """A function the user supplies (``r_j(x)``) is an argument of the NumPy module: a callable returning its
    values and Jacobians. What would need more of it (its Hessian: ``hess``, ``newton``), another backend, the
    proximal and constrained solvers are refused, naming the function."""
    if not getattr(problem, "supplied", None):
        return
    calls = ", ".join(function.written for function in problem.supplied.values())
    reason = ("its second derivatives (hess, newton)" if hessian or optimizer == "newton" else
              f"the {backend} backend" if backend != "numpy" else
              "constraints" if problem.constraints else
              f"the optimizer {optimizer!r}" if optimizer not in SUPPLIED_OPTIMIZERS else None)
    if reason is not None:
        raise UnsupportedError(f"code for a function you supply ({calls}) with {reason}: the NumPy module takes it "
                               "as a callable (value and Jacobian) for loss, grad and fit by gd, momentum, nesterov, "
                               "adam or lbfgs; define the function (r_j(x) = ...) otherwise")


def generate(source: Problem | derive.Derivation, *, backend: str = "numpy", optimizer: str = "gd",
             hessian: bool | None = None) -> GeneratedModule:
    """Generate the module on ``backend`` (see the module docstring).

    Args:
        source: a Problem, or a Derivation of one (its gradient or Hessian is used as it is, not
            derived again).
        backend: ``"numpy"`` (NumPy only), ``"array_api"`` (the namespace of the arguments: NumPy,
            CuPy, PyTorch, JAX, Dask arrays; needs array-api-compat) or ``"jax"`` (``jax.jit``-compiled).
        optimizer: one of ``OPTIMIZERS``.
        hessian: include ``hess``; ``None`` includes it when the source is a Hessian or the optimizer
            needs it (``newton``), so the Hessian is derived only then and a gradient module comes sooner.

    Raises:
        UnsupportedError: an unknown backend or optimizer, or a Hessian requested that symgd cannot
            generate.
    """
    problem, gradient, given_hessian = _derivations(source)
    _check_supplied_functions(problem, backend, optimizer, hessian)
    if optimizer not in OPTIMIZERS:
        raise UnsupportedError(f"the optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    backend_named(backend, optimizer, bool(problem.constraints))
    if problem.constraints and optimizer not in ("gd", "auglag", "projected", "qp"):
        raise UnsupportedError(f"the optimizer {optimizer!r} for a constrained problem; use 'auglag', 'projected' "
                               "or 'qp'")
    problem_named, placeholders = placeholder_problem(problem)
    projectable = projection_set(problem) if problem.constraints and optimizer in ("gd", "projected") else None
    if optimizer == "projected" and projectable is None:
        raise UnsupportedError("projected gradient needs a box, the non-negative orthant, the simplex, "
                               "an l2 ball or one affine equality; use 'auglag'")
    if optimizer == "qp" and not quadratic_program(problem):
        raise UnsupportedError("the quadratic-program solver needs a quadratic or linear objective and affine "
                               "constraints; use 'auglag'")
    if optimizer == "qp" and nonconvex_quadratic(problem):
        raise UnsupportedError(f"the quadratic-program solver (ADMM) needs a convex quadratic: "
                               f"{nonconvex_quadratic(problem)}; use 'auglag'")
    if problem.constraints and optimizer == "gd":
        # projected gradient where the set has a closed-form projection, ADMM for a convex quadratic
        # program, else the augmented Lagrangian
        convex_qp = quadratic_program(problem) and not nonconvex_quadratic(problem)
        optimizer = "projected" if projectable is not None else "qp" if convex_qp else "auglag"
    docstring = _docstring(problem, gradient, optimizer)
    if optimizer == "projected":
        text = generate_projected(problem_named, gradient, docstring, projectable)
    elif optimizer == "qp":
        text = generate_qp(problem_named, gradient, docstring)
    elif optimizer == "auglag":
        text = generate_auglag(problem_named, gradient, None, docstring)
    else:
        wanted = (given_hessian is not None or optimizer == "newton") if hessian is None else hessian
        second = (given_hessian or derive.hessian(problem)) if wanted else None
        text = _unconstrained_source(problem_named, gradient, second, optimizer, docstring, backend)
    return GeneratedModule(rename_apart(text, placeholders), problem, optimizer)


def _derivations(source) -> tuple:
    """(problem, its gradient, its Hessian or None) from a Problem or a Derivation: a derivation
    over all the problem's parameters in their order is used as it is; the gradient is derived
    here only when the source does not hold it."""
    if not isinstance(source, derive.Derivation):
        return source, derive.gradient(source), None
    problem = source.problem
    complete = all(block.wrt == tuple(params) for block, params in zip(source.blocks, _block_params(source)))
    complete = complete and len(source.blocks) == len(_block_params(source))
    if source.kind == "gradient":
        return problem, (source if complete else derive.gradient(problem)), None
    return problem, derive.gradient(problem), (source if complete else None)


def _block_params(derivation) -> list:
    """The parameters each block must hold to cover the whole problem, in codegen's order."""
    params = derivation.problem.params
    if derivation.kind == "gradient":
        return [(p,) for p in params]
    return [(p, q) for p in params for q in params]


def _unconstrained_source(problem: Problem, gradient, hessian, optimizer: str, docstring: str,
                          backend: str) -> str:
    prox = _split_l1(problem) if optimizer == "prox" else None
    writer = ModuleWriter(problem, gradient, hessian, optimizer, prox, backend)
    if optimizer in ("gd", "momentum", "nesterov", "adam") and backend == "numpy" and not writer.supplied:
        writer.batch_function = _batch_function(writer, problem, gradient, optimizer)
    if prox is not None:
        prox = dataclasses.replace(prox, smooth_function=_smooth_functions(writer, problem, prox),
                                   linear_fit=_linear_fit(writer, problem, prox))
        writer.prox = prox
    return writer.source(docstring)


def _batch_function(writer: ModuleWriter, problem: Problem, gradient, optimizer: str) -> str | None:
    """``_batch_value_and_grad``, the estimate of the whole loss on a mini-batch (``codegen/batch.py``),
    or None where the batch's own loss has the whole loss's minimiser."""
    samples = writer.sample_axis()
    found = batch.batch_problem(problem, gradient, samples) if samples is not None else None
    if found is None:
        return None
    text = _batch_writer(writer, *found, optimizer).value_and_grad_function()
    text = text.replace("def value_and_grad(", "def _batch_value_and_grad(", 1)
    return text.replace('"""The loss and its gradient, sharing the work."""',
                        '"""The whole loss and its gradient estimated on a mini-batch of the samples (the last '
                        'argument: the whole sample count)."""', 1)


def _batch_writer(writer: ModuleWriter, estimate: Problem, gradient, optimizer: str) -> ModuleWriter:
    """A writer of the batch's estimate (``batch.batch_problem``) taking the arguments ``writer``'s functions
    take, then the whole sample count (its last constant)."""
    batch_writer = ModuleWriter(estimate, gradient, None, optimizer, None)
    batch_writer.helpers = writer.helpers   # one module: the helpers either uses are printed once
    batch_writer.constants = [*writer.constants, estimate.constants[-1]]
    batch_writer.args = [estimate.argnames[s] for s in batch_writer.params + batch_writer.data + batch_writer.constants]
    return batch_writer


def _split_l1(problem: Problem) -> _Prox:
    """objective = F(w) + c Σ_j |w_j| with c free of the parameters: return c (F comes later)."""
    if len(problem.params) != 1:
        raise UnsupportedError("prox with several parameters")
    (param,) = problem.params
    found = []   # every l1 (or nuclear-norm) term: lambda ||w||_1 + mu ||w||_1 is (lambda + mu) ||w||_1
    for term in sympy.Add.make_args(problem.objective):
        weight, rest = term.as_independent(sympy.Sum, as_Add=False)
        if isinstance(rest, sympy.Sum) and len(rest.args) == 2 and isinstance(rest.args[0], sympy.Abs):
            inner = rest.args[0].args[0]
            index = rest.args[1][0]
            if isinstance(inner, sympy.Indexed) and inner.base == param and inner.indices == (index,) \
                    and not weight.has(param):
                found.append(_Prox(weight, term))
                continue
        weight, rest = term.as_independent(nuclear_norm, as_Add=False)
        if isinstance(rest, nuclear_norm) and rest.args[0] == param and not weight.has(param):
            found.append(_Prox(weight, term, "nuclear"))
    kinds = {prox.kind for prox in found}
    if len(kinds) > 1:
        raise UnsupportedError("prox with both an l1 term and a nuclear norm of the parameter (no closed-form prox)")
    if found:
        return _Prox(sympy.Add(*(p.weight for p in found)), sympy.Add(*(p.term for p in found)), found[0].kind)
    raise UnsupportedError("prox needs a loss F(w) + lambda ||w||_1 (an l1 term on the parameter) or "
                           "F(X) + lambda ||X||_* (a nuclear norm of the parameter)")


def _smooth_functions(writer: ModuleWriter, problem: Problem, prox: _Prox) -> str:
    smooth = problem.objective - prox.term
    smooth_problem = dataclasses.replace(problem, objective=smooth)
    smooth_gradient = derive.gradient(smooth_problem)
    text = _smooth_pair(writer, smooth, smooth_gradient, "")
    samples = writer.sample_axis()
    found = batch.batch_problem(smooth_problem, smooth_gradient, samples, problem.objective) if samples else None
    if found is not None:   # FISTA on mini-batches: F estimated for the whole data beside the l1 term
        text += "\n\n" + _smooth_pair(_batch_writer(writer, *found, "prox"), found[0].objective, found[1], "_batch_")
        writer.batch_function = ""   # fit evaluates the _batch_ pair on mini-batches
    rest = [problem.argnames[s] for s in (*problem.data, *writer.constants)]
    weight = writer.scalar_code(stabilise(prox.weight))
    term = "l1 term" if prox.kind == "l1" else "nuclear norm"
    lines = _weight_dims(writer, problem, prox.weight, weight) + [f"return {weight}"]
    body = "".join(f"    {line}\n" for line in lines)
    text += f'\n\ndef _l1_weight({", ".join(rest)}):\n    """The weight of the {term}."""\n{body}'
    return text


def _smooth_pair(writer: ModuleWriter, smooth: sympy.Expr, gradient, prefix: str) -> str:
    """``{prefix}smooth_value_and_grad`` and ``{prefix}smooth_value`` of the smooth part F, ``smooth``."""
    scalars = [not b.indices for b in gradient.blocks]
    items = [(smooth, ())] + writer._block_items(gradient)
    body = writer._body(items, lambda v: f"return float({v[0]}), " + writer._tuple(v[1:], scalars))
    text = writer.function(prefix + "smooth_value_and_grad", "The smooth part F of the loss and its gradient.", body)
    value_body = writer._body([(smooth, ())], lambda v: f"return float({v[0]})")
    return text + "\n\n" + writer.function(prefix + "smooth_value", "The smooth part F of the loss.", value_body)


def _weight_dims(writer: ModuleWriter, problem: Problem, weight: sympy.Expr, code: str) -> list[str]:
    """The lines reading the dimensions a weight uses (``\\frac{\\lambda}{n}\\|w\\|_1``) from the data's
    shapes: ``_l1_weight`` takes the data, not the parameter."""
    if not weight.free_symbols & set(writer.dim_names):
        return []
    data_axes = {d for s in problem.data for d in writer._argument_shape(s)}
    missing = [d for d in weight.free_symbols & set(writer.dim_names) if d not in data_axes]
    if missing:
        raise UnsupportedError(f"prox: the l1 weight uses {missing[0]}, a length of the parameter alone")
    return writer._dims_lines([code], list(problem.data))


def _linear_fit(writer: ModuleWriter, problem: Problem, prox: _Prox) -> str:
    """The proximal Newton ``fit`` and its predictor functions when the smooth part is φ(Xw), else ""."""
    if prox.kind != "l1":
        return ""
    model = linear_model(problem, problem.objective - prox.term) if not problem.labels else None
    if model is None:
        return ""
    functions, link_args, helpers = predictor_functions(model)
    writer.helpers |= helpers
    names = problem.argnames
    (param,) = problem.params
    data = [names[s] for s in problem.data]
    constants = [names[s] for s in writer.constants]
    start = names[param] + "0"
    arrays = [(names[s], names[s] + "0" if s == param else names[s]) for s in (param, *problem.data)
              if problem.shapes[s]]
    fit = FIT_LINEAR.format(signature=", ".join([start, *data, *constants]), call=", ".join([start, *data, *constants]),
                            dims_call=", ".join(f"{key}={value}" for key, value in arrays), start=start,
                            rest_all=", ".join(data + constants), rest_link=", ".join(link_args),
                            matrix=names[model.matrix])
    return functions + "\n\n" + fit


def _docstring(problem: Problem, gradient, optimizer: str) -> str:
    shapes = []
    for symbol in (*problem.params, *problem.data, *problem.constants):
        shape = problem.shapes[symbol]
        if symbol in problem.labels:   # the user passes the integer labels; the code builds their one-hot matrix
            shape, classes = shape[:-1], shape[-1]
        text = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")" if shape else "scalar"
        if symbol in problem.labels:
            text = ("integers " if shape else "an integer ") + f"{text}: class labels 0, ..., {classes} - 1 (0-based)"
        shapes.append(f"{problem.argnames[symbol]} {text}")
    order = ", ".join(problem.argnames[p] for p in problem.params)
    return "\n".join([
        "Generated by symgd from",
        "",
        "    " + problem.latex(),
        "",
        "Gradient (denominator layout: each gradient has the shape of its parameter):",
        "",
        "    " + gradient.latex.replace(r" \\ ", "\n    "),
        "",
        "Shapes: " + ", ".join(shapes) + ".",
        f"Arguments: parameters ({order}), then data, then constants{_callables(problem)}. Optimizer: {optimizer}.",
        *_supplied_docs(problem),
        "",
    ])


def _callables(problem: Problem) -> str:
    supplied = getattr(problem, "supplied", {}).values()
    return ", then the functions you supply (" + ", ".join(problem.argnames[f.value] for f in supplied) + ")" \
        if supplied else ""


def _supplied_docs(problem: Problem) -> list[str]:
    """How to pass each function the user supplies: its call, what it returns, with shapes."""
    lines = []
    for function in getattr(problem, "supplied", {}).values():
        def shape(symbol):
            dims = problem.shapes[symbol]
            return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")" if dims else "a float"

        params = ", ".join(problem.argnames[p] for p in function.params)
        jacobians = [f"{problem.argnames[j]} {shape(j)}, the derivative with respect to {problem.argnames[p]}"
                     for p, j in function.jacobians.items()]
        returned = jacobians[0] if len(jacobians) == 1 else "the tuple (" + "; ".join(jacobians) + ")"
        points = f" at every data point {', '.join(function.points)}" if function.points else ""
        lines += ["", f"{problem.argnames[function.value]}({params}): the function {function.written} you supply, a "
                  f"callable returning its values{points}, {shape(function.value)}, and {returned}."]
    return lines


__all__ = ["GeneratedModule", "generate", "OPTIMIZERS", "BACKENDS"]
