"""Differentials of tensor-IR expressions and their transposition, each with the rule it uses.

``Forward`` writes d(node) in terms of the differentials of chosen leaves (one rule per node kind:
linearity, the product rule, the power rule, f'(u) ⊙ du for an elementwise function with f' taken
by SymPy from the primitive table's class, d log det A = tr(A^{-1} dA), ...). ``pull_back`` turns an
inner product ⟨G, E⟩, where E is linear in those differentials, into Σ ⟨G_c, dc⟩: the transposition
rules (a^T B dc = (B^T a)^T dc, tr(G^T A dB) = tr((A^T G)^T dB), ⟨G, a ⊙ du⟩ = ⟨a ⊙ G, du⟩, ...).
That is reverse-mode differentiation written as a person does it on paper. Both record the names of
the rules they used, in LaTeX.
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p

from symgd.errors import UnsupportedError
from symgd.functions import PRIMITIVES
from symgd.tensor import ir
from symgd.tensor.lift import Builder
from symgd.tensor.passes import contract as contraction

D = r"\mathrm{d}"

# The rules, by name, as a textbook states them (LaTeX).
RULES = {
    "sum": rf"{D}(a + b) = {D}a + {D}b",
    "constant": rf"{D}(c\,a) = c\,{D}a \text{{ for a constant }} c",
    "data": r"\text{data and constants have zero differential}",
    "product": rf"{D}(a \odot b) = {D}a \odot b + a \odot {D}b",
    "power": rf"{D}(u^{{\odot p}}) = p\,u^{{\odot (p-1)}} \odot {D}u",
    "function": rf"{D}f(u) = f'(u) \odot {D}u",
    "step": rf"{D}\,\mathbb{{1}}[u > 0] = 0 \text{{ away from }} u = 0",
    "matmul": rf"{D}(AB) = {D}A\,B + A\,{D}B",
    "contract": rf"{D}\sum a\,b = \sum {D}a\,b + \sum a\,{D}b",
    "reduce": rf"{D}(\mathbf{{1}}^\top u) = \mathbf{{1}}^\top {D}u",
    "logsumexp": rf"{D}\operatorname{{logsumexp}}(u) = \operatorname{{softmax}}(u)^\top {D}u",
    "broadcast": rf"{D}(u\mathbf{{1}}^\top) = {D}u\,\mathbf{{1}}^\top",
    "transpose": rf"{D}(A^\top) = ({D}A)^\top",
    "diagonal": rf"{D}\operatorname{{diag}}(A) = \operatorname{{diag}}({D}A)",
    "softmax": rf"{D}s = s \odot ({D}u - \mathbf{{1}}(s^\top {D}u)),\ s = \operatorname{{softmax}}(u)",
    "inv": rf"{D}(A^{{-1}}) = -A^{{-1}}\,{D}A\,A^{{-1}}",
    "det": rf"{D}\det A = \det A\,\operatorname{{tr}}(A^{{-1}}{D}A)",
    "logdet": rf"{D}\log\det A = \operatorname{{tr}}(A^{{-1}}{D}A)",
    "maxabs": rf"{D}\left\|v\right\|_\infty = \operatorname{{sign}}(v_{{i^*}})\,{D}v_{{i^*}},"
              rf"\ |v_{{i^*}}| = \max_i |v_i|",
    "nuc": rf"{D}\left\|X\right\|_* = \operatorname{{tr}}((U V^\top)^\top {D}X),\ X = U \Sigma V^\top",
    # transposition: moving everything but the differential to the other side of the inner product
    "t-dot": rf"{D}a^\top b = b^\top {D}a",
    "t-matmul-vector": rf"a^\top B\,{D}c = (B^\top a)^\top {D}c",
    "t-matmul-right": rf"\operatorname{{tr}}(G^\top A\,{D}B) = \operatorname{{tr}}((A^\top G)^\top {D}B)",
    "t-matmul-left": rf"\operatorname{{tr}}(G^\top {D}A\,B) = \operatorname{{tr}}((G B^\top)^\top {D}A)",
    "t-outer": rf"a^\top {D}B\,c = \operatorname{{tr}}((a c^\top)^\top {D}B)",
    "t-scalar": r"a^\top (c\,\mathbf{1}) = (\mathbf{1}^\top a)\,c",
    "t-hadamard": rf"\langle G, a \odot {D}u\rangle = \langle a \odot G, {D}u\rangle",
    "t-transpose": rf"\operatorname{{tr}}(G^\top {D}A^\top) = \operatorname{{tr}}(G\,{D}A)",
    "t-reduce": rf"g\,\mathbf{{1}}^\top {D}u = (g\mathbf{{1}})^\top {D}u",
    "t-broadcast": rf"\langle G, {D}u\,\mathbf{{1}}^\top\rangle = (G\mathbf{{1}})^\top {D}u",
    "t-contract": rf"\sum G\,a\,{D}b = \langle \textstyle\sum G\,a, {D}b\rangle",
    "t-diagonal": rf"g^\top \operatorname{{diag}}({D}A) = \operatorname{{tr}}(\operatorname{{diag}}(g)^\top {D}A)",
}

_SYMPY = {p.name: p.sympy for p in PRIMITIVES if isinstance(p.sympy, type)}
_SYMPY.update({"sqrt": sympy.sqrt, "log1p": log1p, "expm1": expm1})
_ZERO_DERIVATIVE = {"heaviside", "step", "sign"}   # piecewise constant: 0 away from the jumps


class Forward:
    """d(node) in terms of the differentials ``d[leaf]`` of some leaves (others are constants).

    Args:
        d: leaf node -> its differential (an ``Input`` standing for ``dw``, ``dr``, ...).
    """

    def __init__(self, d: dict) -> None:
        self.d = d
        self.memo: dict = {}
        self.rules: list[str] = []

    def __call__(self, node: ir.Node) -> ir.Node | None:
        """The differential of ``node`` (None when it is constant)."""
        if node not in self.memo:
            self.memo[node] = self._differential(node)
        return self.memo[node]

    def _use(self, rule: str) -> None:
        if rule not in self.rules:
            self.rules.append(rule)

    def _differential(self, node: ir.Node) -> ir.Node | None:  # noqa: C901 - one branch per node kind
        if node in self.d:
            return self.d[node]
        if isinstance(node, ir.Input) and node.shape:
            self._use("data")
        if not node.children():
            return None
        parts = [self(child) for child in node.children()]
        if all(p is None for p in parts):
            return None
        if isinstance(node, ir.Map):
            return self._map(node, parts)
        if isinstance(node, ir.MatMul):
            self._use("matmul")
            terms = []
            if parts[0] is not None:
                terms.append(ir.matmul(parts[0], node.b))
            if parts[1] is not None:
                terms.append(ir.matmul(node.a, parts[1]))
            return ir.add(*terms)
        if isinstance(node, ir.Contract):
            self._use("contract")
            return ir.add(*(_contract_with(node, k, part) for k, part in enumerate(parts) if part is not None))
        (part,) = parts
        if isinstance(node, ir.Reduce):
            if node.op == "sum":
                self._use("reduce")
                return ir.reduce("sum", part, node.axes)
            if node.op != "logsumexp":   # a product of entries, a max: not the log-sum-exp's rule
                raise UnsupportedError(f"a step-by-step differential of the reduction {node.op}")
            self._use("logsumexp")
            weights = ir.softmax(node.arg, node.axes[0])
            return ir.reduce("sum", ir.mul(weights, part), node.axes)
        if isinstance(node, ir.Broadcast):
            self._use("broadcast")
            return ir.broadcast(part, node.axes, node.shape)
        if isinstance(node, ir.Transpose):
            self._use("transpose")
            return ir.transpose(part, node.perm)
        if isinstance(node, ir.Diagonal):
            self._use("diagonal")
            return ir.diagonal(part)
        if isinstance(node, ir.Softmax):
            self._use("softmax")
            return _softmax_differential(node, part)
        if isinstance(node, ir.MatFn):
            self._use(node.op)
            return _matfn_differential(node, part)
        raise UnsupportedError(f"a step-by-step differential of {type(node).__name__}")

    def _map(self, node: ir.Map, parts: list) -> ir.Node | None:
        if node.op == "add":
            self._use("sum")
            return ir.broadcast_to(ir.add(*(p for p in parts if p is not None)), node.shape)
        if node.op == "mul":
            dependent = [k for k, p in enumerate(parts) if p is not None]
            self._use("product" if len(dependent) > 1 else "constant")
            terms = [ir.mul(*node.args[:k], parts[k], *node.args[k + 1:]) for k in dependent]
            return ir.broadcast_to(ir.add(*terms), node.shape)
        if node.op == "pow":
            return self._power(node, parts)
        if node.op in _ZERO_DERIVATIVE:
            self._use("step")
            return None
        self._use("function")
        terms = [ir.mul(derivative(node.op, node.args, k), parts[k]) for k, p in enumerate(parts) if p is not None]
        return ir.broadcast_to(ir.add(*terms), node.shape)

    def _power(self, node: ir.Map, parts: list) -> ir.Node:
        base = node.args[0]
        if len(node.args) == 2:
            if parts[1] is not None:
                raise UnsupportedError("a step-by-step differential of a power whose exponent depends on the parameter")
            exponent = node.args[1]
            self._use("power")
            return ir.mul(exponent, ir.power(base, ir.add(exponent, ir.const(-1))), parts[0])
        self._use("power")
        return ir.mul(ir.const(node.param), ir.power(base, node.param - 1), parts[0])


def derivative(op: str, args: tuple, k: int) -> ir.Node:
    """∂ op(args) / ∂ args[k], entry by entry: SymPy differentiates the primitive table's function of
    scalar symbols, the builder lifts the result, and the symbols are replaced by ``args``."""
    if op not in _SYMPY:
        raise UnsupportedError(f"a step-by-step differential of the function {op}")
    symbols = sympy.symbols(f"_explain0:{len(args)}", real=True)
    expr = sympy.diff(_SYMPY[op](*symbols), symbols[k])
    lifted = Builder({}, {}).lift(expr).node
    places = {ir.input_(s, ()): arg for s, arg in zip(symbols, args)}
    (node,) = ir.rewrite((lifted,), lambda n: places.get(n, n))
    return node


def _contract_with(node: ir.Contract, k: int, replacement: ir.Node) -> ir.Node:
    args = node.args[:k] + (replacement,) + node.args[k + 1:]
    return ir.contract(args, node.specs, node.out, _letters(node))


def _letters(node: ir.Contract) -> dict:
    return {c: d for spec, a in zip(node.specs, node.args) for c, d in zip(spec, a.shape)}


def _softmax_differential(node: ir.Softmax, part: ir.Node) -> ir.Node:
    weighted = ir.reduce("sum", ir.mul(node, part), (node.axis,))
    kept = [n for n in range(len(node.shape)) if n != node.axis]
    return ir.mul(node, ir.add(part, ir.neg(ir.broadcast(weighted, kept, node.shape))))


def _matfn_differential(node: ir.MatFn, part: ir.Node) -> ir.Node:
    if node.op == "nuc":   # ⟨U V^T, dX⟩ where X has full rank
        rows, cols = node.arg.shape
        return ir.contract([ir.matfn("polar", node.arg), part], ["ab", "ab"], "", {"a": rows, "b": cols})
    if node.op == "maxabs":   # ⟨sign(v_k) e_k, dv⟩ where the largest |v_k| is unique
        return ir.contract([ir.matfn("argmaxsign", node.arg), part], ["a", "a"], "", {"a": node.arg.shape[0]})
    if node.op in ("polar", "argmaxsign"):
        raise UnsupportedError(f"a step-by-step differential of {node.op} (a second derivative of a non-smooth norm)")
    if node.op == "expm":   # d e^M = L(M, dM): no closed form in matrix products to write step by step
        raise UnsupportedError("a step-by-step differential of the matrix exponential e^{M}")
    if node.op == "inv":
        return ir.neg(ir.matmul(ir.matmul(node, part), node))
    n = node.arg.shape[0]
    trace = ir.contract([ir.matfn("inv", node.arg), part], ["ab", "ba"], "", {"a": n, "b": n})
    return trace if node.op == "logdet" else ir.mul(node, trace)


# -- transposition ----------------------------------------------------------------------------

def pull_back(expr: ir.Node, weight: ir.Node, leaves: set, rules: list) -> dict:
    """⟨weight, expr⟩ as Σ ⟨G_c, dc⟩: leaf -> G_c for the leaves ``expr`` is linear in.

    Args:
        expr: an expression linear in the nodes of ``leaves`` (a differential).
        weight: a node of ``expr``'s shape.
        leaves: the differentials (``Input`` nodes).
        rules: the names of the transposition rules used are appended here.

    Raises:
        UnsupportedError: ``expr`` is not linear in the leaves in a way these rules cover.
    """
    out: dict = {}
    depends: dict = {}

    def linear(node) -> bool:
        if node not in depends:
            depends[node] = node in leaves or any(linear(c) for c in node.children())
        return depends[node]

    def use(rule: str) -> None:
        if rule not in rules:
            rules.append(rule)

    def pull(node: ir.Node, g: ir.Node) -> None:
        if node in leaves:
            out[node] = g if node not in out else ir.add(out[node], g)
            return
        for child, share in _shares(node, g, linear, use):
            pull(child, share)

    pull(expr, weight)
    return out


def _shares(node: ir.Node, g: ir.Node, linear, use) -> list:  # noqa: C901 - one branch per node kind
    """(child, its weight) for the children of ``node`` that carry differentials."""
    if isinstance(node, ir.Map) and node.op == "add":
        shares = []
        for arg in node.args:
            if linear(arg):
                if arg.shape != node.shape:
                    use("t-scalar")
                shares.append((arg, g if arg.shape == node.shape else _sum_all(g)))
        return shares
    if isinstance(node, ir.Map) and node.op == "mul":
        dependent = [a for a in node.args if linear(a)]
        if len(dependent) != 1:
            raise UnsupportedError("transposing a product that is not linear in the differentials")
        factor = dependent[0]
        others = [a for a in node.args if a is not factor]
        if any(o.shape for o in others):
            use("t-hadamard")
        share = ir.mul(g, *others)
        if factor.shape != node.shape:
            use("t-scalar")
            share = _sum_all(share)
        return [(factor, share)]
    if isinstance(node, ir.MatMul):
        return _matmul_shares(node, g, linear, use)
    if isinstance(node, ir.Contract):
        use("t-contract")
        return [(arg, _contract_share(node, k, g)) for k, arg in enumerate(node.args) if linear(arg)]
    if isinstance(node, ir.Reduce) and node.op == "sum":
        use("t-reduce")
        kept = [n for n in range(len(node.arg.shape)) if n not in node.axes]
        return [(node.arg, ir.broadcast(g, kept, node.arg.shape))]
    if isinstance(node, ir.Broadcast):
        use("t-broadcast")
        summed = [n for n in range(len(node.shape)) if n not in node.axes]
        reduced = ir.reduce("sum", g, summed) if summed else g
        order = sorted(node.axes)
        return [(node.arg, ir.transpose(reduced, [order.index(a) for a in node.axes]))]
    if isinstance(node, ir.Transpose):
        use("t-transpose")
        inverse = [node.perm.index(n) for n in range(len(node.perm))]
        return [(node.arg, ir.transpose(g, inverse))]
    if isinstance(node, ir.Diagonal):
        use("t-diagonal")
        n = node.arg.shape[0]
        return [(node.arg, ir.mul(ir.identity(n), ir.broadcast(g, (0,), (n, n))))]
    raise UnsupportedError(f"transposing {type(node).__name__} in a differential")


def _sum_all(g: ir.Node) -> ir.Node:
    return ir.reduce("sum", g, range(len(g.shape))) if g.shape else g


def outer(u: ir.Node, v: ir.Node) -> ir.Node:
    """u v^T for vectors u and v."""
    shape = (u.shape[0], v.shape[0])
    return ir.mul(ir.broadcast(u, (0,), shape), ir.broadcast(v, (1,), shape))


def _matmul_shares(node: ir.MatMul, g: ir.Node, linear, use) -> list:
    a, b = node.a, node.b
    shares = []
    if linear(a):
        if len(a.shape) == 1:
            use("t-dot" if len(b.shape) == 1 else "t-matmul-vector")
            shares.append((a, ir.mul(g, b) if len(b.shape) == 1 else ir.matmul(b, g)))
        else:
            use("t-matmul-left" if len(b.shape) == 2 else "t-outer")
            shares.append((a, ir.matmul(g, ir.transpose(b, (1, 0))) if len(b.shape) == 2 else outer(g, b)))
    if linear(b):
        if len(a.shape) == 1:
            use("t-outer" if len(b.shape) == 2 else "t-dot")
            shares.append((b, ir.mul(g, a) if len(b.shape) == 1 else outer(a, g)))
        else:
            use("t-matmul-vector" if len(b.shape) == 1 else "t-matmul-right")
            shares.append((b, ir.matmul(ir.transpose(a, (1, 0)), g)))
    return shares


def _contract_share(node: ir.Contract, k: int, g: ir.Node) -> ir.Node:
    spec = node.specs[k]
    if len(set(spec)) < len(spec):
        raise UnsupportedError("transposing a contraction over a repeated axis")
    others = [(a, s) for j, (a, s) in enumerate(zip(node.args, node.specs)) if j != k] + [(g, node.out)]
    available = set("".join(s for _, s in others))
    present = "".join(c for c in spec if c in available)
    share = ir.contract([a for a, _ in others], [s for _, s in others], present, _letters(node))
    (share,) = contraction.run(ir.Program((share,), ("share",))).roots
    if present != spec:
        letters = _letters(node)
        share = ir.broadcast(share, [spec.index(c) for c in present], tuple(letters[c] for c in spec))
    return share
