"""Lowering: IR with known shapes -> SymPy index form.

Every tensor expression becomes a SymPy scalar over ``Indexed`` entries, with sums over named
indices whose ranges are dimension symbols: ``\\|Xw - y\\|^2`` becomes
``Sum((Sum(X[i, j]*w[j], (j, 1, d)) - y[i])**2, (i, 1, n))``. Indices run from 1, as papers write
them. Dimensions stay symbolic, so the result does not depend on the sizes of the data.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from symgd.errors import AmbiguityError, ShapeError, UnsupportedError
from symgd.functions import (BY_NAME, DEFINITE, DIAGONAL, ELEMENTWISE, GENERAL, PAIRING, SYMMETRIC, VECTOR, det,
                             array_entry_symbols, array_of, entry_symbols, expm_entry, expm_inner, expm_trace,
                             inverse_entry, logabsdet, matrix_of, max_norm, nuclear_norm)
from symgd.parse import ir
from symgd.shapes import (FULL, NAMED_NUMBERS, Dim, Scope, Shape, ShapeInference, describe, integer_exponent,
                          is_minus_one, sub_symbol_name)

MAX_NUMERIC_EXPONENT = 1000
MAX_MATRIX_POWER = 16   # M^k is a chain of k products in index form



class Lowering:
    """Lowers formulas once shapes are inferred.

    Args:
        inference: the finished shape inference (symbol shapes, per-node dimensions).
        symbols: name -> SymPy object (``Symbol`` for scalars, ``IndexedBase`` for tensors).
        dim_symbol: Dim -> SymPy dimension (a Symbol or an Integer).
        index_names: names to avoid for the indices lowering invents.
        render: IR -> LaTeX, for messages.
        symmetric: matrices declared symmetric: name -> "symmetric" or "positive (semi)definite".
        class_dims: the dimensions the loss normalises over (the range of a sum of exponentials
            in a denominator or a log: the classes), so a claim's softmax of a K × n matrix
            normalises its columns as the loss does.
    """

    def __init__(self, inference: ShapeInference, symbols: dict, dim_symbol, index_names: set[str],
                 render, symmetric: dict | None = None, class_dims: frozenset = frozenset()) -> None:
        self.symmetric = symmetric or {}
        self.class_dims = class_dims
        self.inference = inference
        self.symbols = symbols
        self.dim_symbol = dim_symbol
        self.avoid = set(index_names)
        self.render = render
        self.counter = 0
        self.readings: list[str] = []   # implicit readings made here (the matrix exponential), in words

    def fresh_index(self) -> sympy.Symbol:
        """A new index symbol: j, k, l, ... then j1, k1, ..., never one the user wrote."""
        pool = "jklpqrstuvabcgh"
        while True:
            round_, position = divmod(self.counter, len(pool))
            self.counter += 1
            name = pool[position] + (str(round_) if round_ else "")
            if name not in self.avoid:
                return sympy.Symbol(name, integer=True)

    def lower(self, node, scope: Scope, indices: dict, idx: tuple = ()) -> sympy.Expr:
        """The entry ``idx`` of ``node`` (``idx`` is empty for scalars) in index form."""
        method = getattr(self, "lower_" + type(node).__name__)
        return method(node, scope, indices, idx)

    def shape(self, node, scope: Scope) -> Shape:
        shape = self.inference.infer(node, scope)
        if shape is None:   # pragma: no cover - inference guarantees every shape
            raise ShapeError(f"the shape of {self.render(node)} is unknown")
        return shape

    def sum_over(self, body, index, dim: Dim) -> sympy.Expr:
        return sympy.Sum(body, (index, 1, self.dim_symbol(dim)))

    # -- atoms ---------------------------------------------------------------------------
    def lower_Num(self, node, scope, indices, idx):
        value = Fraction(node.text)
        return sympy.Rational(value.numerator, value.denominator)

    def lower_Name(self, node, scope, indices, idx):
        if node.name in indices:   # an index as a number: its value (0-based sums start at 0)
            return indices[node.name] + scope.bounds.get(node.name, FULL).value
        if node.name in self.inference.identity:
            return sympy.KroneckerDelta(*idx)
        if node.name not in self.symbols and node.name in self.inference.dims:
            return self.dim_symbol(self.inference.dims[node.name])   # \frac{1}{n}
        if node.name not in self.symbols and node.name in NAMED_NUMBERS:
            return sympy.pi
        obj = self.symbols[node.name]
        return obj[idx] if idx else obj

    def lower_Ones(self, node, scope, indices, idx):
        return sympy.Integer(1)

    def lower_Sub(self, node, scope, indices, idx):
        if not isinstance(node.base, ir.Name):   # (WH)_{ij}
            entry = tuple(indices[name] for name in self.inference.entry_indices(node, scope))
            return self.lower(node.base, scope, indices, entry)
        name, bound, _ = self.inference.split_subscript(node, scope)
        if name is None:
            return self.lower_Name(ir.Name(sub_symbol_name(node)), scope, indices, idx)
        shifts = self.inference.subscript_shifts(node, len(bound))   # x_{i+1}: the entry after x_i
        fixed = tuple(indices[b] + shift if b in indices else sympy.Integer(int(b)) for b, shift in zip(bound, shifts))
        if name in self.inference.column_slices and len(fixed) == 1:   # U_i, a column of U (D x N)
            return self.symbols[name][tuple(idx) + fixed]
        return self.symbols[name][fixed + tuple(idx)]

    # -- arithmetic ----------------------------------------------------------------------
    def lower_Add(self, node, scope, indices, idx):
        terms = []
        for term in node.terms:
            shape = self.shape(term, scope)
            terms.append(self.lower(term, scope, indices, idx if shape.rank else ()))
        return sympy.Add(*terms)

    def lower_Neg(self, node, scope, indices, idx):
        return -self.lower(node.arg, scope, indices, idx)

    def lower_Mul(self, node, scope, indices, idx):
        a, b = self.shape(node.left, scope), self.shape(node.right, scope)
        left, right = node.left, node.right
        if a.rank == 0 or b.rank == 0:
            return (self.lower(left, scope, indices, idx if a.rank else ())
                    * self.lower(right, scope, indices, idx if b.rank else ()))
        if a.rank == 1 and b.rank == 1 and (a.row == b.row or id(node) in self.inference.row_pairs):
            # x \cdot y; x_u y_i^T where a scalar is needed: the inner product of two rows (shapes.is_pair_of_rows)
            k = self.fresh_index()
            return self.sum_over(self.lower(left, scope, indices, (k,)) * self.lower(right, scope, indices, (k,)),
                                 k, a.dims[0])
        if a.rank == 1 and not a.row:   # outer product x y^T
            return self.lower(left, scope, indices, idx[:1]) * self.lower(right, scope, indices, idx[1:])
        k = self.fresh_index()
        outer_left = () if a.rank == 1 else idx[:1]
        outer_right = idx[len(outer_left):]
        body = (self.lower(left, scope, indices, outer_left + (k,))
                * self.lower(right, scope, indices, (k,) + outer_right))
        return self.sum_over(body, k, a.dims[-1])

    def lower_Hadamard(self, node, scope, indices, idx):
        return (self.lower(node.left, scope, indices, self._broadcast(node.left, scope, idx))
                * self.lower(node.right, scope, indices, self._broadcast(node.right, scope, idx)))

    def _broadcast(self, node, scope, idx):
        return idx if self.shape(node, scope).rank else ()

    def lower_Div(self, node, scope, indices, idx):
        num = self.lower(node.num, scope, indices, self._broadcast(node.num, scope, idx))
        den = self.lower(node.den, scope, indices, self._broadcast(node.den, scope, idx))
        return num / den

    def lower_Pow(self, node, scope, indices, idx):
        base_shape = self.shape(node.base, scope)
        if base_shape.rank == 2:
            return self.matrix_power(node, scope, indices, idx)
        base = self.lower(node.base, scope, indices, ())
        exp = self.lower(node.exp, scope, indices, ())
        if base.is_number and exp.is_number and abs(exp) > MAX_NUMERIC_EXPONENT:
            raise UnsupportedError(f"the numeric power {self.render(node)} is too large to evaluate")
        return sympy.Pow(base, exp)

    def matrix_power(self, node, scope, indices, idx):
        """(M^k)_ij for an integer k: a chain of k products of M (of M^{-1} for k < 0), δ_ij for k = 0."""
        exponent = integer_exponent(node.exp)
        if exponent is None or abs(exponent) > MAX_MATRIX_POWER:
            raise UnsupportedError(f"the matrix power {self.render(node)}; only integer powers up to "
                                   f"{MAX_MATRIX_POWER} of a square matrix are supported")
        if exponent == 0:
            return sympy.KroneckerDelta(*idx)
        factor = self.inverse if exponent < 0 else (lambda base, sc, ind, ix: self.lower(base, sc, ind, ix))
        dim = self.shape(node.base, scope).dims[0]
        chain = [idx[0]] + [self.fresh_index() for _ in range(abs(exponent) - 1)] + [idx[1]]
        body = sympy.Mul(*(factor(node.base, scope, indices, (a, b)) for a, b in zip(chain, chain[1:])))
        for k in reversed(chain[1:-1]):
            body = self.sum_over(body, k, dim)
        return body

    def named_matrix(self, node, scope):
        """The symbol of a named matrix: ``A``, or ``\\Sigma_2`` / ``K_y`` (a subscript that is part of the name)."""
        if isinstance(node, ir.Name) and node.name in self.symbols:
            return self.symbols[node.name]
        if isinstance(node, ir.Sub) and isinstance(node.base, ir.Name) \
                and self.inference.split_subscript(node, scope)[0] is None:
            return self.symbols[sub_symbol_name(node)]
        return None

    def matrix(self, node, scope, indices):
        """A square matrix operand of an inverse or determinant: its symbol if it is named, else a
        ``matrix_of`` holding its entries in index form."""
        named = self.named_matrix(node, scope)
        declared = self.symmetric.get(str(named.label)) if named is not None else None
        if named is not None and not declared:
            return named
        shape = self.shape(node, scope)
        row, col = self.fresh_index(), self.fresh_index()
        body = self.lower(node, scope, indices, (row, col))
        new_row, new_col = entry_symbols(body)
        body = body.xreplace({row: new_row, col: new_col})
        symmetric = declared or self.symmetric_expression(node, scope) \
            or body.xreplace({new_row: new_col, new_col: new_row}) == body
        definite = (declared and declared != "symmetric") or self.positive_definite(node, scope)
        structure = DEFINITE if definite else SYMMETRIC if symmetric else GENERAL
        return matrix_of(body, new_row, new_col, self.dim_symbol(shape.dims[0]), sympy.Symbol(self.render(node)),
                         structure)

    def symmetric_expression(self, node, scope) -> bool:
        """Symmetric given the declared symmetric matrices (which the entries alone cannot show:
        ``X^\\top S X`` is symmetric because S is): sums, negations, scalar multiples, integer powers
        and transposes of symmetric matrices, the identity, and products whose factors mirror each
        other around a symmetric middle (``A^\\top S A``, ``A A^\\top``, ``S^2``)."""
        if isinstance(node, (ir.Neg, ir.Transpose)):
            return self.symmetric_expression(node.arg, scope)
        if isinstance(node, ir.Add):
            return all(self.symmetric_expression(t, scope) for t in node.terms)
        if isinstance(node, ir.Pow):
            return integer_exponent(node.exp) is not None and self.symmetric_expression(node.base, scope)
        if isinstance(node, ir.Entrywise):
            return node.name in self.symmetric
        if isinstance(node, ir.Name) and node.name in self.inference.identity:
            return True
        if isinstance(node, ir.Mul) and node.op in ("juxt", "cdot", "matmul"):
            factors = [f for f in _product_factors(node) if self.shape(f, scope).dims]   # scalars commute
            if not factors:
                return False
            half, odd = divmod(len(factors), 2)
            mirrored = all(factors[k] == self.transpose_of(factors[-1 - k], scope) for k in range(half))
            return mirrored and (not odd or self.symmetric_expression(factors[half], scope))
        named = self.named_matrix(node, scope)
        return named is not None and str(named.label) in self.symmetric

    def transpose_of(self, node, scope):
        """The IR of node^T: the argument of a transpose, a declared symmetric matrix itself."""
        if isinstance(node, ir.Transpose):
            return node.arg
        named = self.named_matrix(node, scope)
        return node if named is not None and str(named.label) in self.symmetric else ir.Transpose(node)

    def positive_definite(self, node, scope) -> bool:
        """A sum of positive semidefinite terms and c I with c > 0 (a square, a positive constant):
        ``X^\\top X + \\lambda I`` with λ > 0 declared, ``K + \\sigma_n^2 I`` with K \\succeq 0 declared."""
        if not isinstance(node, ir.Add):
            return False
        identities = [t for t in node.terms if self.positive_identity(t)]
        return bool(identities) and all(t in identities or self.semidefinite(t, scope) for t in node.terms)

    def positive_identity(self, node) -> bool:
        """c I with c a square of a scalar, a positive number or a constant declared positive."""
        if isinstance(node, ir.Name):
            return node.name in self.inference.identity
        identity = isinstance(node, ir.Mul) and isinstance(node.right, ir.Name) \
            and node.right.name in self.inference.identity
        if not identity:
            return False
        c = node.left
        if isinstance(c, ir.Num):
            return float(c.text) > 0
        if isinstance(c, ir.Pow) and integer_exponent(c.exp) == 2:
            return True
        symbol = self.symbols.get(c.name) if isinstance(c, ir.Name) else None
        return bool(getattr(symbol, "is_positive", False))

    def semidefinite(self, node, scope) -> bool:
        """A Gram matrix A^T A or A A^T (also A^T S A with S declared semidefinite), or a matrix declared
        positive (semi)definite (a name, or a matrix defined entrywise under that name)."""
        if isinstance(node, ir.Entrywise):
            return self.symmetric.get(node.name, "symmetric") != "symmetric"
        named = self.named_matrix(node, scope)
        if named is not None:
            return self.symmetric.get(str(named.label), "symmetric") != "symmetric"
        if isinstance(node, ir.Mul) and isinstance(node.left, ir.Transpose):   # A^T A, A^T S A
            inner = node.right
            if node.left.arg == inner:
                return True
            return isinstance(inner, ir.Mul) and inner.right == node.left.arg and self.semidefinite(inner.left, scope)
        if isinstance(node, ir.Mul) and isinstance(node.right, ir.Transpose):  # A A^T
            return node.right.arg == node.left
        return False

    def inverse(self, node, scope, indices, idx):
        return inverse_entry(self.matrix(node, scope, indices), *idx)

    def lower_Prime(self, node, scope, indices, idx):
        return self.lower_Transpose(node, scope, indices, idx)

    def lower_Transpose(self, node, scope, indices, idx):
        shape = self.shape(node.arg, scope)
        if shape.rank == 2:
            idx = (idx[1], idx[0])
        return self.lower(node.arg, scope, indices, idx)

    # -- functions -----------------------------------------------------------------------
    def lower_Func(self, node, scope, indices, idx):
        primitive = BY_NAME[node.name]
        if node.name == "log" and (value := self.log_abs_determinant(node, scope, indices)) is not None:
            return value
        if (value := self.of_matrix_exponential(node, scope, indices)) is not None:
            return value
        if (exponent := self.matrix_exponent(node, scope)) is not None:   # an entry of e^M (its derivative refused)
            return expm_entry(self.matrix(exponent, scope, indices), *idx)
        if primitive.kind == ELEMENTWISE:
            args = [self.lower(arg, scope, indices, self._broadcast(arg, scope, idx)) for arg in node.args]
            return primitive.sympy(*args)
        if primitive.kind == PAIRING:   # <a, b> = sum of a_k b_k over every entry
            a, b = node.args
            shape = self.shape(a, scope)
            ks = tuple(self.fresh_index() for _ in shape.dims)
            body = self.lower(a, scope, indices, ks) * self.lower(b, scope, indices, ks)
            for k, dim in reversed(list(zip(ks, shape.dims))):
                body = self.sum_over(body, k, dim)
            return body
        (arg,) = node.args
        if primitive.kind == VECTOR:   # softmax(u)_k = exp(u_k) / sum_j exp(u_j); of a matrix, along its classes
            shape = self.shape(arg, scope)
            axis = self.softmax_axis(shape)
            j = self.fresh_index()
            along = tuple(j if position == axis else index for position, index in enumerate(idx))
            total = self.sum_over(sympy.exp(self.lower(arg, scope, indices, along)), j, shape.dims[axis])
            return sympy.exp(self.lower(arg, scope, indices, idx)) / total
        if primitive.kind == DIAGONAL:
            if self.shape(arg, scope).rank == 1:   # diag(w)_{kl} = w_k [k = l]
                return self.lower(arg, scope, indices, idx[:1]) * sympy.KroneckerDelta(*idx)
            return self.lower(arg, scope, indices, (idx[0], idx[0]))
        shape = self.shape(arg, scope)
        if node.name == "logsumexp":
            if shape.rank != 1:
                raise ShapeError(f"logsumexp needs a vector; {self.render(arg)} is a {describe(shape)}")
            k = self.fresh_index()
            return sympy.log(self.sum_over(sympy.exp(self.lower(arg, scope, indices, (k,))), k, shape.dims[0]))
        if node.name == "sum":
            return self.sum_all(arg, shape, scope, indices, lambda entry: entry)
        if node.name == "mean":
            count = sympy.Mul(*(self.dim_symbol(dim) for dim in shape.dims))
            return self.sum_all(arg, shape, scope, indices, lambda entry: entry) / count
        if node.name == "numel":
            return sympy.Mul(*(self.dim_symbol(dim) for dim in shape.dims))
        if node.name == "tr":
            k = self.fresh_index()
            return self.sum_over(self.lower(arg, scope, indices, (k, k)), k, shape.dims[0])
        if node.name in ("det", "logdet"):
            value = self.determinant(arg, scope, indices)
            return sympy.log(value) if node.name == "logdet" else value
        if node.name == "inv":
            return self.inverse(arg, scope, indices, idx)
        raise UnsupportedError(f"the function {node.name}")  # pragma: no cover

    def matrix_exponent(self, node, scope):
        """M when ``node`` is the matrix exponential e^M: ``\\operatorname{expm}(M)``, or ``e^{M}`` / ``\\exp(M)`` of a
        square matrix M (e^{W∘W} in NOTEARS is never entrywise: a reading). exp of a matrix that is not square
        has no matrix reading and stays entrywise (also a reading); anything else is not one (None)."""
        if not (isinstance(node, ir.Func) and node.name in ("exp", "expm") and len(node.args) == 1):
            return None
        (arg,) = node.args
        shape = self.shape(arg, scope)
        if node.name == "exp" and shape.rank != 2:
            return None
        rows, cols = (self.dim_symbol(d) for d in shape.dims)
        if node.name == "exp" and rows != cols:
            if any(d.find() in self.inference.unnamed_dims for d in shape.dims):
                raise AmbiguityError(
                    f"e^{{{self.render(arg)}}}: nothing in the source gives the sides of {self.render(arg)} (read "
                    f"{sympy.latex(rows)} \\times {sympy.latex(cols)} by default); if it is square, e^{{...}} is the "
                    "matrix exponential, otherwise exp entry by entry: declare its shape, e.g. "
                    f"{self.render(arg) if isinstance(arg, ir.Name) else 'A'} \\in \\mathbb{{R}}^{{d \\times d}}")
            self.read(f"\\exp({self.render(arg)}) of a {sympy.latex(rows)} \\times {sympy.latex(cols)} matrix (not "
                      "square, so no matrix exponential) is taken entry by entry")
            return None
        self.read(f"e^{{{self.render(arg)}}} is the matrix exponential of the {sympy.latex(rows)} \\times "
                  f"{sympy.latex(cols)} matrix {self.render(arg)} (I + M + M^2/2! + \\cdots, not entry by entry)")
        return arg

    def of_matrix_exponential(self, node, scope, indices):
        """A scalar use of e^M whose derivative is a whole matrix: tr(e^M) (``expm_trace``), ⟨C, e^M⟩ and
        tr(C e^M) = ⟨C^T, e^M⟩ (``expm_inner``); None for anything else."""
        if node.name == "tr":
            (arg,) = node.args
            if (exponent := self.matrix_exponent(arg, scope)) is not None:
                return expm_trace(self.matrix(exponent, scope, indices))
            if isinstance(arg, ir.Mul) and len(_product_factors(arg)) == 2:
                left, right = _product_factors(arg)
                for weights, power in ((left, right), (right, left)):   # tr(C e^M) = tr(e^M C) = <C^T, e^M>
                    exponent = self.matrix_exponent(power, scope)
                    if exponent is not None and self.shape(weights, scope).rank == 2:
                        return self.exponential_pairing(ir.Transpose(weights), exponent, scope, indices)
            return None
        if node.name == "inner":
            a, b = node.args
            for weights, power in ((a, b), (b, a)):
                if (exponent := self.matrix_exponent(power, scope)) is not None \
                        and self.matrix_exponent(weights, scope) is None:
                    return self.exponential_pairing(weights, exponent, scope, indices)
        return None

    def exponential_pairing(self, weights, exponent, scope, indices):
        """⟨C, e^M⟩ of two square matrices of one size (C not a matrix exponential itself)."""
        return expm_inner(self.matrix(weights, scope, indices), self.matrix(exponent, scope, indices))

    def read(self, text: str) -> None:
        """Record an implicit reading (listed in ``Problem.readings``)."""
        if text not in self.readings:
            self.readings.append(text)

    def softmax_axis(self, shape: Shape) -> int:
        """The axis a softmax normalises: a vector's only one; a matrix's last (scores of n samples by
        K classes, row by row: shapes.py records the reading), unless only its first axis is one the
        loss normalises over (its classes): then the matrix is K × n, a column per sample
        (``softmax(W X^\top)`` in a claim about a loss that normalises over K)."""
        if shape.rank != 2:
            return len(shape.dims) - 1
        rows, columns = (self.dim_symbol(d) for d in shape.dims)
        return 0 if rows in self.class_dims and columns not in self.class_dims else 1

    def determinant(self, arg, scope, indices) -> sympy.Expr:
        """det of a square matrix; of a transpose the same, of an inverse the reciprocal."""
        if isinstance(arg, ir.Transpose):
            return self.determinant(arg.arg, scope, indices)
        if isinstance(arg, ir.Func) and arg.name == "inv":
            return 1 / self.determinant(arg.args[0], scope, indices)
        if isinstance(arg, ir.Pow) and is_minus_one(arg.exp):
            return 1 / self.determinant(arg.base, scope, indices)
        return det(self.matrix(arg, scope, indices))

    def log_abs_determinant(self, node, scope, indices):
        """``\\ln|\\det M|`` as ``logabsdet(M)`` (real, defined wherever M is invertible), or None."""
        (arg,) = node.args
        if isinstance(arg, ir.Abs) and isinstance(arg.arg, ir.Func) and arg.arg.name == "det":
            return logabsdet(self.matrix(arg.arg.args[0], scope, indices))
        return None

    def sum_all(self, arg, shape: Shape, scope, indices, entry_map) -> sympy.Expr:
        """Sum ``entry_map`` of every entry of ``arg`` over all its axes."""
        ks = tuple(self.fresh_index() for _ in shape.dims)
        body = entry_map(self.lower(arg, scope, indices, ks))
        for k, dim in reversed(list(zip(ks, shape.dims))):
            body = self.sum_over(body, k, dim)
        return body

    def lower_Norm(self, node, scope, indices, idx):
        shape = self.shape(node.arg, scope)
        if shape.rank == 0:
            return sympy.Abs(self.lower(node.arg, scope, indices, ()))
        if node.kind == "1":   # of a matrix: entrywise (shapes.py records the reading)
            return self.sum_all(node.arg, shape, scope, indices, sympy.Abs)
        if node.kind == "2,1":   # the sum of the rows' 2-norms
            if shape.rank != 2:
                raise ShapeError(f"the (2,1)-norm of {self.render(node.arg)}, a {describe(shape)}")
            row, col = self.fresh_index(), self.fresh_index()
            squares = self.sum_over(self.lower(node.arg, scope, indices, (row, col)) ** 2, col, shape.dims[1])
            return self.sum_over(sympy.sqrt(squares), row, shape.dims[0])
        if node.kind == "*":
            return self.nuclear_norm(node.arg, shape, scope, indices)
        if node.kind == "inf":
            if shape.rank != 1:
                raise UnsupportedError(f"the induced infinity-norm of the matrix {self.render(node.arg)}; "
                                       "symgd reads \\|v\\|_\\infty of a vector (the largest |v_i|)")
            return max_norm(self.array(node.arg, scope, indices))
        if node.kind == "2" and shape.rank == 2:
            raise UnsupportedError("the spectral norm \\|A\\|_2 of a matrix; use \\|A\\|_F")
        return sympy.sqrt(self.sum_all(node.arg, shape, scope, indices, lambda e: e**2))

    def array(self, node, scope, indices):
        """A vector or matrix operand of the max-norm or the nuclear norm: its symbol if it is named, else an
        ``array_of`` of its entries."""
        named = self.named_matrix(node, scope)
        if isinstance(named, sympy.IndexedBase):
            return named
        shape = self.shape(node, scope)
        fresh = tuple(self.fresh_index() for _ in shape.dims)
        body = self.lower(node, scope, indices, fresh)
        symbols = array_entry_symbols(body, len(fresh))
        return array_of(body.xreplace(dict(zip(fresh, symbols))), sympy.Tuple(*symbols),
                        sympy.Tuple(*(self.dim_symbol(d) for d in shape.dims)), sympy.Symbol(self.render(node)))

    def nuclear_norm(self, arg, shape: Shape, scope, indices) -> sympy.Expr:
        """``\\|X\\|_*`` of a matrix X (any shape, named or an expression): an opaque ``nuclear_norm(X)`` whose
        derivative is the polar factor U V^T of X's thin SVD (functions.py)."""
        if shape.rank != 2:
            raise ShapeError(f"the nuclear norm of {self.render(arg)}, a {describe(shape)}; it needs a matrix")
        return nuclear_norm(self.array(arg, scope, indices))

    def lower_Abs(self, node, scope, indices, idx):
        shape = self.shape(node.arg, scope)
        if shape.rank == 2:   # |K|: the determinant
            return self.determinant(node.arg, scope, indices)
        if shape.rank == 1 and self.inference.syntax == "latex":   # |v|: the Euclidean norm
            return sympy.sqrt(self.sum_all(node.arg, shape, scope, indices, lambda e: e**2))
        return sympy.Abs(self.lower(node.arg, scope, indices, idx))

    def lower_Entrywise(self, node, scope, indices, idx):
        rows, cols = self.inference.entrywise_dims(node)
        inner = scope.with_index(node.rows, rows).with_index(node.cols, cols)
        return self.lower(node.body, inner, {**indices, node.rows: idx[0], node.cols: idx[1]}, ())

    def lower_BigOp(self, node, scope, indices, idx):
        dim = self.inference.dim_of_index(node)
        bounds = self.inference.bounds_of(node)
        if node.op == "forall":   # entry idx[0] of a constraint that holds for every value of the index
            return self.lower(node.body, scope.with_index(node.index, dim, bounds), {**indices, node.index: idx[0]},
                              idx[1:])
        index = sympy.Symbol(node.index, integer=True)
        body = self.lower(node.body, scope.with_index(node.index, dim, bounds), {**indices, node.index: index}, idx)
        if node.excluded is not None:   # \sum_{j \ne i}
            body = body * (1 - sympy.KroneckerDelta(index, indices[node.excluded]))
        first = sympy.Integer(bounds.start)
        if bounds.after is not None:   # \sum_{j=i+1}^{n}: from the value of i, plus the shift
            first += indices[bounds.after] + scope.bounds.get(bounds.after, FULL).value
        last = self.dim_symbol(self.inference.dims[bounds.upto] if bounds.upto else dim)   # the first q of m
        limits = (index, first, last + bounds.end)
        return sympy.Sum(body, limits) if node.op == "sum" else sympy.Product(body, limits)


def _product_factors(node) -> list:
    """The factors of a chain of matrix products, left to right."""
    if isinstance(node, ir.Mul) and node.op in ("juxt", "cdot", "matmul"):
        return _product_factors(node.left) + _product_factors(node.right)
    return [node]
