"""Checking claims written in the student's own notation: update rules (:=, \\leftarrow, = as an
assignment, step sizes the loss does not have, derivative notation inside), entry-wise claims on
matrix parameters, the sample count and data written another way, the identity.

Every claim here is also checked wrong when a slip is made in it, so no row passes by accepting everything.
"""

import pytest

import symgd

SEED_SCALAR = r"""L(\theta) = (\theta - 3)^2
\theta_{n+1} = \theta_n - \gamma\nabla L(\theta_n)
\quad \text{where} \quad \theta \in \mathbb{R}, \quad \gamma > 0"""
LOGDET = r"""L(\Theta) = \operatorname{tr}(S\Theta) - \log\det\Theta
\quad \text{where} \quad S \in \mathbb{R}^{p \times p}, \quad \Theta \in \mathbb{R}^{p \times p}"""
LS = r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2 \quad X \in \mathbb{R}^{n \times d}"
LS_ROWS = r"L(w) = \frac{1}{2n}\sum_{i=1}^{n}(w^\top x_i - y_i)^2"
CS229 = r"J(\theta) = \frac{1}{2m}\sum_{i=1}^{m}(\theta^\top x^{(i)} - y^{(i)})^2"
RIDGE = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 + \frac{\lambda}{2}\|w\|^2 \quad X \in \mathbb{R}^{n \times d}"
SOFTMAX = r"""L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}
\quad \text{where} \quad W \in \mathbb{R}^{K \times d}, \quad x_i \in \mathbb{R}^{d}, \quad Y \in \mathbb{R}^{n \times K}"""
MATRIX = r"L(W) = \frac{1}{2}\|XW - Y\|_F^2 \quad X \in \mathbb{R}^{n \times d}, W \in \mathbb{R}^{d \times K}"

# (source, claim, a slip of the claim, a phrase the correct claim's diagnosis must hold)
UPDATES = [
    (SEED_SCALAR, r"\theta_{n+1}=\theta_n-\gamma \nabla L(\theta_n)", r"\theta_{n+1}=\theta_n+\gamma \nabla L(\theta_n)",
     "correct by definition"),
    (SEED_SCALAR, r"\theta_{t+1} = \theta_t - \eta \nabla_\theta J", r"\theta_{t+1} = \theta_t - \eta \theta_t",
     "\\eta is read as the step size"),
    (SEED_SCALAR, r"\theta := \theta - \alpha \cdot 2(\theta - 3)", r"\theta := \theta - \alpha \cdot (\theta - 3)",
     "\\alpha is read as the step size"),
    (SEED_SCALAR, r"\theta := \theta - 2(\theta - 3)", r"\theta := \theta - 2(\theta + 3)", "step of size 1"),
    (SEED_SCALAR, r"\theta \leftarrow \theta - \epsilon \frac{\partial L}{\partial \theta}",
     r"\theta \leftarrow \theta - \epsilon \frac{\partial \theta}{\partial L}", "correct by definition"),
    (SEED_SCALAR, r"\theta^{(t+1)} = \theta^{(t)} - \eta \frac{\partial L}{\partial \theta}(\theta^{(t)})",
     r"\theta^{(t+1)} = \theta^{(t)} - \eta \frac{\partial L}{\partial \theta}(\theta^{(t)}) - \eta",
     "correct by definition"),
    (LOGDET, r"\Theta_{ij} = \Theta_{ij} - \frac{\partial L}{\partial \Theta_{ij}}",
     r"\Theta_{ij} = \Theta_{ij} - \frac{\partial L}{\partial \Theta_{ji}} - S_{ij}", "= is read as an assignment"),
    (LS, r"w := w - \alpha \frac{1}{n} X^\top (Xw - y)", r"w := w - \alpha \frac{1}{n} X^\top (Xw + y)",
     "\\alpha is read as the step size"),
    (LS, r"w \leftarrow w - \eta \frac{1}{N} X^\top (Xw - y)", r"w \leftarrow w - \eta X^\top (Xw - y)",
     "N is read as n"),
    (LS, r"w_j := w_j - \alpha \frac{1}{m}\sum_{i=1}^{m}(x_i^\top w - y_i)X_{ij}",
     r"w_j := w_j - \alpha \frac{1}{m}\sum_{i=1}^{m}(x_i^\top w - y_i)X_{ji}", "m is read as n"),
    (CS229, r"\theta_j := \theta_j - \alpha \frac{1}{m}\sum_{i=1}^{m}(\theta^\top x^{(i)} - y^{(i)})x_j^{(i)}",
     r"\theta_j := \theta_j - \alpha \sum_{i=1}^{m}(\theta^\top x^{(i)} - y^{(i)})x_j^{(i)}", "step size"),
    (CS229, r"\theta := \theta - \alpha \frac{1}{m} X^\top (X\theta - y)",
     r"\theta := \theta - \alpha \frac{1}{m} X (X\theta - y)", "X is read as x"),
    (MATRIX, r"W := W - \eta X^\top (XW - Y)", r"W := W - \eta X^\top (XW - Y)^\top", "step size"),
]


