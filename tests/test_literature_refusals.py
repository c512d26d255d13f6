"""Formulas the corpus used to refuse, read as their sources write them (issue 9).

Each construct against a NumPy reference written from what the source means: the loss, every
gradient block against central differences at random points with distinct dimensions, and the
generated module (``symgd.codegen(...).load()``) against the same reference.
"""

import numpy as np
import pytest

import symgd
from corpus.harness import central_differences
from helpers import assert_close, block_values, check_at_point, objective_value, random_env
from symgd.errors import UnsupportedError


def check_against_reference(problem, reference, arguments: dict, sizes: dict | None = None, seed: int = 3) -> dict:
    """The loss and every gradient block equal the reference's at a random point (arguments: reference
    name -> symbol name; sizes: dimension sizes where the formula needs some, all distinct). Returns the point."""
    env = random_env(problem, seed=seed, sizes=sizes)
    check_at_point(problem, reference, arguments, env)
    return env


def check_code(problem, reference, arguments: dict, seed: int = 5) -> None:
    """The generated loss and gradient equal the reference's (arguments: reference name -> symbol name)."""
    module = symgd.codegen(problem).load()
    env = random_env(problem, seed=seed)
    by_name = {str(getattr(symbol, "label", symbol)): symbol for symbol in problem.argnames}
    kwargs = {problem.argnames[by_name[name]]: env[name] for name in by_name}
    values = {written: np.asarray(env[name], dtype=float) for written, name in arguments.items()}
    assert_close(module.loss(**kwargs), reference(**values), rel=1e-9, what="generated loss")
    grads = module.grad(**kwargs)
    params = [str(getattr(p, "label", p)) for p in problem.params]
    grads = grads if len(params) > 1 else (grads,)
    for name, grad in zip(params, grads):
        written = next(w for w, n in arguments.items() if n == name)
        slope = central_differences(lambda v: reference(**v), values, written)
        assert_close(grad, slope, rel=1e-5, what=f"generated gradient in {written}")


def check(problem, reference, arguments: dict) -> None:
    """Index form and generated code against the reference."""
    check_against_reference(problem, reference, arguments)
    check_code(problem, reference, arguments)


# -- U_i, V_j the columns of U (D x N) and V (D x M): Salakhutdinov & Mnih (2008) -----------------

PMF = (r"E = \frac{1}{2}\sum_{i=1}^{N}\sum_{j=1}^{M}I_{ij}\left(R_{ij} - U_i^TV_j\right)^2"
       r" + \frac{\lambda_U}{2}\sum_{i=1}^{N}\|U_i\|_{Fro}^2 + \frac{\lambda_V}{2}\sum_{j=1}^{M}\|V_j\|_{Fro}^2")


def pmf(mask, R, U, V, a, b):
    return 0.5 * np.sum(mask * (R - U.T @ V) ** 2) + a / 2 * np.sum(U ** 2) + b / 2 * np.sum(V ** 2)


def test_slices_of_a_matrix_declared_d_by_n_are_its_columns():
    problem = symgd.parse(PMF, wrt="U, V", where=r"U \in \mathbb{R}^{D \times N}, V \in \mathbb{R}^{D \times M}")
    shapes = {str(getattr(s, "label", s)): tuple(map(str, shape)) for s, shape in problem.shapes.items()}
    assert shapes["U"] == ("D", "N") and shapes["V"] == ("D", "M")
    assert any("U_i are the columns of U" in reading for reading in problem.readings)
    check(problem, pmf, {"mask": "I", "R": "R", "U": "U", "V": "V", "a": "lambda_U", "b": "lambda_V"})


def test_undeclared_slices_stay_rows():
    problem = symgd.parse(r"\sum_{i=1}^{N}\sum_{j=1}^{M}(R_{ij} - U_i^TV_j)^2", wrt="U, V")
    check(problem, lambda R, U, V: np.sum((R - U @ V.T) ** 2), {"R": "R", "U": "U", "V": "V"})


def test_a_matrix_sliced_both_ways_is_refused():
    with pytest.raises(UnsupportedError, match="columns"):
        symgd.parse(r"\sum_{i=1}^{N}\|U_i\|^2 + \sum_{k=1}^{D}\|U_k\|^2", wrt="U",
                    where=r"U \in \mathbb{R}^{D \times N}")


