"""The nuclear norm \\|X\\|_* (sum of singular values): value, gradient U V^T, non-smooth report, code.

Every reference here is written by hand from the definition: the value as the sum of the singular values,
the slope by central differences of that value (never symgd's own gradient).
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from corpus.harness import central_differences
from helpers import assert_close, block_values, evaluate, random_env
from symgd.codegen import generate


def _nuclear(matrix):
    return np.sum(np.linalg.svd(matrix, compute_uv=False))


def _denoising(X, A, lam):
    return 0.5 * np.sum((X - A) ** 2) + lam * _nuclear(X)


DENOISING = r"\min_X \frac12\|X - A\|_F^2 + \lambda\|X\|_*"


def _env(problem, rows, cols, seed=1):
    dims = {str(d): None for d in problem.dims}
    first, second = list(dims)
    return random_env(problem, seed=seed, sizes={first: rows, second: cols})


@pytest.mark.parametrize("rows, cols", [(5, 3), (3, 5)])
def test_gradient_of_nuclear_denoising_matches_central_differences(rows, cols):
    problem = symgd.parse(DENOISING, wrt="X")
    env = _env(problem, rows, cols)
    assert env["X"].shape == (rows, cols)
    args = {"X": env["X"], "A": env["A"], "lam": float(env["lambda"])}
    assert evaluate(problem.objective, env) == pytest.approx(_denoising(**args), rel=1e-10)
    (block,) = symgd.gradient(problem).blocks
    slope = central_differences(lambda values: _denoising(**values), args, "X")
    assert_close(block_values(block, env, problem), slope, rel=1e-6, what="gradient in X")


@pytest.mark.parametrize("spelling", [r"\|X\|_*", r"\|X\|_{*}", r"\|X\|_\ast", r"\|X\|_{\ast}",
                                      r"\|X\|_{\mathrm{tr}}", r"\left\|X\right\|_*"])
def test_spellings_of_the_nuclear_norm(spelling):
    problem = symgd.parse(spelling + r" + \frac12\|X - A\|_F^2", wrt="X")
    env = _env(problem, 4, 6, seed=2)
    value = evaluate(problem.objective, env)
    assert value == pytest.approx(_denoising(env["X"], env["A"], 1.0), rel=1e-10)


def test_plain_text_spelling():
    problem = symgd.parse("nuclear_norm(X) + 0.5*normF(X - A)^2", wrt="X")
    env = _env(problem, 5, 3, seed=4)
    assert evaluate(problem.objective, env) == pytest.approx(_denoising(env["X"], env["A"], 1.0), rel=1e-10)


def test_matrix_form_and_svd_stated():
    derivation = symgd.gradient(DENOISING, wrt="X")
    (block,) = derivation.blocks
    assert "U V^\\top" in block.matrix.latex
    assert any("X = U \\Sigma V^\\top" in note for note in derivation.notes)


def test_nonsmooth_report_names_rank_deficiency():
    derivation = symgd.gradient(DENOISING, wrt="X")
    (kink,) = [k for k in derivation.nonsmooth if "_{*}" in k.construct or "_*" in k.construct]
    assert "rank-deficient" in kink.condition
    assert "U V^\\top" in kink.subgradient


@pytest.mark.parametrize("rows, cols", [(5, 3), (3, 5)])
def test_generated_module_matches_numpy(rows, cols):
    problem = symgd.parse(DENOISING, wrt="X")
    module = generate(problem).load()
    source = generate(problem).source
    assert "np.linalg.svd(a, full_matrices=False)" in source
    rng = np.random.default_rng(7)
    X, A = rng.standard_normal((rows, cols)), rng.standard_normal((rows, cols))
    lam = 0.7
    assert module.loss(X, A, lam) == pytest.approx(_denoising(X, A, lam), rel=1e-12)
    slope = central_differences(lambda values: _denoising(**values), {"X": X, "A": A, "lam": lam}, "X")
    assert_close(module.grad(X, A, lam), slope, rel=1e-6, what="generated gradient")
    value, gradient = module.value_and_grad(X, A, lam)
    assert value == pytest.approx(_denoising(X, A, lam), rel=1e-12)
    assert_close(gradient, module.grad(X, A, lam), rel=1e-12)


def test_subgradient_at_a_rank_deficient_point():
    """At a rank-1 X the code returns U V^T of the nonzero part: a subgradient (‖G‖_2 ≤ 1, ⟨G, X⟩ = ‖X‖_*)."""
    module = generate(symgd.parse(r"\|X\|_*", wrt="X")).load()
    rng = np.random.default_rng(3)
    X = np.outer(rng.standard_normal(5), rng.standard_normal(3))
    G = module.grad(X)
    assert np.linalg.norm(G, 2) <= 1 + 1e-12
    assert np.vdot(G, X) == pytest.approx(_nuclear(X), rel=1e-12)
    assert np.linalg.matrix_rank(G) == 1


TRACE_NORM_REGRESSION = r"\min_B \|Y - XB\|_* + \frac{\mu}{2}\|B\|_F^2"


def _trace_norm_regression(B, X, Y, mu):
    return _nuclear(Y - X @ B) + mu / 2 * np.sum(B ** 2)


def test_nuclear_norm_of_an_expression():
    problem = symgd.parse(TRACE_NORM_REGRESSION, wrt="B")
    n, p, q = 6, 4, 3   # X n × p, B p × q, Y n × q
    (B,) = problem.params
    rows, cols = (str(d) for d in problem.shapes[B])
    samples = next(str(d) for d in problem.dims if str(d) not in (rows, cols))
    env = random_env(problem, seed=8, sizes={samples: n, rows: p, cols: q})
    args = {"B": env["B"], "X": env["X"], "Y": env["Y"], "mu": float(env["mu"])}
    assert args["X"].shape == (n, p) and args["Y"].shape == (n, q)
    assert evaluate(problem.objective, env) == pytest.approx(_trace_norm_regression(**args), rel=1e-10)
    derivation = symgd.gradient(problem)
    slope = central_differences(lambda values: _trace_norm_regression(**values), args, "B")
    assert_close(block_values(derivation.blocks[0], env, problem), slope, rel=1e-6, what="gradient in B")
    assert "U V^\\top" in derivation.blocks[0].matrix.latex
    assert any("Y - X B = U \\Sigma V^\\top" in note for note in derivation.notes)
    module = generate(problem).load()
    assert module.loss(**args) == pytest.approx(_trace_norm_regression(**args), rel=1e-12)
    assert_close(module.grad(**args), slope, rel=1e-6, what="generated gradient")


def test_hessian_of_the_nuclear_norm_is_refused():
    with pytest.raises(symgd.UnsupportedError, match="second derivative of the nuclear norm"):
        symgd.hessian(DENOISING, wrt="X")


def _singular_value_thresholding(matrix, threshold):
    u, s, vt = np.linalg.svd(matrix, full_matrices=False)
    return u @ np.diag(np.maximum(s - threshold, 0.0)) @ vt


@pytest.mark.parametrize("rows, cols", [(5, 3), (3, 5)])
def test_prox_step_is_singular_value_thresholding(rows, cols):
    module = symgd.codegen(DENOISING, optimizer="prox").load()
    rng = np.random.default_rng(11)
    X, A, lam, lr = rng.standard_normal((rows, cols)), rng.standard_normal((rows, cols)), 0.9, 0.3
    expected = _singular_value_thresholding(X - lr * (X - A), lr * lam)   # the smooth part's gradient is X - A
    np.testing.assert_allclose(module.step(X, A, lam, lr), expected, rtol=1e-12, atol=1e-12)


def test_prox_fit_reaches_the_closed_form_denoiser():
    """argmin ½‖X − A‖²_F + λ‖X‖_* is SVT(A, λ) (Cai, Candès & Shen 2010)."""
    module = symgd.codegen(DENOISING, optimizer="prox").load()
    rng = np.random.default_rng(12)
    A, lam = rng.standard_normal((6, 4)), 1.1
    X, history = module.fit(np.zeros((6, 4)), A, lam)
    expected = _singular_value_thresholding(A, lam)
    np.testing.assert_allclose(X, expected, atol=1e-8)
    assert history[-1] == pytest.approx(_denoising(expected, A, lam), rel=1e-10)


def test_prox_fit_of_soft_impute_matches_a_hand_written_soft_impute():
    source = r"\min_Z\frac{1}{2}\|P_\Omega(X) - P_\Omega(Z)\|_F^2 + \lambda\|Z\|_*"
    problem = symgd.parse(source)
    module = symgd.codegen(problem, optimizer="prox").load()
    rng = np.random.default_rng(13)
    X = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))
    mask = (rng.random((6, 5)) < 0.7).astype(float)
    lam = 0.5
    Z = np.zeros_like(X)   # Soft-Impute (Mazumder et al. 2010, Alg. 1): Z <- SVT(P_Ω(X) + P_Ω^⊥(Z), λ)
    for _ in range(3000):
        Z = _singular_value_thresholding(mask * X + (1 - mask) * Z, lam)
    names = {str(getattr(s, "label", s)): problem.argnames[s] for s in (*problem.data, *problem.constants)}
    kwargs = {names["X"]: X, names["Omega"]: mask, names["lambda"]: lam}
    fitted, _ = module.fit(np.zeros_like(X), max_iter=5000, tol=1e-12, **kwargs)
    np.testing.assert_allclose(fitted, Z, atol=1e-6)


def test_explain_steps_are_verified():
    explanation = symgd.explain(DENOISING, wrt="X")
    assert explanation.steps[-1].latex.endswith(r"U V^\top - A")
    assert all(step.discrepancy is not None and step.discrepancy < 1e-6 for step in explanation.steps)


def test_value_and_grad_takes_one_svd():
    """‖X‖_* is read as ⟨U V^T, X⟩ where the gradient computes U V^T (the svd pass); loss alone keeps svdvals."""
    source = symgd.codegen(DENOISING).source
    body = source[source.index("def value_and_grad"):source.index("def _update")]
    assert body.count("polar_factor(") == 1 and "nuclear_norm(" not in body
    loss = source[source.index("def loss"):source.index("def grad")]
    assert "nuclear_norm(X)" in loss and "polar_factor" not in loss
