"""Memory planning: a function call writes over its operand only when that operand is a fresh
temporary nothing else holds; generated code keeps its values, also for integer data."""

from fractions import Fraction

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
    assert not _marked([ir.apply("softplus", scores)])                         # no ufunc, no overwrite helper
    assert id(ir.apply("sigmoid", scores)) in _marked([ir.apply("sigmoid", scores)])   # sigmoid(z, overwrite=True)
    assert not _marked([ir.apply("sigmoid", scores), scores], lets=[scores])


def test_sums_and_products_work_in_a_temporary_where_numpy_cannot():
    rows = ir.input_(sympy.IndexedBase("r"), (n,))
    grid = ir.matmul(x, ir.input_(sympy.IndexedBase("V"), (d, d)))
    scaled = ir.mul(grid, ir.broadcast(rows, (0,), (n, d)))     # t * r[:, None]: NumPy would allocate
    assert id(scaled) in _marked([scaled])
    plain = ir.add(grid, x)                                      # t + X: NumPy reuses t itself
    assert id(plain) not in _marked([plain])
    viewed = ir.add(ir.transpose(ir.matmul(ir.transpose(x, (1, 0)), x), (1, 0)), ir.const(1))   # (X.T @ X).T + 1
    assert id(viewed) in _marked([viewed])


def test_generated_in_place_code_keeps_values():
    module = symgd.codegen(r"L(w) = \sum_{i=1}^{n}\delta^2\left(\sqrt{1 + \left(\frac{y_i - w^\top x_i}{\delta}\right)^2} - 1\right)")
    assert "_inplace_second(np.divide" in module.source
    loaded = module.load()
    rng = np.random.default_rng(4)
    X, y, weights = rng.normal(size=(9, 3)), rng.normal(size=9), rng.normal(size=3)
    r = X @ weights - y
    np.testing.assert_allclose(loaded.grad(weights, y, X, 1.5), X.T @ (r / np.sqrt(1 + (r / 1.5) ** 2)), rtol=1e-12)
    X_int, y_int = rng.integers(-2, 3, size=(9, 3)), rng.integers(0, 4, size=9)
    r = X_int @ np.array([1, 0, -1]) - y_int
    np.testing.assert_allclose(loaded.grad(np.array([1, 0, -1]), y_int, X_int, 2),
                               X_int.T @ (r / np.sqrt(1 + (r / 2) ** 2)), rtol=1e-12)


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


def test_two_fresh_temporaries_are_summed_in_one_of_them():
    square = ir.input_(sympy.IndexedBase("A"), (d, d))
    total = ir.add(ir.matmul(square, w), ir.matmul(ir.transpose(square, (1, 0)), w))   # A @ w + A.T @ w
    assert id(total) in _marked([total])


def test_a_named_value_is_overwritten_at_its_last_use_after_the_scalar_results():
    loss = ir.reduce("sum", ir.apply("log", scores), (0,))
    last = ir.apply("exp", scores)
    assert id(last) in _marked([loss, last], lets=[scores])                   # loss is a float before exp runs
    assert id(last) not in _marked([last, loss], lets=[scores])               # read again after it
    assert id(last) not in _marked([ir.apply("log", scores), last], lets=[scores])   # an array result first
    assert id(last) not in _marked([loss, ir.add(last, scores)], lets=[scores])      # read again in its result
    negated = ir.neg(scores)   # shared by both results, as -z in the logistic loss and gradient
    both = ir.add(ir.reduce("sum", negated, (0,)), loss)
    assert id(last) not in _marked([both, ir.mul(last, negated)], lets=[scores])


def test_generated_value_and_grad_overwrites_its_scores_and_keeps_values():
    module = symgd.codegen(r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}"
                           r"{\sum_{j=1}^{K}\exp(w_j^\top x_i)}")
    body = module.source[module.source.index("def value_and_grad"):]
    assert "_inplace(np.subtract, z, " in body[:body.index("\ndef ")]   # softmax exp(z - lse) in z's buffer
    loaded = module.load()
    rng = np.random.default_rng(5)
    X, W, labels = rng.normal(size=(8, 3)), rng.normal(size=(4, 3)), rng.integers(0, 4, size=8)
    Y = np.eye(4)[labels] * rng.random((8, 1))   # rows need not sum to one
    scores = X @ W.T
    top = scores.max(axis=1, keepdims=True)
    log_p = scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
    value, gradient = loaded.value_and_grad(W, Y, X)
    assert np.isclose(value, -np.sum(Y * log_p), rtol=1e-12)
    np.testing.assert_allclose(gradient, (np.exp(log_p) * Y.sum(axis=1, keepdims=True) - Y).T @ X, rtol=1e-10)


