"""Contraction planning: each ``Contract`` becomes BLAS calls where one fits.

* a lone operand that is a product of two arrays is two operands (Σ_i z_i y_i is ``z @ y``);
* operands over the same axes are multiplied first (unless they are the only two: a row-wise dot
  product is an einsum, without a temporary), axes only one operand has are summed first;
* an operand of rank 3 or more that is a sum of broadcasts (P_ab - δ_ac) is distributed: one
  contraction per term, each over fewer axes;
* with more than two operands, one whose axes are a subset of another's is multiplied into it
  (Σ_i s_i X_ik X_il is ``X.T @ (s[:, None] * X)``, the Gram form of a Hessian), into a computed
  array rather than an argument where both fit (``((1 - h^2) * r) @ x``, not ``(1 - h^2) @ (r * x)``); if more than two
  remain, operands over output axes only leave the sum, and the rest, sharing one summed axis, form
  two groups and one two-operand contraction (a GEMM; einsum's own planning would loop);
* a pair over one shared summed axis is a ``MatMul`` (with transposes, which NumPy gives as views);
  a pair with no summed axis is an elementwise product with broadcasting; a sum of squares of a
  vector is ``r @ r``, of a matrix ``np.vdot(R, R)``;
* what is left stays a ``Contract``, which the printer writes as ``np.einsum(..., optimize=True)``.

Products the function computes anyway are reused (a second planning round): once every contraction
is planned, a contraction of which two operands form a product that another part of the function
already holds (up to scalar factors) contracts that product instead. Σ_i y_i x_i^T w is ``y @ z``
when z = ``x @ w`` feeds exp(z) anyway, not ``w @ (x.T @ y)``, a second pass over x; Σ_i x_i^T w is
``np.sum(z)``, not ``w @ x.sum(axis=0)``.
"""

from __future__ import annotations

