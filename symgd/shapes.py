"""Shape inference over the IR: every symbol gets a shape built from dimension symbols.

Shapes are tuples of dimensions; a dimension is a ``Dim`` variable in a union-find, bound to a
named dimension (``n`` from ``\\sum_{i=1}^{n}`` or a declaration), to an integer, or left free (a
fresh dimension named at the end). Transposed vectors are row vectors (``Shape.row``).

Inference is a fixed point: each pass walks the formulas, fixes what usage decides (``w^\\top x_i``
makes ``x_i`` a vector of the same length as ``w``; ``Xw`` makes ``w`` a vector), and pushes
expected shapes into unknown operands. When a pass learns nothing, one still-unknown symbol takes
its default and passes resume. Which symbol goes first is decided by ``DEFAULT_RULES`` (strongest
evidence first: capitalised names are matrices before subscripted names hold entries before bare
names are scalars) and then by name, never by where the symbol stands in the source, so that
``y - Xw`` and ``Xw - y`` read alike. Contradictions raise ShapeError naming both operands.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sympy

from symgd.errors import AmbiguityError, ShapeError, UnsupportedError
from symgd.functions import BY_NAME, DIAGONAL, ELEMENTWISE, MATRIX, PAIRING, REDUCTION, VECTOR
from symgd.parse import ir


# Defaults for symbols that no usage decides, strongest evidence first: rule -> the number of axes
# after those of the indices the symbol is seen with (y_i, i bound by a sum, has one axis for i).
# "matrix": a capitalised name (X, \\Theta; in plain text any capital letter, as matrixcalculus.org);
# "vector": a bold lowercase name (\\mathbf{x}; \\mathbf{x}_n is one vector per n), in plain text a
# lowercase letter from h to z; "entries": a name only seen as y_i holds one scalar per index value;
# "scalar": everything else (λ, b). A matrix default goes first because it decides its
# neighbours (Xw makes w a vector, y - Xw makes y one); a scalar default decides nothing.
MATRIX_VALUED = frozenset({"inv", "expm"})   # functions of a square matrix whose value is a matrix of its shape
DEFAULT_RULES: dict[str, int] = {"matrix": 2, "vector": 1, "entries": 0, "scalar": 0}
DEFAULT_ORDER: dict[str, int] = {rule: position for position, rule in enumerate(DEFAULT_RULES)}
DEFAULT_ENTRIES_READING = "{x} with an index is a number, one per index value"   # also problem.DEFAULT_READINGS
NAMED_NUMBERS = frozenset({"pi"})   # \pi is the number unless declared (as e in e^x, see problem.py)
SAMPLE_COUNTS = frozenset({"m", "n", "N", "M"})   # the number of samples, by convention (leading parts)
PRODUCT_OPS = frozenset({"juxt", "cdot", "times", "star", "matmul", "mask"})   # mask: \\sum_{(u,i)\\in\\kappa}


class Dim:
    """A dimension variable; ``value`` (a sympy Symbol or int) once bound."""

    _ids = itertools.count()

    def __init__(self, value=None) -> None:
        self.parent: Dim | None = None
        self.value = value
        self.id = next(self._ids)

    def find(self) -> "Dim":
        root = self
        while root.parent is not None:
            root = root.parent
        node = self
        while node.parent is not None and node.parent is not root:   # path compression
            node.parent, node = root, node.parent
        return root

    def resolved(self):
        return self.find().value


@dataclass(frozen=True)
class Shape:
    """A tensor shape: ``dims`` (empty for scalars) and ``row`` for a transposed vector."""

    dims: tuple[Dim, ...] = ()
    row: bool = False

    @property
    def rank(self) -> int:
        return len(self.dims)

    def transposed(self) -> "Shape":
        if self.rank == 1:
            return Shape(self.dims, not self.row)
        if self.rank == 2:
            return Shape((self.dims[1], self.dims[0]))
        return self


SCALAR = Shape()


def describe(shape: Shape | None) -> str:
    """A shape in words, for error messages: ``scalar``, ``vector (n,)``, ``matrix (n, d)``."""
    if shape is None:
        return "unknown shape"
    dims = ", ".join(str(_dim_text(d)) for d in shape.dims)
    if shape.rank == 0:
        return "scalar"
    if shape.rank == 1:
        return f"{'row vector' if shape.row else 'vector'} ({dims},)"
    if shape.rank == 2:
        return f"matrix ({dims})"
    return f"tensor ({dims})"


def _dim_text(dim: Dim):
    value = dim.resolved()
    return value if value is not None else "?"


@dataclass(frozen=True)
class Bounds:
    """The positions a sum's index runs over on its axis of length D (1-based, as papers write them):
    from ``start`` (plus the outer index ``after``, for ``\\sum_{j=i+1}^{n}``) to D + ``end``
    (``\\sum_{i=1}^{n-1}``: end -1). ``value`` is added to a position to give the index's value
    (-1 for ``\\sum_{j=0}^{n-1}``, whose entries x_j are positions j + 1)."""

    start: int = 1
    after: str | None = None
    end: int = 0
    value: int = 0
    owner: int = 0   # id of the sum
    upto: str | None = None   # \\sum_{i=1}^{q} over the first q entries of an axis of length m: "q"


FULL = Bounds()


@dataclass(frozen=True)
class Shift:
    """A shifted index in a subscript: ``x_{i+1}`` is Shift("i", 1)."""

    name: str
    by: int


@dataclass
class Scope:
    """Bound indices in scope: index name -> its axis dimension, and the positions it runs over."""

    indices: dict[str, Dim] = field(default_factory=dict)
    bounds: dict[str, Bounds] = field(default_factory=dict)

    def with_index(self, name: str, dim: Dim, bounds: Bounds = FULL) -> "Scope":
        return Scope({**self.indices, name: dim}, {**self.bounds, name: bounds})

    def first(self, name: str) -> int:
        """The smallest position index ``name`` takes."""
        bounds = self.bounds.get(name, FULL)
        if bounds.after is None:
            return bounds.start
        return bounds.start + self.first(bounds.after) + self.bounds.get(bounds.after, FULL).value


class ShapeInference:
    """Infers shapes of the symbols of a set of formulas.

    Args:
        declared: name -> Shape from declarations.
        dims: name -> Dim for declared dimension symbols.
        syntax: ``"latex"`` or ``"text"`` (for the default typing rule).
        render: a function IR -> LaTeX, to name operands in errors.
        identity: names that denote the identity matrix.
        bold: names written in a bold font (vectors, or matrices when capitalised).
        bold_whole: bold names never written bold with a subscript: their plain ``w_j`` are entries.
    """

    def __init__(self, declared: dict[str, Shape], dims: dict[str, Dim], syntax: str, render,
                 identity: frozenset[str] = frozenset(), bold: frozenset[str] = frozenset(),
                 bold_whole: frozenset[str] = frozenset()) -> None:
        self.shapes: dict[str, Shape | None] = dict(declared)
        self.declared = frozenset(declared)
        self.dims = dims
        self.syntax = syntax
        self.render = render
        self.identity = identity
        self.bold = bold
        self.bold_whole = bold_whole   # bold only unsubscripted (PRML's \\mathbf{w} beside w_j): w_j are entries
        self.defaulted: dict[str, str] = {}       # symbol -> the DEFAULT_RULES row that decided it
        self.readings: list[str] = []             # implicit readings made here, in words
        self.node_dims: dict[int, Dim] = {}       # fresh dims of Ones/identity/sum nodes, by id
        self.node_bounds: dict[int, Bounds] = {}  # the positions each sum runs over, by id
        self.reached: dict[int, int] = {}         # sum id -> the largest shift of its index in a subscript
        self.changed = False
        self.leading_guesses = True               # off while settle() applies the other rules first
        self.order: list[str] = []                # symbols in order of first use
        self.subscripted: dict[str, tuple] = {}   # unknown symbols seen as x_i: the index ranges
        self.index_names: set[str] = set()        # every index some sum of the formulas binds
        self.entry_ranks: dict[str, int] = {}     # x -> the most sum indices it is seen with (u_{ij}: 2)
        self.broadcast_scalars = False            # a claim's Xw + b - y: a known scalar added to every entry
        self.row_samples: set[str] = set()        # x whose samples x_i are declared 1 x K rows (Wooldridge)
        self.family_sums: frozenset = frozenset()  # ids of sums over a family read apart from its vector (N-pair)
        self.leading_parts: dict[int, str] = {}   # id of \\sum_{i=1}^{q} over the first q of m entries -> "m"
        self.column_slices: set[str] = set()      # U declared D x N whose U_i (i along N) are its columns (PMF)
        self.row_pairs: set[int] = set()          # ids of x_u y_i^T that a scalar context makes inner products
        self.bounded: frozenset = frozenset()     # vectors with boundary entries \alpha_0 = -\infty (problem.py)
        self.unnamed_dims: frozenset = frozenset()  # roots of dimensions no source name gives (problem.py sets it)
        self.supplied: frozenset = frozenset()    # the values of functions the user supplies (r of r_j(x))

    # -- public --------------------------------------------------------------------------
    def run(self, formulas: list, scope: Scope | None = None, scalars: tuple = ()) -> None:
        """Infer until every symbol in ``formulas`` has a shape.

        Args:
            formulas: the IR formulas.
            scope: indices already bound (a claim's free indices).
            scalars: the formulas that must be scalars (the objective), a constraint like any other.
        """
        self.collect_dimensions(formulas)
        self.leading_parts = self.find_leading_parts(formulas)
        scope = scope or Scope()
        order = list(self.order)
        for formula in scalars:
            self.expect_scalar_products(formula, scope)
        self.order[:] = order   # symbols keep the order of their first use (the generated functions' arguments)
        for _ in range(10_000):
            self.settle(formulas, scope, scalars)
            unknown = [name for name in self.order if self.shapes.get(name) is None]
            if not unknown:
                self.check_short_sums(formulas)
                return
            first = min(unknown, key=lambda name: (self.default_rank(name), name))
            self.defaulted[first] = self.default_rule(first)
            self.assign(first, self.default_shape(first))
        raise UnsupportedError("shape inference did not settle")  # pragma: no cover

    def settle(self, formulas: list, scope: Scope, scalars: tuple) -> None:
        """Apply the rules until nothing changes: first without the leading-factor guess (C in
        C \\sum_i \\xi_i is a scalar), which only stands in for missing information, then with it. Run in
        one phase, the guess made w a scalar in (y_i - w x_i)^2 before \\|w\\|^2 later in the formula made
        it a vector, and the reading depended on the order of the terms."""
        for guesses in (False, True):
            self.leading_guesses = guesses
            self.changed = True
            while self.changed:
                self.changed = False
                for formula in formulas:
                    if self.infer(formula, scope) is None and formula in scalars:
                        self.expect(formula, SCALAR, scope)

    def collect_dimensions(self, formulas: list) -> None:
        """Names that bound a sum (``\\sum_{i=1}^{n}``) are dimensions wherever else they appear."""
        stack = list(formulas)
        subscripts = []
        while stack:
            node = stack.pop()
            if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
                subscripts.append(node)
            if isinstance(node, ir.BigOp):
                self.index_names.add(node.index)
                upper = node.upper
                if isinstance(upper, ir.Add) and upper.terms:
                    upper = upper.terms[0]
                if isinstance(upper, ir.Name) and upper.name not in self.shapes:
                    self.dimension(upper.name)
            stack.extend(ir.children(node))
        for node in subscripts:
            atoms = index_atoms(node.indices) or ()
            if atoms and all(atom_name(a) in self.index_names for a in atoms):
                name = node.base.name
                self.entry_ranks[name] = max(self.entry_ranks.get(name, 0), len(atoms))

    def find_leading_parts(self, formulas: list) -> dict[int, str]:
        """B&V 7.1.1: ``\\sum_{i=1}^{q}(a^Tu_i + b) - \\sum_{i=1}^{m}\\log(1 + \\exp(a^Tu_i + b))``, the first q
        of m samples: an array whose axis sums up to two named limits is as long as the limit that is a
        conventional count of samples (m, n, N, M); a sum up to the other runs over its first entries (a
        reading), unless a declaration of the array says. Neither or several such names: the length is
        ambiguous. Returns sum id -> the length's name."""
        limits: dict[tuple, dict[str, list]] = {}
        for base, axis, node in _summed_subscripts(formulas):
            if isinstance(node.upper, ir.Name) and node.lower in (None, ir.Num("1")) and node.upper.name in self.dims:
                limits.setdefault((base, axis), {}).setdefault(node.upper.name, []).append(node)
        parts: dict[int, str] = {}
        for (base, axis), by_limit in sorted(limits.items()):
            if len(by_limit) < 2:
                continue
            declared = self.shapes.get(base)
            axes = {str(dim.resolved()) for dim in declared.dims} if declared is not None else set()
            if len(axes & set(by_limit)) > 1:   # U (D x N): U_i along N are its columns, U_k along D its rows
                continue
            length = declared.dims[axis].resolved() if declared is not None and declared.rank > axis else None
            counts = [str(length)] if str(length) in by_limit else sorted(n for n in by_limit if n in SAMPLE_COUNTS)
            shown = ", ".join(f"\\sum_{{{nodes[0].index}=1}}^{{{name}}}" for name, nodes in sorted(by_limit.items()))
            if len(counts) != 1:
                raise AmbiguityError(f"{base}_i is summed by {shown}: which limit is the length of {base} "
                                     f"(the other sums running over its first entries)? Declare it, e.g. "
                                     f"{base} \\in \\mathbb{{R}}^{{{min(by_limit)} \\times d}}")
            (length,) = counts
            for name, nodes in by_limit.items():
                if name != length:
                    parts.update((id(node), length) for node in nodes)
                    self.read(f"\\sum_{{{nodes[0].index}=1}}^{{{name}}} runs over the first {name} of the {length} "
                              f"entries of {base} ({name} \\le {length})")
        return parts

    def dim_of_index(self, node: ir.BigOp) -> Dim:
        return self.node_dims[id(node)]

    def bounds_of(self, node: ir.BigOp) -> Bounds:
        return self.node_bounds[id(node)]

    def check_short_sums(self, formulas: list) -> None:
        """``\\sum_{i=1}^{n-1}`` over x_i alone: x may have n - 1 entries (all summed) or n (the last
        left out). A shifted x_{i+1} that reaches entry n settles it; without one, the reading is ambiguous."""
        for node in (n for f in formulas for n in ir.walk(f) if isinstance(n, ir.BigOp)):
            bounds = self.node_bounds.get(id(node))
            if bounds is not None and bounds.end < 0 and self.reached.get(id(node), 0) + bounds.end < 0:
                raise AmbiguityError(
                    f"\\{node.op}_{{{node.index}}} up to {self.render(node.upper)}: the arrays indexed by "
                    f"{node.index} could have {self.render(node.upper)} entries (all summed) or one more per "
                    "omitted step (the last ones left out); write the upper limit as the length of the arrays")

    # -- helpers -------------------------------------------------------------------------
    def fresh(self) -> Dim:
        return Dim()

    def dimension(self, name: str) -> Dim:
        if name not in self.dims:
            self.dims[name] = Dim(sympy.Symbol(name, integer=True, positive=True))
        return self.dims[name]

    def note_use(self, name: str) -> None:
        if name not in self.order:
            self.order.append(name)
            self.shapes.setdefault(name, None)

    def assign(self, name: str, shape: Shape) -> None:
        current = self.shapes.get(name)
        if current is None:
            self.shapes[name] = shape
            self.changed = True
        else:
            self.unify(current, shape, ir.Name(name), ir.Name(name))

    def expect_scalar_products(self, node, scope: Scope) -> None:
        """The objective is a scalar: a constraint that goes before any guess or default. Walking down through
        what keeps a scalar a scalar (terms, signs, numerators, sums, powers, elementwise functions, a plain
        lowercase or numeric factor in front), each product led by a transpose must be an inner product: the
        transpose is a row vector (a matrix's transpose would keep its rows in the product), so its argument is a
        column vector. ``(Y - XB)'(Y - XB) + k(B'B - c)`` (Hoerl & Kennard): Y and B are vectors, not matrices
        as their capitals would make them; such a capitalised vector is a reading."""
        if isinstance(node, ir.Add):
            for term in node.terms:
                self.expect_scalar_products(term, scope)
        elif isinstance(node, ir.Neg) or isinstance(node, ir.Func) and node.name in BY_NAME \
                and BY_NAME[node.name].kind == ELEMENTWISE and len(node.args) == 1:
            self.expect_scalar_products(node.arg if isinstance(node, ir.Neg) else node.args[0], scope)
        elif isinstance(node, ir.Div) and not node.elementwise:
            self.expect_scalar_products(node.num, scope)
        elif isinstance(node, ir.Pow) and not _is_leaf(node.base):
            self.expect_scalar_products(node.base, scope)
        elif isinstance(node, ir.BigOp) and node.op in ("sum", "prod"):
            self.expect_scalar_products(node.body, self.body_scope(node, scope))
        elif isinstance(node, ir.Mul) and node.op in CHAIN_OPS:
            factors = _chain_factors(node)
            k = 0
            while k < len(factors) - 1 and self.plainly_scalar(factors[k], scope):
                k += 1   # \frac{\lambda}{2} B'B, k(B'B - c): plain factors in front leave the rest a scalar
            lead, last = factors[k], _last_product(node)
            if k < len(factors) - 1 and isinstance(lead, ir.Transpose) and not isinstance(lead.arg, ir.Transpose) \
                    and not any(isinstance(n, ir.BigOp) for n in ir.walk(lead.arg)):
                self.expect_column_vector(node, lead.arg, scope)
            elif k == len(factors) - 2 and self.is_pair_of_rows(lead, last.right, scope):
                self.row_pairs.add(id(last))
            elif k == len(factors) - 1:
                self.expect_scalar_products(lead, scope)

    def plainly_scalar(self, node, scope: Scope) -> bool:
        """A factor that the product it leads cannot make a vector of: a number, a plain lowercase name (a column
        vector in front would leave the product a vector), an entry ``r_{ui}`` of two summed indices, and sums and
        products of these (``1 + \\alpha r_{ui}``)."""
        if _is_literal(node):
            return True
        if isinstance(node, ir.Name):
            return not node.name[:1].isupper() and node.name not in self.bold and node.name not in scope.indices
        if isinstance(node, ir.Sub):
            atoms = index_atoms(node.indices) or ()
            return len(atoms) >= 2 and all(atom_name(a) in scope.indices for a in atoms) and not _is_upper(node)
        if isinstance(node, ir.Neg):
            return self.plainly_scalar(node.arg, scope)
        if isinstance(node, ir.Div) and not node.elementwise:   # \frac{\lambda}{2}
            return self.plainly_scalar(node.num, scope) and self.plainly_scalar(node.den, scope)
        if isinstance(node, ir.Add):
            return all(self.plainly_scalar(t, scope) for t in node.terms)
        if isinstance(node, ir.Mul) and node.op == "juxt":
            return self.plainly_scalar(node.left, scope) and self.plainly_scalar(node.right, scope)
        return False

    def is_pair_of_rows(self, left, right, scope: Scope) -> bool:
        """``x_u y_i^T`` where a scalar is needed (Johnson 2014: x_u, y_i the rows of X and Y, written as row
        vectors): a vector of a family times the transpose of another; as column vectors the product would be a
        matrix, so it is the inner product of two rows (``infer_Mul`` reads it once both are vectors)."""
        return not _is_upper(left) and self.is_slice(left, scope) and isinstance(right, ir.Transpose) \
            and not _is_upper(right.arg) and self.is_slice(right.arg, scope)

    def expect_column_vector(self, product: ir.Mul, arg, scope: Scope) -> None:
        """``arg^\\top`` leads the scalar ``product``: arg is a column vector (see expect_scalar_products)."""
        if self.infer(arg, scope) is not None:
            return   # declared: the product's own shapes decide, or say why not
        known = self.known_names()
        self.expect(arg, Shape((self.fresh(),)), scope)
        for name, shape in self.capitals_decided_since(known):
            if shape.rank == 1 and name not in self.subscripted:
                self.read(f"{self.render(ir.Name(name))} is a vector, not a matrix: {self.render(product)} stands "
                          "where a scalar is needed (the objective is a scalar)")

    def known_names(self) -> frozenset:
        return frozenset(name for name, shape in self.shapes.items() if shape is not None)

    def capitals_decided_since(self, known: frozenset) -> list:
        """(name, shape) of the capitalised names (matrices by convention) that a constraint has shaped since."""
        return [(name, shape) for name, shape in sorted(self.shapes.items())
                if name not in known and name[:1].isupper() and shape is not None]

    def default_rule(self, name: str) -> str:
        """The name of the ``DEFAULT_RULES`` row that applies to a symbol nothing has decided."""
        base = name.split("_")[0]
        if name in self.subscripted:   # x_i: one vector per i when bold, one scalar otherwise
            return "vector" if base in self.bold and base not in self.bold_whole else "entries"
        if self.syntax == "text" and len(base) == 1 and base.isalpha():
            return "matrix" if base.isupper() else "scalar" if base <= "g" else "vector"
        if base[:1].isupper():   # a capitalised function the user supplies (F(x), \\mathcal{A}(X)) maps to a vector
            return "vector" if name in self.supplied else "matrix"
        return "vector" if base in self.bold else "scalar"

    def default_rank(self, name: str) -> int:
        """Where the symbol's default stands in ``DEFAULT_RULES`` (stronger evidence first)."""
        return DEFAULT_ORDER[self.default_rule(name)]

    def default_shape(self, name: str) -> Shape:
        """The rule's shape, after the axes of the indices the symbol is seen with (x_i: rows)."""
        rank = DEFAULT_RULES[self.default_rule(name)]
        return Shape(self.subscripted.get(name, ()) + tuple(self.fresh() for _ in range(rank)))

    def unify_dim(self, a: Dim, b: Dim, left, right, la: Shape, lb: Shape) -> None:
        ra, rb = a.find(), b.find()
        if ra is rb:
            return
        if ra.value is not None and rb.value is not None and ra.value != rb.value:
            raise self.mismatch(left, la, right, lb)
        if ra.value is None:
            ra.parent = rb
        else:
            rb.parent = ra
        self.changed = True

    def unify(self, a: Shape, b: Shape, left, right) -> None:
        if a.rank != b.rank or (a.rank == 1 and a.row != b.row):
            raise self.mismatch(left, a, right, b)
        for da, db in zip(a.dims, b.dims):
            self.unify_dim(da, db, left, right, a, b)

    def mismatch(self, left, a, right, b, what: str = "do not fit") -> ShapeError:
        return ShapeError(f"shapes {what}: {self.render(left)} is a {describe(a)} and "
                          f"{self.render(right)} is a {describe(b)}")

    # -- inference -----------------------------------------------------------------------
    def infer(self, node, scope: Scope) -> Shape | None:
        method = getattr(self, "infer_" + type(node).__name__)
        return method(node, scope)

    def infer_Num(self, node, scope):
        return SCALAR

    def infer_Name(self, node, scope):
        if node.name in scope.indices:
            return SCALAR
        if node.name in self.identity:
            dim = self.node_dims.setdefault(id(node), self.identity_size(node.name))
            return Shape((dim, dim))
        if node.name in self.dims and node.name not in self.shapes:
            return SCALAR
        if node.name in NAMED_NUMBERS and node.name not in self.shapes:
            self.read(f"\\{node.name} is the number {node.name}")
            return SCALAR
        self.note_use(node.name)
        return self.shapes[node.name]

    def infer_Ones(self, node, scope):
        return Shape((self.node_dims.setdefault(id(node), self.fresh()),))

    def identity_size(self, name: str) -> Dim:
        """The size of ``I_n`` is the dimension n (``I_3``: 3); a plain ``I`` takes its size from use."""
        size = name.partition("_")[2].strip("{}")
        if size.isdigit():
            return Dim(int(size))
        return self.dimension(size) if size else self.fresh()

    def unify_index_axis(self, node: ir.Sub, name: str, full: Shape, dim: Dim, index: str, scope: Scope) -> None:
        """The axis of ``name`` that ``index`` subscripts is the axis the index runs along (but for a vector with
        boundary entries, whose entries between them are checked against the sums' ranges by ``symgd.limits``)."""
        if name in self.bounded:
            return
        along = scope.indices[index]
        if dim.resolved() is not None and along.resolved() is not None and dim.resolved() != along.resolved():
            if full.rank == 1 and name in self.declared and all(
                    isinstance(d.resolved(), sympy.Symbol) for d in (dim, along)):   # β ∈ R^p, β_ℓ for ℓ ≤ L
                self.refuse_blocks(node, name, dim, along, index)
            raise ShapeError(f"shapes do not fit: in {self.render(node)} the index {index} runs along an axis of "
                             f"length {_dim_text(along)}, but {self.render(ir.Name(name))} is a {describe(full)}")
        self.unify_dim(dim, along, node, node, full, full)

    def refuse_blocks(self, node: ir.Sub, name: str, length: Dim, along: Dim, index: str) -> None:
        """``\\beta_\\ell`` of a vector β ∈ R^p with ℓ = 1..L (ESL 3.80, the group lasso): β_ℓ is a block of
        coefficients, not an entry; blocks of sizes p_ℓ are ragged, which symgd's arrays cannot hold."""
        raise UnsupportedError(
            f"{self.render(node)}: {self.render(ir.Name(name))} is a vector of length {_dim_text(length)}, but "
            f"{index} runs over {_dim_text(along)} values: groups (blocks) of a vector's coefficients, of sizes "
            "p_\\ell (as in the group lasso), are not supported; for groups of one size write the blocks as the "
            "rows b_\\ell of a matrix B")

    def infer_Sub(self, node, scope):
        if not isinstance(node.base, ir.Name):
            return self.infer_entry(node, scope)
        name, bound, rest = self.split_subscript(node, scope)
        if name is None:   # a name like w_0 or theta_n: a symbol of its own
            return self.infer_Name(ir.Name(sub_symbol_name(node)), scope)
        self.note_use(name)
        full = self.shapes[name]
        if full is None:
            if len(bound) == len(index_atoms(node.indices) or ()) and bound:
                self.subscripted.setdefault(name, tuple(scope.indices[b] for b in bound))
            return None
        if full.rank < len(bound) + len(rest):
            raise ShapeError(f"{self.render(node)} has {len(bound) + len(rest)} subscripts but "
                             f"{name} is a {describe(full)}")
        if self.is_column_slice(name, full, bound, rest, scope):
            return Shape(full.dims[:1])
        for dim, index in zip(full.dims, bound + rest):
            if index in scope.indices:
                self.unify_index_axis(node, name, full, dim, index, scope)
        rows = name in self.row_samples and full.rank == 2 and len(bound) + len(rest) == 1
        return Shape(full.dims[len(bound) + len(rest):], rows)

    def is_column_slice(self, name: str, full: Shape, bound: tuple, rest: tuple, scope: Scope) -> bool:
        """``U_i`` of a matrix U declared D x N, with i running along N (not D): the column i, as
        Salakhutdinov & Mnih write U_i, V_j for the columns of U and V (a reading)."""
        if full.rank != 2 or rest or len(bound) != 1 or bound[0] not in scope.indices:
            return False
        along = scope.indices[bound[0]].resolved()
        rows, columns = (dim.resolved() for dim in full.dims)
        if name in self.column_slices:
            if full.dims[1].find() is not scope.indices[bound[0]].find():
                raise UnsupportedError(f"{name}_{bound[0]}: elsewhere the one-index slices of {name} are its "
                                       f"columns; write the entries {name}_{{k{bound[0]}}} or transpose {name}")
            return True
        if along is None or rows is None or columns is None or along != columns or rows == columns:
            return False
        self.column_slices.add(name)
        self.read(f"{name}_{bound[0]} are the columns of {name} ({rows} \\times {columns}): "
                  f"{bound[0]} runs along its second axis")
        return True

    def infer_entry(self, node: ir.Sub, scope: Scope) -> Shape | None:
        """``(WH)_{ij}``: an entry of an expression, each subscript an index bound by a sum."""
        atoms = self.entry_indices(node, scope)
        shape = self.infer(node.base, scope)
        if shape is None:
            return None
        if shape.rank != len(atoms):
            raise ShapeError(f"{self.render(node)} has {len(atoms)} subscripts but {self.render(node.base)} "
                             f"is a {describe(shape)}")
        for dim, index in zip(shape.dims, atoms):
            self.unify_dim(dim, scope.indices[index], node, node, shape, shape)
        return SCALAR

    def entry_indices(self, node: ir.Sub, scope: Scope) -> tuple[str, ...]:
        atoms = index_atoms(node.indices)
        if atoms is None or not all(isinstance(a, ir.Name) and a.name in scope.indices for a in atoms):
            raise UnsupportedError(f"a subscript on {self.render(node.base)} other than indices bound by sums; "
                                   "name the expression first")
        return tuple(a.name for a in atoms)

    def split_subscript(self, node: ir.Sub, scope: Scope):
        """Read a subscript: (tensor name, index names or whole numbers) or (None, ...) for a name.

        ``x_i`` with i bound by a sum indexes x; ``w_2`` indexes w if w is known to be a vector and
        ``W_{12}`` is entry (1, 2) of a matrix W; anything else (``w_0``, ``\\theta_n``) is a name.
        """
        if not isinstance(node.base, ir.Name):
            raise UnsupportedError(f"a subscript on {self.render(node.base)}; name the expression first")
        atoms = index_atoms(node.indices)
        self.refuse_unbound_index(node, scope, atoms)
        if atoms is None:
            return None, (), ()
        known = self.shapes.get(node.base.name)
        if known is not None and known.rank == 2 and len(atoms) == 1 and isinstance(atoms[0], ir.Num) \
                and len(atoms[0].text) == 2:
            atoms = (ir.Num(atoms[0].text[0]), ir.Num(atoms[0].text[1]))   # W_{12}
        bound = tuple(atom_name(a) for a in atoms if atom_name(a) in scope.indices)
        if len(bound) == len(atoms):
            self.check_shifts(node, atoms, scope)
            return node.base.name, bound, ()
        self.refuse_label_beside_index(node, atoms, bound)
        constant = all(isinstance(a, ir.Num) and a.text.isdigit() and int(a.text) >= 1 for a in atoms
                       if atom_name(a) not in scope.indices)
        if constant and any(isinstance(a, Shift) for a in atoms):
            self.check_shifts(node, atoms, scope)
        if known is not None and known.rank >= len(atoms) and constant:
            return node.base.name, tuple(a.name if isinstance(a, ir.Name) else a.text for a in atoms), ()
        return None, (), ()

    def refuse_label_beside_index(self, node: ir.Sub, atoms, bound: tuple) -> None:
        """``y_i^*``, ``y^*_i``, ``\\beta_j^{\\text{ridge}}``, ``x_{i,\\text{obs}}`` in a sum over i: entry i of a
        labelled array. Read as one name (``y_istar``) the sum's index would vanish into a scalar constant
        and the loss would silently change, so it is refused until labelled arrays take indices."""
        labels = [a.name for a in atoms if isinstance(a, ir.Name) and a.name not in bound and len(a.name) > 1]
        if bound and labels:
            raise UnsupportedError(
                f"{self.render(node)}: the sum's index {', '.join(bound)} beside the label {', '.join(labels)} "
                "(an entry of a labelled array such as y^*_i); symgd would lose the index: name the array "
                "with an accent or a letter of its own, e.g. \\tilde{y}_i")

    def check_shifts(self, node: ir.Sub, atoms, scope: Scope) -> None:
        """``x_{i+1}`` must stay inside x: i's first position plus the shift is at least 1, and its last
        (the axis length plus ``end``) plus the shift at most the axis length."""
        for atom in atoms:
            if not isinstance(atom, Shift) or atom.name not in scope.indices or node.base.name in self.bounded:
                continue
            bounds = scope.bounds.get(atom.name, FULL)
            if scope.first(atom.name) + atom.by < 1 or bounds.end + atom.by > 0:
                raise UnsupportedError(f"{self.render(node)} reaches outside {self.render(node.base)}: "
                                       f"{atom.name} runs over the whole axis; shift the sum's range "
                                       f"(\\sum_{{{atom.name}=1}}^{{n-1}} for {atom.name}+1)")
            if bounds.owner:
                self.reached[bounds.owner] = max(self.reached.get(bounds.owner, 0), atom.by)

    def subscript_shifts(self, node: ir.Sub, count: int) -> tuple[int, ...]:
        """The shift of each subscript atom (``u_{i+1,j}`` -> 1, 0); zeros when the atoms were rewritten."""
        atoms = index_atoms(node.indices) or ()
        if len(atoms) != count:
            return (0,) * count
        return tuple(a.by if isinstance(a, Shift) else 0 for a in atoms)

    def refuse_unbound_index(self, node: ir.Sub, scope: Scope, atoms) -> None:
        """``x_{i+1}`` inside ``\\sum_i`` and ``y_i`` after the sum over i has ended are not names of
        their own: reading them so would silently change the loss."""
        names = {n.name for index in node.indices for n in ir.walk(index) if isinstance(n, ir.Name)}
        if atoms is None and names & set(scope.indices):
            raise UnsupportedError(f"the shifted index in {self.render(node)}; symgd reads subscripts that "
                                   "are single indices (x_i, X_{ij})")
        outside = sorted((names & self.index_names) - set(scope.indices))
        if outside:
            raise UnsupportedError(
                f"{self.render(node)} uses the index {', '.join(outside)} outside the sum that binds it; "
                "a sum's body ends at the first + or - outside brackets: write \\sum_{i}( ... )")

    def infer_Add(self, node, scope):
        shapes = [self.infer(term, scope) for term in node.terms]
        known = [(t, s) for t, s in zip(node.terms, shapes) if s is not None and not _is_literal(t)]
        if not known:
            # only numbers are known (x >= 0, 1 - y_i): they broadcast, so they decide nothing
            return SCALAR if all(s is not None for s in shapes) else None
        first_term, first = max(known, key=lambda pair: pair[1].rank)
        for term, shape in zip(node.terms, shapes):
            if shape is None:
                self.expect(term, first, scope)
            elif shape.rank == 0 and first.rank > 0 and (_is_literal(term) or self.broadcast_scalars):
                continue   # 1 - \sigma(Xw): a number broadcasts over a vector
            else:
                self.unify(first, shape, first_term, term)
        return first

    def infer_Neg(self, node, scope):
        return self.infer(node.arg, scope)

    def infer_Mul(self, node, scope):
        a = self.infer(node.left, scope)
        b = self.infer(node.right, scope)
        if a is not None and b is not None:
            if self.is_row_of_regressors(node, a, b, scope) or self.is_inner_product_of_rows(node, a, b):
                return SCALAR
            return self.product_shape(node, a, b)
        if a is None and b is not None and id(node) in self.row_pairs and b.rank == 1 and b.row:
            self.expect(node.left, Shape((b.dims[0],)), scope)   # a number x_u would leave x_u y_i^T a row
        elif a is None and b is not None:
            guess = self.guess_left(node.left, b, scope)
            if guess is not None:
                self.expect(node.left, guess, scope)
        elif b is None and a is not None:
            guess = self.guess_right(node.right, a, scope)
            if guess is not None:
                self.expect(node.right, guess, scope)
        else:
            self.guess_across(node, scope)
        return None

    def is_row_of_regressors(self, node: ir.Mul, a: Shape, b: Shape, scope: Scope) -> bool:
        """``\\mathbf{x}_i\\mathbf{b}`` (Wooldridge): two column vectors written side by side, the left a
        sample x_i of a sum: econometrics writes x_i as a 1 x K row, so the product is x_i^T b (a reading)."""
        if node.op != "juxt" or a.rank != 1 or b.rank != 1 or a.row or b.row:
            return False
        if not self.is_slice(node.left, scope) or self.is_slice(node.right, scope):
            return False
        self.unify(a, b, node.left, node.right)
        left, right = self.render(node.left), self.render(node.right)
        self.read(f"{left} {right} of two column vectors is {left}^\\top {right}: {left} is a row of "
                  "regressors, as econometrics writes it")
        return True

    def is_inner_product_of_rows(self, node: ir.Mul, a: Shape, b: Shape) -> bool:
        """``x_u y_i^T`` marked by ``is_pair_of_rows``: once x_u is a column vector and y_i^T a row, their outer
        product (a matrix) cannot stand where a scalar is needed: the source's vectors are rows (a reading)."""
        if id(node) not in self.row_pairs or a.rank != 1 or b.rank != 1 or a.row or not b.row:
            return False
        self.unify_dim(a.dims[0], b.dims[0], node.left, node.right, a, b)
        left, right = self.render(_last_factor(node.left)), self.render(node.right.arg)
        self.read(f"{left} {right}^\\top is a scalar, so {left} and {right} are row vectors (as the source writes "
                  f"them): the inner product {left}^\\top {right}, not the outer product")
        return True

    def guess_across(self, node: ir.Mul, scope: Scope) -> None:
        """In a chain ``y_i w^\\top x_i`` = (y_i w^⊤) x_i the factors that meet are w^⊤ and x_i:
        matrix products associate, so the known one decides the other as in a two-factor product."""
        last, first = _last_factor(node.left), _first_factor(node.right)
        before, after = self.infer(last, scope), self.infer(first, scope)
        if before is not None and after is None:
            guess = self.guess_right(first, before, scope)
            if guess is not None:
                self.expect(first, guess, scope)
        elif after is not None and before is None:
            guess = self.guess_left(last, after, scope)
            if guess is not None:
                self.expect(last, guess, scope)

    def mentions_bold(self, node) -> bool:
        return any(isinstance(n, ir.Name) and n.name in self.bold for n in ir.walk(node))

    def capital_array(self, node, scope: Scope) -> bool:
        """A capitalised name is a matrix by default, but ``W_{ij}`` with i, j bound by sums is its entry."""
        return _is_upper(node) and not self.is_slice(node, scope)

    def guess_left(self, left, b: Shape, scope: Scope) -> Shape | None:
        """The shape of an unknown left factor, where the right one's shape decides it."""
        if b.rank == 0 or b.row:
            return None
        if self.capital_array(left, scope):
            return Shape((self.fresh(), b.dims[0]))
        return None

    def guess_right(self, right, a: Shape, scope: Scope) -> Shape | None:
        """The shape of an unknown right factor: ``w^\\top x`` and ``Xw`` make x, w vectors."""
        if a.rank == 0 or (a.rank == 1 and not a.row):
            return None
        inner = a.dims[-1]
        if self.capital_array(right, scope):
            return Shape((inner, self.fresh()))
        if not _is_leaf(right) and _mentions_upper(right):
            return None   # w^T (A + \lambda I): wait until A's shape is known
        return Shape((inner,))

    def product_shape(self, node: ir.Mul, a: Shape, b: Shape) -> Shape:
        if node.op == "matmul" and (a.rank == 0 or b.rank == 0):
            # NumPy's @ refuses scalars; read as a scalar product, X @ w with w**2 elsewhere made X square and
            # (X @ w - y)**2 a matrix power
            scalar = node.left if a.rank == 0 else node.right
            hint = (" (a power such as w**2 is of a number: for the squares of a vector's entries write w.^2, "
                    "or w'*w for their sum)") if _is_leaf(scalar) else ""
            raise ShapeError(f"{self.render(node)}: @ multiplies arrays, but {self.render(scalar)} is a number "
                             f"here{hint}")
        if a.rank == 0:
            return b
        if b.rank == 0:
            return a
        if a.rank == 1 and b.rank == 1 and not a.row and not b.row and node.op == "cdot":
            self.unify(a, b, node.left, node.right)   # x \cdot y, the dot product
            return SCALAR
        if a.rank > 2 or b.rank > 2:
            raise UnsupportedError("products of tensors with more than two axes")
        left_inner = a.dims[-1] if (a.rank == 2 or a.row) else None
        if left_inner is None:   # a column vector on the left: only an outer product works
            if b.rank == 1 and b.row:
                return Shape((a.dims[0], b.dims[0]))
            error = self.mismatch(node.left, a, node.right, b, "cannot be multiplied")
            if a.rank == 1 and b.rank == 1:   # x_i b (econometrics: x_i a row of regressors)
                left = self.render(node.left)
                raise ShapeError(f"{error}; for their inner product write {left}^\\top {self.render(node.right)}, "
                                 f"or declare {left} a row: {left} \\in \\mathbb{{R}}^{{1 \\times K}}")
            raise error
        if b.rank == 1 and b.row:
            raise self.mismatch(node.left, a, node.right, b, "cannot be multiplied")
        self.unify_dim(left_inner, b.dims[0], node.left, node.right, a, b)
        if a.row:
            return SCALAR if b.rank == 1 else Shape((b.dims[1],), row=True)
        return Shape((a.dims[0],)) if b.rank == 1 else Shape((a.dims[0], b.dims[1]))

    def infer_Hadamard(self, node, scope):
        left, right = self.infer(node.left, scope), self.infer(node.right, scope)
        if left is not None and right is not None and 0 in (left.rank, right.rank):
            return left if left.rank else right   # a scalar (a piece's scalar condition) scales the other
        return self.infer_Add(ir.Add((node.left, node.right)), scope)

    def infer_Div(self, node, scope):
        if node.elementwise:
            return self.infer_Add(ir.Add((node.num, node.den)), scope)
        num = self.infer(node.num, scope)
        den = self.infer(node.den, scope)
        if den is None:
            self.expect(node.den, SCALAR, scope)
        elif den.rank != 0:
            raise ShapeError(f"division by {self.render(node.den)}, a {describe(den)}; "
                             "only division by a scalar is defined")
        return num

    def infer_Pow(self, node, scope):
        base = self.infer(node.base, scope)
        exp = self.infer(node.exp, scope)
        if exp is None:
            self.expect(node.exp, SCALAR, scope)
        elif exp.rank != 0:
            raise ShapeError(f"the exponent {self.render(node.exp)} is a {describe(exp)}")
        if base is None:
            if _is_upper(node.base) and integer_exponent(node.exp) is not None:
                return None   # A^2, \Sigma^{-1}: a matrix power or a scalar's, as the context decides
            if _is_upper(node.base) and _is_leaf(node.base):
                refuse_matrix_root(self.render(node))
            if not is_minus_one(node.exp) and (_is_leaf(node.base) or not _mentions_upper(node.base)):
                self.expect(node.base, SCALAR, scope)   # x^2, (\theta - 3)^2: powers are of scalars
            return None
        if base.rank == 0:
            return SCALAR
        if base.rank == 2 and integer_exponent(node.exp) is not None:   # M^{-1}, M^3, M^{-2}: square
            self.unify_dim(base.dims[0], base.dims[1], node.base, node.base, base, base)
            return base
        raise ShapeError(f"the power {self.render(node)} of a {describe(base)} is not defined; "
                         "write \\|v\\|^2 or v^\\top v for a squared norm, or use \\odot")

    def infer_Prime(self, node, scope):
        return self.infer_Transpose(node, scope)

    def infer_Transpose(self, node, scope):
        shape = self.infer(node.arg, scope)
        if shape is None:
            if _is_leaf(node.arg):   # U_i^\top with i bound by a sum: a slice of U, a vector
                matrix = self.capital_array(node.arg, scope)
                guess = Shape((self.fresh(), self.fresh())) if matrix else Shape((self.fresh(),))
                self.expect(node.arg, guess, scope)
            return None
        if shape.rank == 0:
            raise ShapeError(f"the transpose of {self.render(node.arg)}, a scalar")
        return shape.transposed()

    def infer_Func(self, node, scope):
        primitive = BY_NAME.get(node.name)
        if primitive is None:
            raise UnsupportedError(f"the function {node.name}: symgd does not know it; write it out "
                                   "with the functions it knows or define it (f(u) = ...)")
        if len(node.args) != primitive.arity:
            raise ShapeError(f"{node.name} takes {primitive.arity} argument(s), got {len(node.args)}")
        shapes = [self.infer(arg, scope) for arg in node.args]
        if primitive.kind == ELEMENTWISE:
            if primitive.arity == 1:
                if node.name == "sqrt" and shapes[0] is None and _is_upper(node.args[0]) and _is_leaf(node.args[0]):
                    refuse_matrix_root(self.render(node))
                return shapes[0]
            return self.infer_Add(ir.Add(node.args), scope)
        if primitive.kind == PAIRING:
            return self.infer_pairing(node, shapes, scope)
        (arg,), (shape,) = node.args, shapes
        if primitive.kind == VECTOR:
            if shape is None and not _mentions_upper(arg):
                # softmax(z) of a vector; softmax(XW) waits for X and W: capitalised, they are matrices
                # and the softmax is row by row (pushed in now, it made W a vector and took the softmax
                # over the samples)
                self.expect(arg, Shape((self.fresh(),)), scope)
            elif shape is None:
                return None
            elif shape.rank == 2:   # scores of n samples by K classes: each row is normalised
                self.read(f"{node.name}({self.render(arg)}) of a matrix is taken row by row (each row "
                          "along its last axis)")
            elif shape.rank != 1:
                raise ShapeError(f"{node.name} needs a vector or a matrix; {self.render(arg)} is a {describe(shape)}")
            return shape
        if primitive.kind == DIAGONAL:
            return self.infer_diagonal(node, shape, scope)
        if primitive.kind == REDUCTION:
            if shape is None and node.name == "logsumexp":
                self.expect(arg, Shape((self.fresh(),)), scope)
            return SCALAR
        assert primitive.kind == MATRIX
        self.refuse_matrix_function_in_trace(node, arg, scope)
        if shape is None:
            dim = self.fresh()
            self.expect(arg, Shape((dim, dim)), scope)
            return None if node.name in MATRIX_VALUED else SCALAR
        if shape.rank != 2:
            raise ShapeError(f"{node.name} needs a square matrix; {self.render(arg)} is a {describe(shape)}")
        self.unify_dim(shape.dims[0], shape.dims[1], arg, arg, shape, shape)
        return shape if node.name in MATRIX_VALUED else SCALAR

    def refuse_matrix_function_in_trace(self, node, arg, scope) -> None:
        """``\\mathrm{tr}(\\log\\Sigma)``, ``\\mathrm{tr}(\\sqrt{A})``: log or sqrt of a matrix inside a trace is the
        matrix function (tr log Σ is not the sum of log Σ_ii); read entrywise it would silently change the loss,
        so it is refused. (exp of a square matrix is the matrix exponential wherever it stands: lower.py.)"""
        inner = None
        if isinstance(arg, ir.Func) and arg.name in ("log", "sqrt") and len(arg.args) == 1:
            inner = arg.args[0]
        if inner is None:
            return
        shape = self.infer(inner, scope)
        if shape is not None and shape.rank == 2 or shape is None and _is_upper(inner):
            raise UnsupportedError(f"{node.name}({self.render(arg)}): the matrix logarithm or square root "
                                   "of a matrix is not supported (symgd's log and sqrt act entry by entry); "
                                   "for tr(\\log\\Sigma) write \\log\\det\\Sigma")

    def infer_pairing(self, node, shapes, scope) -> Shape:
        """``\\langle a, b \\rangle``: a and b have one shape (vectors or matrices); the result is a scalar."""
        (a, b), (sa, sb) = node.args, shapes
        if sa is not None and sb is not None:
            if sa.rank == 0 or sb.rank == 0:
                raise ShapeError(f"the inner product of {self.render(a)} and {self.render(b)} needs two vectors "
                                 f"or two matrices; they are a {describe(sa)} and a {describe(sb)}")
            self.unify(Shape(sa.dims), Shape(sb.dims), a, b)
        elif sa is not None:
            self.expect(b, Shape(sa.dims), scope)
        elif sb is not None:
            self.expect(a, Shape(sb.dims), scope)
        elif _is_leaf(a):   # nothing known yet: a vector (a matrix if capitalised), as for a norm
            self.expect(a, Shape((self.fresh(), self.fresh())) if _is_upper(a) else Shape((self.fresh(),)), scope)
        return SCALAR

    def infer_diagonal(self, node, shape: Shape | None, scope) -> Shape | None:
        """``\\operatorname{diag}(w)``: a vector gives a diagonal matrix, a square matrix its diagonal."""
        (arg,) = node.args
        if shape is None:
            if _is_leaf(arg) and not _is_upper(arg):
                self.expect(arg, Shape((self.fresh(),)), scope)
            elif _is_leaf(arg):
                dim = self.fresh()
                self.expect(arg, Shape((dim, dim)), scope)
            return None
        if shape.rank == 1:
            return Shape((shape.dims[0], shape.dims[0]))
        if shape.rank == 2:
            self.unify_dim(shape.dims[0], shape.dims[1], arg, arg, shape, shape)
            return Shape((shape.dims[0],))
        raise ShapeError(f"diag of {self.render(arg)}, a {describe(shape)}")

    def infer_Norm(self, node, scope):
        shape = self.infer(node.arg, scope)
        if node.kind == "1" and shape is not None and shape.rank == 2:
            # the graphical lasso, robust PCA, sparse coding: \|\Theta\|_1 penalises every entry
            arg = self.render(node.arg)
            self.read(f"\\|{arg}\\|_1 of a matrix is the entrywise 1-norm (the sum of the absolute values of its "
                      "entries, as in the lasso literature), not the induced 1-norm (the largest column sum)")
        if node.kind == "F" and shape is not None and shape.rank == 1:   # \|U_i\|_{Fro} of a column U_i
            self.read(f"\\|{self.render(node.arg)}\\|_F of a vector is its Euclidean norm")
        if shape is None and _is_leaf(node.arg):
            leaf = getattr(node.arg, "base", node.arg)
            capital = _is_upper(node.arg) and getattr(leaf, "name", None) not in self.supplied   # \\|F(x)\\|: vectors
            matrix = (node.kind in ("F", "*") or capital) and not self.is_slice(node.arg, scope)
            self.expect(node.arg, Shape((self.fresh(), self.fresh())) if matrix else Shape((self.fresh(),)), scope)
        elif shape is None and node.kind != "F" and not _mentions_upper(node.arg) and not any(
                self.entry_ranks.get(n.name, 0) >= 2 for n in ir.walk(node.arg) if isinstance(n, ir.Name)):
            # \|x_n - \mu_k\|: a norm of vectors; not of an image u written u_{ij} elsewhere
            self.expect(node.arg, Shape((self.fresh(),)), scope)
        return SCALAR

    def mentions_whole_capital(self, node, scope: Scope) -> bool:
        """A capitalised name (a matrix by convention) used whole, not as a slice X_i of a summed index."""
        if isinstance(node, ir.Sub) and _is_upper(node) and self.is_slice(node, scope):
            return False
        if isinstance(node, ir.BigOp):
            return self.mentions_whole_capital(node.body, self.body_scope(node, scope))
        return _is_upper(node) or any(self.mentions_whole_capital(child, scope) for child in ir.children(node))

    def is_slice(self, node, scope: Scope) -> bool:
        """Is this ``B_j`` with j bound by a sum (a row of B), rather than a name such as ``W_1``?"""
        return isinstance(node, ir.Sub) and bool(self.split_subscript(node, scope)[1])

    def infer_Abs(self, node, scope):
        shape = self.infer(node.arg, scope)
        if shape is not None and shape.rank == 2:   # |\Sigma|, |K_y|: the determinant (Rasmussen & Williams)
            self.unify_dim(shape.dims[0], shape.dims[1], node.arg, node.arg, shape, shape)
            self.read(f"|{self.render(node.arg)}| is the determinant of {self.render(node.arg)}")
            return SCALAR
        if shape is not None and shape.rank == 1 and self.syntax == "latex":
            # |\\beta|^2 (Zou & Hastie, Roweis & Saul): the length; abs(w) in plain text stays elementwise
            self.read(f"|{self.render(node.arg)}| is the Euclidean norm of the vector {self.render(node.arg)}")
            return SCALAR
        return shape

    def read(self, text: str) -> None:
        """Record an implicit reading (the Problem lists them)."""
        if text not in self.readings:
            self.readings.append(text)

    def body_scope(self, node: ir.BigOp, scope: Scope) -> Scope:
        """The scope of a sum's body: its index bound along its axis (made on first sight)."""
        dim = self.node_dims.get(id(node))
        if dim is None:
            dim, self.node_bounds[id(node)] = self.index_range(node, scope)
            self.node_dims[id(node)] = dim
        return scope.with_index(node.index, dim, self.node_bounds[id(node)])

    def infer_BigOp(self, node, scope):
        dim = self.body_scope(node, scope).indices[node.index]
        if node.excluded is not None:
            if node.excluded not in scope.indices:
                raise UnsupportedError(f"\\{node.op}_{{{node.index} \\ne {node.excluded}}} outside a sum over "
                                       f"{node.excluded}")
            self.unify_dim(dim, scope.indices[node.excluded], node, node, Shape((dim,)), Shape((dim,)))
        after = affine(node.lower)[0] if node.lower is not None and node.upper is None and affine(node.lower) else None
        if after in scope.indices:   # \sum_{j=i+1} (from \sum_{i<j}) with no end: j runs along i's axis
            self.unify_dim(dim, scope.indices[after], node, node, Shape((dim,)), Shape((dim,)))
        refuse_superscript_index(node, self.render)
        shape = self.infer(node.body, self.body_scope(node, scope))
        if node.op == "forall":   # a constraint for every i: a vector along i's axis
            if shape is None and isinstance(node.body, ir.Name):   # 0 \le \alpha_i \le C: one bound C for all i
                self.expect(node.body, SCALAR, scope)
                shape = SCALAR
            return None if shape is None else Shape((dim, *shape.dims))
        if node.op == "prod" and shape is not None and shape.rank:
            raise ShapeError(f"a product \\prod over {self.render(node.body)}, a {describe(shape)}")
        return shape

    def infer_Entrywise(self, node, scope):
        """``[k(x_i, x_j)]_{ij}``: a matrix whose axes are the ranges of i and j (decided by the body)."""
        rows = self.node_dims.setdefault((id(node), 0), self.fresh())
        cols = self.node_dims.setdefault((id(node), 1), self.fresh())
        shape = self.infer(node.body, scope.with_index(node.rows, rows).with_index(node.cols, cols))
        if shape is None:
            self.expect(node.body, SCALAR, scope.with_index(node.rows, rows).with_index(node.cols, cols))
        elif shape.rank:
            raise ShapeError(f"the entry {self.render(node.body)} of a matrix is a {describe(shape)}")
        return Shape((rows, cols))

    def entrywise_dims(self, node: ir.Entrywise) -> tuple[Dim, Dim]:
        return self.node_dims[(id(node), 0)], self.node_dims[(id(node), 1)]

    def index_range(self, node: ir.BigOp, scope: Scope) -> tuple[Dim, Bounds]:
        """The axis a sum's index runs along and the positions it takes: ``\\sum_{i=1}^{n}`` all of n,
        ``\\sum_i`` all of a fresh dimension, ``\\sum_{t=2}^{T}`` positions 2..T, ``\\sum_{i=1}^{n-1}`` 1..n-1,
        ``\\sum_{j=i+1}^{n}`` i+1..n, ``\\sum_{j=0}^{n-1}`` all of n (entry x_j at position j + 1)."""
        lower, upper = node.lower, node.upper
        if lower is None and upper is None:
            return self.fresh(), Bounds(owner=id(node))
        low = (None, 1) if lower is None else affine(lower)
        high = None if upper is None else affine(upper)
        if low is None or (upper is not None and high is None) or (low[0] is not None and low[0] not in scope.indices) \
                or (high is not None and (high[0] in scope.indices or high[1] > 0 and high[0] is not None)):
            raise UnsupportedError(f"the range of \\{node.op}_{{{node.index}}}: write it as {node.index}=1 "
                                   "(or 0, 2, j+1, ...) to a dimension symbol, n - 1, or a whole number")
        after, start = low
        if high is None:
            dim, end = self.fresh(), 0
        elif high[0] is None:
            dim, end = Dim(high[1]), 0
        else:
            dim, end = self.dimension(high[0]), high[1]
        if id(node) in self.family_sums and after is None and start == 1 and end < 0:
            # \\sum_{i=1}^{N-1} f_i over a family read apart from the vector f: it holds f_1 .. f_{N-1}
            self.read(f"\\{node.op}_{{{node.index}=1}}^{{{self.render(upper)}}} runs over all "
                      f"{self.render(upper)} members of its family")
            return Dim(dim.resolved() + end), Bounds(owner=id(node))
        if id(node) in self.leading_parts:   # the first q of the m entries
            return self.dimension(self.leading_parts[id(node)]), Bounds(start, after, end, 0, id(node), high[0])
        if after is None and start == 0 and end == 0 and high is not None:
            return self.zero_based_to_end(node, dim), Bounds(1, None, 0, -1, id(node))
        if after is None and start == 0:   # 0-based: \sum_{j=0}^{n-1} covers the n entries
            if end != -1:
                raise UnsupportedError(f"the range of \\{node.op}_{{{node.index}=0}}^{{{self.render(upper)}}}: "
                                       f"{self.render(upper)} + 1 entries; write {node.index}=0 to n-1 with n "
                                       "the length")
            return dim, Bounds(1, None, 0, -1, id(node))
        return dim, Bounds(start, after, end, 0, id(node))

    def zero_based_to_end(self, node: ir.BigOp, end: Dim) -> Dim:
        """``\\sum_{j=0}^{M} w_j x^j`` (PRML 1.2): M + 1 values, so the arrays indexed by j have M + 1
        entries, w_0 the first; an axis of length M + 1, stated as a reading."""
        size = end.resolved()
        if size is None:   # pragma: no cover - an upper end is a number or a named dimension
            raise UnsupportedError(f"the range of \\{node.op}_{{{node.index}=0}}^{{{self.render(node.upper)}}}")
        upper = self.render(node.upper)
        count = str(size + 1) if isinstance(size, int) else f"{upper} + 1"
        self.read(f"\\{node.op}_{{{node.index}=0}}^{{{upper}}} runs over {count} values: the arrays indexed by "
                  f"{node.index} have {count} entries, entry 0 the first")
        return Dim(size + 1)

    def infer_Relation(self, node, scope):
        left, right = node.operands
        return self.infer_Add(ir.Add((left, ir.Neg(right))), scope)

    def infer_Reals(self, node, scope):
        raise ShapeError("\\mathbb{R} inside a formula; declare shapes as X \\in \\mathbb{R}^{n \\times d}")

    def infer_Deriv(self, node, scope):
        raise UnsupportedError("a derivative inside a formula")

    def infer_Apply(self, node, scope):
        raise UnsupportedError(f"the function {node.name}(...)")

    # -- pushing expected shapes into unknown operands -----------------------------------
    def expect(self, node, shape: Shape, scope: Scope) -> None:
        """Tell an operand whose shape is unknown which shape its context needs."""
        if isinstance(node, ir.Name):
            if node.name in scope.indices or node.name in self.dims:
                return
            self.assign(node.name, shape)
        elif isinstance(node, ir.Sub) and not isinstance(node.base, ir.Name):
            return   # (WH)_{ij}: an entry is a scalar; its expression's shape comes from its own operands
        elif isinstance(node, ir.Sub):
            name, bound, rest = self.split_subscript(node, scope)
            if name is None:
                self.assign(sub_symbol_name(node), shape)
            elif self.shapes.get(name) is None:
                dims = tuple(scope.indices[b] for b in bound)
                self.assign(name, Shape(dims + shape.dims, shape.row and not dims))
        elif isinstance(node, ir.Abs) and shape.rank == 0 and self.syntax == "latex":
            # |.| is a scalar of a scalar, of a vector (its length) and of a matrix (its determinant): a scalar
            # expected of |w| says nothing of w (pushed in, it made w a scalar and y a matrix in
            # \|y - Xw\|^2 + \lambda|w|, silently)
            return
        elif isinstance(node, ir.Neg) or (isinstance(node, ir.Abs) and not _mentions_upper(node.arg)
                                          and not self.mentions_bold(node.arg)):
            # a scalar |K| may be the determinant of a matrix K, a scalar |\\beta| the length of a bold vector
            self.expect(node.arg, shape, scope)
        elif isinstance(node, ir.Func) and BY_NAME.get(node.name) and BY_NAME[node.name].kind == ELEMENTWISE:
            for arg in node.args:
                if self.infer(arg, scope) is None:
                    self.expect(arg, shape, scope)
        elif isinstance(node, ir.Add):
            for term in node.terms:
                if self.infer(term, scope) is None:
                    self.expect(term, shape, scope)
        elif isinstance(node, ir.Hadamard):
            for part in (node.left, node.right):
                if self.infer(part, scope) is None:
                    self.expect(part, shape, scope)
        elif isinstance(node, ir.Div):
            if self.infer(node.num, scope) is None:
                self.expect(node.num, shape, scope)
        elif isinstance(node, ir.Transpose):
            self.expect(node.arg, shape.transposed(), scope)
        elif isinstance(node, ir.Pow) and shape.rank == 0 and not _is_leaf(node.base) and _is_literal(node.exp) \
                and not self.mentions_whole_capital(node.base, scope):
            # ((X_i w - y_i)/\sigma)^2 where a scalar is needed: the power of a scalar (a vector has none, a
            # matrix's is a matrix); not ((A - B) x)^2, where a capitalised A is a matrix and the power an error
            if self.infer(node.base, scope) is None:
                known = self.known_names()
                self.expect(node.base, SCALAR, scope)
                for name, decided in self.capitals_decided_since(known):
                    if decided.rank == 0 or decided.rank == len(self.subscripted.get(name, ())):
                        self.read(DEFAULT_ENTRIES_READING.format(x=self.render(ir.Name(name))))
        elif isinstance(node, ir.Pow) and _is_upper(node.base) and integer_exponent(node.exp) is not None:
            if shape.rank == 0:
                self.expect(node.base, SCALAR, scope)
            elif shape.rank == 2:
                self.expect(node.base, Shape((shape.dims[0], shape.dims[0])), scope)
        elif isinstance(node, ir.BigOp) and node.op == "sum":
            self.expect(node.body, shape, scope.with_index(node.index, self.dim_of_index(node), self.bounds_of(node)))
        elif isinstance(node, ir.Mul):
            self.expect_product(node, shape, scope)

    def expect_product(self, node: ir.Mul, shape: Shape, scope: Scope) -> None:
        a = self.infer(node.left, scope)
        b = self.infer(node.right, scope)
        if node.op == "cdot" and shape.rank == 0 and self.expect_dot_product(node, a, b, scope):
            return
        if a is not None and a.rank == 0 and b is None:
            self.expect(node.right, shape, scope)
        elif b is not None and b.rank == 0 and a is None:
            self.expect(node.left, shape, scope)
        elif a is None and b is not None and shape.rank == 0 and b.rank == 1 and not b.row and node.op == "juxt" \
                and _is_upper(node.left) and self.is_slice(node.left, scope):
            # X_i w (scikit-learn's pages) where a scalar is needed: X_i, i bound by a sum, is a row of the matrix X
            # (a capitalised name); only as a row does it make a scalar with the vector w (is_row_of_regressors)
            self.expect(node.left, Shape((b.dims[0],)), scope)
        elif a is None and b is None and shape.rank == 1 and not shape.row and self.capital_array(node.left, scope):
            inner = self.fresh()   # tanh(W x_i) must be a vector: W a matrix, x_i a vector
            self.expect(node.left, Shape((shape.dims[0], inner)), scope)
            self.expect(node.right, Shape((inner,)), scope)
        if shape.rank == 0 and self.leading_guesses:
            # A column vector or a matrix on the left makes any product a vector or a matrix, and only
            # a transpose makes a row: the leading factor of a scalar, if it has no transpose, is a
            # scalar (C in the SVM's C \sum_i \xi_i, N in \frac{N}{2}\log\det S, (a + p) x^\top x).
            first = _leading_factor(node)   # a bold name keeps its font's reading (x_i b: a row, in econometrics)
            if self.infer(first, scope) is None and _base_of(first) not in self.bold \
                    and not any(isinstance(n, ir.Transpose) for n in ir.walk(first)) \
                    and not (_is_upper(first) and self.is_slice(first, scope)):   # X_i: a row of X, or a number
                self.expect(first, SCALAR, scope)

    def expect_dot_product(self, node: ir.Mul, a: Shape | None, b: Shape | None, scope: Scope) -> bool:
        """A scalar ``u \\cdot v`` is a number times a number or the dot product of two vectors: a column
        vector on one side makes the other a vector of its length; with neither side known nothing is
        decided here (the leading-factor rule below made w a scalar in ``(y_i - w \\cdot x_i)^2`` before
        ``\\|w\\|^2`` later in the formula made it a vector: the reading depended on the order of the terms)."""
        for known, other, side in ((a, b, node.right), (b, a, node.left)):
            if known is not None and known.rank == 1 and not known.row and other is None:
                self.expect(side, Shape((known.dims[0],)), scope)
                return True
        return a is None and b is None


CHAIN_OPS = PRODUCT_OPS - {"cdot"}   # x \cdot y of two vectors is their dot product: no chain of factors


def _chain_factors(node) -> list:
    """The factors of a product chain, left to right, whichever way it associates (\\cdot ends the chain)."""
    if isinstance(node, ir.Mul) and node.op in CHAIN_OPS:
        return _chain_factors(node.left) + _chain_factors(node.right)
    return [node]


def _last_product(node: ir.Mul) -> ir.Mul:
    """The product in a chain whose right operand is the chain's last factor."""
    while isinstance(node.right, ir.Mul) and node.right.op in CHAIN_OPS:
        node = node.right
    return node


def _summed_subscripts(formulas: list):
    """(array name, axis, the sum binding the subscript) for each plain subscript ``u_i`` of a summed index."""
    stack = [(formula, {}) for formula in formulas]
    while stack:
        node, binding = stack.pop()
        if isinstance(node, ir.BigOp):
            binding = {**binding, node.index: node}
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
            for axis, atom in enumerate(index_atoms(node.indices) or ()):
                if isinstance(atom, ir.Name) and atom.name in binding:
                    yield node.base.name, axis, binding[atom.name]
        stack.extend((child, binding) for child in ir.children(node))


def refuse_superscript_index(node: ir.BigOp, render) -> None:
    """``\\sum_c\\sum_i g_i^c s_i^c`` (segmentation papers' class superscripts): the sum's index is only ever the
    exponent of a subscripted name, never a subscript, so it may be a second index of ``g`` as well as a power;
    read as a power it would be silently wrong, so the reading is asked for. A power beside a subscript
    (PRML's ``\\sum_j w_j x_n^j``, a discount ``\\gamma^k r_{t+k}``) keeps its reading."""
    index = ir.Name(node.index)
    parts = list(ir.walk(node.body))
    powers = [part for part in parts
              if isinstance(part, ir.Pow) and isinstance(part.base, ir.Sub) and part.exp == index]
    subscripted = any(index in ir.walk(subscript) for part in parts if isinstance(part, ir.Sub)
                      for subscript in part.indices)
    if powers and not subscripted:
        shown = render(powers[0])
        base = render(powers[0].base.base)
        raise AmbiguityError(f"{shown}: the index {node.index} of the sum is only ever a superscript: the power "
                             f"{node.index}, or a second index of {base} (as in g_i^c, class c)? symgd does not "
                             f"guess: for the entry, write the index as a subscript ({base}_{{i{node.index}}})")


def index_atoms(indices: tuple) -> tuple | None:
    """The single names/numbers of a subscript (``X_{ij}`` -> i, j; ``u_{i+1,j}`` -> Shift(i, 1), j),
    or None if it is another expression."""
    atoms = []
    for index in indices:
        shifted = affine(index)
        if shifted is not None and shifted[0] is not None and shifted[1] != 0:
            atoms.append(Shift(*shifted))
            continue
        parts = _juxt_parts(index)
        if not all(isinstance(p, (ir.Name, ir.Num)) for p in parts):
            return None
        atoms.extend(parts)
    return tuple(atoms)


def affine(node) -> tuple[str | None, int] | None:
    """``i + 1`` -> ("i", 1), ``n - 1`` -> ("n", -1), ``n`` -> ("n", 0), ``2`` -> (None, 2); else None."""
    if isinstance(node, ir.Name):
        return node.name, 0
    if _labelled_size(node):   # n_{\text{samples}} (scikit-learn's pages): a size with a label
        return sub_symbol_name(node), 0
    if isinstance(node, ir.Num):
        return (None, int(node.text)) if node.text.isdigit() else None
    if isinstance(node, ir.Add) and len(node.terms) == 2:
        head, tail = node.terms
        sign = 1
        if isinstance(tail, ir.Neg):
            sign, tail = -1, tail.arg
        if (isinstance(head, ir.Name) or _labelled_size(head)) and isinstance(tail, ir.Num) and tail.text.isdigit():
            return (head.name if isinstance(head, ir.Name) else sub_symbol_name(head)), sign * int(tail.text)
    return None


def _labelled_size(node) -> bool:
    """``n_{\\text{samples}}``, ``n_s``: a name subscripted by one word of two or more letters."""
    return (isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and len(node.indices) == 1
            and isinstance(node.indices[0], ir.Name) and len(node.indices[0].name) > 1)


def atom_name(atom):
    """The index name of a subscript atom (a Name or a Shift); None for a number."""
    if isinstance(atom, Shift):
        return atom.name
    return atom.name if isinstance(atom, ir.Name) else None


def _last_factor(node):
    """The rightmost factor of a product chain (the node itself if it is not a product)."""
    while isinstance(node, ir.Mul) and node.op in PRODUCT_OPS:
        node = node.right
    return node


def _base_of(node) -> str:
    """The name of a leaf: ``x`` for ``x`` and ``x_i``."""
    return node.base.name if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) else getattr(node, "name", "")


