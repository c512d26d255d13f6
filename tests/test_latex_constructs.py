"""Every LaTeX construct of the parsing issue, each checked against a plainer spelling.

Each row: a construct, a reference formula that means the same, the parameters and declarations.
Both are parsed; the test asserts the same symbol shapes and the same objective value at random
points (every dimension distinct, so a lost transpose cannot hide).
"""

import math

import numpy as np
import pytest

import symgd
from helpers import check_against_reference, objective_value, random_env, shape_names

DECL = r"X \in \mathbb{R}^{n \times d}, y \in \mathbb{R}^{n}, w \in \mathbb{R}^{d}, A \in \mathbb{R}^{n \times d}"

PAIRS = [
    # operator spellings of older papers and of \text
    (r"\mathop{\mathrm{argmin}}_{w} \|Xw - y\|^2", r"\arg\min_w \|Xw - y\|^2", "w", DECL),
    (r"\mathop{\rm arg\,min}\limits_{w} \|Xw - y\|^2", r"\arg\min_w \|Xw - y\|^2", "w", DECL),
    (r"\text{argmin}_w \|Xw - y\|^2", r"\arg\min_w \|Xw - y\|^2", "w", DECL),
    # fractions, products, powers, brackets, spacing
    (r"\frac{1}{2} w^\top w", r"0.5 w^\top w", "w", DECL),
    (r"\frac12 w^\top w", r"\frac{1}{2} w^\top w", "w", DECL),
    (r"\dfrac{w^\top w}{3}", r"\frac{1}{3} w^\top w", "w", DECL),
    (r"2 \cdot w^\top w", r"2 w^\top w", "w", DECL),
    (r"2 \times w^\top w", r"2 w^\top w", "w", DECL),
    (r"w^\top w \cdot 3", r"3 w^\top w", "w", DECL),
    (r"(w^\top w)^2 y^\top y", r"(w^\top w)(w^\top w)(y^\top y)", "w", DECL),
    (r"-w^\top w", r"(-1) (w^\top w)", "w", DECL),
    (r"- - w^\top w", r"w^\top w", "w", DECL),
    (r"\sqrt{w^\top w}", r"(w^\top w)^{1/2}", "w", DECL),
    (r"\left( w^\top w \right)^2", r"(w^\top w)^2", "w", DECL),
    (r"\left[ w^\top w + 1 \right]^2", r"(w^\top w + 1)^2", "w", DECL),
    (r"\left\{ w^\top w + 1 \right\}^2", r"(w^\top w + 1)^2", "w", DECL),
    (r"\bigl( w^\top w \bigr)", r"w^\top w", "w", DECL),
    (r"\Big[ w^\top w \Big]", r"w^\top w", "w", DECL),
    (r"w^\top\, w \; + \! 1", r"w^\top w + 1", "w", DECL),
    (r"{w^\top w}", r"w^\top w", "w", DECL),
    # transposes and inverses
    (r"y^T X w", r"y^\top X w", "w", DECL),
    (r"y^{\top} X w", r"y^\top X w", "w", DECL),
    (r"y^{T} X w", r"y^\top X w", "w", DECL),
    (r"y^{\mathsf T} X w", r"y^\top X w", "w", DECL),
    (r"y^{\mathsf{T}} X w", r"y^\top X w", "w", DECL),
    (r"y' X w", r"y^\top X w", "w", DECL),
    (r"w^\top X^\top y", r"y^\top X w", "w", DECL),
    (r"(Xw)^\top y", r"y^\top X w", "w", DECL),
    (r"\|X w - y\|^2", r"(Xw - y)^\top (Xw - y)", "w", DECL),
    # norms and absolute values
    (r"\|w\|_2^2", r"w^\top w", "w", DECL),
    (r"\|w\|^2_2", r"w^\top w", "w", DECL),
    (r"\lVert w \rVert_2^2", r"w^\top w", "w", DECL),
    (r"\left\| w \right\|^2", r"w^\top w", "w", DECL),
    (r"\Vert w \Vert^2", r"w^\top w", "w", DECL),
    (r"\|w\|_2", r"\sqrt{w^\top w}", "w", DECL),
    (r"\|w\|_1", r"\sum_{j=1}^{d} |w_j|", "w", DECL),
    (r"\|X\|_F^2", r"\sum_{i=1}^{n}\sum_{j=1}^{d} X_{ij}^2", "X", DECL),
    (r"\|X\|^2", r"\|X\|_F^2", "X", DECL),
    (r"\left| w^\top w - 3 \right|", r"|w^\top w - 3|", "w", DECL),
    (r"\lvert w^\top w - 3 \rvert", r"|w^\top w - 3|", "w", DECL),
    (r"|y^\top w| |w^\top w - 3|", r"|y^\top w| \cdot |w^\top w - 3|", "w",
     r"w \in \mathbb{R}^{n}, y \in \mathbb{R}^{n}"),
    # sums, products, indexed names
    (r"\sum_{i=1}^{n} y_i^2", r"y^\top y", "y", DECL),
    (r"\sum_{i=1}^n y_i^2", r"y^\top y", "y", DECL),
    (r"\sum^{n}_{i=1} y_i^2", r"y^\top y", "y", DECL),
    (r"\sum_i y_i^2", r"y^\top y", "y", DECL),
    (r"\sum_{i} y_{i}^2", r"y^\top y", "y", DECL),
    (r"\sum_{i=1}^{n}\sum_{j=1}^{d} X_{ij} w_j y_i", r"y^\top X w", "w", DECL),
    (r"\sum_{i=1}^{n}\sum_{j=1}^{d} X_{i,j} w_j y_i", r"y^\top X w", "w", DECL),
    (r"\sum_{i,j} X_{ij} w_j y_i", r"y^\top X w", "w", DECL),
    (r"\sum_{i=1}^{n} y_i X_i^\top w", r"y^\top X w", "w", DECL),
    (r"\sum_{i=1}^{n} y^{(i)} w^\top x^{(i)}", r"y^\top x w", "w", DECL.replace("X", "x")),
    (r"\prod_{j=1}^{d} w_j^2", r"\exp(\sum_{j=1}^{d} \log(w_j^2))", "w", DECL),
    (r"\sum_{i=0}^{n-1} y_i^2", r"y^\top y", "y", DECL),
    (r"\mathbf{w}^\top \mathbf{X}^\top \mathbf{y}", r"w^\top X^\top y", "w", DECL),
    (r"\boldsymbol{w}^\top \bm{X}^\top \boldsymbol y", r"w^\top X^\top y", "w", DECL),
    (r"(\boldsymbol{\theta} - 3)^2", r"(\theta - 3)^2", r"\theta", ""),
    # functions
    (r"\log(w^\top w)", r"\ln(w^\top w)", "w", DECL),
    (r"\log w^\top w", r"\log(w^\top w)", "w", DECL),
    (r"e^{w^\top w / 10}", r"\exp(w^\top w / 10)", "w", DECL),
    (r"\exp(\log(w^\top w))", r"w^\top w", "w", DECL),
    (r"\sum_{i=1}^{n} \sigma(y_i w_1)", r"\sum_{i=1}^{n} \frac{1}{1 + \exp(-y_i w_1)}", "w", DECL),
    (r"\operatorname{softplus}(w^\top w)", r"\log(1 + \exp(w^\top w))", "w", DECL),
    (r"\operatorname{relu}(w^\top w - 1) + \mathrm{ReLU}(y^\top y)", r"\max(0, w^\top w - 1) + \max(0, y^\top y)",
     "w", DECL),
    (r"\tanh(w^\top w) + \sin(w^\top w) + \cos(w^\top w)",
     r"\frac{e^{2 w^\top w} - 1}{e^{2 w^\top w} + 1} + \sin(w^\top w) + \cos(w^\top w)", "w", DECL),
    (r"\max(w^\top w, 2) + \min(w^\top w, 2)", r"w^\top w + 2", "w", DECL),
    (r"\operatorname{logsumexp}(w)", r"\log\sum_{j=1}^{d}\exp(w_j)", "w", DECL),
    (r"\operatorname{tr}(S\Theta)", r"\sum_{i=1}^{d}\sum_{j=1}^{d} S_{ij}\Theta_{ji}", r"\Theta",
     r"S \in \mathbb{R}^{d \times d}, \Theta \in \mathbb{R}^{d \times d}"),
    (r"\mathrm{tr}(S\Theta) + \operatorname{Tr}(\Theta)", r"\operatorname{tr}(S\Theta) + \sum_{i=1}^{d} \Theta_{ii}",
     r"\Theta", r"S \in \mathbb{R}^{d \times d}, \Theta \in \mathbb{R}^{d \times d}"),
    (r"\log\det\Theta", r"\log(\det(\Theta))", r"\Theta", r"\Theta \in \mathbb{R}^{d \times d}"),
    (r"\mathbf{1}^\top (w \odot w)", r"w^\top w", "w", DECL),
    (r"\mathbf{1}^\top w", r"\sum_{j=1}^{d} w_j", "w", DECL),
    (r"w^\top (A + \lambda I) w \quad I \text{ is the identity}", r"w^\top A w + \lambda w^\top w", "w",
     r"A \in \mathbb{R}^{d \times d}, w \in \mathbb{R}^{d}"),
    # greek letters are plain symbols
    (r"\gamma w^\top w + \lambda + \Lambda", r"w^\top w \gamma + \lambda + \Lambda", "w", DECL),
]


