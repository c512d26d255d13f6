"""The schedule pass: scalar reductions of the loss are computed as soon as the named arrays they
read exist, so those arrays can then be overwritten in place (memory planning) as hand-written
code does; values are unchanged (checked against NumPy written from the formula)."""

import numpy as np
import sympy

import symgd
from symgd.tensor import ir
from symgd.tensor.passes import memory, schedule

n, d = sympy.symbols("n d", integer=True, positive=True)
x = ir.input_(sympy.IndexedBase("x"), (n, d))
w = ir.input_(sympy.IndexedBase("w"), (d,))
y = ir.input_(sympy.IndexedBase("y"), (n,))
scores = ir.matmul(x, w)
exp = ir.apply("exp", scores)
# Poisson: loss sum(exp(z)) - y.z, gradient x.T (exp(z) - y), with z and exp(z) named
inner = ir.contract([y, scores], ["a", "a"], "", {sympy.Symbol("a"): n})
loss = ir.add(ir.reduce("sum", exp, (0,)), ir.neg(inner))
gradient = ir.matmul(ir.transpose(x, (1, 0)), ir.add(exp, ir.neg(y)))


def _program(roots, lets):
    return ir.Program(tuple(roots), tuple(f"r{k}" for k in range(len(roots))), tuple(lets))


def test_a_reduction_of_the_loss_comes_right_after_the_array_it_reads():
    program = schedule.run(_program([loss, gradient], [scores, exp]))
    lets = list(program.lets)
    assert lets.index(inner) == lets.index(scores) + 1 < lets.index(exp)   # y @ z before exp(z)
    assert lets.index(exp) < lets.index(ir.reduce("sum", exp, (0,)))


def test_then_the_array_is_overwritten_by_its_last_reader():
    before = memory.run(_program([loss, gradient], [scores, exp]))
    after = memory.run(schedule.run(_program([loss, gradient], [scores, exp])))
    assert id(exp) not in map(id, before.overwrite)   # y @ z still to come: exp(z) needs a new array
    assert id(exp) in map(id, after.overwrite)


def test_programs_without_a_scalar_result_or_names_are_unchanged():
    program = _program([gradient], [scores, exp])
    assert schedule.run(program) is program
    alone = _program([loss], [])
    assert schedule.run(alone) is alone


def test_a_named_array_read_again_later_is_not_overwritten():
    # the gradient reads z itself after exp(z): exp must not write over z
    later = ir.matmul(ir.transpose(x, (1, 0)), ir.add(exp, scores))
    program = memory.run(schedule.run(_program([loss, later], [scores, exp])))
    assert id(exp) not in map(id, program.overwrite)


def test_generated_value_and_grad_works_in_place_and_keeps_values():
    module = symgd.codegen(r"L(\beta) = \sum_{i=1}^{n}(y_i e^{-x_i^\top\beta} + x_i^\top\beta)")
    body = module.source[module.source.index("def value_and_grad"):]
    assert "_inplace(np.exp, z)" in body[:body.index("\ndef ")]
    loaded = module.load()
    rng = np.random.default_rng(8)
    X, y_, beta = rng.normal(size=(40_000, 3)), rng.gamma(2.0, size=40_000), rng.normal(size=3) * 0.1
    copies = X.copy(), y_.copy(), beta.copy()
    z = X @ beta
    for _ in range(2):
        value, grad = loaded.value_and_grad(beta, y_, X)
        assert np.isclose(value, np.sum(y_ * np.exp(-z) + z), rtol=1e-12)
        np.testing.assert_allclose(grad, X.T @ (1 - y_ * np.exp(-z)), rtol=1e-9)
    assert all(np.array_equal(a, b) for a, b in zip((X, y_, beta), copies))
