"""The silent misreadings of the notation issue, each against a NumPy reference of what the source means.

Every case is read exactly as its source writes it; the loss symgd builds and its gradient are
compared with a hand-written NumPy function of the source's meaning (values at random points with
distinct dimensions, gradient against central differences of the reference). A construct symgd
cannot read must raise an error that names it, never a different loss.
"""

import numpy as np
import pytest

import symgd
from symgd.errors import AmbiguityError
from helpers import assert_close, block_values, check_against_reference, objective_value, random_env


# -- shapes do not depend on the order of operands ---------------------------------------------

@pytest.mark.parametrize("source", [
    r"\frac{1}{2}\|y - Xw\|_2^2",
    r"\frac{1}{2}\|Xw - y\|_2^2",
    r"\frac{1}{2}(\mathbf{y}-\mathbf{X}w)^T(\mathbf{y}-\mathbf{X}w)",
    r"\frac{1}{2}(y - Xw)^\top (y - Xw)",
    r"\frac{1}{2}\|-(Xw - y)\|^2",
])
def test_least_squares_in_every_order(source):
    problem = symgd.parse(source, wrt="w")   # ESL (3.3) writes (y - X\beta)^T(y - X\beta)
    check_against_reference(problem, lambda X, y, w: 0.5 * np.sum((y - X @ w) ** 2),
                            {"X": "X", "y": "y", "w": "w"})
    assert {str(s): tuple(map(str, v)) for s, v in problem.shapes.items() if str(s) in "Xyw"} == \
        {"X": ("n", "d"), "y": ("n",), "w": ("d",)}


def test_objective_is_a_scalar_constrains_its_terms():
    # \Lambda stands beside scalars in a scalar loss: it is a scalar, not a matrix by its capital letter
    problem = symgd.parse(r"\gamma w^\top w + \lambda + \Lambda", wrt="w")
    assert problem.shapes["Lambda"] == ()


def test_a_row_vector_in_a_chain_decides_the_next_factor():
    # -y_i w^T x_i = (-y_i w^T) x_i: w^T meets x_i, so x_i is a vector, whatever is read first
    problem = symgd.parse(r"\sum_{i=1}^{n} \log(1 + \exp(-y_i w^\top x_i))", wrt="w")
    check_against_reference(problem, lambda x, y, w: np.sum(np.log1p(np.exp(-y * (x @ w)))),
                            {"x": "x", "y": "y", "w": "w"})


# -- every variable under \min is a parameter -----------------------------------------------------

def test_intercept_under_min_is_a_parameter():
    problem = symgd.parse(r"\min_{\beta_0,\beta} \sum_i (y_i - \beta_0 - x_i^\top\beta)^2")
    assert [str(p) for p in problem.params] == ["beta_0", "beta"]
    check_against_reference(problem, lambda x, y, b0, b: np.sum((y - b0 - x @ b) ** 2),
                            {"x": "x", "y": "y", "b0": "beta_0", "b": "beta"})
    assert any("beta_{0}" in reading for reading in problem.readings)


# -- an operator name is never a variable times its argument --------------------------------------

@pytest.mark.parametrize("source, wrt, name", [
    (r"\|\operatorname{prox}(w) x\|^2", "w", "prox"),
    (r"\sum_i \mathrm{sim}(u, v_i)", "u", "sim"),
    (r"\operatorname{foo} w", "w", "foo"),
])
def test_unknown_operator_is_named(source, wrt, name):
    with pytest.raises(symgd.UnsupportedError, match=f"function {name}"):
        symgd.parse(source, wrt=wrt)


def test_mathrm_word_without_argument_stays_a_name():
    problem = symgd.parse(r"\mathrm{lr} \|w\|^2", wrt="w")
    assert problem.shapes["lr"] == ()


def test_operator_defined_in_the_source_is_applied_to_its_arguments():
    problem = symgd.parse(r"\operatorname{sim}(u, v) = \frac{u^\top v}{\|u\|_2} \quad "
                          r"L(u) = -\sum_{i=1}^{n} \operatorname{sim}(u, v_i)")
    check_against_reference(problem, lambda u, v: -np.sum(v @ u) / np.linalg.norm(u), {"u": "u", "v": "v"})


# -- b_j are the rows of the parameter B ----------------------------------------------------------

def test_group_penalty_on_rows_of_the_parameter():
    problem = symgd.parse(r"\|Y - XB\|_F^2 + \lambda\sum_{j=1}^{p}\|b_j\|_2", wrt="B")
    check_against_reference(
        problem, lambda X, Y, B, lam: np.sum((Y - X @ B) ** 2) + lam * np.sum(np.linalg.norm(B, axis=1)),
        {"X": "X", "Y": "Y", "B": "B", "lam": "lambda"})
    assert "b_j are the rows of B" in problem.readings


