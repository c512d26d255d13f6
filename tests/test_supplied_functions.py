"""Functions of the parameters that the source leaves abstract (``r_j(x)``, ``c_i(x)``, ``f(x)``, ``y(x_n, w)``).

symgd reads such a call as a function the user supplies and stops the chain rule at it: the gradient is
written with the function's value and its Jacobian. Each test binds the function to a concrete one (value
and Jacobian by hand), evaluates symgd's gradient with them, and compares it with central differences of
the hand-written NumPy composite, at a random point with every dimension distinct.
"""

import numpy as np
import pytest

import symgd
from corpus.books_prml import two_layer_network
from symgd.numeric import entries, evaluate


def _name(symbol) -> str:
    return str(getattr(symbol, "label", symbol))


def _environment(problem, values: dict, bindings: dict) -> dict:
    """Values by symgd's names: the problem's own symbols from ``values``, each supplied function's value
    and Jacobians from its binding (name -> values -> (value, {parameter name: Jacobian})), dimensions from shapes."""
    env = {}
    for name, function in problem.supplied.items():
        value, jacobians = bindings[name](values)
        env[_name(function.value)] = value
        for param, jacobian in function.jacobians.items():
            env[_name(jacobian)] = jacobians[_name(param)]
    for symbol, role in problem.roles.items():
        if role not in ("index", "dimension", "function"):
            env[_name(symbol)] = values[_name(symbol)]
    for symbol, shape in problem.shapes.items():
        if problem.roles[symbol] in ("index", "dimension"):
            continue
        for dim, size in zip(shape, np.shape(env[_name(symbol)])):
            if not dim.is_Integer:
                assert env.setdefault(str(dim), size) == size, f"{dim} has two sizes"
    return env


def _central_differences(composite, values: dict, name: str, step: float = 1e-6) -> np.ndarray:
    point = np.array(values[name], dtype=float)
    out = np.zeros(point.shape)
    for position in np.ndindex(*point.shape):
        plus, minus = point.copy(), point.copy()
        plus[position] += step
        minus[position] -= step
        out[position] = (composite({**values, name: plus}) - composite({**values, name: minus})) / (2 * step)
    return out


def _check_gradient(problem, values: dict, bindings: dict, composite) -> None:
    env = _environment(problem, values, bindings)
    assert evaluate(problem.objective, env) == pytest.approx(composite(values), rel=1e-10)
    blocks = symgd.gradient(problem).blocks
    assert {block.wrt for block in blocks} == {(p,) for p in problem.params}
    for block in blocks:
        (param,) = block.wrt
        got = entries(block.expr, block.indices, np.shape(values[_name(param)]), env)
        want = _central_differences(composite, values, _name(param))
        assert np.allclose(got, want, rtol=1e-6, atol=1e-7), f"gradient wrt {param}:\n{got}\nexpected\n{want}"


RNG = np.random.default_rng(7)


def _exponential_residuals(values):
    """r_j(x) = exp(a_j^T x) - b_j, J[j, k] = exp(a_j^T x) a_jk."""
    grown = np.exp(values["A"] @ values["x"])
    return grown - values["b"], {"x": grown[:, None] * values["A"]}


def test_nonlinear_least_squares_is_the_jacobian_transposed_times_the_residuals():
    """Nocedal & Wright 10.1: f(x) = 1/2 sum_j r_j^2(x), grad f = J(x)^T r(x)."""
    problem = symgd.parse(r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x)", wrt="x")
    m, n = 5, 3
    values = {"x": RNG.normal(scale=0.3, size=n), "A": RNG.normal(scale=0.5, size=(m, n)), "b": RNG.normal(size=m)}
    _check_gradient(problem, values, {"r": _exponential_residuals},
                    lambda v: 0.5 * float(np.sum((np.exp(v["A"] @ v["x"]) - v["b"]) ** 2)))
    (block,) = symgd.gradient(problem).blocks
    assert block.matrix.latex == r"J_{r}^\top r"
    readings = " ".join(problem.readings)
    assert r"r_{j}(x) is a function of x that you supply" in readings
    assert r"its Jacobian J_{r} \in \mathbb{R}^{m \times n}" in readings
    assert r"x \in \mathbb{R}^{n}: a vector" in readings


