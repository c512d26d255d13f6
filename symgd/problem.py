"""The typed Problem: objective, constraints, and every symbol's role and shape.

``build_problem`` reads the items of the parsed source (and of the ``where`` text) in one pass:

1. sort items into the objective, definitions, constraints (after "s.t."), declarations,
   derivative requests and update rules;
2. resolve notation that needs context (``\\sigma(z)`` is the sigmoid unless σ is declared,
   ``L(\\theta)`` inlines a definition, ``e^{x}`` is exp);
3. decide the parameters (``wrt=``, ``\\min_w``, ``L(w) =``, ``\\nabla_w``, an update rule);
4. infer shapes (symgd.shapes) and lower to SymPy index form (symgd.lower).

Roles: parameter (differentiated / optimized), data (tensors that are not parameters), constant
(scalars that are not parameters: hyperparameters such as λ), dimension (``n`` in
``\\mathbb{R}^{n}`` or ``\\sum_{i=1}^{n}``) and index (bound by a sum).
"""

from __future__ import annotations

import keyword
import dataclasses
import re
from fractions import Fraction
from collections import Counter
from dataclasses import dataclass, field

import sympy

from symgd.chains import Chain, chain_body, chain_head, check_chains
from symgd.errors import AmbiguityError, ShapeError, SymgdError, UnsupportedError
from symgd.functions import BY_NAME, NOTATIONS
from symgd.limits import boundary_limits
from symgd.lower import Lowering
from symgd.supplied import FUNCTION, SuppliedFunction
from symgd.parse import ir, parse_document
from symgd.parse.latex import ACCENTS, DENSITY_REFUSAL, GREEK, INFINITY, INFINITY_REFUSAL, OUT_OF_SCOPE
from symgd.parse.transform import BARE_SUM, DENSITY, ELLIPSIS, LISTED_DIAGONAL, check_one_letter_per_index
from symgd.render import ONE_HOT_SUFFIX, label_of_one_hot, latex_of, name_latex
from symgd.shapes import (DEFAULT_ENTRIES_READING, SCALAR, Dim, Scope, Shape, ShapeInference, describe, index_atoms,
                           sub_symbol_name)

# Letters that papers use for functions (\rho(y_i - x_i^\top\beta) in M-estimation, \zeta for softplus,
# \phi(x_n) for features, f, g, h for models, \Gamma(u) the gamma function): before a bracket they are calls,
# never a factor.
FUNCTION_LETTERS = frozenset("f g h F G H phi varphi psi rho zeta ell kappa Phi Psi Gamma".split())
PARAMETER, DATA, CONSTANT, DIMENSION, INDEX = "parameter", "data", "constant", "dimension", "index"
# \Pr(Y|P), \operatorname{Pr}(y \mid x): a DENSITY token that is a probability (its text as written)
PROBABILITY_RE = re.compile(r"\\(?:Pr\b|(?:operatorname|mathrm|text)\s*\{\s*Pr\s*\})")
OBJECTIVE_NAMES = ("L", "J", "f", "E", "loss", "ell", "R", "F", "C", "Q")


@dataclass(frozen=True)
class Constraint:
    """One constraint, normalised: ``expr <= 0`` (kind ``"le"``) or ``expr = 0`` (kind ``"eq"``).

    ``expr`` is in index form; a vector constraint has free ``indices`` (one per axis of ``shape``).
    """

    kind: str
    expr: sympy.Expr
    shape: tuple
    indices: tuple
    latex: str


@dataclass(frozen=True)
class UpdateRule:
    """An update rule such as ``\\theta_{n+1} = \\theta_n - \\gamma \\nabla L(\\theta_n)``."""

    param: str
    step_size: sympy.Expr | None
    latex: str


@dataclass(frozen=True)
class DerivativeRequest:
    """A derivative written in the source: ``\\frac{\\partial L}{\\partial w}`` or ``\\nabla_w L``.

    ``inverted`` is True for ``\\frac{\\partial w}{\\partial L}``, the reciprocal notation.
    """

    of: str | None
    wrt: tuple[str, ...]
    order: int
    inverted: bool
    latex: str


class SymbolDict(dict):
    """A dict keyed by SymPy symbols that also accepts a symbol's name (``shapes["X"]``)."""

    def __getitem__(self, key):
        if isinstance(key, str):
            for symbol in self:
                if _name_of(symbol) == key:
                    return dict.__getitem__(self, symbol)
            raise KeyError(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        if isinstance(key, str):
            return any(_name_of(symbol) == key for symbol in self)
        return dict.__contains__(self, key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def _name_of(symbol) -> str:
    return str(symbol.label) if isinstance(symbol, sympy.IndexedBase) else str(symbol)


@dataclass
class Problem:
    """A parsed optimization problem.

    Attributes:
        objective: the objective in SymPy index form (a scalar).
        constraints: normalised constraints (``g <= 0`` / ``h = 0``).
        params: parameters in ``wrt`` order (SymPy Symbol for scalars, IndexedBase for tensors).
        data, constants, dims, indices: the other roles, in order of first use.
        shapes: symbol -> tuple of dimensions (SymPy symbols or ints); ``()`` for scalars.
        roles: symbol -> role name.
        argnames: symbol -> the Python identifier generated code uses for it.
        requests: derivative requests found in the source.
        updates: update rules found in the source.
        notes: remarks for the user (e.g. about notation).
        readings: each implicit decision symgd made in reading the source, in words (``\\sigma`` is
            the logistic sigmoid, ``b_j`` are the rows of ``B``, ``n`` is the number of rows of ``X``).
        objective_ir: the objective as parsed (IR), ``constraints_ir`` likewise.
        symmetric: the declared symmetric matrices (``\\mathbb{S}^n``, ``\\Sigma \\succ 0``): symbol -> kind.
        syntax: ``"latex"`` or ``"text"``.
        labels: integer class labels used as indices (``f_{y_i}``, ``\\sum_{j \\ne y_i}``): the one-hot data
            symbol that the index form uses (``y_onehot``, entry (i, k) = [y_i = k], labels 0-based as in
            NumPy) -> the labels' name as written (``"y"``; ``"y_i"`` for the label of one example).
            Generated code takes the integer labels under the one-hot's argname and builds it.
    """

    objective: sympy.Expr
    constraints: tuple[Constraint, ...]
    params: tuple
    data: tuple
    constants: tuple
    dims: tuple
    indices: tuple
    shapes: SymbolDict
    roles: SymbolDict
    argnames: SymbolDict
    requests: tuple[DerivativeRequest, ...] = ()
    updates: tuple[UpdateRule, ...] = ()
    notes: tuple[str, ...] = ()
    readings: tuple[str, ...] = ()
    objective_ir: object = None
    constraints_ir: tuple = ()
    syntax: str = "latex"
    sense: str = "min"
    objective_name: str | None = None
    written: dict = field(default_factory=dict)   # parameter name -> name written in the source (W -> w)
    symmetric: dict = field(default_factory=dict)   # symbol -> "symmetric" / "positive (semi)definite" (declared)
    functions: dict = field(default_factory=dict)   # h_\theta(x) = ... in the source: name -> (params, body IR)
    labels: dict = field(default_factory=dict)      # one-hot data symbol -> the integer labels' name (y, y_i)
    supplied: dict = field(default_factory=dict)    # r_j(x) the user supplies: name -> SuppliedFunction

    def symbol(self, name: str):
        """The SymPy object of the symbol called ``name`` (``"X"``, ``"lambda"``)."""
        for symbol in self.roles:
            if _name_of(symbol) == name:
                return symbol
        raise KeyError(name)

    def latex(self) -> str:
        """The problem as LaTeX that ``symgd.parse`` reads back to the same Problem."""
        head = r"\min_{%s} " % ", ".join(name_latex(_name_of(p)) for p in self.params)
        text = head + latex_of(_with_calls(self.objective_ir, self.supplied))
        if self.constraints_ir:
            text += r" \quad \text{s.t.} \quad " + r",\; ".join(latex_of(_with_calls(c, self.supplied))
                                                                 for c in self.constraints_ir)
        declarations = [self._declaration(symbol) for symbol in self.roles
                        if self.roles[symbol] in (PARAMETER, DATA, CONSTANT) and symbol not in self.labels]
        if declarations:
            text += r" \quad \text{where} \quad " + r",\; ".join(declarations)
        return text

    def _declaration(self, symbol) -> str:
        shape = self.shapes[symbol]
        space = r"\mathbb{R}"
        if shape:
            space += "^{%s}" % r" \times ".join(sympy.latex(d) for d in shape)
        name = name_latex(_name_of(symbol))
        if self.roles[symbol] == CONSTANT and symbol.is_positive:
            return f"{name} > 0"
        return f"{name} \\in {space}"

    def _repr_latex_(self) -> str:
        return "$" + self.latex() + "$"

    def summary(self) -> dict:
        """A JSON-ready description: symbols with role, shape and argname; objective; constraints."""
        symbols = []
        for symbol, role in self.roles.items():
            entry = {"name": _name_of(symbol), "role": role,
                     "latex": name_latex(_name_of(symbol))}
            if symbol in self.shapes:
                entry["shape"] = [str(d) for d in self.shapes[symbol]]
            if symbol in self.argnames:
                entry["argname"] = self.argnames[symbol]
            symbols.append(entry)
        return {
            "objective": str(self.objective),
            "objective_latex": sympy.latex(self.objective),
            "params": [_name_of(p) for p in self.params],
            "symbols": symbols,
            "constraints": [{"kind": c.kind, "expr": str(c.expr), "latex": c.latex} for c in self.constraints],
            "requests": [{"of": r.of, "wrt": list(r.wrt), "order": r.order, "inverted": r.inverted,
                          "latex": r.latex} for r in self.requests],
            "updates": [{"param": u.param, "step_size": None if u.step_size is None else str(u.step_size),
                         "latex": u.latex} for u in self.updates],
            "notes": list(self.notes),
            "readings": list(self.readings),
        }


# ---------------------------------------------------------------------------------------
# Sorting the items of a document
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _SuppliedCall:
    """A call of a function the user supplies, as the source writes it (see ``_Resolver.supplied_call``)."""

    written: str            # r_{j}(x)
    params: tuple           # the parameter arguments' names, in order
    signature: tuple        # each argument (a parameter's name, or "point"), the parameters as subscripts, the indices
    points: tuple = ()      # the data-point arguments as written (x_n)
    arguments: tuple = ()   # ("param", name) or ("point", the data's name) per argument


@dataclass
class _Items:
    """What the source says, sorted by kind (still IR)."""

    objective: object = None
    objective_origin: str = ""
    sense: str = "min"
    definitions: dict = field(default_factory=dict)     # name -> (param names, body)
    documents: list = field(default_factory=list)       # the source after the notational rewrites (chains)
    entry_heads: dict = field(default_factory=dict)     # \hat{p}(X_i) = ...: name -> the head's arguments written
    indexed: dict = field(default_factory=dict)         # y_n = \sigma(w^\top \phi_n): y -> (index names, body)
    chains: list = field(default_factory=list)          # A = B = ... = E: chains.Chain, E the definition
    assumptions: list = field(default_factory=list)     # side conditions on constants: 0 < \tau < 1
    free_min: bool = False                              # \min f with no variables listed
    definition_order: list = field(default_factory=list)
    source_definitions: int | None = None   # how many of definition_order the source made (the rest: where=)
    bare: list = field(default_factory=list)
    constraints: list = field(default_factory=list)     # (IR relation, op) pairs, one op each
    declared: dict = field(default_factory=dict)        # name -> Reals dims tuple
    sample_declared: dict = field(default_factory=dict) # name -> dims of one sample (x_i in R^d)
    subscript_declared: dict = field(default_factory=dict)  # x_i or \Sigma_{12} (IR) -> dims, sorted later
    positive: set = field(default_factory=set)
    symmetric: dict = field(default_factory=dict)       # name -> "symmetric" or "positive definite"
    identity: set = field(default_factory=set)
    params: list = field(default_factory=list)          # from \min_w, L(w) =, \nabla_w, updates
    requests: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    readings: list = field(default_factory=list)       # implicit decisions, in words
    primed: set = field(default_factory=set)            # x with x' an argument of a definition: k(x, x')
    powered: set = field(default_factory=set)           # definitions with a power in the head: f(w, \sigma^2)
    sets: dict = field(default_factory=dict)            # R(t_i) = \{j : t_j \ge t_i\}: name -> (head, SetBuilder)
    head_names: dict = field(default_factory=dict)      # FL(p_t) = ...: FL -> ("p_t",), None for plain arguments
    fixed: dict = field(default_factory=dict)           # \ell(w; (x, y)) = ...: name -> (x, y), what follows ;
    labelled: set = field(default_factory=set)          # L(t^u, v) = ...: (t, u), a superscript that is a label
    one_hot: dict = field(default_factory=dict)         # f_{y_i}: one-hot name -> (labels' name, label IR, f's name)
    summed: set = field(default_factory=set)            # index names some sum (or an entrywise definition) binds
    paired_points: set = field(default_factory=set)     # x of \sum_{(x_i, x_j) \in S}: one x, written with both
    boundaries: dict = field(default_factory=dict)      # \alpha_0 = -\infty: alpha -> {subscript IR: +1 or -1}
    pair_families: dict = field(default_factory=dict)   # b of b_u, b_i over (u,i) \in \kappa -> ((u, i), set, evidence)
    names: set = field(default_factory=set)             # every name the source writes (fresh indices avoid them)
    supplied: dict = field(default_factory=dict)        # r_j(x) of the parameter x, undefined: r -> _SuppliedCall

    def read(self, text: str) -> None:
        """Record an implicit reading once."""
        if text not in self.readings:
            self.readings.append(text)


def _juxtaposed_factors(node) -> list:
    """The factors of a left-nested juxtaposition ``a b c`` (one factor for anything else)."""
    factors = []
    while isinstance(node, ir.Mul) and node.op == "juxt":
        factors.append(node.right)
        node = node.left
    return [node, *reversed(factors)]


def _capital_head(node):
    """``SSR`` (Wikipedia's Deming regression) or ``PB_q(t)`` (scikit-learn's pinball loss) as a definition's
    head: capital letters side by side, the last one perhaps called; returns (letters, the called Apply or None)."""
    factors = _juxtaposed_factors(node)
    *letters, last = factors
    if not letters or not all(isinstance(f, ir.Name) and len(f.name) == 1 and f.name.isupper() for f in letters):
        return None
    if isinstance(last, ir.Name) and len(last.name) == 1 and last.name.isupper():
        return "".join(f.name for f in factors), None
    if isinstance(last, ir.Apply) and len(last.name) == 1 and last.name.isupper():
        return "".join(f.name for f in letters) + last.name, last
    return None


def _join_capital_heads(documents: list[ir.Document]) -> tuple[list[ir.Document], list[str]]:
    """A definition whose head is capitals side by side (``SSR = ...``, ``PB_q(t) = ...``) defines one name:
    the letters as a product would leave the head undefinable. The same juxtaposition elsewhere (``PB_q(y_i -
    X_i w)`` in the objective) is that name, provided no letter of it is a symbol of its own anywhere."""
    heads = {}
    for document in documents:
        for item in document.items:
            if isinstance(item, ir.Relation) and len(item.operands) == 2 and item.ops[0] in ("=", ":="):
                head = _capital_head(item.operands[0])
                if head is not None:
                    heads[head[0]] = head
    lone = _lone_capitals(documents, heads) if heads else set()
    heads = {word: head for word, head in heads.items() if not set(word) & lone}
    if not heads:
        return documents, []

    def join(node):
        node = _map_children(node, join) if not isinstance(node, ir.Minimize) else \
            dataclasses.replace(node, objective=join(node.objective))
        if not (isinstance(node, ir.Mul) and node.op == "juxt"):
            return node
        factors = _juxtaposed_factors(node)
        for start in range(len(factors) - 1):
            found = _capital_head(_product_of(factors[start:]))
            if found is not None and found[0] in heads:
                call = found[1]
                joined = ir.Name(found[0]) if call is None else dataclasses.replace(call, name=found[0])
                return _product_of([*factors[:start], joined])
        return node

    return [dataclasses.replace(document, items=tuple(join(item) for item in document.items))
            for document in documents], sorted(heads)


def _close_pair_sums(documents: list[ir.Document]) -> tuple[list[ir.Document], list]:
    """``\\sum_{s \\neq t}|\\theta_{st}|`` (Hastie, Tibshirani & Wainwright's off-diagonal l1 norm): t is bound by no
    sum and written nowhere else in the formula, so the sum runs over the pairs, t as well; an excluded index
    used outside the sum (SimCLR's per-pair loss ``\\ell_{i,j}``, CS231n's ``L_i``) keeps its reading."""
    pairs = []

    def names_outside(item, skip) -> set:
        stack, names = [item], set()
        while stack:
            node = stack.pop()
            if node is skip:
                continue
            if isinstance(node, ir.Name):
                names.add(node.name)
            stack.extend(ir.children(node))
        return names

    def close(node, bound: frozenset, item):
        if isinstance(node, ir.Minimize):
            return dataclasses.replace(node, objective=close(node.objective, bound, item))
        if isinstance(node, ir.BigOp):
            excluded = node.excluded if isinstance(node.excluded, str) else None
            inner = bound | {node.index} | ({excluded} if excluded else set())
            rewritten = dataclasses.replace(node, body=close(node.body, inner, item))
            if node.op == "sum" and excluded and excluded not in bound and excluded not in names_outside(item, node):
                pairs.append((node.index, excluded))
                return ir.BigOp("sum", excluded, None, None, rewritten)
            return rewritten
        return _map_children(node, lambda child: close(child, bound, item))

    documents = [dataclasses.replace(document, items=tuple(close(item, frozenset(), item) for item in document.items))
                 for document in documents]
    return documents, pairs


def _calls_in_subscripts(documents: list[ir.Document]) -> tuple[list[ir.Document], list[str]]:
    """``v_{\\omega(i)}`` (Guiver & Snelson's Plackett-Luce), ``s_{\\pi(j)}`` (ListMLE): a function defined nowhere,
    called on indices inside a subscript, is a permutation given as data, the index array ``\\omega_i``."""
    defined = {item.operands[0].name for document in documents for item in document.items
               if isinstance(item, ir.Relation) and isinstance(item.operands[0], ir.Apply)}
    found = []

    def as_entry(index):
        if isinstance(index, ir.Apply) and index.name not in defined and not index.sub and not index.fixed \
                and index.args and all(isinstance(arg, ir.Name) for arg in index.args):
            if index.name not in found:
                found.append(index.name)
            return ir.Sub(ir.Name(index.name), index.args)
        return rewrite(index)

    def rewrite(node):
        if isinstance(node, ir.Minimize):
            return dataclasses.replace(node, objective=rewrite(node.objective))
        if isinstance(node, ir.Sub):
            return ir.Sub(rewrite(node.base), tuple(as_entry(index) for index in node.indices))
        return _map_children(node, rewrite)

    documents = [dataclasses.replace(document, items=tuple(rewrite(item) for item in document.items))
                 for document in documents]
    return documents, found


def _product_of(factors: list):
    node = factors[0]
    for factor in factors[1:]:
        node = ir.Mul(node, factor, "juxt")
    return node


def _lone_capitals(documents: list[ir.Document], heads: dict) -> set:
    """Capital letters written somewhere outside every joined head (P alone, S in S^{-1}): symbols of their own."""
    lone = set()
    stack = [item for document in documents for item in document.items]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Mul) and node.op == "juxt":
            factors = _juxtaposed_factors(node)
            for start in range(len(factors) - 1):
                head = _capital_head(_product_of(factors[start:]))
                if head is not None and head[0] in heads:
                    stack.extend(factors[:start])
                    stack.extend(ir.children(head[1]) if head[1] is not None else ())
                    break
            else:
                stack.extend(ir.children(node))
            continue
        if isinstance(node, ir.Name) and len(node.name) == 1 and node.name.isupper():
            lone.add(node.name)
        stack.extend(ir.children(node))
    return lone


def _sort_items(documents: list[ir.Document]) -> _Items:
    found = _Items()
    for number, document in enumerate(documents):
        if number == 1:   # the where-text's definitions are auxiliary: never the objective over the source's
            found.source_definitions = len(found.definition_order)
        mode = "normal"
        for item in document.items:
            if isinstance(item, ir.Keyword):
                mode = "constraints" if item.word == "st" else "where"
            elif isinstance(item, ir.Minimize):
                _take_minimize(found, item)
                mode = "normal"
            elif isinstance(item, ir.Relation):
                _take_relation(found, item, mode)
            elif isinstance(item, ir.IdentityDecl):
                found.identity.add(item.name)
            elif isinstance(item, ir.StructureDecl):
                _declare_symmetric(found, item.name, item.kind)
            elif isinstance(item, ir.Deriv):
                _take_request(found, item)
            elif isinstance(item, ir.Mul) and isinstance(item.left, ir.Deriv) and item.left.of is None:
                _take_request(found, ir.Deriv(item.right, item.left.wrt, item.left.order, item.left.notation))
            elif _bare_min(item) is not None:
                _take_minimize(found, _bare_min(item))
                mode = "normal"
            else:
                if mode == "constraints":
                    raise UnsupportedError(f"{latex_of(item)} after s.t. is not a constraint (no relation)")
                found.bare.append(item)
    return found


def _bare_min(item) -> ir.Minimize | None:
    """``\\min x_1 + x_2`` (no variables under \\min) parses as min(x_1) + x_2: the problem's objective."""
    first = item.terms[0] if isinstance(item, ir.Add) else item
    if isinstance(first, ir.Func) and first.name in ("min", "max") and len(first.args) == 1:
        objective = ir.Add((first.args[0], *item.terms[1:])) if isinstance(item, ir.Add) else first.args[0]
        return ir.Minimize((), objective, first.name)
    return None


def _take_minimize(found: _Items, item: ir.Minimize) -> None:
    if found.objective is not None:
        raise UnsupportedError("two optimization problems in one source")
    found.objective = item.objective
    found.objective_origin = "min"
    found.sense = item.sense
    if len(item.names) > 1:   # \min_w L(w) = J(w) = ...: the objective is the last member; the others name it
        found.chains.append(Chain(item, (*item.names, item.objective), item.names[0], item.objective))
    if item.sense == "max":
        found.read(f"\\max {latex_of(item.objective)} is solved as \\min -({latex_of(item.objective)}): "
                   "the objective, gradient and Hessian are those of the negated function")
        found.objective = ir.Neg(item.objective)
    if not item.variables:
        found.free_min = True
    indices = {node.index for node in ir.walk(item.objective) if isinstance(node, ir.BigOp)}
    for variable in item.variables:
        if _implied_by_log_det(variable, item.objective):
            _declare_symmetric(found, _declared_name(variable.operands[0]), "positive definite")
            found.read(f"{latex_of(variable)} under \\{item.sense} is implied by the domain of \\log\\det "
                       f"{latex_of(variable.operands[0])} (a symmetric positive definite matrix)")
            variable = variable.operands[0]
        elif (bounded := _bounded_variable(variable)) is not None:
            # \max_{\|v\|_2 \le 1} (HTW's SCoTLASS): the variable v over the set the relation describes
            found.constraints.append((variable.operands[0], variable.ops[0], variable.operands[1]))
            found.read(f"{latex_of(variable)} under \\{item.sense} is a constraint on {latex_of(bounded)}")
            variable = bounded
        elif isinstance(variable, ir.Relation):   # \min_{x \in \mathbb{R}^n}: a variable and its space
            _take_declaration(found, variable)
            variable = variable.operands[0]
        name = _variable_name(variable, indices)
        if name.endswith("_star") and name not in _names_used([item.objective]):
            name = name[:-len("_star")]   # \\min_{q^*, p^*} (Koren et al.): the optimum of q, the variable q
            found.read(f"{name}^* under \\{item.sense} marks the optimum; the variable is {name}")
        found.params.append(name)
        if isinstance(variable, ir.Sub) and name != _param_name(variable):
            found.read(f"{latex_of(variable)} under \\{item.sense} is a parameter of its own")


def _bounded_variable(variable):
    """The one name of ``\\|v\\|_2 \\le 1`` (a norm or an absolute value of a name, bounded by a number), else None."""
    if not (isinstance(variable, ir.Relation) and len(variable.ops) == 1 and variable.ops[0] in ("<=", "<")
            and isinstance(variable.operands[1], ir.Num) and isinstance(variable.operands[0], (ir.Norm, ir.Abs))):
        return None
    inner = variable.operands[0].arg
    return inner if isinstance(inner, ir.Name) else None


def _implied_by_log_det(variable, objective) -> bool:
    """``\\max_{\\Theta \\succeq 0} \\log\\det\\Theta - ...`` (the graphical lasso): the semidefinite constraint on
    a matrix whose log-determinant the objective takes is implied by that domain, so it is a declaration; any
    other \\succeq 0 under \\min (a semidefinite program's) stays refused."""
    if not (isinstance(variable, ir.Relation) and set(variable.ops) <= {"succeq", "succ"}
            and variable.operands[-1] == ir.Num("0") and _is_matrix_name(variable.operands[0])):
        return False
    matrix = variable.operands[0]
    return any(isinstance(node, ir.Func) and node.name == "log" and node.args
               and node.args[0] in (ir.Func("det", (matrix,)), ir.Abs(matrix)) for node in ir.walk(objective))


def _take_relation(found: _Items, item: ir.Relation, mode: str) -> None:
    ops = set(item.ops)
    left, right = item.operands[0], item.operands[-1]
    if isinstance(right, ir.SetBuilder) or isinstance(left, ir.SetBuilder):
        _take_set_definition(found, item)
    elif "in" in ops:
        _take_declaration(found, item)
    elif _symmetry_statement(item):
        name = _declared_name(left if isinstance(right, ir.Transpose) else right)
        _declare_symmetric(found, name, "symmetric")
    elif ops == {"succeq"} and mode != "constraints" and _is_matrix_name(left) and right == ir.Num("0"):
        _declare_symmetric(found, _declared_name(left), "positive definite")
    elif ("succeq" in ops or "preceq" in ops) and mode != "constraints":
        raise UnsupportedError(f"{latex_of(item)} outside a constraint list; write \\min_x f \\quad "
                               "\\text{s.t.} \\quad x \\succeq 0")
    elif mode == "constraints" or (ops <= {"<=", "<", ">=", ">"} and not _is_positivity(item)):
        if mode != "constraints":
            _take_assumption(found, item)
            return
        for position, op in enumerate(item.ops):
            found.constraints.append((item.operands[position], op, item.operands[position + 1]))
        if ops & {"succeq", "preceq"}:
            found.read(f"{latex_of(item)} holds componentwise (a semidefinite reading on a matrix is refused)")
    elif _is_positivity(item):
        found.positive.add(_param_name(left))
    elif isinstance(left, ir.Deriv):
        raise UnsupportedError("a claimed derivative (use symgd.check to check it)")
    elif ops <= {"=", ":="} and _infinite_sign(right) is not None:
        _take_boundary(found, item)
    elif ops <= {"=", ":="} and _names_a_new_symbol(left, right):
        found.read(f"{latex_of(left)} is a name of its own, defined by {latex_of(left)} = {latex_of(right)} "
                   f"(not entry {latex_of(left.indices[0])} of {latex_of(left.base)})")
        _take_definition(found, item)
    elif ops == {"<-"} or _is_update(left, right):
        _take_update(found, item)
    elif ops <= {"=", ":="}:
        _take_definition(found, item)
    else:
        raise UnsupportedError(f"the relation {latex_of(item)}")


def _infinite_sign(node) -> int | None:
    """+1 for ``\\infty``, -1 for ``-\\infty``, else None."""
    if node == ir.Name(INFINITY):
        return 1
    return -1 if isinstance(node, ir.Neg) and node.arg == ir.Name(INFINITY) else None


def _with_infinity(node) -> str:
    """The LaTeX of ``node``, \\infty spelled as the source writes it."""
    return latex_of(node).replace(r"\mathrm{%s}" % INFINITY, r"\infty")


def _take_boundary(found: _Items, item: ir.Relation) -> None:
    """``\\alpha_0 = -\\infty, \\alpha_c = \\infty`` (Agresti's cut-points): the boundary entries of a vector, given
    as ±∞; its free entries are the ones between (``_boundary_vectors``)."""
    left, right = item.operands
    if len(item.operands) != 2 or not (isinstance(left, ir.Sub) and isinstance(left.base, ir.Name)
                                       and len(left.indices) == 1 and isinstance(left.indices[0], (ir.Num, ir.Name))):
        raise UnsupportedError(f"\\infty in {_with_infinity(item)}: symgd reads \\infty only as the value of a "
                               "boundary entry of a vector (\\alpha_0 = -\\infty, \\alpha_c = \\infty)")
    found.boundaries.setdefault(left.base.name, {})[left.indices[0]] = _infinite_sign(right)


def _take_set_definition(found: _Items, item: ir.Relation) -> None:
    """``R(t_i) = \\{j : t_j \\ge t_i\\}`` (Cox's risk set), ``\\mathcal{M} = \\{n : ...\\}``: a set sums run over."""
    head, builder = item.operands[0], item.operands[-1]
    if len(item.operands) != 2 or item.ops[0] not in ("=", ":=") or not isinstance(builder, ir.SetBuilder):
        raise UnsupportedError(f"{latex_of(item)}: a set is defined as a name = \\{{j : condition\\}}")
    found.sets[_set_key(head)] = (head, builder)


def _set_key(head) -> str:
    """The name a set is defined and used by: ``R`` of ``R(t_i)``, ``M`` of ``\\mathcal{M}``, ``D_S``."""
    if isinstance(head, ir.Name):
        return head.name
    if isinstance(head, ir.Apply):
        return apply_key(head)
    if isinstance(head, ir.Sub) and isinstance(head.base, ir.Name):
        return sub_symbol_name(head)
    raise UnsupportedError(f"the set {latex_of(head)}: name a set (R, R(t), \\mathcal{{M}}) to define it")


def _set_key_or_none(head) -> str | None:
    try:
        return _set_key(head)
    except UnsupportedError:
        return None


def _symmetry_statement(item: ir.Relation) -> bool:
    """``S = S^\\top`` or ``S^\\top = S``: a declaration that S is symmetric (read as a definition, S would
    be an update rule of itself)."""
    if item.ops != ("=",):
        return False
    left, right = item.operands
    named = (ir.Name, ir.Sub)
    def transpose_of(node, name):   # S^\top, S^T, or S' (a Prime is a Transpose until a call reads it)
        return isinstance(node, ir.Transpose) and node.arg == name

    return (isinstance(left, named) and transpose_of(right, left)) or \
        (isinstance(right, named) and transpose_of(left, right))


def _take_assumption(found: _Items, item: ir.Relation) -> None:
    """``0 < \\tau < 1``, ``\\lambda \\ge 0`` beside the loss: conditions on its constants, not constraints.
    Only names and numbers may appear; whether a name is a parameter is checked once parameters are known."""
    if not all(isinstance(o, (ir.Num, ir.Name)) or (isinstance(o, ir.Neg) and isinstance(o.arg, ir.Num))
               or (isinstance(o, ir.Sub) and isinstance(o.base, ir.Name)) for o in item.operands):
        raise UnsupportedError(f"the inequality {latex_of(item)} outside a constraint list; "
                               "write \\min_x f \\quad \\text{s.t.} \\quad ...")
    found.assumptions.append(item)
    for position, op in enumerate(item.ops):
        lower, upper = item.operands[position], item.operands[position + 1]
        if op in (">", ">="):
            lower, upper = upper, lower
        if isinstance(upper, ir.Name) and isinstance(lower, ir.Num) and Fraction(lower.text) >= 0 \
                and (op in ("<", ">") or Fraction(lower.text) > 0):
            found.positive.add(upper.name)
    found.read(f"{latex_of(item)} is an assumption on constants, not a constraint")


def _check_assumptions(found: _Items, params) -> None:
    for item in found.assumptions:
        names = {_base_name(o) for o in item.operands} - {None}
        if names & set(params):
            raise UnsupportedError(f"the inequality {latex_of(item)} on a parameter outside a constraint list; "
                                   "write \\min_x f \\quad \\text{s.t.} \\quad ...")


def _is_positivity(item: ir.Relation) -> bool:
    return (len(item.ops) == 1 and item.ops[0] in (">", ">=") and isinstance(item.operands[0], ir.Name)
            and item.operands[1] == ir.Num("0"))


def _is_update(left, right) -> bool:
    """``\\theta_{n+1} = \\theta_n - ...`` or ``w := w - ...``: the left side's name recurs on the right."""
    base = left.base if isinstance(left, ir.Sub) else left
    if not isinstance(base, ir.Name):
        return False
    # a sum's limit is a count: d_{ij} = \sqrt{\sum_{k=1}^{d} ...} (Sammon) defines d_{ij}, it updates nothing
    limits = {id(limit) for node in ir.walk(right) if isinstance(node, ir.BigOp) for limit in (node.lower, node.upper)}
    return any(isinstance(node, (ir.Name, ir.Sub)) and _base_name(node) == base.name and id(node) not in limits
               for node in ir.walk(right))


def _names_a_new_symbol(left, right) -> bool:
    """``p_t = \\begin{cases} p & y = 1 \\\\ 1 - p & \\text{otherwise} \\end{cases}`` (Lin et al.'s focal loss): a name
    with one letter for subscript, defined from its base written bare and never subscripted, names a new
    symbol (p_t); an update rule (``\\theta_{t+1} = \\theta_t - ...``) writes the base with its step."""
    if not (isinstance(left, ir.Sub) and isinstance(left.base, ir.Name) and len(left.indices) == 1
            and isinstance(left.indices[0], ir.Name) and len(left.indices[0].name) == 1):
        return False
    uses = [node for node in ir.walk(right) if _base_name(node) == left.base.name]
    return bool(uses) and all(isinstance(node, ir.Name) for node in uses) \
        and not any(node == left.indices[0] for node in ir.walk(right))


def _is_matrix_name(node) -> bool:
    """\\Sigma, K, K_y: a capitalised name (``\\Sigma \\succ 0`` declares it positive definite)."""
    base = node.base if isinstance(node, ir.Sub) else node
    return isinstance(base, ir.Name) and base.name[:1].isupper()


def _declared_name(node) -> str:
    return node.name if isinstance(node, ir.Name) else sub_symbol_name(node)


def _declare_symmetric(found: _Items, name: str, kind: str) -> None:
    """``S \\in \\mathbb{S}^n``, ``\\Sigma \\in \\mathbb{S}^n_{++}``, ``\\Sigma \\succ 0``: a symmetric matrix."""
    if found.symmetric.get(name) != "positive definite":
        found.symmetric[name] = kind


def _take_declaration(found: _Items, item: ir.Relation) -> None:
    if item.ops != ("in",):
        raise UnsupportedError(f"the declaration {latex_of(item)}")
    left, space = item.operands
    dims = _space_dims(space)
    reals = space.base if isinstance(space, ir.Pow) else space
    if reals.field == "S":   # \mathbb{S}^n: n x n symmetric (_{++}: positive definite, _+: semidefinite)
        if len(dims) != 1:
            raise UnsupportedError(f"the declaration {latex_of(item)}; write \\mathbb{{S}}^n for n x n symmetric")
        dims = (dims[0], dims[0])
        kinds = {"positive": "positive definite", "nonnegative": "positive semidefinite", "": "symmetric"}
        _declare_symmetric(found, _declared_name(left), kinds[reals.sign])
    elif reals.sign == "positive" and isinstance(left, ir.Name):
        found.positive.add(left.name)
    if isinstance(left, ir.Name):
        found.declared[left.name] = dims
    elif isinstance(left, ir.Sub) and isinstance(left.base, ir.Name):
        found.subscript_declared[left] = dims
    else:
        raise UnsupportedError(f"declaring the shape of {latex_of(left)}; declare a name")


def _sort_subscript_declarations(found: _Items, formulas) -> None:
    """``x_i \\in \\mathbb{R}^d`` with i bound by a sum declares one sample of x; ``\\Sigma_{12}``,
    ``W_1`` or ``K_y`` declare a name of their own (a matrix, not a stack of matrices)."""
    indices = {n.index for f in formulas for n in ir.walk(f) if isinstance(n, ir.BigOp)}
    for left, dims in found.subscript_declared.items():
        subscript = {n.name for index in left.indices for n in ir.walk(index) if isinstance(n, ir.Name)}
        if subscript and subscript <= indices:
            found.sample_declared[left.base.name] = dims
        else:
            found.declared[sub_symbol_name(left)] = dims


def _space_dims(space) -> tuple:
    """``\\mathbb{R}^{n \\times d}`` -> (n, d) as IR nodes."""
    if isinstance(space, ir.Reals):
        return space.dims
    if isinstance(space, ir.Pow) and isinstance(space.base, ir.Reals) and not space.base.dims:
        dims = []
        stack = [space.exp]
        while stack:
            node = stack.pop(0)
            if isinstance(node, ir.Mul) and node.op in ("times", "star", "cdot"):
                stack[:0] = [node.left, node.right]
            elif isinstance(node, (ir.Name, ir.Num)):
                dims.append(node)
            elif isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):   # \mathbb{R}^{d_k}
                dims.append(ir.Name(sub_symbol_name(node)))
            else:
                raise UnsupportedError(f"the dimension {latex_of(node)}; use a name or a whole number")
        return tuple(dims)
    raise UnsupportedError(f"the set {latex_of(space)}: declare shapes as \\mathbb{{R}}^{{n \\times d}}")


