"""Chains of definitions in a source: ``A = B = \\ldots = E`` (also ``\\equiv``, ``:=``).

Papers write a loss's head as a chain: ``L_{\\log}(Y, P) = -\\log\\Pr(Y|P) = -\\frac{1}{N}\\sum_i ...``
(the scikit-learn User Guide), ``C_{ij} \\equiv C(o_{ij}) = ...`` (Burges et al. 2005), ``C = KL(P\\|Q) =
\\sum_i ...`` (van der Maaten & Hinton 2008). The last member is the definition (unless it names a
density, ``E(w) = -\\sum_n ... = -\\ln p(t|w)``: then the last that does not); the earlier members name
it. A member that is a name, a function head, a named divergence or probability, or a call of a
function defined nowhere, only names the value. Any other member is a second concrete spelling: the
problem is built again with it in place of the definition and the two must agree at random points,
else an AmbiguityError names both members (symgd never picks one silently).

The problem stage (``symgd.problem``) records the chains while sorting items and calls
:func:`check_chains` with a function that rebuilds the problem from rewritten documents, so this
module does not import it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

from symgd.errors import AmbiguityError, SymgdError
from symgd.numeric import dimension_size, entries, evaluate, random_values
from symgd.parse import ir
from symgd.parse.transform import DENSITY
from symgd.render import latex_of, name_latex
from symgd.shapes import sub_symbol_name

# Letters the problem stage reads as known functions when nothing defines them (\sigma the sigmoid,
# \zeta the softplus, \Gamma the gamma function): a call of one of them is a concrete spelling.
IMPLICIT_FUNCTIONS = frozenset(["sigma", "zeta", "Gamma"])
# Random points a concrete member is compared at: as drawn, then with every value in (0.1, 0.9)
# (logs of probabilities, log(1 - p)); the first at which both spellings are defined decides.
SEEDS = (0, 1)
RELATIVE_TOLERANCE = 1e-7


@dataclass(frozen=True)
class Chain:
    """A chain as written (a definition ``A = B = ... = E``, or an objective ``\\min_w A = B = ... = E``), and the
    member its definition is stored under."""

    item: ir.Relation | ir.Minimize
    members: tuple           # every member, in the source's order
    head: object
    body: object             # the definition: the last member (see chain_body)
    key: str | None = None   # the name the definition is stored under (h_theta for h_\\theta(x))

    def others(self) -> list:
        """The members other than the head and the definition."""
        return [m for m in self.members if m is not self.head and m is not self.body]

    def written(self) -> str:
        """The chain as LaTeX, ``=`` between members (``\\equiv`` and ``:=`` read as ``=``)."""
        return " = ".join(latex_of(member) for member in self.members)

    def with_body(self, member):
        """The source's item with ``member`` as the definition, the other members left out."""
        if isinstance(self.item, ir.Minimize):
            return dataclasses.replace(self.item, objective=member, names=())
        return ir.Relation((self.head, member), self.item.ops[-1:])


def chain_body(members: tuple):
    """The member a chain defines its value by: the last, unless the last names a density or a divergence
    (``E(w) = -\\sum_n ... = -\\ln p(t|w)``), which symgd does not read: then the last member before it that
    does not."""
    later = members[1:]
    return next((m for m in reversed(later) if not _has_density(m)), later[-1])


def _has_density(node) -> bool:
    return any(isinstance(n, ir.Func) and n.name == DENSITY for n in ir.walk(node))


def chain_head(names: list):
    """The member a chain's definition is stored under: the first, or the function head it abbreviates
    (``C_{ij} \\equiv C(o_{ij}) = ...``: C_{ij} names the value of C at o_{ij}, whose argument is the variable)."""
    first = names[0]
    if isinstance(first, (ir.Name, ir.Sub)):
        base = first.name if isinstance(first, ir.Name) else getattr(first.base, "name", None)
        for member in names[1:]:
            if isinstance(member, ir.Apply) and not member.sub and member.name == base:
                return member
    return first


