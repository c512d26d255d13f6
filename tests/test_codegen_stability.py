"""Generated code stays finite wherever the loss is: loss, grad, value_and_grad and hess of every
loss of the loss list, and of the logistic and softmax losses in each equivalent spelling, at scores
of ±1000; at moderate scores the same functions agree with the index form and central differences
(a stable rewrite that changed a value would show there)."""

import math

import numpy as np
import pytest

import symgd
from helpers import assert_close, numeric_gradient, objective_value, random_env
from test_loss_list import LOSSES

SPELLINGS = {
    "log sigma": r"L(w) = -\sum_{i=1}^{n}\log\sigma(y_i x_i^\top w)",
    "log(1 + e^-u)": r"L(w) = \sum_{i=1}^{n}\log(1 + e^{-y_i x_i^\top w})",
    "-log(1 + e^-u)": r"L(w) = -\sum_{i=1}^{n}-\log(1 + \exp(-y_i x_i^\top w))",
    "softplus": r"L(w) = \sum_{i=1}^{n}\operatorname{softplus}(-y_i x_i^\top w)",
    "1/(1+e^-u)": r"L(w) = -\sum_{i=1}^{n}\log\frac{1}{1 + e^{-y_i x_i^\top w}}",
    "log(1 + e^u)": r"L(w) = \sum_{i=1}^{n}\left(\log(1 + e^{x_i^\top w}) - y_i x_i^\top w\right)",
    "cross-entropy": "L(w) = " + LOSSES[3][1],
    "cross-entropy 1/(1+e^-u)": r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\frac{1}{1 + e^{-w^\top x_i}} + (1-y_i)"
                                r"\log\left(1 - \frac{1}{1 + e^{-w^\top x_i}}\right)\right]",
    "softplus - yu": r"L(w) = \sum_{i=1}^{n}\left(\operatorname{softplus}(x_i^\top w) - y_i x_i^\top w\right)",
    "squared sigma": r"L(w) = \sum_{i=1}^{n}\left(y_i - \sigma(w^\top x_i)\right)^2",
    "squared 1/(1+e^-u)": r"L(w) = \sum_{i=1}^{n}\left(y_i - \frac{1}{1 + e^{-w^\top x_i}}\right)^2",
    "squared e^u/(1+e^u)": r"L(w) = \sum_{i=1}^{n}\left(y_i - \frac{e^{w^\top x_i}}{1 + e^{w^\top x_i}}\right)^2",
}
# The softmax cross-entropy and a Brier score, with log-sum-exp and softmax spelled out or named.
SOFTMAX_SPELLINGS = {
    "log-sum-exp spelled": r"L(W) = \sum_{i=1}^{n}\left(\log\sum_{k=1}^{K}\exp(w_k^\top x_i) - "
                           r"\sum_{k=1}^{K} Y_{ik} w_k^\top x_i\right)",
    "logsumexp": r"L(W) = \sum_{i=1}^{n}\left(\operatorname{logsumexp}(W x_i) - \sum_{k=1}^{K} Y_{ik} w_k^\top x_i\right)",
    "softmax e^": r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{e^{w_k^\top x_i}}{\sum_{j=1}^{K}e^{w_j^\top x_i}}",
    "softmax named": r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\operatorname{softmax}(W x_i)_k",
    "softmax Brier": r"L(W) = \sum_{i=1}^{n}\sum_{k=1}^{K}\left(Y_{ik} - "
                     r"\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}\right)^2",
}
SPELLINGS.update(SOFTMAX_SPELLINGS)
# With an intercept as a parameter of its own: its derivative is one contraction Σ_i e^{u_i} σ(-u_i) y_i
# that the stable pass read only inside elementwise products (NaN at u = 1000).
INTERCEPT_SPELLINGS = {
    "intercept log(1 + e^-u)": r"L(w, b) = \sum_{i=1}^{n}\log(1 + e^{-y_i(x_i^\top w + b)}) + \lambda\|w\|^2",
    "intercept cross-entropy": r"L(w, b) = -\sum_{i=1}^{n}\left[y_i\log\sigma(x_i^\top w + b) + (1 - y_i)"
                               r"\log(1 - \sigma(x_i^\top w + b))\right]",
}
CASES = [(row[0], row[1], row[3]) for row in LOSSES if row[0] != "constrained"] + \
    [(name, source, None) for name, source in {**SPELLINGS, **INTERCEPT_SPELLINGS}.items()]