def _take_chain(found: _Items, item: ir.Relation) -> None:
    """``A = B = ... = E`` (also ``\\equiv``, ``:=``): the last member E is the definition (the last that names no
    density: ``E(w) = -\\sum_n ... = -\\ln p(t|w)``), stored under the first
    member (or the function head it abbreviates: ``C_{ij} \\equiv C(o_{ij})``); the earlier members name it or
    spell it another way, which ``check_chains`` holds to the same value once the problem is built."""
    body = chain_body(item.operands)
    head = chain_head([member for member in item.operands if member is not body])
    order, indexed = len(found.definition_order), set(found.indexed)
    _take_definition(found, ir.Relation((head, body), item.ops[-1:]))
    new = found.definition_order[order:] or sorted(set(found.indexed) - indexed)
    found.chains.append(Chain(item, item.operands, head, body, new[0] if new else None))


def _take_definition(found: _Items, item: ir.Relation) -> None:
    if len(item.operands) > 2:
        _take_chain(found, item)
        return
    left, body = item.operands
    if _names_a_density(left):   # \ln p(t|\theta) = ... (PRML, GPML): the left side only names the objective
        found.read(f"{latex_of(left)} names the objective, its right side {latex_of(body)}")
        params, name = (), latex_of(left)
        found.definitions[name] = (params, body)
        found.definition_order.append(name)
        return
    if isinstance(left, ir.Func) and (left.name not in BY_NAME or left.name in NOTATIONS):
        left = ir.Apply(left.name, left.args)   # \operatorname{sim}(u, v) = ..., |\xi|_\varepsilon := ...
    if (call := superscripted_call(left)) is not None:
        found.read(f"{latex_of(left)} = ... defines the function {superscripted_latex(call)}: the superscript is part "
                   "of its name, not a power; its calls are replaced by the definition")
        left = call
    if isinstance(left, ir.Apply):
        params = tuple(_head_param(arg, found, left) for arg in left.args)
        found.head_names[apply_key(left)] = tuple(_subscripted_head_name(arg, body) for arg in left.args)
        name = apply_key(left)
        found.entry_heads[name] = left.args
        if left.fixed:   # \ell(w; (x, y)) = ...: a call \ell(w; (x_i, y_i)) puts x_i, y_i in place of x, y
            found.fixed[name] = left.fixed
    elif isinstance(left, ir.Name):
        params, name = (), left.name
    elif _indexed_definition(left, body):   # y_n = \sigma(w^\top \phi_n): y_n for every n
        found.indexed[left.base.name] = (tuple(i.name for i in index_atoms(left.indices)), body)
        found.read(f"{latex_of(left)} = {latex_of(body)} defines {left.base.name}_{{{latex_of(left.indices[0])}}} "
                   "for every index value; its uses are replaced by the definition")
        return
    elif _diagonal_entry(left):
        # p_{ii} = 0, q_{ii} = 0 (van der Maaten & Hinton 2008): read as a name p_ii it was silently unused
        raise UnsupportedError(f"{latex_of(left)} = {latex_of(body)}: a value on the diagonal (the entries whose "
                               f"indices are equal) is not supported: symgd cannot take the diagonal out of the "
                               f"sums that use {latex_of(left.base)} (with 0 \\log 0 = 0 there)")
    elif isinstance(left, ir.Sub) and isinstance(left.base, ir.Name):
        params, name = (), sub_symbol_name(left)
    elif (name := power_definition_key(left)) is not None:
        # \sigma_B^2 = \frac{1}{m}\sum_i (x_i - \mu_B)^2 (batch normalisation): a variance defined as the square of
        # a name; its uses as that power are replaced, and the name alone elsewhere is refused
        params = ()
        found.read(f"{latex_of(left)} = {latex_of(body)} defines {latex_of(left)}; its uses are replaced by the "
                   "definition")
    else:
        raise UnsupportedError(f"the definition of {latex_of(left)}; define a name such as L(w) = ...")
    found.definitions[name] = (params, body)
    found.definition_order.append(name)


def _diagonal_entry(node) -> bool:
    """``p_{ii}``, ``K_{jj}``: an entry whose indices are one letter repeated."""
    if not isinstance(node, ir.Sub) or not isinstance(node.base, ir.Name):
        return False
    atoms = index_atoms(node.indices) or ()
    return len(atoms) > 1 and all(isinstance(a, ir.Name) for a in atoms) and len({a.name for a in atoms}) == 1


def power_definition_key(node) -> str | None:
    """The definitions' key of ``\\sigma_B^2`` (a name or subscripted name to a whole-number power), else None."""
    if not (isinstance(node, ir.Pow) and isinstance(node.exp, ir.Num) and node.exp.text.isdigit()):
        return None
    base = _plain_or_subscripted_name(node.base)
    return f"{base}__pow{node.exp.text}" if base else None


SUPERSCRIPT_MARK = "__sup"   # rho__suptau: the function \rho^\tau, its superscript part of its name


def superscripted_call(node) -> ir.Apply | None:
    """``\\rho_\\kappa^\\tau(r)`` (Aravkin et al.'s quantile Huber): a call of the function named
    \\rho_\\kappa^\\tau, as an Apply whose name carries the superscript (``rho__suptau``), or None. The parser
    reads it as the power τ of the call \\rho_\\kappa(r) (a lone name in the brackets) or as the product
    \\rho_\\kappa^\\tau (u); only a letter superscript qualifies (``r_j^2(x)`` is the square of a call), and only
    where the source defines the function so (``Resolver.superscripted``; any definition's left side written so
    is one)."""
    if isinstance(node, ir.Pow) and isinstance(node.base, ir.Apply) and isinstance(node.exp, ir.Name) \
            and not node.base.fixed:
        head, exponent, args = ir.Sub(ir.Name(node.base.name), node.base.sub), node.exp, node.base.args
    elif isinstance(node, ir.Mul) and node.op == "juxt" and isinstance(node.left, ir.Pow) \
            and isinstance(node.left.exp, ir.Name) and _plain_or_subscripted_name(node.left.base) is not None:
        head, exponent, args = node.left.base, node.left.exp, (node.right,)
    else:
        return None
    if exponent.name in ("T", "top") or _plain_or_subscripted_name(head) is None:
        return None
    base, sub = (head.base, head.indices) if isinstance(head, ir.Sub) else (head, ())
    return ir.Apply(f"{base.name}{SUPERSCRIPT_MARK}{exponent.name}", args, sub)


def superscripted_latex(call: ir.Apply) -> str:
    """``\\rho_{\\kappa}^{\\tau}`` for the Apply ``superscripted_call`` makes."""
    name, _, exponent = call.name.partition(SUPERSCRIPT_MARK)
    head = ir.Sub(ir.Name(name), call.sub) if call.sub else ir.Name(name)
    return f"{latex_of(head)}^{{{name_latex(exponent)}}}"


def _plain_or_subscripted_name(node) -> str | None:
    """``sigma`` for \\sigma, ``sigma_B`` for \\sigma_B; None for anything else."""
    if isinstance(node, ir.Name):
        return node.name
    if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
        return sub_symbol_name(node)
    return None


def _names_a_density(node) -> bool:
    """``p(y|x)``, ``\\ln p(t|\\theta)``, ``\\ln L(\\alpha, \\beta)``, ``-\\log p(y|X)``, ``-D_{KL}``: a left side
    that is the name of a (log-)density or likelihood or a negated name, not a function symgd could define."""
    if isinstance(node, ir.Neg):
        return _names_a_density(node.arg) or isinstance(node.arg, (ir.Name, ir.Sub))
    if isinstance(node, ir.Func) and node.name == "log" and len(node.args) == 1:
        node = node.args[0]
        if isinstance(node, ir.Apply) and not node.sub and node.name in OBJECTIVE_NAMES:
            return True   # \ln L(\alpha, \beta) = ... (Cameron & Trivedi): the log-likelihood, named
    return isinstance(node, ir.Func) and node.name == DENSITY


def _subscripted_head_name(node, body) -> str | None:
    """``\\mathrm{FL}(p_t) = -(1 - p_t)^\\gamma \\log(p_t)`` (Lin et al.): a head's argument with a one-letter
    subscript that no sum of the body binds, and whose base the body never writes otherwise, names a
    symbol of its own (p_t), not entry t of a vector p, when the head is the objective's (see
    ``_params_from_source``); None for any other argument."""
    if not (isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and len(node.indices) == 1
            and isinstance(node.indices[0], ir.Name) and len(node.indices[0].name) == 1):
        return None
    index = node.indices[0].name
    nodes = list(ir.walk(body))
    if any(isinstance(n, ir.BigOp) and n.index == index for n in nodes):
        return None
    subscripted = [n for n in nodes if isinstance(n, ir.Sub) and n.base == node.base]
    bare = sum(n == node.base for n in nodes) - len(subscripted)   # ir.walk also yields each Sub's base
    if not subscripted or bare or any(n != node for n in subscripted):
        return None
    return sub_symbol_name(node)


def _head_param(node, found: _Items, head: ir.Apply) -> str:
    """An argument of a definition's head: a name, or a power of one (``\\mathrm{NLL}(w, \\sigma^2)``: the
    variance is written as a power of the name σ, and σ is the variable of the body)."""
    if isinstance(node, ir.Prime) and isinstance(node.arg, ir.Name):   # k(x, x'): a second point x'
        found.primed.add(node.arg.name)
        found.read(f"{latex_of(node.arg)}' in {latex_of(head)} is a name of its own ({node.arg.name}_prime), "
                   "not a transpose")
        return f"{node.arg.name}_prime"
    if isinstance(node, ir.Pow) and isinstance(node.base, ir.Name) and isinstance(node.exp, ir.Name) \
            and len(node.exp.name) == 1:   # L_{loc}(t^u, v) (Fast R-CNN): t^u, the tuple for class u, is a name
        found.labelled.add((node.base.name, node.exp.name))
        found.read(f"{latex_of(node)} in {latex_of(head)} is a name (the superscript {node.exp.name} a label), "
                   "not a power")
        return f"{node.base.name}_{node.exp.name}"
    if isinstance(node, ir.Pow) and isinstance(node.base, (ir.Name, ir.Sub)) and isinstance(node.exp, ir.Num):
        name = _param_name(node.base)
        found.powered.add(apply_key(head))
        found.read(f"{latex_of(node)} in {latex_of(head)} names the variable {latex_of(node.base)}")
        return name
    return _param_name(node)


def _indexed_definition(left, body) -> bool:
    """``y_n = ...`` whose body uses the index n: a definition of every entry, not of a name ``y_n``."""
    if not isinstance(left, ir.Sub) or not isinstance(left.base, ir.Name):
        return False
    atoms = index_atoms(left.indices)   # K_{ij}: two indices i and j
    if not atoms or not all(isinstance(i, ir.Name) for i in atoms) or len({i.name for i in atoms}) != len(atoms):
        return False
    if STAR in atoms:   # FL^* = -\log(p_t^*)/\gamma (Lin et al.): a starred name, whatever stars its body has
        return False
    used = {n.name for n in ir.walk(body) if isinstance(n, ir.Name)}
    return all(i.name in used for i in atoms)


def apply_key(node: ir.Apply) -> str:
    """The name a call refers to: ``h`` for ``h(x)``, ``h_theta`` for ``h_\\theta(x)``."""
    return sub_symbol_name(ir.Sub(ir.Name(node.name), node.sub)) if node.sub else node.name


def _take_request(found: _Items, item: ir.Deriv) -> None:
    of, wrt = item.of, item.wrt
    inverted = False
    if of is not None and wrt is not None and _is_objective_like(wrt, found) and not _is_objective_like(of, found):
        of, wrt, inverted = wrt, of, True
    wrt_names = tuple(_param_name(w) for w in _split_wrt(wrt)) if wrt is not None else ()
    of_name = _objective_ref(of)
    if of is not None and of_name is None:
        found.bare.append(of)
    found.requests.append(DerivativeRequest(of_name, wrt_names, item.order, inverted, latex_of(item)))
    if inverted:
        found.notes.append(
            f"{latex_of(item)} is the reciprocal (inverse) notation; the gradient of {latex_of(of)} "
            f"is \\frac{{\\partial {latex_of(of)}}}{{\\partial {latex_of(wrt)}}}, which symgd gives")


def _is_objective_like(node, found: _Items) -> bool:
    name = _objective_ref(node)
    return name is not None and (name in found.definitions or name in OBJECTIVE_NAMES)


def _objective_ref(node) -> str | None:
    if isinstance(node, ir.Name):
        return node.name
    if isinstance(node, ir.Apply):
        return apply_key(node)
    return None


def _split_wrt(node) -> tuple:
    if isinstance(node, ir.Pow) and node.exp == ir.Num("2"):   # \partial w^2
        return (node.base,)
    if isinstance(node, ir.Transpose):
        return (node.arg,)
    return (node,)


def _take_update(found: _Items, item: ir.Relation) -> None:
    left, right = item.operands[0], item.operands[-1]
    param = _base_name(left)
    step = None
    for node in ir.walk(right):
        if isinstance(node, ir.Mul) and isinstance(node.right, ir.Deriv):
            step = node.left
        if isinstance(node, ir.Deriv) and isinstance(node.of, ir.Apply):
            found.requests.append(DerivativeRequest(node.of.name, (param,), 1, False, latex_of(node)))
    found.updates.append((param, step, latex_of(item)))
    found.params.append(param)


def _param_name(node) -> str:
    if isinstance(node, ir.Name):
        return node.name
    if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
        return node.base.name
    raise UnsupportedError(f"{latex_of(node)} as a variable; use a name")


def _variable_name(node, indices: set[str]) -> str:
    """A variable listed under \\min: ``\\beta_0`` is a symbol of its own, not an entry of β, while
    ``\\{\\lambda_i\\}`` with i bound by a sum of the objective is the whole family λ."""
    if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
        subscript = {n.name for index in node.indices for n in ir.walk(index) if isinstance(n, ir.Name)}
        if not subscript or not subscript <= indices:
            return sub_symbol_name(node)
    return _param_name(node)


def _base_name(node) -> str | None:
    if isinstance(node, ir.Name):
        return node.name
    if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
        return node.base.name
    return None


# ---------------------------------------------------------------------------------------
# Choosing the objective and resolving notation
# ---------------------------------------------------------------------------------------

