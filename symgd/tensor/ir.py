"""The tensor IR: a small typed, hash-consed DAG of array operations.

Every node is an immutable value with a ``shape`` (a tuple of dimension symbols, ``()`` for a
scalar) and positional axes, as NumPy arrays and JAX's abstract values have. Axis labels live
where they carry meaning: a ``Contract`` names the axes of each operand with letters (einsum
style), and ``Lifted`` (symgd.tensor.lift) keeps the user's index names beside a node for printing.
Nodes are interned: building a node equal to an existing one returns that one, so structural
equality is identity, a DAG shares every repeated sub-expression, and common sub-expressions across
``loss``, ``grad`` and ``hess`` are found by construction.

Build nodes with the functions below (``add``, ``mul``, ``power``, ``contract``, ...): they intern
and fold trivial cases (``x * 1``, ``x + 0``, nested sums). ``check`` validates a graph;
``pretty`` prints it one binding per line.
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from dataclasses import dataclass, fields
from fractions import Fraction

import sympy

from symgd.errors import InternalError

Shape = tuple   # of SymPy dimension symbols or Integers


class Node:
    """Base of every IR node: subclasses are frozen dataclasses with a ``shape`` field."""

    shape: Shape

    def children(self) -> tuple["Node", ...]:
        """The operand nodes, in order (computed once: a node is immutable, and every pass walks the graph)."""
        known = self.__dict__.get("_children")
        if known is not None:
            return known
        out = []
        for name in _field_names(type(self)):
            value = getattr(self, name)
            if isinstance(value, Node):
                out.append(value)
            elif isinstance(value, tuple) and value and isinstance(value[0], Node):
                out.extend(value)
        known = tuple(out)
        object.__setattr__(self, "_children", known)
        return known


@functools.cache
def _field_names(cls) -> tuple:
    """The dataclass fields of a node class, by name (``dataclasses.fields`` rebuilds the list on every call)."""
    return tuple(f.name for f in fields(cls))


_TABLE: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()


def sort_key(node: Node) -> str:
    """A digest of the node's structure: the canonical order of the operands of ``add`` and ``mul``
    (so a + b and b + a are one node), the same in every process."""
    key = node.__dict__.get("_sort_key")
    if key is None:
        parts = [type(node).__name__]
        for name in _field_names(type(node)):
            value = getattr(node, name)
            if isinstance(value, Node):
                parts.append(sort_key(value))
            elif isinstance(value, tuple) and value and isinstance(value[0], Node):
                parts.extend(sort_key(child) for child in value)
            else:
                parts.append(str(value))
        key = hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]
        object.__setattr__(node, "_sort_key", key)
    return key


def intern(node: Node) -> Node:
    """The one node equal to ``node`` (children are interned, so they compare by identity)."""
    key = (type(node),) + tuple(getattr(node, name) for name in _field_names(type(node)))
    existing = _TABLE.get(key)
    if existing is not None:
        return existing
    _TABLE[key] = node
    return node


@dataclass(frozen=True, eq=False)
class Input(Node):
    """A named argument (parameter, data, constant) or a dimension's value; ``symbol`` is SymPy's."""

    symbol: object
    shape: Shape = ()


@dataclass(frozen=True, eq=False)
class Const(Node):
    """A scalar number (exact when rational)."""

    value: Fraction | float
    shape: Shape = ()


@dataclass(frozen=True, eq=False)
class Map(Node):
    """An elementwise operation: ``add`` and ``mul`` (n-ary), ``pow`` (a number ``param`` as the
    exponent, or a second argument), a primitive of symgd.functions (``exp``, ``sigmoid``,
    ``log1p``, ...) or ``heaviside``. Arguments have the node's shape or are scalars."""

    op: str
    args: tuple
    shape: Shape
    param: Fraction | None = None


@dataclass(frozen=True, eq=False)
class Contract(Node):
    """Σ over the letters missing from ``out`` of the product of the operands, einsum style:
    ``specs[n]`` labels the axes of ``args[n]``, ``out`` those of the result."""

    args: tuple
    specs: tuple
    out: str
    shape: Shape


@dataclass(frozen=True, eq=False)
class Reduce(Node):
    """``op`` (``sum``, ``prod``, ``logsumexp`` or ``max``) over the axes ``axes`` of ``arg``."""

    op: str
    arg: Node
    axes: tuple
    shape: Shape


@dataclass(frozen=True, eq=False)
class MatMul(Node):
    """``a @ b`` with NumPy's rules for vectors and matrices (made by contraction planning)."""

    a: Node
    b: Node
    shape: Shape


@dataclass(frozen=True, eq=False)
class Broadcast(Node):
    """``arg`` repeated along new axes: its axis n becomes axis ``axes[n]`` of the result."""

    arg: Node
    axes: tuple
    shape: Shape


