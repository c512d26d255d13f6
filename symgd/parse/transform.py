"""Lark callbacks that build IR nodes, shared by the LaTeX and the plain-text grammar.

One method per grammar rule (or alias); each only builds a node. The few rewrites here are purely
notational (a subscript written after a power belongs to the base, ``\\|v\\|_2`` names the norm),
never semantic: what a product or a subscript means is decided by the problem builder.
"""

from __future__ import annotations

from lark import Token, Transformer

from symgd.errors import UnsupportedError
from symgd.parse import ir

BINOPS = {"cdot": "cdot", "*": "star", "times": "times", "@": "matmul", "ast": "cdot"}
NORM_KINDS = {"1": "1", "2": "2", "F": "F", "fro": "F"}


class IRBuilder(Transformer):
    """Turns parse-tree rules into IR nodes (used inline by the LALR parser)."""

    # -- items ---------------------------------------------------------------------------
    def start(self, items):
        flat = []
        for item in items:
            flat.extend(item if isinstance(item, tuple) else (item,))
        return tuple(flat)

    def keyword(self, children):
        (token,) = children
        return ir.Keyword("st" if token.type == "ST" else "where")

    def identity(self, children):
        return ir.IdentityDecl(str(children[0]))

    def structure(self, children):
        name, words = children
        kind = " ".join(str(words).split())
        kind = kind.removeprefix("symmetric ") if kind != "symmetric" else kind
        return ir.StructureDecl(str(name), kind)

    def relation(self, children):
        return ir.Relation(tuple(children[0::2]), tuple(str(op) for op in children[1::2]))

    def eq(self, _children):
        return "="

    def minimize(self, children):
        head, script, objective = children
        sense = str(head)
        if sense not in ("min", "max"):
            raise UnsupportedError(f"\\{sense} with a subscript: only \\min_x and \\max_x start a problem")
        variables = script if isinstance(script, tuple) else _split_juxt_names(script)
        return ir.Minimize(tuple(variables), objective, sense)

    def minimize_declared(self, children):
        head, *declarations, objective = children
        return self.minimize([head, tuple(declarations), objective])

    def script_relation(self, children):
        left, op, right = children
        return ir.Relation((left, right), (str(op),))

    def minimize_word(self, children):
        head, script, objective = children
        variables = () if script is None else script if isinstance(script, tuple) else _split_juxt_names(script)
        return ir.Minimize(tuple(variables), objective, str(head))

    # -- arithmetic ----------------------------------------------------------------------
    def add(self, children):
        left, _, right = children
        return ir.Add((*_terms(left), right))

    def subtract(self, children):
        left, _, right = children
        return ir.Add((*_terms(left), ir.Neg(right)))

    def neg(self, children):
        return ir.Neg(children[-1])

    def pos(self, children):
        return children[-1]

    def term(self, children):   # "+ x" in LaTeX
        return children[-1]

    def binop(self, children):
        left, op, right = children
        if op.type == "SLASH":
            return ir.Div(left, right)
        if op.type == "EDIV":
            return ir.Div(left, right, elementwise=True)
        if op.type in ("ODOT", "HADAMARD"):
            return ir.Hadamard(left, right)
        return ir.Mul(left, right, BINOPS.get(str(op), "cdot" if op.type == "CDOT" else "times"))

    def juxt(self, children):
        left, right = children
        return ir.Mul(left, right, "juxt")

    # -- postfix -------------------------------------------------------------------------
    def sup(self, children):
        base, script = children
        if script in ("positive", "nonnegative"):
            raise UnsupportedError("'+' as a superscript; write a power such as x^{2}")
        if script == "T":
            return ir.Transpose(base)
        if script == "-T":
            return ir.Transpose(ir.Pow(base, ir.Neg(ir.Num("1"))))
        if isinstance(script, tuple):
            raise UnsupportedError("a superscript with a comma-separated list")
        if script == ir.Name("T"):
            return ir.Transpose(base)
        return ir.Pow(base, script)

    def subscript(self, children):
        base, script = children
        if script in ("T", "-T"):
            raise UnsupportedError("\\top as a subscript; a transpose is a superscript: x^\\top")
        if script in ("positive", "nonnegative"):
            reals_power = isinstance(base, ir.Pow) and isinstance(base.base, ir.Reals)
            if not (isinstance(base, ir.Reals) or reals_power):
                raise UnsupportedError("a '+' subscript on something other than \\mathbb{R}")
            if reals_power:
                return ir.Pow(ir.Reals(base.base.dims, base.base.field, script), base.exp)
            return ir.Reals(base.dims, base.field, script)
        return _attach_subscript(base, script if isinstance(script, tuple) else (script,))

    def apply_sub(self, children):
        base, script, args = children
        indices = script if isinstance(script, tuple) else (script,)
        if isinstance(base, ir.Name) and not any(isinstance(i, str) for i in indices):
            return ir.Apply(base.name, args, indices)
        subscripted = self.subscript([base, script])
        if len(args) == 1:   # \|w\|_2 (a + b): a product
            return ir.Mul(subscripted, args[0], "juxt")
        raise UnsupportedError(f"a list of {len(args)} arguments after a subscripted expression")

    def inner(self, children):
        left, right = children
        return ir.Func("inner", (left, right))

    def positive_part(self, children):
        return ir.Func("relu", (children[0],))

    def indicator(self, children):
        _, relation = children
        return ir.Cases(((ir.Num("1"), relation),))

    def cases(self, children):
        return ir.Cases(tuple(row for row in children if row is not None))

    def case_row(self, children):
        value, condition = children
        return value, condition

    def otherwise(self, _children):
        return None

    def prime(self, children):
        return ir.Transpose(children[0])

    def sample(self, children):
        base, index = children
        if isinstance(base, ir.Sub):   # x_j^{(i)}: feature j of sample i, entry (i, j)
            return ir.Sub(base.base, (index,) + base.indices)
        return _attach_subscript(base, (index,))

    def index(self, children):   # text syntax: x[i, j]
        base, indices = children
        return _attach_subscript(base, tuple(indices))

    def transpose(self, children):   # text syntax: w.T
        return ir.Transpose(children[0])

    # -- atoms ---------------------------------------------------------------------------
    def name(self, children):
        return ir.Name(str(children[0]))

    def number(self, children):
        return _number(children[0])

    def ones(self, _children):
        return ir.Ones()

    def reals(self, children):
        return ir.Reals((), str(children[0]))

    def finite_set(self, _children):
        return ir.Reals((), "set")

    def abs(self, children):
        return ir.Abs(children[0])

    def norm(self, children):
        return ir.Norm(children[0])

    def func_call(self, children):
        head, args = children
        return ir.Func(str(head), args)

    def func_prefix(self, children):
        head, arg = children
        return ir.Func(str(head), (arg,))

    def func_power_call(self, children):   # \tanh^2(u): the power of the value, as \sin^2 x
        head, script, args = children
        return _function_power(str(head), args, script)

    def func_power_prefix(self, children):
        head, script, arg = children
        return _function_power(str(head), (arg,), script)

    def apply(self, children):
        head, args = children
        return ir.Apply(str(head), args)

    def args(self, children):
        return tuple(children)

    def frac(self, children):
        _, num, den = children
        return ir.Div(num, den)

    def sqrt(self, children):
        return ir.Func("sqrt", (children[-1],))

    def deriv(self, children):
        _, _, order, of, wrt = children
        order = order or 1
        if len(wrt) > 1:
            order = max(order, len(wrt))
        return ir.Deriv(of, wrt[0], order, "partial")

    def order(self, children):
        (script,) = children
        if isinstance(script, ir.Num) and script.text.isdigit():
            return int(script.text)
        raise UnsupportedError("a derivative order that is not a whole number")

    def wrt_list(self, children):
        return tuple(child for child in children if not isinstance(child, Token))

    def nabla(self, children):
        _, wrt, order, of = children
        return ir.Deriv(of, wrt, self.order([order]) if order is not None else 1, "nabla")

    # -- scripts (LaTeX) -----------------------------------------------------------------
    def script(self, children):
        return children[0]

    def script_list(self, children):
        return tuple(children)

    def script_top(self, _children):
        return "T"

    def script_inverse_top(self, _children):
        return "-T"

    def script_sign(self, _children):
        return "nonnegative"

    def script_definite(self, _children):
        return "positive"

    def script_bound(self, children):
        op, bound = children
        if bound != ir.Num("0") or str(op) not in (">", ">="):
            raise UnsupportedError("a set bound other than _{> 0} or _{\\ge 0}")
        return "positive" if str(op) == ">" else "nonnegative"

    def script_name(self, children):
        return ir.Name(str(children[0]))

    def script_number(self, children):
        return _number(children[0])

    # -- big operators -------------------------------------------------------------------
    def bigop(self, children):
        op, (index_spec, upper), body = children
        names, lower, *extra = index_spec
        every = extra == ["all"]   # \sum_{i,j=1}^{n}: the range belongs to each index
        excluded = extra[0] if extra and not every else None
        node = body
        for position, index in reversed(list(enumerate(names))):
            ranged = every or position == len(names) - 1
            node = ir.BigOp(str(op), index, lower if ranged else None, upper if ranged else None, node,
                            excluded if position == len(names) - 1 else None)
        return node

    def limits(self, children):
        index_spec, upper = children
        return index_spec, upper

    def limits_upper_first(self, children):
        upper, index_spec = children
        return index_spec, upper

    def index_bare(self, children):
        return (str(children[0]),), None

    def index_from(self, children):
        name, lower = children
        return (str(name),), lower

    def index_many(self, children):
        return tuple(str(c) for c in children), None

    def index_many_from(self, children):
        *names, lower = children
        return tuple(str(c) for c in names), lower, "all"

    def index_relation(self, children):
        name, op, other = children
        if str(op) == "!=" and isinstance(other, ir.Name):
            return (str(name),), None, other.name
        raise UnsupportedError(f"the sum over {name} {op} {_describe(other)}: symgd sums over ranges "
                               f"({name}=1 to n) and over j \\ne i")

    def index_pairs(self, children):
        *names, op, space = children
        raise UnsupportedError(f"the sum over index pairs ({', '.join(map(str, names))}) {op} {_describe(space)} "
                               "(a set of observed entries given as data) is not supported; "
                               "write the sum over all entries with a 0/1 mask matrix M: \\sum_{i,j} M_{ij}(...)")


