"""Notation of textbooks and papers read as written (issue 9), each against a NumPy reference.

Problem headers (``\\hat\\beta = \\arg\\min``, ``\\underset{x}{\\arg\\min}``, ``minimize f_0(x) = ...``),
words in scripts that are parts of names (``\\hat\\beta^{\\text{ridge}}``, ``x_{\\rm cor}``), shifted
sum ranges and shifted indices. Values at random points with distinct dimensions; gradients
against central differences of the hand-written reference.
"""

import numpy as np
import pytest

import symgd
from helpers import check_against_reference
from symgd.errors import UnsupportedError


def ridge(X, y, beta, lam):
    return np.sum((y - X @ beta) ** 2) + lam * np.sum(beta ** 2)


# -- problem headers ---------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    r"\hat{\beta}^{\text{ridge}} = \underset{\beta}{\operatorname{argmin}}\left\{\|y - X\beta\|^2 + \lambda\|\beta\|^2\right\}",
    r"\hat\beta = \arg\min_\beta \|y - X\beta\|^2 + \lambda\|\beta\|^2",
    r"\hat\beta = \arg\min \|y - X\beta\|^2 + \lambda\|\beta\|^2",           # the variable from the estimate's name
    r"\operatorname*{arg\,min}_\beta \|y - X\beta\|^2 + \lambda\|\beta\|^2",
    r"\underset{\beta}{\min}\ \|y - X\beta\|^2 + \lambda\|\beta\|^2",
    r"\mbox{minimize}\ \ f_0(\beta) = \|y - X\beta\|^2 + \lambda\|\beta\|^2",  # B&V name the objective f_0
])
def test_estimate_headers_name_the_problem(source):
    problem = symgd.parse(source)
    assert [str(p.label) for p in problem.params] == ["beta"]
    check_against_reference(problem, ridge, {"X": "X", "y": "y", "beta": "beta", "lam": "lambda"})


def test_a_tuple_of_estimates_names_the_variables():
    # Tibshirani (1996): (\hat\alpha, \hat\beta) = \arg\min {...}; alpha is a scalar intercept
    problem = symgd.parse(r"(\hat\alpha, \hat\beta) = \arg\min\left\{\sum_{i=1}^{N}(y_i - \alpha - x_i^T\beta)^2\right\}")
    assert sorted(str(getattr(p, "label", p)) for p in problem.params) == ["alpha", "beta"]
    check_against_reference(problem, lambda x, y, a, b: np.sum((y - a - x @ b) ** 2),
                            {"x": "x", "y": "y", "a": "alpha", "b": "beta"})


def test_max_with_a_named_objective():
    # CS229: \max_\alpha W(\alpha) = ..., solved as the min of -W
    problem = symgd.parse(r"\max_\alpha W(\alpha) = \sum_{i=1}^{m}\alpha_i - \frac{1}{2}\sum_{i=1}^{m}\alpha_i^2")
    assert problem.sense == "max"
    check_against_reference(problem, lambda a: -(np.sum(a) - 0.5 * np.sum(a ** 2)), {"a": "alpha"})


@pytest.mark.parametrize("source, construct", [
    (r"a = b = \arg\min_x \|x\|^2", "chain of relations"),
    (r"\underset{x}{y}\|x\|^2", r"\underset"),
    (r"\min_x f(x) + 1 = \|x\|^2", "name for the objective"),
])
def test_headers_symgd_cannot_read_are_named(source, construct):
    with pytest.raises(UnsupportedError, match=construct.replace("\\", "\\\\")):
        symgd.parse(source)


# -- words in scripts are parts of names --------------------------------------------------------

def test_text_scripts_are_names_not_powers():
    # Goodfellow et al. 5.2.2: X^{(train)}, y^{(train)}; B&V 6.3.3: x_{\rm cor}
    problem = symgd.parse(r"\frac{1}{7}\|X^{(\text{train})}w - y^{(\text{train})}\|_2^2 + \|w - w_{\rm cor}\|^2",
                          wrt="w")
    assert {str(getattr(s, "label", s)) for s in problem.shapes} >= {"X_train", "y_train", "w_cor"}
    check_against_reference(problem, lambda X, y, w, c: np.sum((X @ w - y) ** 2) / 7 + np.sum((w - c) ** 2),
                            {"X": "X_train", "y": "y_train", "w": "w", "c": "w_cor"})