# -- indices outside their sum ---------------------------------------------------------------------

def test_shifted_index_past_the_end_is_refused_not_renamed():
    # x_{i+1} with i up to n reaches x_{n+1}; \sum_{i=1}^{n-1} reads (tests/test_literature_notation.py)
    with pytest.raises(symgd.UnsupportedError, match="reaches outside x"):
        symgd.parse(r"\sum_{i=1}^{n}(x_{i+1}-x_i)^2", wrt="x")


def test_terms_after_a_sum_that_use_its_index_belong_to_it():
    # a free i has no other meaning: the Poisson loss, with the reading stated (not a meaningless gradient)
    problem = symgd.parse(r"\sum_{i=1}^{n} e^{w^\top x_i} - y_i w^\top x_i", wrt="w")
    assert any("extends over" in reading for reading in problem.readings)
    check_against_reference(problem, lambda x, y, w: np.sum(np.exp(x @ w) - y * (x @ w)), {"x": "x", "y": "y", "w": "w"})


def test_an_index_used_after_an_unrelated_term_is_refused():
    with pytest.raises(symgd.UnsupportedError, match="outside the sum"):
        symgd.parse(r"\sum_{i=1}^{n} e^{w^\top x_i} + \lambda\|w\|^2 - y_i w^\top x_i", wrt="w")


def test_sum_body_in_brackets_is_read():
    problem = symgd.parse(r"\sum_{i=1}^{n} \left(e^{w^\top x_i} - y_i w^\top x_i\right)", wrt="w")
    check_against_reference(problem, lambda x, y, w: np.sum(np.exp(x @ w) - y * (x @ w)),
                            {"x": "x", "y": "y", "w": "w"})


# -- subscripted names are names ----------------------------------------------------------------

def test_subscripted_matrix_declaration_is_a_matrix():
    problem = symgd.parse(r"\operatorname{tr}(\Sigma_{12}^\top W) \quad \Sigma_{12} \in \mathbb{R}^{p \times q}",
                          wrt="W")
    assert tuple(map(str, problem.shapes["Sigma_12"])) == ("p", "q")
    check_against_reference(problem, lambda S, W: np.trace(S.T @ W), {"S": "Sigma_12", "W": "W"})


def test_sample_declaration_still_declares_rows():
    problem = symgd.parse(r"\sum_{i=1}^{n} (w^\top x_i)^2 \quad x_i \in \mathbb{R}^{d}", wrt="w")
    assert tuple(map(str, problem.shapes["x"])) == ("n", "d")


# -- found by the cited corpus ------------------------------------------------------------------

def test_bold_names_are_vectors():
    # Matrix Cookbook (2.6.1): bold x and a are vectors, so the norm is a Euclidean norm, not |x - a|
    problem = symgd.parse(r"\|\mathbf{x}-\mathbf{a}\|_2", wrt=r"\mathbf{x}")
    check_against_reference(problem, lambda x, a: np.linalg.norm(x - a), {"x": "x", "a": "a"})


def test_bold_subscripted_names_are_one_vector_per_index():
    # PRML (9.1), K-means distortion: bold x_n and mu_k are vectors
    problem = symgd.parse(r"J = \sum_{n=1}^{N}\sum_{k=1}^{K} r_{nk}\|\mathbf{x}_n - \boldsymbol{\mu}_k\|^2",
                          wrt=r"\boldsymbol{\mu}")
    check_against_reference(
        problem, lambda x, mu, r: np.sum(r * ((x[:, None, :] - mu[None, :, :]) ** 2).sum(axis=2)),
        {"x": "x", "mu": "mu", "r": "r"})


def test_a_norm_is_of_vectors():
    problem = symgd.parse(r"\sum_{n=1}^{N}\sum_{k=1}^{K} r_{nk}\|x_n - \mu_k\|^2", wrt="mu")
    assert len(problem.shapes["mu"]) == 2 and len(problem.shapes["x"]) == 2


def test_bold_scalar_usage_wins_over_the_font():
    problem = symgd.parse(r"(\boldsymbol{\theta} - 3)^2", wrt="theta")
    assert problem.shapes["theta"] == ()


def test_latex_without_backslashes_is_latex():
    # Boyd & Vandenberghe (A.4) style typed without backslashes: x^TPx is x^T P x, not x to the power TPx
    problem = symgd.parse("(1/2)x^TPx + q^Tx + r", wrt="x")
    check_against_reference(problem, lambda x, P, q, r: 0.5 * x @ P @ x + q @ x + r,
                            {"x": "x", "P": "P", "q": "q", "r": "r"})