MAX_NUMBER_DIGITS = 1000


def _number(token) -> ir.Num:
    """A numeric literal; absurdly long ones are refused here, before anything converts them."""
    text = str(token)
    if len(text) > MAX_NUMBER_DIGITS:
        raise UnsupportedError(f"a number with {len(text)} digits (the limit is {MAX_NUMBER_DIGITS})")
    return ir.Num(text)


def _describe(node) -> str:
    from symgd.render import latex_of
    return latex_of(node)


def _terms(node) -> tuple:
    """Flatten left-nested sums so a long sum is one ``Add`` (linear, not quadratic, to build)."""
    return node.terms if isinstance(node, ir.Add) else (node,)


def _split_juxt_names(node) -> tuple:
    """``\\min_{x y}`` never happens, but ``\\min_{w}`` gives one name and ``X_{ij}`` two."""
    if isinstance(node, ir.Mul) and node.op == "juxt":
        return (*_split_juxt_names(node.left), *_split_juxt_names(node.right))
    return (node,)


def _attach_subscript(base, indices: tuple):
    """Attach ``_{...}`` to what it subscripts: the base of ``x^2_i`` and ``w^\\top_k``; a norm's kind."""
    if isinstance(base, ir.Norm) and base.kind is None and len(indices) == 1:
        kind = _norm_kind(indices[0])
        if kind:
            return ir.Norm(base.arg, kind)
    if isinstance(base, ir.Norm) and base.kind is None and len(indices) == 2 \
            and all(isinstance(i, ir.Num) for i in indices):
        kind = ",".join(i.text for i in indices)
        if kind != "2,1":
            raise UnsupportedError(f"the norm \\|.\\|_{{{kind}}}: of the mixed norms symgd reads \\|B\\|_{{2,1}}")
        return ir.Norm(base.arg, kind)
    entry = len(_index_parts(indices)) == 2   # an entry (i, j) of a matrix
    if entry and isinstance(base, ir.Transpose) and isinstance(base.arg, ir.Name):
        return ir.Sub(base.arg, tuple(reversed(_index_parts(indices))))   # (X^\top)_{ij} = X_{ji}
    if entry and isinstance(base, (ir.Pow, ir.Transpose)) and _is_inverse(base):
        raise UnsupportedError("an entry of an inverse, (A^{-1})_{ij}; write the claim in matrix form "
                               "(A^{-1}, A^{-\\top})")
    if isinstance(base, ir.Pow):
        return ir.Pow(_attach_subscript(base.base, indices), base.exp)
    if isinstance(base, ir.Transpose):
        return ir.Transpose(_attach_subscript(base.arg, indices))
    if isinstance(base, ir.Sub):
        return ir.Sub(base.base, base.indices + indices)
    return ir.Sub(base, indices)


