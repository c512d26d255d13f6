"""Numerically stable spellings, as rewrites of the index form before code is emitted.

``log σ(u)`` -> ``-softplus(-u)``, ``log(1 - σ(u))`` -> ``-softplus(u)``, ``1 - σ(u)`` -> ``σ(-u)``,
``log(1 + exp(u))`` -> ``softplus(u)``, ``log(1 + u)`` -> ``log1p(u)``, ``exp(u) - 1`` -> ``expm1(u)``,
``log Σ_j exp(b_j)`` -> ``logsumexp(b, j)`` and ``exp(a_k) / Σ_j exp(b_j)`` -> ``softmax(a, k)``; the
module helpers they map to subtract the maximum, so scores of ±1000 give finite values.
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p

from symgd.derive.calculus import absorb_signs, rebuild
from symgd.functions import sigmoid, softplus


class logsumexp(sympy.Function):
    """log Σ_index exp(argument), over the axis of ``index`` (args: argument, index)."""


class softmax(sympy.Function):
    """exp(argument) / Σ_index exp(argument), an array along ``index`` (args: argument, index)."""


def stabilise(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite ``expr`` into its numerically stable spellings (bottom-up, to a fixed point)."""
    previous = None
    while previous != expr:
        previous = expr
        expr = _rewrite(expr)
    return _orient_differences(absorb_signs(expr))


def _orient_differences(expr):
    """Give every difference inside a product or an even power one orientation (R - UV^T and
    UV^T - R become the same array), so the loss and the gradient share it in code."""
    expr = rebuild(expr, _orient_differences)
    if isinstance(expr, sympy.Pow) and isinstance(expr.base, sympy.Add) and expr.exp.is_even:
        if _flip(expr.base):
            return sympy.Pow(-expr.base, expr.exp, evaluate=False)
    if isinstance(expr, sympy.Mul):
        factors = list(expr.args)
        flips = 0
        for position, factor in enumerate(factors):
            if isinstance(factor, sympy.Add) and _flip(factor):
                factors[position] = sympy.Add(*(-t for t in factor.args), evaluate=False)
                flips += 1
        if flips:
            return sympy.Mul((-1) ** flips, *factors, evaluate=False)
    return expr


def _flip(difference: sympy.Add) -> bool:
    """Should this difference be written negated? Prefer the computed term (a sum, X @ w) positive,
    so the array NumPy computes comes first and is reused in place (X @ w - y, not y - X @ w); then
    more positive terms; ties by SymPy's canonical sign, so a and -a always get one orientation."""
    def score(terms):
        sums = sum(1 for t in terms if isinstance(t, sympy.Sum))
        return sums, sum(1 for t in terms if not t.could_extract_minus_sign())

    terms = sympy.Add.make_args(difference)
    as_is = score(terms)
    negated = score(tuple(-t for t in terms))
    if as_is != negated:
        return negated > as_is
    return difference.could_extract_minus_sign()


def _rewrite(expr):
    expr = rebuild(expr, _rewrite)
    if isinstance(expr, sympy.log):
        return _log(expr.args[0])
    if isinstance(expr, sympy.Add):
        return _add(expr)
    if isinstance(expr, sympy.Mul):
        return _softmax(expr)
    if isinstance(expr, sympy.Sum) and isinstance(expr.args[0], sympy.Mul):
        coefficient, rest = expr.args[0].as_coeff_Mul()
        if coefficient != 1:   # Σ(-x_i w) = -Σ x_i w: the same sum as elsewhere, shared in code
            return coefficient * sympy.Sum(rest, *expr.args[1:])
    return expr


def _log(u):
    if isinstance(u, sympy.exp):
        return u.args[0]
    if isinstance(u, softmax):   # log softmax(a)_k = a_k - logsumexp(a)
        argument, index = u.args
        return argument - logsumexp(argument, index)
    if isinstance(u, sigmoid):
        return -softplus(-u.args[0])
    if isinstance(u, sympy.Mul) and all(_positive(f) for f in u.args):
        return sympy.Add(*(_log(f) for f in u.args))
    if isinstance(u, sympy.Pow) and _positive(u.base):
        return u.exp * _log(u.base)
    if isinstance(u, sympy.Sum) and len(u.args) == 2 and isinstance(u.args[0], sympy.exp):
        (body, (index, _, _)) = u.args
        return logsumexp(body.args[0], index)
    if isinstance(u, sympy.Add) and sympy.Integer(1) in u.args:
        rest = u - 1
        if isinstance(rest, sympy.exp):
            return softplus(rest.args[0])
        if isinstance(rest, sympy.Mul) and rest.could_extract_minus_sign() and isinstance(-rest, sigmoid):
            return -softplus((-rest).args[0])
        return log1p(rest)
    return sympy.log(u)


def _add(expr):
    terms = list(expr.args)
    if sympy.Integer(1) in terms:
        rest = expr - 1
        if rest.could_extract_minus_sign() and isinstance(-rest, sigmoid):
            return sigmoid(-(-rest).args[0])   # 1 - σ(u) = σ(-u)
    if sympy.Integer(-1) in terms:
        rest = expr + 1
        if isinstance(rest, sympy.exp):
            return expm1(rest.args[0])
    return expr


def _softmax(expr):
    """exp(a_k) * (Σ_j exp(b_j))^-1 with b_j = a_j  ->  softmax(a, k)."""
    factors = list(expr.args)
    for position, factor in enumerate(factors):
        if not (isinstance(factor, sympy.Pow) and factor.exp == -1 and isinstance(factor.base, sympy.Sum)):
            continue
        total = factor.base
        if len(total.args) != 2 or not isinstance(total.args[0], sympy.exp):
            continue
        body, (index, _, _) = total.args[0].args[0], total.args[1]
        for other_position, other in enumerate(factors):
            if not isinstance(other, sympy.exp):
                continue
            free = other.args[0].free_symbols - body.free_symbols
            for candidate in free:
                if body.xreplace({index: candidate}) == other.args[0]:
                    rest = [f for n, f in enumerate(factors) if n not in (position, other_position)]
                    return sympy.Mul(*rest) * softmax(other.args[0], candidate)
    return expr


def _positive(factor) -> bool:
    if isinstance(factor, sympy.exp):
        return True
    if isinstance(factor, sympy.Pow) and isinstance(factor.base, sympy.Sum):
        body = factor.base.args[0]
        return isinstance(body, sympy.exp)
    if isinstance(factor, sympy.Sum):
        return isinstance(factor.args[0], sympy.exp)
    return False
