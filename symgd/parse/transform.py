"""Lark callbacks that build IR nodes, shared by the LaTeX and the plain-text grammar.

One method per grammar rule (or alias); each only builds a node. The few rewrites here are purely
notational (a subscript written after a power belongs to the base, ``\\|v\\|_2`` names the norm),
never semantic: what a product or a subscript means is decided by the problem builder.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from lark import Token, Transformer

from symgd.errors import AmbiguityError, UnsupportedError
from symgd.parse import ir

BINOPS = {"cdot": "cdot", "*": "star", "times": "times", "@": "matmul", "ast": "cdot"}
EPSILONS = (ir.Name("varepsilon"), ir.Name("epsilon"))   # |u|_\\varepsilon, the epsilon-insensitive loss
# \|U_i\|_{Fro} (Salakhutdinov & Mnih); nuc and inf are what the tokenizer makes of _* and _\infty
NORM_KINDS = {"1": "1", "2": "2", "F": "F", "fro": "F", "Fro": "F", "nuc": "*", "inf": "inf"}


class Label(str):
    """A word in a script (``^{\\text{ridge}}``, ``_{\\rm cor}``): part of a name, never a power."""


@dataclass(frozen=True)
class NamedObjective:
    """``f_0(x) = \\|Ax - b\\|`` after \\min or minimize: the objective's name and its value."""

    name: object
    value: object
    names: tuple = ()   # every member before the value: the name, then a chain's middle members


def _value(objective):
    return objective.value if isinstance(objective, NamedObjective) else objective


def _names(objective) -> tuple:
    return objective.names if isinstance(objective, NamedObjective) else ()