@dataclass(frozen=True, eq=False)
class Transpose(Node):
    """Axis n of the result is axis ``perm[n]`` of ``arg``."""

    arg: Node
    perm: tuple
    shape: Shape


@dataclass(frozen=True, eq=False)
class Diagonal(Node):
    """The diagonal of a square matrix, a vector (the index form's ``A_kk``)."""

    arg: Node
    shape: Shape


@dataclass(frozen=True, eq=False)
class Identity(Node):
    """The identity matrix (the index form's Kronecker delta)."""

    shape: Shape


@dataclass(frozen=True, eq=False)
class Softmax(Node):
    """exp(arg) normalised to sum 1 along ``axis`` (shape of ``arg``)."""

    arg: Node
    axis: int
    shape: Shape


@dataclass(frozen=True, eq=False)
class MatFn(Node):
    """A function of a square matrix: ``inv`` (a matrix), ``det``, ``logdet`` (log det, defined for
    det > 0) and ``logabsdet`` (log |det|) (scalars); of a matrix of any shape: ``nuc`` (the nuclear
    norm, a scalar) and ``polar`` (U V^T of its thin SVD, the nuclear norm's gradient); of a vector:
    ``maxabs`` (max_i |v_i|, a scalar) and ``argmaxsign`` (sign(v_k) e_k at the first largest |v_k|,
    its gradient: a signed one-hot vector); ``expm``, the matrix exponential e^M of a square matrix, and
    ``dexpm``, its Fréchet derivative as an n × n × n × n array D[i, j, p, q] = ∂(e^M)_ij/∂M_pq."""

    op: str
    arg: Node
    shape: Shape


@dataclass(frozen=True, eq=False)
class ExpmFrechet(Node):
    """L(a, e), the Fréchet derivative of the matrix exponential at the square matrix ``a`` in the
    direction ``e`` (same shape): e^{a + e} = e^a + L(a, e) + o(‖e‖). The gradient of ⟨C, e^M⟩ is
    L(M^T, C)."""

    a: Node
    e: Node
    shape: Shape


@dataclass(frozen=True, eq=False)
class Kron(Node):
    """The Kronecker product of two matrices (matrix forms of Hessians of matrix parameters only;
    a vector enters as a one-column or one-row matrix)."""

    a: Node
    b: Node
    shape: Shape


@dataclass(frozen=True, eq=False)
class Factor(Node):
    """A factorisation of the square matrix ``arg`` (Cholesky when ``definite``, else LU with
    pivoting), computed once and read by ``Solve`` and by ``MatFn`` (log-determinants, the inverse
    where a whole inverse is needed). Its shape is the matrix's."""

    arg: Node
    definite: bool
    shape: Shape


@dataclass(frozen=True, eq=False)
class Commutation(Node):
    """The commutation matrix K with K vec(Z) = vec(Z^T) for Z of shape ``dims`` (vec stacks columns)."""

    dims: tuple
    shape: Shape


@dataclass(frozen=True, eq=False)
class SampleSum(Node):
    """Σ over the samples ``index`` = 1..``count`` of ``body`` (matrix forms of Hessians only), in
    which each binding ``(row, data, axis)`` names by the symbol ``row`` the slice ``index`` of the
    input ``data`` along its ``axis`` (``x_i``, the i-th row of x): a sum over samples of Kronecker
    products, Σ_i x_i x_i^T ⊗ B_i, has no product form without it."""

    body: Node
    index: object
    count: object
    bindings: tuple
    shape: Shape


@dataclass(frozen=True, eq=False)
class Solve(Node):
    """M^{-1} rhs (M^{-T} rhs when ``transposed``) from the factorisation ``factor`` of M."""

    factor: Node
    rhs: Node
    transposed: bool
    shape: Shape


@dataclass(frozen=True, eq=False)
class GramBlocks(Node):
    """A Kronecker-structured sum over samples, one weighted Gram product per block (made by the
    ``gram`` pass for Hessians of matrix parameters): result[k, i, l, j] = Σ_a x[a, i] x[a, j]
    (weights[k, l, a] + δ_kl diagonal[k, a]). ``weights`` (K, L, n) or ``diagonal`` (K, n) may be
    None (no such part); ``symmetric`` says weights[k, l] = weights[l, k], so only the blocks k ≤ l
    are computed. Shape (K, d, L, d)."""

    x: Node
    weights: Node | None
    diagonal: Node | None
    symmetric: bool
    shape: Shape


@dataclass(frozen=True, eq=False)
class Slice(Node):
    """A static window of one axis, ``arg[start:stop]`` along ``axis`` (0-based; ``start`` and
    ``stop`` SymPy expressions of the dimensions: the index form's shifted entries x_{i+1} over
    i = 1..n-1 are ``x[1:n]``), or one entry ``arg[start]`` with the axis removed when ``stop`` is
    None (a fixed index, x_1). NumPy's basic slicing: a view of ``arg``."""

    arg: Node
    axis: int
    start: object
    stop: object
    shape: Shape


