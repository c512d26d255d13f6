"""Notation pasted from the PyTorch documentation and papers (issue 9): the old font switch ``{\\bf x}``, a word's
factorial ``\\text{target!}``, ``\\text{x.nelement}()`` (the number of entries of x), a sum over the union of two
sets of index pairs, and ``wrt`` spelled as the formula writes the name.

Each reading is checked through the generated code against a NumPy reference written by hand from what the
source means, with central differences at random points (all dimensions distinct); each refusal names its construct.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import symgd
from symgd.errors import ParseError
from test_index_sets import check_generated   # the generated loss and gradient against a reference


def test_an_old_style_bold_group_is_the_bold_name():
    # {\bf x}_i (torch.nn.TripletMarginLoss's documentation) is \mathbf{x}_i: the i-th row of x
    old = symgd.parse(r"\sum_i ({\bf x}_i^\top {\bf w} - y_i)^2", wrt="w")
    new = symgd.parse(r"\sum_i (\mathbf{x}_i^\top \mathbf{w} - y_i)^2", wrt="w")
    assert old.objective == new.objective and old.shapes == new.shapes
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=7)
    check_generated(old, rng.normal(size=3), {"x": x, "y": y}, lambda w: np.sum((x @ w - y) ** 2))


@pytest.mark.parametrize("source", [r"\bf x^\top w", r"{\bf W x}^\top w", r"{\bf \frac{1}{2}} w^\top w"])
def test_bf_over_anything_but_one_name_in_its_group_is_a_parse_error(source):
    with pytest.raises(ParseError, match=r"\\bf"):
        symgd.parse(source, wrt="w")


def test_a_word_followed_by_an_exclamation_mark_is_its_factorial():
    # torch.nn.PoissonNLLLoss: input - target log(input) + log(target!), the Stirling term a constant
    problem = symgd.parse(r"\text{loss}(\text{input}, \text{target}) = \text{input} - \text{target} * "
                          r"\log(\text{input}) + \log(\text{target!})", wrt=r"\text{input}")
    assert any("factorial" in reading for reading in problem.readings)
    module = symgd.codegen(problem).load()
    for value, target in [(1.3, 4.0), (0.7, 0.0), (2.9, 6.0)]:
        reference = value - target * np.log(value) + math.lgamma(target + 1)
        assert np.isclose(module.loss(value, target=target), reference, rtol=1e-12)
        slope = (math.log(math.factorial(int(target))) - target * np.log(value + 1e-6) + value + 1e-6
                 - (math.log(math.factorial(int(target))) - target * np.log(value - 1e-6) + value - 1e-6)) / 2e-6
        assert np.isclose(module.grad(value, target=target), slope, rtol=1e-6)


def test_a_bang_that_follows_no_word_stays_an_error():
    with pytest.raises(ParseError, match="'!'"):
        symgd.parse(r"x - \log(\text{!})", wrt="x")


@pytest.mark.parametrize("seed", [0, 1])
def test_nelement_is_the_number_of_entries_of_the_named_array(seed):
    # torch.nn.SoftMarginLoss divides by x.nelement(); here a matrix's, the product of its two dimensions
    problem = symgd.parse(r"\frac{\|Xw - y\|^2 + \|X\|_F^2}{\text{X.nelement}()}", wrt="w")
    assert any("X.nelement() is the number of entries of X" in reading for reading in problem.readings)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=7)
    check_generated(problem, rng.normal(size=3), {"X": x, "y": y},
                    lambda w: (np.sum((x @ w - y) ** 2) + np.sum(x ** 2)) / 21)


def test_soft_margin_loss_as_the_pytorch_documentation_writes_it():
    problem = symgd.parse(r"\text{loss}(x, y) = \sum_i \frac{\log(1 + \exp(-y[i]*x[i]))}{\text{x.nelement}()}",
                          wrt="x")
    rng = np.random.default_rng(3)
    y = rng.choice([-1.0, 1.0], size=6)
    check_generated(problem, rng.normal(size=6), {"y": y}, lambda x: np.mean(np.log1p(np.exp(-y * x))))


@pytest.mark.parametrize("method", [r"\text{x.size}()", r"\text{x.nelement}", r"\text{x.sum}()"])
def test_any_other_method_call_stays_a_parse_error(method):
    with pytest.raises(ParseError, match=r"x\.(size|nelement|sum)"):
        symgd.parse(rf"\frac{{x^\top x}}{{{method}}}", wrt="x")


@pytest.mark.parametrize("seed", [0, 1])
def test_a_sum_over_a_union_of_two_sets_of_pairs_counts_a_pair_in_both_once(seed):
    # He et al. (2017), eq. (7): the observed pairs Y and the sampled negatives Y^-, as 0/1 masks; here they overlap
    problem = symgd.parse(r"\sum_{(u,i)\in\mathcal{Y}\cup\mathcal{Y}^-}(r_{ui} - p_u^\top q_i)^2", wrt="p")
    assert any(r"the sum over the pairs of Y \cup Y_{\mathrm{minus}} is over every pair" in reading
               for reading in problem.readings)
    rng = np.random.default_rng(seed)
    r, q = rng.normal(size=(6, 9)), rng.normal(size=(9, 2))
    observed, negatives = (rng.uniform(size=(6, 9)) < 0.5).astype(float), (rng.uniform(size=(6, 9)) < 0.5).astype(float)
    assert np.any(observed * negatives)   # a pair in both sets, which a sum of the masks would count twice
    union = np.maximum(observed, negatives)
    check_generated(problem, rng.normal(size=(6, 2)), {"r": r, "q": q, "Y": observed, "Y_minus": negatives},
                    lambda p: np.sum(union * (r - p @ q.T) ** 2))


def test_a_union_of_three_sets_is_their_mask_folded():
    problem = symgd.parse(r"\sum_{(u,i)\in A\cup B\cup C}(r_{ui} - p_u^\top q_i)^2", wrt="p")
    rng = np.random.default_rng(4)
    r, q = rng.normal(size=(6, 9)), rng.normal(size=(9, 2))
    masks = {name: (rng.uniform(size=(6, 9)) < 0.4).astype(float) for name in "ABC"}
    union = np.maximum.reduce(list(masks.values()))
    check_generated(problem, rng.normal(size=(6, 2)), {"r": r, "q": q, **masks},
                    lambda p: np.sum(union * (r - p @ q.T) ** 2))


@pytest.mark.parametrize("source", [r"\|w\|^2 \cup 1", r"\sum_{i \in A \cup B} w_i^2"])
def test_a_union_anywhere_else_is_a_parse_error_naming_it(source):
    with pytest.raises(ParseError, match=r"\\cup"):
        symgd.parse(source, wrt="w")


@pytest.mark.parametrize("seed", [0, 1])
def test_wrt_written_with_a_label_superscript_names_the_formulas_symbol(seed):
    # Goodfellow et al., Sec. 7.9: model A's weights tied to model B's; wrt as the source writes the name
    problem = symgd.parse(r"\|X\boldsymbol{w}^{(A)} - y\|^2 + \lambda\|\boldsymbol{w}^{(A)} - \boldsymbol{w}^{(B)}\|_2^2",
                          wrt=r"\boldsymbol{w}^{(A)}")
    assert [str(p) for p in problem.params] == ["w_A"]
    rng = np.random.default_rng(seed)
    x, y, w_b = rng.normal(size=(7, 3)), rng.normal(size=7), rng.normal(size=3)
    check_generated(problem, rng.normal(size=3), {"X": x, "y": y, "lambda_": 0.7, "w_B": w_b},
                    lambda w: np.sum((x @ w - y) ** 2) + 0.7 * np.sum((w - w_b) ** 2))


def test_wrt_with_a_nested_subscript_names_the_formulas_symbol():
    # x_{t_0} is one name in the formula (x_{t_{0}}); wrt spelled as written names it, not a free index
    problem = symgd.parse(r"\|A x_{t_0} - b\|^2 + \|x_{t_0} - x_{t_1}\|^2", wrt="x_{t_0}")
    assert len(problem.params) == 1
    module = symgd.codegen(problem).load()
    rng = np.random.default_rng(5)
    a, b, x1 = rng.normal(size=(7, 3)), rng.normal(size=7), rng.normal(size=3)
    data = {"A": a, "b": b, "x_t_1": x1}
    point = rng.normal(size=3)
    reference = lambda x: np.sum((a @ x - b) ** 2) + np.sum((x - x1) ** 2)   # noqa: E731
    assert np.isclose(module.loss(point, **data), reference(point))
    steps = np.eye(3) * 1e-6
    slopes = np.array([(reference(point + s) - reference(point - s)) / 2e-6 for s in steps])
    assert np.allclose(module.grad(point, **data), slopes, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("wrt", [r"\frac{1}{2}", "w + v", r"\|w\|"])
def test_wrt_that_is_no_symbol_name_stays_refused(wrt):
    with pytest.raises(symgd.AmbiguityError, match="is not a symbol name"):
        symgd.parse(r"\|w\|^2 + v^2", wrt=wrt)
