"""Property: the reading of a loss does not depend on how its terms are ordered.

Each case is rewritten at the IR level (the order of the terms of every sum reversed, ``a - b``
written ``-(b - a)``, declarations reversed), rendered back to LaTeX and read again. The shapes,
the roles and the gradient's value at a random point must not change.
"""

import itertools

import pytest

import symgd
from helpers import assert_close, block_values, random_env, roles_by_name, shape_names
from symgd.parse import ir, parse_document
from symgd.problem import _map_children
from symgd.render import latex_of

CASES = [   # (objective as its source writes it, declarations, parameters)
    (r"\frac{1}{2}\|y - Xw\|_2^2 + \lambda\|w\|_2^2", [], "w"),
    (r"(y - X\beta)^T(y - X\beta) + \lambda \beta^T\beta", [], "beta"),
    (r"\frac{1}{n}\sum_{i=1}^n (y_i - w^\top x_i)^2 + \lambda\|w\|_2^2", [], "w"),
    (r"\sum_{i=1}^{n} \log(1 + \exp(-y_i w^\top x_i)) + \frac{\lambda}{2}\|w\|^2", [], "w"),
    (r"\sum_{i=1}^{n} \left(e^{x_i^\top\beta} - y_i x_i^\top \beta\right)", [], "beta"),
    (r"\sum_{i=1}^{n}(y_i e^{-x_i^\top\beta} + x_i^\top\beta)", [], "beta"),
    (r"\frac{1}{2}\|Y - XB\|_F^2 + \lambda\sum_{j=1}^{p}\|b_j\|_2", [], "B"),
    (r"\|R - UV^\top\|_F^2 + \lambda(\|U\|_F^2 + \|V\|_F^2)", [], "U, V"),
    (r"\frac{1}{2}x^\top A x - b^\top x + c", [], "x"),
    (r"\sum_{i=1}^{n}\left(y_i - v^\top\tanh(W x_i)\right)^2",
     [r"x_i \in \mathbb{R}^{d}", r"W \in \mathbb{R}^{h \times d}", r"v \in \mathbb{R}^{h}"], "W, v"),
    (r"\frac{1}{2n}\|X w - y\|^2 + \alpha\|w\|_1", [r"X \in \mathbb{R}^{n \times p}", r"y \in \mathbb{R}^{n}"], "w"),
    (r"\sum_{i=1}^{n} \max(0, 1 - y_i w^\top x_i) + \frac{\lambda}{2} w^\top w", [], "w"),
    (r"\gamma w^\top w + \lambda + \Lambda", [], "w"),
    (r"\frac{1}{n}\sum_{i=1}^n \max(0, 1 - y_i(w \cdot x_i - b)) + \lambda\|w\|^2", [], "w"),
]


def reverse_sums(node):
    """Every sum's terms in the opposite order (a + b - c -> -c + b + a)."""
    node = _map_children(node, reverse_sums)
    return ir.Add(tuple(reversed(node.terms))) if isinstance(node, ir.Add) else node


def negate_differences(node):
    """``a - b`` -> ``-(b - a)`` wherever a two-term sum has one negated term."""
    node = _map_children(node, negate_differences)
    if isinstance(node, ir.Add) and len(node.terms) == 2 and isinstance(node.terms[1], ir.Neg) \
            and not isinstance(node.terms[0], ir.Neg):
        return ir.Neg(ir.Add((node.terms[1].arg, ir.Neg(node.terms[0]))))
    return node


def variants(source: str, declarations: list):
    (expr,) = parse_document(source).items
    for rewrite, reorder in itertools.product((lambda e: e, reverse_sums, negate_differences), (False, True)):
        decls = list(reversed(declarations)) if reorder else declarations
        yield latex_of(rewrite(expr)), decls


def gradient_at(problem, env: dict) -> dict:
    return {str(block.wrt[0]): block_values(block, env, problem) for block in symgd.gradient(problem).blocks}


@pytest.mark.parametrize("source, declarations, wrt", CASES)
def test_reading_does_not_depend_on_order(source, declarations, wrt):
    problem = symgd.parse(source, wrt=wrt, where=", ".join(declarations) or None)
    env = random_env(problem, seed=1)   # the same values, by name, for every variant
    gradient = gradient_at(problem, env)
    for variant, decls in variants(source, declarations):
        other = symgd.parse(variant, wrt=wrt, where=", ".join(decls) or None)
        assert shape_names(other) == shape_names(problem), variant
        assert roles_by_name(other) == roles_by_name(problem), variant
        other_gradient = gradient_at(other, env)
        for name, value in gradient.items():
            assert_close(other_gradient[name], value, rel=1e-9, what=f"{variant}: gradient in {name}")


def test_rewrites_change_the_text():
    # the property is only worth something if the variants differ from the source
    texts = {text for text, _ in variants(r"\frac{1}{2}\|y - Xw\|_2^2 + \lambda\|w\|_2^2", [])}
    assert len(texts) == 3
