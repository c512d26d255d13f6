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
                             max_norm, max_norm_grad, nuclear_norm, polar_entry, array_of)
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
    """

    def __init__(self, shapes: dict, ranges: dict) -> None:
        self.shapes = shapes
        self.ranges = dict(ranges)
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
            if expr in self.ranges:
                raise UnsupportedError(f"code generation for the index {expr} used as a value")
            return Lifted(ir.input_(expr, ()), ())
        if isinstance(expr, sympy.Indexed):
            return self._entry(expr)
        if isinstance(expr, sympy.Add):
            return self._elementwise(ir.add, expr.args)
        if isinstance(expr, sympy.Mul):
            return self._elementwise(ir.mul, expr.args)
        if isinstance(expr, sympy.Pow):
            return self._power(expr)
        if isinstance(expr, sympy.Sum):
            return self._sum(expr)
        if isinstance(expr, sympy.KroneckerDelta):
            return self._delta(*expr.args)
        if isinstance(expr, inverse_entry):
            matrix, i, j = expr.args
            return _labelled(ir.matfn("inv", self._factor(matrix)), (i, j), expr)
        if isinstance(expr, det):
            return Lifted(ir.matfn("det", self._factor(expr.args[0])), ())
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
        indices = expr.indices
        if not all(isinstance(i, sympy.Symbol) for i in indices):
            raise UnsupportedError(f"code generation for the entry {expr} with a fixed index")
        node = ir.input_(expr.base, self._shape(expr.base))
        for index, dim in zip(indices, node.shape):
            known = self.ranges.setdefault(index, dim)
            if known != dim and known.is_Symbol:   # \\sum_{i=1}^{q} over the first q of m entries
                raise UnsupportedError(f"code generation for a sum over {index} up to {self.ranges[index]} "
                                       f"along an axis of {expr.base} of length {dim}")
        return _labelled(node, tuple(indices), expr)

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
        with self._ranged({row: size, col: size}):
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
        with self._ranged(dict(zip(indices, dims))):
            return self.root(body, tuple(indices))

    @contextlib.contextmanager
    def _ranged(self, ranges: dict):
        """Within the block, the indices of ``ranges`` (bound by a sum or a matrix) have those ranges."""
        saved = {index: self.ranges.get(index) for index in ranges}
        self.ranges.update(ranges)
        try:
            yield
        finally:
            for index, previous in saved.items():
                if previous is None:
                    self.ranges.pop(index, None)
                else:
                    self.ranges[index] = previous

    def _range(self, index):
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
        if a == b:
            return Lifted(ir.const(1), ())
        if self._range(a) != self._range(b):
            raise UnsupportedError(f"code generation for the Kronecker delta of {a} and {b} with different ranges")
        return Lifted(ir.identity(self._range(a)), (a, b))

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
        for index, lower, upper in limits:
            if lower != 1:
                raise UnsupportedError(f"code generation for a sum from {lower}")
            if upper.free_symbols & set(self.ranges):   # Σ_{j ≤ i}: not a contraction over an axis
                raise UnsupportedError(f"code generation for the sum over {index} up to {upper}")
        with self._ranged({index: upper for index, _, upper in limits}):
            summed = tuple(index for index, _, _ in limits)
            terms = self._distribute_outer_sums(body)
            if len(terms) > 1:   # linearity: the factor pass regroups shared factors
                lifted = [self._product(sympy.Mul.make_args(term), summed) for term in terms]
                labels = _union(t.labels for t in lifted)
                return Lifted(ir.add(*(self.align(t, labels) for t in lifted)), labels)
            return self._product(sympy.Mul.make_args(body), summed)

    def _distribute_outer_sums(self, body) -> list:
        """The terms of a sum's body, with products distributed over an outer sum: a factor
        (μ_kl - x_jl) none of whose terms carries all its indices would be broadcast to an array of
        every index (N × d × K in k-means); Σ_j μ_kl r_jk - Σ_j x_jl r_jk are a scaling and a product."""
        terms = []
        pending = list(sympy.Add.make_args(body))
        while pending:
            term = pending.pop(0)
            factors = sympy.Mul.make_args(term)
            outer = next((f for f in factors if isinstance(f, sympy.Add) and self._is_outer_sum(f)), None)
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
                    and all(lower == 1 and not upper.free_symbols & (set(self.ranges) | set(summed))
                            for _, lower, upper in factor.args[1:])):   # Σ_{j ≤ i} is refused by _sum
                out.append(factor)
                continue
            body = factor.args[0]
            renames = {}
            for index, _, upper in factor.args[1:]:
                fresh = sympy.Dummy(str(index), integer=True)
                renames[index] = fresh
                self.ranges[fresh] = upper
                added.append(fresh)
            summed = summed + tuple(renames.values())
            pending = list(sympy.Mul.make_args(body.xreplace(renames))) + pending
        return tuple(out), summed, added

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
        return ir.const(int(dim)) if dim.is_Integer else ir.input_(dim, ())


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
