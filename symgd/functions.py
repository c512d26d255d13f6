"""THE primitive table: one row per elementary function symgd knows.

A row holds everything every stage needs to know about one function: how it is spelled in LaTeX
and in plain text (the parsers read spellings from here, the grammars only know "a function
name"), how many arguments it takes, how it maps shapes, its SymPy form, its NumPy spelling, and
where it is not differentiable. Adding a function means adding a row here (and a SymPy class below
when SymPy has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy
from sympy.codegen.cfunctions import expm1, log1p


def _with_power(text: str, exp) -> str:
    """SymPy asks a function for its LaTeX with ``exp`` when it prints a power of the call."""
    return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)


class sigmoid(sympy.Function):
    """The logistic function σ(x) = 1 / (1 + e^{-x}), kept whole so derivatives read σ(1-σ)."""

    is_real = True

    @classmethod
    def eval(cls, x):  # safe: SymPy's automatic-evaluation hook, not Python's eval; no user text
        if x.is_zero:
            return sympy.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _latex(self, printer, exp=None):
        return _with_power(r"\sigma\left(%s\right)" % printer._print(self.args[0]), exp)


class softplus(sympy.Function):
    """softplus(x) = log(1 + e^x); its derivative is σ(x)."""

    is_real = True

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _latex(self, printer, exp=None):
        return _with_power(r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0]), exp)


class relu(sympy.Function):
    """relu(x) = max(0, x); derivative 1 for x > 0 and 0 for x ≤ 0 (PyTorch/JAX convention at 0)."""

    is_real = True

    def fdiff(self, argindex=1):
        return sympy.Heaviside(self.args[0], 0)

    def _latex(self, printer, exp=None):
        return _with_power(r"\operatorname{relu}\left(%s\right)" % printer._print(self.args[0]), exp)


class det(sympy.Function):
    """det(A) of a square matrix A, held as an opaque scalar of the matrix symbol A.

    ∂det(A)/∂A_kl = det(A) (A^{-1})_lk.
    """

    is_real = True   # of a real matrix: |det A| differentiates to sign(det A) ∂det A, with no re()/im()

    def _eval_derivative(self, s):
        matrix = self.args[0]
        if isinstance(s, sympy.Indexed) and s.base == matrix:
            row, col = s.indices
            return self * inverse_entry(matrix, col, row)
        return sympy.Integer(0)

    def _latex(self, printer, exp=None):
        return _with_power(r"\det %s" % printer._print(self.args[0]), exp)


class inverse_entry(sympy.Function):
    """Entry (i, j) of A^{-1} for a square matrix symbol A: ``inverse_entry(A, i, j)``.

    ∂(A^{-1})_ij/∂A_kl = -(A^{-1})_ik (A^{-1})_lj.
    """

    def _eval_derivative(self, s):
        matrix, i, j = self.args
        if isinstance(s, sympy.Indexed) and s.base == matrix:
            row, col = s.indices
            return -inverse_entry(matrix, i, row) * inverse_entry(matrix, col, j)
        return sympy.Integer(0)

    def _latex(self, printer, exp=None):
        base, i, j = (printer._print(a) for a in self.args)
        return _with_power(r"\left(%s^{-1}\right)_{%s %s}" % (base, i, j), exp)


ELEMENTWISE = "elementwise"   # applies entry by entry, shape in = shape out
REDUCTION = "reduction"       # any shape in, scalar out
MATRIX = "matrix"             # square matrix in (tr, det, logdet: scalar out; inv: matrix out)
VECTOR = "vector"             # vector in, vector of the same length out (softmax)
PAIRING = "pairing"           # two tensors of one shape in, scalar out (the inner product)
DIAGONAL = "diagonal"         # vector in, diagonal matrix out; square matrix in, its diagonal out


@dataclass(frozen=True)
class Primitive:
    """One elementary function.

    Attributes:
        name: canonical name, used in the IR.
        latex: LaTeX spellings (commands such as ``\\log`` or operator words such as ``relu``).
        text: plain-text spellings.
        kind: ELEMENTWISE, REDUCTION or MATRIX.
        arity: number of arguments (2 for max/min).
        sympy: the SymPy function for elementwise primitives (None where lowering is structural).
        numpy: the code the generator emits, a template with ``{}`` for each argument.
        helper: the name of a helper function the generated module must define for it.
        ufunc: the NumPy ufunc that computes it (``np.exp``), which can write over its operand.
        nonsmooth: where it is not differentiable, in words (None if smooth on its domain).
        domain: the condition on its argument for the function to be defined (None if everywhere).
    """

    name: str
    latex: tuple[str, ...]
    text: tuple[str, ...]
    kind: str
    arity: int = 1
    sympy: Callable | None = None
    numpy: str = ""
    helper: str | None = None
    ufunc: str | None = None
    nonsmooth: str | None = None
    domain: str | None = None


PRIMITIVES: tuple[Primitive, ...] = (
    Primitive("log", (r"\log", r"\ln"), ("log", "ln"), ELEMENTWISE, sympy=sympy.log,
              numpy="np.log({})", ufunc="np.log", domain="u > 0"),
    Primitive("exp", (r"\exp",), ("exp",), ELEMENTWISE, sympy=sympy.exp, numpy="np.exp({})", ufunc="np.exp"),
    # the stable spellings of log(1 + u) and e^u - 1 (the tensor pass writes them; users may too)
    Primitive("log1p", ("log1p",), ("log1p",), ELEMENTWISE, sympy=log1p, numpy="np.log1p({})", ufunc="np.log1p",
              domain="u > -1"),
    Primitive("expm1", ("expm1",), ("expm1",), ELEMENTWISE, sympy=expm1, numpy="np.expm1({})", ufunc="np.expm1"),
    Primitive("sigmoid", ("sigmoid",), ("sigmoid",), ELEMENTWISE, sympy=sigmoid,
              numpy="sigmoid({})", helper="sigmoid"),
    Primitive("tanh", (r"\tanh",), ("tanh",), ELEMENTWISE, sympy=sympy.tanh, numpy="np.tanh({})", ufunc="np.tanh"),
    Primitive("sin", (r"\sin",), ("sin",), ELEMENTWISE, sympy=sympy.sin, numpy="np.sin({})", ufunc="np.sin"),
    Primitive("cos", (r"\cos",), ("cos",), ELEMENTWISE, sympy=sympy.cos, numpy="np.cos({})", ufunc="np.cos"),
    Primitive("sqrt", ("sqrt",), ("sqrt",), ELEMENTWISE, sympy=sympy.sqrt, numpy="np.sqrt({})", ufunc="np.sqrt",
              nonsmooth="u = 0", domain="u >= 0"),
    Primitive("abs", (), ("abs",), ELEMENTWISE, sympy=sympy.Abs, numpy="np.abs({})", ufunc="np.abs",
              nonsmooth="u = 0"),
    Primitive("sign", ("sign", "sgn"), ("sign",), ELEMENTWISE, sympy=sympy.sign, numpy="np.sign({})", ufunc="np.sign",
              nonsmooth="u = 0"),
    Primitive("relu", ("relu", "ReLU"), ("relu",), ELEMENTWISE, sympy=relu,
              numpy="np.maximum({}, 0.0)", nonsmooth="u = 0"),
    Primitive("softplus", ("softplus",), ("softplus",), ELEMENTWISE, sympy=softplus,
              numpy="softplus({})", helper="softplus"),
    Primitive("max", (r"\max",), ("max",), ELEMENTWISE, arity=2, sympy=sympy.Max,
              numpy="np.maximum({}, {})", nonsmooth="a = b"),
    Primitive("min", (r"\min",), ("min",), ELEMENTWISE, arity=2, sympy=sympy.Min,
              numpy="np.minimum({}, {})", nonsmooth="a = b"),
    Primitive("step", ("step",), ("step",), ELEMENTWISE, sympy=lambda u: sympy.Heaviside(u, 0),
              numpy="np.heaviside({}, 0.0)", nonsmooth="u = 0"),
    Primitive("logsumexp", ("logsumexp", "LSE"), ("logsumexp",), REDUCTION,
              numpy="logsumexp({}, axis)", helper="logsumexp"),
    Primitive("sum", ("sum",), ("sum",), REDUCTION, numpy="np.sum"),
    Primitive("norm2", (), ("norm", "norm2"), REDUCTION, numpy="np.linalg.norm",
              nonsmooth="u = 0"),
    Primitive("norm1", (), ("norm1",), REDUCTION, numpy="np.abs(u).sum()", nonsmooth="u_j = 0"),
    Primitive("normF", (), ("normF", "fro"), REDUCTION, numpy="np.linalg.norm",
              nonsmooth="u = 0"),
    Primitive("softmax", ("softmax", "Softmax"), ("softmax",), VECTOR, numpy="softmax({}, axis)",
              helper="softmax"),
    Primitive("inner", (), ("inner",), PAIRING, arity=2, numpy="np.vdot({}, {})"),
    Primitive("diag", ("diag", "Diag"), ("diag",), DIAGONAL, numpy="np.diag({})"),
    Primitive("tr", ("tr", "Tr", "trace"), ("tr", "trace"), MATRIX, numpy="np.trace"),
    Primitive("det", (r"\det",), ("det",), MATRIX, numpy="np.linalg.det"),
    Primitive("logdet", ("logdet",), ("logdet",), MATRIX, numpy="logdet({})", helper="logdet",
              domain="det u > 0"),
    Primitive("inv", ("inv",), ("inv",), MATRIX, numpy="np.linalg.inv"),
)

BY_NAME: dict[str, Primitive] = {p.name: p for p in PRIMITIVES}

# LaTeX commands (\log) and operator words (\operatorname{relu}) -> canonical name.
LATEX_COMMANDS: dict[str, str] = {s: p.name for p in PRIMITIVES for s in p.latex if s.startswith("\\")}
LATEX_WORDS: dict[str, str] = {s: p.name for p in PRIMITIVES for s in p.latex if not s.startswith("\\")}
TEXT_NAMES: dict[str, str] = {s: p.name for p in PRIMITIVES for s in p.text}
