"""Index form -> matrix form, for people: ``Σ_i X_ik (Σ_j X_ij w_j - y_i)`` -> ``X^\\top (X w - y)``.

``to_matrix`` turns an index-form expression with free indices into a small matrix-expression tree
(``MNode``) whose entry at the free indices is the expression. Sums over an index shared by two
factors become matrix products (transposing as needed), products with a shared free index become
Hadamard products, distinct free indices outer products, a delta the identity. Where no rule fits,
the tensor IR gives the matrix form (``TensorForm``: lifted, optimised by the stable, factor and
contract passes, printed by symgd.tensor.print_latex, with diag(·) and the ones vector);
where that has none either it returns None and the caller falls back to index notation.

``evaluate`` computes a matrix-form tree with NumPy so tests can check it against the index form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from symgd.functions import det, inverse_entry, matrix_of, relu, sigmoid, softplus
from symgd.render import name_latex


@dataclass(frozen=True)
class MNode:
    """A matrix-form node: ``op`` with ``args``; ``rank`` 0 scalar, 1 column vector, 2 matrix."""

    op: str
    args: tuple
    rank: int


def sym(name: str, rank: int) -> MNode:
    return MNode("sym", (name,), rank)


def number(value) -> MNode:
    """A scalar coefficient: any SymPy expression without indices (2, \\lambda, 2/n)."""
    return MNode("num", (sympy.Integer(value) if isinstance(value, int) else value,), 0)


def _is_pure_scalar(expr) -> bool:
    return not expr.has(sympy.Indexed, sympy.Sum, sympy.KroneckerDelta, det, inverse_entry)


def transpose(node: MNode) -> MNode:
    if node.op == "T":
        return node.args[0]
    if node.rank == 0 or node.op == "identity" or (node.op == "inv" and node.args[1]):   # a symmetric inverse
        return node
    if node.op == "add":
        return MNode("add", tuple(transpose(t) for t in node.args), node.rank)
    if node.op == "scale":
        return MNode("scale", (node.args[0], transpose(node.args[1])), node.rank)
    if node.op == "prod" and node.rank == 2:   # (A B)^T = B^T A^T
        return MNode("prod", tuple(transpose(f) for f in reversed(node.args)), 2)
    return MNode("T", (node,), node.rank)


@dataclass(frozen=True)
class TensorForm:
    """A matrix form read from the tensor IR: the optimised ``node`` and its LaTeX ``text``."""

    node: object
    text: str


class NoMatrixForm(Exception):
    """Raised inside the converter when no rule fits."""


def to_matrix(expr: sympy.Expr, free: tuple, ranges: dict, symmetric: frozenset = frozenset()) -> MNode | None:
    """Matrix form of ``expr`` whose entry (free...) it is, or None.

    Args:
        expr: index-form expression.
        free: the free indices in layout order: () scalar, (k,) vector, (k, l) matrix.
        ranges: index symbol -> upper bound (dimension), for ones vectors and identities.
        symmetric: names of matrices declared symmetric (S^T is written S).
    """
    try:
        node, indices = _convert(expr, dict(ranges))
        return _without_symmetric_transposes(_orient(node, indices, tuple(free)), symmetric)
    except NoMatrixForm:
        return _tensor_form(expr, tuple(free), ranges)


def _without_symmetric_transposes(node: MNode, symmetric: frozenset) -> MNode:
    """S^T -> S and (S^{-1})^T -> S^{-1} for a matrix S declared symmetric."""
    if not symmetric or not isinstance(node, MNode):
        return node
    args = tuple(_without_symmetric_transposes(a, symmetric) for a in node.args)
    if node.op == "T" and _is_symmetric_name(args[0], symmetric):
        return args[0]
    if node.op == "T" and args[0].op == "inv" and _is_symmetric_name(args[0].args[0], symmetric):
        return args[0]
    if node.op == "add":   # terms equal once S^T is S: -1/2 A - 1/2 A -> -A
        return _collect_terms(args, node.rank)
    return MNode(node.op, args, node.rank)


def _collect_terms(terms: tuple, rank: int) -> MNode:
    coefficients: dict = {}
    for term in terms:
        coefficient, body = (term.args[0].args[0], term.args[1]) if term.op == "scale" and \
            term.args[0].op == "num" else (sympy.Integer(1), term)
        coefficients[body] = coefficients.get(body, sympy.Integer(0)) + coefficient
    out = [body if c == 1 else MNode("scale", (number(c), body), rank) for body, c in coefficients.items() if c != 0]
    if not out:
        raise NoMatrixForm
    return MNode("add", tuple(out), rank) if len(out) > 1 else out[0]


def _is_symmetric_name(node, symmetric: frozenset) -> bool:
    return isinstance(node, MNode) and node.op == "sym" and node.args[0] in symmetric


def _tensor_form(expr, free: tuple, ranges: dict) -> TensorForm | None:
    # imported here: the tensor package imports codegen, which imports this package
    from symgd.errors import UnsupportedError
    from symgd.tensor import ir
    from symgd.tensor.lift import Builder
    from symgd.tensor.passes import contract, factor, stable
    from symgd.tensor.print_latex import latex as tensor_latex
    try:
        program = ir.Program((Builder({}, ranges).root(expr, free),), ("matrix",))
        for run in (stable.run, factor.run, contract.run):
            program = run(program)
        (node,) = program.roots
        return TensorForm(node, tensor_latex(node))
    except UnsupportedError:
        return None


def _orient(node: MNode, indices: tuple, wanted: tuple) -> MNode:
    if indices == wanted:
        return node
    if len(indices) == 2 and indices == wanted[::-1]:
        return transpose(node)
    raise NoMatrixForm


def _convert(expr, ranges) -> tuple[MNode, tuple]:  # noqa: C901 - one branch per SymPy node type
    if _is_pure_scalar(expr):
        return number(expr), ()
    if isinstance(expr, sympy.Indexed):
        indices = tuple(expr.indices)
        if len(set(indices)) != len(indices) or not all(isinstance(i, sympy.Symbol) for i in indices):
            raise NoMatrixForm
        return sym(str(expr.base.label), len(indices)), indices
    if isinstance(expr, sympy.KroneckerDelta):
        a, b = expr.args
        return MNode("identity", (ranges.get(a),), 2), (a, b)
    if isinstance(expr, inverse_entry):
        base, i, j = expr.args
        symmetric = isinstance(base, matrix_of) and base.symmetric
        return MNode("inv", (_square(base, ranges), symmetric), 2), (i, j)
    if isinstance(expr, det):
        return MNode("det", (_square(expr.args[0], ranges),), 0), ()
    if isinstance(expr, sympy.Add):
        return _convert_add(expr, ranges)
    if isinstance(expr, sympy.Mul):
        return _convert_product([_convert(f, ranges) for f in _factors(expr)], None, ranges)
    if isinstance(expr, sympy.Pow):
        return _convert_pow(expr, ranges)
    if isinstance(expr, sympy.Sum):
        return _convert_sum(expr, ranges)
    if isinstance(expr, sympy.Function) and len(expr.args) == 1 or isinstance(expr, sympy.Heaviside):
        arg, indices = _convert(expr.args[0], ranges)
        return MNode("func", (_function_name(expr), arg), arg.rank), indices
    if isinstance(expr, (sympy.Max, sympy.Min)):
        converted = [_convert(a, ranges) for a in expr.args]
        indices = next((i for _, i in converted if i), ())
        if any(i and i != indices for _, i in converted):
            raise NoMatrixForm
        rank = len(indices)
        return MNode("func2", ("max" if isinstance(expr, sympy.Max) else "min",
                               *(n for n, _ in converted)), rank), indices
    raise NoMatrixForm


def _square(matrix, ranges) -> MNode:
    """The operand of an inverse or determinant: a named matrix, or a ``matrix_of`` converted from its entries."""
    if isinstance(matrix, sympy.IndexedBase):
        return sym(str(matrix.label), 2)
    body, row, col, size = matrix.args[:4]
    node, indices = _convert(body, {**ranges, row: size, col: size})
    return _orient(node, indices, (row, col))


def _function_name(expr) -> str:
    names = {sigmoid: "sigmoid", relu: "relu", softplus: "softplus", sympy.log: "log", sympy.exp: "exp",
             sympy.tanh: "tanh", sympy.sin: "sin", sympy.cos: "cos", sympy.Abs: "abs", sympy.sign: "sign",
             sympy.Heaviside: "step"}
    for function, name in names.items():
        if isinstance(expr, function):
            return name
    raise NoMatrixForm


def _factors(expr: sympy.Mul) -> list:
    """Factors of a product with integer powers of indexed terms spelt out (v_i^2 = v_i v_i)."""
    out = []
    for factor in expr.args:
        if isinstance(factor, sympy.Pow) and factor.exp == 2 and factor.base.free_symbols & _index_symbols(factor.base):
            out += [factor.base, factor.base]
        else:
            out.append(factor)
    return out


def _index_symbols(expr) -> set:
    return {i for indexed in expr.atoms(sympy.Indexed) for i in indexed.indices if isinstance(i, sympy.Symbol)}


def _convert_add(expr, ranges):
    return _align_terms([_convert(t, ranges) for t in expr.args], ranges)


def _align_terms(terms, ranges):
    """Add converted terms with the same free indices (transposing as needed); a scalar added to a
    vector is that scalar times the ones vector."""
    indices = max((i for _, i in terms), key=len)
    nodes = []
    for node, own in terms:
        if not own and indices:
            if len(indices) != 1:
                raise NoMatrixForm
            ones = MNode("ones", (ranges.get(indices[0]),), 1)
            node = ones if node == number(1) else MNode("scale", (node, ones), 1)
        elif set(own) != set(indices):
            raise NoMatrixForm
        elif own != indices:
            node = transpose(node)
        nodes.append(node)
    return _add(nodes, len(indices)), indices


def _add(nodes, rank):
    flat = []
    for node in nodes:
        flat.extend(node.args if node.op == "add" else (node,))
    return MNode("add", tuple(flat), rank) if len(flat) > 1 else flat[0]


def _convert_pow(expr, ranges):
    base, indices = _convert(expr.base, ranges)
    if indices:
        if expr.exp == 2:
            return MNode("had", (base, base), base.rank), indices
        raise NoMatrixForm
    exponent, exp_indices = _convert(expr.exp, ranges)
    if exp_indices:
        raise NoMatrixForm
    return MNode("pow", (base, exponent), 0), ()


def _convert_sum(expr, ranges):
    body, *limits = expr.args
    scope = dict(ranges)
    for index, _, upper in limits:
        scope[index] = upper
    if len(limits) > 1:   # Sum(f, inner, outer): the outer sum of the inner one
        return _sum_over(sympy.Sum(body, *limits[:-1]), limits[-1], scope)
    return _sum_over(body, limits[0], scope)


def _sum_over(body, limit, ranges):
    index, lower, upper = limit
    if lower != 1:
        raise NoMatrixForm
    if isinstance(body, sympy.Add):
        try:   # Σ_i (a_i + b) = 1^T (a + b 1) when the whole body is a vector in i
            node, indices = _convert(body, ranges)
            if indices == (index,):
                return _product([transpose(MNode("ones", (upper,), 1)), node], 0), ()
        except NoMatrixForm:
            pass
        return _align_terms([_sum_over(term, limit, ranges) for term in body.args], ranges)
    factors = [_convert(f, ranges) for f in (_factors(body) if isinstance(body, sympy.Mul) else [body])]
    if isinstance(body, sympy.Pow) and body.exp == 2 and _index_symbols(body.base):
        factors = [_convert(body.base, ranges)] * 2
    return _convert_product(factors, (index, upper), ranges)


def _convert_product(factors, contraction, ranges):
    """Combine converted factors; ``contraction`` = (index, dim) sums that index out."""
    scalars = [n for n, i in factors if not i]
    tensors = [(n, i) for n, i in factors if i]
    if contraction is not None:
        index, dim = contraction
        sharing = [(n, i) for n, i in tensors if index in i]
        others = [(n, i) for n, i in tensors if index not in i]
        vectors = [n for n, i in sharing if i == (index,)]
        if len(vectors) > 1 and len(sharing) > 2:   # Σ_i a_i b_i X_ik: (a ⊙ b) first
            combined = vectors[0]
            for vector in vectors[1:]:
                combined = MNode("had", (combined, vector), 1)
            sharing = [(n, i) for n, i in sharing if i != (index,)] + [(combined, (index,))]
        if len(sharing) == 2:
            (a, ia), (b, ib) = sharing
            tensors = others + [_matmul(a, ia, b, ib, index)]
        elif len(sharing) == 1:
            (a, ia), = sharing
            ones = MNode("ones", (dim,), 1)
            if ia == (index,):
                tensors = others + [(_product([transpose(ones), a], 0), ())]
            elif len(ia) == 2:
                tensors = others + [_matmul(a, ia, ones, (index,), index)]
            else:
                raise NoMatrixForm
        elif not sharing:
            scalars.append(sym(str(dim), 0))
        else:
            raise NoMatrixForm
    scale = scalars + [n for n, i in tensors if not i]
    node, indices = _combine([(n, i) for n, i in tensors if i])
    if node is None:
        return _scalar_product(scale), ()
    if scale:
        factor = _scalar_product(scale)
        if not (factor.op == "num" and factor.args[0] == 1):
            node = MNode("scale", (factor, node), node.rank)
    return node, indices


def _matmul(a, ia, b, ib, index):
    """Σ_index a[..index..] b[..index..] as a matrix product: matrix-vector products keep the vector
    on the right (X^T r, not r^T X), matrix products take the order with fewer transposes."""
    if len(ia) == 1 and len(ib) == 1:
        if a == b:
            return MNode("pow", (MNode("norm", (a,), 0), number(2)), 0), ()
        return _product([transpose(a), b], 0), ()
    if len(ia) == 1:
        (a, ia), (b, ib) = (b, ib), (a, ia)
    if len(ib) == 1:
        if ia[1] != index:
            a, ia = transpose(a), (ia[1], ia[0])
        return _product([a, b], 1), (ia[0],)
    options = []
    for (left, il), (right, ir) in (((a, ia), (b, ib)), ((b, ib), (a, ia))):
        flips = 0
        if il[1] != index:
            left, il, flips = transpose(left), (il[1], il[0]), flips + 1
        if ir[0] != index:
            right, ir, flips = transpose(right), (ir[1], ir[0]), flips + 1
        options.append((flips, _product([left, right], 2), (il[0], ir[1])))
    flips, node, outer = min(options, key=lambda option: option[0])
    if outer[0] == outer[1]:
        raise NoMatrixForm
    return node, outer


def _product(nodes, rank):
    flat = []
    for node in nodes:
        flat.extend(node.args if node.op == "prod" else (node,))
    return MNode("prod", tuple(flat), rank)


def _scalar_product(nodes):
    """Multiply scalar nodes: coefficients fold into one SymPy expression, the rest stay factors."""
    coefficient = sympy.Integer(1)
    others = []
    for node in nodes:
        if node.op == "num":
            coefficient *= node.args[0]
        elif node.op == "mul":
            for inner in node.args:
                if inner.op == "num":
                    coefficient *= inner.args[0]
                else:
                    others.append(inner)
        else:
            others.append(node)
    if not others:
        return number(coefficient)
    factors = ([number(coefficient)] if coefficient != 1 else []) + others
    return factors[0] if len(factors) == 1 else MNode("mul", tuple(factors), 0)


def _combine(tensors):
    """Entrywise products of tensors without a summed index: Hadamard or outer products."""
    if not tensors:
        return None, ()
    node, indices = tensors[0]
    for other, other_indices in tensors[1:]:
        if set(other_indices) == set(indices):
            if other_indices != indices:
                other = transpose(other)
            node = MNode("had", (node, other), node.rank)
        elif len(indices) == 1 and len(other_indices) == 1:
            node, indices = _product([node, transpose(other)], 2), indices + other_indices
        else:
            raise NoMatrixForm
    return node, indices


# ---------------------------------------------------------------------------------------
# LaTeX
# ---------------------------------------------------------------------------------------

FUNC_LATEX = {"sigmoid": r"\sigma", "log": r"\log", "exp": r"\exp", "tanh": r"\tanh", "sin": r"\sin",
              "cos": r"\cos", "relu": r"\operatorname{relu}", "softplus": r"\operatorname{softplus}",
              "sign": r"\operatorname{sign}"}


def latex(node: MNode) -> str:
    """LaTeX of a matrix-form tree, as a textbook prints it."""
    if isinstance(node, TensorForm):
        return node.text
    return _latex(_textbook(node))[0]


def _negative(node: MNode) -> bool:
    if node.op == "num":
        return node.args[0].could_extract_minus_sign()
    if node.op in ("scale", "mul"):
        return _negative(node.args[0])
    return False


def _negate(node: MNode) -> MNode:
    if node.op == "num":
        return number(-node.args[0])
    if node.op == "scale":
        coefficient = _negate(node.args[0])
        if coefficient.op == "num" and coefficient.args[0] == 1:
            return node.args[1]
        return MNode("scale", (coefficient, node.args[1]), node.rank)
    if node.op == "add":
        return MNode("add", tuple(_negate(t) for t in node.args), node.rank)
    return MNode("scale", (number(-1), node), node.rank)


def _textbook(node: MNode) -> MNode:
    """Display rewrites, bottom-up: -A(b - c) -> A(c - b); positive terms first;
    (1/2) A^T x + (1/2) A x -> (1/2)(A^T + A) x."""
    args = tuple(_textbook(a) if isinstance(a, MNode) else a for a in node.args)
    node = MNode(node.op, args, node.rank)
    if node.op == "scale" and _negative(node.args[0]):
        flipped = _flip_difference(node.args[1])
        if flipped is not None:
            return _negate(MNode("scale", (node.args[0], flipped), node.rank))
    if node.op == "add":
        terms = _factor_common_right(list(node.args))
        terms = sorted(terms, key=lambda t: (_negative(t), t.op == "num"))
        coefficients = {t.args[0] for t in terms if t.op == "scale"}
        if len(terms) > 1 and len(coefficients) == 1 and all(t.op == "scale" for t in terms):
            inner = MNode("add", tuple(t.args[1] for t in terms), node.rank)   # ½A + ½A^T = ½(A + A^T)
            return MNode("scale", (terms[0].args[0], inner), node.rank)
        return MNode("add", tuple(terms), node.rank) if len(terms) > 1 else terms[0]
    return node


def _flip_difference(node: MNode):
    """The node with one difference inside it negated (a - b -> b - a), or None."""
    if node.op == "add":
        return MNode("add", tuple(_negate(t) for t in node.args), node.rank)
    if node.op == "prod":
        for position in reversed(range(len(node.args))):
            factor = node.args[position]
            if factor.op == "add":
                flipped = list(node.args)
                flipped[position] = _textbook(_flip_difference(factor))
                return MNode("prod", tuple(flipped), node.rank)
    return None


def _split_right(term: MNode):
    """term = coefficient * (M v): returns (coefficient, M, v) for a product ending in a vector."""
    coefficient = number(1)
    if term.op == "scale":
        coefficient, term = term.args
    if term.op == "prod" and len(term.args) >= 2 and term.args[-1].rank >= 1 and term.args[-1].op != "T" \
            and term.args[-2].rank == 2:
        left = term.args[:-1]
        matrix = left[0] if len(left) == 1 else MNode("prod", left, 2)
        return coefficient, matrix, term.args[-1]
    return None


def _factor_common_right(terms: list) -> list:
    out: list = []
    for term in terms:
        split = _split_right(term)
        for position, previous in enumerate(out):
            other = _split_right(previous)
            if split and other and split[0] == other[0] and split[2] == other[2] and split[1].rank == 2:
                plain_first = sorted((other[1], split[1]), key=lambda m: m.op == "T")   # A + A^T
                matrices = MNode("add", tuple(plain_first), 2)
                product = MNode("prod", (matrices, split[2]), split[2].rank)
                coefficient = split[0]
                out[position] = product if coefficient == number(1) else \
                    MNode("scale", (coefficient, product), product.rank)
                break
        else:
            out.append(term)
    return out


ADD_LEVEL, HADAMARD_LEVEL, MUL_LEVEL, POSTFIX_LEVEL, ATOM_LEVEL = 1, 2, 3, 4, 5


def _wrap(node, level):
    text, own = _latex(node)
    return text if own >= level else r"\left(" + text + r"\right)"


def _latex(node: MNode) -> tuple[str, int]:  # noqa: C901 - one branch per node kind
    op, args = node.op, node.args
    if op == "sym":
        return name_latex(args[0]), ATOM_LEVEL
    if op == "num":
        value = args[0]
        text = sympy.latex(value)
        if isinstance(value, sympy.Add):
            return text, ADD_LEVEL
        return text, MUL_LEVEL if value.could_extract_minus_sign() else ATOM_LEVEL
    if op == "T":
        inner = args[0]
        if inner.op == "inv":
            return r"%s^{-\top}" % _wrap(inner.args[0], ATOM_LEVEL), POSTFIX_LEVEL
        return r"%s^\top" % _wrap(inner, ATOM_LEVEL), POSTFIX_LEVEL
    if op == "inv":
        return r"%s^{-1}" % _wrap(args[0], ATOM_LEVEL), POSTFIX_LEVEL
    if op == "identity":
        return "I", ATOM_LEVEL
    if op == "ones":
        return r"\mathbf{1}", ATOM_LEVEL
    if op == "det":
        return r"\det %s" % _wrap(args[0], ATOM_LEVEL), MUL_LEVEL
    if op == "norm":
        return r"\left\|%s\right\|" % _latex(args[0])[0], ATOM_LEVEL
    if op == "add":
        parts = [_latex(args[0])[0]]
        for term in args[1:]:
            if _negative(term):
                parts.append("- " + _wrap(_negate(term), HADAMARD_LEVEL))
            else:
                parts.append("+ " + _wrap(term, HADAMARD_LEVEL))
        return " ".join(parts), ADD_LEVEL
    if op == "scale":
        coefficient, inner = args
        if coefficient.op == "num" and coefficient.args[0] == -1:
            return "-" + _wrap(inner, MUL_LEVEL), HADAMARD_LEVEL
        text = _latex(coefficient)[0] if coefficient.op == "num" and not isinstance(coefficient.args[0], sympy.Add) \
            else _wrap(coefficient, ATOM_LEVEL)
        return text + " " + _wrap(inner, MUL_LEVEL), HADAMARD_LEVEL if _negative(coefficient) else MUL_LEVEL
    if op in ("prod", "mul"):
        return " ".join(_wrap(a, MUL_LEVEL) if a.op != "add" else _wrap(a, ATOM_LEVEL) for a in args), MUL_LEVEL
    if op == "had":
        return _wrap(args[0], MUL_LEVEL) + r" \odot " + _wrap(args[1], MUL_LEVEL), HADAMARD_LEVEL
    if op == "pow":
        base, exponent = args
        return "%s^{%s}" % (_wrap(base, ATOM_LEVEL), _latex(exponent)[0]), POSTFIX_LEVEL
    if op == "func":
        name, arg = args
        if name == "abs":
            return r"\left|%s\right|" % _latex(arg)[0], ATOM_LEVEL
        if name == "step":
            return r"\mathbb{1}\left[%s > 0\right]" % _latex(arg)[0], ATOM_LEVEL
        return r"%s\left(%s\right)" % (FUNC_LATEX[name], _latex(arg)[0]), ATOM_LEVEL
    if op == "func2":
        name, a, b = args
        return r"\%s\left(%s, %s\right)" % (name, _latex(a)[0], _latex(b)[0]), ATOM_LEVEL
    raise ValueError(op)  # pragma: no cover


# ---------------------------------------------------------------------------------------
# NumPy evaluation (for tests and checks)
# ---------------------------------------------------------------------------------------

NUMPY_FUNCS = {"sigmoid": lambda x: 1 / (1 + np.exp(-x)), "log": np.log, "exp": np.exp, "tanh": np.tanh,
               "sin": np.sin, "cos": np.cos, "relu": lambda x: np.maximum(x, 0), "abs": np.abs,
               "softplus": lambda x: np.logaddexp(0, x), "sign": np.sign, "step": lambda x: (x > 0) * 1.0}


def evaluate(node: MNode, env: dict):
    """Evaluate a matrix-form tree with NumPy; ``env`` maps names to arrays, scalars and dimensions."""
    if isinstance(node, TensorForm):
        return _evaluate_tensor(node.node, env)
    op, args = node.op, node.args
    if op == "sym":
        value = env[args[0]]
        return value
    if op == "num":
        value = args[0]
        return float(value.xreplace({symbol: env[str(symbol)] for symbol in value.free_symbols}))
    if op == "T":
        value = evaluate(args[0], env)
        return value.T if np.ndim(value) == 2 else value
    if op == "inv":
        return np.linalg.inv(evaluate(args[0], env))
    if op == "identity":
        return np.eye(int(env[str(args[0])]))
    if op == "ones":
        return np.ones(int(env[str(args[0])]))
    if op == "det":
        return np.linalg.det(evaluate(args[0], env))
    if op == "norm":
        return np.linalg.norm(evaluate(args[0], env))
    if op == "add":
        return sum(evaluate(a, env) for a in args)
    if op == "scale":
        return evaluate(args[0], env) * evaluate(args[1], env)
    if op == "mul":
        return np.prod([evaluate(a, env) for a in args])
    if op == "prod":
        return _evaluate_chain(args, env)
    if op == "had":
        return evaluate(args[0], env) * evaluate(args[1], env)
    if op == "pow":
        return evaluate(args[0], env) ** evaluate(args[1], env)
    if op == "func":
        return NUMPY_FUNCS[args[0]](evaluate(args[1], env))
    if op == "func2":
        a, b = evaluate(args[1], env), evaluate(args[2], env)
        return np.maximum(a, b) if args[0] == "max" else np.minimum(a, b)
    raise ValueError(op)  # pragma: no cover


def _evaluate_chain(args, env):
    """A product chain: a transposed vector is a row; a column vector followed by a row is outer."""
    values = []
    for arg in args:
        value = evaluate(arg, env)
        if np.ndim(value) == 1:
            value = value[None, :] if arg.op == "T" else value[:, None]
        values.append(value)
    result = values[0]
    for value in values[1:]:
        result = result * value if np.ndim(result) == 0 or np.ndim(value) == 0 else result @ value
    result = np.asarray(result)
    if result.ndim == 2 and 1 in result.shape and node_rank_of(args) < 2:
        result = result.reshape(-1)
        return result[0] if result.size == 1 and node_rank_of(args) == 0 else result
    return result


def node_rank_of(args) -> int:
    """Rank of the product of a chain (rows and columns cancel)."""
    rows = 1 if args[0].rank == 2 or (args[0].rank == 1 and args[0].op != "T") else 0
    cols = 1 if args[-1].rank == 2 or (args[-1].rank == 1 and args[-1].op == "T") else 0
    return rows + cols


def _evaluate_tensor(node, env: dict):
    from symgd.tensor import ir
    from symgd.tensor.evaluate import evaluate as evaluate_ir
    values = {}
    for leaf in ir.postorder([node]):
        symbols = [leaf.symbol] if isinstance(leaf, ir.Input) else []
        symbols += [d for d in leaf.shape if not d.is_Integer]
        for symbol in symbols:
            values[symbol] = env[str(getattr(symbol, "label", symbol))]
    return evaluate_ir(node, values)
