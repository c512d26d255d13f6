"""Matrix Cookbook identities, textbook matrix forms, non-smooth sets, requests and notation."""

import numpy as np
import pytest
import sympy

import symgd
from symgd.functions import inverse_entry
from helpers import assert_close, block_values, random_env

SIZES = {"n": 4, "d": 3, "m": 2}


def explicit(block, problem, sizes):
    """The block as an explicit SymPy Matrix at concrete sizes (entries in the symbols' entries)."""
    dims = {d: sizes[str(d)] for d in problem.dims}
    shape = [dims.get(d, d) for d in block.shape]
    inverses = {}

    def concrete(expr):
        expr = expr.xreplace(dims).doit()
        for call in expr.atoms(inverse_entry):
            base, i, j = call.args
            size = dims[problem.shapes[str(base.label)][0]]
            entries = sympy.Matrix(size, size, lambda a, b, base=base: base[a + 1, b + 1])
            matrix = inverses.setdefault(base, entries.adjugate() / entries.det())   # inv() simplifies: 20 s
            expr = expr.xreplace({call: matrix[int(i) - 1, int(j) - 1]})
        return expr

    if not shape:
        return sympy.Matrix([[concrete(block.expr)]])
    rows, cols = (shape + [1])[:2]
    return sympy.Matrix(rows, cols, lambda a, b: concrete(
        block.expr.xreplace(dict(zip(block.indices, (a + 1, b + 1)[:len(block.indices)])))))


def matrix_of(problem, name, sizes):
    """The symbol's entries as a Matrix (at concrete sizes, like ``explicit`` makes them)."""
    symbol = problem.symbol(name)
    dims = [sizes[str(d)] for d in problem.shapes[symbol]]
    rows, cols = (dims + [1])[:2]
    concrete = {d: sizes[str(d)] for d in problem.dims}
    return sympy.Matrix(rows, cols, lambda a, b: symbol[(a + 1, b + 1)[:len(dims)]]).xreplace(concrete)


COOKBOOK = [
    # (source, wrt, where, expected builder, expected matrix LaTeX)
    (r"a^\top x", "x", r"a \in \mathbb{R}^{d}, x \in \mathbb{R}^{d}", lambda M: M("a"), "a"),
    (r"x^\top A x", "x", r"A \in \mathbb{R}^{d \times d}", lambda M: (M("A") + M("A").T) * M("x"),
     r"\left(A + A^\top\right) x"),
    (r"\operatorname{tr}(A X)", "X", r"A \in \mathbb{R}^{m \times d}, X \in \mathbb{R}^{d \times m}",
     lambda M: M("A").T, r"A^\top"),
    (r"\operatorname{tr}(X^\top A X)", "X", r"A \in \mathbb{R}^{d \times d}, X \in \mathbb{R}^{d \times m}",
     lambda M: (M("A") + M("A").T) * M("X"), r"\left(A + A^\top\right) X"),
    (r"\log\det X", "X", r"X \in \mathbb{R}^{d \times d}", lambda M: M("X").inv().T, r"X^{-\top}"),
    (r"\|A x - b\|^2", "x", r"A \in \mathbb{R}^{n \times d}, b \in \mathbb{R}^{n}",
     lambda M: 2 * M("A").T * (M("A") * M("x") - M("b")), r"2 A^\top \left(A x - b\right)"),
    (r"\|X\|_F^2", "X", r"X \in \mathbb{R}^{n \times d}", lambda M: 2 * M("X"), r"2 X"),
]


@pytest.mark.parametrize("source, wrt, where, expected, shown", COOKBOOK, ids=[c[0] for c in COOKBOOK])
def test_matrix_cookbook_gradient(source, wrt, where, expected, shown):
    problem = symgd.parse(source, wrt=wrt, where=where)
    derivation = symgd.gradient(problem)
    (block,) = derivation.blocks
    result = explicit(block, problem, SIZES)
    want = expected(lambda name: matrix_of(problem, name, SIZES))
    # cancel: a rational function that is zero cancels to 0 (simplify took 20 s on the inverse of a 3 x 3)
    assert (result - want.reshape(*result.shape)).applyfunc(sympy.cancel) == sympy.zeros(*result.shape)
    assert block.matrix_latex == shown
    env = random_env(problem, sizes=SIZES)
    assert_close(np.asarray(block.matrix.evaluate(env), dtype=float).reshape(result.shape),
                 block_values(block, env, problem).reshape(result.shape), rel=1e-12)


