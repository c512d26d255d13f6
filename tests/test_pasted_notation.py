"""Notation found by pasting losses from documentation pages and papers (tests/corpus/papers2.py): each
reading against a hand-written NumPy reference, gradients against central differences of it."""

import numpy as np
import pytest

import symgd
from helpers import check_against_reference
from symgd.errors import ParseError, UnsupportedError


def test_two_bars_typed_for_a_norm_keep_the_norms_subscript():
    # scikit-learn's Lasso page types \| as ||: ||w||_1 was read as |.|_1 of |w| (Euclidean), the l2 norm
    problem = symgd.parse(r"\min_{w} { \frac{1}{2n} ||X w - y||_2 ^ 2 + \alpha ||w||_1}", wrt="w")

    def lasso(X, y, w, alpha):
        return float(np.sum((X @ w - y) ** 2)) / (2 * X.shape[0]) + float(alpha) * float(np.abs(w).sum())

    check_against_reference(problem, lasso, {"X": "X", "y": "y", "w": "w", "alpha": "alpha"})


def test_two_bars_without_a_subscript_are_the_euclidean_norm():
    problem = symgd.parse(r"||y - Xw||^2 + \lambda ||w||^2", wrt="w")

    def ridge(X, y, w, lam):
        return float(np.sum((y - X @ w) ** 2)) + float(lam) * float(w @ w)

    check_against_reference(problem, ridge, {"X": "X", "y": "y", "w": "w", "lam": "lambda"})


def test_log_cosh_of_residuals():
    problem = symgd.parse(r"\sum_{i=1}^{n}\log(\cosh(y_i - x_i^T\beta))", wrt=r"\beta")

    def log_cosh(x, y, beta):
        return float(np.sum(np.log(np.cosh(y - x @ beta))))

    check_against_reference(problem, log_cosh, {"x": "x", "y": "y", "beta": "beta"})


def test_a_cases_word_ending_a_sentence():
    # Lin et al. (2017) write \text{otherwise.}: the full stop ends the sentence, the piece is the default
    problem = symgd.parse(r"\sum_{i=1}^{n} h(r_i)", wrt="r",
                          where=r"h(z) = \begin{cases} z^2 & \text{if } |z| < 1 \\ 2|z| - 1 & \text{otherwise.}\end{cases}")

    def piecewise(r):
        return float(np.sum(np.where(np.abs(r) < 1, r ** 2, 2 * np.abs(r) - 1)))

    check_against_reference(problem, piecewise, {"r": "r"})


def test_a_text_word_heading_the_objective_with_arguments():
    # \text{MSE}(y, \hat{y}) = ... (scikit-learn's metric pages): the objective's name, not prose
    problem = symgd.parse(r"\text{MSE}(y, \hat{y}) = \frac{1}{n}\sum_{i=1}^{n}(y_i - \hat{y}_i)^2", wrt=r"\hat{y}")

    def mse(y, yhat):
        return float(np.mean((y - yhat) ** 2))

    check_against_reference(problem, mse, {"y": "y", "yhat": "yhat"})


def test_text_words_where_operands_stand_are_names():
    # torch.nn.GaussianNLLLoss: \text{var}, \text{input}, \text{max}(...) where only an operand can come
    problem = symgd.parse(r"\text{loss} = \frac{1}{2}\left(\log\left(\text{max}\left(\text{var}, \ \text{eps}\right)\right)"
                          r" + \frac{\left(\text{input} - \text{target}\right)^2}{\text{max}\left(\text{var}, \ \text{eps}\right)}\right)",
                          wrt=r"\text{input}, \text{var}")

    def gaussian_nll(inp, target, var, eps):
        scale = max(float(var), float(eps))
        return 0.5 * (np.log(scale) + (float(inp) - float(target)) ** 2 / scale)

    check_against_reference(problem, gaussian_nll, {"inp": "input", "target": "target", "var": "var", "eps": "eps"})


def test_a_label_in_text_in_wrt():
    problem = symgd.parse(r"L = y_{\text{true}} \cdot (\log y_{\text{true}} - \log y_{\text{pred}})",
                          wrt=r"y_{\text{pred}}")
    assert [str(p) for p in problem.params] == ["y_pred"]


def test_a_text_word_after_an_operand_is_still_prose():
    with pytest.raises(ParseError, match="not a connective"):
        symgd.parse(r"x^2 + y \text{foo} z", wrt="x")


@pytest.mark.parametrize("latex", [r"\sum_{i=1}^{n}(y_i^* - w^T x_i)^2", r"\sum_{i=1}^{n}(y^*_{i} - w^T x_i)^2",
                                   r"\sum_{i=1}^{n}(y_i^{\text{obs}} - w^T x_i)^2", r"\sum_{i=1}^{n}(y^+_{i} - w^T x_i)^2"])
def test_a_sums_index_beside_a_label_is_refused_not_absorbed_into_a_name(latex):
    # was read as one scalar constant y_istar: the index i vanished and the loss silently changed
    with pytest.raises(UnsupportedError, match=r"the sum's index i beside the label"):
        symgd.parse(latex, wrt="w")


def test_an_optimum_with_a_star_closes_a_norm():
    # \|w - w^*\|^2: the bar after the label w^* closes the norm (it was read as opening another)
    problem = symgd.parse(r"\frac{1}{2}\|w - w^*\|^2 + \lambda\|w\|_1", wrt="w")

    def prox_objective(w, w_star, lam):
        return 0.5 * float(np.sum((w - w_star) ** 2)) + float(lam) * float(np.abs(w).sum())

    check_against_reference(problem, prox_objective, {"w": "w", "w_star": "w_star", "lam": "lambda"})


