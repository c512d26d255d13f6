"""Contraction planning: BLAS calls where one fits, einsum only where none does; values kept."""

import re

import numpy as np
import pytest
import sympy

from symgd.tensor import ir
from symgd.tensor.passes import contract
from symgd.tensor.evaluate import evaluate

n, d, K = sympy.symbols("n d K", integer=True, positive=True)
X, s, w, W = (sympy.IndexedBase(name) for name in ("X", "s", "w", "W"))
x, vs, vw, mW = ir.input_(X, (n, d)), ir.input_(s, (n,)), ir.input_(w, (d,)), ir.input_(W, (K, d))
DIMS = {"i": n, "k": d, "l": d, "c": K}
rng = np.random.default_rng(2)
ENV = {X: rng.normal(size=(7, 3)), s: rng.normal(size=7), w: rng.normal(size=3), W: rng.normal(size=(4, 3)),
       n: 7, d: 3, K: 4}


def _run(node):
    (out,) = contract.run(ir.Program((node,), ("out",))).roots
    return out


def _kinds(node):
    return {type(n).__name__ for n in ir.postorder([node])}


def test_gram_hessian_is_xt_times_scaled_x():
    node = ir.contract([vs, x, x], ["i", "ik", "il"], "kl", DIMS)
    out = _run(node)
    assert isinstance(out, ir.MatMul) and "Contract" not in _kinds(out)
    assert out.a is ir.transpose(x, (1, 0))
    assert np.allclose(evaluate(out, ENV), ENV[X].T @ (ENV[s][:, None] * ENV[X]))


def test_matrix_vector_products_and_sums_of_squares():
    assert _run(ir.contract([x, vw], ["ik", "k"], "i", DIMS)) is ir.matmul(x, vw)
    assert _run(ir.contract([vs, x], ["i", "ik"], "k", DIMS)) is ir.matmul(ir.transpose(x, (1, 0)), vs)
    assert _run(ir.contract([ir.power(vs, 2)], ["i"], "", DIMS)) is ir.matmul(vs, vs)
    scores = _run(ir.contract([mW, x], ["ck", "ik"], "ic", DIMS))
    assert "Contract" not in _kinds(scores)
    assert np.allclose(evaluate(scores, ENV), ENV[X] @ ENV[W].T)


def test_einsum_remains_only_where_no_blas_call_fits():
    rowwise = ir.contract([x, x], ["ik", "ik"], "i", DIMS)   # Σ_k X_ik X_ik: a row-wise dot product
    assert isinstance(_run(rowwise), ir.Contract)


SPECS = ["ik,k->i", "ik,i->k", "ik,il->kl", "ik,il->lk", "ik,ck->ic", "ck,ik->ci", "i,ik,k->", "i,ik,il->kl",
         "ik,ik->", "ik,ik->i", "ik,ck,c->i", "i,k->ik", "ik,i,i->k"]
OPERANDS = {"ik": x, "il": x, "k": vw, "i": vs, "ck": mW, "c": ir.input_(sympy.IndexedBase("t"), (K,))}


@pytest.mark.parametrize("spec", SPECS)
def test_planned_contractions_keep_their_values(spec):
    inputs, out = spec.split("->")
    node = ir.contract([OPERANDS[part] for part in inputs.split(",")], inputs.split(","), out, DIMS)
    env = {**ENV, sympy.IndexedBase("t"): rng.normal(size=4)}
    assert np.allclose(evaluate(_run(node), env), evaluate(node, env))



def test_softmax_hessian_is_a_gemm_and_block_diagonal_grams():
    """Σ_i c_i (P_ci δ_ce - P_ci P_ei) X_ik X_il: the sum of broadcasts is distributed, δ leaves the sum,
    and each part is a two-operand contraction (no einsum over four operands, which loops)."""
    P = ir.input_(sympy.IndexedBase("P"), (K, n))
    dims = {**DIMS, "e": K}
    eye = ir.broadcast(ir.identity(K), (0, 2), (K, n, K))
    outer = ir.broadcast(P, (0, 1), (K, n, K))
    node = ir.contract([ir.add(eye, ir.neg(outer)), x, x, vs, P], ["cie", "ik", "il", "i", "ei"], "cekl", dims)
    out = _run(node)
    contractions = [n for n in ir.postorder([out]) if isinstance(n, ir.Contract)]
    assert len(contractions) == 2 and all(len(n.args) == 2 for n in contractions)
    assert not any(isinstance(m, ir.Identity) for c in contractions for m in ir.postorder(c.args))
    values = rng.random(size=(4, 7))
    env = {**ENV, sympy.IndexedBase("P"): values}
    S, Xv = ENV[s], ENV[X]
    expected = np.einsum("i,ci,ce,ik,il->cekl", S, values, np.eye(4), Xv, Xv) \
        - np.einsum("i,ci,ei,ik,il->cekl", S, values, values, Xv, Xv)
    assert np.allclose(evaluate(out, env), expected)