def _leading_factor(node):
    """The leftmost factor of a product chain, through numerators and signs (``C``, ``x_i``, ``(a + b)``)."""
    while True:
        node = _first_factor(node)
        if isinstance(node, ir.Div) and not node.elementwise:
            node = node.num
        elif isinstance(node, ir.Neg):
            node = node.arg
        else:
            return node


def _first_factor(node):
    """The leftmost factor of a product chain."""
    while isinstance(node, ir.Mul) and node.op in PRODUCT_OPS:
        node = node.left
    return node


def _juxt_parts(node) -> list:
    if isinstance(node, ir.Mul) and node.op == "juxt":
        return _juxt_parts(node.left) + _juxt_parts(node.right)
    return [node]


def sub_symbol_name(node: ir.Sub) -> str:
    """The symbol name of a subscripted name that is not indexing: ``w_0``, ``theta_n``, ``x_i``."""
    from symgd.render import latex_of

    parts = []
    for index in node.indices:
        if isinstance(index, ir.Name):   # X_{\\text{train}}: X_train
            parts.append(index.name)
            continue
        text = latex_of(index).replace(" ", "")
        parts.append(text.replace("\\", ""))
    return f"{node.base.name}_{''.join(parts)}" if all(
        p.isalnum() for p in parts) else f"{node.base.name}_{{{','.join(parts)}}}"