class IRBuilder(Transformer):
    """Turns parse-tree rules into IR nodes (used inline by the LALR parser)."""

    # -- items ---------------------------------------------------------------------------
    def start(self, items):
        flat = []
        for item in items:
            flat.extend(item if isinstance(item, tuple) else (item,))
        flat = [_diagonal_of_listed_entries(_family_in_head(item)) for item in flat]
        for item in flat:
            if any(node == DOTS for node in ir.walk(item)):
                raise UnsupportedError("\\cdots or \\ldots other than between the terms of a sum "
                                       "(a_1 + \\cdots + a_n); write the sum with \\sum")
        return tuple(flat)

    def density(self, children):
        return ir.Func(DENSITY, (ir.Name(str(children[0])),))

    def dots(self, _children):
        return DOTS

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
        if any(isinstance(child, ir.Minimize) for child in children):
            return self.estimate(children)
        return ir.Relation(tuple(children[0::2]), tuple(str(op) for op in children[1::2]))

    def estimate(self, children):
        """``\\hat\\beta = \\arg\\min_\\beta f``, ``(\\hat\\alpha, \\hat\\beta) = \\arg\\min f``,
        ``\\hat\\beta \\in \\arg\\min_\\beta f`` (Belloni et al.: one of the minimisers): the left side
        names the estimates; the problem is the right. A bare \\arg\\min takes its variables from the
        estimates' names, accents dropped (the estimate of beta is written \\hat\\beta)."""
        ops = [str(child) for child in children if isinstance(child, str)]
        *names, problem = [child for child in children if not isinstance(child, str)]
        if ops not in ([], ["="], ["in"]) or (ops and len(names) != 1) or not isinstance(problem, ir.Minimize):
            raise UnsupportedError("an optimization problem inside a chain of relations; write it on its own")
        variables = [_estimated(name) for name in names]
        if problem.variables or not all(variables):
            return problem
        return dataclasses.replace(problem, variables=tuple(variables))

    def eq(self, _children):
        return "="

    def minimize(self, children):
        head, script, objective = children
        sense = str(head)
        if sense not in ("min", "max"):
            raise UnsupportedError(f"\\{sense} with a subscript: only \\min_x and \\max_x start a problem")
        variables = script if isinstance(script, tuple) else _split_juxt_names(script)
        return ir.Minimize(tuple(variables), _value(objective), sense, _names(objective))

    def minimize_declared(self, children):
        head, *declarations, objective = children
        return self.minimize([head, tuple(declarations), objective])

    def script_relation(self, children):
        left, op, right = children
        return ir.Relation((left, right), (str(op),))

    def minimize_plain(self, children):
        head, objective = children
        return self.minimize_word([head, None, objective])

    def named_objective(self, children):
        """``f_0(x) = \\|Ax - b\\|`` after \\min: a name for the objective, then its value."""
        name, *members = children
        if not isinstance(name, (ir.Name, ir.Sub, ir.Apply)):
            raise UnsupportedError("an equation after \\min / minimize other than a name for the objective "
                                   "(minimize f_0(x) = ...)")
        return NamedObjective(name, members[-1], (name, *members[:-1]))

    def minimize_word(self, children):
        head, script, objective = children
        variables = () if script is None else script if isinstance(script, tuple) else _split_juxt_names(script)
        if not variables and isinstance(objective, NamedObjective) and isinstance(objective.name, ir.Apply):
            variables = objective.name.args   # minimize f_0(x) = ...: the arguments are the variables
        return ir.Minimize(tuple(variables), _value(objective), str(head), _names(objective))

    # -- arithmetic ----------------------------------------------------------------------
    def add(self, children):
        left, _, right = children
        terms = (*_terms(left), right)
        if len(terms) >= 3 and terms[-2] == DOTS:   # a_1 + \\cdots + a_n
            terms = _absorb_first_terms(terms[:-3], _fold_dots(terms[-3], right))
            return terms[0] if len(terms) == 1 else ir.Add(terms)
        return ir.Add(terms)

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
        if _quadratic_form_call(left, right):   # (x - x_0)^\top H (x - x_0): H is a matrix, not a function
            return ir.Mul(ir.Mul(left, ir.Name(right.name), "juxt"), right.args[0], "juxt")
        return ir.Mul(left, right, "juxt")

    # -- postfix -------------------------------------------------------------------------
    def sup(self, children):
        base, script = children
        if script == "nonnegative" and isinstance(base, (ir.Name, ir.Sub)):
            return _attach_subscript(base, (ir.Name("plus"),))   # f^+ (a positive example): a name of its own
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
        if isinstance(script, ir.Apply) and script.name == "T" and len(script.args) == 1 and not script.sub \
                and not script.fixed and base != ir.Name("e"):   # text X^T (Xw - y): a transpose, then a product
            return ir.Mul(ir.Transpose(base), script.args[0], "juxt")
        if isinstance(script, Label):   # \\hat\\beta^{\\text{ridge}}: a label, not a power
            return _attach_subscript(base, (ir.Name(str(script)),))
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
        if isinstance(script, Label):
            script = ir.Name(str(script))
        return _attach_subscript(base, script if isinstance(script, tuple) else (script,))

    def paren_subscript(self, children):
        """``(v)_i`` as ``v_i``, except one index on a transposed matrix in parentheses: ``(B^\\top)_j`` is
        column j of B, which the subscript rules (``w^\\top_k`` is ``(w_k)^\\top``) would make row j."""
        base, script = children
        one_index = not isinstance(script, (tuple, Label)) and len(_index_parts((script,))) == 1
        if isinstance(base, ir.Transpose) and isinstance(base.arg, (ir.Name, ir.Sub)) and one_index:
            raise UnsupportedError("one index on a transposed matrix in parentheses, (B^\\top)_{j}: a column of B; "
                                   "symgd reads B_j as a row. Sum over the entries (\\sum_i B_{ij}^2) or name the "
                                   "columns' matrix by its transpose")
        return self.subscript(children)

    def apply_sub(self, children):
        base, script, args = children
        indices = script if isinstance(script, tuple) else (script,)
        indices = tuple(ir.Name(str(i)) if isinstance(i, Label) else i for i in indices)   # \\phi_{\\rm tv}(x)
        if isinstance(base, ir.Name) and not any(isinstance(i, str) for i in indices):
            return ir.Apply(base.name, args, indices, getattr(args, "fixed", ()))
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

    def named_indicator(self, children):
        name, relation = children
        if str(name) != "I":
            raise UnsupportedError(f"{name}(...) of a condition: symgd reads I(u < 0) and \\mathbb{{1}}(u < 0) "
                                   "as indicators")
        return ir.Cases(((ir.Num("1"), relation),))

    def cases(self, children):
        return ir.Cases(tuple(row for row in children if row is not None))

    def case_row(self, children):
        value, condition = children
        return value, condition

    def otherwise(self, _children):
        return None

    def prime(self, children):
        return ir.Prime(children[0])

    def factorial(self, children):
        return ir.Func("factorial", (children[0],))

    def sample(self, children):
        base, index = children
        if isinstance(base, ir.Sub):   # x_j^{(i)}: feature j of sample i, entry (i, j)
            return ir.Sub(base.base, (index,) + base.indices)
        return _attach_subscript(base, (index,))

    def sample_power(self, children):   # x^{(i)^T}: sample i of x, transposed
        base, index, script = children
        return self.sup([self.sample([base, index]), script])

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
        if isinstance(children[0], ir.Abs):   # ||w||_1 (two bars typed for \|, as scikit-learn's pages do): a norm,
            return ir.Norm(children[0].arg)   # not |.| of |w| (Euclidean for a vector), which loses the subscript
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
        return ir.Apply(str(head), args, (), getattr(args, "fixed", ()))

    def args(self, children):
        return tuple(children)

    def args_fixed(self, children):
        """``Q(x; \\mu)``, ``\\mathcal{L}_A(x, \\lambda; \\mu)``: what follows ; are parameters held fixed
        (constants of the body), so only the arguments before it are arguments."""
        arguments = []
        for child in children:
            if isinstance(child, Token) and child.type == "SEMI":
                break
            arguments.append(child)
        fixed = children[len(arguments) + 1:]
        return _Arguments(arguments, tuple(part for child in fixed for part in (child if isinstance(child, tuple)
                                                                                   else (child,))))

    def fixed_tuple(self, children):   # \ell(w; (x, y)): the parts of a data point, flattened by args_fixed
        return tuple(children)

    def set_builder(self, children):
        index, _such_that, condition = children
        return ir.SetBuilder(str(index), condition)

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

    def nabla_order_first(self, children):
        nabla, order, wrt, of = children
        return self.nabla([nabla, wrt, order, of])

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

    def script_label(self, children):
        return Label(str(children[0]))

    def labelled(self, children):   # X^{(\\text{train})}: the training set's X, a name of its own
        base, label = children
        return _attach_subscript(base, (ir.Name(str(label)),))

    def script_name(self, children):
        return ir.Name(str(children[0]))

    def script_number(self, children):
        return _number(children[0])

    # -- big operators -------------------------------------------------------------------
    def bigop(self, children):
        op, (index_spec, upper), body = children
        names, lower, *extra = index_spec
        every = extra == ["all"]   # \sum_{i,j=1}^{n}: the range belongs to each index
        excluded = extra[0] if extra and not every and isinstance(extra[0], (str, ir.Sub)) else None
        node = body
        if extra and isinstance(extra[0], tuple) and extra[0][0] == "point_pairs":   # \sum_{(x_i,x_j) \in S}
            return _sum_over_point_pairs(str(op), names, extra[0][1], extra[0][2], body)
        if extra and isinstance(extra[0], tuple) and extra[0][0] == "ordered":   # \sum_{i<j}
            first, second = names
            return ir.BigOp(str(op), first, None, None, ir.BigOp(str(op), second, extra[0][1], upper, body))
        if extra and isinstance(extra[0], tuple) and extra[0][0] == "member" \
                and isinstance(extra[0][1], (ir.Name, ir.Sub)) and _over_data_points(names, body):
            return _sum_over_points(str(op), names, extra[0][1], body)   # \sum_{x \in S} f(x): over the points
        if extra and isinstance(extra[0], tuple) and extra[0][0] == "member":   # \sum_{j \in R(t_i)}
            return ir.BigOp(str(op), names[0], None, None, ir.Mul(ir.Member(names[0], extra[0][1]), body, "mask"))
        if extra and isinstance(extra[0], tuple) and _over_data_points(names, body):   # \sum_{(x,y) \in S}
            return _sum_over_points(str(op), names, extra[0][1], body)
        if extra and isinstance(extra[0], tuple) and extra[0][0] == "union":   # \sum_{(u,i)\in Y\cup Y^-}
            _check_pair_indices(names, extra[0][1][0], body)
            node = ir.Mul(union_mask([ir.Sub(_mask_name(space), tuple(ir.Name(n) for n in names))
                                      for space in extra[0][1]]), body, "mask")
        elif extra and isinstance(extra[0], tuple):   # the mask of a set of index pairs
            _check_pair_indices(names, extra[0][1], body)
            node = ir.Mul(ir.Sub(_mask_name(extra[0][1]), tuple(ir.Name(n) for n in names)), body, "mask")
        for position, index in reversed(list(enumerate(names))):
            ranged = every or position == len(names) - 1
            node = ir.BigOp(str(op), index, lower if ranged else None, upper if ranged else None, node,
                            excluded if position == len(names) - 1 else None, position < len(names) - 1)
        return node

    def bigop_bare(self, children):
        """``2\\sum\\{-\\log(y/\\hat{\\mu}) + (y - \\hat{\\mu})/\\hat{\\mu}\\}`` (McCullagh & Nelder's deviances): a sum
        with no index; the problem builder reads it over the entries of the body's names (``BARE_SUM``)."""
        op, body = children
        if str(op) != "sum":
            raise UnsupportedError(f"\\{op} without an index; write the index and its range, "
                                   f"\\{op}_{{i=1}}^{{n}}")
        return ir.Func(BARE_SUM, (body,))

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
        if str(op) == "!=" and isinstance(other, ir.Sub):   # \sum_{j \ne y_i}: all classes but the label y_i
            return (str(name),), None, other
        if str(op) in ("<", "<=", ">", ">=") and isinstance(other, ir.Name) and other.name != str(name):
            # \sum_{i<j} (Kruskal's stress): every pair once, the inner index starting after the outer
            first, second = (str(name), other.name) if str(op) in ("<", "<=") else (other.name, str(name))
            start = ir.Name(first) if "=" in str(op) else ir.Add((ir.Name(first), ir.Num("1")))
            return (first, second), None, ("ordered", start)
        if str(op) == "in" and isinstance(other, (ir.Name, ir.Sub, ir.Apply)):   # \sum_{j \in R(t_i)}: a named set
            return (str(name),), None, ("member", other)
        raise UnsupportedError(f"the sum over {name} {op} {_describe(other)}: symgd sums over ranges "
                               f"({name}=1 to n) and over j \\ne i")

    def indexed_point(self, children):   # x_i in \sum_{(x_i, x_j) \in S}
        name, index = children
        return ir.Sub(ir.Name(str(name)), (index,))

    def index_point_pairs(self, children):
        """``\\sum_{(x_i, x_j) \\in \\mathcal{S}}`` (Xing et al. 2002): pairs of points named by their indices, so
        pairs of indices (i, j) of a set given as data (its 0/1 mask S_{ij}, read by the problem builder)."""
        *points, op, space = children
        indices = [point.indices[0] for point in points]
        named = isinstance(space, ir.Name) or (isinstance(space, ir.Sub) and isinstance(space.base, ir.Name))
        if str(op) != "in" or not named or not all(isinstance(index, ir.Name) for index in indices) \
                or len({index.name for index in indices}) != len(indices):
            written = ", ".join(_describe(point) for point in points)
            raise UnsupportedError(f"the sum over ({written}) {op} {_describe(space)}: symgd reads pairs of points "
                                   "with distinct single-letter indices in a named set, (x_i, x_j) \\in S")
        return tuple(index.name for index in indices), None, ("point_pairs", space, tuple(points))

    def index_in_builder(self, children):   # \sum_{t \in \{t : y_t \ge x_t b\}}
        name, op, builder = children
        if str(op) != "in":
            raise UnsupportedError(f"the sum over {name} {op} a set; write \\sum_{{{name} \\in \\{{{name} : ...\\}}}}")
        return (str(name),), None, ("member", builder)

    def index_in_literal(self, children):   # \sum_{i \in \{x, y, w, h\}}: the components of a vector
        name, op, *elements = children
        if str(op) != "in":
            raise UnsupportedError(f"the sum over {name} {op} a list; write \\sum_{{{name} \\in \\{{x, y, ...\\}}}}")
        elements = tuple(ELLIPSIS if element == DOTS else element for element in elements)   # \{1, \ldots, K\}
        return (str(name),), None, ("member", elements)

    def index_from_except(self, children):
        """``\\sum_{j=1, j \\ne y_i}^{K}``: a range with one value left out (an index or a class label)."""
        name, lower, again, op, other = children
        if str(again) != str(name) or str(op) != "!=" or not isinstance(other, (ir.Name, ir.Sub)):
            raise UnsupportedError(f"the sum over {name} = {_describe(lower)}, {again} {op} {_describe(other)}: symgd "
                                   f"leaves out one value, written {name} \\ne i or {name} \\ne y_i")
        return (str(name),), lower, other.name if isinstance(other, ir.Name) else other

    def index_pairs(self, children):
        *names, op, space = children
        named = isinstance(space, ir.Name) or (isinstance(space, ir.Sub) and isinstance(space.base, ir.Name))
        if str(op) == "in" and named:   # \\sum_{(u,i)\\in\\kappa}: over all pairs, weighted by the 0/1 mask kappa_{ui}
            return tuple(str(n) for n in names), None, ("mask", space)
        raise UnsupportedError(f"the sum over index pairs ({', '.join(map(str, names))}) {op} {_describe(space)} "
                               "(a set of observed entries given as data) is not supported; "
                               "write the sum over all entries with a 0/1 mask matrix M: \\sum_{i,j} M_{ij}(...)")

    def index_pairs_union(self, children):
        """``\\sum_{(u,i)\\in\\mathcal{Y}\\cup\\mathcal{Y}^-}`` (He et al. 2017): over the pairs of a union of sets
        given as data, each by its 0/1 mask (``union_mask``)."""
        names = [str(child) for child in children if isinstance(child, Token) and child.type == "NAME"]
        op = next(child for child in children if isinstance(child, Token) and child.type == "REL")
        spaces = tuple(child for child in children if not isinstance(child, Token))
        named = all(isinstance(space, ir.Name) or (isinstance(space, ir.Sub) and isinstance(space.base, ir.Name))
                    for space in spaces)
        if str(op) != "in" or not named:
            union = r" \cup ".join(_describe(space) for space in spaces)
            raise UnsupportedError(f"the sum over index pairs ({', '.join(names)}) {op} {union}: symgd reads a union "
                                   "of named sets of index pairs given as data")
        return tuple(names), None, ("union", spaces)