@dataclass(frozen=True, eq=False)
class Pad(Node):
    """``arg`` placed at positions ``before`` .. ``before + len`` of ``axis`` of an array of
    ``shape``, ``value`` (0, or 1 for empty products) elsewhere: the adjoint of a ``Slice`` (the
    gradient of Σ_i f(x_{i+1}) reaches x_2 .. x_n only). A fresh array."""

    arg: Node
    axis: int
    before: object
    value: Fraction
    shape: Shape


@dataclass(frozen=True, eq=False)
class Arange(Node):
    """The values ``start``, ``start`` + 1, ... along one axis: an index used as a value (w_j x^j)."""

    start: object
    shape: Shape


@dataclass(frozen=True, eq=False)
class Scan(Node):
    """The inclusive cumulative ``op`` (``prod``) of ``arg`` along ``axis``, from the end when
    ``reverse`` (Π_{i<k} x_i and Π_{i>k} x_i, the exact gradient of a product)."""

    op: str
    arg: Node
    axis: int
    reverse: bool
    shape: Shape


@dataclass(frozen=True, eq=False)
class Tri(Node):
    """The 0/1 matrix with T[p, q] = 1 where q <= p + ``offset`` (NumPy's ``np.tri``): the mask of a
    triangular range, Σ_i Σ_{j=i+1}^{n}."""

    offset: object
    shape: Shape


# -- constructors: intern, flatten, fold -------------------------------------------------------

ZERO, ONE = Fraction(0), Fraction(1)


def const(value) -> Const:
    """A scalar constant; integers and rationals stay exact."""
    if isinstance(value, float) and value.is_integer():
        value = Fraction(int(value))
    elif isinstance(value, int):
        value = Fraction(value)
    return intern(Const(value))


def input_(symbol, shape: Shape = ()) -> Input:
    """The argument ``symbol`` with shape ``shape``."""
    return intern(Input(symbol, tuple(shape)))


def _result_shape(args) -> Shape:
    shapes = {a.shape for a in args if a.shape}
    if len(shapes) > 1:
        raise InternalError(f"elementwise operands of different shapes {sorted(map(str, shapes))}")
    return shapes.pop() if shapes else ()


def add(*terms: Node) -> Node:
    """The elementwise sum (flattened; numbers folded; zeros dropped)."""
    flat: list = []
    number = ZERO
    for term in terms:
        for part in (term.args if isinstance(term, Map) and term.op == "add" else (term,)):
            if isinstance(part, Const):
                number += part.value
            else:
                flat.append(part)
    shape = _result_shape(flat)
    flat.sort(key=sort_key)
    if number != 0:
        flat.append(const(number))
    if not flat:
        return const(0)
    if len(flat) == 1:
        return broadcast_to(flat[0], shape)
    return intern(Map("add", tuple(flat), shape))


def mul(*factors: Node) -> Node:
    """The elementwise product (flattened; the numeric coefficient first; powers of one base
    multiplied, x^a x^b = x^(a+b), so x / x is 1; x * 0 = 0)."""
    flat: list = []
    number = ONE
    for factor in factors:
        for part in (factor.args if isinstance(factor, Map) and factor.op == "mul" else (factor,)):
            if isinstance(part, Const):
                number *= part.value
            else:
                flat.append(part)
    shape = _result_shape(flat)
    flat = _merge_powers(flat)
    flat.sort(key=sort_key)
    if number == 0:
        return broadcast_to(const(0), shape)
    if number != 1:
        flat.insert(0, const(number))
    if not flat:
        return broadcast_to(const(1), shape)
    if len(flat) == 1:
        return broadcast_to(flat[0], shape)
    if not any(f.shape for f in flat):   # x (n,) over x cancelled: a scalar spread over the shape
        return broadcast_to(intern(Map("mul", tuple(flat), ())), shape)
    return intern(Map("mul", tuple(flat), shape))


def _base_and_exponent(node: Node):
    if isinstance(node, Map) and node.op == "pow" and node.param is not None:
        return node.args[0], node.param
    return node, ONE


def _merge_powers(factors: list) -> list:
    """Factors with one base become one power (in the order of first appearance)."""
    exponents: dict = {}
    bases: dict = {}
    for factor in factors:
        base, exponent = _base_and_exponent(factor)
        bases.setdefault(id(base), base)
        exponents[id(base)] = exponents.get(id(base), ZERO) + exponent
    if len(exponents) == len(factors):
        return factors
    merged = (power(bases[key], exponent) for key, exponent in exponents.items())
    return [f for f in merged if not (isinstance(f, Const) and f.value == 1)]


def neg(x: Node) -> Node:
    """-x."""
    return mul(const(-1), x)