def test_the_call_squared_equals_the_square_written_after_it():
    first = symgd.parse(r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x)", wrt="x")
    second = symgd.parse(r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j(x)^2", wrt="x")
    assert first.objective == second.objective
    assert symgd.gradient(first).blocks[0].expr == symgd.gradient(second).blocks[0].expr


def test_log_barrier_with_a_supplied_objective_and_constraints():
    """Nocedal & Wright 19: P(x; mu) = f(x) - mu sum_i log c_i(x), grad = grad f - mu sum_i grad c_i / c_i."""
    problem = symgd.parse(r"P(x;\mu) = f(x) - \mu\sum_{i=1}^{m}\log c_i(x)")
    m, n = 6, 4
    q = RNG.normal(size=(n, n))
    values = {"x": RNG.normal(scale=0.2, size=n), "A": RNG.normal(size=(m, n)), "b": RNG.uniform(8, 12, size=m),
              "Q": q @ q.T + np.eye(n), "g": RNG.normal(size=n), "mu": 0.7}

    def objective(v):
        return 0.5 * float(v["x"] @ v["Q"] @ v["x"]) + float(v["g"] @ v["x"])

    bindings = {"f": lambda v: (objective(v), {"x": v["Q"] @ v["x"] + v["g"]}),
                "c": lambda v: (v["b"] - v["A"] @ v["x"], {"x": -v["A"]})}
    _check_gradient(problem, values, bindings,
                    lambda v: objective(v) - v["mu"] * float(np.sum(np.log(v["b"] - v["A"] @ v["x"]))))
    assert [str(p) for p in problem.params] == ["x"]
    assert symgd.gradient(problem).blocks[0].matrix.latex == r"\nabla f - \mu J_{c}^\top c^{\odot -1}"
    assert any(r"its gradient \nabla f \in \mathbb{R}^{n}" in reading for reading in problem.readings)


def _network(values):
    """y(x_n, w) = W_2 tanh(W_1 x_n), w = (vec W_1, vec W_2), and its Jacobian by hand (tests/corpus)."""
    value, jacobian = two_layer_network(values)
    return value, {"w": jacobian}


def test_network_regression_error_sums_the_jacobians_of_the_samples():
    """Bishop 5.11: E(w) = 1/2 sum_n ||y(x_n, w) - t_n||^2, grad E = sum_n J_n^T (y_n - t_n)."""
    problem = symgd.parse(r"E(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}\|\mathbf{y}(\mathbf{x}_n,\mathbf{w}) - "
                          r"\mathbf{t}_n\|^2")
    samples, inputs, outputs = 7, 3, 4
    values = {"x": RNG.normal(size=(samples, inputs)), "t": RNG.normal(size=(samples, outputs)),
              "w": RNG.normal(scale=0.5, size=2 * inputs + 2 * outputs)}
    _check_gradient(problem, values, {"y": _network},
                    lambda v: 0.5 * float(np.sum((_network(v)[0] - v["t"]) ** 2)))
    function = problem.supplied["y"]
    assert function.points == ("x_{n}",)
    assert [str(d) for d in problem.shapes[function.jacobians[problem.symbol("w")]]][0] == \
        str(problem.shapes[problem.symbol("t")][0])   # one Jacobian per sample


def test_a_function_of_two_parameters_has_a_jacobian_for_each():
    problem = symgd.parse(r"L(u, v) = \sum_{i=1}^{m} h_i(u, v)^2 + \lambda\|u\|^2", wrt="u, v")
    m, p, q = 5, 3, 4
    values = {"u": RNG.normal(size=p), "v": RNG.normal(size=q), "A": RNG.normal(size=(m, p)),
              "B": RNG.normal(size=(m, q)), "lambda": 0.3}

    def h(v):
        left, right = v["A"] @ v["u"], v["B"] @ v["v"]
        return left * right, {"u": right[:, None] * v["A"], "v": left[:, None] * v["B"]}

    _check_gradient(problem, values, {"h": h},
                    lambda v: float(np.sum(h(v)[0] ** 2)) + v["lambda"] * float(v["u"] @ v["u"]))
    assert sorted(_name(j) for j in problem.supplied["h"].jacobians.values()) == ["J_h_u", "J_h_v"]
    defaults = [reading for reading in problem.readings if "a vector, since it appears only" in reading]
    assert len(defaults) == 1 and defaults[0].startswith("v ")   # u is shaped by \|u\|^2, v by nothing else


def test_a_declared_scalar_parameter_and_a_matrix_parameter():
    scalar = symgd.parse(r"L(w) = g(w)^2 + w", wrt="w")
    values = {"w": 0.4}
    _check_gradient_scalar = _environment(scalar, values, {"g": lambda v: (np.sin(3 * v["w"]), {"w": 3 * np.cos(3 * v["w"])})})
    (block,) = symgd.gradient(scalar).blocks
    assert evaluate(block.expr, _check_gradient_scalar) == pytest.approx(6 * np.sin(1.2) * np.cos(1.2) + 1)

    problem = symgd.parse(r"\sum_{n=1}^{N}\|y(x_n, W) - t_n\|^2", wrt="W", where=r"W \in \mathbb{R}^{p \times q}")
    samples, outputs, p, q = 6, 2, 3, 5
    values = {"x": RNG.normal(size=(samples, q)), "t": RNG.normal(size=(samples, outputs)),
              "W": RNG.normal(size=(p, q)), "V": RNG.normal(size=(outputs, p))}

    def y(v):   # y(x_n, W) = V tanh(W x_n): J[n, k, a, b] = V_ka (1 - h_na^2) x_nb
        h = np.tanh(v["x"] @ v["W"].T)
        return h @ v["V"].T, {"W": np.einsum("ka,na,nb->nkab", v["V"], 1 - h ** 2, v["x"])}

    _check_gradient(problem, values, {"y": y}, lambda v: float(np.sum((y(v)[0] - v["t"]) ** 2)))


def test_second_derivatives_are_refused_naming_the_function():
    problem = symgd.parse(r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x)", wrt="x")
    with pytest.raises(symgd.UnsupportedError, match=r"second derivative of the function r_\{j\}\(x\)"):
        symgd.hessian(problem)
    with pytest.raises(symgd.UnsupportedError, match=r"explain of a loss through a function you supply \(r_\{j\}"):
        symgd.explain(r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x)", wrt="x")
    for options in ({"hessian": True}, {"optimizer": "newton"}, {"optimizer": "prox"}, {"backend": "jax"}):
        with pytest.raises(symgd.UnsupportedError, match=r"function you supply \(r_\{j\}\(x\)\)"):
            symgd.codegen(problem, **options)


def test_generated_code_takes_the_function_as_a_callable_of_the_parameters():
    """loss(x, r), grad(x, r) with r(x) -> (r(x), J_r(x)); the module's docstring says so; fit solves a
    nonlinear least-squares problem whose residuals vanish at a known point."""
    problem = symgd.parse(r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x) + \frac{\lambda}{2}\|x\|^2", wrt="x")
    m, n = 6, 3
    a = RNG.normal(scale=0.5, size=(m, n))
    start = RNG.normal(scale=0.3, size=n)

    def residuals(x, b):
        grown = np.exp(a @ x)
        return grown - b, grown[:, None] * a

    b = RNG.normal(size=m)
    generated = symgd.codegen(problem, optimizer="lbfgs")
    assert "r(x): the function r_{j}(x) you supply, a callable returning its values, (m,)" in generated.source
    module = generated.load()

    def composite(x):
        return 0.5 * float(np.sum((np.exp(a @ x) - b) ** 2)) + 0.35 * float(x @ x)

    value, gradient = module.value_and_grad(start, 0.7, lambda x: residuals(x, b))
    assert value == pytest.approx(composite(start)) == module.loss(start, 0.7, lambda x: residuals(x, b))
    want = _central_differences(lambda v: composite(v["x"]), {"x": start}, "x")
    assert np.allclose(gradient, want, rtol=1e-6, atol=1e-8)
    assert np.allclose(module.grad(start, 0.7, lambda x: residuals(x, b)), want, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="r_value has shape"):   # a callable of the wrong shape is named
        module.loss(start, 0.7, lambda x: (residuals(x, b)[0][:-1], residuals(x, b)[1]))

    solution = RNG.normal(scale=0.3, size=n)
    zero_at_solution = np.exp(a @ solution)
    found, history = module.fit(start, 0.0, lambda x: residuals(x, zero_at_solution))
    assert np.allclose(found, solution, atol=1e-5) and history[-1] < 1e-10


def test_generated_code_for_a_function_of_two_parameters_and_of_the_data_points():
    problem = symgd.parse(r"\sum_{n=1}^{N}\|y(x_n, u, v) - t_n\|^2", wrt="u, v")
    samples, outputs, p = 7, 3, 4
    x, t = RNG.normal(size=(samples, p)), RNG.normal(size=(samples, outputs))
    u, v = RNG.normal(size=p), RNG.normal(size=outputs)

    def y(u, v):   # y(x_n, u, v) = tanh(u^T x_n) v: J_u[n, k, a] = (1 - h_n^2) x_na v_k, J_v[n, k, c] = h_n [k = c]
        h = np.tanh(x @ u)
        return h[:, None] * v, (np.einsum("n,na,k->nka", 1 - h ** 2, x, v), np.einsum("n,kc->nkc", h, np.eye(outputs)))

    module = symgd.codegen(problem, optimizer="adam").load()
    grads = module.grad(u, v, t, y)

    def composite(values):
        return float(np.sum((y(values["u"], values["v"])[0] - t) ** 2))

    for got, name in zip(grads, ("u", "v")):
        want = _central_differences(composite, {"u": u, "v": v}, name)
        assert np.allclose(got, want, rtol=1e-6, atol=1e-8), name
    with pytest.raises(ValueError, match="mini-batches"):   # the callable returns every sample: no batches
        module.fit(u, v, t, y, batch_size=2, max_iter=1)


def test_a_parameter_as_the_subscript_names_the_function_of_the_parameter():
    """f_w(x_i) with w the parameter was the value of a fixed function (data): its term lost its gradient."""
    problem = symgd.parse(r"\sum_{i=1}^{n}(f_w(x_i) - y_i)^2 + \lambda\|w\|^2", wrt="w")
    samples, features = 7, 3
    values = {"x": RNG.normal(size=(samples, features)), "y": RNG.normal(size=samples),
              "w": RNG.normal(size=features), "lambda": 0.4}

    def f(v):   # f_w(x_i) = tanh(w^T x_i): J[i, k] = (1 - f_i^2) x_ik
        h = np.tanh(v["x"] @ v["w"])
        return h, {"w": (1 - h ** 2)[:, None] * v["x"]}

    _check_gradient(problem, values, {"f": f},
                    lambda v: float(np.sum((f(v)[0] - v["y"]) ** 2)) + v["lambda"] * float(v["w"] @ v["w"]))
    assert problem.supplied["f"].written == "f_{w}(x_{i})"
    fixed = symgd.parse(r"\sum_{i=1}^{N}\exp[-y_i(f_{m-1}(x_i) + \beta G(x_i))]", wrt=r"\beta")
    assert not fixed.supplied   # ESL's f_{m-1}(x_i): a fixed function's values, data


def test_a_capitalised_function_in_a_norm_maps_to_vectors():
    """Nocedal & Wright 11: the merit function 1/2 ||F(x)||^2 of F: R^n -> R^m; its gradient J_F^T F."""
    problem = symgd.parse(r"f(x) = \frac{1}{2}\|F(x)\|^2", wrt="x")
    m, n = 5, 3
    values = {"x": RNG.normal(size=n), "A": RNG.normal(size=(m, n)), "b": RNG.normal(size=m)}

    def merit(v):
        h = np.tanh(v["A"] @ v["x"])
        return h - v["b"], {"x": (1 - h ** 2)[:, None] * v["A"]}

    _check_gradient(problem, values, {"F": merit}, lambda v: 0.5 * float(np.sum(merit(v)[0] ** 2)))
    assert symgd.gradient(problem).blocks[0].matrix.latex == r"J_{F}^\top F"
    matrix = symgd.parse(r"f(X) = \frac{1}{2}\|X\|^2", wrt="X")   # a capitalised parameter stays a matrix
    assert len(matrix.shapes[matrix.symbol("X")]) == 2


@pytest.mark.parametrize("source, wrt, error", [
    (r"L(x) = huber(A*x - b)", "x", symgd.AmbiguityError),          # a word, of an expression: no call read
    (r"L(x) = huber(x)", "x", symgd.AmbiguityError),                # a word stays an undefined function
    (r"f(x) = \|x\|^2 + \sum_{j=1}^{m} r_j(z)^2", "x", symgd.AmbiguityError),   # of no parameter
    (r"f(x) = \sum_{j=1}^{m} r_j(x)^2 + \sum_{j=1}^{m} r_j(A x)", "x", symgd.SymgdError),   # not at the parameter
    (r"f(x, u) = \sum_{j=1}^{m} r_j(x)^2 + \sum_{j=1}^{m} r_j(u)", "x, u", symgd.AmbiguityError),   # two calls
    (r"\min_x f(x) \quad \text{s.t.} \quad c_i(x) \ge 0", None, symgd.AmbiguityError),   # i bound by nothing
])
def test_what_is_not_clearly_a_function_of_the_parameters_stays_an_error(source, wrt, error):
    with pytest.raises(error):
        symgd.gradient(symgd.parse(source, wrt=wrt))


def test_a_data_kernel_and_a_fixed_function_of_the_data_stay_data():
    kernel = symgd.parse(r"\sum_{i=1}^{n}\sum_{j=1}^{n} \alpha_i \alpha_j k(x_i, x_j)", wrt=r"\alpha")
    assert not kernel.supplied
    boosting = symgd.parse(r"\sum_{i=1}^{N} (y_i - f(x_i) - \beta b_i)^2", wrt=r"\beta")
    assert not boosting.supplied


def test_a_linear_map_named_with_a_capital_maps_to_a_vector_and_its_adjoint_enters_the_kkt_conditions():
    """Recht, Fazel & Parrilo: minimize ||X||_* s.t. A(X) = b; A(X) is a vector (not a matrix by its capital),
    and stationarity holds the adjoint A*(lambda) = sum_j lambda_j (J_A)_j."""
    problem = symgd.parse(r"\begin{array}{ll}\text{minimize} & \|X\|_* \\ \text{subject to} & "
                          r"\mathcal{A}(X) = b\end{array}", wrt="X")
    function = problem.supplied["A"]
    assert len(problem.shapes[function.value]) == 1 and len(problem.shapes[problem.symbol("b")]) == 1
    assert any("A is a vector (the values of a function you supply" in reading for reading in problem.readings)
    assert r"\left(J_{A}\right)_{j l m} \lambda_{j}" in symgd.kkt(problem).latex


@pytest.mark.parametrize("source, wrt", [
    (r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x)", "x"),
    (r"P(x;\mu) = f(x) - \mu\sum_{i=1}^{m}\log c_i(x)", None),
    (r"E(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}\|\mathbf{y}(\mathbf{x}_n,\mathbf{w}) - \mathbf{t}_n\|^2", None),
    (r"\sum_{i=1}^{n}(f_w(x_i) - y_i)^2", "w"),
    (r"\min_X \|X\|_* \quad \text{s.t.} \quad \mathcal{A}(X) = b", None),
])
def test_the_problems_latex_writes_the_calls_and_reads_back_to_the_same_problem(source, wrt):
    problem = symgd.parse(source, wrt=wrt)
    again = symgd.parse(problem.latex())
    assert again.objective == problem.objective and dict(again.shapes) == dict(problem.shapes)
    assert [c.expr for c in again.constraints] == [c.expr for c in problem.constraints]
    assert all(function.written.split("(")[0] in problem.latex() for function in problem.supplied.values())


def test_kkt_conditions_of_supplied_objective_and_constraints_read_as_the_textbook():
    """Nocedal & Wright 12.1: min f(x) s.t. c_i(x) >= 0; stationarity grad f(x) - sum_i mu_i grad c_i(x) = 0."""
    problem = symgd.parse(r"\min_x f(x) \quad \text{s.t.} \quad c_i(x) \ge 0, \; i = 1, \dots, m")
    conditions = symgd.kkt(problem)
    assert r"\nabla_{x} \mathcal{L} = \nabla f - J_{c}^\top \mu = 0" in conditions.latex
    with pytest.raises(symgd.UnsupportedError, match=r"function you supply \(f\(x\), c_\{i\}\(x\)\)"):
        conditions.solve({"x": np.ones(2), "c": np.ones(3), "f": 1.0})


def test_a_capitalised_parameter_seen_only_in_calls_is_a_matrix_and_two_subscripts_are_two_axes():
    problem = symgd.parse(r"\frac{1}{2}\|F(X)\|_F^2", wrt="X")
    assert len(problem.shapes[problem.symbol("X")]) == 2
    assert any(r"X \in \mathbb{R}^{n \times d}: a matrix" in reading for reading in problem.readings)
    residuals = symgd.parse(r"\sum_{i=1}^{n}\sum_{j=1}^{m} r_{ij}(x)^2", wrt="x")
    function = residuals.supplied["r"]
    assert len(residuals.shapes[function.value]) == 2 and len(residuals.shapes[function.jacobians[residuals.symbol("x")]]) == 3
    rows, columns, size = 4, 3, 2
    values = {"x": RNG.normal(size=size), "A": RNG.normal(size=(rows, columns, size))}

    def r(v):   # r_ij(x) = sin(a_ij^T x): J[i, j, k] = cos(a_ij^T x) a_ijk
        inner = v["A"] @ v["x"]
        return np.sin(inner), {"x": np.cos(inner)[:, :, None] * v["A"]}

    _check_gradient(residuals, values, {"r": r}, lambda v: float(np.sum(np.sin(v["A"] @ v["x"]) ** 2)))


@pytest.mark.parametrize("claim, ok, diagnosis", [
    (r"\nabla f = J_r^\top r", True, None),
    (r"\nabla f = 2 J_r^\top r", False, "2 times the gradient"),
    (r"\nabla f = r^\top J_r", False, "row vector"),
    (r"\nabla f = J_r^\top (r - 1)", False, "differs"),
])
def test_a_hand_derivation_is_checked_in_the_functions_value_and_jacobian(claim, ok, diagnosis):
    result = symgd.check(r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x)", claim, wrt="x")
    assert result.ok is ok
    assert diagnosis is None or diagnosis in " ".join(result.diagnosis)
