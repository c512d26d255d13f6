"""The generated module's text: loss, grad, value_and_grad, hess, step and fit.

Each function body comes from the tensor pipeline (index form -> symgd.tensor IR -> passes -> the
NumPy printer, with the backend's spelling); the rest is fixed text filled in with the problem's
names. The NumPy module imports numpy only (scipy.optimize only for L-BFGS) and never symgd; the
array-API and JAX modules import what their backend needs (``backends.py``).
"""

from __future__ import annotations

import re

import sympy

from symgd.codegen import backends
from symgd.codegen.stable import stabilise
from symgd.errors import UnsupportedError
from symgd.derive import canonical_form
from symgd.problem import Problem
from symgd.supplied import as_arrays
from symgd.tensor import ir
from symgd.tensor.lift import Builder
from symgd.tensor.pipeline import optimise
from symgd.tensor.print_numpy import NumpyPrinter, identifier

HELPERS = {
    "_one_hot": '''
def _one_hot(labels, classes):
    """The one-hot matrix [labels == k] of integer class labels 0, ..., classes - 1 (0-based, as NumPy
    indexes); a label outside that range or not a whole number is a ValueError, never a silent zero row."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" and not np.all(np.mod(labels, 1) == 0):
        raise ValueError("class labels must be whole numbers 0, ..., K - 1 (0-based)")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"class labels must lie in 0, ..., {classes - 1} (0-based, as NumPy indexes); "
                         f"got {labels.min()} ... {labels.max()}")
    return (labels[..., None] == np.arange(classes)).astype(float)
''',
    "sigmoid": '''
def sigmoid(z, overwrite=False):
    """The logistic function, without overflow and accurate in both tails: with e = exp(-|z|), 1 / (1 + e)
    for z >= 0 and e / (1 + e) below. Two new arrays; one with ``overwrite`` for a float temporary
    nothing else holds (a large temporary costs more than the arithmetic: fresh pages)."""
    positive = np.greater_equal(z, 0)
    e = z if overwrite and isinstance(z, np.ndarray) and z.dtype.kind == "f" else np.array(z, dtype=float)
    np.abs(e, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = e + 1.0
    np.divide(e, d, out=e)
    return np.divide(1.0, d, out=e, where=positive)
''',
    "softplus": '''
def softplus(z):
    """log(1 + exp(z)) = log1p(e^-|z|) + max(z, 0), without overflow and accurate for z << 0 (one new array)."""
    out = np.array(z, dtype=float)   # the one new array
    np.abs(out, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    return np.add(out, z, out=out, where=np.greater(z, 0))
''',
    "blockwise_sum": '''
def blockwise_sum(function, *vectors):
    """function(*vectors), a sum over the vectors' entries of an elementwise expression, evaluated in
    eight blocks (of at least 4,096 entries) and added up: the vectors stay alive for the gradient,
    so the expression's temporaries would be new arrays of their size (fresh pages, as costly as
    the arithmetic, and a peak of several vectors where hand-written code has one or two); in
    blocks they are an eighth of it, for the Python overhead of eight calls."""
    length = len(vectors[0])
    step = max(4096, -(-length // 8))
    if length <= step:
        return function(*vectors)
    return sum(function(*(v[start:start + step] for v in vectors)) for start in range(0, length, step))
''',
    "logsumexp": '''
def logsumexp(a, axis):
    """log(sum(exp(a))) along ``axis``, with the maximum subtracted first. The shifted exponentials
    are formed in blocks along another axis, each shifted by its own maxima: a temporary of a's size
    would be fresh pages on every call (as costly as the arithmetic) and would double the peak memory
    beside a; so would an array of all the maxima beside the result."""
    a = np.asarray(a)
    shape = list(a.shape)
    shape[axis] = 1
    total = np.empty(shape)
    other = next((k for k in range(a.ndim) if k != axis % a.ndim), None)
    length = a.shape[other] if other is not None else 1
    step = max(1, 65536 * length // max(a.size, 1))   # blocks of about 64k numbers (512 kB)
    for start in range(0, length, step):
        block = ... if other is None else (slice(None),) * other + (slice(start, start + step),)
        top = np.max(a[block], axis=axis, keepdims=True)
        shifted = np.subtract(a[block], top, dtype=float)
        np.exp(shifted, out=shifted)
        out = total[block]
        np.sum(shifted, axis=axis, keepdims=True, out=out)
        np.log(out, out=out)
        out += top
    return np.squeeze(total, axis=axis)
''',
    "softmax": '''
def softmax(a, axis, overwrite=False):
    """exp(a) / sum(exp(a)) along ``axis``, with the maximum subtracted first (one new array, none
    with ``overwrite`` for a float temporary nothing else holds)."""
    top = np.max(a, axis=axis, keepdims=True)
    e = np.subtract(a, top, out=a) if overwrite and a.dtype.kind == "f" else np.asarray(a - top, dtype=float)
    np.exp(e, out=e)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e
''',
    "gram_blocks": '''
def gram_blocks(x, weights, diagonal, symmetric):
    """The blocks of Σ_a x_a x_a^T ⊗ (weights[:, :, a] + diag(diagonal[:, a])), a (K, d, L, d) array:
    block (k, l) is x.T @ ((weights[k, l] + δ_kl diagonal[k])[:, None] * x). With ``symmetric``
    (weights[k, l] equal to weights[l, k]) only the blocks k <= l are computed, the others are their
    transposes; without ``weights`` only the diagonal blocks. L blocks share one GEMM against x.T
    (their scaled copies of x side by side, in one reused n x L x d buffer): few BLAS calls, each
    large, and no temporary larger than that buffer."""
    rows = (weights if weights is not None else diagonal).shape[0]
    cols = weights.shape[1] if weights is not None else rows
    dtype = np.result_type(x, *(p for p in (weights, diagonal) if p is not None), 1.0)
    n, d = x.shape
    pairs = np.array([(k, l) for k in range(rows)
                      for l in ((k,) if weights is None else range(k if symmetric else 0, cols))])
    out = (np.zeros if weights is None else np.empty)((rows, d, cols, d), dtype=dtype)
    buffer = np.empty((n, min(cols, len(pairs)), d), dtype=dtype)
    for start in range(0, len(pairs), cols):
        ks, ls = pairs[start:start + cols].T
        s = weights[ks, ls] if weights is not None else diagonal[ks]   # (blocks, n), a copy
        if weights is not None and diagonal is not None:
            on = ks == ls
            s[on] += diagonal[ks[on]]
        scaled = buffer[:, :len(ks)]
        np.multiply(s.T[:, :, None], x[:, None, :], out=scaled)
        products = (x.T @ scaled.reshape(n, -1)).reshape(d, len(ks), d)
        for m, (k, l) in enumerate(zip(ks, ls)):
            out[k, :, l, :] = products[:, m, :]
            if symmetric and l != k:
                out[l, :, k, :] = products[:, m, :].T
    return out
''',
    "inplace": '''
def _inplace(function, array, *operands):
    """function(array, *operands) written over ``array``, a temporary nothing else holds, where the
    result has its type and shape (float arrays); otherwise a new array, as without ``out``."""
    if isinstance(array, np.ndarray) and array.dtype.kind == "f" and all(_fits_into(a, array) for a in operands):
        return function(array, *operands, array)   # out, positional: a user's data named out is renamed
    return function(array, *operands)


def _fits_into(operand, array):
    """Whether array op operand has array's type and shape: first the common cases, a Python number
    or an array like it, without NumPy's promotion machinery (a microsecond a call)."""
    if type(operand) is float or type(operand) is int:
        return True   # a Python number takes the float array's type (NEP 50)
    if isinstance(operand, np.ndarray) and operand.dtype == array.dtype and operand.shape == array.shape:
        return True
    return np.result_type(array, operand) == array.dtype and _broadcasts_into(np.shape(operand), array.shape)


def _inplace_second(function, operand, array):
    """function(operand, array) written over ``array``, a temporary nothing else holds (as ``_inplace``)."""
    if isinstance(array, np.ndarray) and array.dtype.kind == "f" and np.result_type(operand, array) == array.dtype \
            and _broadcasts_into(np.shape(operand), array.shape):
        return function(operand, array, array)   # out (positional, as in _inplace)
    return function(operand, array)


def _broadcasts_into(shape, target):
    """Whether an operand of ``shape`` broadcasts to ``target`` without enlarging it (a plain test:
    np.broadcast_shapes allocates a few kB, as much as a small vector)."""
    return len(shape) <= len(target) and all(s in (1, t) for s, t in zip(reversed(shape), reversed(target)))
''',
    "add_at": '''
def _add_at(array, axis, start, part, fresh, subtract=False):
    """array + part (or - part) with part zero-padded from ``start`` along ``axis``: added into the
    window of ``array``, in its buffer where it is a float temporary nothing else holds (``fresh``),
    else into a copy (the hand-written ``g[1:] += lam * s``, no padded array)."""
    if not (fresh and isinstance(array, np.ndarray) and array.dtype.kind == "f"
            and np.result_type(array, part) == array.dtype):
        array = np.array(array, dtype=np.result_type(array, part, 1.0))
    window = array[(slice(None),) * axis + (slice(start, start + np.shape(part)[axis]),)]
    if subtract:
        window -= part
    else:
        window += part
    return array
''',
    "add_diagonal": '''
def _add_diagonal(a, c):
    """a + c I, added on the diagonal of the square matrix a, a temporary nothing else holds, in its
    buffer (float arrays; otherwise a new array, as ``a + c * np.eye(len(a))``)."""
    if not (isinstance(a, np.ndarray) and a.dtype.kind == "f" and np.result_type(a, c) == a.dtype):
        a = np.array(a, dtype=np.result_type(a, c, 1.0))
    a.flat[::len(a) + 1] += c
    return a
''',
    "unit_step": '''
def _unit_step(t, at_zero, overwrite=False):
    """np.heaviside(t, at_zero) for an array t and at_zero 0 or 1 (NaN stays NaN), as ceil(clip(t, 0, 1))
    or 1 + floor(clip(t, -1, 0)): vectorised loops, some fifteen times faster than np.heaviside's on
    scores of mixed signs. In t's buffer with ``overwrite`` (a float temporary nothing else holds)."""
    t = np.asarray(t)
    if t.dtype.kind != "f":
        t, overwrite = t.astype(float), True
    if at_zero == 0:
        out = np.clip(t, 0.0, 1.0, out=t if overwrite else None)
        return np.ceil(out, out=out)
    out = np.clip(t, -1.0, 0.0, out=t if overwrite else None)
    np.floor(out, out=out)
    out += 1.0
    return out
''',
    "factorise": '''
def factorise(a, definite):
    """The Cholesky (definite) or pivoted LU factorisation of the square matrix ``a``, computed once
    for every solve and log-determinant with it; a ValueError when ``a`` is not positive definite
    or is singular (to working precision), instead of NaNs later."""
    a = np.asarray(a, dtype=float)
    if definite:
        try:
            return "cholesky", scipy.linalg.cho_factor(a, lower=True)
        except np.linalg.LinAlgError:
            raise ValueError(f"a {a.shape[0]} x {a.shape[0]} matrix that must be positive definite (declared, or "
                             "semidefinite terms plus c I with c > 0) is not") from None
    if not np.all(np.isfinite(a)):
        raise ValueError(f"a {a.shape[0]} x {a.shape[0]} matrix to factorise has non-finite entries")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        lu, piv = scipy.linalg.lu_factor(a, check_finite=False)
    pivots = np.abs(np.diag(lu))
    if pivots.min() <= a.shape[0] * np.finfo(float).eps * max(pivots.max(), np.finfo(float).tiny):
        raise ValueError(f"a {a.shape[0]} x {a.shape[0]} matrix that must be inverted is singular")
    return "lu", (lu, piv)


def solve(f, b, transposed=False):
    """M^{-1} b (M^{-T} b if ``transposed``) from the factorisation ``f`` of M."""
    kind, factors = f
    if kind == "cholesky":
        return scipy.linalg.cho_solve(factors, b, check_finite=False)
    return scipy.linalg.lu_solve(factors, b, trans=1 if transposed else 0, check_finite=False)


def inverse(f):
    """M^{-1}, where a whole inverse is needed (a solve against the identity, in its buffer)."""
    kind, factors = f
    eye = np.eye(factors[0].shape[0], order="F")   # LAPACK solves in a Fortran-ordered buffer
    if kind == "cholesky":
        return scipy.linalg.cho_solve(factors, eye, overwrite_b=True, check_finite=False)
    return scipy.linalg.lu_solve(factors, eye, overwrite_b=True, check_finite=False)


def log_abs_det(f):
    """log |det M| from the factorisation (no overflow of det M itself)."""
    kind, factors = f
    return float(np.sum(np.log(np.abs(np.diag(factors[0]))))) * (2 if kind == "cholesky" else 1)


def _det_sign(f):
    kind, factors = f
    if kind == "cholesky":
        return 1.0
    lu, piv = factors
    swaps = np.count_nonzero(piv != np.arange(len(piv)))
    return float((-1) ** swaps * np.prod(np.sign(np.diag(lu))))


def log_det(f):
    """log det M; a ValueError where det M <= 0 (outside the domain of the log)."""
    if _det_sign(f) <= 0:
        raise ValueError("log det of a matrix whose determinant is not positive")
    return log_abs_det(f)


def det(f):
    """det M = sign * exp(log |det M|)."""
    return _det_sign(f) * np.exp(log_abs_det(f))
''',
    "nuclear_norm": '''
def nuclear_norm(a):
    """The nuclear norm of a matrix: the sum of its singular values."""
    return float(np.linalg.svd(a, compute_uv=False).sum())
''',
    "max_norm": '''
def max_norm(v):
    """The max-norm of a vector: the largest |v_i|."""
    return float(np.max(np.abs(v)))
''',
    "max_norm_gradient": '''
def max_norm_gradient(v):
    """sign(v_k) e_k at the first k where |v_k| is largest: the gradient of the max-norm where that k is
    unique, a subgradient where several tie (0 at v = 0)."""
    out = np.zeros(np.shape(v))
    k = np.argmax(np.abs(v))
    out[k] = np.sign(v[k])
    return out
''',
    "polar_factor": '''
def polar_factor(a):
    """U V^T from the thin SVD a = U S V^T over the nonzero singular values: the gradient of the nuclear
    norm where a has full rank, a subgradient where it is rank-deficient."""
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    keep = s > s.max(initial=0.0) * max(a.shape) * np.finfo(float).eps
    return u[:, keep] @ vt[keep]
''',
    "expm_derivative": '''
def expm_derivative(m):
    """D[i, j, p, q] = d(e^m)_ij / dm_pq: the Frechet derivative of the matrix exponential in each unit
    direction, one scipy.linalg.expm_frechet per entry of m (n^2 of them: Hessians of small matrices)."""
    n = m.shape[0]
    out = np.empty((n, n, n, n))
    direction = np.zeros((n, n))
    for p in range(n):
        for q in range(n):
            direction[p, q] = 1.0
            out[:, :, p, q] = scipy.linalg.expm_frechet(m, direction, compute_expm=False)
            direction[p, q] = 0.0
    return out
''',
    "logdet": '''
def logdet(a):
    """log det(a) via the LU factorisation (no overflow of det itself)."""
    sign, value = np.linalg.slogdet(a)
    return value if sign > 0 else np.nan
''',
}


