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


def _body(module, function: str) -> str:
    """The generated source of one function of the module."""
    body = module.source[module.source.index(f"def {function}("):]
    return body[:body.index("\ndef ")]


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
    assert "_inplace(np.exp, z)" in _body(module, "value_and_grad")
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


def test_a_later_result_reading_what_the_first_reads_is_contracted_first_so_the_first_works_in_place():
    # two-layer network: result 0 (h^2 - 1) * r reads h, result 1 h @ r reads it too
    k = sympy.Symbol("k", integer=True, positive=True)
    W = ir.input_(sympy.IndexedBase("W"), (k, d))
    h = ir.apply("tanh", ir.matmul(W, ir.transpose(x, (1, 0))))
    r = ir.add(ir.matmul(ir.transpose(h, (1, 0)), ir.input_(sympy.IndexedBase("v"), (k,))), ir.neg(y))
    square = ir.power(h, 2)
    first = ir.matmul(ir.mul(ir.add(square, ir.const(-1)), ir.broadcast(r, (1,), (k, n))), x)
    second = ir.mul(ir.const(2), ir.matmul(h, r))
    before = _program([first, second], [h, r])
    after = schedule.run(before)
    assert list(after.lets) == [h, r, ir.matmul(h, r)]
    assert id(square) not in map(id, memory.run(before).overwrite)   # h still to be read by h @ r
    assert id(square) in map(id, memory.run(after).overwrite)        # np.square(h, out=h)


def test_an_array_sized_read_of_a_later_result_is_left_in_place():
    # h + 1 is as large as h: naming it early would keep a further array alive
    h = ir.apply("exp", scores)
    later = ir.add(h, ir.const(1))
    program = schedule.run(_program([ir.apply("log", h), later], [h]))
    assert list(program.lets) == [h]


def test_generated_two_layer_gradient_squares_in_place_and_keeps_values():
    module = symgd.codegen(r"L(W, v) = \sum_{i=1}^{n}\left(y_i - v^\top\tanh(W x_i)\right)^2")
    assert "_inplace(np.square, h)" in _body(module, "grad")
    loaded = module.load()
    rng = np.random.default_rng(7)
    W, v, y, X = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=11), rng.normal(size=(11, 4))
    H = np.tanh(X @ W.T)                                 # n x 3, written from the formula
    residual = y - H @ v
    expected_v = -2 * H.T @ residual
    expected_W = -2 * ((residual[:, None] * (1 - H**2)) * v).T @ X
    for result in (loaded.grad(W, v, y, X), loaded.value_and_grad(W, v, y, X)[1]):
        np.testing.assert_allclose(result[0], expected_W, rtol=1e-12)
        np.testing.assert_allclose(result[1], expected_v, rtol=1e-12)


def test_a_view_of_a_shared_array_is_never_named_early():
    # diag(A) in a later result reads A, which the first reads too: a named view would alias A
    A = ir.apply("exp", ir.matmul(ir.transpose(x, (1, 0)), x))   # d x d, named
    program = schedule.run(_program([ir.apply("log", A), ir.diagonal(A)], [A]))
    assert list(program.lets) == [A]
