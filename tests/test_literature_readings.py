"""Notation from the corpus's refusals read as the sources mean it (issue 9, second pass), each against a
hand-written NumPy reference: B&V's ``\\left\\{\\begin{array}`` piecewise definitions, ``y[k]`` entries,
a variance ``\\sigma^2`` among a definition's arguments, ``f^+`` and ``[u]^+``, LaTeX ``where`` clauses
without a backslash; and the constructs still out of reach named in their errors.
"""

import numpy as np
import pytest

import symgd
from helpers import check_against_reference, objective_value
from symgd.errors import UnsupportedError


def huber(u, M):
    return np.where(np.abs(u) <= M, u ** 2, M * (2 * np.abs(u) - M))


def test_a_piecewise_definition_in_an_array_between_braces():
    # B&V 6.1.2: \phi_M(u) = \left\{\begin{array}{ll} u^2 & |u| \le M \\ M(2|u| - M) & |u| > M \end{array}\right.
    problem = symgd.parse(r"\sum_{i=1}^{m}\phi_M(a_i^Tx - b_i)", wrt="x",
                          where=r"\phi_M(u) = \left\{\begin{array}{ll} u^2 & |u| \leq M \\ M(2|u| - M) & |u| > M"
                                r"\end{array}\right.")
    check_against_reference(problem, lambda a, b, x, M: np.sum(huber(a @ x - b, M)),
                            {"a": "a", "b": "b", "x": "x", "M": "M"})


def test_an_array_that_is_only_layout_stays_layout():
    problem = symgd.parse(r"\begin{array}{ll}\text{minimize} & \|Ax - b\|^2 \\ \text{subject to} & x \succeq 0"
                          r"\end{array}")
    assert len(problem.constraints) == 1


def test_square_brackets_after_a_name_are_its_entries():
    # Condat (2013): y[k], x[k+1]
    problem = symgd.parse(r"\frac{1}{2}\sum_{k=1}^{N}|y[k] - x[k]|^2 + \lambda\sum_{k=1}^{N-1}|x[k+1] - x[k]|",
                          wrt="x")
    check_against_reference(problem, lambda x, y, lam: 0.5 * np.sum((y - x) ** 2) + lam * np.sum(np.abs(np.diff(x))),
                            {"x": "x", "y": "y", "lam": "lambda"})


def test_a_bracket_after_a_space_is_still_a_product():
    problem = symgd.parse(r"\lambda [x + 1]^2 + [a + x]^2", wrt="x")
    check_against_reference(problem, lambda lam, a, x: lam * (x + 1) ** 2 + (a + x) ** 2, {"lam": "lambda", "a": "a", "x": "x"})


def test_a_variance_among_the_arguments_names_its_standard_deviation():
    # Murphy PML 11.2.1: NLL(w, \sigma^2)
    problem = symgd.parse(r"\mathrm{NLL}(\mathbf{w},\sigma^2) = \frac{1}{2\sigma^2}\sum_{n=1}^{N}(y_n - \mathbf{w}^T"
                          r"\mathbf{x}_n)^2 + \frac{N}{2}\log(2\pi\sigma^2)")
    assert sorted(str(getattr(p, "label", p)) for p in problem.params) == ["sigma", "w"]
    assert any("names the variable" in reading for reading in problem.readings)


def test_plus_as_a_superscript():
    # Sohn (2016): f^+ is the positive example's embedding, a name; [u]^+ is the positive part
    problem = symgd.parse(r"\log(1 + \exp(f^\top g - f^\top f^+))", wrt="f")
    check_against_reference(problem, lambda f, g, fp: np.log1p(np.exp(f @ g - f @ fp)),
                            {"f": "f", "g": "g", "fp": "f_plus"})
    problem = symgd.parse(r"\sum_i [1 - y_i w^\top x_i]^+", wrt="w")
    check_against_reference(problem, lambda y, w, x: np.sum(np.maximum(0, 1 - y * (x @ w))),
                            {"y": "y", "w": "w", "x": "x"})


