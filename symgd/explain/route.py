"""Checking a derivation that follows the differential route, line by line, beside the explanation.

A student's derivation such as

    r = Xw - y
    \\mathrm{d}L = \\frac{1}{n} r^\\top \\mathrm{d}r
    \\mathrm{d}r = X\\,\\mathrm{d}w
    \\nabla_w L = \\frac{1}{n} X^\\top r

has definitions of pieces (a name the problem does not have), differentials (``\\mathrm{d}w``,
``dw``, ``d\\Theta`` of the loss, a parameter or a piece) and a gradient read off. Every line is
evaluated at random points with distinct dimensions: a piece by its definition, the differential of
the loss or of a piece as its directional derivative along a random direction of the parameters
(central differences), the differential of a parameter as that direction, the gradient as symgd
derives it. The first line that does not hold is named, beside the step of ``symgd explain`` for
the same differential, so the student sees where the two derivations part ways.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import sympy

from symgd import derive
from symgd.errors import ShapeError, SymgdError, UnsupportedError
from symgd.numeric import dimension_size, entries, evaluate, random_values
from symgd.parse import ir as syntax
from symgd.problem import Problem, SymbolDict, _name_of, elaborate
from symgd.render import latex_of, name_latex

STEP = 1e-6
TOLERANCE = 1e-5
SEEDS = (4, 5)
_MARKER = re.compile(r"\\(?:mathrm|text|operatorname|mathit)\{d\}\s*")
_NAME = r"(\\[A-Za-z]+|[A-Za-z](?![A-Za-z]))"


@dataclasses.dataclass
class _Row:
    """One line of the derivation: its text line, left side and the expressions it equates."""

    line: int
    left: str
    parts: list


def follows_the_differential_route(problem: Problem, claim: str) -> bool:
    """Whether ``claim`` is a derivation by differentials (some line starts with dL, dw, dr, ...)."""
    try:
        rows = _rows(claim)
    except SymgdError:   # a line without "=": not this kind of derivation
        return False
    names = _differentiable(problem, rows)
    return any(_differential_of(_spelled(row.left, names)) for row in rows)


def check_route(problem: Problem, claim: str):
    """A CheckResult for a derivation by differentials (see the module docstring)."""
    from symgd.check import CheckResult, StepCheck

    rows = _rows(claim)
    names = _differentiable(problem, rows)
    route = _Route(problem, names)
    steps, findings, gradient_ok = [], [], None
    for row in rows:
        for text, holds in route.add(row):
            steps.append(StepCheck(row.line, text, holds))
            if not holds and not findings:
                findings.append(route.disagreement(row, text))
        if route.read_off is not None:
            gradient_ok = route.read_off
    expected = derive.gradient(problem, [_name_of(p) for p in problem.params])
    expected_latex = expected.latex
    if findings:
        return CheckResult(False, "incorrect", route.method, expected_latex, diagnosis=findings, steps=steps)
    if gradient_ok is None:
        return CheckResult(False, "incorrect", route.method, expected_latex, steps=steps, diagnosis=[
            "every line holds, but the derivation stops before it reads off the gradient"])
    return CheckResult(True, "correct", route.method, expected_latex, steps=steps, diagnosis=[
        "every line holds at random points, and the gradient read off is symgd's"])


def _rows(claim: str) -> list:
    from symgd.check import _top_level_split

    text = re.sub(r"\\(begin|end)\{(align|aligned|equation|gather|split)\*?\}", " ", claim)
    rows = []
    for line in re.split(r"\n|\\\\", text):
        row = line.replace("&", " ").strip().rstrip(",.")
        if not row:
            continue
        parts = [p.strip() for p in _top_level_split(row, "=")]
        if len(parts) < 2 or not all(parts):
            raise SymgdError(f"line {len(rows) + 1} of the derivation is not an equation: {row}")
        rows.append(_Row(len(rows) + 1, parts[0], parts[1:]))
    return rows


def _differentiable(problem: Problem, rows: list) -> dict:
    """Written name -> internal name of what may carry a d: the loss, parameters, pieces."""
    names = {problem.objective_name or "L": "L", "L": "L", "J": "L", "f": "L", r"\ell": "L",
             r"\mathcal{L}": "L"}
    for param in problem.params:
        name = _name_of(param)
        names[name_latex(name)] = name
        names[name] = name
    known = {_name_of(s) for s in problem.roles}
    for row in rows:
        left = row.left.strip()
        if re.fullmatch(_NAME, left) and left.lstrip("\\") not in known and left not in names:
            names[left] = left.lstrip("\\")
    return names


def _spelled(text: str, names: dict) -> str:
    """``text`` with each differential \\mathrm{d}X (or dX of a known X) as one name \\mathrm{dX}."""
    def replace(match):
        written = match.group(1)
        if written not in names:
            return match.group(0)
        return r"\mathrm{d%s}" % names[written]
    text = _MARKER.sub("d", text)
    return re.sub(r"(?<![A-Za-z\\])d\s*\{?" + _NAME + r"\}?", replace, text)


def _differential_of(text: str) -> str | None:
    match = re.fullmatch(r"\s*\\mathrm\{d(\w+)\}\s*", text)
    return match.group(1) if match else None


class _Route:
    """The lines read so far: pieces, values at the random points, and the verdicts."""

    def __init__(self, problem: Problem, names: dict) -> None:
        self.problem, self.names = problem, names
        self.extended = problem
        self.pieces: list = []        # (name, symbol, expr, axes, shape)
        self.read_off: bool | None = None
        self.method = f"numeric at {len(SEEDS)} random points"
        for param in problem.params:   # dw: a random direction
            shape = problem.shapes[param]
            name = "d" + _name_of(param)
            self._declare(sympy.IndexedBase(name, shape=shape, real=True) if shape else sympy.Symbol(name, real=True),
                          shape)
        self._declare(sympy.Symbol("dL", real=True), ())
        self.points = [_Point(self, seed) for seed in SEEDS]
        self.shape_errors: dict = {}

    def add(self, row: _Row) -> list:
        """(LaTeX, holds) for each expression of ``row`` after the first."""
        left = _spelled(row.left, self.names)
        of = _differential_of(left)
        if of is not None:
            return self._equal_to(row, lambda point: point.differential(of), left)
        head = self._parse(left)
        if isinstance(head, syntax.Deriv):
            return self._read_off(row, head, left)
        name = row.left.strip().lstrip("\\")
        if name in self.names.values() and name != "L" and name not in self._params():
            first = self._lower(_spelled(row.parts[0], self.names))
            self._define(name, *first)
            return self._equal_to(_Row(row.line, row.parts[0], row.parts[1:]), lambda point: point.value(first),
                                  row.parts[0])
        if self.names.get(row.left.strip()) == "L":
            return self._equal_to(row, lambda point: point.loss(), left)
        raise UnsupportedError(f"line {row.line}: cannot read {row.left} as a differential, a definition or "
                               "a gradient")

    def _params(self) -> set:
        return {_name_of(p) for p in self.problem.params}

    def _equal_to(self, row: _Row, expected, left: str) -> list:
        out = []
        for part in row.parts:
            text = _spelled(part, self.names)
            shown = _shown(f"{latex_of(self._parse(left))} = {latex_of(self._parse(text))}")
            try:
                value = self._lower(text)
            except ShapeError as error:
                self.shape_errors[shown] = str(error)
                out.append((shown, False))
                continue
            holds = all(_close(expected(point), point.value(value)) for point in self.points)
            out.append((shown, holds))
        return out

    def _read_off(self, row: _Row, head, left: str) -> list:
        from symgd.check import _param

        param = _param(self.problem, head.wrt) if head.wrt is not None else self._only_param()
        block = derive.gradient(self.problem, [_name_of(param)]).blocks[0]
        target = (block.expr, block.indices, block.shape)
        out = [(shown, holds and not self._row_vector(row.parts[position]))
               for position, (shown, holds) in enumerate(self._equal_to(row, lambda point: point.value(target), left))]
        for position, (shown, _) in enumerate(out):
            if self._row_vector(row.parts[position]):   # (r^T X: right entries, but a gradient is a column)
                self.shape_errors[shown] = ("a row vector (a transposed vector), but the gradient of a vector has "
                                            "the parameter's shape, a column vector: drop the transpose")
        self.read_off = all(holds for _, holds in out)
        return out

    def _row_vector(self, text: str) -> bool:
        from symgd.check import _read_notation
        try:
            node, identity, _, _ = _read_notation(self.extended, self._parse(_spelled(text, self.names)))
            _, _, shape, row = elaborate(self.extended, node, None, identity)
        except SymgdError:
            return False
        return bool(row) and len(shape) == 1

    def _only_param(self):
        if len(self.problem.params) != 1:
            raise UnsupportedError("say which parameter the gradient is for (\\nabla_w L)")
        return self.problem.params[0]

    def _parse(self, text: str):
        from symgd.check import _parse_piece
        return _parse_piece(text, self.extended)

    def _lower(self, text: str) -> tuple:
        from symgd.check import _read_notation   # X for the rows x_i, I the identity, N the sample count
        node, identity, _, _ = _read_notation(self.extended, self._parse(text))
        expr, axes, shape, _ = elaborate(self.extended, node, None, identity)
        return expr, axes, shape

    def _define(self, name: str, expr, axes, shape) -> None:
        symbol = sympy.IndexedBase(name, shape=shape, real=True) if shape else sympy.Symbol(name, real=True)
        self.pieces.append((name, symbol, expr, axes, shape))
        self._declare(symbol, shape)
        differential = sympy.IndexedBase("d" + name, shape=shape, real=True) if shape \
            else sympy.Symbol("d" + name, real=True)
        self._declare(differential, shape)

    def _declare(self, symbol, shape) -> None:
        roles, shapes = SymbolDict(self.extended.roles), SymbolDict(self.extended.shapes)
        roles[symbol], shapes[symbol] = "data", tuple(shape)
        self.extended = dataclasses.replace(self.extended, roles=roles, shapes=shapes)

    def disagreement(self, row: _Row, text: str) -> str:
        """The finding for the first line that does not hold, with the explanation's step there."""
        if text in self.shape_errors:
            why = "the shapes do not fit (" + _shown(self.shape_errors[text].removeprefix("shapes do not fit: ")) + ")"
        else:
            why = "its two sides differ at random points"
        finding = f"line {row.line}: {text} does not hold: {why}"
        if row.line > 1:
            finding += "; line 1 holds" if row.line == 2 else f"; lines 1 to {row.line - 1} hold"
        step = self._explained(row)
        if step is not None:
            number, latex = step
            finding += f"; symgd explain has {latex} here (its step {number})"
        return finding

    def _explained(self, row: _Row):
        """(number, LaTeX) of the explanation's step for the same differential, or None."""
        from symgd.explain import explain
        try:
            explanation = explain(derive.gradient(self.problem, [_name_of(p) for p in self.problem.params]))
        except SymgdError:
            return None
        same = _Matcher(self, explanation)
        left = _spelled(row.left, self.names)
        of = _differential_of(left)
        used = set(re.findall(r"\\mathrm\{d(\w+)\}", " ".join(_spelled(p, self.names) for p in row.parts)))
        for number, step in reversed(list(enumerate(explanation.steps, 1))):
            if same.step(step, of, used):
                return number, step.latex
        return None


