"""The matrix-form LaTeX printer: an optimised tensor program as matrix notation for people.

``MatMul`` is juxtaposition (``X^\\top r``), transposes are ``^\\top``, elementwise products of
arrays are ``\\odot``, a vector broadcast along the rows of a matrix in a product is a diagonal
matrix (``X^\\top \\operatorname{diag}(s) X``), sums along an axis are products with
``\\mathbf{1}``, the identity is ``I``. A node with no matrix spelling (an einsum of more than two
axes, an array of rank 3 or more) raises ``UnsupportedError`` naming it; callers fall back to index
notation.
"""

from __future__ import annotations

from fractions import Fraction

from symgd.errors import UnsupportedError
from symgd.functions import BY_NAME
from symgd.render import name_latex
from symgd.tensor import ir

ATOM, POSTFIX, PRODUCT, HADAMARD, SUM = 5, 4, 3, 2, 1   # juxtaposition binds tighter than \odot


def latex(node: ir.Node) -> str:
    """Matrix-form LaTeX of ``node`` (of rank 0, 1 or 2).

    Raises:
        UnsupportedError: a part has no matrix spelling.
    """
    return _Printer().text(node)[0]


class _Printer:
    def __init__(self) -> None:
        self.memo: dict = {}

    def text(self, node: ir.Node) -> tuple[str, int]:
        if len(node.shape) > 2:
            raise UnsupportedError(f"matrix form of an array of rank {len(node.shape)}")
        if node not in self.memo:
            self.memo[node] = self._text(node)
        return self.memo[node]

    def wrapped(self, node: ir.Node, needed: int) -> str:
        text, level = self.text(node)
        return text if level >= needed else rf"\left({text}\right)"

    def _text(self, node: ir.Node) -> tuple[str, int]:  # noqa: C901 - one branch per node type
        if isinstance(node, ir.Input):
            return name_latex(str(getattr(node.symbol, "label", node.symbol))), ATOM
        if isinstance(node, ir.Const):
            return _number(node.value)
        if isinstance(node, ir.Map):
            return self._map(node)
        if isinstance(node, ir.MatMul):
            return self._matmul(node)
        if isinstance(node, ir.Transpose) and isinstance(node.arg, ir.MatFn) and node.arg.op == "inv":
            return self.wrapped(node.arg.arg, POSTFIX) + r"^{-\top}", POSTFIX   # not A^{-1}^\top
        if isinstance(node, ir.Transpose):
            return self.wrapped(node.arg, POSTFIX) + r"^\top", POSTFIX
        if isinstance(node, ir.Identity):
            return "I", ATOM
        if isinstance(node, ir.Contract) and not node.out and len(node.args) == 2 and node.specs[0] == node.specs[1]:
            a, b = node.args   # Σ over every axis of A ⊙ B (contraction planning's np.vdot)
            if a is b:
                return rf"\left\|{self.text(a)[0]}\right\|_F^2", ATOM
            return rf"\left\langle {self.text(a)[0]}, {self.text(b)[0]}\right\rangle", ATOM
        if isinstance(node, ir.Kron):
            return rf"{self.wrapped(node.a, PRODUCT)} \otimes {self.wrapped(node.b, PRODUCT)}", HADAMARD
        if isinstance(node, ir.Commutation):
            return "K_{%s}" % " ".join(name_latex(str(d)) for d in node.dims), ATOM
        if isinstance(node, ir.SampleSum):
            index = name_latex(str(node.index))
            return rf"\sum_{{{index}=1}}^{{{name_latex(str(node.count))}}} {self.wrapped(node.body, HADAMARD)}", SUM
        if isinstance(node, ir.Diagonal):
            return rf"\operatorname{{diag}}\left({self.text(node.arg)[0]}\right)", ATOM
        if isinstance(node, ir.Broadcast):
            return self._broadcast(node)
        if isinstance(node, ir.Reduce):
            return self._reduce(node)
        if isinstance(node, ir.Softmax):
            direction = "rows" if node.axis == len(node.shape) - 1 else "columns"
            along = rf"_{{\text{{{direction}}}}}" if len(node.shape) == 2 else ""   # a vector has one direction
            return rf"\operatorname{{softmax}}{along}\left({self.text(node.arg)[0]}\right)", ATOM
        if isinstance(node, ir.Factor):   # the matrix itself, in a formula
            return self.text(node.arg)
        if isinstance(node, ir.Solve):
            inverse = self.wrapped(node.factor, POSTFIX) + ("^{-\\top}" if node.transposed else "^{-1}")
            return inverse + " " + self.wrapped(node.rhs, PRODUCT), PRODUCT
        if isinstance(node, ir.MatFn) and node.op == "expm":   # (e^{W \circ W})^\top: a transpose wraps it
            return rf"e^{{{self.text(node.arg)[0]}}}", PRODUCT
        if isinstance(node, ir.ExpmFrechet):   # the Fréchet derivative of the matrix exponential
            return rf"L_{{\exp}}\left({self.text(node.a)[0]}, {self.text(node.e)[0]}\right)", ATOM
        if isinstance(node, ir.MatFn):
            base = self.wrapped(node.arg, POSTFIX)
            if node.op == "argmaxsign":   # sign(v_k) e_k, k the index of the largest |v_k| (stated in the notes)
                return r"\operatorname{sign}(v_{i^*})\, e_{i^*}", PRODUCT
            if node.op == "polar":   # U V^T of X = U Σ V^T (the thin SVD, stated in the block's notes)
                return r"U V^\top", PRODUCT
            spelled = {"inv": base + "^{-1}", "det": rf"\det {base}", "logdet": rf"\log\det {base}",
                       "logabsdet": rf"\log\left|\det {base}\right|",
                       "nuc": rf"\left\|{self.text(node.arg)[0]}\right\|_*",
                       "maxabs": rf"\left\|{self.text(node.arg)[0]}\right\|_\infty"}[node.op]
            return spelled, POSTFIX if node.op == "inv" else ATOM if node.op in ("nuc", "maxabs") else PRODUCT
        if isinstance(node, WITHOUT_MATRIX_FORM):
            raise UnsupportedError(f"matrix form of {_without_matrix_form(node)}: kept in index notation")
        raise UnsupportedError(f"matrix form of a contraction over several axes ({type(node).__name__})")

    def _matmul(self, node: ir.MatMul) -> tuple[str, int]:
        a, b = self.wrapped(node.a, PRODUCT), self.wrapped(node.b, PRODUCT)   # products associate
        if len(node.a.shape) == 1:   # a vector on the left is a row: a^T B
            a = self.wrapped(node.a, POSTFIX) + r"^\top"
        return f"{a} {b}", PRODUCT

    def _broadcast(self, node: ir.Broadcast) -> tuple[str, int]:
        arg = node.arg
        if isinstance(arg, ir.Const) and arg.value == 0:
            return "0", ATOM
        if not arg.shape:
            ones = r"\mathbf{1}" if len(node.shape) == 1 else r"\mathbf{1}\mathbf{1}^\top"
            if isinstance(arg, ir.Const) and arg.value == 1:
                return ones, ATOM
            return f"{self.wrapped(arg, PRODUCT + 1)} {ones}", PRODUCT
        if len(node.shape) == 2 and len(arg.shape) == 1:
            vector = self.wrapped(arg, POSTFIX)
            if node.shape[1 - node.axes[0]] == 1:   # a one-column (one-row) matrix: the vector (transposed)
                return (vector, POSTFIX) if node.axes == (0,) else (vector + r"^\top", POSTFIX)
            if node.axes == (0,):   # v_i repeated along the row: v 1^T
                return rf"{vector} \mathbf{{1}}^\top", PRODUCT
            return rf"\mathbf{{1}} {vector}^\top", PRODUCT
        raise UnsupportedError("matrix form of a broadcast")

    def _reduce(self, node: ir.Reduce) -> tuple[str, int]:
        if node.op == "prod":
            raise UnsupportedError("matrix form of a Product of entries: kept in index notation")
        if node.op != "sum":
            return rf"\operatorname{{{node.op}}}\left({self.text(node.arg)[0]}\right)", ATOM
        arg, rank = node.arg, len(node.arg.shape)
        if rank == 1:
            return rf"\mathbf{{1}}^\top {self.wrapped(arg, PRODUCT)}", PRODUCT
        if node.axes == (0,):
            return rf"{self.wrapped(arg, POSTFIX)}^\top \mathbf{{1}}", PRODUCT
        if node.axes == (1,):
            return rf"{self.wrapped(arg, PRODUCT)} \mathbf{{1}}", PRODUCT
        return rf"\mathbf{{1}}^\top {self.wrapped(arg, PRODUCT + 1)} \mathbf{{1}}", PRODUCT

    # -- elementwise ------------------------------------------------------------------------------
    def _map(self, node: ir.Map) -> tuple[str, int]:
        if node.op == "add":
            return self._sum(node)
        if node.op == "mul":
            return self._product(node)
        if node.op == "pow":
            return self._power(node)
        args = ", ".join(self.text(a)[0] for a in node.args)
        if node.op == "heaviside":
            return rf"\mathbb{{1}}\left[{args} > 0\right]", ATOM
        if node.op == "polygamma":   # \psi^{(1)}(u): the order as a superscript, as papers write it
            order, arg = (self.text(a)[0] for a in node.args)
            return rf"\psi^{{({order})}}\left({arg}\right)", ATOM
        return rf"{_function(node.op)}\left({args}\right)", ATOM

    def _sum(self, node: ir.Map) -> tuple[str, int]:
        parts = []
        for term in sorted(node.args, key=lambda t: (_negative(t), isinstance(t, ir.Const), _transposed(t))):
            negative = _negative(term)
            text = self.wrapped(ir.neg(term) if negative else term, HADAMARD)
            if not parts:
                parts.append("-" + text if negative else text)
            else:
                parts.append(("- " if negative else "+ ") + text)
        return " ".join(parts), SUM

    def _product(self, node: ir.Map) -> tuple[str, int]:
        coefficient = node.args[0].value if isinstance(node.args[0], ir.Const) else Fraction(1)
        factors = [f for f in node.args if not isinstance(f, ir.Const)]
        if coefficient < 0:
            text, level = self._product_text(-coefficient, factors)
            if level <= SUM:   # -(A + B), not -A + B
                return rf"-\left({text}\right)", PRODUCT
            return "-" + text, min(level, PRODUCT)
        return self._product_text(coefficient, factors)

    def _product_text(self, coefficient, factors: list) -> tuple[str, int]:
        scalars = [f for f in factors if not f.shape]
        arrays = [f for f in factors if f.shape]
        exact = isinstance(coefficient, Fraction)
        top = [_number(coefficient.numerator if exact else coefficient)[0]] \
            if (coefficient.numerator if exact else coefficient) != 1 else []
        bottom = [str(coefficient.denominator)] if exact and coefficient.denominator != 1 else []
        top += [self.wrapped(f, PRODUCT + 1) for f in scalars if not _reciprocal(f)]
        bottom += [self.wrapped(ir.power(f.args[0], -f.param), PRODUCT + 1) for f in scalars if _reciprocal(f)]
        lead = rf"\frac{{{' '.join(top) or '1'}}}{{{' '.join(bottom)}}}" if bottom else " ".join(top)
        body, level = self._hadamard(arrays)
        if not body:
            return (lead or "1"), PRODUCT if " " in lead or bottom else ATOM
        if not lead:
            return body, level
        if level < PRODUCT:
            body = rf"\left({body}\right)"
        return f"{lead} {body}", PRODUCT

    def _hadamard(self, arrays: list) -> tuple[str, int]:
        """Elementwise product of arrays: diag(v) M for a vector broadcast over a matrix's rows."""
        if not arrays:
            return "", ATOM
        if len(arrays) == 1:
            return self.text(arrays[0])
        rows = [a for a in arrays if isinstance(a, ir.Broadcast) and len(a.shape) == 2 and a.axes == (0,)]
        columns = [a for a in arrays if isinstance(a, ir.Broadcast) and len(a.shape) == 2 and a.axes == (1,)]
        rest = [a for a in arrays if a not in rows and a not in columns]
        if not rest and len(rows) == 1 and len(columns) == 1:   # u_i v_j: the outer product u v^T
            return rf"{self.wrapped(rows[0].arg, POSTFIX)} {self.wrapped(columns[0].arg, POSTFIX)}^\top", PRODUCT
        if len(rest) == 1 and isinstance(rest[0], ir.Identity) and len(rows) + len(columns) == 1:
            return rf"\operatorname{{diag}}\left({self.text((rows + columns)[0].arg)[0]}\right)", ATOM   # diag(v) I
        if rest and (rows or columns):
            inner = r" \odot ".join(self.wrapped(a, PRODUCT) for a in rest)
            inner = self.wrapped(rest[0], PRODUCT) if len(rest) == 1 else rf"\left({inner}\right)"
            left = "".join(rf"\operatorname{{diag}}\left({self.text(r.arg)[0]}\right) " for r in rows)
            right = "".join(rf" \operatorname{{diag}}\left({self.text(c.arg)[0]}\right)" for c in columns)
            return f"{left}{inner}{right}", PRODUCT
        return r" \odot ".join(self.wrapped(a, PRODUCT) for a in arrays), HADAMARD

    def _power(self, node: ir.Map) -> tuple[str, int]:
        if node.param is None:
            base, exponent = (self.text(a)[0] for a in node.args)
            return rf"\left({base}\right)^{{{exponent}}}", POSTFIX
        p = node.param
        elementwise = r"\odot " if node.shape else ""
        if p == Fraction(1, 2):
            return rf"\sqrt{{{self.text(node.args[0])[0]}}}", ATOM
        if p < 0 and not node.shape:
            return rf"\frac{{1}}{{{self.text(ir.power(node.args[0], -p))[0]}}}", ATOM
        exponent = _number(p)[0]
        return rf"{self.wrapped(node.args[0], ATOM)}^{{{elementwise}{exponent}}}", POSTFIX


