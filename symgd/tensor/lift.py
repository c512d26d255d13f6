"""The builder: SymPy index form -> tensor IR. The only place that recognises contractions.

An index-form expression (``Indexed`` entries, ``Sum`` over index symbols whose ranges are dimension
symbols) becomes a ``Lifted``: an IR node together with the index symbol that labels each of its
axes. Entries ``X[i, j]`` are inputs with the labels (i, j) (so ``X[j, i]`` is a transpose only when
an operation needs the other order); elementwise operations align their operands by label (a
transpose and a broadcast where needed); a sum of a product is one ``Contract`` over the summed
labels, with the factors that share a set of labels multiplied first and the factors free of the
summed labels multiplied after; a sum of a sum is a sum of sums (the factor pass regroups them);
the Kronecker delta is the identity, ``A[k, k]`` the diagonal.

Equal sub-expressions lift to the same node whatever their indices are called, because nodes are
positional and the contraction letters are local: ``Σ_j X_ij w_j`` in the loss and in the gradient
is one node.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symgd.codegen.stable import logsumexp, softmax
from symgd.errors import UnsupportedError
from symgd.functions import (ELEMENTWISE, MATRIX_EXPONENTIAL, PRIMITIVES, det, expm_derivative_entry,
                             expm_frechet_adjoint, expm_inner, expm_trace, inverse_entry, logabsdet, matrix_of,
                             max_norm, max_norm_grad, nuclear_norm, polar_entry, array_of, sigmoid)
from symgd.tensor import ir

# SymPy class -> primitive name, for the elementwise rows of the primitive table.
_ELEMENTWISE = {p.sympy: p.name for p in PRIMITIVES if p.kind == ELEMENTWISE and isinstance(p.sympy, type)}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Lifted:
    """An IR node and the index symbol labelling each of its axes."""

    node: ir.Node
    labels: tuple


class Builder:
    """Lifts index-form expressions of one problem.

    Args:
        shapes: SymPy symbol or IndexedBase -> shape (dimension symbols), for every argument.
        ranges: free index symbol -> its dimension (the derivative's own indices).

    Each index runs over a span (first, last) of 1-based values, SymPy expressions of the
    dimensions: (1, n) for a free index of an axis of length n, (1, n - 1) or (2, T) for a sum's
    index. A label's axis has the span's length; an entry x[i + 1] is the window of x's axis that
    the span shifted by one covers (a ``Slice``), x[1] one entry.
    """

    def __init__(self, shapes: dict, ranges: dict) -> None:
        self.shapes = shapes
        self.ranges = {index: (sympy.Integer(1), dim) for index, dim in ranges.items()}
        self.memo: dict = {}

    def root(self, expr: sympy.Expr, axes: tuple) -> ir.Node:
        """``expr`` as an array whose axes are the index symbols ``axes``, in that order."""
        lifted = self.lift(expr)
        missing = [label for label in lifted.labels if label not in axes]
        if missing:
            raise UnsupportedError(f"code generation: the index {missing[0]} is free in {expr}")
        node = self.align(lifted, tuple(axes))
        return ir.broadcast_to(node, tuple(self._range(index) for index in axes))

    def lift(self, expr: sympy.Expr) -> Lifted:
        """``expr`` as a node labelled by its free indices."""
        key = (expr, frozenset((s, self.ranges[s]) for s in expr.free_symbols if s in self.ranges))
        if key not in self.memo:
            self.memo[key] = self._lift(expr)
        return self.memo[key]

    def _lift(self, expr) -> Lifted:  # noqa: C901 - one branch per kind of SymPy node
        if expr.is_Number or expr.is_NumberSymbol:   # 2, 1/2, pi
            return Lifted(ir.const(_number(expr)), ())
        if isinstance(expr, sympy.Symbol):
            if expr in self.ranges:   # an index as a value (w_j x^j): its values along its axis
                first, _ = self.ranges[expr]
                return Lifted(ir.arange(first, self._range(expr)), (expr,))
            return Lifted(ir.input_(expr, ()), ())
        if isinstance(expr, sympy.Indexed):
            return self._entry(expr)
        if isinstance(expr, sympy.Add):
            return self._elementwise(ir.add, expr.args)
        if isinstance(expr, sympy.Mul):
            return self._elementwise(ir.mul, _others_of_positive_products(expr.args))
        if isinstance(expr, sympy.Pow):
            return self._power(expr)
        if isinstance(expr, sympy.Sum):
            return self._sum(expr)
        if isinstance(expr, sympy.Product):
            return self._product_of_factors(expr)
        if isinstance(expr, at_least):
            return self._mask(expr.args[0])
        if isinstance(expr, sympy.KroneckerDelta):
            return self._delta(*expr.args)
        if isinstance(expr, inverse_entry):
            matrix, i, j = expr.args
            return _labelled(ir.matfn("inv", self._factor(matrix)), (i, j), expr)
        if isinstance(expr, det):
            return Lifted(ir.matfn("det", self._factor(expr.args[0])), ())
        if isinstance(expr, sympy.log) and isinstance(expr.args[0], sympy.Product) and _positive(expr.args[0].args[0]):
            product = expr.args[0]   # log Π_n p_n = Σ_n log p_n for positive p_n: no underflow of Π_n p_n
            return self.lift(sympy.Sum(sympy.log(product.args[0]), *product.args[1:]))
        if isinstance(expr, sympy.log) and isinstance(expr.args[0], det):
            return Lifted(ir.matfn("logdet", self._factor(expr.args[0].args[0])), ())
        if isinstance(expr, logabsdet):
            return Lifted(ir.matfn("logabsdet", self._factor(expr.args[0])), ())
        if isinstance(expr, nuclear_norm):   # of a named matrix (any shape): no factorisation to share
            return Lifted(ir.matfn("nuc", self._array(expr.args[0])), ())
        if isinstance(expr, max_norm):   # \\|v\\|_\\infty
            return Lifted(ir.matfn("maxabs", self._array(expr.args[0])), ())
        if isinstance(expr, max_norm_grad):   # sign(v_k) e_k at the largest |v_k|
            vector, p = expr.args
            return _labelled(ir.matfn("argmaxsign", self._array(vector)), (p,), expr)
        if isinstance(expr, polar_entry):
            matrix, i, j = expr.args
            return _labelled(ir.matfn("polar", self._array(matrix)), (i, j), expr)
        if isinstance(expr, MATRIX_EXPONENTIAL):
            return self._matrix_exponential(expr)
        if isinstance(expr, logsumexp):
            return self._along(expr, lambda node, axis: ir.reduce("logsumexp", node, (axis,)), keep=False)
        if isinstance(expr, softmax):
            return self._along(expr, ir.softmax, keep=True)
        if isinstance(expr, sympy.Heaviside):   # from differentiating relu, max, |u|
            value, at_zero = expr.args if len(expr.args) == 2 else (expr.args[0], sympy.Rational(1, 2))
            lifted = self.lift(value)
            node = ir.intern(ir.Map("heaviside", (lifted.node,), lifted.node.shape, _number(at_zero)))
            return Lifted(node, lifted.labels)
        if isinstance(expr, sympy.polygamma) and expr.args[0] == 0:   # (ln Γ)' = ψ: scipy's psi, not polygamma(0, u)
            return self._elementwise(lambda arg: ir.apply("digamma", arg), expr.args[1:])
        name = next((n for c, n in _ELEMENTWISE.items() if isinstance(expr, c)), None)
        if name is not None:
            return self._elementwise(lambda *args: ir.apply(name, *args), expr.args)
        raise UnsupportedError(f"code generation for {type(expr).__name__}: {expr}")

    # -- entries and alignment ------------------------------------------------------------------
    def _entry(self, expr: sympy.Indexed) -> Lifted:
        """An entry of an argument: each index i + c over the span (a, b) of i reads the window
        a + c .. b + c of its axis (the whole axis: the argument itself); a number, one entry."""
        node = ir.input_(expr.base, self._shape(expr.base))
        labels, fixed = [], []
        for axis, (index, dim) in enumerate(zip(expr.indices, node.shape)):
            symbol, offset = _affine(index, expr)
            if symbol is None:
                fixed.append((axis, offset))
                continue
            if symbol not in self.ranges:   # an index of the array's own axis (the explanation's free indices)
                self.ranges[symbol] = (sympy.Integer(1 - offset), dim - offset)
            first, last = self.ranges[symbol]
            start, stop = first + offset - 1, last + offset
            if not _within(start, stop, dim):   # \sum_{i=1}^{q} over the first q of m entries
                raise UnsupportedError(f"code generation for a sum over {symbol} up to {last} "
                                       f"along an axis of {expr.base} of length {dim}")
            node = ir.slice_(node, axis, start, stop)
            labels.append(symbol)
        for axis, value in reversed(fixed):   # x_1: the entry, the axis removed (the last first: positions hold)
            node = ir.slice_(node, axis, value - 1, None)
        return _labelled(node, tuple(labels), expr)

    def _shape(self, symbol) -> tuple:
        if symbol in self.shapes:
            return tuple(self.shapes[symbol])
        if getattr(symbol, "shape", None) is not None:   # an IndexedBase made with its shape (KKT multipliers)
            return tuple(symbol.shape)
        raise UnsupportedError(f"code generation: no value for {symbol}")

    def _factor(self, matrix) -> ir.Node:
        """The one factorisation of a matrix that inverses, solves and determinants of it share."""
        return ir.factor(self._matrix(matrix), isinstance(matrix, matrix_of) and matrix.definite)

    def _matrix(self, matrix) -> ir.Node:
        """The operand of an inverse or determinant: a named matrix, or a ``matrix_of`` built from its entries."""
        if not isinstance(matrix, matrix_of):
            return ir.input_(matrix, self._shape(matrix))
        body, row, col, size = matrix.args[:4]
        with self._ranged({row: (1, size), col: (1, size)}):
            lifted = self.lift(body)
            if matrix.symmetric and lifted.labels == (col, row):   # M = M^T: no transpose needed
                return lifted.node
            return self.root(body, (row, col))

    def _matrix_exponential(self, expr) -> Lifted:
        """An entry of e^M, tr(e^M) (the sum of its diagonal), ⟨C, e^M⟩ (np.vdot), an entry of the
        Fréchet derivative L(M^T, C) (the gradient of ⟨C, e^M⟩) or of the rank-4 ∂e^M/∂M."""
        if isinstance(expr, expm_inner):
            weights, exponential = self._matrix(expr.args[0]), ir.matfn("expm", self._matrix(expr.args[1]))
            n = exponential.shape[0]
            return Lifted(ir.contract([weights, exponential], ["ab", "ab"], "", {"a": n, "b": n}), ())
        if isinstance(expr, expm_frechet_adjoint):
            matrix, weights, p, q = expr.args
            adjoint = ir.expm_frechet(ir.transpose(self._matrix(matrix), (1, 0)), self._matrix(weights))
            return _labelled(adjoint, (p, q), expr)
        if isinstance(expr, expm_derivative_entry):   # D[i, j, p, q]; a contraction of it is folded by passes/expm.py
            indices = tuple(expr.args[1:])
            if len(set(indices)) < len(indices):
                raise UnsupportedError(f"code generation for the entry {expr} with a repeated index")
            return Lifted(ir.matfn("dexpm", self._matrix(expr.args[0])), indices)
        exponential = ir.matfn("expm", self._matrix(expr.args[0]))
        if isinstance(expr, expm_trace):
            return Lifted(ir.reduce("sum", ir.diagonal(exponential), (0,)), ())
        return _labelled(exponential, tuple(expr.args[1:]), expr)

    def _array(self, array) -> ir.Node:
        """The operand of a max-norm or a nuclear norm: a named array, or an ``array_of`` built from its entries."""
        if not isinstance(array, array_of):
            return ir.input_(array, self._shape(array))
        body, indices, dims = array.args[:3]
        with self._ranged({index: (1, dim) for index, dim in zip(indices, dims)}):
            return self.root(body, tuple(indices))

    @contextlib.contextmanager
    def _ranged(self, ranges: dict):
        """Within the block, the indices of ``ranges`` (bound by a sum or a matrix) have those spans."""
        saved = {index: self.ranges.get(index) for index in ranges}
        self.ranges.update({index: (sympy.sympify(a), sympy.sympify(b))   # safe: SymPy bounds or ints, never user text
                            for index, (a, b) in ranges.items()})
        try:
            yield
        finally:
            for index, previous in saved.items():
                if previous is None:
                    self.ranges.pop(index, None)
                else:
                    self.ranges[index] = previous

    def _range(self, index):
        """The length of the index's axis: its span's."""
        first, last = self._span(index)
        return last - first + 1

    def _span(self, index) -> tuple:
        try:
            return self.ranges[index]
        except KeyError:
            raise UnsupportedError(f"code generation: the range of the index {index} is unknown") from None

    def align(self, lifted: Lifted, labels: tuple) -> ir.Node:
        """The node with its axes transposed and broadcast to ``labels`` (a superset of its own)."""
        if lifted.labels == labels or not lifted.labels:   # scalars broadcast as NumPy's do
            return lifted.node
        present = [label for label in labels if label in lifted.labels]
        node = ir.transpose(lifted.node, [lifted.labels.index(label) for label in present])
        return ir.broadcast(node, [labels.index(label) for label in present],
                            tuple(self._range(label) for label in labels))

    def _elementwise(self, build, args) -> Lifted:
        """``build`` (add, mul, a primitive) of the arguments, aligned to the union of their labels."""
        lifted = [self.lift(arg) for arg in args]
        labels = _union(item.labels for item in lifted)
        return Lifted(build(*(self.align(item, labels) for item in lifted)), labels)

    def _power(self, expr: sympy.Pow) -> Lifted:
        base, exponent = expr.args
        if exponent.is_Number:
            lifted = self.lift(base)
            return Lifted(ir.power(lifted.node, _number(exponent)), lifted.labels)
        return self._elementwise(ir.power, (base, exponent))

    def _delta(self, a, b) -> Lifted:
        """δ(a, b) of two indices (each with a shift) or numbers: the identity where their spans
        agree, else ones on the diagonal where they meet (a ``Pad`` of the identity of the overlap),
        or a one-hot vector along the index a number fixes (δ(1, k): e_1)."""
        if a == b:
            return Lifted(ir.const(1), ())
        (s, c), (t, d) = _affine(a, a), _affine(b, b)
        if s is None and t is None:
            return Lifted(ir.const(1 if c == d else 0), ())
        if s is None:   # δ(c, t + d): t = c - d
            (s, c), (t, d) = (t, d), (s, c)
        if t is None:   # δ(s + c, d): one entry of s's axis
            first, last = self._span(s)
            value = d - c
            if not _ordered(first, value) or not _ordered(value, last):
                return Lifted(ir.const(0), ())
            one = ir.broadcast_to(ir.const(1), (sympy.Integer(1),))
            return Lifted(ir.pad(one, 0, value - first, self._range(s)), (s,))
        if s == t:
            return Lifted(ir.const(1 if c == d else 0), ())
        (s_first, s_last), (t_first, t_last) = self._span(s), self._span(t)
        # s + c = t + d: s runs over the overlap of its span and t's shifted by d - c
        low, high = _larger(s_first, t_first + d - c), _smaller(s_last, t_last + d - c)
        node = ir.identity(high - low + 1)
        node = ir.pad(node, 0, low - s_first, self._range(s))
        node = ir.pad(node, 1, low + c - d - t_first, self._range(t))
        return Lifted(node, (s, t))

    def _mask(self, expr) -> Lifted:
        """[u >= 0] for u = j - i + e (a triangular range's mask over two indices), u = j + e (a
        step along one) or a number."""
        constant, terms = sympy.sympify(expr).as_coeff_add()   # safe: SymPy indices, not user text
        signed = [(t, 1) if t.is_Symbol else (-t, -1) if (-t).is_Symbol else (None, 0) for t in terms]
        if any(symbol is None or symbol not in self.ranges for symbol, _ in signed) or len(signed) > 2:
            raise UnsupportedError(f"code generation for the range condition {expr} >= 0")
        if not signed:
            return Lifted(ir.const(1 if constant >= 0 else 0), ())
        if len(signed) == 1:   # ±j + e >= 0: a run of ones along j's axis
            (j, sign), = signed
            first, last = self._span(j)
            low, high = (_larger(first, -constant), last) if sign > 0 else (first, _smaller(last, constant))
            if not _ordered(low, high):
                return Lifted(ir.const(0), ())
            ones = ir.broadcast_to(ir.const(1), (high - low + 1,))
            return Lifted(ir.pad(ones, 0, low - first, self._range(j)), (j,))
        (j, sj), (i, si) = signed
        if sj < 0:
            (j, sj), (i, si) = (i, si), (j, sj)
        if not (sj > 0 > si):
            raise UnsupportedError(f"code generation for the range condition {expr} >= 0")
        # j - i + e >= 0, positions q = j - j0 and p = i - i0: p <= q + (j0 - i0 + e)
        (j0, _), (i0, _) = self._span(j), self._span(i)
        return Lifted(ir.tri(self._range(j), self._range(i), j0 - i0 + constant), (j, i))

    def _along(self, expr, build, keep: bool) -> Lifted:
        """A reduction or normalisation of ``argument`` along the axis of ``index``."""
        argument, index = expr.args
        lifted = self.lift(argument)
        if index not in lifted.labels:
            raise UnsupportedError(f"code generation: {type(expr).__name__} over an index its argument lacks")
        axis = lifted.labels.index(index)
        labels = lifted.labels if keep else tuple(label for label in lifted.labels if label != index)
        return Lifted(build(lifted.node, axis), labels)

    # -- sums: the contractions --------------------------------------------------------------
    def _sum(self, expr: sympy.Sum) -> Lifted:
        body, *limits = expr.args
        spans, masks = self._spans(limits)
        if any(len(mask.free_symbols) > 1 and _may_be_undefined(body, mask.free_symbols) for mask in masks):
            # the body is evaluated over the whole square and the mask multiplies it: outside the range
            # (Sammon's d*_ii = 0, ||y_i - y_i|| = 0 under a root) 0 * inf would be NaN
            raise UnsupportedError("code generation for a sum over a triangular range (i < j) whose summand "
                                   "divides, takes a root or a log: it may be undefined outside the range")
        with self._ranged(spans):
            summed = tuple(index for index, _, _ in limits)
            terms = self._distribute_outer_sums(sympy.Mul(body, *masks), summed)
            if len(terms) > 1:   # linearity: the factor pass regroups shared factors
                lifted = [self._product(sympy.Mul.make_args(term), summed) for term in terms]
                labels = _union(t.labels for t in lifted)
                return Lifted(ir.add(*(self.align(t, labels) for t in lifted)), labels)
            return self._product(sympy.Mul.make_args(terms[0]), summed)

    def _spans(self, limits) -> tuple[dict, list]:
        """The span of each summed index, and the masks of the ranges that depend on another index:
        Σ_{j=i+1}^{n} runs over j = 2..n (every i's range together) with the factor [j - i - 1 >= 0]."""
        spans: dict = {}
        masks: list = []
        for index, lower, upper in reversed(limits):   # SymPy lists the innermost first
            bounds = []
            for bound, sign in ((lower, 1), (upper, -1)):
                symbol, offset = _affine(bound, bound) if bound.free_symbols & (set(self.ranges) | set(spans)) \
                    else (None, bound)
                if symbol is None:
                    bounds.append(bound)
                    continue
                first, last = spans.get(symbol) or self._span(symbol)
                bounds.append(first + offset if sign > 0 else last + offset)   # the hull of the range
                masks.append(at_least(sign * (index - symbol - offset)))
            spans[index] = tuple(bounds)
        return spans, masks

    def _distribute_outer_sums(self, body, summed: tuple = ()) -> list:
        """The terms of a sum's body, with products distributed over an outer sum: a factor
        (μ_kl - x_jl) none of whose terms carries all its indices would be broadcast to an array of
        every index (N × d × K in k-means); Σ_j μ_kl r_jk - Σ_j x_jl r_jk are a scaling and a product.
        Likewise over a factor with a Kronecker delta of a summed index in a term (the delta then
        selects the entries of each term's product: ``_eliminate_delta``)."""
        terms = []
        pending = list(sympy.Add.make_args(body))
        while pending:
            term = pending.pop(0)
            factors = sympy.Mul.make_args(term)
            outer = next((f for f in factors if isinstance(f, sympy.Add)
                          and (self._is_outer_sum(f) or _selects(f, summed))), None)
            if outer is None:
                terms.append(term)
                continue
            rest = sympy.Mul(*(f for f in factors if f is not outer))
            pending = [part * rest for part in outer.args] + pending
        return terms

    def _is_outer_sum(self, expr: sympy.Add) -> bool:
        labels = [{s for s in term.free_symbols if s in self.ranges} for term in expr.args]
        every = set().union(*labels)
        return len(every) > 1 and not any(own == every for own in labels)

    def _product(self, factors, summed: tuple) -> Lifted:
        """Σ over ``summed`` of the product of ``factors``: contractions of the factors that carry
        a summed index (inner sums of products joined in, see ``_flatten``), times the rest."""
        factors, summed, added = self._flatten(tuple(factors), tuple(summed))
        try:
            selected = self._eliminate_delta(factors, summed)
            if selected is not None:
                return selected
            lifted = [self.lift(f) for f in factors]
            inner = [f for f in lifted if set(f.labels) & set(summed)]
            outer = [f for f in lifted if not set(f.labels) & set(summed)]
            present = set().union(*(f.labels for f in inner)) if inner else set()
            for index in summed:
                if index not in present:   # Σ_i c = n c
                    outer.append(Lifted(self._dim_value(self._range(index)), ()))
            if inner:
                outer.insert(0, self._plan(_group_by_labels(inner, self), summed))
            labels = _union(f.labels for f in outer)
            return Lifted(ir.mul(*(self.align(f, labels) for f in outer)), labels)
        finally:
            for index in added:
                self.ranges.pop(index, None)

    def _eliminate_delta(self, factors: tuple, summed: tuple) -> Lifted | None:
        """Σ_s f(s) δ(s + c, t + d) is f(t + d - c) where t + d - c lies in s's span: the summed index
        is replaced and t's span narrowed to those values; a free t's axis is then padded with zeros
        back to its span (the gradient of Σ_{i=1}^{n-1} g(x_{i+1}) is zero at x_1). None where no
        factor is a delta of a summed index."""
        for factor in factors:
            if not isinstance(factor, sympy.KroneckerDelta):
                continue
            sides = [_affine(side, factor) for side in factor.args]
            chosen = next((n for n, (symbol, _) in enumerate(sides) if symbol in summed), None)
            if chosen is None:
                continue
            (s, c), (t, d) = sides[chosen], sides[1 - chosen]
            if t == s:
                raise UnsupportedError(f"code generation for {factor}")
            rest = [f.xreplace({s: (t if t is not None else 0) + d - c}) for f in factors if f is not factor]
            remaining = tuple(index for index in summed if index != s)
            s_first, s_last = self._span(s)
            if t is None:   # s fixed to the number d - c
                value = d - c
                if not _ordered(s_first, value) or not _ordered(value, s_last):
                    return Lifted(ir.const(0), ())
                return self._product(rest, remaining)
            t_first, t_last = self._span(t)
            low, high = _larger(t_first, s_first - d + c), _smaller(t_last, s_last - d + c)
            if not _ordered(low, high):   # the delta is zero over the whole span
                return Lifted(ir.const(0), ())
            with self._ranged({t: (low, high)}):
                lifted = self._product(rest, remaining)
                if t in remaining:
                    return lifted
                labels = lifted.labels if t in lifted.labels else lifted.labels + (t,)
                node = self.align(lifted, labels)
            return Lifted(ir.pad(node, labels.index(t), low - t_first, t_last - t_first + 1), labels)
        return None

    def _flatten(self, factors: tuple, summed: tuple):
        """Σ_h a_h (Σ_g b_g c_gh) is Σ_{h,g} a_h b_g c_gh: a factor that is a sum of a product over
        a summed index joins the outer product (its bound indices renamed apart), so contraction
        planning sees every operand at once (backpropagation: C^T r before B^T, no rank-3 array).
        Returns (factors, summed indices, the indices added to ``self.ranges``)."""
        out: list = []
        added: list = []
        pending = list(factors)
        while pending:
            factor = pending.pop(0)
            if not (isinstance(factor, sympy.Sum) and not isinstance(factor.args[0], sympy.Add)
                    and set(factor.free_symbols) & set(summed)
                    and all(not (lower.free_symbols | upper.free_symbols) & (set(self.ranges) | set(summed))
                            for _, lower, upper in factor.args[1:])):   # Σ_{j ≤ i}: a mask, in _sum
                out.append(factor)
                continue
            body = factor.args[0]
            renames = {}
            for index, lower, upper in factor.args[1:]:
                fresh = sympy.Dummy(str(index), integer=True)
                renames[index] = fresh
                self.ranges[fresh] = (lower, upper)
                added.append(fresh)
            summed = summed + tuple(renames.values())
            pending = list(sympy.Mul.make_args(body.xreplace(renames))) + pending
        return tuple(out), summed, added

    # -- products: reductions and scans ----------------------------------------------------
    def _product_between(self, body, index, lower, upper, expr) -> Lifted:
        """Π_{i=k+a}^{l+b} f_i for two indices k, l (a Hessian of Π_i x_i): f_i where i >= k + a and 1
        elsewhere, an array over (k, i), its cumulative product along i read at i = l + b. Entries
        with l + b < k + a are products of ones, 1 as an empty product is. O(|k| |l|) memory."""
        k, a = _affine(lower, expr)
        last, b = _affine(upper, expr)
        if k == last:
            raise UnsupportedError(f"code generation for the Product {expr}")
        (k_first, _), (l_first, l_last) = self._span(k), self._span(last)
        hull = (k_first + a, l_last + b)
        mask = at_least(index - k - a)
        with self._ranged({index: hull}):
            lifted = self.lift(mask * body + 1 - mask)
            others = tuple(label for label in lifted.labels if label not in (k, index))   # a sample's, say
            if last in others:
                raise UnsupportedError(f"code generation for the Product {expr}")
            axis = len(others) + 1
            node = ir.scan("prod", self.align(lifted, others + (k, index)), axis, reverse=False)
        start, count = l_first + b - hull[0], self._range(last)
        if _ordered(0, start):
            node = ir.slice_(node, axis, start, start + count)
        else:   # l + b before every k + a: empty products, 1
            node = ir.pad(ir.slice_(node, axis, 0, count + start), axis, -start, count, value=1)
        return Lifted(node, others + (k, last))

    def _product_of_factors(self, expr: sympy.Product) -> Lifted:
        """Π_i f_i over a fixed range: the product along i's axis (``np.prod``: exact with zeros and
        negative factors, no logarithm); over i = a..k-1 or i = k+1..b with k an index, the
        cumulative product along the axis (exclusive products: the exact gradient of Π_i x_i)."""
        body, *limits = expr.args
        if len(limits) > 1:   # Π_j Π_i: the inner first
            return self.lift(sympy.Product(sympy.Product(body, limits[0]), *limits[1:]))
        (index, lower, upper), = limits
        if (lower.free_symbols | upper.free_symbols) & {index}:   # Π_{l=1}^{l-1}: the bound l is another l
            fresh = sympy.Dummy(str(index), integer=True)
            body, index = body.xreplace({index: fresh}), fresh
        below = _affine(upper, expr)[0] if upper.free_symbols & set(self.ranges) else None
        above = _affine(lower, expr)[0] if lower.free_symbols & set(self.ranges) else None
        if below is None and above is None:
            with self._ranged({index: (lower, upper)}):
                lifted = self.lift(body)
                if index not in lifted.labels:   # Π_{i=1}^{n} c = c^n
                    return Lifted(ir.power(lifted.node, self._dim_value(self._range(index))), lifted.labels)
                axis = lifted.labels.index(index)
                return Lifted(ir.reduce("prod", lifted.node, (axis,)), lifted.labels[:axis] + lifted.labels[axis + 1:])
        if below is not None and above is not None:
            return self._product_between(body, index, lower, upper, expr)
        k = below if below is not None else above
        offset = _affine(upper if below is not None else lower, expr)[1]
        k_first, k_last = self._span(k)
        # the hull of the ranges: i = lower .. k_last + offset (a prefix), or k_first + offset .. upper (a suffix)
        hull = (lower, k_last + offset) if below is not None else (k_first + offset, upper)
        with self._ranged({index: hull}):
            lifted = self.lift(body)
            if index not in lifted.labels or k in lifted.labels:
                raise UnsupportedError(f"code generation for the Product {expr}")
            axis = lifted.labels.index(index)
            node = ir.scan("prod", lifted.node, axis, reverse=above is not None)
            length = self._range(index)
        if below is not None:   # at k: the scan's entry k + offset - lower; 1 (empty) before it starts
            start = k_first + offset - lower
            node = ir.slice_(node, axis, start, length) if _ordered(0, start) else \
                ir.pad(node, axis, -start, length - start, value=1)
        else:   # at k: the reversed scan's entry k - k_first; 1 (empty) past its end
            count = k_last - k_first + 1
            node = ir.slice_(node, axis, 0, count) if _ordered(count, length) else \
                ir.pad(node, axis, 0, count, value=1)
        return Lifted(node, lifted.labels[:axis] + (k,) + lifted.labels[axis + 1:])

    def _plan(self, operands: list, summed: tuple) -> Lifted:
        """The contraction of ``operands`` over ``summed``, two operands at a time while a summed
        index joins exactly two of them (the pair whose result has the fewest axes first);
        operands over the same indices are multiplied elementwise as they appear."""
        operands = list(operands)
        while len(operands) > 2:
            best = None
            for index in summed:
                holders = [o for o in operands if index in o.labels]
                if len(holders) != 2:
                    continue
                others = [o for o in operands if o is not holders[0] and o is not holders[1]]
                union = _union(o.labels for o in holders)
                kept = tuple(label for label in union
                             if label not in summed or any(label in o.labels for o in others))
                if best is None or (len(kept), len(union)) < best[0]:
                    best = ((len(kept), len(union)), holders, others, kept)
            if best is None:
                break
            _, holders, others, kept = best
            pair = self._contract(holders, tuple(label for label in _union(o.labels for o in holders)
                                                 if label not in kept))
            operands = _group_by_labels(others + [pair], self) if others else [pair]
        return self._contract(operands, summed)

    def _contract(self, operands: list, summed: tuple) -> Lifted:
        letters: dict = {}
        for operand in operands:
            for label in operand.labels:
                letters.setdefault(label, LETTERS[len(letters)])
        out_labels = tuple(label for label in letters if label not in summed)
        dims = {letters[label]: self._range(label) for label in letters}
        specs = ["".join(letters[label] for label in operand.labels) for operand in operands]
        node = ir.contract([o.node for o in operands], specs, "".join(letters[label] for label in out_labels), dims)
        return Lifted(node, out_labels)

    def _dim_value(self, dim) -> ir.Node:
        """A length as a node: a number, a dimension, or an expression of them (n - 1)."""
        if dim.is_Integer:
            return ir.const(int(dim))
        if isinstance(dim, sympy.Add):
            return ir.add(*(self._dim_value(term) for term in dim.args))
        if isinstance(dim, sympy.Mul):
            return ir.mul(*(self._dim_value(factor) for factor in dim.args))
        return ir.input_(dim, ())


class at_least(sympy.Function):
    """[u >= 0] of an affine u of indices: the mask of a range that depends on another index
    (Σ_{j=i+1}^{n} is Σ_j [j - i - 1 >= 0]); a factor of the index form only inside the builder,
    so substituting an index (``_eliminate_delta``) moves the mask with the rest."""

    nargs = 1


def _affine(index, where) -> tuple:
    """(symbol, integer offset) of an index i + c, or (None, c) of a number.

    Raises:
        UnsupportedError: anything else (an index times a number, two indices).
    """
    index = sympy.sympify(index)   # safe: an index symbol or integer offset from SymPy bounds, never user text
    if index.is_Integer:
        return None, int(index)
    offset, terms = index.as_coeff_add()
    if len(terms) == 1 and terms[0].is_Symbol and offset.is_Integer:
        return terms[0], int(offset)
    raise UnsupportedError(f"code generation for the index {index} in {where}")


def _difference(a, b):
    """a - b where it is a number (the bounds of spans differ by numbers: n - 1 and n), else None."""
    difference = sympy.sympify(a) - sympy.sympify(b)   # safe: SymPy bounds or Python ints, never user text
    return difference if difference.is_number else None


def _ordered(a, b) -> bool:
    """a <= b, for bounds whose difference is a number, or a number beside dimensions: dimensions are
    taken to be as long as the source's ranges need (Σ_{i=1}^{n-1} is not empty: 1 <= n - 1; where
    n is shorter, the generated code's slices and pads fail on the shapes, never silently)."""
    difference = sympy.expand(sympy.sympify(b) - sympy.sympify(a))   # safe: SymPy bounds or ints
    if difference.is_number:
        return bool(difference >= 0)
    signs = {sympy.sign(c) for term, c in difference.as_coefficients_dict().items() if not term.is_number}
    if len(signs) == 1:
        return signs.pop() > 0
    raise UnsupportedError(f"code generation: the bounds {a} and {b} of a range cannot be ordered")


def _larger(a, b):
    return b if _ordered(a, b) else a


def _smaller(a, b):
    return a if _ordered(a, b) else b


def _within(start, stop, dim) -> bool:
    """0 <= start and stop <= dim, known from the expressions (a span up to q on an axis of length m is not)."""
    low, high = _difference(start, 0), _difference(dim, stop)
    return low is not None and high is not None and low >= 0 and high >= 0 or \
        low is not None and low >= 0 and stop == dim


def _selects(term: sympy.Add, summed: tuple) -> bool:
    """Whether a term of the sum holds a Kronecker delta of a summed index (outside nested sums)."""
    return any(isinstance(f, sympy.KroneckerDelta) and f.free_symbols & set(summed)
               for part in term.args for f in sympy.Mul.make_args(part))


def _may_be_undefined(expr, indices) -> bool:
    """Whether ``expr`` divides by, takes a fractional power or a log of something that depends on every
    one of ``indices`` (a pair i, j): it may be inf or NaN at the pairs the range leaves out (i = j)."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.log):
            operand = node.args[0]
        elif isinstance(node, sympy.Pow) and not (node.exp.is_Integer and node.exp >= 0):
            operand = node.base
        else:
            continue
        if indices <= operand.free_symbols:
            return True
    return False


def _positive(expr) -> bool:
    """Whether every value of ``expr`` is positive, read from its form: positive numbers, sigmoids,
    1 - σ(u), exponentials, softmaxes, and products and real powers of them (a likelihood's factors
    p^t (1 - p)^{1-t}). A product of such factors may go through logarithms; any other stays exact."""
    if expr.is_number:
        return bool(expr.is_positive)
    if isinstance(expr, (sigmoid, softmax, sympy.exp)):
        return True
    if isinstance(expr, sympy.Pow):
        return _positive(expr.args[0]) and bool(expr.args[1].is_real)
    if isinstance(expr, sympy.Mul):
        return all(_positive(f) for f in expr.args)
    if isinstance(expr, sympy.Add) and len(expr.args) == 2:   # 1 - σ(u) = σ(-u)
        one, other = sorted(expr.args, key=lambda a: not a.is_number)
        return one == 1 and isinstance(-other, sigmoid)
    return False


def _others_of_positive_products(factors) -> tuple:
    """Π_{n<k} p_n Π_{n>k} p_n / Π_n p_n (the derivative of Π_n p_n over Π_n p_n, the gradient of
    -log Π_n p_n) is 1 / p_k where every p_n is positive: the factors without the three products,
    times p_k^{-1}. Products of factors that may be zero or negative stay as they are (exact)."""
    products = [f for f in factors if isinstance(f, sympy.Product) and len(f.args) == 2]
    whole = [f for f in factors if isinstance(f, sympy.Pow) and f.args[1] == -1
             and isinstance(f.args[0], sympy.Product) and len(f.args[0].args) == 2]
    for inverse in whole:
        body, (index, first, last) = inverse.args[0].args
        if not _positive(body):
            continue
        for before in products:   # Π_{n=first}^{k-1}, then Π_{n=k+1}^{last}
            _, low, upper = before.args[1]
            k = upper + 1
            after = next((p for p in products if p is not before and p.args[1][1] == k + 1 and p.args[1][2] == last),
                         None)
            if low != first or after is None or not _same_body(before, body, index) \
                    or not _same_body(after, body, index):
                continue
            rest = [f for f in factors if f is not inverse and f is not before and f is not after]
            return tuple(rest) + (1 / body.xreplace({index: k}),)
        for total in (f for f in factors if isinstance(f, sympy.Sum)):   # Σ_k (...) / Π_n p_n: into the sum
            if {limit[0] for limit in total.args[1:]} & inverse.free_symbols:
                continue
            terms = [sympy.Mul(*_others_of_positive_products(sympy.Mul.make_args(term * inverse)))
                     for term in sympy.Add.make_args(total.args[0])]
            if not any(term.has(inverse) for term in terms):
                rest = [f for f in factors if f is not inverse and f is not total]
                return tuple(rest) + (sympy.Sum(sympy.Add(*terms), *total.args[1:]),)
    return tuple(factors)


def _same_body(product: sympy.Product, body, index) -> bool:
    own, (n, _, _) = product.args[0], product.args[1]
    return own.xreplace({n: index}) == body


def _labelled(node: ir.Node, indices: tuple, expr) -> Lifted:
    """A matrix-valued node at entry ``indices``: ``A[k, k]`` and ``(M^{-1})_kk`` are its diagonal."""
    if len(indices) == 2 and indices[0] == indices[1]:
        return Lifted(ir.diagonal(node), indices[:1])
    if len(set(indices)) < len(indices):
        raise UnsupportedError(f"code generation for the entry {expr}")
    return Lifted(node, tuple(indices))


def _group_by_labels(lifted: list, builder: Builder) -> list:
    """Factors with the same set of labels multiplied elementwise first (Σ_i a_i b_i X_ik is one
    X.T @ (a * b)), in order of first appearance; when all have one set (Σ_i a_i b_i), they stay
    apart, for contraction planning (a @ b, an einsum without a temporary)."""
    groups: dict = {}
    for item in lifted:
        groups.setdefault(frozenset(item.labels), []).append(item)
    if len(groups) == 1:
        return lifted
    out = []
    for group in groups.values():
        labels = group[0].labels
        out.append(Lifted(ir.mul(*(builder.align(item, labels) for item in group)), labels))
    return out


def _union(groups) -> tuple:
    out: list = []
    for group in groups:
        for label in group:
            if label not in out:
                out.append(label)
    return tuple(out)


def _number(value) -> Fraction | float:
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return float(value)