def _choose_objective(found: _Items):
    """The objective: \\min's, else the top definition (one no other uses), else a bare formula."""
    if found.objective is not None:
        return found.objective, None
    requested = [r.of for r in found.requests if r.of]
    for name in requested:
        if name in found.definitions:
            return found.definitions[name][1], name
    if found.definitions:
        bodies = [body for _, body in found.definitions.values()] + [body for _, body in found.indexed.values()]
        used = {apply_key(node) if isinstance(node, ir.Apply) else node.name
                for body in bodies for node in ir.walk(body) if isinstance(node, (ir.Name, ir.Apply))}
        used |= {sub_symbol_name(node) for body in bodies for node in ir.walk(body)   # p_t = ... used in FL
                 if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name)}
        top = [name for name in found.definition_order if name not in used]
        written = found.definition_order[:found.source_definitions] if found.source_definitions else []
        if any(name in top for name in written):   # FL = ... with where p_t = ...: FL, whatever p_t's use
            top = [name for name in top if name in written]
        if len(top) > 1:
            preferred = [name for name in top if name in OBJECTIVE_NAMES]
            top = preferred[:1] or top
        if len(top) >= 1 and not found.bare:
            return found.definitions[top[-1]][1], top[-1]
    if len(found.bare) == 1:
        return found.bare[0], None
    per_example = _per_example_loss(found)
    if per_example is not None:
        return per_example, None
    _refuse_losses_per_index(found)
    if not found.bare and not found.definitions:
        raise AmbiguityError("the source has no objective: write a loss such as L(w) = ... or \\min_w ...")
    raise AmbiguityError("the source has several formulas and none is marked as the objective; "
                         "write L(w) = ... or \\min_w ...")


def _per_example_loss(found: _Items):
    """``L_i = ...`` alone (CS231n's loss of example i): the objective is the loss of one example, i fixed;
    its data (``y_i``, ``x_i``) are that example's. The source's average over examples is not written."""
    if found.bare or found.definitions or len(found.indexed) != 1:
        return None
    (name, (indices, body)), = found.indexed.items()
    if name not in OBJECTIVE_NAMES or len(indices) != 1:
        return None
    del found.indexed[name]
    found.readings[:] = [r for r in found.readings if "for every index value; its uses are replaced" not in r
                         or not r.startswith(f"{name_latex(name)}_{{{indices[0]}}}")]
    found.read(f"{name_latex(name)}_{{{indices[0]}}} is the loss of one example {indices[0]} ({indices[0]} fixed): "
               f"its data are that example's; the sum over examples is not written")
    return body


def _refuse_losses_per_index(found: _Items) -> None:
    """``l_n = \\begin{cases} ... \\end{cases}`` (PyTorch's HingeEmbeddingLoss), ``\\ell_{i,j} = ...`` (SimCLR)
    alone: a loss for each index value, and no objective over them. The sources reduce them differently
    (PyTorch's default is the mean, SimCLR averages over the positive pairs), so symgd does not pick one."""
    losses = [(name, indices) for name, (indices, _) in found.indexed.items() if name in (*OBJECTIVE_NAMES, "l")]
    if found.bare or found.definitions or not losses:
        return   # y_n = \\sigma(w^\\top x_n) alone is no loss: "no objective" says it
    name, indices = losses[0]
    written = f"{name_latex(name)}_{{{','.join(indices)}}}"
    over = ",".join(indices)
    raise AmbiguityError(f"{written} is a per-sample loss (a value for each {over}) and the source writes no "
                         f"objective over it; write the reduction, e.g. L = \\frac{{1}}{{N}}\\sum_{{{over}}} {written} "
                         f"(the mean) or L = \\sum_{{{over}}} {written}")


def _bound_index_names(formulas, found: _Items) -> set:
    """Index names some sum in the source binds (or an entrywise definition ``y_n = ...`` ranges over)."""
    names = {node.index for formula in formulas for node in ir.walk(formula) if isinstance(node, ir.BigOp)}
    for indices, body in found.indexed.values():
        names |= set(indices) | {n.index for n in ir.walk(body) if isinstance(n, ir.BigOp)}
    for _, body in found.definitions.values():
        names |= {n.index for n in ir.walk(body) if isinstance(n, ir.BigOp)}
    return names


def _check_labels_not_numbers(formulas, found: _Items) -> None:
    """Integer class labels index an array (``f_{y_i}``): the same y also used as a number (``y_i f_j``)
    has two meanings, which symgd does not guess between."""
    for written, label in found.one_hot.values():
        for formula in formulas:
            for node in ir.walk(formula):
                if node == label or node == ir.Name(written) or (
                        isinstance(node, ir.Sub) and node.base == ir.Name(written)):
                    raise AmbiguityError(
                        f"{latex_of(label)} is an integer class label indexing an array and also a number in "
                        f"the same source; write the labels and the numbers under different names")


