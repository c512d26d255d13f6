"""The loss as a tensor-IR graph cut into named pieces, as a textbook writes it (r = Xw - y, then
L = ½ r^T r): which nodes get a name, which name, and each piece's definition in terms of the others."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symgd.codegen.stable import logsumexp, softmax, stabilise
from symgd.derive import _smooth_conventions
from symgd.explain.printing import tidy
from symgd.problem import Problem, _name_of
from symgd.tensor import ir
from symgd.tensor.lift import Builder
from symgd.tensor.passes import contract

# Names for pieces, by what the piece is: a sum of terms (a residual), a product, a reduction, or
# another function; lower case for vectors and scalars, capitals for matrices.
_NAMES = {
    "sum": ("r", "e", "E", "R"),
    "product": ("z", "a", "A", "Z"),
    "reduction": ("s", "c", "S", "C"),
    "function": ("u", "p", "q", "t", "h", "H", "P", "Q", "M", "B", "G"),
}


@dataclass(frozen=True)
class Piece:
    """A named intermediate: ``symbol`` (an Input standing for it), its ``node`` in the loss graph
    and its ``definition`` in terms of parameters, data and earlier pieces."""

    name: str
    symbol: ir.Input
    node: ir.Node
    definition: ir.Node


@dataclass(frozen=True)
class Cut:
    """The loss graph (``root``), its pieces (innermost first) and the loss written with them."""

    root: ir.Node
    pieces: tuple
    definition: ir.Node


def loss_graph(problem: Problem) -> ir.Node:
    """The objective as a tensor-IR node, with contractions planned as matrix products."""
    objective = _smooth_conventions(problem.objective)
    stable = stabilise(objective)
    if stable.has(softmax, logsumexp):   # exp(a_k) / Σ_j exp(a_j) is read as the softmax it is
        objective = stable
    root = Builder(problem.shapes, {}).root(objective, ())
    (root,) = ir.rewrite([root], _without_factorisations)
    (root,) = contract.run(ir.Program((root,), ("loss",))).roots
    return tidy(root)


def _without_factorisations(node: ir.Node) -> ir.Node:
    """A person differentiates M^{-1} and log det M, not the Cholesky factor code reads them from."""
    if isinstance(node, ir.Factor):
        return node.arg
    if isinstance(node, ir.Solve):
        inverse = ir.matfn("inv", node.factor)
        return ir.matmul(ir.transpose(inverse, (1, 0)) if node.transposed else inverse, node.rhs)
    return node


def cut(problem: Problem, params: tuple) -> Cut:
    """The loss of ``problem`` cut into pieces, differentiating with respect to ``params``."""
    root = loss_graph(problem)
    leaves = {ir.input_(p, problem.shapes[p]) for p in params}
    order = ir.postorder([root])
    depends: dict = {}
    for node in order:
        depends[node] = node in leaves or any(depends[c] for c in node.children())
    parents = _effective_parents(order)
    chosen: list = []
    for node in order:
        if node is not root and _deserves_a_name(node, depends, parents.get(node, []), set(chosen)):
            chosen.append(node)
    taken = _taken_names(problem)
    pieces: list = []
    symbols: dict = {}
    for node in chosen:
        name = _name_for(node, taken)
        taken.add(name)
        symbol = ir.input_(sympy.Symbol(name), node.shape)
        definition = tidy(_substitute(node, symbols, top=node))
        symbols[node] = symbol
        pieces.append(Piece(name, symbol, node, definition))
    return Cut(root, tuple(pieces), tidy(_substitute(root, symbols, top=root)))


def fold(node: ir.Node, pieces) -> ir.Node:
    """``node`` with each piece's definition replaced by the piece's symbol (σ(z) is u)."""
    places = {piece.definition: piece.symbol for piece in pieces}
    (out,) = ir.rewrite((node,), lambda n: places.get(n, n))
    return out


def inline(node: ir.Node, pieces) -> ir.Node:
    """``node`` with every piece's symbol replaced by what it stands for."""
    places = {piece.symbol: piece.node for piece in pieces}
    (out,) = ir.rewrite((node,), lambda n: places.get(n, n))
    return out


def _effective_parents(order: list) -> dict:
    """node -> the nodes that use it (once per use), looking through transposes and broadcasts."""
    direct: dict = {}
    for node in order:
        for child in node.children():
            direct.setdefault(child, []).append(node)
    out: dict = {}

    def effective(node) -> list:
        if node not in out:
            found = []
            for parent in direct.get(node, []):
                found.extend(effective(parent) if isinstance(parent, (ir.Transpose, ir.Broadcast)) else [parent])
            out[node] = found
        return out[node]

    for node in order:
        effective(node)
    return out


def _nonlinear(node: ir.Node) -> bool:
    if isinstance(node, ir.Map):
        return node.op not in ("add", "mul")
    return isinstance(node, (ir.MatFn, ir.Softmax)) or (isinstance(node, ir.Reduce) and node.op != "sum")


def _simple(node: ir.Node, depends: dict, named: set) -> bool:
    """Elementwise sums and products of leaves and named pieces: not worth a name."""
    if not depends[node] or node in named or isinstance(node, (ir.Input, ir.Const, ir.Identity)):
        return True
    if isinstance(node, (ir.Transpose, ir.Broadcast)):
        return _simple(node.arg, depends, named)
    return isinstance(node, ir.Map) and node.op in ("add", "mul") \
        and all(_simple(a, depends, named) for a in node.args)


def _deserves_a_name(node: ir.Node, depends: dict, parents: list, named: set) -> bool:
    """The argument of a nonlinear function, or a piece used twice (r in r^T r), unless it is a leaf
    or an elementwise sum or product of leaves and pieces."""
    if not depends[node] or isinstance(node, (ir.Transpose, ir.Broadcast)) or _simple(node, depends, named):
        return False
    return any(_nonlinear(p) for p in parents) or len(parents) >= 2


def _taken_names(problem: Problem) -> set:
    names = {_name_of(s) for s in problem.roles} | {str(d) for d in problem.dims}
    names |= {"d", "L", "I", "f", "J", problem.objective_name or "L"}
    return names


def _name_for(node: ir.Node, taken: set) -> str:
    if isinstance(node, ir.Map) and node.op == "add":
        kind = "sum"
    elif isinstance(node, (ir.MatMul, ir.Contract)):
        kind = "product"
    elif isinstance(node, ir.Reduce):
        kind = "reduction"
    else:
        kind = "function"
    matrix = len(node.shape) == 2
    for name in _NAMES[kind]:
        if name[0].isupper() == matrix and name not in taken:
            return name
    base = "U" if matrix else "u"
    number = 1
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def _substitute(node: ir.Node, symbols: dict, top: ir.Node) -> ir.Node:
    """``node`` with the named pieces below it (not itself) replaced by their symbols."""
    memo: dict = {}

    def walk(current: ir.Node) -> ir.Node:
        if current is not top and current in symbols:
            return symbols[current]
        if current not in memo:
            children = current.children()
            memo[current] = ir.rebuild(current, [walk(c) for c in children]) if children else current
        return memo[current]

    return walk(node)
