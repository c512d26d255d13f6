"""The intermediate representation the parsers produce: small frozen dataclasses.

The IR is purely syntactic: it records what was written, with no shapes and no simplification.
``Apply(name, args)`` is "a name followed by a parenthesised list" — the problem builder decides
whether that is a function call (``\\sigma(z)``, ``L(\\theta)``) or a product (``\\lambda(a+b)``).
Both grammars (LaTeX and plain text) produce the same IR, so the same loss gives the same Problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Num:
    """A numeric literal, kept as its decimal text so it converts exactly."""

    text: str


@dataclass(frozen=True)
class Name:
    """A symbol as written, canonical spelling: ``\\lambda`` -> ``lambda``, ``\\mathbf{x}`` -> ``x``."""

    name: str


@dataclass(frozen=True)
class Sub:
    """A subscripted name: ``x_i``, ``X_{ij}``, ``X[i, j]``, ``x^{(i)}``, ``\\theta_{n+1}``."""

    base: "Expr"
    indices: tuple["Expr", ...]


@dataclass(frozen=True)
class Add:
    """A sum of terms; subtraction is a ``Neg`` term."""

    terms: tuple["Expr", ...]


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    arg: "Expr"


@dataclass(frozen=True)
class Mul:
    """A product whose meaning depends on shapes: scaling, matrix product or inner product.

    ``op`` is ``"juxt"`` (implicit), ``"cdot"``, ``"times"``, ``"star"``, ``"matmul"`` (``@``) or ``"mask"``
    (the 0/1 mask of a set in ``\\sum_{(u,i)\\in\\kappa}``, a product like the others).
    """

    left: "Expr"
    right: "Expr"
    op: str = "juxt"


@dataclass(frozen=True)
class Hadamard:
    """Elementwise product ``\\odot`` / ``.*``."""

    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Div:
    """A quotient ``\\frac{a}{b}``, ``a / b``; ``elementwise`` for ``./``."""

    num: "Expr"
    den: "Expr"
    elementwise: bool = False


@dataclass(frozen=True)
class Pow:
    """A power ``a^b``; ``A^{-1}`` of a matrix is read as the inverse by the problem builder."""

    base: "Expr"
    exp: "Expr"


@dataclass(frozen=True)
class Transpose:
    """``a^\\top``, ``a^T``, ``a'``, ``a.T``."""

    arg: "Expr"


@dataclass(frozen=True)
class Prime(Transpose):
    """``a'``: a transpose (``x_i'\\beta``, econometrics), except that a definition's head listing ``x'`` as an
    argument (``k(x, x')``, PRML 6.2) makes ``x'`` a name of its own there (``x_prime``)."""


@dataclass(frozen=True)
class Func:
    """A known primitive (see ``symgd.functions``) applied to arguments."""

    name: str
    args: tuple["Expr", ...]


@dataclass(frozen=True)
class Apply:
    """A name followed by a parenthesised argument list; call or product, decided later.

    ``sub`` holds the subscript of a subscripted name: ``h_\\theta(x)``, ``\\rho_\\tau(u)``.
    """

    name: str
    args: tuple["Expr", ...]
    sub: tuple["Expr", ...] = ()
    fixed: tuple["Expr", ...] = ()   # what follows ``;``: \\ell(w; (x_i, y_i)) holds (x_i, y_i), flattened


@dataclass(frozen=True)
class Norm:
    """``\\|v\\|`` with kind ``None`` (2-norm of a vector, Frobenius of a matrix), ``"1"``, ``"2"``, ``"F"``."""

    arg: "Expr"
    kind: str | None = None


@dataclass(frozen=True)
class Abs:
    """``|x|``, elementwise."""

    arg: "Expr"


@dataclass(frozen=True)
class BigOp:
    """``\\sum_{i=1}^{n} body`` or ``\\prod``; ``lower``/``upper`` are None when not written."""

    op: str
    index: str
    lower: "Expr | None"
    upper: "Expr | None"
    body: "Expr"
    excluded: object = None   # \\sum_{j \\ne i}: the index value left out (a name; an ir.Sub label y_i)
    joint: bool = False       # \\sum_{u,i}: one sum over pairs, written as this sum around the next index's


@dataclass(frozen=True)
class Cases:
    """A piecewise value: ``\\begin{cases} v_1 & c_1 \\\\ v_2 & \\text{otherwise} \\end{cases}``.

    Each piece is (value, condition); the condition is a ``Relation`` or None for "otherwise". The
    first piece whose condition holds gives the value; where none holds the value is 0, so
    ``\\mathbb{1}(u < 0)`` is ``Cases(((Num("1"), u < 0),))``.
    """

    pieces: tuple[tuple["Expr", "Relation | None"], ...]


@dataclass(frozen=True)
class SetBuilder:
    """``\\{t : y_t \\ge x_t b\\}``: the index values ``index`` for which ``condition`` (a ``Relation``) holds."""

    index: str
    condition: "Relation"


@dataclass(frozen=True)
class Member:
    """The factor ``index \\in set`` that a sum over a set puts in front of its body (``\\sum_{j \\in R(t_i)}``,
    ``\\sum_{t \\in \\{t : ...\\}}``, ``\\sum_{i \\in \\{x, y, w, h\\}}``), resolved by the problem builder into a
    range or an indicator. ``set`` is a ``SetBuilder``, a tuple of the elements of a literal set, or the set's
    name as written (defined in the where-clause). ``points``: the data points of ``\\sum_{(x, y) \\in S}``,
    read as the rows x_i, y_i (the body already says so; kept for the reading)."""

    index: str
    set: object
    points: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()   # (x_i, x_j) \in S: the indices (i, j) of the points written; points as x_i, x_j


