"""Printing the steps: matrix-form LaTeX through symgd.tensor.print_latex, inner products
(``a^\\top b``, ``\\operatorname{tr}(A^\\top B)``) and a few textbook patterns around it, and plain
text read off that LaTeX; plus the cosmetic rewrites that make a pulled-back gradient read as a
person would write it (like terms collected, scalars in front of products)."""

from __future__ import annotations

import re
from fractions import Fraction

from symgd.tensor import ir
from symgd.tensor.print_latex import latex as matrix_latex


# -- cosmetic rewrites (values unchanged; every shown step is verified numerically anyway) ---------

def tidy(node: ir.Node) -> ir.Node:
    """``node`` with like terms collected, scalar factors hoisted out of matrix products and
    transposes of products distributed; repeated until nothing changes."""
    for _ in range(6):
        (new,) = ir.rewrite((node,), _tidy_rule)
        if new is node:
            break
        node = new
    return node


def _tidy_rule(node: ir.Node) -> ir.Node:  # noqa: C901 - one rewrite per pattern
    if isinstance(node, ir.Map) and node.op == "add":
        return _smaller(_collect(node), _collect_expanded(node))
    if isinstance(node, ir.Map) and node.op == "mul":
        node = _unbroadcast_factors(_combine_powers(node)) if node.shape else _combine_powers(node)
        return _smaller(node, _distributed(node)) if isinstance(node, ir.Map) and node.op == "mul" else node
    if isinstance(node, ir.Reduce) and isinstance(node.arg, ir.Transpose) and len(node.axes) == 1:
        return ir.reduce(node.op, node.arg.arg, (node.arg.perm[node.axes[0]],))
    if isinstance(node, ir.Reduce) and node.op == "sum":
        scalars, arg = _split_scalars(node.arg)
        if scalars:
            return ir.mul(*scalars, ir.reduce("sum", arg, node.axes))
    if isinstance(node, ir.Broadcast) and node.arg.shape:
        scalars, arg = _split_scalars(node.arg)
        if scalars:
            return ir.mul(*scalars, ir.broadcast(arg, node.axes, node.shape))
    if isinstance(node, ir.MatMul):
        scalars_a, a = _split_scalars(node.a)
        scalars_b, b = _split_scalars(node.b)
        if scalars_a or scalars_b:
            return ir.mul(*scalars_a, *scalars_b, ir.matmul(a, b))
    if isinstance(node, ir.Transpose):
        arg = node.arg
        if isinstance(arg, ir.Broadcast):   # (u 1^T)^T = 1 u^T
            return ir.broadcast(arg.arg, [node.perm.index(a) for a in arg.axes], node.shape)
        if isinstance(arg, ir.MatMul) and len(arg.a.shape) == 2 and len(arg.b.shape) == 2:
            return ir.matmul(ir.transpose(arg.b, (1, 0)), ir.transpose(arg.a, (1, 0)))
        if isinstance(arg, ir.Map) and arg.op in ("mul", "add"):
            parts = [ir.transpose(a, node.perm) if a.shape else a for a in arg.args]
            return ir.mul(*parts) if arg.op == "mul" else ir.add(*parts)
    return node


def _combine_powers(node: ir.Map) -> ir.Node:
    """δ² δ⁻² = 1, u u⁻¹ = 1: powers of one base multiply by adding exponents."""
    exponents = _summed(_base_and_exponent(factor) for factor in node.args)
    if len(exponents) == len(node.args):
        return node
    return ir.mul(*(ir.power(base, power) for base, power in exponents.items()))


def _size(node: ir.Node) -> int:
    return len(ir.postorder([node]))


def _smaller(node: ir.Node, other: ir.Node | None) -> ir.Node:
    """``other`` where it has fewer nodes than ``node`` (the shorter of two equal forms)."""
    return other if other is not None and _size(other) < _size(node) else node


def _distributed(node: ir.Map, cancelling: bool = True) -> ir.Node | None:
    """a ⊙ (b + c) as a ⊙ b + a ⊙ c (with ``cancelling``, only where that cancels powers:
    (1 - u) ⊙ (1 - u)^{-1} = 1)."""
    best = None
    for factor in node.args:
        if isinstance(factor, ir.Map) and factor.op == "add" and factor.shape == node.shape:
            others = [a for a in node.args if a is not factor]
            combined = [_combine_powers_of(ir.mul(*others, term)) for term in factor.args]
            # ir.mul itself folds powers of one base (x x^{-1} = 1): a product with fewer factors
            # than were multiplied is where something cancelled
            written = [len(others) + _factor_count(term) for term in factor.args]
            if cancelling and all(_factor_count(c) >= n for c, n in zip(combined, written)):
                continue   # nothing cancels: distributing only lengthens it
            spread = ir.add(*combined)
            best = spread if best is None else _smaller(best, spread)
    return best


