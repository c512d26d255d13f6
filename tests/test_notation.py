"""Notation from the literature, each case against a NumPy reference of what the source means.

Every source is read exactly as papers and textbooks write it; the loss symgd builds and every
gradient block are compared with a hand-written NumPy function of the source's meaning (at random
points with distinct dimensions; gradients against central differences of the reference).
"""

import numpy as np
import pytest

import symgd
from test_misreadings import check_against_reference


def sigmoid(u):
    return 1 / (1 + np.exp(-u))


def softmax(u):
    e = np.exp(u - u.max())
    return e / e.sum()


def relu(u):
    return np.maximum(u, 0.0)


# -- names ----------------------------------------------------------------------------------------

def test_accents_are_parts_of_names():
    problem = symgd.parse(r"\frac{1}{n}\sum_{i=1}^{n} (\hat y_i - y_i)^2 + \lambda\|\bar w - \tilde w\|^2",
                          wrt=r"\bar w")
    check_against_reference(
        problem, lambda yhat, y, wbar, wtilde, lam: np.mean((yhat - y) ** 2) + lam * np.sum((wbar - wtilde) ** 2),
        {"yhat": "yhat", "y": "y", "wbar": "wbar", "wtilde": "wtilde", "lam": "lambda"})
    assert r"\hat{y}" in problem.latex() and r"\bar{w}" in problem.latex()


def test_wide_accent_on_a_matrix_and_dot():
    problem = symgd.parse(r"\|\widetilde{R} w - \dot x\|^2", wrt="w")
    check_against_reference(problem, lambda R, w, x: np.sum((R @ w - x) ** 2),
                            {"R": "Rtilde", "w": "w", "x": "xdot"})


@pytest.mark.parametrize("head", [r"\ell(w)", r"\mathcal{L}(w)", r"\mathscr{L}(w)"])
def test_loss_names(head):
    problem = symgd.parse(head + r" = \|Xw - y\|^2")
    check_against_reference(problem, lambda X, y, w: np.sum((X @ w - y) ** 2), {"X": "X", "y": "y", "w": "w"})


def test_subscripted_matrix_inverse_and_determinant():
    problem = symgd.parse(r"(x-\mu)^\top \Sigma_2^{-1} (x - \mu) + \log\det K_y + y^\top K_y^{-1} y", wrt=r"\mu")
    env_names = {"x": "x", "mu": "mu", "S": "Sigma_2", "K": "K_y", "y": "y"}
    check_against_reference(
        problem,
        lambda x, mu, S, K, y: (x - mu) @ np.linalg.solve(S, x - mu) + np.log(np.linalg.det(K))
        + y @ np.linalg.solve(K, y), env_names)


def test_distinct_subscripted_weights():
    problem = symgd.parse(r"\|W_2 \tanh(W_1 x) - y\|^2", wrt="W_1, W_2")
    check_against_reference(problem, lambda W1, W2, x, y: np.sum((W2 @ np.tanh(W1 @ x) - y) ** 2),
                            {"W1": "W_1", "W2": "W_2", "x": "x", "y": "y"})


def test_subscripted_dimension_in_a_declaration():
    problem = symgd.parse(r"\frac{q^\top k}{\sqrt{d_k}} \quad q, k \in \mathbb{R}^{d_k}", wrt="q")
    assert tuple(map(str, problem.shapes["q"])) == ("d_k",)
    check_against_reference(problem, lambda q, k: q @ k / np.sqrt(len(q)), {"q": "q", "k": "k"})


# -- definitions anywhere -------------------------------------------------------------------------

def test_hypothesis_with_subscripted_name_is_a_definition():   # CS229 notes, linear regression
    problem = symgd.parse(r"h_\theta(x) = \theta^\top x \quad "
                          r"J(\theta) = \frac{1}{2m}\sum_{i=1}^{m} (h_\theta(x^{(i)}) - y^{(i)})^2")
    assert [str(p) for p in problem.params] == ["theta"]
    check_against_reference(problem, lambda X, y, t: np.sum((X @ t - y) ** 2) / (2 * len(y)),
                            {"X": "x", "y": "y", "t": "theta"})