def test_a_defined_name_with_a_text_subscript_is_inlined():
    # Goodfellow et al. 5.2.2: J(w) = MSE_train + lambda w^T w, MSE_train defined beside it
    problem = symgd.parse(r"J(w) = \mathrm{MSE}_{\text{train}} + \lambda w^\top w",
                          where=r"\mathrm{MSE}_{\text{train}} = \frac{1}{7}\|Xw - y\|_2^2")
    check_against_reference(problem, lambda X, y, w, lam: np.sum((X @ w - y) ** 2) / 7 + lam * w @ w,
                            {"X": "X", "y": "y", "w": "w", "lam": "lambda"})


# -- shifted ranges and shifted indices --------------------------------------------------------

def test_total_variation_with_a_shifted_index():
    # B&V 6.3.2: \sum_{i=1}^{n-1}(x_{i+1} - x_i)^2 next to the data term
    problem = symgd.parse(r"\|x - y\|_2^2 + \delta\sum_{i=1}^{n-1}(x_{i+1} - x_i)^2", wrt="x")
    check_against_reference(problem, lambda x, y, d: np.sum((x - y) ** 2) + d * np.sum(np.diff(x) ** 2),
                            {"x": "x", "y": "y", "d": "delta"})


def test_a_range_from_two_with_the_previous_index():
    # a state-space smoother: \sum_{t=2}^{T}\|x_t - A x_{t-1}\|^2, x_t the rows of x
    problem = symgd.parse(r"\sum_{t=1}^{T}\|y_t - x_t\|^2 + \sum_{t=2}^{T}\|x_t - Ax_{t-1}\|^2", wrt="x")
    check_against_reference(problem, lambda x, y, A: np.sum((y - x) ** 2) + np.sum((x[1:] - x[:-1] @ A.T) ** 2),
                            {"x": "x", "y": "y", "A": "A"})


def test_anisotropic_total_variation_of_an_image():
    # Chambolle (2004): u_{i+1,j} and u_{i,j+1}, u an image (a matrix by its two subscripts)
    problem = symgd.parse(r"\min_{u}\frac{\|u - g\|^2}{2\lambda} + \sum_{i=1}^{N-1}\sum_{j=1}^{N-1}"
                          r"\left(|u_{i+1,j} - u_{i,j}| + |u_{i,j+1} - u_{i,j}|\right)")
    check_against_reference(
        problem, lambda u, g, lam: np.sum((u - g) ** 2) / (2 * lam) + np.sum(np.abs(np.diff(u, axis=0))[:, :-1])
        + np.sum(np.abs(np.diff(u, axis=1))[:-1, :]), {"u": "u", "g": "g", "lam": "lambda"})


def test_a_range_that_starts_after_the_outer_index():
    # Rendle (2010): pairs i < j, \sum_{i=1}^{n}\sum_{j=i+1}^{n}
    problem = symgd.parse(r"\sum_{i=1}^{n}\sum_{j=i+1}^{n}W_{ij}x_ix_j", wrt="x")
    check_against_reference(problem, lambda W, x: np.sum(np.triu(W * np.outer(x, x), 1)), {"W": "W", "x": "x"})


def test_a_zero_based_index_keeps_its_value():
    # \sum_{j=0}^{M-1} w_j z^j: w_0 is the first entry and z^0 = 1 (the index's value, not its position)
    problem = symgd.parse(r"\sum_{j=0}^{M-1} w_j z^j", wrt="w")
    check_against_reference(problem, lambda w, z: np.sum(w * z ** np.arange(len(w))), {"w": "w", "z": "z"})


