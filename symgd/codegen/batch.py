"""The loss of a mini-batch as an estimate of the whole problem's loss, for ``fit(batch_size=...)``.

On a batch of b of the N samples the generated functions read n = b from the arrays' shapes, so a mean
over the samples, ``(1/n) Σ_i``, is already an unbiased estimate of the whole mean; but a plain sum
``Σ_i`` estimates only b/N of the whole sum. When every term of the loss scales alike (a mean and
terms free of the samples, or sums alone) the batch's loss has the minimiser of the whole loss. When
they do not (``½||Xw - y||² + λ||w||²``: a sum beside a regulariser), SGD on the batch's own loss
minimises ``(b/N) ½||Xw - y||² + λ||w||²``, another problem. Then ``fit`` evaluates
``_batch_value_and_grad``: the loss with every sum over the samples times N/n and every other n
replaced by N (its last argument, the whole sample count), whose expectation over batches is the
whole loss. The same rewriting applied to the gradient's index form gives its gradient: it commutes
with differentiation (sums over the samples and the symbol n only change by constant factors).
"""

from __future__ import annotations

import dataclasses

import sympy

from symgd.problem import Problem, SymbolDict

WHOLE_NAME = "samples"   # the argument holding the whole sample count (renamed apart from the user's names)


class NotSampleSums(Exception):
    """The samples enter otherwise than through sums over them (a matrix of them: ``||Y - XB||_*``)."""


def over_whole_data(expr: sympy.Expr, samples: sympy.Symbol, whole: sympy.Symbol) -> sympy.Expr:
    """``expr`` with every sum over a range of length ``samples`` times ``whole / samples`` (of length
    L(n): L(N) / L(n)) and every other ``samples`` (outside the sums' ranges and array shapes) replaced
    by ``whole``. Raises
    NotSampleSums where the samples are in anything but sums, products, powers and functions of
    expressions (a matrix or an array given by its entries: no sum over the samples to scale)."""
    if isinstance(expr, (sympy.Indexed, sympy.IndexedBase)):
        return expr
    if expr == samples:
        return whole
    if isinstance(expr, sympy.Sum):
        factor = sympy.S.One
        for _, lower, upper in expr.limits:
            length = upper - lower + 1   # n, or n - 1 (differences of neighbours): its whole count over the batch's
            if samples in length.free_symbols:
                factor *= length.subs(samples, whole) / length
        return factor * sympy.Sum(over_whole_data(expr.function, samples, whole), *expr.limits)
    if not expr.args:
        return expr
    if not isinstance(expr, (sympy.Add, sympy.Mul, sympy.Pow, sympy.Function)) or \
            not all(isinstance(arg, sympy.Expr) for arg in expr.args):
        if samples in expr.free_symbols:
            raise NotSampleSums(str(expr))
        return expr
    return expr.func(*[over_whole_data(arg, samples, whole) for arg in expr.args])


def needs_estimate(objective: sympy.Expr, samples: sympy.Symbol, whole: sympy.Symbol) -> bool:
    """True when the terms of the loss do not all scale alike on a batch (some unchanged, some by N/n):
    then the batch's own loss has another minimiser than the whole loss."""
    scales = set()
    for term in sympy.Add.make_args(objective):
        estimate = over_whole_data(term, samples, whole)
        if estimate == term:
            scales.add(1)
        elif estimate == sympy.Mul(whole / samples, term):   # SymPy's Mul flattens both alike
            scales.add(2)
        else:
            return True
    return len(scales) > 1


def batch_problem(problem: Problem, gradient, samples: sympy.Symbol, whole_loss: sympy.Expr | None = None):
    """(the problem whose objective is the batch's estimate of the whole loss, with the whole sample
    count a constant after the others, and its gradient from the given one), or None when the batch's
    own loss has the whole loss's minimiser. ``whole_loss`` decides that when the problem's objective is
    a part of it (the smooth part of a prox loss, beside its l1 term)."""
    whole = sympy.Symbol("_whole_samples", positive=True, integer=True)
    try:
        if not needs_estimate(problem.objective if whole_loss is None else whole_loss, samples, whole):
            return None
        objective = over_whole_data(problem.objective, samples, whole)
        blocks = tuple(dataclasses.replace(block, expr=over_whole_data(block.expr, samples, whole))
                       for block in gradient.blocks)
    except NotSampleSums:
        return None   # a batch's own loss, as before: no estimate of the whole loss to write
    shapes, roles, argnames = SymbolDict(problem.shapes), SymbolDict(problem.roles), SymbolDict(problem.argnames)
    shapes[whole], roles[whole], argnames[whole] = (), "constant", WHOLE_NAME
    estimate = dataclasses.replace(problem, objective=objective, constants=(*problem.constants, whole),
                                   shapes=shapes, roles=roles, argnames=argnames)
    return estimate, dataclasses.replace(gradient, problem=estimate, blocks=blocks)
