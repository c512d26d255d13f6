"""Mutation testing of ``symgd.check``: slips applied to correct derivations must never be judged
correct, and equivalent rewrites of them must be.

The correct derivations are symgd's own gradients (matrix form and index form) of the losses in
``examples/`` and in the loss list of the tests, as claims with and without a head, and as update
rules. A mutant is a claim with one usual slip; it is kept only when it differs from the truth
numerically at points and sizes the checker does not use (so every kept mutant is wrong). A rewrite
is an equivalent form of a correct claim (expanded, factored, terms reordered, other index letters,
``\\nabla_w L`` for ``\\partial L/\\partial w``, a two-step chain, an update rule with a step size).

Used by ``tests/test_check_mutation.py`` (a sample) and ``benchmarks/check_mutation.py`` (all).
"""

from __future__ import annotations

import dataclasses
import importlib
import pathlib
from dataclasses import dataclass

import numpy as np

import symgd
from symgd.numeric import entries, random_values
from symgd.parse import ir, parse_document
from symgd.render import latex_of

checker = importlib.import_module("symgd.check")   # the module (symgd.check is also the function)
ROOT = pathlib.Path(__file__).resolve().parents[1]
# sizes and seeds the checker does not use (its own are symgd.check.SIZES and SEEDS)
FILTER_SIZES = ({"n": 7, "d": 3, "K": 4, "m": 5, "k": 2, "p": 6, "r": 2, "h": 3},)
FILTER_SEEDS = (101, 102)


@dataclass(frozen=True)
class Claim:
    """A claim about a loss: the source, the claim's text, what it is (slip or rewrite)."""

    source: str
    text: str
    kind: str      # the slip or rewrite applied
    loss: str      # a short name of the loss


def sources() -> list[tuple[str, str]]:
    """(name, source) of every unconstrained loss of the examples list and the tests' loss list."""
    from test_loss_list import LOSSES   # tests/ is on sys.path in the test run and the benchmark

    found = [(path.stem, path.read_text()) for path in sorted((ROOT / "examples").glob("*.tex"))
             if "constrained" not in path.stem]
    for name, latex, _text, wrt, _shapes in LOSSES:
        if name != "constrained":
            found.append((name, (latex, wrt)))
    return found


def _problem(source):
    if isinstance(source, tuple):
        return symgd.parse(source[0], wrt=source[1])
    return symgd.parse(source)


def correct_claims(name: str, source) -> list[tuple[object, str, str]]:
    """(problem, head, right-hand side) of symgd's gradient, one per block, in matrix and index form."""
    problem = _problem(source)
    derivation = symgd.gradient(problem)
    claims = []
    for line in derivation.latex.split(r" \\ ") + derivation.index_form.split(r" \\ "):
        if r"\text{" in line or " = " not in line:
            continue
        head, right = line.split(" = ", 1)
        claims.append((problem, head, right))
    return claims


# -- IR surgery ----------------------------------------------------------------------------------

def _nodes(root) -> list:
    """Every IR node of ``root`` in pre-order (subscripts and sum bounds included)."""
    found = []

    def visit(node):
        if isinstance(node, tuple):
            for item in node:
                visit(item)
        elif dataclasses.is_dataclass(node):
            found.append(node)
            for spec in dataclasses.fields(node):
                visit(getattr(node, spec.name))

    visit(root)
    return found


def _replace(root, position: int, new):
    """``root`` with its ``position``-th node (pre-order) replaced by ``new``."""
    counter = [-1]

    def visit(node):
        if isinstance(node, tuple):
            return tuple(visit(item) for item in node)
        if not dataclasses.is_dataclass(node):
            return node
        counter[0] += 1
        if counter[0] == position:
            return new
        changes = {spec.name: visit(getattr(node, spec.name)) for spec in dataclasses.fields(node)}
        return dataclasses.replace(node, **changes)

    return visit(root)


