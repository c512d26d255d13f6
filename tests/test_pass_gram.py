"""Kronecker-structured Hessians as weighted Gram blocks (the ``gram`` pass and the ``gram_blocks``
helpers): values against hand-written NumPy and central differences, all dimensions distinct."""

import numpy as np
import pytest
import sympy

import symgd
from symgd.codegen.backends import BACKENDS
from symgd.codegen.module import HELPERS
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.passes import gram

n, d, K = sympy.symbols("n d K", integer=True, positive=True)
X, P, Q, C = (sympy.IndexedBase(name) for name in ("X", "P", "Q", "C"))
x, p, q, c = ir.input_(X, (n, d)), ir.input_(P, (K, n)), ir.input_(Q, (K, n)), ir.input_(C, (n,))
DIMS = {"a": n, "b": d, "e": d, "k": K, "l": K}
rng = np.random.default_rng(5)
ENV = {X: rng.normal(size=(7, 3)), P: rng.random(size=(4, 7)), Q: rng.normal(size=(4, 7)), C: rng.random(size=7),
       n: 7, d: 3, K: 4}


def _run(node):
    (out,) = gram.run(ir.Program((node,), ("out",))).roots
    return out


def _blocks(node):
    return [m for m in ir.postorder([node]) if isinstance(m, ir.GramBlocks)]


def _softmax_like(second):
    """Σ_a c_a x_ab x_ae (p_ka δ_kl - p_ka second_la), laid out (d, d, K, K) as the lift makes it."""
    diag = ir.contract([x, x, c, p], ["ab", "ae", "a", "ka"], "bek", DIMS)
    eye = ir.broadcast(ir.identity(K), (2, 3), (d, d, K, K))
    outer = ir.contract([x, x, c, p, second], ["ab", "ae", "a", "ka", "la"], "bekl", DIMS)
    return ir.add(ir.mul(ir.broadcast(diag, (0, 1, 2), (d, d, K, K)), eye), ir.neg(outer))


def _expected(second):
    Xv, Pv, Cv = ENV[X], ENV[P], ENV[C]
    return np.einsum("a,ab,ae,ka,kl->bekl", Cv, Xv, Xv, Pv, np.eye(4)) \
        - np.einsum("a,ab,ae,ka,la->bekl", Cv, Xv, Xv, Pv, second)


def test_softmax_hessian_is_one_symmetric_gram_blocks_node():
    node = ir.transpose(_softmax_like(p), (2, 0, 3, 1))   # (K, d, K, d), as a Hessian of W (K x d)
    out = _run(node)
    assert isinstance(out, ir.GramBlocks)   # the layouts agree: no transpose left
    assert out.symmetric and out.weights is not None and out.diagonal is not None
    assert out.x is x and not any(isinstance(m, ir.Identity) for m in ir.postorder([out]))
    assert np.allclose(evaluate(out, ENV), np.transpose(_expected(ENV[P]), (2, 0, 3, 1)))


def test_weights_that_are_not_symmetric_compute_every_block():
    node = _softmax_like(q)
    out = _run(node)
    (blocks,) = _blocks(out)
    assert not blocks.symmetric
    assert np.allclose(evaluate(out, ENV), _expected(ENV[Q]))


def test_samples_as_columns_use_the_transposed_data():
    # data stored d x n (a column per sample): the Gram operand is its transpose
    columns = ir.input_(sympy.IndexedBase("Z"), (d, n))
    outer = ir.contract([columns, columns, c, p, p], ["ba", "ea", "a", "ka", "la"], "kble", DIMS)
    out = _run(outer)
    (blocks,) = _blocks(out)
    assert blocks.x is ir.transpose(columns, (1, 0)) and blocks.symmetric and blocks.diagonal is None
    Zv = ENV[X].T.copy()
    env = {**ENV, sympy.IndexedBase("Z"): Zv}
    expected = np.einsum("ba,ea,a,ka,la->kble", Zv, Zv, ENV[C], ENV[P], ENV[P])
    assert np.allclose(evaluate(out, env), expected)


def test_one_gram_matrix_for_every_block_is_left_to_the_planner():
    # Σ_a c_a x_a x_a^T ⊗ I: the same X^T diag(c) X in every diagonal block, computed once
    node = ir.mul(ir.broadcast(ir.contract([x, x, c], ["ab", "ae", "a"], "be", DIMS), (0, 1), (d, d, K, K)),
                  ir.broadcast(ir.identity(K), (2, 3), (d, d, K, K)))
    assert not _blocks(_run(node))


