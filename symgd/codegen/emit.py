"""Index form -> NumPy expressions: sums become BLAS contractions, never Python loops.

An index-form expression is emitted as a ``Term``: NumPy code for an array whose axes are labelled
by index symbols. Products with a shared summed index become ``@`` where a matrix-vector or matrix
product fits (``X.T @ r``) and ``np.einsum(..., optimize=True)`` otherwise; sums of a single array
become ``.sum(axis=...)``; everything else is elementwise with broadcasting by axis labels.
Scalar factors go on the operand with the fewest axes (``X.T @ (2 * r)``, not ``2 * X.T @ r``).

Common sub-expressions are computed once: ``Emitter`` counts every sub-expression in a first pass
over all the expressions of a function, and in the second pass gives the repeated, non-trivial
ones a local name (``z = X @ w``) that every use shares.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

import sympy

from symgd.errors import UnsupportedError
from symgd.functions import ELEMENTWISE as ELEMENTWISE_KIND
from symgd.functions import PRIMITIVES, det, inverse_entry
from symgd.codegen.stable import logsumexp, softmax

ATOM, POSTFIX, POWER, UNARY, PRODUCT, SUM = 6, 5, 4, 3, 2, 1

# Elementwise primitives by SymPy class, with the code the primitive table says to emit.
ELEMENTWISE = {p.sympy: p for p in PRIMITIVES
               if p.kind == ELEMENTWISE_KIND and isinstance(p.sympy, type) and "{}" in p.numpy}


@dataclass(frozen=True)
class Term:
    """NumPy code for an array whose axes are the index symbols ``axes`` (in order)."""

    code: str
    axes: tuple
    level: int = ATOM


class Emitter:
    """Emits index-form expressions as NumPy code, sharing repeated sub-expressions.

    Args:
        names: SymPy symbol / IndexedBase -> Python identifier (arguments and dimensions).
        helpers: set to which the names of module helpers used (``sigmoid``, ...) are added.
    """

    def __init__(self, names: dict, helpers: set) -> None:
        self.names = names
        self.helpers = helpers
        self.counts: dict = {}
        self.counting = True
        self.memo: dict = {}
        self.lines: list[str] = []
        self.taken = set(names.values())
        self.temporaries: dict[str, int] = {}

    # -- the two passes ---------------------------------------------------------------
    def count(self, expr) -> None:
        """First pass: record how often each sub-expression occurs."""
        self.counting = True
        self.emit(expr)

    def finish_counting(self) -> None:
        self.counting = False
        self.memo = {}

    def value(self, expr, axes: tuple) -> str:
        """Second pass: code for ``expr`` as an array with axes in the order ``axes``."""
        return align(self.emit(expr), tuple(axes))

    # -- emission -----------------------------------------------------------------------
    def emit(self, expr) -> Term:
        # Sub-expressions that differ only in the names of their free indices (the loss's bound k
        # and the gradient's free k) are the same array: they share one count, one memo entry and
        # one name, with the axes translated back to this occurrence's indices.
        key, forward = self._canonical(expr)
        backward = {canonical: actual for actual, canonical in forward.items()}
        if self.counting:
            self.counts[key] = self.counts.get(key, 0) + 1
            if self.counts[key] > 1:
                return _rename_axes(self.memo[key], backward)
        elif key in self.memo:
            return _rename_axes(self.memo[key], backward)
        term = self._emit(expr)
        if not self.counting and self.counts.get(key, 0) > 1 and _worth_naming(expr, term):
            name = self._temporary(expr, term)
            self.lines.append(f"{name} = {term.code}")
            term = Term(name, term.axes)
        self.memo[key] = _rename_axes(term, forward)
        return term

    def _canonical(self, expr):
        """``expr`` with its free indices renamed by order of appearance and range."""
        free = [s for s in sympy.preorder_traversal(expr) if isinstance(s, sympy.Symbol) and s.is_integer
                and s not in self.names]
        forward: dict = {}
        for symbol in free:
            if symbol not in forward and symbol in expr.free_symbols:
                forward[symbol] = sympy.Symbol(f"_axis{len(forward)}_{_range_in(expr, symbol)}", integer=True)
        return (expr.xreplace(forward) if forward else expr), forward

    def _hoist(self, expr, term: Term) -> str:
        """Give ``term`` a local name now (it is about to be used twice in one line)."""
        if self.counting:
            return "_"
        name = self._temporary(expr, term)
        self.lines.append(f"{name} = {term.code}")
        key, forward = self._canonical(expr)
        self.memo[key] = _rename_axes(Term(name, term.axes), forward)
        return name

    def _temporary(self, expr, term: Term) -> str:
        kind = "z" if isinstance(expr, sympy.Sum) else "r" if isinstance(expr, sympy.Add) else "h"
        number = self.temporaries.get(kind, 0) + 1
        while True:
            name = kind if number == 1 else f"{kind}{number}"
            if name not in self.taken:
                break
            number += 1
        self.temporaries[kind] = number
        self.taken.add(name)
        return name

    def _emit(self, expr) -> Term:  # noqa: C901 - one branch per SymPy node type
        if expr.is_Number:
            return Term(_number(expr), (), ATOM if expr >= 0 else UNARY)
        if isinstance(expr, (sympy.Symbol, sympy.IndexedBase)):
            return Term(self._name(expr), ())
        if isinstance(expr, sympy.Indexed):
            return self._indexed(expr)
        if isinstance(expr, sympy.Add):
            return self._add(expr)
        if isinstance(expr, sympy.Mul):
            return self._product(list(expr.args), ())
        if isinstance(expr, sympy.Pow):
            return self._power(expr)
        if isinstance(expr, sympy.Sum):
            body, *limits = expr.args
            return self._sum(body, tuple(limit[0] for limit in limits))
        if isinstance(expr, sympy.KroneckerDelta):
            a, b = expr.args
            return Term(f"np.eye({self._dim_of(a)})", (a, b), POSTFIX)
        if isinstance(expr, inverse_entry):
            base, i, j = expr.args
            return Term(f"np.linalg.inv({self._name(base)})", (i, j), POSTFIX)
        if isinstance(expr, det):
            return Term(f"np.linalg.det({self._name(expr.args[0])})", (), POSTFIX)
        if isinstance(expr, logsumexp):
            return self._reduction("logsumexp", expr)
        if isinstance(expr, softmax):
            return self._softmax(expr)
        if isinstance(expr, sympy.log) and isinstance(expr.args[0], det):
            self.helpers.add("logdet")
            return Term(f"logdet({self._name(expr.args[0].args[0])})", (), POSTFIX)
        if isinstance(expr, sympy.Heaviside):   # from differentiating relu, max, |u|: not a primitive
            return self._elementwise("np.heaviside({}, 0.0)", expr.args[:1])
        for function, primitive in ELEMENTWISE.items():
            if isinstance(expr, function):
                if primitive.helper:
                    self.helpers.add(primitive.helper)
                return self._elementwise(primitive.numpy, expr.args)
        raise UnsupportedError(f"code generation for {type(expr).__name__}: {expr}")

    def _name(self, symbol) -> str:
        try:
            return self.names[symbol]
        except KeyError:
            raise UnsupportedError(f"code generation: no value for {symbol}") from None

    def _dim_of(self, index) -> str:
        return self.names[("range", index)]

    def _indexed(self, expr) -> Term:
        indices = expr.indices
        if not all(isinstance(i, sympy.Symbol) for i in indices):
            raise UnsupportedError(f"code generation for the entry {expr} with a fixed index")
        name = self._name(expr.base)
        if len(set(indices)) < len(indices):   # A[k, k]: the diagonal
            return Term(f"np.diagonal({name})", (indices[0],), POSTFIX)
        return Term(name, tuple(indices))

    def _elementwise(self, template: str, args) -> Term:
        """``template`` (``np.exp({})``) applied to the arguments, broadcast by their axes."""
        terms = [self.emit(a) for a in args]
        axes = _union(t.axes for t in terms)
        codes = [align(t, axes, broadcast=True) for t in terms]
        if len(codes) != template.count("{}"):
            raise UnsupportedError(f"code generation: {template} with {len(codes)} arguments")
        return Term(template.format(*codes), axes, POSTFIX)

    def _add(self, expr) -> Term:
        signed = []
        for term in _ordered_terms(expr):
            negative = term.could_extract_minus_sign()
            signed.append((negative, self.emit(-term if negative else term)))
        axes = _union(t.axes for _, t in signed)
        parts = []
        for negative, term in signed:
            code = align(term, axes, broadcast=True)
            level = term.level if code == term.code else POSTFIX
            if level == UNARY and code.startswith("-"):   # - -(a) reads + a
                negative, code, level = not negative, code[1:], POSTFIX if code[1:].startswith("(") else ATOM
            if not parts:
                parts.append(("-" + wrap(code, PRODUCT + 1, level)) if negative else wrap(code, SUM, level))
            else:
                parts.append(("- " if negative else "+ ") + wrap(code, PRODUCT if negative else SUM + 1, level))
        return Term(" ".join(parts), axes, SUM)

    def _power(self, expr) -> Term:
        base, exponent = expr.args
        inner = self.emit(base)
        if exponent == -1:
            return Term(f"1.0 / {wrap(inner.code, POWER, inner.level)}", inner.axes, PRODUCT)
        if exponent == sympy.Rational(1, 2):
            return Term(f"np.sqrt({inner.code})", inner.axes, POSTFIX)
        if exponent == sympy.Rational(-1, 2):
            return Term(f"1.0 / np.sqrt({inner.code})", inner.axes, PRODUCT)
        power = self.emit(exponent)
        if power.axes:
            raise UnsupportedError("code generation for a power with an indexed exponent")
        return Term(f"{wrap(inner.code, POWER + 1, inner.level)} ** {wrap(power.code, POWER, power.level)}",
                    inner.axes, POWER)

    def _product(self, factors: list, summed: tuple) -> Term:
        """A product, with the indices in ``summed`` summed out (a contraction)."""
        pure = [f for f in factors if _is_pure_scalar(f)]
        rest = [f for f in factors if not _is_pure_scalar(f)]
        if pure and not summed and len(rest) == 1 and isinstance(rest[0], sympy.Sum) \
                and isinstance(rest[0].args[0], sympy.Mul) and not self.counting \
                and self.counts.get(self._canonical(rest[0])[0], 0) <= 1:
            # c Σ_i a_i X_ik: scale a, not the result (unless the sum is shared and named anyway)
            body, *limits = rest[0].args
            return self._product(pure + list(body.args), tuple(limit[0] for limit in limits))
        numerator, denominator = sympy.fraction(sympy.Mul(*pure))
        negative = numerator.could_extract_minus_sign()
        scale = Scale([self._scalar_code(-numerator if negative else numerator)],
                      [self._scalar_code(denominator)])
        tensors = []
        for factor in factors:
            if _is_pure_scalar(factor):
                continue
            term = self.emit(factor)
            if term.axes:
                tensors.append(term)
            else:   # a scalar computed from arrays, e.g. w @ w or det(A)
                scale.numerator.append(wrap(term.code, PRODUCT + 1, term.level))
        for index in summed:
            if not any(index in t.axes for t in tensors):
                scale.numerator.append(self._dim_of(index))
        result = self._combine(tensors, summed, scale)
        if negative:
            return Term("-" + wrap(result.code, PRODUCT + 1, result.level), result.axes, UNARY)
        return result

    def _scalar_code(self, expr) -> str | None:
        """Code for a scalar without indices (a factor like 2, n, \\lambda, \\delta^2); None for 1."""
        if expr == 1:
            return None
        parts = []
        for factor in sympy.Mul.make_args(expr):
            if factor.is_Number:
                parts.append(_number(factor))
            elif isinstance(factor, sympy.Symbol):
                parts.append(self._name(factor))
            elif isinstance(factor, sympy.Pow) and factor.exp.is_Integer and factor.exp > 0:
                parts.append(f"{wrap(self._scalar_code(factor.base), POWER + 1)} ** {int(factor.exp)}")
            else:
                term = self.emit(factor)
                parts.append(wrap(term.code, PRODUCT + 1, term.level))
        return " * ".join(parts)

    def _combine(self, tensors: list, summed: tuple, scale: "Scale") -> Term:
        inner = [t for t in tensors if set(t.axes) & set(summed)]
        outer = [t for t in tensors if not set(t.axes) & set(summed)]
        if not inner and not outer:
            return scale.alone()
        # The scalar goes on the operand with the fewest axes (X.T @ (r / n)); when every operand of
        # a contraction is a matrix, on its (smaller) result ((X.T @ X) / n, not a copy of X).
        candidates = inner if inner else outer
        smallest = min(range(len(candidates)), key=lambda n: len(candidates[n].axes))
        on_result = bool(inner) and len(candidates[smallest].axes) == max(len(t.axes) for t in inner) > 1
        if not on_result:
            candidates[smallest] = scale.apply(candidates[smallest])
        if inner:
            tensors = [self._contract(inner, summed)] + outer
            if on_result:
                tensors[0] = scale.apply(tensors[0])
        else:
            tensors = outer
        axes = _union(t.axes for t in tensors)
        if len(tensors) == 1:
            return tensors[0]
        codes = [wrap(align(t, axes, broadcast=True), PRODUCT + 1, t.level) for t in tensors]
        return Term(" * ".join(codes), axes, PRODUCT)

    def _contract(self, terms: list, summed: tuple) -> Term:
        terms = _merge_same_axes(terms)   # Σ_i a_i b_i X_ik: (a * b) first, then one X.T @ (...)
        if len(terms) == 1:
            (term,) = terms
            keep = tuple(a for a in term.axes if a not in summed)
            if not keep:
                return Term(f"np.sum({term.code})", (), POSTFIX)
            axis = tuple(term.axes.index(a) for a in summed if a in term.axes)
            axis_code = str(axis[0]) if len(axis) == 1 else str(axis)
            return Term(f"{wrap(term.code, POSTFIX, term.level)}.sum(axis={axis_code})", keep, POSTFIX)
        if len(terms) == 2 and len(summed) == 1:
            product = _matmul(terms[0], terms[1], summed[0])
            if product is not None:
                return product
        return _einsum(terms, summed)

    def _sum(self, body, summed: tuple) -> Term:
        if isinstance(body, sympy.Mul):
            return self._product(list(body.args), summed)
        if isinstance(body, sympy.Pow) and body.exp == 2:
            inner = self.emit(body.base)
            if set(inner.axes) == set(summed) and len(inner.axes) == 1:
                name = inner.code if inner.code.isidentifier() else self._hoist(body.base, inner)
                return Term(f"{name} @ {name}", (), PRODUCT)
        return self._contract([self.emit(body)], summed)

    def _reduction(self, name: str, expr) -> Term:
        """logsumexp(a, index): stable, over the axis of ``index``."""
        self.helpers.add(name)
        argument, index = expr.args
        inner = self.emit(argument)
        if index not in inner.axes:
            raise UnsupportedError("code generation: a log-sum-exp over an index its argument lacks")
        keep = tuple(a for a in inner.axes if a != index)
        return Term(f"{name}({inner.code}, axis={inner.axes.index(index)})", keep, POSTFIX)

    def _softmax(self, expr) -> Term:
        """softmax(a, index) as an array over all of a's axes (normalised along ``index``)."""
        self.helpers.add("softmax")
        argument, index = expr.args
        inner = self.emit(argument)
        return Term(f"softmax({inner.code}, axis={inner.axes.index(index)})", inner.axes, POSTFIX)


