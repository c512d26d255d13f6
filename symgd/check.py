"""Check a hand derivation: a verdict, a counterexample, and a diagnosis of the slip.

A claim is a gradient (``\\frac{\\partial L}{\\partial w} = ...``, ``\\nabla_w L = ...`` or just the
right-hand side), a Hessian, an update rule (``w_{t+1} = w_t - \\eta(...)``), a loss claimed equal to
the source, or a chain of such steps (``a = b = c``, an ``align`` environment). Each expression is
shape-checked and lowered with the problem's own shapes, then compared with symgd's derivation:
symbolically when the difference expands to zero, else numerically at random points with every
dimension distinct (and the result says which). Numeric agreement is never called a proof.

``ok`` is True only when every step follows and the result is the derivative (or a gradient step):
a chain with a step that does not follow is incorrect even when its end is right, and the inverted
notation ``\\frac{\\partial w}{\\partial L}`` is incorrect even when its right-hand side is right.
The student's letters (indices, step sizes) are theirs: symgd's internal names never clash with them.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import weakref
from dataclasses import dataclass, field

import numpy as np
import sympy

from symgd import derive
from symgd.errors import AmbiguityError, ShapeError, SymgdError, UnsupportedError
from symgd.numeric import dimension_size, entries, random_values
from symgd.parse import ir, parse_document
from symgd.derive.calculus import rebuild
from symgd.problem import OBJECTIVE_NAMES, Problem, SymbolDict, _name_of, elaborate, resolve_notation
from symgd.render import latex_of, name_latex
from symgd.shapes import sub_symbol_name
from symgd.tensor.matrix import matrix_form_or_reason

SIZES = ({"n": 5, "d": 3, "K": 4, "m": 6, "k": 2, "p": 7}, {"n": 9, "d": 4, "K": 3, "m": 2, "k": 5, "p": 6})
SEEDS = (1, 2, 3)


@dataclass(frozen=True)
class StepCheck:
    """One step of a derivation: its line, its LaTeX, and whether it follows from the previous one."""

    line: int
    latex: str
    follows: bool


@dataclass
class CheckResult:
    """The outcome of ``symgd.check``.

    Attributes:
        ok: the claim is right.
        verdict: "correct", "incorrect", or "correct where ..." (e.g. away from a kink).
        method: "symbolic", or "numeric at N random points".
        expected_latex: what symgd derives.
        counterexample: sizes, point and both values where claim and truth differ (None if ok).
        diagnosis: findings in plain language.
        steps: for a multi-step derivation, each step and whether it follows.
    """

    ok: bool
    verdict: str
    method: str
    expected_latex: str
    counterexample: dict | None = None
    diagnosis: list = field(default_factory=list)
    steps: list = field(default_factory=list)

    def _repr_latex_(self) -> str:
        return "$\\text{%s}: %s$" % (self.verdict, self.expected_latex)

    def __str__(self) -> str:
        lines = [f"{self.verdict} ({self.method})"]
        lines += [f"- {finding}" for finding in self.diagnosis]
        if self.counterexample:
            lines.append(f"counterexample: {self.counterexample}")
        lines.append(f"expected: {self.expected_latex}")
        return "\n".join(lines)


@dataclass
class _Target:
    """What a claim is compared with: the expression, its free indices and shape."""

    expr: sympy.Expr
    indices: tuple
    shape: tuple
    latex: str
    kind: str   # "gradient", "hessian", "loss"
    free: tuple | None = None       # entry-wise claim: the free index names (w_k)
    derivation: object = None       # the Derivation, for its non-smooth sets
    row: bool = False               # \frac{\partial L}{\partial w^\top}: the gradient as a row (numerator layout)


def check(problem: Problem, claim: str) -> CheckResult:
    """Check ``claim`` (LaTeX or text) against ``problem``'s derivation; see the module docstring."""
    if not isinstance(claim, str) or not claim.strip():
        raise SymgdError("the claim is empty")
    claim = _upright_derivatives(problem, claim)
    claim, extended = _with_claim_definitions(problem, claim)
    result = _check_claim(extended, claim)
    defined = [name for name in extended.functions if name not in problem.functions]
    if defined:
        shown = [latex_of(ir.Relation((ir.Name(name), extended.functions[name][1]), ("=",))) for name in defined]
        result.diagnosis.insert(0, "read with the claim's own definitions: " + ", ".join(shown))
    return result


def _check_claim(problem: Problem, claim: str) -> CheckResult:
    update = _as_update(problem, claim)
    if update is not None:
        return _check_update(problem, update)
    from symgd.explain import route   # it reads lines with this module's helpers
    if route.follows_the_differential_route(problem, claim):
        return route.check_route(problem, claim)
    blocks = _block_matrix(problem, claim)
    if blocks is not None:
        return _check_blocks(problem, *blocks)
    pieces = _split_steps(claim)
    solved = _solution_head(problem, pieces)
    if solved is not None:
        return _check_solution(problem, solved, pieces[1:])
    notes, target, inverted = _target_from_head(problem, pieces)
    headless = target is None
    _stationarity_condition(pieces, notes)
    if not pieces:
        raise SymgdError("the claim has no expression after its left-hand side")
    if target is None:   # no derivative notation: a gradient (maybe one entry), or a second loss
        target = _headless_target(problem, _parse_piece(pieces[0][1], problem), notes)
    steps = []
    previous = None
    first_wrong = None
    for line, text in pieces:
        node, identity, read, _ = _read_notation(problem, _parse_piece(text, problem, notes), target.free or ())
        notes += [note for note in read if note not in notes]
        try:
            value = _lower(problem, node, target, identity)
        except ShapeError as error:
            return _shape_failure(problem, node, target, notes, error, line, identity)
        follows = True
        if previous is not None:
            follows = _numeric_equal(problem, previous, value)[0]
            if not follows and first_wrong is None:
                first_wrong = (line, latex_of(node))
        steps.append(StepCheck(line, latex_of(node), follows))
        previous = value
    final = previous
    if target.row:   # ∂L/∂w^T: a row vector is what the notation asks for
        if not final[3]:
            result = _verdict(problem, final, target, notes)
            if result.ok:
                result.diagnosis.append("the right-hand side is the gradient, a column vector, but the left-hand "
                                        "side asks for its transpose, a row vector (numerator layout)")
            result.ok, result.verdict = False, "incorrect"
            result.steps = steps if len(steps) > 1 else []
            return result
        final = final[:3] + (False,)
    if headless and target.kind == "gradient" and not final[2] and target.shape:
        target = _loss_target(problem)   # a scalar claimed for a vector gradient: a second loss
    result = _verdict(problem, final, target, notes)
    if not result.ok:
        _refuse_bars_that_decide(problem, node, target, identity)
    if inverted:
        _reject_inverted(result, target)
    if len(steps) > 1:
        result.steps = steps
        if first_wrong is not None:
            _reject_broken_chain(result, target, first_wrong)
    return result


def _refuse_bars_that_decide(problem: Problem, node, target: _Target, identity) -> None:
    """``\\frac{w}{|w|}`` for sign(w): bars around a vector or a matrix are its length (or determinant) to
    symgd, but entrywise to many students. When the claim is wrong as read and right with the bars read
    entrywise, the verdict hangs on the notation: an AmbiguityError that names it, never "incorrect"."""
    wide = [bars for bars in dict.fromkeys(n for n in ir.walk(node) if isinstance(n, ir.Abs))
            if _is_array(problem, bars.arg, identity)]
    if not wide:
        return

    def entrywise(current):
        if isinstance(current, ir.Abs) and current in wide:
            return ir.Func("abs", (current.arg,))
        if isinstance(current, ir.Div) and isinstance(current.den, ir.Func) and current.den.name == "abs" \
                and current.den.args[0] in {bars.arg for bars in wide}:
            return dataclasses.replace(current, elementwise=True)
        return current

    try:
        value = _lower(problem, _rewrite(node, entrywise), target, identity)
    except SymgdError:
        return
    truth = (target.expr, target.indices, target.shape, False)
    if tuple(value[2]) == tuple(target.shape) and (not value[3] or target.row) \
            and _numeric_equal(problem, value, truth)[0]:
        shown = ", ".join(latex_of(bars) for bars in wide)
        inner = latex_of(wide[0].arg)
        raise AmbiguityError(f"the claim is right only if {shown} is read entrywise: symgd reads the bars around a "
                             "vector as its length \\|v\\| (around a matrix as its determinant), and then the claim "
                             f"is wrong; write \\operatorname{{sign}}({inner}) (or |{inner}_j| in an entry) for "
                             f"entrywise values, \\|{inner}\\| for the length")