def refuse_matrix_root(written: str) -> None:
    """``\\Sigma^{-1/2}``, ``W^{1/2}``, ``\\sqrt{\\Sigma}``: a fractional power of a capitalised name is a matrix
    root; read as a scalar's it made \\Sigma, x and \\mu scalars in \\|\\Sigma^{-1/2}(x - \\mu)\\|^2, silently."""
    raise UnsupportedError(f"{written}: a fractional power of a matrix (a matrix square root) is not supported; "
                           "write the factor as a matrix of its own (L with \\Sigma^{-1} = L^\\top L), or declare "
                           "the name a scalar")


def is_minus_one(node) -> bool:
    return node in (ir.Neg(ir.Num("1")), ir.Num("-1"))


def integer_exponent(node) -> int | None:
    """The integer a power's exponent is written as (``3``, ``-2``, ``{-1}``), else None."""
    negative = isinstance(node, ir.Neg)
    inner = node.arg if negative else node
    if not isinstance(inner, ir.Num):
        return None
    text = inner.text.lstrip("-")
    if not text.isdigit():
        return None
    sign = -1 if negative != inner.text.startswith("-") else 1
    return sign * int(text)


def _is_literal(node) -> bool:
    return isinstance(node, ir.Num) or (isinstance(node, ir.Neg) and isinstance(node.arg, ir.Num))


def _is_leaf(node) -> bool:
    return isinstance(node, (ir.Name, ir.Sub))


def _mentions_upper(node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if _is_upper(current):
            return True
        stack.extend(ir.children(current))
    return False


def _is_upper(node) -> bool:
    """Is this a name that starts with a capital (X, \\Theta: matrices by convention)?"""
    if isinstance(node, ir.Sub):
        node = node.base
    return isinstance(node, ir.Name) and node.name[:1].isupper()