def union_mask(masks: list):
    """The 0/1 mask of a union of sets from theirs: m_1 + m_2 - m_1 m_2, folded over the sets (exact for 0/1
    values, whether or not the sets overlap)."""
    union = masks[0]
    for mask in masks[1:]:
        union = ir.Add((union, mask, ir.Neg(ir.Mul(union, mask, "juxt"))))
    return union


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


def _check_pair_indices(names: tuple, space, body) -> None:
    """``\\sum_{(u,i)\\in\\kappa}`` reads as the mask of kappa when u and i are indices (subscripts) of the body;
    ``\\sum_{(x,y)\\in S}`` over data points is refused. ``b_u`` beside ``b_i`` is read by the problem
    builder, which knows whether u and i range over one dimension (``_families_over_set_pairs``)."""
    subscripts = [node for node in ir.walk(body) if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name)]
    used = {n.name for node in subscripts for index in node.indices for n in ir.walk(index) if isinstance(n, ir.Name)}
    set_name = latex_of_set(space)
    if not set(names) <= used:
        raise UnsupportedError(f"the sum over ({', '.join(names)}) \\in {set_name}: symgd reads sums over the index "
                               "pairs of a set given as data (its 0/1 mask), not over data points")


def check_one_letter_per_index(names: tuple, subscripts: list, set_name: str) -> None:
    """``b_u`` and ``b_i`` in one sum over the pairs of a set (also once definitions are put in place):
    one vector b indexed by both, or two vectors told apart by the letter only? Refused, never merged."""
    by_base: dict = {}
    for node in subscripts:
        if len(node.indices) == 1 and isinstance(node.indices[0], ir.Name) and node.indices[0].name in names:
            by_base.setdefault(node.base.name, set()).add(node.indices[0].name)
    for base, indices in sorted(by_base.items()):
        if len(indices) > 1:
            spelled = " and ".join(f"{base}_{i}" for i in sorted(indices))
            raise AmbiguityError(f"{spelled} in the sum over the set {set_name}: one vector {base} indexed by "
                                 f"both, or {len(indices)} different vectors (one per kind of index)? "
                                 f"Give them different names (two vectors: {base}_{sorted(indices)[1]} and "
                                 f"c_{sorted(indices)[0]})")


