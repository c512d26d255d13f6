"""Generated NumPy modules: values against the symbolic derivation and central differences."""

import math

import numpy as np
import pytest

import symgd
from symgd.codegen import generate
from helpers import assert_close, block_values, random_env
from test_loss_list import LOSSES

IDS = [row[0] for row in LOSSES if row[0] != "constrained"]
SIZES = [{"n": 7, "d": 3, "K": 4, "k": 2, "p": 5}, {"n": 1, "d": 4, "K": 3, "k": 3, "p": 2}]


def _setup(name, optimizer="gd"):
    row = next(r for r in LOSSES if r[0] == name)
    problem = symgd.parse(row[1], wrt=row[3])
    return problem, generate(problem, optimizer=optimizer, hessian=True).load()


def _kwargs(problem, env):
    return {problem.argnames[s]: env[str(getattr(s, "label", s))] for s in (*problem.params, *problem.data,
                                                                         *problem.constants)}


def _as_tuple(value, count):
    return value if count > 1 else (value,)


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("sizes", SIZES, ids=["n7", "n1"])
def test_generated_functions_match_the_derivation(name, sizes):
    problem, module = _setup(name)
    env = random_env(problem, seed=11, sizes=sizes)
    kwargs = _kwargs(problem, env)
    gradient = symgd.gradient(problem)
    value = module.loss(**kwargs)
    assert isinstance(value, float)
    from helpers import evaluate
    assert math.isclose(value, evaluate(problem.objective, env), rel_tol=1e-9, abs_tol=1e-12)
    grads = _as_tuple(module.grad(**kwargs), len(problem.params))
    for block, got in zip(gradient.blocks, grads):
        assert_close(got, block_values(block, env, problem), rel=1e-9, what=f"{name} grad")
    both = module.value_and_grad(**kwargs)
    assert math.isclose(both[0], value, rel_tol=1e-12)
    for got, expected in zip(_as_tuple(both[1], len(problem.params)), grads):
        assert_close(got, expected, rel=1e-12, what="value_and_grad")
    hessian = symgd.hessian(problem)   # every loss of the list has a generated Hessian
    count = len(problem.params)
    blocks = module.hess(**kwargs)
    for position, block in enumerate(hessian.blocks):
        got = blocks if count == 1 else blocks[position // count][position % count]
        assert_close(got, block_values(block, env, problem), rel=1e-9, what=f"{name} hess")


@pytest.mark.parametrize("name", IDS)
def test_generated_gradient_matches_central_differences_of_generated_loss(name):
    problem, module = _setup(name)
    env = random_env(problem, seed=12, sizes=SIZES[0])
    kwargs = _kwargs(problem, env)
    grads = _as_tuple(module.grad(**kwargs), len(problem.params))
    for param, got in zip(problem.params, grads):
        key = problem.argnames[param]
        value = np.array(kwargs[key], dtype=float)
        numeric = np.zeros(value.shape)
        for position in np.ndindex(*value.shape) if value.shape else [()]:
            h = 1e-6 * max(1.0, abs(float(value[position])))
            plus, minus = value.copy(), value.copy()
            plus[position] += h
            minus[position] -= h
            numeric[position] = (module.loss(**{**kwargs, key: plus if value.shape else float(plus)})
                                 - module.loss(**{**kwargs, key: minus if value.shape else float(minus)})) / (2 * h)
        assert_close(got, numeric, rel=1e-7, what=f"{name} d/d{key}")