def test_a_where_clause_without_a_backslash_follows_the_latex_source():
    # FaceNet's embedding f(x) = Wx: W times x, not a name "Wx"
    problem = symgd.parse(r"\sum_i \|f(x_i) - f(z_i)\|^2", wrt="W", where="f(x) = Wx")
    check_against_reference(problem, lambda W, x, z: np.sum(((x - z) @ W.T) ** 2), {"W": "W", "x": "x", "z": "z"})
    plain = symgd.parse("norm2(A*x - b)^2", wrt="x", where="A: R^(m,d)")
    assert str(plain.shapes[plain.symbol("A")]) == "(m, d)"


def test_the_max_norm_is_read():
    problem = symgd.parse(r"\mbox{minimize}\ \ \|Ax - b\|_\infty", wrt="x")
    check_against_reference(problem, lambda A, x, b: np.max(np.abs(A @ x - b)), {"A": "A", "x": "x", "b": "b"})


def gp_log_likelihood(K, y):
    return -0.5 * y @ np.linalg.solve(K, y) - 0.5 * np.log(np.linalg.det(K)) - len(y) / 2 * np.log(2 * np.pi)


def test_a_log_density_on_the_left_names_the_objective():
    # GPML (5.8): \log p(y|X, \theta) = ..., the right side written out
    problem = symgd.parse(r"\log p(\mathbf{y}|X,\boldsymbol{\theta}) = -\frac{1}{2}\mathbf{y}^\top K^{-1}\mathbf{y}"
                          r" - \frac{1}{2}\log|K| - \frac{n}{2}\log 2\pi", wrt="K")
    assert any("names the objective" in reading for reading in problem.readings)
    values = {"K": np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]]), "y": np.array([0.5, -1.0, 2.0])}
    env = {"K": values["K"], "y": values["y"], **{str(d): 3 for d in problem.dims}}
    assert np.isclose(objective_value(problem, env), gp_log_likelihood(values["K"], values["y"]))


def test_a_density_inside_a_chain_gives_way_to_the_written_out_spelling():
    # PRML (4.90): E(w) = -\ln p(t|w) = -\sum_n ...
    problem = symgd.parse(r"E(\mathbf{w}) = -\ln p(\mathbf{t}|\mathbf{w}) = -\sum_{n=1}^{N}\left\{t_n\ln y_n"
                          r" + (1 - t_n)\ln(1 - y_n)\right\}", wrt="w", where=r"y_n = \sigma(\mathbf{w}^T\phi_n)")
    check_against_reference(problem, lambda t, phi, w: -np.sum(t * np.log(1 / (1 + np.exp(-phi @ w)))
                                                              + (1 - t) * np.log(1 - 1 / (1 + np.exp(-phi @ w)))),
                            {"t": "t", "phi": "phi", "w": "w"})


def test_a_negated_name_on_the_left_names_the_objective():
    # Kingma & Welling, Appendix B: -D_{KL} = \frac{1}{2}\sum_j (...)
    problem = symgd.parse(r"-D_{KL} = \frac{1}{2}\sum_{j=1}^{J}\left(1 + \log(\sigma_j^2) - \mu_j^2 - \sigma_j^2\right)",
                          wrt=r"\mu")
    check_against_reference(problem, lambda mu, s: 0.5 * np.sum(1 + np.log(s ** 2) - mu ** 2 - s ** 2),
                            {"mu": "mu", "s": "sigma"})


@pytest.mark.parametrize("source", [
    r"-\sum_i \log p(y_i|x_i; w)",
    r"\sum_{n=1}^{N}\ln\left\{\sum_{k=1}^{K}\pi_k\mathcal{N}(x_n|\mu_k,\Sigma_k)\right\}",
    r"L(w) = p(y|w) + \|w\|^2",
])
def test_a_density_used_in_the_loss_is_refused(source):
    with pytest.raises(UnsupportedError, match="conditional density"):
        symgd.gradient(symgd.parse(source, wrt="w" if "w" in source else r"\mu"))