@dataclass
class Scale:
    """Scalar factors of a product: code for the numerator's and the denominator's factors."""

    numerator: list
    denominator: list

    def __post_init__(self) -> None:
        self.numerator = [part for part in self.numerator if part]
        self.denominator = [part for part in self.denominator if part]

    def apply(self, term: Term) -> Term:
        """``term`` times the numerator, divided by the denominator."""
        if not self.numerator and not self.denominator:
            return term
        code = wrap(term.code, PRODUCT + 1, term.level)
        den = None
        if self.denominator:
            den = self.denominator[0] if len(self.denominator) == 1 else "(" + " * ".join(self.denominator) + ")"
            den = wrap(den, PRODUCT + 1, ATOM if _is_numeric(den) else None)
        scalar = " * ".join(self.numerator) if self.numerator else "1"
        if den:
            scalar = f"{wrap(scalar, PRODUCT + 1, ATOM if _is_numeric(scalar) else None)} / {den}"
        if term.axes and not term.code.isidentifier():
            # array expression first, scalar after: NumPy reuses the temporary in place (one pass,
            # no second array), as (X @ w - y) * (2 / n)
            left = wrap(term.code, PRODUCT, term.level)
            if not self.numerator:
                return Term(f"{left} / {den}", term.axes, PRODUCT)
            factor = scalar if (_is_numeric(scalar) or scalar.isidentifier()) and not den else f"({scalar})"
            return Term(f"{left} * {factor}", term.axes, PRODUCT)
        if self.numerator and den and term.axes:   # one pass over the array: 2 / n * r
            return Term(f"{scalar} * {code}", term.axes, PRODUCT)
        if self.numerator:
            code = " * ".join(self.numerator + [code])
        if den:
            code = f"{code} / {den}"
        return Term(code, term.axes, PRODUCT)

    def alone(self) -> Term:
        if not self.numerator and not self.denominator:
            return Term("1", ())
        return self.apply(Term("1", ())) if not self.numerator else \
            Term(" * ".join(self.numerator) + ("" if not self.denominator else
                 " / " + wrap(" * ".join(self.denominator), PRODUCT + 1)), (), PRODUCT)