def _is_array(problem: Problem, node, identity) -> bool:
    try:
        return bool(elaborate(problem, node, None, identity)[2])
    except SymgdError:
        return False


_ZERO = re.compile(r"^(0|\\mathbf\{0\}|\\boldsymbol\{0\}|\\vec\{0\}|\\bm\{0\}|\\mathbf 0)$")


def _stationarity_condition(pieces: list, notes: list) -> None:
    """A chain ending in ``= 0`` (``\\nabla_w L = X^\\top(Xw - y) = 0``) sets the gradient to zero, the
    condition for a stationary point; that last line is no step of the derivation."""
    if pieces and _ZERO.match(pieces[-1][1].replace(" ", "")):
        if len(pieces) == 1 or (len(pieces) == 2 and _is_head(pieces[0][1])):
            raise UnsupportedError("the claim only sets the gradient to zero (the condition for a stationary "
                                   "point): write the gradient, or the point itself (w^* = ...)")
        pieces.pop()
        notes.append("the final = 0 is read as the condition for a stationary point (the gradient set to zero), "
                     "not as a step: the lines before it are checked")


def _is_head(text: str) -> bool:
    return bool(re.match(r"\s*(\\nabla|\\frac\{\s*\\partial|\\partial)", text))


def _solution_head(problem: Problem, pieces: list):
    """The parameter when the claim gives a point, not a derivative: ``w^* = (X^\\top X)^{-1} X^\\top y``,
    ``\\hat w = ...``, ``w_{\\text{opt}} = ...``, or ``w = ...`` with no w on the right; else None."""
    if len(pieces) < 2:
        return None
    try:
        node = parse_document(pieces[0][1], "latex" if "\\" in pieces[0][1] else problem.syntax).items[0]
    except (SymgdError, IndexError):
        return None
    known = _known_names(problem)
    for param in problem.params:
        names = {_name_of(param), problem.written.get(_name_of(param), _name_of(param))}
        marked = {name + "hat" for name in names} | {name + "tilde" for name in names}
        if isinstance(node, ir.Name) and node.name in marked and node.name not in known:
            return param
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and node.base.name in names \
                and len(node.indices) == 1 and isinstance(node.indices[0], ir.Name) \
                and node.indices[0].name in ("star", "opt", "ls", "ols", "ridge", "map", "mle", "min") \
                and f"{node.base.name}_{node.indices[0].name}" not in known:   # not data named w^*
            return param
        if isinstance(node, ir.Name) and node.name in names and len(pieces) >= 2:
            try:
                rest = [parse_document(text, "latex" if "\\" in text else problem.syntax).items[0]
                        for _, text in pieces[1:]]
            except (SymgdError, IndexError):
                return None
            if not any(node.name in _names(r) for r in rest) and not any(isinstance(r, ir.Deriv) for r in rest):
                return param
    return None


def _check_solution(problem: Problem, param, pieces: list) -> CheckResult:
    """A claimed minimiser (or stationary point): every step equal to the one before, and the gradient
    with respect to the parameter zero at the point, at random values of everything else."""
    target = _gradient_target(problem, param)
    notes = [f"the claim gives a point for {name_latex(_name_of(param))}: it is checked by setting the gradient "
             "there (it must vanish: a stationary point)"]
    steps, previous, first_wrong = [], None, None
    for line, text in pieces:
        node, identity, read, _ = _read_notation(problem, _parse_piece(text, problem))
        notes += [note for note in read if note not in notes]
        try:
            value = _lower(problem, node, target, identity)
        except ShapeError as error:
            return CheckResult(False, "incorrect", "shapes", target.latex, None,
                               notes + [f"line {line}: the shapes do not fit ({error})"])
        if tuple(value[2]) != tuple(target.shape):
            return CheckResult(False, "incorrect", "shapes", target.latex, None, notes + [
                f"the point has shape {tuple(map(str, value[2]))} but {name_latex(_name_of(param))} has shape "
                f"{tuple(map(str, target.shape))}"])
        follows = previous is None or _numeric_equal(problem, previous, value)[0]
        if not follows and first_wrong is None:
            first_wrong = (line, latex_of(node))
        steps.append(StepCheck(line, latex_of(node), follows))
        previous = value
    expr, axes, _, _ = previous
    point = _with_fresh_bound(expr)
    if target.indices:
        at_point = target.expr.replace(
            lambda e: isinstance(e, sympy.Indexed) and e.base == param,
            lambda e: point.xreplace(dict(zip(axes, e.indices))))
    else:
        at_point = target.expr.xreplace({param: point})
    residual = _stationarity_residual(problem, at_point, target)
    method = f"numeric at {len(SIZES) * len(SEEDS)} random points"
    if residual is None:
        result = CheckResult(False, "incorrect", method, target.latex,
                             {"note": "no random point gave finite values"}, notes)
    elif residual <= 1e-8:
        result = CheckResult(True, "correct", method, target.latex, None, notes + [
            "the gradient vanishes there: a stationary point (the minimiser where the loss is convex)"])
    else:
        result = CheckResult(False, "incorrect", method, target.latex, {"relative gradient at the point": residual},
                             notes + ["the gradient does not vanish at the point: it is not a stationary point"])
    if len(steps) > 1:
        result.steps = steps
        if first_wrong is not None:
            _reject_broken_chain(result, target, first_wrong)
    return result


def _stationarity_residual(problem: Problem, at_point, target: _Target):
    """max |∇L(point)| relative to |∇L| at a random point, over the checker's points; None if none is finite."""
    worst, compared = 0.0, 0
    for sizes in SIZES:
        for seed in SEEDS:
            with np.errstate(all="ignore"):
                there, _ = _values(problem, at_point, target.indices, target.shape, sizes, seed)
                elsewhere, _ = _values(problem, target.expr, target.indices, target.shape, sizes, seed)
            if not (np.all(np.isfinite(there)) and np.all(np.isfinite(elsewhere))):
                continue
            compared += 1
            scale = max(np.max(np.abs(elsewhere), initial=0.0), 1e-12)
            worst = max(worst, float(np.max(np.abs(there), initial=0.0)) / scale)
    return worst if compared else None


_WHERE = re.compile(r"\\q?quad|\\text\{\s*(?:where|with)\s*\}|\\(?:mathrm|textrm)\{\s*where\s*\}")


def _with_claim_definitions(problem: Problem, claim: str) -> tuple[str, Problem]:
    """``\\nabla_w L = X^\\top(p - y), \\quad p = \\sigma(Xw)`` (or ``\\text{where } p = ...``): names the claim
    defines after it, each a new name given by an expression in the problem's symbols, are inlined
    where the claim uses them. Returns the claim without them and the problem that knows them."""
    segments = _WHERE.split(claim)
    if len(segments) < 2:
        return claim, problem
    known = _known_names(problem) | {_objective_name(problem), *OBJECTIVE_NAMES}
    definitions = {}
    for segment in segments[1:]:
        for part in _top_level_split(segment, ","):
            part = _TRAILING.sub("", part)
            if not part:
                continue
            sides = _top_level_split(part, "=")
            try:
                left, right = (parse_document(side, "latex" if "\\" in claim else problem.syntax).items[0]
                               for side in sides) if len(sides) == 2 else (None, None)
            except (SymgdError, IndexError):
                return claim, problem
            if not isinstance(left, ir.Name) or left.name in known or left.name in definitions:
                return claim, problem   # not a definition of a new name: the text is the claim's own
            definitions[left.name] = ((), right)
    if not definitions:
        return claim, problem
    return segments[0], dataclasses.replace(problem, functions={**problem.functions, **definitions})