class _Arguments(tuple):
    """A call's arguments, with what follows ``;`` kept apart as ``fixed``."""

    fixed: tuple = ()

    def __new__(cls, arguments, fixed):
        made = super().__new__(cls, arguments)
        made.fixed = fixed
        return made


def _over_data_points(names: tuple, body) -> bool:
    """``\\sum_{(\\mathbf{x}, y) \\in S}`` (Pegasos): the names are data points the body uses whole, no index of
    it (an index of the body reads as the mask of a set of index pairs instead)."""
    subscripts = {n.name for node in ir.walk(body) if isinstance(node, ir.Sub)
                  for index in node.indices for n in ir.walk(index) if isinstance(n, ir.Name)}
    used = {node.name for node in ir.walk(body) if isinstance(node, ir.Name)}
    return not set(names) & subscripts and set(names) <= used


def _sum_over_points(op: str, names: tuple, space, body):
    """The sum over the points (x, y) of a set S of data: over i, with x, y the rows x_i, y_i (i a letter the
    body does not use). A name of a point written with a subscript of its own (x_j) is refused: the point x
    has no entries to pick apart by a second index here."""
    bases = {node.base.name for node in ir.walk(body) if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name)}
    if set(names) & bases:
        clash = sorted(set(names) & bases)[0]
        raise UnsupportedError(f"{clash} with a subscript in the sum over the points ({', '.join(names)}) \\in "
                               f"{latex_of_set(space)}; write the sum over the samples: \\sum_i ... {clash}_i ...")
    used = {node.name for node in ir.walk(body) if isinstance(node, ir.Name)}
    index = next(letter for letter in INDEX_LETTERS if letter not in used)
    rows = {name: ir.Sub(ir.Name(name), (ir.Name(index),)) for name in names}

    def replace(node):
        if isinstance(node, ir.Name) and node.name in rows:
            return rows[node.name]
        return _rebuild(node, replace)

    return ir.BigOp(op, index, None, None, ir.Mul(ir.Member(index, space, tuple(names)), replace(body), "mask"))