class ModuleWriter:
    """Writes the module for one Problem and its derivations."""

    def __init__(self, problem: Problem, gradient, hessian, optimizer: str, prox, backend: str = "numpy") -> None:
        self.problem = problem
        self.backend = backends.BACKENDS[backend]
        self.gradient = gradient
        self.hessian = hessian
        self.optimizer = optimizer
        self.prox = prox
        self.helpers: set[str] = set()
        self.params = list(problem.params)
        self.data = list(problem.data)
        # Constants that only an update rule uses (its step size γ) are not arguments of the loss.
        used = problem.objective.free_symbols.union(*(c.expr.free_symbols for c in problem.constraints))
        self.constants = [c for c in problem.constants if c in used]
        # A function the user supplies (r_j(x)) is an argument: a callable of the parameters it takes that
        # returns its values and Jacobians; each function body calls it once and reads the arrays.
        self.supplied = list(getattr(problem, "supplied", {}).values())
        self.callables = [problem.argnames[f.value] for f in self.supplied]
        self.args = [problem.argnames[s] for s in self.params + self.data + self.constants] + self.callables
        self.names = {s: problem.argnames[s] for s in self.params + self.data + self.constants}
        for function in self.supplied:
            self.names[function.value] = problem.argnames[function.value] + "_value"
            self.names.update({j: problem.argnames[j] for j in function.jacobians.values()})
        self.dim_names = self._dim_names()
        self.names.update(self.dim_names)
        self.free_ranges: dict = {}
        self.compiled = 0   # function bodies so far (to tell them apart in IR dumps)
        self.prepared: dict = {}
        self.lifted: dict = {}
        self.items: dict = {}
        self.batch_function: str | None = None   # _batch_value_and_grad, where a batch needs it (codegen.batch)

    # -- names and shapes ---------------------------------------------------------------
    def _axis_lengths(self) -> list:
        """The problem's dimensions, then the axis lengths that are expressions of them (``M + 1``, the
        coefficients w_0, ..., w_M of ``\\sum_{j=0}^{M}``)."""
        lengths = list(self.problem.dims)
        for symbol in self.params + self.data + self._supplied_arrays():
            lengths += [d for d in self.problem.shapes[symbol] if not (d.is_Integer or d.is_Symbol or d in lengths)]
        return lengths

    def _supplied_arrays(self, functions=None) -> list:
        """The values and Jacobians of the supplied functions (of ``functions``, else all)."""
        return [array for f in (self.supplied if functions is None else functions)
                for array in (f.value, *f.jacobians.values())]

    def _supplied_calls(self, code: list[str]) -> tuple[list[str], list]:
        """The calls of the supplied functions whose arrays ``code`` reads (``r_value, J_r = r(x)``), and those
        functions. A function of several parameters returns its Jacobians as a tuple in their order."""
        text = "\n".join(code)
        lines, called = [], []
        for function, name in zip(self.supplied, self.callables):
            arrays = [self.names[a] for a in self._supplied_arrays([function])]
            if not any(re.search(rf"\b{re.escape(a)}\b", text) for a in arrays):
                continue
            jacobians = arrays[1] if len(arrays) == 2 else "(" + ", ".join(arrays[1:]) + ")"
            params = ", ".join(self.problem.argnames[p] for p in function.params)
            lines.append(f"{arrays[0]}, {jacobians} = {name}({params})")
            called.append(function)
        return lines, called

    def _dim_names(self) -> dict:
        taken = set(self.names.values())
        out = {}
        for dim in self._axis_lengths():
            name = identifier(str(dim)) if dim.is_Symbol else _offset_name(dim)
            while name in taken:
                name += "_"
            taken.add(name)
            out[dim] = name
        return out

    def _block_items(self, derivation) -> list:
        """(expr, free indices) per block, with indices renamed per block: blocks reuse index names
        for axes of different lengths (∂/∂U_lm and ∂/∂V_lm), which must not meet in one function.
        Renamed once per derivation: ``grad`` and ``value_and_grad`` then share the expressions
        themselves, not equal copies (whose hashes and lifts would be computed again)."""
        if id(derivation) in self.items:
            return self.items[id(derivation)][1]
        items = []
        for number, block in enumerate(derivation.blocks):
            renamed = tuple(sympy.Symbol(f"{index}_{number}", integer=True) for index in block.indices)
            for index, dim in zip(renamed, block.shape):
                self.free_ranges[index] = dim
            items.append((block.expr.xreplace(dict(zip(block.indices, renamed))), renamed))
        self.items[id(derivation)] = (derivation, items)   # the derivation is kept, so its id stays its own
        return list(items)

    def _dim_code(self, dim) -> str:
        if dim.is_Integer:
            return str(int(dim))
        if dim in self.dim_names:
            return self.dim_names[dim]
        raise UnsupportedError(f"code generation: the range {dim} is not a dimension")

    def _dims_lines(self, code: list[str], symbols: list | None = None) -> list[str]:
        """Read (and check) the dimensions the code uses from the shapes of the arrays ``symbols``
        (the parameters and the data unless given)."""
        symbols = self.params + self.data if symbols is None else symbols
        text = "\n".join(code)
        used = {d for d, name in self.dim_names.items() if re.search(rf"\b{re.escape(name)}\b", text)}
        arrays = ", ".join(f"{self.names[s]}={self.names[s]}" for s in symbols if self._argument_shape(s))
        if not arrays:
            return []
        lengths = [d for d in self._axis_lengths() if d in used]
        if not lengths:
            return [f"_dims({arrays})"]
        names = [self.dim_names[d] for d in lengths]
        keys = ", ".join(self._dim_key(d) for d in lengths)
        return [f"dims = _dims({arrays})", f"{', '.join(names)} = {keys}"]

    def _dim_key(self, dim) -> str:
        """Where the dimension's size is read: its own axes, else an axis of length ``dim + c`` (M from M + 1)."""
        axes = {d for symbol in self.params + self.data + self._supplied_arrays() for d in self.problem.shapes[symbol]}
        if dim.is_Symbol and dim not in axes:
            for axis in axes:
                offset = axis - dim
                if not axis.is_Symbol and offset.is_Integer:
                    return f"dims[{str(axis)!r}] - {int(offset)}"
        return f"dims[{str(dim)!r}]"

    # -- function bodies ----------------------------------------------------------------
    def _body(self, exprs_and_axes: list, result, prefix: tuple = ()) -> list[str]:
        """Lines computing ``exprs`` (sharing sub-expressions) and the return statement; ``prefix``
        lines come right after the dimensions are read."""
        lines, values = self._compile(exprs_and_axes, shared=True)
        code = self._one_hot_lines() + list(prefix) + lines + [result(values)]
        code = self._scalars_as_arrays(code) + code
        if self.backend.per_function_namespace:
            self.helpers.add("_namespace")
        calls, called = self._supplied_calls(code)   # before the dimensions: their arrays' shapes are checked too
        dims = self._dims_lines(calls + code, self.params + self.data + self._supplied_arrays(called)) if called \
            else self._dims_lines(code)
        return self.backend.namespace_lines(self._namespace_arrays(), code) + calls + dims + code

    def _scalars_as_arrays(self, code: list[str]) -> list[str]:
        """On the array-API backend, the scalar arguments the code reads become 0-d arrays of the function's
        namespace, dtype and device: a Python float is no array there (``xp.sign(alpha - 2)`` fails on
        array_api_compat's NumPy, ``xp.log(sigma)`` on PyTorch)."""
        if self.backend.name != "array_api":
            return []
        names = [self.names[s] for s in self.params + self.data + self.constants if not self.problem.shapes[s]]
        used = [name for name in names if any(re.search(rf"\b{re.escape(name)}\b", line) for line in code)]
        return [f"{name} = xp.asarray({name}, **_like)" for name in used]

    def _one_hot_lines(self) -> list[str]:
        """Integer class labels (``f_{y_i}``) arrive as the user has them, 0-based integers; the index form
        uses their one-hot matrix, built here under the same name once the class count is read."""
        lines = []
        for symbol in self.data:
            if symbol in self.problem.labels:
                self.helpers.add("_one_hot")
                name = self.problem.argnames[symbol]
                classes = self._dim_code(self.problem.shapes[symbol][-1])
                # array backends: the parameters' dtype and device (``_like``); out-of-range labels give NaN rows
                lines.append(f"{name} = _one_hot({name}, {classes})" if self.backend.name == "numpy" else
                             f"{name} = _one_hot(xp, {name}, {classes}, _like)")
        return lines

    def _argument_shape(self, symbol) -> tuple:
        """The shape of the argument the user passes: integer labels have no class axis."""
        shape = tuple(self.problem.shapes[symbol])
        return shape[:-1] if symbol in self.problem.labels else shape

    def _namespace_arrays(self) -> list[str]:
        """The arguments an array backend's function takes its namespace from: the data arrays, else
        the parameters."""
        data = [self.problem.argnames[s] for s in self.data if self.problem.shapes[s]]
        return data or [self.problem.argnames[s] for s in self.params]

    def _compile(self, exprs_and_axes: list, shared: bool) -> tuple[list[str], list[str]]:
        """Index form -> tensor IR -> passes -> NumPy: (lines naming shared values, code per result).
        ``shared=False`` inlines everything (for one-line expressions)."""
        builder = Builder(self.problem.shapes, self.free_ranges)
        roots = [self._lifted(builder, self._prepared(expr), tuple(axes)) for expr, axes in exprs_and_axes]
        self.compiled += 1
        program = optimise(ir.Program(tuple(roots), tuple(f"result{n}" for n in range(len(roots)))),
                           f"function body {self.compiled}")
        if not shared:
            program = ir.Program(program.roots, program.labels)
        return NumpyPrinter(self.names, self.helpers, self.backend.spelling).render(program)

    def _lifted(self, builder: Builder, expr, axes: tuple) -> ir.Node:
        """The IR of one result, lifted once per module: the loss and the gradient blocks each enter
        two function bodies (``value_and_grad`` holds both), and a lift depends only on the expression,
        its axes and their ranges (fixed per module)."""
        key = (expr, axes)
        if key not in self.lifted:
            self.lifted[key] = builder.root(expr, axes)
        return self.lifted[key]

    def _prepared(self, expr):
        """The expression in canonical indices and stable spellings (once per expression: the loss
        and the gradient each enter two function bodies)."""
        if expr not in self.prepared:   # a supplied function's entries: its value and Jacobians as arrays
            self.prepared[expr] = stabilise(canonical_form(self.problem, as_arrays(expr)))
        return self.prepared[expr]

    def _gradient_items(self, derivation=None):
        return self._block_items(derivation or self.gradient)

    def _tuple(self, values, scalars):
        parts = [self._scalar(v) if scalar else v for v, scalar in zip(values, scalars)]
        return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"

    def _scalar(self, value: str) -> str:
        """A scalar result as the backend returns it (a float on NumPy, a 0-d array elsewhere)."""
        return self.backend.scalar.format(value)

    def function(self, name: str, doc: str, body: list[str], extra_args: str = "") -> str:
        signature = ", ".join(self.args) + extra_args
        decorator = [self.backend.decorator] if self.backend.decorator and name in JITTED else []
        lines = decorator + [f"def {name}({signature}):", f'    """{doc}"""']
        lines += ["    " + line for line in body]
        return "\n".join(lines) + "\n"

    def loss_function(self) -> str:
        body = self._body([(self.problem.objective, ())], lambda v: "return " + self._scalar(v[0]))
        return self.function("loss", "The loss L (a float)." if self.backend.name == "numpy" else
                             "The loss L (a 0-d array of the arguments' namespace).", body)

    def grad_function(self) -> str:
        scalars = [not b.indices for b in self.gradient.blocks]
        body = self._body(self._gradient_items(), lambda v: "return " + self._tuple(v, scalars))
        doc = "The gradient dL/d" + ", dL/d".join(self.problem.argnames[p] for p in self.params) + \
            " (each with its parameter's shape)."
        return self.function("grad", doc, body)

    def value_and_grad_function(self) -> str:
        scalars = [not b.indices for b in self.gradient.blocks]
        items = [(self.problem.objective, ())] + self._gradient_items()
        body = self._body(items, lambda v: f"return {self._scalar(v[0])}, " + self._tuple(v[1:], scalars))
        return self.function("value_and_grad", "The loss and its gradient, sharing the work.", body)

    def hess_function(self) -> str | None:
        if self.hessian is None:
            return None
        count = len(self.params)
        items = self._block_items(self.hessian)

        def result(values):
            rows = []
            for row in range(count):
                blocks = values[row * count:(row + 1) * count]
                rows.append(blocks[0] if count == 1 else "(" + ", ".join(blocks) + ")")
            value = rows[0] if count == 1 else "(" + ", ".join(rows) + ")"
            if count == 1 and not self.hessian.blocks[0].indices:
                value = self._scalar(value)
            return "return " + value
        body = self._body(items, result)
        doc = "The Hessian" + (" (blocks [i][j] = d2L/dp_i dp_j in parameter order)." if count > 1 else ".")
        return self.function("hess", doc, body)

    # -- shapes -------------------------------------------------------------------------
    def shapes_block(self) -> str:
        entries = []
        for symbol in self.params + self.data + self._supplied_arrays():
            shape = self._argument_shape(symbol)
            if shape:
                dims = ", ".join(repr(str(d)) if not d.is_Integer else str(int(d)) for d in shape)
                entries.append(f"    {self.names[symbol]!r}: ({dims}{',' if len(shape) == 1 else ''}),")
        if not entries:
            return ""
        dims = DIMS_HELPER if self.backend.name == "numpy" else DIMS_HELPER.replace("np.shape(", "_shape_of(") + \
            SHAPE_OF_HELPER
        return "SHAPES = {\n" + "\n".join(entries) + "\n}\n" + dims

    # -- optimizers ---------------------------------------------------------------------
    def update_function(self) -> str:
        """_update(params, grads, state, lr, batch): one optimizer step from a known gradient."""
        kind = self.optimizer if self.optimizer not in ("lbfgs",) else "gd"
        if kind == "prox":
            return (PROX_UPDATE if self.prox.kind == "l1" else SVT_UPDATE).format(threshold=self._prox_threshold())
        if kind == "newton":
            if len(self.params) != 1:
                raise UnsupportedError("newton with several parameters; use one parameter or lbfgs")
            return NEWTON_UPDATE
        if self.backend.name != "numpy":
            return backends.array_update(UPDATES[kind])
        return UPDATES[kind]

    def _prox_threshold(self) -> str:
        return self.scalar_code(self.prox.weight)

    def scalar_code(self, expr, axes: tuple = ()) -> str:
        """Code for one expression of the problem's symbols (a weight, a bound, a radius)."""
        lines, (value,) = self._compile([(expr, axes)], shared=False)
        return value

    def step_function(self) -> str:
        single = len(self.params) == 1
        names = [self.problem.argnames[p] for p in self.params]
        params = "(" + ", ".join(names) + ("," if single else "") + ")"
        # prox steps on the smooth part F only: the l1 term enters through the soft-thresholding
        gradient = "smooth_value_and_grad(" + ", ".join(self.args) + ")[1]" if self.optimizer == "prox" else \
            "grad(" + ", ".join(self.args) + ")"
        grads = "(" + gradient + ("," if single else "") + ")"
        stateful = self.optimizer in ("momentum", "nesterov", "adam")
        doc = SVT_STEP_DOC if self.prox is not None and self.prox.kind == "nuclear" else STEP_DOCS[self.optimizer]
        lines = [f"params, grads = {params}, {grads}"]
        passed = [self.problem.argnames[s] for s in self.data + self.constants] + self.callables
        batch = "(" + ", ".join(passed) + ("," if len(passed) == 1 else "") + ")"
        lines.append(f"new, {'state' if stateful else '_'} = _update(params, grads, {'state' if stateful else 'None'}, "
                     f"lr, {batch})")
        result = "new[0]" if single else "new"
        lines.append(f"return ({result}, state)" if stateful else f"return {result}")
        extra = ", lr, state=None" if stateful else ", lr"
        return self.function("step", doc, lines, extra)

    def fit_function(self) -> str:
        names = [self.problem.argnames[p] for p in self.params]
        data = [self.problem.argnames[s] for s in self.data]
        constants = [self.problem.argnames[s] for s in self.constants] + self.callables
        starts = [n + "0" for n in names]
        signature = ", ".join(starts + data + constants)
        # a supplied function returns its values at every sample: no mini-batches of the data
        sample_data = self._sample_data() if not self.supplied else []
        if self.backend.name != "numpy":
            return self._array_fit(starts, signature, sample_data, data, constants)
        if self.optimizer == "lbfgs":
            template = FIT_LBFGS
        elif self.optimizer == "prox":
            template = FIT_PROX
        else:
            template = FIT_GD
        batch_lines = _batch_lines(sample_data, data)
        text = template.format(
            signature=signature,
            params0=", ".join(f"np.array({s}, dtype=float)" for s in starts) + ("," if len(starts) == 1 else ""),
            data=", ".join(data) + ("," if len(data) == 1 else ""),
            args="*params, *batch" + (", " + ", ".join(constants) if constants else ""),
            all_args="*params, " + ", ".join(data + constants) if data + constants else "*params",
            batch=_indent(batch_lines, 8),
            result="params[0]" if len(names) == 1 else "params",
            consts=("(" + ", ".join(constants) + ("," if len(constants) == 1 else "") + ")") if constants else "()",
            consts_tail=(", " + ", ".join(constants)) if constants else "",
            default_lr="0.1" if self.optimizer == "adam" else "None",
            penalty=PENALTIES[self.prox.kind] if self.prox is not None else "",
            batch_evaluate=self._batch_evaluate(sample_data),
            smooth_functions=self._smooth_functions(sample_data),
        )
        if self.prox is not None and self.prox.linear_fit:
            # the proximal Newton fit for F(w) = φ(Xw) is ``fit``; FISTA stays for a given lr or batch
            text = text.replace("def fit(", "def _fista(", 1) + "\n\n" + self.prox.linear_fit
        if self.optimizer not in ("lbfgs", "prox"):
            # Newton's full step is 1: backtracking never tries a longer one
            newton = self.optimizer == "newton"
            text += "\n\n" + BACKTRACK.format(max_step="1.0" if newton else "np.inf",
                                               descent=", descent=True" if newton else "")
        return text

    def _array_fit(self, starts: list[str], signature: str, sample_data: list[str], data: list[str],
                   constants: list[str]) -> str:
        """``fit`` of an array backend: parameters placed in the data's namespace and device."""
        template = backends.FIT_LBFGS if self.optimizer == "lbfgs" else backends.FIT_GD
        return template.format(
            signature=signature,
            arrays=", ".join(self._namespace_arrays() if data else starts),
            params0=", ".join(f"pxp.asarray({s}, **like)" for s in starts) + ("," if len(starts) == 1 else ""),
            data=", ".join(data) + ("," if len(data) == 1 else ""),
            args="*params, *batch" + (", " + ", ".join(constants) if constants else ""),
            batch=_indent(backends.array_batch_lines(self.backend, sample_data, data), 8),
            result="params[0]" if len(starts) == 1 else "params",
            consts=("(" + ", ".join(constants) + ("," if len(constants) == 1 else "") + ")") if constants else "()",
            default_lr="0.1" if self.optimizer == "adam" else "None",
        )

    def _batch_evaluate(self, sample_data: list[str]) -> str:
        """What ``fit`` evaluates on a mini-batch: ``value_and_grad`` when the batch's own loss estimates the
        whole problem's (a mean over the samples, or a plain sum: the same minimiser), else
        ``_batch_value_and_grad`` with the whole sample count (a sum beside a regulariser)."""
        if self.batch_function is None or not sample_data:
            return "value_and_grad"
        return f"value_and_grad if batch_size is None else " \
            f"lambda *args: _batch_value_and_grad(*args, np.shape({sample_data[0]})[0])"

    def _smooth_functions(self, sample_data: list[str]) -> str:
        """The smooth part's functions FISTA evaluates: on mini-batches, their estimates of the whole F
        where ``codegen._smooth_functions`` wrote them."""
        plain = "smooth_value_and_grad, smooth_value"
        if self.batch_function is None or not sample_data:
            return plain
        whole = f"np.shape({sample_data[0]})[0]"
        return f"({plain}) if batch_size is None else (lambda *args: _batch_smooth_value_and_grad(*args, {whole}), " \
            f"lambda *args: _batch_smooth_value(*args, {whole}))"

    def sample_axis(self):
        """The sample axis: the first axis of data arrays that no parameter has (the commonest), or None."""
        param_dims = {d for p in self.params for d in self.problem.shapes[p]}
        firsts = [self.problem.shapes[s][0] for s in self.data if self.problem.shapes[s]]
        samples = [d for d in firsts if d not in param_dims and not d.is_Integer]
        return max(set(samples), key=samples.count) if samples else None

    def _sample_data(self) -> list[str]:
        """Data arrays whose first axis is the sample axis (a dimension no parameter has)."""
        axis = self.sample_axis()
        if axis is None:
            return []
        return [self.problem.argnames[s] for s in self.data
                if self.problem.shapes[s] and self.problem.shapes[s][0] == axis]

    # -- the whole module ---------------------------------------------------------------
    def assemble(self, docstring: str, functions: list[str], scipy: tuple[str, ...] = (),
                 linalg: tuple[str, ...] = ()) -> str:
        """The module text: docstring, imports (numpy, the ``scipy`` names from scipy.optimize and the
        ``linalg`` names from scipy.linalg), shape table, the helpers used, the functions."""
        imports = self.backend.imports + backends.runtime_imports(self.backend, self.optimizer) \
            if self.backend.name != "numpy" else self.backend.imports
        imports += tuple(sorted(helper for helper in self.helpers if helper.startswith("import ")))   # scipy.special
        parts = [f'r"""{docstring}"""\n', "\n".join(imports) + "\n"]
        if "factorise" in self.helpers:   # the NumPy backend's Cholesky/LU helpers
            parts[1:1] = ["import warnings\n\n"]
            if "import scipy.linalg" not in imports:   # already there for expm
                parts.append("import scipy.linalg\n")
        if linalg:
            parts.append(f"from scipy.linalg import {', '.join(linalg)}\n")
        if scipy:
            parts.append(f"from scipy.optimize import {', '.join(scipy)}\n")
        shapes = self.shapes_block()
        if shapes:
            parts.append("\n" + shapes)
        helpers = self.backend.helpers or HELPERS
        for helper in sorted(h for h in self.helpers if not h.startswith("import ")):
            parts.append("\n" + helpers[helper].lstrip("\n"))
        if self.backend.name != "numpy":
            parts += ["\n" + text.lstrip("\n") for text in backends.runtime_helpers(self.backend, self.optimizer)]
        for function in functions:
            parts.append("\n\n" + function)
        return "".join(parts).rstrip() + "\n"

    def source(self, docstring: str) -> str:
        functions = [self.loss_function(), self.grad_function(), self.value_and_grad_function()]
        hess = self.hess_function()
        if hess is not None:
            functions.append(hess)
        if self.prox is not None:
            functions.append(self.prox.smooth_function)
        if self.batch_function:
            functions.append(self.batch_function)
        functions += [self.update_function(), self.step_function(), self.fit_function()]
        if self.backend.name != "numpy":
            self.helpers.add("_creation")   # fit places the parameters with the data
            return self.assemble(docstring, functions)
        return self.assemble(docstring, functions, scipy=("minimize",) if self.optimizer == "lbfgs" else ())


