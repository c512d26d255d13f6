"""Differentiation in index form, with symgd owning the index bookkeeping.

SymPy does the scalar calculus (product and chain rules, ``fdiff`` of each primitive); symgd then
contracts the Kronecker deltas that ``∂w_j/∂w_k = δ_jk`` leaves inside sums, using the declared
ranges, so no ``Piecewise`` bound conditions ever appear; renames bound indices canonically, and
tidies the result into the shortest of a few textbook forms.
"""

from __future__ import annotations

import functools
import inspect

import sympy
from sympy.concrete import expr_with_limits
from sympy.concrete.expr_with_limits import ExprWithLimits

from symgd.errors import UnsupportedError


def _memoise_free_symbols_of_sums() -> None:
    """Make ``Sum.free_symbols`` a memoised property (SymPy recomputes it on every call).

    SymPy asks for the free symbols of a sum all the time (``is_number`` inside every assumption
    query, ``as_independent``, ``factor_terms``), and each answer walks the whole body and rebuilds
    it with the bound indices masked. In a deep composition the sums nest one level per layer and
    every level asks again, so the cost grew with the square of the depth: about half the time of
    deriving a five-layer network. An expression is immutable, so its free symbols are a function
    of its value; the cache returns a fresh set each time because callers (SymPy's own code among
    them) modify the set they get.
    """
    compute = ExprWithLimits.free_symbols.fget

    @functools.lru_cache(maxsize=1 << 14)
    def remembered(expr) -> frozenset:
        return frozenset(compute(expr))

    ExprWithLimits.free_symbols = property(lambda self: set(remembered(self)), doc=compute.__doc__)
    _MEMOS.append(remembered)


def _build_sums_without_rescanning() -> None:
    """Build a ``Sum`` (any ``ExprWithLimits``) without walking its whole body when it holds no Piecewise.

    SymPy's constructor looks for Piecewise in the body on every call (``atoms(Piecewise)``, then
    ``piecewise_fold``'s ``has``: two walks of the whole body) in order to fold them out of the sum.
    Index form has none, and symgd rebuilds sums at every step (differentiation, delta contraction,
    canonical names, tidying), so in nested sums the walks grew with the square of the depth. Whether
    an expression holds a Piecewise is memoised per expression (a new node asks only its new operands),
    and without one the constructor returns what SymPy's would: the body as it is, the limits as SymPy
    processes them, nested sums of one kind merged. Anything else (a Piecewise, a change of variables,
    no limits, an equation) goes to SymPy's own. Left alone if SymPy's constructor is not the one expected.
    """
    module = expr_with_limits
    original = getattr(module, "_common_new", None)
    try:
        parameters = list(inspect.signature(original).parameters)
    except (TypeError, ValueError):
        return
    if parameters[:2] != ["cls", "function"] or "discrete" not in parameters or not hasattr(module, "_process_limits"):
        return

    def common_new(cls, function, *symbols, discrete, **assumptions):
        function = sympy.sympify(function)   # safe: a SymPy object symgd built (as SymPy's own constructor does)
        if not symbols or function is sympy.S.NaN or isinstance(function, sympy.Equality) \
                or _has_piecewise(function):
            return original(cls, function, *symbols, discrete=discrete, **assumptions)
        limits, orientation = module._process_limits(*symbols, discrete=discrete)
        if any(len(limit) == 4 for limit in limits):   # a Range to change variables in
            return original(cls, function, *symbols, discrete=discrete, **assumptions)
        while type(function) is cls:   # SymPy: cls == type(function)
            limits = list(function.limits) + limits
            function = function.function
        return function, limits, orientation

    module._common_new = common_new


@functools.lru_cache(maxsize=1 << 14)
def _has_piecewise(expr) -> bool:
    return isinstance(expr, sympy.Piecewise) or any(_has_piecewise(arg) for arg in getattr(expr, "args", ()))


_MEMOS: list = [_has_piecewise]   # every memo of this module, for clear_memos


def clear_memos() -> None:
    """Forget every memoised result (for measurements: a problem derived as if for the first time)."""
    for memo in _MEMOS:
        memo.cache_clear()


_memoise_free_symbols_of_sums()
_build_sums_without_rescanning()


def differentiate(expr: sympy.Expr, target) -> sympy.Expr:
    """∂expr/∂target for a scalar Symbol or an entry ``w[k]`` / ``W[k, l]`` with free indices."""
    result = sympy.diff(expr, target)
    special = result.atoms(sympy.DiracDelta, sympy.Derivative, sympy.Subs)   # one walk; usually none
    if not special:
        return result
    # Derivatives of step functions (sign, relu', the hinge's kink) are Dirac deltas supported on the
    # non-smooth set, which the Derivation reports; off that set they are 0, as in PyTorch and JAX.
    result = result.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))
    # SymPy leaves d sign(u) unevaluated where it cannot tell u is real (sign((y_i - x_i^T w)/sigma)): 0 too
    result = result.replace(lambda e: isinstance(e, sympy.Derivative) and isinstance(e.expr, sympy.sign),
                            lambda e: sympy.Integer(0))
    if result.has(sympy.Derivative) or result.has(sympy.Subs):
        leftover = next(iter(result.atoms(sympy.Derivative) or result.atoms(sympy.Subs)))
        raise UnsupportedError(f"the derivative {leftover} has no rule in symgd")
    return result