def test_second_derivative_of_quadratic_form():
    problem = symgd.parse(r"x^\top A x", wrt="x", where=r"A \in \mathbb{R}^{d \times d}")
    (block,) = symgd.hessian(problem).blocks
    A = matrix_of(problem, "A", SIZES)
    assert explicit(block, problem, SIZES) - (A + A.T) == sympy.zeros(3, 3)
    assert block.matrix_latex == r"A + A^\top"


@pytest.mark.parametrize("source, wrt, shown", [
    (r"\frac{1}{2n}\|Xw - y\|_2^2", "w", r"\frac{1}{n} X^\top \left(X w - y\right)"),
    (r"\frac{1}{n}\|Xw - y\|_2^2 + \lambda\|w\|_2^2", "w",
     r"2 \lambda w + \frac{2}{n} X^\top \left(X w - y\right)"),
    (r"-\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]", "w",
     r"x^\top \left(\sigma\left(x w\right) - y\right)"),
    (r"\frac{1}{2}x^\top A x - b^\top x", "x", r"\frac{1}{2} \left(A + A^\top\right) x - b"),
    (r"\operatorname{tr}(S\Theta) - \log\det\Theta", r"\Theta", r"S^\top - \Theta^{-\top}"),
])
def test_textbook_matrix_forms(source, wrt, shown):
    derivation = symgd.gradient(source, wrt=wrt)
    assert derivation.blocks[0].matrix_latex == shown
    assert derivation.latex.endswith(shown)


def test_sigmoid_derivative_reads_sigma_one_minus_sigma():
    derivation = symgd.gradient(r"\sigma(\theta)", wrt=r"\theta")
    theta = sympy.Symbol("theta", real=True)
    s = 1 / (1 + np.exp(-0.3))
    assert float(derivation.expr.subs(theta, 0.3).evalf()) == pytest.approx(s * (1 - s))
    assert "exp" not in str(derivation.expr)
    assert derivation.blocks[0].index_latex in (
        r"\sigma\left(\theta\right) \left(1 - \sigma\left(\theta\right)\right)",
        r"\left(1 - \sigma\left(\theta\right)\right) \sigma\left(\theta\right)")


def test_no_kronecker_delta_or_piecewise_survives():
    for source, wrt in [(r"\|Xw - y\|^2", "w"), (r"\|R - UV^\top\|_F^2", "U, V"),
                        (r"-\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}",
                         "W")]:
        derivation = symgd.gradient(source, wrt=wrt)
        for block in derivation.blocks:
            assert not block.expr.has(sympy.KroneckerDelta, sympy.Piecewise), block.expr


def test_layout_convention_gradient_has_parameter_shape():
    problem = symgd.parse(r"\|R - UV^\top\|_F^2", wrt="U, V",
                          where=r"R \in \mathbb{R}^{m \times n}, U \in \mathbb{R}^{m \times d}")
    derivation = symgd.gradient(problem)
    assert [b.shape for b in derivation.blocks] == [problem.shapes["U"], problem.shapes["V"]]
    hessian = symgd.hessian(r"x^\top A x", wrt="x", where=r"A \in \mathbb{R}^{d \times d}")
    assert len(hessian.blocks[0].shape) == 2


def test_nonsmooth_hinge_and_lasso():
    hinge = symgd.gradient(r"\frac{\lambda}{2}\|w\|^2 + \frac{1}{n}\sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)", wrt="w")
    assert [k.condition for k in hinge.nonsmooth] == [r"1 - y_{i} w^\top x_{i} = 0"]
    assert "subgradient" in hinge.latex
    lasso = symgd.gradient(r"\frac{1}{2}\|Xw - y\|_2^2 + \lambda\|w\|_1", wrt="w")
    (kink,) = lasso.nonsmooth
    assert "w" in kink.condition and "for some" in kink.condition
    assert "sign" in kink.subgradient
    assert "sign" in lasso.blocks[0].matrix_latex


@pytest.mark.parametrize("source, condition", [
    (r"\operatorname{relu}(w^\top x)", r"w^\top x = 0"),
    (r"|w^\top x - 1|", r"w^\top x - 1 = 0"),
    (r"\|w\|_2", "w = 0"),
    (r"\max(w^\top x, w^\top y)", r"w^\top x = w^\top y"),
    (r"\sqrt{w^\top w}", r"w^\top w = 0"),
])
def test_nonsmooth_sets(source, condition):
    derivation = symgd.gradient(source, wrt="w", where=r"x \in \mathbb{R}^{d}, y \in \mathbb{R}^{d}")
    assert [k.condition for k in derivation.nonsmooth] == [condition]


