"""Integer class labels used as indices (issue 9): ``f_{y_i}``, ``w_{y_i}``, ``S_{i,y_i}``, ``\\sum_{j \\ne y_i}``.

The notation of multiclass losses in papers and course notes (CS231n, Weston & Watkins). Every loss is
checked against a NumPy formula written by hand with fancy indexing (``S[range(N), y]``), and every
gradient against central differences of that formula, with all dimensions distinct (N=7, K=4, d=3).
Labels are 0-based, as NumPy indexes.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symgd
from corpus.harness import central_differences
from helpers import assert_close, block_values, objective_value
from symgd.errors import AmbiguityError, UnsupportedError

N, K, D = 7, 4, 3

BATCH_SOFTMAX = r"\frac{1}{N}\sum_{i=1}^{N} -\log\frac{e^{w_{y_i}^\top x_i}}{\sum_{j=1}^{K} e^{w_j^\top x_i}}"
BATCH_HINGE = (r"\frac{1}{N}\sum_{i=1}^{N}\sum_{j\ne y_i}\max(0, w_j^\top x_i - w_{y_i}^\top x_i + \Delta)"
               r" + \lambda\sum_{k}\sum_{l} w_{kl}^2")
SCORES_SOFTMAX = r"-\frac{1}{N}\sum_{i=1}^{N}\log\frac{e^{S_{i,y_i}}}{\sum_{j=1}^{K}e^{S_{ij}}}"
SCORES_SOFTMAX_TEXT = "1/N * sum(-log(exp(S[i, y[i]]) / sum(exp(S[i, j]), j=1..K)), i=1..N)"   # plain text


def softmax_loss(values) -> float:
    scores = values["x"] @ values["w"].T
    top = scores.max(axis=1, keepdims=True)
    log_normaliser = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
    return float(np.mean(log_normaliser - scores[np.arange(len(values["y"])), values["y"]]))


def hinge_loss(values) -> float:
    scores = values["x"] @ values["w"].T
    correct = scores[np.arange(len(values["y"])), values["y"]]
    margins = np.maximum(0.0, scores - correct[:, None] + values["Delta"])
    margins[np.arange(len(values["y"])), values["y"]] = 0.0   # j = y_i is left out
    return float(margins.sum() / len(values["y"]) + values["lambda"] * np.sum(values["w"] ** 2))


def score_softmax_loss(values) -> float:
    scores, y = values["S"], values["y"]
    return float(-np.mean(scores[np.arange(len(y)), y] - np.log(np.exp(scores).sum(axis=1))))


def data(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"w": rng.normal(size=(K, D)), "x": rng.normal(size=(N, D)), "y": rng.integers(0, K, size=N),
            "Delta": 1.0, "lambda": 0.3, "S": rng.normal(size=(N, K))}


def index_form_env(problem, values: dict) -> dict:
    """symgd's evaluation environment: the arrays by name, the one-hot matrix of the labels, the dimensions."""
    env = {}
    for symbol, role in problem.roles.items():
        if role in ("index", "dimension"):
            continue
        name = str(symbol.label) if isinstance(symbol, sympy.IndexedBase) else str(symbol)
        value = np.eye(K)[values[problem.labels[symbol]]] if symbol in problem.labels else values[name]
        env[name] = value
        for dim, size in zip(problem.shapes[symbol], np.shape(value)):
            env[str(dim)] = size
    return env


@pytest.mark.parametrize("latex, reference, param", [
    (BATCH_SOFTMAX, softmax_loss, "w"),
    (BATCH_HINGE, hinge_loss, "w"),
    (SCORES_SOFTMAX, score_softmax_loss, "S"),
    (SCORES_SOFTMAX_TEXT, score_softmax_loss, "S"),
])
def test_batch_losses_with_integer_labels_match_numpy(latex, reference, param):
    problem = symgd.parse(latex, wrt=param)
    (one_hot,) = problem.labels
    assert problem.labels[one_hot] == "y" and problem.shapes[one_hot][0] != problem.shapes[one_hot][1]
    derivation = symgd.gradient(problem)
    module = symgd.codegen(derivation).load()
    for seed in (0, 1):
        values = data(seed)
        env = index_form_env(problem, values)
        args = {problem.argnames[s]: (values["y"] if s in problem.labels else env[str(getattr(s, "label", s))])
                for s in (*problem.params, *problem.data, *problem.constants)}
        slope = central_differences(reference, values, param)
        assert_close(objective_value(problem, env), reference(values), what="index-form loss")
        (block,) = derivation.blocks
        assert_close(block_values(block, env, problem), slope, rel=1e-5, what="index-form gradient")
        assert_close(module.loss(**args), reference(values), what="generated loss")
        assert_close(module.grad(**args), slope, rel=1e-5, what="generated gradient")


