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

import numpy as np
import sympy
from sympy.codegen.cfunctions import expm1, log1p

from symgd.errors import UnsupportedError


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

    def _eval_rewrite_as_exp(self, x, **kwargs):   # for SymPy's limits (symgd.limits: F(-oo) = 0)
        return 1 / (1 + sympy.exp(-x))

    def _latex(self, printer, exp=None):
        return _with_power(r"\sigma\left(%s\right)" % printer._print(self.args[0]), exp)


class softplus(sympy.Function):
    """softplus(x) = log(1 + e^x); its derivative is σ(x)."""

    is_real = True

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sympy.log(1 + sympy.exp(x))

    def _latex(self, printer, exp=None):
        return _with_power(r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0]), exp)


class relu(sympy.Function):
    """relu(x) = max(0, x); derivative 1 for x > 0 and 0 for x ≤ 0 (PyTorch/JAX convention at 0)."""

    is_real = True

    def fdiff(self, argindex=1):
        return sympy.Heaviside(self.args[0], 0)

    def _latex(self, printer, exp=None):
        return _with_power(r"\operatorname{relu}\left(%s\right)" % printer._print(self.args[0]), exp)


GENERAL, SYMMETRIC, DEFINITE = sympy.Integer(0), sympy.Integer(1), sympy.Integer(2)   # structure of a matrix_of


class matrix_of(sympy.Basic):
    """A square matrix given by its entries: ``matrix_of(body, row, col, size, label, structure)``.

    Entry (i, j) is ``body`` with ``row`` -> i and ``col`` -> j; ``size`` is its dimension and
    ``label`` a Symbol whose name is the matrix's LaTeX as written (``X^\\top X + \\lambda I``),
    for display; ``structure`` is GENERAL, SYMMETRIC (M = M^T: declared, or its entries are
    symmetric in row and col; (M^{-1})_ji is then written (M^{-1})_ij) or DEFINITE (declared
    positive definite: code factorises it by Cholesky). It stands for a matrix
    expression inside ``det``, ``inverse_entry`` and
    ``logabsdet``, which differentiate through it by the chain rule on its entries. ``row`` and
    ``col`` are named by nesting depth (``_r1``, ``_c1`` innermost), so an inner matrix's entry
    symbols never clash with an outer one's, and equal matrices are equal expressions.
    """

    @property
    def body(self) -> sympy.Expr:
        return self.args[0]

    @property
    def size(self) -> sympy.Expr:
        return self.args[3]

    @property
    def label(self) -> str:
        return self.args[4].name

    @property
    def symmetric(self) -> bool:
        return self.args[5] >= SYMMETRIC

    @property
    def definite(self) -> bool:
        return self.args[5] == DEFINITE

    @property
    def free_symbols(self) -> set:
        body, row, col, size, _, _ = self.args
        return (body.free_symbols - {row, col}) | size.free_symbols

    def entry(self, i, j) -> sympy.Expr:
        """The entry (i, j) in index form."""
        body, row, col = self.args[:3]
        return body.xreplace({row: i, col: j})

    def _latex(self, printer, exp=None):
        if isinstance(self.body, sympy.Indexed):   # a named matrix (declared symmetric)
            return self.label
        return r"\left(%s\right)" % self.label

    def _sympystr(self, printer):
        return "[%s]" % self.label


def entry_symbols(body: sympy.Expr) -> tuple[sympy.Symbol, sympy.Symbol]:
    """The (row, col) symbols of a matrix whose entries are ``body`` (one deeper than any inside)."""
    depth = 1 + max((int(m.args[1].name[2:]) for m in body.atoms(matrix_of)), default=0)
    return sympy.Symbol(f"_r{depth}", integer=True), sympy.Symbol(f"_c{depth}", integer=True)


def is_matrix(value) -> bool:
    """A square matrix operand of ``det``/``inverse_entry``: a named matrix or a ``matrix_of``."""
    return isinstance(value, (sympy.IndexedBase, matrix_of))


