"""Generated modules in use: optimizers converge, code is clean and standalone, errors are named."""

import subprocess
import sys

import numpy as np
import pytest

import symgd

RIDGE = r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2"
LOGISTIC = r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]"
SOFTMAX = r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}"
LASSO = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 + \lambda\|w\|_1"


def regression_data(n=40, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return X, y


def test_gd_on_least_squares_reaches_lstsq():
    X, y = regression_data()
    module = symgd.codegen(RIDGE).load()
    w, history = module.fit(np.zeros(5), X, y, lr=0.5, max_iter=5000, tol=1e-12)
    expected = np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.max(np.abs(w - expected)) < 1e-6
    assert history[-1] <= history[0]


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "adam", "newton", "lbfgs"])
def test_every_optimizer_reaches_the_least_squares_solution(optimizer):
    X, y = regression_data(seed=1)
    module = symgd.codegen(RIDGE, optimizer=optimizer).load()
    lr = {"momentum": 0.1, "nesterov": 0.1, "adam": 0.05, "newton": 1.0, "lbfgs": None}[optimizer]
    w, history = module.fit(np.zeros(5), X, y, lr=lr, max_iter=20000, tol=1e-10)
    assert np.max(np.abs(w - np.linalg.lstsq(X, y, rcond=None)[0])) < 1e-5, optimizer


def test_step_is_exactly_theta_minus_lr_gradient():
    module = symgd.codegen(RIDGE).load()
    X, y = regression_data()
    w = np.arange(5.0)
    assert np.allclose(module.step(w, X, y, lr=0.3), w - 0.3 * module.grad(w, X, y), rtol=0, atol=0)


def test_stateful_step_returns_state():
    X, y = regression_data()
    module = symgd.codegen(RIDGE, optimizer="adam").load()
    w, state = module.step(np.zeros(5), X, y, lr=0.1)
    w2, state2 = module.step(w, X, y, lr=0.1, state=state)
    assert state2[2] == 2 and module.loss(w2, X, y) < module.loss(np.zeros(5), X, y)


def test_newton_solves_least_squares_in_one_step():
    X, y = regression_data()
    module = symgd.codegen(RIDGE, optimizer="newton").load()
    w = module.step(np.zeros(5), X, y, lr=1.0)
    assert np.allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-10)
    assert "np.linalg.solve" in symgd.codegen(RIDGE, optimizer="newton").source
    assert "np.linalg.inv" not in symgd.codegen(RIDGE, optimizer="newton").source


def test_logistic_with_lbfgs_reaches_a_stationary_point():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 4))
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(size=200) > 0).astype(float)
    module = symgd.codegen(LOGISTIC, optimizer="lbfgs").load()
    w, history = module.fit(np.zeros(4), y, x, max_iter=500, tol=1e-9)
    assert np.linalg.norm(module.grad(w, y, x)) <= 1e-6
    assert history[-1] < history[0]


def test_lasso_with_prox_satisfies_the_optimality_conditions():
    X, y = regression_data(n=60, d=8, seed=4)
    lam = 0.3 * np.max(np.abs(X.T @ y))   # large enough that some weights are exactly zero
    module = symgd.codegen(LASSO, optimizer="prox").load()
    lipschitz = np.linalg.eigvalsh(X.T @ X).max()
    w, history = module.fit(np.zeros(8), X, y, lam, lr=1.0 / lipschitz, max_iter=20000, tol=1e-13)
    g = X.T @ (X @ w - y)
    active = np.abs(w) > 1e-10
    assert np.all(np.abs(g[active] + lam * np.sign(w[active])) < 1e-6)
    assert np.all(np.abs(g[~active]) <= lam + 1e-6)
    assert active.sum() < 8   # the l1 term made some weights exactly zero
    assert "np.maximum(np.abs(moved) - threshold, 0.0)" in symgd.codegen(LASSO, optimizer="prox").source


def test_seed_example_update_rule_goes_to_three():
    module = symgd.codegen(r"L(\theta) = (\theta - 3)^2 \quad \theta_{n+1} = \theta_n - \gamma\nabla L(\theta_n)").load()
    theta, history = module.fit(0.0, lr=0.1, max_iter=500, tol=1e-12)
    assert abs(theta - 3) < 1e-9
    assert abs(module.step(0.0, lr=0.1) - 0.6) < 1e-15


def test_mini_batches_slice_the_sample_axis():
    X, y = regression_data(n=200, d=3, seed=5)
    module = symgd.codegen(RIDGE).load()
    w, history = module.fit(np.zeros(3), X, y, lr=0.2, max_iter=3000, batch_size=32, seed=1)
    assert np.linalg.norm(w - np.linalg.lstsq(X, y, rcond=None)[0]) < 0.05
    assert len(history) == 3000


def test_scores_of_a_thousand_stay_finite():
    x = np.array([[1000.0, 0.0], [-1000.0, 0.0], [0.0, 1000.0]])
    w = np.array([1.0, -1.0])
    y = np.array([0.0, 1.0, 1.0])
    logistic = symgd.codegen(LOGISTIC).load()
    value, g = logistic.value_and_grad(w, y, x)
    assert np.isfinite(value) and np.all(np.isfinite(g))
    assert value == pytest.approx(1000.0 + 1000.0 + 1000.0)
    softmax = symgd.codegen(SOFTMAX).load()
    W = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    Y = np.eye(3)
    value, G = softmax.value_and_grad(W, Y, x)
    assert np.isfinite(value) and np.all(np.isfinite(G))


