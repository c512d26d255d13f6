"""Stable rewrites after differentiation, wherever the patterns appear (gradients and Hessians too).

Derivatives of stable losses bring back the unstable spellings: ∂ log(1 + e^u) = e^u / (1 + e^u),
which is inf / inf at u = 1000. This pass rewrites, bottom-up and to a fixed point per node:

* (1 + e^u)^-p  ->  σ(-u)^p, and then e^{qu} σ(-u)^p -> σ(u)^q σ(-u)^(p-q) for q ≤ p
  (so e^u / (1 + e^u) is σ(u) and e^u / (1 + e^u)^2 is σ(u) σ(-u)), also where the factors are
  operands of one contraction with the same axes (Σ_i e^{u_i} σ(-u_i) y_i);
* 1 - σ(u) -> σ(-u);  e^u - 1 -> expm1(u);  c - s / (s + c) -> c / (s + c) (no cancellation for s >> c);
* (a + b / g) g -> a g + b, so a quotient such as σ(u) / σ(-u) = e^u is never formed;
* log e^u -> u,  log σ(u) -> -softplus(-u),  log(1 + e^u) -> softplus(u),  log(1 + x) -> log1p(x),
  and the log of a product or power of positive factors -> a sum of their logs.

Where softplus(u) and softplus(-u) both appear, they share log1p(e^{-|u|}).

The sigmoid helper of the generated module and ``np.logaddexp`` stay finite for any score.
"""

from __future__ import annotations

from fractions import Fraction

from symgd.tensor import ir


def run(program: ir.Program) -> ir.Program:
    """The program with the stable spellings (softplus of u and of -u sharing their logarithm)."""
    roots = ir.rewrite(program.roots, _to_fixed_point, memo="stable")
    return program.with_roots(_share_softplus_pairs(roots))


def _share_softplus_pairs(roots) -> tuple:
    """softplus(u) and softplus(-u) both in one function (the logistic loss with labels 0/1) are
    ℓ + max(u, 0) and ℓ + max(-u, 0) with one ℓ = log1p(e^{-|u|}): one logarithm and one exponential
    instead of two each, with the accuracy of either (no cancellation: ℓ > 0 and max(·, 0) ≥ 0)."""
    present = {id(node): node for node in ir.postorder(roots) if _is(node, "softplus")}
    shared = {}
    for node in present.values():
        u = node.args[0]
        if id(ir.apply("softplus", ir.neg(u))) in present and id(ir.neg(u)) not in shared:
            shared[id(u)] = u
    if not shared:
        return tuple(roots)
    replace = {}
    for u in shared.values():
        log_term = ir.apply("log1p", ir.apply("exp", ir.neg(ir.apply("abs", u))))
        replace[id(ir.apply("softplus", u))] = ir.add(log_term, ir.apply("relu", u))
        replace[id(ir.apply("softplus", ir.neg(u)))] = ir.add(log_term, ir.apply("relu", ir.neg(u)))
    return ir.rewrite(roots, lambda node: replace.get(id(node), node))


def _to_fixed_point(node: ir.Node) -> ir.Node:
    for _ in range(20):
        new = _rule(node)
        if new is node:
            return node
        node = new
    return node


def _rule(node: ir.Node) -> ir.Node:
    if isinstance(node, ir.Contract):
        return _contract(node)
    if not isinstance(node, ir.Map):
        return node
    if node.op == "log":
        return _log(node.args[0])
    if node.op == "add":
        return _add(node)
    if node.op == "pow" and node.param is not None and node.param < 0:
        u = _one_plus_exp(node.args[0])
        if u is not None:
            return ir.power(ir.apply("sigmoid", ir.neg(u)), -node.param)
    if node.op == "mul":
        rewritten = _exp_times_sigmoid(node)
        return rewritten if rewritten is not node else _distribute_to_cancel(node)
    return node


def _distribute_to_cancel(node: ir.Map) -> ir.Node:
    """(a + b / g) g -> a g + b: a factor multiplies into a sum one of whose terms divides by it, so
    the quotient is never formed (σ(u) / σ(-u) overflows where σ(u) alone does not)."""
    for i, total in enumerate(node.args):
        if not _is(total, "add"):
            continue
        for j, factor in enumerate(node.args):
            base, exponent = _base_and_exponent(factor)
            if j == i or exponent <= 0 or not any(_divides_by(term, base) for term in total.args):
                continue
            rest = [f for n, f in enumerate(node.args) if n not in (i, j)]
            return ir.mul(*rest, ir.add(*(ir.mul(term, factor) for term in total.args)))
    return node


def _base_and_exponent(node: ir.Node):
    if _is(node, "pow") and node.param is not None:
        return node.args[0], node.param
    return node, Fraction(1)


def _divides_by(term: ir.Node, base: ir.Node) -> bool:
    factors = term.args if _is(term, "mul") else (term,)
    return any(b is base and e < 0 for b, e in map(_base_and_exponent, factors))


def _one_plus_exp(node: ir.Node) -> ir.Node | None:
    """u when ``node`` is 1 + e^u."""
    if isinstance(node, ir.Map) and node.op == "add" and len(node.args) == 2:
        rest = [a for a in node.args if not (isinstance(a, ir.Const) and a.value == 1)]
        if len(rest) == 1 and _is(rest[0], "exp"):
            return rest[0].args[0]
    return None


def _is(node: ir.Node, op: str) -> bool:
    return isinstance(node, ir.Map) and node.op == op


