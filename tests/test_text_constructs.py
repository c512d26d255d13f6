"""The plain-text syntax, and the expression syntax of matrixcalculus.org, against LaTeX."""

import math

import numpy as np
import pytest

import symgd
from helpers import check_against_reference, objective_value, random_env, shape_names

DECL = r"X \in \mathbb{R}^{n \times d}, y \in \mathbb{R}^{n}, w \in \mathbb{R}^{d}"
TEXT_DECL = "X: R^(n,d), y: R^n, w: R^d"

PAIRS = [
    ("y' * X @ w", r"y^\top X w"),
    ("y' * X * w", r"y^\top X w"),
    ("y.T @ X @ w", r"y^\top X w"),
    ("(X*w)' * y", r"y^\top X w"),
    ("(w'*w)**2 + (w'*w)^3", r"(w^\top w)^2 + (w^\top w)^3"),
    ("2 w'w", r"2 w^\top w"),
    ("-w'*w", r"-w^\top w"),
    ("(w'*w) / 3", r"\frac{w^\top w}{3}"),
    ("sum(y[i]^2, i=1..n) + w'*w", r"\sum_{i=1}^{n} y_i^2 + w^\top w"),
    ("sum(sum(X[i,j] * w[j], j=1..d) * y[i], i=1..n)", r"y^\top X w"),
    ("sum(X[i][j] * w[j] * y[i], i, j)", r"y^\top X w"),
    ("prod(w[j]^2, j=1..d)", r"\prod_{j=1}^{d} w_j^2"),
    ("log(w'*w) + exp(-w'*w) + tanh(w'*w)", r"\log(w^\top w) + \exp(-w^\top w) + \tanh(w^\top w)"),
    ("sum(sigmoid(X*w))", r"\mathbf{1}^\top \sigma(Xw)"),
    ("sum(abs(w)) + norm1(w)", r"2 \|w\|_1"),
    ("max(w'*w, 1) + min(w'*w, 1)", r"\max(w^\top w, 1) + \min(w^\top w, 1)"),
    ("norm(w) + norm2(w)", r"2 \|w\|_2"),
    ("normF(X)^2 + w'*w", r"\|X\|_F^2 + w^\top w"),
    ("sum(relu(X*w)) + sum(softplus(X*w))", r"\mathbf{1}^\top \operatorname{relu}(Xw) + \mathbf{1}^\top \operatorname{softplus}(Xw)"),
    ("logsumexp(X*w)", r"\operatorname{logsumexp}(Xw)"),
    ("sum((X*w) .* y) + sum(y ./ (1 + y .* y))", r"\mathbf{1}^\top ((Xw) \odot y) + \sum_{i=1}^n \frac{y_i}{1 + y_i^2}"),
    ("abs(w'*w - 3)", r"|w^\top w - 3|"),
    ("sqrt(w'*w)", r"\sqrt{w^\top w}"),
]


@pytest.mark.parametrize("text, latex", PAIRS)
def test_text_means_the_same_as_latex(text, latex):
    from_text = symgd.parse(text, wrt="w", where=TEXT_DECL, syntax="text")
    from_latex = symgd.parse(latex, wrt="w", where=DECL, syntax="latex")
    assert shape_names(from_text) == shape_names(from_latex)
    env = random_env(from_text, 1)
    assert math.isclose(objective_value(from_text, env), objective_value(from_latex, env), rel_tol=1e-10)


def test_matrix_functions():
    problem = symgd.parse("tr(S*Theta) - logdet(Theta) + tr(inv(Theta)) + det(Theta)", wrt="Theta",
                          where="S: R^(d,d)")
    env = random_env(problem)
    theta, s = env["Theta"], env["S"]
    expected = np.trace(s @ theta) - np.log(np.linalg.det(theta)) + np.trace(np.linalg.inv(theta)) \
        + np.linalg.det(theta)
    assert math.isclose(objective_value(problem, env), expected, rel_tol=1e-9)


@pytest.mark.parametrize("source, wrt, expected", [
    ("norm2(A*x-y)^2", "x", {"A": ("n", "d"), "x": ("d",), "y": ("n",)}),
    ("x'*A*x", "x", {"x": ("d",), "A": ("d", "d")}),
    ("sum(log(exp(-y.*(X*w)) + vector(1)))", "w", {"X": ("n", "d"), "w": ("d",), "y": ("n",)}),
    ("tr(A*X'*B*X*C)", "X", {"A": ("n", "k"), "X": ("d", "k"), "B": ("d", "d"), "C": ("k", "n")}),
    ("log(det(inv(X)))", "X", {"X": ("d", "d")}),
    ("a*x'*x + b", "x", {"a": (), "x": ("d",), "b": ()}),
])
def test_matrixcalculus_org_expressions(source, wrt, expected):
    problem = symgd.parse(source, wrt=wrt)
    assert shape_names(problem) == expected


def test_matrixcalculus_logistic_value():
    problem = symgd.parse("sum(log(exp(-y.*(X*w)) + vector(1)))", wrt="w")
    env = random_env(problem)
    expected = np.log1p(np.exp(-env["y"] * (env["X"] @ env["w"]))).sum()
    assert math.isclose(objective_value(problem, env), expected, rel_tol=1e-10)


def test_log_det_of_inverse_is_minus_log_det():
    problem = symgd.parse("log(det(inv(X)))", wrt="X")
    env = random_env(problem)
    assert math.isclose(objective_value(problem, env), -np.log(np.linalg.det(env["X"])), rel_tol=1e-10)