def _is_pure_scalar(expr) -> bool:
    """A factor free of indices and sums: a number, a constant, a dimension (2, \\lambda, n)."""
    return not expr.has(sympy.Indexed, sympy.Sum, sympy.KroneckerDelta, inverse_entry, det) and not isinstance(
        expr, (logsumexp, softmax))


def _range_in(expr, index) -> str:
    """The length of ``index``'s axis, read from an array it indexes in ``expr`` (names of indices
    are reused across expressions for axes of different lengths; the arrays' shapes are not)."""
    for entry in expr.atoms(sympy.Indexed):
        shape = entry.base.shape
        if shape is not None:
            for position, value in enumerate(entry.indices):
                if value == index and position < len(shape):
                    return str(shape[position])
    for delta in expr.atoms(sympy.KroneckerDelta):
        if index in delta.args:
            return "delta" + str(sorted(map(str, delta.args)))
    return "?"


def _merge_same_axes(terms: list) -> list:
    """Multiply elementwise the operands of a contraction that have the same axes, so that what is
    left is at most two operands for one BLAS call."""
    groups: dict = {}
    for term in terms:
        groups.setdefault(frozenset(term.axes), []).append(term)
    merged = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        axes = group[0].axes
        code = " * ".join(wrap(align(t, axes), PRODUCT + 1, t.level) for t in group)
        merged.append(Term(code, axes, PRODUCT))
    return merged if len(merged) < len(terms) else terms