def test_logistic_regression_cs229_with_log_of_a_call():
    problem = symgd.parse(r"h_\theta(x) = \sigma(\theta^\top x) \quad J(\theta) = -\sum_{i=1}^{m} "
                          r"\left(y^{(i)}\log h_\theta(x^{(i)}) + (1 - y^{(i)})\log(1 - h_\theta(x^{(i)}))\right)")
    check_against_reference(
        problem, lambda X, y, t: -np.sum(y * np.log(sigmoid(X @ t)) + (1 - y) * np.log(1 - sigmoid(X @ t))),
        {"X": "x", "y": "y", "t": "theta"})


def test_indexed_definition_bishop_cross_entropy():   # Bishop PRML (4.90), (4.91)
    problem = symgd.parse(r"y_n = \sigma(w^\top\phi_n) \quad "
                          r"E(w) = -\sum_{n=1}^{N} \left(t_n \ln y_n + (1 - t_n)\ln(1 - y_n)\right)")
    check_against_reference(
        problem, lambda P, t, w: -np.sum(t * np.log(sigmoid(P @ w)) + (1 - t) * np.log(1 - sigmoid(P @ w))),
        {"P": "phi", "t": "t", "w": "w"})
    assert any("y_{n}" in reading for reading in problem.readings)


def test_check_function_of_quantile_regression():   # Koenker & Bassett (1978)
    problem = symgd.parse(r"\rho_\tau(u) = \max(\tau u, (\tau-1)u) \quad "
                          r"L(\beta) = \sum_{i=1}^{n} \rho_\tau(y_i - x_i^\top\beta) \quad 0 < \tau < 1")
    check_against_reference(
        problem, lambda X, y, b, tau: np.sum(np.maximum(tau * (y - X @ b), (tau - 1) * (y - X @ b))),
        {"X": "x", "y": "y", "b": "beta", "tau": "tau"})
    assert any("assumption" in reading for reading in problem.readings)


def huber(a, delta):
    return np.where(np.abs(a) <= delta, 0.5 * a ** 2, delta * (np.abs(a) - 0.5 * delta))


def test_huber_loss_with_cases():   # Huber (1964); ESL (10.23)
    problem = symgd.parse(r"L_\delta(a) = \begin{cases} \frac12 a^2 & \text{if } |a| \le \delta \\ "
                          r"\delta(|a| - \frac12\delta) & \text{otherwise} \end{cases} \quad "
                          r"J(w) = \sum_{i=1}^{n} L_\delta(y_i - x_i^\top w) \quad \delta > 0")
    check_against_reference(problem, lambda X, y, w, d: np.sum(huber(y - X @ w, d)),
                            {"X": "x", "y": "y", "w": "w", "d": "delta"})
    kinks = [k.condition for k in symgd.gradient(problem).nonsmooth]
    assert any("delta" in k for k in kinks)


def test_smooth_l1_with_cases():   # Girshick, Fast R-CNN (2015), eq. (3)
    problem = symgd.parse(r"\operatorname{smooth}(x) = \begin{cases} 0.5 x^2, & |x| < 1 \\ |x| - 0.5, "
                          r"& \text{otherwise} \end{cases} \quad L(w) = \sum_{i} \operatorname{smooth}(y_i - w^\top x_i)")
    def reference(X, y, w):
        r = y - X @ w
        return np.sum(np.where(np.abs(r) < 1, 0.5 * r ** 2, np.abs(r) - 0.5))

    check_against_reference(problem, reference, {"X": "x", "y": "y", "w": "w"})


# -- operators ------------------------------------------------------------------------------------

def test_inner_product_of_vectors_and_of_matrices():
    problem = symgd.parse(r"\langle w, x\rangle^2 + \langle A, W \rangle", wrt="w, W")
    check_against_reference(problem, lambda w, x, A, W: (w @ x) ** 2 + np.sum(A * W),
                            {"w": "w", "x": "x", "A": "A", "W": "W"})