class _Matcher:
    """Which step of an explanation is about the same thing as a line of the student's: pieces are
    matched by their values at a random point (the student's r is the explanation's r whatever the
    names), parameters by name."""

    def __init__(self, route: _Route, explanation) -> None:
        point = route.points[0]
        env = point.env()
        problem = explanation.derivation.problem
        ir_env = {dim: env[str(dim)] for dim in problem.dims}
        for symbol in problem.shapes:
            if problem.roles[symbol] not in ("dimension", "index"):
                ir_env[symbol] = env[_name_of(symbol)]
        from symgd.tensor.evaluate import evaluate as evaluate_ir
        memo: dict = {}
        self.pieces = {}   # student's piece name -> the explanation's piece node
        for name, *_ in route.pieces:
            for piece in explanation.pieces:
                if _close(evaluate_ir(piece.node, ir_env, memo), env[name]):
                    self.pieces[name] = piece.node
                    break
        self.params = {_name_of(p): p for p in problem.params}
        self.explanation = explanation

    def _target(self, name: str):
        return self.params.get(name) or self.pieces.get(name)

    def step(self, step, of: str | None, used: set) -> bool:
        """Whether ``step`` is the explanation's line for the differential ``of`` written with the
        differentials ``used`` (or, for a gradient line, the read-off for it)."""
        equation = step.equation
        if of is None:
            return step.kind == "read off"
        if of == "L":
            if equation.kind != "inner":
                return False
            leaves = {self.explanation.differentials.get(leaf) for _, leaf in equation.right}
            return leaves == {self._target(name) for name in used}
        return equation.kind == "differential" and equation.left is self.pieces.get(of)


