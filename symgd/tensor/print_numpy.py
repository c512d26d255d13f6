"""The NumPy printer: an optimised tensor program as lines of Python.

Printing decides nothing about the computation: the passes already chose the contractions
(``MatMul`` is ``@``, a remaining ``Contract`` is ``np.einsum(..., optimize=True)``), the stable
spellings, which shared nodes get a name (``Program.lets``) and which functions work in their
operand's buffer (``Program.overwrite``, through the helper ``_inplace``). The printer only spells: operator
precedence, broadcasting by ``[:, None]`` where NumPy's trailing-axis rule does not already do it,
arrays before scalars in products (``(X @ w - y) * (2 / n)``, so NumPy works in the temporary in
place; computed terms first in sums too), subtraction for negative terms, and the module helpers
a function needs (``sigmoid``, ...).

One printer serves every backend: a ``Spelling`` table says how a family of array libraries writes
each operation (``NUMPY``: ``np.`` with NumPy's extras such as ``np.einsum``; ``ARRAY_API``: the
namespace ``xp`` of the arguments and only calls of the array-API standard, 2024.12; ``JAX``: the
standard through ``jax.numpy``, which adds ``einsum``). Everything else, from precedence to which
temporaries get names, is shared.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from symgd.errors import UnsupportedError
from symgd.functions import BY_NAME
from symgd.tensor import ir
from symgd.tensor.passes.memory import (HELPERS_THAT_OVERWRITE, divides_by_fresh, fresh_operand, identity_scale,
                                        last_uses, named_except, printed_postorder, softmax_in_place)

ATOM, POSTFIX, POWER, UNARY, PRODUCT, SUM = 6, 5, 4, 3, 2, 1
SPECIAL = "scipy.special."   # how the primitive table spells a special function (gammaln, digamma)
# MatFn of a Factor -> the helper of the generated module that reads it from the factorisation
MATFN_HELPERS = {"nuc": "nuclear_norm", "polar": "polar_factor", "maxabs": "max_norm",
                 "argmaxsign": "max_norm_gradient"}   # MatFn op -> the module helper that computes it
FACTOR_READERS = {"inv": "inverse", "det": "det", "logdet": "log_det", "logabsdet": "log_abs_det"}


@dataclass(frozen=True)
class Spelling:
    """How one family of array libraries spells what the printer needs.

    Attributes:
        templates: operation -> ``str.format`` template over named fields (``x`` an operand's
            text, ``x_postfix`` the same parenthesised to take a method call or an index).
        helpers: operation -> the module helper its template calls (registered when printed).
        helper_args: what a module helper takes before its arrays (``"xp, "``: the namespace).
        prefix: the namespace's name in the generated code (``np.exp`` -> ``xp.exp``).
        special: the module that holds the special functions the table spells ``scipy.special.gammaln``
            (``jax.scipy.special`` for JAX); None where the namespace has none (the array API standard).
    """

    templates: dict
    helpers: dict = field(default_factory=dict)
    helper_args: str = ""
    prefix: str = "np"
    special: str | None = None

    def primitive(self, primitive) -> str:
        """The template of a row of the primitive table (its NumPy column, read in this namespace).

        Raises:
            UnsupportedError: a special function (scipy.special) in a namespace without them.
        """
        text = primitive.numpy
        if SPECIAL in text:
            if self.special is None:
                raise UnsupportedError(f"the function {primitive.name} ({text.split('(')[0]}) in array-API code: the "
                                       "array API standard has no special functions; use backend='numpy' or 'jax'")
            return text.replace(SPECIAL, self.special + ".")
        if primitive.helper and self.helper_args:
            return text.replace(f"{primitive.helper}(", f"{primitive.helper}({self.helper_args}", 1)
        return text.replace("np.", self.prefix + ".") if self.prefix != "np" else text


NUMPY = Spelling({
    "permute": "np.transpose({x}, {perm})",
    "sum": "np.sum({x})",
    "sum_axis": "{x_postfix}.sum(axis={axis})",
    "max_axis": "{x_postfix}.max(axis={axis})",
    "vdot": "np.vdot({a}, {b})",
    "einsum": "np.einsum('{spec}', {operands}, optimize=True)",
    # a full contraction of two operands has nothing to plan: optimize=True would copy a transposed
    # operand for tensordot (8 ms instead of 1 ms for a K x n against an n x K array)
    "einsum_pair": "np.einsum('{spec}', {operands})",
    "zeros": "np.zeros({shape})",
    "ones": "np.ones({shape})",
    "eye": "np.eye({n})",
    "broadcast": "np.broadcast_to({x}, {shape}).copy()",
    "diagonal": "np.diagonal({x})",
    "linalg": "np.linalg.{op}({x})",
    "heaviside": "np.heaviside({x}, {value})",
    "log1p": "np.log1p({x})",
    "expm1": "np.expm1({x})",
    "sqrt": "np.sqrt({x})",
    "prod": "np.prod({x})",
    "prod_axis": "{x_postfix}.prod(axis={axis})",
    "arange": "np.arange({start}, {stop})",
    "cumprod": "np.cumprod({x}, axis={axis})",
    "flip": "np.flip({x}, axis={axis})",
    "tri": "np.tri({rows}, {cols}, {offset})",
    "full": "np.full({shape}, {value})",
    "concat": "np.concatenate([{parts}], axis={axis})",
}, special="scipy.special")

# New arrays take the dtype and device of the arguments (``_like``, set by the module writer).
ARRAY_API = Spelling({
    "permute": "xp.permute_dims({x}, {perm})",
    "sum": "xp.sum({x})",
    "sum_axis": "xp.sum({x}, axis={axis})",
    "max_axis": "xp.max({x}, axis={axis})",
    "vdot": "xp.sum(xp.multiply({a}, {b}))",
    "einsum": "einsum(xp, '{spec}', {operands})",
    "einsum_pair": "einsum(xp, '{spec}', {operands})",
    "zeros": "xp.zeros({shape}, **_like)",
    "ones": "xp.ones({shape}, **_like)",
    "eye": "xp.eye({n}, **_like)",
    "broadcast": "xp.broadcast_to({x}, {shape})",
    "diagonal": "xp.linalg.diagonal({x})",
    "linalg": "xp.linalg.{op}({x})",
    "heaviside": "heaviside(xp, {x}, {value})",
    "log1p": "xp.log1p({x})",
    "expm1": "xp.expm1({x})",
    "sqrt": "xp.sqrt({x})",
    "prod": "xp.prod({x})",
    "prod_axis": "xp.prod({x}, axis={axis})",
    "arange": "xp.arange({start}, {stop}, **_like)",
    "cumprod": "xp.cumulative_prod({x}, axis={axis})",
    "flip": "xp.flip({x}, axis={axis})",
    "tri": "xp.tril(xp.ones(({rows}, {cols}), **_like), k={offset})",
    "full": "xp.full({shape}, {value}, **_like)",
    "concat": "xp.concat([{parts}], axis={axis})",
}, helpers={"einsum": "einsum", "einsum_pair": "einsum", "heaviside": "heaviside"}, helper_args="xp, ", prefix="xp")

JAX = Spelling({**ARRAY_API.templates, "einsum": "xp.einsum('{spec}', {operands})",
                "einsum_pair": "xp.einsum('{spec}', {operands})"},
               helpers={"heaviside": "heaviside"}, helper_args="xp, ", prefix="xp", special="jax.scipy.special")


@dataclass(frozen=True)
class Code:
    """Python text and how tightly it binds (ATOM ... SUM)."""

    text: str
    level: int


def wrap(code: Code, needed: int) -> str:
    """The text, parenthesised unless it binds at least as tightly as ``needed``."""
    return code.text if code.level >= needed else f"({code.text})"


def release_dead_names(program: ir.Program, dying: dict, definitions: list, results: list) -> list[str]:
    """The lines ``name = text`` of ``definitions`` (one per named value, in order), with ``del name``
    after the line that reads a named array last, where no later line and no result reads it: its
    buffer returns before the array results are computed (the logistic ``value_and_grad``'s
    log1p(e^{-|z|}), read by the loss only, would otherwise stay alive beside the gradient's
    temporaries; hand-written code reuses its buffer). Reads are found in the printed text (the
    printer spells some nodes anew, ``a - b`` from ``a + (-b)``, which the IR does not show; a name
    inside a string only keeps it longer). Not where an array's definition works in the array's
    buffer (``dying``: ``h = _inplace(np.exp, z)``: the name z would go, not the buffer), and not
    where every result is a scalar (the arrays go at the return anyway)."""
    lines = [f"{name} = {text}" for name, text in definitions]
    if not any(root.shape for root in program.roots):
        return lines
    named = {id(node) for node in program.lets}
    taken: set = set()   # named arrays whose buffer a named array's definition works in
    for let in program.lets:
        if let.shape:   # a scalar keeps no buffer
            taken |= {id(dying[id(node)]) for node in printed_postorder(let, named) if id(node) in dying}
    roots = {id(root) for root in program.roots}
    candidates = [name for (name, _), let in zip(definitions, program.lets)
                  if let.shape and id(let) not in roots | taken]
    released: dict = {}
    for name in candidates:
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        if any(pattern.search(text) for text in results):
            continue
        reads = [k for k, (_, text) in enumerate(definitions) if pattern.search(text)]
        if reads:
            released.setdefault(reads[-1], []).append(name)
    for k in sorted(released, reverse=True):
        lines.insert(k + 1, "del " + ", ".join(released[k]))
    return lines


class NumpyPrinter:
    """Prints programs over the arguments ``names`` (SymPy symbol -> Python identifier, for
    parameters, data, constants and dimensions); adds the helpers used to ``helpers``."""

    def __init__(self, names: dict, helpers: set, spelling: Spelling = NUMPY) -> None:
        self.names = names
        self.helpers = helpers
        self.spelling = spelling
        self.taken = set(names.values())
        self.counters: dict = {}
        self.memo: dict = {}
        self.overwrite: set = set()
        self.named: set = set()
        self.dying: dict = {}   # id(node) -> the named value it may overwrite, read last there
        self.overwritten: set = set()   # ids of named values a printed node has written over

    def render(self, program: ir.Program) -> tuple[list[str], list[str]]:
        """(lines binding the shared nodes, code of each root)."""
        self.overwrite = {id(node) for node in program.overwrite}
        self.named = {id(node) for node in program.lets}
        self.dying = last_uses(program) if program.overwrite else {}
        definitions = []
        for node in program.lets:
            code = self._blockwise(node) or self.code(node)
            name = self._temporary(node)
            definitions.append((name, code.text))
            self.memo[node] = Code(name, ATOM)
        results = [self.standalone(root).text for root in program.roots]
        if self.spelling is not NUMPY:
            return [f"{name} = {text}" for name, text in definitions], results
        return release_dead_names(program, self.dying, definitions, results), results

    def _blockwise(self, node: ir.Node) -> Code | None:
        """A named scalar that sums an elementwise expression of named vectors over their axis (the
        loss's reductions in ``value_and_grad``, placed where the gradient still needs those
        vectors, so the expression cannot work in their buffers): evaluated in blocks by the helper
        ``blockwise_sum``, so that its temporaries have a block's size instead of the vectors'
        (``blockwise_sum(lambda z, h, y: (y - 1) @ -(h + np.maximum(z, 0.0)), z, h, y)``). The
        lambda's parameters take the vectors' own names, so the expression reads as it would
        unblocked; None where nothing of the vectors' size would be computed."""
        if self.spelling is not NUMPY or node.shape:
            return None
        if isinstance(node, ir.Reduce) and node.op == "sum" and len(node.arg.shape) == 1:
            operands = (node.arg,)
        elif isinstance(node, ir.MatMul) and len(node.a.shape) == len(node.b.shape) == 1:
            operands = (node.a, node.b)
        else:
            return None
        vectors: dict = {}
        computed = [self._elementwise_over(operand, operand.shape, vectors) for operand in operands]
        if None in computed or not any(computed) or not vectors:
            return None
        self.helpers.add("blockwise_sum")
        names = ", ".join(self.code(vector).text for vector in vectors.values())
        return Code(f"blockwise_sum(lambda {names}: {self.code(node).text}, {names})", POSTFIX)

    def _elementwise_over(self, node: ir.Node, shape, vectors: dict) -> bool | None:
        """Whether ``node``, an array of ``shape`` computed elementwise from the named values and
        inputs it reads (collected in ``vectors`` where they have that shape) and numbers, makes a
        new array of that size from one of those vectors (``y - 1``, ``np.maximum(z, 0.0)``; not
        ``_inplace(np.exp, z)`` on a vector read last there); None where it is not such an
        expression (a contraction, a broadcast vector, another shape)."""
        if id(node) in self.named or isinstance(node, ir.Input):
            if node.shape == shape:
                vectors[id(node)] = node
            return False if node.shape in (shape, ()) else None
        if not node.shape:   # a number computed from numbers (1 / n): closed over by the lambda
            return False if all(self._elementwise_over(c, (), {}) is False for c in node.children()) else None
        if isinstance(node, ir.Broadcast) and not node.arg.shape:
            return False if self._elementwise_over(node.arg, (), {}) is False else None
        if not (isinstance(node, ir.Map) and node.shape == shape):
            return None
        found = [self._elementwise_over(child, shape, vectors) for child in node.args]
        if None in found:
            return None
        reads_vector = any(id(child) in vectors for child in node.args)
        return any(found) or reads_vector and id(node) not in self.overwrite

    def standalone(self, node: ir.Node) -> Code:
        """Code for ``node`` as a whole array (broadcasts made explicit)."""
        if isinstance(node, ir.Broadcast) and node not in self.memo:
            return self._explicit_broadcast(node)
        return self.code(node)

    def code(self, node: ir.Node) -> Code:
        """Code for ``node`` (shared nodes by their names)."""
        if node not in self.memo:
            self.memo[node] = self._code(node)
            if id(node) in self.dying:   # printed: the value it reads last is overwritten from here on
                self.overwritten.add(id(self.dying[id(node)]))
        return self.memo[node]

    def _spell(self, operation: str, **fields) -> Code:
        """The operation in this spelling; ``Code`` fields give ``name`` and ``name_postfix``."""
        values = {}
        for key, value in fields.items():
            if isinstance(value, Code):
                values[key], values[key + "_postfix"] = value.text, wrap(value, POSTFIX)
            else:
                values[key] = value
        if operation in self.spelling.helpers:
            self.helpers.add(self.spelling.helpers[operation])
        return Code(self.spelling.templates[operation].format(**values), POSTFIX)

    def _factorisation(self, node: ir.Node) -> Code:
        """A Cholesky/LU factorisation, a solve with it, or what is read from it: the NumPy module's
        scipy.linalg helpers; the standard's ``linalg`` functions of the matrix itself elsewhere (the
        array API has no factorisation objects)."""
        if self.spelling is not NUMPY:
            return self._standard_linalg(node)
        self.helpers.add("factorise")
        if isinstance(node, ir.Factor):
            return Code(f"factorise({self.standalone(node.arg).text}, definite={node.definite})", POSTFIX)
        if isinstance(node, ir.Solve):
            transposed = ", transposed=True" if node.transposed else ""
            return Code(f"solve({self.code(node.factor).text}, {self.standalone(node.rhs).text}{transposed})", POSTFIX)
        return Code(f"{FACTOR_READERS[node.op]}({self.standalone(node.arg).text})", POSTFIX)

    def _standard_linalg(self, node: ir.Node) -> Code:
        xp = self.spelling.prefix
        if isinstance(node, ir.Factor):   # the matrix stands for its factorisation
            return self.code(node.arg)
        if isinstance(node, ir.Solve):
            matrix = self.standalone(node.factor).text
            if node.transposed:
                matrix = f"{xp}.linalg.matrix_transpose({matrix})"
            return Code(f"{xp}.linalg.solve({matrix}, {self.standalone(node.rhs).text})", POSTFIX)
        return self._matrix_function(node)

    def _matrix_function(self, node: ir.MatFn) -> Code:
        """inv, det, logdet or logabsdet of a matrix, by the namespace's linalg; expm by scipy.linalg."""
        inner = self.standalone(node.arg)
        if node.op == "expm":
            return Code(f"{self._scipy_linalg('the matrix exponential e^M')}.expm({inner.text})", POSTFIX)
        if node.op == "dexpm":   # a module helper: one scipy.linalg.expm_frechet per entry of the matrix
            self._scipy_linalg("the derivative of the matrix exponential e^M")
            return self._call_helper("expm_derivative", inner.text)
        if node.op == "logdet":
            return self._call_helper("logdet", inner.text)
        if node.op == "logabsdet":
            return Code(self._spell("linalg", op="slogdet", x=inner).text + "[1]", POSTFIX)
        if node.op in MATFN_HELPERS:   # the nuclear norm and U V^T (a thin SVD each), the max-norm and its gradient
            return self._call_helper(MATFN_HELPERS[node.op], inner.text)
        return self._spell("linalg", op=node.op, x=inner)

    def _expm_frechet(self, node: ir.ExpmFrechet) -> Code:
        """L(a, e), the Fréchet derivative of the matrix exponential (the gradient of ⟨C, e^M⟩ is L(M^T, C))."""
        linalg = self._scipy_linalg("the Fréchet derivative of the matrix exponential")
        a, e = self.standalone(node.a).text, self.standalone(node.e).text
        return Code(f"{linalg}.expm_frechet({a}, {e}, compute_expm=False)", POSTFIX)

    def _scipy_linalg(self, what: str) -> str:
        """``scipy.linalg``, its import line among the helpers (the module writer puts it on top); NumPy only.

        Raises:
            UnsupportedError: naming ``what``, for the array-API and JAX backends.
        """
        if self.spelling is not NUMPY:
            raise UnsupportedError(f"{what} in array-API or JAX code: symgd spells it with scipy.linalg only; "
                                   "use backend='numpy'")
        self.helpers.add("import scipy.linalg")
        return "scipy.linalg"

    def _call_helper(self, helper: str, args: str) -> Code:
        self.helpers.add(helper)
        return Code(f"{helper}({self.spelling.helper_args}{args})", POSTFIX)

    # -- names --------------------------------------------------------------------------------
    def _temporary(self, node: ir.Node) -> str:
        kind = "z" if isinstance(node, (ir.MatMul, ir.Contract, ir.Reduce)) else \
            "r" if isinstance(node, ir.Map) and node.op == "add" else "h"
        number = self.counters.get(kind, 0) + 1
        while (kind if number == 1 else f"{kind}{number}") in self.taken:
            number += 1
        self.counters[kind] = number
        name = kind if number == 1 else f"{kind}{number}"
        self.taken.add(name)
        return name

    def _name(self, symbol) -> str:
        try:
            return self.names[symbol]
        except KeyError:
            raise UnsupportedError(f"code generation: no value for {symbol}") from None

    def _dim(self, dim) -> str:
        """A length or a bound: a number, a dimension's name, or an expression of them (``n - 1``)."""
        if dim.is_Integer:
            return str(int(dim))
        if dim in self.names or dim.is_Symbol:
            return self._name(dim)
        return str(dim.xreplace({s: sympy.Symbol(self._name(s)) for s in dim.free_symbols}))

    def _shape(self, shape) -> str:
        return "(" + ", ".join(self._dim(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"

    # -- nodes --------------------------------------------------------------------------------
    def _code(self, node: ir.Node) -> Code:  # noqa: C901 - one branch per node type
        if isinstance(node, ir.Input):
            return Code(self._name(node.symbol), ATOM)
        if isinstance(node, ir.Const):
            return number(node.value)
        if isinstance(node, ir.Map):
            return self._map(node)
        if isinstance(node, ir.MatMul):
            return Code(f"{wrap(self.code(node.a), PRODUCT)} @ {wrap(self.code(node.b), PRODUCT + 1)}", PRODUCT)
        if isinstance(node, ir.Transpose):
            inner = self.standalone(node.arg)
            if len(node.perm) == 2:
                return Code(f"{wrap(inner, POSTFIX)}.T", POSTFIX)
            return self._spell("permute", x=inner, perm=node.perm)
        if isinstance(node, ir.Reduce):
            return self._reduce(node)
        if isinstance(node, ir.Contract):
            return self._einsum(node)
        if isinstance(node, ir.Broadcast):
            return self._explicit_broadcast(node)
        if isinstance(node, ir.Diagonal):
            return self._spell("diagonal", x=self.standalone(node.arg))
        if isinstance(node, ir.Identity):
            return self._spell("eye", n=self._dim(node.shape[0]))
        if isinstance(node, ir.Softmax):
            overwrite = ", overwrite=True" if self.spelling is NUMPY and (softmax_in_place(node, self.named)
                                                                  or id(node) in self.overwrite) else ""
            return self._call_helper("softmax", f"{self.standalone(node.arg).text}, axis={node.axis}{overwrite}")
        if isinstance(node, (ir.Factor, ir.Solve)) or isinstance(node, ir.MatFn) and isinstance(node.arg, ir.Factor):
            return self._factorisation(node)
        if isinstance(node, ir.MatFn):
            return self._matrix_function(node)
        if isinstance(node, ir.ExpmFrechet):
            return self._expm_frechet(node)
        if isinstance(node, ir.GramBlocks):
            parts = [self.standalone(p).text if p is not None else "None"
                     for p in (node.x, node.weights, node.diagonal)]
            return self._call_helper("gram_blocks", f"{', '.join(parts)}, symmetric={node.symmetric}")
        if isinstance(node, (ir.Slice, ir.Pad, ir.Arange, ir.Scan, ir.Tri)):
            return self._axis_operation(node)
        raise UnsupportedError(f"code generation for the tensor node {type(node).__name__}")

    # -- shifted and fixed indices, index values, products along an axis, triangular masks --------
    def _axis_operation(self, node: ir.Node) -> Code:
        if isinstance(node, ir.Slice):   # basic slicing: x[1:], x[:-1], x[:, 0]
            inner = self.standalone(node.arg)
            if node.stop is None:   # x_n: x[-1] (an index counted from the end needs no dimension's name)
                end = node.start - node.arg.shape[node.axis]
                window = str(int(end)) if end.is_Integer and end < 0 and not node.start.is_Integer \
                    else self._dim(node.start)
            else:
                start = "" if node.start == 0 else self._dim(node.start)
                end = node.stop - node.arg.shape[node.axis]
                stop = "" if end == 0 else str(int(end)) if end.is_Integer and end < 0 else self._dim(node.stop)
                window = f"{start}:{stop}"
            return Code(f"{wrap(inner, POSTFIX)}[{', '.join([':'] * node.axis + [window])}]", POSTFIX)
        if isinstance(node, ir.Pad):
            return self._pad(node)
        if isinstance(node, ir.Arange):
            return self._spell("arange", start=self._dim(node.start), stop=self._dim(node.start + node.shape[0]))
        if isinstance(node, ir.Scan):
            inner = self.standalone(node.arg)
            if not node.reverse:
                return self._spell("cumprod", x=inner, axis=node.axis)
            flipped = self._spell("flip", x=inner, axis=node.axis)
            return self._spell("flip", x=self._spell("cumprod", x=flipped, axis=node.axis), axis=node.axis)
        return self._spell("tri", rows=self._dim(node.shape[0]), cols=self._dim(node.shape[1]),
                           offset=self._dim(node.offset))

    def _pad(self, node: ir.Pad) -> Code:
        """``np.pad`` in NumPy; elsewhere the operand between two filled arrays (the standard has no pad)."""
        inner = self.standalone(node.arg)
        after = node.shape[node.axis] - node.before - node.arg.shape[node.axis]
        value = number(node.value).text
        if self.spelling is NUMPY:
            widths = ", ".join(f"({self._dim(node.before)}, {self._dim(after)})" if n == node.axis else "(0, 0)"
                               for n in range(len(node.shape)))
            fill = f", constant_values={value}" if node.value != 0 else ""
            return Code(f"np.pad({inner.text}, ({widths},){fill})", POSTFIX)
        parts = []
        for count in (node.before, None, after):
            if count is None:
                parts.append(inner.text)
            elif count != 0:
                shape = node.shape[:node.axis] + (count,) + node.shape[node.axis + 1:]
                parts.append(self._spell("full", shape=self._shape(shape), value=value).text)
        return self._spell("concat", parts=", ".join(parts), axis=node.axis)

    def _reduce(self, node: ir.Reduce) -> Code:
        inner = self.standalone(node.arg)
        if node.op == "prod":
            if len(node.axes) == len(node.arg.shape):
                return self._spell("prod", x=inner)
            return self._spell("prod_axis", x=inner, axis=str(node.axes[0]) if len(node.axes) == 1 else str(node.axes))
        if node.op == "logsumexp":
            (axis,) = node.axes
            return self._call_helper("logsumexp", f"{inner.text}, axis={axis}")
        if node.op == "max":
            axis = str(node.axes[0]) if len(node.axes) == 1 else str(node.axes)
            return self._spell("max_axis", x=inner, axis=axis)
        if len(node.axes) == len(node.arg.shape):
            return self._spell("sum", x=inner)
        axis = str(node.axes[0]) if len(node.axes) == 1 else str(node.axes)
        return self._spell("sum_axis", x=inner, axis=axis)

    def _einsum(self, node: ir.Contract) -> Code:
        operands = [self.standalone(a).text for a in node.args]
        if len(node.args) == 2 and node.specs[0] == node.specs[1] and not node.out:
            return self._spell("vdot", a=operands[0], b=operands[1])
        operation = "einsum_pair" if len(node.args) == 2 and not node.out else "einsum"
        return self._spell(operation, spec=f"{','.join(node.specs)}->{node.out}", operands=", ".join(operands))

    def _explicit_broadcast(self, node: ir.Broadcast) -> Code:
        arg = node.arg
        if isinstance(arg, ir.Const):
            if arg.value == 0:
                return self._spell("zeros", shape=self._shape(node.shape))
            if arg.value == 1:
                return self._spell("ones", shape=self._shape(node.shape))
        return self._spell("broadcast", x=self._implicit_broadcast(node), shape=self._shape(node.shape))

    def _implicit_broadcast(self, node: ir.Broadcast) -> Code:
        """The operand with new axes where NumPy's trailing-axis rule would misplace it."""
        inner = self.standalone(node.arg)
        rank, axes = len(node.shape), node.axes
        if not axes or axes == tuple(range(rank - len(axes), rank)):
            return inner
        selection = ", ".join(":" if p in axes else "None" for p in range(min(axes), rank))
        return Code(f"{wrap(inner, POSTFIX)}[{selection}]", POSTFIX)

    def _operand(self, node: ir.Node) -> Code:
        if isinstance(node, ir.Broadcast) and node not in self.memo:
            return self._implicit_broadcast(node)
        return self.code(node)

    def _covers(self, node: ir.Map) -> bool:
        """Do the operands, broadcast by NumPy's rules, give the node's full shape?"""
        covered: set = set()
        rank = len(node.shape)
        for arg in node.args:
            if isinstance(arg, ir.Broadcast) and arg not in self.memo:
                covered |= set(arg.axes)   # x[:, None] has length 1 along the new axis
            elif arg.shape:
                covered |= set(range(rank))
        return len(covered) == rank

    # -- elementwise ----------------------------------------------------------------------------
    def _map(self, node: ir.Map) -> Code:
        if node.op == "add" and self.spelling is NUMPY and any(_padded(term) for term in _terms_through_scalings(node)):
            spelled = self._sum_of_padded(node)
            if spelled is not None:
                return spelled
        if node.op in ("add", "mul") and id(node) in self.overwrite and self.spelling is NUMPY:
            return self._in_buffer(node)
        if node.op == "add":
            code = self._sum(node)
        elif node.op == "mul":
            code = self._product(node)
        elif node.op == "pow":
            code = self._power(node)
        else:
            code = self._function(node)
        if node.shape and not self._covers(node):
            return self._spell("broadcast", x=code, shape=self._shape(node.shape))
        return code

    def _sum_of_padded(self, node: ir.Map) -> Code | None:
        """A sum with terms padded with zeros (c Pad(a): the gradient of Σ_i g(x_{i+1}, x_i)) as the
        other terms' sum with each c a added into its window (``_add_at``), as by hand, instead of a
        padded array and a pass over it per term: in place where that sum is a fresh temporary."""
        terms = _terms_through_scalings(node)
        padded = [term for term in terms if _padded(term)]
        rest = [term for term in terms if not _padded(term)]
        if rest:
            base = ir.add(*rest)
            if base.shape != node.shape:   # numbers only: an array of them (the sum is a new array)
                base = ir.broadcast_to(base, node.shape)
        else:
            base = padded.pop(0)
        parts = []
        for term in padded:
            negative, term = self._signed(term)
            pad, scale = _padded(term)
            parts.append((negative, pad, ir.mul(*scale, pad.arg)))
        if not all(self._may_print(made) for made in [base] + [part for _, _, part in parts]):
            return None   # a node this makes is computed in place or named later: printed as the IR reads
        # a new array nothing else holds (not an input, a view, a name, an einsum of one operand: maybe a view)
        fresh = isinstance(base, (ir.Map, ir.MatMul, ir.Contract, ir.Reduce, ir.Pad, ir.Scan)) \
            and id(base) not in self.named and not (isinstance(base, ir.Map) and id(base) in self.overwrite) \
            and not (isinstance(base, ir.Contract) and len(base.args) == 1)
        text = self.standalone(base).text
        self.helpers.add("add_at")
        for negative, pad, part in parts:
            flag = ", subtract=True" if negative else ""
            text = f"_add_at({text}, {pad.axis}, {self._dim(pad.before)}, {self.standalone(part).text}, {fresh}{flag})"
            fresh = True   # _add_at's result is its own array
        return Code(text, POSTFIX)

    def _in_buffer(self, node: ir.Map) -> Code:
        """A sum or product computed in the buffer of its fresh operand (memory planning chose it),
        one ``_inplace`` call per further operand: ``_inplace(np.multiply, t, r[:, None])``."""
        self.helpers.add("inplace")
        named = named_except(self.named, node, self.dying)
        fresh = fresh_operand(node, named)
        if fresh is None and node.op == "add":   # a term with a minus computed in a buffer: -(h * y) + 1
            fresh = next((a for a in node.args if id(a) in self.overwrite and a.shape == node.shape
                          and id(a) not in named), None)   # a named one keeps its buffer for its later readers
        if fresh is None:   # a / t: into t's buffer
            divisor = divides_by_fresh(node, named)   # a / t, a / sqrt(t) or a - t
            (numerator,) = [a for a in node.args if a is not divisor]
            if node.op == "add":
                ufunc, base = "np.subtract", self._operand(ir.neg(divisor)).text
            else:
                ufunc, base = "np.divide", self._operand(divisor.args[0]).text
                if divisor.param != -1:
                    base = f"_inplace(np.sqrt, {base})"
            return Code(f"_inplace_second({ufunc}, {self._operand(numerator).text}, {base})", POSTFIX)
        others = sorted((a for a in node.args if a is not fresh), key=lambda a: not a.shape)
        eye = next((a for a in others if identity_scale(a) is not None), None) if node.op == "add" else None
        text = self.standalone(fresh).text
        for operand in others:
            if operand is eye:
                continue
            if node.op == "add":
                negative, term = self._signed(operand)
                ufunc = "np.subtract" if negative else "np.add"
            elif self._reciprocal(operand):
                ufunc, term = "np.divide", ir.power(operand.args[0], -operand.param)
            else:
                ufunc, term = "np.multiply", operand
            text = f"_inplace({ufunc}, {text}, {self._operand(term).text})"
        if eye is not None:   # c I on the temporary's diagonal, in place (no identity matrix built)
            self.helpers.add("add_diagonal")
            text = f"_add_diagonal({text}, {self.standalone(identity_scale(eye)).text})"
        return Code(text, POSTFIX)

    def _function(self, node: ir.Map) -> Code:
        args = [self._operand(a).text for a in node.args]
        if node.op == "heaviside":
            if self.spelling is NUMPY and node.shape and node.param in (0, 1):   # np.heaviside is slow
                self.helpers.add("unit_step")
                overwrite = ", overwrite=True" if id(node) in self.overwrite else ""
                return Code(f"_unit_step({args[0]}, {float(node.param)!r}{overwrite})", POSTFIX)
            if id(node) in self.overwrite and self.spelling is NUMPY:
                self.helpers.add("inplace")
                return Code(f"_inplace(np.heaviside, {args[0]}, {float(node.param)!r})", POSTFIX)
            return self._spell("heaviside", x=args[0], value=repr(float(node.param)))
        if node.op in ("log1p", "expm1") and not (id(node) in self.overwrite and self.spelling is NUMPY):
            return self._spell(node.op, x=args[0])
        primitive = BY_NAME.get(node.op)
        if primitive is None or primitive.numpy.count("{}") != len(args):
            raise UnsupportedError(f"code generation for the function {node.op}")
        if primitive.helper:
            self.helpers.add(primitive.helper)
        if SPECIAL in primitive.numpy:   # an import line among the helpers: the module writer puts it on top
            self.helpers.add(f"import {self.spelling.primitive(primitive).split('(')[0].rpartition('.')[0]}")
        if id(node) in self.overwrite and self.spelling is NUMPY and node.op in HELPERS_THAT_OVERWRITE:
            return Code(f"{primitive.helper}({args[0]}, overwrite=True)", POSTFIX)
        if id(node) in self.overwrite and self.spelling is NUMPY:   # a temporary nothing else holds
            self.helpers.add("inplace")
            return Code(f"_inplace({primitive.ufunc}, {args[0]})", POSTFIX)
        return Code(self.spelling.primitive(primitive).format(*args), POSTFIX)

    def _sum(self, node: ir.Map) -> Code:
        # arrays before numbers, then positive terms first: NumPy reuses only a left operand's
        # temporary, so 1 - t would allocate where -t + 1 works in t
        # a term computed in a dying value's buffer keeps its sign there (spelled -t, a new array)
        signed = sorted(((False, t) if id(t) in self.overwrite and self.spelling is NUMPY else self._signed(t)
                         for t in node.args),
                        key=lambda s: (bool(node.shape) and _scalar_valued(s[1]), s[0], isinstance(s[1], ir.Const),
                                       isinstance(s[1], ir.Input)))
        parts: list[str] = []
        for negative, term in signed:
            code = self._operand(term)
            if not parts:
                parts.append(negation(code) if negative else wrap(code, SUM))
            else:
                parts.append(("- " + wrap(code, PRODUCT)) if negative else ("+ " + wrap(code, SUM)))
        return Code(" ".join(parts), SUM)

    def _product(self, node: ir.Map) -> Code:
        coefficient = node.args[0].value if isinstance(node.args[0], ir.Const) else Fraction(1)
        factors = node.args[1:] if isinstance(node.args[0], ir.Const) else node.args
        if coefficient < 0:
            inner = self._product_code(-coefficient, factors)
            return Code(negation(inner), UNARY)
        return self._product_code(coefficient, factors)

    def _product_code(self, coefficient, factors) -> Code:
        arrays, array_den, scalars, scalar_den = [], [], [], []
        if isinstance(coefficient, Fraction):
            if coefficient.numerator != 1:
                scalars.append(str(coefficient.numerator))
            if coefficient.denominator != 1:
                scalar_den.append(str(coefficient.denominator))
        elif coefficient != 1:
            scalars.append(repr(float(coefficient)))
        # computed arrays first: NumPy then works in their temporary in place (X @ w * y)
        for factor in sorted(factors, key=lambda f: isinstance(f, (ir.Input, ir.Broadcast))):
            if self._reciprocal(factor):
                code = self._operand(ir.power(factor.args[0], -factor.param))
                (array_den if factor.shape else scalar_den).append(code)
            else:
                code = self._operand(factor)
                (arrays if factor.shape else scalars).append(code)
        scalar_text = _scalar_text(scalars, scalar_den)
        if not arrays and not array_den:
            return scalar_text or Code("1", ATOM)
        if len(arrays) == 1 and not array_den and scalar_text is None:
            return arrays[0]
        text = " * ".join(wrap(c, PRODUCT if n == 0 else PRODUCT + 1) for n, c in enumerate(arrays)) or "1"
        for den in array_den:
            text += " / " + wrap(den, PRODUCT + 1)
        if scalar_text is not None:
            if not scalars:   # only a denominator: r / n
                text += " / " + _denominator(scalar_den)
            else:
                # a single scalar factor r @ h needs its parentheses: y * r @ h is (y * r) @ h in Python
                grouped = len(scalars) + len(scalar_den) > 1 or "@" in scalar_text.text
                text += " * " + wrap(scalar_text, PRODUCT + 1 if grouped else PRODUCT)
        return Code(text, PRODUCT)

    def _reciprocal(self, factor: ir.Node) -> bool:
        """A factor b^{-p} written as a division by b^p: not when it has a name of its own (h = 1 / z ** 2
        is read as h; spelled out again it read z after an in-place update had overwritten it)."""
        return isinstance(factor, ir.Map) and factor.op == "pow" and factor.param is not None \
            and factor.param < 0 and id(factor) not in self.named \
            and self._may_print(ir.power(factor.args[0], -factor.param))

    def _signed(self, term: ir.Node) -> tuple:
        """``_split_sign``, unless the term has a name (-h7 spelled out again reads what h7 read, which an
        in-place update may have overwritten since) or the negated term it makes is a node the program gives
        a role of its own."""
        inner = term
        while isinstance(inner, (ir.Broadcast, ir.Transpose)):
            inner = inner.arg
        if id(inner) in self.named:
            return False, term
        negative, made = _split_sign(term)
        return (negative, made) if not negative or self._may_print(made) else (False, term)

    def _may_print(self, made: ir.Node) -> bool:
        """Whether a node the printer makes (-t for a term t, b^p for a divisor b^{-p}) may be printed here:
        nodes are shared, so it can be a value computed in place where another value dies, or a named value
        not defined yet (-(1/2) h6 made (1/2) h6, which the program computes in h6's buffer later: printed
        here, it halved h6 early), or a named value an in-place update overwrites (-(z/T) made z/T, the name
        h, whose buffer the softmax's exp had taken: the IR reads z and T there, not h)."""
        if id(made) in self.named:   # defined already and not overwritten yet: read by its name
            return made in self.memo and id(made) not in self.overwritten
        return not (id(made) in self.overwrite and self.spelling is NUMPY)

    def _power(self, node: ir.Map) -> Code:
        if node.param is None:
            base, exponent = (self._operand(a) for a in node.args)
            return Code(f"{wrap(base, POWER + 1)} ** {wrap(exponent, POWER)}", POWER)
        base = self._operand(node.args[0])
        p = node.param
        if p < 0 and p.denominator != 1 and p != Fraction(-1, 2) and node.shape:
            # one pass (t ** -1.5), not a power and a division; integer t is fine (a float result),
            # which 1 / t ** 2 written t ** -2 would not be; 1 / sqrt(t) is faster than a power
            return Code(f"{wrap(base, POWER + 1)} ** {wrap(number(p), ATOM)}", POWER)
        if p < 0:
            positive = self._power(ir.power(node.args[0], -p)) if -p != 1 else base
            return Code(f"1 / {wrap(positive, PRODUCT + 1)}", PRODUCT)
        if p == Fraction(1, 2):
            if id(node) in self.overwrite and self.spelling is NUMPY:
                self.helpers.add("inplace")
                return Code(f"_inplace(np.sqrt, {base.text})", POSTFIX)
            return self._spell("sqrt", x=base)
        if p == 2 and id(node) in self.overwrite and self.spelling is NUMPY:
            self.helpers.add("inplace")
            return Code(f"_inplace(np.square, {base.text})", POSTFIX)
        exponent = number(p)
        return Code(f"{wrap(base, POWER + 1)} ** {wrap(exponent, ATOM)}", POWER)


def _terms_through_scalings(node: ir.Map) -> list:
    """The terms of a sum, a term c (a + b + ...) (scalars c; unnamed) with padded terms among a, b, ...
    opened into c a, c b, ... (TV's gradient 2x - 2y + λ (Pad(s) - Pad(s)): each λ s added into a window)."""
    terms = []
    for term in node.args:
        factors = term.args if isinstance(term, ir.Map) and term.op == "mul" else (term,)
        sums = [f for f in factors if isinstance(f, ir.Map) and f.op == "add" and f.shape]
        inner = sums[0].args if len(sums) == 1 and not any(f.shape for f in factors if f is not sums[0]) else ()
        if any(_padded(t) for t in inner):
            scale = [f for f in factors if f is not sums[0]]
            terms += [ir.mul(*scale, t) for t in inner]
        else:
            terms.append(term)
    return terms


def _padded(term: ir.Node):
    """(the Pad, its scalar factors) of a term that is an array padded with zeros, possibly times
    scalars (``-c Pad(a)``); None otherwise."""
    factors = term.args if isinstance(term, ir.Map) and term.op == "mul" else (term,)
    pads = [f for f in factors if isinstance(f, ir.Pad) and f.value == 0]
    if len(pads) != 1 or any(f.shape for f in factors if f is not pads[0]):
        return None
    return pads[0], [f for f in factors if f is not pads[0]]


def _scalar_valued(term: ir.Node) -> bool:
    """A scalar, or a scalar spread over an array (NumPy broadcasts it without an array)."""
    return not term.shape or (isinstance(term, ir.Broadcast) and not term.arg.shape)


def negation(code: Code) -> str:
    """``-code``: a product in parentheses, since Python's minus binds tighter than ``*`` and ``@``
    (``-x @ w`` would negate all of x, a copy of the data; ``-(x @ w)`` negates the result in place)."""
    return "-" + wrap(code, UNARY)


def _split_sign(term: ir.Node) -> tuple[bool, ir.Node]:
    """(True, -term) when ``term`` is written with a minus (a negative number or coefficient, also
    under a broadcast or a transpose), else (False, term)."""
    if isinstance(term, ir.Const):
        return (True, ir.const(-term.value)) if term.value < 0 else (False, term)
    if isinstance(term, ir.Map) and term.op == "mul" and isinstance(term.args[0], ir.Const) and term.args[0].value < 0:
        return True, ir.neg(term)
    if isinstance(term, (ir.Broadcast, ir.Transpose)):
        negative, inner = _split_sign(term.arg)
        if negative:
            return True, ir.rebuild(term, [inner])
    return False, term


def _denominator(parts: list) -> str:
    if len(parts) == 1:
        return parts[0] if isinstance(parts[0], str) else wrap(parts[0], PRODUCT + 1)
    return "(" + " * ".join(p if isinstance(p, str) else wrap(p, PRODUCT + 1) for p in parts) + ")"


def _scalar_text(numerators: list, denominators: list) -> Code | None:
    """``2 * lambda_ / n`` from code parts (strings for numbers, Code otherwise)."""
    if not numerators and not denominators:
        return None
    if len(numerators) == 1 and not denominators and not isinstance(numerators[0], str):
        return numerators[0]   # one scalar factor as it is: its user parenthesises it as needed
    def text(part, n):
        return part if isinstance(part, str) else wrap(part, PRODUCT if n == 0 else PRODUCT + 1)
    top = " * ".join(text(p, n) for n, p in enumerate(numerators)) or "1"
    if not denominators:
        return Code(top, ATOM if len(numerators) == 1 and isinstance(numerators[0], str) else PRODUCT)
    return Code(f"{top} / {_denominator(denominators)}", PRODUCT)


def number(value) -> Code:
    """A number as Python code (exact rationals as a quotient)."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            text = str(value.numerator) if abs(value.numerator) < 10**15 else repr(float(value))
            return Code(text, UNARY if value < 0 else ATOM)
        return Code(f"{value.numerator} / {value.denominator}", PRODUCT)
    return Code(repr(float(value)), UNARY if value < 0 else ATOM)


def identifier(name: str) -> str:
    """A Python identifier for a symbol name (``lambda`` -> ``lambda_``)."""
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "arg"
    if text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) or text in ("np", "scipy") else text