def _through_entries(matrix, s, local) -> sympy.Expr:
    """Σ_pq local(p, q) ∂M_pq/∂s: the chain rule through the entries of ``matrix``.

    For a named matrix ``A`` and an entry ``s = A[k, l]`` this is ``local(k, l)``; for a
    ``matrix_of`` the sum over its entries, which ``contract_deltas`` later collapses.
    """
    if isinstance(matrix, sympy.IndexedBase):
        if isinstance(s, sympy.Indexed) and s.base == matrix:
            return local(*s.indices)
        return sympy.Integer(0)
    p, q = sympy.Dummy("p", integer=True), sympy.Dummy("q", integer=True)
    inner = sympy.diff(matrix.entry(p, q), s)
    if inner == 0:
        return sympy.Integer(0)
    return sympy.Sum(local(p, q) * inner, (p, 1, matrix.size), (q, 1, matrix.size))


def _matrix_latex(printer, matrix) -> str:
    return printer._print(matrix) if isinstance(matrix, sympy.IndexedBase) else matrix._latex(printer)


class det(sympy.Function):
    """det(M) of a square matrix M (a named matrix or a ``matrix_of``), an opaque scalar.

    ∂det(M)/∂s = det(M) Σ_pq (M^{-1})_qp ∂M_pq/∂s.
    """

    is_real = True   # of a real matrix: |det A| differentiates to sign(det A) ∂det A, with no re()/im()

    def _eval_derivative(self, s):
        matrix = self.args[0]
        return self * _through_entries(matrix, s, lambda p, q: inverse_entry(matrix, q, p))

    def _latex(self, printer, exp=None):
        return _with_power(r"\det %s" % _matrix_latex(printer, self.args[0]), exp)


class logabsdet(sympy.Function):
    """log|det M| of a square matrix M, real wherever det M ≠ 0.

    ∂ log|det M|/∂s = Σ_pq (M^{-1})_qp ∂M_pq/∂s (the sign of det M drops out).
    """

    is_real = True

    def _eval_derivative(self, s):
        matrix = self.args[0]
        return _through_entries(matrix, s, lambda p, q: inverse_entry(matrix, q, p))

    def _latex(self, printer, exp=None):
        return _with_power(r"\log\left|\det %s\right|" % _matrix_latex(printer, self.args[0]), exp)


class inverse_entry(sympy.Function):
    """Entry (i, j) of M^{-1} for a square matrix M (a named matrix or a ``matrix_of``).

    ∂(M^{-1})_ij/∂s = -Σ_pq (M^{-1})_ip ∂M_pq/∂s (M^{-1})_qj.
    """

    is_real = True

    @classmethod
    def eval(cls, matrix, i, j):  # safe: SymPy's automatic-evaluation hook, not Python's eval; no user text
        if isinstance(matrix, matrix_of) and matrix.symmetric and sympy.default_sort_key(j) < sympy.default_sort_key(i):
            return cls(matrix, j, i)   # the inverse of a symmetric matrix is symmetric
        return None

    def _eval_derivative(self, s):
        matrix, i, j = self.args
        return _through_entries(matrix, s, lambda p, q: -inverse_entry(matrix, i, p) * inverse_entry(matrix, q, j))

    def _latex(self, printer, exp=None):
        matrix, i, j = self.args
        base = _matrix_latex(printer, matrix)
        return _with_power(r"\left(%s^{-1}\right)_{%s %s}" % (base, printer._print(i), printer._print(j)), exp)


def _expm_scipy():
    """scipy.linalg, imported when first needed (symgd itself starts without scipy)."""
    import scipy.linalg
    return scipy.linalg


def expm_reference(matrix: np.ndarray) -> np.ndarray:
    """e^M of a square matrix (``scipy.linalg.expm``), for evaluation in checks and tests."""
    return _expm_scipy().expm(np.asarray(matrix, dtype=float))