@pytest.mark.parametrize("source, claim, slip, note", UPDATES)
def test_update_rules_in_the_students_notation(source, claim, slip, note):
    result = symgd.check(source, claim)
    assert result.ok and result.verdict == "correct", (result.verdict, result.diagnosis)
    assert any(note in finding for finding in result.diagnosis), result.diagnosis
    try:
        wrong = symgd.check(source, slip)
    except symgd.SymgdError as error:   # a slip may also make the shapes or names fail
        pytest.fail(f"the slip raised {error}")
    assert not wrong.ok


def test_gradient_ascent_is_named():
    result = symgd.check(SEED_SCALAR, r"\theta_{n+1}=\theta_n+\gamma \nabla L(\theta_n)")
    assert not result.ok and any("gradient ascent" in finding for finding in result.diagnosis)


def test_the_step_size_must_scale_the_whole_step():
    result = symgd.check(LS, r"w := w - \alpha \frac{1}{n} X^\top X w + \frac{1}{n} X^\top y")
    assert not result.ok and any("does not multiply the whole step" in finding for finding in result.diagnosis)


def test_a_dropped_one_over_m_in_an_update_is_named():
    result = symgd.check(CS229, UPDATES[10][2])
    assert any("the 1/m was dropped" in finding for finding in result.diagnosis), result.diagnosis


ENTRY_WISE = [
    (LOGDET, r"\frac{\partial L}{\partial \Theta_{ij}} = S_{ji} - (\Theta^{-\top})_{ij}", None),
    (LOGDET, r"\frac{\partial L}{\partial \Theta_{jk}} = (S^\top)_{jk} - \frac{\partial}{\partial \Theta_{jk}}", None),
    (SOFTMAX, r"\frac{\partial L}{\partial W_{jk}} = \sum_{i=1}^{n} (\frac{\exp(w_j^\top x_i)}"
              r"{\sum_{l=1}^{K}\exp(w_l^\top x_i)}\sum_{c=1}^{K} Y_{ic} - Y_{ij}) X_{ik}",
     r"\frac{\partial L}{\partial W_{jk}} = \sum_{i=1}^{n} (\frac{\exp(w_j^\top x_i)}"
     r"{\sum_{l=1}^{K}\exp(w_l^\top x_i)} - Y_{ij}) X_{ik}"),
    (MATRIX, r"\frac{\partial L}{\partial W_{jk}} = \sum_{i=1}^{n} X_{ij} (\sum_{l=1}^{d} X_{il} W_{lk} - Y_{ik})",
     r"\frac{\partial L}{\partial W_{jk}} = \sum_{i=1}^{n} X_{ij} (\sum_{l=1}^{d} X_{il} W_{kl} - Y_{ik})"),
    (MATRIX, r"\frac{\partial L}{\partial W_{kl}} = \sum_{i=1}^{n} X_{ik} (\sum_{j=1}^{d} X_{ij} W_{jl} - Y_{il})",
     r"\frac{\partial L}{\partial W_{kl}} = \sum_{i=1}^{n} X_{il} (\sum_{j=1}^{d} X_{ij} W_{jl} - Y_{ik})"),
]


