"""Names, heads and words as documentation pages and papers write them (issue 9, tests/corpus): each reading
against a hand-written NumPy reference (gradients by central differences, dimensions distinct), and the
places where each rule must not fire."""

import numpy as np
import pytest

import symgd
from helpers import block_values, central_differences, check_against_reference, evaluate, random_env
from symgd.errors import AmbiguityError, ParseError, UnsupportedError



# -- x1, x2 listed in a head are names (PyTorch's MarginRankingLoss) ------------------------------------

def test_letters_then_digits_listed_in_the_head_are_one_name():
    problem = symgd.parse(r"\text{loss}(x1, x2, y) = \log(1 + \exp(-y * (x1 - x2) + \text{margin}))", wrt="x1, x2")

    def ranking(x1, x2, y, margin):
        return float(np.log1p(np.exp(-y * (x1 - x2) + margin)))

    check_against_reference(problem, ranking, {"x1": "x1", "x2": "x2", "y": "y", "margin": "margin"})
    assert "x1 is one name (as the definition's head lists it), not x times 1" in problem.readings


def test_a_numbered_name_in_the_head_is_a_name_in_every_use():
    problem = symgd.parse(r"L(a1) = (a1 - 3)^2 + 2a1 x^2 + 10x + 3a1", wrt="a1")

    def quadratic(a1, x):
        return float((a1 - 3) ** 2 + 2 * a1 * x ** 2 + 10 * x + 3 * a1)

    check_against_reference(problem, quadratic, {"a1": "a1", "x": "x"})


@pytest.mark.parametrize("source, expected", [
    (r"L(w) = \frac{1}{2}(w - x2)^2", "(w - 2*x)**2/2"),      # not listed in a head: x times 2, as before
    (r"L(w) = \frac{1}{2}(w - x_2)^2 + 10w", "10*w + (w - x_2)**2/2"),
    (r"L(w) = \frac{1}{2}w^2 + 2x", "w**2/2 + 2*x"),
])
def test_letters_then_digits_not_listed_in_a_head_keep_their_reading(source, expected):
    problem = symgd.parse(source, wrt="w")
    assert str(problem.objective) == expected
    assert not any("is one name" in reading for reading in problem.readings)


# -- + \text{const.} --------------------------------------------------------------------------------------

def test_an_additive_constant_in_words_is_a_scalar_that_leaves_the_gradient_alone():
    # PyTorch's GaussianNLLLoss ends its formula with "+ \text{const.}"
    problem = symgd.parse(r"\text{loss} = \frac{1}{2}\left(\log(v) + \frac{(\text{input} - t)^2}{v}\right) + \text{const.}",
                          wrt=r"\text{input}, v")

    def nll(inp, t, v, const):
        return float(0.5 * (np.log(v) + (inp - t) ** 2 / v) + const)

    check_against_reference(problem, nll, {"inp": "input", "t": "t", "v": "v", "const": "const"})
    assert any(reading.startswith("const is an additive constant") for reading in problem.readings)


@pytest.mark.parametrize("source", [r"L(w) = \|w\|^2 - \text{const.}", r"L(w) = \text{const.} + \|w\|^2",
                                    r"L(w) = \|w\|^2 + \mathrm{const}"])
def test_an_additive_constant_first_or_subtracted(source):
    problem = symgd.parse(source)
    check_against_reference(problem, lambda w, const: float(w @ w) + (-1 if "-" in source else 1) * float(const),
                            {"w": "w", "const": "const"})


def test_const_with_a_full_stop_elsewhere_is_still_a_parse_error_with_its_caret():
    with pytest.raises(ParseError) as error:
        symgd.parse(r"L(w) = \|w\|^2 \cdot \text{const.}")
    assert "line 1, column 22" in str(error.value) and "^" in str(error.value)


def test_const_as_a_factor_is_a_plain_name_without_the_constant_reading():
    problem = symgd.parse(r"L(w) = w^2 + \mathrm{const}\, w", wrt="w")
    assert not any("additive constant" in reading for reading in problem.readings)


# -- p_t: a subscripted name of its own (Lin et al.'s focal loss) ----------------------------------------

FOCAL_CASES = r"p_t = \begin{cases} p & \text{if } y = 1 \\ 1 - p & \text{otherwise.} \end{cases}"


