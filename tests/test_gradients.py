"""Every gradient and Hessian of the loss list against central differences at random points.

Sizes: every dimension distinct (n=7, d=3, K=4, ... and a larger set), so a lost transpose cannot
hide in a square matrix. The derived expressions are evaluated entry by entry by the test helper,
independently of the code generator; the matrix forms are evaluated with NumPy and compared too.
"""

import numpy as np
import pytest

import symgd
from helpers import assert_close, block_values, block_values_as_matrix_form, evaluate, numeric_gradient, random_env
from test_loss_list import LOSSES

SMALL = {"n": 7, "d": 3, "K": 4, "m": 5, "k": 2, "p": 6}
LARGE = {"n": 23, "d": 11, "K": 5, "m": 9, "k": 4, "p": 8}
MEDIUM = {"n": 9, "d": 5, "K": 3, "m": 6, "k": 4, "p": 7}

IDS = [row[0] for row in LOSSES]


def _problem(name):
    row = next(r for r in LOSSES if r[0] == name)
    return symgd.parse(row[1], wrt=row[3])


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("sizes", [SMALL, LARGE], ids=["small", "large"])
def test_gradient_matches_central_differences(name, sizes):
    problem = _problem(name)
    derivation = symgd.gradient(problem)
    env = random_env(problem, seed=3, sizes=sizes)
    for block in derivation.blocks:
        (param,) = block.wrt
        expected = numeric_gradient(problem, problem.objective, param, env)
        assert_close(block_values(block, env, problem), expected, what=f"{name} d/d{param}")


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("sizes", [SMALL, MEDIUM], ids=["small", "medium"])
def test_hessian_matches_differences_of_the_gradient(name, sizes):
    problem = _problem(name)
    gradient = symgd.gradient(problem)
    hessian = symgd.hessian(problem)
    env = random_env(problem, seed=4, sizes=sizes)
    for block in hessian.blocks:
        first, second = block.wrt
        grad_block = gradient.block(str(first.label) if hasattr(first, "label") else str(first))
        values = block_values(block, env, problem)
        first_shape = values.shape[:len(grad_block.shape)]
        for position in np.ndindex(*first_shape) if first_shape else [()]:
            local = {str(i): p + 1 for i, p in zip(grad_block.indices, position)}
            entry = grad_block.expr.xreplace({i: p + 1 for i, p in zip(grad_block.indices, position)})
            expected = numeric_gradient(problem, entry, second, {**env, **local})
            assert_close(values[position], expected, rel=1e-6, what=f"{name} H[{first},{second}]{position}")


@pytest.mark.parametrize("name", IDS)
def test_matrix_form_equals_index_form(name):
    problem = _problem(name)
    for derivation in (symgd.gradient(problem), symgd.hessian(problem)):
        env = random_env(problem, seed=5, sizes=SMALL)
        for block in derivation.blocks:
            assert block.matrix is not None, f"{name} {block.wrt}: index form only ({block.no_matrix})"
            expected = block_values_as_matrix_form(block, env, problem)
            value = np.asarray(block.matrix.evaluate(env), dtype=float)
            assert_close(value.reshape(expected.shape), expected, rel=1e-10, what=f"{name} matrix form")


def test_scalar_objective_value_is_unchanged_by_differentiation_helpers():
    problem = _problem("scalar")
    assert evaluate(symgd.gradient(problem).expr, {"theta": 5.0}) == 4.0