@pytest.mark.parametrize("source, claim, slip", [row for row in ENTRY_WISE if row[2] is not None])
def test_entry_wise_claims_on_matrix_parameters(source, claim, slip):
    result = symgd.check(source, claim)
    assert result.ok, (result.verdict, result.diagnosis)
    assert not symgd.check(source, slip).ok


def test_an_entry_of_an_inverse_is_refused_not_misread():
    # (\Theta^{-1})_{ji} used to be read as 1/\Theta_{ji}
    with pytest.raises(symgd.UnsupportedError, match="inverse"):
        symgd.check(LOGDET, ENTRY_WISE[0][1])


def test_the_transpose_of_an_entry_swaps_its_indices():
    result = symgd.check(LOGDET, r"\frac{\partial L}{\partial \Theta} = S^\top - \Theta^{-\top}")
    assert result.ok
    entry = symgd.check(MATRIX, r"\frac{\partial L}{\partial W_{jk}} = \sum_{i=1}^{n} (X^\top)_{ji} "
                                r"(\sum_{l=1}^{d} X_{il} W_{lk} - Y_{ik})")
    assert entry.ok


NOTATION = [
    (LS_ROWS, "w", r"\frac{1}{n} X^\top (Xw - y)", r"\frac{1}{n} X (Xw - y)", "X is read as x"),
    (LS, "w", r"\frac{1}{n}\sum_{i=1}^{n} (x_i^\top w - y_i) x_i", r"\frac{1}{n}\sum_{i=1}^{n} (x_i^\top w + y_i) x_i",
     "x is read as X"),
    (LS, "w", r"\frac{1}{N} X^\top (Xw - y)", r"\frac{1}{N} X^\top (Xw + y)", "N is read as n"),
    (RIDGE, "w", r"(X^\top X + \lambda I)w - X^\top y", r"(X^\top X + 2\lambda I)w - X^\top y", None),
]


@pytest.mark.parametrize("source, wrt, claim, slip, note", NOTATION)
def test_data_and_counts_written_another_way(source, wrt, claim, slip, note):
    result = symgd.check(source, claim, wrt=wrt)
    assert result.ok, (result.verdict, result.diagnosis)
    if note:
        assert any(note in finding for finding in result.diagnosis), result.diagnosis
    assert not symgd.check(source, slip, wrt=wrt).ok


def test_a_power_of_a_function_value():
    source = r"\tanh^2(w^\top x)"
    assert symgd.check(source, r"2\tanh(w^\top x)(1 - \tanh^2(w^\top x)) x", wrt="w").ok
    assert not symgd.check(source, r"2\tanh(w^\top x) x", wrt="w").ok
    with pytest.raises(symgd.UnsupportedError, match="inverse function"):
        symgd.parse(r"\tanh^{-1}(w^\top x)", wrt="w")


def test_a_feature_of_a_sample_is_its_row_entry():
    # x_j^{(i)} and x^{(i)}_j are both feature j of sample i
    first = symgd.parse(r"\sum_{i=1}^{m}\sum_{j=1}^{d} x_j^{(i)} w_j", wrt="w")
    second = symgd.parse(r"\sum_{i=1}^{m}\sum_{j=1}^{d} x^{(i)}_j w_j", wrt="w")
    assert first.objective == second.objective
    assert first.shapes["x"][1] == first.shapes["w"][0]


def test_a_swapped_index_is_named_not_an_internal_error():
    claim = r"\frac{\partial L}{\partial w_k} = \frac{1}{n}\sum_{i=1}^{n} (\sum_{j=1}^{d} X_{ji} w_j - y_i) X_{ik}"
    result = symgd.check(LS, claim, wrt="w")
    assert not result.ok and any("the indices of X_{j i} are swapped" in f for f in result.diagnosis)
    # a sample index used as a row of a matrix parameter: shapes do not fit (was KeyError)
    softmax_slip = (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}(\frac{\exp(w_k^\top x_i)}"
                    r"{\sum_{j=1}^{K}\exp(w_j^\top x_i)}\sum_{c=1}^{K} Y_{ic} - Y_{ik}) x_k")
    assert not symgd.check(SOFTMAX, softmax_slip).ok