@pytest.mark.parametrize("spelling", [r"_{Fro}", r"_{\mathrm{Fro}}", r"_{fro}", r"_F"])
def test_frobenius_spellings(spelling):
    problem = symgd.parse(r"\|W\|" + spelling + "^2", wrt="W")
    check(problem, lambda W: np.sum(W ** 2), {"W": "W"})


def test_distinct_constants_with_one_base_get_distinct_argument_names():
    problem = symgd.parse(r"\lambda_U\|U\|_F^2 + \lambda_V\|V\|_F^2", wrt="U, V")
    assert len(set(problem.argnames.values())) == len(problem.argnames)
    check_code(problem, lambda U, V, a, b: a * np.sum(U ** 2) + b * np.sum(V ** 2),
               {"U": "U", "V": "V", "a": "lambda_U", "b": "lambda_V"})


# -- x_i b with two column vectors: econometrics' row of regressors (Wooldridge 2010, Ch. 4) --------

def test_a_sample_written_against_a_vector_is_a_row_of_regressors():
    problem = symgd.parse(r"\min_{\mathbf{b}}\sum_{i=1}^{N}(y_i - \mathbf{x}_i\mathbf{b})^2")
    assert any("row of regressors" in reading for reading in problem.readings)
    check(problem, lambda x, y, b: np.sum((y - x @ b) ** 2), {"x": "x", "y": "y", "b": "b"})


@pytest.mark.parametrize("source, wrt", [(r"\sum_{i=1}^{N} (y_i - \mathbf{w}\mathbf{x}_i)^2", "w"),  # vector, sample
                                         (r"\sum_{i=1}^{N} \mathbf{x}_i\mathbf{z}_i", "z")])          # two samples
def test_other_juxtaposed_columns_stay_refused(source, wrt):
    with pytest.raises(symgd.SymgdError, match="cannot be multiplied"):
        symgd.parse(source, wrt=wrt)


# -- a sum over the first q of m samples (Boyd & Vandenberghe 7.1.1) -----------------------------

BV_LOGISTIC = r"l(a,b) = \sum_{i=1}^{q}(a^Tu_i + b) - \sum_{i=1}^{m}\log(1 + \exp(a^Tu_i + b))"


def bv_logistic(u, a, b, q):
    z = u @ a + b
    return np.sum(z[:q]) - np.sum(np.log1p(np.exp(z)))


def test_a_sum_over_the_first_q_of_m_samples():
    problem = symgd.parse(BV_LOGISTIC, wrt="a, b")
    assert any("first q of the m entries of u" in reading for reading in problem.readings)
    check_against_reference(problem, lambda u, a, b: bv_logistic(u, a, b, 3), {"u": "u", "a": "a", "b": "b"},
                            sizes={"q": 3, "m": 7, "d": 4})


def test_code_for_a_sum_over_the_first_q_of_m_samples_is_refused_not_miscompiled():
    with pytest.raises(UnsupportedError, match="up to q"):
        symgd.codegen(symgd.parse(BV_LOGISTIC, wrt="a, b"))


def test_two_limits_neither_a_sample_count_are_ambiguous():
    with pytest.raises(symgd.AmbiguityError, match="length of x"):
        symgd.parse(r"\sum_{i=1}^{q}x_i + \sum_{i=1}^{r}x_i^2", wrt="x")


def test_a_declaration_says_which_limit_is_the_length():
    problem = symgd.parse(r"\sum_{i=1}^{q}x_i + \sum_{i=1}^{r}x_i^2", wrt="x", where=r"x \in \mathbb{R}^{r}")
    check_against_reference(problem, lambda x: np.sum(x[:3]) + np.sum(x ** 2), {"x": "x"}, sizes={"q": 3, "r": 5})


# -- ESL 3.80: blocks beta_l of a vector beta in R^p are ragged: refused, naming the construct --------

def test_groups_of_a_vectors_coefficients_are_refused_by_name():
    source = (r"\min_{\beta\in\mathbb{R}^p}\left(\|\mathbf{y} - \beta_0\mathbf{1} - \sum_{\ell=1}^{L}\mathbf{X}_\ell"
              r"\beta_\ell\|_2^2 + \lambda\sum_{\ell=1}^{L}\sqrt{p_\ell}\|\beta_\ell\|_2\right)")
    with pytest.raises(UnsupportedError, match=r"groups \(blocks\) of a vector's coefficients"):
        symgd.parse(source, wrt=r"\beta_0, \beta")