def test_a_zero_based_sum_to_m_has_m_plus_one_terms():
    # PRML (1.1)-(1.4): y(x, w) = \sum_{j=0}^{M} w_j x^j, a polynomial with M + 1 coefficients w_0, ..., w_M
    problem = symgd.parse(r"\frac{1}{2}\sum_{n=1}^{N}\{y(x_n,\mathbf{w}) - t_n\}^2 + \frac{\lambda}{2}\|\mathbf{w}\|^2",
                          wrt=r"\mathbf{w}", where=r"y(x,\mathbf{w}) = \sum_{j=0}^{M} w_jx^j")
    assert [str(d) for d in problem.shapes[next(p for p in problem.params if str(p) == "w")]] == ["M + 1"]
    assert any("M + 1 entries" in reading for reading in problem.readings)
    check_against_reference(
        problem, lambda w, x, t, lam: 0.5 * np.sum((np.vander(x, len(w), increasing=True) @ w - t) ** 2)
        + lam / 2 * w @ w, {"w": "w", "x": "x", "t": "t", "lam": "lambda"})


def test_a_zero_based_sum_to_a_number_counts_the_zero():
    problem = symgd.parse(r"\sum_{j=0}^{3} (w_j - a_j)^2", wrt="w")
    assert [int(d) for d in problem.shapes[problem.params[0]]] == [4]


def test_a_zero_based_sum_to_m_generates_code_for_m_plus_one_entries():
    problem = symgd.parse(r"\sum_{j=0}^{M} (w_j - a_j)^2 + \sum_{n=1}^{N} (\sum_{j=0}^{M} X_{nj} w_j - y_n)^2", wrt="w")
    module = symgd.codegen(problem).load()
    rng = np.random.default_rng(4)
    w, a, X, y = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(7, 4)), rng.normal(size=7)

    def reference(w):
        return np.sum((w - a) ** 2) + np.sum((X @ w - y) ** 2)

    assert np.isclose(module.loss(w, a=a, X=X, y=y), reference(w))
    steps = np.eye(4) * 1e-6
    slope = [(reference(w + step) - reference(w - step)) / 2e-6 for step in steps]
    assert np.allclose(module.grad(w, a=a, X=X, y=y), slope, atol=1e-6)


def test_code_for_a_zero_based_sum_reads_m_from_the_m_plus_one_entries():
    # M itself (1/M) is one less than w's length; a broadcast needs the length M + 1
    problem = symgd.parse(r"\sum_{j=0}^{M} (w_j - b)^2 + \frac{1}{M}\sum_{j=0}^{M} b^2 w_j", wrt="w")
    module = symgd.codegen(problem).load()
    w, b = np.array([1.0, -2.0, 3.0, 0.5]), 0.7
    assert np.isclose(module.loss(w, b=b), np.sum((w - b) ** 2) + b ** 2 * np.sum(w) / 3)
    assert np.allclose(module.grad(w, b=b), 2 * (w - b) + b ** 2 / 3)


@pytest.mark.parametrize("source, reference", [
    (r"w_0 + w_1x + w_2x^2 + \ldots + w_Mx^M", lambda w, x: np.sum(w * x ** np.arange(len(w)))),   # PRML (1.1)
    (r"w_1x + w_2x^2 + \cdots + w_Mx^M", lambda w, x: np.sum(w * x ** np.arange(1, len(w) + 1))),
    (r"x + w_0 + w_1 + \cdots + w_M", lambda w, x: x + np.sum(w)),
])
def test_terms_before_the_dots_that_continue_the_pattern_join_the_sum(source, reference):
    check_against_reference(symgd.parse(source, wrt="w"), reference, {"w": "w", "x": "x"})