def test_a_row_of_a_matrix_parameter():
    claim = (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}(\frac{\exp(w_k^\top x_i)}"
             r"{\sum_{j=1}^{K}\exp(w_j^\top x_i)}\sum_{c=1}^{K} Y_{ic} - Y_{ik}) x_i")
    assert symgd.check(SOFTMAX, claim).ok
    assert not symgd.check(SOFTMAX, claim.replace("- Y_{ik}", "+ Y_{ik}")).ok


def test_a_hessian_written_with_nabla_squared():
    quadratic = r"f(x) = \frac{1}{2}x^\top A x - b^\top x"
    assert symgd.check(quadratic, r"\nabla^2 f = \frac{1}{2}(A + A^\top)").ok
    wrong = symgd.check(quadratic, r"\nabla^2 f = A")
    assert not wrong.ok and any("symmetric" in finding for finding in wrong.diagnosis)


@pytest.mark.parametrize("claim, slip", [
    (r"\frac{\exp(z_j)}{\sum_{k=1}^{K}\exp(z_k)}", r"\frac{\exp(z_j)}{\sum_{k=1}^{K}\exp(z_j)}"),
    (r"\frac{\exp(z_k)}{\sum_{j=1}^{K}\exp(z_j)}", r"\frac{\exp(z_k)}{\sum_{j=1}^{K}\exp(z_k)}"),
    (r"\frac{\exp(z)}{\mathbf{1}^\top \exp(z)}", r"\frac{\exp(z)}{\mathbf{1}^\top z}"),
])
def test_log_sum_exp_gradients_with_and_without_a_free_index(claim, slip):
    source = r"\log\sum_{k=1}^{K}\exp(z_k)"
    assert symgd.check(source, claim, wrt="z").ok
    assert not symgd.check(source, slip, wrt="z").ok


def test_softmax_gradient_that_assumes_one_hot_labels_says_so():
    claim = (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}(\frac{\exp(w_k^\top x_i)}"
             r"{\sum_{j=1}^{K}\exp(w_j^\top x_i)} - Y_{ik}) x_i")
    result = symgd.check(SOFTMAX, claim)
    assert not result.ok   # the loss does not say that the rows of Y sum to 1
    assert any("one-hot labels" in finding for finding in result.diagnosis), result.diagnosis


@pytest.mark.parametrize("claim, slip", [
    (r"w_{t+1} = w_t - \frac{\eta}{n} X^\top(Xw_t - y)", r"w_{t+1} = w_t - \frac{\eta}{n} X(Xw_t - y)"),
    (r"w^{(k+1)} = w^{(k)} - \alpha \nabla L(w^{(k)})", r"w^{(k+1)} = w^{(k)} + \alpha \nabla L(w^{(k)})"),
    (r"w_{t+1} = w_t - \eta \frac{1}{N}\sum_{i=1}^{N}(x_i^\top w_t - y_i) x_i",
     r"w_{t+1} = w_t - \eta \frac{1}{N}\sum_{i=1}^{N}(x_i^\top w_t + y_i) x_i"),
])
def test_the_next_iterate_of_a_vector(claim, slip):
    # w_{t+1} of a vector parameter used to be refused ("name the parameter, an entry of it ...")
    result = symgd.check(LS, claim)
    assert result.ok, (result.verdict, result.diagnosis)
    assert not any("assignment" in finding for finding in result.diagnosis)   # a recurrence, not :=
    assert not symgd.check(LS, slip).ok


@pytest.mark.parametrize("claim", [
    r"\frac{dL}{dw} = \frac{1}{n} X^\top (Xw - y)",
    r"\frac{\mathrm{d}L}{\mathrm{d}w} = \frac{1}{n} X^\top (Xw - y)",
    r"\frac{\partial}{\partial w} L = \frac{1}{n} X^\top (Xw - y)",
    r"\frac{d}{dw} L(w) = \frac{1}{n} X^\top (Xw - y)",
    r"\frac{dL}{dw_j} = \frac{1}{n}\sum_{i=1}^{n}(x_i^\top w - y_i) X_{ij}",
    r"\partial L / \partial w = \frac{1}{n} X^\top (Xw - y)",
])
def test_upright_and_operator_derivative_heads(claim):
    assert symgd.check(LS, claim).ok
    assert not symgd.check(LS, claim.replace("- y", "+ y")).ok


