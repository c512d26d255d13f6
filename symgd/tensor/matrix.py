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

from symgd.errors import UnsupportedError
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate
from symgd.tensor.lift import Builder
from symgd.tensor.passes import contract, display, factor, stable
from symgd.tensor.print_latex import latex

DISPLAY_PASSES = (stable.run, factor.run, contract.run, display.run)


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
        for leaf in ir.postorder([self.node]):
            symbols = [leaf.symbol] if isinstance(leaf, ir.Input) else []
            symbols += [s for d in leaf.shape for s in d.free_symbols]   # m*r: m and r
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
    terms = []
    for term in sympy.Add.make_args(sympy.expand(expr, deep=False, mul=True, multinomial=False,
                                                 power_exp=False, power_base=False, log=False)):
        terms.append(_kronecker_term(term, first, second, ranges))
    return ir.add(*terms)


def _kronecker_term(term, first: tuple, second: tuple, ranges: dict) -> ir.Node:
    factors = sympy.Mul.make_args(term)
    components = _components(factors, set(first + second))
    for crossed in ((False, True) if len(second) == 2 else (False,)):
        for sides in itertools.product("AB", repeat=len(components)):
            slots = _slots(components, sides, first, second, crossed)
            if slots is not None:
                return _kron_of(factors, components, sides, slots, ranges, second, crossed)
    joined = "a sum joins the row and column indices" if term.has(sympy.Sum) else "its indices pair differently"
    raise UnsupportedError("matrix form of a Hessian block that is not a sum of Kronecker products "
                           f"(in a term, {joined})")


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
