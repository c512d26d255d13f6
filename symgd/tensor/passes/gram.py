"""Kronecker-structured Hessians as weighted Gram blocks, their symmetry used.

The Hessian of a matrix parameter over per-sample data has the form Σ_a x_a x_a^T ⊗ S_a: softmax
regression's is Σ_a c_a x_a x_a^T ⊗ (diag(p_a) - p_a p_a^T). Lifted, it is a sum of contractions
over four output axes, each of which pairs the same data matrix twice, X_ap X_aq, with weights
R_t(r, s, a) over the two other axes and the sample axis a. The contraction planner would compute
each term as one GEMM over (n, d·K) operands it builds first (two n × d × K temporaries, both halves
of a symmetric result). This pass gathers the terms into one ``GramBlocks`` node instead: the weights
summed into one K × L × n array (the terms carrying δ_rs into a K × n diagonal part, no identity
broadcast), and block (r, s) is X^T diag(S_rs) X, one weighted Gram product in one reused n × d buffer;
when every term without δ_rs is symmetric under r ↔ s (a product such as c_a p_ra p_sa), only
the blocks r ≤ s are computed and the others are their transposes: half the flops of the GEMM.

Terms are read through sums, products, broadcasts, transposes and nested contractions, and through
``GramBlocks`` nodes made below (the rewrite runs operands first, so a sum of two Kronecker terms
merges into one node). Anything else (no data pair, weights that use the Gram axes, repeated
letters) leaves the node to contraction planning.
"""

from __future__ import annotations

from symgd.tensor import ir

_NODE_LETTERS = "ABCD"
_FRESH = "abcdefghijklmnopqrstuvwxyzEFGHIJKLMNOPQRSTUVWXYZ"
_MAX_TERMS = 16


def run(program: ir.Program) -> ir.Program:
    """The program with Kronecker-structured rank-4 sums as ``GramBlocks``."""
    return program.with_roots(ir.rewrite(program.roots, _gram_or_node))


def _gram_or_node(node: ir.Node) -> ir.Node:
    if len(node.shape) != 4 or isinstance(node, (ir.Input, ir.GramBlocks)):
        return node
    fresh = iter(_FRESH)
    try:
        terms = _terms(node, _NODE_LETTERS, fresh)
    except StopIteration:   # more summed letters than an einsum spec has
        return node
    if not terms:
        return node
    return _as_gram_blocks(node, terms) or node


# -- a node as a sum of products of (operand, letters) ------------------------------------------

def _terms(node: ir.Node, letters: str, fresh) -> list | None:
    """[(scalar factors, [(operand, letters), ...]), ...] whose sum over the letters missing from
    ``letters`` is ``node`` (its axes labelled ``letters``); None past ``_MAX_TERMS``."""
    if not node.shape:
        return [([node], [])]
    if isinstance(node, ir.Map) and node.op == "add" and _opened(node, letters):
        out: list = []
        for term in node.args:
            part = _terms(term, letters, fresh)
            if part is None or len(out) + len(part) > _MAX_TERMS:
                return None
            out += part
        return out
    if isinstance(node, ir.Map) and node.op == "mul":
        out = [([], [])]
        for factor in node.args:
            part = _terms(factor, letters if factor.shape else "", fresh)
            if part is None or len(out) * len(part) > _MAX_TERMS:
                return None
            out = [(s1 + s2, o1 + o2) for s1, o1 in out for s2, o2 in part]
        return out
    if isinstance(node, ir.Broadcast):
        return _terms(node.arg, "".join(letters[p] for p in node.axes), fresh)
    if isinstance(node, ir.Transpose):
        inner = [""] * len(letters)
        for position, old in enumerate(node.perm):
            inner[old] = letters[position]
        return _terms(node.arg, "".join(inner), fresh)
    if isinstance(node, ir.Contract):
        return _contract_terms(node, letters, fresh)
    if isinstance(node, ir.GramBlocks):
        return _gram_terms(node, letters, fresh)
    return [([], [(node, letters)])]