def test_plain_entries_of_a_bold_vector_are_numbers():
    # PRML (1.1)-(1.2): bold \mathbf{w} is the vector, plain w_j its entries (not one vector per j)
    problem = symgd.parse(r"E(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}\{y(x_n,\mathbf{w}) - t_n\}^2", wrt=r"\mathbf{w}",
                          where=r"y(x,\mathbf{w}) = w_0 + w_1x + w_2x^2 + \ldots + w_Mx^M = \sum_{j=0}^{M} w_jx^j")
    check_against_reference(
        problem, lambda w, x, t: 0.5 * np.sum((np.vander(x, len(w), increasing=True) @ w - t) ** 2),
        {"w": "w", "x": "x", "t": "t"})
    # a name written bold with a subscript keeps one vector per index: \mathbf{x}_n beside \mathbf{x}
    problem = symgd.parse(r"\sum_{n=1}^{N}(\mathbf{w}^\top\mathbf{x}_n - t_n)^2", wrt=r"\mathbf{w}")
    assert len(problem.shapes[next(s for s in problem.shapes if str(s) == "x")]) == 2


def test_one_and_zero_based_sums_to_m_on_one_array_are_refused():
    with pytest.raises(symgd.ShapeError, match="axis of length M, but w is a vector \\(M \\+ 1,\\)"):
        symgd.parse(r"\sum_{j=0}^{M} w_j^2 + \sum_{j=1}^{M} w_j^2", wrt="w")


def test_an_index_that_reaches_past_its_array_is_refused():
    with pytest.raises(UnsupportedError, match="reaches outside x"):
        symgd.parse(r"\sum_{i=1}^{n}(x_{i+1} - x_i)^2", wrt="x")
    with pytest.raises(UnsupportedError, match="reaches outside x"):
        symgd.parse(r"\sum_{i=1}^{n-1}(x_{i} - x_{i-1})^2", wrt="x")


def test_a_short_range_without_a_shift_is_ambiguous():
    # \sum_{i=1}^{N-1} f_i: N - 1 vectors, or N of which the last is left out?
    with pytest.raises(symgd.AmbiguityError, match="N - 1"):
        symgd.parse(r"\sum_{i=1}^{N-1} f_i^2", wrt="f")


def test_shifted_sums_in_code_generation_are_compiled_not_miscompiled():
    problem = symgd.parse(r"\sum_{i=1}^{n-1}(x_{i+1} - x_i)^2", wrt="x")
    module = symgd.codegen(problem).load()   # slices x[1:] - x[:-1] (tests/test_codegen_slices.py)
    x = np.random.default_rng(3).normal(size=6)
    d = np.diff(x)
    assert np.isclose(module.loss(x=x), d @ d)
    assert np.allclose(module.grad(x=x), 2 * (np.r_[0, d] - np.r_[d, 0]))


# -- optima, fixed parameters, numbered entries --------------------------------------------------

def test_a_starred_name_is_the_optimum_not_a_product():
    # Goodfellow et al. 7.1.1: (w - w^*)^T H (w - w^*), H bold (a matrix, not a function of w - w^*)
    problem = symgd.parse(r"\frac{\alpha}{2}\boldsymbol{w}^\top\boldsymbol{w} + \frac{1}{2}(\boldsymbol{w} - "
                          r"\boldsymbol{w}^*)^\top\boldsymbol{H}(\boldsymbol{w} - \boldsymbol{w}^{\ast})", wrt="w")
    check_against_reference(problem, lambda w, s, H, a: a / 2 * w @ w + 0.5 * (w - s) @ H @ (w - s),
                            {"w": "w", "s": "w_star", "H": "H", "a": "alpha"})


def test_arguments_after_a_semicolon_are_fixed_parameters():
    # Nocedal & Wright 17.1: Q(x; mu), x = (x_1, x_2) the variable, mu held fixed
    problem = symgd.parse(r"Q(x;\mu) = x_1 + x_2 + \frac{\mu}{2}(x_1^2 + x_2^2 - 2)^2")
    assert [str(p.label) for p in problem.params] == ["x"]
    check_against_reference(problem, lambda x, mu: x[0] + x[1] + mu / 2 * (x @ x - 2) ** 2, {"x": "x", "mu": "mu"})