class _Resolver:
    """Rewrites notation that depends on the rest of the source into plain IR."""

    def __init__(self, found: _Items, syntax: str, bold: frozenset = frozenset(),
                 requested: frozenset = frozenset()) -> None:
        self.found = found
        self.syntax = syntax
        self.bold = bold   # names written in a bold font (a bold capital is a matrix: \\boldsymbol{H}(w - w^*))
        self.requested = requested   # the parameters passed as wrt, when they were
        self.declared_names = set(found.declared) | set(found.sample_declared)
        self.active: list[str] = []
        self.inlined: dict[str, object] = {}   # resolved bodies, shared: a DAG, not an exponential tree
        self.products: set = set()             # calls read as products: (name, arguments as written)
        self.summed_sets: dict = {}            # the sets sums run over: name -> number of mask indices (0: no mask)
        self.names_besides_sets: set = set()   # names written other than as a set a sum runs over (or its |S|)
        self.bound: list[str] = []             # the indices of the sums around the node being resolved
        self.class_indices: set = set()   # (name, letter): \xi_i^m under \sum_{m \ne y_i} is an entry
        self.unlabelled_entries: set = set()   # (name, number of indices) of the entries x_{ij} the source writes
        self.head_params: frozenset = frozenset()   # the arguments of the objective's head: P(x; \mu) = ...

    def resolve(self, node):
        if isinstance(node, ir.Pow) and _superscript_key(node) in self.class_indices:   # \xi_i^m in a constraint
            return self.class_entry(node)
        if isinstance(node, ir.Abs) and isinstance(node.arg, (ir.Name, ir.Sub, ir.Apply)) \
                and _set_key_or_none(node.arg) in self.summed_sets:
            return self.cardinality(node)
        if isinstance(node, ir.BigOp) and isinstance(node.body, ir.Mul) and isinstance(node.body.left, ir.Member):
            return self.resolve(self.over_set(node))
        if isinstance(node, ir.BigOp) and node.op == "sum" and _limit_varies_with(node, self.bound):
            return self.resolve(self.ragged_log_sum(node))
        if isinstance(node, ir.BigOp) and node.index not in self.bound:
            self.refuse_logits_shared_by_samples(node)
            self.bound.append(node.index)
            try:
                return self.resolve(node)
            finally:
                self.bound.pop()
        if isinstance(node, ir.BigOp) and isinstance(node.upper, ir.Name) and self.is_whole_use(node.upper):
            # \sum_{k=1}^{d} beside d_{ij} = ... (Sammon 1969: d the dimension of the y_i, d_{ij} their distances):
            # the limit of a sum is a count, never the matrix the source defines entrywise
            start = "" if node.lower is None else f"={latex_of(node.lower)}"
            self.found.read(f"{node.upper.name} in \\{node.op}_{{{node.index}{start}}}^{{{node.upper.name}}} is a "
                            f"dimension (a count), not the matrix {node.upper.name} the source defines entrywise")
            return dataclasses.replace(node, lower=None if node.lower is None else self.resolve(node.lower),
                                       body=self.resolve(node.body))
        if isinstance(node, ir.Sub) and (entry := self.labelled_entry(node)) is not None:
            return self.resolve(entry)
        if isinstance(node, ir.Add):
            node = self.extend_sums(node)
        if isinstance(node, ir.Mul) and (entry := self.primed_entry(node)) is not None:
            return self.resolve(entry)
        if (call := self.superscripted(node)) is not None:
            return self.apply(call)
        if isinstance(node, ir.Pow) and isinstance(node.base, ir.Apply):
            return self.apply(node.base, self.resolve(node.exp))
        if isinstance(node, ir.Transpose) and isinstance(node.arg, ir.Apply):
            # V(R - U^\top V)^\top: a product transposes only its bracket, as a power raises it (see apply)
            value = self.apply(node.arg)
            if isinstance(value, ir.Mul) and value.op == "juxt" and (node.arg.name, node.arg.args) in self.products:
                return ir.Mul(value.left, dataclasses.replace(node, arg=value.right), "juxt")
            return dataclasses.replace(node, arg=value)
        if isinstance(node, ir.Apply):
            return self.apply(node)
        if isinstance(node, ir.Name) and self.is_whole_use(node):   # K_{ij} = ... used as the matrix K
            (rows, cols), body = self.found.indexed[node.name]
            self.found.read(f"{node.name} is the matrix with entries {node.name}_{{{rows}{cols}}} = {latex_of(body)}")
            if node.name in self.found.symmetric:
                self.found.read(f"{node.name} is symmetric {self.found.symmetric[node.name]} (declared)")
            return ir.Entrywise(rows, cols, self.resolve(body), node.name)
        if isinstance(node, ir.Sub) and self.is_indexed_use(node):
            indices, body = self.found.indexed[node.base.name]
            return self.resolve(_substitute_indices(body, dict(zip(indices, index_atoms(node.indices)))))
        if isinstance(node, ir.Sub) and self.is_entry_of_indexed(node):
            # \mu_n = softmax(W x_n) used as \mu_{nc} (Murphy): entry c of the vector defined for n
            indices, body = self.found.indexed[node.base.name]
            atoms = index_atoms(node.indices)
            self.found.read(f"{latex_of(node)} is entry {latex_of(atoms[len(indices)])} of "
                            f"{node.base.name}_{{{latex_of(atoms[0])}}}, the vector defined for every "
                            f"{indices[0]}")
            value = self.resolve(_substitute_indices(body, dict(zip(indices, atoms))))
            return ir.Sub(value, tuple(atoms[len(indices):]))
        if isinstance(node, ir.Sub) and _label_index(node) is not None:
            return self.resolve(self.gather(node))
        if isinstance(node, ir.BigOp) and isinstance(node.excluded, ir.Sub):
            return self.resolve(self.excluding_label(node))
        if isinstance(node, ir.Sub) and self.is_identity(node):
            name = sub_symbol_name(node)
            self.found.identity.add(name)
            self.found.read(f"{latex_of(node)} is the identity matrix of size {latex_of(node.indices[0])}")
            return ir.Name(name)
        if isinstance(node, ir.Cases):
            return self.resolve(self.cases(node))
        if isinstance(node, ir.Prime) and isinstance(node.arg, ir.Name) and node.arg.name in self.found.primed:
            return ir.Name(f"{node.arg.name}_prime")
        if isinstance(node, ir.Func) and node.name == DENSITY and "KL" in node.args[0].name:
            raise UnsupportedError(f"the divergence {node.args[0].name} is read only as the name of what follows "
                                   "=; write it out, e.g. \\sum_i p_i \\log\\frac{p_i}{q_i}")
        if isinstance(node, ir.Func) and node.name == DENSITY and PROBABILITY_RE.match(node.args[0].name):
            raise UnsupportedError(f"the probability {node.args[0].name}: {OUT_OF_SCOPE['Pr']} (in a chain L = "
                                   "-\\log\\Pr(y|x) = ..., an earlier member, it names the last)")
        if isinstance(node, ir.Func) and node.name == DENSITY:
            raise UnsupportedError(f"the conditional density {node.args[0].name}: {DENSITY_REFUSAL}")
        if isinstance(node, ir.Func) and node.name == BARE_SUM:
            return self.resolve(self.sum_over_entries(node.args[0]))
        if isinstance(node, ir.Func) and node.name == LISTED_DIAGONAL:
            vector, last = (latex_of(arg) for arg in node.args)
            self.found.read(f"\\operatorname{{diag}}({vector}_1, \\ldots, {vector}_{{{last}}}) is the diagonal matrix "
                            f"of the vector {vector}, its entries {vector}_1 to {vector}_{{{last}}}")
            vector = node.args[0]
            return ir.Func("diag", (self.resolve(vector),))
        if isinstance(node, ir.Func) and node.name == "cos" and len(node.args) == 2:
            return self.resolve(self.cosine_similarity(node))
        if isinstance(node, ir.Func) and node.name in self.found.definitions:
            return self.apply(ir.Apply(node.name, node.args))
        if isinstance(node, ir.Func) and node.name in NOTATIONS:
            self.found.read(NOTATIONS[node.name].format(*map(latex_of, node.args)))
        if isinstance(node, ir.Func) and (value := self.log_of_gamma(node)) is not None:
            return value
        if isinstance(node, ir.Func) and node.name == "factorial":
            self.found.read(f"{latex_of(node.args[0])}! is the factorial \\Gamma({latex_of(node.args[0])} + 1)")
        if (key := power_definition_key(node)) in self.found.definitions and key not in self.active:
            return self.inline(key, self.found.definitions[key][1])
        if isinstance(node, (ir.Name, ir.Sub)) and self.powers_defined(node):
            raise AmbiguityError(f"{latex_of(node)}: the source defines a power of it ({self.powers_defined(node)}) "
                                 f"but uses {latex_of(node)} itself; write it through the defined power, e.g. "
                                 f"\\sqrt{{{latex_of(node)}^2}}, or define {latex_of(node)}")
        if isinstance(node, ir.Name) and node.name in self.found.definitions and node.name not in self.active:
            params, body = self.found.definitions[node.name]
            if not params:
                return self.inline(node.name, body)
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) \
                and sub_symbol_name(node) in self.found.definitions and sub_symbol_name(node) not in self.active:
            params, body = self.found.definitions[sub_symbol_name(node)]   # MSE_{train} = ...
            if not params:
                return self.inline(sub_symbol_name(node), body)
        if isinstance(node, ir.Pow) and node.base == ir.Name("e") and "e" not in self.declared_names:
            self.found.read("e is Euler's number: e^{u} is \\exp(u)")
            return ir.Func("exp", (self.resolve(node.exp),))
        if isinstance(node, ir.Mul) and isinstance(node.left, ir.Deriv) and node.left.of is None:
            raise UnsupportedError("a derivative inside a formula")
        return _map_children(node, self.resolve)

    def sum_over_entries(self, body) -> ir.BigOp:
        """``\\sum\\{-\\log(y/\\hat{\\mu}) + (y - \\hat{\\mu})/\\hat{\\mu}\\}`` (McCullagh & Nelder): a sum written
        without an index, over a body of names written without subscripts, is the sum over their entries:
        each name becomes entry i of a vector (listed in the readings). A body with subscripts, sums or no
        name at all does not say what the sum runs over, and is refused."""
        nodes = list(ir.walk(body))
        names = sorted({n.name for n in nodes if isinstance(n, ir.Name)} - {"e", "pi"})
        scalars = [n for n in names if n in self.found.declared and not self.found.declared[n]]
        if not names or scalars or any(isinstance(n, (ir.Sub, ir.BigOp, ir.Apply)) for n in nodes):
            raise UnsupportedError(f"\\sum without an index over {latex_of(body)}: symgd reads it only over names "
                                   "written without subscripts (the sum over their entries); write the index and "
                                   "its range, \\sum_{i=1}^{n}")
        index = next(letter for letter in "ijklmnpqrstuv" if letter not in self.found.names)
        self.found.names.add(index)
        self.found.read(f"\\sum without an index is the sum over the entries of "
                        f"{', '.join(name_latex(n) for n in names)}: each is a vector, {index} its entries")
        entries = {name: ir.Sub(ir.Name(name), (ir.Name(index),)) for name in names}

        def entry(node):
            return entries.get(node.name, node) if isinstance(node, ir.Name) else _map_children(node, entry)
        return ir.BigOp("sum", index, None, None, entry(body))

    def note_sets(self, formulas) -> None:
        """The sets the source's sums run over, so that ``|S|`` beside them is read as their size."""
        self.names_besides_sets = _names_besides_sets(formulas)
        self.unlabelled_entries = {(node.base.name, len(atoms)) for formula in formulas for node in ir.walk(formula)
                                   if (atoms := _entry_atoms(node)) is not None}
        for formula in formulas:
            for node in ir.walk(formula):
                if isinstance(node, ir.Member) and node.pairs:   # (x_i, x_j) \in S: the mask S_{ij}
                    self.summed_sets[node.set.name] = len(node.pairs)
                elif isinstance(node, ir.Member) and self.is_set_of_data(node):
                    self.summed_sets[node.set.name] = 1   # \sum_{n \in \mathcal{M}}: the 0/1 mask M_n
                elif isinstance(node, ir.Member) and not isinstance(node.set, (tuple, ir.SetBuilder)):
                    self.summed_sets.setdefault(_set_key_or_none(node.set), 0)
                elif isinstance(node, ir.Mul) and node.op == "mask" and isinstance(node.left, ir.Sub):
                    self.summed_sets[_set_key_or_none(node.left.base)] = len(node.left.indices)
        self.summed_sets.pop(None, None)

    def labelled_entry(self, node: ir.Sub) -> ir.Sub | None:
        """``d^*_{ij}`` beside ``d_{ij}`` (Sammon 1969: d^*_{ij} the distances of the data, d_{ij} those of the
        mapping): where the source also writes (or defines) the unlabelled array with as many indices, the
        label names a second array, and d^*_{ij} is its entry (i, j) (a reading). Alone (y_i^*) the label
        beside an index stays refused by the shape stage. The label may come first or last (``w^*_i`` and
        ``w_i^*``, Goodfellow et al. 7.1.2, print alike)."""
        if not (isinstance(node.base, ir.Name) and len(node.indices) > 1):
            return None
        if self.is_label(node.indices[0]):
            label, rest = node.indices[0].name, index_atoms(node.indices[1:])
        elif self.is_label(node.indices[-1]):
            label, rest = node.indices[-1].name, index_atoms(node.indices[:-1])
        else:
            return None
        if not rest or not all(isinstance(a, ir.Name) and a.name in self.bound for a in rest):
            return None
        base = node.base.name
        defined = base in self.found.indexed and len(self.found.indexed[base][0]) == len(rest)
        if not defined and (base, len(rest)) not in self.unlabelled_entries:
            return None
        named, mark = f"{base}_{label}", "*" if label == "star" else f"\\text{{{label}}}"
        written = f"{name_latex(base)}^{{{mark}}}_{{{''.join(a.name for a in rest)}}}"
        self.found.read(f"{written} is an entry of {name_latex(base)}^{{{mark}}}, an array of its own ({named}) "
                        f"beside {name_latex(base)}: the label tells the two apart")
        return ir.Sub(ir.Name(named), tuple(rest))

    def is_label(self, node) -> bool:
        """A label in a subscript (``star`` of y^*, ``obs``): a name of two letters or more that no sum binds."""
        return isinstance(node, ir.Name) and len(node.name) > 1 and node.name not in self.bound

    def cardinality(self, node: ir.Abs):
        """``|\\kappa|`` beside ``\\sum_{(u,i)\\in\\kappa}``: the number of tuples in the set, the sum of its 0/1
        mask (a reading). The size of a set of data points or of a set-builder (``|S|``, ``|R(t_i)|``) is
        refused: read as written, |S| would be the absolute value (or determinant) of a symbol S."""
        key = _set_key_or_none(node.arg)
        count = self.summed_sets[key]
        if not count:
            raise UnsupportedError(f"{latex_of(node)}, the number of elements of the set {latex_of(node.arg)} a sum "
                                   "runs over: write it as a name (m, the number of samples) or as a sum of an "
                                   "indicator")
        used = {n.name for n in ir.walk(node) if isinstance(n, ir.Name)} | set(self.summed_sets)
        indices = [letter for letter in "abcdeghkl" if letter not in used][:count]
        total = ir.Sub(ir.Name(key), tuple(ir.Name(index) for index in indices))
        for index in reversed(indices):
            total = ir.BigOp("sum", index, None, None, total)
        self.found.read(f"{latex_of(node)} is the number of tuples in the set {latex_of(node.arg)}: the sum of its "
                        f"0/1 mask, {latex_of(total)}")
        return total

    def over_set(self, node: ir.BigOp):
        """A sum over a set: over the points (x, y) of the data (the rows x_i, y_i, as the body already
        reads), over the entries of a literal set (\\{x, y, w, h\\}: 1 to 4), or over every index value
        weighted by the indicator of a set-builder's condition (written in place or defined in the where-clause)."""
        member, body = node.body.left, node.body.right
        written = latex_of(member)
        if member.pairs:
            return self.over_pairs_of_points(node)
        if member.points:
            rows = ", ".join(f"{point}_{member.index}" for point in member.points)
            self.found.read(f"the sum over {written} is over the samples: {', '.join(member.points)} stand for "
                            f"{rows}, the rows of the data ({member.index} = 1, ..., the number of rows)")
            return ir.BigOp(node.op, node.index, None, None, body)
        if isinstance(member.set, tuple):
            upper = _literal_set_size(member)
            if member.set[:2] == (ir.Num("1"), ELLIPSIS):   # \{1, \ldots, n\}, or [n] (rewritten by the tokenizer)
                self.found.read(f"{member.index} \\in \\{{1, \\ldots, {latex_of(upper)}\\}} (also written "
                                f"[{latex_of(upper)}]): {member.index} = 1, ..., {latex_of(upper)}")
                return ir.BigOp(node.op, node.index, ir.Num("1"), upper, body)
            self.found.read(f"{written}: {member.index} runs over the {latex_of(upper)} entries of a vector, in the "
                            f"order written ({member.index} = 1, ..., {latex_of(upper)})")
            return ir.BigOp(node.op, node.index, ir.Num("1"), upper, body)
        if self.is_set_of_data(member):
            return self.over_set_of_data(node)
        builder = self.set_builder(member)
        condition = _substitute_indices(builder.condition, {builder.index: ir.Name(member.index)})
        indicator = ir.Cases(((ir.Num("1"), condition),))
        self.found.read(f"the sum over {written} is the sum over every {member.index} of "
                        f"{latex_of(indicator)} times its body")
        return ir.BigOp(node.op, node.index, None, None, ir.Mul(indicator, body, "juxt"))

    def is_set_of_data(self, member: ir.Member) -> bool:
        """``\\sum_{n \\in \\mathcal{M}}`` with M a plain name the source does not define (as a set-builder, a
        definition or a parameter) and no point of the data: a set of indices given as data. A set with an
        argument or a subscript (``R(t_i)``, ``R_i``) may change with another index and stays refused."""
        space = member.set
        return (isinstance(space, ir.Name) and not member.points and space.name not in self.found.sets
                and space.name not in self.found.definitions
                and space.name not in {*(self.requested or ()), *self.found.params}
                and space.name not in self.bound and space.name != member.index
                and space.name not in self.names_besides_sets and space.name not in self.declared_names
                and not self.is_identity(ir.Sub(space, (ir.Name(member.index),))))

    def over_set_of_data(self, node: ir.BigOp):
        """The sum over n in a set M of indices given as data: the sum over every n weighted by M's 0/1 mask
        M_n, an argument of the generated code, as for the pairs of ``\\sum_{(u,i)\\in\\kappa}`` (a reading). A
        set that the source lets depend on the parameters (PRML's misclassified patterns) is held fixed."""
        member, body = node.body.left, node.body.right
        mask = ir.Sub(member.set, (ir.Name(member.index),))
        self.found.read(f"{latex_of(member)}: {latex_of(member.set)} is a set of indices {member.index} given as "
                        f"data: its 0/1 mask {latex_of(mask)} (1 for {member.index} in the set) is an argument; "
                        "a set that depends on the parameters is held fixed (the gradient at fixed "
                        f"{latex_of(member.set)})")
        return ir.BigOp(node.op, node.index, None, None, ir.Mul(mask, body, "mask"))

    def over_pairs_of_points(self, node: ir.BigOp):
        """``\\sum_{(x_i, x_j) \\in \\mathcal{S}}`` (Xing et al. 2002): the pairs of points are named by their
        indices, so the sum runs over the pairs of indices (i, j) of S, given as data by its 0/1 mask S_{ij}
        (a reading). The letters of the points (one x with both indices) are the source's, never ambiguous."""
        member, body = node.body.left, node.body.right
        mask = ir.Sub(member.set, tuple(ir.Name(index) for index in member.pairs))
        self.found.paired_points.update(point.partition("_")[0] for point in member.points)
        self.found.read(f"the sum over {latex_of(member)} is over the pairs of indices ({', '.join(member.pairs)}) "
                        f"of a set given as data: its 0/1 mask {latex_of(mask)} (1 for a pair in the set) is an "
                        "argument")
        return ir.BigOp(node.op, node.index, None, None, ir.Mul(mask, body, "mask"))

    def set_builder(self, member: ir.Member) -> ir.SetBuilder:
        """The set-builder a sum runs over: written in place, or the definition of the set's name (a definition
        ``R(t) = ...`` used as ``R(s)`` has its argument put in place)."""
        space = member.set
        if isinstance(space, ir.SetBuilder):
            return space
        key = _set_key(space) if isinstance(space, (ir.Name, ir.Sub, ir.Apply)) else None
        if key not in self.found.sets:
            name = latex_of(space)
            as_data = ("" if not isinstance(space, ir.Name) else
                       f" (a set of indices given as data, its 0/1 mask, needs a name written nowhere else and "
                       f"not declared{'; I_' + member.index + ' would be an identity' if space.name == 'I' else ''})")
            raise UnsupportedError(f"the sum over {member.index} \\in {name}: the set {name} is not defined{as_data}; "
                                   f"define it by a set-builder in the where-clause ({name} = \\{{{member.index} : "
                                   f"...\\}}, with its condition), or sum over every {member.index} with an "
                                   f"indicator: \\sum_{{{member.index}}} \\mathbb{{1}}(...) ...")
        head, builder = self.found.sets[key]
        if isinstance(head, ir.Apply) and head.args != space.args:
            if len(head.args) != len(space.args) or not all(isinstance(a, ir.Name) for a in head.args):
                raise UnsupportedError(f"the set {latex_of(space)}: its definition {latex_of(head)} has other "
                                       "arguments; write the set with the definition's own arguments")
            arguments = {a.name: b for a, b in zip(head.args, space.args) if a != b}
            builder = ir.SetBuilder(builder.index, _substitute(builder.condition, arguments))
        self.found.read(f"{latex_of(space)} is the set {latex_of(builder)} (defined in the source)")
        return builder

    def fixed_arguments(self, name: str, node: ir.Apply) -> dict:
        """``\\ell(w; (x_i, y_i))`` calling ``\\ell(w; (x, y)) = ...``: x -> x_i, y -> y_i. The names after ';'
        in the call must be the definition's, or be put in place of them; nothing is dropped unread."""
        defined, given = self.found.fixed.get(name, ()), node.fixed
        if not given or given == defined:
            return {}
        if not defined:
            if all(isinstance(part, ir.Name) for part in given):
                return {}   # Q(x; \mu) calling Q(x) = ... whose body uses \mu: the same constants
            raise UnsupportedError(f"{latex_of(node)}: {name_latex(name)} is defined without the arguments after ';'; "
                                   f"define it with them ({name_latex(name)}(w; (x, y)) = ...)")
        if len(defined) != len(given) or not all(isinstance(part, ir.Name) for part in defined):
            raise UnsupportedError(f"{latex_of(node)}: the arguments after ';' do not match the definition's "
                                   f"({', '.join(map(latex_of, defined))})")
        return {d.name: self.resolve(g) for d, g in zip(defined, given) if d != g}

    def powers_defined(self, node) -> str:
        """The defined powers of ``node`` (``\\sigma_B^2`` for \\sigma_B), as LaTeX, or ""."""
        base = _plain_or_subscripted_name(node)
        found = [key.rpartition("__pow")[2] for key in self.found.definitions if key.rpartition("__pow")[0] == base]
        return ", ".join(f"{latex_of(node)}^{exponent}" for exponent in found)

    def inline(self, name, body):
        if name not in self.inlined:
            self.active.append(name)
            try:
                self.inlined[name] = self.resolve(body)
            finally:
                self.active.pop()
        return self.inlined[name]

    def extend_sums(self, node: ir.Add) -> ir.Add:
        """``\\sum_{i} e^{w^T x_i} - y_i w^T x_i`` (CS229, Koren et al.): the terms after a sum that use its
        index belong to it (a free index has no other meaning); each joins the innermost sum whose index
        it uses. Recorded as a reading."""
        terms, out, position = list(node.terms), [], 0
        while position < len(terms):
            term, position = terms[position], position + 1
            found = _trailing_sum(term)
            if found is None:
                out.append(term)
                continue
            chain, rebuild = found
            indices = [op.index for op in chain]
            absorbed = []
            while position < len(terms) and _free_names(terms[position]) & set(indices):
                absorbed.append(terms[position])
                position += 1
            if absorbed:
                term = rebuild(_extend_chain(chain, absorbed))
                written = " + ".join(latex_of(t) for t in absorbed)
                self.found.read(f"the sum over {', '.join(indices)} extends over {written}: "
                                "what follows it uses its index")
            out.append(term)
        return ir.Add(tuple(out)) if len(out) > 1 else out[0]

    def value_at_data_point(self, head, arg, written: str):
        """``f_{m-1}(x_i)``, ``G(x_i)`` (ESL's stagewise boosting) with the parameters given as wrt and none in
        the argument: the value of a fixed function at the data point x_i, one value per i (data)."""
        if not self.requested or not isinstance(arg, ir.Sub) or not isinstance(arg.base, ir.Name) \
                or len(arg.indices) != 1 or not isinstance(arg.indices[0], ir.Name):
            return None
        if {n.name for n in ir.walk(arg) if isinstance(n, ir.Name)} & self.requested:
            return None
        name = sub_symbol_name(head) if isinstance(head, ir.Sub) else head.name
        if name in self.requested:
            return None
        self.found.read(f"{written} is the value of a fixed function at the data point "
                        f"{latex_of(arg)}: data, one value per {latex_of(arg.indices[0])} (a number or "
                        "a vector, as the formula's products need)")
        return ir.Sub(ir.Name(name), arg.indices)

    def projection_onto_observed(self, node: ir.Apply, key: str, args: tuple):
        """``P_\\Omega(X)`` (matrix completion: Mazumder, Hastie & Tibshirani; Candès & Recht), undefined: the
        projection onto the observed entries, X where observed and 0 elsewhere, i.e. Ω ⊙ X with Ω the 0/1
        mask of the observed entries given as data (a reading)."""
        if node.name != "P" or node.sub != (ir.Name("Omega"),) or len(args) != 1 or key in self.found.definitions:
            return None
        self.found.read(f"{latex_of(node)} is the projection onto the observed entries: \\Omega \\odot "
                        f"{latex_of(node.args[0])}, with \\Omega the 0/1 mask of the observed entries (data)")
        return ir.Hadamard(ir.Name("Omega"), args[0])

    def primed_entry(self, node: ir.Mul):
        """``q'(k)`` inside ``\\sum_k`` with q' a name of the definition's head (Szegedy et al.'s H(q', p)):
        entry k of q', not q' times the index k (the brackets are gone by now: a name of its own with a
        prime before a bare summed index is read so, as a reading). None when the product is not one."""
        if node.op != "juxt" or not isinstance(node.right, ir.Name) or node.right.name not in self.bound:
            return None
        factors = [node.left]
        while isinstance(factors[-1], ir.Mul) and factors[-1].op == "juxt":
            factors[-1:] = [factors[-1].left, factors[-1].right]
        last = factors[-1]
        if not (isinstance(last, ir.Prime) and isinstance(last.arg, ir.Name) and last.arg.name in self.found.primed):
            return None
        entry = ir.Sub(ir.Name(f"{last.arg.name}_prime"), (node.right,))
        self.found.read(f"{latex_of(last)}({node.right.name}) is entry {node.right.name} of the vector "
                        f"{latex_of(last)}, not {latex_of(last)} times the index")
        for factor in reversed(factors[:-1]):
            entry = ir.Mul(factor, entry, "juxt")
        return entry

    def value_at_a_constant(self, head, arg, written: str):
        """``J(\\boldsymbol{w}^*)`` (Goodfellow et al. 7.1.1) with the parameters given as wrt: an undefined function
        at a point that is no parameter and has no index (``w^*``, a name or a number) is a constant, the
        function's value there, named by the function."""
        if not self.requested or not isinstance(arg, (ir.Name, ir.Sub, ir.Num)) or not isinstance(head, ir.Name):
            return None
        if isinstance(arg, ir.Name) and arg.name in self.bound:
            return None   # f(k) inside \sum_k takes one value per k: no constant
        if isinstance(arg, ir.Sub) and not all(_is_word(index) for index in arg.indices):
            return None   # x_i: one value per data point (value_at_data_point) or an index to bind
        names = {sub_symbol_name(arg) if isinstance(arg, ir.Sub) else getattr(arg, "name", "")}
        if names & self.requested or head.name in self.requested or head.name in self.declared_names:
            return None
        self.found.read(f"{written} is a constant: the value of a function {latex_of(head)} that symgd does not "
                        f"know at {latex_of(arg)}, which holds no parameter")
        return head

    def defined_as(self, name: str) -> str:
        """``h(x)`` where only ``h_\\theta(x) = ...`` is defined (CS229 drops the subscript in use): h_\\theta."""
        if name in self.found.definitions or "_" in name:
            return name
        candidates = [key for key, (params, _) in self.found.definitions.items()
                      if params and key.split("_")[0] == name]
        if len(candidates) != 1:
            return name
        self.found.read(f"{name}(...) is {name_latex(candidates[0])}(...), the function defined with a subscript")
        return candidates[0]

    def is_whole_use(self, node: ir.Name) -> bool:
        """``K`` where the source defines every entry ``K_{ij} = ...`` (two indices; K not declared)."""
        return (node.name in self.found.indexed and node.name not in self.declared_names
                and len(self.found.indexed[node.name][0]) == 2)

    def is_indexed_use(self, node: ir.Sub) -> bool:
        """``y_i`` where the source defines ``y_n = ...`` for every n (and does not declare y)."""
        return (isinstance(node.base, ir.Name) and node.base.name in self.found.indexed
                and node.base.name not in self.declared_names
                and len(index_atoms(node.indices) or ()) == len(self.found.indexed[node.base.name][0]))

    def is_entry_of_indexed(self, node: ir.Sub) -> bool:
        """``\\mu_{nc}`` where the source defines the vector ``\\mu_n = ...`` for every n: one index more."""
        return (isinstance(node.base, ir.Name) and node.base.name in self.found.indexed
                and node.base.name not in self.declared_names
                and len(index_atoms(node.indices) or ()) == len(self.found.indexed[node.base.name][0]) + 1)

    def gather(self, node: ir.Sub):
        """``f_{y_i}`` (CS231n), ``c_{y_i}`` (center loss), ``\\mu_{c^{(i)}}`` (k-means), ``S_{i,y_i}``: the entry
        (or row) of f at the integer class label y_i held as data, 0-based as in NumPy: \\sum_k [y_i = k] f_k,
        where [y_i = k] is the one-hot matrix of the labels, a data array (generated code builds it from y)."""
        position, label = _label_index(node)
        # a letter the source does not write: a definition substituted here (p_{ik} = ...) cannot capture it,
        # and a dimension k of \\sum_{m=1}^{k} is not mistaken for it
        used = {n.name for n in ir.walk(node) if isinstance(n, ir.Name)} | self.found.summed | self.found.names
        index = next((letter for letter in "klmrsqpuvabcgh" if letter not in used), f"k{len(used)}")
        self.read_label(label, node.base)
        weight = self.one_hot_entry(label, ir.Name(index))
        indices = node.indices[:position] + (ir.Name(index),) + node.indices[position + 1:]
        return ir.BigOp("sum", index, None, None, ir.Mul(weight, ir.Sub(node.base, indices), "juxt"))

    def excluding_label(self, node: ir.BigOp):
        """``\\sum_{j \\ne y_i} g_j`` (the multiclass hinge): \\sum_j (1 - [y_i = j]) g_j, with the one-hot
        matrix of the integer labels y (0-based) as data. Which array y_i indexes is j's: read from the body."""
        label = node.excluded
        if _label_of_sub(label) is None:
            raise UnsupportedError(f"the sum over {node.index} \\ne {latex_of(label)}: symgd leaves out an integer "
                                   "label y_i (one name, one index) or an index")
        body = self.class_superscripts(node.body, node.index)
        indexed = sorted({n.base.name for n in ir.walk(body) if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name)
                          and node.index in {a.name for a in index_atoms(n.indices) or () if isinstance(a, ir.Name)}})
        self.read_label(label, ir.Name(indexed[0]) if len(indexed) == 1 else None)
        weight = ir.Add((ir.Num("1"), ir.Neg(self.one_hot_entry(label, ir.Name(node.index)))))
        return ir.BigOp(node.op, node.index, node.lower, node.upper, ir.Mul(weight, body, "juxt"))

    def class_superscripts(self, body, index: str):
        """``\\xi_i^m`` under ``\\sum_{m \\ne y_i}`` (Weston & Watkins): m runs over classes, so the
        superscript is an index (entry (i, m) of ξ), not a power of a class number."""
        def rewrite(node):
            key = _superscript_key(node)
            if key is not None and key[1] == index:
                self.class_indices.add(key)
                return self.class_entry(node)
            return _map_children(node, rewrite)
        return rewrite(body)

    def class_entry(self, node: ir.Pow):
        """``\\xi_i^m`` -> ``\\xi_{im}`` (a class superscript, see ``class_superscripts``), with its reading."""
        base, index = node.base, node.exp
        entry = ir.Sub(base, (index,)) if isinstance(base, ir.Name) else ir.Sub(base.base, (*base.indices, index))
        self.found.read(f"{latex_of(node)} is the entry {latex_of(entry)}: the superscript {index.name} runs over the "
                        f"classes \\ne the label, an index, not a power")
        return entry

    def one_hot_entry(self, label: ir.Sub, index: ir.Name):
        """[label = index] as an entry of the labels' one-hot data array: ``y_onehot_{ik}`` for labels y_i
        with i a summed index (one label per sample), ``y_i_onehot_{k}`` for the label of one example."""
        per_sample = label.indices[0].name in self.found.summed
        written = label.base.name if per_sample else sub_symbol_name(label)
        name = written + ONE_HOT_SUFFIX
        self.found.one_hot.setdefault(name, (written, label))
        return ir.Sub(ir.Name(name), (*label.indices, index) if per_sample else (index,))

    def read_label(self, label: ir.Sub, indexed) -> None:
        """Say how the integer labels are read: 0-based class numbers, as NumPy indexes."""
        target = f" indexing {latex_of(indexed)}" if indexed is not None else ""
        first = f" (0 is the first class of {latex_of(indexed)})" if indexed is not None else ""
        one_hot = f"{name_latex(label.base.name + ONE_HOT_SUFFIX)}, the one-hot matrix of the labels" \
            if label.indices[0].name in self.found.summed else f"the one-hot vector of {latex_of(label)}"
        self.found.read(f"{latex_of(label)} is an integer class label{target}: 0, 1, ..., K - 1, 0-based as in "
                        f"NumPy{first}; [{latex_of(label)} = k] enters as {one_hot} (data; generated code takes "
                        f"the labels and builds it)")

    def is_identity(self, node: ir.Sub) -> bool:
        """``I_n``, ``I_d``, ``I_{3}``: the identity of that size, unless I or I_n is declared."""
        return (node.base == ir.Name("I") and len(node.indices) == 1
                and isinstance(node.indices[0], (ir.Name, ir.Num))
                and "I" not in self.declared_names and sub_symbol_name(node) not in self.declared_names)

    def cases(self, node: ir.Cases):
        """A piecewise value as a sum of pieces weighted by steps: piece k counts where its condition
        holds and no earlier one does. Steps have derivative 0 off the switching set (reported as a kink)."""
        terms, earlier = [], []
        for value, condition in node.pieces:
            weights = [] if condition is None else [_holds(condition)]
            weights += [_complement(h) for h in earlier]
            term = value
            for weight in weights:
                term = weight if term == ir.Num("1") else ir.Hadamard(term, weight)
            if value != ir.Num("0"):   # a piece 0 adds nothing (and has no shape to agree with a vector's)
                terms.append(term)
            if condition is None:
                break
            earlier.append(weights[0])
        if len(node.pieces) == 1 and node.pieces[0][0] == ir.Num("1"):
            self.found.read(f"{latex_of(node)} is 1 where the condition holds and 0 elsewhere; "
                            "its derivative is 0 almost everywhere")
        else:
            self.found.read(f"{latex_of(node)} takes the first piece whose condition holds (0 if none does); "
                            "the derivative is each piece's, and the switching points are kinks")
        return ir.Num("0") if not terms else terms[0] if len(terms) == 1 else ir.Add(tuple(terms))

    def at_entries(self, node: ir.Apply, body, params: tuple, args: tuple) -> tuple:
        """``\\hat{p}(X_i) = \\operatorname{expit}(X_i w + w_0)`` (scikit-learn's pages) called as ``\\hat{p}(X_i)`` or
        ``\\hat{p}(X_j)``: the head's argument is an entry of a data array, and the body uses that entry; the call
        at another entry of the same array is the body at the call's indices (a reading). Returns the body and
        the arguments left to substitute (the array itself where an entry was put in place)."""
        heads = self.found.entry_heads.get(node.name, ())
        args = list(args)
        for position, (head, arg) in enumerate(zip(heads, args)):
            formal, actual = _entry_atoms(head), _entry_atoms(arg)
            if formal is None or actual is None or head.base != arg.base or len(formal) != len(actual) \
                    or not any(n == head for n in ir.walk(body)):
                continue
            renamed = {i: ir.Name(j) for i, j in zip(formal, actual) if i != j}
            if len(set(formal)) != len(formal) or set(renamed) & {j.name for j in renamed.values()}:
                continue   # X_{ij} called with X_{ji}: left to the refusal
            body = _substitute_indices(body, renamed) if renamed else body
            args[position] = arg.base
            self.found.read(f"{latex_of(head)} in the definition of {latex_of(ir.Apply(node.name, heads, node.sub))} "
                            f"is an entry of {latex_of(arg.base)}; the call at {latex_of(arg)} is its body at "
                            f"{', '.join(actual)}")
        return body, tuple(args)

    def apply(self, node: ir.Apply, exponent=None):
        """A name followed by brackets: a call (sigmoid, a definition, a text-syntax function) or a
        product. ``exponent`` is a power written after the brackets: it raises the call's value, or
        only the bracket of a product (``\\alpha_t(1 - p_t)^\\gamma`` is α_t·(1 - p_t)^γ)."""
        if exponent is not None:
            value = self.apply(node)
            if isinstance(value, ir.Mul) and value.op == "juxt" and (node.name, node.args) in self.products:
                return ir.Mul(value.left, ir.Pow(value.right, exponent), "juxt")
            return ir.Pow(value, exponent)
        args = tuple(self.resolve(a) for a in node.args)
        key = apply_key(node)
        if (projection := self.projection_onto_observed(node, key, args)) is not None:
            return projection
        if node.sub and key not in self.found.definitions:
            if (call := self.supplied_call(node, args)) is not None:
                return call
            if len(args) == 1:   # y_i (w^\top x_i): a product
                return self.product_or_call(ir.Sub(ir.Name(node.name), node.sub), args[0], node)
            raise UnsupportedError(f"the function {latex_of(ir.Sub(ir.Name(node.name), node.sub))}: "
                                   "symgd does not know it; define it (f(u) = ...)")
        node = ir.Apply(self.defined_as(key), node.args, (), node.fixed)
        if node.name == "sigma" and "sigma" not in self.declared_names and "sigma" not in self.found.definitions:
            if len(args) != 1:
                raise UnsupportedError(f"\\sigma with {len(args)} arguments")
            self.found.read("\\sigma(u) is the logistic sigmoid 1/(1 + e^{-u})")
            return ir.Func("sigmoid", args)
        if node.name == "zeta" and "zeta" not in self.declared_names and "zeta" not in self.found.definitions \
                and len(args) == 1:
            self.found.read("\\zeta(u) is the softplus \\log(1 + e^{u}) (Goodfellow et al., Sec. 3.10)")
            return ir.Func("softplus", args)
        if self.is_gamma_function(node.name, args):
            self.found.read("\\Gamma(u) is the gamma function (\\Gamma(n) = (n - 1)!)")
            return ir.Func("gamma", args)
        if node.name in self.found.definitions and node.name not in self.active:
            params, body = self.found.definitions[node.name]
            fixed = self.fixed_arguments(node.name, node)
            if fixed and (not params or args == tuple(ir.Name(p) for p in params)):
                return _substitute(self.inline(node.name, body), fixed)
            if not params and len(args) == 1 and not isinstance(node.args[0], (ir.Name, ir.Sub)):
                # D = \operatorname{diag}(d) then \|D(Ax - b)\| (Golub & Van Loan): a name defined without
                # arguments before an expression in parentheses is a product; inlined alone, the expression
                # would vanish from the loss
                self.found.read(f"{latex_of(node)} is the product {node.name} \\cdot ({latex_of(node.args[0])}) "
                                f"({node.name} is defined without arguments)")
                return ir.Mul(self.inline(node.name, body), args[0], "juxt")
            if not params or args == tuple(ir.Name(p) for p in params):
                return self.inline(node.name, body)
            if node.name in self.found.powered:
                raise UnsupportedError(f"calling {node.name}, whose definition has a power among its arguments; "
                                       "define it with plain names")
            if len(args) != len(params):
                raise UnsupportedError(f"calling {node.name} with {len(args)} arguments; "
                                       f"its definition has {len(params)}")
            body, args = self.at_entries(node, self.inline(node.name, body), params, args)
            return _substitute(body, {**dict(zip(params, args)), **fixed})
        if node.name in BY_NAME and self.syntax == "text":
            return ir.Func(node.name, args)
        if (call := self.supplied_call(node, args)) is not None:
            return call
        if len(args) == 1:
            return self.product_or_call(ir.Name(node.name), args[0], node)
        if (kernel := self.kernel_of_data(node, args)) is not None:
            return kernel
        raise UnsupportedError(f"the function {node.name}: symgd does not know it")

    def supplied_call(self, node: ir.Apply, args: tuple):
        """``r_j(x)``, ``c_i(x)``, ``f(x)``, ``y(x_n, w)`` (Nocedal & Wright, Bishop) with the function defined
        nowhere and taking the parameters themselves (and data points ``x_n`` named by a summed index), or with a
        parameter as its subscript (``f_w(x_i)``): a function of the parameters that the user supplies. Its
        value is an entry of an array named after the function (one entry per index of its subscript and per
        data point, its other axes from use: data to shape inference), and the chain rule stops at it (its
        Jacobian, ``supplied.py``). None when the call
        is not so: a word (``huber(r)``), an argument that is an expression or no parameter, a bold capital
        (a matrix times a bracket), a name declared or written elsewhere."""
        params = set(self.requested) if self.requested else set(self.found.params) | self.head_params
        name = node.name
        if node.fixed or not params or name in params or name in self.declared_names or name in self.bound \
                or name in self.found.names or name in self.found.definitions or _is_word(ir.Name(name)) \
                or (name in self.bold and name[:1].isupper()):
            return None
        atoms = index_atoms(node.sub)   # r_j, r_{ij}: names and numbers only
        if atoms is None or not all(isinstance(index, (ir.Name, ir.Num)) for index in atoms):
            return None
        # f_w(x_i), h_\\theta(x): a subscript that is a parameter says whose function it is (no index)
        taken = [index.name for index in atoms if isinstance(index, ir.Name) and index.name in params]
        by_subscript = tuple(taken)
        subscript = tuple(index for index in atoms if not (isinstance(index, ir.Name) and index.name in params))
        points = []
        for arg in args:
            if isinstance(arg, ir.Name) and arg.name in params:
                taken.append(arg.name)
            elif isinstance(arg, ir.Sub) and isinstance(arg.base, ir.Name) and arg.base.name not in params \
                    and len(arg.indices) == 1 and isinstance(arg.indices[0], ir.Name) \
                    and arg.indices[0].name in self.bound:
                points.append(arg)
            else:
                return None
        if not taken or len(set(taken)) != len(taken):
            return None
        written = latex_of(ir.Apply(name, node.args, node.sub)).replace(r"\left(", "(").replace(r"\right)", ")")
        if any(product == name for product, _ in self.products):
            raise AmbiguityError(f"{written}: {name} is written both as a function of the parameters and as a "
                                 "factor of a product; define the function or write the product with \\cdot")
        signature = tuple("point" if isinstance(a, ir.Sub) else a.name for a in args), by_subscript, len(subscript)
        arguments = tuple(("point", a.base.name) if isinstance(a, ir.Sub) else ("param", a.name) for a in args)
        call = self.found.supplied.setdefault(name, _SuppliedCall(written, tuple(taken), signature,
                                                                  tuple(latex_of(p) for p in points), arguments))
        if call.signature != signature:
            raise AmbiguityError(f"{written} and {call.written}: one function {name} that you supply, called with "
                                 "different arguments; symgd needs one call per function (at the parameters)")
        indices = tuple(point.indices[0] for point in points) + subscript
        return ir.Sub(ir.Name(name), indices) if indices else ir.Name(name)

    def kernel_of_data(self, node: ir.Apply, args: tuple):
        """``k(x_i, x_j)`` (a kernel: Schölkopf et al. 2001) with k defined nowhere and every argument a point of
        the data x_i named by a summed index, no parameter in it: the values k(x_i, x_j) are data, the kernel
        matrix with entries k_{ij}, an argument of the generated code (a reading). None when it is not so."""
        params = set(self.requested or ()) | set(self.found.params)   # wrt=, or \min_\alpha in the source
        if not params or node.name in params or node.name in self.declared_names or node.name in self.bound:
            return None
        indices = []
        for arg in args:
            if not (isinstance(arg, ir.Sub) and isinstance(arg.base, ir.Name) and len(arg.indices) == 1
                    and isinstance(arg.indices[0], ir.Name) and arg.indices[0].name in self.bound
                    and arg.base.name not in params):
                return None
            indices.append(arg.indices[0])
        if len(set(indices)) != len(indices):   # f(x_i, y_i): one value per i, no matrix to read it from
            return None
        value = ir.Sub(ir.Name(node.name), tuple(indices))
        self.found.read(f"{latex_of(node)} is read as data: the kernel matrix {latex_of(value)} of a function "
                        f"{node.name} applied only to data, an argument of the generated code")
        return value


    def refuse_logits_shared_by_samples(self, node: ir.BigOp) -> None:
        """ArcFace (Deng et al., 2019): ``\\sum_i\\log\\frac{e^{s\\cos(\\theta_{y_i} + m)}}{\\ldots + \\sum_{j \\ne y_i}
        e^{s\\cos\\theta_j}}``. The summand depends on the sample i only through its label (θ_{y_i}) while the same θ
        is indexed by a class alone (θ_j): read as written, every sample shares θ, while the source's θ_j is the
        angle between W_j and x_i, one per sample, with that dependence unwritten. Refused (AmbiguityError) unless
        θ is declared; ``w_{y_i}^\\top x_i`` (the sample's data beside the label) is not concerned."""
        if node.op != "sum" or node.index in self.bound:
            return
        sample = ir.Name(node.index)
        subs = [n for n in ir.walk(node.body) if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name)]
        labels = [n for n in subs if n.indices == (sample,) and any(n in s.indices for s in subs)]
        uses = sum(1 for n in ir.walk(node.body) if n == sample)
        if not labels or uses != len(labels):   # i also reaches the summand another way (x_i)
            return
        classes = {b.index for b in ir.walk(node.body) if isinstance(b, ir.BigOp)}
        for gathered in (s for s in subs if len(s.indices) == 1 and s.indices[0] in labels):
            name = gathered.base.name
            by_class = next((s for s in subs if s.base == gathered.base and len(s.indices) == 1
                             and isinstance(s.indices[0], ir.Name) and s.indices[0].name in classes), None)
            if by_class is None or name in self.declared_names or name in self.found.definitions:
                continue
            theta, label = name_latex(name), latex_of(gathered.indices[0])
            raise AmbiguityError(
                f"{latex_of(gathered)} and {latex_of(by_class)}: {theta} is indexed by the class only, so every sample "
                f"{node.index} would share its values (the sum over {node.index} depends on {node.index} only through "
                f"the label {label}); if {theta} depends on the sample, write {theta}_{{{node.index},"
                f"{by_class.indices[0].name}}} (and {theta}_{{{node.index},{label}}}); if the samples share it, "
                f"declare {theta} \\in \\mathbb{{R}}^{{K}}")

    def ragged_log_sum(self, node: ir.BigOp):
        """``\\sum_{j=a}^{U} \\ln(j + c)`` with U data (``y_i - 1``: each term of the outer sum has its own
        length, a ragged sum) and c free of j is ``\\ln\\Gamma(U + 1 + c) - \\ln\\Gamma(a + c)`` (Γ(u + 1) = uΓ(u),
        for whole-number limits; the negative binomial's Σ_j ln(j + α⁻¹)). Any other ragged sum is refused."""
        written = latex_of(node)
        shift = _log_of_index_plus(node.body, node.index) if node.lower is not None else None
        if shift is None:
            raise UnsupportedError(f"{written}: a sum whose limit {latex_of(node.upper)} is data (a ragged sum: each "
                                   "term of the outer sum has its own length); symgd reads only \\sum_{j=a}^{U} "
                                   "\\ln(j + c) with c free of j, as \\ln\\Gamma(U + 1 + c) - \\ln\\Gamma(a + c); "
                                   "write such a sum with \\ln\\Gamma")
        end = node.upper.terms[:-1] if isinstance(node.upper, ir.Add) and node.upper.terms[-1] == ir.Neg(ir.Num("1")) \
            else (node.upper, ir.Num("1"))   # y_i - 1 + 1 is y_i
        value = ir.Add((ir.Func("loggamma", (ir.Add((*end, *shift)),)),
                        ir.Neg(ir.Func("loggamma", (_plus(node.lower, shift),)))))
        self.found.read(f"{written} is {latex_of(value)} (\\Gamma(u + 1) = u\\Gamma(u); the sum's limit "
                        f"{latex_of(node.upper)} is data, a whole number)")
        return value

    def is_gamma_function(self, name: str, args: tuple) -> bool:
        """``\\Gamma(u)`` is the gamma function unless the source defines or declares Γ, or uses it as a name
        elsewhere (``\\Gamma w``, Tikhonov's matrix): there ``\\Gamma(u)`` stays a product or an ambiguity."""
        return (name == "Gamma" and len(args) == 1 and "Gamma" not in self.declared_names
                and "Gamma" not in self.found.definitions and "Gamma" not in self.found.names)

    def log_of_gamma(self, node: ir.Func):
        """``\\ln\\Gamma(u)`` is the log-gamma function, and ``\\ln u!`` is ``\\ln\\Gamma(u + 1)``: one function,
        computed without Γ, which overflows for u > 171 (a count of 200 is common). None for any other log."""
        if node.name != "log" or len(node.args) != 1:
            return None
        inner = self.resolve(node.args[0])
        if isinstance(inner, ir.Func) and inner.name == "factorial":
            inner = ir.Func("gamma", (ir.Add((inner.args[0], ir.Num("1"))),))
        if not (isinstance(inner, ir.Func) and inner.name == "gamma"):
            return ir.Func("log", (inner,))
        self.found.read("\\ln\\Gamma(u) is the log-gamma function (computed as scipy.special.gammaln)")
        return ir.Func("loggamma", inner.args)

    def cosine_similarity(self, node: ir.Func):
        """``\\cos(x_1, x_2)`` (PyTorch's CosineEmbeddingLoss): the cosine of the angle between two vectors,
        ⟨x_1, x_2⟩ / (‖x_1‖ ‖x_2‖) (a reading; the inner product refuses scalars). ``\\cos u`` stays the cosine."""
        a, b = node.args
        value = ir.Div(ir.Func("inner", (a, b)), ir.Mul(ir.Norm(a), ir.Norm(b), "juxt"))
        self.found.read(f"\\cos({latex_of(a)}, {latex_of(b)}) is the cosine similarity {latex_of(value)} of two "
                        "vectors (the cosine of the angle between them)")
        return value

    def superscripted(self, node) -> ir.Apply | None:
        """``\\rho_\\kappa^\\tau(y_i - x_i^T\\beta)`` where the source defines ``\\rho_\\kappa^\\tau(r) = ...``:
        a call of that definition (a reading), not a power or a product; None elsewhere."""
        call = superscripted_call(node)
        if call is None:
            return None
        if apply_key(call) not in self.found.definitions:
            base = call.name.partition(SUPERSCRIPT_MARK)[0]
            bracket = isinstance(node, ir.Mul) and isinstance(node.right, ir.Add)   # (y_i - x_i^T\\beta), not s_i^c
            if bracket and base in FUNCTION_LETTERS and base not in self.declared_names:
                written = superscripted_latex(call)   # read as a power times the bracket, silently, before
                raise AmbiguityError(f"{written}({latex_of(node.right)}): the function {written} is not defined; "
                                     f"define it ({written}(x) = ...) or, for a product, write {written} \\cdot "
                                     f"({latex_of(node.right)})")
            return None
        self.found.read(f"{latex_of(node)} is a call of the function {superscripted_latex(call)} the source defines")
        return call

    def is_matrix_entry(self, head, base: str) -> bool:
        """``H_{i,i}`` in ``\\sum_i H_{i,i}(w_i - w_i^*)`` (Goodfellow et al. 7.1.2): an entry of a matrix before a
        bracket, i.e. two subscripts that are both indices of enclosing sums, or the name declared a matrix; never
        a name the source defines or supplies as a function."""
        if not isinstance(head, ir.Sub) or base in self.found.definitions or base in self.found.supplied:
            return False
        atoms = index_atoms(head.indices)
        if atoms is None or len(atoms) != 2:
            return False
        bound = all(isinstance(atom, ir.Name) and atom.name in self.bound for atom in atoms)
        return bound or len(self.found.declared.get(base, ())) == 2

    def product_or_call(self, head, arg, written_as: ir.Apply):
        """``\\lambda(a + b)`` and ``y_i(w^\\top x_i)`` are products; ``f(x_i)``, ``\\phi(x_n)`` or
        ``f_{m-1}(x_i)`` with f undefined is a call of a function symgd cannot know, and reading it as
        f·x_i would silently change the loss."""
        name, written = latex_of(head), f"{latex_of(head)}({latex_of(arg)})"
        base = head.base.name if isinstance(head, ir.Sub) else head.name
        if isinstance(head, ir.Name) and isinstance(arg, ir.Name) and arg.name in self.bound \
                and base not in FUNCTION_LETTERS:   # -\sum_k \log(p(k)) q'(k) (Szegedy et al.): entries
            self.found.read(f"{written} is entry {arg.name} of the vector {name} ({name} is no defined function)")
            return ir.Sub(head, (arg,))
        value = self.value_at_data_point(head, arg, written)
        if value is None:
            value = self.value_at_a_constant(head, arg, written)
        if value is not None:
            return value
        if self.is_matrix_entry(head, base):
            self.found.read(f"{written} is the product {name} \\cdot ({latex_of(arg)}): {name} is an entry of the "
                            f"matrix {name_latex(base)} (a function is not written with two matrix indices)")
            self.products.add((written_as.name, written_as.args))
            return ir.Mul(self.resolve(head), arg, "juxt")
        if base in self.found.supplied:
            raise AmbiguityError(f"{written}: {base} is a function of the parameters that you supply elsewhere "
                                 f"({self.found.supplied[base].written}); call it at the parameters only")
        matrix = base in self.bold and base[:1].isupper()   # bold H is a matrix; bold \\phi(x) a vector function
        word = _is_word(ir.Name(base.partition("_")[0]))   # max_norm(Ax - b), huber(r): a function's name, not a number
        if not matrix and (isinstance(arg, (ir.Name, ir.Sub, ir.Num)) or base in FUNCTION_LETTERS or word):
            raise AmbiguityError(f"{written}: the function {name} is not defined; define it "
                                 f"({name}(x) = ...) or, for a product, write {name} \\cdot ({latex_of(arg)})")
        self.found.read(f"{written} is the product {name} \\cdot ({latex_of(arg)})")
        self.products.add((written_as.name, written_as.args))
        return ir.Mul(self.resolve(head), arg, "juxt")


