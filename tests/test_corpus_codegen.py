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
from corpus.harness import _params_match, _values_key, bind, central_differences, name_of, parse, random_values

CODEGEN_REFUSED = {   # entry id -> what the UnsupportedError names
    "esl_fused_lasso": "fixed index",
    "prml_1_2_polynomial_error": "index j used as a value",
    "prml_1_4_regularized_polynomial": "index j used as a value",
    "bv_logistic_ml": "up to q",
    "bv_tv_reconstruction": "fixed index",
    "bv_quadratic_smoothing": "fixed index",
    "bv_smoothing_plain": "fixed index",
    "bv_geometric_mean": "Product",
    "nw_rosenbrock": "fixed index",
    "nw_quadratic_penalty": "fixed index",
    "nw_augmented_lagrangian": "fixed index",
    "cs229_softmax_loglik": "Product",
    "paper_kruskal_stress": "a sum from",
    "paper_factorization_machine": "a sum from",
    "paper_condat_tv1d": "fixed index",
    "paper_chambolle_tv": "fixed index",
    "paper_kalman_smoother": "a sum from",
    "text_prml_product_likelihood": "Product",
}
CASES = [item for item in ENTRIES if item.status == SUPPORTED]


def _arguments(problem, item, values) -> dict:
    env = bind(problem, item, values)
    return {problem.argnames[s]: env[name_of(s)] for s in (*problem.params, *problem.data, *problem.constants)}


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
