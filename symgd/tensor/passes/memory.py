"""Memory planning: elementwise functions that may write over their operand's buffer.

NumPy already reuses a temporary for binary arithmetic (``x @ w - y`` subtracts in place: its
"temporary elision"), but a function call such as ``np.exp(x @ w)`` allocates a second array while
the first is alive, which hand-written code avoids with ``np.exp(z, out=z)``. This pass marks each
elementwise primitive whose operand is a fresh temporary of the same shape: a computed array (a
product, a sum, a contraction, another function) that is printed inline, so nothing else holds it;
not an input, a view (transpose, broadcast, diagonal) or a named shared value. The printer writes
a marked call through the module helper ``_inplace``, which works in place on float arrays.
Only primitives whose row in the primitive table has a NumPy ufunc (``Primitive.ufunc``) qualify,
square roots (a power of one half) and the helpers of ``HELPERS_THAT_OVERWRITE`` (``sigmoid(z,
overwrite=True)``; ``softmax`` likewise, decided by ``softmax_in_place``).

Sums and products are marked where NumPy's own reuse cannot happen although a fresh temporary is
an operand: when another operand is broadcast from fewer axes (``t * r[:, None]``: NumPy reuses a
temporary only for operands of its shape) or when the temporary is a transposed view of one
(``softmax(z).T * c``), and where two or more operands are fresh temporaries (NumPy reuses one
only from 256 kB on). The printer then writes them through ``_inplace`` too.
"""

from __future__ import annotations

from fractions import Fraction

from symgd.functions import BY_NAME
from symgd.tensor import ir

# module helpers that take ``overwrite=True`` (their table row has no ufunc)
HELPERS_THAT_OVERWRITE = ("sigmoid",)
_VIEWS = (ir.Transpose, ir.Broadcast, ir.Diagonal)
_FRESH = (ir.Map, ir.MatMul, ir.Contract, ir.Reduce, ir.Softmax, ir.MatFn)


def softmax_in_place(node: ir.Node, named: set) -> bool:
    """A softmax whose operand is a fresh float temporary may normalise in its buffer."""
    return isinstance(node, ir.Softmax) and _fresh(node.arg, node, named)


def run(program: ir.Program) -> ir.Program:
    """The program with ``overwrite`` set (its roots and ``lets`` unchanged)."""
    named = {id(node) for node in program.lets}
    views: set = set()   # marked sums and products whose buffer is a transposed view
    overwrite = []
    dying = last_uses(program)
    for node in ir.postorder(program.roots):
        if _may_overwrite(node, named, views) or id(node) in dying and _writes_into(node, dying[id(node)], named):
            overwrite.append(node)
    return ir.Program(program.roots, program.labels, program.lets, tuple(overwrite))


def named_except(named: set, node: ir.Node, dying: dict) -> set:
    """The named values, less the one that dies at ``node`` (its buffer is free there)."""
    return named - {id(dying[id(node)])} if id(node) in dying else named


def _writes_into(node: ir.Node, value: ir.Node, named: set) -> bool:
    """Whether ``node`` can be computed in the buffer of the named ``value`` read last there."""
    named = named - {id(value)}
    if isinstance(node, ir.Softmax):
        return softmax_in_place(node, named)
    if not isinstance(node, ir.Map):
        return False
    if node.op in ("add", "mul"):   # value as the buffer operand (a divisor's user is its power)
        return fresh_operand(node, named) is value
    return _may_overwrite(node, named, set())


def last_uses(program: ir.Program) -> dict:
    """id(user) -> the named value it reads last, where it may write over that value's buffer.

    The results are printed in order in one ``return``, after every named value; a scalar result is
    a finished float before the next starts. So a named array z (``z = W @ x.T``) that scalar results
    read (the loss) and one node of the next result reads last (``softmax(z)`` or ``h - y`` in the
    gradient) may be overwritten there, as hand-written code does. Only when no named value is a view
    (it could alias z), no other named value reads z directly, no later result reads it, and that
    node reads it once and is computed once, inline; reads inside the expressions of named values
    come first, as they do."""
    named = {id(node) for node in program.lets}
    if any(isinstance(let, _VIEWS) or isinstance(let, ir.Contract) and len(let.args) == 1 for let in program.lets):
        return {}   # a named view could alias the value
    inline = [_inline(root, named) for root in program.roots]
    counts = ir.uses(program.roots)
    in_lets = [node for let in program.lets for node in _inline(let, named).values() if node is not let]
    read_by_named = {id(c) for n in program.lets for c in n.children()}
    found: dict = {}
    for k, root in enumerate(program.roots):
        if any(earlier.shape for earlier in program.roots[:k]):
            break
        later = set().union(*inline[k + 1:])
        earlier = [u for r in inline[:k] for u in r.values()] + in_lets   # evaluated before root k
        for user in inline[k].values():
            if id(user) in named or counts.get(id(user), 0) != 1 \
                    or any(id(user) in other for n, other in enumerate(inline) if n != k):
                continue
            for value in user.children():
                if id(value) not in named or id(value) in read_by_named or id(value) in later \
                        or _reads(user, value) != 1 or not _fresh(value, user, set()) \
                        or any(root is value for root in program.roots) \
                        or any(_reads(u, value) for u in inline[k].values() if u is not user) \
                        or counts.get(id(value), 0) != 1 + sum(_reads(u, value) for u in earlier):
                    continue
                found[id(user)] = value
                break
    return found