def _indent(lines: list[str], spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in lines)


def _batch_lines(sample_data: list[str], data: list[str]) -> list[str]:
    """Code choosing this iteration's data: all of it, or a random mini-batch of rows."""
    everything = "batch = (" + ", ".join(data) + ("," if len(data) == 1 else "") + ")"
    if not sample_data:
        return ["if batch_size is not None:",
                "    raise ValueError('this loss has no sample axis to take mini-batches from')",
                everything]
    rows = f"rows = rng.choice({sample_data[0]}.shape[0], size=batch_size, replace=False)"
    sliced = "batch = (" + ", ".join(f"{d}[rows]" if d in sample_data else d for d in data) + \
        ("," if len(data) == 1 else "") + ")"
    return ["if batch_size is None:", "    " + everything, "else:", "    " + rows, "    " + sliced]


DIMS_HELPER = '''

_CHECKED = {}   # (names, shapes) -> dims, for shapes already checked: the check is a function of them


def _dims(**arrays):
    """The dimensions, read from the arrays' shapes; a ValueError names arguments that disagree.
    Shapes checked before are not checked again (on a call of a tenth of a millisecond the check
    cost more than a percent)."""
    try:
        key = (*arrays, *[array.shape for array in arrays.values()])
        dims = _CHECKED.get(key)
    except (AttributeError, TypeError):   # a list, or a shape that cannot be a key
        key = dims = None
    if dims is None:
        dims = _check_dims(arrays)
        if key is not None:
            if len(_CHECKED) >= 64:   # mini-batches of many sizes
                _CHECKED.clear()
            _CHECKED[key] = dims
    return dims


def _check_dims(arrays):
    dims, owner = {}, {}
    for name, array in arrays.items():
        shape, expected = np.shape(array), SHAPES[name]
        if len(shape) != len(expected):
            raise ValueError(f"{name} has shape {shape}; expected {len(expected)} axes {expected}")
        for size, dim in zip(shape, expected):
            if isinstance(dim, int) and size != dim:
                raise ValueError(f"{name} has shape {shape}; expected {expected}")
            if dim in dims and dims[dim] != size:
                other = owner[dim]
                raise ValueError(f"{name} has shape {shape} but {other} has shape {np.shape(arrays[other])}: "
                                 f"their {dim} axes differ ({size} != {dims[dim]})")
            dims.setdefault(dim, size)
            owner.setdefault(dim, name)
    return dims
'''