def _reject_inverted(result: CheckResult, target: _Target) -> None:
    """∂w/∂L is not ∂L/∂w: the claim is wrong even when its right-hand side is the gradient."""
    if result.ok:
        result.diagnosis.append(f"the right-hand side is the {target.kind}; only the notation on the left "
                                "is wrong")
    result.ok, result.verdict = False, "incorrect"


def _reject_broken_chain(result: CheckResult, target: _Target, first_wrong: tuple) -> None:
    """A derivation with a step that does not follow is not a correct derivation, whatever its end."""
    line, latex = first_wrong
    finding = f"line {line}: the step {latex} does not follow from the one before"
    if result.ok:
        finding += f"; the last line is the right {target.kind}, but the derivation does not reach it"
    result.diagnosis.insert(0, finding)
    result.ok, result.verdict = False, "incorrect"


# -- reading the claim ---------------------------------------------------------------------------

def _split_steps(claim: str) -> list[tuple[int, str]]:
    """(line, text) of every expression in a chain ``lhs = a = b`` or an align environment."""
    text = re.sub(r"\\(begin|end)\{(align|aligned|equation|gather|split)\*?\}", " ", claim)
    text = _ENVIRONMENT.sub(lambda m: m.group(0).translate(_MASK), text)   # a cases or matrix stays whole
    pieces = []
    number = 1   # numbered as the user's text lines
    for line in text.split("\n"):
        for row in line.split("\\\\"):
            row = _TRAILING.sub("", row.replace("&", " "))
            for part in _top_level_split(row, "=") if row else ():
                if part.strip():
                    pieces.append((number, part.strip().translate(_UNMASK)))
        number += 1 + line.count("\ue003")
    return pieces


# Inside \begin{cases} and matrices, row and column separators and = belong to the environment,
# not to the chain of steps: they are masked (private-use characters) while the claim is split.
_TRAILING = re.compile(r"(\s|\\[,;:! ]|\\q?quad)*[,.]?(\s|\\[,;:! ]|\\q?quad)*$|^\s+")   # "\, ." closing a line
_ENVIRONMENT = re.compile(r"\\begin\{(cases|[bpvV]?matrix|array)\}.*?\\end\{\1\}", re.DOTALL)
_MASK = str.maketrans({"&": "\ue000", "\\": "\ue001", "=": "\ue002", "\n": "\ue003"})
_UNMASK = str.maketrans({"\ue000": "&", "\ue001": "\\", "\ue002": "=", "\ue003": "\n"})


