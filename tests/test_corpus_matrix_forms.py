"""Every gradient block of the supported corpus entries has a matrix form, and the form's IR,
evaluated, equals central differences of the entry's hand-written NumPy reference (dimensions
distinct, values by name; see corpus.harness). The entries still in index notation are listed
with the reason; the test fails when one gains a matrix form or any other entry loses one."""

import numpy as np
import pytest

import symgd
from corpus import ENTRIES
from corpus.entry import SUPPORTED
from corpus.harness import _params_match, _values_key, bind, central_differences, parse, random_values
from helpers import assert_close

INDEX_ONLY = {   # entry id -> what the matrix form's reason names (for the blocks that have none; | between reasons)
    "bv_geometric_mean": "Product",
    "cs229_softmax_loglik": "Product",
    # shifted and fixed indices (x_{i+1}, x_1) and partial ranges: slices and pads, no matrix spelling
    "esl_fused_lasso": "shifted or fixed index",
    "bv_tv_reconstruction": "shifted or fixed index",
    "paper_chambolle_tv": "shifted or fixed index",
    "bv_quadratic_smoothing": "fixed index",
    "bv_smoothing_plain": "fixed index",
    "nw_rosenbrock": "fixed index",
    "nw_quadratic_penalty": "fixed index",
    "nw_augmented_lagrangian": "fixed index",
    "paper_tversky": "fixed index",   # rows 0 and 1 of p and g: p_{0i}, g_{1i}
    "paper_factorization_machine": "a sum from another index",
    "paper_kalman_smoother": "shifted or fixed index",   # x_{t-1} over t = 2..T
    "paper_cumulative_logit": "index c is free|triangular range",   # the boundary term j = c, y_{ic}
    "bv_logistic_ml": "up to q",   # the first q of m samples: the builder has no slice of the data
    # a sum over a 0/1 mask of index pairs: a contraction over two axes at once
    "paper_glove": "several axes",
    "paper_bradley_terry": "several axes",   # log(gamma_i + gamma_j) over all pairs (i, j)
    "paper_lmnn": "several axes",   # the hinge over triples (i, j, l)
    "paper_svm_dual_rbf": "rank 3",   # the kernel exp(-||x_i - x_j||^2 / 2 sigma^2) built from pair differences
    "paper_koren_mf": "several axes",
    "paper_koren_biases": "several axes",   # as paper_koren_mf, with the user and item biases b_u, b_i
    "paper_ncf_gmf": "several axes",   # the sum over the pairs (u, i) of a union of two sets: h^T (p_u ⊙ q_i)
    "paper_logistic_mf": "several axes",   # beta_u + beta_i + x_u^T y_i over all pairs (u, i)
    "paper_triplet_facenet": "several axes",
    "paper_condat_tv1d": "shifted or fixed index",
    "paper_kruskal_stress": "several axes",   # the triangular mask of i < j in a contraction
    "paper_sammon": "triangular range",   # \sum_{i<j}, as Kruskal's stress
    # a 0-based sum, w_j x^j for j = 0..M: the power is the index's value
    "prml_1_2_polynomial_error": "used as a value",
    "prml_1_4_regularized_polynomial": "used as a value",
    # sum_n J_n^T (y_n - t_n): the Jacobian of the supplied network has an axis per sample, output and weight
    "prml_5_nn_regression_error": "several axes",
    "text_sls_group_lasso": "matrix form of a",   # z_ij, one vector per sample and group: rank 3, several axes
    "text_sls_flsa": "a sum from 2|shifted or fixed index",   # |theta_i - theta_{i-1}| for i = 2..N
    "paper_plackett_luce": "a sum from|shifted or fixed index|several axes",   # the tails sum_{j >= i} of the ranking
}


@pytest.mark.parametrize("item", [pytest.param(e, id=e.id) for e in ENTRIES if e.status == SUPPORTED])
def test_gradient_blocks_have_matrix_forms_equal_to_the_reference(item):
    problem = parse(item)
    params = _params_match(problem, item)
    values = random_values(item, 0)
    env = bind(problem, item, values)
    sign = -1.0 if getattr(problem, "sense", "min") == "max" else 1.0
    blocks = symgd.gradient(problem).blocks
    if item.id in INDEX_ONLY:   # fails when the entry gains its matrix forms: move it out of the list
        assert any(block.matrix is None for block in blocks), f"{item.id} has matrix forms now"
    for block in blocks:
        if block.matrix is None:
            assert item.id in INDEX_ONLY, f"{item.id} {block.wrt}: index notation only ({block.no_matrix})"
            assert any(reason in (block.no_matrix or "") for reason in INDEX_ONLY[item.id].split("|")), block.no_matrix
            continue
        (param,) = block.wrt
        name = next(n for n, p in params.items() if p == param)
        want = sign * central_differences(item.reference, values, _values_key(item, name, values))
        got = np.asarray(block.matrix.evaluate(env), dtype=float)
        assert_close(got.reshape(np.shape(want)), want, rel=1e-5, what=f"{item.id}: {block.matrix_latex}")
