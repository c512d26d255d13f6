"""Shapes decided by constraints before defaults, and readings of notation from papers and scikit-learn's pages.

Each reading is checked against a hand-written NumPy reference (loss and central differences, dimensions distinct),
and beside it a spelling where the reading must not fire (it keeps its old meaning, or stays refused).
"""

import numpy as np
import pytest

import symgd
from helpers import check_against_reference, shape_names
from symgd.errors import AmbiguityError, UnsupportedError
from symgd.parse import detect_syntax


def _readings(problem) -> str:
    return "\n".join(problem.readings)


# -- a transpose leading a scalar product (Hoerl & Kennard 1970) -------------------------------------------------

@pytest.mark.parametrize("source", [r"F = (Y - XB)'(Y - XB) + k(B'B - c)",
                                    r"F = (Y - XB)^\top(Y - XB) + k(B^\top B - c)",
                                    r"F = k(B^\top B - c) + (Y - XB)^\top(Y - XB)"])
def test_a_transpose_leading_a_scalar_makes_capitalised_names_vectors(source):
    problem = symgd.parse(source, wrt="B")
    shapes = shape_names(problem)
    assert len(shapes["B"]) == 1 and len(shapes["Y"]) == 1 and len(shapes["X"]) == 2
    assert "B is a vector, not a matrix" in _readings(problem)
    check_against_reference(problem, lambda Y, X, B, k, c: (Y - X @ B) @ (Y - X @ B) + k * (B @ B - c),
                            {"Y": "Y", "X": "X", "B": "B", "k": "k", "c": "c"})


def test_plain_factors_in_front_of_a_transpose_keep_the_product_a_scalar():
    problem = symgd.parse(r"\frac{1}{2}B^\top B + \frac{\lambda}{2}(Y - XB)^\top(Y - XB)", wrt="B")
    assert len(shape_names(problem)["B"]) == 1
    check_against_reference(problem, lambda Y, X, B, lam: 0.5 * B @ B + 0.5 * lam * (Y - X @ B) @ (Y - X @ B),
                            {"Y": "Y", "X": "X", "B": "B", "lam": "lambda"})


@pytest.mark.parametrize("source", [r"\|Y - XB\|_F^2", r"\operatorname{tr}((Y - XB)^\top(Y - XB))"])
def test_capitalised_names_stay_matrices_without_a_scalar_product(source):
    # a norm's or a trace's argument is no scalar context: B stays a matrix
    problem = symgd.parse(source, wrt="B")
    assert len(shape_names(problem)["B"]) == 2
    check_against_reference(problem, lambda Y, X, B: np.sum((Y - X @ B) ** 2), {"Y": "Y", "X": "X", "B": "B"})


def test_primes_juxtaposed_are_latex_and_starred_primes_plain_text():
    assert detect_syntax("F = (Y - XB)'(Y - XB) + k(B'B - c)") == "latex"
    assert detect_syntax("x'*A*x + b'*x") == "text"
    assert detect_syntax("k(x, x') + f(x')") == "text"
    # plain text's words would be read letter by letter as LaTeX: lam*b'b, beta'beta stay plain text
    assert detect_syntax("(y - X*b)'(y - X*b) + lam*b'b") == "text"
    assert detect_syntax("beta'beta") == "text"
    problem = symgd.parse("(y - X*b)'(y - X*b) + lam*b'b", wrt="b")
    check_against_reference(problem, lambda y, X, b, lam: (y - X @ b) @ (y - X @ b) + lam * b @ b,
                            {"y": "y", "X": "X", "b": "b", "lam": "lam"})


# -- X_i w: row i of X times w (scikit-learn's pages) ------------------------------------------------------------

def test_a_row_of_a_capitalised_matrix_times_a_vector_where_a_scalar_is_needed():
    problem = symgd.parse(r"\sum_{i=1}^{n}\left(\frac{X_{i}w - y_{i}}{\sigma}\right)^2 + \alpha\|w\|_2^2", wrt="w")
    assert "X_{i} is a row of regressors" in _readings(problem)
    check_against_reference(problem, lambda X, y, w, s, a: np.sum(((X @ w - y) / s) ** 2) + a * w @ w,
                            {"X": "X", "y": "y", "w": "w", "s": "sigma", "a": "alpha"})