def _run_all(*nodes):
    return contract.run(ir.Program(tuple(nodes), tuple(f"out{k}" for k in range(len(nodes))))).roots


def test_a_product_computed_elsewhere_is_reused():
    # Σ_i s_i Σ_k X_ik w_k beside exp(X w): s @ (X @ w), not w @ (X.T @ s), a second pass over X
    forward = ir.apply("exp", ir.contract([x, vw], ["ik", "k"], "i", DIMS))
    weighted = ir.contract([vs, ir.contract([x, vw], ["ik", "k"], "i", DIMS)], ["i", "i"], "", DIMS)
    total = ir.contract([x, vw], ["ik", "k"], "", DIMS)   # Σ_i x_i^T w: np.sum(X @ w), not w @ X.sum(axis=0)
    out_forward, out_weighted, out_total = _run_all(forward, weighted, total)
    product = out_forward.args[0]
    assert isinstance(product, ir.MatMul)
    for out in (out_weighted, out_total):
        assert product in ir.postorder([out])
        assert not any(isinstance(node, ir.Reduce) and node.arg is x for node in ir.postorder([out]))
    assert np.isclose(evaluate(out_weighted, ENV), ENV[s] @ ENV[X] @ ENV[w])
    assert np.isclose(evaluate(out_total, ENV), (ENV[X] @ ENV[w]).sum())


def test_a_product_reused_up_to_a_number():
    # exp(X (-w)) and Σ_i x_i^T w: the sum is minus the sum of X (-w)
    forward = ir.apply("exp", ir.contract([x, ir.neg(vw)], ["ik", "k"], "i", DIMS))
    total = ir.contract([x, vw], ["ik", "k"], "", DIMS)
    out_forward, out_total = _run_all(forward, total)
    assert out_forward.args[0] in ir.postorder([out_total])
    assert np.isclose(evaluate(out_total, ENV), (ENV[X] @ ENV[w]).sum())


def test_without_a_shared_product_the_plan_is_unchanged():
    node = ir.contract([vs, x, vw], ["i", "ik", "k"], "", DIMS)
    assert _run_all(node)[0] is _run(node)
    assert np.isclose(evaluate(_run(node), ENV), ENV[s] @ ENV[X] @ ENV[w])


def test_a_matrix_sum_of_squares_is_one_dot_product_read_as_a_frobenius_norm():
    from symgd.tensor.print_latex import latex
    out = _run(ir.contract([ir.power(x, 2)], ["ik"], "", DIMS))   # Σ_ik X_ik^2
    assert isinstance(out, ir.Contract) and out.args == (x, x)
    assert np.isclose(evaluate(out, ENV), (ENV[X] ** 2).sum())
    assert latex(out) == r"\left\|X\right\|_F^2"


def test_generated_full_contraction_of_two_arrays_is_a_plain_einsum():
    import symgd
    source = r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}"
    text = symgd.codegen(source).source
    loss = text[text.index("def loss"):text.index("def grad")]
    assert re.search(r"np\.einsum\('(ab,ba|ba,ab)->'", loss) and "optimize=True" not in loss
    module = symgd.codegen(source).load()
    W, Y, xs = rng.normal(size=(3, 4)), np.eye(3)[rng.integers(0, 3, 6)], rng.normal(size=(6, 4))
    z = xs @ W.T
    expected = -np.sum(Y * (z - np.log(np.exp(z).sum(axis=1, keepdims=True))))
    assert np.isclose(module.loss(W, Y, xs), expected)
