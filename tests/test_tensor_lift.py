"""The builder: index form -> tensor IR, with values checked by the IR interpreter."""

import numpy as np
import pytest
import sympy

from symgd.errors import UnsupportedError
from symgd.tensor import ir
from symgd.tensor.lift import Builder
from symgd.tensor.evaluate import evaluate

n, d = sympy.symbols("n d", integer=True, positive=True)
i, j, k, m, p = sympy.symbols("i j k m p", integer=True)
X, w, y, A = (sympy.IndexedBase(s) for s in ("X", "w", "y", "A"))
SHAPES = {X: (n, d), w: (d,), y: (n,), A: (d, d)}


def env(seed=0):
    rng = np.random.default_rng(seed)
    return {X: rng.normal(size=(7, 3)), w: rng.normal(size=3), y: rng.normal(size=7), A: rng.normal(size=(3, 3)),
            n: 7, d: 3}


def test_a_product_under_a_sum_is_one_contraction():
    lifted = Builder(SHAPES, {}).lift(sympy.Sum(X[i, j] * w[j], (j, 1, d)))
    assert isinstance(lifted.node, ir.Contract) and lifted.labels == (i,)
    assert np.allclose(evaluate(lifted.node, env()), env()[X] @ env()[w])


def test_index_names_do_not_matter():
    builder = Builder(SHAPES, {})
    first = builder.lift(sympy.Sum(X[i, j] * w[j], (j, 1, d)))
    second = builder.lift(sympy.Sum(X[k, p] * w[p], (p, 1, d)))
    assert first.node is second.node


def test_transposed_entries_align_by_label():
    builder = Builder(SHAPES, {k: d, m: d})
    node = builder.root(A[m, k] + A[k, m], (k, m))
    e = env()
    assert np.allclose(evaluate(node, e), e[A] + e[A].T)


def test_gradient_of_least_squares_has_the_expected_value():
    residual = sympy.Sum(X[i, j] * w[j], (j, 1, d)) - y[i]
    builder = Builder(SHAPES, {k: d})
    node = builder.root(sympy.Sum(X[i, k] * residual, (i, 1, n)) / n, (k,))
    e = env()
    assert np.allclose(evaluate(node, e), e[X].T @ (e[X] @ e[w] - e[y]) / 7)


def test_delta_diagonal_and_matrix_functions():
    builder = Builder(SHAPES, {k: d, m: d})
    e = env()
    assert np.allclose(evaluate(builder.root(sympy.KroneckerDelta(k, m) * w[k], (k, m)), e), np.diag(e[w]))
    assert np.allclose(evaluate(builder.root(A[k, k], (k,)), e), np.diag(e[A]))
    from symgd.functions import det, inverse_entry
    assert np.allclose(evaluate(builder.root(inverse_entry(A, k, m), (k, m)), e), np.linalg.inv(e[A]))
    assert np.isclose(evaluate(builder.root(det(A), ()), e), np.linalg.det(e[A]))


def test_a_sum_of_a_constant_counts_the_range():
    e = env()
    node = Builder(SHAPES, {}).root(sympy.Sum(3 * w[j] ** 0, (i, 1, n)), ())
    assert evaluate(node, e) == pytest.approx(21.0)


def test_missing_cases_are_named():
    with pytest.raises(UnsupportedError, match="fixed index"):
        Builder(SHAPES, {}).lift(X[1, j])
    with pytest.raises(UnsupportedError, match="used as a value"):
        Builder(SHAPES, {k: d}).lift(k * w[k])
    with pytest.raises(UnsupportedError, match="free"):
        Builder(SHAPES, {k: d}).root(w[k], ())
