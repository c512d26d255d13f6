"""``ir.rewrite(..., memo=name)``: a pass whose rule reads only its node keeps each node's rewrite on
the node, so the programs of one module (loss, grad, value_and_grad, hess) and the matrix forms
share it. The memo must not change anything: every module of the loss list and the examples is the
same text with the memos as without them (the examples 01-13 are the losses of the list; 14 and 15
add an update rule and constraints), and a rule given a memo name is applied once per node."""

from pathlib import Path

import pytest

import symgd
from symgd.tensor import ir
from test_loss_list import LOSSES

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.tex"))[13:]
SOURCES = [(row[1], row[3]) for row in LOSSES if row[0] != "constrained"] + [(p.read_text(), None) for p in EXAMPLES]


def _without_memos(monkeypatch):
    rewrite = ir.rewrite
    monkeypatch.setattr(ir, "rewrite", lambda roots, rule, memo=None: rewrite(roots, rule))


def _texts(source):
    problem = symgd.parse(source[0], wrt=source[1])
    gradient = symgd.codegen(problem).source
    hessian = symgd.codegen(problem, hessian=True).source if not problem.constraints else ""
    return gradient, hessian, symgd.gradient(problem).latex


@pytest.mark.parametrize("source", SOURCES, ids=[f"source{n}" for n in range(len(SOURCES))])
def test_modules_and_matrix_forms_are_the_same_without_the_memos(source, monkeypatch):
    with_memos = _texts(source)
    _without_memos(monkeypatch)
    assert _texts(source) == with_memos


def test_a_memoised_rule_runs_once_per_node():
    x = ir.input_("x", ("n",))
    y = ir.input_("y", ("n",))
    shared = ir.apply("exp", ir.add(x, y))
    calls = []

    def rule(node):
        calls.append(node)
        return node

    first = ir.rewrite((ir.mul(shared, x),), rule, memo="test_once")
    second = ir.rewrite((ir.add(shared, y), shared), rule, memo="test_once")
    assert first == (ir.mul(shared, x),) and second == (ir.add(shared, y), shared)
    # x, y, x + y, exp(x + y), exp(x + y) * x; then only exp(x + y) + y is new
    assert len(calls) == 6
    assert sum(node is shared for node in calls) == 1