def test_a_family_spelled_with_dots_in_the_head_is_its_matrix():
    # PRML (4.108): E(w_1, \ldots, w_K) = -\sum_n\sum_k t_{nk}\ln y_{nk}, y_{nk} the softmax of w_k^T phi_n
    problem = symgd.parse(r"E(\mathbf{w}_1,\ldots,\mathbf{w}_K) = -\sum_{n=1}^{N}\sum_{k=1}^{K}t_{nk}\ln y_{nk}",
                          wrt="W", where=r"y_{nk} = \frac{\exp(\mathbf{w}_k^T\phi_n)}{\sum_j\exp(\mathbf{w}_j^T\phi_n)}")

    def reference(t, phi, W):
        z = phi @ W.T
        return -np.sum(t * (z - np.log(np.exp(z).sum(axis=1, keepdims=True))))
    check_against_reference(problem, reference, {"t": "t", "phi": "phi", "W": "W"})


def test_an_entry_of_a_vector_defined_for_every_index():
    # Murphy PML 10.3: \mu_n = softmax(W x_n), used as \mu_{nc}
    problem = symgd.parse(r"-\frac{1}{N}\sum_{n=1}^{N}\sum_{c=1}^{C}y_{nc}\log\mu_{nc}", wrt="W",
                          where=r"\boldsymbol{\mu}_n = \mathrm{softmax}(\mathbf{W}\mathbf{x}_n)")

    def reference(y, x, W):
        z = x @ W.T
        return -np.mean(np.sum(y * (z - np.log(np.exp(z).sum(axis=1, keepdims=True))), axis=1))
    check_against_reference(problem, reference, {"y": "y", "x": "x", "W": "W"})


def test_an_unknown_function_at_a_constant_point_is_a_constant():
    # Goodfellow et al. 7.1.1: J(w^*) + 1/2 (w - w^*)^T H (w - w^*)
    problem = symgd.parse(r"J(\boldsymbol{w}^*) + \frac{1}{2}(\boldsymbol{w} - \boldsymbol{w}^*)^\top\boldsymbol{H}"
                          r"(\boldsymbol{w} - \boldsymbol{w}^*)", wrt="w")
    assert any("is a constant" in reading for reading in problem.readings)
    check_against_reference(problem, lambda J, w, ws, H: J + 0.5 * (w - ws) @ H @ (w - ws),
                            {"J": "J", "w": "w", "ws": "w_star", "H": "H"})
    supplied = symgd.parse(r"f(x) + \|x\|^2", wrt="x")   # a function of the parameter: the user supplies it
    assert "f" in supplied.supplied and not problem.supplied


@pytest.mark.parametrize("source, mask", [
    (r"\sum_{i<j}(d_{ij} - h_{ij})^2", lambda n: np.triu(np.ones((n, n)), 1)),
    (r"\sum_{i \le j}(d_{ij} - h_{ij})^2", lambda n: np.triu(np.ones((n, n)))),
    (r"\sum_{i>j}(d_{ij} - h_{ij})^2", lambda n: np.tril(np.ones((n, n)), -1)),
])
def test_a_sum_over_ordered_pairs(source, mask):
    # Kruskal (1964): the stress sums over the pairs i < j once
    problem = symgd.parse(source, wrt="d")
    check_against_reference(problem, lambda d, h: np.sum(mask(len(d)) * (d - h) ** 2), {"d": "d", "h": "h"})