@pytest.mark.parametrize("label", [1.0, 0.0])
def test_p_t_defined_by_cases_of_the_label_is_a_name_of_its_own(label):
    problem = symgd.parse(r"\mathrm{FL}(p_t) = -(1 - p_t)^\gamma\log(p_t)", wrt="p", where=FOCAL_CASES)

    def focal(p, y, gamma):
        p_t = p if y == 1 else 1 - p
        return float(-(1 - p_t) ** gamma * np.log(p_t))

    env = {"p": 0.3, "y": label, "gamma": 2.0}
    gradient = symgd.gradient(problem)
    assert np.isclose(evaluate(problem.objective, env), focal(**env))
    h = 1e-6
    slope = (focal(**{**env, "p": 0.3 + h}) - focal(**{**env, "p": 0.3 - h})) / (2 * h)
    assert np.isclose(evaluate(gradient.blocks[0].expr, env), slope, rtol=1e-6)
    assert any(reading.startswith("p_{t} is a name of its own") for reading in problem.readings)


def test_the_heads_subscripted_argument_is_the_unknown():
    problem = symgd.parse(r"\mathrm{FL}(p_t) = -(1 - p_t)^\gamma\log(p_t)")
    assert [str(p) for p in problem.params] == ["p_t"]
    assert any("is the unknown, a name of its own" in reading for reading in problem.readings)


def test_an_update_rule_is_still_an_update():
    problem = symgd.parse(r"L(w) = \|Xw - y\|^2 \quad w_{t+1} = w_t - \eta \nabla_w L", wrt="w")
    assert not any("is a name of its own" in reading for reading in problem.readings)


def test_a_heads_entry_summed_in_the_body_stays_an_entry():
    # the sum binds i: x_i is entry i of x, not a name x_i
    problem = symgd.parse(r"f(x_i) = \sum_{i=1}^{n} (x_i - y_i)^2", wrt="x")

    def squares(x, y):
        return float(np.sum((x - y) ** 2))

    check_against_reference(problem, squares, {"x": "x", "y": "y"})


def test_p_t_with_the_vector_p_as_unknown_and_no_definition_stays_ambiguous():
    with pytest.raises(AmbiguityError, match="bound by no sum"):
        symgd.parse(r"\mathrm{FL}(p_t) = -(1 - p_t)^\gamma\log(p_t)", wrt="p")


# -- a loss per sample with no reduction written; cases selected by the data ------------------------------

HINGE_CASES = (r"l_n = \begin{cases} x_n, & \text{if}\; y_n = 1,\\ \max \{0, margin - x_n\}, & \text{if}\; y_n = -1,"
               r" \end{cases}")


def _hinge_embedding(x, y, margin):
    return np.where(y == 1, x, np.maximum(0, margin - x))


def test_a_per_sample_loss_alone_asks_for_its_reduction():
    # PyTorch's HingeEmbeddingLoss defines l_n and then reduces by the mean (or the sum): the formula alone
    # does not say which, and the gradient differs by 1/N
    with pytest.raises(AmbiguityError, match=r"l_\{n\} is a per-sample loss .* L = \\frac\{1\}\{N\}\\sum_\{n\} l_\{n\}"):
        symgd.parse(HINGE_CASES, wrt="x")


def test_a_per_pair_loss_alone_names_its_indices():
    with pytest.raises(AmbiguityError, match=r"\\ell_\{i,j\} is a per-sample loss"):
        symgd.parse(r"\ell_{i,j} = -\log\frac{\exp(z_i^\top z_j)}{\sum_{k=1}^{n}\mathbb{1}_{[k\neq i]}\exp(z_i^\top z_k)}",
                    wrt="z")


def test_a_value_per_sample_that_is_no_loss_keeps_the_no_objective_message():
    with pytest.raises(AmbiguityError, match="the source has no objective"):
        symgd.parse(r"y_n = \sigma(w^\top x_n)", wrt="w")


