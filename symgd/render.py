"""LaTeX rendering of IR formulas (round-trip: what this prints, the LaTeX parser reads back)."""

from __future__ import annotations

from symgd.functions import BY_NAME
from symgd.parse import ir
from symgd.parse.latex import GREEK

# Binding strength: higher binds tighter.
SUM_LEVEL, PRODUCT_LEVEL, UNARY_LEVEL, POSTFIX_LEVEL, ATOM_LEVEL = 1, 2, 3, 4, 5



ACCENT_SUFFIXES = ("hat", "bar", "tilde", "ddot", "dot", "check", "breve")


def _is_letter(stem: str) -> bool:
    return len(stem) == 1 and stem.isalpha() or stem in GREEK or stem == "ell"


def name_latex(name: str) -> str:
    """LaTeX for a symbol name: ``lambda`` -> ``\\lambda``, ``w_0`` -> ``w_{0}``, ``lr`` -> ``\\mathrm{lr}``."""
    base, _, subscript = name.partition("_")
    if base == "nabla" and subscript:   # the gradient of a scalar function the user supplies: \nabla f
        return r"\nabla " + name_latex(subscript)
    accent = next((a for a in ACCENT_SUFFIXES if base.endswith(a) and _is_letter(base[:-len(a)])), None)
    if accent:   # yhat -> \hat{y}, as the LaTeX tokenizer spells accented names
        stem = base[:-len(accent)]
        text = "\\%s{%s}" % (accent, "\\" + stem if stem in GREEK else "\\ell" if stem == "ell" else stem)
    elif base in GREEK:
        text = "\\" + base
    elif len(base) == 1:
        text = base
    elif base == "ell":
        text = r"\ell"
    else:
        text = r"\mathrm{%s}" % base
    if subscript:
        subscript = subscript.strip("{}")
        text += "_{%s}" % " ".join(name_latex(part) if part.isalpha() else part for part in subscript.split(","))
    return text


ONE_HOT_SUFFIX = "_onehot"   # the name of the one-hot data of integer labels y: y_onehot (problem.py)


def label_of_one_hot(entry, index: str):
    """The integer label written in the source (``y_i``) when ``entry`` is [y_i = index], the one-hot data
    problem.py reads ``f_{y_i}`` and ``\\sum_{j \\ne y_i}`` into; else None."""
    if not (isinstance(entry, ir.Sub) and isinstance(entry.base, ir.Name) and entry.base.name.endswith(ONE_HOT_SUFFIX)
            and entry.indices and entry.indices[-1] == ir.Name(index)):
        return None
    written = ir.Name(entry.base.name[:-len(ONE_HOT_SUFFIX)])
    return ir.Sub(written, entry.indices[:-1]) if len(entry.indices) > 1 else written


def _label_gather(node: ir.BigOp):
    """(f_{y_i} as a Sub) for \\sum_k [y_i = k] f_k (also S_{i,y_i} for \\sum_k [y_i = k] S_{ik}), else None."""
    body = node.body
    if node.lower is not None or node.upper is not None or not isinstance(body, ir.Mul) \
            or not isinstance(body.right, ir.Sub) or list(body.right.indices).count(ir.Name(node.index)) != 1:
        return None
    label = label_of_one_hot(body.left, node.index)
    if label is None:
        return None
    return ir.Sub(body.right.base, tuple(label if i == ir.Name(node.index) else i for i in body.right.indices))


def _without_label_masks(node: ir.BigOp):
    """The body of a constraint for every i, m without the weights 1 - [y_i = m] that the objective's
    ``\\sum_{m \\ne y_i}`` put on it (problem.py's ``_where_the_sum_runs``): the constraint as written."""
    indices, body = [], node
    while isinstance(body, ir.BigOp) and body.op == "forall":
        indices.append(body.index)
        body = body.body
    while isinstance(body, ir.Mul) and isinstance(body.left, ir.Add) and len(body.left.terms) == 2 \
            and body.left.terms[0] == ir.Num("1") and isinstance(body.left.terms[1], ir.Neg) \
            and any(label_of_one_hot(body.left.terms[1].arg, index) is not None for index in indices):
        body = body.right
    return body


def _label_exclusion(node: ir.BigOp):
    """(y_i, g) for \\sum_j (1 - [y_i = j]) g, else None."""
    body = node.body
    if not isinstance(body, ir.Mul) or not isinstance(body.left, ir.Add) or len(body.left.terms) != 2 \
            or body.left.terms[0] != ir.Num("1") or not isinstance(body.left.terms[1], ir.Neg):
        return None
    label = label_of_one_hot(body.left.terms[1].arg, node.index)
    return None if label is None else (label, body.right)


def _limits(node: ir.BigOp, excluded) -> str:
    """``_{j=1, j \\ne y_i}^{K}``: the index, its start, the value left out (an index name or a label), the end."""
    index = name_latex(node.index)
    parts = [] if node.lower is None and excluded is not None else \
        [index if node.lower is None else "%s=%s" % (index, latex_of(node.lower))]
    if excluded is not None:
        shown = name_latex(excluded) if isinstance(excluded, str) else latex_of(excluded)
        parts.append(r"%s \ne %s" % (index, shown))
    upper = "" if node.upper is None else "^{%s}" % latex_of(node.upper)
    return "_{%s}%s" % (", ".join(parts), upper)