def rebuild(expr, function):
    """Apply ``function`` to the arguments of ``expr`` and rebuild it (leaves stay as they are)."""
    if not expr.args or isinstance(expr, (sympy.Indexed, sympy.IndexedBase)):
        return expr
    args = [function(arg) for arg in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def contract_deltas(expr: sympy.Expr, ranges: dict) -> sympy.Expr:
    """Remove Kronecker deltas against sums: ``Σ_j δ_jk f(j) = f(k)`` when k ranges like j.

    Args:
        expr: index-form expression.
        ranges: free index symbol -> (lower, upper), e.g. the parameter's indices.
    """
    return _contract(expr, dict(ranges))


def _contract(expr, ranges):
    if isinstance(expr, sympy.KroneckerDelta) and expr.args[0] == expr.args[1]:
        return sympy.Integer(1)
    if isinstance(expr, sympy.Sum):   # Sum(f, inner, ..., outer): SymPy merges nested sums
        body, *limits = expr.args
        scopes = [dict(ranges)]
        for index, lower, upper in reversed(limits):
            scopes.insert(0, {**scopes[0], index: (lower, upper)})
        result = _contract(body, scopes[0])
        for (index, lower, upper), outer in zip(limits, scopes[1:]):
            result = _sum_one(result, index, lower, upper, outer)
        return result
    return rebuild(expr, lambda arg: _contract(arg, ranges))


def _sum_one(body: sympy.Expr, index, lower, upper, ranges: dict) -> sympy.Expr:
    """Σ_{index=lower}^{upper} body, contracting a delta δ(index, m) wherever a term has one."""
    if not body.has(index):
        return body * (upper - lower + 1)
    if not _has_delta_on(body, index):
        return _sum_hoisting(body, index, lower, upper)
    if isinstance(body, sympy.Add):
        return sympy.Add(*(_sum_one(term, index, lower, upper, ranges) for term in body.args))
    distributed = _distribute_over_delta(body, index)
    if distributed is not body:
        return _sum_one(distributed, index, lower, upper, ranges)
    partner = _delta_partner(body, index, lower, upper, ranges)
    if partner is None:
        return _sum_hoisting(body, index, lower, upper)
    delta, other = partner
    rest = sympy.Mul(*[f for f in sympy.Mul.make_args(body) if f is not delta])
    return _contract(rest.xreplace({index: other}), ranges)


def _sum_hoisting(body, index, lower, upper):
    """Σ_j c f(j) = c Σ_j f(j): factors free of j (deltas included) move out of the sum."""
    inside, outside = [], []
    for factor in sympy.Mul.make_args(body):
        (inside if factor.has(index) else outside).append(factor)
    return sympy.Mul(*outside) * sympy.Sum(sympy.Mul(*inside), (index, lower, upper))


def _has_delta_on(expr, index) -> bool:
    return any(index in delta.args for delta in _deltas(expr))


@functools.lru_cache(maxsize=1 << 14)
def _deltas(expr) -> frozenset:
    """``expr.atoms(KroneckerDelta)``, memoised per expression: each summation level asks again
    about the same bodies, and a new node asks only its new operands."""
    if isinstance(expr, sympy.KroneckerDelta):
        return frozenset((expr,))
    found = [_deltas(arg) for arg in getattr(expr, "args", ())]
    return frozenset().union(*found) if any(found) else frozenset()


_MEMOS.append(_deltas)


def _distribute_over_delta(body, index):
    """(a + δ_jm b) c -> a c + δ_jm b c, so the delta becomes a factor of a term."""
    factors = sympy.Mul.make_args(body)
    for position, factor in enumerate(factors):
        if isinstance(factor, sympy.Add) and _has_delta_on(factor, index):
            rest = sympy.Mul(*(factors[:position] + factors[position + 1:]))
            return sympy.Add(*(term * rest for term in factor.args))
        if isinstance(factor, sympy.Sum) and _has_delta_on(factor.args[0], index):
            inner, limit = factor.args[0], factor.args[-1]   # Σ over several limits: the outermost last
            if len(factor.args) > 2:
                inner = sympy.Sum(inner, *factor.args[1:-1])
            hoisted = _sum_hoisting(inner, limit[0], limit[1], limit[2])
            if hoisted != factor:
                rest = sympy.Mul(*(factors[:position] + factors[position + 1:]))
                return hoisted * rest
    return body


def _delta_partner(term, index, lower, upper, ranges):
    """Find a factor δ(index, m) of ``term`` with m ranging exactly like index."""
    for factor in sympy.Mul.make_args(term):
        if isinstance(factor, sympy.KroneckerDelta) and index in factor.args:
            a, b = factor.args
            other = b if a == index else a
            if other != index and ranges.get(other) == (lower, upper):
                return factor, other
    return None


def canonical_indices(expr: sympy.Expr, pool: list[str]) -> sympy.Expr:
    """Rename every bound index by its sum's height (innermost sums take ``pool[0]``).

    Identical sub-expressions then get identical names, so σ(Σ_j w_j x_ij) written twice with
    different bound names becomes one term, and nested sums never share a name. The renaming is
    simultaneous (each occurrence is looked up under its old name), so no new name can capture
    another index, and it is one pass over the tree: a sum deep inside a deep composition is
    rebuilt once, not once per enclosing sum.
    """
    heights: dict = {}
    _sum_heights(expr, heights)
    return _rename_bound(expr, {}, heights, pool, {})


def _sum_heights(expr, heights: dict) -> int:
    """How many levels of sums ``expr`` holds (0 for none), memoised by node in ``heights``."""
    known = heights.get(id(expr))
    if known is not None:
        return known[0]
    if isinstance(expr, sympy.Sum):
        height = _sum_heights(expr.args[0], heights) + len(expr.args) - 1
    else:
        height = max((_sum_heights(arg, heights) for arg in expr.args), default=0)
    heights[id(expr)] = (height, expr)   # the node is kept so that its id stays its own
    return height


def _bound_name(height: int, pool: list[str]) -> sympy.Symbol:
    return sympy.Symbol(pool[height] if height < len(pool) else f"{pool[0]}{height}", integer=True)


def _rename_bound(expr, names: dict, heights: dict, pool: list[str], done: dict):
    """``expr`` with bound indices named by height; ``names`` maps the enclosing sums' indices."""
    if not expr.args:
        return names.get(expr, expr)
    key = id(expr)
    if key in done and done[key][1] is names:
        return done[key][0]
    if isinstance(expr, sympy.Sum):
        body, *limits = expr.args
        height = heights[id(body)][0]
        inner = dict(names)
        scoped = []   # limits innermost first; each one's bounds may use the sums outside it only
        for position, limit in enumerate(limits):
            inner[limit[0]] = _bound_name(height + position, pool)
        for position, (index, lower, upper) in enumerate(limits):
            outside = {**names, **{outer[0]: inner[outer[0]] for outer in limits[position + 1:]}}
            scoped.append((inner[index], _rename_bound(lower, outside, heights, pool, {}),
                           _rename_bound(upper, outside, heights, pool, {})))
        renamed = _rename_bound(body, inner, heights, pool, {})
        unchanged = renamed is body and all(new == tuple(old) for new, old in zip(scoped, limits))
        result = expr if unchanged else sympy.Sum(renamed, *scoped)   # a Sum is costly to build
    else:
        args = [_rename_bound(arg, names, heights, pool, done) for arg in expr.args]
        result = expr.func(*args) if args != list(expr.args) else expr
    done[key] = (result, names)
    return result


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """Textbook form: the shortest of (as is, common factors pulled out, expanded then factored),
    inside every sum; constants move out of sums; -Σ(y - σ)x reads Σ(σ - y)x."""
    return absorb_signs(_tidy(expr))


def absorb_signs(expr):
    """-Σ_i (a - b) c  ->  Σ_i (b - a) c: a minus in front of a sum goes into a difference inside
    (the minus of a negative log-likelihood, too: -Σ(-a - b) -> Σ(a + b))."""
    if isinstance(expr, sympy.Add):
        return sympy.Add(*(absorb_signs(t) for t in expr.args))
    coefficient, rest = expr.as_coeff_Mul()
    if coefficient.is_negative and isinstance(rest, sympy.Sum):
        body, *limits = rest.args
        factors = list(sympy.Mul.make_args(body))
        for position, factor in enumerate(factors):
            if isinstance(factor, sympy.Add):
                factors[position] = sympy.Add(*(-t for t in factor.args))
                return -coefficient * sympy.Sum(sympy.Mul(*factors), *limits)
    return expr


@functools.lru_cache(maxsize=1 << 12)
def _tidy(expr: sympy.Expr) -> sympy.Expr:
    # Memoised: the blocks of a gradient share sub-expressions (every block of a network holds its
    # forward pass, some of it twice), and tidying one is the same work each time; an expression
    # is immutable, so the tidy form is a function of its value.
    if isinstance(expr, sympy.Sum):
        body, *limits = expr.args
        result = _shortest(_tidy(body))
        for index, lower, upper in limits:
            result = _sum_hoisting(result, index, lower, upper)
        return result
    return rebuild(expr, _tidy)


_MEMOS.append(_tidy)


def _shortest(expr: sympy.Expr) -> sympy.Expr:
    candidates = [expr, sympy.factor_terms(expr)]
    expanded = sympy.expand(expr, deep=True, power_exp=False, power_base=False, log=False, multinomial=False)
    candidates.append(sympy.factor_terms(expanded))
    return min(candidates, key=sympy.count_ops)