def _names_besides_sets(formulas) -> set[str]:
    """The names the formulas write other than as the set of a sum (``\\sum_{n \\in M}``) or its size ``|M|``:
    a set named like a symbol used elsewhere (``\\frac{1}{K}\\sum_{k \\in K}``) is no mask given as data."""
    names: set[str] = set()

    def visit(node):
        if isinstance(node, ir.Member) or (isinstance(node, ir.Abs) and isinstance(node.arg, ir.Name)):
            return
        if isinstance(node, ir.Name):
            names.add(node.name)
        for child in ir.children(node):
            visit(child)

    for formula in formulas:
        visit(formula)
    return names


def _limit_varies_with(node: ir.BigOp, bound: list) -> bool:
    """A sum whose limit is an entry indexed by an enclosing sum's index (``\\sum_{j=0}^{y_i - 1}`` inside
    ``\\sum_i``): data, a length of its own for each term of the outer sum (not ``n_\\text{samples} - 1``)."""
    return any(isinstance(n, ir.Sub) and any(isinstance(a, ir.Name) and a.name in bound for a in index_atoms(n.indices))
               for limit in (node.lower, node.upper) if limit is not None for n in ir.walk(limit))


def _plus(start, terms: tuple):
    """start + the terms (start 0 left out)."""
    terms = terms if start == ir.Num("0") else (start, *terms)
    return terms[0] if len(terms) == 1 else ir.Add(terms) if terms else ir.Num("0")


def _log_of_index_plus(body, index: str):
    """The terms c of ``\\ln(j + c)`` (``\\ln j``: none), j the index and c free of it; None for any other body."""
    if not (isinstance(body, ir.Func) and body.name == "log" and len(body.args) == 1):
        return None
    arg, j = body.args[0], ir.Name(index)
    terms = arg.terms if isinstance(arg, ir.Add) else (arg,)
    rest = tuple(t for t in terms if t != j)
    if len(rest) != len(terms) - 1 or any(n == j for t in rest for n in ir.walk(t)):
        return None
    return rest


def _superscript_key(node):
    """(name, letter) for ``x^m`` or ``x_i^m`` (a single-letter superscript on a name), else None."""
    if not isinstance(node, ir.Pow) or not isinstance(node.exp, ir.Name) or len(node.exp.name) != 1:
        return None
    base = node.base.base if isinstance(node.base, ir.Sub) else node.base
    return (base.name, node.exp.name) if isinstance(base, ir.Name) else None


def _label_index(node: ir.Sub):
    """(position, label) of the one subscript of ``c_{y_i}``, ``S_{i,y_i}`` that is itself an entry of data
    (``y_i``, ``c^{(i)}``), else None (two labels in one subscript are not read)."""
    if not isinstance(node.base, ir.Name):
        return None
    found = [(position, _label_of_sub(index)) for position, index in enumerate(node.indices)
             if _label_of_sub(index) is not None]
    return found[0] if len(found) == 1 else None


def _label_of_sub(label):
    """``y_i``, ``c^{(i)}``: one name with one index letter (an integer class label), else None."""
    if isinstance(label, ir.Sub) and isinstance(label.base, ir.Name) and len(label.indices) == 1 \
            and isinstance(label.indices[0], ir.Name) and not _is_word(label.indices[0]):
        return label
    return None


def _where_the_sum_runs(relation: ir.Relation, objective_ir, found: _Items) -> ir.Relation:
    """A constraint for every m (``_for_every_index``) where the objective sums over m \\ne y_i (Weston &
    Watkins's margins) holds for m \\ne y_i only, the values that sum takes: each side is weighted by
    1 - [y_i = m], so that at m = y_i it reads 0 <= 0 (render drops the weight: the constraint as written)."""
    masks = _label_exclusions(objective_ir)
    operands, masked = [], []
    for operand in relation.operands:
        foralls, body = [], operand
        while isinstance(body, ir.BigOp) and body.op == "forall":
            foralls.append(body)
            body = body.body
        masked = [f.index for f in foralls if f.index in masks]
        for name in masked:
            body = ir.Mul(masks[name][0], body, "juxt")
        for every in reversed(foralls):
            body = ir.BigOp("forall", every.index, every.lower, every.upper, body)
        operands.append(body)
    if not masked:
        return relation
    left_out = ", ".join(f"{name} = {latex_of(masks[name][1])}" for name in masked)
    found.read(f"{latex_of(relation)} leaves out {left_out}, as the objective's sum does")
    return ir.Relation(tuple(operands), relation.ops)


def _label_exclusions(objective_ir) -> dict:
    """index -> (the weight 1 - [y_i = index], the label y_i) for each sum of the objective over every class but
    a label (``\\sum_{m \\ne y_i}``, read into that weight by ``excluding_label``)."""
    out = {}
    for node in _distinct_nodes(objective_ir):
        if isinstance(node, ir.BigOp) and isinstance(node.body, ir.Mul) and isinstance(node.body.left, ir.Add):
            terms = node.body.left.terms
            if len(terms) == 2 and terms[0] == ir.Num("1") and isinstance(terms[1], ir.Neg):
                label = label_of_one_hot(terms[1].arg, node.index)
                if label is not None:
                    out[node.index] = (node.body.left, label)
    return out


