"""Edges of the literature's notation (issue 9): Koren's user and item biases b_u, b_i over the pairs of a set.

Each reading is checked against a NumPy reference written from what the source means (central differences
at random points, dimensions distinct), and shown not to fire where it would be wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from helpers import check_against_reference
from symgd.errors import AmbiguityError

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
