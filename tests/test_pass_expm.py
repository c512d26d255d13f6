"""The expm pass: a contraction of the matrix exponential's rank-4 derivative ∂(e^M)_ij/∂M_pq over (i, j) is one
Fréchet derivative L(M^T, G); what keeps all four axes (a Hessian) keeps the rank-4 array."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import sympy

from corpus.harness import central_differences
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.passes import expm

n = sympy.Symbol("n", integer=True, positive=True)
M, G, x, y = sympy.IndexedBase("M"), sympy.IndexedBase("G"), sympy.IndexedBase("x"), sympy.IndexedBase("y")


def _env(seed=0):
    rng = np.random.default_rng(seed)
    return {M: rng.normal(size=(4, 4)), G: rng.normal(size=(4, 4)), x: rng.normal(size=4), y: rng.normal(size=4),
            n: 4}


def _has_rank4(node) -> bool:
    return any(isinstance(m, ir.MatFn) and m.op == "dexpm" for m in ir.postorder([node]))


def test_contractions_with_a_matrix_or_vectors_become_one_frechet_derivative_with_the_same_value():
    m, g = ir.input_(M, (n, n)), ir.input_(G, (n, n))
    u, v = ir.input_(x, (n,)), ir.input_(y, (n,))
    d = ir.matfn("dexpm", m)
    dims = {c: n for c in "abcd"}
    roots = (ir.contract([d, g], ["abcd", "ab"], "cd", dims),            # Σ_ij G_ij D_ijpq
             ir.contract([g, d], ["ba", "abcd"], "dc", dims),            # G transposed, result transposed
             ir.contract([u, ir.contract([v, d], ["b", "abcd"], "acd", dims)], ["a", "acd"], "cd", dims),  # x x'
             ir.contract([v, d], ["b", "abcd"], "cd", dims),             # Σ_ij y_j D_ijpq: G = 1 y^T
             ir.contract([g, g, d], ["ea", "eb", "abcd"], "cd", {**dims, "e": n}))   # G^T G, its axis e summed
    program = ir.Program(roots, ("a", "b", "c", "d", "e"))
    after = expm.run(program)
    env = _env()
    for before, folded in zip(program.roots, after.roots):
        assert not _has_rank4(folded)
        assert any(isinstance(node, ir.ExpmFrechet) for node in ir.postorder([folded]))
        np.testing.assert_allclose(evaluate(folded, env), evaluate(before, env), rtol=1e-10, atol=1e-12)


def test_the_folded_gradient_is_the_slope_of_the_pairing():
    m, g = ir.input_(M, (n, n)), ir.input_(G, (n, n))
    root = ir.contract([ir.matfn("dexpm", m), g], ["abcd", "ab"], "cd", {c: n for c in "abcd"})
    (folded,) = expm.run(ir.Program((root,), ("grad",))).roots
    env = _env(1)
    slope = central_differences(lambda v: float(np.vdot(env[G], scipy.linalg.expm(v["M"]))), {"M": env[M]}, "M")
    np.testing.assert_allclose(evaluate(folded, env), slope, rtol=1e-6)


@pytest.mark.parametrize("out", ["acd", "abcd"])
def test_a_contraction_that_keeps_an_axis_of_the_exponential_keeps_the_rank4_array(out):
    m, u = ir.input_(M, (n, n)), ir.input_(x, (n,))
    d = ir.matfn("dexpm", m)
    root = ir.contract([u, d], ["b", "abcd"], out, {c: n for c in "abcd"}) if out == "acd" else \
        ir.mul(d, ir.broadcast(u, (0,), (n, n, n, n)))
    (after,) = expm.run(ir.Program((root,), ("hess",))).roots
    assert after is root