def power(base: Node, exponent) -> Node:
    """base ** exponent for a number (exact when rational) or a scalar node."""
    if isinstance(exponent, Node):
        return intern(Map("pow", (base, exponent), _result_shape((base, exponent))))
    exponent = Fraction(exponent) if not isinstance(exponent, float) else exponent
    if exponent == 1:
        return base
    if exponent == 0:
        return const(1)
    if isinstance(base, Const) and isinstance(exponent, Fraction) and exponent.denominator == 1 and base.value != 0:
        return const(base.value ** exponent.numerator)
    if isinstance(base, Map) and base.op == "pow" and base.param is not None and exponent.denominator == 1:
        return power(base.args[0], base.param * exponent)
    return intern(Map("pow", (base,), base.shape, exponent))


def apply(op: str, *args: Node) -> Node:
    """A primitive (``exp``, ``log``, ``sigmoid``, ``max``, ...) applied entry by entry."""
    return intern(Map(op, tuple(args), _result_shape(args)))


def contract(args, specs, out: str, dims: dict) -> Node:
    """Σ of the product of ``args`` over the letters of ``specs`` missing from ``out``;
    ``dims`` maps each letter to its dimension."""
    return intern(Contract(tuple(args), tuple(specs), out, tuple(dims[c] for c in out)))


def opened(node: Contract, spec: str, fresh) -> list:
    """(operand, letters) of the contraction ``node`` used with the letters ``spec`` for its result: its output
    letters renamed to ``spec``, its summed ones to letters drawn from ``fresh`` (an iterator of unused ones)."""
    rename = dict(zip(node.out, spec))
    operands = []
    for inner, inner_spec in zip(node.args, node.specs):
        for letter in inner_spec:
            if letter not in rename:
                rename[letter] = next(fresh)
        operands.append((inner, "".join(rename[c] for c in inner_spec)))
    return operands


def reduce(op: str, arg: Node, axes) -> Node:
    """``op`` over ``axes`` of ``arg``."""
    axes = tuple(sorted(axes))
    shape = tuple(d for n, d in enumerate(arg.shape) if n not in axes)
    return intern(Reduce(op, arg, axes, shape))


def matmul(a: Node, b: Node) -> Node:
    """a @ b (vectors and matrices)."""
    shape = a.shape[:-1] + b.shape[1:] if len(b.shape) > 1 else a.shape[:-1]
    return intern(MatMul(a, b, shape))


def broadcast(arg: Node, axes, shape: Shape) -> Node:
    """``arg`` with its axes placed at ``axes`` of an array of ``shape``."""
    axes, shape = tuple(axes), tuple(shape)
    if not arg.shape and not isinstance(arg, Const) and not shape:
        return arg
    if arg.shape == shape and axes == tuple(range(len(shape))):
        return arg
    return intern(Broadcast(arg, axes, shape))


def broadcast_to(arg: Node, shape: Shape) -> Node:
    """A scalar (or an array already of ``shape``) as an array of ``shape``."""
    if arg.shape == tuple(shape) or not shape:
        return arg
    return broadcast(arg, (), shape)


def transpose(arg: Node, perm) -> Node:
    """``arg`` with its axes permuted (``perm[n]`` is the old position of new axis n)."""
    perm = tuple(perm)
    if perm == tuple(range(len(perm))):
        return arg
    if isinstance(arg, Transpose):
        return transpose(arg.arg, tuple(arg.perm[p] for p in perm))
    return intern(Transpose(arg, perm, tuple(arg.shape[p] for p in perm)))


def diagonal(arg: Node) -> Node:
    """The diagonal of a square matrix."""
    return intern(Diagonal(arg, arg.shape[:1]))


def identity(dim) -> Node:
    """The dim × dim identity."""
    return intern(Identity((dim, dim)))


def softmax(arg: Node, axis: int) -> Node:
    """Softmax of ``arg`` along ``axis``."""
    return intern(Softmax(arg, axis, arg.shape))


def matfn(op: str, arg: Node) -> Node:
    """``inv``, ``det``, ``logdet`` or ``logabsdet`` of a square matrix (or of its ``Factor``); ``nuc`` or
    ``polar`` of a matrix."""
    shape = arg.shape * 2 if op == "dexpm" else arg.shape if op in ("inv", "polar", "argmaxsign", "expm") else ()
    return intern(MatFn(op, arg, shape))


def expm_frechet(a: Node, e: Node) -> Node:
    """L(a, e): the Fréchet derivative of e^a in the direction e (two square matrices of one shape)."""
    return intern(ExpmFrechet(a, e, a.shape))


def kron(a: Node, b: Node) -> Node:
    """a ⊗ b of two matrices; scalar factors move in front, I ⊗ I is one identity."""
    coefficients = []
    operands = []
    for operand in (a, b):
        if isinstance(operand, Map) and operand.op == "mul":
            coefficients += [f for f in operand.args if not f.shape]
            operand = mul(*(f for f in operand.args if f.shape))
        operands.append(operand)
    a, b = operands
    shape = (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1])
    if any(_is_zero(operand) for operand in operands):
        return broadcast_to(const(0), shape)
    if isinstance(a, Identity) and isinstance(b, Identity):
        product = identity(a.shape[0] * b.shape[0])
    else:
        product = intern(Kron(a, b, shape))
    return mul(*coefficients, product)


