"""Notation from the literature that a user expects to work (issue 9): PyTorch's MultiLabelSoftMarginLoss (a sum
after ``\\frac{1}{C} *`` takes the terms that use its index), Goodfellow et al.'s ``H_{i,i}(w_i - w_i^*)`` (an entry
of a matrix before a bracket is a product; ``w_i^*`` beside ``w_i`` an entry of w^*), the quantile Huber
``\\rho_\\kappa^\\tau(r)`` defined in the source, and PyTorch's ``\\cos(x_1, x_2)``.

Each reading is checked against a NumPy reference written from what the source means (central differences at
random points, dimensions distinct), and shown not to fire where it would be wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from helpers import check_against_reference, check_at_point, random_env
from symgd.errors import AmbiguityError

MULTILABEL = (r"\text{loss}(x, y) = - \frac{1}{C} * \sum_i y[i] * \log((1 + \exp(-x[i]))^{-1}) + (1-y[i]) *"
              r" \log\left(\frac{\exp(-x[i])}{(1 + \exp(-x[i]))}\right)")


def _multilabel(x, y, C):
    """PyTorch's MultiLabelSoftMarginLoss of one sample: minus the mean over classes of y log σ(x) + (1 - y) log σ(-x)
    (C the number of classes, given as a constant)."""
    return -float(np.sum(y * np.log(1 / (1 + np.exp(-x))) + (1 - y) * np.log(1 / (1 + np.exp(x))))) / C


def test_a_sum_after_a_star_product_takes_the_terms_that_use_its_index():
    problem = symgd.parse(MULTILABEL, wrt="x")
    assert any("the sum over i extends over" in r for r in problem.readings), problem.readings
    check_against_reference(problem, _multilabel, {"x": "x", "y": "y", "C": "C"})


def test_a_star_product_before_a_sum_is_no_reason_to_extend_it_over_terms_free_of_its_index():
    problem = symgd.parse(r"\frac{1}{C} * \sum_i x[i]^2 + c * x_1", wrt="x")
    assert not any("extends over" in r for r in problem.readings), problem.readings


L1_QUADRATIC = r"\sum_i\left[\frac{1}{2}H_{i,i}(w_i - w_i^*)^2 + \alpha|w_i|\right]"


def _l1_quadratic(w, w_star, H, alpha):
    """Goodfellow et al. 7.1.2: the quadratic approximation with a diagonal Hessian H, plus the L1 penalty."""
    return float(np.sum(0.5 * np.diag(H) * (w - w_star) ** 2 + alpha * np.abs(w)))


def test_an_entry_of_a_matrix_before_a_bracket_is_a_product():
    problem = symgd.parse(L1_QUADRATIC, wrt="w")
    assert any("H_{i,i} is an entry of the matrix H" in r for r in problem.readings), problem.readings
    assert any("w^{*}_{i} is an entry of w^{*}" in r for r in problem.readings), problem.readings
    shapes = {str(s): tuple(map(str, shape)) for s, shape in problem.shapes.items()}
    assert shapes["H"] == (shapes["w"][0],) * 2 and shapes["w_star"] == shapes["w"]
    check_against_reference(problem, _l1_quadratic, {"w": "w", "w_star": "w_star", "H": "H", "alpha": "alpha"})


def test_a_label_after_the_index_names_an_array_as_before_it():
    """``d_{ij}^*`` and ``d^*_{ij}`` print alike (Sammon's distances beside d_{ij})."""
    for written in (r"d_{ij}^*", r"d^*_{ij}"):
        problem = symgd.parse(rf"\sum_i\sum_j (d_{{ij}} - {written})^2", wrt="d")

        def reference(d, d_star):
            return float(np.sum((d - d_star) ** 2))
        check_against_reference(problem, reference, {"d": "d", "d_star": "d_star"})


def test_a_matrix_declared_so_is_an_entry_before_a_bracket_with_numbered_indices():
    problem = symgd.parse(r"H_{1,2}(w_1 - w_2)^2 + \|w\|^2", wrt="w", where=r"H \in \mathbb{R}^{n \times n}")
    assert any("H_{1,2} is an entry of the matrix H" in r for r in problem.readings), problem.readings

    def reference(w, H):
        return float(H[0, 1] * (w[0] - w[1]) ** 2 + np.sum(w ** 2))
    check_against_reference(problem, reference, {"w": "w", "H": "H"})


@pytest.mark.parametrize("source, where", [
    (r"\sum_i H_{i,j}(w_i - v_i)^2", None),            # j is bound by no sum: a function H_{i,j} of a family?
    (r"\sum_i H_{i}(w_i - v_i)^2", None),              # one subscript: a function H_i, or entry i times the bracket
    (r"\sum_i H_{i,i}(w_i - v_i)^2", r"H(u) = u^2"),   # the source defines H as a function
])
def test_a_subscripted_function_name_before_a_bracket_stays_ambiguous_otherwise(source, where):
    with pytest.raises(AmbiguityError, match="H_"):
        symgd.gradient(symgd.parse(source, wrt="w", where=where))


QUANTILE_HUBER = r"\min_\beta\sum_{i=1}^{n}\rho_\kappa^\tau(y_i - x_i^T\beta) + \lambda\|\beta\|_1"
QUANTILE_HUBER_DEFINED = (r"\rho_\kappa^\tau(r) = \begin{cases}-\tau r - \frac{\kappa\tau^2}{2} & \text{if } r < -\tau\kappa"
                          r" \\ \frac{r^2}{2\kappa} & \text{if } -\kappa\tau \le r \le (1 - \tau)\kappa \\"
                          r" (1 - \tau)r - \frac{\kappa \cdot (1 - \tau)^2}{2} & \text{if } r > (1 - \tau)\kappa\end{cases}")


def _quantile_huber(beta, x, y, kappa, tau, lam):
    """Aravkin et al. (2014): quadratic on [-kappa tau, (1 - tau) kappa], linear with slopes -tau, 1 - tau outside."""
    r = y - x @ beta
    rho = np.where(r < -tau * kappa, -tau * r - kappa * tau ** 2 / 2,
                   np.where(r > (1 - tau) * kappa, (1 - tau) * r - kappa * (1 - tau) ** 2 / 2, r ** 2 / (2 * kappa)))
    return float(np.sum(rho) + lam * np.sum(np.abs(beta)))


def test_a_function_defined_with_a_superscript_is_called_so():
    problem = symgd.parse(QUANTILE_HUBER, where=QUANTILE_HUBER_DEFINED)
    assert any(r"defines the function \rho_{\kappa}^{\tau}" in r for r in problem.readings), problem.readings
    assert any(r"is a call of the function \rho_{\kappa}^{\tau}" in r for r in problem.readings), problem.readings
    env_kappa_tau = {"kappa": "kappa", "tau": "tau"}
    check_against_reference(problem, _quantile_huber, {"beta": "beta", "x": "x", "y": "y", "lam": "lambda",
                                                       **env_kappa_tau})


def test_a_call_with_a_lone_name_of_a_superscripted_definition():
    problem = symgd.parse(r"L(u) = \rho^\tau(u) + \rho_a^\tau(u)", wrt="u",
                          where=r"\rho^\tau(r) = \tau r^2, \quad \rho_a^\tau(r) = a r^4")
    assert str(problem.objective).replace(" ", "") in ("a*u**4+tau*u**2", "tau*u**2+a*u**4"), problem.objective


def test_a_superscripted_function_the_source_does_not_define_is_not_read_as_a_call():
    """Before, \\rho_\\kappa^\\tau times the bracket, without a word."""
    with pytest.raises(AmbiguityError, match=r"the function \\rho_\{\\kappa\}\^\{\\tau\} is not defined"):
        symgd.parse(r"\sum_i \rho_\kappa^\tau(y_i - w x_i)", wrt="w")


def test_a_condition_on_an_interval_names_it():
    where = QUANTILE_HUBER_DEFINED.replace(r"-\kappa\tau \le r \le (1 - \tau)\kappa", r"r \in [-\kappa\tau, (1 - \tau)\kappa]")
    with pytest.raises(symgd.errors.UnsupportedError, match="an interval or a set.*two inequalities"):
        symgd.parse(QUANTILE_HUBER, where=where)


COSINE_EMBEDDING = (r"\text{loss}(x, y) = \begin{cases} 1 - \cos(x_1, x_2), & \text{if } y = 1 \\ \max(0, \cos(x_1, x_2)"
                    r" - \text{margin}), & \text{if } y = -1 \end{cases}")


def _cosine_embedding(x_1, x_2, y, margin):
    """PyTorch's CosineEmbeddingLoss: cos(x_1, x_2) the cosine similarity x_1·x_2 / (|x_1| |x_2|)."""
    cosine = float(x_1 @ x_2) / (np.linalg.norm(x_1) * np.linalg.norm(x_2))
    return 1 - cosine if y == 1 else max(0.0, cosine - margin)


@pytest.mark.parametrize("label", [1.0, -1.0])
def test_cos_of_two_vectors_is_the_cosine_similarity(label):
    problem = symgd.parse(COSINE_EMBEDDING, wrt="x_1")
    assert any("is the cosine similarity" in r for r in problem.readings), problem.readings
    env = random_env(problem, seed=5)
    env["y"], env["margin"] = label, -1.5   # cos > -1.5: the hinge is active for y = -1
    check_at_point(problem, _cosine_embedding, {"x_1": "x_1", "x_2": "x_2", "y": "y", "margin": "margin"}, env)


def test_cos_of_one_argument_stays_the_cosine():
    problem = symgd.parse(r"\sum_i \cos(w x_i)", wrt="w")
    assert not any("cosine similarity" in r for r in problem.readings), problem.readings
    check_against_reference(problem, lambda w, x: float(np.sum(np.cos(w * x))), {"w": "w", "x": "x"})


def test_cos_of_two_scalars_is_refused():
    with pytest.raises(symgd.errors.ShapeError, match="inner product of a and b needs two vectors"):
        symgd.parse(r"\cos(a, b)", wrt="a", where=r"a \in \mathbb{R}, b \in \mathbb{R}")
