"""Check a corpus entry against its NumPy reference: the objective's value and the gradient.

symgd names its own dimensions, so values are matched to the Problem's symbols by name (spelling
differences such as ``\\beta_0`` / ``beta_0`` / ``\\mathbf{X}`` / ``X`` do not matter) and the
dimensions are read off the arrays. Every disagreement with what the source means is an
AssertionError that says what symgd read; symgd's own errors propagate unchanged.
"""

from __future__ import annotations

import re

import numpy as np
import sympy

import symgd
from symgd.numeric import dimension_size, entries, evaluate
from symgd.supplied import FUNCTION

from corpus.entry import Entry

FONT_COMMANDS = {"mathbf", "boldsymbol", "bm", "mathrm", "mathit", "mathsf", "operatorname", "text", "mathbb"}


def canonical(name: str) -> tuple[str, ...]:
    """A spelling-independent key of a name: its words and numbers, fonts dropped (``\\hat{x}`` = ``x_hat``)."""
    name = re.sub(r"\^\s*\{?\s*(?:\*|\\ast|\\star)\s*\}?", "_star", name)   # x^* is symgd's x_star
    words = re.findall(r"[A-Za-z]+|\d+", name)
    words = [part for word in words for part in _split_accent(word)]
    return tuple(sorted(w for w in words if w not in FONT_COMMANDS))


def _split_accent(word: str) -> list[str]:
    """symgd spells \\tilde{y} as ``ytilde`` (as SymPy does): split the accent off, so it equals y_tilde."""
    match = re.fullmatch(r"([A-Za-z]+?)(hat|bar|tilde|dot|check|breve)", word)
    return [match.group(1), match.group(2)] if match else [word]


def name_of(symbol) -> str:
    """The name of a Problem symbol (an IndexedBase's label)."""
    return str(symbol.label) if isinstance(symbol, sympy.IndexedBase) else str(symbol)


def _spd(rng, size: int) -> np.ndarray:
    a = rng.normal(size=(size, size))
    return a @ a.T / size + np.eye(size)


def _value(rng, kind: str, shape: tuple[int, ...]):
    """A random value of a kind: the sources' assumptions (labels ±1, probabilities, SPD, ...)."""
    if kind == "spd":
        return _spd(rng, shape[0])
    if kind == "positive":
        value = rng.uniform(0.5, 2.0, size=shape)
    elif kind == "pm1":
        value = rng.choice([-1.0, 1.0], size=shape)
    elif kind == "01":
        value = rng.choice([0.0, 1.0], size=shape)
    elif kind == "prob":
        value = rng.uniform(0.1, 0.9, size=shape)
    elif kind == "count":
        value = rng.integers(0, 5, size=shape).astype(float)
    elif kind.startswith("label"):   # class labels 1..K, K in the kind's name
        value = rng.integers(1, int(kind[5:]) + 1, size=shape).astype(float)
    elif kind == "onehot":
        value = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]
    elif kind == "simplex":
        raw = rng.uniform(0.2, 1.0, size=shape)
        value = raw / raw.sum(axis=-1, keepdims=True)
    elif kind == "small":
        value = rng.normal(scale=0.3, size=shape)
    elif kind == "unit":
        raw = rng.normal(size=shape)
        value = raw / np.linalg.norm(raw, axis=-1, keepdims=True)
    elif kind == "quantile":
        value = rng.uniform(0.1, 0.9, size=shape)
    elif kind == "large":   # keeps b - Ax > 0 for the log barriers at small x
        value = rng.uniform(8.0, 12.0, size=shape)
    elif kind == "normal":
        value = rng.normal(size=shape)
    elif kind == "increasing":   # ordered cut-points (Agresti's alpha_1 < ... < alpha_{c-1}), at least 0.5 apart
        value = np.cumsum(rng.uniform(0.5, 1.5, size=shape)) - shape[0]
    else:
        raise ValueError(f"unknown value kind {kind!r}")
    return float(value) if shape == () else value


