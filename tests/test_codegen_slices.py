"""Generated code for shifted and fixed indices, an index used as a value, products and triangular
ranges (slices, pads, np.arange, cumulative products, triangular masks in the tensor IR), against
NumPy written by hand from what each formula means, with all dimensions distinct; gradients against
central differences of the reference, Hessians against central differences of the generated gradient."""

import numpy as np

import symgd

RNG = np.random.default_rng(7)


def _module(source, wrt=None, hessian=True):
    return symgd.codegen(symgd.parse(source, wrt=wrt), hessian=hessian).load()


def _differences(function, x, step=1e-6):
    """Central differences of a function of one array (a scalar function: its gradient; an array one: its Jacobian)."""
    x = np.asarray(x, dtype=float)
    columns = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = step
        columns.append((np.asarray(function((x.ravel() + e).reshape(x.shape)))
                        - np.asarray(function((x.ravel() - e).reshape(x.shape)))) / (2 * step))
    return np.stack(columns, axis=-1).reshape(np.shape(function(x)) + x.shape)


def _check(module, reference, arg, kwargs, hessian=True):
    x = kwargs[arg]
    assert np.isclose(module.loss(**kwargs), reference(x), rtol=1e-10)
    gradient = module.grad(**kwargs)
    assert np.shape(gradient) == np.shape(x)
    np.testing.assert_allclose(gradient, _differences(reference, x), rtol=1e-5, atol=1e-6)
    value, also = module.value_and_grad(**kwargs)
    assert np.isclose(value, reference(x), rtol=1e-10)
    np.testing.assert_allclose(also, gradient, rtol=1e-12, atol=1e-12)
    if hessian:
        def generated_gradient(point):
            return module.grad(**{**kwargs, arg: point})
        np.testing.assert_allclose(module.hess(**kwargs), _differences(generated_gradient, x), rtol=1e-5, atol=1e-5)


def test_rosenbrock_in_n_dimensions_is_a_shifted_difference():
    module = _module(r"f(x) = \sum_{i=1}^{n-1}\left[100(x_{i+1} - x_i^2)^2 + (1 - x_i)^2\right]", wrt="x")

    def rosenbrock(x):
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

    _check(module, rosenbrock, "x", {"x": RNG.normal(size=7)})


def test_second_differences_from_two_to_n_minus_one():
    module = _module(r"\sum_{i=2}^{n-1}(x_{i+1} - 2x_i + x_{i-1})^2 + \lambda\sum_{i=1}^{n} x_i^2", wrt="x")
    lam = 0.3
    _check(module, lambda x: float(np.sum(np.diff(x, 2) ** 2) + lam * x @ x), "x",
           {"x": RNG.normal(size=6), "lambda_": lam})


def test_a_fixed_component_of_a_vector_beside_a_matrix_product():
    module = _module(r"\|Aw - b\|^2 + \mu(w_1 - 2)^2 + w_3 w_2", wrt="w")
    A, b, mu = RNG.normal(size=(5, 4)), RNG.normal(size=5), 0.7

    def reference(w):
        return float(np.sum((A @ w - b) ** 2) + mu * (w[0] - 2) ** 2 + w[2] * w[1])

    _check(module, reference, "w", {"w": RNG.normal(size=4), "A": A, "b": b, "mu": mu})


def test_an_index_as_a_power_and_as_a_weight():
    source = r"\sum_{n=1}^{N}\left(\sum_{j=0}^{M} w_j x_n^j - t_n\right)^2 + \sum_{j=0}^{M} j w_j^2"
    module = _module(source, wrt="w")
    x, t = RNG.uniform(-1.5, 1.5, size=6), RNG.normal(size=6)
    powers = np.arange(4)

    def reference(w):
        return float(np.sum((np.vander(x, 4, increasing=True) @ w - t) ** 2) + np.sum(powers * w ** 2))

    kwargs = {"w": RNG.normal(size=4), "x": x, "t": t}
    _check(module, reference, "w", kwargs)