def _rename_everywhere(root, renaming: dict):
    """Rename names and sum indices (a bijection onto unused letters, so nothing is captured)."""
    def visit(node):
        if isinstance(node, tuple):
            return tuple(visit(item) for item in node)
        if not dataclasses.is_dataclass(node):
            return node
        changes = {spec.name: visit(getattr(node, spec.name)) for spec in dataclasses.fields(node)}
        node = dataclasses.replace(node, **changes)
        if isinstance(node, ir.Name) and node.name in renaming:
            return ir.Name(renaming[node.name])
        if isinstance(node, ir.BigOp) and node.index in renaming:
            return dataclasses.replace(node, index=renaming[node.index])
        return node

    return visit(root)


TWO = ir.Num("2")
HALF = ir.Div(ir.Num("1"), ir.Num("2"))


def _dims(problem) -> set:
    return {str(d) for d in problem.dims}


def _matrices(problem) -> set:
    return {checker._name_of(s) for s, shape in problem.shapes.items() if len(shape) >= 1
            and problem.roles[s] in ("parameter", "data")}


def _bound(root) -> set:
    return {n.index for n in _nodes(root) if isinstance(n, ir.BigOp)}


def slips(problem, root) -> list[tuple[str, object]]:
    """(slip, mutated tree) for every place each usual slip applies."""
    out = [("flip the sign", ir.Neg(root)), ("scale by 2", ir.Mul(TWO, root)), ("scale by 1/2", ir.Mul(HALF, root))]
    dims, matrices, bound = _dims(problem), _matrices(problem), _bound(root)
    for position, node in enumerate(_nodes(root)):
        def put(slip, new, position=position):
            out.append((slip, _replace(root, position, new)))
        if isinstance(node, ir.Add) and len(node.terms) > 1:
            for k in range(len(node.terms)):
                rest = node.terms[:k] + node.terms[k + 1:]
                put("drop a term", rest[0] if len(rest) == 1 else ir.Add(rest))
                flipped = node.terms[k].arg if isinstance(node.terms[k], ir.Neg) else ir.Neg(node.terms[k])
                put("flip the sign of a term", ir.Add(node.terms[:k] + (flipped,) + node.terms[k + 1:]))
                put("scale a term by 2", ir.Add(node.terms[:k] + (ir.Mul(TWO, node.terms[k]),) + node.terms[k + 1:]))
            if node.terms[0] == ir.Num("1") and len(node.terms) == 2:   # (1 - σ(u)) dropped: σ' written as σ
                put("σ' written as σ", ir.Num("1"))
        if isinstance(node, ir.Transpose):
            put("drop a transpose", node.arg)
        if isinstance(node, ir.Name) and node.name in matrices:
            put("transpose a matrix inside a product", ir.Transpose(node))
        if isinstance(node, ir.Div) and any(isinstance(n, ir.Name) and n.name in dims for n in _nodes(node.den)):
            put("drop 1/n", node.num)
        if isinstance(node, ir.Sub):
            parts = checker._subscript_parts(node.indices)
            names = [p for p in parts if isinstance(p, ir.Name)]
            if len(parts) == 2 and parts[0] != parts[1]:
                put("swap two indices", ir.Sub(node.base, (parts[1], parts[0])))
            for other in sorted(bound):
                if len(names) == 1 and names[0].name != other:
                    put("another index", ir.Sub(node.base, tuple(ir.Name(other) if p == names[0] else p
                                                                  for p in parts)))
    return out


