"""Contraction planning: each ``Contract`` becomes BLAS calls where one fits.

* a lone operand that is a product of two arrays is two operands (Σ_i z_i y_i is ``z @ y``);
* operands over the same axes are multiplied first (unless they are the only two: a row-wise dot
  product is an einsum, without a temporary), axes only one operand has are summed first;
* an operand of rank 3 or more that is a sum of broadcasts (P_ab - δ_ac) is distributed: one
  contraction per term, each over fewer axes;
* with more than two operands, one whose axes are a subset of another's is multiplied into it
  (Σ_i s_i X_ik X_il is ``X.T @ (s[:, None] * X)``, the Gram form of a Hessian); if more than two
  remain, operands over output axes only leave the sum, and the rest, sharing one summed axis, form
  two groups and one two-operand contraction (a GEMM; einsum's own planning would loop);
* a pair over one shared summed axis is a ``MatMul`` (with transposes, which NumPy gives as views);
  a pair with no summed axis is an elementwise product with broadcasting; a sum of squares of a
  vector is ``r @ r``;
* what is left stays a ``Contract``, which the printer writes as ``np.einsum(..., optimize=True)``.
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with contractions planned."""
    return program.with_roots(ir.rewrite(program.roots, _rule))


def _rule(node: ir.Node) -> ir.Node:
    if not isinstance(node, ir.Contract):
        return node
    dims = {c: d for spec, a in zip(node.specs, node.args) for c, d in zip(spec, a.shape)}
    return _plan(_split_products(list(zip(node.args, node.specs))), node.out, dims)


def _split_products(operands: list) -> list:
    """A lone operand that is a product of two arrays of its shape is two operands: Σ_i z_i y_i is
    ``z @ y``, without the temporary ``z * y``."""
    if len(operands) != 1:
        return operands
    ((arg, spec),) = operands
    if isinstance(arg, ir.Map) and arg.op == "mul" and len(arg.args) == 2 \
            and all(f.shape == arg.shape and not isinstance(f, ir.Broadcast) for f in arg.args):
        return [(factor, spec) for factor in arg.args]
    return operands


def _plan(operands: list, out: str, dims: dict) -> ir.Node:
    distributed = _distribute_broadcast_sum(operands, out, dims)
    if distributed is not None:
        return distributed
    if len(operands) == 2 and set(operands[0][1]) == set(operands[1][1]):
        (a, sa), (b, sb) = operands
        if len(sa) == 1 and not out:
            return ir.matmul(a, b)
        if set(sa) - set(out):   # Σ_k X_ik Y_ik: einsum, without the n×d temporary X * Y
            return ir.contract([a, b], [sa, sb], out, dims)
    operands = _merge_equal_axes(operands)
    if len(operands) == 1:
        arg, spec = operands[0]
        if len(spec) == 1 and not out and _is_square(arg):   # Σ_i r_i^2 = r @ r
            return ir.matmul(arg.args[0], arg.args[0])
        summed = [n for n, c in enumerate(spec) if c not in out]
        kept = "".join(c for c in spec if c in out)
        node = ir.reduce("sum", arg, summed) if summed else arg
        return ir.transpose(node, [kept.index(c) for c in out])
    operands = [_sum_private_axes(n, operands, out) for n in range(len(operands))]
    while len(operands) > 2:
        folded = _fold_subset(operands)
        if folded is None:
            return _outside_and_two_groups(operands, out, dims)
        operands = folded
    (a, sa), (b, sb) = operands
    return _pair(a, sa, b, sb, out, dims)


def _distribute_broadcast_sum(operands: list, out: str, dims: dict) -> ir.Node | None:
    """Σ (B + C) ... with B, C broadcasts of smaller arrays (P_ab - δ_ac in a softmax Hessian) is
    Σ B ... + Σ C ...: each term's contraction has fewer axes (δ_ac leaves the sum entirely) and
    the rank-3 sum is never built. Only for operands of rank 3 or more."""
    for position, (arg, spec) in enumerate(operands):
        if len(operands) < 2 or len(spec) < 3 or not (isinstance(arg, ir.Map) and arg.op == "add") \
                or all(_unbroadcast(term, spec)[1] == spec for term in arg.args):
            continue
        results = []
        for term in arg.args:
            replaced = list(operands)
            replaced[position] = _unbroadcast(term, spec)
            results.append(_plan(replaced, out, dims))
        return ir.add(*results)
    return None


def _unbroadcast(term: ir.Node, spec: str) -> tuple:
    """(the array a broadcast, or a number times one, repeats; its letters); other terms as they are."""
    if isinstance(term, ir.Map) and term.op == "mul" and len(term.args) == 2 \
            and isinstance(term.args[0], ir.Const) and isinstance(term.args[1], ir.Broadcast):
        inner, letters = _unbroadcast(term.args[1], spec)
        return ir.mul(term.args[0], inner), letters
    if isinstance(term, ir.Broadcast):
        return term.arg, "".join(spec[p] for p in term.axes)
    return term, spec


