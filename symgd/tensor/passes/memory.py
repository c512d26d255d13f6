"""Memory planning: elementwise functions that may write over their operand's buffer.

NumPy already reuses a temporary for binary arithmetic (``x @ w - y`` subtracts in place: its
"temporary elision"), but a function call such as ``np.exp(x @ w)`` allocates a second array while
the first is alive, which hand-written code avoids with ``np.exp(z, out=z)``. This pass marks each
elementwise primitive whose operand is a fresh temporary of the same shape: a computed array (a
product, a sum, a contraction, another function) that is printed inline, so nothing else holds it;
not an input, a view (transpose, broadcast, diagonal) or a named shared value. The printer writes
a marked call through the module helper ``_inplace``, which works in place on float arrays.
Only primitives whose row in the primitive table has a NumPy ufunc (``Primitive.ufunc``) qualify.
"""

from __future__ import annotations

from symgd.functions import BY_NAME
from symgd.tensor import ir

_FRESH = (ir.Map, ir.MatMul, ir.Contract, ir.Reduce, ir.Softmax, ir.MatFn)


def run(program: ir.Program) -> ir.Program:
    """The program with ``overwrite`` set (its roots and ``lets`` unchanged)."""
    named = {id(node) for node in program.lets}
    overwrite = tuple(node for node in ir.postorder(program.roots) if _may_overwrite(node, named))
    return ir.Program(program.roots, program.labels, program.lets, overwrite)


def _may_overwrite(node: ir.Node, named: set) -> bool:
    if not (isinstance(node, ir.Map) and node.shape and len(node.args) == 1):
        return False
    primitive = BY_NAME.get(node.op)
    if primitive is None or primitive.ufunc is None:
        return False
    (operand,) = node.args
    if isinstance(operand, ir.Contract) and len(operand.args) == 1:   # einsum may return a view of it
        return False
    return isinstance(operand, _FRESH) and operand.shape == node.shape and id(operand) not in named