def _top_level_split(text: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, []
    for position, char in enumerate(text):
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
        if char == separator and depth == 0 and text[position - 1:position] not in (":", "<", ">", "!", "\\"):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _parse_piece(text: str, problem: Problem, notes: list | None = None):
    """One expression of the claim, its notation resolved; a sum read as extending over the terms after
    it (``\\sum_i x_i x_i^\\top w - y_i x_i``) is said in ``notes`` when given."""
    items = parse_document(text, problem.syntax if "\\" not in text else "latex").items
    if len(items) != 1:
        raise SymgdError(f"the step {text!r} is not one expression")
    node = _operator_form(items[0])
    if isinstance(node, ir.Deriv):
        return node
    readings: list = []
    node = resolve_notation(node, problem.syntax, problem.functions, readings)
    if notes is not None:
        notes += [r for r in readings if r.startswith("the sum over") and r not in notes]
    return node


def parameter_named_by(claim: str) -> str | None:
    """The parameter a claim's left-hand side names (w in ``\\frac{\\partial L}{\\partial w_j} = ...``,
    ``\\nabla_w L = ...``, ``w := ...``), for a source that does not say which symbols are parameters."""
    first = _split_steps(claim)[:1] if not re.search(r":=|\\leftarrow|<-", claim) else [(1, claim)]
    try:
        items = parse_document(first[0][1], "latex" if "\\" in claim else "auto").items if first else ()
    except SymgdError:
        return None
    node = items[0] if len(items) == 1 else None
    if isinstance(node, ir.Relation):   # an update rule: its left-hand side
        node = node.operands[0] if node.ops[0] in (":=", "<-") else None
    else:
        node = _operator_form(node)
        node = node.wrt if isinstance(node, ir.Deriv) else None
    while isinstance(node, (ir.Sub, ir.Transpose, ir.Pow)):
        node = node.base if isinstance(node, (ir.Sub, ir.Pow)) else node.arg
    return node.name if isinstance(node, ir.Name) else None


def _operator_form(node):
    """``\\frac{\\partial}{\\partial w} L`` (the operator applied to the loss, anywhere: ``\\alpha
    \\frac{\\partial}{\\partial \\theta_j} J(\\theta)``) is ``\\frac{\\partial L}{\\partial w}``."""
    def apply_operator(current):
        if not isinstance(current, ir.Mul) or current.op != "juxt" or \
                not isinstance(current.right, (ir.Name, ir.Apply)):
            return current
        if _is_operator(current.left):
            return dataclasses.replace(current.left, of=current.right)
        if isinstance(current.left, ir.Mul) and current.left.op == "juxt" and _is_operator(current.left.right):
            return ir.Mul(current.left.left, dataclasses.replace(current.left.right, of=current.right), "juxt")
        return current

    return _rewrite(node, apply_operator)


def _is_operator(node) -> bool:
    return isinstance(node, ir.Deriv) and node.of is None and node.wrt is not None


def _upright_derivatives(problem: Problem, claim: str) -> str:
    """``\\frac{dL}{dw}`` and ``\\frac{\\mathrm{d} L}{\\mathrm{d} w}`` as ``\\frac{\\partial L}{\\partial w}`` where one
    of the two is an objective's name and the other a parameter (so ``d`` is no dimension there)."""
    objectives = {_objective_name(problem), *OBJECTIVE_NAMES, r"\ell", r"\mathcal{L}", r"\mathcal{J}"}
    objective = "|".join(re.escape(n) for n in sorted(objectives, key=len, reverse=True))
    params = "|".join(re.escape(n) for n in sorted(set(_param_names(problem)), key=len, reverse=True))
    d = r"(?:d|\\mathrm\{d\}|\\operatorname\{d\}|\\text\{d\})"
    param = r"\\?(?:" + params + r")(?![A-Za-z])[^{}]*(?:\{[^{}]*\}[^{}]*)*"
    upright = r"\\frac\{\s*" + d + r"\s*(%s)\s*\}\{\s*" + d + r"\s*(%s)\}"
    slashed = r"(?:\\partial|" + d + r")\s*(%s)\s*/\s*(?:\\partial|" + d + r")\s*(%s)"   # \partial L / \partial w
    entry = r"\\?(?:" + params + r")(?![A-Za-z])(?:_\{[^{}]*\}|_[A-Za-z0-9])?(?:\^\{?\\top\}?|\^T)?"
    for pattern in (upright % (objective, param), upright % (param, objective),   # the inverted one too
                    slashed % (objective, entry), slashed % (entry, objective)):
        claim = re.sub(pattern, lambda m: rf"\frac{{\partial {m.group(1)}}}{{\partial {m.group(2)}}}", claim)
    operator = r"\\frac\{\s*" + d + r"\s*\}\{\s*" + d + r"\s*(%s)\}" % param   # \frac{d}{dw} L
    return re.sub(operator, lambda m: rf"\frac{{\partial}}{{\partial {m.group(1)}}}", claim)


def _target_from_head(problem: Problem, pieces: list) -> tuple[list[str], _Target | None, bool]:
    """If the first piece is derivative notation, consume it and say what it asks for.

    Returns (notes, target or None, whether the notation is inverted: ∂w/∂L for ∂L/∂w).
    """
    if not pieces:
        return [], None, False
    try:
        node = _parse_piece(pieces[0][1], problem)
    except SymgdError:
        return [], None, False
    if not isinstance(node, ir.Deriv):
        return [], None, False
    pieces.pop(0)
    notes = []
    of, wrt = node.of, node.wrt
    name = _objective_name(problem)
    inverted = of is not None and wrt is not None and bool(_names(of) & set(_param_names(problem))) and \
        bool(_names(wrt) & ({name} | set(OBJECTIVE_NAMES)))
    if inverted:
        notes.append(f"{latex_of(node)} is the inverted (reciprocal) notation: the gradient is "
                     f"\\frac{{\\partial {name}}}{{\\partial {latex_of(of)}}}, not "
                     f"\\frac{{\\partial {latex_of(of)}}}{{\\partial {name}}}")
        of, wrt = wrt, of
    if wrt is None:   # \nabla L, \nabla^2 L: the one parameter's
        if node.order == 2:
            return notes, _hessian_target(problem, _gradient_target(problem, None).derivation.blocks[0].wrt[0]), \
                inverted
        return notes, _gradient_target(problem, None), inverted
    named = _subscripted_param(problem, wrt)   # \frac{\partial L}{\partial \sigma_n}: the parameter σ_n
    base = wrt.base if isinstance(wrt, ir.Sub) else (wrt.arg if isinstance(wrt, ir.Transpose) else wrt)
    if isinstance(base, ir.Pow):
        base = base.base
    param = named if named is not None else _param(problem, base)
    if node.order == 2:
        return notes, _hessian_target(problem, param), inverted
    free = None
    if isinstance(wrt, ir.Sub) and named is None:   # \frac{\partial L}{\partial w_k}: an entry, k free
        free = tuple(i.name for i in _subscript_parts(wrt.indices) if isinstance(i, ir.Name))
    target = _gradient_target(problem, param, free)
    if isinstance(wrt, ir.Transpose) and target.shape:
        target = _numerator_layout(target)
        notes.append(f"{latex_of(node)} is read in numerator layout: the transpose of the gradient"
                     + (" (a row vector)" if target.row else ""))
    return notes, target, inverted


def _numerator_layout(target: _Target) -> _Target:
    """The target of ∂L/∂w^T: the gradient as a row vector, or the transposed gradient of a matrix."""
    if len(target.shape) == 1:
        return dataclasses.replace(target, row=True)
    return dataclasses.replace(target, indices=target.indices[::-1], shape=target.shape[::-1],
                               latex=f"\\left({target.latex}\\right)^\\top")


def _headless_target(problem: Problem, node, notes: list) -> _Target:
    """The gradient; one entry of it when the claim's only unknown name is a subscript of the vector
    parameter's size (``\\frac{e^{z_j}}{\\sum_k e^{z_k}}`` for ∂L/∂z_j)."""
    target = _gradient_target(problem, None)
    unknown = _read_notation(problem, node)[3]
    subscripts = {p.name for n in ir.walk(node) if isinstance(n, ir.Sub)
                  for p in _subscript_parts(n.indices) if isinstance(p, ir.Name)}
    if len(target.shape) == 1 and len(unknown) == 1 and unknown[0] in subscripts:
        notes.append(f"{unknown[0]} is read as the free index: the claim is entry {unknown[0]} of the gradient")
        return _gradient_target(problem, None, (unknown[0],))
    return target


def _names(node) -> set:
    return {n.name for n in ir.walk(node) if isinstance(n, ir.Name)}


def _objective_name(problem: Problem) -> str:
    return problem.objective_name or "L"


def _param_names(problem: Problem) -> list[str]:
    names = [_name_of(p) for p in problem.params]
    return names + [problem.written.get(n, n) for n in names]


def _subscripted_param(problem: Problem, node):
    """The parameter a subscripted name is (``\\sigma_n``, ``\\beta_0``), or None (``w_k``: an entry)."""
    if not isinstance(node, ir.Sub) or not isinstance(node.base, ir.Name):
        return None
    try:
        return _param(problem, ir.Name(sub_symbol_name(node)))
    except SymgdError:
        return None


def _param(problem: Problem, node):
    name = node.name if isinstance(node, ir.Name) else None
    for param in problem.params:
        if name in (_name_of(param), problem.written.get(_name_of(param))):
            return param
    raise UnsupportedError(f"the claim differentiates by {latex_of(node)}, which is not a parameter")


# -- what the claim should equal -----------------------------------------------------------------

def _gradient_target(problem: Problem, param, free=None) -> _Target:
    if param is None:
        if len(problem.params) != 1:
            raise UnsupportedError("the claim does not say which gradient it is: "
                                   "write \\frac{\\partial L}{\\partial w} = ... or pass wrt")
        (param,) = problem.params
    derivation = _derived(problem, "gradient", _name_of(param))
    (block,) = derivation.blocks
    return _Target(block.expr, block.indices, block.shape, block.matrix_latex or block.index_latex, "gradient",
                   free, derivation)


_DERIVED: dict = {}   # id(problem) -> (weak reference to it, {(kind, name): Derivation})


def _derived(problem: Problem, kind: str, name: str):
    """derive.gradient / derive.hessian, computed once per problem (a grader checks many claims)."""
    reference, cache = _DERIVED.get(id(problem), (None, None))
    if reference is None or reference() is not problem:
        for key in [k for k, (ref, _) in _DERIVED.items() if ref() is None]:
            del _DERIVED[key]
        cache = {}
        _DERIVED[id(problem)] = (weakref.ref(problem), cache)
    if (kind, name) not in cache:
        cache[kind, name] = (derive.gradient if kind == "gradient" else derive.hessian)(problem, name)
    return cache[kind, name]


def _hessian_target(problem: Problem, param) -> _Target:
    derivation = _derived(problem, "hessian", _name_of(param))
    (block,) = derivation.blocks
    return _Target(block.expr, block.indices, block.shape, block.matrix_latex or block.index_latex, "hessian",
                   None, derivation)


def _loss_target(problem: Problem) -> _Target:
    return _Target(problem.objective, (), (), latex_of(problem.objective_ir), "loss")


def _lower(problem: Problem, node, target: _Target, identity: frozenset = frozenset()):
    """The claim's (expr, axes, shape, row); for an entry-wise claim the free index is the entry's."""
    free = target.free
    if free:   # w_k, W_{jk}, or the row w_k of a matrix W: the free indices first, then the claim's own axes
        dims = dict(zip(free, target.shape))
        expr, axes, shape, row = elaborate(problem, node, dims, identity)
        symbols = tuple(sympy.Symbol(name, integer=True) for name in free)
        return expr, symbols + tuple(axes), tuple(target.shape[:len(free)]) + tuple(shape), False
    return elaborate(problem, node, None, identity)


# -- comparing -----------------------------------------------------------------------------------

def _values(problem: Problem, expr, axes, shape, sizes: dict, seed: int, matrices: str = "generic"):
    # generic matrices: a symmetric A would hide a missing transpose (A x for (A + A^T) x / 2)
    env = random_values(problem, seed, sizes, symmetric=matrices == "symmetric")
    if matrices == "one-hot rows":   # labels: every data matrix's rows are nonnegative and sum to 1
        for symbol in problem.data:
            if len(problem.shapes[symbol]) == 2:
                values = np.abs(env[_name_of(symbol)])
                env[_name_of(symbol)] = values / values.sum(axis=1, keepdims=True)
    if matrices in _LABEL_VALUES:   # labels: every data vector's entries drawn from {-1, +1} or {0, 1}
        draw = np.random.default_rng(seed)
        for symbol in problem.data:
            if len(problem.shapes[symbol]) == 1:
                size = np.shape(env[_name_of(symbol)])
                env[_name_of(symbol)] = draw.choice(_LABEL_VALUES[matrices], size=size).astype(float)
    concrete = tuple(dimension_size(d, env) for d in shape)
    try:
        return entries(expr, axes, concrete, env), env
    except (ValueError, OverflowError, ZeroDivisionError):   # outside the domain (log of a negative)
        return np.full(concrete, np.nan), env


_LABEL_VALUES = {"labels -1, +1": (-1.0, 1.0), "labels 0, 1": (0.0, 1.0)}


def _numeric_equal(problem: Problem, first, second, matrices: str = "generic"):
    """Compare two lowered values at random points; returns (equal, counterexample or None).

    A point where either side is not finite (outside a log's domain) is skipped; with no finite
    point at all the two are not called equal. Matrices are generic; ``"symmetric"``, ``"one-hot
    rows"`` and the ``_LABEL_VALUES`` serve diagnoses only (a claim right for symmetric matrices, one-hot
    labels or labels ±1 / 0-1 alone).
    """
    compared = 0
    for sizes in SIZES:
        for seed in SEEDS:
            with np.errstate(all="ignore"):
                a, env = _values(problem, first[0], first[1], first[2], sizes, seed, matrices)
                b, _ = _values(problem, second[0], second[1], second[2], sizes, seed, matrices)
            if a.shape != b.shape:
                return False, {"sizes": _dims(problem, env), "shapes": (a.shape, b.shape)}
            if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                continue
            compared += 1
            scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0), 1e-12)
            if np.max(np.abs(a - b), initial=0.0) > 1e-9 * scale:
                position = np.unravel_index(np.argmax(np.abs(a - b)), a.shape) if a.shape else ()
                return False, {"sizes": _dims(problem, env), "entry": tuple(int(p) + 1 for p in position),
                               "claimed": float(a[position]) if a.shape else float(a),
                               "expected": float(b[position]) if b.shape else float(b)}
    if compared == 0:
        return False, {"note": "no random point gave finite values on both sides"}
    return True, None


