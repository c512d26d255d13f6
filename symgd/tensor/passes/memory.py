"""Memory planning: elementwise functions that may write over their operand's buffer.

NumPy already reuses a temporary for binary arithmetic (``x @ w - y`` subtracts in place: its
"temporary elision"), but a function call such as ``np.exp(x @ w)`` allocates a second array while
the first is alive, which hand-written code avoids with ``np.exp(z, out=z)``. This pass marks each
elementwise primitive whose operand is a fresh temporary of the same shape: a computed array (a
product, a sum, a contraction, another function) that is printed inline, so nothing else holds it;
not an input, a view (transpose, broadcast, diagonal) or a named shared value. The printer writes
a marked call through the module helper ``_inplace``, which works in place on float arrays.
Only primitives whose row in the primitive table has a NumPy ufunc (``Primitive.ufunc``) qualify,
square roots and squares (powers of one half and two: ``np.square(h, out=h)``) and the helpers
of ``HELPERS_THAT_OVERWRITE`` (``sigmoid(z, overwrite=True)``; ``softmax`` likewise, decided by
``softmax_in_place``).

Sums and products are marked where NumPy's own reuse cannot happen although a fresh temporary is
an operand: when another operand is broadcast from fewer axes (``t * r[:, None]``: NumPy reuses a
temporary only for operands of its shape) or when the temporary is a transposed view of one
(``softmax(z).T * c``), and where two or more operands are fresh temporaries (NumPy reuses one
only from 256 kB on). The printer then writes them through ``_inplace`` too.

A matrix sum with a term c I (the identity times scalars: λI in a ridge Hessian) is marked where
another term is a fresh temporary: the printer adds c on that temporary's diagonal in place
(``_add_diagonal(x.T @ x * 2 / n, 2 * lambda_)``, as ``H.flat[::d + 1] += c`` by hand) instead of
building ``np.eye(d) * c``, two d x d arrays and a pass over each.
"""

from __future__ import annotations

from fractions import Fraction

from symgd.functions import BY_NAME
from symgd.tensor import ir

# module helpers that take ``overwrite=True`` (their table row has no ufunc)
HELPERS_THAT_OVERWRITE = ("sigmoid",)
_VIEWS = (ir.Transpose, ir.Broadcast, ir.Diagonal, ir.Slice)   # x[1:] is x's buffer
_FRESH = (ir.Map, ir.MatMul, ir.Contract, ir.Reduce, ir.Softmax, ir.MatFn, ir.ExpmFrechet, ir.Pad, ir.Scan)


def softmax_in_place(node: ir.Node, named: set) -> bool:
    """A softmax whose operand is a fresh float temporary may normalise in its buffer."""
    return isinstance(node, ir.Softmax) and _fresh(node.arg, node, named)


def run(program: ir.Program) -> ir.Program:
    """The program with ``overwrite`` set (its roots and ``lets`` unchanged)."""
    named = {id(node) for node in program.lets}
    views: set = set()   # marked sums and products whose buffer is a transposed view
    overwrite = []
    dying = last_uses(program)
    borrowed: set = set()   # nodes computed in a named value's buffer, which its name still holds
    for node in ir.postorder(program.roots):
        if id(node) in dying and _writes_into(node, dying[id(node)], named):
            pass
        elif _in_borrowed(node, named, borrowed):
            pass   # NumPy's own reuse needs an array nothing names: say it
        elif not _may_overwrite(node, named, views):
            continue
        if id(node) not in named:   # a named value's buffer is its name's: only its last reader may take it
            borrowed.add(id(node))
        overwrite.append(node)
    return ir.Program(program.roots, program.labels, program.lets, tuple(overwrite))


def identity_scale(node: ir.Node) -> ir.Node | None:
    """For c I (the identity, or its product with scalars only): the scalar c (a number or a
    scalar node); else None."""
    if isinstance(node, ir.Identity):
        return ir.const(1)
    if isinstance(node, ir.Map) and node.op == "mul":
        eyes = [f for f in node.args if isinstance(f, ir.Identity)]
        if len(eyes) == 1 and all(not f.shape for f in node.args if f is not eyes[0]):
            return ir.mul(*(f for f in node.args if f is not eyes[0]))
    return None


def _in_borrowed(node: ir.Node, named: set, borrowed: set) -> bool:
    """A function, sum or product whose buffer operand lives in a named value's buffer (``h * y``
    after ``h = _inplace(np.exp, z)``): NumPy would allocate, since the name h holds the array."""
    if not (isinstance(node, ir.Map) and node.shape):
        return False
    # a named operand is never written over here: its other readers still need it (its last
    # reader, where it dies, is found by ``last_uses`` instead)
    if node.op == "add":   # also a term written with a minus: -(h * y) + 1 adds 1 into h's buffer
        return any(id(a) in borrowed and id(a) not in named and a.shape == node.shape for a in node.args)
    if node.op == "mul":
        fresh = fresh_operand(node, named)
        return fresh is not None and id(fresh) in borrowed
    return len(node.args) == 1 and id(node.args[0]) in borrowed and id(node.args[0]) not in named \
        and _unary_in_place(node)


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
    if node.op in ("add", "mul"):   # value an operand (a divisor's user is its power)
        fresh = fresh_operand(node, named)   # the buffer: value's, or a fresh temporary's beside it
        return fresh is not None and any(operand is value for operand in node.args)
    return _may_overwrite(node, named, set())