def test_the_mean_of_a_per_sample_loss_by_cases_of_the_labels():
    # the labels y_n in {1, -1} select each sample's piece; x, y have N entries
    problem = symgd.parse(r"L = \frac{1}{N}\sum_{n=1}^{N} l_n", wrt="x", where=HINGE_CASES)
    env = random_env(problem, seed=5)
    size = len(env["x"])
    env["y"] = np.where(np.arange(size) % 3 == 0, 1.0, -1.0)
    env["margin"] = 0.7

    def mean_hinge(x):
        return float(np.mean(_hinge_embedding(x, env["y"], env["margin"])))

    assert np.isclose(evaluate(problem.objective, env), mean_hinge(env["x"]))
    (block,) = symgd.gradient(problem).blocks
    slope = central_differences(lambda values: mean_hinge(values["x"]), {"x": env["x"]}, "x")
    assert np.allclose(block_values(block, env, problem), slope, rtol=1e-6)
    assert "margin is one name (a word), not the product of its letters" in problem.readings


def test_a_known_function_typed_as_a_plain_word_before_parentheses_is_the_function():
    problem = symgd.parse(r"L(w) = \frac{1}{n}\sum_{i=1}^{n} (y_i - tanh(w^\top x_i))^2", wrt="w")
    check_against_reference(problem, lambda x, y, w: float(np.mean((y - np.tanh(x @ w)) ** 2)),
                            {"x": "x", "y": "y", "w": "w"})


def test_a_word_in_a_subscript_or_short_runs_of_letters_stay_as_they_were():
    problem = symgd.parse(r"L(w) = \frac{1}{2}\|Xw - y\|^2 + abc\, w^\top w", wrt="w")
    assert not any("is one name (a word)" in reading for reading in problem.readings)
    assert {str(s) for s in problem.shapes} >= {"a", "b", "c"}


def test_an_indicator_with_a_bracketed_condition_in_its_subscript():
    # SimCLR writes \mathbb{1}_{[k \neq i]}: 1 where k is not i
    problem = symgd.parse(r"L(z) = \sum_{i=1}^{n}\sum_{k=1}^{n}\mathbb{1}_{[k\neq i]}\exp(z_i z_k)", wrt="z")

    def off_diagonal(z):
        outer = np.exp(np.outer(z, z))
        return float(outer.sum() - np.trace(outer))

    check_against_reference(problem, off_diagonal, {"z": "z"})


# -- p_{0i}: a digit then a summed index is (row, column), rows counted from 0 (Salehi et al.) -------------

def test_a_digit_then_a_summed_index_is_a_row_and_a_column():
    problem = symgd.parse(r"T = \frac{\sum_{i=1}^{N}p_{0i}g_{0i}}{\sum_{i=1}^{N}p_{0i}g_{0i} + \alpha\sum_{i=1}^{N}p_{0i}g_{1i}"
                          r" + \beta\sum_{i=1}^{N}p_{1i}g_{0i}}", wrt="p")

    def tversky(p, g, alpha, beta):
        tp = float(p[0] @ g[0])
        return tp / (tp + alpha * float(p[0] @ g[1]) + beta * float(p[1] @ g[0]))

    check_against_reference(problem, tversky, {"p": "p", "g": "g", "alpha": "alpha", "beta": "beta"})
    assert any(r.startswith("p is a 2 \\times N array, p_{0i} its entry in row 0") for r in problem.readings)


def test_three_numbered_rows_with_a_comma():
    problem = symgd.parse(r"L = \sum_{j=1}^{m} (w_{0,j} - 2w_{1,j} + w_{2,j})^2", wrt="w")

    def second_difference(w):
        return float(np.sum((w[0] - 2 * w[1] + w[2]) ** 2))

    check_against_reference(problem, second_difference, {"w": "w"})


@pytest.mark.parametrize("source", [
    r"L = \sum_{k=1}^{K} (\beta_{0k} + \beta_k^\top x - y_k)^2",   # ESL's intercepts beside the vectors beta_k
    r"L = \sum_{i=1}^{N} (p_{0i} - y_i)^2",                        # one row only: no rows to count
    r"L = \sum_{i=0}^{N} (p_{0i} - p_{1i})^2",                     # a sum from 0: N + 1 columns, not N
])
def test_numbered_rows_do_not_fire_beside_other_uses_or_for_one_row(source):
    try:
        problem = symgd.parse(source, wrt=r"\beta" if "beta" in source else "p")
    except (AmbiguityError, UnsupportedError):
        return   # refused as before is fine; a reading as a row array is not
    assert not any("rows counted from 0" in reading for reading in problem.readings)


