"""Checking hand derivations: verdicts, methods, diagnoses of the usual slips, multi-step chains.

No false claim may be reported correct and no correct claim incorrect (each row says which).
"""

import subprocess
import sys

import pytest

import symgd

LS = r"\frac{1}{2n}\|Xw - y\|_2^2 \quad X \in \mathbb{R}^{n \times d}"
RIDGE = r"\frac{1}{2}\|Xw - y\|_2^2 + \lambda\|w\|^2 \quad X \in \mathbb{R}^{n \times d}"
LOGISTIC = r"-\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]"
SOFTPLUS = r"\sum_{i=1}^{n} \log(1 + \exp(-y_i w^\top x_i))"
QUADRATIC = r"\frac{1}{2}x^\top A x - b^\top x"
HINGE = r"\frac{\lambda}{2}\|w\|^2 + \frac{1}{n}\sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)"
LOGDET = r"\operatorname{tr}(S\Theta) - \log\det\Theta"
SCALAR = r"L(\theta) = (\theta - 3)^2"

CORRECT = [
    (LS, "w", r"\frac{\partial L}{\partial w} = \frac{1}{n} X^\top (Xw - y)"),
    (LS, "w", r"\nabla_w L = \frac{1}{n} X^\top (Xw - y)"),
    (LS, "w", r"\frac{1}{n} X^\top (Xw - y)"),
    (LS, "w", r"-\frac{1}{n} X^\top (y - Xw)"),
    (LS, "w", r"\frac{1}{n}(X^\top X w - X^\top y)"),
    (LS, "w", r"\frac{1}{n} \sum_{i=1}^{n} (X_{i}^\top w - y_i) X_{i}"),
    (LS, "w", r"\frac{\partial L}{\partial w_k} = \frac{1}{n}\sum_{i=1}^{n} (\sum_{j=1}^{d} X_{ij} w_j - y_i) X_{ik}"),
    (RIDGE, "w", r"X^\top (Xw - y) + 2\lambda w"),
    (LOGISTIC, "w", r"\sum_{i=1}^{n} (\sigma(w^\top x_i) - y_i) x_i"),
    (SOFTPLUS, "w", r"\sum_{i=1}^{n} -y_i \sigma(-y_i w^\top x_i) x_i"),
    (SOFTPLUS, "w", r"-\sum_{i=1}^{n} y_i (1 - \sigma(y_i w^\top x_i)) x_i"),
    (QUADRATIC, "x", r"\frac{1}{2}(A + A^\top) x - b"),
    (QUADRATIC, "x", r"\frac{\partial^2 L}{\partial x \partial x^\top} = \frac{1}{2}(A + A^\top)"),
    (LOGDET, r"\Theta", r"S^\top - \Theta^{-\top}"),
    (SCALAR, None, r"2(\theta - 3)"),
    (SCALAR, None, r"2\theta - 6"),
    (SCALAR, None, r"\theta_{t+1} = \theta_t - \eta \cdot 2(\theta_t - 3)"),
    (SCALAR, None, r"\theta \leftarrow \theta - \gamma (2\theta - 6)"),
    (LS, "w", r"\frac{1}{2n} \sum_{i=1}^{n} (X_{i}^\top w - y_i)^2"),   # a second loss claimed equal
]


@pytest.mark.parametrize("source, wrt, claim", CORRECT)
def test_correct_claims_are_reported_correct(source, wrt, claim):
    result = symgd.check(source, claim, wrt=wrt)
    assert result.ok, (result.verdict, result.diagnosis)
    assert result.verdict.startswith("correct")
    assert result.method == "symbolic" or result.method.startswith("numeric at")


