"""Edges of the literature's notation (issue 9): Koren's user and item biases b_u, b_i over the pairs of a set,
Sammon's d*_ij beside d_ij, and Agresti's boundary cut-points alpha_0 = -inf, alpha_c = inf.

Each reading is checked against a NumPy reference written from what the source means (central differences
at random points, dimensions distinct), and shown not to fire where it would be wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symgd
from corpus.harness import central_differences
from helpers import check_against_reference
from symgd.errors import AmbiguityError, UnsupportedError
from symgd.numeric import entries, evaluate
from symgd.render import latex_of

KOREN = (r"\min_{p^*,q^*,b^*}\sum_{(u,i)\in\kappa}(r_{ui} - \mu - b_u - b_i - p_u^Tq_i)^2 + \lambda(\|p_u\|^2"
         r" + \|q_i\|^2 + b_u^2 + b_i^2)")


def _koren(kappa, r, mu, b_u, b_i, p, q, lam):
    """Koren, Bell & Volinsky (2009), 'Adding biases': b_u one bias per user (row of r), b_i one per item."""
    residual = r - mu - b_u[:, None] - b_i[None, :] - p @ q.T
    penalty = np.sum(p ** 2, 1)[:, None] + np.sum(q ** 2, 1)[None, :] + b_u[:, None] ** 2 + b_i[None, :] ** 2
    return float(np.sum(kappa * (residual ** 2 + lam * penalty)))


def test_user_and_item_biases_are_two_vectors_named_apart():
    problem = symgd.parse(KOREN)
    assert [str(p) for p in problem.params] == ["p", "q", "b_u", "b_i"]   # \min_{...b^*} covers both
    shapes = {str(s): tuple(str(d) for d in shape) for s, shape in problem.shapes.items()}
    assert shapes["b_u"] == shapes["r"][:1] and shapes["b_i"] == shapes["r"][1:] and shapes["r"][0] != shapes["r"][1]
    assert any("b_u and b_i in the sum over the set \\kappa are 2 vectors" in r and "p only by u and q only by i" in r
               for r in problem.readings), problem.readings
    assert {problem.argnames[p] for p in problem.params} == {"p", "q", "b_u", "b_i"}
    assert "{b_{u}}_{u}" in latex_of(problem.objective_ir) and "b_{u}_{u}" not in latex_of(problem.objective_ir)
    check_against_reference(problem, _koren, {"kappa": "kappa", "r": "r", "mu": "mu", "b_u": "b_u", "b_i": "b_i",
                                              "p": "p", "q": "q", "lam": "lambda"})


def test_biases_with_named_sizes_are_two_vectors():
    problem = symgd.parse(r"\sum_{(u,i)\in\kappa}(r_{ui} - b_u - b_i)^2", wrt="b",
                          where=r"r \in \mathbb{R}^{U \times I}")
    assert [str(p) for p in problem.params] == ["b_u", "b_i"]
    assert any("their sizes U and I are named" in r for r in problem.readings), problem.readings

    def reference(kappa, r, b_u, b_i):
        return float(np.sum(kappa * (r - b_u[:, None] - b_i[None, :]) ** 2))

    check_against_reference(problem, reference, {"kappa": "kappa", "r": "r", "b_u": "b_u", "b_i": "b_i"})


@pytest.mark.parametrize("source, where", [
    # the ranges are one dimension: A is square (declared, or indexed both ways)
    (r"\sum_{(i,j)\in\Omega}(A_{ij} - b_i - b_j)^2 + \|p_i\|^2 + \|q_j\|^2", r"A \in \mathbb{R}^{n \times n}"),
    (r"\sum_{(i,j)\in\Omega}(A_{ij} + A_{ji} - b_i - b_j)^2 + \|p_i\|^2 + \|q_j\|^2", None),
])
def test_biases_over_one_dimension_stay_ambiguous(source, where):
    with pytest.raises(AmbiguityError, match=r"one vector b indexed by both, or 2 different vectors .*same dimension"):
        symgd.parse(source, wrt="b", where=where)


@pytest.mark.parametrize("source", [
    r"\sum_{(u,i)\in\kappa}(r_{ui} - b_u - b_i)^2",   # nothing keeps u and i apart: a graph's x_i - x_j reads alike
    r"\sum_{(u,i)\in\kappa}(r_{ui} - b_u - b_i)^2 + \|b\|^2",   # b used whole: one vector
])
def test_biases_without_evidence_of_two_ranges_stay_ambiguous(source):
    with pytest.raises(AmbiguityError, match=r"one vector b indexed by both, or 2 different vectors"):
        symgd.parse(source, wrt="b")


# -- Sammon (1969): d*_ij beside d_ij, d the dimension of the y_i, pairs i < j ----------------------------------

SAMMON = r"E = \frac{1}{\sum_{i<j}d^*_{ij}}\sum_{i<j}^{N}\frac{[d^*_{ij} - d_{ij}]^2}{d^*_{ij}}"
SAMMON_DISTANCE = r"d_{ij} = \sqrt{\sum_{k=1}^{d}[y_{ik} - y_{jk}]^2}"   # the paper's own d_ij


def _sammon(d_star, y):
    """Sammon's stress over the pairs i < j: d*_ij given, d_ij the Euclidean distances of the rows of y."""
    upper = np.triu_indices(len(y), 1)
    d = np.sqrt(np.sum((y[:, None, :] - y[None, :, :]) ** 2, axis=2))[upper]
    return float(np.sum((d_star[upper] - d) ** 2 / d_star[upper]) / np.sum(d_star[upper]))


