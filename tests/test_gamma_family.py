"""The gamma family as primitive rows: \\Gamma(u), \\ln\\Gamma(u), y!, and the ragged sum of the negative binomial.

Each loss is checked against a NumPy/SciPy reference written by hand from what the source means, its gradient
(and the Hessian, through the trigamma function) against central differences of that reference, with every
dimension distinct; the generated module is evaluated against the same reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import digamma, gammaln

import symgd
from corpus.harness import central_differences
from helpers import assert_close, block_values, objective_value
from symgd.errors import AmbiguityError, UnsupportedError

N, P = 7, 3   # samples, features: distinct

# Cameron & Trivedi (2013), Sec. 3.3: the NB2 log likelihood with its inner sum over j < y_i
NB2 = (r"\ln L(\alpha,\boldsymbol{\beta}) = \sum_{i=1}^{n}\left\{\left(\sum_{j=0}^{y_i - 1}\ln(j + \alpha^{-1})\right)"
       r" - \ln y_i! - (y_i + \alpha^{-1})\ln(1 + \alpha\mu_i) + y_i\ln\alpha + y_i\ln\mu_i\right\}")
NB2_WHERE = r"\mu_i = \exp(\mathbf{x}_i'\boldsymbol{\beta})"


def _nb2_reference(v: dict) -> float:
    """NB2 log likelihood: Σ_i [Σ_{j<y_i} ln(j + 1/α) - ln y_i! - (y_i + 1/α) ln(1 + αμ_i) + y_i ln α + y_i ln μ_i],
    the inner sum written as a loop (no log-gamma), μ_i = exp(x_i'β)."""
    alpha, beta, x, y = float(v["alpha"]), v["beta"], v["x"], v["y"]
    mu = np.exp(x @ beta)
    total = 0.0
    for i in range(len(y)):
        inner = sum(np.log(j + 1 / alpha) for j in range(int(y[i])))
        log_factorial = sum(np.log(k) for k in range(1, int(y[i]) + 1))
        total += inner - log_factorial - (y[i] + 1 / alpha) * np.log(1 + alpha * mu[i]) \
            + y[i] * np.log(alpha) + y[i] * np.log(mu[i])
    return float(total)


def _nb2_values(seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    return {"alpha": 0.7, "beta": rng.normal(size=P) * 0.4, "x": rng.normal(size=(N, P)) * 0.5,
            "y": np.array([0, 3, 1, 5, 2, 0, 7], dtype=float)}


def _env(problem, values: dict) -> dict:
    dims = {str(d): size for d, size in zip(problem.shapes[next(s for s in problem.shapes if str(s) == "x")],
                                            values["x"].shape)}
    return {**values, **dims}


def test_negative_binomial_ragged_sum_matches_the_reference_and_its_derivatives():
    problem = symgd.parse(NB2, wrt=r"\alpha, \boldsymbol{\beta}", where=NB2_WHERE)
    assert any("ragged" not in r and r"\ln\Gamma" in r and "j + \\alpha^{-1}" in r for r in problem.readings)
    values = _nb2_values()
    env = _env(problem, values)
    assert_close(objective_value(problem, env), _nb2_reference(values), rel=1e-10, what="loss")
    for block in symgd.gradient(problem).blocks:
        name = str(getattr(block.wrt[0], "label", block.wrt[0]))
        assert_close(block_values(block, env, problem), central_differences(_nb2_reference, values, name),
                     rel=1e-6, what=f"gradient in {name}")


def test_negative_binomial_hessian_in_alpha_goes_through_the_trigamma_function():
    problem = symgd.parse(NB2, wrt=r"\alpha, \boldsymbol{\beta}", where=NB2_WHERE)
    values = _nb2_values(seed=2)
    env = _env(problem, values)
    hessian = symgd.hessian(problem)
    block = next(b for b in hessian.blocks if [str(w) for w in b.wrt] == ["alpha", "alpha"])

    def slope_in_alpha(v):
        return float(central_differences(_nb2_reference, v, "alpha", step=1e-4))

    assert_close(block_values(block, env, problem), central_differences(slope_in_alpha, values, "alpha", step=1e-3),
                 rel=1e-4, what="d2L/dalpha2")


def test_negative_binomial_generated_code_matches_the_reference():
    problem = symgd.parse(NB2, wrt=r"\alpha, \boldsymbol{\beta}", where=NB2_WHERE)
    generated = symgd.codegen(problem, hessian=True)
    assert "import scipy.special" in generated.source and "gammaln(" in generated.source
    module = generated.load()
    values = _nb2_values(seed=3)
    kwargs = {problem.argnames[s]: values[str(getattr(s, "label", s))] for s in problem.argnames}
    assert_close(module.loss(**kwargs), _nb2_reference(values), rel=1e-10, what="generated loss")
    grads = dict(zip([str(getattr(p, "label", p)) for p in problem.params], module.grad(**kwargs)))
    for name, grad in grads.items():
        assert_close(grad, central_differences(_nb2_reference, values, name), rel=1e-6, what=f"generated {name}")

    def slope_in_alpha(v):   # the generated hess(alpha, alpha) prints the trigamma scipy.special.polygamma(1, .)
        return float(central_differences(_nb2_reference, v, "alpha", step=1e-4))

    assert "polygamma(1, " in generated.source
    assert_close(module.hess(**kwargs)[0][0], central_differences(slope_in_alpha, values, "alpha", step=1e-3),
                 rel=1e-4, what="generated d2L/dalpha2")


def test_gamma_of_a_parameter_and_the_factorial_of_data():
    # a Poisson-gamma pair: L = sum_i (ln y_i! + Γ(w_i) - y_i ln w_i); Γ' = Γψ
    problem = symgd.parse(r"\sum_{i=1}^{n} \left(\ln y_i! + \Gamma(w_i) - y_i\ln w_i\right)", wrt="w")
    assert any(r"\Gamma(u) is the gamma function" in r for r in problem.readings)
    assert any(r"y_{i}! is the factorial" in r for r in problem.readings)

    def reference(v):
        w, y = v["w"], v["y"]
        return float(np.sum(gammaln(y + 1) + np.exp(gammaln(w)) - y * np.log(w)))

    values = {"w": np.linspace(0.6, 3.1, N), "y": np.arange(N, dtype=float)}
    env = {**values, "n": N}
    assert_close(objective_value(problem, env), reference(values), rel=1e-10, what="loss")
    block, = symgd.gradient(problem).blocks
    assert_close(block_values(block, env, problem), central_differences(reference, values, "w"), rel=1e-6,
                 what="gradient")
    module = symgd.codegen(problem).load()
    assert_close(module.grad(w=values["w"], y=values["y"]), central_differences(reference, values, "w"), rel=1e-6,
                 what="generated gradient")


def test_factorial_of_a_parameter_is_gamma_of_one_more():
    problem = symgd.parse(r"\frac{t!}{2} - 3t", wrt="t")
    block, = symgd.gradient(problem).blocks

    def reference(v):
        return float(np.exp(gammaln(v["t"] + 1)) / 2 - 3 * v["t"])

    values = {"t": 2.3}
    assert_close(block_values(block, values, problem), central_differences(reference, values, "t"), rel=1e-6)


def test_gamma_as_a_matrix_stays_a_matrix():
    # Tikhonov: \Gamma is a matrix wherever it is written as a name, and \Gamma(x - x_0) beside it is no call
    problem = symgd.parse(r"\|Ax - b\|^2 + \|\Gamma x\|^2", wrt="x")
    assert len(problem.shapes[next(s for s in problem.shapes if str(s) == "Gamma")]) == 2
    with pytest.raises(AmbiguityError, match=r"\\Gamma"):
        symgd.parse(r"\|\Gamma x\|^2 + \|\Gamma(x - x_0)\|^2", wrt="x")
    with pytest.raises(AmbiguityError, match=r"\\Gamma"):   # declared a matrix: no gamma function either
        symgd.parse(r"\|\Gamma(x - x_0)\|^2", wrt="x", where=r"\Gamma \in \mathbb{R}^{m \times n}")


def test_a_ragged_sum_of_anything_but_a_log_is_refused_naming_it():
    with pytest.raises(UnsupportedError, match="ragged sum"):
        symgd.parse(r"\sum_{i=1}^{n}\sum_{j=1}^{y_i} j w^2", wrt="w")
    with pytest.raises(UnsupportedError, match="ragged sum"):
        symgd.parse(r"\sum_{i=1}^{n}\sum_{j=0}^{y_i - 1}\ln(j w + 1)", wrt="w")


def test_a_named_reciprocal_is_read_by_its_name_in_generated_code():
    # 1/(1 + αμ_i) named by CSE was printed again as "/ (h2 + 1)" where a product used it, and that sum had
    # been computed in h2's buffer (h2 dying there): the generated gradient in α was silently wrong
    problem = symgd.parse(r"\sum_{i=1}^{n} \left(y_i\ln\mu_i - (y_i + \alpha^{-1})\ln(1 + \alpha\mu_i)\right)",
                          wrt=r"\alpha, \beta", where=r"\mu_i = \exp(x_i^T\beta)")

    def reference(v):
        mu = np.exp(v["x"] @ v["beta"])
        return float(np.sum(v["y"] * np.log(mu) - (v["y"] + 1 / v["alpha"]) * np.log(1 + v["alpha"] * mu)))

    values = {key: value for key, value in _nb2_values(seed=4).items()}
    module = symgd.codegen(problem).load()
    grads = module.grad(alpha=values["alpha"], beta=values["beta"], x=values["x"], y=values["y"])
    for name, grad in zip(("alpha", "beta"), grads):
        assert_close(grad, central_differences(reference, values, name), rel=1e-6, what=f"generated {name}")


def test_array_api_refuses_a_special_function_and_jax_spells_it():
    source = r"\sum_{i=1}^{n}\ln\Gamma(y_i + \alpha) - n\ln\Gamma(\alpha)"
    with pytest.raises(UnsupportedError, match="array API standard has no special functions"):
        symgd.codegen(source, wrt=r"\alpha", backend="array_api")
    text = symgd.codegen(source, wrt=r"\alpha", backend="jax").source
    assert "import jax.scipy.special" in text and "jax.scipy.special.gammaln(" in text


def test_text_syntax_spells_log_gamma_lgamma_and_digamma():
    problem = symgd.parse("sum(lgamma(y + a) - a .* digamma(y))", wrt="a", where="y: R^n")

    def reference(v):
        return float(np.sum(gammaln(v["y"] + v["a"]) - v["a"] * digamma(v["y"])))

    values = {"a": np.linspace(0.4, 2.2, N), "y": np.arange(1, N + 1, dtype=float)}
    block, = symgd.gradient(problem).blocks
    assert_close(block_values(block, {**values, "n": N}, problem), central_differences(reference, values, "a"),
                 rel=1e-6)


def test_a_ragged_sum_of_ln_j_is_the_log_factorial():
    problem = symgd.parse(r"\sum_{i=1}^{n}\left(\sum_{j=1}^{y_i}\ln j - y_i\ln w\right)", wrt="w")

    def reference(v):   # ln y_i! as a loop over j = 1..y_i
        return float(sum(sum(np.log(j) for j in range(1, int(y) + 1)) - y * np.log(v["w"]) for y in v["y"]))

    values = {"w": 1.7, "y": np.array([0, 1, 4, 2, 6, 3, 5], dtype=float)}
    env = {**values, "n": N}
    assert_close(objective_value(problem, env), reference(values), rel=1e-10, what="loss")
    block, = symgd.gradient(problem).blocks
    assert_close(block_values(block, env, problem), central_differences(reference, values, "w"), rel=1e-6)