def test_log_abs_det_has_a_real_gradient():
    # Matrix Cookbook (49): ∂ ln|det X| / ∂X = X^{-T}
    problem = symgd.parse(r"\ln|\det(\mathbf{X})|", wrt=r"\mathbf{X}")
    gradient = symgd.gradient(problem)
    assert not gradient.expr.has(__import__("sympy").re, __import__("sympy").im)
    env = random_env(problem, seed=5)
    assert_close(block_values(gradient.blocks[0], env, problem), np.linalg.inv(np.asarray(env["X"])).T, rel=1e-8)


@pytest.mark.parametrize("source", [
    r"\sum_{i=1}^{N}\exp[-y_i(f_{m-1}(x_i) + \beta G(x_i))]",   # ESL (10.11)
    r"\sum_{n=1}^{N} (t_n - w^\top \phi(x_n))^2",                  # PRML (3.12)
])
def test_an_undefined_function_of_a_symbol_is_not_a_product(source):
    # without wrt nothing says which symbols are parameters; with it, a fixed function's values at the
    # data points are data (tests/test_literature_notation.py), never f times x_i
    with pytest.raises(symgd.AmbiguityError, match="is not defined"):
        symgd.parse(source)


def test_a_name_before_a_bracketed_expression_is_a_product_and_says_so():
    problem = symgd.parse(r"\lambda(\|U\|_F^2 + \|V\|_F^2) + \|R - UV^\top\|_F^2", wrt="U, V")
    assert any("product" in reading and "lambda" in reading for reading in problem.readings)


def test_defaults_are_read_out():
    problem = symgd.parse(r"\frac{1}{2}\|y - Xw\|^2", wrt="w")
    assert "X is a matrix (a capitalised name)" in problem.readings


@pytest.mark.parametrize("source, wrt, reference, names", [
    # Lin et al. (2017), focal loss: the power belongs to the bracket, not to alpha_t times it
    (r"-\alpha_t(1 - p_t)^\gamma\log(p_t)", "p_t",
     lambda a, p, g: -a * (1 - p) ** g * np.log(p), {"a": "alpha_t", "p": "p_t", "g": "gamma"}),
    (r"\lambda(\|w\|^2 + 1)^2", "w", lambda lam, w: lam * (w @ w + 1) ** 2, {"lam": "lambda", "w": "w"}),
])
def test_a_power_after_a_product_bracket_raises_the_bracket(source, wrt, reference, names):
    problem = symgd.parse(source, wrt=wrt)
    env = random_env(problem, seed=2)
    for symbol in ("p_t", "gamma", "alpha_t"):   # a probability, in (0, 1)
        if symbol in env:
            env[symbol] = 0.3 + 0.4 * abs(np.sin(env[symbol]))
    args = {name: np.asarray(env[symbol], dtype=float) for name, symbol in names.items()}
    assert_close(objective_value(problem, env), reference(**args), what="loss")


@pytest.mark.parametrize("source, wrt", [
    (r"\sum_{i=1}^{n} \rho(y_i - x_i^\top\beta)", "beta"),   # Huber (1964): an M-estimator's rho
])
def test_a_function_letter_before_a_bracket_is_a_call(source, wrt):
    with pytest.raises(symgd.AmbiguityError, match="is not defined"):
        symgd.parse(source, wrt=wrt)


def test_a_capital_before_a_scalar_term_is_a_scalar():
    # Cortes & Vapnik / CS229 soft margin: C is a constant, not a matrix by its capital letter
    problem = symgd.parse(r"\frac{1}{2}\|w\|^2 + C\sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)", wrt="w")
    check_against_reference(
        problem, lambda w, C, x, y: 0.5 * w @ w + C * np.sum(np.maximum(0, 1 - y * (x @ w))),
        {"w": "w", "C": "C", "x": "x", "y": "y"})


def test_a_count_beside_a_square_parameter_stays_a_constant():
    # B&V 7.1.1 style: N samples, S an n x n matrix; N must not become the size of S
    problem = symgd.parse(r"\frac{N}{2}\log\det S + \frac{1}{2}\operatorname{tr}(S Y)", wrt="S")
    assert problem.shapes["N"] == () and "N" not in map(str, problem.shapes["S"])