def test_sammon_reads_d_star_as_data_and_d_as_the_dimension_of_the_mapping():
    problem = symgd.parse(SAMMON, wrt="y", where=SAMMON_DISTANCE)
    assert [str(p) for p in problem.params] == ["y"]
    assert {str(s) for s in problem.data} == {"d_star"}
    readings = " | ".join(problem.readings)
    assert "d^{*}_{ij} is an entry of d^{*}, an array of its own (d_star)" in readings
    assert r"d in \sum_{k=1}^{d} is a dimension" in readings
    check_against_reference(problem, _sammon, {"d_star": "d_star", "y": "y"})


def test_a_label_beside_an_index_stays_refused_without_the_unlabelled_array():
    # y_i^* alone could be an optimum or a conjugate: still refused (tests/test_pasted_notation.py); Sammon's
    # d^*_{ij} beside d_{ij} names a second array
    with pytest.raises(UnsupportedError, match="beside the label star"):
        symgd.parse(r"\sum_{i<j}^{N}(d^*_{ij} - \|y_i - y_j\|)^2", wrt="y")


def test_a_name_recurring_only_as_a_limit_is_defined_not_updated():
    problem = symgd.parse(r"\sum_{i=1}^{n}(t_i - s_{i})^2", wrt="w", where=r"s_{i} = \sum_{k=1}^{s}w_k x_{ik}")
    assert [str(p) for p in problem.params] == ["w"]
    assert not problem.updates


# -- boundary entries given as ±∞ (Agresti's cut-points alpha_0 = -inf, alpha_c = inf) ---------------------------

ORDINAL = r"\sum_{i=1}^{n}\sum_{j=1}^{c}y_{ij}\log\left(\sigma(\alpha_j - \eta_i) - \sigma(\alpha_{j-1} - \eta_i)\right)"
CUTS = r"\alpha_0 = -\infty, \alpha_c = \infty"


def _ordinal(y, eta, alpha):
    """Proportional odds by hand: P(y = j) = F(alpha_j - eta) - F(alpha_{j-1} - eta), F(-inf) = 0, F(inf) = 1."""
    cuts = np.concatenate([[-np.inf], alpha, [np.inf]])
    with np.errstate(over="ignore"):
        cdf = 1.0 / (1.0 + np.exp(-(cuts[None, :] - eta[:, None])))
    return float(np.sum(y * np.log(cdf[:, 1:] - cdf[:, :-1])))


def test_boundary_entries_at_infinity_are_limits_and_the_free_entries_lie_between():
    problem = symgd.parse(ORDINAL, wrt=r"\alpha", where=CUTS)
    shapes = {str(s): tuple(str(d) for d in shape) for s, shape in problem.shapes.items()}
    assert shapes["alpha"] == ("c - 1",) and shapes["y"] == ("n", "c")
    assert any(r"\alpha_0 = -\infty and \alpha_{c} = \infty are the boundary entries of \alpha" in r
               and r"\alpha_1, \ldots, \alpha_{c-1}" in r for r in problem.readings), problem.readings
    assert not problem.objective.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan)   # the limits are taken exactly
    rng = np.random.default_rng(5)
    n, c = 6, 4
    y, eta = np.eye(c)[rng.integers(0, c, size=n)], rng.normal(size=n)
    alpha = np.cumsum(rng.uniform(0.5, 1.5, size=c - 1)) - 1.5   # ordered cut-points
    env = {"y": y, "eta": eta, "alpha": alpha, "n": n, "c": c}
    assert np.isclose(evaluate(problem.objective, env), _ordinal(y, eta, alpha), rtol=1e-10)
    (block,) = symgd.gradient(problem).blocks
    slope = central_differences(lambda v: _ordinal(v["y"], v["eta"], v["alpha"]), env, "alpha")
    assert np.allclose(entries(block.expr, block.indices, (c - 1,), env), slope, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("source, where", [
    (r"\sum_{i=1}^{\infty} w_i^2", None),                                   # an infinite sum
    (r"\|w\|^2 + \lambda", r"\lambda = \infty"),                             # a constant, not a boundary entry
    (ORDINAL, r"\alpha_0 = -\infty"),                                        # one boundary entry only
    (ORDINAL, r"\alpha_0 = -\infty + 1, \alpha_c = \infty"),                 # \infty in arithmetic
    (ORDINAL + r" + \|\alpha\|^2", CUTS),                                    # the vector used whole
])
def test_infinity_elsewhere_is_refused_naming_it(source, where):
    wrt = r"\alpha" if r"\alpha" in source else "w"
    with pytest.raises(UnsupportedError, match=r"\\infty"):
        symgd.parse(source, wrt=wrt, where=where)