def test_hinge_as_positive_part():   # ESL (12.25)
    problem = symgd.parse(r"\sum_{i=1}^{n} [1 - y_i (x_i^\top\beta + \beta_0)]_+ + \frac{\lambda}{2}\|\beta\|^2",
                          wrt=r"\beta, \beta_0")
    check_against_reference(
        problem, lambda X, y, b, b0, lam: np.sum(relu(1 - y * (X @ b + b0))) + lam / 2 * b @ b,
        {"X": "x", "y": "y", "b": "beta", "b0": "beta_0", "lam": "lambda"})


@pytest.mark.parametrize("indicator", [r"\mathbb{1}(y_i w^\top x_i < 0)", r"\mathbb{1}[y_i w^\top x_i < 0]",
                                       r"\mathbb{1}\{y_i w^\top x_i < 0\}"])
def test_indicator_counts_and_has_zero_derivative(indicator):   # the perceptron's error count
    problem = symgd.parse(r"\sum_{i=1}^{n} " + indicator + r" \, (-y_i w^\top x_i)", wrt="w")
    check_against_reference(problem, lambda X, y, w: np.sum((y * (X @ w) < 0) * (-y * (X @ w))),
                            {"X": "x", "y": "y", "w": "w"})
    assert symgd.gradient(problem).nonsmooth


def test_diag_softmax_logsumexp():
    problem = symgd.parse(r"\|\operatorname{diag}(w) x - y\|^2 - c^\top \log\operatorname{softmax}(W z)"
                          r" + \operatorname{logsumexp}(W z)", wrt="w, W")
    check_against_reference(
        problem, lambda w, x, y, c, W, z: np.sum((np.diag(w) @ x - y) ** 2) - c @ np.log(softmax(W @ z))
        + np.log(np.sum(np.exp(W @ z))),
        {"w": "w", "x": "x", "y": "y", "c": "c", "W": "W", "z": "z"})


def test_elementwise_division_and_identity_of_a_named_size():
    problem = symgd.parse(r"\|X \oslash Y - W\|_F^2 + \|(I_n - A) v\|^2 \quad A \in \mathbb{R}^{n \times n}",
                          wrt="W, v")
    check_against_reference(problem, lambda X, Y, W, A, v: np.sum((X / Y - W) ** 2)
                            + np.sum(((np.eye(len(A)) - A) @ v) ** 2),
                            {"X": "X", "Y": "Y", "W": "W", "A": "A", "v": "v"})
    assert any("identity" in reading for reading in problem.readings)


def test_entry_of_a_product_nmf():   # Lee & Seung (2001), eq. (2)
    problem = symgd.parse(r"\sum_{ij} (V_{ij} - (WH)_{ij})^2", wrt="W, H")
    check_against_reference(problem, lambda V, W, H: np.sum((V - W @ H) ** 2), {"V": "V", "W": "W", "H": "H"})


def test_group_norm_two_one():
    problem = symgd.parse(r"\frac12\|Y - XB\|_F^2 + \lambda\|B\|_{2,1}", wrt="B")
    check_against_reference(
        problem, lambda X, Y, B, lam: 0.5 * np.sum((Y - X @ B) ** 2) + lam * np.sum(np.linalg.norm(B, axis=1)),
        {"X": "X", "Y": "Y", "B": "B", "lam": "lambda"})


@pytest.mark.parametrize("source", [
    r"\tfrac{1}{2}\|w\|^2 + \dfrac12 \|Xw\|^2",
    r"\left. \frac{1}{2}\|w\|^2 \right. + \frac12\|Xw\|^2",
    r"\frac12\|w\|^2\medspace+\thickspace\frac12\|Xw\|^2\negthinspace",
])
def test_spacing_and_fraction_spellings(source):
    problem = symgd.parse(source, wrt="w")
    check_against_reference(problem, lambda X, w: 0.5 * w @ w + 0.5 * np.sum((X @ w) ** 2), {"X": "X", "w": "w"})


