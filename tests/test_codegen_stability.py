"""Generated code stays finite wherever the loss is: loss, grad, value_and_grad and hess of every
loss of the loss list, and of the logistic loss in each equivalent spelling, at scores of ±1000."""

import math

import numpy as np
import pytest

import symgd
from helpers import random_env
from test_loss_list import LOSSES

SPELLINGS = {
    "log sigma": r"L(w) = -\sum_{i=1}^{n}\log\sigma(y_i x_i^\top w)",
    "log(1 + e^-u)": r"L(w) = \sum_{i=1}^{n}\log(1 + e^{-y_i x_i^\top w})",
    "-log(1 + e^-u)": r"L(w) = -\sum_{i=1}^{n}-\log(1 + \exp(-y_i x_i^\top w))",
    "softplus": r"L(w) = \sum_{i=1}^{n}\operatorname{softplus}(-y_i x_i^\top w)",
    "1/(1+e^-u)": r"L(w) = -\sum_{i=1}^{n}\log\frac{1}{1 + e^{-y_i x_i^\top w}}",
    "log(1 + e^u)": r"L(w) = \sum_{i=1}^{n}\left(\log(1 + e^{x_i^\top w}) - y_i x_i^\top w\right)",
    "cross-entropy": "L(w) = " + LOSSES[3][1],
}
CASES = [(row[0], row[1], row[3]) for row in LOSSES if row[0] != "constrained"] + \
    [(name, source, None) for name, source in SPELLINGS.items()]


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
    module = symgd.codegen(problem).load()
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
                if hasattr(module, "hess"):
                    assert _finite(module.hess(**kwargs)), f"{name}: hess at scale {size}"
    if name in SPELLINGS:
        assert checked == 6   # the logistic loss is finite at every score