def _rename_axes(term: Term, mapping: dict) -> Term:
    if not mapping or not term.axes:
        return term
    return Term(term.code, tuple(mapping.get(axis, axis) for axis in term.axes), term.level)


def _worth_naming(expr, term: Term) -> bool:
    """Name a repeated sub-expression when it costs a pass over arrays (a contraction, a function
    of an array) or is long; cheap scalars such as ``2 * n`` are simply repeated."""
    if isinstance(expr, (sympy.Symbol, sympy.Indexed, sympy.Number)):
        return False
    return bool(term.axes) or isinstance(expr, sympy.Sum) or len(term.code) > 12


def _number(value) -> str:
    if value.is_Integer:
        return str(int(value)) if abs(int(value)) < 10**15 else repr(float(value))
    if value.is_Rational:
        return f"{int(value.p)} / {int(value.q)}"
    return repr(float(value))


def _union(groups) -> tuple:
    axes: list = []
    for group in groups:
        for axis in group:
            if axis not in axes:
                axes.append(axis)
    return tuple(axes)


def _ordered_terms(expr: sympy.Add) -> list:
    """Positive terms first, constants last: X @ w - y, not -y + X @ w."""
    return sorted(expr.args, key=lambda t: (t.could_extract_minus_sign(), t.is_Number))