def test_an_upright_inverted_head_is_the_inverted_notation():
    result = symgd.check(LS, r"\frac{dw}{dL} = \frac{1}{n} X^\top (Xw - y)")
    assert not result.ok and "inverted" in result.diagnosis[0]


def test_numerator_layout_heads_ask_for_the_transpose():
    # Magnus and Neudecker: \partial L / \partial w^T is a row vector
    row = symgd.check(LS, r"\frac{\partial L}{\partial w^\top} = \frac{1}{n}(Xw - y)^\top X")
    assert row.ok and any("numerator layout" in finding for finding in row.diagnosis), row.diagnosis
    assert not symgd.check(LS, r"\frac{\partial L}{\partial w^\top} = \frac{1}{n}(Xw + y)^\top X").ok
    column = symgd.check(LS, r"\frac{\partial L}{\partial w^\top} = \frac{1}{n}X^\top (Xw - y)")
    assert not column.ok and any("asks for its transpose" in finding for finding in column.diagnosis)
    factorization = r"J(U) = \|R - UV^\top\|_F^2 \quad\text{where}\quad R \in \mathbb{R}^{m \times n}"
    assert symgd.check(factorization, r"\frac{\partial J}{\partial U^\top} = -2V^\top(R - UV^\top)^\top").ok
    assert not symgd.check(factorization, r"\frac{\partial J}{\partial U^\top} = -2(R - UV^\top)V").ok


HINGE = r"L(w) = \frac{\lambda}{2}\|w\|^2 + \frac{1}{n}\sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)"


def test_a_piecewise_vector_in_a_derivation():
    # the cases environment's & and \\ are not the align's: the chain is split around it, not inside it
    claim = "\n".join([
        r"\begin{align}",
        r"\nabla_w L &= \lambda w + \frac{1}{n}\sum_{i=1}^{n} \begin{cases} -y_i x_i & \text{if } y_i w^\top x_i < 1 \\",
        r"0 & \text{otherwise}\end{cases} \\",
        r"&= \lambda w - \frac{1}{n}\sum_{i=1}^{n} \mathbb{1}[y_i w^\top x_i < 1]\, y_i x_i",
        r"\end{align}"])
    result = symgd.check(HINGE, claim)
    assert result.ok and result.verdict.startswith("correct where"), (result.verdict, result.diagnosis)
    assert [step.line for step in result.steps] == [2, 4]
    wrong = symgd.check(HINGE, claim.replace(r"\text{if } y_i w^\top x_i < 1", r"\text{if } y_i w^\top x_i > 1"))
    assert not wrong.ok and wrong.diagnosis[0].startswith("line 4:")


@pytest.mark.parametrize("head", [r"\nabla^2_w L", r"\nabla_w^2 L", r"\nabla^2_{w} L(w)",
                                  r"\frac{\partial^2 L}{\partial w \partial w^\top}"])
def test_hessian_heads(head):
    assert symgd.check(LS, head + r" = \frac{1}{n} X^\top X").ok
    assert not symgd.check(LS, head + r" = \frac{1}{2n} X^\top X").ok


LOGISTIC = r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]"
CS229_HYPOTHESIS = r"J(\theta) = \frac{1}{2}\sum_{i=1}^{m}(h_\theta(x^{(i)}) - y^{(i)})^2 \quad h_\theta(x) = \theta^\top x"
CS229_LOGISTIC = (r"J(\theta) = -\frac{1}{m}\sum_{i=1}^{m}\left[y^{(i)}\log h_\theta(x^{(i)}) + (1 - y^{(i)})"
                  r"\log(1 - h_\theta(x^{(i)}))\right] \quad h_\theta(x) = \frac{1}{1 + e^{-\theta^\top x}}")


