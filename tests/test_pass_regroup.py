"""The regroup pass: a scalar sum of full reductions becomes the sum of an array computed anyway."""

import numpy as np
import sympy

import symgd
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.passes import regroup

n = sympy.Symbol("n", integer=True, positive=True)
Z, Y, B = sympy.IndexedBase("z"), sympy.IndexedBase("y"), sympy.Symbol("b")
z, y, b = ir.input_(Z, (n,)), ir.input_(Y, (n,)), ir.input_(B)
rng = np.random.default_rng(3)
ENV = {Z: rng.normal(size=6), Y: rng.normal(size=6), B: 0.7, n: 6}


def _run(*nodes):
    return regroup.run(ir.Program(tuple(nodes), tuple(f"out{k}" for k in range(len(nodes))))).roots


def test_bias_gradient_sums_the_residual():
    residual = ir.add(z, ir.neg(y), b)                           # r = z - y + b (the w-gradient's)
    spread = ir.add(ir.reduce("sum", z, [0]), ir.neg(ir.reduce("sum", y, [0])), ir.mul(ir.input_(n), b))
    _, out = _run(ir.mul(ir.const(2), residual), ir.mul(ir.const(2), spread))
    assert any(isinstance(node, ir.Reduce) and node.arg is residual for node in ir.postorder([out]))
    assert not any(isinstance(node, ir.Reduce) and node.arg in (z, y) for node in ir.postorder([out]))
    assert np.isclose(evaluate(out, ENV), 2 * (ENV[Z] - ENV[Y] + ENV[B]).sum())


def test_a_sum_missing_a_term_of_the_array_is_left_alone():
    residual = ir.add(z, ir.neg(y), b)
    partial = ir.add(ir.reduce("sum", z, [0]), ir.mul(ir.input_(n), b))   # no -Σ y
    _, out = _run(residual, partial)
    assert out is partial


def test_generated_bias_gradient_reads_the_residual_once():
    text = symgd.codegen(r"J(w, b) = \sum_{i=1}^{n} (y_i - w^\top x_i - b)^2").source
    grad = text[text.index("def grad"):text.index("def value_and_grad")]
    assert grad.count("x @ w") == 1 and "x.sum(axis" not in grad and "np.sum(y)" not in grad
    module = symgd.codegen(r"J(w, b) = \sum_{i=1}^{n} (y_i - w^\top x_i - b)^2").load()
    x, w, yy = rng.normal(size=(9, 4)), rng.normal(size=4), rng.normal(size=9)
    gw, gb = module.grad(w, 0.3, yy, x)
    r = x @ w + 0.3 - yy
    assert np.allclose(gw, 2 * x.T @ r) and np.isclose(gb, 2 * r.sum())
