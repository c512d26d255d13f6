"""Exact gradients and Hessians of a Problem's objective, in index form and in matrix form.

Layout convention (denominator layout, as in the Matrix Cookbook and as NumPy/JAX gradients are
shaped): the gradient with respect to a (d,) vector is a (d,) vector, with respect to an (m, n)
matrix an (m, n) matrix; the Hessian of a (d,) vector parameter is (d, d), and a Hessian block for
parameters of shapes s and t has shape s + t.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sympy
from sympy.printing.latex import LatexPrinter

from symgd.derive.calculus import canonical_indices, contract_deltas, differentiate, tidy
from symgd.derive.nonsmooth import DomainCondition, NonSmooth, analyse
from symgd.errors import AmbiguityError
from symgd.problem import Problem, _name_of, parse_wrt
from symgd.render import name_latex

if TYPE_CHECKING:   # symgd.tensor imports symgd.codegen, which imports this package
    from symgd.tensor.matrix import MatrixForm

class _IndexPrinter(LatexPrinter):
    """SymPy's LaTeX with textbook spellings: x_{ij}, not {x}_{i,j}; 1[u > 0] for the step."""

    def _print_Indexed(self, expr):
        base = name_latex(str(expr.base.label))
        base = "{%s}" % base if "_" in str(expr.base.label) else base   # entry u of the family b_u: {b_{u}}_{u}
        separator = "" if all(len(str(i)) == 1 for i in expr.indices) else ","
        return "%s_{%s}" % (base, separator.join(self._print(i) for i in expr.indices))

    def _print_Heaviside(self, expr, exp=None):
        return r"\mathbb{1}\left[%s > 0\right]" % self._print(expr.args[0])

    def _print_Symbol(self, expr, style="plain"):
        return name_latex(expr.name) if not expr.name.startswith("_") else super()._print_Symbol(expr)


def index_latex(expr: sympy.Expr) -> str:
    """LaTeX of an index-form expression."""
    return _IndexPrinter().doprint(expr)


# Free indices (of a derivative's entry) and bound indices (of sums) come from disjoint pools, so
# every expression of a problem names the same sub-expression the same way (code shares it).
INDEX_POOL = "klmrstuvabc"
BOUND_POOL = "jipqghefo"


@dataclass(frozen=True)
class Block:
    """One block of a derivative: ∂L/∂θ for one parameter, or ∂²L/∂θ∂φ for a pair.

    Attributes:
        wrt: the parameter(s), SymPy objects.
        indices: the free indices of ``expr`` in layout order (θ's, then φ's).
        expr: the entry at ``indices`` in index form.
        shape: the block's shape (dimension symbols).
        matrix: the matrix form (symgd.tensor.matrix), or None where there is none.
        no_matrix: why there is no matrix form (None when there is one).
    """

    wrt: tuple
    indices: tuple
    expr: sympy.Expr
    shape: tuple
    matrix: MatrixForm | None
    no_matrix: str | None = None

    @property
    def matrix_latex(self) -> str | None:
        """The block in matrix notation (``X^\\top (X w - y)``), or None."""
        return self.matrix.latex if self.matrix is not None else None

    @property
    def index_latex(self) -> str:
        return index_latex(self.expr)