SHAPE_OF_HELPER = '''

def _shape_of(array):
    return tuple(array.shape)
'''

# The functions a JAX module compiles with jax.jit (fit is a host loop around them).
JITTED = ("loss", "grad", "value_and_grad", "hess", "step")

STEP_DOCS = {
    "gd": "One gradient-descent step: each parameter p becomes p - lr * dL/dp.",
    "lbfgs": "One gradient-descent step (fit uses L-BFGS): p - lr * dL/dp.",
    "momentum": "One heavy-ball step: v = 0.9 v + dL/dp, p - lr * v. Returns (params, state).",
    "nesterov": "One Nesterov step: v = 0.9 v + g, p - lr * (g + 0.9 v). Returns (params, state).",
    "adam": "One Adam step (Kingma & Ba, Algorithm 1: beta1 0.9, beta2 0.999, eps 1e-8). Returns (params, state).",
    "newton": "One (damped) Newton step: p - lr * H^{-1} dL/dp, solving with the Hessian (fit takes the gradient "
              "instead where that step goes uphill).",
    "prox": "One proximal-gradient step: soft-thresholding of p - lr * dF/dp at lr times the l1 weight "
            "(F the smooth part).",
}
SVT_STEP_DOC = "One proximal-gradient step: singular value thresholding of P - lr * dF/dP at lr times the weight " \
    "of the nuclear norm (F the smooth part)."

