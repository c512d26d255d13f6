"""The gradient derived step by step, as a person writes it, each step verified before it is shown.

    L = ½n⁻¹ (Xw - y)^T (Xw - y)               the loss, as read
    r = Xw - y,  L = ½n⁻¹ r^T r                named pieces
    dL = ½n⁻¹ (dr^T r + r^T dr) = n⁻¹ r^T dr   the differential of the outer piece, transposed
    dr = X dw                                  the differential of the next piece
    dL = n⁻¹ r^T X dw                          the chain rule
    dL = (n⁻¹ X^T r)^T dw                      a transposition rule
    ∂L/∂w = n⁻¹ X^T r = n⁻¹ X^T (Xw - y)       read off (denominator layout), pieces substituted

The loss is the tensor IR of its index form (symgd.tensor.lift, contractions planned as matrix
products), cut into pieces by symgd.explain.pieces; differentials and transpositions follow the
rules of symgd.explain.differential (reverse mode, written out); symgd.explain.verify evaluates
both sides of every equation at random points with distinct dimensions. A step whose sides differ
is kept but marked unverified, and the text says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy

from symgd.derive import Derivation
from symgd.errors import UnsupportedError
from symgd.explain import differential, pieces as cutting
from symgd.explain.printing import Printer, join_terms, plain_text, tidy
from symgd.explain.verify import TOLERANCE, Equation, Verifier
from symgd.problem import _name_of
from symgd.render import name_latex
from symgd.tensor import ir

READ_OFF = (r"\mathrm{d}L = \langle G, \mathrm{d}\theta\rangle \text{ for every } \mathrm{d}\theta "
            r"\iff \frac{\partial L}{\partial \theta} = G \text{ (denominator layout)}")
CHAIN = r"\text{chain rule: substitute the differential of the piece}"


@dataclass(frozen=True)
class Step:
    """One line of the derivation.

    Attributes:
        kind: ``loss``, ``define``, ``differential``, ``transpose``, ``chain rule``, ``read off``,
            ``substitute`` or ``simplify``.
        latex: the equation in LaTeX.
        rules: the rules used, in LaTeX.
        equation: what the step claims, as the verifier evaluates it.
        discrepancy: the largest relative difference of its two sides at the random points.
    """

    kind: str
    latex: str
    rules: tuple
    equation: Equation
    discrepancy: float

    @property
    def verified(self) -> bool:
        """Both sides agree numerically at every random point."""
        return self.discrepancy <= TOLERANCE

    @property
    def text(self) -> str:
        """The equation in plain text."""
        return plain_text(self.latex)

    @property
    def rules_text(self) -> tuple:
        """The rules in plain text."""
        return tuple(plain_text(rule) for rule in self.rules)


@dataclass(frozen=True)
class Explanation:
    """A gradient derived step by step.

    Attributes:
        derivation: the Derivation explained (its result is the last step of each parameter).
        steps: the steps, in order.
        sizes: the dimensions of the random points the steps were verified at.
        notes: remarks (kinks, what was explained for a constrained problem).
        pieces: the named intermediates (``symgd.explain.pieces.Piece``), innermost first.
        differentials: each differential's ``Input`` node -> the parameter symbol or the piece's
            node it is the differential of.
    """

    derivation: Derivation
    steps: tuple
    sizes: dict
    notes: tuple = ()
    pieces: tuple = ()
    differentials: dict = dataclasses.field(default_factory=dict)

    @property
    def verified(self) -> bool:
        """Every step was verified."""
        return all(step.verified for step in self.steps)

    @property
    def latex(self) -> str:
        """The steps as an ``align*`` environment, each with its rules as a remark."""
        rows = []
        for step in self.steps:
            left, _, right = step.latex.partition(" = ")
            remark = _remark(step)
            rows.append(f"{left} &= {right}" + (rf" && \text{{{remark}}}" if remark else ""))
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"

    @property
    def text(self) -> str:
        """The steps in plain text, numbered, each with the rules used and whether it was verified."""
        sizes = ", ".join(f"{k} = {v}" for k, v in self.sizes.items())
        lines = []
        for number, step in enumerate(self.steps, 1):
            mark = "" if step.verified else f"   [NOT VERIFIED: {_failure(step)}]"
            lines.append(f"{number:>2}. {step.text}{mark}")
            lines.extend(f"      by {rule}" for rule in step.rules_text)
        if self.verified:
            lines.append(f"Every step was checked numerically at random points ({sizes}).")
        else:
            bad = [str(n) for n, s in enumerate(self.steps, 1) if not s.verified]
            lines.append(f"Steps {', '.join(bad)} did NOT pass the numeric check ({sizes}): "
                         "do not trust them (please report this as a bug).")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _failure(step: Step) -> str:
    if step.discrepancy == float("inf"):
        return "it could not be evaluated at a random point inside the loss's domain"
    return f"its two sides differ by {step.discrepancy:.2g} (relative) at a random point"


def with_note(explanation: Explanation, note: str) -> Explanation:
    """The same explanation with one more note."""
    return dataclasses.replace(explanation, notes=explanation.notes + (note,))


def _remark(step: Step) -> str:
    if not step.verified:
        return "NOT verified"
    return {"loss": "the loss", "define": "definition", "differential": "differential of the piece",
            "transpose": "transposition", "chain rule": "chain rule", "read off": "read off",
            "substitute": "pieces substituted", "simplify": "simplified (symgd's gradient)"}[step.kind]


def explain(derivation: Derivation, seeds=(0, 1)) -> Explanation:
    """The gradient of ``derivation`` derived step by step in matrix notation, each step verified.

    Args:
        derivation: a gradient (``symgd.gradient``).
        seeds: one random point per seed for the numeric verification.

    Returns:
        An Explanation: ``steps``, ``latex``, ``text``, ``verified``.

    Raises:
        UnsupportedError: a Hessian, or a construct without a differential or transposition rule.
    """
    if derivation.kind != "gradient":
        raise UnsupportedError("a step-by-step explanation of a Hessian (explain the gradient)")
    supplied = getattr(derivation.problem, "supplied", {})
    if supplied:   # its differential dr = J_r dx has no node in the loss's graph yet
        calls = ", ".join(function.written for function in supplied.values())
        raise UnsupportedError(f"symgd explain of a loss through a function you supply ({calls}); the gradient "
                               "(symgd.gradient) writes it with the function's Jacobian")
    try:
        return _Writer(derivation, seeds).run()
    except UnsupportedError as error:   # the lifting and printing errors speak of code and matrix forms
        raise UnsupportedError(f"symgd explain cannot write this loss step by step: {error}") from None


class _Writer:
    """Writes the steps of one explanation, verifying each as it goes."""

    def __init__(self, derivation: Derivation, seeds) -> None:
        problem = derivation.problem
        self.derivation, self.problem = derivation, problem
        self.params = tuple(block.wrt[0] for block in derivation.blocks)
        self.cut = cutting.cut(problem, self.params)
        self.param_nodes = {p: ir.input_(p, problem.shapes[p]) for p in self.params}
        name = problem.objective_name or "L"
        self.loss_name = name if name.startswith("\\") else name_latex(name)
        spellings: dict = {}
        self.d: dict = {}            # leaf (parameter or piece symbol) -> its differential's Input
        self.of: dict = {}           # differential Input -> what the verifier values it as
        for param, node in self.param_nodes.items():
            self._differential_symbol(node, name_latex(_name_of(param)), param, spellings)
        for piece in self.cut.pieces:
            self._differential_symbol(piece.symbol, name_latex(piece.name), piece.node, spellings)
        self.printer = Printer(spellings)
        self.verifier = Verifier(problem, self.params, self.cut.root, self.cut.pieces, self.of, seeds)
        self.steps: list = []

    def _differential_symbol(self, leaf: ir.Node, shown: str, of, spellings: dict) -> None:
        placeholder = sympy.Symbol(f"dsymgdplaceholder{len(self.d)}")
        node = ir.input_(placeholder, leaf.shape)
        spellings[name_latex(placeholder.name)] = r"\mathrm{d}" + (shown if len(shown) == 1 else "{%s}" % shown)
        self.d[leaf] = node
        self.of[node] = of

    def add(self, kind: str, latex: str, rules, equation: Equation) -> None:
        self.steps.append(Step(kind, latex, tuple(rules), equation, self.verifier.discrepancy(equation)))

    def run(self) -> Explanation:
        cut, loss = self.cut, self.loss_name
        self.add("loss", f"{loss} = {self.printer.latex(cut.root)}", (),
                 Equation("loss", cut.root, self.problem.objective))
        for piece in cut.pieces:
            self.add("define", f"{name_latex(piece.name)} = {self.printer.latex(piece.definition)}", (),
                     Equation("value", piece.symbol, piece.definition))
        if cut.pieces:
            self.add("define", f"{loss} = {self.printer.latex(cut.definition)}", (),
                     Equation("value", cut.root, cut.definition))
        frontier = self._outer_differential()
        for piece in reversed(cut.pieces):
            frontier = self._expand(piece, frontier)
        self._read_off(frontier)
        return Explanation(self.derivation, tuple(self.steps), self.verifier.sizes(), self._notes(),
                           self.cut.pieces, dict(self.of))

    def _dl(self) -> str:
        return rf"\mathrm{{d}}{self.loss_name}"

    def _outer_differential(self) -> dict:
        forward = differential.Forward(self.d)
        expr = forward(self.cut.definition)
        if expr is None:
            return {}
        expr = self._fold(expr)
        shown = f"{self._dl()} = {self.printer.latex(expr)}"
        self.add("differential", shown, [differential.RULES[r] for r in forward.rules],
                 Equation("inner", self.cut.root, ((ir.const(1), expr),)))
        return self._transpose(expr, ir.const(1), {}, shown)

    def _expand(self, piece, frontier: dict) -> dict:
        d_piece = self.d[piece.symbol]
        if d_piece not in frontier:
            return frontier
        weight = frontier.pop(d_piece)
        forward = differential.Forward(self.d)
        expr = forward(piece.definition)
        if expr is None:
            return frontier
        expr = self._fold(expr)
        self.add("differential", rf"\mathrm{{d}}{name_latex(piece.name)} = {self.printer.latex(expr)}",
                 [differential.RULES[r] for r in forward.rules],
                 Equation("differential", piece.node, expr))
        pairs = _pairs(frontier) + ((weight, expr),)
        shown = f"{self._dl()} = {self._inner_sum(frontier, (weight, expr))}"
        self.add("chain rule", shown, (CHAIN,), Equation("inner", self.cut.root, pairs))
        return self._transpose(expr, weight, frontier, shown)

    def _transpose(self, expr: ir.Node, weight: ir.Node, frontier: dict, previous: str) -> dict:
        rules: list = []
        pulled = differential.pull_back(expr, weight, set(self.d.values()), rules)
        merged = dict(frontier)
        for leaf, share in pulled.items():
            merged[leaf] = self._fold(ir.add(merged[leaf], share) if leaf in merged else share)
        shown = f"{self._dl()} = {self._inner_sum(merged)}"
        if shown != previous:
            self.add("transpose", shown, [differential.RULES[r] for r in rules],
                     Equation("inner", self.cut.root, _pairs(merged)))
        return merged

    def _fold(self, node: ir.Node) -> ir.Node:
        return cutting.fold(tidy(node), self.cut.pieces)

    def _inner_sum(self, frontier: dict, extra=None) -> str:
        terms = [self.printer.inner(weight, leaf) for leaf, weight in frontier.items()]
        if extra is not None:
            terms.append(self.printer.inner(*extra))
        return join_terms(terms)

    def _read_off(self, frontier: dict) -> None:
        for block, (param, node) in zip(self.derivation.blocks, self.param_nodes.items()):
            weight = frontier.get(self.d[node], ir.broadcast_to(ir.const(0), node.shape))
            head = rf"\frac{{\partial {self.loss_name}}}{{\partial {name_latex(_name_of(param))}}}"
            shown = self.printer.latex(weight)
            self.add("read off", f"{head} = {shown}", (READ_OFF,), Equation("gradient", param, weight))
            inlined = tidy(cutting.inline(weight, self.cut.pieces))
            last = shown
            if inlined is not weight:
                last = self.printer.latex(inlined)
                if last != shown:
                    self.add("substitute", f"{head} = {last}", (), Equation("value", weight, inlined))
            final = block.matrix_latex or block.index_latex
            if final != last:
                self.add("simplify", f"{head} = {final}", (), Equation("index", weight, block))

    def _notes(self) -> tuple:
        notes = list(self.derivation.notes)
        for kink in self.derivation.nonsmooth:
            notes.append(f"not differentiable where {kink.condition}: the result is a subgradient there "
                         f"({kink.subgradient})")
        return tuple(notes)


def _pairs(frontier: dict) -> tuple:
    """(weight, differential) pairs of dL = Σ ⟨weight, differential⟩, for the verifier."""
    return tuple((weight, leaf) for leaf, weight in frontier.items())