def rewrites(problem, root) -> list[tuple[str, object]]:
    """(rewrite, equivalent tree): expanded, factored, reordered, negated twice, other index letters."""
    out = [("minus a minus", ir.Neg(ir.Neg(root)))]
    if isinstance(root, ir.Add):
        out.append(("terms reordered", ir.Add(tuple(reversed(root.terms)))))
        out.append(("minus the negated terms", ir.Neg(ir.Add(tuple(ir.Neg(t) for t in root.terms)))))
    for position, node in enumerate(_nodes(root)):
        if isinstance(node, ir.Mul) and isinstance(node.right, ir.Add):   # a (b + c) = a b + a c
            expanded = ir.Add(tuple(ir.Mul(node.left, t, node.op) for t in node.right.terms))
            out.append(("expanded", _replace(root, position, expanded)))
            break
    for position, node in enumerate(_nodes(root)):
        if isinstance(node, ir.Mul) and isinstance(node.left, ir.Num):   # 2 a = a + a
            out.append(("a sum for a factor", _replace(root, position, ir.Add((node.right,) * int(float(node.left.text)))
                                                       if node.left.text.isdigit() and int(node.left.text) < 4
                                                       else ir.Div(node.right, ir.Div(ir.Num("1"), node.left)))))
            break
    for position, node in enumerate(_nodes(root)):
        if isinstance(node, ir.Div) and node.num != ir.Num("1"):   # a / n = (1/n) a
            out.append(("factored", _replace(root, position, ir.Mul(ir.Div(ir.Num("1"), node.den), node.num))))
            break
    bound = sorted(_bound(root))
    if bound:
        used = {n.name for n in _nodes(root) if isinstance(n, ir.Name)} | set(bound)
        spare = [c for c in "abcgqrstuvz" if c not in used]
        for shift in range(2):
            renaming = dict(zip(bound, spare[shift:] + spare[:shift]))
            out.append(("other index letters", _rename_everywhere(root, renaming)))
    return out


# -- claims --------------------------------------------------------------------------------------

def _head_variants(problem, head: str) -> list[tuple[str, str]]:
    """The head as written, as \\nabla, and (single parameter, whole gradient) no head at all."""
    variants = [("head", head + " = ")]
    node = parse_document(head, "latex").items[0]
    if isinstance(node, ir.Deriv) and not isinstance(node.wrt, ir.Sub):
        variants.append(("nabla head", r"\nabla_{%s} %s = " % (latex_of(node.wrt), latex_of(node.of))))
        if len(problem.params) == 1:
            variants.append(("no head", ""))
    return variants


def _update(problem, head: str, right: str) -> str | None:
    """``w := w - \\eta (right)`` for a whole-parameter head."""
    node = parse_document(head, "latex").items[0]
    if not isinstance(node, ir.Deriv) or isinstance(node.wrt, ir.Sub):
        return None
    name = latex_of(node.wrt)
    return r"%s := %s - \eta \left(%s\right)" % (name, name, right)


def _value(problem, text: str, seed: int, sizes: dict):
    """The claim's value (and the truth's) at one point, read as the checker reads it."""
    pieces = checker._split_steps(text)
    notes, target, _ = checker._target_from_head(problem, pieces)
    if target is None:
        target = checker._gradient_target(problem, None)
    node = checker._parse_piece(pieces[-1][1], problem)
    node, identity, _, _ = checker._read_notation(problem, node, target.free or ())
    expr, axes, shape, _ = checker._lower(problem, node, target, identity)
    env = random_values(problem, seed, sizes, symmetric=False)
    concrete = tuple(int(d) if d.is_Integer else env[str(d)] for d in shape)
    expected = tuple(int(d) if d.is_Integer else env[str(d)] for d in target.shape)
    with np.errstate(all="ignore"):
        return entries(expr, axes, concrete, env), entries(target.expr, target.indices, expected, env)


def differs(problem, text: str) -> str:
    """``differs`` or ``equal`` (the claim against the truth at the filter's points), ``invalid`` (the
    claim's shapes or names do not fit: it is wrong, and not evaluable) or ``not finite``."""
    try:
        for sizes in FILTER_SIZES:
            for seed in FILTER_SEEDS:
                claimed, truth = _value(problem, text, seed, sizes)
                if claimed.shape != truth.shape:
                    return "differs"
                if not (np.all(np.isfinite(claimed)) and np.all(np.isfinite(truth))):
                    return "not finite"
                scale = max(np.max(np.abs(truth), initial=0.0), 1e-12)
                if np.max(np.abs(claimed - truth), initial=0.0) > 1e-7 * scale:
                    return "differs"
    except symgd.SymgdError:
        return "invalid"
    except (ValueError, OverflowError, ZeroDivisionError):
        return "not finite"
    return "equal"