def _dims(problem: Problem, env: dict) -> dict:
    return {str(d): env[str(d)] for d in problem.dims}


def _symbolically_equal(problem: Problem, claim, target: _Target) -> bool:
    from symgd.derive import canonical_form
    from symgd.derive.calculus import tidy

    # Both sides' free indices become the same brand-new symbols: a renaming onto a name that one
    # side binds in a sum would capture it (a free j renamed onto the k of Σ_k turns A_{ij} into A_{ik}).
    shared = tuple(sympy.Dummy(f"free{n}", integer=True) for n in range(len(target.indices)))
    claimed = claim[0].xreplace(dict(zip(claim[1], shared)))
    expected = target.expr.xreplace(dict(zip(target.indices, shared)))
    first, second = (tidy(canonical_form(problem, e)) for e in (claimed, expected))
    return first == second or sympy.expand(first - second) == 0


def _verdict(problem: Problem, claim, target: _Target, notes: list) -> CheckResult:
    truth = (target.expr, target.indices, target.shape, False)
    if claim[3] and len(claim[2]) == 1:
        return CheckResult(False, "incorrect", "shapes", target.latex, None, notes + [
            "the claim is a row vector (a transposed vector) but the gradient of a vector has the "
            "parameter's shape, a column vector: drop the transpose (x^\\top where x belongs)"])
    if tuple(claim[2]) != tuple(target.shape):
        return CheckResult(False, "incorrect", "shapes", target.latex, {"claimed shape": claim[2],
                           "expected shape": target.shape}, notes + [
            f"the claim has shape {tuple(map(str, claim[2]))} but the {target.kind} has shape "
            f"{tuple(map(str, target.shape))}"])
    if _symbolically_equal(problem, claim, target):
        return _correct(problem, target, notes, "symbolic")
    equal, counterexample = _numeric_equal(problem, claim, truth)
    if equal:
        return _correct(problem, target, notes, f"numeric at {len(SIZES) * len(SEEDS)} random points")
    findings = notes + _diagnose(problem, claim, target)
    return CheckResult(False, "incorrect", f"numeric at {len(SIZES) * len(SEEDS)} random points", target.latex,
                       counterexample, findings)


def _correct(problem: Problem, target: _Target, notes: list, method: str) -> CheckResult:
    kinks = target.derivation.nonsmooth if target.derivation is not None else ()
    if kinks:
        where = " and ".join(k.condition for k in kinks)
        verdict = f"correct where the loss is differentiable (away from {where})"
        notes = notes + [f"at {where} the formula is a subgradient ({kinks[0].subgradient})"]
        return CheckResult(True, verdict, method, target.latex, None, notes)
    return CheckResult(True, "correct", method, target.latex, None, notes)


# -- diagnosis -----------------------------------------------------------------------------------

def _diagnose(problem: Problem, claim, target: _Target) -> list[str]:
    findings = []
    truth = (target.expr, target.indices, target.shape, False)
    ratio = _constant_ratio(problem, claim, truth)
    if ratio is not None:
        if abs(ratio + 1) < 1e-9:
            findings.append("the sign is flipped: the claim is minus the " + target.kind)
        else:
            fraction = sympy.nsimplify(ratio, rational=True, tolerance=1e-9)
            text = f"the claim is {fraction} times the {target.kind}"
            if fraction == sympy.Rational(1, 2) and problem.objective.has(sympy.Pow):
                text += ": the factor 2 from the square is missing"
            elif fraction == 2:
                text += ": a factor 1/2 (or the 1/2 in front of the square) was dropped"
            findings.append(text)
        return findings
    for dim in problem.dims:   # a dropped 1/n, or one too many
        for scaled, slip in ((dim * target.expr, f"the 1/{dim} was dropped"),
                             (target.expr / dim, f"an extra factor 1/{dim}")):
            if _numeric_equal(problem, claim, (scaled, target.indices, target.shape, False))[0]:
                return [f"the claim is {dim} times the {target.kind}" if "dropped" in slip else
                        f"the claim is the {target.kind} divided by {dim}", slip]
    square = [name_latex(_name_of(s)) for s in problem.shapes
              if len(problem.shapes[s]) == 2 and len(set(problem.shapes[s])) == 1]
    if square and _numeric_equal(problem, claim, truth, "symmetric")[0]:
        return [f"the claim holds only for symmetric matrices ({', '.join(square)}): for general ones the "
                f"{target.kind} differs, a transpose is missing (\\Theta^{{-\\top}} for \\Theta^{{-1}}, S^\\top "
                "for S) or A and A^\\top are both needed (the gradient of x^\\top A x is (A + A^\\top) x, which is "
                "2 A x only when A = A^\\top)"]
    if any(len(problem.shapes[s]) == 2 for s in problem.data) and \
            _numeric_equal(problem, claim, truth, "one-hot rows")[0]:
        return ["the claim holds only when the rows of the label matrix sum to 1 (one-hot labels, as in "
                "\\sum_k Y_{ik} = 1), which the loss does not say; for general labels keep the factor \\sum_k Y_{ik}"]
    for values, (low, high) in _LABEL_VALUES.items():
        if any(len(problem.shapes[s]) == 1 for s in problem.data) and \
                _numeric_equal(problem, claim, truth, values)[0]:
            return [f"the claim holds only when the labels (the data vectors) are {low:g} or {high:g}, which symgd "
                    f"does not assume (a declaration y_i \\in \\{{{low:g}, {high:g}\\}} is not read): for general "
                    "values it differs from the gradient; write the form that holds for any label"]
    terms = sympy.Add.make_args(target.expr)
    if len(terms) > 1:
        for term in terms:
            rest = target.expr - term
            if _numeric_equal(problem, claim, (rest, target.indices, target.shape, False))[0]:
                findings.append(f"the term {_term_latex(term, target)} is missing" +
                                (" (the regularizer's gradient)" if _is_regularizer(problem, term) else ""))
                return findings
        for term in terms:
            factor = _factor_of_one_term(problem, claim, target, term)
            if factor is not None:
                shown = _term_latex(term, target)
                findings.append(f"the sign of the term {shown} is flipped" if factor == -1 else
                                f"the term {shown} has the wrong factor: the claim has {factor} times it")
                return findings
    sigma_prime = _sigmoid_derivative(target.expr) if not target.expr.has(sympy.Sum) else target.expr.replace(
        lambda e: isinstance(e, sympy.Sum) and _sigmoid_derivative(e.args[0]) is not None,
        lambda e: sympy.Sum(_sigmoid_derivative(e.args[0]), *e.args[1:]))
    altered = (sigma_prime, target.indices, target.shape, False)
    if sigma_prime is not None and sigma_prime != target.expr and _numeric_equal(problem, claim, altered)[0]:
        findings.append("σ'(z) was written as σ(z): the derivative of the sigmoid is σ(z)(1 - σ(z))")
        return findings
    findings.append("the claim differs from the derivation (see the counterexample and the expected result)")
    return findings


def _constant_ratio(problem: Problem, claim, truth):
    ratios = []
    for sizes in SIZES:
        for seed in SEEDS[:2]:
            a, _ = _values(problem, claim[0], claim[1], claim[2], sizes, seed)
            b, _ = _values(problem, truth[0], truth[1], truth[2], sizes, seed)
            mask = np.abs(b) > 1e-8 * max(np.max(np.abs(b), initial=0.0), 1e-300)
            if not np.any(mask):
                return None
            ratio = a[mask] / b[mask]
            if np.ptp(ratio) > 1e-8 * max(1.0, np.max(np.abs(ratio))):
                return None
            ratios.append(float(ratio.flat[0]))
    if max(ratios) - min(ratios) > 1e-8 * max(1.0, abs(ratios[0])) or abs(ratios[0] - 1) < 1e-9:
        return None
    return ratios[0]