INCORRECT = [
    (LS, "w", r"\frac{1}{2n} X^\top (Xw - y)", "the factor 2 from the square is missing"),
    (LS, "w", r"-\frac{1}{n} X^\top (Xw - y)", "the sign is flipped"),
    (LS, "w", r"\frac{1}{n} X (Xw - y)", "a transpose is missing"),
    (LS, "w", r"\frac{1}{n} (Xw - y)^\top X", "row vector"),
    (LS, "w", r"\frac{2}{n} X^\top (Xw - y)", "2 times"),
    (RIDGE, "w", r"X^\top (Xw - y)", r"the term 2 \lambda w is missing (the regularizer's gradient)"),
    (LOGISTIC, "w", r"\sum_{i=1}^{n} (y_i - \sigma(w^\top x_i)) x_i", "the sign is flipped"),
    (r"\sum_{i=1}^{n} \sigma(w^\top x_i)", "w", r"\sum_{i=1}^{n} \sigma(w^\top x_i) x_i", "σ'(z) was written as σ(z)"),
    (r"\sigma(\theta)^2", r"\theta", r"2 \sigma(\theta) \sigma(\theta)", "σ'(z) was written as σ(z)"),
    (QUADRATIC, "x", r"A x - b", "holds only for symmetric matrices"),
    (LS, "w", r"X^\top (Xw - y)", "the 1/n was dropped"),
    (SCALAR, None, r"\theta_{t+1} = \theta_t + \eta \cdot 2(\theta_t - 3)", "gradient ascent"),
    (SCALAR, None, r"(\theta - 3)", "1/2 times"),
]


@pytest.mark.parametrize("source, wrt, claim, finding", INCORRECT)
def test_incorrect_claims_are_reported_with_their_slip(source, wrt, claim, finding):
    result = symgd.check(source, claim, wrt=wrt)
    assert not result.ok
    assert result.verdict == "incorrect"
    assert any(finding in item for item in result.diagnosis), result.diagnosis


def test_inverted_notation_is_incorrect_even_with_the_right_gradient():
    result = symgd.check(LS, r"\frac{\partial w}{\partial L} = \frac{1}{n} X^\top (Xw - y)", wrt="w")
    assert not result.ok and result.verdict == "incorrect"
    assert "inverted" in result.diagnosis[0]
    assert any("the right-hand side is the gradient" in finding for finding in result.diagnosis)


def test_inverted_notation_with_a_wrong_right_hand_side_names_both_slips():
    result = symgd.check(QUADRATIC, r"\frac{\partial x}{\partial f} = 2 A x - b", wrt="x")
    assert not result.ok and "inverted" in result.diagnosis[0]
    assert not any("the right-hand side is the gradient" in finding for finding in result.diagnosis)


def test_update_rule_without_step_size():
    result = symgd.check(SCALAR, r"\theta \leftarrow \theta - 2(\theta - 3)")
    assert result.ok and result.verdict == "correct"
    assert any("no step size: it is a gradient-descent step of size 1" in note for note in result.diagnosis)


def test_counterexample_has_sizes_and_both_values():
    result = symgd.check(LS, r"\frac{1}{2n} X^\top (Xw - y)", wrt="w")
    example = result.counterexample
    assert set(example) >= {"sizes", "entry", "claimed", "expected"}
    assert example["claimed"] == pytest.approx(example["expected"] / 2)
    assert example["sizes"]["n"] != example["sizes"]["d"]


def test_kink_gives_correct_where():
    lasso = r"\frac{1}{2}\|Xw - y\|_2^2 + \lambda\|w\|_1 \quad X \in \mathbb{R}^{n \times d}"
    result = symgd.check(lasso, r"X^\top (Xw - y) + \lambda \operatorname{sign}(w)", wrt="w")
    assert result.ok
    assert result.verdict.startswith("correct where the loss is differentiable")
    assert "w_j = 0" in result.verdict


def test_missing_hinge_part_is_never_called_correct():
    result = symgd.check(HINGE, r"\lambda w", wrt="w")
    assert not result.ok


def test_multi_step_logistic_derivation_with_a_wrong_middle_step():
    derivation = r"""\begin{align*}
\frac{\partial L}{\partial w} &= -\sum_{i=1}^{n} \left[y_i (1 - \sigma(w^\top x_i)) x_i - (1 - y_i)\sigma(w^\top x_i) x_i\right] \\
&= -\sum_{i=1}^{n} \left[y_i x_i + \sigma(w^\top x_i) x_i\right] \\
&= \sum_{i=1}^{n} (\sigma(w^\top x_i) - y_i) x_i
\end{align*}"""
    result = symgd.check(LOGISTIC, derivation, wrt="w")
    assert [step.follows for step in result.steps] == [True, False, False]
    assert result.diagnosis[0].startswith("line 3:")
    assert "the last line is the right gradient" in result.diagnosis[0]
    assert not result.ok and result.verdict == "incorrect"   # a step that does not follow breaks the derivation