# -- |xi|_eps, the epsilon-insensitive loss (Smola & Schölkopf 2004, Sec. 1.2) -----------------------

SVR = r"\frac{1}{2}\|w\|^2 + C\sum_{i=1}^{\ell}|y_i - \langle w, x_i\rangle - b|_\varepsilon"
EPS_DEFINED = (r"|\xi|_\varepsilon := \begin{cases} 0 & \text{if } |\xi| \le \varepsilon \\ |\xi| - \varepsilon"
               r" & \text{otherwise}\end{cases}")


def svr(w, x, y, b, C, eps):
    return 0.5 * w @ w + C * np.sum(np.maximum(np.abs(y - x @ w - b) - eps, 0))


@pytest.mark.parametrize("where", [None, EPS_DEFINED])
def test_the_epsilon_insensitive_loss(where):
    problem = symgd.parse(SVR, wrt="w, b", where=where)
    if where is None:
        assert any("insensitive loss" in reading for reading in problem.readings)
    arguments = {"w": "w", "x": "x", "y": "y", "b": "b", "C": "C", "eps": "varepsilon"}
    check(problem, svr, arguments)
    tube = r"\right| = \varepsilon" if where is None else r"\right| - \varepsilon = 0"   # the source's cases
    assert any(tube in kink.condition for kink in symgd.gradient(problem).nonsmooth)


def test_the_epsilon_insensitive_loss_round_trips():
    problem = symgd.parse(SVR, wrt="w, b")
    assert symgd.parse(problem.latex(), wrt="w, b").objective == problem.objective


# -- a free dimension is never named like an index a sum binds --------------------------------------

def test_a_dimension_is_not_named_after_a_summed_index():
    # the axis of y must not be called k while \sum_k binds k (Sum(y[k, q], (q, 1, k)) would be wrong)
    problem = symgd.parse(r"\sum_i\sum_k\|y_i - y_k\|^2 + \sum_k\|y_k\|^2", wrt="y")
    assert not {str(d) for d in problem.dims} & {"j", "k"}
    check(problem, lambda y: np.sum((y[:, None] - y[None]) ** 2) + np.sum(y ** 2), {"y": "y"})


# -- p(k), q'(k): entries of vectors at a summed index (Szegedy et al. 2016, Sec. 7) -----------------

def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def test_label_smoothing_cross_entropy_as_written():
    problem = symgd.parse(r"H(q', p) = -\sum_{k=1}^{K}\log(p(k))q'(k)", wrt="z",
                          where=r"p(k) = \frac{\exp(z_k)}{\sum_{i=1}^{K}\exp(z_i)}")
    assert any("q'(k) is entry k" in reading for reading in problem.readings)
    check(problem, lambda z, q: -np.sum(np.log(softmax(z)) * q), {"z": "z", "q": "q_prime"})


def test_a_name_that_is_no_function_at_a_summed_index_is_an_entry():
    problem = symgd.parse(r"\sum_{k=1}^{K} q(k)(p(k) - y_k)^2", wrt="p")
    assert any("p(k) is entry k of the vector p" in reading for reading in problem.readings)
    check(problem, lambda q, p, y: np.sum(q * (p - y) ** 2), {"q": "q", "p": "p", "y": "y"})


def test_an_undefined_function_letter_at_a_summed_index_stays_ambiguous():
    with pytest.raises(symgd.AmbiguityError, match="f"):
        symgd.parse(r"\sum_{k=1}^{K} f(k) w_k", wrt="w")


# -- P_Omega(X), the projection onto the observed entries (Mazumder, Hastie & Tibshirani 2010) -------

def test_the_projection_onto_the_observed_entries_is_a_mask():
    problem = symgd.parse(r"\min_Z\frac{1}{2}\|P_\Omega(X) - P_\Omega(Z)\|_F^2 + \lambda\|Z\|_F^2")
    assert any("projection onto the observed entries" in reading for reading in problem.readings)
    check(problem, lambda mask, X, Z, lam: 0.5 * np.sum((mask * X - mask * Z) ** 2) + lam * np.sum(Z ** 2),
          {"mask": "Omega", "X": "X", "Z": "Z", "lam": "lambda"})


