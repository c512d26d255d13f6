"""Rewrites for people, run before the matrix-form LaTeX printer (never before code).

Each rewrite keeps the value and changes only how the formula reads:

- transposes move down to the leaves through sums, scalings, broadcasts and matrix products
  (``(S - Θ^{-1})^T`` → ``S^T - Θ^{-T}``, ``(U V^T - R)^T U`` → ``(V U^T - R^T) U``), but not into
  elementwise functions, so one hidden layer ``tanh(W x^T)`` is spelled one way;
- matrix-vector products that share the vector are one product (``A x + A^T x`` → ``(A + A^T) x``,
  the reverse of what contraction planning does for speed);
- a coefficient shared by every term of a sum is written once (``½A + ½A^T`` → ``½(A + A^T)``);
- a negative multiple of a difference is the positive multiple of the reversed difference
  (``-c X^T (y - X w)`` → ``c X^T (X w - y)``);
- ``exp(A) ⊙ (Σ_axis exp(A))^{-1}`` is the softmax along the axis (the index form spells it out).
"""

from __future__ import annotations

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program rewritten for reading (same values)."""
    roots = ir.rewrite(program.roots, _push_transpose, memo="display_transpose")
    roots = ir.rewrite(roots, _regroup, memo="display_regroup")
    return program.with_roots(roots)


# -- transposes to the leaves ------------------------------------------------------------------

def _push_transpose(node: ir.Node) -> ir.Node:
    if isinstance(node, ir.Transpose) and len(node.shape) == 2:
        return transposed(node.arg)
    return node


def transposed(node: ir.Node) -> ir.Node:
    """``node^T`` (a matrix) with the transpose moved as far down as it reads well."""
    if isinstance(node, ir.Transpose):
        return node.arg
    if isinstance(node, ir.Identity):
        return node
    if isinstance(node, ir.Map) and node.op in ("add", "mul"):
        parts = [transposed(a) if a.shape else a for a in node.args]
        return ir.add(*parts) if node.op == "add" else ir.mul(*parts)
    if isinstance(node, ir.Broadcast):
        shape = node.shape[::-1]
        return ir.broadcast(node.arg, tuple(1 - axis for axis in node.axes), shape)
    if isinstance(node, ir.MatMul) and len(node.a.shape) == 2 and len(node.b.shape) == 2:
        return ir.matmul(transposed(node.b), transposed(node.a))
    return ir.transpose(node, (1, 0))


# -- declared symmetry ------------------------------------------------------------------------------

def with_symmetry(program: ir.Program, symmetric: frozenset) -> ir.Program:
    """S^T → S and (S^{-1})^T → S^{-1} for the matrices named in ``symmetric``, then like terms
    collected (½ Σ^{-1} S Σ^{-1} + ½ Σ^{-1} S^T Σ^{-1} is one term once S^T is S)."""
    def symmetric_input(node: ir.Node) -> bool:
        return isinstance(node, ir.Input) and str(getattr(node.symbol, "label", node.symbol)) in symmetric

    def symmetric_leaf(node: ir.Node) -> bool:
        if isinstance(node, ir.MatFn) and node.op == "inv":
            node = node.arg
        if isinstance(node, ir.Factor):   # X^T S X: its own transpose once S^T is S
            return node.definite or symmetric_input(node.arg) or canonical(transposed(node.arg)) == canonical(node.arg)
        return symmetric_input(node)

    def canonical(node: ir.Node) -> ir.Node:
        def leaves(node: ir.Node) -> ir.Node:
            if isinstance(node, ir.Transpose) and len(node.shape) == 2 and symmetric_input(node.arg):
                return node.arg
            return _left_associated(node) if isinstance(node, ir.MatMul) and len(node.shape) == 2 else node
        (rewritten,) = ir.rewrite((node,), leaves)
        return rewritten

    def rewrite(node: ir.Node) -> ir.Node:
        if isinstance(node, ir.Transpose) and len(node.shape) == 2 and symmetric_leaf(node.arg):
            return node.arg
        if isinstance(node, ir.MatMul) and len(node.shape) == 2:   # one association: terms compare equal
            node = _left_associated(node)
            return _scalars_in_front(node) if isinstance(node, ir.MatMul) else node
        if isinstance(node, ir.Map) and node.op == "add":
            return _like_terms_collected(node)
        return node
    return program.with_roots(ir.rewrite(program.roots, rewrite))


def _left_associated(node: ir.MatMul) -> ir.Node:
    factors: list = []
    pending = [node]
    while pending:
        part = pending.pop(0)
        if isinstance(part, ir.MatMul) and len(part.shape) == 2 and len(part.a.shape) == 2 and len(part.b.shape) == 2:
            pending[:0] = [part.a, part.b]
        else:
            factors.append(part)
    product = factors[0]
    for factor in factors[1:]:
        product = ir.matmul(product, factor)
    return product


def _like_terms_collected(node: ir.Map) -> ir.Node:
    coefficients: dict = {}
    for term in node.args:
        coefficient, rest = _coefficient(term)
        coefficients[rest] = coefficients.get(rest, 0) + coefficient
    if len(coefficients) == len(node.args):
        return node
    return ir.add(*(ir.mul(ir.const(c), rest) for rest, c in coefficients.items() if c != 0))


# -- regrouping -----------------------------------------------------------------------------------

def _regroup(node: ir.Node) -> ir.Node:
    if isinstance(node, ir.Map) and node.op == "add":
        return _common_coefficient(_common_kronecker_factor(_common_vector(node)))
    if isinstance(node, ir.MatMul):
        return _scalars_in_front(node)
    if isinstance(node, ir.Map) and node.op == "mul":
        return _flip_difference(_softmax(node))
    return node


def _coefficient(term: ir.Node):
    """(numeric coefficient, the rest) of a term."""
    if isinstance(term, ir.Map) and term.op == "mul" and isinstance(term.args[0], ir.Const):
        return term.args[0].value, ir.mul(*term.args[1:])
    return 1, term


def _scalar_part(term: ir.Node):
    """(the scalar factors, the array factor) of a term that is scalars times one array (or a scalar)."""
    factors = term.args if isinstance(term, ir.Map) and term.op == "mul" else (term,)
    arrays = [f for f in factors if f.shape]
    scalars = ir.mul(*(f for f in factors if not f.shape))
    if len(arrays) > 1:
        return None
    return scalars, (arrays[0] if arrays else ir.const(1))


def _common_vector(node: ir.Map) -> ir.Node:
    """c M_1 v + c M_2 v → c (M_1 + M_2) v, terms of one coefficient and one vector."""
    groups: dict = {}
    others = []
    for term in node.args:
        coefficient, rest = _coefficient(term)
        if isinstance(rest, ir.MatMul) and len(rest.a.shape) == 2 and len(rest.b.shape) == 1:
            groups.setdefault((coefficient, rest.b), []).append(rest.a)
        else:
            others.append(term)
    if all(len(matrices) == 1 for matrices in groups.values()):
        return node
    terms = [ir.mul(ir.const(c), ir.matmul(ir.add(*matrices), vector)) for (c, vector), matrices in groups.items()]
    return ir.add(*terms, *others)


def _scalars_in_front(node: ir.MatMul) -> ir.Node:
    """(c A) B → c (A B), A (c B) → c (A B)."""
    left, right = _scalar_part(node.a), _scalar_part(node.b)
    if left is None or right is None or left[0] is ir.const(1) and right[0] is ir.const(1):
        return node
    return ir.mul(left[0], right[0], ir.matmul(left[1], right[1]))


def _common_kronecker_factor(node: ir.Node) -> ir.Node:
    """c (A ⊗ B) + c (A ⊗ C) → c (A ⊗ (B + C)), and likewise for a shared right factor; terms of
    different scalar factors s, t keep them on the other side: A ⊗ (s B + t C)."""
    if not (isinstance(node, ir.Map) and node.op == "add"):
        return node
    for side in (0, 1):
        groups: dict = {}
        others = []
        for term in node.args:
            split = _scalar_part(term)
            if split is not None and isinstance(split[1], ir.Kron):
                scalars, product = split
                shared, other = (product.a, product.b) if side == 0 else (product.b, product.a)
                groups.setdefault(shared, []).append((scalars, other))
            else:
                others.append(term)
        if any(len(group) > 1 for group in groups.values()):
            return ir.add(*(_kron_of_group(shared, group, side) for shared, group in groups.items()), *others)
    return node


def _kron_of_group(shared: ir.Node, group: list, side: int) -> ir.Node:
    """Σ_t s_t (shared ⊗ B_t) as one Kronecker product (``side`` 1: shared on the right)."""
    common = {scalars for scalars, _ in group}
    if len(common) == 1:   # c (A ⊗ ΣB): the scalar in front
        scalars, rest = common.pop(), ir.add(*(other for _, other in group))
    else:
        scalars, rest = ir.const(1), ir.add(*(ir.mul(s, other) for s, other in group))
    return ir.mul(scalars, ir.kron(shared, rest) if side == 0 else ir.kron(rest, shared))


def _common_coefficient(node: ir.Node) -> ir.Node:
    """c a + c b → c (a + b) when every term has the same scalar factor c (not ±1)."""
    if not (isinstance(node, ir.Map) and node.op == "add"):
        return node
    split = [_scalar_part(term) for term in node.args]
    if any(part is None for part in split):
        return node
    magnitudes = {_coefficient(scalars)[1] for scalars, _ in split}
    values = {abs(_coefficient(scalars)[0]) for scalars, _ in split}
    if len(magnitudes) != 1 or len(values) != 1:
        return node
    common = ir.mul(ir.const(values.pop()), magnitudes.pop())
    if isinstance(common, ir.Const) and common.value == 1:
        return node
    signs = [1 if _coefficient(scalars)[0] > 0 else -1 for scalars, _ in split]
    return ir.mul(common, ir.add(*(ir.mul(ir.const(sign), array) for sign, (_, array) in zip(signs, split))))


def _flip_difference(node: ir.Map) -> ir.Node:
    """-c A (b - a) → c A (a - b): a negative multiple of something with a difference in it is the
    positive multiple with that difference reversed."""
    coefficient, rest = _coefficient(node)
    if coefficient >= 0:
        return node
    flipped = _negated(rest)
    if flipped is None:
        return node
    return ir.mul(ir.const(-coefficient), flipped)


def _negated(node: ir.Node):
    """-``node`` spelled by reversing one difference inside it (the rightmost), or None."""
    if isinstance(node, ir.Map) and node.op == "add":
        signs = [_coefficient(term)[0] < 0 for term in node.args]
        positive_numbers_only = all(isinstance(t, ir.Const) for t, negative in zip(node.args, signs) if not negative)
        if any(signs) and not all(signs) and not positive_numbers_only:   # 1 - σ(u) stays
            return ir.add(*(ir.neg(term) for term in node.args))
        return None
    if isinstance(node, (ir.MatMul, ir.Kron)):   # a product of two: either factor negated
        build = ir.matmul if isinstance(node, ir.MatMul) else ir.kron
        left, right = node.children()
        if (negated := _negated(right)) is not None:
            return build(left, negated)
        return build(negated, right) if (negated := _negated(left)) is not None else None
    if isinstance(node, ir.Broadcast):
        inner = _negated(node.arg)
        return ir.broadcast(inner, node.axes, node.shape) if inner is not None else None
    if isinstance(node, ir.Map) and node.op == "mul":
        for position in reversed(range(len(node.args))):
            inner = _negated(node.args[position])
            if inner is not None:
                return ir.mul(*node.args[:position], inner, *node.args[position + 1:])
    return None


# -- softmax --------------------------------------------------------------------------------------

def _softmax(node: ir.Map) -> ir.Node:
    """exp(A) ⊙ (Σ_axis exp(A))^{-1}, the normaliser repeated along the axis, → softmax(A) along it."""
    for normaliser in node.args:
        found = _normalised(normaliser, node.shape)
        if found is None:
            continue
        exponential, axis = found
        if exponential in node.args:
            rest = [f for f in node.args if f is not normaliser and f is not exponential]
            return ir.mul(ir.softmax(exponential.args[0], axis), *rest)
    return node


def _normalised(factor: ir.Node, shape: tuple):
    """(exp(A), axis) when ``factor`` is 1 / Σ_axis exp(A) broadcast back along that axis; else None."""
    inner = factor.arg if isinstance(factor, ir.Broadcast) else factor
    if not (isinstance(inner, ir.Map) and inner.op == "pow" and inner.param == -1):
        return None
    total = inner.args[0]
    if not (isinstance(total, ir.Reduce) and total.op == "sum" and len(total.axes) == 1):
        return None
    exponential = total.arg
    if not (isinstance(exponential, ir.Map) and exponential.op == "exp" and exponential.shape == shape):
        return None
    (axis,) = total.axes
    kept = tuple(p for p in range(len(shape)) if p != axis)
    if (factor.axes if isinstance(factor, ir.Broadcast) else ()) != kept:
        return None
    return exponential, axis