def _factor_of_one_term(problem: Problem, claim, target: _Target, term):
    """c when the claim is the gradient with one of its terms taken c times (c ≠ 1, a constant), else None:
    the claim minus the gradient is (c - 1) times the term at every entry of every point."""
    ratios = []
    for sizes in SIZES:
        for seed in SEEDS[:2]:
            with np.errstate(all="ignore"):
                a, _ = _values(problem, claim[0], claim[1], claim[2], sizes, seed)
                b, _ = _values(problem, target.expr, target.indices, target.shape, sizes, seed)
                t, _ = _values(problem, term, target.indices, target.shape, sizes, seed)
            if not (a.shape == b.shape == t.shape and np.all(np.isfinite(a - b)) and np.all(np.isfinite(t))):
                return None
            difference, scale = a - b, max(np.max(np.abs(t), initial=0.0), 1e-300)
            mask = np.abs(t) > 1e-8 * scale
            if not np.any(mask) or np.max(np.abs(difference[~mask]), initial=0.0) > 1e-8 * scale:
                return None
            ratio = difference[mask] / t[mask]
            if np.ptp(ratio) > 1e-8 * max(1.0, np.max(np.abs(ratio))):
                return None
            ratios.append(float(ratio.flat[0]))
    if max(ratios) - min(ratios) > 1e-8 * max(1.0, abs(ratios[0])) or abs(ratios[0]) < 1e-9:
        return None
    return sympy.nsimplify(1 + ratios[0], rational=True, tolerance=1e-9)


def _sigmoid_derivative(expr):
    """The expression with σ'(u) = σ(u)(1 - σ(u)) written as σ(u): divided by (1 - σ(u)) where that
    divides exactly; None if there is no such factor."""
    from symgd.functions import sigmoid

    for factor in expr.atoms(sigmoid):
        candidate = sympy.cancel(sympy.factor_terms(expr) / (1 - factor))
        if not sympy.fraction(candidate)[1].has(factor):
            return candidate
    return None


def _is_regularizer(problem: Problem, term) -> bool:
    data = set(problem.data)
    return not any(isinstance(e, sympy.Indexed) and e.base in data for e in term.atoms(sympy.Indexed)) and \
        bool(term.free_symbols & set(problem.constants))


def _term_latex(term, target: _Target) -> str:
    form, _ = matrix_form_or_reason(term, target.indices, dict(zip(target.indices, target.shape)))
    return form.latex if form is not None else derive.index_latex(term)


def _shape_failure(problem, node, target, notes, error, line, identity=frozenset()) -> CheckResult:
    findings = notes + [f"line {line}: the shapes do not fit ({error})"]
    truth = (target.expr, target.indices, target.shape, False)
    for finding, repaired in _repairs(problem, node):
        try:
            value = _lower(problem, repaired, target, identity)
        except SymgdError:
            continue
        if _numeric_equal(problem, value, truth)[0]:
            findings.append(finding)
            break
    return CheckResult(False, "incorrect", "shapes", target.latex, None, findings)


def _repairs(problem: Problem, node):
    """(finding, repaired claim) for each single index swap or transpose that might make the shapes fit;
    swaps first, since an entry written X_{ji} is a slip of the indices, in the student's own terms."""
    entries = [n for n in ir.walk(node) if isinstance(n, ir.Sub) and len(_subscript_parts(n.indices)) == 2]
    for entry in dict.fromkeys(entries):
        swapped = ir.Sub(entry.base, tuple(reversed(_subscript_parts(entry.indices))))
        repaired = _rewrite(node, lambda n, entry=entry, swapped=swapped: swapped if n == entry else n)
        yield (f"the indices of {latex_of(entry)} are swapped: with {latex_of(swapped)} the claim is right",
               repaired)
    for name in sorted(_names(node)):
        if len(problem.shapes.get(name, ())) != 2:   # matrices only (index symbols have no shape)
            continue
        for occurrence in range(sum(1 for n in ir.walk(node) if n == ir.Name(name))):
            flipped = _transpose_occurrence(node, name, occurrence)
            yield f"a transpose is missing: with {name}^\\top at {latex_of(flipped)} the claim is right", flipped


def _transpose_occurrence(node, name: str, occurrence: int):
    """``node`` with the ``occurrence``-th appearance of the matrix ``name`` transposed (or un-transposed)."""
    from symgd.problem import _map_children
    counter = [0]

    def visit(current):
        if current == ir.Name(name) or (isinstance(current, ir.Transpose) and current.arg == ir.Name(name)):
            counter[0] += 1
            if counter[0] - 1 == occurrence:
                return current.arg if isinstance(current, ir.Transpose) else ir.Transpose(current)
            return current
        return _map_children(current, visit)

    return visit(node)


# -- the student's notation ----------------------------------------------------------------------

SAMPLE_COUNT_NAMES = ("n", "N", "m", "M")


def _rewrite(node, fn):
    """Bottom-up rewrite of an IR tree: ``fn`` sees every node, subscripts and sum bounds included."""
    if isinstance(node, tuple):
        return tuple(_rewrite(item, fn) for item in node)
    if not dataclasses.is_dataclass(node):
        return node
    changes = {}
    for spec in dataclasses.fields(node):
        value = getattr(node, spec.name)
        new = _rewrite(value, fn)
        if new != value:
            changes[spec.name] = new
    return fn(dataclasses.replace(node, **changes) if changes else node)


def _known_names(problem: Problem) -> set:
    names = {_name_of(s) for s, role in problem.roles.items() if role != "index"} | {str(d) for d in problem.dims}
    return names | set(problem.written.values())


def _sample_count(problem: Problem):
    """The one dimension that is no parameter's axis (the number of samples), or None."""
    axes = {d for p in problem.params for d in problem.shapes[p]}
    rest = [d for d in problem.dims if d not in axes]
    return rest[0] if len(rest) == 1 else None


def _read_notation(problem: Problem, node, free=()) -> tuple:
    """The claim in the problem's names: (node, identity names, notes, names still unknown).

    ``I`` is the identity; ``N``, ``m`` name the number of samples when only one dimension can be
    that; ``X`` names the matrix whose rows the loss wrote ``x_i`` (and ``x_i`` the rows of ``X``).
    """
    known = _known_names(problem)
    node, notes = _sigmoid_primes(problem, node, known)
    bound = {n.index for n in ir.walk(node) if isinstance(n, ir.BigOp)}
    unknown = sorted(_names(node) - known - bound - set(free))
    aliases, identity, left = {}, set(), []
    count = _sample_count(problem)
    for name in unknown:
        swapped = name.swapcase()
        if name == "I":
            identity.add(name)
        elif name in SAMPLE_COUNT_NAMES and count is not None:
            aliases[name] = ir.Name(str(count))
            notes.append(f"{name} is read as {count}, the number of samples")
        elif swapped in known and len(problem.shapes.get(swapped, ())) == 2:
            aliases[name] = ir.Name(swapped)
            rows = name if name.islower() else swapped
            notes.append(f"{name_latex(name)} is read as {name_latex(swapped)} "
                         f"(the {name_latex(rows)}_i are the rows of {name_latex(rows.upper())})")
        else:
            left.append(name)
    if aliases:
        node = _rewrite(node, lambda n: aliases.get(n.name, n) if isinstance(n, ir.Name) else n)
    return node, frozenset(identity), notes, left


_SIGMA_PRIME = ir.Prime(ir.Name("sigma"))