def test_nuclear_norm_is_read():
    problem = symgd.parse(r"\|Y - X\|_F^2 + \lambda\|X\|_*", wrt="X")
    check_against_reference(
        problem, lambda X, Y, lam: np.sum((Y - X) ** 2) + lam * np.sum(np.linalg.svd(X, compute_uv=False)),
        {"X": "X", "Y": "Y", "lam": "lambda"})


# -- sums -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("sum_", [r"\sum_{ij}", r"\sum_{i,j}", r"\sum_i\sum_j"])
def test_double_sums_with_ranges_from_the_data(sum_):
    problem = symgd.parse(sum_ + r" (X_{ij} - u_i v_j)^2", wrt="u, v")
    check_against_reference(problem, lambda X, u, v: np.sum((X - np.outer(u, v)) ** 2),
                            {"X": "X", "u": "u", "v": "v"})


def test_sum_over_the_other_indices():   # an energy without self-interaction
    problem = symgd.parse(r"\sum_{i}\sum_{j \ne i} K_{ij} w_i w_j", wrt="w")
    check_against_reference(problem, lambda K, w: w @ (K - np.diag(np.diag(K))) @ w, {"K": "K", "w": "w"})


# -- problem headers ------------------------------------------------------------------------------

def test_min_without_variables_takes_x():   # Nocedal & Wright, example 12.1
    problem = symgd.parse(r"\min x_1 + x_2 \quad \text{s.t.} \quad x_1^2 + x_2^2 - 2 = 0")
    assert [str(p) for p in problem.params] == ["x_1", "x_2"]
    assert len(problem.constraints) == 1


def test_min_over_a_declared_space():
    problem = symgd.parse(r"\min_{x \in \mathbb{R}^n} \|Ax - b\|^2")
    assert tuple(map(str, problem.shapes["x"])) == ("n",)
    check_against_reference(problem, lambda A, b, x: np.sum((A @ x - b) ** 2), {"A": "A", "b": "b", "x": "x"})


def test_min_over_a_tuple():   # ESL (3.41)
    problem = symgd.parse(r"\min_{(\beta_0,\beta)} \sum_i (y_i - \beta_0 - x_i^\top\beta)^2")
    assert [str(p) for p in problem.params] == ["beta_0", "beta"]


def test_max_is_solved_as_min_of_the_negation():
    problem = symgd.parse(r"\max_{U,V} -\|Y - UV^\top\|_F^2")
    assert problem.sense == "max"
    check_against_reference(problem, lambda Y, U, V: np.sum((Y - U @ V.T) ** 2),
                            {"Y": "Y", "U": "U", "V": "V"})
    assert any("max" in reading for reading in problem.readings)


@pytest.mark.parametrize("source", [
    r"\text{minimize}\ \|Ax - b\|^2 \ \text{subject to}\ x \ge 0",
    r"\begin{array}{ll} \mbox{minimize} & \|Ax - b\|^2 \\ \mbox{subject to} & x \succeq 0 \end{array}",
])
def test_boyd_vandenberghe_layout(source):   # B&V (4.1), (1.3)
    problem = symgd.parse(source)
    assert [str(p) for p in problem.params] == ["x"]
    assert len(problem.constraints) == 1 and problem.constraints[0].kind == "le"
    check_against_reference(problem, lambda A, b, x: np.sum((A @ x - b) ** 2), {"A": "A", "b": "b", "x": "x"})


def test_semidefinite_on_a_matrix_is_refused():
    with pytest.raises(symgd.UnsupportedError, match="semidefinite"):
        symgd.parse(r"\min_X \operatorname{tr}(C X) \quad \text{s.t.} \quad X \succeq 0")


@pytest.mark.parametrize("condition", [r"\lambda > 0", r"0 < \lambda < 1", r"\lambda \in [0, 1]", r"\lambda \ge 0"])
def test_side_conditions_are_assumptions(condition):
    problem = symgd.parse(r"\|Xw - y\|^2 + \lambda\|w\|^2, \quad " + condition, wrt="w")
    check_against_reference(problem, lambda X, y, w, lam: np.sum((X @ w - y) ** 2) + lam * w @ w,
                            {"X": "X", "y": "y", "w": "w", "lam": "lambda"})