def test_chain_on_one_line():
    result = symgd.check(SCALAR, r"2(\theta - 3) = 2\theta - 6")
    assert result.ok and len(result.steps) == 2 and all(step.follows for step in result.steps)
    wrong = symgd.check(SCALAR, r"2(\theta - 3) = 2\theta - 3")
    assert not wrong.ok and [step.follows for step in wrong.steps] == [True, False]


def test_claim_with_unknown_symbol_is_a_clear_error():
    with pytest.raises(symgd.UnsupportedError, match="z"):
        symgd.check(LS, r"X^\top z", wrt="w")


def test_cli_exit_codes():
    def run(claim):
        return subprocess.run([sys.executable, "-m", "symgd", "check", LS, "--wrt", "w", "--claim", claim],
                              capture_output=True, text=True)
    good = run(r"\frac{1}{n} X^\top (Xw - y)")
    assert good.returncode == 0 and good.stdout.startswith("correct")
    bad = run(r"\frac{1}{2n} X^\top (Xw - y)")
    assert bad.returncode == 1 and bad.stdout.startswith("incorrect")
    assert "factor 2" in bad.stdout and "expected:" in bad.stdout
    error = run(r"\frac{1}{n} X^\top (")
    assert error.returncode == 2


def test_a_wrong_middle_step_with_a_right_end_on_one_line_is_incorrect():
    result = symgd.check(SCALAR, r"\frac{\partial L}{\partial \theta} = 2(\theta - 3) = 2\theta - 3 = 2\theta - 6")
    assert not result.ok and result.verdict == "incorrect"
    assert [step.follows for step in result.steps] == [True, False, False]
    assert result.diagnosis[0].startswith("line 1: the step 2 \\theta - 3 does not follow")


LEAST_SQUARES_ENTRIES = r"\frac12\sum_{i=1}^{n}(\sum_{k=1}^{d} A_{ik}v_k - b_i)^2"


@pytest.mark.parametrize("free, bound", [("j", "k"), ("p", "q"), ("k", "j"), ("j", "i"), ("l", "m")])
def test_a_free_index_captured_by_a_sum_is_never_correct(free, bound):
    # A_{i free} inside the sum over `bound`: renaming free onto bound would turn it into A_{i bound}
    claim = (r"\frac{\partial L}{\partial v_%s} = \sum_{r=1}^{n} A_{r%s}(\sum_{%s=1}^{d} A_{r%s} v_%s - b_r)"
             % (free, free, bound, free, bound))
    result = symgd.check(LEAST_SQUARES_ENTRIES, claim, wrt="v")
    assert not result.ok
    right = claim.replace(r"A_{r%s} v_%s" % (free, bound), r"A_{r%s} v_%s" % (bound, bound))
    assert symgd.check(LEAST_SQUARES_ENTRIES, right, wrt="v").ok


@pytest.mark.parametrize("letter", list("kjilmpqrstabcgh"))
def test_the_students_index_letter_is_theirs_to_choose(letter):
    claim = r"\nabla_w \mathcal{L} = \sum_{%s=1}^{n}(\sigma(w^\top x_%s) - y_%s) x_%s" % ((letter,) * 4)
    result = symgd.check(LOGISTIC, claim, wrt="w")
    assert result.ok and result.method == "symbolic", (result.verdict, result.diagnosis)
    wrong = symgd.check(LOGISTIC, claim.replace("- y", "+ y"), wrt="w")
    assert not wrong.ok


@pytest.mark.parametrize("free, bound", [("k", "i"), ("j", "i"), ("i", "k"), ("l", "j"), ("k", "j")])
def test_entry_wise_claims_with_any_letters(free, bound):
    claim = (r"\frac{\partial L}{\partial w_%s} = \frac{1}{n}\sum_{%s=1}^{n} (X_{%s}^\top w - y_%s) X_{%s%s}"
             % (free, bound, bound, bound, bound, free))
    result = symgd.check(LS, claim, wrt="w")
    assert result.ok, (result.verdict, result.diagnosis)