def _is_numeric(code: str) -> bool:
    return code.replace(".", "", 1).replace(" / ", "", 1).replace("-", "", 1).strip().isdigit()


def wrap(code: str, needed: int, level: int | None = None) -> str:
    """Parenthesise ``code`` unless it binds at least as tightly as ``needed``."""
    if level is None:
        level = ATOM if code.isidentifier() else SUM
    return code if level >= needed else f"({code})"


def align(term: Term, axes: tuple, broadcast: bool = False) -> str:
    """Code for ``term`` with its axes in the order ``axes``; missing axes become new axes (None)."""
    if term.axes == axes or not term.axes:
        return term.code
    present = [a for a in axes if a in term.axes]
    code = term.code
    if tuple(present) != term.axes:
        if len(term.axes) == 2:
            code = f"{wrap(code, POSTFIX, term.level)}.T"
        else:
            order = tuple(term.axes.index(a) for a in present)
            code = f"np.transpose({code}, {order})"
    if len(present) < len(axes):
        if not broadcast:
            raise UnsupportedError("code generation: an array is missing an axis")
        selection = ", ".join(":" if a in term.axes else "None" for a in axes)
        code = f"{wrap(code, POSTFIX, term.level if code == term.code else POSTFIX)}[{selection}]"
    return code


