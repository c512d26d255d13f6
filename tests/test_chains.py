"""Chains of definitions in a loss's head: ``A = B = ... = E`` (also ``\\equiv``, ``:=``), issue 9.

The last member is the definition; earlier members that are names, function heads, a named divergence
or a probability name it (a reading says so). An earlier member that symgd reads as a concrete value
must agree with the last at random points, else an AmbiguityError names the two members. Each loss is
checked against a NumPy reference written from what the source means.
"""

import numpy as np
import pytest

import symgd
from helpers import check_at_point, random_env
from symgd.errors import AmbiguityError, ParseError, UnsupportedError


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def check(problem, reference, arguments: dict, seed: int = 3, positive: tuple = ()) -> None:
    """Loss and gradient against the reference (arguments: reference name -> symbol name; ``positive``: the
    reference names drawn in (0.1, 0.9), probabilities)."""
    env = random_env(problem, seed=seed)
    rng = np.random.default_rng(seed)
    for written in positive:
        name = arguments[written]
        env[name] = rng.uniform(0.1, 0.9, size=np.shape(env[name])) if np.ndim(env[name]) else rng.uniform(0.1, 0.9)
    check_at_point(problem, reference, arguments, env)


def chain_reading(problem) -> str:
    (reading,) = [r for r in problem.readings if " is read; " in r and "the other" in r or "agree" in r]
    return reading


# -- the last member is read; names before it name it ---------------------------------------------

def test_names_before_the_definition_name_it():
    problem = symgd.parse(r"L(w) = J = \sum_i (x_i^\top w - y_i)^2", wrt="w")
    check(problem, lambda x, y, w: np.sum((x @ w - y) ** 2), {"x": "x", "y": "y", "w": "w"})
    reading = chain_reading(problem)
    assert reading.startswith(r"L\left(w\right) = J = \sum") and reading.endswith(": the last form is read; the others name it")


def test_a_probability_in_a_chain_names_the_written_out_loss():
    # the scikit-learn User Guide, Sec. 3.4.4.13: L_log(Y, P) = -log Pr(Y|P) = -1/N sum_i sum_k y_ik log p_ik
    problem = symgd.parse(r"L_{\log}(Y, P) = -\log \operatorname{Pr}(Y|P) = - \frac{1}{N} \sum_{i=0}^{N-1}"
                          r" \sum_{k=0}^{K-1} y_{i,k} \log p_{i,k}", wrt="p")
    check(problem, lambda y, p: -np.sum(y * np.log(p)) / y.shape[0], {"y": "y", "p": "p"}, positive=("p",))
    reading = chain_reading(problem)
    assert reading.endswith(": the last form is read; the others name it")
    assert reading.startswith(r"L_{\mathrm{log}}\left(Y, P\right) = -\log\left(\operatorname{Pr}(Y|P)\right) = ")


def test_a_function_head_abbreviated_by_a_subscripted_name():
    # Burges et al. (2005), Sec. 3: C_ij == C(o_ij) = -Pbar_ij log P_ij - (1 - Pbar_ij) log(1 - P_ij)
    problem = symgd.parse(r"C_{ij} \equiv C(o_{ij}) = -\bar{P}_{ij}\log P_{ij} - (1 - \bar{P}_{ij})\log(1 - P_{ij})",
                          wrt="o_{ij}", where=r"P_{ij} \equiv \frac{e^{o_{ij}}}{1 + e^{o_{ij}}}")
    check(problem, lambda o, t: -t * np.log(sigmoid(o)) - (1 - t) * np.log(1 - sigmoid(o)),
          {"o": "o_ij", "t": "Pbar_ij"}, positive=("t",))
    assert "the others name it" in chain_reading(problem) or "the other names it" in chain_reading(problem)


@pytest.mark.parametrize("relation", ["=", r"\equiv", ":=", r"\doteq", r"\overset{\text{def}}{=}", r"\stackrel{\Delta}{=}",
                                      r"\triangleq"])
def test_equiv_in_a_where_definition_reads_as_equals(relation):
    problem = symgd.parse(r"L(w) = \sum_i (s_i - y_i)^2", wrt="w", where=r"s_i %s \tanh(x_i^\top w)" % relation)
    check(problem, lambda x, y, w: np.sum((np.tanh(x @ w) - y) ** 2), {"x": "x", "y": "y", "w": "w"})