def latex_of(node) -> str:
    """Render an IR node as LaTeX."""
    return _render(node)[0]


def _wrap(node, level: int) -> str:
    text, own = _render(node)
    return text if own >= level else r"\left(" + text + r"\right)"


def _superscript_base(node) -> str:
    """The base of ``^``: ``x_{i}^\\top`` as written (``y_i (x_i)^\\top`` would read as a call of y_i)."""
    return latex_of(node) if isinstance(node, ir.Sub) else _wrap(node, ATOM_LEVEL)


def _right_operand(node) -> str:
    """The right factor of a product: ``a (-b)``, since ``a -b`` reads back as a difference."""
    return _wrap(node, POSTFIX_LEVEL if isinstance(node, ir.Neg) else UNARY_LEVEL)


def _render(node) -> tuple[str, int]:   # noqa: C901 - one branch per IR node type
    if isinstance(node, ir.Num):
        return node.text, ATOM_LEVEL
    if isinstance(node, ir.Name):
        return name_latex(node.name), ATOM_LEVEL
    if isinstance(node, ir.Ones):
        return r"\mathbf{1}", ATOM_LEVEL
    if isinstance(node, ir.Sub):
        indices = ",".join(latex_of(index) for index in node.indices)
        base = _wrap(node.base, ATOM_LEVEL)
        if isinstance(node.base, ir.Name) and "_" in node.base.name:   # entry u of the family b_u: {b_{u}}_{u}
            base = "{%s}" % base
        return "%s_{%s}" % (base, indices), POSTFIX_LEVEL
    if isinstance(node, ir.Add):
        parts = [latex_of(node.terms[0]) if not isinstance(node.terms[0], ir.Add) else _wrap(node.terms[0], ATOM_LEVEL)]
        for term in node.terms[1:]:
            if isinstance(term, ir.Neg):
                parts.append("- " + _wrap(term.arg, PRODUCT_LEVEL))
            else:
                parts.append("+ " + _wrap(term, PRODUCT_LEVEL))
        return " ".join(parts), SUM_LEVEL
    if isinstance(node, ir.Neg):
        return "-" + _wrap(node.arg, PRODUCT_LEVEL), UNARY_LEVEL
    if isinstance(node, ir.Mul):
        operator = {"juxt": " ", "cdot": r" \cdot ", "times": r" \times ", "star": " ",
                    "matmul": " ", "mask": " "}[node.op]
        return _wrap(node.left, PRODUCT_LEVEL) + operator + _right_operand(node.right), PRODUCT_LEVEL
    if isinstance(node, ir.Hadamard):
        return _wrap(node.left, PRODUCT_LEVEL) + r" \odot " + _right_operand(node.right), PRODUCT_LEVEL
    if isinstance(node, ir.Div):
        if node.elementwise:
            return _wrap(node.num, PRODUCT_LEVEL) + " / " + _wrap(node.den, UNARY_LEVEL), PRODUCT_LEVEL
        return r"\frac{%s}{%s}" % (latex_of(node.num), latex_of(node.den)), ATOM_LEVEL
    if isinstance(node, ir.Pow):
        return "%s^{%s}" % (_superscript_base(node.base), latex_of(node.exp)), POSTFIX_LEVEL
    if isinstance(node, ir.Prime):
        return r"%s'" % _superscript_base(node.arg), POSTFIX_LEVEL
    if isinstance(node, ir.Transpose):
        return r"%s^\top" % _superscript_base(node.arg), POSTFIX_LEVEL
    if isinstance(node, ir.Func) and node.name == "\\density":   # p(t|w), as written
        return node.args[0].name, ATOM_LEVEL
    if isinstance(node, ir.Func):
        return _render_func(node), ATOM_LEVEL
    if isinstance(node, ir.Apply):
        head = name_latex(node.name)
        if node.sub:
            head += "_{%s}" % ",".join(latex_of(index) for index in node.sub)
        fixed = "; " + ", ".join(map(latex_of, node.fixed)) if node.fixed else ""
        return "%s\\left(%s%s\\right)" % (head, ", ".join(map(latex_of, node.args)), fixed), ATOM_LEVEL
    if isinstance(node, ir.Cases):
        return _render_cases(node), ATOM_LEVEL
    if isinstance(node, ir.Norm):
        kind = "" if node.kind is None else "_{%s}" % {"inf": r"\infty"}.get(node.kind, node.kind)
        return r"\left\|%s\right\|%s" % (latex_of(node.arg), kind), ATOM_LEVEL
    if isinstance(node, ir.Abs):
        return r"\left|%s\right|" % latex_of(node.arg), ATOM_LEVEL
    if isinstance(node, ir.BigOp) and node.op == "forall":   # a constraint for every i, as written
        return _render(_without_label_masks(node))
    if isinstance(node, ir.BigOp) and _label_gather(node) is not None:   # f_{y_i}, as the source writes it
        return _render(_label_gather(node))
    if isinstance(node, ir.BigOp) and _label_exclusion(node) is not None:   # \sum_{j \ne y_i}
        label, body = _label_exclusion(node)
        return "\\%s%s %s" % (node.op, _limits(node, label), _wrap(body, PRODUCT_LEVEL)), UNARY_LEVEL
    if isinstance(node, ir.BigOp) and _member(node.body) is not None:   # \\sum_{j \\in R(t_i)}, as written
        member = _member(node.body)
        return "\\%s_{%s} %s" % (node.op, latex_of(member), _wrap(node.body.right, PRODUCT_LEVEL)), UNARY_LEVEL
    if isinstance(node, ir.Member):
        points = r"\left(%s\right)" % ", ".join(map(name_latex, node.points))
        element = points if len(node.points) > 1 else name_latex((*node.points, node.index)[0])
        return r"%s \in %s" % (element, latex_of_set(node.set)), 0
    if isinstance(node, ir.SetBuilder):
        return r"\{%s : %s\}" % (name_latex(node.index), latex_of(node.condition)), ATOM_LEVEL
    if isinstance(node, ir.BigOp):
        return "\\%s%s %s" % (node.op, _limits(node, node.excluded), _wrap(node.body, PRODUCT_LEVEL)), UNARY_LEVEL
    if isinstance(node, ir.Entrywise):
        indices = f"{name_latex(node.rows)} {name_latex(node.cols)}"
        return r"\left[%s\right]_{%s}" % (latex_of(node.body), indices), ATOM_LEVEL
    if isinstance(node, ir.Reals):
        dims = r" \times ".join(latex_of(d) for d in node.dims)
        return r"\mathbb{R}" + ("^{%s}" % dims if dims else ""), ATOM_LEVEL
    if isinstance(node, ir.Deriv):
        of = latex_of(node.of) if node.of is not None else ""
        wrt = latex_of(node.wrt) if node.wrt is not None else ""
        if node.notation == "nabla":
            head = r"\nabla_{%s}" % wrt if wrt else r"\nabla"
            return r"%s %s" % (head, _wrap(node.of, POSTFIX_LEVEL)), UNARY_LEVEL
        return r"\frac{\partial %s}{\partial %s}" % (of, wrt), ATOM_LEVEL
    if isinstance(node, ir.Relation):
        ops = {"<=": r"\le", ">=": r"\ge", "in": r"\in", "<-": r"\leftarrow", ":=": ":=",
               "succeq": r"\succeq", "preceq": r"\preceq", "!=": r"\ne"}
        parts = [latex_of(node.operands[0])]
        for op, operand in zip(node.ops, node.operands[1:]):
            parts += [ops.get(op, op), latex_of(operand)]
        return " ".join(parts), 0
    raise TypeError(f"cannot render {type(node).__name__}")  # pragma: no cover


