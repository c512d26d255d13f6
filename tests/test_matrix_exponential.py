"""The matrix exponential e^M of a square matrix: tr(e^M), ⟨C, e^M⟩, tr(C e^M), NOTEARS' tr(e^{W∘W}) - d.

Every reference is written by hand with scipy.linalg.expm (never symgd's own evaluator or gradient); slopes
are central differences of that reference, at random points with every dimension distinct (d = 3, p = 5).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import symgd
from corpus.harness import central_differences
from helpers import assert_close, block_values, evaluate, random_env
from symgd.codegen import generate

D, P = 3, 5   # the square side and the other dimension: distinct, so a lost transpose cannot hide
SQUARE_A = r"A \in \mathbb{R}^{d \times d}"


def _expm(matrix):
    return scipy.linalg.expm(np.asarray(matrix, dtype=float))


def _square_env(problem, seed):
    """Random values with the square side D (every dimension but one named p, which is P)."""
    return random_env(problem, seed=seed, sizes={str(d): P if str(d) == "p" else D for d in problem.dims})


def _check_gradient(problem, reference, names, seed=1):
    """The objective equals ``reference`` and the one gradient block equals its central differences."""
    env = _square_env(problem, seed)
    values = {name: np.asarray(env[name], dtype=float) for name in names}
    assert evaluate(problem.objective, env) == pytest.approx(reference(values), rel=1e-10)
    (block,) = symgd.gradient(problem).blocks
    param = str(block.wrt[0].label)
    slope = central_differences(reference, values, param)
    assert_close(block_values(block, env, problem), slope, rel=1e-6, what=f"gradient in {param}")
    return env, values, slope


@pytest.mark.parametrize("spelling", [r"\operatorname{tr}(e^{A})", r"\operatorname{tr}(\exp(A))",
                                      r"\mathrm{tr}\left(\operatorname{expm}(A)\right)", "trace(expm(A))"])
def test_trace_of_the_exponential_of_a_parameter(spelling):
    problem = symgd.parse(spelling, wrt="A")
    _check_gradient(problem, lambda v: float(np.trace(_expm(v["A"]))), ["A"])


def test_notears_constraint_gradient_is_the_transposed_exponential_times_2w():
    problem = symgd.parse(r"\operatorname{tr}(e^{W\circ W}) - d", wrt="W", where=r"W \in \mathbb{R}^{d \times d}")
    assert any("matrix exponential" in reading and "W" in reading for reading in problem.readings)

    def constraint(v):
        return float(np.trace(_expm(v["W"] * v["W"]))) - v["W"].shape[0]

    env, values, slope = _check_gradient(problem, constraint, ["W"])
    W = values["W"]
    assert_close(slope, _expm(W * W).T * 2 * W, rel=1e-6, what="the known gradient (e^{W∘W})^T ∘ 2W")
    (block,) = symgd.gradient(problem).blocks
    assert r"\left(e^{" in block.matrix.latex and r"\right)^\top" in block.matrix.latex
    module = generate(problem).load()
    assert "scipy.linalg.expm" in generate(problem).source
    assert module.loss(W) == pytest.approx(constraint(values), rel=1e-12)
    assert_close(module.grad(W), slope, rel=1e-6, what="generated gradient")
    value, gradient = module.value_and_grad(W)
    assert value == pytest.approx(constraint(values), rel=1e-12)
    assert_close(gradient, module.grad(W), rel=1e-12)


def test_inner_product_with_the_exponential_of_a_product():
    # <C, e^{XW}>: X is d x p, W is p x d, so XW is square and W's gradient is X^T L(W^T X^T, C)
    problem = symgd.parse(r"\langle C, e^{XW}\rangle", wrt="W",
                          where=r"X \in \mathbb{R}^{d \times p}, W \in \mathbb{R}^{p \times d}")

    def pairing(v):
        return float(np.vdot(v["C"], _expm(v["X"] @ v["W"])))

    env, values, slope = _check_gradient(problem, pairing, ["C", "X", "W"])
    assert values["X"].shape == (D, P) and values["W"].shape == (P, D)
    source = generate(problem).source
    assert "scipy.linalg.expm_frechet" in source
    module = generate(problem).load()
    arguments = {"W": values["W"], "C": values["C"], "X": values["X"]}
    assert module.loss(**arguments) == pytest.approx(pairing(values), rel=1e-12)
    assert_close(module.grad(**arguments), slope, rel=1e-6, what="generated gradient")


@pytest.mark.parametrize("latex, reference", [
    (r"\operatorname{tr}(C e^{A})", lambda v: float(np.trace(v["C"] @ _expm(v["A"])))),
    (r"\operatorname{tr}(e^{A} C)", lambda v: float(np.trace(_expm(v["A"]) @ v["C"]))),
    (r"\langle e^{A}, C\rangle", lambda v: float(np.vdot(_expm(v["A"]), v["C"]))),
])
def test_traces_of_products_and_pairings_in_either_order(latex, reference):
    problem = symgd.parse(latex, wrt="A", where=SQUARE_A)
    _check_gradient(problem, reference, ["A", "C"])


def test_weights_that_depend_on_the_parameter_too():
    # <A, e^A>: the product rule gives e^A + L(A^T, A)
    problem = symgd.parse(r"\langle A, e^{A}\rangle", wrt="A", where=SQUARE_A)
    _check_gradient(problem, lambda v: float(np.vdot(v["A"], _expm(v["A"]))), ["A"])


def test_exp_of_a_matrix_that_is_not_square_stays_entrywise_and_says_so():
    problem = symgd.parse(r"\|\exp(XW)\|_F^2", wrt="W",
                          where=r"X \in \mathbb{R}^{n \times p}, W \in \mathbb{R}^{p \times k}")
    assert any("entry by entry" in reading for reading in problem.readings)
    env = random_env(problem, seed=4, sizes={"n": 7, "p": 5, "k": 3})

    def entrywise(v):
        return float(np.sum(np.exp(v["X"] @ v["W"]) ** 2))

    values = {"X": env["X"], "W": env["W"]}
    assert evaluate(problem.objective, env) == pytest.approx(entrywise(values), rel=1e-10)
    (block,) = symgd.gradient(problem).blocks
    assert_close(block_values(block, env, problem), central_differences(entrywise, values, "W"), rel=1e-6)


@pytest.mark.parametrize("latex, reference", [
    (r"\|e^{A}\|_F^2", lambda v: float(np.sum(_expm(v["A"]) ** 2))),
    (r"x^\top e^{A} x", lambda v: float(v["x"] @ _expm(v["A"]) @ v["x"])),
    (r"\mathbf{1}^\top e^{A} x", lambda v: float(np.sum(_expm(v["A"]) @ v["x"]))),
    (r"\log(x^\top e^{A} x)", lambda v: float(np.log(v["x"] @ _expm(v["A"]) @ v["x"]))),
])
def test_any_scalar_function_of_the_exponential_through_one_frechet_derivative(latex, reference):
    # the index form holds the rank-4 derivative of e^A; its contraction with what multiplies e^A is one
    # L(A^T, G) in the matrix form and in the code (tensor/passes/expm.py), never the n^2 Frechet derivatives
    names = ["A", "x"] if "x" in latex else ["A"]
    problem = symgd.parse(latex, wrt="A", where=SQUARE_A + (r", x \in \mathbb{R}^{d}" if "x" in latex else ""))
    env, values, slope = _check_gradient(problem, reference, names, seed=2)
    (block,) = symgd.gradient(problem).blocks
    assert r"L_{\exp}\left(A^\top" in block.matrix.latex
    generated = generate(problem)
    assert "expm_frechet(A.T" in generated.source and "def expm_derivative" not in generated.source
    arguments = {name: values[name] for name in names}
    module = generated.load()
    assert module.loss(**arguments) == pytest.approx(reference(values), rel=1e-12)
    assert_close(module.grad(**arguments), slope, rel=1e-6, what="generated gradient")


def test_a_sum_over_samples_of_quadratic_forms_in_the_exponential():
    # Σ_i x_i^T e^A x_i = <X^T X, e^A>: the samples' axis summed into G before the one Fréchet derivative
    problem = symgd.parse(r"\sum_{i=1}^{n} x_i^\top e^{A} x_i", wrt="A",
                          where=SQUARE_A + r", x_i \in \mathbb{R}^{d}")
    env = random_env(problem, seed=3, sizes={"n": 7, "d": D})
    values = {"A": env["A"], "x": env["x"]}

    def reference(v):
        return float(sum(row @ _expm(v["A"]) @ row for row in v["x"]))

    assert evaluate(problem.objective, env) == pytest.approx(reference(values), rel=1e-10)
    slope = central_differences(reference, values, "A")
    (block,) = symgd.gradient(problem).blocks
    assert_close(block_values(block, env, problem), slope, rel=1e-6)
    generated = generate(problem)
    assert "def expm_derivative" not in generated.source
    assert_close(generated.load().grad(values["A"], values["x"]), slope, rel=1e-6, what="generated gradient")


def test_the_hessian_of_the_notears_constraint_matches_differences_of_its_known_gradient():
    problem = symgd.parse(r"\operatorname{tr}(e^{W\circ W})", wrt="W", where=r"W \in \mathbb{R}^{d \times d}")
    env = _square_env(problem, 6)
    W = np.asarray(env["W"], dtype=float)

    def known_gradient(v):   # (e^{W∘W})^T ∘ 2W, itself checked against central differences above
        return _expm(v["W"] * v["W"]).T * 2 * v["W"]

    expected = np.zeros((D, D, D, D))
    for i, j in np.ndindex(D, D):
        expected[i, j] = central_differences(lambda v, i=i, j=j: float(known_gradient(v)[i, j]), {"W": W}, "W")
    (block,) = symgd.hessian(problem).blocks
    assert_close(block_values(block, env, problem), expected, rel=1e-6, what="Hessian in W")
    module = generate(symgd.hessian(problem)).load()
    assert_close(module.hess(W).reshape(D, D, D, D), expected, rel=1e-6, what="generated Hessian")


@pytest.mark.parametrize("latex", [r"\langle C, e^{W}\rangle", r"\langle W, e^{W}\rangle", r"\|e^{W}\|_F^2"])
def test_the_hessian_is_refused_with_the_construct_named(latex):
    with pytest.raises(symgd.UnsupportedError, match="second derivative of the matrix exponential"):
        symgd.hessian(symgd.parse(latex, wrt="W", where=r"W \in \mathbb{R}^{d \times d}"))


@pytest.mark.parametrize("latex", [r"\langle C, e^{A}\rangle", r"\operatorname{tr}(C e^{A})", r"\|e^{A}\|_F^2"])
def test_exp_of_a_matrix_whose_sides_nothing_gives_is_ambiguous(latex):
    # A capitalised A is a matrix by default, of sides symgd names: square (the matrix exponential) or not
    # (entry by entry) is for the source to say
    with pytest.raises(symgd.AmbiguityError, match="matrix exponential"):
        symgd.parse(latex, wrt="A")


def test_the_hessian_in_another_parameter_is_exact():
    # e^{A} with A data does not move with w: the Hessian of tr(e^A) w^T w is 2 tr(e^A) I
    problem = symgd.parse(r"\operatorname{tr}(e^{A})\|w\|^2", wrt="w",
                          where=r"A \in \mathbb{R}^{d \times d}, w \in \mathbb{R}^{p}")
    (block,) = symgd.hessian(problem).blocks
    env = _square_env(problem, 5)
    size = np.shape(env["w"])[0]
    assert size == P and np.shape(env["A"]) == (D, D)
    expected = 2 * np.trace(_expm(env["A"])) * np.eye(size)
    assert_close(block_values(block, env, problem), expected, rel=1e-10, what="Hessian in w")


def test_array_api_code_is_refused_naming_the_exponential():
    with pytest.raises(symgd.UnsupportedError, match="matrix exponential"):
        generate(symgd.parse(r"\operatorname{tr}(e^{A})", wrt="A"), backend="array_api")


NOTEARS = (r"\min_{W}\frac{1}{2n}\|X - XW\|_F^2 + \lambda\|W\|_1 \quad\text{subject to}\quad "
           r"\operatorname{tr}(e^{W\circ W}) - d = 0")


def _chain_data(n=30, seed=0):
    """x1 -> x2 -> x3: data of a linear structural equation model whose DAG NOTEARS should find."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = 1.5 * x1 + 0.3 * rng.normal(size=n)
    x3 = -x2 + 0.3 * rng.normal(size=n)
    return np.stack([x1, x2, x3], axis=1), rng