def test_the_readings_say_what_the_label_indexes_and_that_it_is_0_based():
    problem = symgd.parse(r"L_i = -\log\left(\frac{e^{f_{y_i}}}{ \sum_j e^{f_j} }\right)", wrt="f")
    assert any("y_{i} is an integer class label indexing f" in r and "0-based" in r for r in problem.readings)
    assert any("loss of one example i" in r for r in problem.readings)
    assert not any("for every index value" in r for r in problem.readings)


def test_the_loss_of_one_example_takes_its_label_as_an_integer():
    # CS231n: L_i = sum_{j != y_i} max(0, s_j - s_{y_i} + Delta), one example, its label y_i an integer
    problem = symgd.parse(r"L_i = \sum_{j\neq y_i} \max(0, s_j - s_{y_i} + \Delta)", wrt="s")
    module = symgd.codegen(problem).load()
    s, label, delta = np.array([0.3, -1.2, 0.9, 0.1]), 2, 1.0

    def reference(values):
        v = values["s"]
        return sum(max(0.0, v[j] - v[label] + delta) for j in range(len(v)) if j != label)

    args = {problem.argnames[p]: value for p, value in
            zip((*problem.params, *problem.data, *problem.constants), (s, label, delta))}
    assert module.loss(**args) == pytest.approx(reference({"s": s}))
    assert_close(module.grad(**args), central_differences(reference, {"s": s}, "s"), rel=1e-6, what="grad")


def test_generated_code_refuses_labels_outside_the_classes():
    module = symgd.codegen(symgd.parse(BATCH_SOFTMAX, wrt="w")).load()
    values = data()
    with pytest.raises(ValueError, match="0-based"):   # 1-based labels reach K: never a silent zero row
        module.loss(w=values["w"], x=values["x"], y=values["y"] + 1 + (values["y"].max() < K - 1))
    with pytest.raises(ValueError, match="whole numbers"):
        module.loss(w=values["w"], x=values["x"], y=values["y"] + 0.5)
    assert "class labels 0, ..., K - 1 (0-based)" in symgd.codegen(symgd.parse(BATCH_SOFTMAX, wrt="w")).source


def test_a_label_also_used_as_a_number_is_ambiguous():
    with pytest.raises(AmbiguityError, match=r"y_\{i\}.*integer class label"):
        symgd.parse(r"\sum_{i=1}^{N} (f_{y_i} - y_i)^2", wrt="f")


def test_an_exclusion_that_is_no_label_is_refused():
    with pytest.raises(UnsupportedError, match=r"j \\ne y_\{i k\}"):
        symgd.parse(r"\sum_{i=1}^{N} \sum_{j \ne y_{ik}} s_{j}", wrt="s")


@pytest.mark.parametrize("latex, param", [(BATCH_SOFTMAX, "w"), (BATCH_HINGE, "w"), (SCORES_SOFTMAX, "S")])
def test_the_problem_prints_the_labels_as_the_source_writes_them(latex, param):
    problem = symgd.parse(latex, wrt=param)
    text = problem.latex()
    assert "y_{i}" in text and "onehot" not in text
    assert symgd.parse(text, wrt=param).objective == problem.objective