def _factor_count(node: ir.Node) -> int:
    return len(node.args) if isinstance(node, ir.Map) and node.op == "mul" else 1


def _combine_powers_of(node: ir.Node) -> ir.Node:
    return _combine_powers(node) if isinstance(node, ir.Map) and node.op == "mul" else node


def _collect_expanded(node: ir.Map) -> ir.Node | None:
    """Every term distributed once, then like terms collected: u ⊙ (1 - y) - (1 - u) ⊙ y is u - y."""
    terms = []
    for term in node.args:
        spread = _distributed(term, cancelling=False) if isinstance(term, ir.Map) and term.op == "mul" else None
        terms.append(spread if spread is not None else term)
    expanded = ir.add(*terms)
    if not isinstance(expanded, ir.Map) or expanded.op != "add":
        return expanded
    collected = _collect(expanded)
    return collected if collected is not expanded else None   # only where like terms meet


def _summed(pairs) -> dict:
    """(key, number) pairs -> key: the sum of its numbers, keys in order of first appearance."""
    out: dict = {}
    for key, number in pairs:
        out[key] = out.get(key, Fraction(0)) + number
    return out


def _base_and_exponent(node: ir.Node) -> tuple:
    if isinstance(node, ir.Map) and node.op == "pow" and isinstance(node.param, Fraction):
        return node.args[0], node.param
    return node, Fraction(1)


def _unbroadcast_factors(node: ir.Map) -> ir.Node:
    """c 1 1^T ⊙ A = c A: a scalar repeated over the array is the scalar, beside a full array."""
    if not any(a.shape == node.shape and not _scalar_broadcast(a) for a in node.args):
        return node
    if not any(_scalar_broadcast(a) for a in node.args):
        return node
    return ir.mul(*(a.arg if _scalar_broadcast(a) else a for a in node.args))


def _scalar_broadcast(node: ir.Node) -> bool:
    return isinstance(node, ir.Broadcast) and not node.arg.shape


def _split_scalars(node: ir.Node) -> tuple[list, ir.Node]:
    if isinstance(node, ir.Map) and node.op == "mul" and node.shape:
        scalars = [a for a in node.args if not a.shape]
        if scalars:
            return scalars, ir.mul(*(a for a in node.args if a.shape))
    return [], node


def _collect(node: ir.Map) -> ir.Node:
    """a + a = 2a, 2a - a = a: terms equal up to a numeric coefficient are added up."""
    coefficients = _summed(_coefficient(term)[::-1] for term in node.args)
    if len(coefficients) == len(node.args):
        return node
    terms = [ir.mul(ir.const(c), rest) for rest, c in coefficients.items() if c != 0]
    return ir.broadcast_to(ir.add(*terms), node.shape) if terms else ir.broadcast_to(ir.const(0), node.shape)


def _coefficient(term: ir.Node) -> tuple:
    if isinstance(term, ir.Map) and term.op == "mul" and isinstance(term.args[0], ir.Const) \
            and isinstance(term.args[0].value, Fraction):
        return term.args[0].value, ir.mul(*term.args[1:])
    return Fraction(1), term


# -- LaTeX ------------------------------------------------------------------------------------

