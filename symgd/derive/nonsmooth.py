"""Where the objective is not differentiable, and where it is not defined.

Read from the objective as written (IR), so conditions use the user's own symbols:
``\\max(0, 1 - y_i w^\\top x_i)`` is not differentiable where ``1 - y_i w^\\top x_i = 0``. Only
constructs that depend on a parameter count. The subgradient named is the one symgd's derivative
takes there, which is the PyTorch/JAX convention (relu'(0) = 0, sign(0) = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from symgd.parse import ir
from symgd.render import latex_of


@dataclass(frozen=True)
class NonSmooth:
    """A set where the derivative does not exist, and the subgradient used there."""

    construct: str     # LaTeX of the non-smooth piece, as written
    condition: str     # LaTeX of the set, e.g. "1 - y_i w^\top x_i = 0"
    subgradient: str   # in words/LaTeX: what symgd's formula gives there


@dataclass(frozen=True)
class DomainCondition:
    """A condition for the objective to be defined (``u > 0`` under a log, a denominator ≠ 0)."""

    construct: str
    condition: str


def analyse(objective, params: set[str]) -> tuple[tuple[NonSmooth, ...], tuple[DomainCondition, ...]]:
    """Non-smooth sets and domain conditions of an IR objective with respect to ``params``."""
    kinks: list[NonSmooth] = []
    domain: list[DomainCondition] = []
    stack = [(objective, None)]
    while stack:
        node, parent = stack.pop()
        if _mentions(node, params):
            _inspect(node, parent, kinks, domain, params)
        stack.extend((child, node) for child in ir.children(node))
    return tuple(dict.fromkeys(reversed(kinks))), tuple(dict.fromkeys(reversed(domain)))


def _inspect(node, parent, kinks, domain, params) -> None:
    text = latex_of(node)
    if isinstance(node, ir.Func) and node.name in ("max", "min") and len(node.args) == 2:
        a, b = node.args
        if ir.Num("0") in (a, b):
            u = b if a == ir.Num("0") else a
            kinks.append(NonSmooth(text, f"{latex_of(u)} = 0",
                                   "0 on the boundary (as relu'(0) = 0 in PyTorch and JAX)"))
        else:
            kinks.append(NonSmooth(text, f"{latex_of(a)} = {latex_of(b)}",
                                   "half the derivative of each side where they tie (as jnp.maximum)"))
    elif isinstance(node, ir.Func) and node.name == "step":   # from \mathbb{1}(...) and \begin{cases}
        kinks.append(NonSmooth(text, f"{latex_of(node.args[0])} = 0",
                               "each side's derivative (the indicator is constant on each side)"))
    elif isinstance(node, ir.Norm) and node.kind == "inf":   # the max-norm: smooth where one |v_k| is largest
        v = latex_of(node.arg)
        entry = f"{v}_i" if isinstance(node.arg, ir.Name) else f"\\left({v}\\right)_i"
        kinks.append(NonSmooth(text, f"\\text{{two or more }} |{entry}| \\text{{ tie for the largest (or }} {v} = 0)",
                               "\\operatorname{sign}(v_{i^*}) e_{i^*} \\text{ at the first such } i^*"))
    elif isinstance(node, ir.Norm) and node.kind == "*":   # the nuclear norm: smooth where X has full rank
        x = latex_of(node.arg)
        kinks.append(NonSmooth(text, f"{x} \\text{{ is rank-deficient}}",
                               f"U V^\\top \\text{{ of the nonzero part of }} {x} = U \\Sigma V^\\top"))
    elif isinstance(node, ir.Norm) and node.kind == "2,1":
        kinks.append(NonSmooth(text, f"\\text{{a row of }} {latex_of(node.arg)} = 0", "0 for that row"))
    elif isinstance(node, ir.Func) and node.name == "epsinsensitive":   # |u|_eps = max(0, |u| - eps)
        u, eps = map(latex_of, node.args)
        kinks.append(NonSmooth(text, f"\\left|{u}\\right| = {eps}", "0 at the edge of the tube (relu'(0) = 0)"))
    elif isinstance(node, ir.Func) and node.name == "relu":
        kinks.append(NonSmooth(text, f"{latex_of(node.args[0])} = 0", "0 (relu'(0) = 0, as PyTorch and JAX)"))
    elif isinstance(node, ir.Abs) and not _is_determinant(node, parent):
        kinks.append(NonSmooth(text, f"{latex_of(node.arg)} = 0", r"0 (\operatorname{sign}(0) = 0)"))
    elif isinstance(node, ir.Norm) and node.kind == "1":
        entry = f"{latex_of(node.arg)}_j" if isinstance(node.arg, ir.Name) else f"\\left({latex_of(node.arg)}\\right)_j"
        kinks.append(NonSmooth(text, f"{entry} = 0 \\text{{ for some }} j",
                               r"\operatorname{sign}(\cdot) \text{ entrywise, with } \operatorname{sign}(0) = 0"))
    elif isinstance(node, ir.Norm) and not _is_squared(node, parent):
        kinks.append(NonSmooth(text, f"{latex_of(node.arg)} = 0", "0 at the origin"))
    elif isinstance(node, ir.Func) and node.name == "sqrt" and not _positive(node.args[0]):
        kinks.append(NonSmooth(text, f"{latex_of(node.args[0])} = 0", "none (the slope is unbounded)"))
    if _is_log_abs_det(node):
        domain.append(DomainCondition(text, f"\\det {latex_of(node.args[0].arg.args[0])} \\neq 0"))
    elif isinstance(node, ir.Func) and node.name in ("log", "logdet") and not _always_positive(node.args[0]):
        arg = node.args[0]
        if isinstance(arg, ir.Abs) and _matrix_like(arg.arg):   # log|K|: the log-determinant
            arg = arg.arg
        determinant = node.name == "logdet" or arg is not node.args[0]
        condition = f"\\det {latex_of(arg)} > 0" if determinant else f"{latex_of(arg)} > 0"
        domain.append(DomainCondition(text, condition))
    elif _is_inverse(node):
        matrix = node.base if isinstance(node, ir.Pow) else node.args[0]
        domain.append(DomainCondition(text, f"{latex_of(matrix)} \\text{{ is invertible}}"))
    elif isinstance(node, ir.Div) and _mentions(node.den, params) and not _always_positive(node.den):
        domain.append(DomainCondition(text, f"{latex_of(node.den)} \\neq 0"))
    elif isinstance(node, ir.Pow) and _negative_power(node) and _mentions(node.base, params):
        domain.append(DomainCondition(text, f"{latex_of(node.base)} \\neq 0"))


def _is_determinant(node: ir.Abs, parent) -> bool:
    """|K| of a matrix (a determinant: a capitalised operand), or |det M| under a log (no kink inside the domain)."""
    if isinstance(node.arg, ir.Func) and node.arg.name == "det":
        return isinstance(parent, ir.Func) and parent.name == "log"
    return _matrix_like(node.arg)


def _is_log_abs_det(node) -> bool:
    return (isinstance(node, ir.Func) and node.name == "log" and isinstance(node.args[0], ir.Abs)
            and isinstance(node.args[0].arg, ir.Func) and node.args[0].arg.name == "det")


def _is_inverse(node) -> bool:
    """M^{-1}, M^{-k} or inv(M) of a matrix (read from the operand's spelling: shapes are not known here)."""
    if isinstance(node, ir.Func) and node.name == "inv":
        return True
    return (isinstance(node, ir.Pow) and isinstance(node.exp, ir.Neg) and isinstance(node.exp.arg, ir.Num)
            and _matrix_like(node.base))


def _matrix_like(node) -> bool:
    """A capitalised name, or an expression made of them (X^\\top X + \\lambda I)."""
    stack = [node]
    while stack:
        current = stack.pop()
        base = current.base if isinstance(current, ir.Sub) else current
        if isinstance(base, ir.Name) and base.name[:1].isupper():
            return True
        if not isinstance(current, ir.Sub):
            stack.extend(ir.children(current))
    return False


def _always_positive(node) -> bool:
    """exp, σ, 1 - σ, softplus, sums and ratios of such: positive for every parameter value."""
    if isinstance(node, ir.Num):
        return float(node.text) > 0
    if isinstance(node, ir.Func):
        return node.name in ("exp", "sigmoid", "softplus")
    if isinstance(node, ir.Add):
        if len(node.terms) == 2 and node.terms[0] == ir.Num("1") and isinstance(node.terms[1], ir.Neg) \
                and isinstance(node.terms[1].arg, ir.Func) and node.terms[1].arg.name == "sigmoid":
            return True   # 1 - σ(z)
        return all(_always_positive(t) for t in node.terms)
    if isinstance(node, (ir.Mul, ir.Div)):
        parts = (node.left, node.right) if isinstance(node, ir.Mul) else (node.num, node.den)
        return all(_always_positive(p) for p in parts)
    if isinstance(node, ir.BigOp):
        return _always_positive(node.body)
    return False


def _is_squared(node, parent) -> bool:
    return isinstance(parent, ir.Pow) and parent.base == node and parent.exp == ir.Num("2")


def _negative_power(node: ir.Pow) -> bool:
    return isinstance(node.exp, ir.Neg) and isinstance(node.exp.arg, ir.Num)


def _positive(node) -> bool:
    """1 + u^2, 1 + \\|v\\|^2, ...: a positive number plus squares (so the square root is smooth)."""
    terms = node.terms if isinstance(node, ir.Add) else (node,)
    has_positive_constant = any(isinstance(t, ir.Num) and float(t.text) > 0 for t in terms)
    return has_positive_constant and all(
        isinstance(t, ir.Num) or (isinstance(t, ir.Pow) and t.exp == ir.Num("2")) for t in terms)


def _mentions(node, names: set[str]) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ir.Name) and current.name in names:
            return True
        stack.extend(ir.children(current))
    return False