def _distinct_nodes(node):
    """Every node of an IR DAG once (resolved definitions are shared: ``ir.walk`` would revisit them)."""
    seen, stack = set(), [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(ir.children(current))


def _for_every_index(relation: ir.Relation, objective_ir, params, found: _Items, ranges) -> ir.Relation:
    """``y^{(i)}(w^T x^{(i)} + b) \\ge 1 - \\xi_i`` (CS229's SVM), ``0 \\le \\alpha_i \\le C`` (the SVM dual): a
    constraint whose subscripts use an index bound by no sum of its own holds for every value of that
    index (a vector constraint along the index's axis: each side becomes ``forall_i``) when the index is
    one the objective sums over, or a letter subscripting a parameter (``\\alpha_i`` with \\alpha the
    unknown vector is its entry i, never a constant of its own named alpha_i), or an index a range clause
    names (``a_i^\\top x \\le b_i,\\ i = 1, \\dots, m``; ``ranges``: index -> last value or None)."""
    summed = {node.index for node in _distinct_nodes(objective_ir) if isinstance(node, ir.BigOp)}
    bound = {node.index for node in _distinct_nodes(relation) if isinstance(node, ir.BigOp)}
    on_params = _free_parameter_indices(relation, params, found) - bound
    free: list[str] = []
    for node in _distinct_nodes(relation):
        if isinstance(node, ir.Sub):
            for atom in index_atoms(node.indices) or ():
                name = getattr(atom, "name", None)
                if (name in summed or name in on_params or name in ranges) and name not in bound \
                        and name not in free:
                    free.append(name)
    if not free:
        return relation
    why = "an index of the objective's sum" if set(free) <= summed else "an index of the unknowns"
    if set(free) <= set(ranges):
        why = "as its range clause says"
    found.read(f"{latex_of(relation)} holds for every {', '.join(free)} ({why}, free in the constraint)")
    operands = []
    for operand in relation.operands:
        for name in reversed(free):
            end = ranges.get(name)
            operand = ir.BigOp("forall", name, None if end is None else ir.Num("1"), end, operand)
        operands.append(operand)
    return ir.Relation(tuple(operands), relation.ops)


def _free_parameter_indices(formula, params, found: _Items) -> set[str]:
    """The letters subscripting a parameter in ``formula`` (``\\alpha_i`` with \\alpha the unknown: its
    entry i). A subscripted name that is itself listed or declared (``\\sigma_n`` of a GP) is a name of
    its own; a dimension's letter (``x_n`` with x in R^n) is refused as ambiguous."""
    own = set(params) | set(found.declared)
    dims = {n.name for shape in found.declared.values() for dim in shape for n in ir.walk(dim)
            if isinstance(n, ir.Name)}
    letters: set[str] = set()
    for node in _distinct_nodes(formula):
        if not (isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and node.base.name in params):
            continue
        if sub_symbol_name(node) in own:
            continue
        for atom in index_atoms(node.indices) or ():
            name = getattr(atom, "name", None)
            if not (isinstance(atom, ir.Name) and len(name) == 1 and name.isalpha()):
                continue
            if name in dims:
                base = name_latex(node.base.name)
                raise AmbiguityError(f"{latex_of(node)}: {name} is a dimension, so this is either the last entry "
                                     f"of {base} or its entry {name} for every {name}; write the constraint "
                                     f"on the whole vector {base}, or with a sum over {name}")
            letters.add(name)
    return letters


def _refuse_free_parameter_indices(objective_ir, params, found: _Items) -> None:
    """``\\|\\alpha\\|^2 + \\alpha_i`` with no sum over i: reading \\alpha_i as a constant of its own would
    drop it from the gradient without a word."""
    bound = {node.index for node in _distinct_nodes(objective_ir) if isinstance(node, ir.BigOp)}
    free = sorted(_free_parameter_indices(objective_ir, params, found) - bound)
    if free:
        raise AmbiguityError(f"the index {', '.join(free)} on a parameter in the objective is bound by no sum: "
                             "either an entry of the parameter for some index the text does not give, or a "
                             f"name of its own; write \\sum_{{{free[0]}}} ..., use the whole vector, or list "
                             "the subscripted name as the unknown")


def _refuse_lowercase_t_transposes(formulas) -> None:
    """``\\mathbf{w}^t\\mathbf{x}_i`` (a transpose typed with a lowercase t) was read as w to the power t, a
    new constant, making w a number: a superscript t that is no name anywhere else is either."""
    exponents, elsewhere = set(), False
    for formula in formulas:
        for node in _distinct_nodes(formula):   # a node before its operands; not ir.walk: a DAG
            if isinstance(node, ir.BigOp) and node.index == "t":
                return
            if isinstance(node, ir.Pow) and node.exp == ir.Name("t"):
                exponents.add(id(node.exp))
            elif node == ir.Name("t") and id(node) not in exponents:
                elsewhere = True
    if exponents and not elsewhere:
        raise AmbiguityError("a superscript t that is no other name in the formula (w^t): the power t or the "
                             "transpose? Write w^\\top (or w^T) for the transpose, or give t a meaning")


def _superscript_labels(formulas: list, found: _Items) -> list:
    """``x_i^a``, ``x_i^p``, ``x_i^n`` (FaceNet's anchor, positive and negative): one name with two or more
    different single-letter superscripts that are no sum's index are labels naming different arrays
    (``x^a``, ``x^p``), not powers; a single ``|\\beta_j|^q`` or ``x_n^j`` (j summed) stays a power."""
    summed = {node.index for f in formulas for node in _distinct_nodes(f) if isinstance(node, ir.BigOp)}
    by_base: dict[str, set] = {}
    for formula in formulas:
        for node in _distinct_nodes(formula):
            label = _letter_superscript(node, summed)
            if label is not None:
                by_base.setdefault(label[0], set()).add(label[1])
    labelled = {base for base, letters in by_base.items() if len(letters) > 1}
    pairs = {(base, letter) for base in labelled for letter in by_base[base]} | found.labelled
    if not pairs:
        return formulas
    for base in sorted(labelled):
        found.read(f"the superscripts {', '.join(sorted(by_base[base]))} on {name_latex(base)} are labels naming "
                   f"different arrays ({', '.join(f'{base}^{letter}' for letter in sorted(by_base[base]))}), "
                   "not powers")

    done: dict[int, object] = {}

    def relabel(node):   # memoised by identity: the formulas are DAGs
        if id(node) not in done:
            label = _letter_superscript(node, summed)
            if label is not None and label in pairs:
                name = ir.Name(f"{label[0]}_{label[1]}")
                done[id(node)] = ir.Sub(name, node.base.indices) if isinstance(node.base, ir.Sub) else name
            else:
                done[id(node)] = _map_children(node, relabel)
        return done[id(node)]
    return [relabel(formula) for formula in formulas]


def _letter_superscript(node, summed: set) -> tuple[str, str] | None:
    """(base name, letter) for ``x^a`` or ``x_i^a`` with a a single letter no sum binds, else None."""
    if not isinstance(node, ir.Pow) or not isinstance(node.exp, ir.Name) or len(node.exp.name) != 1 \
            or node.exp.name in summed:
        return None
    base = node.base.base if isinstance(node.base, ir.Sub) else node.base
    return (base.name, node.exp.name) if isinstance(base, ir.Name) else None


def _difference(left, right):
    return ir.Add((left, ir.Neg(right)))


def _step(node):
    return ir.Func("step", (node,))


def _complement(node):
    return ir.Add((ir.Num("1"), ir.Neg(node)))


def _holds(relation: ir.Relation):
    """1 where ``relation`` holds and 0 elsewhere, built from steps (step(u) = 1 for u > 0, else 0)."""
    factors = []
    for left, op, right in zip(relation.operands, relation.ops, relation.operands[1:]):
        if op == "<":
            factors.append(_step(_difference(right, left)))
        elif op == ">":
            factors.append(_step(_difference(left, right)))
        elif op == "<=":
            factors.append(_complement(_step(_difference(left, right))))
        elif op == ">=":
            factors.append(_complement(_step(_difference(right, left))))
        elif op in ("=", ":="):
            factors.append(ir.Hadamard(_complement(_step(_difference(left, right))),
                                       _complement(_step(_difference(right, left)))))
        elif op == "!=":
            factors.append(ir.Add((_step(_difference(left, right)), _step(_difference(right, left)))))
        elif op == "in":   # r \in [a, b]: the parser keeps no interval's ends, so its membership cannot be read
            raise UnsupportedError(f"the condition {latex_of(left)} \\in an interval or a set: symgd reads <, <=, >, "
                                   f">=, = and \\ne; write it as two inequalities (a \\le {latex_of(left)} \\le b)")
        else:
            raise UnsupportedError(f"the condition {latex_of(relation)}: symgd reads <, <=, >, >=, = and \\ne")
    result = factors[0]
    for factor in factors[1:]:
        result = ir.Hadamard(result, factor)
    return result


def _entry_atoms(node) -> tuple | None:
    """The index names of an entry ``X_i``, ``x_{ij}`` of a named array, else None."""
    if not (isinstance(node, ir.Sub) and isinstance(node.base, ir.Name)):
        return None
    atoms = index_atoms(node.indices)
    if not atoms or not all(isinstance(a, ir.Name) and len(a.name) == 1 for a in atoms):
        return None
    return tuple(a.name for a in atoms)


def _substitute_indices(body, mapping: dict):
    """``body`` with each index name replaced, in subscripts too: ``\\sigma(w^\\top \\phi_n)`` at n = i."""
    bound = {n.index for n in ir.walk(body) if isinstance(n, ir.BigOp)}
    names = {n.name for value in mapping.values() for n in ir.walk(value) if isinstance(n, ir.Name)}
    if bound & (names | set(mapping)):
        raise UnsupportedError(f"the definition {latex_of(body)} sums over an index its use also names; "
                               "rename one of them")

    def replace(node):
        if isinstance(node, ir.Name) and node.name in mapping:
            return mapping[node.name]
        if isinstance(node, ir.Sub):
            return ir.Sub(replace(node.base), tuple(replace(i) for i in node.indices))
        return _map_children(node, replace)

    return replace(body)


def _substitute(body, arguments: dict):
    """``body`` with each parameter name replaced by its argument: ``h(x) = \\theta^\\top x`` called as
    ``h(x^{(i)})`` is ``\\theta^\\top x^{(i)}``. Refuses what would change meaning: an argument's index
    captured by a sum of the body, or a subscript on a parameter whose argument is an expression."""
    free = {n.name for arg in arguments.values() for n in ir.walk(arg) if isinstance(n, ir.Name)}

    def replace(node):
        if isinstance(node, ir.Name) and node.name in arguments:
            return arguments[node.name]
        if isinstance(node, ir.Sub) and all(_is_word(i) for i in node.indices):
            return node   # x_{\\max} is a constant of its own, not the entry "max" of the argument
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and node.base.name in arguments:
            argument = arguments[node.base.name]
            if not isinstance(argument, ir.Name):
                raise UnsupportedError(f"{latex_of(node)} in a definition called with {latex_of(argument)}; "
                                       "write the entry out")
            return ir.Sub(argument, node.indices)
        if isinstance(node, ir.BigOp) and node.index in free:
            raise UnsupportedError(f"the definition's sum over {node.index} would capture the index "
                                   f"{node.index} of its argument; rename one of them")
        return _map_children(node, replace)

    return replace(body)


def _literal_set_size(member: ir.Member):
    """The number of entries of a literal set: ``\\{x, y, w, h\\}`` (distinct names) has 4, ``\\{1, 2, 3\\}`` 3 and
    ``\\{1, \\ldots, K\\}`` K; any other list (repeated names, numbers not 1, 2, ...) is refused."""
    elements = member.set
    written = latex_of(member)
    if len(elements) == 3 and elements[0] == ir.Num("1") and isinstance(elements[1], ir.Name) \
            and elements[1] == ELLIPSIS:
        return elements[2]
    if all(isinstance(e, ir.Name) for e in elements) and len({e.name for e in elements}) == len(elements):
        return ir.Num(str(len(elements)))
    if [getattr(e, "text", None) for e in elements] == [str(k) for k in range(1, len(elements) + 1)]:
        return ir.Num(str(len(elements)))
    raise UnsupportedError(f"the sum over {written}: symgd sums over a set of distinct names (the entries of a "
                           "vector), \\{1, \\ldots, K\\} or a set-builder \\{j : ...\\}")


def _is_word(index) -> bool:
    """A subscript that is a word (``max`` in ``x_{\\max}``, ``train``): part of a name, never an index."""
    return isinstance(index, ir.Name) and len(index.name) > 1 and index.name.isalpha() and index.name not in GREEK


def _with_calls(node, supplied: dict):
    """``node`` with the values of the functions the user supplies written as their calls again (``r_j`` ->
    ``r_j(x)``, ``y_n`` -> ``y(x_n, w)``), so that ``Problem.latex`` reads back to the same Problem."""
    if not supplied:
        return node

    def rewrite(node):
        entry = isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and isinstance(node.indices, tuple)
        name = node.base.name if entry else node.name if isinstance(node, ir.Name) else None
        function = supplied.get(name)
        if function is None:
            return _map_children(node, rewrite)
        indices = node.indices if entry else ()
        points = iter(indices)
        args = tuple(ir.Name(written) if kind == "param" else ir.Sub(ir.Name(written), (next(points),))
                     for kind, written in function.arguments)
        return ir.Apply(name, args, tuple(ir.Name(p) for p in function.subscripts) + indices[len(function.points):])

    return rewrite(node)


def _map_children(node, fn):
    """Rebuild ``node`` with ``fn`` applied to each child expression."""
    if isinstance(node, (ir.Num, ir.Name, ir.Ones)):
        return node
    if isinstance(node, ir.Sub):
        return ir.Sub(fn(node.base), node.indices)
    if isinstance(node, ir.Add):
        return ir.Add(tuple(fn(t) for t in node.terms))
    if isinstance(node, (ir.Neg, ir.Transpose, ir.Abs)):
        return type(node)(fn(node.arg))
    if isinstance(node, ir.Norm):
        return ir.Norm(fn(node.arg), node.kind)
    if isinstance(node, (ir.Mul,)):
        return ir.Mul(fn(node.left), fn(node.right), node.op)
    if isinstance(node, ir.Hadamard):
        return ir.Hadamard(fn(node.left), fn(node.right))
    if isinstance(node, ir.Div):
        return ir.Div(fn(node.num), fn(node.den), node.elementwise)
    if isinstance(node, ir.Pow):
        return ir.Pow(fn(node.base), fn(node.exp))
    if isinstance(node, ir.Func):
        return ir.Func(node.name, tuple(fn(a) for a in node.args))
    if isinstance(node, ir.Apply):
        return ir.Apply(node.name, tuple(fn(a) for a in node.args), node.sub, tuple(fn(f) for f in node.fixed))
    if isinstance(node, ir.Cases):
        return ir.Cases(tuple((fn(value), None if condition is None else fn(condition))
                              for value, condition in node.pieces))
    if isinstance(node, ir.BigOp):
        return dataclasses.replace(node, body=fn(node.body))
    if isinstance(node, ir.Entrywise):
        return ir.Entrywise(node.rows, node.cols, fn(node.body), node.name)
    if isinstance(node, ir.Relation):
        return ir.Relation(tuple(fn(o) for o in node.operands), node.ops)
    return node


# ---------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------

def parse_wrt(wrt) -> list[str]:
    """``"w"``, ``"U, V"``, ``["U", "V"]``, ``"\\theta"``, ``"\\mathbf{w}"`` -> plain names."""
    if wrt is None:
        return []
    items = wrt.split(",") if isinstance(wrt, str) else list(wrt)
    names = []
    for item in items:
        if not isinstance(item, str):
            raise AmbiguityError(f"wrt must name symbols, got {item!r}")
        text = re.sub(r"\\(mathbf|boldsymbol|bm|mathit|vec)\s*\{?\s*(\\?\w+)\s*\}?", r"\2", item.strip())
        text = re.sub(r"\\(%s)\s*\{?\s*\\?([A-Za-z]+)\s*\}?" % "|".join(ACCENTS),
                      lambda m: m.group(2) + ACCENTS[m.group(1)], text)   # \hat{y} -> yhat
        # \text{input}, y_{\text{pred}} (the PyTorch documentation): the word in the font is the name or label
        text = re.sub(r"_\{\s*\\(?:text|textrm|mathrm)\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\s*\}$", r"_\1", text)
        text = re.sub(r"^\\(?:text|textrm|mathrm)\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}", r"\1", text)
        text = text.lstrip("\\").strip()
        text = re.sub(r"\^\{?([A-Za-z])\}?$", r"_\1", text)   # t^u (Fast R-CNN's tuple for class u): the name t_u
        text = re.sub(r"_\{\s*([A-Za-z0-9]+)\s*\}$", r"_\1", text)   # o_{ij} (Burges et al.): the name o_ij
        text = re.sub(r"\^\s*\{?\s*(?:\*|\\ast|\\star)\s*\}?$", "_star", text)   # x^* (Deming's true values)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text):
            text = _name_as_the_formula_reads_it(item)
        names.append(text)
    return names


def _name_as_the_formula_reads_it(item: str) -> str:
    """The symbol a wrt item names, read by the formula's own parser where the spellings above do not reach:
    ``v_{w_I}`` (word2vec's input vector, one name ``v_{w_{I}}`` in the formula), ``\\boldsymbol{w}^{(A)}`` (model
    A's weights, ``w_A``), so that wrt names a parameter exactly as the formula writes it."""
    try:
        document = parse_document(item.strip(), "latex")
    except SymgdError:
        document = None
    node = document.items[0] if document is not None and len(document.items) == 1 else None
    if isinstance(node, ir.Name):
        return node.name
    if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
        return sub_symbol_name(node)
    raise AmbiguityError(f"wrt: {item!r} is not a symbol name")


def build_problem(documents: list[ir.Document], wrt=None) -> Problem:
    """Build the typed Problem from parsed documents (the source, then the ``where`` text).

    A chain ``A = B = ... = E`` is read from its last member; each earlier member that is a concrete value
    must agree with it (``symgd.chains``), else AmbiguityError.
    """
    problem, found = _build_problem(documents, wrt)
    if found.chains:
        defined = frozenset([*found.definitions, *found.indexed])
        # the documents the chains were found in, after the notational rewrites (chains find their item by
        # identity); the rewrites are idempotent, so the rebuild may apply them again
        readings = check_chains(found.chains, found.documents, problem, defined,
                                lambda rewritten: _build_problem(rewritten, wrt)[0])
        problem.readings = (*problem.readings, *readings)
    return problem


def _build_problem(documents: list[ir.Document], wrt=None) -> tuple[Problem, _Items]:
    """The Problem and the sorted items it was built from (each chain read from its last member)."""
    syntax = documents[0].syntax
    documents, joined = _join_capital_heads(documents)
    documents, pairs = _close_pair_sums(documents)
    documents, permutations = _calls_in_subscripts(documents)
    found = _sort_items(documents)
    found.documents = documents
    for name in permutations:
        found.read(f"\\{name}(i) in a subscript is the entry \\{name}_i: an index given as data (a permutation)"
                   if name in GREEK else f"{name}(i) in a subscript is the entry {name}_i: an index given as data")
    for word in joined:
        found.read(f"{word} is one name (capitals side by side heading a definition), not a product of letters")
    for index, excluded in pairs:
        found.read(f"\\sum_{{{index} \\ne {excluded}}} is the sum over the pairs {index} \\ne {excluded} (both summed)")
    objective_ir, objective_name = _choose_objective(found)
    _sort_subscript_declarations(found, [objective_ir, *(side for c in found.constraints for side in c[::2]),
                                         *(body for _, body in found.definitions.values())])
    resolver = _Resolver(found, syntax, frozenset().union(*(document.bold for document in documents)),
                         frozenset(parse_wrt(wrt) or ()))
    resolver.head_params = frozenset(found.definitions.get(objective_name, ((), None))[0] or ())
    resolver.note_sets([objective_ir, *(side for c in found.constraints for side in c[::2]),
                        *(body for _, body in found.definitions.values())])
    formulas = [objective_ir, *(side for c in found.constraints for side in c[::2])]
    found.summed = _bound_index_names(formulas, found)
    found.names = {n.name for f in [*formulas, *(body for _, body in found.definitions.values()),
                                    *(body for _, body in found.indexed.values())]
                   for n in ir.walk(f) if isinstance(n, ir.Name)}
    if syntax == "latex":
        _read_numbered_names(found)
        _read_word_names(documents, found)
        _read_additive_constant(objective_ir, found)
    objective_ir = resolver.resolve(objective_ir)
    constraints_ir = [resolver.resolve(ir.Relation((left, right), (op,))) for left, op, right in found.constraints]
    _check_labels_not_numbers([objective_ir, *constraints_ir], found)
    objective_ir, *constraints_ir = _superscript_labels([objective_ir, *constraints_ir], found)
    _refuse_lowercase_t_transposes([objective_ir, *constraints_ir])

    _check_size([objective_ir, *constraints_ir])
    params = parse_wrt(wrt) or _params_from_source(found, objective_name)
    if not params and found.free_min:
        params = _conventional_variables([objective_ir, *constraints_ir], found)
    params = list(dict.fromkeys(params))
    _check_assumptions(found, params)
    objective_ir, constraints_ir = _auxiliary_definitions(params, objective_ir, constraints_ir, found)
    used = _names_used([objective_ir, *constraints_ir])
    rows = _rows_of_parameters(params, [objective_ir, *constraints_ir], found)
    _refuse_greek_parts_of_parameters(params, [objective_ir, *constraints_ir], found)
    if rows:
        objective_ir, constraints_ir = (_rename_subscripted(f, rows) for f in ([objective_ir], constraints_ir))
        objective_ir = objective_ir[0]
        used = _names_used([objective_ir, *constraints_ir])
    aliases = _row_aliases(params, used)
    for requested, written in aliases.items():   # a declaration of W shapes the rows w_k
        if requested in found.declared and written not in found.declared:
            found.declared[written] = found.declared.pop(requested)
    params = [aliases.get(name, name) for name in params]
    if not params:
        raise AmbiguityError("symgd cannot tell which symbols are the parameters: pass wrt=... "
                             "(e.g. wrt='w') or write L(w) = ..., \\min_w ... or \\nabla_w L")
    objective_ir, *constraints_ir = _numbered_names_as_entries(params, used, [objective_ir, *constraints_ir])
    objective_ir, *constraints_ir = _families_named_by_entries(params, [objective_ir, *constraints_ir], found)
    (objective_ir, *constraints_ir), params = _families_over_set_pairs(params, [objective_ir, *constraints_ir], found)
    used = _names_used([objective_ir, *constraints_ir])
    supplied_params = _supplied_parameters(found, params, used)
    for name in params:
        if name not in used and name not in supplied_params:
            raise AmbiguityError(f"the parameter {name} does not appear in the objective or constraints")
    _entries_of_vector_parameters(params, [objective_ir, *constraints_ir], found)
    objective_ir, *constraints_ir = _numbered_rows(objective_ir, constraints_ir, found)
    _refuse_free_parameter_indices(objective_ir, params, found)
    _check_sums_over_data_sets(objective_ir, params, found.paired_points)
    _read_unions_of_sets(objective_ir, found)
    _check_boundary_vectors(objective_ir, constraints_ir, found)
    ranges = dict(pair for document in documents for pair in document.ranges)
    constraints_ir = [_for_every_index(c, objective_ir, params, found, ranges) for c in constraints_ir]

    if "I" not in found.declared and "I" not in params and "I" not in found.definitions \
            and any(_identity_term(node) for node in ir.walk(objective_ir)):
        found.identity.add("I")   # X^\top X + \lambda I: a bare I added to a matrix is the identity
        found.read("I is the identity matrix (a term of a sum of matrices)")
    elif "I" not in found.declared and "I" not in params and "I" not in found.definitions \
            and _names_used([objective_ir]).isdisjoint({"I"}) \
            and any(_identity_side(node) for formula in constraints_ir for node in ir.walk(formula)):
        found.identity.add("I")   # H^\top H = I (von Luxburg), A^TA = I: orthonormal columns, never data
        found.read("I is the identity matrix (one side of an equality with a matrix)")
    constraints_ir = [_where_the_sum_runs(c, objective_ir, found) for c in constraints_ir]   # m \ne y_i
    bold = frozenset().union(*(document.bold for document in documents))
    bold_subscripted = frozenset().union(*(document.bold_subscripted for document in documents))
    objective_ir, *constraints_ir = _conjugate_transposes([objective_ir, *constraints_ir], bold, bold_subscripted,
                                                          found)

    def inferred(formulas: list, family_sums: frozenset = frozenset()) -> ShapeInference:
        dims: dict[str, Dim] = {}
        declared = {name: _declared_shape(space, dims) for name, space in found.declared.items()}
        inference = ShapeInference(declared, dims, syntax, latex_of, frozenset(found.identity), bold,
                                   bold_whole=bold - bold_subscripted)
        inference.family_sums = family_sums
        inference.supplied = frozenset(found.supplied)
        _seed_sample_declarations(found, inference)
        _seed_boundary_vectors(found, inference)
        inference.run(formulas, scalars=(formulas[0],))
        return inference

    steps = [resolver.resolve(step) for _, step, _ in found.updates if step is not None]
    arguments = [ir.Name(name) for name in supplied_params]   # the parameters of supplied functions
    try:
        inference = inferred([objective_ir, *constraints_ir, *steps, *arguments])
    except ShapeError as error:
        families = _separate_families([objective_ir, *constraints_ir], str(error), found)
        if families is None:
            raise
        (objective_ir, *constraints_ir), family_sums = families
        inference = inferred([objective_ir, *constraints_ir, *steps, *arguments], family_sums)
    for step in steps:
        step_shape = inference.infer(step, Scope())
        if step_shape is None or step_shape.rank != 0:
            raise ShapeError(f"the step size {latex_of(step)} must be a scalar; it is a {describe(step_shape)}")
    _check_set_pair_families(found, inference)
    _read_defaults(found, inference, params)
    objective_shape = inference.infer(objective_ir, Scope())
    if objective_shape is None or objective_shape.rank != 0:
        raise ShapeError(f"the objective must be a scalar; {latex_of(objective_ir)} is a "
                         f"{describe(objective_shape)}")
    display = {written: requested for requested, written in aliases.items()}
    problem = _assemble(found, inference, params, objective_ir, constraints_ir, syntax, resolver, display)
    problem.objective_name = objective_name
    problem.written = dict(aliases)
    return problem, found


STAR = ir.Name("star")


def _conjugate_transposes(formulas: list, bold: frozenset, bold_subscripted: frozenset, found: _Items) -> list:
    """``\\boldsymbol{a}_r^*\\boldsymbol{z}`` (Candes et al., Wirtinger flow): a_r is bold (or declared with an axis
    more than its indices), one vector per value of the sum's index r, and a vector follows it; two column vectors
    side by side make sense only as an inner product, so ``^*`` is the conjugate transpose, a_r^\\top on real data
    (a reading). Elsewhere ``y_i^*`` stays a label
    beside an index (refused by shape inference: an entry of a labelled array), and ``w^*`` the optimum."""

    def a_vector(name: str, indices: int, fonts: frozenset) -> bool:
        """Is ``name`` with ``indices`` subscripts a vector: declared with one more axis, or a bold lowercase name?"""
        if name in found.declared:
            return len(found.declared[name]) == indices + 1
        return name in fonts and not name[:1].isupper() and name not in found.sample_declared

    def starred_vector(node, bound: frozenset):
        if not (isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and len(node.indices) > 1
                and node.indices[-1] == STAR):
            return None
        rest = node.indices[:-1]
        if not all(isinstance(i, ir.Name) and i.name in bound for i in rest) \
                or not a_vector(node.base.name, len(rest), bold_subscripted):
            return None
        return ir.Sub(node.base, rest)

    def vector_first(node) -> bool:
        first = _first_factor_of(node)
        if isinstance(first, ir.Sub) and isinstance(first.base, ir.Name):
            return a_vector(first.base.name, len(first.indices), bold)
        return isinstance(first, ir.Name) and a_vector(first.name, 0, bold)

    nodes = [node for formula in formulas for node in ir.walk(formula)]
    starred = Counter(node.base.name for node in nodes if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name)
                      and node.indices == (STAR,))
    named = Counter(node.name for node in nodes if isinstance(node, ir.Name))
    plain_names = {name for name in named if named[name] > starred[name]}   # X written without ^* too

    def adjoint_of(node) -> str | None:
        """``X^*r`` (Candes & Tao's Dantzig selector) with X itself in the formula: the adjoint of the matrix X."""
        if isinstance(node, ir.Sub) and node.indices == (STAR,) and isinstance(node.base, ir.Name) \
                and node.base.name[:1].isupper() and node.base.name in plain_names \
                and f"{node.base.name}_star" not in found.declared:
            return node.base.name
        return None

    def replace_first_factor(node, new):
        if isinstance(node, ir.Mul):
            return dataclasses.replace(node, left=replace_first_factor(node.left, new))
        return new

    def rewrite(node, bound: frozenset):
        if isinstance(node, ir.BigOp):
            inner = bound | {node.index}
            return dataclasses.replace(node, body=rewrite(node.body, inner))
        adjoint = adjoint_of(_first_factor_of(node.left)) if isinstance(node, ir.Mul) and node.op == "juxt" else None
        if adjoint is not None:
            found.read(f"{adjoint}^* is the adjoint of the matrix {adjoint}: {adjoint}^\\top on real data ({adjoint} "
                       "itself is in the formula)")
            return _map_children(node, lambda child: rewrite(child, bound) if child is not node.left
                                 else replace_first_factor(child, ir.Transpose(ir.Name(adjoint))))
        if isinstance(node, ir.Mul) and node.op == "juxt" and vector_first(node.right):
            row = starred_vector(node.left, bound)
            if row is not None:
                plain = latex_of(row)
                found.read(f"{plain}^* is the conjugate transpose of {plain}: {plain}^\\top on real data (two vectors "
                           "side by side make sense only as an inner product)")
                return ir.Mul(ir.Transpose(row), rewrite(node.right, bound), node.op)
        return _map_children(node, lambda child: rewrite(child, bound))

    return [rewrite(formula, frozenset()) for formula in formulas]


def _first_factor_of(node):
    """The leftmost factor of a product chain."""
    while isinstance(node, ir.Mul):
        node = node.left
    return node


def _read_numbered_names(found: _Items) -> None:
    """``x1`` listed in a head (``\\text{loss}(x1, x2, y)``, the tokenizer's ``numbered_head_arguments``) is
    one name: said in the readings, since x times 1 is the other way to read the letters."""
    for name in sorted(found.names):
        if re.fullmatch(r"[A-Za-z]+[0-9]+", name):
            letters = name.rstrip("0123456789")
            found.read(f"{name} is one name (as the definition's head lists it), not {letters} times "
                       f"{name[len(letters):]}")


def _read_word_names(documents: list[ir.Document], found: _Items) -> None:
    """``margin`` written in italics (the tokenizer's ``WORD_NAME_RE``) is one name: said in the readings,
    since the product of its letters is the other way to read it."""
    for name in sorted(found.names):
        bare = re.compile(r"(?<![\\{A-Za-z])" + re.escape(name) + r"(?![A-Za-z0-9])")
        if re.fullmatch(r"[a-z]{4,}", name) and any(bare.search(document.source) for document in documents):
            found.read(f"{name} is one name (a word), not the product of its letters")


def _read_additive_constant(objective_ir, found: _Items) -> None:
    """``+ \\text{const.}`` (the tokenizer's name ``const`` as a term of the objective's sum): a scalar that
    shifts the loss and leaves its gradient alone; said so, since the source gives it no value."""
    terms = objective_ir.terms if isinstance(objective_ir, ir.Add) else ()
    if any(term in (ir.Name("const"), ir.Neg(ir.Name("const"))) for term in terms):
        found.read("const is an additive constant: a scalar of its own that does not change the gradient")


def _identity_side(node) -> bool:
    """An equality ``M = I`` (or ``I = M``) whose other side names a capitalised matrix: ``H'H = I``."""
    if not isinstance(node, ir.Relation) or node.ops != ("=",):
        return False
    left, right = node.operands
    identity = ir.Name("I")
    return (right == identity and _mentions_capital(left)) or (left == identity and _mentions_capital(right))


def _identity_term(node) -> bool:
    """A sum with a term I or c I (c a lowercase name or a number) and a term naming a capitalised matrix:
    ``K + \\sigma_n^2 I``, ``X^\\top X + \\lambda I`` (``w^\\top I w`` keeps I a matrix of data)."""
    if not isinstance(node, ir.Add):
        return False
    identity = ir.Name("I")

    def is_identity(term) -> bool:
        if isinstance(term, ir.Neg):
            term = term.arg
        if term == identity:
            return True
        return isinstance(term, ir.Mul) and term.right == identity and not _mentions_capital(term.left)

    return any(is_identity(t) for t in node.terms) and any(
        _mentions_capital(t) for t in node.terms if not is_identity(t))


def _mentions_capital(node) -> bool:
    """A capitalised name (a matrix by convention) or a matrix defined entrywise."""
    return any(isinstance(n, ir.Entrywise) or (isinstance(n, ir.Name) and n.name[:1].isupper())
               for n in ir.walk(node))


DEFAULT_READINGS = {   # DEFAULT_RULES row -> why, in words
    "matrix": "{x} is a matrix (a capitalised name)",
    "vector": "{x} is a vector ({why})",
    "entries": DEFAULT_ENTRIES_READING,
}


def _read_defaults(found: _Items, inference: ShapeInference, params) -> None:
    """Record each shape that a default, not the source, decided (a scalar only for a parameter: in
    ``\\log(1 + e^{-y_i w \\cdot x_i})`` plain w and x_i are numbers), and what shape inference read."""
    for reading in inference.readings:
        found.read(reading)
    for name in params:   # w in \\log(1 + e^{-y_i w \\cdot x_i}): plain w and x_i read as numbers
        if inference.shapes.get(name) == SCALAR and name not in found.declared and "_" not in name:
            found.read(f"the parameter {name_latex(name)} is a scalar (nothing in the formula gives it a size; "
                       f"for a vector, declare {name_latex(name)} \\in \\mathbb{{R}}^{{d}} or write it bold)")
    for name, rule in sorted(inference.defaulted.items()):
        if rule in DEFAULT_READINGS and name not in found.one_hot:   # the one-hot's reading says what it is
            why = "bold" if name in inference.bold else "a letter from h to z, as in matrixcalculus.org" \
                if name not in found.supplied else "the values of a function you supply, named with a capital"
            if rule == "vector" and name in inference.subscripted:
                found.read(f"{name_latex(name)} with an index is a vector ({why}), one per index value: "
                           f"the rows of {name_latex(name)}")
            else:
                found.read(DEFAULT_READINGS[rule].format(x=name_latex(name), why=why))


MAX_TREE_NODES = 20_000
MAX_SYMBOLS = 200


def _check_size(formulas) -> None:
    """Refuse formulas that inlining made huge (f0 = f1 + f1, f1 = f2 + f2, ...) or that use more
    symbols than any loss does, so that every later stage runs in bounded time."""
    sizes: dict[int, int] = {}

    def size(node) -> int:   # tree size of a DAG, memoised by identity
        key = id(node)
        if key not in sizes:
            sizes[key] = 1 + sum(size(child) for child in ir.children(node))
        return sizes[key]

    total = sum(size(formula) for formula in formulas)
    if total > MAX_TREE_NODES:
        raise UnsupportedError(f"the formula expands to {total} terms after inlining definitions "
                               f"(the limit is {MAX_TREE_NODES})")
    names = _names_used(formulas)
    if len(names) > MAX_SYMBOLS:
        raise UnsupportedError(f"{len(names)} distinct symbols (the limit is {MAX_SYMBOLS})")


def _params_from_source(found: _Items, objective_name: str | None) -> list[str]:
    params = list(found.params)
    if objective_name and found.definitions.get(objective_name, ((), None))[0]:
        own = found.head_names.get(objective_name, ())
        written = found.entry_heads.get(objective_name, ())
        for position, name in enumerate(found.definitions[objective_name][0]):
            argument = written[position] if position < len(written) else None
            if isinstance(argument, ir.Sub) and argument in found.subscript_declared:
                # L(W_1, W_2) with W_1 \in \mathbb{R}^{m \times d}: declared names of their own, not entries of W
                name = sub_symbol_name(argument)
                found.read(f"{latex_of(argument)} in the head of {name_latex(objective_name)} is declared: a "
                           "parameter of its own")
            elif position < len(own) and own[position]:   # FL(p_t): the unknown p_t, a name of its own
                index = own[position].partition("_")[2]
                found.read(f"{name_latex(own[position])} in the head of {name_latex(objective_name)} is the "
                           f"unknown, a name of its own (not entry {index} of {name_latex(name)})")
                name = own[position]
            params.append(name)
    for request in found.requests:
        params.extend(request.wrt)
    return params


def _conventional_variables(formulas, found: _Items) -> list[str]:
    """``\\min x_1 + x_2`` and B&V's ``minimize f_0(x)`` list no variables: the unknowns are the symbols
    named x (x itself, else x_1, x_2, ... where no sum binds the subscript), the usual name of the unknown."""
    nodes = [n for f in formulas for n in ir.walk(f)]
    bound = {n.index for n in nodes if isinstance(n, ir.BigOp)}
    if any(n == ir.Name("x") for n in nodes if not isinstance(n, ir.Sub)) and \
            not all(_in_sub(n, nodes) for n in nodes if n == ir.Name("x")):
        names = ["x"]
    else:
        names = sorted({sub_symbol_name(n) for n in nodes if isinstance(n, ir.Sub) and n.base == ir.Name("x")
                        and not {a.name for i in n.indices for a in ir.walk(i) if isinstance(a, ir.Name)} & bound})
    if names:
        found.read(f"{', '.join(names)} {'is the variable' if len(names) == 1 else 'are the variables'}: "
                   "\\min lists none, and x is the usual name of the unknown")
    return names


def _in_sub(name_node, nodes) -> bool:
    """Is this occurrence of a name only ever the base of a subscript (x in x_1)?"""
    bare = sum(1 for n in nodes if n == name_node)
    as_base = sum(1 for n in nodes if isinstance(n, ir.Sub) and n.base == name_node)
    return bare == as_base


def _trailing_sum(term):
    """The sum a term ends with (``\\sum_i ...``, ``-\\sum_i ...``, ``\\frac{1}{n}\\sum_i ...``, PyTorch's
    ``\\frac{1}{C} * \\sum_i ...``): the chain of directly nested sums and a function that puts a replacement back
    in place; None for other terms. A product's operator does not matter: it binds the sum, not what follows."""
    if isinstance(term, ir.BigOp) and term.op == "sum":
        chain = [term]
        while isinstance(chain[-1].body, ir.BigOp) and chain[-1].body.op == "sum":
            chain.append(chain[-1].body)
        return chain, lambda new: new
    if isinstance(term, ir.Neg):
        inner = _trailing_sum(term.arg)
        return None if inner is None else (inner[0], lambda new: ir.Neg(inner[1](new)))
    if isinstance(term, ir.Mul) and term.op in ("juxt", "cdot", "star", "times"):
        inner = _trailing_sum(term.right)
        return None if inner is None else (inner[0], lambda new: ir.Mul(term.left, inner[1](new), term.op))
    return None