def _sum_over_point_pairs(op: str, indices: tuple, space, points: tuple, body):
    """The sum over the pairs of points (x_i, x_j) of a set S: over every (i, j), its innermost sum's body
    behind the factor ``(x_i, x_j) \\in S`` (a ``Member`` with the pairs' indices), which the problem builder
    reads as the 0/1 mask S_{ij} given as data."""
    named = tuple(f"{p.base.name}_{p.indices[0].name}" for p in points)
    member = ir.Member(indices[-1], _mask_name(space), named, indices)   # \mathcal{S}, or D_S as one name
    node = ir.BigOp(op, indices[-1], None, None, ir.Mul(member, body, "mask"))
    for index in reversed(indices[:-1]):
        node = ir.BigOp(op, index, None, None, node)
    return node


def _rebuild(node, fn):
    """``node`` with ``fn`` applied to each child (the IR nodes a sum's body holds)."""
    if isinstance(node, ir.Apply):
        return ir.Apply(node.name, tuple(fn(a) for a in node.args), tuple(fn(s) for s in node.sub),
                        tuple(fn(f) for f in node.fixed))
    if isinstance(node, ir.Sub):
        return ir.Sub(fn(node.base), tuple(fn(i) for i in node.indices))
    if isinstance(node, ir.Relation):
        return ir.Relation(tuple(fn(o) for o in node.operands), node.ops)
    if isinstance(node, ir.Cases):
        return ir.Cases(tuple((fn(v), None if c is None else fn(c)) for v, c in node.pieces))
    if isinstance(node, ir.BigOp):
        return dataclasses.replace(node, lower=None if node.lower is None else fn(node.lower),
                                   upper=None if node.upper is None else fn(node.upper), body=fn(node.body))
    if isinstance(node, (ir.Num, ir.Name, ir.Ones, ir.Reals)):
        return node
    values = {f.name: getattr(node, f.name) for f in dataclasses.fields(node)}
    return type(node)(**{key: _rebuilt_field(value, fn) for key, value in values.items()})