def _is_zero(node: Node) -> bool:
    inner = node.arg if isinstance(node, Broadcast) else node
    return isinstance(inner, Const) and inner.value == 0


def commutation(rows, cols) -> Node:
    """The commutation matrix of a rows × cols matrix."""
    return intern(Commutation((rows, cols), (rows * cols, rows * cols)))


def sample_sum(body: Node, index, count, bindings: tuple) -> Node:
    """Σ_{index=1}^{count} body, ``bindings`` ((row symbol, data symbol, axis), ...) naming the slices of data."""
    if _is_zero(body):
        return body
    return intern(SampleSum(body, index, count, tuple(bindings), body.shape))


def slice_(arg: Node, axis: int, start, stop) -> Node:
    """``arg[start:stop]`` along ``axis`` (``stop`` None: the entry ``start``, the axis removed);
    the whole axis is ``arg`` itself."""
    start = sympy.sympify(start)
    if stop is None:
        return intern(Slice(arg, axis, start, None, arg.shape[:axis] + arg.shape[axis + 1:]))
    stop = sympy.sympify(stop)
    if start == 0 and stop == arg.shape[axis]:
        return arg
    shape = arg.shape[:axis] + (stop - start,) + arg.shape[axis + 1:]
    if isinstance(arg, Broadcast):   # a window of a broadcast: the broadcast of the operand's window
        inner = arg.arg if axis not in arg.axes else slice_(arg.arg, arg.axes.index(axis), start, stop)
        return broadcast(inner, arg.axes, shape)
    return intern(Slice(arg, axis, start, stop, shape))


def pad(arg: Node, axis: int, before, length, value=0) -> Node:
    """``arg`` at positions ``before`` onwards of an axis of ``length``, ``value`` elsewhere."""
    before, length = sympy.sympify(before), sympy.sympify(length)
    if before == 0 and length == arg.shape[axis]:
        return arg
    value = Fraction(value)
    shape = arg.shape[:axis] + (length,) + arg.shape[axis + 1:]
    inner = arg.arg if isinstance(arg, Broadcast) else arg
    if isinstance(inner, Const) and inner.value == value:   # zeros padded with zeros
        return broadcast_to(inner, shape)
    return intern(Pad(arg, axis, before, value, shape))


def arange(start, length) -> Node:
    """start, start + 1, ..., start + length - 1."""
    return intern(Arange(sympy.sympify(start), (sympy.sympify(length),)))


def scan(op: str, arg: Node, axis: int, reverse: bool) -> Node:
    """The inclusive cumulative ``op`` along ``axis`` (from the end when ``reverse``)."""
    return intern(Scan(op, arg, axis, bool(reverse), arg.shape))


def tri(rows, cols, offset) -> Node:
    """The rows × cols 0/1 matrix with ones where column <= row + offset."""
    return intern(Tri(sympy.sympify(offset), (rows, cols)))


def gram_blocks(x: Node, weights: Node | None, diagonal: Node | None, symmetric: bool) -> Node:
    """Σ_a x_a x_a^T ⊗ (weights_a + diag(diagonal_a)) as (K, d, L, d) blocks; see ``GramBlocks``."""
    rows = (weights if weights is not None else diagonal).shape[0]
    cols = weights.shape[1] if weights is not None else rows
    if weights is None:
        symmetric = True
    d = x.shape[1]
    return intern(GramBlocks(x, weights, diagonal, bool(symmetric), (rows, d, cols, d)))


def factor(arg: Node, definite: bool) -> Node:
    """The factorisation of a square matrix (Cholesky if ``definite``)."""
    return intern(Factor(arg, definite, arg.shape))


def solve(factor_: Node, rhs: Node, transposed: bool = False) -> Node:
    """M^{-1} rhs (or M^{-T} rhs) from M's ``Factor``; a symmetric (definite) M needs no transpose."""
    if isinstance(factor_, Factor) and factor_.definite:
        transposed = False
    return intern(Solve(factor_, rhs, transposed, rhs.shape))


# -- traversal, checking, printing -------------------------------------------------------------

def postorder(roots, skip=None) -> list:
    """Every node reachable from ``roots``, each once, operands before their users; with ``skip``,
    not the nodes for which ``skip(node)`` holds, nor what is reachable through them only."""
    roots = tuple(roots)
    if skip is not None:
        return _walk(roots, skip)
    if len(roots) == 1:
        return list(_subgraph(roots[0]))
    # root by root, each one's own order without what an earlier root reached (the same order as
    # one walk from all of them: what an earlier root reached, it reached with all its operands)
    seen: set = set()
    order: list = []
    for root in roots:
        for node in _subgraph(root):
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
    return order