def _outside_and_two_groups(operands: list, out: str, dims: dict) -> ir.Node:
    """Three or more operands that no subset rule joins. Operands over output axes only leave the
    sum (δ_ac Σ_b ... = δ_ac ⊙ Σ_b ...); the rest, when they share their one summed axis, become two
    groups multiplied elementwise and one two-operand contraction (a GEMM over the summed axis, as in
    a hand-written softmax Hessian); else one ``np.einsum``, whose own planning refuses large
    intermediates and loops over every axis."""
    outside = [(a, s) for a, s in operands if set(s) <= set(out)]
    inside = [(a, s) for a, s in operands if not set(s) <= set(out)]
    if outside:
        if not inside:
            return ir.mul(*(_align(a, s, out, dims) for a, s in outside))
        inner_out = "".join(c for c in out if any(c in s for _, s in inside))
        inner = _plan(inside, inner_out, dims)
        return ir.mul(*(_align(a, s, out, dims) for a, s in outside), _align(inner, inner_out, out, dims))
    letters = set("".join(s for _, s in operands))
    summed = letters - set(out)
    common = set.intersection(*(set(s) for _, s in operands))
    if len(summed) != 1 or not summed <= common:
        return ir.contract([a for a, _ in operands], [s for _, s in operands], out, dims)
    first, second = min(_bipartitions(len(operands)), key=lambda split: _split_cost(split, operands, out, dims))
    groups = [_group([operands[n] for n in members], dims) for members in (first, second)]
    return ir.contract([g for g, _ in groups], [s for _, s in groups], out, dims)


def _bipartitions(count: int) -> list:
    """Every split of range(count) into two non-empty groups, the first holding 0."""
    splits = []
    for mask in range(1, 2 ** (count - 1)):
        chosen = {0} | {n for n in range(1, count) if mask >> (n - 1) & 1}
        if len(chosen) < count:
            splits.append((sorted(chosen), [n for n in range(count) if n not in chosen]))
    return splits


def _split_cost(split: tuple, operands: list, out: str, dims: dict) -> tuple:
    """Smallest largest group first; then groups whose output axes have distinct dimensions (K x d
    per sample rather than d x d: the two halves of a Hessian's Kronecker structure)."""
    ranks, repeats = [], 0
    for members in split:
        letters = set("".join(operands[n][1] for n in members))
        kept = [dims[c] for c in letters if c in out]
        ranks.append(len(letters))
        repeats += len(kept) - len(set(kept))
    return max(ranks), repeats, sum(ranks)


def _group(members: list, dims: dict) -> tuple:
    """The elementwise product of ``members`` over the union of their letters."""
    letters = "".join(dict.fromkeys("".join(s for _, s in members)))
    return ir.mul(*(_align(a, s, letters, dims) for a, s in members)), letters


def _is_square(node: ir.Node) -> bool:
    return isinstance(node, ir.Map) and node.op == "pow" and node.param == 2


def _align(arg: ir.Node, spec: str, target: str, dims: dict) -> ir.Node:
    present = [c for c in target if c in spec]
    node = ir.transpose(arg, [spec.index(c) for c in present])
    return ir.broadcast(node, [target.index(c) for c in present], tuple(dims[c] for c in target))


def _merge_equal_axes(operands: list) -> list:
    groups: dict = {}
    for arg, spec in operands:
        groups.setdefault(frozenset(spec), []).append((arg, spec))
    if len(groups) == len(operands):
        return operands
    merged = []
    for group in groups.values():
        spec = group[0][1]
        merged.append((ir.mul(*(ir.transpose(a, [s.index(c) for c in spec]) for a, s in group)), spec))
    return merged


def _sum_private_axes(position: int, operands: list, out: str):
    """Axes of an operand that no other operand and not the output has are summed at once."""
    arg, spec = operands[position]
    others = "".join(s for n, (_, s) in enumerate(operands) if n != position) + out
    private = [n for n, c in enumerate(spec) if c not in others]
    if not private:
        return arg, spec
    return ir.reduce("sum", arg, private), "".join(c for n, c in enumerate(spec) if n not in private)


def _fold_subset(operands: list):
    """Multiply the operand of lowest rank whose axes another operand also has into that one."""
    order = sorted(range(len(operands)), key=lambda n: len(operands[n][1]))
    for small in order:
        arg, spec = operands[small]
        targets = [n for n in range(len(operands)) if n != small and set(spec) <= set(operands[n][1])]
        if not targets:
            continue
        target = max(targets, key=lambda n: (len(operands[n][1]), n))
        big, big_spec = operands[target]
        dims = dict(zip(big_spec, big.shape))
        product = ir.mul(_align(arg, spec, big_spec, dims), big)
        return [(product, big_spec) if n == target else operands[n] for n in range(len(operands)) if n != small]
    return None


def _pair(a: ir.Node, sa: str, b: ir.Node, sb: str, out: str, dims: dict) -> ir.Node:
    summed = [c for c in dict.fromkeys(sa + sb) if c not in out]
    if not summed:   # an elementwise (outer or Hadamard) product
        return ir.mul(_align(a, sa, out, dims), _align(b, sb, out, dims))
    shared = set(sa) & set(sb)
    if len(summed) == 1 and shared == set(summed) and len(sa) <= 2 and len(sb) <= 2:
        return _matmul(a, sa, b, sb, summed[0], out)
    return ir.contract([a, b], [sa, sb], out, dims)


def _matmul(a: ir.Node, sa: str, b: ir.Node, sb: str, s: str, out: str) -> ir.Node:
    """Σ_s a b as ``@``: the matrix on the left of a vector, the summed axis inner."""
    if len(sa) < len(sb) or (len(sa) == len(sb) == 2 and out and out[0] not in sa):
        a, sa, b, sb = b, sb, a, sa
    left = ir.transpose(a, [sa.index(c) for c in sa if c != s] + [sa.index(s)])
    right = ir.transpose(b, [sb.index(s)] + [sb.index(c) for c in sb if c != s])
    result_spec = "".join(c for c in sa if c != s) + "".join(c for c in sb if c != s)
    return ir.transpose(ir.matmul(left, right), [result_spec.index(c) for c in out])
