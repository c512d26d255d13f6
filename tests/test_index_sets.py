"""Sums over index sets as papers write them (issue 9): set-builder sets, sets defined in the where-clause,
literal sets of components, and sums over the points (x, y) of a training set.

Each construct is checked against a NumPy reference written from what the source means, with central
differences at random points (all dimensions distinct), through the generated code.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from symgd.errors import AmbiguityError, ParseError, UnsupportedError

KOENKER = (r"\min_{b\in\mathbb{R}^K}\left[\sum_{t\in\{t:y_t\geq x_tb\}}\theta|y_t - x_tb| + "
           r"\sum_{t\in\{t:y_t<x_tb\}}(1-\theta)|y_t - x_tb|\right]")
ROWS = r"x_t \in \mathbb{R}^{1 \times K}"
COX = r"\sum_{i}\delta_i\left[\mathbf{z}_i\boldsymbol{\beta} - \log\sum_{j\in R(t_i)}\exp(\mathbf{z}_j\boldsymbol{\beta})\right]"
RISK_SET = r"R(t_i) = \{j : t_j \geq t_i\}, \quad \mathbf{z}_i \in \mathbb{R}^{1 \times p}"
SMOOTH_L1 = r"L_{\rm loc}(t^u, v) = \sum_{i\in\{x,y,w,h\}}\mathrm{smooth}_{L_1}(t^u_i - v_i)"
SMOOTH_L1_DEFINED = (r"\mathrm{smooth}_{L_1}(x) = \begin{cases} 0.5x^2 & \text{if } |x| < 1 \\ |x| - 0.5 & "
                     r"\text{otherwise}\end{cases}")
PEGASOS = (r"\min_{\mathbf{w}}\frac{\lambda}{2}\|\mathbf{w}\|^2 + \frac{1}{m}\sum_{(\mathbf{x},y)\in S}"
           r"\ell(\mathbf{w};(\mathbf{x},y))")
HINGE = r"\ell(\mathbf{w};(\mathbf{x},y)) = \max\{0, 1 - y\langle\mathbf{w},\mathbf{x}\rangle\}"
PERCEPTRON = r"E_{\mathrm{P}}(\mathbf{w}) = -\sum_{n\in\mathcal{M}}\mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_nt_n"
MISCLASSIFIED = r"\mathcal{M} = \{n : \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_nt_n < 0\}"


def slopes(reference, point: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar reference, entry by entry."""
    out = np.zeros_like(point)
    for position in np.ndindex(*point.shape):
        plus, minus = point.copy(), point.copy()
        plus[position] += step
        minus[position] -= step
        out[position] = (reference(plus) - reference(minus)) / (2 * step)
    return out


