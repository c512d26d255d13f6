"""The array-API and JAX backends: the same optimised IR printed for other array libraries.

Every unconstrained loss of the examples list runs through ``backend="array_api"`` on NumPy,
array-api-strict (which refuses anything outside the standard), JAX on the CPU, Dask (arrays chunked
by rows) and PyTorch where installed, and through ``backend="jax"``; ``loss``, ``grad``,
``value_and_grad`` (and ``hess`` where a module has one: codegen derives the Hessian only on request)
must agree with the NumPy module to 1e-10 in float64 at random points with every dimension distinct. (The NumPy module itself is checked against central differences in
test_codegen.py.) A namespace that is not installed is skipped.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

import numpy as np
import pytest

import symgd
from symgd.errors import UnsupportedError
from helpers import random_env

pytest.importorskip("array_api_compat")

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.tex"))
UNCONSTRAINED = [p for p in EXAMPLES if not symgd.parse(p.read_text()).constraints]
FUNCTIONS = ("loss", "grad", "value_and_grad", "hess")


def _jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)   # float64, as the NumPy module
    return jax


def _rows(dask_array, array: np.ndarray):
    """A Dask array chunked by rows (3 rows a chunk), as data too large for one worker would be."""
    return dask_array.from_array(array, chunks=(3,) + array.shape[1:]) if array.ndim else dask_array.asarray(array)


def _namespace(name: str):
    """(convert a NumPy array into the namespace, convert a result back)."""
    if name == "numpy":
        return np.asarray, np.asarray
    if name == "array_api_strict":
        strict = pytest.importorskip("array_api_strict")
        return strict.asarray, lambda x: np.from_dlpack(x)
    if name == "jax":
        _jax()
        import jax.numpy as jnp
        return jnp.asarray, np.asarray
    if name == "dask":
        dask_array = pytest.importorskip("dask.array")
        return functools.partial(_rows, dask_array), lambda x: np.asarray(x.compute())
    if name == "torch":
        torch = pytest.importorskip("torch")
        return torch.asarray, lambda x: x.numpy()
    raise AssertionError(name)


NAMESPACES = ("numpy", "array_api_strict", "jax", "dask", "torch")
# What a namespace lacks (not a symgd limitation): the test checks that its error says so. Dask has
# no slogdet, and its inverse needs square chunks (a matrix parameter is not data chunked by rows).
MISSING = {("dask", "12_graphical_lasso_logdet"): "slogdet|square"}


@functools.lru_cache(maxsize=None)
def _modules(path: Path, backend: str):
    problem = symgd.parse(path.read_text())
    return problem, symgd.codegen(problem).load(), symgd.codegen(problem, backend=backend).load()


def _arguments(problem, loss, seed: int = 3):
    """NumPy arguments of ``loss`` at random values (every dimension distinct), and which are constants."""
    env = random_env(problem, seed)
    by_name = {name: symbol for symbol, name in problem.argnames.items()}
    symbols = [by_name[name] for name in inspect.signature(loss).parameters]
    values = [np.asarray(env[str(s.label) if hasattr(s, "label") else str(s)], dtype=float) for s in symbols]
    constant = [s in problem.constants for s in symbols]
    return values, constant


def _leaves(value):
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _assert_agrees(got, expected, back, what: str) -> None:
    got, expected = _leaves(got), _leaves(expected)
    assert len(got) == len(expected), what
    for number, (g, e) in enumerate(zip(got, expected)):
        g = np.asarray(back(g) if hasattr(g, "shape") else g, dtype=float)   # hess blocks may be numbers
        e = np.asarray(e, dtype=float)
        assert g.shape == e.shape, f"{what} [{number}]: shape {g.shape} != {e.shape}"
        error = np.linalg.norm(g - e)
        assert error <= 1e-10 * max(np.linalg.norm(e), 1e-3), f"{what} [{number}]: error {error:.2e}"


def _compare(path: Path, backend: str, namespace: str) -> None:
    to, back = _namespace(namespace)
    problem, reference, module = _modules(path, backend)
    values, constant = _arguments(problem, reference.loss)
    numpy_args = [float(v) if c else v for v, c in zip(values, constant)]
    args = [float(v) if c else to(v) for v, c in zip(values, constant)]
    for name in FUNCTIONS:
        if not hasattr(reference, name):
            continue
        expected = getattr(reference, name)(*numpy_args)
        missing = MISSING.get((namespace, path.stem))
        if missing:
            with pytest.raises((AttributeError, ValueError), match=missing):
                getattr(module, name)(*args)
            continue
        _assert_agrees(getattr(module, name)(*args), expected, back, f"{path.stem} {backend} on {namespace}: {name}")


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("path", UNCONSTRAINED, ids=[p.stem for p in UNCONSTRAINED])
def test_array_api_module_agrees_with_numpy(path, namespace):
    _compare(path, "array_api", namespace)


@pytest.mark.parametrize("path", UNCONSTRAINED, ids=[p.stem for p in UNCONSTRAINED])
def test_jax_module_agrees_with_numpy(path):
    _jax()
    _compare(path, "jax", "jax")


LEAST_SQUARES = r"L(w) = \frac{1}{2}\|Xw - y\|^2"


def test_jax_functions_are_jit_compiled_expressions():
    _jax()
    source = symgd.codegen(LEAST_SQUARES, backend="jax").source
    assert source.count("@jax.jit") == 4   # loss, grad, value_and_grad, step
    source = symgd.codegen(LEAST_SQUARES, backend="jax", hessian=True).source
    assert source.count("@jax.jit") == 5   # and hess
    assert "jax.grad" not in source and "numpy as np" not in source
    module = symgd.codegen(LEAST_SQUARES, backend="jax").load()
    assert hasattr(module.grad, "lower")   # a jax.jit-wrapped function


def test_each_backend_imports_only_what_it_needs():
    numpy_source = symgd.codegen(LEAST_SQUARES).source
    assert "array_api_compat" not in numpy_source and "jax" not in numpy_source
    array_source = symgd.codegen(LEAST_SQUARES, backend="array_api").source
    assert "import numpy" not in array_source and "scipy" not in array_source and " np." not in array_source
    lbfgs_source = symgd.codegen(LEAST_SQUARES, backend="array_api", optimizer="lbfgs").source
    assert "from scipy.optimize import minimize" in lbfgs_source   # L-BFGS runs on the host


def test_array_backends_refuse_what_they_do_not_support():
    with pytest.raises(UnsupportedError, match="backend 'cupy'"):
        symgd.codegen(LEAST_SQUARES, backend="cupy")
    with pytest.raises(UnsupportedError, match="newton"):
        symgd.codegen(LEAST_SQUARES, backend="array_api", optimizer="newton")
    with pytest.raises(UnsupportedError, match="constrained"):
        symgd.codegen(r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1", backend="jax")


def test_shapes_are_checked_on_array_backends():
    strict = pytest.importorskip("array_api_strict")
    module = symgd.codegen(LEAST_SQUARES, backend="array_api").load()
    with pytest.raises(ValueError, match="differ"):
        module.grad(strict.ones(3), strict.ones((5, 4)), strict.ones(5))


# arguments: w, then the data y, x (in order of appearance), then lambda
LOGISTIC_L2 = (r"L(w) = \sum_{i=1}^{n} \log(1 + \exp(-y_i w^\top x_i)) + \frac{\lambda}{2}\|w\|^2"
               r"\quad \text{where} \quad x_i \in \mathbb{R}^{d}, \quad y_i \in \mathbb{R}")


def _logistic_data(n: int = 60, d: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = np.where(x @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    return x, y


@pytest.mark.parametrize("optimizer", ["gd", "adam", "lbfgs"])
def test_fit_on_strict_arrays_matches_numpy(optimizer):
    strict = pytest.importorskip("array_api_strict")
    x, y = _logistic_data()
    reference = symgd.codegen(LOGISTIC_L2, optimizer=optimizer).load()
    module = symgd.codegen(LOGISTIC_L2, optimizer=optimizer, backend="array_api").load()
    options = dict(max_iter=300, lr=0.01) if optimizer == "adam" else dict(max_iter=300)
    expected, expected_history = reference.fit(np.zeros(4), y, x, 0.5, **options)
    got, history = module.fit(np.zeros(4), strict.asarray(y), strict.asarray(x), 0.5, **options)
    assert isinstance(got, type(strict.asarray(x)))   # the parameters live with the data
    np.testing.assert_allclose(np.from_dlpack(got), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(history, expected_history, rtol=1e-9)


def test_step_on_jax_matches_numpy():
    _jax()
    import jax.numpy as jnp
    x, y = _logistic_data()
    reference = symgd.codegen(LOGISTIC_L2, optimizer="momentum").load()
    module = symgd.codegen(LOGISTIC_L2, optimizer="momentum", backend="jax").load()
    w, state = np.full(4, 0.1), None
    jw, jstate = jnp.asarray(w), None
    for _ in range(3):
        w, state = reference.step(w, y, x, 0.5, 0.01, state)
        jw, jstate = module.step(jw, jnp.asarray(y), jnp.asarray(x), 0.5, 0.01, jstate)
    np.testing.assert_allclose(np.asarray(jw), w, rtol=1e-12)


def test_mini_batches_on_array_backend_take_rows():
    strict = pytest.importorskip("array_api_strict")
    x, y = _logistic_data()
    module = symgd.codegen(LOGISTIC_L2, backend="array_api").load()
    w, history = module.fit(np.zeros(4), strict.asarray(y), strict.asarray(x), 0.5, lr=0.05, max_iter=50,
                            batch_size=10)
    assert len(history) == 50 and history[-1] < history[0] / 2


def test_mini_batches_on_dask_are_whole_row_chunks():
    """On Dask a mini-batch is a random set of whole row chunks (read where they lie), not rows
    gathered from every chunk; fit on such batches still lowers the full loss."""
    dask_array = pytest.importorskip("dask.array")
    import random

    from array_api_compat import array_namespace
    x, y = _logistic_data(n=120, d=4, seed=2)
    xs, ys = dask_array.from_array(x, chunks=(12, 4)), dask_array.from_array(y, chunks=12)
    module = symgd.codegen(LOGISTIC_L2, backend="array_api").load()
    batch = module._mini_batch(array_namespace(xs), random.Random(5), 20, (ys, xs, 0.5), (True, True, False))
    rows_y, rows_x, constant = np.asarray(batch[0].compute()), np.asarray(batch[1].compute()), batch[2]
    assert constant == 0.5 and rows_x.shape == (24, 4) and rows_y.shape == (24,)   # two chunks of 12
    starts = [int(np.flatnonzero((x == rows_x[k]).all(axis=1))[0]) for k in (0, 12)]
    assert all(start % 12 == 0 for start in starts) and starts[0] != starts[1]
    for start, k in zip(starts, (0, 12)):
        np.testing.assert_array_equal(rows_x[k:k + 12], x[start:start + 12])
        np.testing.assert_array_equal(rows_y[k:k + 12], y[start:start + 12])
    w, history = module.fit(np.zeros(4), ys, xs, 0.5, lr=0.01, max_iter=40, batch_size=12)
    assert isinstance(w, np.ndarray) and len(history) == 40
    assert float(module.loss(w, y, x, 0.5)) < 0.9 * float(module.loss(np.zeros(4), y, x, 0.5))


def test_dask_fit_on_a_local_cluster_matches_the_in_memory_fit():
    """l2-logistic regression on rows chunked over 2 worker processes: each L-BFGS evaluation is one
    pass over the chunks and a tree-reduce on the cluster."""
    distributed = pytest.importorskip("dask.distributed")
    dask_array = pytest.importorskip("dask.array")
    x, y = _logistic_data(n=400, d=5, seed=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster):
        xs = dask_array.from_array(x, chunks=(100, 5))
        ys = dask_array.from_array(y, chunks=100)
        reference = symgd.codegen(LOGISTIC_L2, optimizer="lbfgs").load()
        module = symgd.codegen(LOGISTIC_L2, optimizer="lbfgs", backend="array_api").load()
        expected, expected_history = reference.fit(np.zeros(5), y, x, 1.0, max_iter=200)
        got, history = module.fit(np.zeros(5), ys, xs, 1.0, max_iter=200)
        assert isinstance(got, np.ndarray)   # the parameters stay on the client
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(history, expected_history, rtol=1e-8)


def test_command_line_backend_flag(capsys):
    from symgd.cli import main
    assert main(["codegen", LEAST_SQUARES, "--backend", "array_api"]) == 0
    source = capsys.readouterr().out
    assert "xp = array_namespace(X, y)" in source and "import numpy" not in source


@pytest.mark.parametrize("namespace", ["numpy", "array_api_strict", "torch"])
def test_scalar_parameters_and_numbers_alone_on_the_array_api_backend(namespace):
    """Python floats beside arrays (Barron's shape alpha and scale c) become 0-d arrays of the namespace:
    xp.sign(alpha - 2) and xp.log(sigma) need arrays (array_api_compat's NumPy, PyTorch). With Python
    numbers alone (Rosenbrock in x_1, x_2), the module works on NumPy."""
    convert, back = _namespace(namespace)
    barron = symgd.parse(r"\sum_{i=1}^{n} f(x_i, \alpha, c)", wrt=r"x, \alpha, c",
                         where=r"f(x,\alpha,c) = \frac{|\alpha - 2|}{\alpha}\left(\left(\frac{(x/c)^2}{|\alpha - 2|}"
                               r" + 1\right)^{\alpha/2} - 1\right)")
    x = np.array([0.3, -1.2, 2.0, 0.7])
    expected = symgd.codegen(barron).load().grad(x, 0.4, 1.3)
    got = symgd.codegen(barron, backend="array_api").load().grad(convert(x), 0.4, 1.3)
    for a, b in zip(got, expected):
        assert np.allclose(back(a), b, rtol=1e-10)
    rosenbrock = symgd.parse(r"(1 - x_1)^2 + 100(x_2 - x_1^2)^2", wrt="x_1, x_2")
    value, grads = symgd.codegen(rosenbrock, backend="array_api").load().value_and_grad(0.5, 0.2)
    x1, x2 = 0.5, 0.2
    assert np.isclose(float(value), (1 - x1) ** 2 + 100 * (x2 - x1 ** 2) ** 2)
    assert np.allclose([float(g) for g in grads], [-2 * (1 - x1) - 400 * x1 * (x2 - x1 ** 2), 200 * (x2 - x1 ** 2)])
