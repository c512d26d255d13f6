"""The generated module of every supported corpus entry, against the entry's hand-written NumPy reference.

The corpus tests check symgd's index form; the code an engineer pastes comes from the tensor IR, its
passes and the NumPy printer, which the index form does not exercise (a named 1/z² printed again as
``1 / z ** 2`` read z after an in-place update had overwritten it: a wrong generated gradient with a
right index form). Here ``loss`` and ``grad`` of each entry's generated module are compared with the
reference and its central differences at a random point (dimensions distinct, values by name). Entries
whose code generation is refused are listed with the construct the refusal names; the test fails
when one of them starts to generate code, or another entry stops.
"""

import warnings

import numpy as np
import pytest

import symgd
from corpus import ENTRIES
from corpus.entry import SUPPORTED
from corpus.harness import (_params_match, _values_key, bind, central_differences, name_of, parse, random_values,
                            supplied_callables)

CODEGEN_REFUSED = {   # entry id -> what the UnsupportedError names
    "bv_logistic_ml": "up to q",
    "paper_cumulative_logit": "up to c",   # y_{ic}: the last class, a fixed index at the axis' end
    "paper_sammon": "triangular range",   # d*_ii = 0 outside i < j: masked, 0 * inf would be NaN
}
CASES = [item for item in ENTRIES if item.status == SUPPORTED]


def _arguments(problem, item, values) -> dict:
    env = bind(problem, item, values)
    return {**{problem.argnames[s]: env[name_of(s)] for s in (*problem.params, *problem.data, *problem.constants)},
            **supplied_callables(problem, item, values)}   # r_j(x) the user supplies: a callable of the parameters


@pytest.mark.parametrize("item", CASES, ids=[item.id for item in CASES])
def test_generated_loss_and_gradient_match_the_reference(item):
    problem = parse(item)
    if problem.labels or problem.constraints:
        pytest.skip("integer labels and constraints: tests/test_class_labels.py, tests/test_constrained_solvers.py")
    if item.id in CODEGEN_REFUSED:
        with pytest.raises(symgd.UnsupportedError, match=CODEGEN_REFUSED[item.id]):
            symgd.codegen(problem)
        return
    module = symgd.codegen(problem).load()
    params = _params_match(problem, item)
    values = random_values(item, 0)
    kwargs = _arguments(problem, item, values)
    sign = -1.0 if problem.sense == "max" else 1.0   # a maximisation is generated as the minimisation of -f
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no overflow or invalid value on the way
        loss = module.loss(**kwargs)
        grads = module.grad(**kwargs)
        both = module.value_and_grad(**kwargs)
    assert np.isclose(loss, sign * float(item.reference(values)), rtol=1e-8, atol=1e-10)
    assert np.isclose(both[0], loss, rtol=1e-12, atol=1e-12), "value_and_grad's value"
    grads = grads if len(problem.params) > 1 else (grads,)
    shared = both[1] if len(problem.params) > 1 else (both[1],)
    for param, got, also in zip(problem.params, grads, shared):
        assert np.allclose(also, got, rtol=1e-10, atol=1e-12), "value_and_grad's gradient"
        name = next(n for n, p in params.items() if p == param)
        want = sign * central_differences(item.reference, values, _values_key(item, name, values))
        assert np.shape(got) == np.shape(want), f"grad {name}: shape {np.shape(got)}, the parameter's {np.shape(want)}"
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6), f"grad {name}:\n{got}\nexpected\n{want}"


HESSIAN_REFUSED = {   # entry id -> what the UnsupportedError names (second derivatives symgd does not give)
    "bv_chebyshev_approximation": "max-norm",
    "paper_soft_impute": "nuclear norm",
    # functions of the parameter the source leaves abstract: the module takes their value and Jacobian only
    "nw_nonlinear_least_squares": "second derivatives",
    "nw_log_barrier": "second derivatives",
    "prml_5_nn_regression_error": "second derivatives",
    "text_sls_matrix_completion": "nuclear norm",
    "nw_merit_function": "second derivatives",
}


def _flat(blocks, sizes) -> np.ndarray:
    """The Hessian's blocks [i][j] as one square matrix over the flattened parameters."""
    if len(sizes) == 1:
        return np.reshape(blocks, (sizes[0], sizes[0]))
    return np.vstack([np.hstack([np.reshape(blocks[i][j], (sizes[i], sizes[j])) for j in range(len(sizes))])
                      for i in range(len(sizes))])


@pytest.mark.parametrize("item", CASES, ids=[item.id for item in CASES])
def test_generated_hessian_matches_central_differences_of_the_generated_gradient(item):
    """The gradient is checked against the reference above; here the Hessian against its central
    differences (an in-place update that spoils a value read later shows in either)."""
    problem = parse(item)
    if problem.labels or problem.constraints or item.id in CODEGEN_REFUSED:
        pytest.skip("no generated module here (see the test above)")
    if item.id in HESSIAN_REFUSED:
        with pytest.raises(symgd.UnsupportedError, match=HESSIAN_REFUSED[item.id]):
            symgd.codegen(problem, hessian=True)
        return
    module = symgd.codegen(problem, hessian=True).load()
    kwargs = _arguments(problem, item, random_values(item, 0))
    names = [problem.argnames[p] for p in problem.params]
    shapes = [np.shape(kwargs[name]) for name in names]
    sizes = [int(np.prod(shape)) for shape in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hessian = _flat(module.hess(**kwargs), sizes)

    def gradient(flat):
        point, start = dict(kwargs), 0
        for name, shape, size in zip(names, shapes, sizes):
            point[name] = flat[start:start + size].reshape(shape) if shape else float(flat[start])
            start += size
        grads = module.grad(**point)
        return np.concatenate([np.ravel(g) for g in (grads if len(names) > 1 else (grads,))])

    at = np.concatenate([np.ravel(kwargs[name]) for name in names]).astype(float)
    symmetric = {problem.argnames[p] for p in problem.symmetric}
    for direction in _directions(names, shapes, sizes, symmetric):
        step = 1e-6 * max(1.0, float(np.max(np.abs(at[direction != 0]))))
        slope = (gradient(at + step * direction) - gradient(at - step * direction)) / (2 * step)
        assert np.allclose(hessian @ direction, slope, rtol=1e-4, atol=1e-5)


def _directions(names, shapes, sizes, symmetric) -> list:
    """Unit directions over the flattened parameters; a declared symmetric matrix moves symmetrically
    (E_pq + E_qp): its gradient is symmetrised and may read one triangle, so an entry alone leaves its domain."""
    total, start, out = sum(sizes), 0, []
    for name, shape, size in zip(names, shapes, sizes):
        for k in range(size):
            direction = np.zeros(total)
            direction[start + k] = 1.0
            if name in symmetric:
                row, col = divmod(k, shape[1])
                if row > col:
                    continue
                direction[start + col * shape[1] + row] = 1.0
            out.append(direction)
        start += size
    return out