def test_a_call_of_a_function_defined_nowhere_names_the_value():
    # CS229: h_theta(x) = g(theta^T x) = 1/(1 + e^{-theta^T x}); g is defined nowhere
    problem = symgd.parse(r"J(\theta) = \sum_i (h(x_i) - y_i)^2", wrt=r"\theta",
                          where=r"h_\theta(x) = g(\theta^Tx) = \frac{1}{1 + e^{-\theta^Tx}}")
    check(problem, lambda x, y, t: np.sum((sigmoid(x @ t) - y) ** 2), {"x": "x", "y": "y", "t": "theta"})
    assert "the others name it" in chain_reading(problem)


def test_a_density_written_last_names_the_form_before_it():
    # PRML (4.90) written the other way round: E(w) = -sum_n {t_n ln y_n + (1 - t_n) ln(1 - y_n)} = -ln p(t|w)
    problem = symgd.parse(r"E(\mathbf{w}) = -\sum_{n=1}^{N}\left\{t_n\ln y_n + (1 - t_n)\ln(1 - y_n)\right\}"
                          r" = -\ln p(\mathbf{t}|\mathbf{w})", wrt="w", where=r"y_n = \sigma(\mathbf{w}^T\phi_n)")
    check(problem, lambda t, phi, w: -np.sum(t * np.log(sigmoid(phi @ w)) + (1 - t) * np.log(1 - sigmoid(phi @ w))),
          {"t": "t", "phi": "phi", "w": "w"})
    assert "(the last form names a density) is read; the others name it" in chain_reading(problem)


# -- concrete members must agree ----------------------------------------------------------------

def test_an_agreeing_chain_is_read_and_the_agreement_said():
    problem = symgd.parse(r"L(w) = \|Xw - y\|^2 = (Xw - y)^\top(Xw - y)", wrt="w")
    check(problem, lambda X, y, w: np.sum((X @ w - y) ** 2), {"X": "X", "y": "y", "w": "w"})
    assert "agrees with it at random points" in chain_reading(problem)


def test_a_sigmoid_spelled_twice_agrees():
    problem = symgd.parse(r"L(w) = \sum_i \log(1 + e^{-y_i x_i^\top w}) = -\sum_i \log\sigma(y_i x_i^\top w)", wrt="w")
    check(problem, lambda x, y, w: np.sum(np.log1p(np.exp(-y * (x @ w)))), {"x": "x", "y": "y", "w": "w"})


@pytest.mark.parametrize("source, where, first, last", [
    (r"L(w) = \|Xw - y\|^2 = \frac{1}{2}\|Xw - y\|^2", None, r"\left\|X w - y\right\|^{2}",
     r"\frac{1}{2} \left\|X w - y\right\|^{2}"),
    (r"L(w) = \sum_i (x_i^\top w - y_i)^2 = \sum_i |x_i^\top w - y_i|", None, r"\sum", r"\left|"),
    # a chain in the where-text: the loss read with each spelling of sigma
    (r"L(w) = \sum_i \sigma(x_i^T w)", r"\sigma(z) = \frac{1}{1+e^{-z}} = \frac{e^{-z}}{1+e^z}", r"\frac{1}{1 + e^{-z}}",
     r"\frac{e^{-z}}{1 + e^{z}}"),
    # a call of a function the source defines is a concrete spelling, not a name
    (r"L(w) = f(w) = \|w\|^2", r"f(w) = \|w\|_1", r"f\left(w\right)", r"\left\|w\right\|^{2}"),
])
def test_a_disagreeing_chain_is_ambiguous_and_names_both_members(source, where, first, last):
    with pytest.raises(AmbiguityError, match="differ") as info:
        symgd.parse(source, wrt="w", where=where)
    message = str(info.value)
    assert first in message and last in message, message


def test_members_read_with_different_symbols_are_ambiguous():
    with pytest.raises(AmbiguityError, match="different symbols"):
        symgd.parse(r"L(w) = \|Xw - y\|^2 = \|Zw - y\|^2", wrt="w")


# -- what stays refused -------------------------------------------------------------------------

def test_a_probability_outside_a_chain_is_still_refused():
    with pytest.raises(UnsupportedError, match=r"probabilities \\Pr"):
        symgd.parse(r"-\log\Pr(y|x) + \|w\|^2", wrt="w")
    with pytest.raises(UnsupportedError, match=r"probabilities \\Pr"):
        symgd.parse(r"\Pr(y = 1) + \|w\|^2", wrt="w")


def test_a_bad_chain_keeps_the_parse_error_position():
    with pytest.raises(ParseError) as info:
        symgd.parse(r"L(w) = \|w\|^2 = + )", wrt="w")
    assert info.value.line == 1 and info.value.column > 0 and "^" in str(info.value)


