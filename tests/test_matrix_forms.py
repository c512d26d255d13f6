"""Every gradient and Hessian block (of rank ≤ 2) of the loss list and the examples has a matrix
form, and its value is the index form's (evaluated entry by entry)."""

from pathlib import Path

import numpy as np
import pytest

import symgd
from helpers import assert_close, block_values, random_env
from symgd.errors import UnsupportedError
from test_loss_list import LOSSES

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.tex"))
CASES = [(row[0], row[1], row[3]) for row in LOSSES if row[0] != "constrained"] + \
    [(path.stem, path.read_text(), None) for path in EXAMPLES]


def _derivations(problem):
    out = [symgd.gradient(problem)]
    try:
        out.append(symgd.hessian(problem))
    except UnsupportedError:
        pass
    return out


@pytest.mark.parametrize("name, source, wrt", CASES, ids=[c[0] for c in CASES])
def test_every_block_has_a_matrix_form_with_the_right_value(name, source, wrt):
    try:
        problem = symgd.parse(source, wrt=wrt)
    except symgd.SymgdError as error:
        pytest.skip(f"{name}: {error}")
    if problem.constraints or problem.objective is None:
        pytest.skip(f"{name}: not an unconstrained loss")
    env = random_env(problem, seed=7, sizes={"n": 7, "d": 3, "K": 4, "k": 2, "p": 5, "m": 6})
    for derivation in _derivations(problem):
        for block in derivation.blocks:
            if len(block.indices) > 2:
                continue
            assert block.matrix is not None, f"{name} {derivation.kind} {block.wrt}: index form only"
            expected = block_values(block, env, problem)
            value = np.asarray(block.matrix.evaluate(env), dtype=float)
            assert_close(value.reshape(expected.shape), expected, rel=1e-9, what=f"{name} {derivation.kind}")