UPDATES = {
    "gd": '''def _update(params, grads, state, lr, batch):
    """Gradient descent: p - lr * g."""
    return tuple(p - lr * g for p, g in zip(params, grads)), state
''',
    "momentum": '''def _update(params, grads, state, lr, batch, beta=0.9):
    """Heavy-ball momentum: v = beta v + g, p - lr v."""
    velocity = grads if state is None else tuple(beta * v + g for v, g in zip(state, grads))
    return tuple(p - lr * v for p, v in zip(params, velocity)), velocity
''',
    "nesterov": '''def _update(params, grads, state, lr, batch, beta=0.9):
    """Nesterov momentum (as in PyTorch): v = beta v + g, p - lr (g + beta v)."""
    velocity = grads if state is None else tuple(beta * v + g for v, g in zip(state, grads))
    return tuple(p - lr * (g + beta * v) for p, g, v in zip(params, grads, velocity)), velocity
''',
    "adam": '''def _update(params, grads, state, lr, batch, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam with bias correction; state = (first moments, second moments, step count)."""
    if state is None:
        state = (tuple(0.0 * g for g in grads), tuple(0.0 * g for g in grads), 0)
    first, second, count = state
    count += 1
    first = tuple(beta1 * m + (1 - beta1) * g for m, g in zip(first, grads))
    second = tuple(beta2 * s + (1 - beta2) * g * g for s, g in zip(second, grads))
    # Algorithm 1 of Kingma & Ba (as PyTorch): eps is added to the square root of the corrected moment
    correction1, correction2 = 1 - beta1**count, 1 - beta2**count
    new = tuple(p - lr * (m / correction1) / (np.sqrt(s / correction2) + eps)
                for p, m, s in zip(params, first, second))
    return new, (first, second, count)
''',
}