@dataclass
class Generated:
    """What :func:`generate` made: wrong claims (numerically, or with shapes that do not fit), correct
    rewrites, and how many candidates were dropped and why."""

    mutants: list
    invalid: list
    rewrites: list
    dropped: dict


def generate(names: tuple | None = None, slips_per_claim: int | None = None) -> Generated:
    """Mutants and rewrites of every correct claim of the losses called ``names`` (default: all)."""
    out = Generated([], [], [], {"mutant equal to the truth": 0, "mutant not finite": 0,
                                 "rewrite not equal (a generator bug)": 0, "derivation not readable": 0})
    for name, source in sources():
        if names is not None and name not in names:
            continue
        for problem, head, right in correct_claims(name, source):
            try:
                root = parse_document(right, "latex").items[0]
            except symgd.SymgdError:   # symgd's own output it cannot read back (\mathbb{1}[u > 0])
                out.dropped["derivation not readable"] += 1
                continue
            _mutate(out, name, source, problem, head, right, root, slips_per_claim)
            _rewrite(out, name, source, problem, head, right, root)
    return out


def _mutate(out: Generated, name, source, problem, head, right, root, limit) -> None:
    variants = _head_variants(problem, head)
    for count, (slip, tree) in enumerate(slips(problem, root)[:limit]):
        label, prefix = variants[count % len(variants)]
        mutant = latex_of(tree)
        verdict = differs(problem, prefix + mutant)
        if verdict == "invalid":
            out.invalid.append(Claim(source, prefix + mutant, slip, name))
        elif verdict != "differs":
            out.dropped["mutant equal to the truth" if verdict == "equal" else "mutant not finite"] += 1
        else:
            out.mutants.append(Claim(source, prefix + mutant, slip, name))
            # the same slip in a chain whose last line is right again: still wrong
            out.mutants.append(Claim(source, f"{head} = {mutant} = {right}", slip + " (a middle step)", name))
            update = _update(problem, head, mutant)
            if update is not None and count % 2 == 0:
                out.mutants.append(Claim(source, update, slip + " (in an update rule)", name))


def _rewrite(out: Generated, name, source, problem, head, right, root) -> None:
    variants = _head_variants(problem, head)
    candidates = [(label, prefix + right) for label, prefix in variants]
    candidates += [(kind, variants[0][1] + latex_of(tree)) for kind, tree in rewrites(problem, root)]
    candidates.append(("two-step chain", variants[0][1] + right + " = " + latex_of(ir.Neg(ir.Neg(root)))))
    for kind, text in candidates:
        if differs(problem, text) != "equal":
            out.dropped["rewrite not equal (a generator bug)"] += 1
            continue
        out.rewrites.append(Claim(source, text, kind, name))
    update = _update(problem, head, right)
    if update is not None:
        out.rewrites.append(Claim(source, update, "update rule", name))


_PROBLEMS: dict = {}


def judge(claim: Claim) -> str:
    """``correct``, ``incorrect``, ``refused`` (a SymgdError naming what it cannot read) or
    ``internal error``: what the checker says."""
    key = claim.source if isinstance(claim.source, str) else tuple(claim.source)
    if key not in _PROBLEMS:
        _PROBLEMS[key] = _problem(claim.source)
    try:
        return "correct" if symgd.check(_PROBLEMS[key], claim.text).ok else "incorrect"
    except symgd.InternalError:
        return "internal error"
    except symgd.SymgdError:
        return "refused"