def _arguments(problem, seed):
    values = random_env(problem, seed=seed, sizes={"n": 6, "d": 3, "K": 4, "k": 2, "p": 5})
    return {problem.argnames[s]: values[str(getattr(s, "label", s))]
            for s in (*problem.params, *problem.data, *problem.constants)}


def _scaled(problem, kwargs, size):
    """Parameters scaled so that the largest score has absolute value ``size``."""
    out = dict(kwargs)
    for param in problem.params:
        name = problem.argnames[param]
        value = np.asarray(kwargs[name], dtype=float)
        out[name] = value * size / max(np.max(np.abs(value)), 1e-12) if value.shape else \
            math.copysign(size, float(value) or 1.0)
    return out


def _finite(value):
    parts = value if isinstance(value, tuple) else (value,)
    return all(_finite(p) if isinstance(p, tuple) else bool(np.all(np.isfinite(p))) for p in parts)


@pytest.mark.parametrize("name, source, wrt", CASES, ids=[c[0] for c in CASES])
def test_generated_functions_are_finite_where_the_loss_is(name, source, wrt):
    problem = symgd.parse(source, wrt=wrt)
    module = symgd.codegen(problem, hessian=True).load()
    checked = 0
    for seed in range(3):
        for size in (1000.0, -1000.0):
            kwargs = _scaled(problem, _arguments(problem, seed), size)
            with np.errstate(all="ignore"):
                try:
                    value = module.loss(**kwargs)
                except ValueError:   # outside the domain, said clearly (log det of a matrix with det <= 0)
                    continue
                if not math.isfinite(value):
                    continue
                checked += 1
                assert _finite(module.grad(**kwargs)), f"{name}: grad at scale {size}"
                both = module.value_and_grad(**kwargs)
                assert math.isfinite(both[0]) and _finite(both[1]), f"{name}: value_and_grad at scale {size}"
                assert _finite(module.hess(**kwargs)), f"{name}: hess at scale {size}"
    if name in SPELLINGS or name in INTERCEPT_SPELLINGS:
        assert checked == 6   # these losses are finite at every score


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_stable_spellings_keep_the_values(name):
    problem = symgd.parse(SPELLINGS[name])
    module = symgd.codegen(problem, hessian=True).load()
    values = random_env(problem, seed=1, sizes={"n": 6, "d": 3, "K": 4})
    kwargs = _arguments(problem, 1)
    (param,) = problem.params
    assert math.isclose(module.loss(**kwargs), objective_value(problem, values), rel_tol=1e-9)
    expected = numeric_gradient(problem, problem.objective, param, values)
    assert_close(module.grad(**kwargs), expected, rel=1e-6, what=f"{name}: grad")
    value, gradient = module.value_and_grad(**kwargs)
    assert_close(gradient, expected, rel=1e-6, what=f"{name}: value_and_grad")
    size = int(np.size(expected))
    hessian = np.reshape(module.hess(**kwargs), (size, size))
    step = 1e-5
    for position in range(size):   # each Hessian column: central differences of the generated gradient
        moved = []
        for sign in (1, -1):
            point = np.array(kwargs[problem.argnames[param]], dtype=float)
            point.flat[position] += sign * step
            moved.append(np.ravel(module.grad(**{**kwargs, problem.argnames[param]: point})))
        assert_close(hessian[:, position], (moved[0] - moved[1]) / (2 * step), rel=1e-5,
                     what=f"{name}: hess column {position}")