# -- D = diag(d_1, ..., d_m) and D(Ax - b) (Golub & Van Loan, weighted least squares) ---------------------

@pytest.mark.parametrize("dots", [r"\dots", r"\ldots", r"\cdots"])
def test_a_diagonal_matrix_of_listed_entries_times_a_residual(dots):
    problem = symgd.parse(r"\min_x\|D(Ax - b)\|_2", wrt="x", where=rf"D = \operatorname{{diag}}(d_1, {dots}, d_m)")

    def weighted(A, b, x, d):
        return float(np.linalg.norm(d * (A @ x - b)))

    check_against_reference(problem, weighted, {"A": "A", "b": "b", "x": "x", "d": "d"})
    assert any(r.startswith(r"\operatorname{diag}(d_1, \ldots, d_{m}) is the diagonal matrix of the vector d")
               for r in problem.readings)
    assert any(r.endswith("(D is defined without arguments)") for r in problem.readings)


def test_a_listed_diagonal_that_does_not_start_at_the_first_entry_is_still_refused():
    with pytest.raises(UnsupportedError, match=r"\\cdots or \\ldots"):
        symgd.parse(r"\min_x\|D(Ax - b)\|_2", wrt="x", where=r"D = \operatorname{diag}(d_0, \dots, d_m)")


def test_a_name_defined_without_arguments_called_with_the_parameter_is_the_definition():
    problem = symgd.parse(r"\min_w L(w)", where=r"L = \|Xw - y\|^2")

    def least_squares(X, y, w):
        return float(np.sum((X @ w - y) ** 2))

    check_against_reference(problem, least_squares, {"X": "X", "y": "y", "w": "w"})
    assert not any("is the product" in reading for reading in problem.readings)


# -- \sum without an index (McCullagh & Nelder's deviances) ----------------------------------------------

def test_a_sum_without_an_index_over_names_is_the_sum_over_their_entries():
    problem = symgd.parse(r"2\sum\left\{-\log(y/\hat{\mu}) + (y - \hat{\mu})/\hat{\mu}\right\}", wrt=r"\hat{\mu}")
    env = random_env(problem, seed=2)
    env["y"], env["muhat"] = np.abs(env["y"]) + 0.5, np.abs(env["muhat"]) + 0.5

    def gamma_deviance(muhat):
        y = env["y"]
        return 2 * float(np.sum(-np.log(y / muhat) + (y - muhat) / muhat))

    assert np.isclose(evaluate(problem.objective, env), gamma_deviance(env["muhat"]))
    (block,) = symgd.gradient(problem).blocks
    slope = central_differences(lambda values: gamma_deviance(values["muhat"]), {"muhat": env["muhat"]}, "muhat")
    assert np.allclose(block_values(block, env, problem), slope, rtol=1e-6)
    assert any(r.startswith(r"\sum without an index is the sum over the entries of \hat{\mu}, y") for r in problem.readings)


@pytest.mark.parametrize("source, where", [
    (r"L = \sum (y_i - w x_i)^2", None),                          # subscripts: the index is there, not on the sum
    (r"L = \sum (y - w)^2", r"y \in \mathbb{R}"),                 # a declared scalar: no entries to sum over
    (r"L = \sum 2", None),                                        # nothing to sum over
])
def test_a_sum_without_an_index_is_refused_where_it_does_not_say_what_it_runs_over(source, where):
    with pytest.raises(UnsupportedError, match=r"\\sum without an index"):
        symgd.parse(source, wrt="w", where=where)


def test_a_product_without_an_index_is_refused():
    with pytest.raises(UnsupportedError, match=r"\\prod without an index"):
        symgd.parse(r"L = -\log\prod p", wrt="p")


def test_a_defined_matrix_before_a_residual_keeps_the_residual_in_the_loss():
    # on main D(Xw - y) inlined D alone: the data term vanished and the gradient was 2 lambda w, silently
    problem = symgd.parse(r"L(w) = \|D(Xw - y)\|^2 + \lambda\|w\|^2", where=r"D = \operatorname{diag}(d)")

    def weighted_ridge(X, y, w, d, lam):
        return float(np.sum((d * (X @ w - y)) ** 2)) + float(lam) * float(w @ w)

    check_against_reference(problem, weighted_ridge, {"X": "X", "y": "y", "w": "w", "d": "d", "lam": "lambda"})
