"""Bishop, Pattern Recognition and Machine Learning (2006)."""

import numpy as np

from corpus.entry import UNSUPPORTED, entry, logsumexp, sigmoid

PRML = "Bishop, Pattern Recognition and Machine Learning"


def _gp_log_likelihood(v):
    """ln N(t | 0, C_N): -1/2 ln det C_N - 1/2 t^T C_N^{-1} t - N/2 ln 2 pi."""
    return (-0.5 * np.log(np.linalg.det(v["C_N"])) - 0.5 * float(v["t"] @ np.linalg.solve(v["C_N"], v["t"]))
            - v["t"].shape[0] / 2 * np.log(2 * np.pi))


def _cross_entropy(v):
    """PRML (4.90): -sum_n t_n ln y_n + (1 - t_n) ln(1 - y_n), y_n = sigma(w^T phi_n)."""
    y = sigmoid(v["phi"] @ v["w"])
    return -float(np.sum(v["t"] * np.log(y) + (1 - v["t"]) * np.log(1 - y)))


def _poly(v):
    """y(x_n, w) = sum_{j=0}^{M} w_j x_n^j."""
    powers = v["x"][:, None] ** np.arange(v["w"].shape[0])[None, :]
    return powers @ v["w"]


def two_layer_network(v, hidden: int = 2):
    """y(x_n, w) = W_2 tanh(W_1 x_n), w = (vec W_1, vec W_2) row-major, and its Jacobian J[n, k, p] = ∂y_nk/∂w_p
    by hand: ∂y_nk/∂(W_1)_ab = (W_2)_ka (1 - h_na^2) x_nb, ∂y_nk/∂(W_2)_ca = [k = c] h_na."""
    x, w, outputs = v["x"], v["w"], v["t"].shape[1]
    first = w[:hidden * x.shape[1]].reshape(hidden, x.shape[1])
    second = w[hidden * x.shape[1]:].reshape(outputs, hidden)
    h = np.tanh(x @ first.T)
    by_first = np.einsum("ka,na,nb->nkab", second, 1 - h ** 2, x).reshape(len(x), outputs, -1)
    by_second = np.einsum("kc,na->nkca", np.eye(outputs), h).reshape(len(x), outputs, -1)
    return h @ second.T, np.concatenate([by_first, by_second], axis=2)


def _sq(v):
    r = v["t"] - v["phi"] @ v["w"]
    return 0.5 * float(r @ r)