def test_notears_lagrangian_gradient_and_hessian_in_the_generated_solver():
    """The pieces the augmented Lagrangian and its certificate read: h, ∇L and ∇²L (row-major over W's entries)
    against the hand-written (e^{W∘W})^T ∘ 2W and central differences of it."""
    module = generate(symgd.parse(NOTEARS, wrt="W", where=r"W \in \mathbb{R}^{d \times d}")).load()
    X, rng = _chain_data()
    W, lam, reg = rng.normal(size=(3, 3)), np.array([0.7]), 0.05
    (h,), _ = module.constraint_values(W, X, reg)
    assert h == pytest.approx(np.trace(_expm(W * W)) - 3, rel=1e-12)

    def lagrangian_gradient(v):
        w = v["W"]
        return X.T @ (X @ w - X) / len(X) + reg * np.sign(w) + lam[0] * _expm(w * w).T * 2 * w

    assert_close(module.lagrangian_grad(W, X, reg, lam, np.zeros(0)), lagrangian_gradient({"W": W}), rel=1e-10)
    expected = np.zeros((3, 3, 3, 3))
    for i, j in np.ndindex(3, 3):
        expected[i, j] = central_differences(lambda v, i=i, j=j: float(lagrangian_gradient(v)[i, j]), {"W": W}, "W")
    assert_close(module.lagrangian_hess(W, X, reg, lam, np.zeros(0)), expected.reshape(9, 9), rel=1e-6,
                 what="Hessian of the Lagrangian")


