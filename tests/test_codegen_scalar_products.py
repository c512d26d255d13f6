"""A vector times a scalar that is itself a matrix product: ``b * (a @ x)``, never ``b * a @ x``.

Python reads ``b * a @ x`` as ``(b * a) @ x`` (``*`` and ``@`` bind alike, left to right): a scalar
where the gradient is a vector. The generated ``grad`` once printed it so, silently wrong for
``(a^T x)(b^T x)`` (found through the multiclass hinge's ``y * (r @ h)``).
"""

from __future__ import annotations

import numpy as np

import symgd
from corpus.harness import central_differences
from helpers import assert_close


def test_products_of_inner_products_keep_their_parentheses():
    module = symgd.codegen(symgd.parse(r"\min_x (a^T x)(b^T x) + \|x\|^2 (c^T x)")).load()
    rng = np.random.default_rng(5)
    values = {name: rng.normal(size=4) for name in "xabc"}

    def reference(v):
        return float((v["a"] @ v["x"]) * (v["b"] @ v["x"]) + (v["x"] @ v["x"]) * (v["c"] @ v["x"]))

    slope = central_differences(reference, values, "x")
    assert_close(module.grad(**values), slope, rel=1e-6, what="grad")
    assert_close(module.value_and_grad(**values)[1], slope, rel=1e-6, what="value_and_grad")
    assert "b * a @ x" not in symgd.codegen(symgd.parse(r"\min_x (a^T x)(b^T x)")).source