def _function_power(name: str, args: tuple, script):
    """``\\tanh^2(u)`` is ``(\\tanh u)^2``; ``\\tanh^{-1}`` would be the inverse function, not a power."""
    if script in (ir.Num("-1"), ir.Neg(ir.Num("1"))) or not isinstance(script, (ir.Num, ir.Name)):
        raise UnsupportedError(f"the superscript on \\{name}: write a power as \\{name}^2(u), an inverse "
                               "function by its name")
    return ir.Pow(ir.Func(name, args), script)


def _index_parts(indices: tuple) -> list:
    """The single indices of a subscript: ``{ij}`` (read as a product i j) and ``{i,j}`` alike."""
    parts = []
    for index in indices:
        while isinstance(index, ir.Mul) and index.op == "juxt":
            parts.append(index.left)
            index = index.right
        parts.append(index)
    return parts


def _is_inverse(node) -> bool:
    """A^{-1}, A^{-\\top} (a power -1, transposed or not)."""
    if isinstance(node, ir.Transpose):
        return _is_inverse(node.arg)
    return isinstance(node, ir.Pow) and node.exp in (ir.Num("-1"), ir.Neg(ir.Num("1")))


def _norm_kind(index) -> str | None:
    if isinstance(index, ir.Num):
        if index.text in NORM_KINDS:
            return NORM_KINDS[index.text]
        raise UnsupportedError(f"the norm \\|.\\|_{index.text}: only the 1-, 2- and Frobenius norms are supported")
    if isinstance(index, ir.Name):
        if index.name in NORM_KINDS:
            return NORM_KINDS[index.name]
        raise UnsupportedError(f"the norm \\|.\\|_{index.name}: only the 1-, 2- and Frobenius norms are supported")
    return None