def test_a_power_of_a_subscripted_name_before_a_lone_parenthesised_name_is_a_call_or_refused():
    """N&W's f(x) = 1/2 sum_j r_j^2(x) (residual functions r_j of x) was read as r_j^2 times x without a word.
    Now it is the call squared: of the parameter, a function the user supplies (tests/test_supplied_functions.py);
    of anything else, undefined, an error that offers the product's spelling."""
    from symgd.numeric import evaluate

    supplied = symgd.parse(r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x)", wrt="x")
    assert "r" in supplied.supplied
    with pytest.raises(symgd.AmbiguityError, match=r"r_\{j\}\(z\): the function r_\{j\} is not defined.*\\cdot \(z\)"):
        symgd.parse(r"f(x) = \|x\|^2 + \sum_{j=1}^{m}r_j^2(z)", wrt="x")
    a, b, w = np.array([1.5, -2.0, 0.5]), np.array([0.2, 1.0, -1.0]), 0.7
    product = symgd.parse(r"L(w) = \sum_{i=1}^{n} a_i^2(w - b_i)^2", wrt="w")   # a power, then a product
    assert evaluate(product.objective, {"w": w, "a": a, "b": b, "n": 3}) == \
        pytest.approx(float(np.sum(a ** 2 * (w - b) ** 2)))
    defined = symgd.parse(r"L(w) = \sum_{j=1}^{m} r_j(w)^2 \quad r_j(w) = a_j w - b_j", wrt="w")
    assert evaluate(defined.objective, {"w": w, "a": a, "b": b, "m": 3}) == pytest.approx(float(np.sum((a * w - b) ** 2)))


@pytest.mark.parametrize("source", ["L(x) = max_norm(A*x - b)", "L(x) = huber(A*x - b)", "L(x) = norm(x)^2 + cauchy(A*x - b)"])
def test_a_word_before_parentheses_is_an_undefined_function_not_a_product(source):
    # max_norm(Ax - b) was read as the number max_norm times Ax - b (listed only as a reading)
    with pytest.raises(AmbiguityError, match="not defined"):
        symgd.parse(source, wrt="x")


def test_a_greek_name_before_parentheses_stays_a_product():
    problem = symgd.parse("L(w) = lambda_reg(w'*w) + norm(X*w - y)^2", wrt="w")
    assert any("product" in reading for reading in problem.readings)


def test_a_parameter_read_as_a_scalar_says_so():
    # \log(1 + e^{-y_i w \cdot x_i}) with plain w and x_i reads both as numbers: the reading must show it
    problem = symgd.parse(r"L(w) = \sum_{i=1}^n \log(1 + e^{-y_i\,w\cdot x_i})")
    assert any("the parameter w is a scalar" in reading for reading in problem.readings)
    bold = symgd.parse(r"L(\mathbf{w}) = \sum_{i=1}^n \log(1 + e^{-y_i\,\mathbf{w}^\top\mathbf{x}_i})")
    assert not any("is a scalar" in reading for reading in bold.readings)


def test_a_lowercase_t_superscript_that_names_nothing_is_ambiguous():
    # \mathbf{w}^t \mathbf{x}_i (a transpose typed with t) was read as w to the power t: w became a number
    with pytest.raises(AmbiguityError, match="transpose"):
        symgd.parse(r"L(\mathbf{w}) = \sum_i (y_i - \mathbf{w}^t \mathbf{x}_i)^2")
    discounted = symgd.parse(r"L(r) = \sum_{t=1}^T \gamma^t r_t^2")   # t a sum's index: a power
    assert "gamma**t" in str(discounted.objective)


# -- a dot product's reading does not depend on where the norm stands ---------------------------

@pytest.mark.parametrize("source", [
    r"\frac{1}{n}\sum_{i=1}^n \max(0, 1 - y_i(w \cdot x_i - b)) + \lambda\|w\|^2",   # Wikipedia's soft-margin SVM
    r"\lambda\|w\|^2 + \frac{1}{n}\sum_{i=1}^n \max(0, 1 - y_i(w \cdot x_i - b))",
    r"\frac{1}{n}\sum_{i=1}^n \max(0, 1 - y_i(x_i \cdot w - b)) + \lambda\|w\|^2",
])
def test_dot_product_with_a_vector_of_a_norm(source):
    # w is a vector by \|w\|; w \cdot x_i must be a number (b is subtracted), so x_i is a vector: the dot
    # product. Before, the term order decided: a ShapeError, or w read as a scalar when the norm came last.
    problem = symgd.parse(source, wrt="w")
    check_against_reference(
        problem, lambda x, y, w, b, lambda_: np.mean(np.maximum(0, 1 - y * (x @ w - b))) + lambda_ * w @ w,
        {"x": "x", "y": "y", "w": "w", "b": "b", "lambda_": "lambda"})


@pytest.mark.parametrize("source", [
    r"\sum_{i=1}^n (y_i - w x_i)^2 + \|w\|^2",
    r"\|w\|^2 + \sum_{i=1}^n (y_i - w x_i)^2",
])
def test_juxtaposed_vector_of_a_norm_is_refused_in_either_order(source):
    # \|w\|^2 makes w a vector; w x_i (no transpose) cannot then be a number. Before, the norm written
    # last let the leading-factor guess make w a scalar first, and \|w\| became |w|.
    with pytest.raises(symgd.ShapeError, match=r"w x_\{i\}"):
        symgd.parse(source, wrt="w")