def random_values(item: Entry, seed: int = 0) -> dict:
    """Random values of every symbol of the entry, by its shapes and kinds (scalars default positive)."""
    rng = np.random.default_rng(seed)
    values = {}
    for name in item.shapes:
        shape = item.concrete_shape(name)
        kind = item.kinds.get(name, "positive" if shape == () else "normal")
        if kind.startswith("labels:"):   # integer class labels 0..K-1 (0-based, as NumPy indexes)
            labels = rng.integers(0, item.size(kind.partition(":")[2]), size=shape)
            values[name] = int(labels) if shape == () else labels
            continue
        values[name] = _value(rng, kind, shape)
    return values


def parse(item: Entry, latex: str | None = None, where: str | None = None):
    """symgd's Problem for the entry (or for a variant spelling of it)."""
    return symgd.parse(item.latex if latex is None else latex, wrt=item.wrt,
                       where=item.where if where is None else where)


def _labels(item: Entry) -> dict[str, int]:
    labels = {label: item.size(label) for shape in item.shapes.values() for label in shape if isinstance(label, str)}
    labels.update(item.sizes)
    return labels


def bind(problem, item: Entry, values: dict) -> dict:
    """The evaluation environment of the Problem: the entry's values by symgd's names, and the dimensions.

    Raises AssertionError when symgd reads a symbol the source does not have, gives a symbol a
    shape the source does not mean, or sizes a dimension inconsistently.
    """
    by_key = {canonical(name): name for name in values}
    labels = _labels(item)
    env: dict = {}
    dims: dict[str, int] = {}
    supplied = _supplied_values(problem, item, values)
    for symbol, role in problem.roles.items():
        if role in ("index", "dimension"):
            continue
        name = name_of(symbol)
        shape = tuple(problem.shapes[symbol])
        key = by_key.get(canonical(name))
        if role == FUNCTION:   # a supplied function's value or Jacobian, from the entry's binding
            value, key = supplied[symbol], name
        elif symbol in problem.labels:   # the one-hot matrix of integer labels y: built from the source's y
            value = _one_hot(item, problem, symbol, values, by_key)
            key = by_key[canonical(problem.labels[symbol])]
        elif key is None:
            if shape == () and name in labels:   # a count the source writes, e.g. 1/N, read as a constant
                env[name] = float(labels[name])
                continue
            raise AssertionError(f"symgd reads a symbol {name!r} ({role}, shape {shape}) that the source "
                                 f"does not have (the source's symbols: {sorted(values)})")
        else:
            value = values[key]
        actual = np.shape(value)
        assert len(shape) == len(actual), (f"symgd reads {name} with shape {shape}; the source means "
                                           f"shape {item.shapes.get(key, '(supplied)')} = {actual}")
        for dim, size in zip(shape, actual):
            if dim.is_Integer:
                assert int(dim) == size, f"symgd reads {name} with shape {shape}; the source means {actual}"
                continue
            previous = dims.setdefault(str(dim), size)
            assert previous == size, (f"symgd gives dimension {dim} two sizes ({previous} and {size}, "
                                      f"from {name}): it ties axes the source keeps apart")
        env[name] = value
    for dim in problem.dims:
        name = str(dim)
        if name not in dims:
            assert name in labels, f"symgd reads a dimension {name} that no array or source label sizes"
            dims[name] = labels[name]
    for symbol, shape in problem.shapes.items():   # an axis of M + 1 entries: M is the size the source means
        for dim in shape:
            if not dim.is_Integer and not dim.is_Symbol and str(dim) in dims:
                assert dimension_size(dim, dims) == dims[str(dim)], (
                    f"symgd reads {name_of(symbol)} with {dim} entries; the source means {dims[str(dim)]}")
    env.update(dims)
    return env


def _supplied_values(problem, item: Entry, values: dict) -> dict:
    """The value and the Jacobians of each function symgd reads as supplied by the user (``r_j(x)``), from
    the entry's concrete binding at the values' point: symbol -> array."""
    bindings = {canonical(name): binding for name, binding in item.functions.items()}
    out = {}
    for name, function in getattr(problem, "supplied", {}).items():
        binding = bindings.get(canonical(name))
        assert binding is not None, (f"symgd reads {function.written} as a function the user supplies; the entry "
                                     f"binds no function {name!r} (it binds {sorted(item.functions)})")
        value, jacobians = binding(values)
        if not isinstance(jacobians, dict):
            assert len(function.jacobians) == 1, f"{function.written} takes several parameters: bind each Jacobian"
            jacobians = {name_of(next(iter(function.jacobians))): jacobians}
        by_param = {canonical(param): jacobian for param, jacobian in jacobians.items()}
        out[function.value] = value
        for param, jacobian in function.jacobians.items():
            out[jacobian] = by_param[canonical(name_of(param))]
    return out