@pytest.mark.parametrize("source, claim, slip", [
    (LEAST_SQUARES_ENTRIES, r"\frac{\partial L}{\partial v_j} = \sum_{i=1}^{n} A_{ij}(\sum_{k=1}^{d} A_{ik} v_k - b_i)",
     r"\frac{\partial L}{\partial v_j} = \sum_{i=1}^{n} A_{ij}(\sum_{k=1}^{d} A_{ij} v_k - b_i)"),
    (r"\log\sum_{k=1}^{K}\exp(z_k)", r"\nabla_z L = \operatorname{softmax}(z)", r"\nabla_z L = \exp(z)"),
    (r"\tanh^2(w^\top x)", r"w \leftarrow w - \eta\, 2\tanh(w^\top x)(1 - \tanh^2(w^\top x)) x",
     r"w \leftarrow w - \eta\, 2\tanh(w^\top x) x"),
])
def test_the_claim_names_the_parameter_the_source_leaves_open(source, claim, slip):
    with pytest.raises(symgd.AmbiguityError):
        symgd.parse(source)
    assert symgd.check(source, claim).ok
    assert not symgd.check(source, slip).ok
    with pytest.raises(symgd.AmbiguityError):   # a claim that names no parameter does not guess
        symgd.check(source, r"2")


def test_the_command_line_takes_the_parameter_from_the_claim():
    claim = r"\frac{\partial L}{\partial v_j} = \sum_{i=1}^{n} A_{ij}(\sum_{k=1}^{d} A_{ik} v_k - b_i)"
    done = subprocess.run([sys.executable, "-m", "symgd", "check", LEAST_SQUARES_ENTRIES, "--claim", claim],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("correct"), done.stdout + done.stderr


RIDGE_HALF = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 + \frac{\lambda}{2}\|w\|^2 \quad X \in \mathbb{R}^{n \times d}"


@pytest.mark.parametrize("source, claim, right", [
    (LS, r"w^* = (X^\top X)^{-1} X^\top y", True),
    (LS, r"\hat{w} = (X^\top X)^{-1} X^\top y", True),
    (LS, r"w = (X^\top X)^{-1} X^\top y", True),
    (LS, r"w^* = (X^\top X)^{-1} X^\top y + \mathbf{1}", False),
    (RIDGE_HALF, r"w^\star = (X^\top X + \lambda I)^{-1} X^\top y", True),
    (RIDGE_HALF, r"\hat w = (X^\top X + 2\lambda I)^{-1} X^\top y", False),
    (RIDGE_HALF, r"\hat w = (X^\top X + \lambda I)^{-1} X^\top y = X^\top (X X^\top + \lambda I)^{-1} y", True),
])
def test_a_claimed_minimiser_is_checked_by_its_gradient(source, claim, right):
    # the normal equations solved, as homework writes them: the gradient must vanish at the point
    result = symgd.check(source, claim, wrt="w")
    assert result.ok is right, (result.verdict, result.diagnosis)
    assert any("stationary point" in finding for finding in result.diagnosis)


def test_a_minimiser_with_a_wrong_middle_step_is_incorrect():
    claim = r"\hat w = (X^\top X + \lambda I)^{-1} X^\top y = (X^\top X)^{-1} X^\top y = (X^\top X + \lambda I)^{-1} X^\top y"
    result = symgd.check(RIDGE_HALF, claim)
    assert not result.ok and result.diagnosis[0].startswith("line 1: the step")


def test_setting_the_gradient_to_zero_ends_a_derivation():
    result = symgd.check(LS, r"\nabla_w L = \frac{1}{n} X^\top (Xw - y) = 0", wrt="w")
    assert result.ok and any("stationary point" in finding for finding in result.diagnosis)
    wrong = symgd.check(LS, r"\nabla_w L = \frac{2}{n} X^\top (Xw - y) = \mathbf{0}", wrt="w")
    assert not wrong.ok and any("2 times" in finding for finding in wrong.diagnosis)
    with pytest.raises(symgd.UnsupportedError, match="only sets the gradient to zero"):
        symgd.check(LS, r"\nabla_w L = 0", wrt="w")


def test_a_scalar_after_a_gradient_head_is_not_read_as_a_loss():
    result = symgd.check(LS, r"\nabla_w L = \frac{1}{2n}\|Xw - y\|^2", wrt="w")
    assert not result.ok and not any("times the loss" in finding for finding in result.diagnosis)
    assert any("shape ()" in finding for finding in result.diagnosis), result.diagnosis


def test_closing_punctuation_and_spacing_are_ignored():
    assert symgd.check(LS, r"\nabla_w L = \frac{1}{n} X^\top (Xw - y)\,.", wrt="w").ok
    assert symgd.check(LS, r"\nabla_w L = \frac{1}{n} X^\top (Xw - y) \quad ,", wrt="w").ok