def _opened(node: ir.Map, letters: str) -> bool:
    """Whether a sum is split into its terms: a sum over three or more axes (the Hessian's terms, a
    sum of broadcasts such as P_ab - δ_ac) or one holding a δ; a sum over the sample and block
    axes only (tanh² - 1) stays one factor of the weights."""
    return len(letters) >= 3 or any(isinstance(n, ir.Identity) for n in ir.postorder([node]))


def _contract_terms(node: ir.Contract, letters: str, fresh) -> list | None:
    rename = dict(zip(node.out, letters))
    for spec in node.specs:
        for letter in spec:
            if letter not in rename:
                rename[letter] = next(fresh)
    out = [([], [])]
    for arg, spec in zip(node.args, node.specs):
        part = _terms(arg, "".join(rename[c] for c in spec), fresh)
        if part is None or len(out) * len(part) > _MAX_TERMS:
            return None
        out = [(s1 + s2, o1 + o2) for s1, o1 in out for s2, o2 in part]
    return out


def _gram_terms(node: ir.GramBlocks, letters: str, fresh) -> list | None:
    """A ``GramBlocks`` read back as terms, its weights opened (their symmetry is seen again)."""
    k, i, m, j = letters
    a = next(fresh)
    pair = [(node.x, a + i), (node.x, a + j)]
    out = []
    if node.weights is not None:
        weights = _terms(node.weights, k + m + a, fresh)
        if weights is None:
            return None
        out += [(scalars, pair + operands) for scalars, operands in weights]
    if node.diagonal is not None:
        diagonal = _terms(node.diagonal, k + a, fresh)
        if diagonal is None:
            return None
        delta = (ir.identity(node.shape[0]), k + m)
        out += [(scalars, pair + operands + [delta]) for scalars, operands in diagonal]
    return out if len(out) <= _MAX_TERMS else None


# -- the match ---------------------------------------------------------------------------------

def _as_gram_blocks(node: ir.Node, terms: list) -> ir.Node | None:
    """``GramBlocks`` (transposed to the node's axes) when every term pairs one data matrix twice
    over two of the node's axes and a summed sample axis; None otherwise."""
    dims = dict(zip(_NODE_LETTERS, node.shape))
    for _, operands in terms:
        for arg, spec in operands:
            if len(set(spec)) != len(spec):
                return None   # a diagonal read (A_kk): left to the planner
            dims.update(zip(spec, arg.shape))
    for data, transposed, gram_letters in _candidates(terms[0][1]):
        split = [_split(operands, data, transposed, gram_letters) for _, operands in terms]
        if all(part is not None for part in split):
            return _build(node, terms, split, data, transposed, gram_letters, dims)
    return None


def _candidates(operands: list) -> list:
    """(matrix, whether its samples are its columns, the two node letters of its other axis) for
    each matrix that appears twice with one summed letter in common."""
    found = []
    for first in range(len(operands)):
        for second in range(first + 1, len(operands)):
            (a, sa), (b, sb) = operands[first], operands[second]
            if a is not b or len(sa) != 2 or sa[0] != sb[0] and sa[1] != sb[1]:
                continue
            position = 0 if sa[0] == sb[0] else 1
            sample, p, q = sa[position], sa[1 - position], sb[1 - position]
            if sample not in _NODE_LETTERS and p in _NODE_LETTERS and q in _NODE_LETTERS and p != q:
                found.append((a, position == 1, frozenset((p, q))))
    return found