def names_the_value(member, defined: frozenset) -> bool:
    """True when a member of a chain only names the value: a name, a function head or a call of a function
    defined nowhere else (``L_{\\log}(Y, P)``, ``g(\\theta^T x)`` in CS229), a divergence or a probability
    (``KL(P\\|Q)``, ``-\\log\\Pr(Y|P)``), or one of these negated (``-\\ell(\\theta)``)."""
    if isinstance(member, ir.Neg):
        return names_the_value(member.arg, defined)
    if isinstance(member, ir.Name):   # L = J = ... with J defined elsewhere: a spelling to check
        return member.name not in defined
    if isinstance(member, ir.Sub):
        return sub_symbol_name(member) not in defined and getattr(member.base, "name", None) not in defined
    if _has_density(member):
        return True
    if isinstance(member, ir.Apply):
        key = sub_symbol_name(ir.Sub(ir.Name(member.name), member.sub)) if member.sub else member.name
        return member.name not in IMPLICIT_FUNCTIONS and not ({key, member.name} & defined)
    return False


def check_chains(chains: list[Chain], documents: list, problem, defined: frozenset,
                 rebuild: Callable[[list], object]) -> list[str]:
    """Check every chain of the source against ``problem`` (built from each chain's last member).

    Args:
        chains: the chains the problem stage recorded.
        documents: the parsed source and where-text the problem was built from.
        problem: the Problem built with each chain's last member as its definition.
        defined: the names of the functions and symbols the source defines.
        rebuild: builds a Problem from rewritten documents (the problem stage's own builder).

    Returns:
        One reading per chain, in words.

    Raises:
        AmbiguityError: a member that symgd reads as a concrete value differs from the last member.
    """
    readings = []
    for chain in chains:
        named, agreeing, unread = [chain.head], [], []
        for member in chain.others():
            if names_the_value(member, defined - {chain.key}):
                named.append(member)
                continue
            try:
                other = rebuild(_with_member(documents, chain, member))
            except SymgdError as error:   # a spelling symgd cannot read: it names the value
                unread.append((member, error))
                continue
            agreeing.append((member, _require_agreement(chain, member, problem, other)))
        readings.append(_reading(chain, named, agreeing, unread))
    return readings


def _with_member(documents: list, chain: Chain, member) -> list:
    """The documents with the chain replaced by ``head = member``."""
    replaced = chain.with_body(member)
    return [dataclasses.replace(document, items=tuple(replaced if item is chain.item else item
                                                      for item in document.items))
            for document in documents]


def _symbols(problem) -> dict:
    """name -> (role, shape as text) of every symbol that takes a value."""
    return {str(getattr(symbol, "label", symbol)): (role, tuple(str(d) for d in problem.shapes.get(symbol, ())))
            for symbol, role in problem.roles.items() if role != "index"}


def _correspondence(problem, other) -> dict | None:
    """``other``'s symbol and dimension names -> ``problem``'s: the same name, else the one name that differs only
    in case (``x_i`` in a sum, the rows of ``X`` in the matrix form: ESL's RSS), with the same role and rank, the
    dimensions following the shapes one to one. None when the two readings cannot be matched so."""
    mine, theirs = _symbols(problem), _symbols(other)
    values = {name for name, (role, _) in mine.items() if role != "dimension"}
    names = {}
    for name, (role, _) in theirs.items():
        if role == "dimension":
            continue
        candidates = [name] if name in values else [m for m in values if m.lower() == name.lower() and m not in theirs]
        if len(candidates) != 1:
            return None
        names[name] = candidates[0]
    if sorted(names.values()) != sorted(values):
        return None
    dims: dict = {}
    for name, target in names.items():
        (role, shape), (target_role, target_shape) = theirs[name], mine[target]
        if role != target_role or len(shape) != len(target_shape):
            return None
        for dim, target_dim in zip(shape, target_shape):
            if dims.setdefault(dim, target_dim) != target_dim:
                return None
    for name, (role, _) in theirs.items():   # a dimension on no shape (a sum's limit) keeps its name
        if role == "dimension" and dims.setdefault(name, name) not in mine:
            return None
    if len(set(dims.values())) != len(dims):
        return None
    return {**names, **dims}


