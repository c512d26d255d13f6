"""Lagrangian, KKT conditions and exact solutions of small constrained problems."""

import numpy as np
import pytest
import sympy
from scipy.optimize import linprog, minimize

import symgd

x, y = sympy.symbols("x y", real=True)


def test_equality_constrained_quadratic_and_its_multiplier():
    conditions = symgd.kkt(r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1")
    lam = sympy.Symbol("lambda", real=True)
    assert sympy.simplify(conditions.lagrangian - (x**2 + y**2 + lam * (x + y - 1))) == 0
    assert [sympy.simplify(s.lhs) for s in conditions.stationarity] == [2 * x + lam, 2 * y + lam]
    assert conditions.primal_feasibility == (sympy.Eq(x + y - 1, 0),)
    solution = conditions.solve()
    assert solution.status == "optimal"
    (point,) = solution.points
    assert point.values == {"x": 0.5, "y": 0.5}
    assert point.multipliers == {"lambda": -1.0}   # L = f + λ h: 2x + λ = 0 at x = 1/2
    assert point.global_minimum and point.licq


def test_four_groups_and_convention_in_latex():
    conditions = symgd.kkt(r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1,\; x \ge 0")
    text = conditions.latex
    for part in ("stationarity", "primal feasibility", "dual feasibility", "complementary slackness",
                 r"\mu \ge 0", r"\mathcal{L} = f + \sum_j \lambda_j h_j + \sum_i \mu_i g_i"):
        assert part in text
    mu = sympy.Symbol("mu", real=True)
    assert conditions.dual_feasibility == (sympy.Ge(mu, 0),)
    assert conditions.complementary_slackness == (sympy.Eq(mu * (-x), 0),)


def test_textbook_active_set_example_against_slsqp():
    problem = r"\min_{x,y} (x-2)^2 + (y-1)^2 \quad \text{s.t.} \quad x^2 \le y,\; x + y \le 2"
    solution = symgd.kkt(problem).solve()
    best = solution.minimum
    reference = minimize(lambda v: (v[0] - 2) ** 2 + (v[1] - 1) ** 2, [0.0, 0.0], method="SLSQP",
                         constraints=[{"type": "ineq", "fun": lambda v: v[1] - v[0] ** 2},
                                      {"type": "ineq", "fun": lambda v: 2 - v[0] - v[1]}])
    assert np.allclose([best.values["x"], best.values["y"]], reference.x, atol=1e-5)
    assert best.multipliers["mu_1"] == pytest.approx(2 / 3) and best.multipliers["mu_2"] == pytest.approx(2 / 3)


def test_linear_program_against_linprog():
    c, A, b = [-1.0, -2.0], [[1.0, 1.0], [1.0, 3.0], [2.0, 1.0]], [4.0, 6.0, 7.0]
    conditions = symgd.kkt(r"\min_x c^\top x \quad \text{s.t.} \quad Ax \le b,\; x \ge 0")
    assert [m.shape for m in conditions.multipliers] == [conditions.problem.shapes["A"][:1],
                                                          conditions.problem.shapes["x"]]
    solution = conditions.solve({"c": c, "A": A, "b": b})
    reference = linprog(c, A_ub=A, b_ub=b, bounds=[(0, None)] * 2)
    assert solution.status == "optimal"
    values = solution.minimum.values
    assert np.allclose([values["x_1"], values["x_2"]], reference.x, atol=1e-9)
    assert solution.minimum.objective == pytest.approx(reference.fun)


def test_nonnegative_least_squares_against_nnls():
    from scipy.optimize import nnls
    A = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    b = np.array([-1.0, 2.0, 1.0])
    solution = symgd.kkt(r"\min_x \|Ax - b\|^2 \quad \text{s.t.} \quad x \ge 0").solve({"A": A, "b": b})
    expected, _ = nnls(A, b)
    assert np.allclose([solution.minimum.values["x_1"], solution.minimum.values["x_2"]], expected, atol=1e-9)


def test_infeasible_problem_is_reported():
    solution = symgd.kkt(r"\min_x x^2 \quad \text{s.t.} \quad x \ge 1,\; x \le 0").solve()
    assert solution.status == "infeasible" and solution.points == ()
    assert "infeasible" in solution.message


def test_nonconvex_problem_lists_candidates_without_certifying():
    solution = symgd.kkt(r"\min_{x} -x^2 \quad \text{s.t.} \quad x \le 1,\; x \ge -2").solve()
    assert not solution.convex and solution.status == "kkt points"
    assert solution.minimum is None
    assert min(p.objective for p in solution.points) == pytest.approx(-4.0)


def test_licq_failure_is_flagged():
    # x <= 0 and -x <= 0 both active at 0 with parallel gradients
    solution = symgd.kkt(r"\min_x (x - 1)^2 \quad \text{s.t.} \quad x \le 0,\; x \ge 0").solve()
    (point,) = solution.points
    assert point.values == {"x": 0.0} and not point.licq


def test_multiplier_names_avoid_the_problems_symbols():
    conditions = symgd.kkt(r"\min_x \lambda x^2 \quad \text{s.t.} \quad x = 1,\; x \ge 0")
    names = [str(m.symbol) for m in conditions.multipliers]
    assert names == ["nu", "mu"]


def test_lagrangian_without_constraints_is_an_error():
    with pytest.raises(symgd.UnsupportedError, match="constraints"):
        symgd.lagrangian(r"\min_x x^2")


def test_solve_needs_the_data():
    with pytest.raises(symgd.UnsupportedError, match="sizes|value"):
        symgd.kkt(r"\min_x c^\top x \quad \text{s.t.} \quad x \ge 0").solve()


def test_cli_kkt_solve():
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "symgd", "kkt",
                             r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1", "--solve"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "global minimum: {'x': 0.5, 'y': 0.5}" in result.stdout


def test_strictly_convex_problem_with_a_curved_constraint_against_slsqp():
    # strictly convex: one exact solve, of the active set a numeric solve points to
    source = (r"\min_{x,y,z,u} (x-1)^2 + (y-2)^2 + (z-3)^2 + (u-4)^2 \quad \text{s.t.} \quad "
              r"x + y + z + u \le 5,\; x^2 + y^2 \le 2,\; z \ge 0,\; u \le 3")
    solution = symgd.kkt(source).solve()
    assert solution.status == "optimal" and len(solution.points) == 1
    best = solution.minimum
    v = np.array([best.values[name] for name in ("x", "y", "z", "u")])
    reference = minimize(lambda p: np.sum((p - [1, 2, 3, 4]) ** 2), np.zeros(4), method="SLSQP",
                         constraints=[{"type": "ineq", "fun": lambda p: 5 - p.sum()},
                                      {"type": "ineq", "fun": lambda p: 2 - p[0] ** 2 - p[1] ** 2},
                                      {"type": "ineq", "fun": lambda p: p[2]},
                                      {"type": "ineq", "fun": lambda p: 3 - p[3]}], options={"ftol": 1e-14})
    assert np.allclose(v, reference.x, atol=1e-6)
    mu = best.multipliers   # stationarity by hand: 2(v - c) + mu_1 1 + mu_2 (2x, 2y, 0, 0) - mu_3 e_z + mu_4 e_u = 0
    residual = 2 * (v - [1, 2, 3, 4]) + mu["mu_1"] + mu["mu_2"] * np.array([2 * v[0], 2 * v[1], 0, 0]) \
        + mu["mu_3"] * np.array([0, 0, -1, 0]) + mu["mu_4"] * np.array([0, 0, 0, 1])
    assert np.max(np.abs(residual)) < 1e-9
    assert min(mu.values()) >= 0


def test_sums_with_a_range_that_depends_on_the_outer_index_are_expanded():
    from symgd.kkt import _unroll
    i, j = sympy.symbols("i j", integer=True)
    a = sympy.IndexedBase("a")
    triangular = sympy.Sum(a[i] * a[j], (j, 1, i), (i, 1, 3))
    expected = sum(sympy.Symbol(f"a{p}") * sympy.Symbol(f"a{q}") for p in range(1, 4) for q in range(1, p + 1))
    entries = {a[k]: sympy.Symbol(f"a{k}") for k in range(1, 4)}
    assert sympy.expand(_unroll(triangular).xreplace(entries) - expected) == 0


def test_redundant_equalities_still_give_the_minimum():
    # the third row is the sum of the first two: the multipliers are not unique (LICQ fails), the point is;
    # the exact row reduction found "no kkt point" for this convex problem
    # (integers: KKT.solve takes the data as exact rationals, and a sum of rounded rows is not redundant)
    rng = np.random.default_rng(4)
    rows = rng.integers(-3, 4, size=(2, 4)).astype(float)
    A = np.vstack([rows, rows[0] + rows[1]])
    v, b2 = rng.normal(size=4), rng.integers(-3, 4, size=2).astype(float)
    b = np.append(b2, b2.sum())
    solution = symgd.kkt(r"\min_x \|x - v\|^2 \quad \text{s.t.} \quad Ax = b").solve({"A": A, "b": b, "v": v})
    assert solution.status == "optimal"
    point = solution.minimum
    x_value = np.array([point.values[f"x_{i}"] for i in range(1, 5)])
    projection = v - rows.T @ np.linalg.solve(rows @ rows.T, rows @ v - b2)   # onto the affine set, by hand
    np.testing.assert_allclose(x_value, projection, atol=1e-9)
    np.testing.assert_allclose(2 * (x_value - v) + A.T @ point.multipliers["lambda"], 0, atol=1e-9)
    assert not point.licq


def test_a_redundant_inequality_beside_its_equality_gets_a_nonnegative_multiplier():
    solution = symgd.kkt(r"\min_{x,y} (x-2)^2 + (y-2)^2 \quad \text{s.t.} \quad x + y = 1,\; 2x + 2y = 2,\; "
                         r"x + y \le 1").solve()
    assert solution.status == "optimal"
    point = solution.minimum
    assert point.values == pytest.approx({"x": 0.5, "y": 0.5})
    lam1, lam2, mu = point.multipliers["lambda_1"], point.multipliers["lambda_2"], point.multipliers["mu"]
    assert mu >= 0 and 2 * (0.5 - 2) + lam1 + 2 * lam2 + mu == pytest.approx(0, abs=1e-9)   # stationarity by hand