def test_smooth_losses_report_no_kinks():
    for source in (r"\|Xw - y\|^2", r"\sum_{i=1}^{n}\delta^2\left(\sqrt{1 + \left(\frac{y_i - w^\top x_i}{\delta}\right)^2} - 1\right)",
                   r"\|w\|_2^2"):
        assert symgd.gradient(source, wrt="w").nonsmooth == ()


def test_subgradient_conventions_at_the_kink():
    relu = symgd.gradient(r"\operatorname{relu}(\theta)", wrt=r"\theta")
    assert relu.expr.subs(sympy.Symbol("theta", real=True), 0) == 0
    absolute = symgd.gradient(r"|\theta|", wrt=r"\theta")
    assert absolute.expr.subs(sympy.Symbol("theta", real=True), 0) == 0
    hinge = symgd.gradient(r"\max(0, 1 - \theta)", wrt=r"\theta")
    assert hinge.expr.subs(sympy.Symbol("theta", real=True), 1) == 0


def test_domain_conditions():
    derivation = symgd.gradient(r"\log(w^\top x) + \frac{1}{w^\top y}", wrt="w")
    conditions = [c.condition for c in derivation.domain]
    assert r"w^\top x > 0" in conditions and r"w^\top y \neq 0" in conditions
    logistic = symgd.gradient(r"\sum_{i=1}^{n}\log(1 + \exp(-y_i w^\top x_i))", wrt="w")
    assert logistic.domain == ()


@pytest.mark.parametrize("source", [
    r"\frac{\partial L}{\partial w} \quad L(w) = \|Xw - y\|^2",
    r"\nabla_w L \quad L(w) = \|Xw - y\|^2",
    r"\nabla_w \|Xw - y\|^2",
])
def test_requests_resolve_to_the_same_derivation(source):
    reference = symgd.gradient(r"\|Xw - y\|^2", wrt="w")
    assert symgd.gradient(source).blocks[0].matrix_latex == reference.blocks[0].matrix_latex


def test_request_picks_one_of_several_parameters():
    derivation = symgd.gradient(r"J(w, b) = \sum_{i} (y_i - w^\top x_i - b)^2 \quad \frac{\partial J}{\partial b}")
    assert [str(b.wrt[0]) for b in derivation.blocks] == ["b"]
    assert derivation.latex.startswith(r"\frac{\partial J}{\partial b}")


def test_inverted_notation_is_answered_with_a_note_and_the_gradient():
    derivation = symgd.gradient(r"\frac{\partial \theta}{\partial L} \quad L(\theta) = (\theta - 3)^2")
    assert any("reciprocal" in note for note in derivation.notes)
    assert derivation.expr == 2 * sympy.Symbol("theta", real=True) - 6


def test_hessian_blocks_of_two_parameters():
    hessian = symgd.hessian(r"\sum_{i=1}^{n} (y_i - w^\top x_i - b)^2", wrt="w, b")
    assert [tuple(str(p) for p in b.wrt) for b in hessian.blocks] == [
        ("w", "w"), ("w", "b"), ("b", "w"), ("b", "b")]
    assert hessian.block("w", "w").matrix_latex == r"2 x^\top x"


def test_hessian_through_the_sign_of_a_scaled_residual():
    """d sign(u) = 0 off the kink, also where SymPy cannot tell that u = (y_i - x_i^T w)/σ is real (scikit-learn's
    HuberRegressor writes the scale inside: the Hessian raised "the derivative of sign has no rule")."""
    problem = symgd.parse(r"\sum_i \sigma |(y_i - x_i^\top w)/\sigma|^3", wrt=r"w, \sigma")
    module = symgd.codegen(problem, hessian=True).load()
    rng = np.random.default_rng(0)
    x, y, w, s = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3), 1.3

    def loss(v):
        return np.sum(v[3] * np.abs((y - x @ v[:3]) / v[3]) ** 3)

    point, h = np.append(w, s), 1e-4
    steps = np.eye(4) * h
    numeric = np.array([[(loss(point + a + b) - loss(point + a - b) - loss(point - a + b) + loss(point - a - b)) / (4 * h * h)
                         for b in steps] for a in steps])
    blocks = module.hess(w, s, y, x)
    hessian = np.block([[np.asarray(blocks[0][0]), np.reshape(blocks[0][1], (3, 1))],
                        [np.reshape(blocks[1][0], (1, 3)), np.reshape(blocks[1][1], (1, 1))]])
    assert np.allclose(hessian, numeric, rtol=1e-5, atol=1e-5)