def _sigmoid_primes(problem: Problem, node, known: set) -> tuple:
    """``\\sigma'(u)`` (the parser's σ' juxtaposed with its argument) is the sigmoid's derivative
    σ(u)(1 - σ(u)) where σ names nothing of the problem's; returns (node, notes)."""
    if "sigma" in known or "sigma" in problem.functions or _SIGMA_PRIME not in ir.walk(node):
        return node, []

    def attached(left, argument):   # a (σ') (u): juxtaposition groups to the left, σ' is left's last factor
        if left == _SIGMA_PRIME:
            value = ir.Func("sigmoid", (argument,))
            return ir.Hadamard(value, ir.Add((ir.Num("1"), ir.Neg(value))))   # entrywise, σ'(Wx) of a vector
        if isinstance(left, (ir.Mul, ir.Hadamard)) and (isinstance(left, ir.Hadamard) or left.op == "juxt"):
            right = attached(left.right, argument)   # a ⊙ σ'(u) too, parsed (a ⊙ σ')(u)
            return None if right is None else dataclasses.replace(left, right=right)
        if isinstance(left, ir.Neg):
            inner = attached(left.arg, argument)
            return None if inner is None else ir.Neg(inner)
        return None

    def derivative(current):
        if isinstance(current, ir.Mul) and current.op == "juxt":
            return attached(current.left, current.right) or current
        return current

    return _rewrite(node, derivative), ["\\sigma'(u) is read as the derivative of the logistic sigmoid, "
                                        "\\sigma(u)(1 - \\sigma(u))"]


# -- Hessians as block matrices -------------------------------------------------------------------

_BLOCK_MATRIX = re.compile(r"^(?P<head>.*?)=\s*\\begin\{(?P<kind>[bpvV]?matrix)\}(?P<body>.*)\\end\{(?P=kind)\}\s*$",
                           re.DOTALL)


def _block_matrix(problem: Problem, claim: str):
    """(cells by row, the Hessian's parameters) for ``\\nabla^2 J = \\begin{bmatrix} A & B \\\\ C & D
    \\end{bmatrix}``, or None for any other claim."""
    match = _BLOCK_MATRIX.match(claim.strip())
    if match is None:
        return None
    try:
        head = _parse_piece(match.group("head"), problem)
    except SymgdError:
        return None
    if not isinstance(head, ir.Deriv) or head.order != 2:
        return None
    rows = [row for row in match.group("body").split("\\\\") if row.strip()]
    cells = [[cell.strip() for cell in row.split("&")] for row in rows]
    params = problem.params
    filled = all(cell for row in cells for cell in row)
    if len(cells) != len(params) or any(len(row) != len(params) for row in cells) or not filled:
        raise SymgdError(f"the block matrix is {len(cells)} × {max(map(len, cells))} (with every block filled) but "
                         f"the Hessian of {', '.join(_name_of(p) for p in params)} has "
                         f"{len(params)} × {len(params)} blocks")
    return cells, params


def _check_blocks(problem: Problem, cells: list, params: tuple) -> CheckResult:
    """Each block against ∂²L/∂θ_i∂θ_j (blocks in the order of the parameters); ok only if all are."""
    derivation = derive.hessian(problem, [_name_of(p) for p in params])
    names = ", ".join(_name_of(p) for p in params)
    notes = [f"the blocks are read in the order of the parameters: {names}"]
    results = []
    for i, row in enumerate(cells):
        for j, text in enumerate(row):
            block = derivation.blocks[i * len(params) + j]
            target = _Target(block.expr, block.indices, block.shape, block.matrix_latex or block.index_latex,
                             "hessian block", None, derivation)
            results.append((i, j, _block_verdict(problem, text, target, params[i], params[j])))
    expected = r"\begin{bmatrix} " + r" \\ ".join(
        " & ".join(r.expected_latex for i, _, r in results if i == row) for row in range(len(params))) \
        + r" \end{bmatrix}"
    wrong = [(i, j, r) for i, j, r in results if not r.ok]
    if not wrong:
        methods = {r.method for _, _, r in results}
        method = methods.pop() if len(methods) == 1 else "symbolic and numeric"
        return CheckResult(True, "correct", method, expected, None, notes)
    findings = list(notes)
    for i, j, r in wrong:
        block = rf"\frac{{\partial^2 {_objective_name(problem)}}}{{\partial {name_latex(_name_of(params[i]))} " \
                rf"\partial {name_latex(_name_of(params[j]))}}}"
        findings.append(f"block ({i + 1}, {j + 1}), {block}, is wrong: " + "; ".join(r.diagnosis or ["it differs"]))
    return CheckResult(False, "incorrect", wrong[0][2].method, expected, wrong[0][2].counterexample, findings)


def _block_verdict(problem: Problem, text: str, target: _Target, first, second) -> CheckResult:
    node, identity, notes, _ = _read_notation(problem, _parse_piece(text, problem))
    try:
        value = _lower(problem, node, target, identity)
    except ShapeError as error:
        return _shape_failure(problem, node, target, notes, error, 1, identity)
    if not problem.shapes[first] and len(problem.shapes[second]) == 1:   # ∂²L/∂b∂w^T for a scalar b: a row
        if not value[3]:
            return CheckResult(False, "incorrect", "shapes", target.latex, None, notes + [
                "the block is a column vector, but in the block matrix it is a row (the row of a scalar "
                "parameter): transpose it"])
        value = value[:3] + (False,)
    return _verdict(problem, value, target, notes)


# -- update rules --------------------------------------------------------------------------------

@dataclass
class _Update:
    """An update rule read off the claim: the parameter, the entry it updates, the new value."""

    param: object
    name: str                 # the parameter as the claim writes it
    free: tuple               # entry-wise: the free index names (\Theta_{ij} := ...)
    counter: str | None       # the iteration counter (t in w_{t+1})
    right: object             # the right-hand side
    op: str


def _as_update(problem: Problem, claim: str) -> _Update | None:
    """The claim as an update rule (``:=``, ``\\leftarrow``, ``w_{t+1} = ...``, ``w = w - ...``), or None."""
    try:
        items = parse_document(claim, "latex" if "\\" in claim else problem.syntax).items
    except SymgdError:
        return None
    if len(items) != 1 or not isinstance(items[0], ir.Relation) or len(items[0].operands) != 2:
        return None
    (left, right), op = items[0].operands, items[0].ops[0]
    base = left.base if isinstance(left, ir.Sub) else left
    if not isinstance(base, ir.Name) or base.name not in _param_names(problem):
        return None
    if op not in (":=", "<-") and not (op == "=" and base.name in _names(right)):
        return None
    param = _param(problem, base)
    counter, free = _read_left(left, len(problem.shapes[param]))
    return _Update(param, base.name, free, counter, right, op)


def _subscript_parts(indices) -> list:
    parts = []
    for index in indices:
        while isinstance(index, ir.Mul) and index.op == "juxt":   # X_{ij}
            parts.append(index.left)
            index = index.right
        parts.append(index)
    return parts


def _read_left(left, rank: int) -> tuple:
    """(iteration counter, free index names) of ``w_{t+1}``, ``\\Theta_{ij}``, ``w^{(t+1)}_j``."""
    if not isinstance(left, ir.Sub):
        return None, ()
    counter, free = None, []
    for part in _subscript_parts(left.indices):
        if isinstance(part, ir.Add) and ir.Num("1") in part.terms and len(part.terms) == 2:
            counter = next((t.name for t in part.terms if isinstance(t, ir.Name)), None)
        elif isinstance(part, ir.Name):
            free.append(part.name)
        else:
            raise UnsupportedError(f"the left-hand side {latex_of(left)} of the update")
    if counter is not None and not free:   # w_{t+1}, w^{(k+1)}: the next iterate, whole
        return counter, ()
    if len(free) != rank or (counter is None and not free):
        if rank == 0 and counter is None and len(free) == 1:   # \theta_n := ...: n counts iterations
            return free[0], ()
        raise UnsupportedError(f"the left-hand side {latex_of(left)}: name the parameter, an entry of it "
                               "(\\Theta_{ij}) or the next iterate (w_{t+1})")
    return counter, tuple(free)


