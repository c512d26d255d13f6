"""Ng (and Ma), CS229 Lecture Notes, Stanford University (Part I-V)."""

import numpy as np

from corpus.entry import entry, logsumexp, sigmoid

CS = "Ng, CS229 Lecture Notes (Stanford)"


ENTRIES = [
    entry("cs229_lms_cost", f"{CS}, Part I, Sec. 1 (least mean squares: the cost function J, h_theta(x) = theta^T x)",
          r"J(\theta) = \frac{1}{2}\sum_{i=1}^{m}(h_\theta(x^{(i)}) - y^{(i)})^2",
          r"\theta", "x:m,d y:m theta:d", lambda v: 0.5 * float(np.sum((v["x"] @ v["theta"] - v["y"]) ** 2)),
          where=r"h_\theta(x) = \theta^Tx"),
    entry("cs229_lms_cost_inline", f"{CS}, Part I, Sec. 1 (the cost with theta^T x^(i) written out)",
          r"J(\theta) = \frac{1}{2}\sum_{i=1}^{m}(\theta^Tx^{(i)} - y^{(i)})^2",
          r"\theta", "x:m,d y:m theta:d", lambda v: 0.5 * float(np.sum((v["x"] @ v["theta"] - v["y"]) ** 2)),
          variants=[r"J(\theta) = \frac{1}{2}\sum_{i=1}^{m}(y^{(i)} - \theta^Tx^{(i)})^2",
                    r"J(\theta) = \frac{1}{2}\sum_{i=1}^{m}(-y^{(i)} + (x^{(i)})^T\theta)^2"]),
    entry("cs229_normal_equations", f"{CS}, Part I, Sec. 2.2 (J in matrix form, with the vector y written \\vec{{y}})",
          r"J(\theta) = \frac{1}{2}(X\theta - \vec{y})^T(X\theta - \vec{y})",
          r"\theta", "X:m,d y:m theta:d", lambda v: 0.5 * float(np.sum((v["X"] @ v["theta"] - v["y"]) ** 2))),
    entry("cs229_lwr", f"{CS}, Part I, Sec. 4 (locally weighted linear regression objective)",
          r"\sum_i w^{(i)}(y^{(i)} - \theta^Tx^{(i)})^2",
          r"\theta", "w:m x:m,d y:m theta:d",
          lambda v: float(np.sum(v["w"] * (v["y"] - v["x"] @ v["theta"]) ** 2)), kinds="w:positive"),
    entry("cs229_logistic_loglik", f"{CS}, Part II, Sec. 5 (log likelihood of logistic regression, h(x) = g(theta^T x))",
          r"\ell(\theta) = \sum_{i=1}^{m}y^{(i)}\log h(x^{(i)}) + (1 - y^{(i)})\log(1 - h(x^{(i)}))",
          r"\theta", "x:m,d y:m theta:d",
          lambda v: float(np.sum(v["y"] * np.log(sigmoid(v["x"] @ v["theta"]))
                                 + (1 - v["y"]) * np.log(1 - sigmoid(v["x"] @ v["theta"])))),
          where=r"h_\theta(x) = g(\theta^Tx) = \frac{1}{1 + e^{-\theta^Tx}}", kinds="y:01"),
    entry("cs229_softmax_loglik", f"{CS}, Part III, Sec. 9.3 (softmax regression log likelihood with the indicator 1{{.}})",
          r"\ell(\theta) = \sum_{i=1}^{m}\log\prod_{l=1}^{k}\left(\frac{e^{\theta_l^Tx^{(i)}}}{\sum_{j=1}^{k}e^{\theta_j^Tx^{(i)}}}"
          r"\right)^{1\{y^{(i)} = l\}}",
          r"\theta", "x:m,d y:m theta:k,d",
          lambda v: float(np.sum(np.eye(4)[v["y"].astype(int) - 1] * (v["x"] @ v["theta"].T - logsumexp(v["x"] @ v["theta"].T, axis=1)[:, None]))),
          sizes={"k": 4}, kinds="y:label4"),
    entry("cs229_svm_primal", f"{CS}, Part V, Sec. 8 (l1-regularized soft-margin SVM, primal)",
          r"\min_{\gamma,w,b}\frac{1}{2}\|w\|^2 + C\sum_{i=1}^{m}\xi_i \quad \text{s.t.} \quad"
          r" y^{(i)}(w^Tx^{(i)} + b) \geq 1 - \xi_i,\; \xi_i \geq 0",
          r"w, b, \xi", "w:d b: xi:m C: x:m,d y:m",
          lambda v: 0.5 * float(v["w"] @ v["w"]) + v["C"] * float(np.sum(v["xi"])), kinds="y:pm1",
          constraints=lambda v: [("le", 1 - v["xi"] - v["y"] * (v["x"] @ v["w"] + v["b"])), ("le", -v["xi"])]),
    entry("cs229_svm_dual", f"{CS}, Part V, Sec. 8 (the SVM dual objective W(alpha), maximized)",
          r"\max_\alpha W(\alpha) = \sum_{i=1}^{m}\alpha_i - \frac{1}{2}\sum_{i,j=1}^{m}y^{(i)}y^{(j)}\alpha_i\alpha_j"
          r"\langle x^{(i)},x^{(j)}\rangle",
          r"\alpha", "alpha:m y:m x:m,d",
          lambda v: float(np.sum(v["alpha"])) - 0.5 * float((v["alpha"] * v["y"]) @ (v["x"] @ v["x"].T) @ (v["alpha"] * v["y"])),
          kinds="y:pm1"),
    entry("cs229_kmeans_distortion", f"{CS}, k-means notes (the distortion function J(c, mu); x^{{(i)}} in R^n as the notes state)",
          r"J(c,\mu) = \sum_{i=1}^{m}\|x^{(i)} - \mu_{c^{(i)}}\|^2",
          r"\mu", "x:m,d mu:k,d c:m",
          lambda v: float(np.sum((v["x"] - v["mu"][v["c"]]) ** 2)), kinds="c:labels:k",
          where=r"x^{(i)} \in \mathbb{R}^d"),
    entry("cs229_pca_projection", f"{CS}, PCA notes (variance of the projections onto a unit vector u)",
          r"\frac{1}{m}\sum_{i=1}^{m}(x^{(i)^T}u)^2",
          "u", "x:m,d u:d", lambda v: float(np.mean((v["x"] @ v["u"]) ** 2))),
    entry("cs229_gaussian_discriminant", f"{CS}, Part IV, Sec. 1.2 (GDA: the log of the class-conditional Gaussian, in mu_0)",
          r"-\frac{1}{2}\sum_{i=1}^{m}(x^{(i)} - \mu_0)^T\Sigma^{-1}(x^{(i)} - \mu_0)",
          r"\mu_0", "x:m,d mu_0:d Sigma:d,d",
          lambda v: -0.5 * float(np.sum((v["x"] - v["mu_0"]) @ np.linalg.inv(v["Sigma"]) * (v["x"] - v["mu_0"]))),
          kinds="Sigma:spd"),
]