@pytest.mark.parametrize("source", [r"((A - B) x)^2 + \|x\|^2", r"(A + B)^2"])
def test_a_power_of_whole_capitalised_names_does_not_make_them_numbers(source):
    # the power of a scalar: a constraint for X_i, a row of X, but a whole A stays a matrix (and the power an error)
    with pytest.raises(symgd.errors.ShapeError):
        symgd.parse(source, wrt="x" if "x" in source else "A")


def test_a_lowercase_entry_times_a_vector_is_not_read_as_a_row():
    # x_i w with x lowercase: a number per i times w (the row reading is for a capitalised matrix's X_i)
    with pytest.raises(symgd.errors.ShapeError, match=r"x_\{i\} w is a vector"):
        symgd.parse(r"\sum_{i=1}^{n}(x_i w - y_i)^2 + \|w\|^2", wrt="w")


# -- a definition whose argument is an entry X_i -----------------------------------------------------------------

@pytest.mark.parametrize("index", ["i", "j"])
def test_a_definition_at_an_entry_called_at_an_entry(index):
    problem = symgd.parse(rf"\frac{{1}}{{2}}\|w\|^2 + \sum_{{{index}=1}}^{{n}} \log(1 + \exp(-y_{index} f(X_{index})))",
                          wrt="w", where=r"f(X_i) = X_i w + b")
    assert "is an entry of X" in _readings(problem)
    check_against_reference(problem, lambda X, y, w, b: 0.5 * w @ w + np.sum(np.log1p(np.exp(-y * (X @ w + b)))),
                            {"X": "X", "y": "y", "w": "w", "b": "b"})


@pytest.mark.parametrize("call", ["Z_j", "2 X_j"])
def test_a_definition_at_an_entry_called_with_anything_else_stays_refused(call):
    with pytest.raises(UnsupportedError, match="write the entry out"):
        symgd.parse(rf"\|w\|^2 + \sum_{{j}} \log(1 + \exp(-y_j f({call})))", wrt="w", where=r"f(X_i) = X_i w + b")


# -- a_r^*: the conjugate transpose on real data (Candes, Li & Soltanolkotabi 2015) ------------------------------

def test_a_starred_bold_vector_before_a_vector_is_its_transpose():
    problem = symgd.parse(r"\frac{1}{4m}\sum_{r=1}^{m}\left(y_r - |\boldsymbol{a}_r^*\boldsymbol{z}|^2\right)^2",
                          wrt="z")
    assert "conjugate transpose" in _readings(problem)
    check_against_reference(problem, lambda y, a, z: np.sum((y - (a @ z) ** 2) ** 2) / (4 * len(y)),
                            {"y": "y", "a": "a", "z": "z"})


def test_a_starred_entry_of_a_declared_matrix_before_a_declared_vector_is_its_transpose():
    problem = symgd.parse(r"\sum_{r=1}^{m}(y_r - |a_r^*z|^2)^2", wrt="z",
                          where=r"a \in \mathbb{R}^{m \times p}, z \in \mathbb{R}^{p}")
    check_against_reference(problem, lambda y, a, z: np.sum((y - (a @ z) ** 2) ** 2), {"y": "y", "a": "a", "z": "z"})
    with pytest.raises(UnsupportedError, match="beside the label star"):   # a declared vector: a_r^* is a number
        symgd.parse(r"\sum_{r=1}^{m}(y_r - |a_r^*z|^2)^2", wrt="z", where=r"a \in \mathbb{R}^{m}")


@pytest.mark.parametrize("source", [r"\sum_{r=1}^{m}(y_r - |a_r^*z|^2)^2",                    # not bold: unknown
                                    r"\sum_{r=1}^{m}(y_r - \boldsymbol{a}_r^* c)^2",          # no vector after it
                                    r"\sum_{i=1}^{n}(y_i^* - \boldsymbol{w}^T\boldsymbol{x}_i)^2"])   # a label
def test_a_starred_entry_elsewhere_stays_a_refused_label(source):
    with pytest.raises(UnsupportedError, match="beside the label star"):
        symgd.parse(source, wrt="z" if "z" in source else "c" if "c)" in source else "w")


# -- x_u y_i^T where a scalar is needed (Johnson 2014), and two families of biases -------------------------------