@pytest.mark.parametrize("source, claim, slip", [
    # Ng's CS229 notes: the LMS rule and the gradient ascent form, in the hypothesis h_theta the source defines
    (CS229_HYPOTHESIS, r"\theta_j := \theta_j + \alpha\sum_{i=1}^{m}(y^{(i)} - h_\theta(x^{(i)}))x_j^{(i)}",
     r"\theta_j := \theta_j + \alpha\sum_{i=1}^{m}(y^{(i)} + h_\theta(x^{(i)}))x_j^{(i)}"),
    (CS229_HYPOTHESIS, r"\theta := \theta - \alpha\sum_{i=1}^{m}(h_\theta(x^{(i)}) - y^{(i)})x^{(i)}",
     r"\theta := \theta - \alpha\sum_{i=1}^{m}(h_\theta(x^{(i)}) - y^{(i)})"),
    (CS229_HYPOTHESIS, r"\frac{\partial}{\partial \theta_j}J(\theta) = \sum_{i=1}^{m}(h_\theta(x^{(i)}) - y^{(i)})x_j^{(i)}",
     r"\frac{\partial}{\partial \theta_j}J(\theta) = \sum_{i=1}^{m}(h_\theta(x^{(i)}) - y^{(i)})^2 x_j^{(i)}"),
    (CS229_LOGISTIC, r"\theta_j := \theta_j - \alpha\frac{1}{m}\sum_{i=1}^{m}(h_\theta(x^{(i)}) - y^{(i)})x_j^{(i)}",
     r"\theta_j := \theta_j - \alpha\sum_{i=1}^{m}(h_\theta(x^{(i)}) - y^{(i)})x_j^{(i)}"),
    (CS229, r"\theta_j := \theta_j - \alpha \frac{\partial}{\partial \theta_j} J(\theta)",
     r"\theta_j := \theta_j + \alpha \frac{\partial}{\partial \theta_j} J(\theta)"),
    # names the claim defines after it
    (LOGISTIC, r"\nabla_w L = X^\top(p - y), \quad p = \sigma(Xw)", r"\nabla_w L = X^\top(y - p), \quad p = \sigma(Xw)"),
    (LOGISTIC, r"\nabla_w L = X^\top(p - y) \text{ where } p = \sigma(Xw)",
     r"\nabla_w L = X^\top(p - y) \text{ where } p = \sigma(Xw) \odot (1 - \sigma(Xw))"),
    (LS, r"\nabla_w L = \frac{1}{n} X^\top r \quad\text{where}\quad r = Xw - y",
     r"\nabla_w L = \frac{1}{n} X^\top r \quad\text{where}\quad r = y - Xw"),
])
def test_the_sources_functions_and_the_claims_own_definitions(source, claim, slip):
    result = symgd.check(source, claim)
    assert result.ok, (result.verdict, result.diagnosis)
    if source in (LOGISTIC, LS):
        assert "the claim's own definitions" in result.diagnosis[0], result.diagnosis
    assert not symgd.check(source, slip).ok


def test_the_seeds_second_rule_is_a_step_of_size_one_read_as_an_assignment():
    result = symgd.check(LOGDET, r"\Theta_{ij} = \Theta_{ij} - \frac{\partial L}{\partial \Theta_{ij}}")
    assert result.ok and result.verdict == "correct"
    assert any("= is read as an assignment" in finding for finding in result.diagnosis)
    assert any("no step size: it is a gradient-descent step of size 1" in finding for finding in result.diagnosis)
    assert any("correct by definition" in finding for finding in result.diagnosis)



def test_a_scalar_added_to_a_vector_in_a_claim_is_added_to_every_entry():
    # symgd's own gradient of the linear model with a bias prints x w + b - y; the mutation run read it back
    source = (r"J(w, b) = \sum_{i=1}^{n} (y_i - w^\top x_i - b)^2 \quad \text{where} \quad x_i \in \mathbb{R}^{d}, "
              r"\quad y_i \in \mathbb{R}, \quad b \in \mathbb{R}")
    assert symgd.check(source, r"\frac{\partial J}{\partial w} = 2 X^\top (X w + b - y)").ok
    assert symgd.check(source, r"w := w - \eta \left(2 x^\top \left(x w + b - y\right)\right)").ok
    assert symgd.check(source, r"\frac{\partial J}{\partial b} = 2\cdot\mathbf{1}^\top (X w + b - y)").ok
    assert not symgd.check(source, r"\frac{\partial J}{\partial w} = 2 X^\top (X w + 2b - y)").ok
    assert not symgd.check(source, r"\frac{\partial J}{\partial b} = 2 (X w + b - y)").ok   # a vector for a scalar