def test_superscript_classes_under_a_label_exclusion_are_entries():
    # Weston & Watkins (1999): xi_i^m with m != y_i is the slack of sample i and class m, not a power
    problem = symgd.parse(r"C\sum_{i=1}^{\ell}\sum_{m\ne y_i}\xi_i^m", wrt=r"\xi")
    (xi,) = problem.params
    assert len(problem.shapes[xi]) == 2
    rng = np.random.default_rng(4)
    values = {"xi": rng.normal(size=(N, K)), "y": rng.integers(0, K, size=N), "C": 0.7}
    env = index_form_env(problem, values)
    reference = values["C"] * np.sum(values["xi"] * (1 - np.eye(K)[values["y"]]))
    assert_close(objective_value(problem, env), reference, what="loss")


def test_the_hessian_of_the_batch_softmax_with_labels():
    # the Hessian does not depend on the labels; generated with them as arguments all the same
    problem = symgd.parse(BATCH_SOFTMAX, wrt="w")
    module = symgd.codegen(problem, hessian=True).load()
    values = data(2)

    def gradient(v):   # by hand: (softmax(x w^T) - onehot(y))^T x / N
        scores = v["x"] @ v["w"].T
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return (p - np.eye(K)[v["y"]]).T @ v["x"] / len(v["y"])

    expected = np.stack([central_differences(lambda v, index=index: gradient(v)[index], values, "w")
                         for index in np.ndindex(K, D)]).reshape(K, D, K, D)
    assert_close(module.hess(w=values["w"], x=values["x"], y=values["y"]), expected, rel=1e-5, what="hess")


def _namespace(backend: str):
    """The array module a backend's generated code is run on here (strict array API, JAX in float64)."""
    if backend == "jax":
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        return jax.numpy
    return pytest.importorskip("array_api_strict")


@pytest.mark.parametrize("backend", ["array_api", "jax"])
def test_array_backends_take_integer_labels_and_mark_bad_ones_nan(backend):
    xp = _namespace(backend)
    problem = symgd.parse(BATCH_SOFTMAX, wrt="w")
    module = symgd.codegen(problem, backend=backend).load()
    values = data(5)
    w, x, y = xp.asarray(values["w"]), xp.asarray(values["x"]), xp.asarray(values["y"])
    assert float(module.loss(w=w, x=x, y=y)) == pytest.approx(softmax_loss(values), rel=1e-12)
    assert_close(np.asarray(module.grad(w=w, x=x, y=y)), central_differences(softmax_loss, values, "w"), rel=1e-6,
                 what=f"{backend} grad")
    with np.errstate(invalid="ignore"):   # a label outside 0..K-1: no error inside jax.jit, so a NaN loss
        assert np.isnan(float(module.loss(w=w, x=x, y=xp.asarray(values["y"] + K))))


@pytest.mark.parametrize("written", [r"\sum_{j=1, j\neq y_i}^{K}", r"\sum_{j\not= y_i}", r"\sum_{j \ne y_i}"])
def test_spellings_of_the_sum_over_the_wrong_classes(written):
    latex = rf"\frac{{1}}{{N}}\sum_{{i=1}}^{{N}}{written}\max(0, w_j^\top x_i - w_{{y_i}}^\top x_i + \Delta)"
    problem = symgd.parse(latex + r" + \lambda\sum_{k}\sum_{l} w_{kl}^2", wrt="w")
    values = data(3)
    env = index_form_env(problem, values)
    assert_close(objective_value(problem, env), hinge_loss(values), what=written)
    assert symgd.parse(problem.latex(), wrt="w").objective == problem.objective


def test_a_range_with_an_index_left_out_keeps_both_when_printed():
    problem = symgd.parse(r"\sum_{i=1}^{n}\sum_{j=1, j \ne i}^{n} (x_i - x_j)^2", wrt="x")
    x = np.random.default_rng(6).normal(size=5)
    reference = sum((x[i] - x[j]) ** 2 for i in range(5) for j in range(5) if j != i)
    assert_close(objective_value(problem, {"x": x, "n": 5}), reference, what="loss")
    assert r"j=1, j \ne i" in problem.latex()
    assert symgd.parse(problem.latex(), wrt="x").objective == problem.objective