def _value(problem, env):
    return objective_value(problem, env)


@pytest.mark.parametrize("source, reference, wrt, where", PAIRS)
def test_construct_means_the_same_as_reference(source, reference, wrt, where):
    parsed = symgd.parse(source, wrt=wrt, where=where or None, syntax="latex")
    expected = symgd.parse(reference, wrt=wrt, where=where or None, syntax="latex")
    assert shape_names(parsed) == shape_names(expected)
    for seed in range(2):
        env = random_env(parsed, seed)
        assert math.isclose(_value(parsed, env), _value(expected, env), rel_tol=1e-9, abs_tol=1e-12)


def test_gamma_is_a_symbol_not_euler_gamma():
    problem = symgd.parse(r"\gamma (\theta - 1)^2", wrt=r"\theta")
    assert problem.symbol("gamma").is_Symbol
    assert "EulerGamma" not in str(problem.objective)


def test_case_is_preserved():
    problem = symgd.parse(r"W_{11} + w^\top w", wrt="w", where=r"W \in \mathbb{R}^{2 \times 2}")
    assert {str(s.label) for s in problem.data} == {"W"}
    assert str(problem.params[0].label) == "w"


def test_sigma_is_a_scalar_when_declared():
    problem = symgd.parse(r"\sigma(w^\top w)", wrt="w", where=r"\sigma \in \mathbb{R}, w \in \mathbb{R}^{d}")
    env = random_env(problem)
    assert math.isclose(objective_value(problem, env), env["sigma"] * float(env["w"] @ env["w"]))


