"""Definitions, optimization problems, derivative requests, update rules and declarations."""

import math

import pytest
import sympy

import symgd
from helpers import objective_value, random_env, shape_names

LSQ = r"\|Xw - y\|^2"


@pytest.mark.parametrize("source", [
    r"L(w) = \|Xw - y\|^2",
    r"J(w) := \|Xw - y\|^2",
    r"\mathcal{L}(w) = \|Xw - y\|^2",
    r"L(w) \coloneqq \|Xw - y\|^2",
    r"\min_{w} \|Xw - y\|^2",
    r"\min_w \|Xw - y\|^2",
    r"\operatorname*{arg\,min}_{w} \|Xw - y\|^2",
    r"\arg\min_{w} \|Xw - y\|^2",
    r"\frac{\partial L}{\partial w} \quad L = \|Xw - y\|^2",
    r"\nabla_w L \quad L = \|Xw - y\|^2",
    r"\nabla_{\mathbf{w}} L(\mathbf{w}) \quad L(\mathbf{w}) = \|Xw - y\|^2",
    r"\nabla L(w) \quad L(w) = \|Xw - y\|^2",
    r"\nabla_w \|Xw - y\|^2",
    r"\frac{\partial}{\partial w} \|Xw - y\|^2",
    r"r = Xw - y \quad L(w) = r^\top r",
])
def test_ways_to_name_the_parameters(source):
    problem = symgd.parse(source, where=r"X \in \mathbb{R}^{n \times d}")
    reference = symgd.parse(LSQ, wrt="w", where=r"X \in \mathbb{R}^{n \times d}")
    assert [str(p.label) for p in problem.params] == ["w"]
    assert shape_names(problem) == shape_names(reference)
    env = random_env(problem)
    assert math.isclose(objective_value(problem, env), objective_value(reference, env), rel_tol=1e-12)


def test_two_parameters_in_definition_order():
    problem = symgd.parse(r"J(w, b) := \sum_{i=1}^{n} (y_i - w^\top x_i - b)^2")
    assert [str(p) for p in problem.params] == ["w", "b"]


def test_wrt_overrides_and_orders():
    problem = symgd.parse(r"J(w, b) := \sum_{i=1}^{n} (y_i - w^\top x_i - b)^2", wrt=["b", "w"])
    assert [str(p) for p in problem.params] == ["b", "w"]


def test_inverted_derivative_notation_gets_a_note():
    problem = symgd.parse(r"\frac{\partial \theta}{\partial L} \quad L(\theta) = (\theta - 3)^2")
    assert [str(p) for p in problem.params] == ["theta"]
    (request,) = problem.requests
    assert request.inverted and request.of == "L" and request.wrt == ("theta",)
    assert any("reciprocal" in note for note in problem.notes)


def test_hessian_request_order():
    problem = symgd.parse(r"\frac{\partial^2 L}{\partial w \partial w^\top} \quad L = \|Xw - y\|^2")
    assert problem.requests[0].order == 2 and problem.requests[0].wrt == ("w",)


@pytest.mark.parametrize("source", [
    r"L(\theta) = (\theta - 3)^2 \quad \theta_{n+1} = \theta_n - \gamma\nabla L(\theta_n)",
    "L(\\theta) = (\\theta - 3)^2\n\\theta_{t+1} = \\theta_t - \\gamma \\nabla L(\\theta_t)",
    r"L(\theta) = (\theta - 3)^2, \quad \theta \leftarrow \theta - \gamma \frac{\partial L}{\partial \theta}",
    r"L(\theta) = (\theta - 3)^2; \theta \gets \theta - \gamma \nabla_\theta L",
])
def test_update_rules(source):
    problem = symgd.parse(source)
    (update,) = problem.updates
    assert update.param == "theta"
    assert update.step_size == sympy.Symbol("gamma", real=True)
    assert problem.roles["gamma"] == "constant"
    assert problem.objective == (sympy.Symbol("theta", real=True) - 3) ** 2


def test_text_update_rule():
    problem = symgd.parse("L(theta) = (theta - 3)^2; theta <- theta - eta * grad(L, theta)")
    assert problem.updates[0].param == "theta"
    assert str(problem.updates[0].step_size) == "eta"