class _Point:
    """Values of the problem's symbols, the pieces and the differentials at one random point."""

    def __init__(self, route: _Route, seed: int) -> None:
        self.route = route
        self.base = random_values(route.problem, seed=seed, symmetric=False)
        rng = np.random.default_rng(100 + seed)
        self.direction = {_name_of(p): rng.normal(size=np.shape(self.base[_name_of(p)]))
                          for p in route.problem.params}
        self.cache: dict = {}

    def _concrete(self, shape) -> tuple:
        return tuple(dimension_size(d, self.base) for d in shape)

    def env(self, t: float = 0.0) -> dict:
        """The values at θ + t dθ, pieces included, differentials at θ."""
        key = (t, len(self.route.pieces))
        if key not in self.cache:
            env = dict(self.base)
            for name, direction in self.direction.items():
                env[name] = self.base[name] + t * direction
            for name, _, expr, axes, shape in self.route.pieces:
                env[name] = entries(expr, axes, self._concrete(shape), env) if shape else evaluate(expr, env)
            if t == 0.0:
                for name, direction in self.direction.items():
                    env["d" + name] = direction
                for name, *_ in self.route.pieces:
                    env["d" + name] = self.differential(name)
                env["dL"] = self.differential("L")
            self.cache[key] = env
        return self.cache[key]

    def value(self, lowered: tuple):
        expr, axes, shape = lowered
        env = self.env()
        return entries(expr, axes, self._concrete(shape), env) if shape else evaluate(expr, env)

    def loss(self) -> float:
        return evaluate(self.route.problem.objective, self.env())

    def differential(self, name: str):
        """dX: the direction for a parameter; for the loss or a piece, its directional derivative."""
        if name in self.direction:
            return self.direction[name]
        sides = []
        for t in (STEP, -STEP):
            env = self.env(t)
            sides.append(evaluate(self.route.problem.objective, env) if name == "L" else np.asarray(env[name]))
        return (np.asarray(sides[0]) - np.asarray(sides[1])) / (2 * STEP)


def _shown(latex: str) -> str:
    """``\\mathrm{dw}`` (one name while checking) as ``\\mathrm{d}w``."""
    return re.sub(r"\\mathrm\{d(\w+)\}", lambda m: r"\mathrm{d}" + name_latex(m.group(1)), latex)


def _close(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    scale = max(1e-6, float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return float(np.max(np.abs(a - b), initial=0.0)) <= TOLERANCE * scale
