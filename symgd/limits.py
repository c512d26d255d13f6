"""Boundary entries of a vector given as ±∞ (Agresti's cut-points, α_0 = -∞ and α_c = ∞): exact limits.

A cumulative logit model writes Σ_{j=1}^{c} y_ij log[F(α_j + η_i) - F(α_{j-1} + η_i)] over c categories,
with α_1 < ... < α_{c-1} the free cut-points and the boundary entries α_0 = -∞, α_c = ∞ given in words. In
index form the sum reaches α[0] at j = 1 and α[c] at j = c: those terms are taken out of the sum and the
boundary entry is replaced by the limit of the term (F(-∞) = 0, F(∞) = 1), taken by SymPy on the term
itself, so that no infinity reaches the derivative or the generated code. The rest of the sum runs over
the values of j whose every entry of α is free.
"""

from __future__ import annotations

import sympy

from symgd.errors import UnsupportedError


def boundary_limits(expr, vectors: dict):
    """``expr`` with every sum that reaches a boundary entry split, and those entries taken as limits.

    Args:
        expr: index form (a SymPy scalar over ``Indexed`` entries and ``Sum``s).
        vectors: IndexedBase -> (its last free position, {boundary position: +1 or -1 for ±∞}); the first
            free position is 1.

    Raises:
        UnsupportedError: an entry outside the free positions that is not a boundary entry, a shift symgd
            cannot compare with the boundaries, or a limit that is not a finite expression.
    """
    if not vectors:
        return expr
    return _Limits(vectors).rewrite(expr)


class _Limits:
    def __init__(self, vectors: dict) -> None:
        self.vectors = vectors

    def rewrite(self, expr):
        if isinstance(expr, sympy.Sum):
            body = self.rewrite(expr.function)
            for index, low, high in expr.limits:   # the innermost limit first
                body = self.split(body, index, low, high)
            return body
        if isinstance(expr, sympy.Indexed):
            if expr.base in self.vectors:
                self.check_free(expr)
            return expr
        if not expr.args or isinstance(expr, (sympy.Symbol, sympy.IndexedBase)):
            return expr
        return expr.func(*(self.rewrite(arg) for arg in expr.args))

    def entries(self, expr) -> list:
        return [e for e in expr.atoms(sympy.Indexed) if e.base in self.vectors]

    def check_free(self, entry) -> None:
        """An entry no sum moves any more (a term taken out, or written with a number) must be free."""
        (position,) = entry.indices
        last, boundary = self.vectors[entry.base]
        if position.free_symbols - last.free_symbols:
            return   # moved by an outer sum: split there
        inside = position in (1, last) or (sympy.simplify(position - 1).is_nonnegative
                                            and sympy.simplify(last - position).is_nonnegative)
        if position in boundary or not inside:   # the first and the last free entries exist: the vector has one
            raise UnsupportedError(f"the entry {entry} of {entry.base} outside its free entries 1 to {last} "
                                   f"(boundary entries given: {', '.join(map(str, boundary))})")

    def split(self, body, index, low, high):
        """Σ_{index=low}^{high} body: the values of the index at either end whose terms reach a boundary entry
        are taken out (each with its limits), the sum keeps the rest."""
        shifts = set()
        for entry in self.entries(body):
            (position,) = entry.indices
            if index not in position.free_symbols:
                continue
            shift = sympy.expand(position - index)
            if shift.free_symbols:
                raise UnsupportedError(f"the entry {entry} of {entry.base} in the sum over {index}: symgd reads "
                                       f"boundary entries beside subscripts {index} + a whole number")
            shifts.add((entry.base, int(shift)))
        if not shifts:
            return sympy.Sum(body, (index, low, high))
        below = max([0] + [1 - _whole(low + s, f"the sum over {index} from {low}") for _, s in shifts])
        above = max([0] + [_whole(high + s - self.vectors[base][0], f"the sum over {index} up to {high}")
                           for base, s in shifts])
        ends = [low + k for k in range(below)] + [high - k for k in reversed(range(above))]
        terms = [self.limit(body.subs(index, value)) for value in ends]
        return sympy.Add(sympy.Sum(body, (index, low + below, high - above)), *terms)

    def limit(self, term):
        """The term with its boundary entries replaced by their limits (one entry at a time, exactly)."""
        for entry in sorted(self.entries(term), key=str):
            (position,) = entry.indices
            boundary = self.vectors[entry.base][1]
            if position in boundary:
                term = _limit(term, entry, sympy.oo * boundary[position])
        return self.rewrite(term)   # the free entries left, and the sums inside the term


def _whole(value, what: str) -> int:
    value = sympy.expand(value)
    if not value.is_Integer:
        raise UnsupportedError(f"{what}: symgd cannot tell where it meets the boundary entries of the vector "
                               "(write its range with the same dimension as the boundary entry)")
    return int(value)


def _limit(term, entry, to):
    """lim_{entry -> to} term: every part of the term that does not hold the entry stands for a generic real
    number while SymPy takes the limit, so that sums and other entries do not reach the limit algorithm."""
    variable = sympy.Dummy("t", real=True)
    parts: dict = {}   # a part, keyed by its form with canonical bound indices -> (the part, its Dummy)

    def generic(expr):
        if expr == entry:
            return variable
        if not expr.has(entry):
            if expr.is_number:
                return expr
            return parts.setdefault(_canonical(expr), (expr, sympy.Dummy(f"a{len(parts)}", real=True)))[1]
        return expr.func(*(generic(arg) for arg in expr.args))

    value = sympy.limit(generic(term).rewrite(sympy.exp), variable, to)   # σ, softplus in exponentials
    if value.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan, sympy.AccumBounds, sympy.Limit):
        raise UnsupportedError(f"the limit of {term} as {entry} \\to {to}: not a finite expression")
    return value.xreplace({dummy: part for part, dummy in parts.values()})


def _canonical(expr, depth: int = 0):
    """``expr`` with the indices its sums bind renamed by depth: Σ_k β_k x_ik and Σ_l β_l x_il are one part."""
    if isinstance(expr, sympy.Sum):
        names = {limit[0]: sympy.Symbol(f"_bound{depth + n}", integer=True) for n, limit in enumerate(expr.limits)}
        return sympy.Sum(_canonical(expr.function.xreplace(names), depth + len(names)),
                         *((names[index], low, high) for index, low, high in expr.limits))
    if not expr.args or isinstance(expr, (sympy.Symbol, sympy.IndexedBase)):
        return expr
    return expr.func(*(_canonical(arg, depth) for arg in expr.args))
