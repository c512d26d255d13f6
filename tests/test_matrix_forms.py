"""Matrix forms.

Every gradient and Hessian block of the examples list (examples/*.tex) has a matrix form, and the
form's IR, evaluated, equals central differences of a hand-written NumPy loss at a random point with
every dimension distinct and generic (non-symmetric) square matrices. Hessian blocks of matrix
parameters are the matrices ∂²L/∂vec(θ)∂vec(φ)^T (vec stacks columns). The test fails when any block
of an example has index notation only (sums over samples of Kronecker products included: softmax,
the two-layer network).

The loss list of the parsing issue (test_loss_list) is checked the same way against the index form;
there too every block has a matrix form.
"""

from pathlib import Path

import numpy as np
import pytest

import symgd
from helpers import assert_close, block_values_as_matrix_form
from symgd.errors import UnsupportedError
from symgd.numeric import evaluate, random_values
from symgd.tensor import ir
from test_loss_list import LOSSES

EXAMPLES = {path.stem: path.read_text()
            for path in sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.tex"))}
SIZES = {"n": 7, "d": 3, "K": 4, "k": 2, "p": 5, "m": 6, "h": 4, "r": 2}


def _sigmoid(u):
    return 1 / (1 + np.exp(-u))


def _log_softmax(a):
    top = a.max(axis=1, keepdims=True)
    return a - top - np.log(np.exp(a - top).sum(axis=1, keepdims=True))


# Each example's loss written by hand in NumPy, reading the values by the names symgd gives them.
REFERENCES = {
    "01_least_squares": lambda v: np.sum((v["X"] @ v["w"] - v["y"]) ** 2) / (2 * len(v["y"])),
    "02_ridge_sum": lambda v: np.mean((v["y"] - v["x"] @ v["w"]) ** 2) + v["lambda"] * v["w"] @ v["w"],
    "03_linear_bias": lambda v: np.sum((v["y"] - v["x"] @ v["w"] - v["b"]) ** 2),
    "04_logistic": lambda v: -np.sum(v["y"] * np.log(_sigmoid(v["x"] @ v["w"]))
                                     + (1 - v["y"]) * np.log(1 - _sigmoid(v["x"] @ v["w"]))),
    "05_softmax": lambda v: -np.sum(v["Y"] * _log_softmax(v["x"] @ v["W"].T)),
    "06_svm_hinge": lambda v: v["lambda"] / 2 * v["w"] @ v["w"]
    + np.mean(np.maximum(0, 1 - v["y"] * (v["x"] @ v["w"]))),
    "07_lasso": lambda v: 0.5 * np.sum((v["X"] @ v["w"] - v["y"]) ** 2) + v["lambda"] * np.abs(v["w"]).sum(),
    "08_pseudo_huber": lambda v: np.sum(v["delta"] ** 2 * (np.sqrt(1 + ((v["y"] - v["x"] @ v["w"]) / v["delta"]) ** 2)
                                                           - 1)),
    "09_poisson": lambda v: np.sum(np.exp(v["x"] @ v["w"]) - v["y"] * (v["x"] @ v["w"])),
    "10_matrix_factorization": lambda v: np.sum((v["R"] - v["U"] @ v["V"].T) ** 2)
    + v["lambda"] * (np.sum(v["U"] ** 2) + np.sum(v["V"] ** 2)),
    "11_quadratic": lambda v: 0.5 * v["x"] @ v["A"] @ v["x"] - v["b"] @ v["x"],
    "12_graphical_lasso_logdet": lambda v: np.trace(v["S"] @ v["Theta"]) - np.linalg.slogdet(v["Theta"])[1],
    "13_two_layer_tanh": lambda v: np.sum((v["y"] - np.tanh(v["x"] @ v["W"].T) @ v["v"]) ** 2),
    "14_scalar_update_rule": lambda v: (v["theta"] - 3) ** 2,
}
NOT_A_LOSS = {"15_constrained_qp": "a constrained problem: its Lagrangian's derivatives are the KKT tests'"}


def test_every_example_has_a_reference():
    assert set(REFERENCES) | set(NOT_A_LOSS) == set(EXAMPLES)


def _derivations(problem):
    out = [symgd.gradient(problem)]
    try:
        out.append(symgd.hessian(problem))
    except UnsupportedError:
        pass
    return out


def _name(symbol) -> str:
    return str(getattr(symbol, "label", symbol))


def _positions(shape: tuple, vec: bool) -> list:
    """The entries of an array of ``shape`` in the order of its vec (columns stacked) or row-major."""
    count = int(np.prod(shape)) if shape else 1
    return [np.unravel_index(n, shape, order="F" if vec else "C") if shape else () for n in range(count)]


def _shifted(values: dict, moves) -> dict:
    """``values`` with ``step`` added to entry ``position`` of the named arrays, for each (name, position, step)."""
    out = dict(values)
    for name, position, step in moves:
        array = np.array(out[name], dtype=float)
        array[position] += step
        out[name] = array if array.shape else float(array)
    return out


def _gradient_by_differences(loss, values: dict, name: str, h: float = 1e-6) -> np.ndarray:
    shape = np.shape(values[name])
    out = np.zeros(shape)
    for position in _positions(shape, vec=False):
        out[position] = (loss(_shifted(values, [(name, position, h)]))
                         - loss(_shifted(values, [(name, position, -h)]))) / (2 * h)
    return out


def _hessian_by_differences(loss, values: dict, first: str, second: str, vec: bool, h: float = 1e-3) -> np.ndarray:
    """∂²loss/∂first∂second by second central differences, Richardson-extrapolated from steps h and h/2
    (error O(h^4): the step-h error of the two-layer tanh network's Hessian is 2e-5 relative): shape
    first + second, or (size, size) in vec order."""
    coarse = _second_differences(loss, values, first, second, vec, h)
    return (4 * _second_differences(loss, values, first, second, vec, h / 2) - coarse) / 3


def _second_differences(loss, values: dict, first: str, second: str, vec: bool, h: float) -> np.ndarray:
    rows = _positions(np.shape(values[first]), vec)
    cols = _positions(np.shape(values[second]), vec)
    out = np.zeros((len(rows), len(cols)))
    for a, row in enumerate(rows):
        for b, col in enumerate(cols):
            total = 0.0
            for s, t in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                total += s * t * loss(_shifted(values, [(first, row, s * h), (second, col, t * h)]))
            out[a, b] = total / (4 * h * h)
    return out if vec else out.reshape(np.shape(values[first]) + np.shape(values[second]))


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_every_block_of_the_examples_has_a_matrix_form_equal_to_differences(name):
    problem = symgd.parse(EXAMPLES[name])
    values = random_values(problem, seed=7, sizes=SIZES, symmetric=False)
    loss = REFERENCES[name]
    assert loss(values) == pytest.approx(float(evaluate(problem.objective, values)), rel=1e-10)
    for derivation in _derivations(problem):
        for block in derivation.blocks:
            names = tuple(_name(p) for p in block.wrt)
            key = (name, derivation.kind, names)
            assert block.matrix is not None, f"{key}: index form only ({block.no_matrix})"
            value = np.asarray(block.matrix.evaluate(values), dtype=float)
            if derivation.kind == "gradient":
                expected = _gradient_by_differences(loss, values, names[0])
            else:
                expected = _hessian_by_differences(loss, values, *names, vec=block.matrix.vec)
            assert_close(value, expected, rel=1e-5, what=f"{key}: {block.matrix_latex}")


CASES = [(row[0], row[1], row[3]) for row in LOSSES if row[0] != "constrained"]


@pytest.mark.parametrize("name, source, wrt", CASES, ids=[c[0] for c in CASES])
def test_matrix_forms_of_the_loss_list_equal_the_index_form(name, source, wrt):
    problem = symgd.parse(source, wrt=wrt)
    values = random_values(problem, seed=3, sizes=SIZES, symmetric=False)
    for derivation in _derivations(problem):
        for block in derivation.blocks:
            assert block.matrix is not None, f"{name} {block.wrt}: index form only ({block.no_matrix})"
            expected = block_values_as_matrix_form(block, values, problem)
            value = np.asarray(block.matrix.evaluate(values), dtype=float)
            assert_close(value.reshape(expected.shape), expected, rel=1e-9, what=f"{name} {block.matrix_latex}")


def test_a_deep_composition_reads_as_backpropagation():
    """The three blocks of a three-layer network are products of C^T, B^T, ⊙(1 - tanh²(·)) and the
    data, equal to central differences of the NumPy loss; the generated code computes each hidden
    layer once and its value and gradient equal the NumPy loss and central differences."""
    problem = symgd.parse(r"L(A, B, C) = \frac{1}{n}\sum_i\|y_i - C\tanh(B\tanh(A x_i))\|^2")
    values = random_values(problem, seed=5, sizes={"n": 7}, symmetric=False)

    def loss(v):
        hidden = np.tanh(v["B"] @ np.tanh(v["A"] @ v["x"].T))
        return np.sum((v["y"].T - v["C"] @ hidden) ** 2) / v["y"].shape[0]

    derivation = symgd.gradient(problem)
    for block in derivation.blocks:
        name = _name(block.wrt[0])
        assert block.matrix is not None, f"{name}: {block.no_matrix}"
        assert_close(block.matrix.evaluate(values), _gradient_by_differences(loss, values, name), rel=1e-6,
                     what=f"{name}: {block.matrix_latex}")
    first = derivation.block("A").matrix_latex
    for part in (r"B^\top", r"C^\top", r"1 - \tanh\left(A x^\top\right)^{\odot 2}", r"\odot"):
        assert part in first, first
    assert max(len(node.shape) for node in ir.postorder([derivation.block("A").matrix.node])) == 2

    generated = symgd.codegen(derivation)
    arguments = {name: values[name] for name in ("A", "B", "C", "y", "x")}
    value, gradients = generated.load().value_and_grad(**arguments)
    assert value == pytest.approx(loss(values), rel=1e-10)
    for name, gradient in zip("ABC", gradients):
        assert_close(gradient, _gradient_by_differences(loss, values, name), rel=1e-6, what=f"generated d/d{name}")
    for function in ("grad", "value_and_grad"):   # each hidden layer's tanh once: forward values shared
        body = generated.source.split(f"\ndef {function}(")[1].split("\ndef ")[0]
        assert body.count("np.tanh") == 2, body


def test_a_negated_sum_keeps_its_parentheses():
    """-(A + B) once printed as -A + B (the matrix form of tr((X^T A X)^{-1})'s gradient had a wrong sign)."""
    import sympy

    from symgd.tensor import ir
    from symgd.tensor.print_latex import latex

    a, b = (ir.input_(sympy.IndexedBase(name), (2, 2)) for name in "AB")
    assert latex(ir.mul(ir.const(-1), ir.add(a, b))) in (r"-\left(A + B\right)", r"-\left(B + A\right)")
    problem = symgd.parse(r"\min_X \operatorname{tr}((X^\top A X)^{-1})")
    text = symgd.gradient(problem).latex   # -(A X M^{-2} + A^T X M^{-T}M^{-T}) with M = X^T A X, either order
    assert text.startswith(r"\frac{\partial L}{\partial X} = -\left(") and text.endswith(r"\right)"), text
    assert r"-\left(A X" in text or r"-\left(A^\top X" in text, text