@pytest.mark.parametrize("source", [
    r"f(x) = 100(x_2 - x_1^2)^2 + (1 - x_1)^2",          # plain text: x_1 is one name
    r"f(x) = 100(x_{2} - x_{1}^2)^2 + (1 - x_{1})^2",    # LaTeX
])
def test_numbered_entries_make_the_parameter_a_vector(source):
    problem = symgd.parse(source)
    assert "x \\in \\mathbb{R}^{2}: x_1, x_2 are its entries" in problem.readings
    check_against_reference(problem, lambda x: 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2, {"x": "x"})


def test_a_bold_lowercase_function_of_a_sample_is_its_feature_vector():
    # PRML 3.12: \boldsymbol{\phi}(\mathbf{x}_n) is the vector of basis functions at x_n (data), not phi times x_n
    problem = symgd.parse(r"\frac{1}{2}\sum_{n=1}^{N}\{t_n - \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}(\mathbf{x}_n)\}^2",
                          wrt="w")
    check_against_reference(problem, lambda t, P, w: 0.5 * np.sum((t - P @ w) ** 2), {"t": "t", "P": "phi", "w": "w"})


# -- bars on vectors, bold operators, entries of capitalised names -------------------------------

def test_bars_on_vectors_are_euclidean_norms():
    # Zou & Hastie (2005) write |y - X beta|^2 + lambda_2 |beta|^2 + lambda_1 |beta|_1
    problem = symgd.parse(r"|\mathbf{y} - \mathbf{X}\boldsymbol{\beta}|^2 + \lambda_2|\boldsymbol{\beta}|^2"
                          r" + \lambda_1|\boldsymbol{\beta}|_1", wrt="beta")
    assert any("Euclidean norm" in reading for reading in problem.readings)
    check_against_reference(
        problem, lambda X, y, b, l1, l2: np.sum((y - X @ b) ** 2) + l2 * b @ b + l1 * np.sum(np.abs(b)),
        {"X": "X", "y": "y", "b": "beta", "l1": "lambda_1", "l2": "lambda_2"})


def test_an_entry_of_a_capitalised_name_times_a_vector():
    # Roweis & Saul (2000): \sum_i |X_i - \sum_j W_ij X_j|^2, W_ij a number, X_i a bold row
    problem = symgd.parse(r"\sum_i\left|\vec{X}_i - \sum_j W_{ij}\vec{X}_j\right|^2", wrt="W")
    check_against_reference(problem, lambda W, X: np.sum((X - W @ X) ** 2), {"W": "W", "X": "X"})


def test_a_bold_trace_is_the_trace():
    # B&V 7.1.1 write \mathbf{tr}(SY)
    problem = symgd.parse(r"\log\det S - \mathbf{tr}(SY)", wrt="S")
    check_against_reference(problem, lambda S, Y: np.log(np.linalg.det(S)) - np.trace(S @ Y), {"S": "S", "Y": "Y"})


# -- \cdots sums and named residuals -----------------------------------------------------------

def test_dots_between_terms_are_a_sum():
    # B&V 3.1.5: log(e^{x_1} + ... + e^{x_n})
    problem = symgd.parse(r"f(x) = \log(e^{x_1} + \cdots + e^{x_n})")
    check_against_reference(problem, lambda x: np.log(np.sum(np.exp(x))), {"x": "x"})


def test_a_residual_named_in_the_constraints_is_substituted():
    # B&V 6.1.2: minimize phi(r_1) + ... + phi(r_m) subject to r = Ax - b
    problem = symgd.parse(r"\begin{array}{ll}\mbox{minimize} & \phi(r_1) + \cdots + \phi(r_m) \\ \mbox{subject to}"
                          r" & r = Ax - b\end{array}", where=r"\phi(u) = u^2")
    assert not problem.constraints
    check_against_reference(problem, lambda A, b, x: np.sum((A @ x - b) ** 2), {"A": "A", "b": "b", "x": "x"})


@pytest.mark.parametrize("source", [r"x_1 + \cdots + y_n", r"x_1 + \cdots", r"E(w_1, \ldots, v_K) = w_1^2"])
def test_dots_symgd_cannot_fold_are_named(source):
    with pytest.raises(UnsupportedError, match="cdots"):
        symgd.parse(source, wrt="x")