@dataclass(frozen=True)
class Ones:
    """The all-ones vector ``\\mathbf{1}`` (``vector(1)`` in text); its length is inferred."""


@dataclass(frozen=True)
class Reals:
    """The space ``\\mathbb{R}^{dims}`` in a declaration; ``dims`` empty for scalars.

    ``field`` is ``"R"``, ``"N"``, ``"Z"`` or ``"set"`` (a finite set such as ``\\{0, 1\\}``);
    ``sign`` is ``""``, ``"nonnegative"`` (``\\mathbb{R}_+``) or ``"positive"`` (``\\mathbb{R}_{>0}``).
    """

    dims: tuple["Expr", ...]
    field: str = "R"
    sign: str = ""


@dataclass(frozen=True)
class Deriv:
    """A derivative request ``\\frac{\\partial f}{\\partial w}`` or ``\\nabla_w f`` (``wrt`` may be None)."""

    of: "Expr | None"
    wrt: "Expr | None"
    order: int = 1
    notation: str = "partial"


Expr = Union[Num, Name, Sub, Add, Neg, Mul, Hadamard, Div, Pow, Transpose, Func, Apply, Norm, Abs,
             BigOp, Ones, Reals, Deriv, Cases, SetBuilder, Member]


@dataclass(frozen=True)
class Relation:
    """A chain ``a op b op c``.

    ``ops`` are canonical: ``=`` ``:=`` ``<-`` ``<=`` ``<`` ``>=`` ``>`` ``in`` ``succeq``.
    """

    operands: tuple[Expr, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True)
class Minimize:
    """``\\min_{vars} objective`` (``argmin`` too); ``sense`` is ``"min"`` or ``"max"``."""

    variables: tuple[Expr, ...]
    objective: Expr
    sense: str = "min"
    names: tuple[Expr, ...] = ()   # \min_w L(w) = J(w) = ...: the members before the objective, which name it


@dataclass(frozen=True)
class Keyword:
    """A connective word between items: ``"st"`` (subject to) or ``"where"``."""

    word: str


@dataclass(frozen=True)
class IdentityDecl:
    """``I \\text{ is the identity}``: the name denotes the identity matrix."""

    name: str


@dataclass(frozen=True)
class Entrywise:
    """The matrix whose entry (rows, cols) is ``body``: a name defined entrywise (``K_{ij} = ...``)
    used whole (``(K + \\sigma^2 I)^{-1}``)."""

    rows: str
    cols: str
    body: "Expr"
    name: str = ""   # the name it was defined under (K), for declarations such as K \\succeq 0


@dataclass(frozen=True)
class StructureDecl:
    """``S: symmetric``, ``Sigma: positive definite`` (plain text): a symmetric matrix."""

    name: str
    kind: str   # "symmetric", "positive definite" or "positive semidefinite"


Item = Union[IdentityDecl, StructureDecl, Expr, Relation, Minimize, Keyword]


@dataclass(frozen=True)
class Document:
    """What a parser returns: the items in source order and the text they came from."""

    items: tuple[Item, ...]
    source: str
    syntax: str
    bold: frozenset[str] = frozenset()   # names written in a bold font: vectors and matrices
    bold_subscripted: frozenset[str] = frozenset()   # names written bold with a subscript (\mathbf{x}_n)
    ranges: tuple = ()   # (index, last value: Name / Num / None) of clauses "i = 1, ..., m", "\forall i"


def children(node) -> tuple:
    """The sub-expressions of an IR node, in source order (for generic walks)."""
    if isinstance(node, (Num, Name, Ones)):
        return ()
    if isinstance(node, Sub):
        return (node.base, *node.indices)
    if isinstance(node, Add):
        return node.terms
    if isinstance(node, (Neg, Transpose, Norm, Abs)):
        return (node.arg,)
    if isinstance(node, (Mul, Hadamard)):
        return (node.left, node.right)
    if isinstance(node, Div):
        return (node.num, node.den)
    if isinstance(node, Pow):
        return (node.base, node.exp)
    if isinstance(node, Func):
        return node.args
    if isinstance(node, Apply):
        return (*node.sub, *node.args, *node.fixed)
    if isinstance(node, Cases):
        return tuple(part for piece in node.pieces for part in piece if part is not None)
    if isinstance(node, BigOp):
        return tuple(x for x in (node.lower, node.upper, node.body) if x is not None)
    if isinstance(node, Entrywise):
        return (node.body,)
    if isinstance(node, SetBuilder):
        return (node.condition,)
    if isinstance(node, Member):
        return node.set if isinstance(node.set, tuple) else (node.set,)
    if isinstance(node, Reals):
        return node.dims
    if isinstance(node, Deriv):
        return tuple(x for x in (node.of, node.wrt) if x is not None)
    if isinstance(node, Relation):
        return node.operands
    if isinstance(node, Minimize):
        return (*node.variables, node.objective)
    return ()


def walk(node):
    """Every node of an IR tree (pre-order, without recursion)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def depth(node) -> int:
    """Nesting depth of an IR tree, computed without recursion (inputs may be adversarial)."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in children(current))
    return best