def _subgraph(node: Node) -> tuple:
    """``postorder([node])``, kept on the node (it is immutable; every pass walks the graph again)
    without the node itself, the last one, so that no node refers to itself (a cycle only the
    garbage collector would free)."""
    below = node.__dict__.get("_postorder")
    if below is None:
        below = tuple(_walk((node,), None))[:-1]
        object.__setattr__(node, "_postorder", below)
    return below + (node,)


def _walk(roots: tuple, skip) -> list:
    seen: set = set()
    order: list = []
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen or skip is not None and skip(node):
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children()) if id(child) not in seen)
    return order


def uses(roots) -> dict:
    """id(node) -> how many times operands refer to it (roots count once each)."""
    counts: dict = {}
    for root in roots:
        counts[id(root)] = counts.get(id(root), 0) + 1
    for node in postorder(roots):
        for child in node.children():
            counts[id(child)] = counts.get(id(child), 0) + 1
    return counts


def rewrite(roots, rule, memo: str | None = None) -> tuple:
    """Rebuild the graph bottom-up: each node's operands are replaced by their rewrites, then
    ``rule(node)`` returns the node's replacement (or the node).

    ``memo``: for a rule that reads nothing but the node it is given (no program, no counts of
    uses), a name under which each node keeps its rewrite. The rewrite of a node is then a function
    of the node alone, and nodes are hash-consed, so another program holding the node (``loss``,
    ``grad`` and ``value_and_grad`` share most of theirs; a matrix form shares its block's) takes it
    without walking what lies below."""
    done: dict = {}
    key = None if memo is None else "_rewrite_" + memo

    def rewritten(node):
        known = done.get(id(node))
        if known is None:
            known = node.__dict__[key]
        return node if known is _UNCHANGED else known

    for node in postorder(roots, None if key is None else (lambda n: key in n.__dict__)):
        result = rule(rebuild(node, [rewritten(c) for c in node.children()]))
        done[id(node)] = result
        if key is not None:   # a node the rule keeps does not refer to itself (a cycle)
            object.__setattr__(node, key, _UNCHANGED if result is node else result)
    return tuple(rewritten(r) for r in roots)


_UNCHANGED = object()   # a memoised rewrite that is the node itself


def rebuild(node: Node, children: list) -> Node:
    """``node`` with its operands replaced by ``children`` (in ``children()`` order), re-folded."""
    if all(new is old for new, old in zip(children, node.children())):
        return node
    if isinstance(node, Map):
        if node.op == "add":
            return add(*children)
        if node.op == "mul":
            return mul(*children)
        if node.op == "pow":
            return power(children[0], node.param if node.param is not None else children[1])
        return intern(Map(node.op, tuple(children), _result_shape(children), node.param))
    if isinstance(node, Contract):
        dims = {c: d for spec, a in zip(node.specs, node.args) for c, d in zip(spec, a.shape)}
        return contract(children, node.specs, node.out, dims)
    if isinstance(node, MatMul):
        return matmul(*children)
    if isinstance(node, Kron):
        return kron(*children)
    if isinstance(node, ExpmFrechet):
        return expm_frechet(*children)
    if isinstance(node, Solve):
        return solve(children[0], children[1], node.transposed)
    if isinstance(node, GramBlocks):
        parts = iter(children)
        data = next(parts)
        weights = next(parts) if node.weights is not None else None
        on_diagonal = next(parts) if node.diagonal is not None else None
        return gram_blocks(data, weights, on_diagonal, node.symmetric)
    (child,) = children
    if isinstance(node, Reduce):
        return reduce(node.op, child, node.axes)
    if isinstance(node, Broadcast):
        return broadcast(child, node.axes, node.shape)
    if isinstance(node, Transpose):
        return transpose(child, node.perm)
    if isinstance(node, Diagonal):
        return diagonal(child)
    if isinstance(node, Softmax):
        return softmax(child, node.axis)
    if isinstance(node, MatFn):
        return matfn(node.op, child)
    if isinstance(node, Factor):
        return factor(child, node.definite)
    if isinstance(node, SampleSum):
        return sample_sum(child, node.index, node.count, node.bindings)
    if isinstance(node, Slice):
        return slice_(child, node.axis, node.start, node.stop)
    if isinstance(node, Pad):
        return pad(child, node.axis, node.before, node.shape[node.axis], node.value)
    if isinstance(node, Scan):
        return scan(node.op, child, node.axis, node.reverse)
    raise InternalError(f"rebuild of {type(node).__name__}")


def check(roots) -> None:
    """Validate the graph: every node's shape follows from its operands' shapes.

    Raises:
        InternalError: naming the first node that is not well formed.
    """
    for node in postorder(roots, skip=_checked):   # a node checked once stays valid: it is immutable
        problem = _problem(node)
        if problem:
            raise InternalError(f"tensor IR: {problem} in {type(node).__name__} {node.shape}")
        object.__setattr__(node, "_checked", True)