def test_determinant_of_an_expression_is_differentiated():
    problem = symgd.parse("logdet(A + X)", wrt="X")
    module = symgd.codegen(problem).load()
    rng = np.random.default_rng(0)
    a, x = rng.normal(size=(4, 4)) + 4 * np.eye(4), rng.normal(size=(4, 4))
    value, grad = module.value_and_grad(x, A=a)
    assert np.isclose(value, np.linalg.slogdet(a + x)[1])
    assert np.allclose(grad, np.linalg.inv(a + x).T)   # d log det M / dM = M^{-T}


def test_default_typing_rule_only_in_text_mode():
    text = symgd.parse("h'*h + a", wrt="h", syntax="text")
    assert shape_names(text) == {"h": ("d",), "a": ()}
    latex = symgd.parse(r"h^2 + a", wrt="h", syntax="latex")
    assert shape_names(latex) == {"h": (), "a": ()}


# -- norms and absolute values typed with bars ---------------------------------------------------

@pytest.mark.parametrize("source, reference", [
    ("1/(2*n)*||X*w - y||^2 + alpha*||w||_1",      # scikit-learn's Lasso objective, as its docs type it
     lambda X, y, w, alpha: np.sum((X @ w - y) ** 2) / (2 * X.shape[0]) + alpha * np.sum(np.abs(w))),
    ("||X*w - y||_2 + alpha*||w||^2",
     lambda X, y, w, alpha: np.linalg.norm(X @ w - y) + alpha * w @ w),
    ("sum(|y[i] - w'*x[i]|, i=1..n) + alpha*||w||_2^2",
     lambda x, y, w, alpha: np.sum(np.abs(y - x @ w)) + alpha * w @ w),
])
def test_bars_are_norms_and_absolute_values(source, reference):
    problem = symgd.parse(source, wrt="w")
    names = {str(s) for s in problem.shapes}
    check_against_reference(problem, reference, {n: n for n in ("X", "x", "y", "w", "alpha") if n in names})


def test_frobenius_norm_typed_with_bars():
    problem = symgd.parse("||Y - X*W||_F^2", wrt="W")
    check_against_reference(problem, lambda X, Y, W: np.sum((Y - X @ W) ** 2), {"X": "X", "Y": "Y", "W": "W"})


def test_unknown_norm_subscript_points_at_it():
    with pytest.raises(symgd.ParseError) as error:
        symgd.parse("||w||_3", wrt="w")
    assert error.value.column == 6


# -- NumPy habits: @ never takes a scalar, .^2 squares each entry, mean(...) ------------------------

def test_matmul_with_a_scalar_is_refused_not_read_as_a_matrix_power():
    # w**2 made w a number; X @ w then made X square and (X @ w - y)**2 a matrix power, silently
    with pytest.raises(symgd.ShapeError, match="@ multiplies arrays"):
        symgd.parse("sum((X @ w - y)**2) + lam*sum(w**2)", wrt="w")


@pytest.mark.parametrize("source", ["mean((X @ w - y).^2) + lam*sum(w.^2)", "1/n*sum((X*w - y).^2) + lam*w'*w"])
def test_entrywise_squares_and_mean(source):
    problem = symgd.parse(source, wrt="w")
    names = {str(s) for s in problem.shapes}
    check_against_reference(problem, lambda X, y, w, lam: np.mean((X @ w - y) ** 2) + lam * w @ w,
                            {"X": "X", "y": "y", "w": "w", "lam": "lam"} if "lam" in names else None)


def test_other_entrywise_powers_are_refused():
    with pytest.raises(symgd.UnsupportedError, match=r"\.\^3"):
        symgd.parse("sum(w.^3)", wrt="w")


@pytest.mark.parametrize("source", ["sum_i log(1 + exp(-y_i * w'*x_i))", "sum_i (y_i - w'*x_i)^2 + lam*w'*w",
                                    "prod_i (1 + w'*w)"])
def test_latex_big_operators_typed_in_plain_text_are_refused(source):
    # sum_i was a name: sum_i * log(...) with y_i, x_i names of their own, a different loss without a word
    with pytest.raises(symgd.UnsupportedError, match=r"(sum|prod)_i in plain text"):
        symgd.parse(source, wrt="w")


@pytest.mark.parametrize("source, reference, arguments, wrt", [
    ("sum((y_i - w'*x_i)^2, i=1..n) + lam*w'*w",
     lambda x, y, w, lam: np.sum((y - x @ w) ** 2) + lam * w @ w, ("x", "y", "w", "lam"), "w"),
    ("sum(sum((R_ij - u_i'*v_j)^2, j=1..m), i=1..n)",
     lambda R, u, v: np.sum((R - u @ v.T) ** 2), ("R", "u", "v"), "u, v"),
])
def test_names_ending_with_a_sum_index_are_entries_in_plain_text(source, reference, arguments, wrt):
    # y_i, x_i, R_ij as names made the body independent of i: n times one term, silently
    problem = symgd.parse(source, wrt=wrt)
    check_against_reference(problem, reference, {name: name for name in arguments})


def test_a_numbered_name_in_a_plain_text_sum_stays_a_name():
    problem = symgd.parse("sum(w_0 + y_i*w'*x_i, i=1..n)", wrt="w")
    assert "w_0" in {str(s) for s in problem.shapes} and "y" in {str(s) for s in problem.shapes}
