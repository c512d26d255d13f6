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
    with pytest.raises(UnsupportedError, match="index 2"):
        Builder(SHAPES, {k: d}).lift(w[2 * k])
    with pytest.raises(UnsupportedError, match="Product"):   # both bounds on one index: not a scan
        Builder(SHAPES, {k: d}).lift(sympy.Product(w[i], (i, k - 1, k + 1)))
    with pytest.raises(UnsupportedError, match="free"):
        Builder(SHAPES, {k: d}).root(w[k], ())


def test_fixed_and_shifted_indices_are_slices_and_their_deltas_pads():
    e = env()
    assert np.allclose(evaluate(Builder(SHAPES, {j: d}).root(X[1, j], (j,)), e), e[X][0])
    shifted = sympy.Sum((w[i + 1] - w[i]) ** 2, (i, 1, d - 1))
    assert np.isclose(evaluate(Builder(SHAPES, {}).root(shifted, ()), e), np.sum(np.diff(e[w]) ** 2))
    selected = sympy.Sum(w[i] * sympy.KroneckerDelta(k, i + 1), (i, 1, d - 1))   # (0, w_1, ..., w_{d-1})
    assert np.allclose(evaluate(Builder(SHAPES, {k: d}).root(selected, (k,)), e), np.r_[0, e[w][:-1]])
    assert np.allclose(evaluate(Builder(SHAPES, {k: d}).root(sympy.KroneckerDelta(2, k), (k,)), e), np.eye(3)[1])


def test_index_values_products_and_triangular_ranges():
    e = env()
    assert np.allclose(evaluate(Builder(SHAPES, {k: d}).root(k * w[k], (k,)), e), np.arange(1, 4) * e[w])
    assert np.isclose(evaluate(Builder(SHAPES, {}).root(sympy.Product(y[i], (i, 1, n)), ()), e), np.prod(e[y]))
    before = sympy.Product(y[i], (i, 1, k - 1))   # Π_{i<k} y_i: 1 at k = 1
    expected = np.r_[1, np.cumprod(e[y])[:-1]]
    assert np.allclose(evaluate(Builder(SHAPES, {k: n}).root(before, (k,)), e), expected)
    after = sympy.Product(y[i], (i, k + 1, n))
    assert np.allclose(evaluate(Builder(SHAPES, {k: n}).root(after, (k,)), e), np.r_[np.cumprod(e[y][::-1])[::-1][1:], 1])
    between = sympy.Product(y[i], (i, k + 1, m - 1))   # Π_{k<i<m} y_i: 1 where empty
    expected = np.array([[np.prod(e[y][a + 1:b]) for b in range(7)] for a in range(7)])
    assert np.allclose(evaluate(Builder(SHAPES, {k: n, m: n}).root(between, (k, m)), e), expected)
    pairs = sympy.Sum(y[i] * y[j], (j, i + 1, n), (i, 1, n))
    assert np.isclose(evaluate(Builder(SHAPES, {}).root(pairs, ()), e), np.sum(np.triu(np.outer(e[y], e[y]), 1)))


def _ranks(node) -> list:
    return [len(n.shape) for n in ir.postorder([node])]


def test_nested_sums_are_contracted_two_operands_at_a_time():
    """Σ_h r_ih Σ_g s_gi B_gl C_hg (backpropagation through two layers): C^T r first, then ⊙ s,
    then B^T; no operand of rank 3 and no contraction of more than two operands."""
    h_, g_, l_ = sympy.symbols("h g l", integer=True)
    q, s_dim = sympy.symbols("q s", integer=True, positive=True)
    r, s, B, C = (sympy.IndexedBase(name) for name in ("r", "s", "B", "C"))
    shapes = {r: (n, q), s: (s_dim, n), B: (s_dim, d), C: (q, s_dim)}
    expr = sympy.Sum(r[i, h_] * sympy.Sum(s[g_, i] * B[g_, l_] * C[h_, g_], (g_, 1, s_dim)), (h_, 1, q))
    node = Builder(shapes, {i: n, l_: d}).root(expr, (i, l_))
    assert max(_ranks(node)) == 2
    assert all(len(c.args) <= 2 for c in ir.postorder([node]) if isinstance(c, ir.Contract))
    rng = np.random.default_rng(1)
    values = {r: rng.normal(size=(7, 4)), s: rng.normal(size=(5, 7)), B: rng.normal(size=(5, 3)),
              C: rng.normal(size=(4, 5)), n: 7, d: 3, q: 4, s_dim: 5}
    expected = np.einsum("ih,gi,gl,hg->il", values[r], values[s], values[B], values[C])
    assert np.allclose(evaluate(node, values), expected)


def test_a_product_with_an_outer_sum_is_distributed():
    """Σ_j (μ_kl - x_jl) r_jk (k-means): μ scaled by column sums of r minus r^T x, no N × d × K array."""
    K = sympy.Symbol("K", integer=True, positive=True)
    l_ = sympy.Symbol("l", integer=True)
    mu, x, r = (sympy.IndexedBase(name) for name in ("mu", "x", "r"))
    shapes = {mu: (K, d), x: (n, d), r: (n, K)}
    node = Builder(shapes, {k: K, l_: d}).root(sympy.Sum((mu[k, l_] - x[j, l_]) * r[j, k], (j, 1, n)), (k, l_))
    assert max(_ranks(node)) == 2
    rng = np.random.default_rng(2)
    values = {mu: rng.normal(size=(4, 3)), x: rng.normal(size=(7, 3)), r: rng.normal(size=(7, 4)), K: 4, n: 7, d: 3}
    expected = values[mu] * values[r].sum(axis=0)[:, None] - values[r].T @ values[x]
    assert np.allclose(evaluate(node, values), expected)


def test_a_sum_whose_bound_is_an_index_is_masked_not_rectangular():
    """Σ_i a_i Σ_{j ≤ i} a_j is not a contraction over whole axes: the inner range is a triangular mask."""
    inner = sympy.Sum(w[j] * w[j], (j, 1, i))
    e = env()
    prefix = np.cumsum(e[w] ** 2)
    for expr, expected in ((sympy.Sum(w[i] * inner, (i, 1, d)), e[w] @ prefix),
                           (sympy.Sum(w[i] * inner + w[i], (i, 1, d)), e[w] @ prefix + e[w].sum())):
        assert np.isclose(evaluate(Builder(SHAPES, {}).root(expr, ()), e), expected)