def test_a_sum_or_product_writes_into_a_named_value_read_last_there():
    labels = ir.input_(sympy.IndexedBase("y"), (n,))
    loss = ir.reduce("sum", scores, (0,))
    residual = ir.add(scores, ir.neg(labels))                                  # z - y, z named
    assert id(residual) in _marked([loss, residual], lets=[scores])
    assert id(residual) not in _marked([residual, loss], lets=[scores])
    quotient = ir.mul(scores, ir.power(labels, -1))                          # z / y into z
    assert id(quotient) in _marked([loss, quotient], lets=[scores])


def test_a_fresh_temporary_plus_a_named_value_read_last_there_works_in_place_down_the_chain():
    """(A @ x + z) / 2 - b with z named and read last there (the quadratic form's value_and_grad):
    the sum takes a buffer (NumPy reuses none below 256 kB, and the name z keeps z alive), and the
    product and difference after it work in that buffer too."""
    other = ir.matmul(x, ir.input_(sympy.IndexedBase("v"), (d,)))
    labels = ir.input_(sympy.IndexedBase("y"), (n,))
    total = ir.add(other, scores)
    half = ir.mul(ir.const(Fraction(1, 2)), total)
    result = ir.add(half, ir.neg(labels))
    marked = _marked([ir.reduce("sum", scores, (0,)), result], lets=[scores])
    assert {id(total), id(half), id(result)} <= marked
    assert id(total) not in _marked([total, ir.reduce("sum", scores, (0,))], lets=[scores])   # z read later


def test_a_named_value_computed_in_a_borrowed_buffer_is_not_overwritten_by_its_next_reader():
    """r = b - z written into z's buffer (z read last there) is a named value of its own: |r| must not then
    work in r's buffer while sign(r) still reads r (the generated value_and_grad of B&V's Huber penalty
    took |r| in place and its sign(r) read |r|)."""
    labels = ir.input_(sympy.IndexedBase("b"), (n,))
    residual = ir.add(scores, ir.neg(labels))                                  # z - b, z read again below
    flipped = ir.add(labels, ir.neg(scores))                                   # b - z, into z's buffer
    magnitude = ir.apply("abs", flipped)
    roots = [ir.reduce("sum", ir.mul(residual, magnitude), (0,)), ir.apply("sign", flipped)]
    marked = _marked(roots, lets=[scores, residual, flipped, magnitude])
    assert id(ir.neg(scores)) in marked                                        # z's buffer is taken ...
    assert id(magnitude) not in marked                                         # ... but r's is not


def test_generated_value_and_grad_writes_into_named_values_and_keeps_values():
    module = symgd.codegen(POISSON)
    assert "_inplace(np.subtract, h, y)" in module.source
    body = module.source[module.source.index("def value_and_grad"):]
    assert "del " not in body[:body.index("\ndef ")]   # h = exp(z) took z's buffer: deleting z frees nothing
    assert "blockwise_sum" not in module.source   # exp(z) in z's buffer makes no temporary to block
    loaded = module.load()
    rng = np.random.default_rng(6)
    X, y, weights = rng.normal(size=(7, 3)), rng.poisson(1.0, size=7).astype(float), rng.normal(size=3)
    z = X @ weights
    value, gradient = loaded.value_and_grad(weights, X, y)
    assert np.isclose(value, np.sum(np.exp(z) - y * z), rtol=1e-12)
    np.testing.assert_allclose(gradient, X.T @ (np.exp(z) - y), rtol=1e-12)
    y_int = rng.poisson(1.0, size=7)   # integer labels: still a float difference, in place
    np.testing.assert_allclose(loaded.value_and_grad(weights, X, y_int)[1], X.T @ (np.exp(z) - y_int), rtol=1e-12)


def test_a_step_and_a_difference_from_a_number_work_in_the_temporary():
    labels = ir.input_(sympy.IndexedBase("y"), (n,))
    margin = ir.add(ir.const(1), ir.neg(ir.mul(scores, labels)))             # 1 - (x @ w) * y
    step = ir.intern(ir.Map("heaviside", (margin,), margin.shape, 0))
    marked = _marked([step])
    assert id(margin) in marked and id(step) in marked                       # into x @ w * y, then into that
    assert not _marked([ir.intern(ir.Map("heaviside", (labels,), labels.shape, 0))])   # the caller's y