NEWTON_UPDATE = '''def _update(params, grads, state, lr, batch, descent=False):
    """Newton: solve H s = g with the Hessian (never an explicit inverse), then p - lr s. With ``descent``
    (fit's backtracking), the gradient itself where s goes uphill (H not positive definite there): a
    Newton step towards a maximum or a saddle would be refused at every size, and fit would stay put."""
    (p,), (g,) = params, grads
    hessian = np.reshape(hess(p, *batch), (np.size(g), np.size(g)))
    solution = np.reshape(np.linalg.solve(hessian, np.ravel(g)), np.shape(g))
    if descent and not np.sum(solution * g) > 0:
        solution = g
    return (p - lr * solution,), state
'''

PROX_UPDATE = '''def _update(params, grads, state, lr, batch):
    """Proximal gradient: soft-thresholding of p - lr g (the closed-form prox of the l1 term)."""
    (p,), (g,) = params, grads
    threshold = lr * _l1_weight(*batch)
    moved = p - lr * g
    return (np.sign(moved) * np.maximum(np.abs(moved) - threshold, 0.0),), state
'''

SVT_UPDATE = '''def _update(params, grads, state, lr, batch):
    """Proximal gradient: singular value thresholding of P - lr G (the closed-form prox of the nuclear norm)."""
    (p,), (g,) = params, grads
    threshold = lr * _l1_weight(*batch)
    u, s, vt = np.linalg.svd(p - lr * g, full_matrices=False)
    return ((u * np.maximum(s - threshold, 0.0)) @ vt,), state
'''