def _logistic_mf(r, x, y, bu, bi, alpha, lam):
    s = x @ y.T + bu[:, None] + bi[None, :]
    reg = 0.5 * lam * (np.sum(x ** 2, axis=1)[:, None] + np.sum(y ** 2, axis=1)[None, :])
    return np.sum(alpha * r * s - (1 + alpha * r) * np.log1p(np.exp(s)) - reg)


def test_an_outer_product_where_a_scalar_is_needed_is_the_inner_product_of_rows():
    problem = symgd.parse(r"\sum_{u,i}\alpha r_{ui}(x_uy_i^T + \beta_u + \beta_i) - (1 + \alpha r_{ui})"
                          r"\log(1 + \exp(x_uy_i^T + \beta_u + \beta_i)) - \frac{\lambda}{2}\|x_u\|^2"
                          r" - \frac{\lambda}{2}\|y_i\|^2", wrt=r"x, y, \beta_u, \beta_i")
    readings = _readings(problem)
    assert "the inner product x_{u}^\\top y_{i}, not the outer product" in readings
    assert "a family of its own: beta_u" in readings and "a family of its own: beta_i" in readings
    check_against_reference(problem, _logistic_mf, {"r": "r", "x": "x", "y": "y", "bu": "beta_u", "bi": "beta_i",
                                                    "alpha": "alpha", "lam": "lambda"})


def test_rows_after_plain_factors():
    problem = symgd.parse(r"\sum_{u,i}\alpha r_{ui} x_u y_i^T - \|x_u\|^2", wrt="x, y")
    check_against_reference(problem, lambda r, x, y, a: np.sum(a * r * (x @ y.T)) - r.shape[1] * np.sum(x ** 2),
                            {"r": "r", "x": "x", "y": "y", "a": "alpha"})


def test_rows_whose_vectors_only_the_product_decides():
    problem = symgd.parse(r"\sum_{u,i}(r_{ui} - x_u y_i^T - b_u - c_i)^2", wrt="x, y, b, c")
    check_against_reference(problem, lambda r, x, y, b, c: np.sum((r - x @ y.T - b[:, None] - c[None, :]) ** 2),
                            {"r": "r", "x": "x", "y": "y", "b": "b", "c": "c"})


@pytest.mark.parametrize("source, reference", [
    (r"\sum_{i} \|x_i x_i^\top - S\|_F^2", lambda x, S: sum(np.sum((np.outer(v, v) - S) ** 2) for v in x)),
    (r"\sum_{i} w^\top x_i x_i^\top w", None),
])
def test_a_genuine_outer_product_keeps_its_meaning(source, reference):
    wrt = "x" if reference is not None else "w"
    problem = symgd.parse(source, wrt=wrt)
    assert "not the outer product" not in _readings(problem)
    if reference is not None:
        check_against_reference(problem, reference, {"x": "x", "S": "S"})
    else:
        check_against_reference(problem, lambda w, x: np.sum((x @ w) ** 2), {"w": "w", "x": "x"})


def test_one_listed_entry_of_two_stays_refused():
    # only \beta_u listed, \beta_i written too: one vector or two is not said
    with pytest.raises(AmbiguityError, match="beta_u"):
        symgd.parse(r"\sum_{u,i}(r_{ui} - x_u y_i^T - \beta_u - \beta_i)^2", wrt=r"x, y, \beta_u")


def test_a_term_after_a_sum_over_pairs_joins_it_once_per_pair():
    # \sum_{u,i} is one sum: -\|x_u\|^2 after it counts once per pair; after \sum_u\sum_i, once per u
    pairs = symgd.parse(r"\sum_{u,i} r_{ui} x_u^\top y_i - \|x_u\|^2", wrt="x")
    nested = symgd.parse(r"\sum_{u}\sum_{i} r_{ui} x_u^\top y_i - \|x_u\|^2", wrt="x")
    check_against_reference(pairs, lambda r, x, y: np.sum(r * (x @ y.T)) - r.shape[1] * np.sum(x ** 2),
                            {"r": "r", "x": "x", "y": "y"})
    check_against_reference(nested, lambda r, x, y: np.sum(r * (x @ y.T)) - np.sum(x ** 2),
                            {"r": "r", "x": "x", "y": "y"})