def expm_frechet_adjoint_reference(matrix: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """L(M^T, C): the adjoint of the Fréchet derivative of e^M at M applied to C, so that
    d⟨C, e^M⟩ = ⟨L(M^T, C), dM⟩ (``scipy.linalg.expm_frechet``), for evaluation in checks and tests."""
    matrix, direction = np.asarray(matrix, dtype=float), np.asarray(direction, dtype=float)
    return _expm_scipy().expm_frechet(matrix.T, direction, compute_expm=False)


def expm_derivative_reference(matrix: np.ndarray) -> np.ndarray:
    """D[i, j, p, q] = ∂(e^M)_ij/∂M_pq = L(M, E_pq)_ij, one Fréchet derivative per unit direction E_pq
    (``scipy.linalg.expm_frechet``), for evaluation in checks and tests."""
    matrix = np.asarray(matrix, dtype=float)
    n = matrix.shape[0]
    out = np.empty((n, n, n, n))
    for p, q in np.ndindex(n, n):
        direction = np.zeros((n, n))
        direction[p, q] = 1.0
        out[:, :, p, q] = _expm_scipy().expm_frechet(matrix, direction, compute_expm=False)
    return out


_EXPM_BEYOND = ("a second derivative of the matrix exponential e^{M} through L(M^T, C) (the Hessian of "
                r"\langle C, e^{M}\rangle where M moves), or a third derivative of e^{M}: symgd differentiates "
                "e^{M} twice only through its entries (the Hessian of tr(e^{M}) and of entrywise uses)")


def _refuse_expm_derivative(matrix, s) -> sympy.Expr:
    """0 where ``s`` does not move the matrix; otherwise the derivative is not supported (UnsupportedError)."""
    if _through_entries(matrix, s, lambda p, q: sympy.Integer(1)) != 0:
        raise UnsupportedError(_EXPM_BEYOND)
    return sympy.Integer(0)


class expm_entry(sympy.Function):
    """Entry (i, j) of the matrix exponential e^M of a square matrix M (a named matrix or a ``matrix_of``).

    ∂(e^M)_ij/∂s = Σ_pq D(M)_ijpq ∂M_pq/∂s with D the Fréchet derivative as a rank-4 array
    (``expm_derivative_entry``; code folds a contraction of it with a matrix into one L(M^T, G):
    ``tensor/passes/expm.py``). tr(e^M) and ⟨C, e^M⟩ are ``expm_trace`` and ``expm_inner``, whose
    derivatives are whole matrices (e^M)^T and L(M^T, C).
    """

    is_real = True

    def _eval_derivative(self, s):
        matrix, i, j = self.args
        return _through_entries(matrix, s, lambda p, q: expm_derivative_entry(matrix, i, j, p, q))

    def _latex(self, printer, exp=None):
        matrix, i, j = self.args
        base = _matrix_latex(printer, matrix)
        return _with_power(r"\left(e^{%s}\right)_{%s %s}" % (base, printer._print(i), printer._print(j)), exp)


class expm_derivative_entry(sympy.Function):
    """∂(e^M)_ij/∂M_pq = L(M, E_pq)_ij for ``expm_derivative_entry(M, i, j, p, q)``: the Fréchet derivative of
    the matrix exponential in the unit direction E_pq. Its own derivative (a third derivative) is refused."""

    is_real = True

    def _eval_derivative(self, s):
        return _refuse_expm_derivative(self.args[0], s)

    def _latex(self, printer, exp=None):
        matrix, i, j, p, q = self.args
        entry = r"\frac{\partial \left(e^{%s}\right)_{%s %s}}{\partial \left(%s\right)_{%s %s}}" % (
            _matrix_latex(printer, matrix), printer._print(i), printer._print(j), _matrix_latex(printer, matrix),
            printer._print(p), printer._print(q))
        return _with_power(entry, exp)


class expm_trace(sympy.Function):
    """tr(e^M) of a square matrix M, an opaque scalar (NOTEARS' acyclicity constraint tr(e^{W∘W}) - d).

    ∂ tr(e^M)/∂s = Σ_pq (e^M)_qp ∂M_pq/∂s (d tr(e^M) = tr(e^M dM)).
    """

    is_real = True

    def _eval_derivative(self, s):
        matrix = self.args[0]
        return _through_entries(matrix, s, lambda p, q: expm_entry(matrix, q, p))

    def _latex(self, printer, exp=None):
        return _with_power(r"\operatorname{tr}\left(e^{%s}\right)" % _matrix_latex(printer, self.args[0]), exp)


class expm_inner(sympy.Function):
    """⟨C, e^M⟩ = Σ_ij C_ij (e^M)_ij for square matrices C and M of one size (named or ``matrix_of``).

    ∂⟨C, e^M⟩/∂s = Σ_pq (e^M)_pq ∂C_pq/∂s + Σ_pq L(M^T, C)_pq ∂M_pq/∂s, L the Fréchet derivative of the
    matrix exponential (``expm_frechet_adjoint``): d⟨C, e^M⟩ = ⟨C, L(M, dM)⟩ = ⟨L(M^T, C), dM⟩.
    """

    is_real = True

    def _eval_derivative(self, s):
        weights, matrix = self.args
        through_weights = _through_entries(weights, s, lambda p, q: expm_entry(matrix, p, q))
        through_matrix = _through_entries(matrix, s, lambda p, q: expm_frechet_adjoint(matrix, weights, p, q))
        return through_weights + through_matrix

    def _latex(self, printer, exp=None):
        weights, matrix = self.args
        return _with_power(r"\left\langle %s, e^{%s}\right\rangle" % (_matrix_latex(printer, weights),
                                                                    _matrix_latex(printer, matrix)), exp)


class expm_frechet_adjoint(sympy.Function):
    """Entry (p, q) of L(M^T, C), the Fréchet derivative of the matrix exponential at M^T in the direction C:
    the gradient of ⟨C, e^M⟩ with respect to M. Its own derivative (a Hessian) is refused."""

    is_real = True

    def _eval_derivative(self, s):
        matrix, weights = self.args[:2]
        _refuse_expm_derivative(weights, s)
        return _refuse_expm_derivative(matrix, s)

    def _latex(self, printer, exp=None):
        matrix, weights, p, q = self.args
        return _with_power(r"L_{\exp}\left(%s^\top, %s\right)_{%s %s}" % (
            _matrix_latex(printer, matrix), _matrix_latex(printer, weights), printer._print(p), printer._print(q)), exp)


# the index-form functions of the matrix exponential, for the stages that treat them alike (evaluation, lifting)
MATRIX_EXPONENTIAL = (expm_entry, expm_derivative_entry, expm_trace, expm_inner, expm_frechet_adjoint)


def polar_reference(matrix: np.ndarray) -> np.ndarray:
    """U V^T of the thin SVD ``matrix`` = U Σ V^T over its nonzero singular values: the nuclear norm's
    gradient (a subgradient where the matrix is rank-deficient). For evaluation in checks and tests."""
    u, sigma, vt = np.linalg.svd(matrix, full_matrices=False)
    keep = sigma > sigma.max(initial=0.0) * max(matrix.shape) * np.finfo(float).eps
    return u[:, keep] @ vt[keep]


class nuclear_norm(sympy.Function):
    """‖X‖_* of a matrix X (any shape; named, or an ``array_of``): the sum of its singular values, an opaque scalar.

    ∂‖X‖_*/∂X_kl = (U V^T)_kl from the thin SVD X = U Σ V^T where X has full rank and distinct
    nonzero singular values; elsewhere U V^T of the nonzero part is a subgradient (the one code takes).
    """

    is_real = True
    is_nonnegative = True

    def _eval_derivative(self, s):
        matrix = self.args[0]
        return _through_array(matrix, s, lambda p, q: polar_entry(matrix, p, q))

    def _latex(self, printer, exp=None):
        return _with_power(r"\left\|%s\right\|_*" % printer._print(self.args[0]), exp)


class polar_entry(sympy.Function):
    """Entry (i, j) of U V^T, the polar factor of a matrix X = U Σ V^T (thin SVD): the gradient of
    ‖X‖_*. Its own derivative (the nuclear norm's Hessian) is not supported."""

    is_real = True

    def _eval_derivative(self, s):
        if _through_array(self.args[0], s, lambda p, q: sympy.Integer(1)) != 0:
            raise UnsupportedError(r"the second derivative of the nuclear norm \|X\|_* (its Hessian); "
                                   "only its gradient is supported")
        return sympy.Integer(0)

    def _latex(self, printer, exp=None):
        matrix, i, j = self.args
        return _with_power(r"\left(U V^\top\right)_{%s %s}" % (printer._print(i), printer._print(j)), exp)


class array_of(sympy.Basic):
    """A vector or a matrix of any shape given by its entries: ``array_of(body, indices, dims, label)``;
    entry (i, j) is ``body`` with ``indices`` -> (i, j) (a ``Tuple``), ``dims`` its dimensions (a ``Tuple``)
    and ``label`` a Symbol whose name is its LaTeX as written (``Ax - b``). It stands for an expression
    inside ``max_norm`` and ``nuclear_norm``, which differentiate through its entries. The indices are
    named by nesting depth (``_a1``, ``_b1`` innermost), so equal arrays are equal expressions."""

    @property
    def dims(self) -> tuple:
        return tuple(self.args[2])

    @property
    def label(self) -> str:
        return self.args[3].name

    @property
    def free_symbols(self) -> set:
        body, indices, dims, _ = self.args
        return (body.free_symbols - set(indices)) | dims.free_symbols

    def entry(self, *idx) -> sympy.Expr:
        """The entry at ``idx`` in index form."""
        body, indices = self.args[:2]
        return body.xreplace(dict(zip(indices, idx)))

    def _latex(self, printer, exp=None):
        return r"\left(%s\right)" % self.label

    def _sympystr(self, printer):
        return "[%s]" % self.label


def array_entry_symbols(body: sympy.Expr, rank: int) -> tuple:
    """The index symbols of an array whose entries are ``body`` (one level deeper than any inside)."""
    depth = 1 + max((int(a.args[1][0].name[2:]) for a in body.atoms(array_of)), default=0)
    return tuple(sympy.Symbol(f"_{letter}{depth}", integer=True) for letter in "ab"[:rank])


def _through_array(array, s, local) -> sympy.Expr:
    """Σ_p local(p) ∂a_p/∂s: the chain rule through the entries of a named array or an ``array_of``
    (p one index per axis)."""
    if isinstance(array, sympy.IndexedBase):
        if isinstance(s, sympy.Indexed) and s.base == array:
            return local(*s.indices)
        return sympy.Integer(0)
    ps = tuple(sympy.Dummy(letter, integer=True) for letter in "pq"[:len(array.dims)])
    inner = sympy.diff(array.entry(*ps), s)
    if inner == 0:
        return sympy.Integer(0)
    return sympy.Sum(local(*ps) * inner, *((p, 1, dim) for p, dim in zip(ps, array.dims)))


def max_norm_subgradient(vector: np.ndarray) -> np.ndarray:
    """sign(v_k) e_k at the first k where |v_k| is largest: the gradient of ‖v‖_∞ where that k is unique,
    a subgradient where it is not (0 at v = 0). For evaluation in checks and tests."""
    vector = np.asarray(vector, dtype=float)
    out = np.zeros_like(vector)
    if vector.size:
        k = int(np.argmax(np.abs(vector)))
        out[k] = np.sign(vector[k])
    return out


class max_norm(sympy.Function):
    """‖v‖_∞ = max_i |v_i| of a vector (named, or an ``array_of``), an opaque scalar.

    ∂‖v‖_∞/∂s = Σ_p g_p ∂v_p/∂s with g = sign(v_k) e_k at the maximising k (``max_norm_grad``).
    """

    is_real = True
    is_nonnegative = True

    def _eval_derivative(self, s):
        vector = self.args[0]
        return _through_array(vector, s, lambda p: max_norm_grad(vector, p))

    def _latex(self, printer, exp=None):
        vector = self.args[0]
        inner = printer._print(vector) if isinstance(vector, sympy.IndexedBase) else vector.label
        return _with_power(r"\left\|%s\right\|_\infty" % inner, exp)


class max_norm_grad(sympy.Function):
    """Entry p of sign(v_k) e_k, k the index of the largest |v_i|: the gradient of ‖v‖_∞ (piecewise
    constant, so its derivative is 0 wherever it exists; symgd refuses the Hessian instead)."""

    is_real = True

    def _eval_derivative(self, s):
        if _through_array(self.args[0], s, lambda p: sympy.Integer(1)) != 0:
            raise UnsupportedError(r"the second derivative of the max-norm \|v\|_\infty (its Hessian); "
                                   "only its gradient is supported")
        return sympy.Integer(0)

    def _latex(self, printer, exp=None):
        entry = r"\left(\operatorname{sign}(v_{i^*}) e_{i^*}\right)_{%s}" % printer._print(self.args[1])
        return _with_power(entry, exp)


ELEMENTWISE = "elementwise"   # applies entry by entry, shape in = shape out
REDUCTION = "reduction"       # any shape in, scalar out
MATRIX = "matrix"             # square matrix in (tr, det, logdet: scalar out; inv, expm: matrix out)
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
        notation: for a function read from a notation rather than a name (``|u|_\\varepsilon``): the reading
            listed in ``Problem.readings``, a template with ``{}`` for each argument; a definition of the
            notation in the source (``|\\xi|_\\varepsilon := ...``) replaces the table's meaning.
        nonsmooth: where it is not differentiable, in words (None if smooth on its domain).
        domain: the condition on its argument for the function to be defined (None if everywhere).
        reference: a plain NumPy function computing it, for evaluating formulas in checks and tests
            (defaults to ``ufunc``); independent of the code the generator prints.
        display: how symgd prints it in LaTeX when no spelling in ``latex`` is a command (``\\sigma``).
        in_place: whether generated code may write it over its operand with ``ufunc`` (False where NumPy's
            in-place loop is slower than a new array: ``np.sign(t, out=t)``).
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
    notation: str | None = None
    nonsmooth: str | None = None
    domain: str | None = None
    reference: Callable | None = None
    display: str | None = None
    in_place: bool = True

    def evaluator(self) -> Callable | None:
        """The NumPy function that evaluates this primitive (``reference``, else the ufunc)."""
        if self.reference is not None:
            return self.reference
        return getattr(np, self.ufunc.removeprefix("np.")) if self.ufunc else None

    def latex_head(self) -> str:
        """The LaTeX symgd prints for it: its first command spelling (``\\log``), ``display``, or
        ``\\operatorname{name}``."""
        command = next((spelling for spelling in self.latex if spelling.startswith("\\")), None)
        return command or self.display or r"\operatorname{%s}" % self.name


def _sigmoid_reference(u):
    return np.exp(-np.logaddexp(0.0, -np.asarray(u, dtype=float)))


def _special(name: str) -> Callable:
    """``scipy.special.<name>``, imported when first called (symgd itself starts without scipy)."""
    def reference(*args):
        import scipy.special
        return getattr(scipy.special, name)(*args)
    reference.__name__ = name
    return reference


def _polygamma_reference(order, u):
    """ψ^(order)(u); order 0 through psi (scipy's polygamma(0, u) passes through ζ(1, u) = ∞ on the way)."""
    return _special("psi")(u) if int(order) == 0 else _special("polygamma")(int(order), u)


PRIMITIVES: tuple[Primitive, ...] = (
    Primitive("log", (r"\log", r"\ln"), ("log", "ln"), ELEMENTWISE, sympy=sympy.log,
              numpy="np.log({})", ufunc="np.log", domain="u > 0"),
    Primitive("exp", (r"\exp",), ("exp",), ELEMENTWISE, sympy=sympy.exp, numpy="np.exp({})", ufunc="np.exp"),
    # the stable spellings of log(1 + u) and e^u - 1 (the tensor pass writes them; users may too)
    Primitive("log1p", ("log1p",), ("log1p",), ELEMENTWISE, sympy=log1p, numpy="np.log1p({})", ufunc="np.log1p",
              domain="u > -1"),
    Primitive("expm1", ("expm1",), ("expm1",), ELEMENTWISE, sympy=expm1, numpy="np.expm1({})", ufunc="np.expm1"),
    Primitive("sigmoid", ("sigmoid", "sigm", "expit"), ("sigmoid", "sigm", "expit"), ELEMENTWISE,  # sigm: Murphy;
              sympy=sigmoid,   # expit: SciPy's name, as scikit-learn's pages write the logistic function
              numpy="sigmoid({})", helper="sigmoid", reference=_sigmoid_reference, display=r"\sigma"),
    Primitive("tanh", (r"\tanh",), ("tanh",), ELEMENTWISE, sympy=sympy.tanh, numpy="np.tanh({})", ufunc="np.tanh"),
    # log cosh is a robust loss as papers write it (\log\cosh(r)); sinh for completeness of the family
    Primitive("cosh", (r"\cosh",), ("cosh",), ELEMENTWISE, sympy=sympy.cosh, numpy="np.cosh({})", ufunc="np.cosh"),
    Primitive("sinh", (r"\sinh",), ("sinh",), ELEMENTWISE, sympy=sympy.sinh, numpy="np.sinh({})", ufunc="np.sinh"),
    Primitive("sin", (r"\sin",), ("sin",), ELEMENTWISE, sympy=sympy.sin, numpy="np.sin({})", ufunc="np.sin"),
    Primitive("cos", (r"\cos",), ("cos",), ELEMENTWISE, sympy=sympy.cos, numpy="np.cos({})", ufunc="np.cos"),
    Primitive("sqrt", ("sqrt",), ("sqrt",), ELEMENTWISE, sympy=sympy.sqrt, numpy="np.sqrt({})", ufunc="np.sqrt",
              nonsmooth="u = 0", domain="u >= 0"),
    Primitive("abs", (), ("abs",), ELEMENTWISE, sympy=sympy.Abs, numpy="np.abs({})", ufunc="np.abs",
              nonsmooth="u = 0"),
    Primitive("sign", ("sign", "sgn"), ("sign",), ELEMENTWISE, sympy=sympy.sign, numpy="np.sign({})", ufunc="np.sign",
              in_place=False,   # NumPy 2.4: np.sign(t, out=t) on both signs is 9x np.sign(t) (benchmarks/README)
              nonsmooth="u = 0"),
    Primitive("relu", ("relu", "ReLU"), ("relu",), ELEMENTWISE, sympy=relu,
              numpy="np.maximum({}, 0.0)", nonsmooth="u = 0", reference=lambda u: np.maximum(u, 0.0)),
    Primitive("softplus", ("softplus",), ("softplus",), ELEMENTWISE, sympy=softplus,
              numpy="softplus({})", helper="softplus", reference=lambda u: np.logaddexp(0.0, u)),
    Primitive("max", (r"\max",), ("max",), ELEMENTWISE, arity=2, sympy=sympy.Max,
              numpy="np.maximum({}, {})", nonsmooth="a = b", reference=np.maximum),
    Primitive("min", (r"\min",), ("min",), ELEMENTWISE, arity=2, sympy=sympy.Min,
              numpy="np.minimum({}, {})", nonsmooth="a = b", reference=np.minimum),
    Primitive("step", ("step",), ("step",), ELEMENTWISE, sympy=lambda u: sympy.Heaviside(u, 0),
              numpy="np.heaviside({}, 0.0)", nonsmooth="u = 0", reference=lambda u: np.heaviside(u, 0.0)),
    Primitive("logsumexp", ("logsumexp", "LSE"), ("logsumexp",), REDUCTION,
              numpy="logsumexp({}, axis)", helper="logsumexp"),
    Primitive("sum", ("sum",), ("sum",), REDUCTION, numpy="np.sum"),
    Primitive("mean", (), ("mean",), REDUCTION, numpy="np.mean"),   # plain text's mean((X @ w - y)**2)
    # x.nelement() (PyTorch's documentation, parse/latex.py): the number of entries of x, the product of its
    # dimensions (symgd/lower.py); it does not depend on x's values
    Primitive("numel", (), (), REDUCTION, numpy="np.size",
              notation="{0}.nelement() is the number of entries of {0}, the product of its dimensions"),
    Primitive("norm2", (), ("norm", "norm2"), REDUCTION, numpy="np.linalg.norm",
              nonsmooth="u = 0"),
    Primitive("norm1", (), ("norm1",), REDUCTION, numpy="np.abs(u).sum()", nonsmooth="u_j = 0"),
    Primitive("normF", (), ("normF", "fro"), REDUCTION, numpy="np.linalg.norm",
              nonsmooth="u = 0"),
    # \|v\|_\infty: the max-norm max_i |v_i| of a vector
    Primitive("norminf", (), ("norminf",), REDUCTION, numpy="np.max(np.abs({}))",
              nonsmooth="two |v_i| tie for the largest", reference=lambda u: np.max(np.abs(u))),
    # \|X\|_* (also _{*}, \ast, _{\mathrm{tr}}): the nuclear norm, the sum of the singular values of a matrix
    Primitive("normnuc", (), ("nuclear_norm", "normnuc"), REDUCTION, numpy="np.linalg.norm({}, 'nuc')",
              nonsmooth="X rank-deficient", reference=lambda u: np.linalg.norm(u, "nuc")),
    Primitive("softmax", ("softmax", "Softmax"), ("softmax",), VECTOR, numpy="softmax({}, axis)",
              helper="softmax"),
    Primitive("inner", (), ("inner",), PAIRING, arity=2, numpy="np.vdot({}, {})"),
    Primitive("diag", ("diag", "Diag"), ("diag",), DIAGONAL, numpy="np.diag({})"),
    Primitive("tr", ("tr", "Tr", "trace"), ("tr", "trace"), MATRIX, numpy="np.trace"),
    Primitive("det", (r"\det",), ("det",), MATRIX, numpy="np.linalg.det"),
    Primitive("logdet", ("logdet",), ("logdet",), MATRIX, numpy="logdet({})", helper="logdet",
              domain="det u > 0"),
    Primitive("inv", ("inv",), ("inv",), MATRIX, numpy="np.linalg.inv"),
    # the matrix exponential e^M of a square matrix (NOTEARS' tr(e^{W∘W})); e^{M} and \exp(M) of a square
    # matrix are read as this row (lower.py), an entrywise exp of a matrix only of a non-square one
    Primitive("expm", ("expm",), ("expm",), MATRIX, numpy="scipy.linalg.expm({})", reference=expm_reference),
    # The gamma family (count-data likelihoods: the negative binomial, \ln y_i! of the Poisson). \Gamma(u) and u! are
    # read by the problem stage (Γ is a Greek letter, a matrix in \Gamma w); \ln\Gamma(u) there is one function,
    # never the log of an overflowing Γ. Derivatives: Γ' = Γψ, (ln Γ)' = ψ = polygamma(0, u), ψ^(n)' = ψ^(n+1).
    # The code calls scipy.special (a runtime dependency); a backend without it refuses (tensor/print_numpy.py).
    Primitive("gamma", (), (), ELEMENTWISE, sympy=sympy.gamma, numpy="scipy.special.gamma({})",
              reference=_special("gamma"), display=r"\Gamma", domain="u > 0"),
    Primitive("loggamma", ("lgamma", "gammaln"), ("lgamma", "gammaln", "loggamma"), ELEMENTWISE,
              sympy=sympy.loggamma, numpy="scipy.special.gammaln({})", reference=_special("gammaln"),
              display=r"\ln\Gamma", domain="u > 0"),
    Primitive("factorial", (), ("factorial",), ELEMENTWISE, sympy=lambda u: sympy.gamma(u + 1),
              numpy="scipy.special.gamma({} + 1)", reference=lambda u: _special("gamma")(np.add(u, 1.0))),
    Primitive("digamma", ("digamma",), ("digamma",), ELEMENTWISE, sympy=lambda u: sympy.polygamma(0, u),
              numpy="scipy.special.digamma({})", reference=_special("digamma"), display=r"\psi"),
    Primitive("polygamma", (), ("polygamma",), ELEMENTWISE, arity=2, sympy=sympy.polygamma,
              numpy="scipy.special.polygamma({}, {})", reference=_polygamma_reference, display=r"\psi"),
    # |u|_\varepsilon (Vapnik; Smola & Schölkopf): the epsilon-insensitive loss max(0, |u| - eps), read from
    # the notation (parse/transform.py); its SymPy form is relu(|u| - eps), so derivatives and code follow
    Primitive("epsinsensitive", (), ("epsinsensitive",), ELEMENTWISE, arity=2,
              sympy=lambda u, eps: relu(sympy.Abs(u) - eps), numpy="np.maximum(np.abs({}) - {}, 0.0)",
              nonsmooth="|u| = eps", reference=lambda u, eps: np.maximum(np.abs(u) - eps, 0.0),
              notation="\\left|{0}\\right|_{{{1}}} is the {1}-insensitive loss \\max(0, |{0}| - {1})"),
)

BY_NAME: dict[str, Primitive] = {p.name: p for p in PRIMITIVES}
NOTATIONS: dict[str, str] = {p.name: p.notation for p in PRIMITIVES if p.notation}   # name -> its reading

# LaTeX commands (\log) and operator words (\operatorname{relu}) -> canonical name.
LATEX_COMMANDS: dict[str, str] = {s: p.name for p in PRIMITIVES for s in p.latex if s.startswith("\\")}
LATEX_WORDS: dict[str, str] = {s: p.name for p in PRIMITIVES for s in p.latex if not s.startswith("\\")}
TEXT_NAMES: dict[str, str] = {s: p.name for p in PRIMITIVES for s in p.text}
