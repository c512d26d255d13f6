"""Matrix form for people: index form → tensor IR (lift) → the passes that choose the structure and
the display rewrites → the matrix-form LaTeX printer.

The passes are those of code generation that decide what a formula is made of (stable spellings,
the distributive law, contraction planning into matrix products), then ``display``; never the ones
that only serve speed (scalar placement, names for shared nodes).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symgd.errors import UnsupportedError
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.lift import Builder
from symgd.tensor.passes import contract, display, factor, stable
from symgd.tensor.print_latex import latex

DISPLAY_PASSES = (stable.run, factor.run, contract.run, display.run)


@dataclass(frozen=True)
class MatrixForm:
    """A derivative block in matrix notation: the IR ``node`` the ``latex`` text spells."""

    node: ir.Node
    latex: str

    def evaluate(self, values: dict):
        """The value of the form; ``values`` maps names (``"X"``, ``"lambda"``, ``"n"``) to numbers and arrays."""
        env = {}
        for leaf in ir.postorder([self.node]):
            symbols = [leaf.symbol] if isinstance(leaf, ir.Input) else []
            symbols += [d for d in leaf.shape if not d.is_Integer]
            for symbol in symbols:
                env[symbol] = values[str(getattr(symbol, "label", symbol))]
        return evaluate(self.node, env)


def matrix_form(expr: sympy.Expr, free: tuple, ranges: dict) -> MatrixForm:
    """The matrix form of the index-form ``expr`` whose entry (``free``...) it is.

    Args:
        expr: an index-form expression.
        free: its free indices in layout order.
        ranges: free index → its dimension.

    Raises:
        UnsupportedError: no matrix spelling; the message is the reason shown with the index form.
    """
    program = ir.Program((Builder({}, ranges).root(expr, tuple(free)),), ("matrix",))
    for run in DISPLAY_PASSES:
        program = run(program)
    (node,) = program.roots
    return MatrixForm(node, latex(node))


def matrix_form_or_reason(expr: sympy.Expr, free: tuple, ranges: dict) -> tuple[MatrixForm | None, str | None]:
    """``(matrix_form(...), None)``, or ``(None, why)`` where there is no matrix form."""
    try:
        return matrix_form(expr, free, ranges), None
    except UnsupportedError as error:
        return None, str(error)