def _free_names(node) -> set[str]:
    """Names a term uses that no sum inside it binds."""
    bound = {n.index for n in ir.walk(node) if isinstance(n, ir.BigOp)}
    return {n.name for n in ir.walk(node) if isinstance(n, ir.Name)} - bound


def _extend_chain(chain: list, absorbed: list):
    """The chain of sums with each absorbed term added to the innermost sum whose index it uses (inside the
    0/1 mask of a sum over the pairs of a set); a sum over pairs written as one, ``\\sum_{u,i}``, is one sum:
    a term that joins it joins its body, once per pair (Johnson 2014's -\\frac{\\lambda}{2}\\|x_u\\|^2)."""
    indices = [op.index for op in chain]
    levels = {id(t): _joint_level(chain, max(k for k, index in enumerate(indices) if index in _free_names(t)))
              for t in absorbed}

    def rebuild(level: int):
        op = chain[level]
        body = rebuild(level + 1) if level + 1 < len(chain) else op.body
        extra = [t for t in absorbed if levels[id(t)] == level]
        if not extra:
            return dataclasses.replace(op, body=body)
        if isinstance(body, ir.Mul) and body.op == "mask":
            return dataclasses.replace(op, body=ir.Mul(body.left, ir.Add((*_add_terms(body.right), *extra)), "mask"))
        return dataclasses.replace(op, body=ir.Add((*_add_terms(body), *extra)))
    return rebuild(0)


def _joint_level(chain: list, level: int) -> int:
    """The innermost level of the sum over pairs (``\\sum_{u,i}``) that level ``level`` of ``chain`` belongs to."""
    while chain[level].joint and level + 1 < len(chain):
        level += 1
    return level


def _add_terms(node) -> tuple:
    return node.terms if isinstance(node, ir.Add) else (node,)


def _auxiliary_definitions(params, objective_ir, constraints_ir, found: _Items):
    """B&V's ``minimize \\phi(r_1) + \\cdots + \\phi(r_m) subject to r = Ax - b``: an equality whose left side
    is a name that is not a parameter, and whose right side uses one, names that expression (the residual);
    it is substituted (r_i becomes the entry (Ax - b)_i), not kept as a constraint on data r."""
    kept, pending = [], list(constraints_ir)
    while pending:
        constraint = pending.pop(0)
        (left, right), (op,) = constraint.operands, constraint.ops
        uses_param = any(_base_name(n) in params for n in ir.walk(right))
        if op != "=" or not isinstance(left, ir.Name) or left.name in params or left.name in found.declared \
                or not uses_param:
            kept.append(constraint)
            continue
        found.read(f"{left.name} = {latex_of(right)} names an expression of the parameters; it is substituted")

        def replace(node, name=left.name, value=right):
            if node == ir.Name(name):
                return value
            if isinstance(node, ir.Sub) and node.base == ir.Name(name):
                return ir.Sub(value, tuple(replace(i) for i in node.indices))
            return _map_children(node, replace)
        objective_ir = replace(objective_ir)
        kept, pending = [replace(c) for c in kept], [replace(c) for c in pending]
    return objective_ir, kept


def _numbered_names_as_entries(params, used, formulas) -> list:
    """In plain text ``x_1`` is one name: for a parameter x that appears only so, x_1 is x's entry 1."""
    numbered = {name for name in used for p in params
                if p not in used and re.fullmatch(re.escape(p) + r"_\d+", name)}
    if not numbered:
        return formulas

    def entry(node):
        if isinstance(node, ir.Name) and node.name in numbered:
            base, _, position = node.name.rpartition("_")
            return ir.Sub(ir.Name(base), (ir.Num(position),))
        return _map_children(node, entry)
    return [entry(f) for f in formulas]


def _families_named_by_entries(params, formulas, found: _Items) -> list:
    """``\\beta_u`` and ``\\beta_i`` listed as parameters, the objective summing over u and i (Johnson 2014: user
    and item biases): each listed entry names the family of its values over its index, a vector of its own
    (``beta_u``, ``beta_i``), whose entry the objective writes \\beta_u. Only where every summed entry of β is so
    listed and β is not used whole; the rest stays as it is (a parameter absent from the objective is refused)."""
    listed: dict[str, set[str]] = {}
    for name in params:
        base, _, index = name.rpartition("_")
        if base and len(index) == 1 and index.isalpha() and base not in params \
                and base not in found.declared:
            listed.setdefault(base, set()).add(index)
    if not listed:
        return formulas
    entries: dict[str, set[str]] = {base: set() for base in listed}
    whole: set[str] = set()

    def survey(node, bound: frozenset) -> None:
        if isinstance(node, ir.BigOp):
            bound = bound | {node.index}
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and node.base.name in listed:
            atoms = _entry_atoms(node)
            if atoms is None or len(atoms) != 1 or atoms[0] not in bound:
                whole.add(node.base.name)
            else:
                entries[node.base.name].add(atoms[0])
            return
        if isinstance(node, ir.Name) and node.name in listed:
            whole.add(node.name)
        for child in ir.children(node):
            survey(child, bound)

    for formula in formulas:
        survey(formula, frozenset())
    plain = {n.name for formula in formulas for n in ir.walk(formula) if isinstance(n, ir.Name)}
    families = {base: indices for base, indices in entries.items()
                if base not in whole and indices and indices <= listed[base]
                and not any(f"{base}_{index}" in plain for index in listed[base])}
    if not families:
        return formulas
    for base, indices in sorted(families.items()):
        for index in sorted(indices):
            written = f"{name_latex(base)}_{index}"
            found.read(f"{written} among the parameters is the vector of the {written}, one per value of {index} "
                       f"(a family of its own: {base}_{index})")
    return _rename_families(formulas, set(families))


def _rename_families(formulas, bases: set[str]) -> list:
    """Each entry ``b_u`` of a base in ``bases`` becomes entry u of the vector ``b_u`` (a family of its own)."""
    def rename(node):
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and node.base.name in bases:
            (index,) = _entry_atoms(node)
            return ir.Sub(ir.Name(f"{node.base.name}_{index}"), node.indices)
        return _map_children(node, rename)

    return [rename(formula) for formula in formulas]


def _families_over_set_pairs(params, formulas, found: _Items):
    """Koren, Bell & Volinsky (2009): ``b_u`` and ``b_i`` in the sum over the pairs ``(u,i) \\in \\kappa``, the user
    and the item biases. Read first as two vectors ``b_u`` (over u) and ``b_i`` (over i), so that shapes are solved
    without tying u to i; ``_check_set_pair_families`` then keeps the reading only where u and i are known to range
    over different dimensions. A base also used otherwise (whole, with another index, declared) keeps the
    refusal. Returns (formulas, params), a split parameter b replaced by its vectors."""
    nodes = [n for f in formulas for n in ir.walk(f)]
    plain = {n.name for n in nodes if isinstance(n, ir.Name)}
    families: dict[str, tuple] = {}
    for node in nodes:
        if not (isinstance(node, ir.Mul) and node.op == "mask" and isinstance(node.left, ir.Sub)):
            continue
        names = tuple(index.name for index in node.left.indices if isinstance(index, ir.Name))
        by_base: dict[str, set] = {}
        for sub in ir.walk(node.right):
            atoms = _entry_atoms(sub)
            if atoms is not None and len(atoms) == 1 and atoms[0] in names \
                    and sub.base.name not in found.paired_points:
                by_base.setdefault(sub.base.name, set()).add(atoms[0])
        for base, indices in by_base.items():
            uses = [n for n in nodes if isinstance(n, ir.Sub) and n.base == ir.Name(base)]
            if len(indices) < 2 or base in found.declared or base in found.sample_declared \
                    or sum(1 for n in nodes if n == ir.Name(base)) != len(uses) \
                    or any((_entry_atoms(n) or ("",))[0] not in indices or len(n.indices) != 1 for n in uses) \
                    or any(f"{base}_{index}" in plain or f"{base}_{index}" in params for index in indices):
                continue   # check_one_letter_per_index refuses it
            others = {index: {b for b, seen in by_base.items() if seen == {index}} for index in indices}
            apart = all(others.values()) and not set.intersection(*others.values())   # p_u, q_i
            families[base] = (tuple(index for index in names if index in indices), latex_of(node.left.base),
                              {index: tuple(sorted(others[index])) for index in indices} if apart else None)
    if not families:
        return formulas, params
    found.pair_families.update(families)
    params = [part for name in params for part in
              ([f"{name}_{index}" for index in families[name][0]] if name in families else [name])]
    return _rename_families(formulas, set(families)), params


def _check_set_pair_families(found: _Items, inference: ShapeInference) -> None:
    """The readings of ``b_u`` beside ``b_i`` (``_families_over_set_pairs``): two vectors where u and i are known to
    range over different dimensions: the source keeps them apart with arrays of their own (Koren's user factors
    p_u and item factors q_i) or names their sizes; ambiguous otherwise (the edges of a graph, (i, j) \\in E,
    index one vector x by both ends)."""
    for base, (indices, set_name, others) in sorted(found.pair_families.items()):
        spelled = " and ".join(f"{name_latex(base)}_{index}" for index in indices)
        roots = [inference.shapes[f"{base}_{index}"].dims[0].find() for index in indices]
        named = [root.value for root in roots]
        question = (f"{spelled} in the sum over the set {set_name}: one vector {name_latex(base)} indexed by both, "
                    f"or {len(indices)} different vectors (one per kind of index: "
                    f"{', '.join(f'{base}_{index}' for index in indices)})?")
        if len(set(map(id, roots))) < len(roots):
            raise AmbiguityError(f"{question} {' and '.join(indices)} range over the same dimension. Give them "
                                 f"different names (two vectors: {base}_{indices[-1]} and c_{indices[0]})")
        if others is None and (None in named or len(set(named)) < len(named)):
            raise AmbiguityError(f"{question} Nothing written says whether {' and '.join(indices)} range over one "
                                 f"dimension: give them different names (two vectors: {base}_{indices[-1]} and "
                                 f"c_{indices[0]}) or declare the sizes")
        why = ("the source indexes " + " and ".join(f"{', '.join(map(name_latex, others[index]))} only by {index}"
                                                    for index in indices)
               if others is not None else f"their sizes {' and '.join(map(str, named))} are named")
        found.read(f"{spelled} in the sum over the set {set_name} are {len(indices)} vectors, "
                   + ", ".join(f"{base}_{index} with one entry per {index}" for index in indices)
                   + f": {' and '.join(indices)} range over different dimensions ({why}), so one vector "
                   f"{name_latex(base)} cannot be indexed by both")


def _check_boundary_vectors(objective_ir, others: list, found: _Items) -> None:
    """``\\alpha_0 = -\\infty, \\alpha_c = \\infty`` (Agresti): a vector written only as entries in the objective,
    with its entry 0 and its entry c (c a dimension) given as ±∞: its free entries are 1 to c - 1 (a reading),
    and ``symgd.limits`` takes the terms that reach a boundary entry as limits. \\infty anywhere else, a
    boundary at another place, or such a vector used whole or outside the objective is refused."""
    bodies = [body for _, body in found.definitions.values()] + [body for _, body in found.indexed.values()]
    for formula in [objective_ir, *others, *bodies]:
        if any(node == ir.Name(INFINITY) for node in ir.walk(formula)):
            raise UnsupportedError(f"{INFINITY_REFUSAL} (in {_with_infinity(formula)})")
    for name, given in sorted(found.boundaries.items()):
        written = name_latex(name)
        ends = sorted(given, key=lambda node: isinstance(node, ir.Name))
        if len(ends) != 2 or ends[0] != ir.Num("0") or not isinstance(ends[1], ir.Name) \
                or name in found.declared or name in found.sample_declared:
            shown = ", ".join(f"{written}_{{{latex_of(end)}}}" for end in ends)
            raise UnsupportedError(f"the boundary entries {shown} = \\pm\\infty: symgd reads a vector whose entries "
                                   f"0 and c (a dimension) are given, {written}_0 = -\\infty, {written}_c = \\infty, "
                                   "and whose other entries are not declared")
        if any(node == ir.Name(name) for formula in others for node in ir.walk(formula)) or any(
                node == ir.Name(name) and not _in_sub(node, list(ir.walk(objective_ir)))
                for node in ir.walk(objective_ir)):
            raise UnsupportedError(f"{written} with boundary entries ±\\infty used whole or outside the objective; "
                                   f"write its entries {written}_j in the objective")
        top = ends[1].name
        signs = {end: "-" if given[end] < 0 else "" for end in ends}
        found.read(f"{written}_0 = {signs[ends[0]]}\\infty and {written}_{{{top}}} = {signs[ends[1]]}\\infty are the "
                   f"boundary entries of {written}: its entries are {written}_1, \\ldots, {written}_{{{top}-1}}, "
                   f"and each term of a sum that reaches a boundary entry is taken out of the sum as its limit "
                   f"({written}_0 \\to {signs[ends[0]]}\\infty, {written}_{{{top}}} \\to {signs[ends[1]]}\\infty), "
                   "exactly")


def _seed_boundary_vectors(found: _Items, inference: ShapeInference) -> None:
    """A vector with boundary entries 0 and c has the c - 1 entries between them; its entries are indexed by sums
    along longer axes (j = 1..c reaches \\alpha_{j-1} and \\alpha_j), so its axis is not tied to theirs."""
    for name, given in found.boundaries.items():
        top = next(end for end in given if isinstance(end, ir.Name))
        inference.shapes[name] = Shape((Dim(inference.dimension(top.name).resolved() - 1),))
        inference.bounded = inference.bounded | {name}


def _take_boundary_limits(objective, found: _Items, symbols: dict, dim_symbol, inference: ShapeInference):
    """The objective with the terms that reach a boundary entry taken as limits (``symgd.limits``)."""
    vectors = {}
    for name, given in found.boundaries.items():
        ends = {(sympy.Integer(0) if isinstance(end, ir.Num) else dim_symbol(inference.dims[end.name])): sign
                for end, sign in given.items()}
        vectors[symbols[name]] = (max(ends, key=lambda end: end != 0) - 1, ends)
    return boundary_limits(objective, vectors)


def _entries_of_vector_parameters(params, formulas, found: _Items) -> None:
    """``f(x) = 100(x_2 - x_1^2)^2 + (1 - x_1)^2`` (Nocedal & Wright): a parameter x written only through
    x_1, x_2, ... with whole-number subscripts is a vector; its length is the largest subscript."""
    nodes = [n for f in formulas for n in ir.walk(f)]
    for name in params:
        if name in found.declared or any(n == ir.Name(name) and not _in_sub(n, nodes) for n in nodes):
            continue
        positions = [n.indices[0] for n in nodes if isinstance(n, ir.Sub) and n.base == ir.Name(name)
                     and len(n.indices) == 1 and isinstance(n.indices[0], ir.Num)]
        if positions and all(p.text.isdigit() and int(p.text) >= 1 for p in positions) and len(positions) == sum(
                1 for n in nodes if isinstance(n, ir.Sub) and n.base == ir.Name(name)):
            length = max(int(p.text) for p in positions)
            found.declared[name] = (ir.Num(str(length)),)
            entries = ", ".join(f"{name}_{k}" for k in range(1, length + 1)) if length <= 3 \
                else f"{name}_1, ..., {name}_{length}"
            found.read(f"{name} \\in \\mathbb{{R}}^{{{length}}}: {entries} are its entries")


def _numbered_rows(objective_ir, constraints_ir, found: _Items) -> list:
    """``\\sum_{i=1}^{N} p_{0i} g_{1i}`` (Salehi et al.'s Tversky loss): a name written only with a digit and then an
    index a sum binds is an array with a row per digit, counted from 0 when a 0 is written: p_{0i} is entry
    (row 0, column i) of a 2 x N array p. The rows are renumbered from 1 (symgd's first entry) and p is
    declared, so that the subscript is not read as a name p_{0i} of its own; listed in the readings."""
    formulas = [objective_ir, *constraints_ir]
    nodes = [node for formula in formulas for node in _distinct_nodes(formula)]
    sums = [node for node in nodes if isinstance(node, ir.BigOp)]
    ranges = {index: uppers.pop() for index in {node.index for node in sums}   # i = 1..N in every sum over i
              if len(uppers := {node.upper for node in sums if node.index == index}) == 1
              and all(node.lower in (None, ir.Num("1")) for node in sums if node.index == index)}
    rows: dict[str, tuple[set, set]] = {}
    for node in nodes:
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
            row = _numbered_row(node, ranges)
            digits, uppers = rows.setdefault(node.base.name, (set(), set()))
            digits.add(row[0] if row else None)
            uppers.add(row[1] if row else None)
    bare = {node.name for node in nodes if isinstance(node, ir.Name)} - {
        node.base.name for node in nodes if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name)}
    renumber = {name: (max(digits) + 1, uppers.pop()) for name, (digits, uppers) in rows.items()
                if None not in digits and 0 in digits and len(digits) > 1 and len(uppers) == 1
                and name not in found.declared
                and name not in bare and name not in found.definitions}
    if not renumber:
        return formulas
    for name, (count, upper) in sorted(renumber.items()):
        found.declared[name] = (ir.Num(str(count)), upper)
        found.read(f"{name_latex(name)} is a {count} \\times {latex_of(upper)} array, {name_latex(name)}_{{0i}} its "
                   "entry in row 0 (rows counted from 0) and column i (the summed index)")

    def renumbered(node):
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and node.base.name in renumber:
            digit, index = index_atoms(node.indices)
            return ir.Sub(node.base, (ir.Num(str(int(digit.text) + 1)), index))
        return _map_children(node, renumbered)
    return [renumbered(formula) for formula in formulas]


def _numbered_row(node: ir.Sub, ranges: dict):
    """(row digit, the sum's upper end) for ``p_{0i}`` with i bound by a sum running to a name; else None."""
    atoms = index_atoms(node.indices)
    if not atoms or len(atoms) != 2:   # p_{0i} or p_{0,i}
        return None
    digit, index = atoms
    if not (isinstance(digit, ir.Num) and digit.text.isdigit() and isinstance(index, ir.Name)
            and isinstance(ranges.get(index.name), ir.Name)):
        return None
    return int(digit.text), ranges[index.name]


def _check_sums_over_data_sets(objective_ir, params, paired_points=frozenset()) -> None:
    """A sum over the tuples of a set given as data (``\\sum_{(u,i,j) \\in D_S}``) is the fit to those data: a body
    holding no parameter leaves them out of every gradient. BPR writes ``\\ln\\sigma(\\hat{x}_{uij})`` with
    x̂ "an arbitrary function of Θ" said in words only: read as written, x̂ would be data. Refused, naming
    what to define."""
    for node in ir.walk(objective_ir):
        if not (isinstance(node, ir.Mul) and node.op == "mask"):
            continue
        subscripts = [n for n in ir.walk(node.right) if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name)]
        mask = next(n for n in ir.walk(node.left) if isinstance(n, ir.Sub))   # one set's, or each of a union's
        names = tuple(index.name for index in mask.indices if isinstance(index, ir.Name))
        subscripts = [n for n in subscripts if n.base.name not in paired_points]   # (x_i, x_j) \in S: one x
        check_one_letter_per_index(names, subscripts, _mask_sets(node.left))   # b_u, b_i from a definition
        if _names_used([node.right]) & set(params):
            continue
        entries = sorted({latex_of(n) for n in ir.walk(node.right) if isinstance(n, ir.Sub)})
        written = ", ".join(entries) or latex_of(node.right)
        raise AmbiguityError(f"the sum over the set {_mask_sets(node.left)} holds no parameter "
                             f"({', '.join(params)}): {written} would be data and the fit would drop out of the "
                             f"gradient; define {entries[0] if entries else 'it'} in terms of the parameters "
                             "in the where-clause (e.g. \\hat{x}_{ui} = w_u^\\top h_i)")


def _mask_sets(mask) -> str:
    """The set a sum's 0/1 mask stands for, in LaTeX: ``\\kappa``, or ``Y \\cup Y^-`` for the union's mask."""
    return r" \cup ".join(dict.fromkeys(latex_of(member.base) for member in _union_members(mask)))


def _union_members(mask) -> list:
    """The masks of the sets a union's mask folds (``transform.union_mask``), in the order written."""
    if isinstance(mask, ir.Add) and len(mask.terms) == 3:
        return [*_union_members(mask.terms[0]), *_union_members(mask.terms[1])]
    return [mask] if isinstance(mask, ir.Sub) else [n for n in ir.walk(mask) if isinstance(n, ir.Sub)]


def _read_unions_of_sets(objective_ir, found: _Items) -> None:
    """The reading of ``\\sum_{(u,i)\\in Y\\cup Y^-}``: the sum over every pair weighted by the union's 0/1 mask."""
    for node in ir.walk(objective_ir):
        if isinstance(node, ir.Mul) and node.op == "mask" and isinstance(node.left, ir.Add):
            found.read(f"the sum over the pairs of {_mask_sets(node.left)} is over every pair, weighted by the 0/1 "
                       f"mask of the union, {latex_of(node.left)} (1 for a pair in any of the sets; the masks are "
                       "arguments, given as data)")


def _supplied_parameters(found: _Items, params: list, used: set) -> list[str]:
    """The parameters that supplied functions take (``x`` of ``r_j(x)``), each checked to be a parameter.

    One that the formulas use nowhere else and the source does not declare is a vector (Nocedal & Wright's
    x in R^n): nothing else could shape it, and a scalar would silently change the problem; the reading
    says so, and a declaration (``x \\in \\mathbb{R}``) overrides it."""
    taken = list(dict.fromkeys(name for call in found.supplied.values() for name in call.params))
    for name, call in found.supplied.items():
        if not set(call.params) & set(params):
            raise AmbiguityError(f"{call.written}: the function {name} is not defined and takes no parameter; "
                                 f"define it ({call.written} = ...)")
    taken = [name for name in taken if name in params]
    sizes = {d.name for space in [*found.declared.values(), *found.sample_declared.values()] for d in space
             if isinstance(d, ir.Name)}   # a dimension of its own per parameter: nothing ties u to v in h(u, v)
    for name in taken:
        if name in used or name in found.declared:
            continue
        free = (d for d in ("n", "d", "p", "q", "k", "D", "P", "Q", "M", "K") if d not in found.names
                and d not in found.summed and d not in found.supplied and d not in sizes)
        matrix = name[:1].isupper()   # X of F(X): a capitalised name is a matrix, as everywhere
        space = (next(free), next(free)) if matrix else (next(free),)
        sizes.update(space)
        found.declared[name] = tuple(ir.Name(size) for size in space)
        written = r" \times ".join(space)
        found.read(f"{name_latex(name)} \\in \\mathbb{{R}}^{{{written}}}: a "
                   f"{'matrix' if matrix else 'vector'}, since it appears only as the argument of functions you "
                   "supply; declare it otherwise")
    return taken


def _names_used(formulas) -> set[str]:
    names = set()
    for formula in formulas:
        for node in ir.walk(formula):
            if isinstance(node, ir.Name):
                names.add(node.name)
            elif isinstance(node, ir.Sub) and isinstance(node.base, ir.Name):
                names.add(node.base.name)
                names.add(sub_symbol_name(node))
    return names


def _separate_families(formulas: list, error: str, found: _Items):
    """Sohn (2016), the N-pair loss: ``\\log(1 + \\sum_{i=1}^{N-1}\\exp(f^\\top f_i - f^\\top f^+))`` uses the
    vector f whole and ``f_i``: read as entries of f, f^⊤ f_i is no number, so (called only after that
    reading failed, with ``error`` naming f_i) the f_i are vectors of their own, the rows of a matrix F (a
    reading), holding exactly the members the sums run over (F has N - 1 rows). Returns (formulas, ids of
    those sums) or None when no name the error names is used both ways, or the family's name F is taken."""
    nodes = [n for f in formulas for n in ir.walk(f)]
    named = Counter(n.name for n in nodes if isinstance(n, ir.Name))
    subscripted = Counter(n.base.name for n in nodes if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name))
    whole = {name for name in named if named[name] > subscripted[name]}   # walk visits a Sub's base too
    summed = {n.index for n in nodes if isinstance(n, ir.BigOp)}
    sliced = {n.base.name for n in nodes if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name)
              and len(n.indices) == 1 and isinstance(n.indices[0], ir.Name) and n.indices[0].name in summed}
    taken = whole | {n.base.name for n in nodes if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name)}
    family = {name: name.upper() for name in sorted(whole & sliced)
              if name.upper() != name and name.upper() not in taken and name not in found.declared
              and name not in found.sample_declared and f" {name}_{{" in f" {error}"}
    if not family:
        return None
    sums: set[int] = set()

    def rename(node, binding):
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and node.base.name in family \
                and len(node.indices) == 1 and isinstance(node.indices[0], ir.Name) \
                and node.indices[0].name in binding:
            binding[node.indices[0].name].append(True)   # the sum binding i runs over the family
            return ir.Sub(ir.Name(family[node.base.name]), node.indices)
        if not isinstance(node, ir.BigOp):
            return _map_children(node, lambda child: rename(child, binding))
        marks: list = []
        inner = {**binding, node.index: marks}
        new = _map_children(node, lambda child: rename(child, inner))
        if marks:
            sums.add(id(new))
        return new

    renamed = [rename(f, {}) for f in formulas]
    for name, matrix in family.items():
        found.read(f"{name}_i are vectors of their own, the rows of a matrix {matrix}, not entries of the vector "
                   f"{name} (read as entries, {name}^\\top {name}_i would not be a number)")
    return renamed, frozenset(sums)