def _split(operands: list, data: ir.Node, transposed: bool, gram_letters: frozenset):
    """(the sample letter, the other operands) of a term holding ``data`` twice over the Gram
    letters; None when it does not, or when the other operands use a Gram letter."""
    position = 1 if transposed else 0
    pair = [n for n, (arg, spec) in enumerate(operands)
            if arg is data and len(spec) == 2 and spec[1 - position] in gram_letters
            and spec[position] not in _NODE_LETTERS]
    for first in pair:
        for second in pair:
            s1, s2 = operands[first][1], operands[second][1]
            if first < second and s1[position] == s2[position] and s1[1 - position] != s2[1 - position]:
                rest = [o for n, o in enumerate(operands) if n not in (first, second)]
                if not any(set(spec) & gram_letters for _, spec in rest):
                    return s1[position], rest
    return None


def _build(node, terms, split, data, transposed, gram_letters, dims) -> ir.Node | None:
    block_letters = [c for c in _NODE_LETTERS if c not in gram_letters]
    r, s = block_letters                     # the first block axis pairs with the first data axis
    p, q = [c for c in _NODE_LETTERS if c in gram_letters]
    if not _varies(split, r, s):
        return None
    weights, diagonal, symmetric = [], [], dims[r] == dims[s]
    for (scalars, _), (sample, rest) in zip(terms, split):
        delta = next((n for n, (arg, spec) in enumerate(rest) if isinstance(arg, ir.Identity) and set(spec) == {r, s}),
                     None)
        if delta is not None:
            others = [(arg, spec.replace(s, r)) for n, (arg, spec) in enumerate(rest) if n != delta]
            part = _contract(others, r + sample, dims)
            if part is None:
                return None
            diagonal.append(ir.mul(*scalars, part))
            continue
        part = _contract(rest, r + s + sample, dims)
        if part is None:
            return None
        weights.append(ir.mul(*scalars, part))
        symmetric = symmetric and _symmetric(rest, r, s)
    x = ir.transpose(data, (1, 0)) if transposed else data
    blocks = ir.gram_blocks(x, _sum(weights), _sum(diagonal), symmetric)
    layout = r + p + s + q
    return ir.transpose(blocks, [layout.index(c) for c in _NODE_LETTERS])


def _varies(split: list, r: str, s: str) -> bool:
    """Whether the weights vary along the samples and along a block axis (beyond a δ): otherwise
    every block is one Gram matrix (X^T X ⊗ B), computed once by contraction planning."""
    samples = blocks = False
    for sample, rest in split:
        letters = set("".join(spec for arg, spec in rest if not isinstance(arg, ir.Identity)))
        samples = samples or sample in letters
        blocks = blocks or bool(letters & {r, s})
    return samples and blocks


def _contract(operands: list, out: str, dims: dict) -> ir.Node | None:
    """The operands' product summed to the letters ``out`` (broadcast along those no operand has:
    weights constant across samples); None when a spec repeats a letter."""
    if any(len(set(spec)) != len(spec) for _, spec in operands):
        return None
    letters = set("".join(spec for _, spec in operands))
    present = "".join(c for c in out if c in letters)
    shape = tuple(dims[c] for c in out)
    if not operands:
        return ir.broadcast_to(ir.const(1), shape)
    if len(operands) == 1 and len(operands[0][1]) == len(present):
        arg, spec = operands[0]
        value = ir.transpose(arg, [spec.index(c) for c in present])
    else:
        canonical = {c: _FRESH[n] for n, c in enumerate(dict.fromkeys(present + "".join(s for _, s in operands)))}
        def renamed(spec):
            return "".join(canonical[c] for c in spec)
        value = ir.contract([a for a, _ in operands], [renamed(spec) for _, spec in operands], renamed(present),
                            {canonical[c]: dims[c] for c in canonical})
    return ir.broadcast(value, [out.index(c) for c in present], shape)


def _symmetric(operands: list, r: str, s: str) -> bool:
    """Whether swapping the block letters r and s maps the product's factors onto themselves."""
    swap = str.maketrans({r: s, s: r})
    def key(items):
        return sorted((id(arg), spec) for arg, spec in items)
    return key(operands) == key([(arg, spec.translate(swap)) for arg, spec in operands])


def _sum(parts: list) -> ir.Node | None:
    return ir.add(*parts) if parts else None