def test_generated_hinge_gradient_is_right_for_float_and_integer_data():
    module = symgd.codegen(r"L(w) = \frac{\lambda}{2}\|w\|^2 + \frac{1}{n}\sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)")
    assert "_unit_step(_inplace_second(np.subtract, 1, x @ w * y), 0.0, overwrite=True)" in module.source
    loaded = module.load()
    rng = np.random.default_rng(9)
    for X, y in ((rng.normal(size=(40_000, 3)), np.where(rng.random(40_000) < 0.5, -1.0, 1.0)),
                 (rng.integers(-2, 3, size=(50, 3)), rng.choice([-1, 1], size=50))):
        weights = np.array([0.3, -0.2, 0.1])
        copies = X.copy(), y.copy()
        active = (1 - y * (X @ weights) > 0).astype(float)
        expected = 0.1 * weights - X.T @ (active * y) / len(y)
        for _ in range(2):
            np.testing.assert_allclose(loaded.grad(weights, y, X, 0.1), expected, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(loaded.value_and_grad(weights, y, X, 0.1)[1], expected, rtol=1e-10, atol=1e-14)
        assert np.array_equal(X, copies[0]) and np.array_equal(y, copies[1])


def test_the_unit_step_helper_gives_numpys_heaviside_values():
    step = symgd.codegen(r"L(w) = \sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)").load()._unit_step
    special = np.array([-np.inf, -3.0, -1e-300, -0.0, 0.0, 1e-300, 0.5, 1.0, 7.0, np.inf, np.nan])
    for at_zero in (0.0, 1.0):
        expected = np.heaviside(special, at_zero)
        kept = special.copy()
        np.testing.assert_array_equal(step(special, at_zero), expected)              # NaN stays NaN
        np.testing.assert_array_equal(special, kept)                                   # a new array
        buffer = special.copy()
        assert step(buffer, at_zero, overwrite=True) is buffer                         # in the temporary
        np.testing.assert_array_equal(buffer, expected)
        integers = np.array([-2, 0, 3])
        got = step(integers, at_zero, overwrite=True)
        np.testing.assert_array_equal(got, np.heaviside(integers, at_zero))
        assert got.dtype == float and np.array_equal(integers, [-2, 0, 3])             # integers: a float copy


LOGISTIC = r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]"


def test_loss_sums_over_living_vectors_run_in_blocks_and_dead_names_are_released():
    """value_and_grad's loss reads the scores and log1p(e^{-|z|}) while the gradient still needs the
    scores: its sums run blockwise (temporaries of a block's size) and the logarithms' name is
    deleted before the gradient; values as written, over several blocks and a short last one."""
    module = symgd.codegen(LOGISTIC)
    start = module.source.index("def value_and_grad")
    body = module.source[start:module.source.index("\ndef ", start)]
    assert body.count("blockwise_sum(lambda ") == 2 and "\n    del h\n" in body
    rng = np.random.default_rng(8)
    X, weights = rng.normal(size=(20_001, 3)), rng.normal(size=3) * 3
    labels = (rng.random(20_001) < 0.5).astype(float)
    z = X @ weights
    value, gradient = module.load().value_and_grad(weights, labels, X)
    assert np.isclose(value, np.sum(np.logaddexp(0, z) - labels * z), rtol=1e-12)
    np.testing.assert_allclose(gradient, X.T @ (1 / (1 + np.exp(-z)) - labels), rtol=1e-10)


def test_the_blockwise_helper_adds_up_every_block():
    blockwise_sum = symgd.codegen(LOGISTIC).load().blockwise_sum
    rng = np.random.default_rng(9)
    for length in (1, 4096, 8193, 100_003):
        u, v = rng.normal(size=length), rng.normal(size=length)
        got = blockwise_sum(lambda u, v: u @ np.maximum(v, 0.0), u, v)
        assert np.isclose(got, u @ np.maximum(v, 0.0), rtol=1e-12)


def test_a_named_term_written_with_a_minus_is_read_by_its_name():
    """a - t with -t a named value h7 (its definition holds the minus): writing a - t into the buffer of t
    spelled out again would read what h7 read, which an in-place update may have overwritten since (the
    generated Hessian of Barron's loss halved a log twice)."""
    labels = ir.input_(sympy.IndexedBase("y"), (n,))
    term = ir.neg(ir.mul(scores, labels))                                       # h7 = -(z * y), named
    total = ir.add(ir.apply("exp", scores), term)
    assert memory.divides_by_fresh(total, {id(term), id(scores)}) is None
    assert memory.divides_by_fresh(total, {id(scores)}) is term