class Printer:
    """LaTeX of nodes, with differentials spelled ``\\mathrm{d}w``.

    Args:
        spellings: the LaTeX that print_latex gives a placeholder input -> the LaTeX to show.
    """

    def __init__(self, spellings: dict) -> None:
        self.spellings = spellings

    def latex(self, node: ir.Node) -> str:
        """Matrix-form LaTeX of ``node``."""
        return self._respell(self._latex(node))

    def _respell(self, text: str) -> str:
        for placeholder, shown in self.spellings.items():
            text = text.replace(placeholder, shown)
        return text

    def _latex(self, node: ir.Node) -> str:
        pattern = self._pattern(node)
        return pattern if pattern is not None else matrix_latex(node)

    def _pattern(self, node: ir.Node) -> str | None:
        """Textbook spellings print_latex does not have: ⟨A, B⟩, tr(A B), u v^T; and sums and
        scaled terms around them."""
        if isinstance(node, ir.Transpose) and isinstance(node.arg, ir.MatFn) and node.arg.op == "inv":
            return rf"{self._factor(node.arg.arg)}^{{-\top}}"
        if isinstance(node, ir.Contract) and not node.out and len(node.args) == 2:
            (a, b), (sa, sb) = node.args, node.specs
            if sa == sb:
                return rf"\left\langle {self._latex(a)}, {self._latex(b)}\right\rangle"
            if len(sa) == 2 and sb == sa[::-1]:
                return rf"\operatorname{{tr}}\left({self._factor(a)} {self._factor(b)}\right)"
        if isinstance(node, ir.Map) and node.op == "mul" and len(node.args) == 2:
            u, v = node.args
            if _is_outer(u, v):
                return rf"{self._factor(u.arg)} {self._factor(v.arg)}^\top"
            if isinstance(u, ir.Const) and self._pattern(v) is not None:
                return _scaled(u.value, self._latex(v))
        if isinstance(node, ir.Map) and node.op == "add" and any(self._pattern(t) is not None for t in node.args):
            texts = [self._latex(t) for t in node.args]
            return join_terms(sorted(texts, key=lambda text: text.startswith("-")))
        return None

    def _factor(self, node: ir.Node) -> str:
        text = self._latex(node)
        return rf"\left({text}\right)" if needs_brackets(node, text) else text

    def inner(self, weight: ir.Node, expr: ir.Node) -> str:
        """⟨weight, expr⟩ as a person writes it: ``c\\, g^\\top e``, ``\\operatorname{tr}(G^\\top E)``."""
        scalars, array = _split_scalars(weight)
        coefficient = ir.mul(*scalars) if scalars else ir.const(1)
        lead = "" if coefficient is ir.const(1) else self._factor(coefficient) + " "
        if isinstance(coefficient, ir.Const):
            lead = _scaled(coefficient.value, "")
        right = self._factor(expr)
        if not array.shape:
            body = right if array is ir.const(1) else f"{self._factor(array)} {right}"
        elif len(array.shape) == 1:
            body = rf"{self._transposed(array)} {right}"
        else:
            body = rf"\operatorname{{tr}}\left({self._transposed(array)} {right}\right)"
        return self._respell(lead + body)

    def _transposed(self, node: ir.Node) -> str:
        if isinstance(node, ir.Transpose) and len(node.shape) == 2:
            return self._factor(node.arg)
        text = self._latex(node)
        if isinstance(node, ir.Input):
            return text + r"^\top"
        return rf"\left({text}\right)^\top"


def _is_outer(u: ir.Node, v: ir.Node) -> bool:
    return all(isinstance(b, ir.Broadcast) and len(b.arg.shape) == 1 for b in (u, v)) \
        and {u.axes, v.axes} == {(0,), (1,)} and u.axes == (0,)


def needs_brackets(node: ir.Node, text: str) -> bool:
    """Whether ``text`` (the LaTeX of ``node``) needs brackets as a factor of a product."""
    return (isinstance(node, ir.Map) and node.op == "add") or text.startswith("-")


def _scaled(value, text: str) -> str:
    if value == 1:
        return text
    if value == -1:
        return "-" + text
    return f"{matrix_latex(ir.const(value))} {text}"


def join_terms(texts: list) -> str:
    """Terms joined by + and -, a leading minus of a term becoming the operator."""
    out = ""
    for text in texts:
        if not out:
            out = text
        elif text.startswith("-"):
            out += " - " + text[1:].lstrip()
        else:
            out += " + " + text
    return out or "0"


# -- plain text --------------------------------------------------------------------------------