def _matmul(a: Term, b: Term, index) -> Term | None:
    """Σ_index a b as ``@`` when it is a matrix-vector, vector-vector or matrix-matrix product."""
    if len(a.axes) > len(b.axes):
        a, b = b, a
    # now a has no more axes than b
    if len(a.axes) == 1 and len(b.axes) == 1:
        return Term(f"{wrap(a.code, POSTFIX, a.level)} @ {wrap(b.code, POSTFIX, b.level)}", (), PRODUCT)
    if len(a.axes) == 1 and len(b.axes) == 2:
        matrix = wrap(b.code, POSTFIX, b.level)
        vector = wrap(a.code, PRODUCT + 1, a.level)
        if b.axes[1] == index:
            return Term(f"{matrix} @ {vector}", (b.axes[0],), PRODUCT)
        return Term(f"{matrix}.T @ {vector}", (b.axes[1],), PRODUCT)
    if len(a.axes) == 2 and len(b.axes) == 2:
        left, right = wrap(a.code, POSTFIX, a.level), wrap(b.code, POSTFIX, b.level)
        if a.axes[1] == index and b.axes[0] == index:
            return Term(f"{left} @ {right}", (a.axes[0], b.axes[1]), PRODUCT)
        if a.axes[0] == index and b.axes[0] == index:
            return Term(f"{left}.T @ {right}", (a.axes[1], b.axes[1]), PRODUCT)
        if a.axes[1] == index and b.axes[1] == index:
            return Term(f"{left} @ {right}.T", (a.axes[0], b.axes[0]), PRODUCT)
        if a.axes[0] == index and b.axes[1] == index:
            return Term(f"{right} @ {left}", (b.axes[0], a.axes[1]), PRODUCT)
    return None


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _einsum(terms: list, summed: tuple) -> Term:
    labels: dict = {}
    for term in terms:
        for axis in term.axes:
            labels.setdefault(axis, LETTERS[len(labels)])
    inputs = ",".join("".join(labels[a] for a in t.axes) for t in terms)
    out_axes = _union(tuple(a for a in t.axes if a not in summed) for t in terms)
    output = "".join(labels[a] for a in out_axes)
    operands = ", ".join(t.code for t in terms)
    return Term(f"np.einsum('{inputs}->{output}', {operands}, optimize=True)", out_axes, POSTFIX)


def identifier(name: str) -> str:
    """A Python identifier for a symbol name (``lambda`` -> ``lambda_``)."""
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "arg"
    if text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) or text in ("np", "scipy") else text