def test_a_difference_is_not_written_into_a_named_term_read_later():
    """r2 = h3 - h * h2 with h3 = exp(r) named (computed in r's buffer) and read again by the next value: the
    difference goes into the fresh temporary h * h2, not into h3 (the generated Hessian block of a logistic
    matrix factorisation with item biases, d²/dx dc, was wrong)."""
    problem = symgd.parse(r"\sum_{u}\sum_{i} \log(1 + \exp(x_u^T y_i + c_i))", wrt="x, c")
    module = symgd.codegen(problem, hessian=True).load()
    rng = np.random.default_rng(4)
    x, y, c = rng.normal(size=(3, 2)), rng.normal(size=(5, 2)), rng.normal(size=5)
    cross = np.asarray(module.hess(x, c, y)[0][1])       # d²L / dx dc, shape (3, 2, 5)
    step = 1e-6
    for k in range(5):
        moved = [np.array(c) for _ in range(2)]
        moved[0][k] += step
        moved[1][k] -= step
        column = (module.grad(x, moved[0], y)[0] - module.grad(x, moved[1], y)[0]) / (2 * step)
        assert np.allclose(cross[:, :, k], column, rtol=1e-5, atol=1e-7)


def test_a_multiple_of_the_identity_is_added_on_the_diagonal_of_a_fresh_matrix_only():
    lam = ir.input_(sympy.Symbol("lambda"), ())
    gram = ir.matmul(ir.transpose(x, (1, 0)), x)
    shifted = ir.add(gram, ir.mul(lam, ir.identity(d)))
    assert id(shifted) in _marked([shifted])
    assert memory.fresh_operand(shifted, set()) is gram   # the Gram matrix's buffer, not the identity's
    assert memory.identity_scale(ir.mul(ir.const(2), lam, ir.identity(d))) is ir.mul(ir.const(2), lam)
    assert memory.identity_scale(ir.mul(gram, ir.identity(d))) is None   # an elementwise product: no
    data = ir.input_(sympy.IndexedBase("A"), (d, d))
    assert id(ir.add(data, ir.identity(d))) not in _marked([ir.add(data, ir.identity(d))])   # the caller's array


RIDGE = r"L(w) = \frac{1}{n}\sum_{i=1}^{n} (y_i - w^\top x_i)^2 + \lambda\|w\|_2^2"


def test_generated_ridge_hessian_adds_lambda_on_the_diagonal_and_keeps_values():
    module = symgd.codegen(RIDGE, hessian=True)
    body = module.source[module.source.index("def hess"):]
    assert "_add_diagonal(" in body[:body.index("\ndef ")] and "np.eye" not in body[:body.index("\ndef ")]
    loaded = module.load()
    rng = np.random.default_rng(5)
    X, y, weights = rng.normal(size=(9, 4)), rng.normal(size=9), rng.normal(size=4)
    expected = 2 * X.T @ X / 9 + 2 * 0.3 * np.eye(4)
    np.testing.assert_allclose(loaded.hess(weights, y, X, 0.3), expected, rtol=1e-12)
    X_int = rng.integers(-2, 3, size=(9, 4))
    np.testing.assert_allclose(loaded.hess(weights, y, X_int, 2), 2 * X_int.T @ X_int / 9 + 4 * np.eye(4), rtol=1e-12)


def test_a_data_matrix_plus_lambda_i_leaves_the_data_unchanged():
    module = symgd.codegen(r"f(x) = \frac{1}{2}x^\top A x + \frac{\lambda}{2}\|x\|_2^2", hessian=True).load()
    rng = np.random.default_rng(6)
    A = rng.normal(size=(5, 5))
    kept = A.copy()
    np.testing.assert_allclose(module.hess(rng.normal(size=5), A, 0.7), (A + A.T) / 2 + 0.7 * np.eye(5), rtol=1e-12)
    np.testing.assert_array_equal(A, kept)


def test_a_named_value_computed_in_a_dying_buffer_is_not_written_over_by_one_of_its_readers():
    # h = exp(-z) works in z's buffer (z dies there); h itself is named and read twice afterwards,
    # so neither h ** 2 nor exp(h) may write over it (h * y still reads it)
    y = ir.input_(sympy.IndexedBase("y"), (n,))
    h = ir.apply("exp", ir.neg(scores))
    for reader in (ir.power(h, 2), ir.apply("exp", h), ir.power(h, Fraction(1, 2))):
        root = ir.add(reader, ir.mul(h, y))
        marked = _marked([root], lets=[scores, h])
        assert id(h) in marked and id(reader) not in marked