def test_a_product_with_a_zero_and_negative_entries_stays_exact():
    module = _module(r"f(x) = \prod_{i=1}^{n} x_i + \sum_{i=1}^{n} x_i^2", wrt="x", hessian=False)
    x = np.array([1.5, -2.0, 0.0, 3.0, -0.5])

    def reference(v):
        return float(np.prod(v) + v @ v)

    others = np.array([np.prod(np.delete(x, k)) for k in range(x.size)])   # Π_{i ≠ k} x_i, exact
    assert module.loss(x=x) == reference(x)
    np.testing.assert_allclose(module.grad(x=x), others + 2 * x, rtol=1e-14, atol=0)
    generated = symgd.codegen(symgd.parse(r"f(x) = \prod_{i=1}^{n} x_i", wrt="x"), hessian=True)
    assert "np.log" not in generated.source
    hessian = np.array([[0.0 if k == m else np.prod(np.delete(x, [k, m])) for m in range(x.size)]
                        for k in range(x.size)])   # Π_{i ≠ k, m} x_i
    np.testing.assert_allclose(generated.load().hess(x=x), hessian, rtol=1e-14, atol=0)


def test_a_triangular_pair_sum():
    module = _module(r"\sum_{i=1}^{n}\sum_{j=i+1}^{n} W_{ij}(y_i - y_j)^2 + \sum_{i<j} y_i y_j", wrt="y")
    W = RNG.normal(size=(6, 6))
    upper = np.triu(np.ones((6, 6)), 1)

    def reference(y):
        return float(np.sum(upper * W * (y[:, None] - y[None, :]) ** 2) + np.sum(upper * np.outer(y, y)))

    _check(module, reference, "y", {"y": RNG.normal(size=6), "W": W})


def test_a_log_likelihood_written_as_a_product_is_summed_in_logs():
    """-ln Π_n σ(w^T x_n)^{t_n} (1 - σ(w^T x_n))^{1-t_n} over many samples: the product of the
    probabilities underflows to 0, the sum of their logs does not."""
    module = _module(r"E(w) = -\ln\prod_{n=1}^{N}\sigma(w^Tx_n)^{t_n}(1 - \sigma(w^Tx_n))^{1 - t_n}",
                     wrt="w", hessian=False)
    x, t, w = RNG.normal(size=(3000, 3)), (RNG.uniform(size=3000) < 0.5).astype(float), RNG.normal(size=3)
    z = x @ w
    expected = float(np.sum(np.logaddexp(0, z) - t * z))
    assert np.isclose(module.loss(w=w, x=x, t=t), expected, rtol=1e-10)
    np.testing.assert_allclose(module.grad(w=w, x=x, t=t), x.T @ (1 / (1 + np.exp(-z)) - t), rtol=1e-8)


def test_slices_are_views_that_no_in_place_update_overwrites():
    """x[1:] - x[:-1] and functions of it, and a gradient x + (x_2, ..., x_n, 0) + (0, x_1, ..., x_{n-1})
    whose shifted parts are added into a buffer: nothing writes into x's."""
    source = (r"\sum_{i=1}^{n-1}\exp(x_{i+1} - x_i) + \sum_{i=1}^{n}\sqrt{1 + x_i^2}"
              r" + \frac{1}{2}\sum_{i=1}^{n} x_i^2 + \sum_{i=1}^{n-1} x_{i+1} x_i")
    module = _module(source, wrt="x", hessian=False)
    x = RNG.normal(size=8)
    kept = x.copy()

    def reference(v):
        return float(np.sum(np.exp(np.diff(v))) + np.sum(np.sqrt(1 + v ** 2)) + v @ v / 2 + v[1:] @ v[:-1])

    np.testing.assert_allclose(module.value_and_grad(x=x)[1], _differences(reference, kept), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(module.grad(x=x), _differences(reference, kept), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(x, kept)
    quadratic = _module(r"\frac{1}{2}\sum_{i=1}^{n} x_i^2 + \sum_{i=1}^{n-1} x_{i+1} x_i", wrt="x", hessian=False)
    np.testing.assert_allclose(quadratic.grad(x=x), x + np.r_[x[1:], 0] + np.r_[0, x[:-1]], rtol=1e-14)
    np.testing.assert_array_equal(x, kept)