def supplied_callables(problem, item: Entry, values: dict) -> dict:
    """The arguments a generated module takes for the functions symgd reads as supplied: argname -> a callable
    of the function's parameters returning its value and Jacobian (a tuple of them, in the parameters' order,
    for several), from the entry's binding with the parameters' values replaced by the arguments."""
    bindings = {canonical(name): binding for name, binding in item.functions.items()}
    out = {}
    for name, function in getattr(problem, "supplied", {}).items():
        keys = [_values_key(item, name_of(p), values) for p in function.params]
        binding = bindings[canonical(name)]

        def call(*params, binding=binding, keys=keys):
            value, jacobians = binding({**values, **dict(zip(keys, params))})
            if not isinstance(jacobians, dict):
                return value, jacobians
            by_key = {canonical(param): jacobian for param, jacobian in jacobians.items()}
            ordered = tuple(by_key[canonical(key)] for key in keys)
            return value, ordered[0] if len(ordered) == 1 else ordered

        out[problem.argnames[function.value]] = call
    return out


def _one_hot(item: Entry, problem, symbol, values: dict, by_key: dict) -> np.ndarray:
    """[y_i = k] for the source's integer labels y (0-based), k over the classes: the axis symgd read."""
    written = problem.labels[symbol]
    key = by_key.get(canonical(written))
    assert key is not None, f"symgd reads integer labels {written!r} that the source does not have"
    kind = item.kinds.get(key, "")
    assert kind.startswith("labels:"), f"symgd reads {written} as integer class labels; the source's {key} are {kind!r}"
    classes = item.size(kind.partition(":")[2])
    labels = np.asarray(values[key])
    assert labels.ndim == len(problem.shapes[symbol]) - 1, (
        f"symgd reads labels {written} with {len(problem.shapes[symbol]) - 1} axes; the source's have {labels.ndim}")
    return np.eye(classes)[labels]


def source_parameters(item: Entry, names: list[str] | None = None) -> list[str]:
    """The source's parameters (``names``, default the entry's ``wrt``) by the names of its values: a name under
    ``\\min`` that stands for several vectors (Koren's b: the user biases b_u and the item biases b_i) is each."""
    keys = {canonical(name) for name in item.shapes}
    return [part for name in (item.params if names is None else names) for part in
            ([name] if canonical(name) in keys else [s for s in item.shapes if s.startswith(name + "_")] or [name])]


def _params_match(problem, item: Entry) -> dict:
    """symgd's parameters are the source's: name -> the Problem's parameter symbol."""
    wanted = {canonical(name): name for name in source_parameters(item)}
    found = {canonical(name_of(p)): p for p in problem.params}
    assert set(found) == set(wanted), (f"symgd's parameters are {[name_of(p) for p in problem.params]}; "
                                       f"the source's are {item.params}")
    return {wanted[key]: symbol for key, symbol in found.items()}


def _values_key(item: Entry, param_name: str, values: dict) -> str:
    by_key = {canonical(name): name for name in values}
    return by_key[canonical(param_name)]


def central_differences(reference, values: dict, name: str, step: float = 1e-6) -> np.ndarray:
    """∂ reference / ∂ values[name] by central differences, entry by entry."""
    value = np.array(values[name], dtype=float)
    out = np.zeros(value.shape)
    for position in np.ndindex(*value.shape) if value.shape else [()]:
        h = step * max(1.0, abs(float(value[position])))
        plus, minus = value.copy(), value.copy()
        plus[position] += h
        minus[position] -= h
        as_value = (lambda a: a) if value.shape else float
        out[position] = (reference({**values, name: as_value(plus)})
                         - reference({**values, name: as_value(minus)})) / (2 * h)
    return out


