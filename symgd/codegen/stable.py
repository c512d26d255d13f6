"""Stable spellings of the reductions, as rewrites of the index form before lifting.

Sums of exponentials need the index patterns of the index form; everything elementwise
(``log σ``, ``1 - σ``, ``log(1 + e^u)``, ``log1p``, ``expm1``) is the tensor pass
``symgd.tensor.passes.stable``, which also sees what differentiation brings back.

* ``log Σ_j exp(b_j)`` -> ``logsumexp(b, j)``;
* normalisation by the partition function: for each ``Z = Σ_j exp(b_j)``, every ``exp(q b_t)``
  (q a positive integer) becomes ``(softmax(b, t) Z)^q``, factors of Z move out of the sums they do
  not vary in, and powers of Z cancel. The rewrite is kept when Z is gone, so a softmax
  cross-entropy gradient reads ``softmax - Y`` and a Brier score's Hessian ``Σ_p c_p softmax_p^2``,
  finite at any score; ``log softmax(a)_k`` -> ``a_k - logsumexp(a)``;
* numeric factors move out of sums (``Σ(-x_i w) = -Σ x_i w``), so equal sums are shared, and
  differences get one orientation (``R - UV^T`` and ``UV^T - R`` are one array).

The module helpers ``logsumexp`` and ``softmax`` subtract the maximum, so scores of ±1000 give
finite values.
"""

from __future__ import annotations

import sympy

from symgd.derive.calculus import absorb_signs, rebuild


class logsumexp(sympy.Function):
    """log Σ_index exp(argument), over the axis of ``index`` (args: argument, index)."""


class softmax(sympy.Function):
    """exp(argument) / Σ_index exp(argument), an array along ``index`` (args: argument, index)."""


class _partition(sympy.Function):
    """A placeholder for one Σ_j exp(b_j) while it is normalised away (args: its free indices)."""


def stabilise(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite ``expr`` into its numerically stable spellings."""
    expr = _rewrite(expr)
    for total in sorted(_partition_sums(expr), key=sympy.default_sort_key):
        expr = _normalise(expr, total)
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
    if isinstance(expr, sympy.Sum) and isinstance(expr.args[0], sympy.Mul):
        coefficient, rest = expr.args[0].as_coeff_Mul()
        if coefficient != 1:   # Σ(-x_i w) = -Σ x_i w: the same sum as elsewhere, shared in code
            return coefficient * sympy.Sum(rest, *expr.args[1:])
    return expr


def _log(u):
    if isinstance(u, softmax):   # log softmax(a)_k = a_k - logsumexp(a)
        argument, index = u.args
        return argument - logsumexp(argument, index)
    if _is_partition_sum(u):
        (body, (index, _, _)) = u.args
        return logsumexp(body.args[0], index)
    return sympy.log(u)


# -- normalisation by the partition function ------------------------------------------------------

def _is_partition_sum(expr) -> bool:
    return isinstance(expr, sympy.Sum) and len(expr.args) == 2 and isinstance(expr.args[0], sympy.exp)


def _partition_sums(expr) -> set:
    return {s for s in expr.atoms(sympy.Sum) if _is_partition_sum(s)}


def _normalise(expr, total: sympy.Sum):
    """``expr`` with the exponentials of ``total`` = Σ_j exp(b_j) divided by it (see the module
    docstring); ``expr`` unchanged when ``total`` does not cancel."""
    (exponential, (index, _, _)) = total.args
    body = exponential.args[0]
    # its free indices (SymPy lists entries such as W[i, j] of bound indices among free symbols too)
    others = sorted((s for s in total.free_symbols if isinstance(s, sympy.Symbol)), key=str)
    placeholder = _partition(*others)
    protected = expr.xreplace({total: placeholder})

    def normalised(node):
        node = rebuild(node, normalised)
        if not isinstance(node, sympy.exp):
            return node
        coefficient, rest = node.args[0].as_coeff_Mul()
        if not (coefficient.is_Integer and coefficient > 0):
            return node
        for candidate in sorted(rest.free_symbols | {index}, key=str):
            if body.xreplace({index: candidate}) == rest:
                return (softmax(body.xreplace({index: candidate}), candidate) * placeholder) ** coefficient
        return node

    result = _cancel(normalised(protected), placeholder)
    if result.has(placeholder):
        return expr
    return result


def _cancel(expr, placeholder):
    """Factors of ``placeholder`` out of the sums that do not vary in it, so its powers meet and
    cancel (SymPy multiplies powers of one base)."""
    expr = rebuild(expr, lambda arg: _cancel(arg, placeholder))
    if not (isinstance(expr, sympy.Sum) and expr.has(placeholder)):
        return expr
    body, *limits = expr.args
    indices = {index for index, _, _ in limits}
    body = sympy.factor_terms(body) if isinstance(body, sympy.Add) else body
    inside, outside = [], []
    for factor in sympy.Mul.make_args(body):
        (inside if factor.free_symbols & indices else outside).append(factor)
    if not outside:
        return expr
    return sympy.Mul(*outside) * sympy.Sum(sympy.Mul(*inside), *limits)