def test_shape_mismatch_names_the_arguments():
    module = symgd.codegen(RIDGE).load()
    X, y = regression_data()
    with pytest.raises(ValueError, match=r"y has shape \(39,\) but X has shape \(40, 5\)"):
        module.loss(np.zeros(5), X, y[:-1])
    with pytest.raises(ValueError, match=r"w has shape \(4,\)"):
        module.grad(np.zeros(4), X, y)


def test_keyword_arguments_use_argnames():
    module = symgd.codegen(r"L(w) = \frac{1}{2}\|Xw - y\|^2 + \lambda\|w\|^2").load()
    X, y = regression_data()
    assert module.loss(w=np.zeros(5), X=X, y=y, lambda_=0.5) == pytest.approx(0.5 * y @ y)


def test_source_is_ruff_clean_compiles_and_runs_without_symgd(tmp_path):
    for source, optimizer in ((RIDGE, "gd"), (LOGISTIC, "lbfgs"), (SOFTMAX, "adam"), (LASSO, "prox")):
        path = symgd.codegen(source, optimizer=optimizer).write(tmp_path / f"module_{optimizer}.py")
        subprocess.run([sys.executable, "-m", "py_compile", str(path)], check=True)
        lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", str(path)],
                              capture_output=True, text=True)
        if "No module named ruff" not in lint.stderr:
            assert lint.returncode == 0, lint.stdout
    script = (
        "import sys; sys.modules['symgd'] = None\n"
        "import numpy as np, module_gd as m\n"
        "X = np.ones((4, 5)); y = np.zeros(4)\n"
        "print(m.loss(np.ones(5), X, y))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(100 / 8)


def test_generated_code_has_no_python_loop_over_data():
    for source in (RIDGE, LOGISTIC, SOFTMAX, LASSO):
        text = symgd.codegen(source).source
        body = text[text.index("def loss"):text.index("def _update")]
        assert "for " not in body


def test_load_does_not_write_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    symgd.codegen(RIDGE).load()
    assert list(tmp_path.iterdir()) == []


def test_cli_codegen(tmp_path):
    out = tmp_path / "ridge.py"
    result = subprocess.run([sys.executable, "-m", "symgd", "codegen", RIDGE, "--optimizer", "adam", "-o", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "def fit(" in out.read_text()
    stdout = subprocess.run([sys.executable, "-m", "symgd", "codegen", RIDGE], capture_output=True, text=True)
    assert stdout.stdout.startswith('r"""Generated by symgd')


def test_scalar_parameter_through_sigmoid():
    module = symgd.codegen(r"L(\theta) = -\log\sigma(\theta) + \theta^2").load()
    assert module.grad(0.5) == pytest.approx(-(1 - 1 / (1 + np.exp(-0.5))) + 1.0)
    assert np.allclose(module.sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])


def test_loaded_module_keeps_its_source_for_tracebacks():
    import inspect
    module = symgd.codegen(RIDGE).load()
    assert "X.T @" in inspect.getsource(module.grad)


def test_the_hessian_is_derived_only_when_requested(monkeypatch):
    problem = symgd.parse(LOGISTIC)
    derived = []
    original = symgd.derive.hessian
    monkeypatch.setattr(symgd.derive, "hessian", lambda *args: derived.append(1) or original(*args))
    assert not hasattr(symgd.codegen(problem).load(), "hess")
    assert not derived
    assert hasattr(symgd.codegen(problem, hessian=True).load(), "hess")
    assert hasattr(symgd.codegen(problem, optimizer="newton").load(), "hess")
    assert len(derived) == 2


def test_a_derivation_is_used_without_differentiating_again(monkeypatch):
    problem = symgd.parse(SOFTMAX)
    gradient, hessian = symgd.gradient(problem), symgd.hessian(problem)

    def refuse(*args):
        raise AssertionError("differentiated again")
    monkeypatch.setattr(symgd.derive, "gradient", refuse)
    monkeypatch.setattr(symgd.derive, "hessian", refuse)
    from_gradient = symgd.codegen(gradient).load()
    X, Y = np.random.default_rng(0).normal(size=(7, 3)), np.eye(4)[[0, 1, 2, 3, 0, 1, 2]]
    W = np.random.default_rng(1).normal(size=(4, 3))
    scores = X @ W.T
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    assert np.allclose(from_gradient.grad(W, Y, X), (probabilities - Y).T @ X)
    monkeypatch.setattr(symgd.derive, "gradient", lambda *args: gradient)
    assert hasattr(symgd.codegen(hessian).load(), "hess")


def test_shapes_checked_once_are_still_checked_when_they_change():
    """_dims remembers the shapes it has checked: other shapes, and lists, are checked again."""
    module = symgd.codegen(RIDGE).load()
    X, y = regression_data()
    expected = module.grad(np.zeros(5), X, y)
    np.testing.assert_allclose(module.grad(np.zeros(5), X, y), expected)   # from the cache
    with pytest.raises(ValueError, match=r"y has shape \(39,\) but X has shape \(40, 5\)"):
        module.grad(np.zeros(5), X, y[:-1])
    with pytest.raises(ValueError, match=r"w has shape \(4,\)"):
        module.value_and_grad(np.zeros(4), X, y)
    with pytest.raises(ValueError, match=r"w has shape \(4,\)"):
        module.grad([0.0] * 4, X, y)   # a list has no .shape: checked through np.shape
