"""Sums over sets given as data (issue 9): a set of indices named by a plain letter (PRML's misclassified
patterns M), ``[n]`` for {1, ..., n}, the pairs of points of a set (Xing et al.'s S), and a kernel k(x_i, x_j)
of data only read as the kernel matrix.

Each reading is checked through the generated code against a NumPy reference written from what the source
means, with central differences at random points (all dimensions distinct), and each is shown not to fire
where it would be wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from symgd.errors import AmbiguityError, UnsupportedError
from test_index_sets import check_generated, slopes   # the generated loss and gradient against a reference

PERCEPTRON = r"E_{\mathrm{P}}(\mathbf{w}) = -\sum_{n\in\mathcal{M}}\mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_nt_n"


@pytest.mark.parametrize("seed", [0, 1])
def test_a_set_of_indices_named_by_a_letter_is_its_mask_given_as_data(seed):
    # PRML 4.1.7: M, the misclassified patterns, given as data; the gradient at fixed M is Bishop's (4.55)
    problem = symgd.parse(PERCEPTRON, wrt=r"\mathbf{w}")
    assert any("M is a set of indices n given as data" in r and "held fixed" in r for r in problem.readings)
    rng = np.random.default_rng(seed)
    phi, t = rng.normal(size=(7, 4)), rng.choice([-1.0, 1.0], size=7)
    mask = (rng.uniform(size=7) < 0.5).astype(float)
    check_generated(problem, rng.normal(size=4), {"phi": phi, "t": t, "M": mask},
                    lambda w: -np.sum(mask * (phi @ w) * t))


def test_the_size_of_a_set_of_indices_given_as_data_is_the_sum_of_its_mask():
    problem = symgd.parse(r"\frac{1}{|\mathcal{M}|}\sum_{n\in\mathcal{M}}(y_n - w^\top x_n)^2", wrt="w")
    rng = np.random.default_rng(2)
    x, y, mask = rng.normal(size=(7, 3)), rng.normal(size=7), np.array([1.0, 0, 1, 1, 0, 0, 1])
    check_generated(problem, rng.normal(size=3), {"x": x, "y": y, "M": mask},
                    lambda w: np.sum(mask * (y - x @ w) ** 2) / mask.sum())


@pytest.mark.parametrize("source, where, message", [
    (PERCEPTRON, r"\mathcal{M} = \{n : \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_nt_n < 0\}", None),   # defined
    (r"\sum_i\sum_{j\in R_i}(z_j w - y_i)^2", None, r"the set R_\{i\} is not defined"),   # changes with i
    (r"\sum_{j\in R(t_i)}z_j w", None, r"is not defined"),   # a set with an argument
    (r"\frac{1}{K}\sum_{k\in K}w_k^2", None, r"the set K is not defined"),   # K also a number
    (r"\sum_{i\in S}(w x_i)^2 + \mathrm{tr}(S)", None, r"the set S is not defined"),   # S also a matrix
    (r"\sum_{i\in I}(w_i - 1)^2", r"I \in \mathbb{R}^{n}", r"the set I is not defined"),   # declared a vector
    (r"\sum_{i\in\mathcal{I}}(w_i - 1)^2", None, r"the set I is not defined"),   # I_i would be an identity
])
def test_a_set_the_source_defines_or_that_varies_is_never_a_mask(source, where, message):
    if message is None:
        problem = symgd.parse(source, wrt=r"\mathbf{w}", where=where)
        assert not any("given as data" in reading for reading in problem.readings)
        assert symgd.gradient(problem).nonsmooth   # the set-builder's indicator, not a mask
        return
    with pytest.raises(UnsupportedError, match=message):
        symgd.parse(source, wrt="w", where=where)


def test_a_set_named_like_the_parameter_is_no_mask():
    with pytest.raises(symgd.SymgdError):
        symgd.parse(r"\sum_{n\in w}w_n^2", wrt="w")


@pytest.mark.parametrize("written", [r"\sum_{i\in[n]}", r"\sum_{i \in [n]}", r"\sum_{i\in\{1,\ldots,n\}}"])
def test_brackets_n_are_the_numbers_one_to_n(written):
    problem = symgd.parse(rf"\frac{{1}}{{n}}{written}(w^\top x_i - y_i)^2", wrt="w")
    assert any(r"i = 1, ..., n" in reading for reading in problem.readings)
    assert not any("the set n" in reading for reading in problem.readings)
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=7)
    check_generated(problem, rng.normal(size=3), {"x": x, "y": y},
                    lambda w: np.mean((x @ w - y) ** 2))


def test_brackets_elsewhere_are_no_range():
    # [n] only right after \sum_{i \in: a bracket in the body and an interval beside the loss keep their meaning
    written = symgd.parse(r"\sum_{i\in[n]}[w^\top x_i - y_i]^2 + \alpha\|w\|^2 \quad \alpha \in [0, 1]", wrt="w")
    plain = symgd.parse(r"\sum_{i=1}^{n}(w^\top x_i - y_i)^2 + \alpha\|w\|^2 \quad \alpha \in [0, 1]", wrt="w")
    assert written.objective == plain.objective
    assert sum("[n]" in reading for reading in written.readings) == 1


@pytest.mark.parametrize("source", [
    # a graph's edges: one vector x indexed by both ends (Koren's b_u, b_i beside p_u, q_i: tests/test_pair_families.py)
    r"\min_x\sum_{(i,j)\in E}(x_i - x_j)^2 + \|x - y\|^2",
    r"\min_x\sum_{(i,j)\in E}(x_i - x_j)^2",
])
def test_one_letter_with_both_indices_of_a_pair_stays_ambiguous(source):
    # nothing written tells the two apart (the sizes of i and j are not stated): never two vectors by default
    with pytest.raises(AmbiguityError, match=r"one vector \w+ indexed by both, or 2 different vectors"):
        symgd.parse(source)


XING = r"\min_A \sum_{(x_i,x_j)\in\mathcal{S}}\|x_i - x_j\|_A^2"


@pytest.mark.parametrize("source, mask_name, mean", [
    (XING, "S", False),
    (r"\min_A \frac{1}{|D_S|}\sum_{(x_i,x_j)\in D_S}\|x_i - x_j\|_A^2", "D", True),   # D_S: the argument D
])
def test_pairs_of_points_named_by_indices_are_pairs_of_indices_of_a_mask(source, mask_name, mean):
    # Xing, Ng, Jordan & Russell (2002): S the similar pairs, ||v||_A^2 = v^T A v with A the unknown
    problem = symgd.parse(source, wrt="A")
    assert any(r"the pairs of indices (i, j) of a set given as data" in r for r in problem.readings)
    module = symgd.codegen(problem).load()
    rng = np.random.default_rng(int(mean))
    x, a = rng.normal(size=(6, 3)), rng.normal(size=(3, 3))   # A not symmetric: a lost transpose shows
    mask = (rng.uniform(size=(6, 6)) < 0.4).astype(float)
    mask[0, 1] = 1.0

    def reference(a):
        total = sum(mask[i, j] * (x[i] - x[j]) @ a @ (x[i] - x[j]) for i in range(6) for j in range(6))
        return total / mask.sum() if mean else total

    data = {mask_name: mask, "x": x}
    assert np.isclose(module.loss(a, **data), reference(a), rtol=1e-10)
    assert np.allclose(module.grad(a, **data), slopes(reference, a), atol=1e-6)


@pytest.mark.parametrize("source, error, message", [
    # another letter with both indices stays ambiguous (b_i, b_j: one vector or two?)
    (r"\min_{A, b} \sum_{(x_i,x_j)\in\mathcal{S}}\|x_i - x_j\|_A^2 + (b_i - b_j)^2", AmbiguityError, r"b_i and b_j"),
    (r"\sum_{(x_i,x_i)\in S}\|x_i\|_A^2", UnsupportedError, r"pairs of points with distinct single-letter indices"),
])
def test_pairs_of_points_read_only_their_own_letters_and_distinct_indices(source, error, message):
    with pytest.raises(error, match=message):
        symgd.parse(source, wrt="A, b" if "b_i" in source else "A")


KERNEL_DUAL = r"\frac{1}{2}\sum_{ij}\alpha_i\alpha_jk(x_i, x_j) - \sum_i\alpha_i"


@pytest.mark.parametrize("seed", [0, 1])
def test_a_kernel_of_data_only_is_the_kernel_matrix_given_as_data(seed):
    # Schölkopf et al. (2001), the one-class SVM dual: k(x_i, x_j) read as the entries of the kernel matrix
    problem = symgd.parse(KERNEL_DUAL, wrt=r"\alpha")
    assert any(r"is read as data: the kernel matrix k_{i,j}" in reading for reading in problem.readings)
    rng = np.random.default_rng(seed)
    root = rng.normal(size=(6, 6))
    kernel = root @ root.T + np.diag(np.arange(6.0))   # symmetric: a kernel matrix; 6 samples, no feature axis
    check_generated(problem, rng.normal(size=6), {"k": kernel},
                    lambda a: 0.5 * a @ kernel @ a - np.sum(a))


@pytest.mark.parametrize("source, wrt", [
    (r"\sum_{ij}\alpha_i k(x_i, x_j)", "x"),                    # the points are the parameter
    (r"\sum_{ij}\alpha_i\alpha_j k(x_i, x_j)", None),           # no parameter known: nothing is data yet
    (r"\sum_{i}\alpha_i k(x_i, z)", r"\alpha"),                 # an argument with no summed index
    (r"\sum_{i}\alpha_i k(x_i, y_i)", r"\alpha"),               # one index twice: no matrix of pairs
])
def test_a_function_of_anything_but_indexed_data_is_never_a_kernel_matrix(source, wrt):
    with pytest.raises(symgd.SymgdError) as info:
        symgd.parse(source, wrt=wrt)
    assert "kernel matrix" not in str(info.value)


def test_a_function_of_the_parameter_and_the_data_points_is_one_the_user_supplies_not_a_kernel_matrix():
    problem = symgd.parse(r"\sum_i k(w, x_i)", wrt="w")   # tests/test_supplied_functions.py
    assert "k" in problem.supplied and not any("kernel matrix" in reading for reading in problem.readings)


def test_a_defined_kernel_is_used_not_read_as_data():
    problem = symgd.parse(KERNEL_DUAL, wrt=r"\alpha", where=r"k(x, x') = \exp(-\|x - x'\|^2)")
    assert not any("kernel matrix" in reading for reading in problem.readings)
    assert "exp" in str(problem.objective)


@pytest.mark.parametrize("clause", [r"\forall i \in [m]", r"i \in [m]"])
def test_a_range_clause_in_brackets_n_is_one_to_n(clause):
    # Boyd & Vandenberghe's a_i^T x <= b_i, i = 1, ..., m, with the range written [m]
    written = symgd.parse(rf"\min_x c^\top x \quad \text{{s.t.}} \quad a_i^\top x \le b_i,\ {clause}", wrt="x")
    plain = symgd.parse(r"\min_x c^\top x \quad \text{s.t.} \quad a_i^\top x \le b_i,\ i = 1, \dots, m", wrt="x")
    assert written.constraints == plain.constraints and written.shapes == plain.shapes