def test_a_value_on_the_diagonal_is_refused_by_name():
    # van der Maaten & Hinton (2008), Sec. 3: p_ii = q_ii = 0 (the diagonal terms of the KL vanish by 0 log 0 = 0);
    # read as a definition of a name p_ii, the statement was silently unused
    with pytest.raises(UnsupportedError, match=r"p_\{i i\} = 0: a value on the diagonal"):
        symgd.parse(r"C = KL(P\|Q) = \sum_i\sum_j p_{ij}\log\frac{p_{ij}}{q_{ij}}", wrt="y",
                    where=r"q_{ij} = \frac{(1 + \|y_i - y_j\|^2)^{-1}}{\sum_{k \neq l}(1 + \|y_k - y_l\|^2)^{-1}},"
                          r" \quad p_{ii} = 0, \quad q_{ii} = 0")


def test_members_that_differ_in_the_case_of_a_name_are_compared_with_the_names_matched():
    # ESL: RSS(beta) = sum_i (y_i - x_i^T beta)^2 = (y - X beta)^T (y - X beta): x_i are the rows of X
    problem = symgd.parse(r"\mathrm{RSS}(\beta) = \sum_{i=1}^{N}(y_i - x_i^T\beta)^2 = (\mathbf{y} - \mathbf{X}\beta)^T"
                          r"(\mathbf{y} - \mathbf{X}\beta)", wrt=r"\beta")
    check(problem, lambda X, y, b: np.sum((y - X @ b) ** 2), {"X": "X", "y": "y", "b": "beta"})
    assert "agrees with it at random points (reading x as X, N as n)" in chain_reading(problem)
    with pytest.raises(AmbiguityError, match="differ"):
        symgd.parse(r"\mathrm{RSS}(\beta) = \sum_{i=1}^{N}(y_i - 2x_i^T\beta)^2 = (\mathbf{y} - \mathbf{X}\beta)^T"
                    r"(\mathbf{y} - \mathbf{X}\beta)", wrt=r"\beta")


def test_a_name_the_source_defines_elsewhere_is_a_spelling_to_check():
    with pytest.raises(AmbiguityError, match="differ"):
        symgd.parse(r"L(w) = J = \|w\|^2", wrt="w", where=r"J = \|w\|_1")
    problem = symgd.parse(r"L(w) = J = \|w\|^2", wrt="w", where=r"J = w^\top w")
    check(problem, lambda w: np.sum(w ** 2), {"w": "w"})


def test_a_mark_over_something_else_than_equals_is_a_parse_error_with_its_position():
    with pytest.raises(ParseError) as info:
        symgd.parse(r"L(w) \overset{a}{b} \|w\|^2", wrt="w")
    assert (info.value.line, info.value.column) == (1, 6) and "only over =" in str(info.value)


def test_a_chain_of_definition_signs_reads_as_a_chain():
    problem = symgd.parse(r"L(w) \overset{\mathrm{def}}{=} J(w) \doteq \sum_i (x_i^\top w - y_i)^2", wrt="w")
    check(problem, lambda x, y, w: np.sum((x @ w - y) ** 2), {"x": "x", "y": "y", "w": "w"})
    assert chain_reading(problem).endswith("the last form is read; the others name it")


# -- a chain after \min / \max / minimize --------------------------------------------------------

def test_a_chain_after_min_reads_its_last_member_and_checks_the_others():
    problem = symgd.parse(r"\min_w L(w) = J(w) = \frac{1}{2}\|Xw - y\|^2")
    check(problem, lambda X, y, w: 0.5 * np.sum((X @ w - y) ** 2), {"X": "X", "y": "y", "w": "w"})
    assert chain_reading(problem).endswith("the last form is read; the others name it")
    with pytest.raises(AmbiguityError, match="differ"):
        symgd.parse(r"\min_w L(w) = \|Xw - y\|^2 = \frac{1}{2}\|Xw - y\|^2")


def test_a_chain_after_max_is_negated_once():
    problem = symgd.parse(r"\max_w L(w) = J(w) = -\|w - c\|^2")
    check(problem, lambda w, c: np.sum((w - c) ** 2), {"w": "w", "c": "c"})
    assert problem.sense == "max"


def test_a_chain_defining_a_constraint_is_checked_through_the_constraint():
    source = r"\min_x \|x - c\|^2 \quad \text{s.t.} \quad g(x) \le 0"
    problem = symgd.parse(source, wrt="x", where=r"g(x) = \|x\|^2 - 1 = x^\top x - 1")
    assert "agrees with it at random points" in chain_reading(problem)
    with pytest.raises(AmbiguityError, match="constraints"):
        symgd.parse(source, wrt="x", where=r"g(x) = \|x\|^2 - 1 = x^\top x - 2")