def _current_iterate(node, update: _Update):
    """w_t, w^{(t)}, \\theta_n on the right-hand side are the current iterate; a derivative
    followed by it (\\frac{\\partial L}{\\partial w}(w_t)) is evaluated there."""
    if update.counter is None:
        return node
    counter = ir.Name(update.counter)

    def visit(current):
        if isinstance(current, ir.Sub) and current.base == ir.Name(update.name):
            rest = [p for p in _subscript_parts(current.indices) if p != counter]
            if len(rest) < len(current.indices):
                return ir.Sub(current.base, tuple(rest)) if rest else current.base
        if isinstance(current, ir.Mul) and current.op == "juxt" and current.right == ir.Name(update.name):
            rightmost = current.left   # \eta \nabla L (w_t) is (\eta \nabla L)(w_t): the last factor's argument
            while isinstance(rightmost, ir.Mul) and rightmost.op == "juxt":
                rightmost = rightmost.right
            if isinstance(rightmost, ir.Deriv):
                return current.left
        return current

    return _rewrite(node, visit)


def _gradient_placeholders(problem: Problem, node, update: _Update) -> tuple:
    """Derivative notation in the update (\\nabla L(\\theta), \\frac{\\partial J}{\\partial \\Theta_{ij}})
    becomes a placeholder name of the gradient's shape; returns (node, placeholders, inverted)."""
    placeholders: dict = {}
    inverted = []
    objective = {_objective_name(problem)} | set(OBJECTIVE_NAMES)

    def is_objective(of) -> bool:
        if isinstance(of, ir.Apply) and of.name in objective:
            if of.args not in ((ir.Name(update.name),), ()):
                raise UnsupportedError(f"the gradient at {latex_of(of.args[0])}, not at the current iterate")
            return True
        return isinstance(of, ir.Name) and of.name in objective

    def visit(current):
        if not isinstance(current, ir.Deriv):
            return current
        of, wrt = current.of, current.wrt
        if of is not None and wrt is not None and is_objective(wrt) and not is_objective(of):
            inverted.append(current)
            of, wrt = wrt, of
        if current.order != 1 or not is_objective(of):
            raise UnsupportedError(f"the derivative {latex_of(current)} inside an update rule; "
                                   "symgd checks gradient steps")
        base = wrt.base if isinstance(wrt, ir.Sub) else wrt
        param = update.param if wrt is None else _param(problem, base)
        name = "∇" + _name_of(param)
        placeholders[name] = param
        if isinstance(wrt, ir.Sub):
            return ir.Sub(ir.Name(name), wrt.indices)
        if update.free and param == update.param:   # \Theta_{ij} := \Theta_{ij} - \nabla L: its entry
            return ir.Sub(ir.Name(name), tuple(ir.Name(f) for f in update.free))
        return ir.Name(name)

    node = _rewrite(node, visit)
    return node, placeholders, inverted


def _unused_constants(problem: Problem, node) -> list[str]:
    """Constants the source declares (\\gamma > 0 beside its update rule) that the loss does not use:
    in an update they are step sizes."""
    used = problem.objective.free_symbols
    return [_name_of(c) for c in problem.constants if c not in used and _name_of(c) in _names(node)]


def _extended(problem: Problem, constants: list, placeholders: dict) -> Problem:
    """The problem with the claim's step sizes (positive constants) and gradient placeholders."""
    roles, shapes = SymbolDict(problem.roles), SymbolDict(problem.shapes)
    added = []
    for name in constants:
        if name in roles:
            continue
        symbol = sympy.Symbol(name, real=True, positive=True)
        roles[symbol], shapes[symbol] = "constant", ()
        added.append(symbol)
    for name, param in placeholders.items():
        shape = problem.shapes[param]
        symbol = sympy.IndexedBase(name, shape=shape, real=True) if shape else sympy.Symbol(name, real=True)
        roles[symbol], shapes[symbol] = "data", shape
    return dataclasses.replace(problem, roles=roles, shapes=shapes, constants=problem.constants + tuple(added))


_fresh_counter = itertools.count()


def _with_fresh_bound(expr):
    """``expr`` with every summation index renamed to a name used nowhere else (so that
    substituting into it captures nothing)."""
    def visit(node):
        if isinstance(node, sympy.Sum):
            body, *limits = node.args
            body = _with_fresh_bound(body)
            for index, lower, upper in limits:
                fresh = sympy.Dummy(f"b{next(_fresh_counter)}", integer=True)
                body = sympy.Sum(body.xreplace({index: fresh}), (fresh, lower, upper))
            return body
        return rebuild(node, visit)
    return visit(expr)


def _insert_gradients(expr, placeholders: dict, targets: dict):
    """Replace each placeholder's entries by the gradient's entries (capture-avoiding)."""
    for name, param in placeholders.items():
        target = targets[param]
        body = _with_fresh_bound(target.expr)
        if not target.indices:
            expr = expr.xreplace({sympy.Symbol(name, real=True): body})
            continue
        expr = expr.replace(
            lambda e, name=name: isinstance(e, sympy.Indexed) and str(e.base.label) == name,
            lambda e, body=body, target=target: body.xreplace(dict(zip(target.indices, e.indices))))
    return expr


def _check_update(problem: Problem, update: _Update) -> CheckResult:
    """Is the update a gradient-descent step, θ - RHS = η ∇L with a positive step size η?"""
    shown = name_latex(update.name)
    target = _gradient_target(problem, update.param, update.free or None)
    notes = []
    if update.op == "=" and update.counter is None:   # w_{t+1} = w_t - ... is a recurrence, not an assignment
        notes.append("= is read as an assignment (:=): the new value on the left, the current one on the right")
    right = _current_iterate(_operator_form(update.right), update)
    right, placeholders, inverted = _gradient_placeholders(problem, right, update)
    current = ir.Sub(ir.Name(update.name), tuple(ir.Name(f) for f in update.free)) if update.free \
        else ir.Name(update.name)
    step_node = resolve_notation(ir.Add((current, ir.Neg(right))), problem.syntax,
                                 problem.functions)   # w - RHS = η ∇L
    step_node, identity, read, unknown = _read_notation(problem, step_node, update.free + tuple(placeholders))
    notes += read
    unknown = [name for name in unknown if name not in placeholders] + _unused_constants(problem, step_node)
    if len(unknown) > 1:
        raise UnsupportedError(f"the update uses {', '.join(unknown)}, which the loss does not have; "
                               "symgd reads one of them as the step size")
    extended = _extended(problem, unknown, placeholders)
    try:
        expr, axes, shape, row = _lower(extended, step_node, target, identity)
    except ShapeError as error:
        return _shape_failure(problem, step_node, target, notes, error, 1)
    targets = {p: target if p == update.param and update.free else _gradient_target(problem, p)
               for p in placeholders.values()}
    expr = _insert_gradients(expr, placeholders, targets)
    if unknown:
        step = extended.symbol(unknown[0])
        direction = expr.xreplace({step: sympy.Integer(1)})
        if not _numeric_equal(extended, (expr, axes, shape, row), (step * direction, axes, shape, row))[0]:
            return CheckResult(False, "incorrect", "numeric", target.latex, None, notes + [
                f"the step size {name_latex(unknown[0])} does not multiply the whole step: the update should "
                f"read {shown} - {name_latex(unknown[0])} \\nabla L"])
        notes.append(f"{name_latex(unknown[0])} is read as the step size (a positive constant)")
        expr = direction
    else:
        notes.append(f"the update has no step size: it is a gradient-descent step of size 1, {shown} - "
                     f"\\nabla L; write {shown} - \\eta \\nabla L to choose the step")
    value = (expr, axes, shape, row)
    truth = (target.expr, target.indices, target.shape, False)
    if not _numeric_equal(problem, value, truth)[0] and \
            _numeric_equal(problem, (-expr, axes, shape, row), truth)[0]:
        return CheckResult(False, "incorrect", "numeric", target.latex, None, notes + [
            "this is gradient ascent: the update adds the gradient; gradient descent subtracts it "
            f"({shown} - \\eta \\nabla L)"])
    result = _verdict(problem, value, target, notes)
    if result.ok and placeholders:
        result.diagnosis.append("this is the general gradient-descent rule: correct by definition, for any "
                                "differentiable loss")
    if not result.ok:
        result.diagnosis.insert(len(notes), "the update's direction is not the gradient")
    if inverted:
        result.diagnosis.insert(0, f"{latex_of(inverted[0])} is the inverted (reciprocal) notation: the gradient "
                                   f"is \\frac{{\\partial L}}{{\\partial {shown}}}")
        result.ok, result.verdict = False, "incorrect"
    return result