def _power_of(node: ir.Node, op: str):
    """(argument, exponent) when ``node`` is op(argument) ** exponent (a number), else None."""
    if _is(node, op):
        return node.args[0], Fraction(1)
    if _is(node, "pow") and node.param is not None and _is(node.args[0], op):
        return node.args[0].args[0], node.param
    return None


def _exp_powers(node: ir.Node) -> list:
    """Ways to read ``node`` as e^{q u}: [(u, q)], with |c| taken out of a product c·v in u."""
    found = _power_of(node, "exp")
    if found is None:
        return []
    u, q = found
    out = [(u, q)]
    if _is(u, "mul") and isinstance(u.args[0], ir.Const) and abs(u.args[0].value) != 1:
        c = u.args[0].value
        out.append((ir.mul(ir.const(1 if c > 0 else -1), *u.args[1:]), q * abs(c)))
    return out


def _exp_times_sigmoid(node: ir.Map) -> ir.Node:
    """e^{qu} σ(-u)^p = σ(u)^q σ(-u)^(p-q) for 0 < q ≤ p."""
    factors = list(node.args)
    for i, factor in enumerate(factors):
        for u, q in _exp_powers(factor):
            for j, other in enumerate(factors):
                found = _power_of(other, "sigmoid") if j != i else None
                if found is None or found[0] is not ir.neg(u) or not 0 < q <= found[1]:
                    continue
                rest = [f for n, f in enumerate(factors) if n not in (i, j)]
                left_over = ir.power(ir.apply("sigmoid", ir.neg(u)), found[1] - q)   # σ(-u)^(p-q), 1 when p = q
                return ir.mul(*rest, ir.power(ir.apply("sigmoid", u), q), left_over)
    return node


def _contract(node: ir.Contract) -> ir.Node:
    """Σ_a e^{u_a} σ(-u_a) y_a (the derivative of a logistic loss in its intercept: one contraction of three
    vectors) is Σ_a σ(u_a) y_a: the operands that share their axes are one elementwise product, rewritten as
    one (e^u overflows at u = 1000 where σ(-u) is 0, and inf · 0 is NaN)."""
    dims = {c: d for arg, spec in zip(node.args, node.specs) for c, d in zip(spec, arg.shape)}
    for spec in dict.fromkeys(node.specs):
        group = [arg for arg, s in zip(node.args, node.specs) if s == spec]
        if len(group) < 2:
            continue
        product = ir.mul(*group)
        stable = _exp_times_sigmoid(product) if _is(product, "mul") else product
        if stable is product:
            continue
        rest = [(arg, s) for arg, s in zip(node.args, node.specs) if s != spec]
        return ir.contract([stable, *(a for a, _ in rest)], [spec, *(s for _, s in rest)], node.out, dims)
    return node


def _add(node: ir.Map) -> ir.Node:
    terms = list(node.args)
    constants = [t for t in terms if isinstance(t, ir.Const)]
    if len(constants) != 1:
        return node
    (number,) = constants
    others = [t for t in terms if t is not number]
    if number.value == 1:   # 1 - σ(u) = σ(-u)
        for term in others:
            if _is(term, "mul") and len(term.args) == 2 and isinstance(term.args[0], ir.Const) \
                    and term.args[0].value == -1 and _is(term.args[1], "sigmoid"):
                rest = [t for t in others if t is not term]
                return ir.add(*rest, ir.apply("sigmoid", ir.neg(term.args[1].args[0])))
    if number.value == -1 and len(others) == 1 and _is(others[0], "exp"):
        return ir.apply("expm1", others[0].args[0])
    for term in others:   # c - s / (s + c) = c / (s + c)
        quotient = _complement_quotient(term, number)
        if quotient is not None:
            return ir.add(*(t for t in others if t is not term), quotient)
    return node


def _complement_quotient(term: ir.Node, number: ir.Const) -> ir.Node | None:
    """c / g for a term -s / g with g = s + c (the pseudo-Huber Hessian's 1 - t / (1 + t)); else None."""
    if not (_is(term, "mul") and isinstance(term.args[0], ir.Const) and term.args[0].value < 0):
        return None
    for factor in term.args[1:]:
        if _is(factor, "pow") and factor.param == -1 and _is(factor.args[0], "add") \
                and any(a is number for a in factor.args[0].args):
            s = ir.neg(ir.mul(*(f for f in term.args if f is not factor)))
            if ir.add(s, number) is factor.args[0]:
                return ir.mul(number, factor)
    return None


def _positive(node: ir.Node) -> bool:
    return _is(node, "exp") or _is(node, "sigmoid") or _one_plus_exp(node) is not None \
        or (_is(node, "pow") and node.param is not None and _positive(node.args[0]))


def _log(u: ir.Node) -> ir.Node:
    if _is(u, "exp"):
        return u.args[0]
    if _is(u, "sigmoid"):
        return ir.neg(ir.apply("softplus", ir.neg(u.args[0])))
    inner = _one_plus_exp(u)
    if inner is not None:
        return ir.apply("softplus", inner)
    if _is(u, "pow") and u.param is not None and _positive(u.args[0]):
        return ir.mul(ir.const(u.param), _log(u.args[0]))
    if _is(u, "mul") and all(_positive(f) for f in u.args):
        return ir.add(*(_log(f) for f in u.args))
    if _is(u, "add") and any(isinstance(a, ir.Const) and a.value == 1 for a in u.args):
        rest = ir.add(*(a for a in u.args if not (isinstance(a, ir.Const) and a.value == 1)))
        return ir.apply("log1p", rest)
    return ir.apply("log", u)