@pytest.mark.parametrize("where", [
    r"X \in \mathbb{R}^{n \times d}, y \in \mathbb{R}^{n}, \lambda > 0",
    r"X \in \mathbb{R}^{n \times d} \quad y \in \mathbb{R}^{n} \quad \lambda > 0",
    r"X \in \mathbb{R}^{n \times d}; y \in \mathbb{R}^{n}; \lambda > 0",
    "X \\in \\mathbb{R}^{n \\times d}\ny \\in \\mathbb{R}^{n}\n\\lambda > 0",
    r"\text{where } X \in \mathbb{R}^{n\times d},\; y \in \mathbb{R}^n,\; \lambda \in \mathbb{R}_{>0}",
    r"X \in \mathbb{R}^{n \times d}, y \in \mathbb{R}^{n} \text{ and } \lambda > 0",
    "X: R^(n,d), y: R^n, lambda > 0",
    "X in R^(n, d); y in R^n\nlambda > 0",
])
def test_declaration_separators(where):
    problem = symgd.parse(r"\frac{1}{2}\|Xw - y\|^2 + \lambda\|w\|^2", wrt="w", where=where)
    assert shape_names(problem) == {"X": ("n", "d"), "y": ("n",), "w": ("d",), "lambda": ()}
    assert problem.symbol("lambda").is_positive


def test_declarations_in_the_source_with_where():
    problem = symgd.parse(r"L(w) = \|Xw - y\|^2 \quad \text{where} \quad X \in \mathbb{R}^{m \times p}")
    assert shape_names(problem)["X"] == ("m", "p")


def test_sample_declarations():
    problem = symgd.parse(r"L(w) = \sum_{i=1}^{N} (y_i - w^\top x_i)^2 \quad x_i \in \mathbb{R}^{p}")
    assert shape_names(problem) == {"x": ("N", "p"), "y": ("N",), "w": ("p",)}


def test_label_sets_and_integer_sets():
    problem = symgd.parse(r"L(w) = \sum_{i=1}^{n}\log(1 + \exp(-y_i w^\top x_i)) \quad y_i \in \{-1, 1\}, "
                          r"x_i \in \mathbb{R}^{d}, n \in \mathbb{N}")
    assert shape_names(problem) == {"y": ("n",), "x": ("n", "d"), "w": ("d",)}


def test_integer_dimensions():
    problem = symgd.parse(r"\|Xw - y\|^2", wrt="w", where=r"X \in \mathbb{R}^{5 \times 3}")
    assert problem.shapes["X"] == (5, 3)
    assert problem.shapes["w"] == (3,)


def test_constraints_normalised():
    problem = symgd.parse(r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1,\; x \ge 0,\; y \leq 2")
    x, y = sympy.symbols("x y", real=True)
    kinds = [(c.kind, sympy.expand(c.expr)) for c in problem.constraints]
    assert kinds == [("eq", x + y - 1), ("le", -x), ("le", y - 2)]


def test_subject_to_variants_and_chains():
    for st in (r"\text{subject to}", r"\text{s.t.}", r"\mathrm{s.t.}", r"\text{such that}"):
        problem = symgd.parse(rf"\min_{{x}} x^2 \quad {st} \quad 1 \le x \le 2")
        assert [c.kind for c in problem.constraints] == ["le", "le"]


def test_vector_constraints_have_free_indices():
    problem = symgd.parse(r"\min_x c^\top x \quad \text{s.t.} \quad Ax \le b,\; x \ge 0,\; \mathbf{1}^\top x = 1",
                          where=r"A \in \mathbb{R}^{m \times d}")
    shapes = [c.shape for c in problem.constraints]
    m, d = sympy.symbols("m d", integer=True, positive=True)
    assert shapes == [(m,), (d,), ()]
    assert len(problem.constraints[0].indices) == 1


def test_text_constraints():
    problem = symgd.parse("min_x c'*x st A*x <= b, x >= 0", where="A: R^(m,d)")
    assert [c.kind for c in problem.constraints] == ["le", "le"]