def test_an_unknown_text_word_applied_to_an_argument_is_named_not_multiplied():
    # \text{foo}(w) read as a name would be foo * w, silently
    with pytest.raises(UnsupportedError, match="the function foo"):
        symgd.parse(r"L = (w - 1)^2 + \text{foo}(w)", wrt="w")


def test_murphys_sigm_is_the_logistic_function():
    problem = symgd.parse(r"\text{NLL}(w) = -\sum_{i=1}^{N}[y_i\log\mu_i + (1 - y_i)\log(1 - \mu_i)]", wrt="w",
                          where=r"\mu_i = \text{sigm}(w^Tx_i)")

    def nll(x, y, w):
        mu = 1 / (1 + np.exp(-(x @ w)))
        return -float(np.sum(y * np.log(mu) + (1 - y) * np.log(1 - mu)))

    check_against_reference(problem, nll, {"x": "x", "y": "y", "w": "w"})


def test_a_scalar_bar_term_does_not_make_its_vector_a_scalar():
    # |w| is a scalar of a vector too (its length): pushing "scalar" into w made w a scalar and y a matrix
    for latex in (r"\|y - Xw\|^2 + \lambda|w|", r"\lambda|w| + \|y - Xw\|^2"):
        problem = symgd.parse(latex, wrt="w")

        def objective(X, y, w, lam):
            return float(np.sum((y - X @ w) ** 2)) + float(lam) * float(np.linalg.norm(w))

        check_against_reference(problem, objective, {"X": "X", "y": "y", "w": "w", "lam": "lambda"})


def test_a_scalar_under_bars_stays_a_scalar():
    problem = symgd.parse(r"\frac{1}{2}(y - \theta)^2 + \lambda|\theta|", wrt=r"\theta")

    def soft_threshold_objective(y, theta, lam):
        return 0.5 * (float(y) - float(theta)) ** 2 + float(lam) * abs(float(theta))

    check_against_reference(problem, soft_threshold_objective, {"y": "y", "theta": "theta", "lam": "lambda"})


def test_capital_gamma_applied_is_not_a_product():
    # \log\Gamma(y_i + \alpha) (negative binomial likelihoods) was read as log(Gamma * (y_i + alpha)); it is the
    # log-gamma function (tests/test_gamma_family.py checks its values and derivatives)
    problem = symgd.parse(r"\sum_{i=1}^{n}\log\Gamma(y_i + \alpha) - n\log\Gamma(\alpha)", wrt=r"\alpha")
    assert "loggamma" in str(problem.objective) and "Gamma" not in {str(s) for s in problem.shapes}


@pytest.mark.parametrize("latex, wrt", [(r"\|\Sigma^{-1/2}(x - \mu)\|^2", r"\mu"), (r"\|W^{1/2}(y - X\beta)\|^2", r"\beta"),
                                        (r"\sqrt{\Sigma}x + x^\top x", "x")])
def test_a_fractional_power_of_a_capitalised_name_is_refused_as_a_matrix_root(latex, wrt):
    # \Sigma^{-1/2} was read as a scalar's power: Sigma, x and mu became scalars, silently
    with pytest.raises(UnsupportedError, match="matrix square root"):
        symgd.parse(latex, wrt=wrt)


@pytest.mark.parametrize("latex", [r"\mathrm{tr}(\log\Sigma) + \mathrm{tr}(\Sigma^{-1}S)"])
def test_log_of_a_matrix_in_a_trace_is_refused(latex):
    # tr(log Sigma) = log det Sigma, not sum_i log Sigma_ii (tr(e^A) is the matrix exponential's: test_matrix_exponential)
    with pytest.raises(UnsupportedError, match="matrix logarithm or square root"):
        symgd.gradient(symgd.parse(latex, wrt="W" if "W" in latex else r"\Sigma"))


def test_a_dimension_under_a_root_is_still_a_number():
    problem = symgd.parse(r"\frac{1}{\sqrt{N}}\sum_{i=1}^{N} x_i^2", wrt="x")

    def scaled(x):
        return float(np.sum(x ** 2)) / np.sqrt(len(x))

    check_against_reference(problem, scaled, {"x": "x"})


def test_a_labelled_size_ends_a_zero_based_sum():
    # scikit-learn's metric pages: \frac{1}{n_\text{samples}}\sum_{i=0}^{n_\text{samples} - 1}
    problem = symgd.parse(r"\frac{1}{n_\text{samples}}\sum_{i=0}^{n_\text{samples} - 1}(y_i - \hat{y}_i)^2",
                          wrt=r"\hat{y}")

    def mse(y, yhat):
        return float(np.mean((y - yhat) ** 2))

    check_against_reference(problem, mse, {"y": "y", "yhat": "yhat"})


def test_an_empty_group_typesets_nothing():
    # scikit-learn's MAPE is printed as \frac{{}\left| y_i - \hat{y}_i \right|}{\max(\epsilon, \left| y_i \right|)}
    problem = symgd.parse(r"\sum_{i=1}^{n}\frac{{}\left| y_i - \hat{y}_i \right|}{\max(\epsilon, \left| y_i \right|)}",
                          wrt=r"\hat{y}")

    def mape(y, yhat, eps):
        return float(np.sum(np.abs(y - yhat) / np.maximum(float(eps), np.abs(y))))

    check_against_reference(problem, mape, {"y": "y", "yhat": "yhat", "eps": "epsilon"})
