"""Sums over samples of Kronecker products (``ir.SampleSum``): the matrix form of a Hessian block of a
matrix parameter whose sum over samples joins its row and column indices (softmax regression, the
two-layer network), checked against hand-written NumPy with every dimension distinct."""

from pathlib import Path

import numpy as np
import sympy

import symgd
from helpers import assert_close
from symgd.numeric import random_values
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.print_latex import latex

EXAMPLES = Path(__file__).parent.parent / "examples"


def _softmax_rows(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_a_sample_sum_evaluates_prints_and_rebuilds():
    n, d, k = sympy.symbols("n d k")
    x, p = sympy.IndexedBase("x", shape=(n, d)), sympy.IndexedBase("p", shape=(n, k))
    x_i, p_i = sympy.IndexedBase("x_i", shape=(d,)), sympy.IndexedBase("p_i", shape=(k,))
    i = sympy.Symbol("i")
    row, prob = ir.input_(x_i, (d,)), ir.input_(p_i, (k,))
    column = ir.broadcast(row, (0,), (d, sympy.Integer(1)))
    body = ir.kron(column, ir.broadcast(prob, (0,), (k, sympy.Integer(1))))
    node = ir.sample_sum(body, i, n, ((x_i, x, 0), (p_i, p, 0)))
    ir.check([node])
    rng = np.random.default_rng(0)
    xs, ps = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    expected = sum(np.kron(xs[t][:, None], ps[t][:, None]) for t in range(5))
    assert_close(evaluate(node, {x: xs, p: ps, n: 5, d: 3, k: 2}), expected, rel=1e-12)
    assert latex(node).startswith(r"\sum_{i=1}^{n} "), latex(node)
    assert r"\otimes" in latex(node)
    assert "sample_sum[i=1..n; x_i=x[0], p_i=p[0]]" in ir.pretty([node])
    doubled = ir.rewrite([node], lambda m: ir.mul(ir.const(2), m) if m is column else m)[0]
    assert_close(evaluate(doubled, {x: xs, p: ps, n: 5, d: 3, k: 2}), 2 * expected, rel=1e-12)


def test_the_softmax_hessian_is_a_sum_over_samples_of_kronecker_products():
    """∂²L/∂vec(W)∂vec(W)^T = Σ_i (Σ_k Y_ik) x_i x_i^T ⊗ (diag(p_i) - p_i p_i^T), p_i = softmax(W x_i)."""
    problem = symgd.parse((EXAMPLES / "05_softmax.tex").read_text())
    values = random_values(problem, seed=2, sizes={"n": 7, "d": 3, "K": 4}, symmetric=False)
    (block,) = symgd.hessian(problem).blocks
    assert block.matrix is not None and block.matrix.vec, block.no_matrix
    X, W, Y = values["x"], values["W"], values["Y"]
    P = _softmax_rows(X @ W.T)
    expected = sum(Y[i].sum() * np.kron(np.outer(X[i], X[i]), np.diag(P[i]) - np.outer(P[i], P[i]))
                   for i in range(len(X)))
    assert_close(block.matrix.evaluate(values), expected, rel=1e-10, what=block.matrix_latex)
    assert block.matrix_latex.startswith(r"\sum_{p=1}^{n} x_{p} x_{p}^\top \otimes \left("), block.matrix_latex
    for part in (r"\operatorname{diag}\left(\operatorname{softmax}\left(W x_{p}\right)\right)",
                 r"\operatorname{softmax}\left(W x_{p}\right)^\top"):
        assert part in block.matrix_latex, block.matrix_latex


def test_the_two_layer_network_hessian_blocks_equal_hand_written_ones():
    """L = Σ_i (y_i - v^T tanh(W x_i))^2: with h_i = tanh(W x_i), g_i = 1 - h_i², r_i = y_i - v^T h_i,
    H_WW = Σ_i x_i x_i^T ⊗ 2(v⊙g_i)(v⊙g_i)^T + 4 r_i diag(v ⊙ h_i ⊙ g_i), H_Wv = Σ_i x_i ⊗ 2(g_i⊙v) h_i^T - 2 r_i diag(g_i)."""
    problem = symgd.parse((EXAMPLES / "13_two_layer_tanh.tex").read_text())
    values = random_values(problem, seed=2, sizes={"n": 7, "d": 3, "h": 4}, symmetric=False)
    X, W, v, y = values["x"], values["W"], values["v"], values["y"]
    expected = {("W", "W"): 0, ("W", "v"): 0}
    for i in range(len(X)):
        h = np.tanh(W @ X[i])
        g, r = 1 - h ** 2, y[i] - v @ h
        expected["W", "W"] += np.kron(np.outer(X[i], X[i]), 2 * np.outer(v * g, v * g) + 4 * r * np.diag(v * h * g))
        expected["W", "v"] += np.kron(X[i][:, None], 2 * np.outer(g * v, h) - 2 * r * np.diag(g))
    expected["v", "W"] = expected["W", "v"].T
    for block in symgd.hessian(problem).blocks:
        key = tuple(str(getattr(p, "label", p)) for p in block.wrt)
        if key in expected:
            assert block.matrix is not None, f"{key}: {block.no_matrix}"
            assert_close(block.matrix.evaluate(values), expected[key], rel=1e-10, what=f"{key}: {block.matrix_latex}")


def test_a_sample_index_that_does_not_select_rows_has_no_matrix_form():
    """Σ_p A_pp x_pl x_pr δ_km: the sample index twice in one entry is not a row of the data: a stated reason."""
    from symgd.tensor.matrix import matrix_form_or_reason

    n, d = sympy.symbols("n d", integer=True, positive=True)
    k, j, m, r, p = sympy.symbols("k l m r p", integer=True)
    x, A = sympy.IndexedBase("x", shape=(n, d)), sympy.IndexedBase("A", shape=(n, n))
    expr = sympy.Sum(A[p, p] * x[p, j] * x[p, r] * sympy.KroneckerDelta(k, m) * x[p, k], (p, 1, n))
    form, reason = matrix_form_or_reason(expr, (k, j, m, r), {k: d, j: d, m: d, r: d}, first_rank=2)
    assert form is None and "twice" in reason, reason


def test_a_row_named_like_another_array_has_no_matrix_form():
    """Σ_p x_pl x_pr δ_km x_p[k] with an array already called x_p: the row x[p, :] cannot take its name."""
    from symgd.tensor.matrix import matrix_form_or_reason

    n, d = sympy.symbols("n d", integer=True, positive=True)
    k, j, m, r, p = sympy.symbols("k l m r p", integer=True)
    x, other = sympy.IndexedBase("x", shape=(n, d)), sympy.IndexedBase("x_p", shape=(d,))
    expr = sympy.Sum(other[k] * x[p, j] * x[p, r] * sympy.KroneckerDelta(k, m) * x[p, k], (p, 1, n))
    form, reason = matrix_form_or_reason(expr, (k, j, m, r), {k: d, j: d, m: d, r: d}, first_rank=2)
    assert form is None and "name of another array" in reason, reason