def _inline(root: ir.Node, named: set) -> dict:
    """id -> node for the nodes printed inline in a result's expression (named values are leaves)."""
    found, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) in found:
            continue
        found[id(node)] = node
        if id(node) not in named or node is root:
            stack.extend(node.children())
    return found


def _reads(user: ir.Node, value: ir.Node) -> int:
    return sum(1 for child in user.children() if child is value)


def _may_overwrite(node: ir.Node, named: set, views: set) -> bool:
    if not (isinstance(node, ir.Map) and node.shape):
        return False
    if node.op in ("add", "mul"):
        fresh = fresh_operand(node, named)
        if fresh is None:
            return divides_by_fresh(node, named) is not None
        view = isinstance(fresh, ir.Transpose) or id(fresh) in views
        if view:
            views.add(id(node))
        return view or any(isinstance(a, ir.Broadcast) and a.arg.shape for a in node.args) \
            or _several_fresh(node, named)
    if len(node.args) != 1:
        return False
    return _unary_in_place(node) and _fresh(node.args[0], node, named)


def _unary_in_place(node: ir.Map) -> bool:
    """A square root, a primitive with a NumPy ufunc, or a helper that takes ``overwrite=True``."""
    if node.op == "pow":
        return node.param == Fraction(1, 2)
    primitive = BY_NAME.get(node.op)
    return node.op in HELPERS_THAT_OVERWRITE or primitive is not None and primitive.ufunc is not None


def _several_fresh(node: ir.Map, named: set) -> bool:
    """Two or more fresh temporaries of the result's shape (``A @ x + A.T @ x``): writing into one
    costs nothing, while NumPy reuses a temporary only from 256 kB on, so small vectors would each
    get a further array."""
    return sum(1 for a in node.args if _fresh(a, node, named) and a.shape == node.shape
               and not _printed_as_inverse(node, a)) > 1


def _printed_as_inverse(node: ir.Map, operand: ir.Node) -> bool:
    """A term printed as a subtraction (``- b``) or a factor printed as a divisor (``/ t``): the
    printer never computes it on its own."""
    if node.op == "add":
        return isinstance(operand, ir.Map) and operand.op == "mul" and isinstance(operand.args[0], ir.Const) \
            and operand.args[0].value < 0
    return isinstance(operand, ir.Map) and operand.op == "pow" and operand.param is not None and operand.param < 0


def fresh_operand(node: ir.Map, named: set) -> ir.Node | None:
    """The first operand of a sum or product that is a temporary of its shape nothing else holds
    (possibly a transposed view of one), or None."""
    for operand in node.args:
        if _printed_as_inverse(node, operand):
            continue   # - b or / t: never computed on its own
        inner = operand.arg if isinstance(operand, ir.Transpose) else operand
        if _fresh(inner, inner, named) and operand.shape == node.shape and id(operand) not in named:
            return operand
    return None


def divides_by_fresh(node: ir.Map, named: set) -> ir.Node | None:
    """For a product ``a / t`` (or ``a / sqrt(t)``) of two operands with t a fresh temporary of its
    shape: the power of t it divides by; for a difference ``a - t``: the term -t. Else None.
    NumPy never reuses the buffer of a divisor or a subtrahend."""
    if len(node.args) != 2:
        return None
    if node.op == "add":
        for operand in node.args:
            if isinstance(operand, ir.Map) and operand.op == "mul" and len(operand.args) == 2 \
                    and isinstance(operand.args[0], ir.Const) and operand.args[0].value == -1 \
                    and _fresh(operand.args[1], node, named):
                return operand
        return None
    if node.op != "mul":
        return None
    for operand in node.args:
        if isinstance(operand, ir.Map) and operand.op == "pow" and operand.param in (-1, Fraction(-1, 2)) \
                and _fresh(operand.args[0], node, named):
            return operand
    return None


def _fresh(operand: ir.Node, node: ir.Node, named: set) -> bool:
    if isinstance(operand, ir.Contract) and len(operand.args) == 1:   # einsum may return a view of it
        return False
    return isinstance(operand, _FRESH) and operand.shape == node.shape and id(operand) not in named