def check_generated(problem, param: np.ndarray, data: dict, reference) -> None:
    """The generated loss equals the reference, the generated gradient its central differences."""
    module = symgd.codegen(problem).load()
    assert np.isclose(module.loss(param, **data), reference(param), rtol=1e-10)
    assert np.allclose(module.grad(param, **data), slopes(reference, param), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_set_builder_set_is_a_sum_with_the_indicator_of_its_condition(seed):
    # Koenker & Bassett (1978): the sums over the observations above and below the hyperplane
    problem = symgd.parse(KOENKER, wrt="b", where=ROWS)
    assert any(r"\mathbb{1}\left(y_{t} \ge x_{t} b\right)" in reading for reading in problem.readings)
    kinks = [kink.condition for kink in symgd.gradient(problem).nonsmooth]
    assert any("x_{t} b - y_{t} = 0" in kink for kink in kinks), kinks
    rng = np.random.default_rng(seed)
    x, y, theta = rng.normal(size=(7, 3)), rng.normal(size=7), 0.3

    def reference(b):
        r = y - x @ b
        return np.sum(np.where(r >= 0, theta * np.abs(r), (1 - theta) * np.abs(r)))

    check_generated(problem, rng.normal(size=3), {"x": x, "y": y, "theta": theta}, reference)


@pytest.mark.parametrize("builder", [r"\{t \mid y_t\geq x_tb\}", r"\{t | y_t\geq x_tb\}"])
def test_a_set_builder_may_separate_its_condition_with_a_bar(builder):
    colon = symgd.parse(r"\sum_{t\in\{t:y_t\geq x_tb\}}(y_t - x_tb)^2", wrt="b", where=ROWS)
    bar = symgd.parse(rf"\sum_{{t\in{builder}}}(y_t - x_tb)^2", wrt="b", where=ROWS)
    assert bar.objective == colon.objective


@pytest.mark.parametrize("seed", [0, 1])
def test_a_set_defined_in_the_where_clause_is_its_set_builder(seed):
    # Cox (1972): the risk set R(t_i) = {j : t_j >= t_i}
    problem = symgd.parse(COX, wrt=r"\boldsymbol{\beta}", where=RISK_SET)
    assert any(r"R\left(t_{i}\right) is the set" in reading for reading in problem.readings)
    rng = np.random.default_rng(seed)
    z, t, delta = rng.normal(size=(7, 3)), rng.normal(size=7), rng.choice([0.0, 1.0], size=7)

    def reference(beta):
        at_risk = t[None, :] >= t[:, None]
        return np.sum(delta * (z @ beta - np.log(at_risk @ np.exp(z @ beta))))

    check_generated(problem, rng.normal(size=3), {"z": z, "t": t, "delta": delta}, reference)


def test_a_set_the_source_does_not_define_is_refused_with_what_to_write():
    with pytest.raises(UnsupportedError, match=r"R\\left\(t_\{i\}\\right\) is not defined.*set-builder"):
        symgd.parse(COX, wrt=r"\boldsymbol{\beta}", where=r"\mathbf{z}_i \in \mathbb{R}^{1 \times p}")
    # a set with a subscript may change with i: never read as one mask (a plain name is: tests/test_sets_as_data.py)
    with pytest.raises(UnsupportedError, match=r"the set R_\{i\} is not defined; define it by a set-builder"):
        symgd.parse(r"\sum_i\sum_{j\in R_i}(z_j w - y_i)^2", wrt="w")


def test_a_set_defined_with_another_argument_puts_the_argument_in_place():
    # R(s) = {j : t_j >= s}, used as R(t_i): the same risk set
    written = symgd.parse(COX, wrt=r"\boldsymbol{\beta}", where=RISK_SET)
    general = symgd.parse(COX, wrt=r"\boldsymbol{\beta}",
                          where=r"R(s) = \{j : t_j \geq s\}, \quad \mathbf{z}_i \in \mathbb{R}^{1 \times p}")
    assert general.objective == written.objective


@pytest.mark.parametrize("seed", [0, 1])
def test_a_set_that_depends_on_the_parameter_is_an_indicator_with_a_kink(seed):
    # PRML 4.1.7: the perceptron criterion over the misclassified patterns M
    problem = symgd.parse(PERCEPTRON, wrt=r"\mathbf{w}", where=MISCLASSIFIED)
    assert symgd.gradient(problem).nonsmooth
    rng = np.random.default_rng(seed)
    phi, t = rng.normal(size=(7, 4)), rng.choice([-1.0, 1.0], size=7)

    def reference(w):
        a = (phi @ w) * t
        return -np.sum(np.where(a < 0, a, 0.0))

    check_generated(problem, rng.normal(size=4), {"phi": phi, "t": t}, reference)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_literal_set_of_components_is_the_entries_of_a_vector(seed):
    # Fast R-CNN (Girshick 2015): the box regression loss over i in {x, y, w, h}
    problem = symgd.parse(SMOOTH_L1, wrt="t^u", where=SMOOTH_L1_DEFINED)
    assert [str(d) for d in problem.shapes[problem.params[0]]] == ["4"]
    assert any("4 entries of a vector" in reading for reading in problem.readings)
    rng = np.random.default_rng(seed)
    v = rng.normal(size=4)

    def reference(t):
        d = t - v
        return np.sum(np.where(np.abs(d) < 1, 0.5 * d ** 2, np.abs(d) - 0.5))

    t = v + np.array([0.3, -0.6, 1.7, -2.4]) * (1 + seed)   # both pieces, away from the kinks at |d| = 1
    check_generated(problem, t, {"v": v}, reference)


def test_a_literal_set_one_to_k_runs_to_k():
    problem = symgd.parse(r"\sum_{k\in\{1,\ldots,K\}}(w_k - a_k)^2 + \sum_{k=1}^{K}w_k", wrt="w")
    module = symgd.codegen(problem).load()
    w, a = np.arange(5.0), np.ones(5)
    assert np.isclose(module.loss(w, a=a), np.sum((w - a) ** 2) + np.sum(w))
    assert np.allclose(module.grad(w, a=a), 2 * (w - a) + 1)


@pytest.mark.parametrize("source", [r"\sum_{i\in\{x,x,y\}}t_i", r"\sum_{i\in\{2,3\}}t_i"])
def test_a_literal_set_that_is_no_list_of_entries_is_refused(source):
    with pytest.raises(UnsupportedError, match=r"the sum over i \\in"):
        symgd.parse(source, wrt="t")


@pytest.mark.parametrize("seed", [0, 1])
def test_a_sum_over_the_points_of_a_training_set_is_over_its_rows(seed):
    # Pegasos (Shalev-Shwartz et al. 2011): (1/m) sum over (x, y) in S of the hinge loss
    problem = symgd.parse(PEGASOS, wrt=r"\mathbf{w}", where=HINGE)
    assert any("x, y stand for x_i, y_i, the rows of the data" in reading for reading in problem.readings)
    rng = np.random.default_rng(seed)
    x, y, lam, m = rng.normal(size=(8, 3)), rng.choice([-1.0, 1.0], size=8), 0.4, 8.0

    def reference(w):
        return lam / 2 * w @ w + np.mean(np.maximum(0, 1 - y * (x @ w)))

    check_generated(problem, rng.normal(size=3), {"x": x, "y": y, "lambda_": lam, "m": m}, reference)


def test_a_point_of_a_training_set_with_its_own_subscript_is_refused():
    with pytest.raises(UnsupportedError, match=r"x with a subscript in the sum over the points"):
        symgd.parse(r"\sum_{(x,y)\in S}(y - x_j w_j)^2", wrt="w")


def test_arguments_after_a_semicolon_are_never_dropped_unread():
    # \ell(w; (x_i, y_i)) against a definition without the data point: refused, not read as \ell(w)
    with pytest.raises(UnsupportedError, match=r"defined without the arguments after ';'"):
        symgd.parse(r"\sum_{i}\ell(w;(x_i, y_i))", wrt="w", where=r"\ell(w) = \|w\|^2")
    with pytest.raises(UnsupportedError, match=r"do not match the definition"):
        symgd.parse(r"\sum_{i}\ell(w;(x_i))", wrt="w", where=HINGE)


def test_a_colon_outside_a_set_is_a_parse_error():
    with pytest.raises(ParseError, match="unexpected character ':'"):
        symgd.parse(r"\frac{1}{2}\|x\|^2 : x", wrt="x")


def test_one_letter_for_two_bias_vectors_is_two_vectors_where_users_and_items_are_kept_apart():
    # Koren et al. (2009): b_u and b_i in one sum over the pairs of kappa, beside user factors p_u and item factors
    # q_i (the same-dimension and no-evidence cases stay ambiguous: tests/test_literature_edges.py)
    problem = symgd.parse(r"\min_{p^*,q^*,b^*}\sum_{(u,i)\in\kappa}(r_{ui} - \mu - b_u - b_i - p_u^Tq_i)^2")
    assert [str(p) for p in problem.params] == ["p", "q", "b_u", "b_i"]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_sum_over_triples_given_as_data_is_weighted_by_their_mask(seed):
    # BPR's D_S as its 0/1 array D_S[u, i, j] (a matrix-factorisation model with separate item factors h, g)
    problem = symgd.parse(r"\sum_{(u,i,j)\in D_S}\ln\sigma(w_u^\top h_i - w_u^\top g_j) - \lambda\sum_u\|w_u\|^2",
                          wrt="w, h, g")
    module = symgd.codegen(problem).load()
    rng = np.random.default_rng(seed)
    users, items, others, k, lam = 4, 5, 6, 2, 0.3
    mask = (rng.uniform(size=(users, items, others)) < 0.4).astype(float)
    w, h, g = rng.normal(size=(users, k)), rng.normal(size=(items, k)), rng.normal(size=(others, k))

    def reference(w, h, g):
        x = (w @ h.T)[:, :, None] - (w @ g.T)[:, None, :]
        return np.sum(mask * -np.logaddexp(0, -x)) - lam * np.sum(w ** 2)

    data = {"D": mask, "lambda_": lam}
    assert np.isclose(module.loss(w, h, g, **data), reference(w, h, g), rtol=1e-10)
    grads = module.grad(w, h, g, **data)
    assert np.allclose(grads[0], slopes(lambda a: reference(a, h, g), w), atol=1e-6)
    assert np.allclose(grads[1], slopes(lambda a: reference(w, a, g), h), atol=1e-6)
    assert np.allclose(grads[2], slopes(lambda a: reference(w, h, a), g), atol=1e-6)


def test_a_sum_over_a_data_set_whose_body_holds_no_parameter_is_refused():
    # BPR-Opt as written: \hat{x}_{uij} is "an arbitrary function of Theta" in words only
    with pytest.raises(AmbiguityError, match=r"the sum over the set D_\{S\} holds no parameter.*\\hat\{x\}_\{u i j\}"):
        symgd.parse(r"\text{BPR-Opt} = \sum_{(u,i,j)\in D_S}\ln\sigma(\hat{x}_{uij}) - \lambda_\Theta\|\Theta\|^2",
                    wrt=r"\Theta")


def test_one_letter_for_two_bias_vectors_through_a_definition():
    # the same b_u, b_i put in place from \hat r_{ui} = ...: never merged into one vector
    problem = symgd.parse(r"\min_{p^*,q^*,b^*}\sum_{(u,i)\in\kappa}(r_{ui} - \hat r_{ui})^2",
                          where=r"\hat r_{ui} = \mu + b_u + b_i + q_i^Tp_u")
    assert [str(p) for p in problem.params] == ["p", "q", "b_u", "b_i"]
    with pytest.raises(AmbiguityError, match=r"b_u and b_i.*one vector b indexed by both"):   # nothing keeps u, i apart
        symgd.parse(r"\min_{b^*}\sum_{(u,i)\in\kappa}(r_{ui} - \hat r_{ui})^2", where=r"\hat r_{ui} = \mu + b_u + b_i")


def test_least_squares_over_the_points_of_a_set_is_over_the_rows():
    # was refused as out of scope (tests/test_notation.py): now the sum over the rows x_i, y_i
    problem = symgd.parse(r"\sum_{(x,y)\in S} (y - w^\top x)^2", wrt="w")
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=7)
    check_generated(problem, rng.normal(size=3), {"x": x, "y": y}, lambda w: np.sum((y - x @ w) ** 2))


