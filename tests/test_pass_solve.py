"""The solve pass and the factorisation helpers: products with an inverse are solves with one
factorisation per matrix; no whole inverse where only products with it are needed."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy

import symgd
from symgd.codegen import generate
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.passes import solve

n = sympy.Symbol("n", integer=True, positive=True)
k = sympy.Symbol("k", integer=True, positive=True)
M, B, b = sympy.IndexedBase("M"), sympy.IndexedBase("B"), sympy.IndexedBase("b")


@pytest.mark.parametrize("definite", [False, True])
def test_products_with_an_inverse_become_solves_with_the_same_value(definite):
    m_node = ir.input_(M, (n, n))
    inverse = ir.matfn("inv", ir.factor(m_node, definite))
    b_mat, b_vec = ir.input_(B, (n, k)), ir.input_(b, (n,))
    roots = (ir.matmul(inverse, b_mat), ir.matmul(ir.transpose(b_mat, (1, 0)), inverse),
             ir.matmul(b_vec, inverse), ir.matmul(ir.transpose(inverse, (1, 0)), b_vec))
    program = ir.Program(roots, ("a", "b", "c", "d"))
    after = solve.run(program)
    assert not any(isinstance(node, ir.MatFn) for node in ir.postorder(after.roots))
    assert sum(isinstance(node, ir.Factor) for node in ir.postorder(after.roots)) == 1
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    env = {M: a @ a.T + 5 * np.eye(5) if definite else a + 5 * np.eye(5), B: rng.normal(size=(5, 3)),
           b: rng.normal(size=5), n: 5, k: 3}
    for before, solved in zip(program.roots, after.roots):
        np.testing.assert_allclose(evaluate(solved, env), evaluate(before, env), rtol=1e-12)


SOLVE_SUFFICES = [
    r"\min_w w^\top (X^\top X + \lambda I)^{-1} w",
    r"\min_\lambda \|v - Z (X^\top X + \lambda I)^{-1} X^\top y\|^2",
    r"\min_X \log\det(X^\top X)",
    r"\min_{\mu} \frac12 \sum_{i=1}^N (x_i - \mu)^\top \Sigma^{-1} (x_i - \mu) + \log\det\Sigma \quad \Sigma \succ 0",
]


@pytest.mark.parametrize("source", SOLVE_SUFFICES)
def test_no_inverse_in_generated_code_where_a_solve_suffices(source):
    text = generate(symgd.parse(source)).source
    body = text[text.index("\ndef loss("):text.index("\ndef hess(") if "\ndef hess(" in text else None]
    assert "inv(" not in body and "inverse(" not in body
    value_and_grad = text[text.index("\ndef value_and_grad("):]
    value_and_grad = value_and_grad[:value_and_grad.index("\ndef ", 1)]
    factorisations = re.findall(r"factorise\(", value_and_grad)
    assert len(factorisations) == 1   # value_and_grad factorises once


def test_a_declared_positive_definite_matrix_is_factorised_by_cholesky():
    text = generate(symgd.parse(r"\min_w w^\top \Sigma^{-1} w + \log\det\Sigma \quad \Sigma \succ 0")).source
    assert "factorise(Sigma, definite=True)" in text


@pytest.mark.parametrize("source, definite", [
    (r"\min_w w^\top (X^\top X + \lambda I)^{-1} w \quad \lambda > 0", True),   # Gram + c I, c > 0
    (r"\min_w w^\top (X^\top X + \lambda I)^{-1} w", False),                     # lambda may be negative
    (r"\min_w w^\top (X^\top X + \lambda^2 I)^{-1} w", True),
    (r"\min_w w^\top (A + \lambda^2 I)^{-1} w", False),                           # A may be indefinite
    (r"\min_w w^\top (A + \lambda^2 I)^{-1} w \quad A \succeq 0", True),
])
def test_semidefinite_terms_plus_a_positive_multiple_of_i_are_factorised_by_cholesky(source, definite):
    text = generate(symgd.parse(source)).source
    assert f"definite={definite})" in text and f"definite={not definite})" not in text


def test_log_det_of_a_matrix_with_negative_determinant_is_an_error_not_nan():
    module = generate(symgd.parse(r"\min_w w^\top w + \log\det(A + w w^\top)")).load()
    with pytest.raises(ValueError, match="determinant is not positive"):
        module.loss(np.zeros(3), A=-np.eye(3) * 2)
    assert np.isfinite(module.loss(np.ones(3), A=np.eye(3)))