def test_an_entry_at_a_class_label():
    # Wen et al. (2016), center loss: c_{y_i}, y_i in 0..K-1 (0-based, as NumPy indexes) given as data
    problem = symgd.parse(r"\frac{1}{2}\sum_{i=1}^{m}\|\boldsymbol{x}_i - \boldsymbol{c}_{y_i}\|_2^2", wrt="c")
    assert any("integer class label indexing c" in reading and "0-based" in reading for reading in problem.readings)
    rng = np.random.default_rng(0)
    x, c, y = rng.normal(size=(7, 3)), rng.normal(size=(4, 3)), rng.integers(0, 4, size=7)
    one_hot = problem.symbol("y_onehot")
    env = {"x": x, "c": c, "y_onehot": np.eye(4)[y], **{str(d): n for d, n in zip(problem.shapes[problem.symbol("c")], (4, 3))},
           **{str(problem.shapes[one_hot][0]): 7}}
    assert np.isclose(objective_value(problem, env), 0.5 * np.sum((x - c[y]) ** 2))
    module = symgd.codegen(problem).load()   # the generated code takes the integer labels y
    assert np.isclose(module.loss(c, x, y), 0.5 * np.sum((x - c[y]) ** 2))


def test_a_constraint_with_the_objectives_index_holds_for_every_value_of_it():
    # CS229 Part V, Sec. 8: y^{(i)}(w^T x^{(i)} + b) \ge 1 - \xi_i, \xi_i \ge 0 for i = 1..m
    problem = symgd.parse(r"\min_{w,b,\xi}\frac{1}{2}\|w\|^2 + C\sum_{i=1}^{m}\xi_i \quad \text{s.t.} \quad"
                          r" y^{(i)}(w^Tx^{(i)} + b) \geq 1 - \xi_i,\; \xi_i \geq 0")
    rng = np.random.default_rng(2)
    w, b, xi, x, y = rng.normal(size=3), 0.4, rng.normal(size=6), rng.normal(size=(6, 3)), rng.choice([-1.0, 1.0], 6)
    env = {"w": w, "b": b, "xi": xi, "x": x, "y": y, "C": 1.0, "m": 6, "d": 3}
    from symgd.numeric import entries
    values = sorted((tuple(np.round(entries(c.expr, c.indices, (6,), env), 10)) for c in problem.constraints))
    expected = sorted([tuple(np.round(1 - xi - y * (x @ w + b), 10)), tuple(np.round(-xi, 10))])
    assert [c.kind for c in problem.constraints] == ["le", "le"] and values == expected


def test_letter_superscripts_on_one_name_are_labels():
    # FaceNet (2015): x_i^a, x_i^p, x_i^n are the anchor, positive and negative examples, not powers of x_i
    problem = symgd.parse(r"\sum_i^N\left[\|f(x_i^a) - f(x_i^p)\|_2^2 - \|f(x_i^a) - f(x_i^n)\|_2^2 + \alpha\right]_+",
                          wrt="W", where="f(x) = Wx")
    check_against_reference(
        problem, lambda W, a, p, n, alpha: np.sum(np.maximum(0, np.sum(((a - p) @ W.T) ** 2, axis=1)
                                                             - np.sum(((a - n) @ W.T) ** 2, axis=1) + alpha)),
        {"W": "W", "a": "x_a", "p": "x_p", "n": "x_n", "alpha": "alpha"})
    bridge = symgd.parse(r"\sum_j |\beta_j|^q + \sum_n\sum_{j} w_j x_n^j", wrt=r"\beta")   # powers stay powers
    assert not any("labels" in reading for reading in bridge.readings)


def test_a_sample_declared_a_row_multiplies_a_column():
    # Wooldridge (2010), Ch. 4: x_i is the 1 x K row of regressors, x_i b a number
    problem = symgd.parse(r"\min_{\mathbf{b}}\sum_{i=1}^{N}(y_i - \mathbf{x}_i\mathbf{b})^2",
                          where=r"\mathbf{x}_i \in \mathbb{R}^{1 \times K}")
    check_against_reference(problem, lambda y, x, b: np.sum((y - x @ b) ** 2), {"y": "y", "x": "x", "b": "b"})
    undeclared = symgd.parse(r"\min_{\mathbf{b}}\sum_{i=1}^{N}(y_i - \mathbf{x}_i\mathbf{b})^2")   # the same, a reading
    assert any("row of regressors" in reading for reading in undeclared.readings)
    check_against_reference(undeclared, lambda y, x, b: np.sum((y - x @ b) ** 2), {"y": "y", "x": "x", "b": "b"})