def _require_agreement(chain: Chain, member, problem, other) -> dict:
    """Raise AmbiguityError unless ``other`` (built from ``member``) reads ``problem``'s symbols, up to the case of
    their names, and has its value at random points. Returns the names matched up to case (other's -> problem's)."""
    first, last = latex_of(member), latex_of(chain.body)
    names = _correspondence(problem, other)
    if names is None:
        mine, theirs = _symbols(problem), _symbols(other)
        differ = sorted(set(mine.items()) ^ set(theirs.items()))
        raise AmbiguityError(f"the chain {chain.written()}: its members {first} and {last} are read with different "
                             f"symbols or shapes ({', '.join(f'{n} {r} {s}' for n, (r, s) in differ)}); symgd does "
                             "not choose one: write the one you mean")
    values = _values_at_a_point(problem, other, names)
    if values is None:
        raise AmbiguityError(f"the chain {chain.written()}: symgd cannot evaluate its members {first} and {last} to "
                             "check that they agree; write the one you mean")
    mine, theirs = values
    if mine.shape != theirs.shape or [c.kind for c in problem.constraints] != [c.kind for c in other.constraints] \
            or not np.allclose(mine[1:], theirs[1:], rtol=RELATIVE_TOLERANCE, atol=RELATIVE_TOLERANCE):
        raise AmbiguityError(f"the chain {chain.written()}: its members {first} and {last} differ (the constraints "
                             "read with each differ); symgd does not choose one: write the one you mean")
    if not np.isclose(mine[0], theirs[0], rtol=RELATIVE_TOLERANCE, atol=RELATIVE_TOLERANCE):
        raise AmbiguityError(f"the chain {chain.written()}: its members {first} and {last} differ (at a random point "
                             f"the objective is {theirs[0]:.6g} read with {first} and {mine[0]:.6g} read with {last}); "
                             "symgd does not choose one: write the one you mean")
    return {their: mine for their, mine in names.items() if their != mine}


def _values_at_a_point(problem, other, names: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """Both problems' values (objective, then constraints) at the first random point where both are defined and
    finite, else None."""
    for seed in SEEDS:
        drawn = random_values(problem, seed=seed, symmetric=False)
        for env in (drawn, _inside_the_unit_interval(problem, drawn, seed)):
            translated = {their: env[mine] for their, mine in names.items() if mine in env}
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise"):
                    values = _values(problem, env), _values(other, translated)
            except (ValueError, ZeroDivisionError, OverflowError, IndexError, FloatingPointError):
                continue
            if all(np.all(np.isfinite(v)) for v in values):
                return values
    return None


def _values(problem, env: dict) -> np.ndarray:
    """The objective, then every entry of every constraint, at the point ``env``."""
    parts = [np.atleast_1d(evaluate(problem.objective, env))]
    for constraint in problem.constraints:
        shape = tuple(dimension_size(d, env) for d in constraint.shape)
        parts.append(np.ravel(entries(constraint.expr, constraint.indices, shape, env)))
    return np.concatenate(parts)


def _inside_the_unit_interval(problem, env: dict, seed: int) -> dict:
    """The point ``env`` with every parameter, data and constant value drawn again in (0.1, 0.9)."""
    rng = np.random.default_rng(seed + 100)
    moved = dict(env)
    for symbol, role in problem.roles.items():
        name = str(getattr(symbol, "label", symbol))
        if role in ("parameter", "data", "constant") and symbol not in problem.labels and name in env:
            value = env[name]
            moved[name] = float(rng.uniform(0.1, 0.9)) if np.ndim(value) == 0 else rng.uniform(0.1, 0.9,
                                                                                             np.shape(value))
    return moved


def _reading(chain: Chain, named: list, agreeing: list, unread: list) -> str:
    """The chain's reading in words."""
    read = "the last form" if chain.body is chain.members[-1] else \
        f"{latex_of(chain.body)} (the last form names a density)"
    text = f"{chain.written()}: {read} is read; "
    if not agreeing and not unread:
        return text + ("the other names it" if len(named) == 1 else "the others name it")
    parts = [f"{', '.join(latex_of(m) for m in named)} {'names' if len(named) == 1 else 'name'} it"]
    for member, renamed in agreeing:
        matched = ", ".join(f"{name_latex(their)} as {name_latex(mine)}" for their, mine in renamed.items())
        renaming = f" (reading {matched})" if matched else ""
        parts.append(f"{latex_of(member)} agrees with it at random points{renaming}")
    for member, error in unread:
        parts.append(f"{latex_of(member)} is not read ({error})")
    return text + "; ".join(parts)