def _checked(node: Node) -> bool:
    return "_checked" in node.__dict__


def _problem(node: Node) -> str | None:  # noqa: C901 - one rule per node type
    if isinstance(node, Map):
        if any(a.shape and a.shape != node.shape for a in node.args):
            return "an operand of another shape"
        if node.op in ("add", "mul") and len(node.args) < 2:
            return "fewer than two operands"
    elif isinstance(node, Contract):
        if len(node.specs) != len(node.args) or any(len(s) != len(a.shape) for s, a in zip(node.specs, node.args)):
            return "specs that do not match the operands"
        dims: dict = {}
        for spec, arg in zip(node.specs, node.args):
            for letter, dim in zip(spec, arg.shape):
                if dims.setdefault(letter, dim) != dim:
                    return f"axis {letter} of two lengths"
        if any(c not in dims for c in node.out) or tuple(dims[c] for c in node.out) != node.shape:
            return "an output axis no operand has"
    elif isinstance(node, MatMul):
        a, b = node.a.shape, node.b.shape
        if not a or not b or len(a) > 2 or len(b) > 2 or a[-1] != b[0]:
            return f"operands {a} @ {b}"
    elif isinstance(node, Broadcast):
        if len(node.axes) != len(node.arg.shape) or any(node.shape[p] != d for p, d in zip(node.axes, node.arg.shape)):
            return "axes that do not fit"
    elif isinstance(node, Transpose):
        if sorted(node.perm) != list(range(len(node.arg.shape))):
            return "a permutation of the wrong length"
    elif isinstance(node, Solve):
        if not isinstance(node.factor, Factor) or node.rhs.shape[:1] != node.factor.shape[1:]:
            return "a right-hand side that does not fit the factorised matrix"
    elif isinstance(node, MatFn) and node.op in ("maxabs", "argmaxsign"):   # of a vector
        if len(node.arg.shape) != 1:
            return "an operand that is not a vector"
    elif isinstance(node, MatFn) and node.op in ("nuc", "polar"):   # of a matrix of any shape
        if len(node.arg.shape) != 2:
            return "an operand that is not a matrix"
    elif isinstance(node, (Diagonal, MatFn, Factor)):
        if len(node.arg.shape) != 2 or node.arg.shape[0] != node.arg.shape[1]:
            return "an operand that is not a square matrix"
    elif isinstance(node, Reduce):
        if any(a >= len(node.arg.shape) for a in node.axes):
            return "an axis the operand lacks"
    elif isinstance(node, Kron):
        if len(node.a.shape) != 2 or len(node.b.shape) != 2:
            return "an operand that is not a matrix"
    elif isinstance(node, ExpmFrechet):
        a = node.a.shape
        if len(a) != 2 or a[0] != a[1] or node.e.shape != a or node.shape != a:
            return "operands that are not square matrices of one shape"
    elif isinstance(node, GramBlocks):
        return _gram_problem(node)
    elif isinstance(node, (Slice, Pad, Scan)):
        return _axis_problem(node)
    return None


def _axis_problem(node) -> str | None:
    """A slice, pad or scan: the operand has the node's shape except along (or, for one entry, at) its axis."""
    arg = node.arg.shape
    if node.axis >= len(arg):
        return "an axis the operand lacks"
    if isinstance(node, Slice) and node.stop is None:
        return None if node.shape == arg[:node.axis] + arg[node.axis + 1:] else "a shape that does not fit"
    if len(arg) != len(node.shape) or any(a != b for n, (a, b) in enumerate(zip(arg, node.shape)) if n != node.axis):
        return "a shape that does not fit"
    return None


def _gram_problem(node: GramBlocks) -> str | None:
    rows, d, cols, _ = node.shape
    samples = node.x.shape[0] if len(node.x.shape) == 2 else None
    if samples is None or node.x.shape[1] != d or node.shape[3] != d:
        return "a data operand that is not an n x d matrix"
    if node.weights is not None and node.weights.shape != (rows, cols, samples):
        return "weights that are not K x L x n"
    if node.diagonal is not None and (node.diagonal.shape != (rows, samples) or rows != cols):
        return "diagonal weights that are not K x n"
    if node.symmetric and rows != cols:
        return "symmetric blocks that are not square"
    return None