class LatexIRBuilder(IRBuilder):
    """IR builder for grammar/latex.lark."""

    def names_relation(self, children):
        *names, op, right = children
        return tuple(ir.Relation((ir.Name(str(name)), right), (str(op),)) for name in names)


class TextIRBuilder(IRBuilder):
    """IR builder for grammar/text.lark: function names are looked up in the primitive table."""

    names_relation = LatexIRBuilder.names_relation

    def relation(self, children):
        node = super().relation(children)
        return ir.Relation(node.operands, tuple("=" if op == "==" else op for op in node.ops))

    def declaration(self, children):
        *names, reals, dims = children
        space = ir.Reals(dims or (), str(reals))
        return tuple(ir.Relation((ir.Name(str(name)), space), ("in",)) for name in names)

    def dims(self, children):
        return tuple(children)

    def minimize(self, children):
        head, variables, objective = children
        return ir.Minimize(variables, objective, "max" if "max" in str(head) else "min")

    def opt_vars(self, children):
        return tuple(ir.Name(str(c)) for c in children)

    def text_bigop(self, children):
        op, body, *indices = children
        for index, lower, upper in reversed(indices):
            body = ir.BigOp(str(op), index, lower, upper, body)
        return body

    def bigop_index(self, children):
        name, lower, upper = children
        return str(name), lower, upper

    def text_sum_all(self, children):
        op, body = children
        if str(op) != "sum":
            raise UnsupportedError("prod(v) of all entries; write prod(v[i], i=1..n)")
        return ir.Func("sum", (body,))

    def apply(self, children):
        head, args = children
        return text_function(str(head), args)


def text_function(name: str, args: tuple):
    """Resolve a plain-text call ``name(args)`` through the primitive table's text spellings."""
    from symgd.functions import TEXT_NAMES

    if name == "vector" and args == (ir.Num("1"),):
        return ir.Ones()
    if name == "grad" and len(args) == 2:
        return ir.Deriv(args[0], args[1], 1, "nabla")
    canonical = TEXT_NAMES.get(name)
    if canonical is None:
        return ir.Apply(name, args)
    if canonical in ("norm2", "norm1", "normF"):
        kind = {"norm2": None if name == "norm" else "2", "norm1": "1", "normF": "F"}[canonical]
        if len(args) == 2 and args[1] in (ir.Num("1"), ir.Num("2")):
            return ir.Norm(args[0], args[1].text)
        return ir.Norm(_only_arg(name, args), kind)
    if canonical == "abs":
        return ir.Abs(_only_arg(name, args))
    return ir.Func(canonical, args)


def _only_arg(name: str, args: tuple):
    if len(args) != 1:
        raise UnsupportedError(f"{name}() takes one argument, got {len(args)}")
    return args[0]