_SYMBOLS = {
    r"\top": "ᵀ", r"\odot": "⊙", r"\cdot": "·", r"\langle": "⟨", r"\rangle": "⟩", r"\partial": "∂",
    r"\sigma": "σ", r"\lambda": "λ", r"\delta": "δ", r"\theta": "θ", r"\Theta": "Θ", r"\gamma": "γ",
    r"\alpha": "α", r"\beta": "β", r"\eta": "η", r"\mu": "μ", r"\nu": "ν", r"\tau": "τ", r"\rho": "ρ",
    r"\Sigma": "Σ", r"\epsilon": "ε", r"\phi": "φ", r"\psi": "ψ", r"\omega": "ω", r"\xi": "ξ",
    r"\pi": "π", r"\kappa": "κ", r"\ell": "ℓ", r"\sum": "Σ", r"\log": "log ", r"\exp": "exp ",
    r"\tanh": "tanh ", r"\sin": "sin ", r"\cos": "cos ", r"\det": "det ", r"\max": "max ", r"\min": "min ",
    r"\ln": "ln ", r"\mathcal": "", r"\textstyle": "", r"\quad": "  ", r"\qquad": "    ", r"\Lambda": "Λ",
}
_SPACING = {r"\,": " ", r"\ ": " ", r"\;": " ", r"\!": ""}
_UNWRAP = (r"\mathrm", r"\operatorname", r"\mathbf", r"\mathbb", r"\text", r"\boldsymbol", r"\hat",
           r"\bar", r"\tilde")


def plain_text(latex: str) -> str:
    """The LaTeX the printers above write, as plain text: ``\\frac{1}{n} X^\\top r`` -> ``(1/n) Xᵀ r``."""
    text = re.sub(r"(log|exp|tanh|sin|cos|det|max|min|ln) +([(√])", r"\1\2", _plain(latex))
    text = re.sub(r"⟨ +", "⟨", text)
    return re.sub(r"  +", " ", text).strip()


def _plain(latex: str) -> str:  # noqa: C901 - one branch per kind of token
    out = []
    position = 0
    while position < len(latex):
        char = latex[position]
        if latex.startswith(r"\left", position) or latex.startswith(r"\right", position):
            position += 5 if latex.startswith(r"\left", position) else 6
            if position < len(latex) and latex[position] == ".":
                position += 1
            continue
        if char == "\\":
            two = latex[position:position + 2]
            if two in _SPACING:
                out.append(_SPACING[two])
                position += 2
                continue
            match = re.match(r"\\[A-Za-z]+", latex[position:])
            command = match.group(0) if match else two
            position += len(command)
            if command == r"\frac":
                top, position = _group(latex, position)
                bottom, position = _group(latex, position)
                out.append(_fraction(_plain(top).strip(), _plain(bottom).strip()))
            elif command == r"\sqrt":
                body, position = _group(latex, position)
                out.append(f"√({_plain(body)})")
            elif command in _UNWRAP:
                body, position = _group(latex, position)
                out.append(_plain(body))
            else:
                out.append(_SYMBOLS.get(command, command.lstrip("\\")))
            continue
        if char in "^_":
            body, position = _group(latex, position + 1)
            inner = _plain(body)
            if char == "^" and inner == "ᵀ":
                out.append("ᵀ")
            else:
                out.append(char + (inner if len(inner) == 1 or inner == "-1" else f"({inner})"))
            continue
        if char in "{}":
            position += 1
            continue
        out.append(char)
        position += 1
    return "".join(out)


def _fraction(top: str, bottom: str) -> str:
    """a/b in brackets when it is a coefficient ((1/n) Xᵀ r); ∂L/∂w as it is."""
    if top.startswith("∂"):
        return f"{top.replace(' ', '')}/{bottom.replace(' ', '')}"
    return f"({_bracketed(top)}/{_bracketed(bottom)})"


def _group(latex: str, position: int) -> tuple[str, int]:
    """The argument at ``position``: a braced group, a command, or one character."""
    while position < len(latex) and latex[position] == " ":
        position += 1
    if position >= len(latex):
        return "", position
    if latex[position] == "{":
        depth = 0
        for end in range(position, len(latex)):
            depth += {"{": 1, "}": -1}.get(latex[end], 0)
            if depth == 0:
                return latex[position + 1:end], end + 1
        return latex[position + 1:], len(latex)
    match = re.match(r"\\[A-Za-z]+", latex[position:])
    if match:
        return match.group(0), position + len(match.group(0))
    return latex[position], position + 1


def _bracketed(text: str) -> str:
    if re.fullmatch(r"[\w.ᵀ∂]+", text) or _enclosed(text):
        return text
    return f"({text})"


def _enclosed(text: str) -> bool:
    """``text`` is one bracketed group: (a + b), not (a) (b)."""
    if not text.startswith("("):
        return False
    depth = 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return position == len(text) - 1
    return False