# -- sums over the pairs of a set, sums that extend, chains of definitions ----------------------

def test_a_sum_over_observed_pairs_is_weighted_by_their_mask():
    # Koren, Bell & Volinsky (2009): kappa the set of known ratings, read as its 0/1 mask kappa_{ui}
    problem = symgd.parse(r"\min_{q^*,p^*}\sum_{(u,i)\in\kappa}(r_{ui} - q_i^Tp_u)^2 + \lambda(\|q_i\|^2 + \|p_u\|^2)")
    env_names = {"r": "r", "q": "q", "p": "p", "lam": "lambda", "K": "kappa"}
    check_against_reference(
        problem, lambda r, q, p, lam, K: np.sum(K * ((r - p @ q.T) ** 2 + lam * (np.sum(q ** 2, 1)[None, :]
                                                                              + np.sum(p ** 2, 1)[:, None]))),
        env_names)


def test_a_chain_of_definitions_uses_the_first_readable_spelling():
    # CS229: h_theta(x) = g(theta^T x) = 1/(1 + e^{-theta^T x}), used as h(x^{(i)}); g is defined nowhere
    problem = symgd.parse(r"\ell(\theta) = \sum_{i=1}^{m}y^{(i)}\log h(x^{(i)}) + (1 - y^{(i)})\log(1 - h(x^{(i)}))",
                          wrt=r"\theta", where=r"h_\theta(x) = g(\theta^Tx) = \frac{1}{1 + e^{-\theta^Tx}}")

    def loglik(x, y, t):
        h = 1 / (1 + np.exp(-x @ t))
        return np.sum(y * np.log(h) + (1 - y) * np.log(1 - h))
    check_against_reference(problem, loglik, {"x": "x", "y": "y", "t": "theta"})


def test_a_sum_over_data_points_with_an_undefined_loss_is_refused():
    # Pegasos: \sum_{(x,y)\in S} over the training points (rows x_i, y_i; tests/test_index_sets.py); the loss
    # \ell itself must be defined
    with pytest.raises(symgd.AmbiguityError, match=r"\\ell"):
        symgd.parse(r"\min_{w}\frac{\lambda}{2}\|w\|^2 + \frac{1}{m}\sum_{(x,y)\in S}\ell(w;(x,y))")


def test_one_name_indexed_by_both_indices_of_a_pair_is_ambiguous_unless_the_source_keeps_them_apart():
    # Koren et al.: b_u (user bias) and b_i (item bias) are two vectors, written with one letter; the user factors
    # p_u and item factors q_i keep u and i apart (tests/test_literature_edges.py), nothing else does
    with pytest.raises(symgd.AmbiguityError, match="b_u and b_i"):
        symgd.parse(r"\min_{b^*}\sum_{(u,i)\in\kappa}(r_{ui} - \mu - b_u - b_i)^2")
    problem = symgd.parse(r"\min_{p^*,q^*,b^*}\sum_{(u,i)\in\kappa}(r_{ui} - \mu - b_u - b_i - p_u^Tq_i)^2")
    assert [str(p) for p in problem.params] == ["p", "q", "b_u", "b_i"]


def test_abs_in_plain_text_stays_elementwise():
    problem = symgd.parse("sum(abs(w))", wrt="w", syntax="text")
    check_against_reference(problem, lambda w: np.sum(np.abs(w)), {"w": "w"})


# -- more names from the literature -------------------------------------------------------------

def test_a_transposed_sample():
    # CS229 (PCA): (x^{(i)^T} u)^2
    problem = symgd.parse(r"\frac{1}{7}\sum_{i=1}^{m}(x^{(i)^T}u)^2", wrt="u")
    check_against_reference(problem, lambda x, u: np.sum((x @ u) ** 2) / 7, {"x": "x", "u": "u"})


