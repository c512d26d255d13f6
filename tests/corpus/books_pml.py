"""Murphy, Probabilistic Machine Learning: An Introduction (MIT Press, 2022)."""

import numpy as np

from corpus.entry import entry, logsumexp, sigmoid

PML = "Murphy, Probabilistic Machine Learning: An Introduction (2022)"


def _resid(v):
    return v["y"] - v["X"] @ v["w"]


ENTRIES = [
    entry("pml_rss_sum", f"{PML}, Sec. 11.2.2 (least squares: the residual sum of squares)",
          r"\mathrm{RSS}(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}(y_n - \mathbf{w}^\mathsf{T}\mathbf{x}_n)^2",
          r"\mathbf{w}", "y:N x:N,D w:D",
          lambda v: 0.5 * float(np.sum((v["y"] - v["x"] @ v["w"]) ** 2)),
          variants=[r"\mathrm{RSS}(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}(\mathbf{w}^\mathsf{T}\mathbf{x}_n - y_n)^2",
                    r"\mathrm{RSS}(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}(\mathbf{x}_n^\mathsf{T}\mathbf{w} - y_n)^2",
                    r"\mathrm{RSS}(\mathbf{w}) = \sum_{n=1}^{N}(y_n - \mathbf{w}^\mathsf{T}\mathbf{x}_n)^2\frac{1}{2}"]),
    entry("pml_rss_matrix", f"{PML}, Sec. 11.2.2 (RSS in matrix form)",
          r"\mathrm{RSS}(\mathbf{w}) = \frac{1}{2}\|\mathbf{X}\mathbf{w} - \mathbf{y}\|_2^2",
          r"\mathbf{w}", "X:N,D y:N w:D", lambda v: 0.5 * float(_resid(v) @ _resid(v)),
          variants=[r"\mathrm{RSS}(\mathbf{w}) = \frac{1}{2}\|\mathbf{y} - \mathbf{X}\mathbf{w}\|_2^2",
                    r"\mathrm{RSS}(\mathbf{w}) = \frac{1}{2}\|-\mathbf{y} + \mathbf{X}\mathbf{w}\|_2^2",
                    r"\mathrm{RSS}(\mathbf{w}) = \frac{1}{2}\|-(\mathbf{y} - \mathbf{X}\mathbf{w})\|_2^2"]),
    entry("pml_ridge", f"{PML}, Sec. 11.3 (ridge regression objective)",
          r"J(\mathbf{w}) = (\mathbf{y} - \mathbf{X}\mathbf{w})^\mathsf{T}(\mathbf{y} - \mathbf{X}\mathbf{w}) + \lambda\|\mathbf{w}\|_2^2",
          r"\mathbf{w}", "X:N,D y:N w:D lambda:",
          lambda v: float(_resid(v) @ _resid(v)) + v["lambda"] * float(v["w"] @ v["w"])),
    entry("pml_lasso", f"{PML}, Sec. 11.4 (lasso: penalized NLL with an l1 penalty)",
          r"\mathrm{PNLL}(\mathbf{w}) = \|\mathbf{X}\mathbf{w} - \mathbf{y}\|_2^2 + \lambda\|\mathbf{w}\|_1",
          r"\mathbf{w}", "X:N,D y:N w:D lambda:",
          lambda v: float(_resid(v) @ _resid(v)) + v["lambda"] * float(np.abs(v["w"]).sum()),
          variants=[r"\mathrm{PNLL}(\mathbf{w}) = \lambda\|\mathbf{w}\|_1 + \|\mathbf{X}\mathbf{w} - \mathbf{y}\|_2^2",
                    r"\mathrm{PNLL}(\mathbf{w}) = \|\mathbf{y} - \mathbf{X}\mathbf{w}\|_2^2 + \lambda\|\mathbf{w}\|_1"]),
    entry("pml_elastic_net", f"{PML}, Sec. 11.4 (elastic net)",
          r"\mathcal{L}(\mathbf{w},\lambda_1,\lambda_2) = \|\mathbf{y} - \mathbf{X}\mathbf{w}\|^2 + \lambda_2\|\mathbf{w}\|_2^2"
          r" + \lambda_1\|\mathbf{w}\|_1",
          r"\mathbf{w}", "X:N,D y:N w:D lambda_1: lambda_2:",
          lambda v: float(_resid(v) @ _resid(v)) + v["lambda_2"] * float(v["w"] @ v["w"])
          + v["lambda_1"] * float(np.abs(v["w"]).sum())),
    entry("pml_logreg_nll", f"{PML}, Sec. 10.2 (NLL of binary logistic regression, mu_n = sigma(a_n), a_n = w^T x_n)",
          r"\mathrm{NLL}(\mathbf{w}) = -\frac{1}{N}\sum_{n=1}^{N}\left[y_n\log\mu_n + (1 - y_n)\log(1 - \mu_n)\right]",
          r"\mathbf{w}", "y:N x:N,D w:D",
          lambda v: -float(np.mean(v["y"] * np.log(sigmoid(v["x"] @ v["w"]))
                                   + (1 - v["y"]) * np.log(1 - sigmoid(v["x"] @ v["w"])))),
          where=r"\mu_n = \sigma(a_n), \quad a_n = \mathbf{w}^\mathsf{T}\mathbf{x}_n", kinds="y:01"),
    entry("pml_logreg_pm1", f"{PML}, Sec. 10.2 (NLL with labels in {{-1, +1}})",
          r"\mathrm{NLL}(\mathbf{w}) = \frac{1}{N}\sum_{n=1}^{N}\log(1 + \exp(-\tilde{y}_n a_n))",
          r"\mathbf{w}", "y_tilde:N x:N,D w:D",
          lambda v: float(np.mean(np.log1p(np.exp(-v["y_tilde"] * (v["x"] @ v["w"]))))),
          where=r"a_n = \mathbf{w}^\mathsf{T}\mathbf{x}_n", kinds="y_tilde:pm1"),
    entry("pml_multinomial_logreg", f"{PML}, Sec. 10.3 (NLL of multinomial logistic regression)",
          r"\mathrm{NLL}(\boldsymbol{\theta}) = -\frac{1}{N}\sum_{n=1}^{N}\sum_{c=1}^{C}y_{nc}\log\mu_{nc}",
          r"\mathbf{W}", "y:N,C x:N,D W:C,D",
          lambda v: -float(np.mean(np.sum(v["y"] * (v["x"] @ v["W"].T - logsumexp(v["x"] @ v["W"].T, axis=1)[:, None]), 1))),
          where=r"\boldsymbol{\mu}_n = \mathrm{softmax}(\mathbf{W}\mathbf{x}_n)", sizes={"C": 4}, kinds="y:onehot"),
    entry("pml_gaussian_nll_sigma", f"{PML}, Sec. 11.2.1 (NLL of linear regression with noise variance sigma^2)",
          r"\mathrm{NLL}(\mathbf{w},\sigma^2) = \frac{1}{2\sigma^2}\sum_{n=1}^{N}(y_n - \mathbf{w}^\mathsf{T}\mathbf{x}_n)^2"
          r" + \frac{N}{2}\log(2\pi\sigma^2)",
          r"\mathbf{w}, \sigma", "y:N x:N,D w:D sigma:",
          lambda v: float(np.sum((v["y"] - v["x"] @ v["w"]) ** 2)) / (2 * v["sigma"] ** 2)
          + len(v["y"]) / 2 * np.log(2 * np.pi * v["sigma"] ** 2)),
    entry("pml_huber_regression", f"{PML}, Sec. 11.6 (robust linear regression: Huber loss of the residuals)",
          r"\mathcal{L}(\mathbf{w}) = \sum_{n=1}^{N}\ell_\delta(y_n - \mathbf{w}^\mathsf{T}\mathbf{x}_n)",
          r"\mathbf{w}", "y:N x:N,D w:D delta:",
          lambda v: float(np.sum(np.where(np.abs(_r := v["y"] - v["x"] @ v["w"]) <= v["delta"], _r ** 2 / 2,
                                          v["delta"] * np.abs(_r) - v["delta"] ** 2 / 2))),
          where=r"\ell_\delta(r) = \begin{cases} r^2/2 & \text{if } |r| \le \delta \\ \delta|r| - \delta^2/2 & \text{if } |r| > \delta \end{cases}"),
    entry("pml_poisson_regression", f"{PML}, Sec. 12.4 (Poisson regression NLL, eta_n = w^T x_n, constant log y_n! dropped)",
          r"\mathrm{NLL}(\mathbf{w}) = -\sum_{n=1}^{N}\left[y_n\eta_n - e^{\eta_n}\right]",
          r"\mathbf{w}", "y:N x:N,D w:D",
          lambda v: -float(np.sum(v["y"] * (v["x"] @ v["w"]) - np.exp(v["x"] @ v["w"]))),
          where=r"\eta_n = \mathbf{w}^\mathsf{T}\mathbf{x}_n", kinds="y:count x:small"),
    entry("pml_pca_reconstruction", f"{PML}, Sec. 20.1 (PCA: reconstruction error of X by Z W^T)",
          r"\mathcal{L}(\mathbf{W},\mathbf{Z}) = \frac{1}{N}\|\mathbf{X} - \mathbf{Z}\mathbf{W}^\mathsf{T}\|_F^2",
          r"\mathbf{W}, \mathbf{Z}", "X:N,D W:D,L Z:N,L",
          lambda v: float(np.sum((v["X"] - v["Z"] @ v["W"].T) ** 2)) / v["X"].shape[0], sizes={"L": 2}),
    entry("pml_svm_hinge", f"{PML}, Sec. 17.3 (soft-margin SVM as hinge loss, f(x) = w^T x + w_0)",
          r"\mathcal{L}(\mathbf{w}) = \frac{1}{2}\|\mathbf{w}\|^2 + C\sum_{n=1}^{N}(1 - \tilde{y}_nf(\mathbf{x}_n))_+",
          r"\mathbf{w}, w_0", "y_tilde:N x:N,D w:D w_0: C:",
          lambda v: 0.5 * float(v["w"] @ v["w"])
          + v["C"] * float(np.sum(np.maximum(0, 1 - v["y_tilde"] * (v["x"] @ v["w"] + v["w_0"])))),
          where=r"f(\mathbf{x}) = \mathbf{w}^\mathsf{T}\mathbf{x} + w_0", kinds="y_tilde:pm1"),
    entry("pml_cross_entropy_expectation", f"{PML}, Ch. 6 (cross entropy as an expectation)",
          r"\mathbb{H}(p, q) = -\mathbb{E}_{p}[\log q(Y)]",
          "q", "q:K", None, status="unsupported", construct=r"[Ee]xpectation"),
    entry("pml_ridge_map", f"{PML}, Sec. 11.3 (ridge as MAP estimation, with 1/(2 sigma^2) and 1/(2 tau^2))",
          r"\frac{1}{2\sigma^2}(\mathbf{y} - \mathbf{X}\mathbf{w})^\mathsf{T}(\mathbf{y} - \mathbf{X}\mathbf{w})"
          r" + \frac{1}{2\tau^2}\mathbf{w}^\mathsf{T}\mathbf{w}",
          r"\mathbf{w}", "X:N,D y:N w:D sigma: tau:",
          lambda v: float(_resid(v) @ _resid(v)) / (2 * v["sigma"] ** 2) + float(v["w"] @ v["w"]) / (2 * v["tau"] ** 2),
          variants=[r'\mathbf{w}^\mathsf{T}\mathbf{w}\cdot\frac{1}{2\tau^2} + \frac{1}{2\sigma^2}(\mathbf{X}\mathbf{w} - \mathbf{y})^\mathsf{T}(\mathbf{X}\mathbf{w} - \mathbf{y})']),
]