# the non-smooth term of a prox fit at p, times its weight, for the history of losses
PENALTIES = {"l1": "np.sum(np.abs(p))", "nuclear": "np.sum(np.linalg.svd(p, compute_uv=False))"}

FIT_GD = '''def fit({signature}, *, lr={default_lr}, max_iter=1000, tol=1e-8, batch_size=None, callback=None, seed=0):
    """Minimise the loss from the given start; returns (parameters, history of losses).

    ``lr=None`` finds the step size by backtracking: a step is kept when the loss falls by at least
    half of what the step's first-order model promises (Armijo); otherwise a momentum is restarted
    from the gradient, then the step halves; after a success the next step starts a quarter larger.
    A number ``lr`` is used as it is. Stops when the gradient norm is at most ``tol`` (full batches)
    or after ``max_iter`` steps. ``batch_size`` draws that many samples (rows) at random for each
    step (backtracking then works on that batch); the loss of a batch estimates the whole loss (a sum
    over the samples beside terms free of them, a regulariser, counts n / batch_size times).
    """
    params = ({params0})
    rng = np.random.default_rng(seed)
    state, history, step, current = None, [], 1.0, None
    evaluate = {batch_evaluate}
    for iteration in range(max_iter):
{batch}
        if current is None or batch_size is not None:
            current = evaluate({args})
        value, grads = current
        grads = grads if isinstance(grads, tuple) else (grads,)
        history.append(value)
        if callback is not None:
            callback(iteration, params, value)
        if batch_size is None and np.sqrt(sum(np.sum(np.square(g)) for g in grads)) <= tol:
            break
        if lr is None:
            params, state, step, current = _backtrack(params, grads, state, step, value, batch + {consts}, evaluate)
        else:
            params, state = _update(params, grads, state, lr, batch + {consts})
            current = None
    return {result}, history
'''

