"""A letter subscripting the unknown outside any sum: ``0 \\le \\alpha_i \\le C`` (the SVM dual as textbooks
write it) and ``x_i \\ge 0`` hold for every i; they were read as constraints on new constants named
alpha_i and x_i, so the solvers dropped them without a word."""

import numpy as np
import pytest
from scipy.optimize import nnls

import symgd
from symgd.errors import AmbiguityError

SVM_DUAL = (r"\min_\alpha \frac{1}{2}\alpha^\top Q\alpha - \mathbf{1}^\top\alpha \quad \text{s.t.}\quad "
            r"0 \le \alpha_i \le C,\quad y^\top\alpha = 0")


def test_svm_dual_box_on_alpha_i_holds_for_every_i_against_libsvm():
    sklearn_svm = pytest.importorskip("sklearn.svm")
    problem = symgd.parse(SVM_DUAL)
    assert problem.shapes[problem.symbol("C")] == ()   # one bound for all i, not a matrix named C
    assert "alpha_i" not in {str(s) for s in problem.shapes}
    assert any("holds for every i" in reading for reading in problem.readings)
    rng = np.random.default_rng(0)
    n, d, C = 9, 4, 0.7
    X = rng.normal(size=(n, d))
    y = np.where(rng.normal(size=n) > 0, 1.0, -1.0)
    Q = (y[:, None] * X) @ (y[:, None] * X).T
    alpha, info = symgd.codegen(SVM_DUAL).load().fit(np.zeros(n), Q, y, C)
    assert info["status"] == "optimal"
    libsvm = sklearn_svm.SVC(kernel="precomputed", C=C, tol=1e-12).fit(X @ X.T, y)
    reference = np.zeros(n)
    reference[libsvm.support_] = np.abs(libsvm.dual_coef_[0])
    assert np.allclose(alpha, reference, atol=1e-6)
    assert alpha.max() <= C + 1e-9 and alpha.min() >= -1e-9


def test_nonnegativity_written_on_entries_matches_nnls():
    rng = np.random.default_rng(1)
    A, b = rng.normal(size=(30, 8)), rng.normal(size=30)
    x, info = symgd.codegen(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x_i \ge 0").load().fit(np.zeros(8), A, b)
    assert info["status"] == "optimal"
    assert np.allclose(x, nnls(A, b)[0], atol=1e-6)


def test_a_free_index_on_the_unknown_in_the_objective_is_refused():
    with pytest.raises(AmbiguityError, match="bound by no sum"):
        symgd.parse(r"\min_\alpha \|\alpha\|^2 + \alpha_i")


def test_the_dimension_letter_as_a_subscript_is_ambiguous():
    with pytest.raises(AmbiguityError, match="last entry"):
        symgd.parse(r"\min_{x \in \mathbb{R}^n} \|x\|^2 \text{ s.t. } x_n \ge 1")


def test_listed_subscripted_names_stay_names_of_their_own():
    problem = symgd.parse(r"\min_{\beta_0, \beta} \sum_{i=1}^{n} (y_i - \beta_0 - x_i^\top\beta)^2")
    assert {str(p) for p in problem.params} == {"beta_0", "beta"}


@pytest.mark.parametrize("clause", [r",\ i = 1,\dots,m", r", \quad i=1,\ldots,m", r"\quad \forall i"])
def test_range_clauses_after_a_constraint_make_it_hold_for_every_index_against_linprog(clause):
    linprog = pytest.importorskip("scipy.optimize").linprog
    source = r"\min_x c^\top x \quad \text{s.t.}\quad a_i^\top x \le b_i" + clause + r",\quad x \ge 0"
    problem = symgd.parse(source)
    assert [c.shape for c in problem.constraints][0] != ()   # m constraints, not one on data named a_i
    rng = np.random.default_rng(2)
    m, d = 5, 7
    a = rng.uniform(0.5, 2.0, size=(m, d))
    b = rng.uniform(1.0, 3.0, size=m)
    c = -rng.uniform(0.5, 1.5, size=d)
    module = symgd.codegen(source).load()
    x, info = module.fit(np.zeros(d), c, a, b)
    assert info["status"] == "optimal"
    reference = linprog(c, A_ub=a, b_ub=b, bounds=[(0, None)] * d, method="highs")
    assert np.allclose(x, reference.x, atol=1e-5)


def test_a_range_clause_sizes_the_index_and_forall_needs_an_index():
    problem = symgd.parse(r"\min_{x} \|x - c\|^2 \text{ s.t. } x_i \ge 0,\ i = 1,\dots,n,\quad \mathbf{1}^\top x = 1")
    assert any("range clause" in reading for reading in problem.readings)
    with pytest.raises(symgd.SymgdError):
        symgd.parse(r"\min_x \|x\|^2 \text{ s.t. } x \ge 0 \quad \forall")