@dataclass(frozen=True)
class Derivation:
    """A gradient or Hessian.

    Attributes:
        problem: the Problem it was derived from.
        kind: ``"gradient"`` or ``"hessian"``.
        blocks: one per parameter (gradient) or per parameter pair (Hessian), in ``wrt`` order.
        nonsmooth: sets where the objective is not differentiable; there the formula is a subgradient.
        domain: conditions for the objective to be defined.
        notes: remarks (e.g. about inverted notation).
    """

    problem: Problem
    kind: str
    blocks: tuple[Block, ...]
    nonsmooth: tuple[NonSmooth, ...] = ()
    domain: tuple[DomainCondition, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def expr(self):
        """The SymPy index form: one expression for one block, a tuple for several."""
        return self.blocks[0].expr if len(self.blocks) == 1 else tuple(b.expr for b in self.blocks)

    @property
    def steps(self) -> tuple:
        """The gradient derived step by step in matrix notation, each step verified numerically
        (``symgd.explain``: each ``Step`` has ``latex``, ``text``, ``rules``, ``verified``)."""
        from symgd.explain import explain   # symgd.explain builds on this module
        return explain(self).steps

    def block(self, *names: str) -> Block:
        """The block for parameter name(s): ``g.block("w")``, ``h.block("W", "v")``."""
        for block in self.blocks:
            if tuple(_name_of(p) for p in block.wrt) == names:
                return block
        raise KeyError(names)

    @property
    def index_form(self) -> str:
        """LaTeX, entry by entry: ``\\frac{\\partial L}{\\partial w_{k}} = ...``."""
        return r" \\ ".join(f"{self._head(b, entries=True)} = {b.index_latex}" for b in self.blocks)

    @property
    def latex(self) -> str:
        """LaTeX in matrix notation where one is found, index notation otherwise (with the reason), plus remarks."""
        lines = []
        for block in self.blocks:
            if block.matrix is not None:
                lines.append(f"{self._head(block, entries=False)} = {block.matrix_latex}")
            else:
                lines.append(f"{self._head(block, entries=True)} = {block.index_latex}")
                lines.append(r"\text{(index notation: %s)}" % _text_escape(block.no_matrix or "no matrix form"))
        text = r" \\ ".join(lines)
        if self.nonsmooth:
            where = r" \text{ or } ".join(k.condition for k in self.nonsmooth)
            text += r" \\ \text{(a subgradient where } " + where + r"\text{)}"
        return text

    def _repr_latex_(self) -> str:
        return "$$" + self.latex + "$$"

    def _head(self, block: Block, entries: bool) -> str:
        of = name_latex(self.problem.objective_name or "L")
        parts = []
        position = 0
        for param in block.wrt:
            rank = len(self.problem.shapes[param])
            name = name_latex(_name_of(param))
            if entries and rank:
                name += "_{%s}" % " ".join(sympy.latex(i) for i in block.indices[position:position + rank])
            elif block.matrix is not None and block.matrix.vec and rank == 2:   # ∂²L/∂vec(U)∂vec(V)^T
                name = r"\operatorname{vec}(%s)" % name
            position += rank
            parts.append(name)
        if self.kind == "gradient":
            return r"\frac{\partial %s}{\partial %s}" % (of, parts[0])
        if parts[0] == parts[1] and not entries and len(self.problem.shapes[block.wrt[0]]) == 0:
            return r"\frac{\partial^2 %s}{\partial %s^2}" % (of, parts[0])
        transposed = not entries and (len(self.problem.shapes[block.wrt[1]]) == 1
                                      or block.matrix is not None and block.matrix.vec)
        second = parts[1] + (r"^\top" if transposed else "")
        return r"\frac{\partial^2 %s}{\partial %s \partial %s}" % (of, parts[0], second)


def _text_escape(text: str) -> str:
    """``text`` inside ``\\text{...}``: LaTeX's special characters escaped."""
    return "".join("\\" + c if c in "&%$#_{}" else c for c in text)


def _params(problem: Problem, wrt, order: int = 1) -> tuple:
    """The parameters to differentiate by: ``wrt``, else a request in the source, else all."""
    if wrt is None:
        requested = [name for r in problem.requests if r.order == order for name in r.wrt]
        wrt = list(dict.fromkeys(requested)) or None
    if wrt is None:
        return problem.params
    chosen = []
    for name in parse_wrt(wrt):
        try:
            symbol = problem.symbol(name)
        except KeyError:
            raise AmbiguityError(f"{name} is not a symbol of this problem") from None
        if problem.roles[symbol] not in ("parameter", "data", "constant"):
            raise AmbiguityError(f"{name} is a {problem.roles[symbol]}; differentiate with respect to a variable")
        chosen.append(symbol)
    return tuple(chosen)


class _IndexNames:
    """Index names for derivatives.

    Differentiation uses temporary free indices that cannot clash with any bound index; the result
    then gets readable names: free indices k, l, m, ... and bound indices renamed by nesting
    (innermost j, then i, p, q, ...), none of them a symbol of the problem.
    """

    def __init__(self, problem: Problem) -> None:
        self.symbols = {_name_of(s) for s in problem.roles if problem.roles[s] != "index"}
        self.count = 0

    def temporary(self, count: int) -> tuple:
        out = tuple(sympy.Symbol(f"_free{self.count + n}", integer=True) for n in range(count))
        self.count += count
        return out

    def finish(self, expr: sympy.Expr, temporary: tuple, ranges: dict):
        """Give ``expr`` readable index names; returns (expr, free indices, ranges by new name)."""
        free_names = [c for c in INDEX_POOL if c not in self.symbols][:len(temporary)]
        while len(free_names) < len(temporary):
            free_names.append(f"k{len(free_names)}")
        free = tuple(sympy.Symbol(name, integer=True) for name in free_names)
        bound_pool = [c for c in BOUND_POOL if c not in self.symbols and c not in free_names]
        expr = canonical_indices(expr, bound_pool).xreplace(dict(zip(temporary, free)))
        return expr, free, {new: ranges[old] for old, new in zip(temporary, free)}


def canonical_form(problem: Problem, expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with its bound indices named as derivatives name them (for sharing in code)."""
    symbols = {_name_of(s) for s in problem.roles if problem.roles[s] != "index"}
    # entries x[i, j] are never a pool letter: only names are printed (printing is slow)
    free = {str(s) for s in expr.free_symbols if not isinstance(s, sympy.Indexed)}
    return canonical_indices(expr, [c for c in BOUND_POOL if c not in symbols and c not in free])


def _entry(param, indices):
    return param[indices] if indices else param


def _ranges(problem: Problem, param, indices) -> dict:
    return {i: (sympy.Integer(1), d) for i, d in zip(indices, problem.shapes[param])}


def _smooth_conventions(expr: sympy.Expr) -> sympy.Expr:
    """max(0, u) is relu(u) (derivative 0 at u = 0, the PyTorch/JAX convention); min(0, u) = -relu(-u)."""
    from symgd.functions import relu

    def rewrite(node):
        if isinstance(node, sympy.Max) and len(node.args) == 2 and sympy.Integer(0) in node.args:
            other = node.args[1] if node.args[0] == 0 else node.args[0]
            return relu(other)
        if isinstance(node, sympy.Min) and len(node.args) == 2 and sympy.Integer(0) in node.args:
            other = node.args[1] if node.args[0] == 0 else node.args[0]
            return -relu(-other)
        return node

    if not expr.has(sympy.Max, sympy.Min):   # one walk; replace would rebuild the tree to find none
        return expr
    return expr.replace(lambda n: isinstance(n, (sympy.Max, sympy.Min)), rewrite)


def _derivative(problem: Problem, expr, param, names: _IndexNames, ranges: dict):
    """One more derivative of ``expr`` (with free indices in ``ranges``) w.r.t. ``param``.

    For a parameter declared symmetric, the derivative is the symmetric part ½(G + G^T) of the
    derivative G that treats the entries as independent (SYMMETRIC_NOTE)."""
    own = names.temporary(len(problem.shapes[param]))
    ranges = {**ranges, **_ranges(problem, param, own)}
    result = contract_deltas(differentiate(expr, _entry(param, own)), ranges)
    if param in problem.symmetric:
        swapped = result.xreplace({own[0]: own[1], own[1]: own[0]})
        if swapped != result:
            result = (result + swapped) / 2
    return result, own, ranges


SYMMETRIC_NOTE = (r"{name} is symmetric: \frac{{\partial L}}{{\partial {name}}} is the symmetric matrix "
                  r"\frac12(G + G^\top), G the gradient that treats the entries of {name} as independent "
                  r"(for every symmetric direction E the directional derivative is \langle G, E\rangle = "
                  r"\langle \frac12(G + G^\top), E\rangle). The Matrix Cookbook's (141) writes "
                  r"2G_s - G_s \circ I instead, with G_s = \frac12(G + G^\top): each off-diagonal pair counted once.")


def _symmetric_notes(problem: Problem, params) -> tuple:
    return tuple(SYMMETRIC_NOTE.format(name=name_latex(_name_of(p))) for p in params if p in problem.symmetric)


NUCLEAR_NOTE = (r"U V^\top is from the thin singular value decomposition {name} = U \Sigma V^\top (U and V with "
                r"orthonormal columns, \Sigma diagonal and positive): the gradient of \left\|{name}\right\|_* where "
                r"{name} has full rank, a subgradient (over the nonzero singular values) where it does not.")


def _nuclear_notes(problem: Problem, params) -> tuple:
    """The SVD that the U V^T of a nuclear norm's gradient comes from, for each such matrix."""
    from symgd.functions import nuclear_norm
    labels = set()
    for norm in problem.objective.atoms(nuclear_norm):
        matrix = norm.args[0]
        named = isinstance(matrix, sympy.IndexedBase)
        bases = {matrix} if named else matrix.atoms(sympy.IndexedBase)
        if any(p in bases for p in params):   # U V^T appears in the gradient
            labels.add(name_latex(str(matrix.label)) if named else matrix.label)
    return tuple(NUCLEAR_NOTE.format(name=label) for label in sorted(labels))


MAX_NORM_NOTE = (r"\operatorname{{sign}}(v_{{i^*}})\, e_{{i^*}}: v = {vector} and i^* the index of its largest |v_i| "
                 r"(e_{{i^*}} the i^*-th unit vector): the gradient of \left\|{vector}\right\|_\infty where that "
                 r"index is unique, a subgradient (the first such index) where entries tie.")


def _max_norm_notes(problem: Problem) -> tuple:
    """What v and k are in the sign(v_k) e_k of a max-norm's gradient, for each max-norm in the loss."""
    from symgd.functions import max_norm
    vectors = {n.args[0] for n in problem.objective.atoms(max_norm)}
    labels = sorted(name_latex(str(v.label)) if isinstance(v, sympy.IndexedBase) else v.label for v in vectors)
    return tuple(MAX_NORM_NOTE.format(vector=label) for label in labels)


def _block(problem, params, expr, temporary, ranges, names: _IndexNames) -> Block:
    expr, indices, ranges = names.finish(expr, temporary, ranges)
    expr = tidy(expr)
    shape = tuple(d for p in params for d in problem.shapes[p])
    from symgd.tensor.matrix import matrix_form_or_reason
    symmetric = frozenset(_name_of(s) for s in problem.symmetric)
    matrix, reason = matrix_form_or_reason(expr, indices, {i: r[1] for i, r in ranges.items()},
                                           len(problem.shapes[params[0]]), symmetric)
    return Block(tuple(params), indices, expr, shape, matrix, reason)


def _analysis(problem: Problem, params) -> tuple:
    names = {_name_of(p) for p in params} | {problem.written.get(_name_of(p), _name_of(p)) for p in params}
    return analyse(problem.objective_ir, names)


def gradient(problem: Problem, wrt=None) -> Derivation:
    """The gradient ∂L/∂θ of the objective, one block per parameter (in ``wrt`` order).

    Args:
        problem: a parsed Problem.
        wrt: parameter name(s); default: the problem's parameters.

    Returns:
        A Derivation with index form, matrix form where one exists, non-smooth sets and domain.

    Raises:
        UnsupportedError: a construct without a derivative rule.
        AmbiguityError: ``wrt`` names no variable of the problem.
    """
    params = _params(problem, wrt)
    objective = _smooth_conventions(problem.objective)
    names = _IndexNames(problem)
    blocks = []
    for param in params:
        expr, indices, ranges = _derivative(problem, objective, param, names, {})
        blocks.append(_block(problem, (param,), expr, indices, ranges, names))
    kinks, domain = _analysis(problem, params)
    return Derivation(problem, "gradient", tuple(blocks), kinks, domain,
                      problem.notes + _symmetric_notes(problem, params) + _nuclear_notes(problem, params)
                      + _max_norm_notes(problem))


def hessian(problem: Problem, wrt=None) -> Derivation:
    """The Hessian ∂²L/∂θ∂φ: for one vector parameter a matrix, for several the blocks of the block matrix.

    Blocks come in row-major order over ``wrt`` pairs: (θ, θ), (θ, φ), (φ, θ), (φ, φ).
    """
    params = _params(problem, wrt, order=2)
    objective = _smooth_conventions(problem.objective)
    names = _IndexNames(problem)
    blocks = []
    for first in params:
        expr, indices, ranges = _derivative(problem, objective, first, names, {})
        for second in params:
            result, own, block_ranges = _derivative(problem, expr, second, names, ranges)
            blocks.append(_block(problem, (first, second), result, indices + own, block_ranges, names))
    kinks, domain = _analysis(problem, params)
    return Derivation(problem, "hessian", tuple(blocks), kinks, domain,
                      problem.notes + _symmetric_notes(problem, params))
