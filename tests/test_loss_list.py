"""The loss list of the parsing issue, in LaTeX and in plain text: both give the same Problem."""

import math

import pytest

import symgd
from helpers import objective_value, random_env, roles_by_name, shape_names

# (name, latex, text, wrt, expected shapes of params/data/constants by name)
LOSSES = [
    ("least_squares", r"\frac{1}{2n}\|Xw - y\|_2^2", "1/(2*n) * norm2(X*w - y)^2", "w",
     {"X": ("n", "d"), "w": ("d",), "y": ("n",)}),
    ("ridge_sum", r"\frac{1}{n}\sum_{i=1}^{n} (y_i - w^\top x_i)^2 + \lambda\|w\|_2^2",
     "1/n * sum((y[i] - w' * x[i])^2, i=1..n) + lambda * norm2(w)^2", "w",
     {"y": ("n",), "x": ("n", "d"), "w": ("d",), "lambda": ()}),
    ("bias", r"\sum_{i=1}^{n} (y_i - w^\top x_i - b)^2", "sum((y[i] - w'*x[i] - b)^2, i=1..n)", "w, b",
     {"y": ("n",), "x": ("n", "d"), "w": ("d",), "b": ()}),
    ("logistic",
     r"-\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]",
     "-sum(y[i]*log(sigmoid(w'*x[i])) + (1 - y[i])*log(1 - sigmoid(w'*x[i])), i=1..n)", "w",
     {"y": ("n",), "x": ("n", "d"), "w": ("d",)}),
    ("softmax",
     r"-\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}",
     "-sum(sum(Y[i,k]*log(exp(w[k]'*x[i]) / sum(exp(w[j]'*x[i]), j=1..K)), k=1..K), i=1..n)", "W",
     {"Y": ("n", "K"), "W": ("K", "d"), "x": ("n", "d")}),
    ("hinge", r"\frac{\lambda}{2}\|w\|^2 + \frac{1}{n}\sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)",
     "lambda/2 * norm(w)^2 + 1/n * sum(max(0, 1 - y[i] * w'*x[i]), i=1..n)", "w",
     {"lambda": (), "w": ("d",), "y": ("n",), "x": ("n", "d")}),
    ("lasso", r"\frac{1}{2}\|Xw - y\|_2^2 + \lambda\|w\|_1", "0.5*norm2(X*w - y)^2 + lambda*norm1(w)", "w",
     {"X": ("n", "d"), "w": ("d",), "y": ("n",), "lambda": ()}),
    ("pseudo_huber",
     r"\sum_{i=1}^{n}\delta^2\left(\sqrt{1 + \left(\frac{y_i - w^\top x_i}{\delta}\right)^2} - 1\right)",
     "sum(delta^2 * (sqrt(1 + ((y[i] - w'*x[i]) / delta)^2) - 1), i=1..n)", "w",
     {"delta": (), "y": ("n",), "x": ("n", "d"), "w": ("d",)}),
    ("poisson", r"\sum_{i=1}^{n}\left(\exp(w^\top x_i) - y_i w^\top x_i\right)",
     "sum(exp(w'*x[i]) - y[i] * w'*x[i], i=1..n)", "w",
     {"w": ("d",), "x": ("n", "d"), "y": ("n",)}),
    ("matrix_factorization", r"\|R - UV^\top\|_F^2 + \lambda\left(\|U\|_F^2 + \|V\|_F^2\right)",
     "normF(R - U*V')^2 + lambda*(normF(U)^2 + normF(V)^2)", "U, V",
     {"R": ("d", "p"), "U": ("d", "k"), "V": ("p", "k"), "lambda": ()}),
    ("quadratic", r"\frac{1}{2}x^\top A x - b^\top x", "0.5 * x'*A*x - b'*x", "x",
     {"x": ("d",), "A": ("d", "d"), "b": ("d",)}),
    ("logdet", r"\operatorname{tr}(S\Theta) - \log\det\Theta", "tr(S*Theta) - logdet(Theta)", "Theta",
     {"S": ("d", "d"), "Theta": ("d", "d")}),
    ("two_layer", r"\sum_{i=1}^{n}\left(y_i - v^\top\tanh(W x_i)\right)^2",
     "sum((y[i] - v' * tanh(W*x[i]))^2, i=1..n)", "W, v",
     {"y": ("n",), "v": ("d",), "W": ("d", "k"), "x": ("n", "k")}),
    ("scalar", r"L(\theta) = (\theta - 3)^2", "L(theta) = (theta - 3)^2", None, {"theta": ()}),
    ("constrained", r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1,\; x \ge 0",
     "min_(x, y) x^2 + y^2 st x + y == 1, x >= 0", None, {"x": (), "y": ()}),
]


@pytest.mark.parametrize("name, latex, text, wrt, shapes", LOSSES, ids=[row[0] for row in LOSSES])
def test_latex_and_text_give_the_same_problem(name, latex, text, wrt, shapes):
    from_latex = symgd.parse(latex, wrt=wrt, syntax="latex")
    from_text = symgd.parse(text, wrt=wrt, syntax="text")
    assert shape_names(from_latex) == shapes
    assert shape_names(from_text) == shapes
    assert roles_by_name(from_latex) == roles_by_name(from_text)
    assert [str(p) for p in from_latex.params] == [str(p) for p in from_text.params]
    assert [(c.kind, str(c.expr)) for c in from_latex.constraints] == \
        [(c.kind, str(c.expr)) for c in from_text.constraints]
    for seed in range(3):
        env = random_env(from_latex, seed)
        assert math.isclose(objective_value(from_latex, env), objective_value(from_text, env), rel_tol=1e-10)


@pytest.mark.parametrize("name, latex, text, wrt, shapes", LOSSES, ids=[row[0] for row in LOSSES])
def test_latex_round_trip(name, latex, text, wrt, shapes):
    problem = symgd.parse(latex, wrt=wrt)
    again = symgd.parse(problem.latex())
    assert shape_names(again) == shape_names(problem)
    assert roles_by_name(again) == roles_by_name(problem)
    env = random_env(problem, 5)
    assert math.isclose(objective_value(again, env), objective_value(problem, env), rel_tol=1e-10)


def test_roles():
    problem = symgd.parse(LOSSES[1][1], wrt="w")
    roles = roles_by_name(problem)
    assert roles == {"n": "dimension", "d": "dimension", "i": "index", "y": "data", "x": "data",
                     "w": "parameter", "lambda": "constant"}


def test_argnames():
    problem = symgd.parse(LOSSES[1][1], wrt="w")
    assert problem.argnames["lambda"] == "lambda_"
    assert problem.argnames["x"] == "x"
    single = symgd.parse(r"\frac{1}{2}(y_i - w^\top x_i)^2", wrt="w")
    assert {single.argnames["x_i"], single.argnames["y_i"]} == {"x", "y"}
    assert single.shapes["x_i"] == single.shapes["w"]


def test_softmax_rows_are_the_matrix_parameter():
    problem = symgd.parse(LOSSES[4][1], wrt="W")
    assert str(problem.params[0].label) == "W"
    env = random_env(problem)
    import numpy as np
    scores = env["x"] @ env["W"].T
    log_softmax = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    assert math.isclose(objective_value(problem, env), -(env["Y"] * log_softmax).sum(), rel_tol=1e-10)