def _rebuilt_field(value, fn):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return fn(value)
    if isinstance(value, tuple):
        return tuple(_rebuilt_field(part, fn) for part in value)
    return value


def _mask_name(space):
    """The 0/1 array of a set of index tuples: ``\\kappa``, or ``D_S`` (Rendle et al.) as one name: a set named
    with a subscript is not an entry of an array D."""
    if isinstance(space, ir.Sub) and isinstance(space.base, ir.Name) \
            and all(isinstance(index, ir.Name) for index in space.indices):
        return ir.Name("_".join([space.base.name, *(index.name for index in space.indices)]))
    return space


def latex_of_set(space) -> str:
    if isinstance(space, ir.Name):
        return "\\" + space.name if len(space.name) > 1 else space.name
    return f"{space.base.name}_{{...}}"


DENSITY = "\\density"   # the function name of a conditional density p(y|x) (its argument: the text)
BARE_SUM = "\\sum_bare"   # \\sum body with no index written: Func(BARE_SUM, (body,)), read by the problem builder
LISTED_DIAGONAL = "\\diag_listed"   # diag(d_1, \\ldots, d_m): Func(LISTED_DIAGONAL, (d, m)), read as diag(d)
DOTS = ir.Name("\\cdots")   # the marker of \\cdots / \\ldots; no user name has a backslash
ELLIPSIS = ir.Name("\\ldots")   # the dots of a literal set \\{1, \\ldots, K\\} (read by the problem builder)
INDEX_LETTERS = "ijklmnpqrstuv"


def _family_in_head(item):
    """``E(\\mathbf{w}_1, \\ldots, \\mathbf{w}_K) = ...`` (PRML 4.108): the arguments of a definition's head
    that a family spells out with dots are the family, once (``E(w)``, w the rows w_k)."""
    heads = isinstance(item, ir.Relation) and isinstance(item.operands[0], ir.Apply)
    if not heads or DOTS not in item.operands[0].args:
        return item
    head = item.operands[0]
    args = list(head.args)
    while DOTS in args:
        at = args.index(DOTS)
        before, after = (args[at - 1] if at else None), (args[at + 1] if at + 1 < len(args) else None)
        if not (isinstance(before, ir.Sub) and isinstance(after, ir.Sub) and before.base == after.base):
            return item   # refused below
        args[at - 1:at + 2] = [before.base]
    return ir.Relation((ir.Apply(head.name, tuple(args), head.sub), *item.operands[1:]), item.ops)


def _diagonal_of_listed_entries(node):
    """``\\operatorname{diag}(d_1, \\ldots, d_m)`` (Golub & Van Loan): the diagonal matrix of the vector d, whose
    entries the list spells out from the first to the last. The node keeps the last index for the reading
    the problem builder lists (``LISTED_DIAGONAL``: the vector, then the last index)."""
    if isinstance(node, ir.Func) and node.name == "diag" and len(node.args) == 3 and node.args[1] == DOTS:
        first, _, last = node.args
        if isinstance(first, ir.Sub) and isinstance(last, ir.Sub) and first.base == last.base \
                and isinstance(first.base, ir.Name) and first.indices == (ir.Num("1"),) and len(last.indices) == 1 \
                and isinstance(last.indices[0], (ir.Name, ir.Num)):
            return ir.Func(LISTED_DIAGONAL, (first.base, last.indices[0]))
    return _rebuild(node, _diagonal_of_listed_entries) if dataclasses.is_dataclass(node) else node


def _fold_dots(first, last):
    """``e^{x_1} + \\cdots + e^{x_n}`` is ``\\sum_{i=1}^{n} e^{x_i}``: the two terms must differ only where
    the first has a whole number and the last the end of the range (the same pair everywhere)."""
    pairs: list = []
    if not _differ_by_one_index(first, last, pairs) or not pairs or len(set(pairs)) != 1:
        raise UnsupportedError("\\cdots between terms that do not differ in one index only "
                               "(a_1 + \\cdots + a_n); write the sum with \\sum")
    start, end = pairs[0]
    used = {n.name for node in (first, last) for n in ir.walk(node) if isinstance(n, ir.Name)}
    index = next(letter for letter in INDEX_LETTERS if letter not in used)
    return ir.BigOp("sum", index, start, end, _with_index(first, last, ir.Name(index)))