def _member(body):
    """The ``index \\in set`` factor in front of a sum's body, or None."""
    if isinstance(body, ir.Mul) and body.op == "mask" and isinstance(body.left, ir.Member):
        return body.left
    return None


def latex_of_set(space) -> str:
    """A set a sum runs over: a literal set of elements, a set-builder, or its name as written."""
    if isinstance(space, tuple):
        return r"\{%s\}" % ", ".join(map(latex_of, space))
    return latex_of(space)


def _render_cases(node: ir.Cases) -> str:
    """``\\mathbb{1}(c)`` for one piece of value 1, ``\\begin{cases}`` otherwise."""
    if len(node.pieces) == 1 and node.pieces[0][0] == ir.Num("1"):
        return r"\mathbb{1}\left(%s\right)" % latex_of(node.pieces[0][1])
    rows = [r"%s & %s" % (latex_of(value), r"\text{otherwise}" if condition is None else latex_of(condition))
            for value, condition in node.pieces]
    return r"\begin{cases} %s \end{cases}" % r" \\ ".join(rows)


def _render_func(node: ir.Func) -> str:
    primitive = BY_NAME.get(node.name)
    head = primitive.latex_head() if primitive else r"\operatorname{%s}" % node.name
    if node.name == "inner":
        return r"\left\langle %s, %s \right\rangle" % tuple(map(latex_of, node.args))
    if node.name == "sqrt":
        return r"\sqrt{%s}" % latex_of(node.args[0])
    if node.name == "epsinsensitive":   # as written: |u|_\varepsilon
        return r"\left|%s\right|_{%s}" % tuple(map(latex_of, node.args))
    if node.name == "inv":
        return "%s^{-1}" % _wrap(node.args[0], ATOM_LEVEL)
    if node.name == "factorial":   # as written: y_i!
        return "%s!" % _wrap(node.args[0], ATOM_LEVEL)
    return r"%s\left(%s\right)" % (head, ", ".join(map(latex_of, node.args)))