def test_side_condition_on_a_parameter_is_not_dropped():
    with pytest.raises(symgd.UnsupportedError, match="outside a constraint list"):
        symgd.parse(r"\|Xw - y\|^2, \quad 0 \le w", wrt="w")


# -- out of scope -----------------------------------------------------------------------------------

@pytest.mark.parametrize("source, construct", [
    (r"\mathbb{E}[\|x - w\|^2]", "expectation"),
    (r"\mathbb{E}_{x \sim p}\|x - w\|^2", "expectation"),
    (r"\int \|x - w\|^2 dx", "integrals"),
    (r"-\log\Pr(y \mid x)", "probabilities"),
    (r"-\sum_i \log p(y_i|x_i; w)", "conditional"),
])
def test_out_of_scope_constructs_are_named(source, construct):
    with pytest.raises(symgd.UnsupportedError, match=construct):
        symgd.parse(source, wrt="w")


# -- generated code agrees with the derivation on the new constructs ----------------------------

@pytest.mark.parametrize("source, wrt", [
    (r"\sum_{i}\sum_{j \ne i} K_{ij} w_i w_j", "w"),
    (r"L_\delta(a) = \begin{cases} \frac12 a^2 & |a| \le \delta \\ \delta(|a| - \frac12\delta) & \text{otherwise} "
     r"\end{cases} \quad J(w) = \sum_{i=1}^{n} L_\delta(y_i - x_i^\top w)", None),
    (r"\sum_{i=1}^{n} \mathbb{1}(y_i w^\top x_i < 0) (-y_i w^\top x_i)", "w"),
    (r"\langle w, x\rangle^2 + \langle A, W \rangle", "w, W"),
    (r"\|\operatorname{diag}(w) x - y\|^2 - c^\top \log\operatorname{softmax}(W z)", "w, W"),
    (r"\sum_{ij} (V_{ij} - (WH)_{ij})^2", "W, H"),
    (r"\frac12\|Y - XB\|_F^2 + \lambda\|B\|_{2,1}", "B"),
    (r"\|(I_n - A) v\|^2 \quad A \in \mathbb{R}^{n \times n}", "v"),
    (r"(x-\mu)^\top \Sigma_2^{-1} (x - \mu) + \log\det K_y", r"\mu, K_y"),
])
def test_generated_code_matches_the_derivation(source, wrt):
    from helpers import block_values, evaluate, random_env
    from symgd.codegen import generate

    problem = symgd.parse(source, wrt=wrt)
    module = generate(problem).load()
    env = random_env(problem, seed=5)
    kwargs = {problem.argnames[s]: env[str(getattr(s, "label", s))]
              for s in (*problem.params, *problem.data, *problem.constants)}
    assert module.loss(**kwargs) == pytest.approx(evaluate(problem.objective, env), rel=1e-9)
    grads = module.grad(**kwargs)
    grads = grads if len(problem.params) > 1 else (grads,)
    for got, block in zip(grads, symgd.gradient(problem).blocks):
        np.testing.assert_allclose(got, block_values(block, env, problem), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("source, wrt", [
    (r"L_\delta(a) = \begin{cases} \frac12 a^2 & |a| \le \delta \\ \delta(|a| - \frac12\delta) & \text{otherwise} "
     r"\end{cases} \quad J(w) = \sum_{i=1}^{n} L_\delta(y_i - x_i^\top w)", None),
    (r"\langle w, x\rangle^2 + \sum_{i}\sum_{j \ne i} K_{ij} w_i w_j", "w"),
    (r"\frac{1}{n}\sum_{i=1}^{n} (\hat y_i - y_i)^2 + \|\operatorname{diag}(\bar w) x\|^2", r"\bar w"),
    (r"\|B\|_{2,1} + \sum_{ij} (V_{ij} - (XB)_{ij})^2", "B"),
])
def test_problem_latex_reads_back_to_the_same_objective(source, wrt):
    problem = symgd.parse(source, wrt=wrt)
    assert symgd.parse(problem.latex()).objective == problem.objective
