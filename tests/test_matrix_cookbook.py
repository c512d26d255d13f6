"""Identities of the Matrix Cookbook (Petersen & Pedersen, version of November 15, 2012), sections
2.1 (determinants), 2.2 (inverses), 2.3 (eigenvalues), 2.4 (scalar forms), 2.5 (traces) and 2.8
(structured matrices: symmetric parameters are in tests/test_symmetric.py).

Each loss is written as the Cookbook writes it. symgd's generated ``value_and_grad`` is compared
with a hand-written NumPy loss (the value) and its central differences (the gradient), at random
points where every dimension differs (so a missing transpose cannot hide); where the Cookbook prints
the gradient, that formula (written out by hand in NumPy below, equation numbers in the ids) is
compared with symgd's generated gradient and with its matrix form.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from corpus.harness import central_differences
from helpers import assert_close
from symgd.codegen import generate

inv, det, tr = np.linalg.inv, np.linalg.det, np.trace
T = np.transpose


def mpow(x, k):
    return np.linalg.matrix_power(x, k)


def logabsdet(x):
    return np.linalg.slogdet(x)[1]


SQUARE = {"X": (4, 4)}   # X square (4 x 4); other letters below
# (id, source, wrt, shapes of the arguments, NumPy loss, the Cookbook's gradient or None)
CASES = [
    # 2.1 derivatives of a determinant
    ("49 det X", r"\det X", "X", SQUARE, lambda X: det(X), lambda X: det(X) * inv(X).T),
    ("49 |X|", r"\left|X\right|", "X", SQUARE, lambda X: det(X), lambda X: det(X) * inv(X).T),
    ("51 det AXB", r"\det(A X B)", "X", {"A": (4, 4), "X": (4, 4), "B": (4, 4)},
     lambda A, X, B: det(A @ X @ B), lambda A, X, B: det(A @ X @ B) * inv(X).T),
    ("53 det X'AX", r"\det(X^\top A X)", "X", {"X": (5, 3), "A": (5, 5)},
     lambda X, A: det(X.T @ A @ X),
     lambda X, A: det(X.T @ A @ X) * (A @ X @ inv(X.T @ A @ X) + A.T @ X @ inv(X.T @ A.T @ X))),
    ("54 logdet X'X", r"\log\det(X^\top X)", "X", {"X": (5, 3)},
     lambda X: logabsdet(X.T @ X), lambda X: 2 * np.linalg.pinv(X).T),
    ("55 ln|det X|", r"\ln|\det X|", "X", SQUARE, lambda X: logabsdet(X), lambda X: inv(X).T),
    ("55 log det X", r"\log \det X", "X", SQUARE, lambda X: logabsdet(X), lambda X: inv(X).T),
    ("55 log|X|", r"\log|X|", "X", SQUARE, lambda X: logabsdet(X), lambda X: inv(X).T),
    ("56 det X^2", r"\det(X^2)", "X", SQUARE, lambda X: det(X @ X), lambda X: 2 * det(X @ X) * inv(X).T),
    ("56 det X^3", r"\det(X^3)", "X", SQUARE, lambda X: det(mpow(X, 3)), lambda X: 3 * det(mpow(X, 3)) * inv(X).T),
    ("det X'X", r"\det(X^\top X)", "X", {"X": (5, 3)},
     lambda X: det(X.T @ X), lambda X: 2 * det(X.T @ X) * np.linalg.pinv(X).T),
    ("logdet X'AX", r"\log\det(X^\top A X)", "X", {"X": (5, 3), "A": (5, 5)},
     lambda X, A: logabsdet(X.T @ A @ X), None),
    ("logdet (X'X + A)", r"\log\det(X^\top X + A)", "X", {"X": (5, 3), "A": (3, 3)},
     lambda X, A: logabsdet(X.T @ X + A), None),
    # 2.2 derivatives of an inverse
    ("61 a'X^-1 b", r"a^\top X^{-1} b", "X", {"a": (4,), "X": (4, 4), "b": (4,)},
     lambda a, X, b: a @ inv(X) @ b, lambda a, X, b: -inv(X).T @ np.outer(a, b) @ inv(X).T),
    ("62 det X^-1", r"\det(X^{-1})", "X", SQUARE, lambda X: det(inv(X)), lambda X: -det(inv(X)) * inv(X).T),
    ("63 tr AX^-1B", r"\operatorname{tr}(A X^{-1} B)", "X", {"A": (3, 4), "X": (4, 4), "B": (4, 3)},
     lambda A, X, B: tr(A @ inv(X) @ B), lambda A, X, B: -(inv(X) @ B @ A @ inv(X)).T),
    ("64 tr (X+A)^-1", r"\operatorname{tr}((X + A)^{-1})", "X", {"X": (4, 4), "A": (4, 4)},
     lambda X, A: tr(inv(X + A)), lambda X, A: -(inv(X + A) @ inv(X + A)).T),
    ("tr X^-1", r"\operatorname{tr}(X^{-1})", "X", SQUARE, lambda X: tr(inv(X)), lambda X: -mpow(inv(X), 2).T),
    ("a'X^-2 b", r"a^\top X^{-2} b", "X", {"a": (4,), "X": (4, 4), "b": (4,)},
     lambda a, X, b: a @ mpow(inv(X), 2) @ b, None),
    ("a'(X+A)^-1 b", r"a^\top (X + A)^{-1} b", "X", {"a": (4,), "X": (4, 4), "A": (4, 4), "b": (4,)},
     lambda a, X, A, b: a @ inv(X + A) @ b,
     lambda a, X, A, b: -inv(X + A).T @ np.outer(a, b) @ inv(X + A).T),
    ("tr (X'X)^-1", r"\operatorname{tr}((X^\top X)^{-1})", "X", {"X": (5, 3)},
     lambda X: tr(inv(X.T @ X)), lambda X: -2 * X @ inv(X.T @ X) @ inv(X.T @ X)),
    ("b'(X'X + lI)^-1 b", r"b^\top (X^\top X + t I)^{-1} b", "X", {"b": (3,), "X": (5, 3), "t": ()},
     lambda b, X, t: b @ inv(X.T @ X + t * np.eye(3)) @ b, None),
    ("tr (X'X + tI)^-1 in t", r"\operatorname{tr}((X^\top X + t I)^{-1})", "t", {"X": (5, 3), "t": ()},
     lambda X, t: tr(inv(X.T @ X + t * np.eye(3))), lambda X, t: -tr(mpow(inv(X.T @ X + t * np.eye(3)), 2))),
    # 2.3 derivatives of eigenvalues: the sum is the trace, the product the determinant
    ("67 sum eig = tr", r"\operatorname{tr} X", "X", SQUARE, lambda X: tr(X), lambda X: np.eye(4)),
    # 2.4.1 first order
    ("69 x'a", r"x^\top a", "x", {"x": (3,), "a": (3,)}, lambda x, a: x @ a, lambda x, a: a),
    ("70 a'Xb", r"a^\top X b", "X", {"a": (5,), "X": (5, 3), "b": (3,)},
     lambda a, X, b: a @ X @ b, lambda a, X, b: np.outer(a, b)),
    ("71 a'X'b", r"a^\top X^\top b", "X", {"a": (3,), "X": (5, 3), "b": (5,)},
     lambda a, X, b: a @ X.T @ b, lambda a, X, b: np.outer(b, a)),
    ("72 a'Xa", r"a^\top X a", "X", {"a": (4,), "X": (4, 4)}, lambda a, X: a @ X @ a, lambda a, X: np.outer(a, a)),
    # 2.4.2 second order
    ("77 b'X'Xc", r"b^\top X^\top X c", "X", {"b": (3,), "X": (5, 3), "c": (3,)},
     lambda b, X, c: b @ X.T @ X @ c, lambda b, X, c: X @ (np.outer(b, c) + np.outer(c, b))),
    ("78 (Bx+b)'C(Dx+u)", r"(B x + b)^\top C (D x + u)", "x",
     {"B": (5, 3), "x": (3,), "b": (5,), "C": (5, 4), "D": (4, 3), "u": (4,)},
     lambda B, x, b, C, D, u: (B @ x + b) @ C @ (D @ x + u),
     lambda B, x, b, C, D, u: B.T @ C @ (D @ x + u) + D.T @ C.T @ (B @ x + b)),
    ("81 x'Bx", r"x^\top B x", "x", {"x": (3,), "B": (3, 3)}, lambda x, B: x @ B @ x, lambda x, B: (B + B.T) @ x),
    ("82 b'X'DXc", r"b^\top X^\top D X c", "X", {"b": (3,), "X": (5, 3), "D": (5, 5), "c": (3,)},
     lambda b, X, D, c: b @ X.T @ D @ X @ c,
     lambda b, X, D, c: D.T @ X @ np.outer(b, c) + D @ X @ np.outer(c, b)),
    ("83 (Xb+c)'D(Xb+c)", r"(X b + c)^\top D (X b + c)", "X", {"X": (5, 3), "b": (3,), "c": (5,), "D": (5, 5)},
     lambda X, b, c, D: (X @ b + c) @ D @ (X @ b + c),
     lambda X, b, c, D: np.outer((D + D.T) @ (X @ b + c), b)),
    # 2.4.3 higher order
    ("90 a'X^3 b", r"a^\top X^3 b", "X", {"a": (4,), "X": (4, 4), "b": (4,)},
     lambda a, X, b: a @ mpow(X, 3) @ b,
     lambda a, X, b: sum(mpow(X, r).T @ np.outer(a, b) @ mpow(X, 2 - r).T for r in range(3))),
    # (91) as printed has its first term transposed: X^{n-1-r} a b^T (X^n)^T X^r fails central differences;
    # its transpose (X^r)^T X^n b a^T (X^{n-1-r})^T is d/dX of (X^n a)^T (X^n b) through the left factor.
    ("91 a'(X^2)'X^2 b", r"a^\top (X^2)^\top X^2 b", "X", {"a": (4,), "X": (4, 4), "b": (4,)},
     lambda a, X, b: a @ mpow(X, 2).T @ mpow(X, 2) @ b,
     lambda a, X, b: sum(mpow(X, r).T @ mpow(X, 2) @ np.outer(b, a) @ mpow(X, 1 - r).T
                         + mpow(X, r).T @ mpow(X, 2) @ np.outer(a, b) @ mpow(X, 1 - r).T for r in range(2))),
    # 2.5.1 traces, first order
    ("99 tr X", r"\operatorname{tr}(X)", "X", SQUARE, lambda X: tr(X), lambda X: np.eye(4)),
    ("100 tr XA", r"\operatorname{tr}(X A)", "X", {"X": (5, 3), "A": (3, 5)}, lambda X, A: tr(X @ A), lambda X, A: A.T),
    ("101 tr AXB", r"\operatorname{tr}(A X B)", "X", {"A": (4, 5), "X": (5, 3), "B": (3, 4)},
     lambda A, X, B: tr(A @ X @ B), lambda A, X, B: A.T @ B.T),
    ("102 tr AX'B", r"\operatorname{tr}(A X^\top B)", "X", {"A": (4, 3), "X": (5, 3), "B": (5, 4)},
     lambda A, X, B: tr(A @ X.T @ B), lambda A, X, B: B @ A),
    ("103 tr X'A", r"\operatorname{tr}(X^\top A)", "X", {"X": (5, 3), "A": (5, 3)}, lambda X, A: tr(X.T @ A), lambda X, A: A),
    ("104 tr AX'", r"\operatorname{tr}(A X^\top)", "X", {"A": (5, 3), "X": (5, 3)}, lambda A, X: tr(A @ X.T), lambda A, X: A),
    # 2.5.2 second order
    ("106 tr X^2", r"\operatorname{tr}(X^2)", "X", SQUARE, lambda X: tr(X @ X), lambda X: 2 * X.T),
    ("107 tr X^2 B", r"\operatorname{tr}(X^2 B)", "X", {"X": (4, 4), "B": (4, 4)},
     lambda X, B: tr(X @ X @ B), lambda X, B: (X @ B + B @ X).T),
    ("108 tr X'BX", r"\operatorname{tr}(X^\top B X)", "X", {"X": (5, 3), "B": (5, 5)},
     lambda X, B: tr(X.T @ B @ X), lambda X, B: B @ X + B.T @ X),
    ("109 tr BXX'", r"\operatorname{tr}(B X X^\top)", "X", {"B": (5, 5), "X": (5, 3)},
     lambda B, X: tr(B @ X @ X.T), lambda B, X: B @ X + B.T @ X),
    ("110 tr XX'B", r"\operatorname{tr}(X X^\top B)", "X", {"X": (5, 3), "B": (5, 5)},
     lambda X, B: tr(X @ X.T @ B), lambda X, B: B @ X + B.T @ X),
    ("111 tr XBX'", r"\operatorname{tr}(X B X^\top)", "X", {"X": (5, 3), "B": (3, 3)},
     lambda X, B: tr(X @ B @ X.T), lambda X, B: X @ B.T + X @ B),
    ("112 tr BX'X", r"\operatorname{tr}(B X^\top X)", "X", {"B": (3, 3), "X": (5, 3)},
     lambda B, X: tr(B @ X.T @ X), lambda B, X: X @ B.T + X @ B),
    ("113 tr X'XB", r"\operatorname{tr}(X^\top X B)", "X", {"X": (5, 3), "B": (3, 3)},
     lambda X, B: tr(X.T @ X @ B), lambda X, B: X @ B.T + X @ B),
    ("114 tr AXBX", r"\operatorname{tr}(A X B X)", "X", {"A": (3, 5), "X": (5, 3), "B": (3, 5)},
     lambda A, X, B: tr(A @ X @ B @ X), lambda A, X, B: A.T @ X.T @ B.T + B.T @ X.T @ A.T),
    ("115 tr X'X", r"\operatorname{tr}(X^\top X)", "X", {"X": (5, 3)}, lambda X: tr(X.T @ X), lambda X: 2 * X),
    ("116 tr B'X'CXB", r"\operatorname{tr}(B^\top X^\top C X B)", "X", {"B": (3, 4), "X": (5, 3), "C": (5, 5)},
     lambda B, X, C: tr(B.T @ X.T @ C @ X @ B), lambda B, X, C: C.T @ X @ B @ B.T + C @ X @ B @ B.T),
    ("117 tr X'BXC", r"\operatorname{tr}(X^\top B X C)", "X", {"X": (5, 3), "B": (5, 5), "C": (3, 3)},
     lambda X, B, C: tr(X.T @ B @ X @ C), lambda X, B, C: B @ X @ C + B.T @ X @ C.T),
    ("118 tr AXBX'C", r"\operatorname{tr}(A X B X^\top C)", "X", {"A": (4, 5), "X": (5, 3), "B": (3, 3), "C": (5, 4)},
     lambda A, X, B, C: tr(A @ X @ B @ X.T @ C), lambda A, X, B, C: A.T @ C.T @ X @ B.T + C @ A @ X @ B),
    ("119 tr (AXB+C)(AXB+C)'", r"\operatorname{tr}((A X B + C)(A X B + C)^\top)", "X",
     {"A": (4, 5), "X": (5, 3), "B": (3, 2), "C": (4, 2)},
     lambda A, X, B, C: tr((A @ X @ B + C) @ (A @ X @ B + C).T), lambda A, X, B, C: 2 * A.T @ (A @ X @ B + C) @ B.T),
    # 2.5.3 higher order
    ("121 tr X^3", r"\operatorname{tr}(X^3)", "X", SQUARE, lambda X: tr(mpow(X, 3)), lambda X: 3 * mpow(X, 2).T),
    ("122 tr AX^3", r"\operatorname{tr}(A X^3)", "X", {"A": (4, 4), "X": (4, 4)},
     lambda A, X: tr(A @ mpow(X, 3)), lambda A, X: sum((mpow(X, r) @ A @ mpow(X, 2 - r)).T for r in range(3))),
    ("123 tr B'X'CXX'CXB", r"\operatorname{tr}(B^\top X^\top C X X^\top C X B)", "X",
     {"B": (3, 2), "X": (5, 3), "C": (5, 5)},
     lambda B, X, C: tr(B.T @ X.T @ C @ X @ X.T @ C @ X @ B),
     lambda B, X, C: (C @ X @ X.T @ C @ X @ B @ B.T + C.T @ X @ B @ B.T @ X.T @ C.T @ X
                      + C @ X @ B @ B.T @ X.T @ C @ X + C.T @ X @ X.T @ C.T @ X @ B @ B.T)),
    # 2.5.4 other
    ("125 tr AX^-1B", r"\operatorname{tr}(A X^{-1} B)", "X", {"A": (2, 4), "X": (4, 4), "B": (4, 2)},
     lambda A, X, B: tr(A @ inv(X) @ B), lambda A, X, B: -inv(X).T @ A.T @ B.T @ inv(X).T),
    ("126 tr (X'CX)^-1 A", r"\operatorname{tr}((X^\top C X)^{-1} A)", "X", {"X": (5, 3), "C": ("sym", 5), "A": (3, 3)},
     lambda X, C, A: tr(inv(X.T @ C @ X) @ A),
     lambda X, C, A: -C @ X @ inv(X.T @ C @ X) @ (A + A.T) @ inv(X.T @ C @ X)),
    ("127 tr (X'CX)^-1 (X'BX)", r"\operatorname{tr}((X^\top C X)^{-1} (X^\top B X))", "X",
     {"X": (5, 3), "C": ("sym", 5), "B": ("sym", 5)},
     lambda X, C, B: tr(inv(X.T @ C @ X) @ X.T @ B @ X),
     lambda X, C, B: (-2 * C @ X @ inv(X.T @ C @ X) @ X.T @ B @ X @ inv(X.T @ C @ X)
                      + 2 * B @ X @ inv(X.T @ C @ X))),
    ("128 tr (A + X'CX)^-1 (X'BX)", r"\operatorname{tr}((A + X^\top C X)^{-1} (X^\top B X))", "X",
     {"A": ("sym", 3), "X": (5, 3), "C": ("sym", 5), "B": ("sym", 5)},
     lambda A, X, C, B: tr(inv(A + X.T @ C @ X) @ X.T @ B @ X),
     lambda A, X, C, B: (-2 * C @ X @ inv(A + X.T @ C @ X) @ X.T @ B @ X @ inv(A + X.T @ C @ X)
                         + 2 * B @ X @ inv(A + X.T @ C @ X))),
]


def _values(shapes: dict, seed: int) -> dict:
    """Random arguments: generic square matrices made well conditioned, ("sym", n) symmetric PD."""
    rng = np.random.default_rng(seed)
    env = {}
    for name, shape in shapes.items():
        if shape == ():
            env[name] = float(rng.uniform(0.5, 1.5))
        elif shape[0] == "sym":
            a = rng.normal(size=(shape[1], shape[1]))
            env[name] = a @ a.T + shape[1] * np.eye(shape[1])
        elif len(shape) == 2 and shape[0] == shape[1]:
            env[name] = rng.normal(size=shape) + shape[0] * np.eye(shape[0])
        else:
            env[name] = rng.normal(size=shape)
    return env


def _dimensions(problem, env: dict) -> dict:
    """The sizes symgd's dimension symbols take for these arguments (for evaluating matrix forms)."""
    sizes = {}
    for symbol, shape in problem.shapes.items():
        name = str(getattr(symbol, "label", symbol))
        if name in env:
            sizes.update({str(d): size for d, size in zip(shape, np.shape(env[name]))})
    return sizes


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_cookbook_identity(case):
    _, source, wrt, shapes, loss, cookbook = case
    problem = symgd.parse(source, wrt=wrt)
    module = generate(problem).load()
    env = _values(shapes, seed=len(source))
    value, grad = module.value_and_grad(**env)
    assert np.isclose(value, loss(**env), rtol=1e-10, atol=1e-12)
    numeric = central_differences(lambda values: loss(**values), env, wrt)
    assert_close(grad, numeric, rel=1e-6, what="central differences")
    if cookbook is not None:
        assert_close(grad, cookbook(**env), rel=1e-9, what="the Cookbook's gradient")
    block = symgd.gradient(problem).blocks[0]
    if block.matrix is not None:   # the matrix form symgd prints, evaluated
        printed = np.asarray(block.matrix.evaluate({**env, **_dimensions(problem, env)}), dtype=float)
        assert_close(printed.reshape(np.shape(grad)), grad, rel=1e-9, what="matrix form")


def test_there_are_at_least_45_identities():
    assert len({c[0] for c in CASES}) == len(CASES) >= 45
