"""Nocedal & Wright, Numerical Optimization, 2nd ed. (Springer, 2006)."""

import numpy as np

from corpus.entry import entry

NW = "Nocedal & Wright, Numerical Optimization, 2nd ed."


def _exponential_residuals(v):
    """r_j(x) = exp(a_j^T x) - b_j and its Jacobian, by hand: J[j, k] = exp(a_j^T x) a_jk."""
    grown = np.exp(v["A"] @ v["x"])
    return grown - v["b"], grown[:, None] * v["A"]


ENTRIES = [
    entry("nw_rosenbrock", f"{NW}, Sec. 2.1 / Exercise 2.1 (the Rosenbrock function)",
          r"f(x) = 100(x_2 - x_1^2)^2 + (1 - x_1)^2",
          "x", "x:2", lambda v: 100 * (v["x"][1] - v["x"][0] ** 2) ** 2 + (1 - v["x"][0]) ** 2,
          variants=[r"f(x) = (1 - x_1)^2 + 100(x_2 - x_1^2)^2", r"f(x) = 100(x_1^2 - x_2)^2 + (x_1 - 1)^2"]),
    entry("nw_rosenbrock_scalars", f"{NW}, Sec. 2.1 (the Rosenbrock function in the scalar unknowns x_1, x_2)",
          r"f(x) = 100(x_2 - x_1^2)^2 + (1 - x_1)^2",
          "x_1, x_2", "x_1: x_2:", lambda v: 100 * (v["x_2"] - v["x_1"] ** 2) ** 2 + (1 - v["x_1"]) ** 2),
    entry("nw_quadratic", f"{NW}, Sec. 5.1 (the convex quadratic minimized by conjugate gradients)",
          r"\phi(x) = \frac{1}{2}x^TAx - b^Tx",
          "x", "A:n,n b:n x:n", lambda v: 0.5 * float(v["x"] @ v["A"] @ v["x"]) - float(v["b"] @ v["x"]),
          sizes={"n": 4}, kinds="A:spd",
          variants=[r"\phi(x) = -b^Tx + \frac{1}{2}x^TAx", r"\phi(x) = \frac{1}{2}x^TAx - x^Tb"]),
    entry("nw_trust_region_model", f"{NW}, Sec. 4.1 (the trust-region quadratic model m_k)",
          r"m_k(p) = f_k + g_k^Tp + \frac{1}{2}p^TB_kp",
          "p", "f_k: g_k:n B_k:n,n p:n",
          lambda v: v["f_k"] + float(v["g_k"] @ v["p"]) + 0.5 * float(v["p"] @ v["B_k"] @ v["p"]),
          sizes={"n": 4}, kinds="B_k:spd"),
    entry("nw_linear_least_squares", f"{NW}, Sec. 10.2 (linear least-squares problems)",
          r"f(x) = \frac{1}{2}\|Jx - y\|^2",
          "x", "J:m,n y:m x:n", lambda v: 0.5 * float(np.sum((v["J"] @ v["x"] - v["y"]) ** 2)), sizes={"m": 7, "n": 3}),
    entry("nw_nonlinear_least_squares", f"{NW}, Sec. 10.1 (nonlinear least squares, with residuals r_j; here"
          " bound to r_j(x) = exp(a_j^T x) - b_j)",
          r"f(x) = \frac{1}{2}\sum_{j=1}^{m}r_j^2(x)",
          "x", "x:n A:m,n b:m", lambda v: 0.5 * float(np.sum((np.exp(v["A"] @ v["x"]) - v["b"]) ** 2)),
          sizes={"m": 5, "n": 3}, kinds="A:small", functions={"r": _exponential_residuals}),
    entry("nw_quadratic_penalty", f"{NW}, Sec. 17.1 (quadratic penalty function of the example min x_1 + x_2"
          " s.t. x_1^2 + x_2^2 - 2 = 0)",
          r"Q(x;\mu) = x_1 + x_2 + \frac{\mu}{2}(x_1^2 + x_2^2 - 2)^2",
          "x", "x:2 mu:",
          lambda v: v["x"][0] + v["x"][1] + v["mu"] / 2 * (v["x"][0] ** 2 + v["x"][1] ** 2 - 2) ** 2),
    entry("nw_augmented_lagrangian", f"{NW}, Sec. 17.3 (augmented Lagrangian of the same example)",
          r"\mathcal{L}_A(x,\lambda;\mu) = x_1 + x_2 - \lambda(x_1^2 + x_2^2 - 2) + \frac{\mu}{2}(x_1^2 + x_2^2 - 2)^2",
          "x", "x:2 lambda: mu:",
          lambda v: v["x"][0] + v["x"][1] - v["lambda"] * (v["x"][0] ** 2 + v["x"][1] ** 2 - 2)
          + v["mu"] / 2 * (v["x"][0] ** 2 + v["x"][1] ** 2 - 2) ** 2),
    entry("nw_equality_example", f"{NW}, Sec. 12.1 (a single equality constraint: min x_1 + x_2 s.t. x_1^2 + x_2^2 - 2 = 0)",
          r"\min x_1 + x_2 \quad \text{s.t.} \quad x_1^2 + x_2^2 - 2 = 0",
          "x_1, x_2", "x_1: x_2:", lambda v: v["x_1"] + v["x_2"],
          constraints=lambda v: [("eq", v["x_1"] ** 2 + v["x_2"] ** 2 - 2)]),
    entry("nw_log_barrier", f"{NW}, Ch. 19 (the logarithmic barrier of the inequalities c_i(x) >= 0, here c(x) = b - Ax"
          " and f(x) = x^T Q x / 2 + q^T x)",
          r"P(x;\mu) = f(x) - \mu\sum_{i=1}^{m}\log c_i(x)",
          "x", "x:n A:m,n b:m Q:n,n q:n mu:",
          lambda v: 0.5 * float(v["x"] @ v["Q"] @ v["x"]) + float(v["q"] @ v["x"])
          - v["mu"] * float(np.sum(np.log(v["b"] - v["A"] @ v["x"]))),
          sizes={"m": 5, "n": 3}, kinds="x:small b:large Q:spd",
          functions={"f": lambda v: (0.5 * float(v["x"] @ v["Q"] @ v["x"]) + float(v["q"] @ v["x"]),
                                     v["Q"] @ v["x"] + v["q"]),
                     "c": lambda v: (v["b"] - v["A"] @ v["x"], -v["A"])}),
    entry("nw_gauss_newton_model", f"{NW}, Sec. 10.3 (the Gauss-Newton model (1/2)||J_k p + r_k||^2)",
          r"\frac{1}{2}\|J_kp + r_k\|^2",
          "p", "J_k:m,n p:n r_k:m", lambda v: 0.5 * float(np.sum((v["J_k"] @ v["p"] + v["r_k"]) ** 2)),
          sizes={"m": 7, "n": 3},
          variants=[r'\frac{1}{2}\|r_k + J_kp\|^2',
                    r'\frac{1}{2}\cdot\|J_k\cdot p + r_k\|^2']),
    entry("nw_merit_function", f"{NW}, Sec. 11.2 (the merit function of the nonlinear equations r(x) = 0; here"
          " bound to r(x) = tanh(Ax) - b)",
          r"f(x) = \frac{1}{2}\|r(x)\|^2",
          "x", "x:n A:m,n b:m", lambda v: 0.5 * float(np.sum((np.tanh(v["A"] @ v["x"]) - v["b"]) ** 2)),
          sizes={"m": 5, "n": 3},
          functions={"r": lambda v: (np.tanh(v["A"] @ v["x"]) - v["b"],
                                     (1 - np.tanh(v["A"] @ v["x"]) ** 2)[:, None] * v["A"])}),
]
