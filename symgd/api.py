"""The public entry points; every foreign exception is turned into a SymgdError here."""

from __future__ import annotations

import re

import functools

from symgd import codegen as _codegen
from symgd import check as _check
from symgd import derive
from symgd import explain as _explain
from symgd import kkt as _kkt
from symgd.errors import AmbiguityError, InternalError, ParseError, SymgdError
from symgd.parse import parse_document
from symgd.problem import Problem, build_problem


def _only_symgd_errors(function):
    """Let SymgdError through; report anything else as InternalError (never a foreign exception)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except SymgdError:
            raise
        except RecursionError:
            raise ParseError("the formula is nested too deeply to process") from None
        except Exception as error:  # noqa: BLE001 - the API promises only SymgdError escapes
            raise InternalError(f"symgd failed on this input ({type(error).__name__}: {error}); "
                                "please report it") from error

    return wrapper


# What only the plain-text syntax writes: operators * @, declarations "A: R^(m,d)", words (lambda, norm2).
TEXT_ONLY_RE = re.compile(r"[*@]|:(?!=)|[A-Za-z]{3,}")


@_only_symgd_errors
def parse(source: str, *, wrt=None, where: str | None = None, syntax: str = "auto") -> Problem:
    """Parse a loss or optimization problem into a typed :class:`Problem`.

    Args:
        source: LaTeX (``\\frac{1}{2n}\\|Xw - y\\|_2^2``) or plain text (``norm2(X*w - y)^2``);
            may hold definitions, ``\\min_w ... \\text{s.t.} ...``, derivative requests, update rules
            and shape declarations.
        wrt: the parameters: a name, a comma-separated string or a list (``"w"``, ``"U, V"``).
            Default: taken from the source (``L(w) =``, ``\\min_w``, ``\\nabla_w``, an update rule).
        where: extra declarations (``X \\in \\mathbb{R}^{n \\times d}, \\lambda > 0``).
        syntax: ``"latex"``, ``"text"`` or ``"auto"`` (LaTeX if the text has a backslash or braces).

    Returns:
        The Problem: objective in index form, constraints, roles, shapes and argument names.

    Raises:
        ParseError: the text is not a formula (with line, column and a caret).
        ShapeError: operands whose shapes do not fit.
        UnsupportedError: a recognised construct symgd does not handle yet.
        AmbiguityError: the parameters or the objective cannot be told from the source.
    """
    documents = [parse_document(source, syntax)]
    if where:
        where_syntax = syntax
        if syntax == "auto" and documents[0].syntax == "latex" and not TEXT_ONLY_RE.search(where):
            where_syntax = "latex"   # f(x) = Wx beside a LaTeX loss is LaTeX (W times x), not a name Wx
        documents.append(parse_document(where, where_syntax))
    return build_problem(documents, wrt)


def _problem(source, wrt, where) -> Problem:
    if isinstance(source, Problem):
        return source
    return parse(source, wrt=wrt, where=where)


@_only_symgd_errors
def gradient(source, wrt=None, *, where: str | None = None) -> derive.Derivation:
    """The gradient ∂L/∂θ of a Problem (or of a source string, parsed first).

    Args:
        source: a :class:`Problem` or LaTeX / plain text.
        wrt: parameter name(s); default: the problem's parameters.
        where: declarations, when ``source`` is text.

    Returns:
        A Derivation: ``.latex`` (matrix form where one exists), ``.index_form``, ``.expr``,
        ``.nonsmooth`` (where the formula is only a subgradient), ``.domain``.

    Raises:
        SymgdError: any parse, shape or unsupported-construct error.
    """
    problem = _problem(source, wrt, where)
    return derive.gradient(problem, wrt if isinstance(source, Problem) else None)


@_only_symgd_errors
def hessian(source, wrt=None, *, where: str | None = None) -> derive.Derivation:
    """The Hessian of a Problem (or of a source string); blocks per parameter pair, row-major."""
    problem = _problem(source, wrt, where)
    return derive.hessian(problem, wrt if isinstance(source, Problem) else None)


@_only_symgd_errors
def codegen(source, wrt=None, *, where: str | None = None, backend: str = "numpy",
            optimizer: str = "gd", hessian: bool | None = None) -> _codegen.GeneratedModule:
    """A standalone module for the problem: loss, grad, value_and_grad, step, fit (and hess).

    Args:
        source: a :class:`Problem`, a :class:`Derivation` of one (used as it is, not derived again),
            or LaTeX / plain text (parsed with ``wrt`` and ``where``).
        backend: ``"numpy"`` (NumPy only), ``"array_api"`` (the namespace of the arguments: NumPy,
            CuPy, PyTorch, JAX, Dask arrays; needs array-api-compat) or ``"jax"`` (``jax.jit``-compiled).
        optimizer: ``gd``, ``momentum``, ``nesterov``, ``adam``, ``newton``, ``lbfgs`` or ``prox``.
        hessian: include ``hess``; by default only when the optimizer needs it (``newton``): the
            Hessian is derived only then.

    Returns:
        A GeneratedModule: ``.source``, ``.load()``, ``.write(path)``.
    """
    if not isinstance(source, (Problem, derive.Derivation)):
        source = parse(source, wrt=wrt, where=where)
    return _codegen.generate(source, backend=backend, optimizer=optimizer, hessian=hessian)


@_only_symgd_errors
def lagrangian(source, wrt=None, *, where: str | None = None):
    """The Lagrangian L = f + Σ λ_j h_j + Σ μ_i g_i (index form) of a constrained problem."""
    problem = source if isinstance(source, Problem) else parse(source, wrt=wrt, where=where)
    return _kkt.lagrangian(problem)[0]


@_only_symgd_errors
def kkt(source, wrt=None, *, where: str | None = None) -> _kkt.KKT:
    """The KKT conditions (stationarity, primal and dual feasibility, complementary slackness).

    ``.solve(data)`` solves small problems exactly; ``.latex`` typesets the conditions.
    """
    problem = source if isinstance(source, Problem) else parse(source, wrt=wrt, where=where)
    return _kkt.kkt(problem)


@_only_symgd_errors
def check(source, claim: str, *, wrt=None, where: str | None = None, syntax: str = "auto") -> _check.CheckResult:
    """Check a hand derivation against symgd's: a verdict, the method, a counterexample, a diagnosis.

    Args:
        source: the loss (a :class:`Problem`, LaTeX or text).
        claim: a gradient (``\\frac{\\partial L}{\\partial w} = ...`` or just the right-hand side), a
            Hessian, an update rule, a loss claimed equal, or a chain / align environment of steps.
            When the source does not say which symbols are the parameters and ``wrt`` is not given,
            the parameter the claim's left-hand side names is taken (``\\nabla_w L``, ``w := ...``).

    Returns:
        A CheckResult; ``ok`` only when every step follows and the result is right (a chain with a
        bad step, or the inverted ∂w/∂L notation, is ``incorrect`` whatever its right-hand side).
    """
    if isinstance(source, Problem):
        return _check.check(source, claim)
    try:
        problem = parse(source, wrt=wrt, where=where, syntax=syntax)
    except AmbiguityError:   # the claim may name the parameter: \frac{\partial L}{\partial v_j}, \nabla_w L, w := ...
        named = _check.parameter_named_by(claim) if wrt is None else None
        if named is None:
            raise
        problem = parse(source, wrt=named, where=where, syntax=syntax)
    return _check.check(problem, claim)


@_only_symgd_errors
def explain(source, wrt=None, *, where: str | None = None, lagrangian: bool = False) -> _explain.Explanation:
    """The gradient derived step by step in matrix notation, each step verified numerically.

    Args:
        source: the loss (a :class:`Problem`, LaTeX or text).
        wrt: parameter name(s); default: the problem's parameters.
        lagrangian: for a constrained problem, explain the Lagrangian's gradient (default: the
            objective's).

    Returns:
        An Explanation: ``steps`` (each with ``latex``, ``text``, ``rules``, ``verified``),
        ``latex`` (an ``align*`` environment), ``text``, ``verified``.
    """
    problem = _problem(source, wrt, where)
    if lagrangian:
        return _explain.explain(_kkt.kkt(problem).gradient)
    explanation = _explain.explain(derive.gradient(problem, wrt if isinstance(source, Problem) else None))
    if problem.constraints:
        note = "the problem has constraints: these are the steps for the objective's gradient " \
               "(explain with lagrangian=True, or --lagrangian, for the Lagrangian's)"
        explanation = _explain.with_note(explanation, note)
    return explanation