BACKTRACK = '''def _backtrack(params, grads, state, step, value, batch, evaluate, max_step={max_step}):
    """One optimizer step with its size found by backtracking; returns the new parameters and state,
    the next step size to try, and the loss and gradient at the new parameters (reused next);
    ``evaluate`` is value_and_grad, or its estimate of the whole problem on a mini-batch."""
    while True:
        new, new_state = _update(params, grads, state, step, batch{descent})
        slope = sum(np.sum(g * (q - p)) for g, p, q in zip(grads, params, new))
        if slope < 0:   # the step goes downhill to first order
            new_value, new_grads = evaluate(*new, *batch)
            if new_value <= value + 0.5 * slope:
                new_grads = new_grads if isinstance(new_grads, tuple) else (new_grads,)
                return new, new_state, min(1.25 * step, max_step), (new_value, new_grads)
        if state is not None:
            state = None   # restart the momentum from the gradient before shrinking the step
        elif step < 1e-20:
            return params, state, step, None
        else:
            step /= 2
'''

FIT_PROX = '''def fit({signature}, *, lr=None, max_iter=1000, tol=1e-8, batch_size=None, callback=None, seed=0):
    """Minimise with FISTA (accelerated proximal gradient); returns (parameters, history of losses).

    ``lr=None`` finds the step by backtracking on the smooth part F (Beck & Teboulle): the step is
    kept when F at the new point lies below its quadratic model with curvature 1/step; the step
    halves until it does and grows by a tenth after each iteration (an adaptive Lipschitz estimate).
    A number ``lr`` is used as it is. Stops when an iteration moves the parameters by at most ``tol``
    (relative) or after ``max_iter``. The history reuses F from the step test.
    """
    params = ({params0})
    rng = np.random.default_rng(seed)
    lookahead, momentum, history, step = params, 1.0, [], (1.0 if lr is None else lr)
    full = ({data}) + {consts}   # the weight of the non-smooth term is the whole problem's, never a batch's
    value_and_grad_of, value_of = {smooth_functions}
    for iteration in range(max_iter):
{batch}
        smooth, grads = value_and_grad_of(*lookahead, *batch{consts_tail})
        grads = grads if isinstance(grads, tuple) else (grads,)
        while True:
            new, _ = _update(lookahead, grads, None, step, full)
            new_smooth = value_of(*new, *batch{consts_tail})
            moves = [q - p for q, p in zip(new, lookahead)]
            model = smooth + sum(np.sum(g * m) for g, m in zip(grads, moves)) + \\
                sum(np.sum(m * m) for m in moves) / (2 * step)
            if lr is not None or new_smooth <= model + 1e-12 * abs(smooth) or step < 1e-20:
                break
            step /= 2
        next_momentum = (1 + np.sqrt(1 + 4 * momentum**2)) / 2
        lookahead = tuple(q + (momentum - 1) / next_momentum * (q - p) for q, p in zip(new, params))
        change = max(np.max(np.abs(q - p)) for q, p in zip(new, params))
        params, momentum = new, next_momentum
        history.append(new_smooth + _l1_weight(*full) * sum({penalty} for p in params))
        if callback is not None:
            callback(iteration, params, history[-1])
        if change <= tol * max(1.0, max(np.max(np.abs(p)) for p in params)):
            break
        if lr is None:
            step *= 1.1
    return {result}, history
'''

FIT_LBFGS = '''def fit({signature}, *, lr=None, max_iter=1000, tol=1e-8, batch_size=None, callback=None, seed=0):
    """Minimise with scipy.optimize.minimize(method="L-BFGS-B", jac=True); returns
    (parameters, history of losses). Stops when the largest gradient entry is at most ``tol`` or a
    step lowers the loss by at most 64 machine epsilons relative to it (scikit-learn's setting).
    ``lr``, ``batch_size`` and ``seed`` are unused (full batches)."""
    starts = ({params0})
    shapes = [np.shape(p) for p in starts]
    sizes = [int(np.prod(s)) for s in shapes]
    batch = ({data})

    def unpack(theta):
        pieces = np.split(theta, np.cumsum(sizes)[:-1])
        return tuple(piece.reshape(shape) for piece, shape in zip(pieces, shapes))

    last = {{}}   # the latest point evaluated and its loss: the iterate is usually the last line-search point

    def objective(theta):
        params = unpack(theta)
        value, grads = value_and_grad({args})
        grads = grads if isinstance(grads, tuple) else (grads,)
        last.update(theta=theta.copy(), value=value)
        return value, np.concatenate([np.ravel(g) for g in grads])

    history = []

    def record(theta):
        params = unpack(theta)
        known = np.array_equal(theta, last.get("theta"))
        history.append(last["value"] if known else loss({args}))
        if callback is not None:
            callback(len(history) - 1, params, history[-1])

    start = np.concatenate([np.ravel(p) for p in starts])
    result = minimize(objective, start, jac=True, method="L-BFGS-B", callback=record,
                      options={{"maxiter": max_iter, "gtol": tol, "ftol": 64 * np.finfo(float).eps}})
    params = unpack(result.x)
    return {result}, history
'''


def _offset_name(length) -> str:
    """A Python name for an axis length ``M + 1``: ``M_plus_1``."""
    offset, terms = length.as_coeff_add()
    if len(terms) != 1 or not terms[0].is_Symbol or not offset.is_Integer:
        raise UnsupportedError(f"code generation: an axis of length {length}")
    word = "plus" if offset > 0 else "minus"
    return f"{identifier(str(terms[0]))}_{word}_{abs(int(offset))}"