@pytest.mark.parametrize("seed", [0, 1])
def test_the_size_of_a_set_given_as_a_mask_is_the_sum_of_the_mask(seed):
    # 1/|kappa| (the mean over the observed ratings): the number of pairs, never a determinant of kappa
    problem = symgd.parse(r"\frac{1}{|\kappa|}\sum_{(u,i)\in\kappa}(r_{ui} - p_u^\top q_i)^2", wrt="p, q")
    assert any(r"\left|\kappa\right| is the number of tuples" in reading for reading in problem.readings)
    module = symgd.codegen(problem).load()
    rng = np.random.default_rng(seed)
    users, items, k = 5, 6, 2
    kappa = (rng.uniform(size=(users, items)) < 0.5).astype(float)
    kappa[0, 0] = 1.0
    r, p, q = rng.normal(size=(users, items)), rng.normal(size=(users, k)), rng.normal(size=(items, k))

    def reference(p, q):
        return np.sum(kappa * (r - p @ q.T) ** 2) / np.sum(kappa)

    assert np.isclose(module.loss(p, q, r=r, kappa=kappa), reference(p, q), rtol=1e-10)
    grad_p, grad_q = module.grad(p, q, r=r, kappa=kappa)
    assert np.allclose(grad_p, slopes(lambda a: reference(a, q), p), atol=1e-6)
    assert np.allclose(grad_q, slopes(lambda a: reference(p, a), q), atol=1e-6)


@pytest.mark.parametrize("source, where", [
    (r"\frac{1}{|S|}\sum_{(x,y)\in S}(y - w^\top x)^2", None),   # was read as det(S) on main
    (r"\sum_i\frac{1}{|R(t_i)|}\sum_{j\in R(t_i)} z_j w", r"R(t_i) = \{j : t_j \geq t_i\}"),
])
def test_the_size_of_a_set_of_points_or_a_set_builder_is_refused(source, where):
    with pytest.raises(UnsupportedError, match=r"the number of elements of the set"):
        symgd.parse(source, wrt="w", where=where)


def test_a_sum_over_the_points_of_a_set_may_name_one_point():
    problem = symgd.parse(r"\sum_{\mathbf{x}\in S}(\mathbf{w}^\top\mathbf{x})^2", wrt=r"\mathbf{w}")
    assert any("x stand for x_i, the rows of the data" in reading for reading in problem.readings)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(7, 3))
    check_generated(problem, rng.normal(size=3), {"x": x}, lambda w: np.sum((x @ w) ** 2))