import itertools

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with contractions planned (products computed elsewhere reused)."""
    planned = ir.rewrite(program.roots, _rule, memo="contract")
    available = _products(planned)
    if not available:
        return program.with_roots(planned)
    done: dict = {}
    for node in ir.postorder(program.roots):
        rebuilt = ir.rebuild(node, [done[id(c)] for c in node.children()])
        done[id(node)] = _rule(rebuilt, available, _flattened(node, done))
    return program.with_roots(tuple(done[id(r)] for r in program.roots))


def _rule(node: ir.Node, available: dict | None = None, flattened: list | None = None) -> ir.Node:
    if not isinstance(node, ir.Contract):
        return node
    dims = {c: d for spec, a in zip(node.specs, node.args) for c, d in zip(spec, a.shape)}
    operands = _split_products(list(zip(node.args, node.specs)))
    planned = _plan(operands, node.out, dims)
    if available is None:
        return planned
    own = {id(n) for n in ir.postorder([planned])} - {id(n) for n in ir.postorder([a for a, _ in operands])}
    elsewhere = {key: value for key, value in available.items() if id(value[0]) not in own}
    for candidate in (flattened, operands):
        if candidate and len(candidate) >= 2:
            letters = {c: d for a, spec in candidate for c, d in zip(spec, a.shape)}
            reused = _reuse(candidate, node.out, letters, elsewhere)
            if reused is not None and _einsums(reused) <= _einsums(planned):
                return reused
    return planned


def _einsums(node: ir.Node) -> int:
    """How many contractions of the plan are left to ``np.einsum`` (no BLAS call fitted)."""
    return sum(isinstance(n, ir.Contract) for n in ir.postorder([node]))


def _flattened(node: ir.Node, done: dict) -> list | None:
    """The operands of a contraction with its operands that are contractions themselves opened
    (their summed letters renamed apart), as rewritten in ``done``; None when none is."""
    if not isinstance(node, ir.Contract) or not any(isinstance(a, ir.Contract) for a in node.args):
        return None
    used = set("".join(node.specs) + node.out)
    fresh = (c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    operands = []
    for arg, spec in zip(node.args, node.specs):
        if not isinstance(arg, ir.Contract):
            operands.append((done[id(arg)], spec))
            continue
        operands += [(done[id(inner)], inner_spec) for inner, inner_spec in ir.opened(arg, spec, fresh)]
    return operands


# -- reuse of products computed elsewhere -----------------------------------------------------

def _products(roots) -> dict:
    """id(product without scalar factors) -> (product, its scalar factor, the stripped product):
    every ``MatMul`` and two-operand ``Contract`` of the planned graph."""
    found: dict = {}
    for node in ir.postorder(roots):
        if isinstance(node, ir.MatMul) or isinstance(node, ir.Contract) and len(node.args) == 2:
            stripped, coefficient = _strip(node)
            found.setdefault(id(stripped), (node, coefficient, stripped))
    return found


def _strip(node: ir.Node) -> tuple:
    """(the product with numbers factored out of its operands, their product): x @ -w is -(x @ w)."""
    parts = [_numeric_factor(child) for child in node.children()]
    coefficient = 1
    for _, number in parts:
        coefficient *= number
    if coefficient == 1:
        return node, coefficient
    return ir.rebuild(node, [part for part, _ in parts]), coefficient


def _numeric_factor(node: ir.Node) -> tuple:
    if isinstance(node, ir.Map) and node.op == "mul" and isinstance(node.args[0], ir.Const):
        return ir.mul(*node.args[1:]), node.args[0].value
    return node, 1


def _reuse(operands: list, out: str, dims: dict, available: dict) -> ir.Node | None:
    """The contraction planned around a pair of operands whose product is ``available``, or None."""
    for first, second in itertools.combinations(range(len(operands)), 2):
        (a, sa), (b, sb) = operands[first], operands[second]
        rest = [operands[n] for n in range(len(operands)) if n not in (first, second)]
        letters = list(dict.fromkeys(sa + sb))
        needed = [c for c in letters if c in out or any(c in s for _, s in rest)]
        optional = [c for c in letters if c not in needed]
        for extra in _subsets(optional):
            kept = needed + list(extra)
            if not set(sa) & set(sb) - set(kept):
                continue   # no summed axis joins the pair: not a product
            for order in itertools.permutations(kept):
                spec = "".join(order)
                found = _lookup(_plan([(a, sa), (b, sb)], spec, dims), available)
                if found is not None:   # contraction is linear: the number goes outside
                    product, number = found
                    return ir.mul(ir.const(number), _plan(rest + [(product, spec)], out, dims))
    return None


def _subsets(letters: list):
    for size in range(len(letters) + 1):
        yield from itertools.combinations(letters, size)


def _lookup(candidate: ir.Node, available: dict) -> tuple | None:
    """(an available product, a number) whose product is ``candidate``, or None."""
    stripped, coefficient = _strip(candidate)
    entry = available.get(id(stripped))
    if entry is None:
        return None
    node, its_coefficient, _ = entry
    return node, coefficient / its_coefficient


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
        if not out and _is_square(arg):   # Σ_ij R_ij^2: one dot product (np.vdot), no squared copy
            return ir.contract([arg.args[0], arg.args[0]], [spec, spec], "", dims)
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
        plans = []
        for term in arg.args:
            replaced = list(operands)
            replaced[position] = _unbroadcast(term, spec)
            plans.append(replaced)
        if any(set(out) - {c for _, s in replaced for c in s} for replaced in plans):
            continue   # a term broadcast along a kept axis no other operand has: its sum would lose that axis
        return ir.add(*(_plan(replaced, out, dims) for replaced in plans))
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
        # into a computed array rather than an argument: the product then works in a temporary
        # (NumPy reuses it) instead of making a data-sized copy of the argument
        target = max(targets, key=lambda n: (len(operands[n][1]), not _is_argument(operands[n][0]), n))
        big, big_spec = operands[target]
        dims = dict(zip(big_spec, big.shape))
        product = ir.mul(_align(arg, spec, big_spec, dims), big)
        return [(product, big_spec) if n == target else operands[n] for n in range(len(operands)) if n != small]
    return None


def _is_argument(node: ir.Node) -> bool:
    """An input, or a view of one (a transpose or broadcast of an input)."""
    while isinstance(node, (ir.Transpose, ir.Broadcast)):
        node = node.arg
    return isinstance(node, ir.Input)


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