ENTRIES = [
    entry("prml_1_2_polynomial_error", f"{PRML}, Sec. 1.1, eqs. (1.1)-(1.2) (sum-of-squares error of the polynomial)",
          r"E(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}\{y(x_n,\mathbf{w}) - t_n\}^2",
          r"\mathbf{w}", "x:N t:N w:M1", lambda v: 0.5 * float(np.sum((_poly(v) - v["t"]) ** 2)),
          where=r"y(x,\mathbf{w}) = w_0 + w_1x + w_2x^2 + \ldots + w_Mx^M = \sum_{j=0}^{M} w_jx^j",
          sizes={"M1": 4, "M": 3}, kinds="x:small"),
    entry("prml_1_4_regularized_polynomial", f"{PRML}, Sec. 1.1, eq. (1.4) (regularized sum-of-squares error)",
          r"\widetilde{E}(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}\{y(x_n,\mathbf{w}) - t_n\}^2"
          r" + \frac{\lambda}{2}\|\mathbf{w}\|^2",
          r"\mathbf{w}", "x:N t:N w:M1 lambda:",
          lambda v: 0.5 * float(np.sum((_poly(v) - v["t"]) ** 2)) + v["lambda"] / 2 * float(v["w"] @ v["w"]),
          where=r"y(x,\mathbf{w}) = \sum_{j=0}^{M} w_jx^j", sizes={"M1": 4, "M": 3}, kinds="x:small"),
    entry("prml_3_12_basis_function_ls", f"{PRML}, Sec. 3.1.1, eq. (3.12) (sum-of-squares error with basis functions)",
          r"E_D(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}\{t_n - \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}(\mathbf{x}_n)\}^2",
          r"\mathbf{w}", "t:N phi:N,M w:M", _sq),
    entry("prml_3_12_design_vectors", f"{PRML}, Sec. 3.1.1 (eq. (3.12) with phi_n = phi(x_n), the rows of the design matrix)",
          r"E_D(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}\{t_n - \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_n\}^2",
          r"\mathbf{w}", "t:N phi:N,M w:M", _sq),
    entry("prml_3_27_regularized_ls", f"{PRML}, Sec. 3.1.4, eq. (3.27) (regularized least squares, weight decay)",
          r"\frac{1}{2}\sum_{n=1}^{N}\{t_n - \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}(\mathbf{x}_n)\}^2"
          r" + \frac{\lambda}{2}\mathbf{w}^{\mathrm{T}}\mathbf{w}",
          r"\mathbf{w}", "t:N phi:N,M w:M lambda:",
          lambda v: _sq(v) + v["lambda"] / 2 * float(v["w"] @ v["w"])),
    entry("prml_3_29_lq_regularizer", f"{PRML}, Sec. 3.1.4 (general regularizer with exponent q)",
          r"\frac{1}{2}\sum_{n=1}^{N}\{t_n - \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_n\}^2"
          r" + \frac{\lambda}{2}\sum_{j=1}^{M}|w_j|^q",
          r"\mathbf{w}", "t:N phi:N,M w:M lambda: q:",
          lambda v: _sq(v) + v["lambda"] / 2 * float(np.sum(np.abs(v["w"]) ** v["q"]))),
    entry("prml_4_90_cross_entropy", f"{PRML}, Sec. 4.3.2, eq. (4.90) (cross-entropy error of logistic regression,"
          " y_n = sigma(a_n), a_n = w^T phi_n)",
          r"E(\mathbf{w}) = -\sum_{n=1}^{N}\left\{t_n\ln y_n + (1 - t_n)\ln(1 - y_n)\right\}",
          r"\mathbf{w}", "t:N phi:N,M w:M",
          lambda v: -float(np.sum(v["t"] * np.log(sigmoid(v["phi"] @ v["w"]))
                                  + (1 - v["t"]) * np.log(1 - sigmoid(v["phi"] @ v["w"])))),
          where=r"y_n = \sigma(\mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_n)", kinds="t:01"),
    entry("prml_4_90_with_density", f"{PRML}, Sec. 4.3.2, eq. (4.90) (as written, with the likelihood on the left)",
          r"E(\mathbf{w}) = -\ln p(\mathbf{t}|\mathbf{w}) = -\sum_{n=1}^{N}\left\{t_n\ln y_n + (1 - t_n)\ln(1 - y_n)\right\}",
          r"\mathbf{w}", "t:N phi:N,M w:M", _cross_entropy,
          where=r"y_n = \sigma(\mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_n)", kinds="t:01"),
    entry("prml_4_108_multiclass_ce", f"{PRML}, Sec. 4.3.4, eq. (4.108) (multiclass cross-entropy, softmax y_nk)",
          r"E(\mathbf{w}_1,\ldots,\mathbf{w}_K) = -\sum_{n=1}^{N}\sum_{k=1}^{K}t_{nk}\ln y_{nk}",
          r"\mathbf{W}", "t:N,K phi:N,M W:K,M",
          lambda v: -float(np.sum(v["t"] * (v["phi"] @ v["W"].T - logsumexp(v["phi"] @ v["W"].T, axis=1)[:, None]))),
          where=r"y_{nk} = \frac{\exp(\mathbf{w}_k^{\mathrm{T}}\boldsymbol{\phi}_n)}{\sum_j\exp(\mathbf{w}_j^{\mathrm{T}}\boldsymbol{\phi}_n)}",
          kinds="t:onehot"),
    entry("prml_4_perceptron", f"{PRML}, Sec. 4.1.7, eq. (4.54)-(4.55) (perceptron criterion over the misclassified set"
          " M, given as its 0/1 mask; the gradient at fixed M is Bishop's (4.55))",
          r"E_{\mathrm{P}}(\mathbf{w}) = -\sum_{n\in\mathcal{M}}\mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_nt_n",
          r"\mathbf{w}", "phi:N,d t:N w:d M:N",
          lambda v: -float(np.sum(v["M"] * (v["phi"] @ v["w"]) * v["t"])), kinds="t:pm1 M:01"),
    entry("prml_4_perceptron_misclassified", f"{PRML}, Sec. 4.1.7 (the perceptron criterion with M, 'the set of all"
          " misclassified patterns', written as the set of n with w^T phi_n t_n < 0 (4.54))",
          r"E_{\mathrm{P}}(\mathbf{w}) = -\sum_{n\in\mathcal{M}}\mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_nt_n",
          r"\mathbf{w}", "phi:N,M t:N w:M",
          lambda v: -float(np.sum(np.where((_a := (v["phi"] @ v["w"]) * v["t"]) < 0, _a, 0.0))),
          where=r"\mathcal{M} = \{n : \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_nt_n < 0\}", kinds="t:pm1"),
    entry("prml_4_fisher", f"{PRML}, Sec. 4.1.4 (Fisher criterion)",
          r"J(\mathbf{w}) = \frac{\mathbf{w}^{\mathrm{T}}\mathbf{S}_{\mathrm{B}}\mathbf{w}}{\mathbf{w}^{\mathrm{T}}\mathbf{S}_{\mathrm{W}}\mathbf{w}}",
          r"\mathbf{w}", "w:D S_B:D,D S_W:D,D",
          lambda v: float(v["w"] @ v["S_B"] @ v["w"]) / float(v["w"] @ v["S_W"] @ v["w"]), kinds="S_B:spd S_W:spd"),
    entry("prml_7_soft_margin", f"{PRML}, Sec. 7.1.1 (soft-margin SVM objective, slack variables xi_n)",
          r"C\sum_{n=1}^{N}\xi_n + \frac{1}{2}\|\mathbf{w}\|^2",
          r"\mathbf{w}, \xi", "w:M xi:N C:",
          lambda v: v["C"] * float(np.sum(v["xi"])) + 0.5 * float(v["w"] @ v["w"])),
    entry("prml_7_hinge_error", f"{PRML}, Sec. 7.1.2 (SVM as regularized hinge error, E_SV(z) = [1 - z]_+)",
          r"\sum_{n=1}^{N}E_{SV}(y_nt_n) + \lambda\|\mathbf{w}\|^2",
          r"\mathbf{w}, b", "phi:N,M t:N w:M b: lambda:",
          lambda v: float(np.sum(np.maximum(0, 1 - (v["phi"] @ v["w"] + v["b"]) * v["t"])))
          + v["lambda"] * float(v["w"] @ v["w"]),
          where=r"E_{SV}(z) = [1 - z]_+, \quad y_n = \mathbf{w}^{\mathrm{T}}\boldsymbol{\phi}_n + b", kinds="t:pm1"),
    entry("prml_2_gaussian_loglik", f"{PRML}, Sec. 2.3.4 (log likelihood of a multivariate Gaussian)",
          r"-\frac{ND}{2}\ln(2\pi) - \frac{N}{2}\ln|\boldsymbol{\Sigma}| - \frac{1}{2}\sum_{n=1}^{N}"
          r"(\mathbf{x}_n - \boldsymbol{\mu})^{\mathrm{T}}\boldsymbol{\Sigma}^{-1}(\mathbf{x}_n - \boldsymbol{\mu})",
          r"\boldsymbol{\mu}", "x:N,D mu:D Sigma:D,D",
          lambda v: -v["x"].shape[0] * v["x"].shape[1] / 2 * np.log(2 * np.pi)
          - v["x"].shape[0] / 2 * np.log(np.linalg.det(v["Sigma"]))
          - 0.5 * float(np.sum((v["x"] - v["mu"]) @ np.linalg.inv(v["Sigma"]) * (v["x"] - v["mu"]))),
          kinds="Sigma:spd"),
    entry("prml_2_gaussian_loglik_sigma", f"{PRML}, Sec. 2.3.4 (the same log likelihood, differentiated in Sigma)",
          r"-\frac{ND}{2}\ln(2\pi) - \frac{N}{2}\ln|\boldsymbol{\Sigma}| - \frac{1}{2}\sum_{n=1}^{N}"
          r"(\mathbf{x}_n - \boldsymbol{\mu})^{\mathrm{T}}\boldsymbol{\Sigma}^{-1}(\mathbf{x}_n - \boldsymbol{\mu})",
          r"\boldsymbol{\Sigma}", "x:N,D mu:D Sigma:D,D",
          lambda v: -v["x"].shape[0] * v["x"].shape[1] / 2 * np.log(2 * np.pi)
          - v["x"].shape[0] / 2 * np.log(np.linalg.det(v["Sigma"]))
          - 0.5 * float(np.sum((v["x"] - v["mu"]) @ np.linalg.inv(v["Sigma"]) * (v["x"] - v["mu"]))),
          kinds="Sigma:spd"),
    entry("prml_9_gmm_loglik", f"{PRML}, Sec. 9.2 (log likelihood of a Gaussian mixture)",
          r"\ln p(\mathbf{X}|\boldsymbol{\pi},\boldsymbol{\mu},\boldsymbol{\Sigma}) = \sum_{n=1}^{N}\ln\left\{\sum_{k=1}^{K}"
          r"\pi_k\mathcal{N}(\mathbf{x}_n|\boldsymbol{\mu}_k,\boldsymbol{\Sigma}_k)\right\}",
          r"\boldsymbol{\mu}", "x:N,D mu:K,D", None, status=UNSUPPORTED, construct=r"\\mathcal\{N\}|Gaussian|densit"),
    entry("prml_9_kmeans_distortion", f"{PRML}, Sec. 9.1 (K-means distortion measure)",
          r"J = \sum_{n=1}^{N}\sum_{k=1}^{K}r_{nk}\|\mathbf{x}_n - \boldsymbol{\mu}_k\|^2",
          r"\boldsymbol{\mu}", "r:N,K x:N,D mu:K,D",
          lambda v: float(np.sum(v["r"] * ((v["x"][:, None, :] - v["mu"][None, :, :]) ** 2).sum(-1))),
          kinds="r:onehot"),
    entry("prml_9_kmeans_declared", f"{PRML}, Sec. 9.1 (K-means distortion; the text states x_n is D-dimensional)",
          r"J = \sum_{n=1}^{N}\sum_{k=1}^{K}r_{nk}\|\mathbf{x}_n - \boldsymbol{\mu}_k\|^2",
          r"\boldsymbol{\mu}", "r:N,K x:N,D mu:K,D",
          lambda v: float(np.sum(v["r"] * ((v["x"][:, None, :] - v["mu"][None, :, :]) ** 2).sum(-1))),
          where=r"\mathbf{x}_n \in \mathbb{R}^{D}", kinds="r:onehot"),
    entry("prml_6_kernel_ridge_dual", f"{PRML}, Sec. 6.1 (dual representation of regularized least squares)",
          r"J(\mathbf{a}) = \frac{1}{2}\mathbf{a}^{\mathrm{T}}\mathbf{K}\mathbf{K}\mathbf{a} - \mathbf{a}^{\mathrm{T}}\mathbf{K}\mathbf{t}"
          r" + \frac{1}{2}\mathbf{t}^{\mathrm{T}}\mathbf{t} + \frac{\lambda}{2}\mathbf{a}^{\mathrm{T}}\mathbf{K}\mathbf{a}",
          r"\mathbf{a}", "a:N K:N,N t:N lambda:",
          lambda v: 0.5 * float(v["a"] @ v["K"] @ v["K"] @ v["a"]) - float(v["a"] @ v["K"] @ v["t"])
          + 0.5 * float(v["t"] @ v["t"]) + v["lambda"] / 2 * float(v["a"] @ v["K"] @ v["a"]),
          kinds="K:spd",
          variants=[r'J(\mathbf{a}) = \frac{\lambda}{2}\mathbf{a}^{\mathrm{T}}\mathbf{K}\mathbf{a} + \frac{1}{2}\mathbf{t}^{\mathrm{T}}\mathbf{t} - \mathbf{t}^{\mathrm{T}}\mathbf{K}\mathbf{a} + \frac{1}{2}\mathbf{a}^{\mathrm{T}}\mathbf{K}\mathbf{K}\mathbf{a}']),
    entry("prml_6_gp_marginal", f"{PRML}, Sec. 6.4.3 (log likelihood of GP hyperparameters, C_N the Gram matrix)",
          r"\ln p(\mathbf{t}|\boldsymbol{\theta}) = -\frac{1}{2}\ln|\mathbf{C}_N| - \frac{1}{2}\mathbf{t}^{\mathrm{T}}"
          r"\mathbf{C}_N^{-1}\mathbf{t} - \frac{N}{2}\ln(2\pi)",
          r"\mathbf{C}_N", "t:N C_N:N,N", _gp_log_likelihood, kinds="C_N:spd"),
    entry("prml_6_gp_marginal_rhs", f"{PRML}, Sec. 6.4.3 (the right-hand side of the GP log likelihood)",
          r"-\frac{1}{2}\ln|\mathbf{C}_N| - \frac{1}{2}\mathbf{t}^{\mathrm{T}}\mathbf{C}_N^{-1}\mathbf{t} - \frac{N}{2}\ln(2\pi)",
          r"\mathbf{C}_N", "t:N C_N:N,N",
          _gp_log_likelihood, kinds="C_N:spd"),
    entry("prml_6_gaussian_kernel", f"{PRML}, Sec. 6.2 (the Gaussian kernel, as written: exp(-||x - x'||^2/2 sigma^2))",
          r"k(\mathbf{x},\mathbf{x}') = \exp\left(-\|\mathbf{x} - \mathbf{x}'\|^2/2\sigma^2\right)",
          r"\mathbf{x}", "x:D x_prime:D sigma:",
          lambda v: float(np.exp(-np.sum((v["x"] - v["x_prime"]) ** 2) / (2 * v["sigma"] ** 2))), kinds="x:small x_prime:small"),
    entry("prml_5_nn_regression_error", f"{PRML}, Sec. 5.2, Eq. 5.11 (sum-of-squares error of a network with outputs"
          " y(x_n, w); here bound to a two-layer tanh network, w its weights flattened)",
          r"E(\mathbf{w}) = \frac{1}{2}\sum_{n=1}^{N}\|\mathbf{y}(\mathbf{x}_n,\mathbf{w}) - \mathbf{t}_n\|^2",
          r"\mathbf{w}", "x:N,D w:P t:N,K",
          lambda v: 0.5 * float(np.sum((two_layer_network(v)[0] - v["t"]) ** 2)),
          sizes={"P": 2 * 3 + 4 * 2}, kinds="w:small", functions={"y": two_layer_network}),
]