def _absorb_first_terms(earlier: tuple, folded: ir.BigOp) -> tuple:
    """``w_0 + w_1x + w_2x^2 + \\ldots + w_Mx^M`` (PRML 1.1): the terms before the folded sum that are its
    body at the indices just below its start (with ``x^1`` written x and ``x^0`` left out) start it earlier."""
    while earlier and isinstance(folded.lower, ir.Num) and folded.lower.text.isdigit() and int(folded.lower.text) > 0:
        start = int(folded.lower.text) - 1
        if earlier[-1] != _at_index(folded.body, folded.index, start):
            break
        earlier, folded = earlier[:-1], dataclasses.replace(folded, lower=ir.Num(str(start)))
    return (*earlier, folded)


def _at_index(node, index: str, value: int):
    """``node`` with the index replaced by a whole number, written as a source writes that term."""
    if node == ir.Name(index):
        return ir.Num(str(value))
    if not dataclasses.is_dataclass(node):
        return node
    changes = {}
    for field in dataclasses.fields(node):
        part = getattr(node, field.name)
        if isinstance(part, tuple):
            changes[field.name] = tuple(_at_index(p, index, value) for p in part)
        elif dataclasses.is_dataclass(part):
            changes[field.name] = _at_index(part, index, value)
    node = dataclasses.replace(node, **changes)
    if isinstance(node, ir.Pow) and node.exp in (ir.Num("1"), ir.Num("0")):
        return node.base if node.exp == ir.Num("1") else ir.Num("1")
    if isinstance(node, ir.Mul) and ir.Num("1") in (node.left, node.right):
        return node.left if node.right == ir.Num("1") else node.right
    return node


def _differ_by_one_index(a, b, pairs: list) -> bool:
    """Walk two terms in parallel; record (whole number in a, expression in b) where they differ."""
    if a == b:
        return True
    if isinstance(a, ir.Num) and a.text.isdigit() and isinstance(b, (ir.Num, ir.Name, ir.Add)):
        pairs.append((a, b))
        return True
    if type(a) is not type(b) or not dataclasses.is_dataclass(a):
        return False
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, tuple) and isinstance(y, tuple) and len(x) == len(y):
            if not all(_differ_by_one_index(p, q, pairs) for p, q in zip(x, y)):
                return False
        elif dataclasses.is_dataclass(x):
            if not _differ_by_one_index(x, y, pairs):
                return False
        elif x != y:
            return False
    return True


def _with_index(a, b, index):
    """``a`` with the places where it differs from ``b`` replaced by the index."""
    if a == b:
        return a
    if isinstance(a, ir.Num):
        return index
    changes = {}
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, tuple):
            changes[field.name] = tuple(_with_index(p, q, index) for p, q in zip(x, y))
        elif dataclasses.is_dataclass(x):
            changes[field.name] = _with_index(x, y, index)
    return dataclasses.replace(a, **changes)


def _estimated(node) -> ir.Name | None:
    """The variable an estimate's name stands for: ``\\hat\\beta`` (``betahat``) -> beta; None otherwise."""
    while isinstance(node, (ir.Pow, ir.Sub)) and isinstance(node.base, ir.Name):   # \\hat\\beta^{ridge}
        node = node.base
    if isinstance(node, ir.Name):
        for accent in ("hat", "tilde", "check", "star"):
            if node.name.endswith(accent) and len(node.name) > len(accent):
                return ir.Name(node.name[:-len(accent)])
    return None


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
    if isinstance(base, ir.Norm) and len(indices) == 1 and _spelled_word(indices[0]) in NORM_KINDS:
        indices = (ir.Name(_spelled_word(indices[0])),)   # _{Fro}: the letters F r o, one word
    if isinstance(base, ir.Norm) and base.kind is None and len(indices) == 1 and _is_weight(indices[0]):
        arg = base.arg   # \\|v\\|_{R^{-1}} (Kalman smoothing): the weighted norm sqrt(v^T R^{-1} v)
        return ir.Func("sqrt", (ir.Mul(ir.Mul(ir.Transpose(arg), indices[0], "juxt"), arg, "juxt"),))
    if isinstance(base, ir.Norm) and base.kind is None and len(indices) == 1:
        kind = _norm_kind(indices[0])
        if kind:
            return ir.Norm(base.arg, kind)
    if isinstance(base, ir.Abs) and len(indices) == 1 and indices[0] in EPSILONS:
        return ir.Func("epsinsensitive", (base.arg, indices[0]))   # |\\xi|_\\varepsilon: max(0, |xi| - eps)
    if isinstance(base, ir.Abs) and indices in ((ir.Num("1"),), (ir.Num("2"),)):
        return ir.Norm(base.arg, _norm_kind(indices[0]))   # |\\beta|_1 (Zou & Hastie): the l1 norm
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