def last_uses(program: ir.Program) -> dict:
    """id(user) -> the named value it reads last, where it may write over that value's buffer.

    A function computes its named values in order (``h = exp(z)``), then its results in order in one
    ``return``; a scalar result is a finished float before the next starts. A named array z may be
    overwritten by the one node that reads it last, as hand-written code does (``np.exp(z, out=z)``,
    ``softmax(z)`` or ``h - y`` in the gradient after the loss has read z): where that node is
    printed once, reads z once and nothing else printed there reads z, no later named value or
    result reads z, z is not a result, and no named value is a view (it could alias z). Among the
    results, only up to the first array result: it is held while the next ones are computed."""
    named = {id(node) for node in program.lets}
    if any(isinstance(let, _VIEWS) or isinstance(let, ir.Contract) and len(let.args) == 1 for let in program.lets):
        return {}   # a named view could alias the value
    sites = [_printed(let, named) for let in program.lets]
    sites += [{} if id(root) in named else _printed(root, named) for root in program.roots]   # a name: nothing computed
    roots = {id(root) for root in program.roots}
    found: dict = {}
    for k, printed in enumerate(sites):
        result = k - len(program.lets)
        if result > 0 and any(root.shape for root in program.roots[:result]):
            break
        for user, times in printed.values():
            if times != 1 or any(id(user) in other for n, other in enumerate(sites) if n != k):
                continue   # printed twice: the first copy would spoil the second's operand
            for value in user.children():
                if value.shape and id(value) in named and id(value) not in roots and _reads(user, value) == 1 \
                        and _fresh(value, user, set()) and _reads_at(printed, value) == 1 \
                        and not any(_reads_at(later, value) for later in sites[k + 1:]):
                    found[id(user)] = value
                    break
    return found


def _printed(site: ir.Node, named: set) -> dict:
    """id -> (node, how many times its text is printed) for the nodes computed in ``site``'s
    expression (a named value's own definition, or a result): named values are read, not printed,
    and a node under a node printed twice is printed twice too."""
    order = printed_postorder(site, named)
    times = {id(site): 1}
    for node in reversed(order):   # users before their operands
        if id(node) in named and node is not site:
            continue
        for child in node.children():
            times[id(child)] = times.get(id(child), 0) + times[id(node)]
    return {id(node): (node, times[id(node)]) for node in order if id(node) not in named or node is site}


def printed_postorder(site: ir.Node, named: set) -> list:
    """The nodes of ``site``'s expression, operands first, down to the named values it reads (which
    are included, not entered; ``site`` itself is entered even when named: its definition)."""
    order, seen, stack = [], set(), [(site, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if id(node) not in named or node is site:
            stack.extend((child, False) for child in node.children())
    return order


def _reads_at(printed: dict, value: ir.Node) -> int:
    """How many times the code printed at a site reads ``value``."""
    return sum(times * _reads(node, value) for node, times in printed.values())


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
            or _several_fresh(node, named) \
            or node.op == "add" and any(identity_scale(a) is not None for a in node.args)
    if len(node.args) != 1:
        return False
    return _unary_in_place(node) and _fresh(node.args[0], node, named)


def _unary_in_place(node: ir.Map) -> bool:
    """A square root or square, a step, a primitive with a NumPy ufunc, or a helper that takes
    ``overwrite=True``."""
    if node.op == "pow":
        return node.param in (Fraction(1, 2), 2)
    if node.op == "heaviside":   # np.heaviside(t, value, t): a ufunc of two, the second a number
        return True
    primitive = BY_NAME.get(node.op)
    return node.op in HELPERS_THAT_OVERWRITE or primitive is not None and primitive.ufunc is not None \
        and primitive.in_place   # a row's in_place: False where NumPy's in-place loop is slow (sign)


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
        if _printed_as_inverse(node, operand) or node.op == "add" and identity_scale(operand) is not None:
            continue   # - b or / t: never computed on its own; c I: added on the diagonal
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
    if node.op == "add":   # a - t, also a - b * c (t the product, computed fresh)
        for operand in node.args:
            if isinstance(operand, ir.Map) and operand.op == "mul" and id(operand) not in named \
                    and isinstance(operand.args[0], ir.Const) and operand.args[0].value == -1 \
                    and _fresh(ir.neg(operand), node, named):
                return operand   # (a named -t is read by its name: t spelled out would read what it read)
        return None
    if node.op != "mul":
        return None
    for operand in node.args:
        if isinstance(operand, ir.Map) and operand.op == "pow" and operand.param in (-1, Fraction(-1, 2)) \
                and id(operand) not in named and _fresh(operand.args[0], node, named):
            return operand
    return None


def _fresh(operand: ir.Node, node: ir.Node, named: set) -> bool:
    if isinstance(operand, ir.Contract) and len(operand.args) == 1:   # einsum may return a view of it
        return False
    return isinstance(operand, _FRESH) and operand.shape == node.shape and id(operand) not in named