def test_soft_impute_with_the_nuclear_norm():
    problem = symgd.parse(r"\min_Z\frac{1}{2}\|P_\Omega(X) - P_\Omega(Z)\|_F^2 + \lambda\|Z\|_*")
    check(problem, lambda mask, X, Z, lam: 0.5 * np.sum((mask * X - mask * Z) ** 2)
          + lam * np.sum(np.linalg.svd(Z, compute_uv=False)),
          {"mask": "Omega", "X": "X", "Z": "Z", "lam": "lambda"})


# -- f and f_i: a vector and a family of other vectors (Sohn 2016, the N-pair loss) -------------------

NPAIR = r"\log\left(1 + \sum_{i=1}^{N-1}\exp(f^\top f_i - f^\top f^+)\right)"


def test_a_family_beside_a_vector_of_the_same_letter():
    problem = symgd.parse(NPAIR, wrt="f")
    assert any("rows of a matrix F" in reading for reading in problem.readings)
    shapes = {str(getattr(s, "label", s)): tuple(map(str, shape)) for s, shape in problem.shapes.items()}
    assert shapes["F"][0] == "N - 1"   # the N - 1 negatives f_1, ..., f_{N-1}
    check(problem, lambda f, F, fp: np.log1p(np.sum(np.exp(F @ f - f @ fp))), {"f": "f", "F": "F", "fp": "f_plus"})


def test_entries_of_a_vector_stay_entries_when_they_fit():
    problem = symgd.parse(r"\sum_{i=1}^{n} f_i^2 + f^\top f", wrt="f")
    assert not any("rows of a matrix" in reading for reading in problem.readings)
    check(problem, lambda f: 2 * np.sum(f ** 2), {"f": "f"})


# -- a definition of \sigma in the source is the source's meaning ------------------------------------

@pytest.mark.parametrize("sign, reference", [("-a", lambda u: 1 / (1 + np.exp(-u))),
                                             ("a", lambda u: 1 / (1 + np.exp(u)))])
def test_a_defined_sigma_is_the_definition(sign, reference):
    # \sigma(a) = 1/(1 + exp(a)) was silently read as the logistic sigmoid
    problem = symgd.parse(r"\sum_i \sigma(w^T x_i)", wrt="w", where=r"\sigma(a) = \frac{1}{1+\exp(%s)}" % sign)
    check(problem, lambda w, x: np.sum(reference(x @ w)), {"w": "w", "x": "x"})


# -- C = KL(P||Q) = ...: a chain whose middle member names a divergence (van der Maaten & Hinton 2008) --

@pytest.mark.parametrize("name", [r"KL(P\|Q)", r"D_{KL}(P\|Q)", r"D_{\mathrm{KL}}(P \| Q)", r"\mathrm{KL}(P\|Q)"])
def test_a_chain_through_a_named_divergence_is_the_written_out_formula(name):
    problem = symgd.parse(r"C = %s = \sum_i p_i\log\frac{p_i}{q_i}" % name, wrt="z",
                          where=r"q_i = \frac{\exp(z_i)}{\sum_j \exp(z_j)}")
    env = random_env(problem, seed=4)
    env["p"] = np.abs(env["p"]) + 0.1   # probabilities: the log needs p_i > 0
    values = {"p": env["p"], "z": env["z"]}
    reference = lambda p, z: np.sum(p * np.log(p / softmax(z)))   # noqa: E731
    assert_close(objective_value(problem, env), reference(**values), what="loss")
    (block,) = symgd.gradient(problem).blocks
    slope = central_differences(lambda v: reference(**v), values, "z")
    assert_close(block_values(block, env, problem), slope, rel=1e-5, what="gradient in z")


def test_a_divergence_alone_is_refused_by_name():
    with pytest.raises(UnsupportedError, match="the divergence KL"):
        symgd.parse(r"KL(P\|Q) + \|z\|^2", wrt="z")


def test_a_conditional_density_is_still_refused():
    with pytest.raises(UnsupportedError, match="densities are not supported"):
        symgd.parse(r"-\log p(y|x) + \|w\|^2", wrt="w")