def test_notears_solver_does_not_claim_optimality():
    """NOTEARS is non-convex and its constraint's gradient vanishes on every DAG (LICQ fails: the multiplier
    grows without bound), so the generated augmented Lagrangian cannot certify its point: never 'optimal'.
    (A few outer iterations here; run to 30 the status is 'stalled' with the chain's DAG found.)"""
    module = generate(symgd.parse(NOTEARS, wrt="W", where=r"W \in \mathbb{R}^{d \times d}")).load()
    X, rng = _chain_data()
    W, info = module.fit(0.01 * rng.normal(size=(3, 3)), X, 0.05, max_iter=4, restarts=0)
    assert info["status"] != "optimal"
    assert abs(np.trace(_expm(W * W)) - 3) < 0.1   # on its way to a DAG: h decreases with the penalty


def test_step_by_step_explanation_is_refused_naming_the_exponential():
    with pytest.raises(symgd.UnsupportedError, match="matrix exponential"):
        symgd.explain(r"\operatorname{tr}(e^{W\circ W})", wrt="W")


def test_kkt_stationarity_of_notears_holds_the_exponential_gradient():
    problem = symgd.parse(NOTEARS, wrt="W", where=r"W \in \mathbb{R}^{d \times d}")
    assert r"\left(e^{W^{\odot 2}}\right)^\top" in symgd.kkt(problem).latex


@pytest.mark.parametrize("claim, verdict", [
    (r"\left(e^{W\circ W}\right)^\top \circ (2W)", "correct"),
    (r"2 W \circ \exp(W\circ W)^\top", "correct"),
    (r"2 W \circ e^{W\circ W}", "incorrect"),   # the transpose dropped: right only for symmetric W
])
def test_checking_a_hand_derived_notears_gradient(claim, verdict):
    result = symgd.check(r"h(W) = \operatorname{tr}(e^{W\circ W}) - d", r"\frac{\partial h}{\partial W} = " + claim,
                         wrt="W", where=r"W \in \mathbb{R}^{d \times d}")
    assert str(result).startswith(verdict)
    if verdict == "incorrect":
        assert "transpose" in str(result)


def test_exact_kkt_solve_is_refused_naming_the_exponential():
    problem = symgd.parse(NOTEARS, wrt="W", where=r"W \in \mathbb{R}^{d \times d}")
    with pytest.raises(symgd.UnsupportedError, match="matrix exponential"):
        symgd.kkt(problem).solve({"X": np.eye(2), "lambda": 0.1})