def test_e_is_a_symbol_when_declared():
    problem = symgd.parse(r"e^{2} w", wrt="w", where=r"e \in \mathbb{R}")
    assert math.isclose(objective_value(problem, {"e": 3.0, "w": 1.5}), 13.5)


def test_i_is_a_matrix_unless_declared_identity():
    problem = symgd.parse(r"w^\top I w", wrt="w", where=r"w \in \mathbb{R}^{d}")
    assert "I" in {str(s.label) for s in problem.data}


def test_subscripts_that_are_not_bound_indices_name_symbols():
    problem = symgd.parse(r"(w_0 - \theta_{n+1})^2 + w_0", wrt="w_0")
    names = {str(s) for s in problem.roles}
    assert {"w_0", "theta_{n+1}"} <= names


def test_inverse_and_trace_against_numpy():
    problem = symgd.parse(r"\operatorname{tr}(\Theta^{-1}) + \log\det\Theta", wrt=r"\Theta",
                          where=r"\Theta \in \mathbb{R}^{d \times d}")
    env = random_env(problem)
    theta = env["Theta"]
    expected = np.trace(np.linalg.inv(theta)) + np.log(np.linalg.det(theta))
    assert math.isclose(objective_value(problem, env), expected, rel_tol=1e-9)


# -- rows and columns written with a dot: B_{j\cdot}, B_{\cdot j} ---------------------------------

@pytest.mark.parametrize("penalty", [r"\|B_{j\cdot}\|_2", r"\left\|B_{j,:}\right\|_2", r"\|B_{j \bullet}\|_2"])
def test_row_of_a_matrix_written_with_a_dot(penalty):
    # the multi-task lasso's row penalty as statistics writes it: row j of B
    problem = symgd.parse(r"\frac12\|Y - XB\|_F^2 + \lambda\sum_{j=1}^{p}" + penalty, wrt="B")
    check_against_reference(
        problem, lambda X, Y, B, lam: 0.5 * np.sum((Y - X @ B) ** 2) + lam * np.sum(np.linalg.norm(B, axis=1)),
        {"X": "X", "Y": "Y", "B": "B", "lam": "lambda"})


