"""Memory planning: a function call writes over its operand only when that operand is a fresh
temporary nothing else holds; generated code keeps its values, also for integer data."""

import numpy as np
import sympy

import symgd
from symgd.tensor import ir
from symgd.tensor.passes import memory

n, d = sympy.symbols("n d", integer=True, positive=True)
x = ir.input_(sympy.IndexedBase("x"), (n, d))
w = ir.input_(sympy.IndexedBase("w"), (d,))
scores = ir.matmul(x, w)


def _marked(roots, lets=()):
    program = memory.run(ir.Program(tuple(roots), tuple(f"r{k}" for k in range(len(roots))), tuple(lets)))
    return set(map(id, program.overwrite))


def test_a_function_of_a_fresh_temporary_works_in_its_buffer():
    exp = ir.apply("exp", scores)
    assert id(exp) in _marked([exp])
    assert id(ir.apply("tanh", ir.add(scores, ir.const(1)))) in _marked([ir.apply("tanh", ir.add(scores, ir.const(1)))])


def test_inputs_views_and_named_values_are_never_overwritten():
    assert not _marked([ir.apply("exp", w)])                                   # the caller's array
    assert not _marked([ir.apply("exp", ir.transpose(x, (1, 0)))])            # a view of it
    exp = ir.apply("exp", scores)
    assert not _marked([exp, ir.apply("log", scores)], lets=[scores])          # scores is read twice
    assert not _marked([ir.apply("sigmoid", scores)])                          # no ufunc in its table row


POISSON = r"L(w) = \sum_{i=1}^{n}\left(\exp(w^\top x_i) - y_i w^\top x_i\right)"


def test_generated_code_overwrites_and_keeps_values_for_float_and_integer_data():
    module = symgd.codegen(POISSON)
    assert "_inplace(np.exp, x @ w)" in module.source
    loaded = module.load()
    rng = np.random.default_rng(0)
    X, y, weights = rng.integers(-2, 3, size=(7, 3)), rng.integers(0, 4, size=7), np.array([1, 0, -1])
    expected = X.T @ (np.exp(X @ weights) - y)
    assert np.allclose(loaded.grad(weights, X, y), expected)                   # integer scores: a new array
    assert np.allclose(loaded.grad(weights.astype(float), X.astype(float), y.astype(float)), expected)
