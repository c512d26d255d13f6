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
from helpers import check_against_reference
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