def test_transposed_row_written_with_a_dot():
    problem = symgd.parse(r"\sum_{i=1}^{n}(y_i - X_{i\cdot}^\top w)^2", wrt="w")
    check_against_reference(problem, lambda X, y, w: np.sum((y - X @ w) ** 2), {"X": "X", "y": "y", "w": "w"})


@pytest.mark.parametrize("source, column", [
    (r"\sum_{j=1}^{p}\|B_{\cdot j}\|_2", 19),                  # a column: refused where it stands
    (r"\sum_{i=1}^{n}(y_i - X_{i\cdot} w)^2", 24),            # a row beside w: X_i alone may read as a number
])
def test_rows_and_columns_symgd_cannot_read_are_refused_with_a_caret(source, column):
    with pytest.raises(symgd.ParseError) as error:
        symgd.parse(source, wrt="w" if "w" in source else "B")
    assert error.value.column == column


def test_one_index_on_a_transposed_matrix_in_parentheses_is_refused():
    # (B^\top)_j is column j of B; read as (B_j)^\top it silently became row j
    with pytest.raises(symgd.UnsupportedError, match="column"):
        symgd.parse(r"\frac12\|Y - XB\|_F^2 + \lambda\sum_{j=1}^{k}\|(B^\top)_{j}\|_2", wrt="B")


def test_index_on_a_parenthesised_vector_is_its_entry():
    problem = symgd.parse(r"\sum_{i=1}^{n}((Xw)_i - y_i)^2", wrt="w")
    check_against_reference(problem, lambda X, y, w: np.sum((X @ w - y) ** 2), {"X": "X", "y": "y", "w": "w"})


@pytest.mark.parametrize("source", [r"\mathop{\rm arg\,min}_w \|Xw - y\|^2", r"\mathop{\mathrm{argmin}}_{w} \|Xw - y\|^2"])
def test_mathop_argmin_names_the_parameter(source):
    # without wrt: the header alone must name w (before, \mathop{\rm arg\,min} lost it)
    problem = symgd.parse(source)
    assert [str(p) for p in problem.params] == ["w"]


@pytest.mark.parametrize("source", [r"\frac12(x - x_0)^\top H (x - x_0) + g^\top(x - x_0)",
                                    r"\frac12(x - x_0)^\top H(x - x_0) + g^\top(x - x_0)"])
def test_capital_letter_between_a_transposed_bracket_and_the_same_bracket_is_a_matrix(source):
    # the quadratic model of Nocedal & Wright: H(x - x_0) after (x - x_0)^\top is a product, not a call
    problem = symgd.parse(source, wrt="x")
    check_against_reference(
        problem, lambda x, x_0, H, g: 0.5 * (x - x_0) @ H @ (x - x_0) + g @ (x - x_0),
        {"x": "x", "x_0": "x_0", "H": "H", "g": "g"})


def test_capital_letter_call_elsewhere_stays_undefined():
    with pytest.raises(symgd.AmbiguityError, match="the function H"):
        symgd.parse(r"\sum_i H(y_i - x_i^\top w)", wrt="w")


@pytest.mark.parametrize("source, reference", [
    (r"\sum_i log(1 + exp(-y_i w^\top x_i))", lambda x, y, w: np.sum(np.log1p(np.exp(-y * (x @ w))))),
    (r"\sum_i (y_i - sin(w^\top x_i))^2", lambda x, y, w: np.sum((y - np.sin(x @ w)) ** 2)),
    (r"\sum_i max(0, 1 - y_i w^\top x_i)", lambda x, y, w: np.sum(np.maximum(0, 1 - y * (x @ w)))),
    (r"\sum_i abs(y_i - w^\top x_i)", lambda x, y, w: np.sum(np.abs(y - x @ w))),
])
def test_short_function_names_typed_without_a_backslash(source, reference):
    # sin(w^T x_i) was s i n (w^T x_i) with i the sum's index; abs(r) a b s r
    problem = symgd.parse(source, wrt="w")
    check_against_reference(problem, reference, {"x": "x", "y": "y", "w": "w"})


def test_an_accent_over_a_subscripted_name_is_the_accented_name_subscripted():
    # Wikipedia's MSE writes \hat{Y_i}; it was refused as an accent over more than one name
    problem = symgd.parse(r"\text{MSE} = \frac{1}{n}\sum_{i=1}^{n}(Y_i - \hat{Y_i})^2", wrt=r"\hat{Y}")
    check_against_reference(problem, lambda Y, Yhat: np.mean((Y - Yhat) ** 2), {"Y": "Y", "Yhat": "Yhat"})