def test_the_weston_watkins_primal_solved_by_generated_code_matches_scipy():
    # Weston & Watkins (1999): constraints for i = 1..l and m != y_i, read from the objective's sum over m != y_i
    from scipy.optimize import minimize

    source = (r"\min_{w, b, \xi}\frac{1}{2}\sum_{m=1}^{k}(w_m\cdot w_m) + C\sum_{i=1}^{\ell}\sum_{m\ne y_i}\xi_i^m"
              r" \quad \text{subject to} \quad (w_{y_i}\cdot x_i) + b_{y_i} \ge (w_m\cdot x_i) + b_m + 2 - \xi_i^m,\;"
              r" \xi_i^m \ge 0")
    problem = symgd.parse(source, where=r"w_m \in \mathbb{R}^d, \quad x_i \in \mathbb{R}^d")
    assert any("leaves out m = y_{i}" in reading for reading in problem.readings)
    rng = np.random.default_rng(1)
    samples, classes, features = 8, 3, 2
    x, y = rng.normal(size=(samples, features)), rng.integers(0, classes, size=samples)
    others = 1 - np.eye(classes)[y]

    def unpack(z):
        return (z[:classes * features].reshape(classes, features), z[classes * features:classes * (features + 1)],
                z[classes * (features + 1):].reshape(samples, classes))

    def objective(z):
        w, _, xi = unpack(z)
        return 0.5 * np.sum(w ** 2) + np.sum(others * xi)

    def margins(z):   # >= 0, only for the wrong classes
        w, b, xi = unpack(z)
        scores = x @ w.T + b
        correct = scores[np.arange(samples), y]
        return np.concatenate([(correct[:, None] - scores - 2 + xi)[others > 0], xi[others > 0]])

    size = classes * (features + 1) + samples * classes
    reference = minimize(objective, np.zeros(size), method="SLSQP", constraints=[{"type": "ineq", "fun": margins}],
                         options={"maxiter": 500, "ftol": 1e-12})
    module = symgd.codegen(problem, optimizer="qp").load()
    w, b, xi = module.fit(np.zeros((classes, features)), np.zeros(classes), np.zeros((samples, classes)), y, x, 1.0)[0]
    assert reference.success
    assert module.loss(w, b, xi, y, x, 1.0) == pytest.approx(reference.fun, rel=1e-6)
    assert np.min(margins(np.concatenate([w.ravel(), b, xi.ravel()]))) > -1e-6


@pytest.mark.parametrize("claim, ok", [
    (r"\frac{\partial L_i}{\partial f_k} = \frac{e^{f_k}}{\sum_j e^{f_j}} - \mathbb{1}(y_i = k)", True),
    (r"\frac{\partial L_i}{\partial f_k} = \frac{e^{f_k}}{\sum_j e^{f_j}} - 1\{y_i = k\}", True),
    (r"\frac{\partial L_i}{\partial f_k} = \frac{e^{f_k}}{\sum_j e^{f_j}} + \mathbb{1}(y_i = k)", False),
    (r"\frac{\partial L_i}{\partial f_k} = \frac{e^{f_k}}{\sum_j e^{f_j}}", False),   # the label's term forgotten
])
def test_a_hand_derivation_may_write_the_label_indicator(claim, ok):
    # CS231n: dL_i/df_k = p_k - 1(y_i = k), checked against symgd's derivation of the loss as written
    result = symgd.check(r"L_i = -\log\left(\frac{e^{f_{y_i}}}{ \sum_j e^{f_j} }\right)", claim, wrt="f")
    assert result.ok is ok


@pytest.mark.parametrize("claim, ok", [
    (r"\frac{\partial L}{\partial w_k} = \frac{1}{N}\sum_{i=1}^{N}\left(\frac{e^{w_k^\top x_i}}{\sum_j e^{w_j^\top x_i}}"
     r" - \mathbb{1}(y_i = k)\right) x_i", True),
    (r"\frac{\partial L}{\partial w_k} = \frac{1}{N}\sum_{i=1}^{N}\left(\frac{e^{w_k^\top x_i}}{\sum_j e^{w_j^\top x_i}}"
     r" - \mathbb{1}(y_i = k)\right)", False),   # x_i dropped
])
def test_a_batch_gradient_with_the_label_indicator_is_checked(claim, ok):
    assert symgd.check(BATCH_SOFTMAX, claim, wrt="w").ok is ok