WITHOUT_MATRIX_FORM = (ir.Slice, ir.Pad, ir.Arange, ir.Scan, ir.Tri)


def _without_matrix_form(node: ir.Node) -> str:
    """What a node with no matrix spelling stands for, in the source's words (the reason shown
    beside the index form)."""
    if isinstance(node, ir.Pad) and node.value == 1 or isinstance(node, ir.Scan):
        return "a Product over part of a range (a cumulative product)"
    if isinstance(node, (ir.Slice, ir.Pad)):
        return "a shifted or fixed index (x_{i+1}, x_1: a slice of an axis, or its zero-padded adjoint)"
    if isinstance(node, ir.Arange):
        return "an index used as a value (w_j x^j)"
    return "a sum from another index (a triangular range, \\sum_{j=i+1})"


def _function(op: str) -> str:
    """The LaTeX head of a function: the primitive table's spelling (``\\log``, ``\\sigma``)."""
    return BY_NAME[op].latex_head() if op in BY_NAME else rf"\operatorname{{{op}}}"


def _transposed(node: ir.Node) -> bool:
    """A transposed term (A + A^T, not A^T + A)."""
    return isinstance(node, ir.Transpose) or isinstance(node, ir.Map) and any(isinstance(a, ir.Transpose)
                                                                             for a in node.args)


def _reciprocal(node: ir.Node) -> bool:
    return isinstance(node, ir.Map) and node.op == "pow" and node.param is not None and node.param < 0


def _negative(term: ir.Node) -> bool:
    if isinstance(term, ir.Const):
        return term.value < 0
    return isinstance(term, ir.Map) and term.op == "mul" and isinstance(term.args[0], ir.Const) \
        and term.args[0].value < 0


def _number(value) -> tuple[str, int]:
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator), ATOM
        sign = "-" if value < 0 else ""
        return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}", ATOM
    return (str(int(value)) if float(value).is_integer() else repr(float(value))), ATOM