def test_rebuilt_with_new_operands_and_beside_a_diagonal():
    node = _run(_softmax_like(p))
    (blocks,) = _blocks(node)
    rebuilt = ir.rebuild(blocks, [x, ir.mul(ir.const(2), blocks.weights), blocks.diagonal])
    assert isinstance(rebuilt, ir.GramBlocks) and rebuilt.symmetric and rebuilt.diagonal is blocks.diagonal
    square = ir.input_(sympy.IndexedBase("S"), (K, K))
    assert ir.rebuild(ir.diagonal(square), [ir.neg(square)]) is ir.diagonal(ir.neg(square))
    ir.check([rebuilt])


def _helper(name="numpy"):
    namespace = {"np": np}
    exec(HELPERS["gram_blocks"] if name == "numpy" else BACKENDS[name].helpers["gram_blocks"], namespace)
    return namespace["gram_blocks"]


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("parts", ["both", "weights", "diagonal"])
def test_gram_blocks_helper_against_einsum(symmetric, parts):
    Xv = rng.normal(size=(9, 3))
    weights = rng.normal(size=(4, 4, 9))
    if symmetric:
        weights = weights + weights.transpose(1, 0, 2)
    diagonal = rng.normal(size=(4, 9))
    w = weights if parts != "diagonal" else None
    g = diagonal if parts != "weights" else None
    full = (w if w is not None else 0) + (np.eye(4)[:, :, None] * g[:, None, :] if g is not None else 0)
    expected = np.einsum("ai,kla,aj->kilj", Xv, full, Xv)
    assert np.allclose(_helper()(Xv, w, g, symmetric), expected)
    strict = pytest.importorskip("array_api_strict")
    namespace = _helper("array_api")
    def to(a):
        return None if a is None else strict.asarray(a)
    got = namespace(strict, to(Xv), to(w), to(g), symmetric)
    assert np.allclose(np.from_dlpack(got), expected)


SOFTMAX = r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}"


def _softmax_gradient(W, Y, x):
    z = x @ W.T
    e = np.exp(z - z.max(axis=1, keepdims=True))
    probabilities = e / e.sum(axis=1, keepdims=True)
    return (probabilities * Y.sum(axis=1)[:, None] - Y).T @ x


def _central_hessian(gradient, W, *data, h=1e-6):
    out = np.zeros(W.shape + W.shape)
    for index in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[index] = h
        out[index] = (gradient(W + step, *data) - gradient(W - step, *data)) / (2 * h)
    return np.moveaxis(out, (0, 1), (2, 3))   # d/dW_lj of G_ki -> [k, i, l, j]


def test_generated_softmax_hessian_against_central_differences():
    module = symgd.codegen(symgd.parse(SOFTMAX), hessian=True)
    assert "gram_blocks(" in module.source
    W, Y, x_ = rng.normal(size=(4, 3)), rng.random(size=(11, 4)), rng.normal(size=(11, 3))   # counts, not one-hot
    H = module.load().hess(W, Y, x_)
    assert H.shape == (4, 3, 4, 3)
    assert np.allclose(H, _central_hessian(_softmax_gradient, W, Y, x_), rtol=1e-6, atol=1e-7)


def test_generated_two_layer_hessian_against_central_differences():
    source = r"L(W, v) = \sum_{i=1}^{n} (v^\top \tanh(W x_i) - y_i)^2"
    module = symgd.codegen(symgd.parse(source), hessian=True)
    assert "gram_blocks(" in module.source
    W, v, y, x_ = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=9), rng.normal(size=(9, 3))
    def gradient_w(W, v, y, x_):   # by hand: 2 Σ_i r_i (v ⊙ (1 - tanh²(W x_i))) x_i^T
        t = np.tanh(x_ @ W.T)
        r = t @ v - y
        return 2 * ((r[:, None] * (1 - t**2) * v).T @ x_)
    loaded = module.load()
    blocks = loaded.hess(**dict(zip(("W", "v", "y", "x"), (W, v, y, x_))))
    assert np.allclose(blocks[0][0], _central_hessian(gradient_w, W, v, y, x_), rtol=1e-6, atol=1e-7)
