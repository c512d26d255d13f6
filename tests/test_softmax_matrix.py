"""softmax of a matrix is taken along each row (scores of n samples by K classes), in losses and claims."""

import numpy as np
import pytest

import symgd
from symgd import numeric

LOSS = r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log \operatorname{softmax}(X W^\top)_{ik}"
WHERE = r"X \in \mathbb{R}^{n \times d}, Y \in \mathbb{R}^{n \times K}, W \in \mathbb{R}^{K \times d}"


def _reference(values: dict) -> float:
    scores = values["X"] @ values["W"].T
    scores = scores - scores.max(axis=1, keepdims=True)
    log_p = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return float(-(values["Y"] * log_p).sum())


def test_the_loss_reads_a_row_wise_softmax_and_says_so():
    problem = symgd.parse(LOSS, where=WHERE)
    assert any("each row" in reading for reading in problem.readings)
    values = numeric.random_values(problem, seed=3, symmetric=False)
    assert abs(numeric.evaluate(problem.objective, values) - _reference(values)) < 1e-9
    block = symgd.gradient(problem).blocks[0]
    grad = numeric.entries(block.expr, block.indices, values["W"].shape, values)
    h, expected = 1e-6, np.zeros_like(values["W"])
    for position in np.ndindex(*values["W"].shape):
        sides = []
        for sign in (1, -1):
            shifted = values["W"].copy()
            shifted[position] += sign * h
            sides.append(_reference({**values, "W": shifted}))
        expected[position] = (sides[0] - sides[1]) / (2 * h)
    assert np.allclose(grad, expected, atol=1e-6)


def test_a_softmax_claim_is_read_not_refused():
    claim = r"\frac{\partial L}{\partial W} = (\operatorname{softmax}(XW^\top) - Y)^\top X"
    result = symgd.check(LOSS, claim, where=WHERE)
    assert not result.ok   # right only for one-hot labels, which the loss does not say
    assert any("one-hot" in finding for finding in result.diagnosis), result.diagnosis
    general = r"\frac{\partial L}{\partial W} = (\operatorname{diag}(Y\mathbf{1}) \operatorname{softmax}(XW^\top) - Y)^\top X"
    assert symgd.check(LOSS, general, where=WHERE).ok



EXAMPLE = r"""L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}"""


@pytest.mark.parametrize("loss", [LOSS, EXAMPLE])
def test_a_softmax_claim_in_the_classes_by_samples_layout_is_read_as_written(loss):
    # K × n scores, a column per sample (W X^T): the claim's softmax normalises over the K classes, as
    # the loss does; it used to normalise each row, over the samples, and a right claim was judged wrong
    claim = r"\frac{\partial L}{\partial W} = (\operatorname{softmax}(W X^\top)\operatorname{diag}(Y\mathbf{1}) - Y^\top) X"
    assert symgd.check(loss, claim, where=WHERE).ok
    assert not symgd.check(loss, claim.replace(r"- Y^\top", r"+ Y^\top"), where=WHERE).ok
    one_hot = symgd.check(loss, r"\frac{\partial L}{\partial W} = (\operatorname{softmax}(W X^\top) - Y^\top) X",
                          where=WHERE)
    assert not one_hot.ok and any("one-hot" in finding for finding in one_hot.diagnosis), one_hot.diagnosis
    rows_over_samples = r"\frac{\partial L}{\partial W} = ((\operatorname{softmax}(X W^\top)^\top)\operatorname{diag}(Y\mathbf{1}) - Y^\top) X"
    assert symgd.check(loss, rows_over_samples, where=WHERE).ok   # the same matrix, written transposed


@pytest.mark.parametrize("source", [
    "-sum(Y .* log(softmax(X @ W)))",                                              # plain text, no declarations
    r"-\sum_{i,k} Y_{ik}\log\operatorname{softmax}(XW)_{ik}",
])
def test_softmax_of_capitalised_product_is_row_wise_without_declarations(source):
    # X and W are capitalised: matrices, so softmax(XW) is row by row. The softmax used to push "a vector"
    # into XW before the capital-letter default, making W a vector and the softmax run over the samples.
    from helpers import check_against_reference

    def reference(X, Y, W):
        scores = X @ W
        scores = scores - scores.max(axis=1, keepdims=True)
        return -float(np.sum(Y * (scores - np.log(np.exp(scores).sum(axis=1, keepdims=True)))))

    problem = symgd.parse(source, wrt="W")
    assert len(problem.shapes[next(s for s in problem.shapes if str(s) == "W")]) == 2
    check_against_reference(problem, reference, {"X": "X", "Y": "Y", "W": "W"})