def test_a_primed_argument_of_a_definition_is_a_second_point():
    # PRML 6.2: k(x, x') = \exp(-\|x - x'\|^2/2\sigma^2), the slash's denominator 2\sigma^2 as typeset
    problem = symgd.parse(r"k(\mathbf{x},\mathbf{x}') = \exp\left(-\|\mathbf{x} - \mathbf{x}'\|^2/2\sigma^2\right)",
                          wrt="x")
    check_against_reference(problem, lambda x, xp, s: np.exp(-np.sum((x - xp) ** 2) / (2 * s ** 2)),
                            {"x": "x", "xp": "x_prime", "s": "sigma"})
    econometrics = symgd.parse(r"\sum_i (y_i - x_i'\beta)^2", wrt=r"\beta")   # elsewhere x' is a transpose
    check_against_reference(econometrics, lambda y, x, b: np.sum((y - x @ b) ** 2), {"y": "y", "x": "x", "b": "beta"})


@pytest.mark.parametrize("source, reference", [
    (r"\|x - z\|^2/2n", lambda x, z: np.sum((x - z) ** 2) / (2 * len(x))),
    (r"1/2\|x - z\|^2", lambda x, z: 0.5 * np.sum((x - z) ** 2)),
])
def test_a_number_against_a_name_after_a_slash_is_one_denominator(source, reference):
    problem = symgd.parse(source, wrt="x")
    check_against_reference(problem, reference, {"x": "x", "z": "z"})


def test_the_1_norm_of_a_matrix_is_entrywise_and_says_so():
    # Friedman, Hastie & Tibshirani (2008): \|\Theta\|_1 is "the sum of the absolute values of the elements"
    problem = symgd.parse(r"\|Y - W H\|_F^2 + \rho\|W\|_1", wrt="W")
    check_against_reference(problem, lambda Y, W, H, rho: np.sum((Y - W @ H) ** 2) + rho * np.sum(np.abs(W)),
                            {"Y": "Y", "W": "W", "H": "H", "rho": "rho"})
    assert any(r"\|W\|_1 of a matrix is the entrywise 1-norm" in reading and "induced" in reading
               for reading in problem.readings)


def test_a_variance_defined_as_a_square_is_replaced_by_its_definition():
    # batch normalisation (Ioffe & Szegedy, Alg. 1): \sigma_B^2 defined, used inside \sqrt{\sigma_B^2 + \epsilon}
    source = (r"\sum_{i=1}^{m}(\gamma\hat{x}_i + \beta - y_i)^2,\quad \hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2"
              r" + \epsilon}},\quad \mu_B = \frac{1}{m}\sum_{i=1}^{m}x_i,\quad \sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m}"
              r"(x_i - \mu_B)^2")
    problem = symgd.parse(source, wrt=r"\gamma, \beta")

    def reference(x, y, gamma, beta, epsilon):
        normalised = (x - x.mean()) / np.sqrt(x.var() + epsilon)
        return np.sum((gamma * normalised + beta - y) ** 2)

    check_against_reference(problem, reference, {"x": "x", "y": "y", "gamma": "gamma", "beta": "beta",
                                                 "epsilon": "epsilon"})


def test_the_root_of_a_defined_square_used_alone_is_refused():
    with pytest.raises(symgd.AmbiguityError, match=r"defines a power of it"):
        symgd.parse(r"\sum_i (\gamma (x_i - \mu)/\sigma - y_i)^2,\quad \sigma^2 = \frac{1}{m}\sum_i (x_i - \mu)^2",
                    wrt=r"\gamma")
