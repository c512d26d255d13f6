"""Matrix form for people: index form → tensor IR (lift) → the passes that choose the structure and
the display rewrites → the matrix-form LaTeX printer.

A block of rank 3 or 4 (a Hessian with a matrix parameter) is the matrix ∂²L/∂vec(θ)∂vec(φ)^T, vec
stacking columns (Magnus and Neudecker): each term of its index form is read as a Kronecker product
A ⊗ B, A over the column indices of θ and φ, B over the row indices (``δ_km (V^T V)_lr`` is
``V^T V ⊗ I``); a term that pairs the column index of θ with the row index of φ is
``(A ⊗ B) K`` with the commutation matrix K (the log-determinant's ``Θ^{-1} ⊗ Θ^{-T}``...). A
term that keeps both indices of one parameter together, or a sum over samples that joins the two
sides, has no such reading.

The passes are those of code generation that decide what a formula is made of (stable spellings,
the distributive law, contraction planning into matrix products), then ``display``; never the ones
that only serve speed (scalar placement, names for shared nodes).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy

from symgd.supplied import as_arrays
from symgd.codegen.stable import softmax, stabilise
from symgd.errors import UnsupportedError
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.lift import Builder
from symgd.tensor.passes import contract, display, expm, factor, stable
from symgd.tensor.print_latex import latex

DISPLAY_PASSES = (expm.run, stable.run, factor.run, contract.run, display.run)


@dataclass(frozen=True)
class MatrixForm:
    """A derivative block in matrix notation: the IR ``node`` the ``latex`` text spells; ``vec``: the
    block of rank 3 or 4 as the matrix ∂²L/∂vec(θ)∂vec(φ)^T (vec stacks columns)."""

    node: ir.Node
    latex: str
    vec: bool = False

    def evaluate(self, values: dict):
        """The value of the form; ``values`` maps names (``"X"``, ``"lambda"``, ``"n"``) to numbers and arrays."""
        env = {}
        nodes = ir.postorder([self.node])
        rows = {row for node in nodes if isinstance(node, ir.SampleSum) for row, _, _ in node.bindings}
        for leaf in nodes:
            symbols = [leaf.symbol] if isinstance(leaf, ir.Input) and leaf.symbol not in rows else []
            symbols += [s for d in leaf.shape for s in d.free_symbols]   # m*r: m and r
            if isinstance(leaf, ir.SampleSum):   # the data its rows are read from, the sample count
                symbols += [data for _, data, _ in leaf.bindings] + list(getattr(leaf.count, "free_symbols", ()))
            for symbol in symbols:
                env[symbol] = values[str(getattr(symbol, "label", symbol))]
        return evaluate(self.node, env)


def matrix_form(expr: sympy.Expr, free: tuple, ranges: dict, first_rank: int | None = None,
                symmetric: frozenset = frozenset()) -> MatrixForm:
    """The matrix form of the index-form ``expr`` whose entry (``free``...) it is.

    Args:
        expr: an index-form expression.
        free: its free indices in layout order.
        ranges: free index → its dimension.
        first_rank: how many of ``free`` belong to the first parameter (needed for ranks 3 and 4).
        symmetric: names of the matrices declared symmetric (S^T reads S, Σ^{-T} reads Σ^{-1}).

    Raises:
        UnsupportedError: no matrix spelling; the message is the reason shown with the index form.
    """
    expr = as_arrays(expr)   # a supplied function's value and Jacobians read as arrays: J_r^T r
    vec = len(free) > 2
    if vec:
        if first_rank is None:
            raise UnsupportedError(f"matrix form of an array of rank {len(free)}")
        node = _kronecker(expr, tuple(free[:first_rank]), tuple(free[first_rank:]), ranges)
    else:
        node = Builder({}, ranges).root(expr, tuple(free))
    program = ir.Program((node,), ("matrix",))
    for run in DISPLAY_PASSES:
        program = run(program)
    if symmetric:
        program = display.with_symmetry(program, symmetric)
    (node,) = program.roots
    return MatrixForm(node, latex(node), vec)


def matrix_form_or_reason(expr: sympy.Expr, free: tuple, ranges: dict, first_rank: int | None = None,
                          symmetric: frozenset = frozenset()) -> tuple[MatrixForm | None, str | None]:
    """``(matrix_form(...), None)``, or ``(None, why)`` where there is no matrix form."""
    try:
        return matrix_form(expr, free, ranges, first_rank, symmetric), None
    except UnsupportedError as error:
        return None, str(error)


# -- Hessian blocks of matrix parameters: sums of Kronecker products -------------------------------

def _kronecker(expr, first: tuple, second: tuple, ranges: dict) -> ir.Node:
    """The block as Σ_t c_t (A_t ⊗ B_t) [K]: rows vec(θ) (θ's column index slow), columns vec(φ)."""
    terms, per_sample = [], {}
    for term in sympy.Add.make_args(_expand(expr)):
        try:
            terms.append(_kronecker_term(term, first, second, ranges))
        except UnsupportedError:
            if not term.has(sympy.Sum):
                raise
            _add_summand(per_sample, term, set(first + second))
    for (index, count), bodies in per_sample.items():
        terms.append(_over_samples(sympy.Add(*bodies), index, count, first, second, ranges))
    return ir.add(*terms)


def _expand(expr):
    return sympy.expand(expr, deep=False, mul=True, multinomial=False, power_exp=False, power_base=False, log=False)


def _kronecker_term(term, first: tuple, second: tuple, ranges: dict) -> ir.Node:
    factors = sympy.Mul.make_args(term)
    components = _components(factors, set(first + second))
    for crossed in ((False, True) if len(second) == 2 else (False,)):
        for sides in itertools.product("AB", repeat=len(components)):
            slots = _slots(components, sides, first, second, crossed)
            if slots is not None:
                return _kron_of(factors, components, sides, slots, ranges, second, crossed)
    raise UnsupportedError("matrix form of a Hessian block that is not a sum of Kronecker products "
                           "(in a term, its indices pair differently)")


def _add_summand(per_sample: dict, term, free: set) -> None:
    """Record the summand of a term whose one sum over samples joins the row and column indices
    (softmax: Σ_i (diag(p_i) - p_i p_i^T) ⊗ x_i x_i^T), the factors outside the sum brought in, under
    (sample index, count): the terms of one count share one sum (their indices renamed to the first's)."""
    factors = sympy.Mul.make_args(term)
    joining = [f for f in factors if isinstance(f, sympy.Sum) and f.free_symbols & free]
    if len(joining) != 1 or len(joining[0].limits) != 1 or joining[0].limits[0][1] != 1:
        raise UnsupportedError("matrix form of a Hessian block that is not a sum of Kronecker products "
                               "(in a term, several sums join the row and column indices)")
    (index, _, count), = joining[0].limits
    outside = sympy.Mul(*(f for f in factors if f is not joining[0]))
    if index in outside.free_symbols:
        raise UnsupportedError(f"matrix form: the sample index {index} is also free outside its sum")
    summand = outside * joining[0].function
    shared = next((key for key in per_sample if key[1] == count), None)
    if shared is not None and shared[0] not in term.atoms(sympy.Symbol):   # renaming cannot capture
        per_sample[shared].append(summand.xreplace({index: shared[0]}))
    else:
        per_sample.setdefault((index, count), []).append(summand)


def _over_samples(summand, index, count, first: tuple, second: tuple, ranges: dict) -> ir.Node:
    """Σ_index of the Kronecker products of ``summand``, the rows of the data it selects named x_i, y_i."""
    normalised = stabilise(summand)   # e^{u_k} / Σ_j e^{u_j} read as softmax(u)_k
    body, bindings = _rows_of_samples(normalised if normalised.has(softmax) else summand, index)
    return ir.sample_sum(_kronecker(body, first, second, ranges), index, count, bindings)


def _rows_of_samples(body, index):
    """``body`` with each entry ``x[index, j]`` read as ``x_index[j]`` of a new array (a scalar
    ``y_index`` for ``y[index]``), and the bindings (new symbol, data, axis) of those rows."""
    replacements, bindings = {}, []
    taken = {str(s) for s in body.free_symbols} | {str(b.label) for b in body.atoms(sympy.IndexedBase)}
    for entry in body.atoms(sympy.Indexed):
        if index not in entry.indices:
            continue
        if list(entry.indices).count(index) != 1 or entry.base.shape is None:
            raise UnsupportedError(f"matrix form: the sample index {index} twice in {entry}")
        axis = list(entry.indices).index(index)
        rest = tuple(i for i in entry.indices if i != index)
        name = f"{entry.base.label}_{index}"
        if name in taken:   # a row must not be read as another array of that name
            raise UnsupportedError(f"matrix form: the row {name} of {entry.base.label} has the name of another array")
        shape = tuple(d for n, d in enumerate(entry.base.shape) if n != axis)
        row = sympy.IndexedBase(name, shape=shape) if rest else sympy.Symbol(name)
        replacements[entry] = row[rest] if rest else row
        binding = (row, entry.base, axis)
        if binding not in bindings:
            bindings.append(binding)
    body = body.xreplace(replacements)
    if index in body.free_symbols:
        raise UnsupportedError(f"matrix form: the sample index {index} used otherwise than to select data")
    return body, tuple(bindings)


def _components(factors, free: set) -> list:
    """The free indices of a term grouped by the factors that join them (each group goes to one side)."""
    groups: list = []
    for term_factor in factors:
        own = set(term_factor.free_symbols) & free
        if not own:
            continue
        joined = [g for g in groups if g & own]
        merged = own.union(*joined)
        groups = [g for g in groups if not g & own] + [merged]
    return [frozenset(g) for g in groups]


def _slots(components, sides, first, second, crossed):
    """{side: (row index or None, column index or None)} when the sides fit a Kronecker product:
    each side has at most one index of θ (its row) and one of φ (its column), θ's column index on A
    and its row index on B (the same for φ, or the other way round when ``crossed``)."""
    fixed = {}
    if len(first) == 2:
        fixed[first[1]], fixed[first[0]] = "A", "B"
    if len(second) == 2:
        fixed[second[1]], fixed[second[0]] = ("B", "A") if crossed else ("A", "B")
    slots = {"A": [None, None], "B": [None, None]}

    def place(index, side) -> bool:
        position = 0 if index in first else 1
        if fixed.get(index, side) != side or slots[side][position] is not None:
            return False
        slots[side][position] = index
        return True

    for component, side in zip(components, sides):
        if not all(place(index, side) for index in component):
            return None
    placed = {i for slot in slots.values() for i in slot}
    for index in first + second:   # an index the term does not mention: constant along it
        if index not in placed:
            position = 0 if index in first else 1
            side = fixed.get(index) or ("B" if slots["B"][position] is None else "A")
            if not place(index, side):
                return None
    return {side: tuple(slot) for side, slot in slots.items()}


def _kron_of(factors, components, sides, slots, ranges, second, crossed) -> ir.Node:
    side_of = {index: side for component, side in zip(components, sides) for index in component}
    parts = {"A": [], "B": []}
    for term_factor in factors:
        own = [i for i in term_factor.free_symbols if i in side_of]
        parts[side_of[own[0]] if own else "A"].append(term_factor)
    builder = Builder({}, ranges)
    matrices = [_as_matrix(builder, sympy.Mul(*parts[side]), slots[side], ranges) for side in "AB"]
    product = ir.kron(*matrices)
    if crossed:
        product = ir.matmul(product, ir.commutation(ranges[second[0]], ranges[second[1]]))
    return product


def _as_matrix(builder: Builder, expr, slot: tuple, ranges: dict) -> ir.Node:
    """``expr`` over the (row, column) indices of ``slot`` as a matrix (a missing index: length 1)."""
    present = tuple(i for i in slot if i is not None)
    node = builder.root(expr, present)
    shape = tuple(ranges[i] if i is not None else sympy.Integer(1) for i in slot)
    axes = tuple(position for position, i in enumerate(slot) if i is not None)
    return ir.broadcast(node, axes, shape)
