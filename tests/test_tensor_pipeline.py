"""The pipeline: every pass keeps the value of every derivative block of the loss list (checked
entry by entry against the index form), and the IR can be dumped after each pass."""

import io

import pytest
import sympy

import symgd
from helpers import assert_close, block_values, random_env
from symgd.codegen.stable import stabilise
from symgd.tensor import ir
from symgd.tensor.lift import Builder
from symgd.tensor.pipeline import PASSES, dumping, optimise
from symgd.tensor.evaluate import evaluate
from test_loss_list import LOSSES

IDS = [row[0] for row in LOSSES if row[0] != "constrained"]


def _program(problem, derivation):
    """One program for all blocks (as codegen makes), free indices renamed apart per block."""
    ranges, items = {}, []
    for number, block in enumerate(derivation.blocks):
        renamed = tuple(sympy.Symbol(f"{index}_{number}", integer=True) for index in block.indices)
        ranges.update(zip(renamed, block.shape))
        items.append((block.expr.xreplace(dict(zip(block.indices, renamed))), renamed))
    builder = Builder(problem.shapes, ranges)
    roots = tuple(builder.root(stabilise(expr), axes) for expr, axes in items)
    return ir.Program(roots, tuple(f"block{n}" for n in range(len(roots))))


def _env(problem, values):
    env = {}
    for symbol in problem.shapes:
        name = str(getattr(symbol, "label", symbol))
        if name in values:
            env[symbol] = values[name]
    for dim in problem.dims:
        env[dim] = values[str(dim)]
    return env


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("kind", ["gradient", "hessian"])
def test_every_pass_keeps_the_values(name, kind):
    row = next(r for r in LOSSES if r[0] == name)
    problem = symgd.parse(row[1], wrt=row[3])
    derivation = symgd.gradient(problem) if kind == "gradient" else symgd.hessian(problem)
    values = random_env(problem, seed=3, sizes={"n": 7, "d": 3, "K": 4, "k": 2, "p": 5})
    env = _env(problem, values)
    program = _program(problem, derivation)
    expected = [block_values(block, values, problem) for block in derivation.blocks]
    for pass_name, run in PASSES:
        program = run(program)
        ir.check(program.roots)
        for root, reference in zip(program.roots, expected):
            assert_close(evaluate(root, env), reference, rel=1e-9, what=f"{name} {kind} after {pass_name}")


def test_dump_shows_the_ir_after_each_pass():
    problem = symgd.parse(r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2")
    stream = io.StringIO()
    with dumping(stream):
        optimise(_program(problem, symgd.gradient(problem)), "grad")
    text = stream.getvalue()
    assert [line for line in text.splitlines() if line.startswith("-- ")] == \
        ["-- grad: lifted"] + [f"-- grad: after {name}" for name, _ in PASSES]
    assert "matmul" in text.split("after contract")[1]


