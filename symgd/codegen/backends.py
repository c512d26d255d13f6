"""Backends: what a generated module needs beyond its function bodies, per array library.

The function bodies of every backend come from the same optimised tensor IR through the one printer
(``symgd.tensor.print_numpy``), with that backend's ``Spelling``. A ``Backend`` adds the rest: the
imports, how a function finds its namespace, how a scalar result is returned, its helpers
(stable ``sigmoid``/``softplus``/``logsumexp`` written in standard calls), and the runtime of
``fit``.

* ``numpy``: the module as always (NumPy only; its texts live in ``module.py``).
* ``array_api``: every function takes its namespace from its array arguments
  (``array_api_compat.array_namespace``), so one source runs on NumPy, CuPy, PyTorch, JAX, Dask and
  array-api-strict arrays; only calls of the array-API standard (2024.12) are used; results stay
  where the arguments are (a loss is a 0-d array, not a Python float: no copy to the host).
* ``jax``: the same standard calls through ``jax.numpy``, ``loss``/``grad``/``value_and_grad``/
  ``step`` compiled by ``jax.jit`` (the generated expressions, not ``jax.grad``).

``fit`` on the array backends keeps parameters and data in the data's namespace and device; each
iteration evaluates the loss and gradient once over all rows and brings only scalars (the loss,
the gradient's norm, the Armijo test) to the host. On Dask that evaluation is one
``dask.compute`` of the loss, the gradient and the new parameters together: one map over the row
chunks and one tree-reduce, with only the (small) results on the client. L-BFGS runs
``scipy.optimize`` on the host on the flattened parameters: the loss and the gradient are
evaluated where the data are and copied to the host (a vector of the parameters' size) at each
evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

from symgd.errors import UnsupportedError
from symgd.tensor.print_numpy import ARRAY_API, JAX, NUMPY, Spelling

# What the array backends support; constrained solvers, Newton and prox are NumPy only for now.
ARRAY_OPTIMIZERS = ("gd", "momentum", "nesterov", "adam", "lbfgs")


@dataclass(frozen=True)
class Backend:
    """One target of code generation.

    Attributes:
        name: ``numpy``, ``array_api`` or ``jax``.
        spelling: the printer's table for this family of libraries.
        imports: the module's import lines.
        scalar: how a scalar result is returned (``float({})`` on NumPy; a 0-d array elsewhere).
        decorator: a line before each of loss/grad/value_and_grad/step (``@jax.jit``), or "".
        per_function_namespace: each function starts with ``xp = _namespace(...)`` (array_namespace, or NumPy's
            for Python numbers alone).
        helpers: helper name -> its text.
        runtime: the fixed helpers of ``fit`` (``_evaluated``, ``_mini_batch``).
    """

    name: str
    spelling: Spelling
    imports: tuple[str, ...]
    scalar: str
    decorator: str
    per_function_namespace: bool
    helpers: dict
    runtime: str

    def namespace_lines(self, arrays: list[str], code: list[str]) -> list[str]:
        """The lines that bind ``xp`` (and ``_like`` where the code creates arrays) in a function
        whose namespace comes from ``arrays`` (the data; the parameters when there are none: a
        Dask fit passes its small parameters as NumPy arrays beside the Dask data)."""
        lines = [f"xp = _namespace({', '.join(arrays)})"] if self.per_function_namespace else []
        if any("_like" in line for line in code):
            lines.append(f"_like = _creation(xp, {', '.join(arrays)})")
        return lines


_ARRAY_HELPERS = {
    "_namespace": '''
def _namespace(*values):
    """The array namespace of the arrays among the arguments; NumPy's (array_api_compat.numpy) when every
    argument is a Python number (a problem in scalars alone)."""
    arrays = [value for value in values if not isinstance(value, (int, float))]
    if arrays:
        return array_namespace(*arrays)
    import array_api_compat.numpy as host

    return host
''',
    "sigmoid": '''
def sigmoid(xp, z):
    """The logistic function without overflow, accurate in both tails: with e = exp(-|z|),
    1 / (1 + e) for z >= 0 and e / (1 + e) below (the NumPy module's arithmetic)."""
    e = xp.exp(-xp.abs(z))
    d = e + 1.0
    return xp.where(z >= 0, 1.0 / d, e / d)
''',
    "softplus": '''
def softplus(xp, z):
    """log(1 + exp(z)) without overflow: max(z, 0) + log1p(exp(-|z|))."""
    return xp.maximum(z, 0.0) + xp.log1p(xp.exp(-xp.abs(z)))
''',
    "logsumexp": '''
def logsumexp(xp, a, axis):
    """log(sum(exp(a))) along ``axis``, with the maximum subtracted first."""
    top = xp.max(a, axis=axis, keepdims=True)
    return xp.squeeze(top, axis=axis) + xp.log(xp.sum(xp.exp(a - top), axis=axis))
''',
    "softmax": '''
def softmax(xp, a, axis):
    """exp(a) / sum(exp(a)) along ``axis``, with the maximum subtracted first."""
    e = xp.exp(a - xp.max(a, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)
''',
    "nuclear_norm": '''
def nuclear_norm(xp, a):
    """The nuclear norm of a matrix: the sum of its singular values."""
    return xp.sum(xp.linalg.svdvals(a))
''',
    "max_norm": '''
def max_norm(xp, v):
    """The max-norm of a vector: the largest |v_i|."""
    return xp.max(xp.abs(v))
''',
    "max_norm_gradient": '''
def max_norm_gradient(xp, v):
    """sign(v_k) e_k at the first k where |v_k| is largest (a subgradient where several tie)."""
    k = xp.argmax(xp.abs(v))
    return xp.where(xp.arange(v.shape[0]) == k, xp.sign(v), xp.zeros_like(v))
''',
    "polar_factor": '''
def polar_factor(xp, a):
    """U V^T from the thin SVD a = U S V^T, singular values below the rank tolerance dropped (a
    subgradient of the nuclear norm where a is rank-deficient)."""
    u, s, vt = xp.linalg.svd(a, full_matrices=False)
    keep = xp.astype(s > xp.max(s) * max(a.shape) * 2.220446049250313e-16, s.dtype)
    return (u * keep) @ vt
''',
    "logdet": '''
def logdet(xp, a):
    """log det(a) from the LU factorisation (no overflow of det itself); NaN unless det(a) > 0."""
    sign, value = xp.linalg.slogdet(a)
    return xp.where(sign > 0, value, xp.nan)
''',
    "gram_blocks": '''
def gram_blocks(xp, x, weights, diagonal, symmetric):
    """The blocks of Σ_a x_a x_a^T ⊗ (weights[:, :, a] + diag(diagonal[:, a])), a (K, d, L, d) array:
    block (k, l) is x^T ((weights[k, l] + δ_kl diagonal[k])[:, None] * x); with ``symmetric`` only
    k <= l are computed, without ``weights`` only the diagonal blocks (the NumPy module's plan, in
    standard calls and without writing into arrays)."""
    rows = (weights if weights is not None else diagonal).shape[0]
    cols = weights.shape[1] if weights is not None else rows
    blocks = {}
    for k in range(rows):
        for l in range(cols):
            if symmetric and l < k or weights is None and l != k:
                continue
            s = weights[k, l, :] if weights is not None else diagonal[k, :]
            if weights is not None and diagonal is not None and k == l:
                s = s + diagonal[k, :]
            blocks[k, l] = xp.matrix_transpose(x) @ (s[:, None] * x)
    zero = xp.zeros_like(blocks[0, 0])
    def block(k, l):
        if (k, l) in blocks:
            return blocks[k, l]
        return xp.matrix_transpose(blocks[l, k]) if symmetric and (l, k) in blocks else zero
    return xp.stack([xp.stack([block(k, l) for l in range(cols)], axis=1) for k in range(rows)], axis=0)
''',
    "heaviside": '''
def heaviside(xp, u, value):
    """1 where u > 0, ``value`` where u == 0, else 0 (NumPy's heaviside in standard calls)."""
    step = xp.astype(u > 0, u.dtype)
    return step if value == 0 else step + value * xp.astype(u == 0, u.dtype)
''',
    "einsum": '''
def einsum(xp, spec, *operands):
    """A contraction given as an einsum spec (one label per axis), in the standard's calls: axes no
    other operand and not the result need are summed first, then the operands are multiplied
    pairwise, left to right, each pair as one batched matmul."""
    inputs, output = spec.split("->")
    specs = inputs.split(",")
    sizes = {label: size for labels, array in zip(specs, operands) for label, size in zip(labels, array.shape)}
    pending = list(zip(specs, operands))
    labels, result = pending.pop(0)
    while True:
        needed = output + "".join(s for s, _ in pending)
        private = tuple(n for n, label in enumerate(labels) if label not in needed)
        if private:
            result = xp.sum(result, axis=private)
            labels = "".join(label for label in labels if label in needed)
        if not pending:
            break
        other_labels, other = pending.pop(0)
        later = output + "".join(s for s, _ in pending)
        shared = [c for c in labels if c in other_labels]
        batch = [c for c in shared if c in later]
        summed = [c for c in shared if c not in later]
        left = [c for c in labels if c not in other_labels]
        right = [c for c in other_labels if c not in labels]

        def size(group):
            return math.prod(sizes[c] for c in group)
        a = xp.permute_dims(result, tuple(labels.index(c) for c in batch + left + summed))
        b = xp.permute_dims(other, tuple(other_labels.index(c) for c in batch + summed + right))
        a = xp.reshape(a, (size(batch), size(left), size(summed)))
        b = xp.reshape(b, (size(batch), size(summed), size(right)))
        result = xp.reshape(a @ b, tuple(sizes[c] for c in batch + left + right))
        labels = "".join(batch + left + right)
    return xp.permute_dims(result, tuple(labels.index(c) for c in output))
''',
}

_ARRAY_HELPERS["_one_hot"] = '''
def _one_hot(xp, labels, classes, like):
    """The one-hot matrix [labels == k] of integer class labels 0, ..., classes - 1 (0-based), in the
    parameters' dtype and on their device. A label outside that range has no class: its row is NaN (the
    loss becomes NaN), since no error can be raised inside jax.jit and a zero row would drop a term."""
    labels = xp.asarray(labels)
    hot = xp.astype(labels[..., None] == xp.arange(classes, device=like.get("device")), like["dtype"])
    one_class = xp.sum(hot, axis=-1, keepdims=True) == 1
    return xp.where(one_class, hot, xp.full_like(hot, xp.nan))
'''

_CREATION = '''
def _creation(xp, *arrays):
    """dtype{and_device} for new arrays (zeros, ones, eye): those of the floating arguments."""
    arrays = [a for a in arrays if hasattr(a, "dtype")]
    floating = [a.dtype for a in arrays if xp.isdtype(a.dtype, "real floating")]
    return {{"dtype": xp.result_type(*floating) if floating else None{device}}}
'''

_EVALUATED = '''
def _parameter_namespace(xp):
    """Where fit keeps the parameters: with the data, except on Dask, where they (small) stay on the
    client as NumPy arrays, so that the decisions of each step need no round trip to the cluster."""
    if is_dask_namespace(xp):
        import array_api_compat.numpy as host

        return host
    return xp


def _evaluated(xp, values):
    """``values`` (nested tuples of arrays) computed now where they are lazy: on Dask, the whole graph
    at once (one pass over the row chunks, one tree-reduce), NumPy results on the client; elsewhere
    as they are (the arrays are already computed, or queued on a device)."""
    if not is_dask_namespace(xp):
        return values
    import dask

    (computed,) = dask.compute(values)
    return computed
'''

_MINI_BATCH = '''
def _mini_batch(xp, rng, batch_size, data, sampled):
    """This step's data: ``batch_size`` rows drawn at random (without replacement) from the arrays
    marked in ``sampled`` (their first axis is the sample axis), the others whole.{dask_doc}"""
    first = next(a for a, s in zip(data, sampled) if s){dask}
    rows = xp.asarray(rng.sample(range(first.shape[0]), batch_size){device})
    return tuple(xp.take(a, rows, axis=0) if s else a for a, s in zip(data, sampled))
'''

_DASK_CHUNKS = '''
    if is_dask_namespace(xp) and all(a.chunks[0] == first.chunks[0] for a, s in zip(data, sampled) if s):
        chunks = first.chunks[0]
        order = rng.sample(range(len(chunks)), len(chunks))
        taken = next(k for k in range(1, len(order) + 1) if sum(chunks[b] for b in order[:k]) >= batch_size
                     or k == len(order))
        blocks = sorted(order[:taken])
        return tuple(xp.concat([a.blocks[b] for b in blocks], axis=0) if s else a for a, s in zip(data, sampled))'''

_DASK_DOC = '''
    On Dask (sampled arrays chunked alike along the rows), whole row chunks are drawn instead, as many
    as reach ``batch_size`` rows: each is read on the worker that holds it, and no rows are gathered
    from every chunk (what a random ``take`` would need).'''

_EVALUATED_JAX = '''
def _parameter_namespace(xp):
    """Where fit keeps the parameters: with the data."""
    return xp


def _evaluated(xp, values):
    """``values`` as they are: JAX computes asynchronously, and float() waits for a result."""
    return values
'''

_HOST = '''
def _host(x):
    """A NumPy copy of a small array (a parameter or its gradient), wherever it lives."""
    if hasattr(x, "get"):   # CuPy
        return np.asarray(x.get(), dtype=np.float64)
    if hasattr(x, "detach"):   # PyTorch
        return x.detach().cpu().numpy().astype(np.float64)
    try:
        return np.from_dlpack(x).astype(np.float64)
    except (TypeError, AttributeError, RuntimeError, BufferError):
        return np.asarray(x, dtype=np.float64)   # Dask (computes), JAX on a device
'''

_ARRAY_API_IMPORTS = ("import math", "from random import Random", "",
                      "from array_api_compat import array_namespace, device, is_dask_namespace")
_JAX_IMPORTS = ("import math", "from random import Random", "", "import jax",
                "import jax.numpy as xp   # the array namespace of every function below")

BACKENDS = {
    "numpy": Backend("numpy", NUMPY, ("import numpy as np",), "float({})", "", False, {}, ""),
    "array_api": Backend("array_api", ARRAY_API, _ARRAY_API_IMPORTS, "{}", "", True,
                         {**_ARRAY_HELPERS,
                          "_creation": _CREATION.format(and_device=" and device",
                                                        device=', "device": device(arrays[0]) if arrays else None')},
                         _EVALUATED + _MINI_BATCH.format(dask_doc=_DASK_DOC, dask=_DASK_CHUNKS,
                                                         device=", device=device(first)")),
    "jax": Backend("jax", JAX, _JAX_IMPORTS, "{}", "@jax.jit", False,
                   {**_ARRAY_HELPERS, "_creation": _CREATION.format(and_device="", device="")},
                   _EVALUATED_JAX + _MINI_BATCH.format(dask_doc="", dask="", device="")),
}


def backend_named(name: str, optimizer: str, constrained: bool) -> Backend:
    """The Backend called ``name``; UnsupportedError for an unknown name or what it cannot do yet."""
    if name not in BACKENDS:
        raise UnsupportedError(f"the backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if name != "numpy" and (constrained or optimizer not in ARRAY_OPTIMIZERS):
        what = "a constrained problem" if constrained else f"the optimizer {optimizer!r}"
        raise UnsupportedError(f"{what} on the {name} backend; it supports {', '.join(ARRAY_OPTIMIZERS)} "
                               "for unconstrained problems (use backend='numpy')")
    return BACKENDS[name]


def runtime_helpers(backend: Backend, optimizer: str) -> list[str]:
    """Texts of the fixed helpers ``fit`` needs on an array backend."""
    return [backend.runtime] + ([_HOST] if optimizer == "lbfgs" else [])


def runtime_imports(backend: Backend, optimizer: str) -> tuple[str, ...]:
    """Imports ``fit`` adds: NumPy and scipy for L-BFGS on the host (arrays stay where they are)."""
    return ("import numpy as np", "from scipy.optimize import minimize") if optimizer == "lbfgs" else ()


FIT_GD = '''def fit({signature}, *, lr={default_lr}, max_iter=1000, tol=1e-8, batch_size=None, callback=None, seed=0):
    """Minimise the loss from the given start; returns (parameters, history of losses).

    Parameters and data stay in the data's namespace and on its device (on Dask the parameters
    stay on the client); each iteration evaluates the loss and gradient once (on Dask: one pass
    over the row chunks and one tree-reduce, in one compute) and brings scalars to the host.
    ``lr=None`` finds the step size by backtracking: a step is kept when the loss falls by at
    least half of what the step's first-order model promises (Armijo); otherwise a momentum is
    restarted from the gradient, then the step halves; after a success the next step starts a
    quarter larger. A number ``lr`` is used as it is. Stops when the gradient
    norm is at most ``tol`` (full batches) or after ``max_iter`` steps. ``batch_size`` draws that
    many rows at random for each step.
    """
    xp = array_namespace({arrays})
    like, pxp = _creation(xp, {arrays}), _parameter_namespace(xp)
    params = ({params0})
    rng = Random(seed)
    state, history, step, current = None, [], 1.0, None
    for iteration in range(max_iter):
{batch}
        if current is None or batch_size is not None:
            current = _evaluated(xp, value_and_grad({args}))
        value, grads = current
        grads = grads if isinstance(grads, tuple) else (grads,)
        history.append(float(value))
        if callback is not None:
            callback(iteration, params, history[-1])
        if batch_size is None and math.sqrt(float(sum(pxp.sum(g * g) for g in grads))) <= tol:
            break
        if lr is None:
            params, state, step, current = _backtrack(xp, pxp, params, grads, state, step, value,
                                                      batch + {consts})
        else:
            params, state = _evaluated(xp, _update(params, grads, state, lr, batch + {consts}))
            current = None
    return {result}, history


def _backtrack(xp, pxp, params, grads, state, step, value, batch):
    """One optimizer step with its size found by backtracking; returns the new parameters and state,
    the next step size to try, and the loss and gradient at the new parameters (reused next)."""
    while True:
        new, new_state = _update(params, grads, state, step, batch)
        slope = float(sum(pxp.sum(g * (q - p)) for g, p, q in zip(grads, params, new)))
        if slope < 0:   # the step goes downhill to first order
            new, new_state, (new_value, new_grads) = _evaluated(xp, (new, new_state, value_and_grad(*new, *batch)))
            if float(new_value) <= float(value) + 0.5 * slope:
                new_grads = new_grads if isinstance(new_grads, tuple) else (new_grads,)
                return new, new_state, 1.25 * step, (new_value, new_grads)
        if state is not None:
            state = None   # restart the momentum from the gradient before shrinking the step
        elif step < 1e-20:
            return params, state, step, None
        else:
            step /= 2
'''

FIT_LBFGS = '''def fit({signature}, *, lr=None, max_iter=1000, tol=1e-8, batch_size=None, callback=None, seed=0):
    """Minimise with scipy.optimize.minimize(method="L-BFGS-B", jac=True) on the host; returns
    (parameters, history of losses). The loss and gradient are evaluated where the data are (one
    pass over the rows per evaluation); only the parameters and the gradient (vectors of the
    parameters' size) travel between host and device. ``lr``, ``batch_size`` and ``seed`` are unused."""
    xp = array_namespace({arrays})
    like, pxp = _creation(xp, {arrays}), _parameter_namespace(xp)
    starts = ({params0})
    shapes = [tuple(p.shape) for p in starts]
    sizes = [math.prod(s) for s in shapes]
    batch = ({data})

    def unpack(theta):
        pieces = np.split(theta, np.cumsum(sizes)[:-1])
        return tuple(pxp.asarray(piece.reshape(shape), **like) for piece, shape in zip(pieces, shapes))

    evaluated = {{}}   # the loss at each point L-BFGS evaluated: record() reuses it (no second pass)

    def objective(theta):
        params = unpack(theta)
        value, grads = _evaluated(xp, value_and_grad({args}))
        grads = grads if isinstance(grads, tuple) else (grads,)
        evaluated[theta.tobytes()] = float(value)
        return float(value), np.concatenate([np.ravel(_host(g)) for g in grads])

    history = []

    def record(theta):
        params = unpack(theta)
        value = evaluated.get(theta.tobytes())
        history.append(value if value is not None else float(_evaluated(xp, loss({args}))))
        if callback is not None:
            callback(len(history) - 1, params, history[-1])

    start = np.concatenate([np.ravel(_host(p)) for p in starts])
    result = minimize(objective, start, jac=True, method="L-BFGS-B", callback=record,
                      options={{"maxiter": max_iter, "gtol": tol, "ftol": 64 * np.finfo(float).eps}})
    params = unpack(result.x)
    return {result}, history
'''


def array_batch_lines(backend: Backend, sample_data: list[str], data: list[str]) -> list[str]:
    """Code choosing this iteration's data on an array backend: all of it, or a mini-batch drawn by
    the runtime's ``_mini_batch`` (random rows; on Dask, random whole row chunks)."""
    everything = "batch = (" + ", ".join(data) + ("," if len(data) == 1 else "") + ")"
    if not sample_data:
        return ["if batch_size is not None:",
                "    raise ValueError('this loss has no sample axis to take mini-batches from')",
                everything]
    arrays = "(" + ", ".join(data) + ("," if len(data) == 1 else "") + ")"
    sampled = "(" + ", ".join(str(d in sample_data) for d in data) + ("," if len(data) == 1 else "") + ")"
    return ["if batch_size is None:", "    " + everything,
            "else:", f"    batch = _mini_batch(xp, rng, batch_size, {arrays}, {sampled})"]


def array_update(numpy_text: str) -> str:
    """An optimizer update of ``module.py`` for an array backend: its one NumPy call (Adam's square
    root) as a power, which every namespace has."""
    text = numpy_text.replace("np.sqrt(s / correction2)", "(s / correction2) ** 0.5")
    if "np." in text:
        raise UnsupportedError("this optimizer's update uses NumPy; use backend='numpy'")
    return text