def describe(node: Node, names: dict) -> str:
    """One node as text, its operands by their names in ``names`` (id -> name)."""
    def ref(child):
        return names.get(id(child), "?")
    if isinstance(node, Input):
        return str(getattr(node.symbol, "label", node.symbol))
    if isinstance(node, Const):
        return str(node.value)
    if isinstance(node, Map):
        param = "" if node.param is None else f"[{node.param}]"
        return f"{node.op}{param}({', '.join(ref(a) for a in node.args)})"
    if isinstance(node, Contract):
        return f"contract[{','.join(node.specs)}->{node.out}]({', '.join(ref(a) for a in node.args)})"
    if isinstance(node, Reduce):
        return f"{node.op}[axes={list(node.axes)}]({ref(node.arg)})"
    if isinstance(node, MatMul):
        return f"matmul({ref(node.a)}, {ref(node.b)})"
    if isinstance(node, Broadcast):
        return f"broadcast[axes={list(node.axes)}]({ref(node.arg)})"
    if isinstance(node, Transpose):
        return f"transpose[{list(node.perm)}]({ref(node.arg)})"
    if isinstance(node, (Diagonal, Softmax)):
        extra = f"[axis={node.axis}]" if isinstance(node, Softmax) else ""
        return f"{type(node).__name__.lower()}{extra}({ref(node.arg)})"
    if isinstance(node, MatFn):
        return f"{node.op}({ref(node.arg)})"
    if isinstance(node, Factor):
        return f"{'cholesky' if node.definite else 'lu'}({ref(node.arg)})"
    if isinstance(node, Solve):
        return f"solve{'_t' if node.transposed else ''}({ref(node.factor)}, {ref(node.rhs)})"
    if isinstance(node, Identity):
        return "eye"
    if isinstance(node, Kron):
        return f"kron({ref(node.a)}, {ref(node.b)})"
    if isinstance(node, ExpmFrechet):
        return f"expm_frechet({ref(node.a)}, {ref(node.e)})"
    if isinstance(node, Commutation):
        return f"commutation{list(node.dims)}"
    if isinstance(node, GramBlocks):
        parts = ", ".join(ref(p) if p is not None else "none" for p in (node.x, node.weights, node.diagonal))
        return f"gram_blocks[{'symmetric' if node.symmetric else 'all'}]({parts})"
    if isinstance(node, Slice):
        window = f"{node.start}" if node.stop is None else f"{node.start}:{node.stop}"
        return f"slice[axis={node.axis}, {window}]({ref(node.arg)})"
    if isinstance(node, Pad):
        return f"pad[axis={node.axis}, before={node.before}, value={node.value}]({ref(node.arg)})"
    if isinstance(node, Arange):
        return f"arange[from {node.start}]"
    if isinstance(node, Scan):
        return f"cum{node.op}[axis={node.axis}{', reverse' if node.reverse else ''}]({ref(node.arg)})"
    if isinstance(node, Tri):
        return f"tri[{node.offset}]"
    if isinstance(node, SampleSum):
        rows = ", ".join(f"{row}={data}[{axis}]" for row, data, axis in node.bindings)
        return f"sample_sum[{node.index}=1..{node.count}; {rows}]({ref(node.body)})"
    raise InternalError(f"describe {type(node).__name__}")


def pretty(roots, labels: tuple = (), lets: tuple = (), overwrite: tuple = ()) -> str:
    """The graph one node per line, operands first: ``%3 : (n, d) = mul(%1, %2)``; the roots are
    listed last (named by ``labels`` when given), after the named nodes in their order of
    evaluation (``let``) and those that work in an operand's buffer (``in place``), when given."""
    names: dict = {}
    lines = []
    for node in postorder(roots):
        if isinstance(node, (Input, Const)):
            names[id(node)] = describe(node, names)
            continue
        name = f"%{len(lines)}"
        shape = "(" + ", ".join(map(str, node.shape)) + ("," if len(node.shape) == 1 else "") + ")"
        lines.append(f"{name} : {shape} = {describe(node, names)}")
        names[id(node)] = name
    labels = labels or tuple(f"out{n}" for n in range(len(tuple(roots))))
    for heading, nodes in (("let", lets), ("in place", overwrite)):
        if nodes:
            lines.append(f"{heading} " + ", ".join(names.get(id(node), "?") for node in nodes))
    lines.append("return " + ", ".join(f"{label}={names[id(r)]}" for label, r in zip(labels, roots)))
    return "\n".join(lines)


@dataclass(frozen=True)
class Program:
    """What the passes transform: the results of one generated function.

    Attributes:
        roots: the result nodes, in order.
        labels: a name for each result (for dumps): ``loss``, ``grad[w]``, ...
        lets: the nodes computed once into a local name, operands first (set by the ``cse`` pass).
        overwrite: elementwise nodes that may write over their operand's buffer (set by ``memory``).
    """

    roots: tuple
    labels: tuple
    lets: tuple = ()
    overwrite: tuple = ()

    def with_roots(self, roots) -> "Program":
        """The same program computing ``roots`` (bindings are recomputed by ``cse``, buffers by
        ``memory``)."""
        return Program(tuple(roots), self.labels)

    def __str__(self) -> str:
        return pretty(self.roots, self.labels, self.lets, self.overwrite)