def _close(actual, expected, rel: float) -> bool:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        return False
    return float(np.linalg.norm(actual - expected)) <= rel * max(float(np.linalg.norm(expected)), 1e-3)


def _evaluate_block(block, shape: tuple, env: dict, name: str) -> np.ndarray:
    """The gradient block's values; an expression no real number can be read from is a wrong answer."""
    try:
        return entries(block.expr, block.indices, shape, env)
    except TypeError as error:   # e.g. im(...) or re(...) of a real quantity
        raise AssertionError(f"gradient wrt {name}: symgd's expression cannot be evaluated ({error})") from None


def _proportional(actual, expected, equality: bool) -> bool:
    """actual = c * expected with c > 0 (c of either sign for an equality); shapes must agree."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        return False
    scale = float(np.vdot(actual, expected)) / max(float(np.vdot(expected, expected)), 1e-300)
    if scale == 0 or (scale < 0 and not equality):
        return False
    return _close(actual, scale * expected, 1e-8)


def check_constraints(problem, item: Entry, values: dict, env: dict) -> None:
    """symgd's constraints are the source's (normalised g <= 0 / h = 0, matched in any order)."""
    expected = list(item.constraints(values)) if item.constraints else []
    found = []
    for constraint in problem.constraints:
        shape = tuple(int(d) if d.is_Integer else env[str(d)] for d in constraint.shape)
        try:
            found.append((constraint.kind, entries(constraint.expr, constraint.indices, shape, env), constraint.latex))
        except TypeError as error:
            raise AssertionError(f"constraint {constraint.latex}: cannot be evaluated ({error})") from None
    assert len(found) == len(expected), (f"symgd reads {len(found)} constraints "
                                         f"({[latex for _, _, latex in found]}); the source has {len(expected)}")
    for kind, value in expected:
        match = next((f for f in found if f[0] == kind and _proportional(f[1], value, kind == "eq")), None)
        assert match is not None, (f"no constraint of symgd matches the source's {kind} constraint with values "
                                   f"{np.round(np.asarray(value, dtype=float), 4)}; symgd has {[f[2] for f in found]}")
        found.remove(match)


def check_entry(item: Entry, latex: str | None = None, where: str | None = None, seeds=(0, 1)):
    """Parse the entry (or a variant), compare the objective and the gradient with the reference.

    Returns the Problem. Raises AssertionError on any disagreement with the source's meaning.
    """
    problem = parse(item, latex, where)
    params = _params_match(problem, item)
    derivation = symgd.gradient(problem)
    for seed in seeds:
        values = random_values(item, seed)
        env = bind(problem, item, values)
        expected = float(item.reference(values))
        try:
            actual = evaluate(problem.objective, env)
        except TypeError as error:
            raise AssertionError(f"objective: symgd's expression cannot be evaluated ({error})") from None
        sign = 1.0
        if getattr(problem, "sense", "min") == "max" and np.isclose(actual, -expected, rtol=1e-8):
            sign = -1.0   # a maximisation stored as min of -f, as stated by Problem.sense
        assert np.isclose(actual, sign * expected, rtol=1e-8, atol=1e-10), (
            f"objective: symgd {actual!r}, the source means {expected!r}")
        check_constraints(problem, item, values, env)
        for block in derivation.blocks:
            (param,) = block.wrt
            name = next(n for n, p in params.items() if p == param)
            key = _values_key(item, name, values)
            shape = tuple(int(d) if d.is_Integer else env[str(d)] for d in block.shape)
            got = _evaluate_block(block, shape, env, name)
            want = sign * central_differences(item.reference, values, key)
            assert _close(got.reshape(np.shape(want)) if got.size == np.size(want) else got, want, 1e-5), (
                f"gradient wrt {name}: symgd\n{got}\nthe source means (central differences)\n{want}")
        assert {b.wrt[0] for b in derivation.blocks} == set(params.values()), "a parameter has no gradient"
    return problem


def shape_signature(problem) -> dict:
    """Spelling-independent shapes and roles of a Problem's named symbols (for order independence)."""
    out = {}
    for symbol, role in problem.roles.items():
        if role == "index":
            continue
        out[canonical(name_of(symbol))] = (role, tuple(str(d) for d in problem.shapes.get(symbol, ())))
    return out