def _rows_of_parameters(params, formulas, found: _Items) -> dict[str, str]:
    """``\\|Y - XB\\|_F^2 + \\lambda\\sum_j \\|b_j\\|_2`` with B a parameter: b_j are the rows of B, not a
    second matrix (which would silently drop the penalty's gradient). Applies when the lowercase
    name appears only with a subscript and is not declared."""
    nodes = [n for f in formulas for n in ir.walk(f)]
    named = Counter(n.name for n in nodes if isinstance(n, ir.Name))
    subscripted = Counter(n.base.name for n in nodes if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name))
    bare = {name for name in named if named[name] > subscripted[name]}   # walk visits a Sub's base too
    rows = {}
    for name in params:
        lower = name.lower()
        if lower != name and name in bare and lower in subscripted and lower not in bare \
                and lower not in found.declared and lower not in found.sample_declared:
            rows[lower] = name
            found.read(f"{lower}_j are the rows of {name}")
    return rows


# A Latin capital that is also the Greek capital of a lowercase Greek letter: B = [\beta_1, ..., \beta_k]
GREEK_OF_CAPITAL = {"A": "alpha", "B": "beta"}


def _refuse_greek_parts_of_parameters(params, formulas, found: _Items) -> None:
    """``\\arg\\min_{A,B} ... + \\lambda\\sum_j \\|\\beta_j\\|^2`` (Zou, Hastie & Tibshirani's sparse PCA,
    B = [\\beta_1, ..., \\beta_k]): \\beta_j written only with a subscript beside the parameter B is most likely a
    column (or a row) of B; read as data, the penalty's gradient would silently vanish, so the reading is asked for."""
    nodes = [n for f in formulas for n in ir.walk(f)]
    named = Counter(n.name for n in nodes if isinstance(n, ir.Name))
    subscripted = Counter(n.base.name for n in nodes if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name))
    # a penalty \|\beta_j\|, |\beta_j| (weights \alpha_i beside a parameter A keep their reading)
    normed = {n.arg.base.name for n in nodes if isinstance(n, (ir.Norm, ir.Abs)) and isinstance(n.arg, ir.Sub)
              and isinstance(n.arg.base, ir.Name)}
    for name in params:
        greek = GREEK_OF_CAPITAL.get(name)
        if greek and greek not in params and greek in normed and named[greek] == subscripted[greek] \
                and greek not in found.declared and greek not in found.sample_declared:
            raise AmbiguityError(f"\\{greek}_j beside the parameter {name}: the columns (or rows) of {name}, or data "
                                 f"of its own? symgd does not guess: write the penalty on {name} itself (for rows, "
                                 f"{name.lower()}_j), or declare \\{greek}")


def _rename_subscripted(formulas, rows: dict[str, str]) -> list:
    """Replace the base ``b`` of ``b_j`` by ``B`` (the rows of a parameter matrix)."""
    def rename(node):
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) and node.base.name in rows:
            return ir.Sub(ir.Name(rows[node.base.name]), node.indices)
        return _map_children(node, rename)
    return [rename(f) for f in formulas]


def _row_aliases(params, used) -> dict[str, str]:
    """wrt="W" where the loss writes rows ``w_k``: map the written name w to the parameter W."""
    return {name: name.lower() for name in params
            if name not in used and name.lower() != name and name.lower() in used}


def _declared_shape(space: tuple, dims: dict[str, Dim]) -> Shape:
    result = []
    for node in space:
        if isinstance(node, ir.Num):
            if not node.text.isdigit() or int(node.text) < 1:
                raise ShapeError(f"the dimension {node.text} is not a positive whole number")
            result.append(Dim(int(node.text)))
        else:
            if node.name not in dims:
                dims[node.name] = Dim(sympy.Symbol(node.name, integer=True, positive=True))
            result.append(dims[node.name])
    if len(result) > 2:
        raise UnsupportedError("tensors with more than two axes")
    return Shape(tuple(result))


def _dim_name(dim: Dim) -> str:
    return str(dim.find().value)


def _seed_sample_declarations(found: _Items, inference: ShapeInference) -> None:
    """``x_i \\in \\mathbb{R}^d``: x is a stack of samples, (range of i, d)."""
    for name, space in found.sample_declared.items():
        if name in inference.shapes:
            continue
        sample = _declared_shape(space, inference.dims)
        if sample.rank == 2 and sample.dims[0].find().value == 1:   # x_i \in \mathbb{R}^{1 \times K}: each x_i a row
            sample = Shape(sample.dims[1:])
            inference.row_samples.add(name)
            found.read(f"{name_latex(name)}_i is a row vector (declared 1 \times {_dim_name(sample.dims[0])}): "
                       f"{name_latex(name)} stacks the rows")
        inference.shapes[name] = Shape((Dim(),) + sample.dims)


def _assemble(found, inference: ShapeInference, params, objective_ir, constraints_ir, syntax,
              resolver: _Resolver, display: dict[str, str]) -> Problem:
    found.summed = found.summed | _index_names(objective_ir, constraints_ir)
    dim_names = _name_dimensions(inference, params, found)
    symbols, roles, shapes, argnames = {}, SymbolDict(), SymbolDict(), SymbolDict()
    dims_out, data, constants, indices = [], [], [], []

    def dim_symbol(dim: Dim):
        value = dim.resolved()
        if value is None:
            value = dim_names.setdefault(dim.find(), sympy.Symbol(f"d{len(dim_names)}", integer=True, positive=True))
        return sympy.Integer(value) if isinstance(value, int) else value

    for dim in inference.dims.values():
        symbol = dim_symbol(dim)
        if isinstance(symbol, sympy.Symbol) and symbol not in roles:
            roles[symbol] = DIMENSION
            dims_out.append(symbol)

    for name in inference.order:
        if name in inference.dims and inference.shapes.get(name) in (None, SCALAR):
            continue
        shape = inference.shapes[name]
        shape_tuple = tuple(dim_symbol(d) for d in shape.dims)
        shown = display.get(name, name)
        if shape.rank:
            obj = sympy.IndexedBase(shown, shape=shape_tuple, real=True)
        else:
            obj = sympy.Symbol(shown, real=True, positive=True) if name in found.positive \
                else sympy.Symbol(shown, real=True)
        symbols[name] = obj
        role = PARAMETER if name in params else (DATA if shape.rank else CONSTANT)
        roles[obj] = role
        shapes[obj] = shape_tuple
        (data if role == DATA else constants if role == CONSTANT else []).append(obj)

    for dim_symbol_ in dims_out:
        shapes[dim_symbol_] = ()
    supplied = _supplied_functions(found, params, symbols, roles, shapes)
    data = [symbol for symbol in data if roles[symbol] == DATA]
    constants = [symbol for symbol in constants if roles[symbol] == CONSTANT]
    _add_argnames(symbols, argnames, {f"{base}_{index}" for base, (indices, *_) in found.pair_families.items()
                                      for index in indices})

    used_names = {name for name in inference.order} | set(inference.dims) | _index_names(objective_ir, constraints_ir)
    symmetric = _symmetric_matrices(found, symbols, shapes)
    lowering = Lowering(inference, symbols, dim_symbol, used_names, latex_of, dict(found.symmetric))
    objective = lowering.lower(objective_ir, Scope(), {})
    objective = _take_boundary_limits(objective, found, symbols, dim_symbol, inference)
    constraints = tuple(_lower_constraint(c, lowering, inference) for c in constraints_ir)
    for reading in lowering.readings:   # e^{W∘W} is the matrix exponential
        found.read(reading)
    for function in supplied.values():   # the chain rule stops at a supplied function: its Jacobian
        objective = function.in_index_form(objective)
        constraints = tuple(dataclasses.replace(c, expr=function.in_index_form(c.expr)) for c in constraints)
    for name in sorted(_index_names(objective_ir, constraints_ir)):
        index = sympy.Symbol(name, integer=True)
        roles[index] = INDEX
        indices.append(index)

    for name in params:
        if name not in symbols:
            written = sorted(n for n in symbols if n.startswith(name + "_"))
            raise AmbiguityError(f"the parameter {name} appears only as {', '.join(written) or 'a subscripted name'}, "
                                 "with an index no sum binds; sum over the index or name the entry in wrt")
    param_objs = tuple(symbols[name] for name in params)
    labels = SymbolDict({symbols[name]: written for name, (written, _) in found.one_hot.items() if name in symbols})
    for name in found.one_hot:
        if name in params:
            raise AmbiguityError(f"{name} is the one-hot matrix of integer labels (data); it cannot be a parameter")
    updates = tuple(
        UpdateRule(param, lowering.lower(resolver.resolve(step), Scope(), {}) if step is not None else None, text)
        for param, step, text in found.updates)
    return Problem(
        objective=objective, constraints=constraints, params=param_objs, data=tuple(data),
        constants=tuple(constants), dims=tuple(dims_out), indices=tuple(indices), shapes=shapes,
        roles=roles, argnames=argnames, requests=tuple(found.requests), updates=updates,
        notes=tuple(found.notes), readings=tuple(found.readings), objective_ir=objective_ir,
        constraints_ir=tuple(constraints_ir), syntax=syntax, sense=found.sense, symmetric=symmetric,
        functions={name: value for name, value in found.definitions.items() if value[0]}, labels=labels,
        supplied=supplied,
    )


def _supplied_functions(found: _Items, params, symbols: dict, roles, shapes) -> dict[str, SuppliedFunction]:
    """Each function the user supplies (``found.supplied``): its value's symbol takes the role ``function``,
    and a Jacobian per parameter it takes (shape: the value's, then the parameter's) joins the symbols.
    Returns name -> SuppliedFunction; each is listed in the readings."""
    out = {}
    for name, call in found.supplied.items():
        if name not in symbols:   # c_i(x) \ge 0 with i bound by nothing: c_i read as a name of its own
            raise AmbiguityError(f"{call.written}: its index is bound by no sum and no range clause; write the "
                                 f"range, e.g. {call.written} \\ge 0,\\ i = 1, \\dots, m")
        value = symbols[name]
        roles[value] = FUNCTION
        taken = [p for p in call.params if p in params]
        jacobians = {}
        for param in taken:
            shape = tuple(shapes[value]) + tuple(shapes[symbols[param]])
            prefix = "nabla" if not shapes[value] and shapes[symbols[param]] else "J"
            label = f"{prefix}_{name}" if len(taken) == 1 else f"{prefix}_{name}_{param}"
            while label in symbols or label in found.names:
                label += "_"
            jacobian = sympy.IndexedBase(label, shape=shape, real=True) if shape else sympy.Symbol(label, real=True)
            symbols[label] = jacobian
            roles[jacobian], shapes[jacobian] = FUNCTION, shape
            jacobians[symbols[param]] = jacobian
        function = SuppliedFunction(name, call.written, value, tuple(symbols[p] for p in taken), jacobians,
                                    call.points, call.arguments, call.signature[1])
        found.read(_supplied_reading(function, shapes))
        out[name] = function
    return out


def _supplied_reading(function: SuppliedFunction, shapes) -> str:
    """``r_{j}(x) is a function of x that you supply, with values r \\in \\mathbb{R}^{m}; its Jacobian J_{r}
    \\in \\mathbb{R}^{m \\times n} (the derivative of r with respect to x) appears in the gradient``."""
    def space(symbol) -> str:
        dims = shapes[symbol]
        return r"\mathbb{R}" + ("^{%s}" % r" \times ".join(sympy.latex(d) for d in dims) if dims else "")

    params = ", ".join(name_latex(_name_of(p)) for p in function.params)
    points = f" and of the data point {', '.join(function.points)}" if function.points else ""
    name = name_latex(function.name)
    derivatives = "; ".join(
        f"{'its gradient' if not shapes[function.value] else 'its Jacobian'} {name_latex(_name_of(j))} \\in {space(j)} "
        f"(the derivative of {name} with respect to {name_latex(_name_of(p))})" for p, j in function.jacobians.items())
    return (f"{function.written} is a function of {params}{points} that you supply, with values {name} \\in "
            f"{space(function.value)}; the chain rule stops at it: {derivatives} appears in the gradient")


def normalised_dimensions(objective) -> frozenset:
    """The dimensions a loss normalises over: ranges of sums of exponentials in a denominator or a
    log (K in \\exp(z_{ik}) / \\sum_{j=1}^{K} \\exp(z_{ij}) and in \\log\\sum_{j=1}^{K} \\exp(z_{ij}))."""
    def normaliser(expr) -> bool:
        return isinstance(expr, sympy.Sum) and any(isinstance(f, sympy.exp) for f in sympy.Mul.make_args(expr.function))

    sums = [e.base for e in objective.atoms(sympy.Pow) if e.exp.is_negative and normaliser(e.base)]
    sums += [e.args[0] for e in objective.atoms(sympy.log) if normaliser(e.args[0])]
    return frozenset(limit[2] for total in sums for limit in total.limits if isinstance(limit[2], sympy.Symbol))


def _symmetric_matrices(found: _Items, symbols: dict, shapes) -> dict:
    """Symbol -> "symmetric" / "positive (semi)definite" for the declared symmetric matrices (square ones)."""
    out = {}
    for name, kind in found.symmetric.items():
        if name not in symbols:
            continue
        shape = shapes[symbols[name]]
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ShapeError(f"{name} is declared {kind} but is not a square matrix")
        out[symbols[name]] = kind
        found.read(f"{name} is {kind} (declared)" if kind == "symmetric" else f"{name} is symmetric {kind} (declared)")
    return out


def _index_names(objective_ir, constraints_ir) -> set[str]:
    return {node.index for formula in (objective_ir, *constraints_ir) for node in ir.walk(formula)
            if isinstance(node, ir.BigOp)}


def _name_dimensions(inference: ShapeInference, params, found: _Items) -> dict:
    """Give free dimensions readable names no symbol uses: parameters' axes d, k, p, ...,
    then the data's remaining axes n, m, ... (the sample axis of X in \\|Xw - y\\| becomes n).

    An undeclared scalar n (or N) beside data with a free axis is the sample count, as in
    ``\\frac{1}{2n}\\|Xw - y\\|^2``: it becomes the name of that axis, a dimension.
    """
    # an index's name is taken too: a dimension k beside \sum_k would read as a triangular sum (and two
    # symbols printed alike)
    taken = set(inference.order) | set(inference.dims) | {n for n in inference.shapes} | found.summed
    taken |= inference.index_names
    sample_count = next((c for c in ("n", "N") if inference.shapes.get(c) == SCALAR
                         and c not in params and c not in found.declared), None)
    param_pool = [c for c in "dkpqrsth" if c not in taken]
    data_pool = [c for c in "nmlpqrst" if c not in taken]
    names: dict = {}
    # parameters in wrt order, then the rest by name: the labels must not depend on term order
    ordered = [n for n in params if n in inference.shapes] + sorted(n for n in inference.order if n not in params)
    if sample_count:   # the first free axis of the data: a data matrix's rows, a data vector's length
        param_axes = {dim.find() for name in params for dim in (inference.shapes.get(name) or SCALAR).dims}
        data_axes = [(name, dim.find()) for name in ordered if name not in params
                     for dim in (inference.shapes.get(name) or SCALAR).dims[:1] if dim.find().value is None
                     and (dim.find() not in param_axes or inference.shapes[name].rank == 1)]
        if data_axes:
            name, root = data_axes[0]
            names[root] = sympy.Symbol(sample_count, integer=True, positive=True)
            shape = inference.shapes[name]
            axis = "entries" if shape.rank == 1 else "rows" if shape.dims[0].find() is root else "columns"
            found.read(f"{sample_count} is the number of {axis} of {name}")
    for name in ordered:
        shape = inference.shapes.get(name)
        pool = param_pool if name in params else data_pool
        for dim in (shape.dims if shape else ()):
            root = dim.find()
            if root.value is None and root not in names:
                used = {str(s) for s in names.values()}
                label = next((c for c in pool if c not in used), f"d{len(names)}")
                names[root] = sympy.Symbol(label, integer=True, positive=True)
    inference.unnamed_dims = frozenset(root for root, symbol in names.items() if str(symbol) != sample_count)
    for root, symbol in names.items():
        root.value = symbol
        inference.dims[str(symbol)] = root
        if str(symbol) == sample_count:
            del inference.shapes[sample_count]
            inference.order.remove(sample_count)
    return {}


def _add_argnames(symbols: dict, argnames: SymbolDict, whole: set[str] = frozenset()) -> None:
    """Python identifiers: ``lambda`` -> ``lambda_``, ``x_i`` -> ``x``, ``theta_{n+1}`` -> ``theta_n1``; a name in
    ``whole`` (the user biases b_u beside the item biases b_i) keeps its subscript."""
    taken: set[str] = set()
    for obj in symbols.values():
        name = _name_of(obj)
        base = name.split("_")[0] if "_" in name and name.split("_")[0] not in symbols and name not in whole \
            else name
        ident = _python_name(base.replace(",", "_"))
        if ident in taken:   # \lambda_U beside \lambda_V: both would be lambda_
            ident = _python_name(name)
        while ident in taken:
            ident += "_"
        taken.add(ident)
        argnames[obj] = ident


def _python_name(text: str) -> str:
    """``text`` without braces and non-word characters; a keyword or a module name gets a ``_``."""
    ident = re.sub(r"\W", "", text.replace("{", "").replace("}", "")) or "arg"
    return ident + "_" if keyword.iskeyword(ident) or ident in ("np", "scipy") else ident


def _lower_constraint(relation: ir.Relation, lowering: Lowering, inference: ShapeInference) -> Constraint:
    left, right = relation.operands
    op = relation.ops[0]
    if op in (">=", ">", "succeq"):
        left, right = right, left
    difference = ir.Add((left, ir.Neg(right)))
    scope = Scope()
    shape = inference.infer(difference, scope)
    if shape is None:  # pragma: no cover
        raise ShapeError(f"the shape of the constraint {latex_of(relation)} is unknown")
    if op in ("succeq", "preceq") and shape.rank == 2:
        raise UnsupportedError(f"semidefinite constraints ({latex_of(relation)} on a matrix)")
    free = tuple(lowering.fresh_index() for _ in shape.dims)
    expr = lowering.lower(difference, scope, {}, free)
    kind = "eq" if op in ("=", ":=") else "le"
    return Constraint(kind, expr, tuple(lowering.dim_symbol(d) for d in shape.dims), free, latex_of(relation))


def resolve_notation(node, syntax: str = "latex", functions: dict | None = None, readings: list | None = None):
    """Notation of a lone expression: \\sigma(z) is the sigmoid, X(a + b) a product, e^{x} the
    exponential, a call of one of ``functions`` (a Problem's, defined in its source: h_\\theta(x))
    its body (the Problem builder does the same with all of the source's definitions). The readings
    made are appended to ``readings`` when it is given."""
    found = _Items(definitions=dict(functions or {}))
    resolved = _Resolver(found, syntax).resolve(node)
    if readings is not None:
        readings.extend(found.readings)
    return resolved


def _defined_matrices(problem: Problem, node):
    """A claim about a problem that defines ``K_{ij} = ...`` and uses K whole may write K: that matrix."""
    defined = {n.name: n for formula in (problem.objective_ir, *problem.constraints_ir) if formula is not None
               for n in ir.walk(formula) if isinstance(n, ir.Entrywise) and n.name}
    if not defined:
        return node

    def replace(node):
        if isinstance(node, ir.Name) and node.name in defined:
            return defined[node.name]
        return _map_children(node, replace)

    return replace(node)


def _equality_indicator(node):
    """(a, b) for the indicator [a = b]: ``\\mathbb{1}(a = b)`` as written (a ``Cases`` of one piece 1), or as
    ``_holds`` reads it, (1 - step(a - b)) (1 - step(b - a)); else None."""
    if isinstance(node, ir.Cases) and len(node.pieces) == 1 and node.pieces[0][0] == ir.Num("1") \
            and isinstance(node.pieces[0][1], ir.Relation) and node.pieces[0][1].ops == ("=",):
        return tuple(node.pieces[0][1].operands)

    def not_above(factor):   # 1 - step(a - b) -> (a, b)
        if isinstance(factor, ir.Add) and len(factor.terms) == 2 and factor.terms[0] == ir.Num("1") \
                and isinstance(factor.terms[1], ir.Neg) and isinstance(factor.terms[1].arg, ir.Func) \
                and factor.terms[1].arg.name == "step":
            difference = factor.terms[1].arg.args[0]
            if isinstance(difference, ir.Add) and len(difference.terms) == 2 \
                    and isinstance(difference.terms[1], ir.Neg):
                return difference.terms[0], difference.terms[1].arg
        return None

    if isinstance(node, ir.Hadamard):
        first, second = not_above(node.left), not_above(node.right)
        if first is not None and second is not None and first == second[::-1]:
            return first
    return None


def _label_notation(problem: Problem, node):
    """A claim about a loss with integer class labels written in the source's notation: ``\\mathbb{1}(y_i = k)``
    (``1\\{y_i = k\\}``) is the entry (i, k) of the labels' one-hot data, ``p_{y_i}`` is \\sum_k [y_i = k] p_k."""
    if not problem.labels:
        return node
    one_hots = {written: _name_of(symbol) for symbol, written in problem.labels.items()}
    taken = _names_used([node]) | {n.index for n in ir.walk(node) if isinstance(n, ir.BigOp)}

    def entry(label, index):
        if _label_of_sub(label) is None:
            return None
        if label.base.name in one_hots:   # y_i, one label per sample
            return ir.Sub(ir.Name(one_hots[label.base.name]), (*label.indices, index))
        if sub_symbol_name(label) in one_hots:   # the label y_i of one example
            return ir.Sub(ir.Name(one_hots[sub_symbol_name(label)]), (index,))
        return None

    def rewrite(current):
        compared = _equality_indicator(current)
        if compared is not None:
            left, right = compared
            for label, index in ((left, right), (right, left)):
                found = entry(label, index) if isinstance(index, ir.Name) else None
                if found is not None:
                    return found
        if isinstance(current, ir.Sub) and _label_index(current) is not None:
            position, label = _label_index(current)
            index = next(letter for letter in "klmrsqpuvabcgh" if letter not in taken)
            weight = entry(label, ir.Name(index))
            if weight is not None:
                indices = current.indices[:position] + (ir.Name(index),) + current.indices[position + 1:]
                return ir.BigOp("sum", index, None, None, ir.Mul(weight, ir.Sub(current.base, indices), "juxt"))
        return _map_children(current, rewrite)

    return rewrite(node)


def elaborate(problem: Problem, node, free: dict | None = None, identity: frozenset = frozenset()):
    """Shape-check and lower an expression written with the symbols of ``problem`` (a claimed
    gradient, a step of a derivation).

    Args:
        problem: gives every symbol's shape.
        node: the IR expression.
        free: free index name -> dimension symbol (``\\frac{\\partial L}{\\partial w_k} = ... x_{ik}``).
        identity: names that denote the identity matrix (its size is inferred).

    Returns:
        (index-form expression, free index symbols, shape, row): the entry at the free indices;
        ``row`` is True for a transposed vector.

    Raises:
        ShapeError: the operands do not fit; UnsupportedError: a symbol the problem does not have.
    """
    free = free or {}
    node = _label_notation(problem, node)   # \mathbb{1}(y_i = k), p_{y_i} with y the problem's integer labels
    node = resolve_notation(node, problem.syntax, problem.functions)   # \sigma(z), X(a + b), h_\theta(x)
    node = _defined_matrices(problem, node)
    dims = {str(d): Dim(d) for d in problem.dims}
    declared = {}
    symbols = {}
    written = {written: name for name, written in problem.written.items()}
    for symbol, role in problem.roles.items():
        if role in (PARAMETER, DATA, CONSTANT, FUNCTION):   # J_r^T r: a supplied function's value and Jacobian
            name = _name_of(symbol)
            shape = Shape(tuple(dims.setdefault(str(d), Dim(int(d) if d.is_Integer else d))
                                for d in problem.shapes[symbol]))
            for alias in {name, *[w for w, n in written.items() if n == name]}:
                declared[alias] = shape
                symbols[alias] = symbol
    bound = {n.index for n in ir.walk(node) if isinstance(n, ir.BigOp)}
    bound |= {i for n in ir.walk(node) if isinstance(n, ir.Entrywise) for i in (n.rows, n.cols)}
    named = {part.name for n in ir.walk(node)   # \sigma and f of \sigma_f, a parameter of its own
             if isinstance(n, ir.Sub) and isinstance(n.base, ir.Name) and sub_symbol_name(n) in declared
             for part in ir.walk(n) if isinstance(part, ir.Name)}
    used = _names_used([node]) - set(declared) - set(dims) - set(free) - bound - identity - named
    # x_ik is an entry of a declared x; so is y_onehot_ik of the labels' one-hot y_onehot
    unknown = sorted(n for n in used if not any(n.startswith(name + "_") for name in declared))
    if unknown:
        raise UnsupportedError(f"the claim uses {', '.join(unknown)}, which the problem does not have")
    inference = ShapeInference(declared, dims, problem.syntax, latex_of, identity)
    inference.broadcast_scalars = True   # every symbol's shape is the problem's: b in Xw + b - y is a scalar
    scope = Scope({name: dims.setdefault(str(dim), Dim(dim)) for name, dim in free.items()})
    inference.run([node], scope)
    shape = inference.infer(node, scope)
    if shape is None or any(name not in declared for name in inference.order if name not in dims):
        raise UnsupportedError(f"the shape of {latex_of(node)} cannot be decided from the problem")

    def dim_symbol(dim: Dim):
        value = dim.resolved()
        if value is None:
            raise ShapeError(f"a dimension of {latex_of(node)} is not the problem's")
        return sympy.Integer(value) if isinstance(value, int) else value

    indices = {name: sympy.Symbol(name, integer=True) for name in free}
    # the indices lowering invents avoid every name the claim writes, its bound indices included
    written_names = set(declared) | set(dims) | set(free) | bound | _names_used([node])
    lowering = Lowering(inference, symbols, dim_symbol, written_names, latex_of, None,
                        normalised_dimensions(problem.objective))
    axes = tuple(lowering.fresh_index() for _ in shape.dims)
    expr = lowering.lower(node, scope, indices, axes)
    return expr, axes, tuple(dim_symbol(d) for d in shape.dims), shape.row