def test_a_function_word_in_a_script_is_part_of_a_name():
    # GloVe: f(x) = (x/x_max)^alpha below x_max, else 1; x_max is a constant, not an entry of the argument
    problem = symgd.parse(r"\sum_{i,j=1}^{V}f(X_{ij})\left(w_i^T v_j - X_{ij}\right)^2", wrt="w, v",
                          where=r"f(x) = \begin{cases}(x/x_{\max})^2 & \text{if } x < x_{\max} \\ 1 & "
                                r"\text{otherwise}\end{cases}")
    env = {"X": "X", "w": "w", "v": "v", "m": "x_max"}
    check_against_reference(
        problem, lambda X, w, v, m: np.sum(np.where(X < m, (X / m) ** 2, 1.0) * (w @ v.T - X) ** 2), env)


def test_zeta_is_the_softplus_of_goodfellow_et_al():
    problem = symgd.parse(r"J(z) = \zeta((1 - 2y)z)")
    check_against_reference(problem, lambda y, z: np.log1p(np.exp((1 - 2 * y) * z)), {"y": "y", "z": "z"})


def test_a_norm_weighted_by_a_matrix():
    # Aravkin et al. (2017): \|y_t - H x_t\|_{R^{-1}}^2 = (y_t - H x_t)^T R^{-1} (y_t - H x_t); R not symmetric here
    problem = symgd.parse(r"\sum_{t=1}^{T}\|y_t - Hx_t\|_{R^{-1}}^2", wrt="x")

    def reference(y, H, x, R):
        residual = y - x @ H.T
        return np.sum(residual @ np.linalg.inv(R).T * residual)
    env = {"y": "y", "H": "H", "x": "x", "R": "R"}
    check_against_reference(problem, reference, env)


def test_indicators_written_as_i_and_as_one_brace():
    # Koenker: rho_tau(u) = u(tau - I(u < 0)); CS229: 1{y^{(i)} = l}
    problem = symgd.parse(r"\min_{\beta}\sum_{i=1}^{n}\rho_\tau(y_i - x_i^\top\beta)",
                          where=r"\rho_\tau(u) = u(\tau - I(u < 0))")
    check_against_reference(problem, lambda x, y, b, t: np.sum((y - x @ b) * (t - (y - x @ b < 0))),
                            {"x": "x", "y": "y", "b": "beta", "t": "tau"})
    problem = symgd.parse(r"\sum_{i=1}^{n} 1\{y_i \le 0\} w_i^2", wrt="w")
    check_against_reference(problem, lambda y, w: np.sum((y <= 0) * w ** 2), {"y": "y", "w": "w"})


def test_softmax_of_a_matrix_is_taken_row_by_row():
    # Vaswani et al. (2017): Attention(Q, K, V) = softmax(QK^T / sqrt(d_k)) V
    problem = symgd.parse(r"\|\mathrm{Attention}(Q, K, V) - Y\|_F^2", wrt="Q",
                          where=r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{QK^T}{\sqrt{d_k}}\right)V")
    assert any("row by row" in reading for reading in problem.readings)

    def reference(Q, K, V, Y, dk):
        scores = Q @ K.T / np.sqrt(dk)
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        return np.sum((weights / weights.sum(axis=1, keepdims=True) @ V - Y) ** 2)
    check_against_reference(problem, reference, {"Q": "Q", "K": "K", "V": "V", "Y": "Y", "dk": "d_k"})


def test_a_fixed_function_at_the_data_points_is_data():
    # ESL 10.4: f_{m-1}(x_i) and G(x_i) are the values of fixed functions at the samples; beta is the parameter
    problem = symgd.parse(r"\sum_{i=1}^{N}\exp[-y_i(f_{m-1}(x_i) + \beta G(x_i))]", wrt=r"\beta")
    assert any("fixed function" in reading for reading in problem.readings)
    check_against_reference(problem, lambda y, f, G, b: np.sum(np.exp(-y * (f + b * G))),
                            {"y": "y", "f": "f_{m-1}", "G": "G", "b": "beta"})
    with pytest.raises(symgd.AmbiguityError):   # f is what wrt asks for: not data
        symgd.parse(r"\sum_i (y_i - f(x_i))^2", wrt="f")