def _quadratic_form_call(left, right) -> bool:
    """``(u)^\\top M (u)``: a capitalised one-letter name between a transposed bracket and the same bracket
    is the matrix of a quadratic form (N&W's Taylor model ``(x - x_k)^T B (x - x_k)``), not a call M(u)."""
    while isinstance(left, ir.Mul):
        left = left.right
    return (isinstance(right, ir.Apply) and not right.sub and not right.fixed and len(right.args) == 1
            and len(right.name) == 1 and right.name.isupper() and isinstance(left, ir.Transpose)
            and left.arg == right.args[0])


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


def _is_weight(index) -> bool:
    """A norm's subscript that is a matrix: a capitalised name other than F (``M``, ``\\Sigma``), or its inverse."""
    if isinstance(index, ir.Pow) and index.exp in (ir.Num("-1"), ir.Neg(ir.Num("1"))):
        index = index.base
    if isinstance(index, ir.Sub):
        index = index.base
    return isinstance(index, ir.Name) and index.name[:1].isupper() and index.name not in NORM_KINDS


def _spelled_word(node) -> str | None:
    """The letters of a juxtaposition of one-letter names (``_{Fro}`` is F r o), else None."""
    letters = _split_juxt_names(node)
    if len(letters) > 1 and all(isinstance(n, ir.Name) and len(n.name) == 1 for n in letters):
        return "".join(n.name for n in letters)
    return None


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
            known = {index} | {node.index for node in ir.walk(body) if isinstance(node, ir.BigOp)}
            body = ir.BigOp(str(op), index, lower, upper, _entries_named_with_index(body, index, known))
        return body

    def bigop_index(self, children):
        name, lower, upper = children
        return str(name), lower, upper

    def text_sum_all(self, children):
        op, body = children
        if str(op) != "sum":
            raise UnsupportedError("prod(v) of all entries; write prod(v[i], i=1..n)")
        return ir.Func("sum", (body,))

    def name(self, children):
        _refuse_latex_big_operator(str(children[0]))
        return super().name(children)

    def apply(self, children):
        head, args = children
        _refuse_latex_big_operator(str(head))
        return text_function(str(head), args)

    def elementwise_power(self, children):
        """``v.^2``: the square of every entry, ``v ⊙ v``; other exponents are refused (a power ``v^p`` of a
        vector is not defined, and symgd has no entrywise power but the square)."""
        base, exponent = children
        if exponent != ir.Num("2"):
            raise UnsupportedError(f"the entrywise power .^{_describe(exponent)}: symgd reads .^2 (the squares of "
                                   "the entries); write other powers with a function of each entry")
        return ir.Hadamard(base, base)

    def text_norm(self, children):
        """``||v||`` (Euclidean), ``||v||_1``, ``||X||_F``: the norms as plain text types them."""
        arg, sub = children
        if sub is None:
            return ir.Norm(arg)
        label = str(sub)[1:]
        return ir.Norm(arg, _norm_kind(ir.Num(label) if label.isdigit() else ir.Name(label)))


def _entries_named_with_index(node, index: str, known: set):
    """In plain text's ``sum((y_i - w'*x_i)^2, i=1..n)`` the names ``y_i``, ``x_i`` end with the sum's index: they
    are the entries ``y[i]``, ``x[i]`` (as names, the body would not depend on i and the sum be n times one
    term); ``R_ij`` under sums over i and j is ``R[i, j]``. A suffix must hold the sum's index and only indices
    of sums here (``known``): ``w_0``, ``beta_k`` stay names."""
    if isinstance(node, ir.Name):
        base, _, suffix = node.name.rpartition("_")
        if base and index in suffix and len(set(suffix)) == len(suffix) and set(suffix) <= known:
            return ir.Sub(ir.Name(base), tuple(ir.Name(letter) for letter in suffix))
        return node
    if not dataclasses.is_dataclass(node):
        return node
    changes = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            new = tuple(_entries_named_with_index(v, index, known) for v in value)
        elif dataclasses.is_dataclass(value):
            new = _entries_named_with_index(value, index, known)
        else:
            continue
        if new != value:
            changes[field.name] = new
    return dataclasses.replace(node, **changes) if changes else node


def _refuse_latex_big_operator(name: str) -> None:
    """``sum_i (...)``, ``sum_{i=1}^n`` typed in plain text: a name ``sum_i`` there would be a number multiplying
    what follows (``sum_i log(1 + exp(-y_i w'x_i))`` was read so, silently), and ``y_i`` is a name of its own."""
    if re.fullmatch(r"(sum|prod)_\w*", name):
        raise UnsupportedError(f"{name} in plain text: write a sum as sum(body, i=1..n) with entries y[i], x[i] "
                               "(or use LaTeX: \\sum_{i=1}^{n} y_i)")


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
    if canonical in ("norm2", "norm1", "normF", "normnuc", "norminf"):
        kind = {"norm2": None if name == "norm" else "2", "norm1": "1", "normF": "F", "normnuc": "*",
                "norminf": "inf"}[canonical]
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
