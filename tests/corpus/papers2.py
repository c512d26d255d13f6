"""A red-team batch of losses as papers, documentation pages and textbooks write them (not chosen for
symgd): robust losses, segmentation losses, GLM deviances, phase retrieval, ranking, optimal transport,
the loss formulas of the scikit-learn and PyTorch documentation. Each reference is written by hand from
what the source means. Ids start with ``paper_`` for papers, ``doc_`` for library documentation and
``text_`` for textbooks."""

import math

import numpy as np
import scipy.linalg

from corpus.entry import MISREADING, REFUSAL, UNSUPPORTED, entry, logsumexp, sigmoid  # noqa: F401 - for restatus.py

_lgamma = np.vectorize(math.lgamma)


def _focal(v):
    """Lin et al. (2): p_t = p where y = 1, else 1 - p; FL = -(1 - p_t)^gamma log p_t."""
    p_t = v["p"] if v["y"] == 1 else 1 - v["p"]
    return -(1 - p_t) ** v["gamma"] * np.log(p_t)


def _generalized_dice(v):
    """Sudre et al. (2): 1 - 2 sum_l w_l sum_n r p / sum_l w_l sum_n (r + p), w_l = 1 / (sum_n r_ln)^2."""
    r, p = v["r"], v["p"]
    w = 1.0 / r.sum(axis=1) ** 2
    return 1 - 2 * float(w @ (r * p).sum(axis=1)) / float(w @ (r + p).sum(axis=1))


def _tversky(v):
    """Salehi et al. (3): row 0 is the lesion class, row 1 the non-lesion class (0-based, as written)."""
    p, g = v["p"], v["g"]
    tp = float(p[0] @ g[0])
    return tp / (tp + v["alpha"] * float(p[0] @ g[1]) + v["beta"] * float(p[1] @ g[0]))


def _barron(x, alpha, c):
    """Barron (2019), eq. (1)."""
    b = abs(alpha - 2)
    return b / alpha * (((x / c) ** 2 / b + 1) ** (alpha / 2) - 1)


def _cumulative_logit(v):
    """Agresti: sum_i sum_j y_ij log[F(alpha_j + b^T x_i) - F(alpha_{j-1} + b^T x_i)], alpha_0 = -inf, alpha_c = inf."""
    alpha = np.concatenate([[-np.inf], v["alpha"], [np.inf]])
    eta = v["x"] @ v["beta"]
    upper = sigmoid(alpha[None, 1:] + eta[:, None])
    lower = sigmoid(alpha[None, :-1] + eta[:, None])
    return float(np.sum(v["y"] * np.log(upper - lower)))


def _negbin(v):
    """Cameron & Trivedi NB2 log likelihood, mu_i = exp(x_i' beta)."""
    y, a = v["y"], v["alpha"]
    mu = np.exp(v["x"] @ v["beta"])
    inner = _lgamma(y + 1 / a) - _lgamma(1 / a)   # sum_{j=0}^{y_i - 1} ln(j + 1/alpha)
    return float(np.sum(inner - _lgamma(y + 1) - (y + 1 / a) * np.log(1 + a * mu) + y * np.log(a) + y * np.log(mu)))


def _tweedie(v):
    y, yhat, p = v["y"], v["y_hat"], v["p"]
    terms = 2 * (np.maximum(y, 0) ** (2 - p) / ((1 - p) * (2 - p)) - y * yhat ** (1 - p) / (1 - p) + yhat ** (2 - p) / (2 - p))
    return float(np.mean(terms))


def _sklearn_huber(v):
    """scikit-learn HuberRegressor: sum_i (sigma + H_eps((X_i w - y_i) / sigma) sigma) + alpha ||w||^2."""
    z = (v["X"] @ v["w"] - v["y"]) / v["sigma"]
    eps = v["epsilon"]
    h = np.where(np.abs(z) < eps, z ** 2, 2 * eps * np.abs(z) - eps ** 2)
    return float(np.sum(v["sigma"] + h * v["sigma"])) + v["alpha"] * float(v["w"] @ v["w"])


def _smooth_hinge(z):
    return np.where(z >= 1, 0.0, np.where(z > 0, 0.5 * (1 - z) ** 2, 0.5 - z))


def _sinkhorn(v):
    """Cuturi (2013): <P, M> - h(P) / lambda, h(P) = -sum_ij p_ij log p_ij (p_ij the entries of P)."""
    P = v["P"]
    return float(np.sum(P * v["M"])) + float(np.sum(P * np.log(P))) / v["lambda"]


def _xing(v):
    """Xing et al. (2002): sum over the pairs (x_i, x_j) in S (a 0/1 matrix here) of (x_i - x_j)^T A (x_i - x_j)."""
    x, A, S = v["x"], v["A"], v["S"]
    diff = x[:, None, :] - x[None, :, :]
    return float(np.sum(S * np.einsum("ijk,kl,ijl->ij", diff, A, diff)))


def _logistic_mf(v):
    """Johnson (2014) eq. (3): beta_u user biases, beta_i item biases; the whole body inside the sum over (u, i)."""
    s = v["x"] @ v["y"].T + v["beta_u"][:, None] + v["beta_i"][None, :]
    reg = 0.5 * v["lambda"] * (np.sum(v["x"] ** 2, axis=1)[:, None] + np.sum(v["y"] ** 2, axis=1)[None, :])
    return float(np.sum(v["alpha"] * v["r"] * s - (1 + v["alpha"] * v["r"]) * np.log1p(np.exp(s)) - reg))


def _arcface(v):
    """Deng et al. (2019) eq. (3): theta_j is the angle between W_j and x_i, so theta is N x n (one row per sample)."""
    theta, y, s, m = v["theta"], v["y"], v["s"], v["m"]
    rows = np.arange(len(y))
    target = np.exp(s * np.cos(theta[rows, y] + m))
    others = np.exp(s * np.cos(theta))
    others[rows, y] = 0.0
    return -float(np.mean(np.log(target / (target + others.sum(axis=1)))))


def _sammon(v):
    """Sammon (1969): 1 / sum_{i<j} d*_ij * sum_{i<j} (d*_ij - d_ij)^2 / d*_ij, d_ij the distances of the y_i."""
    y, dstar = v["y"], v["d_star"]
    n = y.shape[0]
    iu = np.triu_indices(n, 1)
    d = np.sqrt(np.sum((y[:, None, :] - y[None, :, :]) ** 2, axis=2))[iu]
    ds = dstar[iu]
    return float(np.sum((ds - d) ** 2 / ds) / np.sum(ds))


def _torch_cross_entropy(v):
    """PyTorch CrossEntropyLoss with class weights, reduction 'mean': sum_n l_n / sum_n w_{y_n}."""
    x, y, w = v["x"], v["y"], v["w"]
    rows = np.arange(len(y))
    logp = x[rows, y] - np.array([logsumexp(row) for row in x])
    return float(np.sum(-w[y] * logp) / np.sum(w[y]))


def _bernoulli_nll(labels, scores):
    """-sum_i [t_i log sigma(s_i) + (1 - t_i) log(1 - sigma(s_i))] for 0/1 labels t."""
    return -float(np.sum(labels * np.log(sigmoid(scores)) + (1 - labels) * np.log(1 - sigmoid(scores))))


def _lmnn(v):
    """Weinberger, Blitzer & Saul (2006): pull term plus c times the hinge over impostors l."""
    x, L = v["x"], v["L"]
    z = x @ L.T
    dist = np.sum((z[:, None, :] - z[None, :, :]) ** 2, axis=2)   # ||L(x_i - x_j)||^2
    hinge = np.maximum(0.0, 1 + dist[:, :, None] - dist[:, None, :])   # [1 + d_ij - d_il]_+
    pull = float(np.sum(v["eta"] * dist))
    push = float(np.sum(v["eta"][:, :, None] * (1 - v["y"])[:, None, :] * hinge))
    return pull + v["c"] * push


def _svm_dual_rbf(v):
    a, y, x = v["alpha"], v["y"], v["x"]
    K = np.exp(-np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=2) / (2 * v["sigma"] ** 2))
    return float(a.sum()) - 0.5 * float((a * y) @ K @ (a * y))


ENTRIES = [
    # ---- segmentation and detection losses
    entry("paper_focal_pt_cases", "Lin, Goyal, Girshick, He & Dollar (2017), Focal loss for dense object detection,"
          " Sec. 3, eqs. (2) and (4) (p_t by cases of the label y, then the focal loss of p_t)",
          r"\mathrm{FL}(p_t) = -(1 - p_t)^\gamma\log(p_t)",
          "p", "p: y: gamma:", _focal,
          where=r"p_t = \begin{cases} p & \text{if } y = 1 \\ 1 - p & \text{otherwise.} \end{cases}",
          kinds="p:prob y:01"),
    entry("paper_generalized_dice", "Sudre, Li, Vercauteren, Ourselin & Cardoso (2017), Generalised Dice overlap as a"
          " deep learning loss function, Sec. 2, eq. (2) (the denominator's inner sum printed without parentheses)",
          r"\mathrm{GDL} = 1 - 2\frac{\sum_{l=1}^{2}w_l\sum_n r_{ln}p_{ln}}{\sum_{l=1}^{2}w_l\sum_n r_{ln} + p_{ln}}",
          "p", "r:2,N p:2,N", _generalized_dice,
          where=r"w_l = 1/\left(\sum_{n=1}^{N} r_{ln}\right)^2", kinds="r:prob p:prob"),
    entry("paper_tversky", "Salehi, Erdogmus & Gholipour (2017), Tversky loss function for image segmentation using 3D"
          " fully convolutional deep networks, Sec. 2, eq. (3) (class 0 lesion, class 1 non-lesion)",
          r"T(\alpha,\beta) = \frac{\sum_{i=1}^{N}p_{0i}g_{0i}}{\sum_{i=1}^{N}p_{0i}g_{0i} + \alpha\sum_{i=1}^{N}p_{0i}g_{1i}"
          r" + \beta\sum_{i=1}^{N}p_{1i}g_{0i}}",
          "p", "p:2,N g:2,N alpha: beta:", _tversky, kinds="p:prob g:01"),
    # ---- robust losses
    entry("paper_log_cosh", "Saleh & Saleh (2022), Statistical properties of the log-cosh loss function used in machine"
          " learning, Sec. 1 (the log-cosh loss of the regression residuals)",
          r"\sum_{i=1}^{n}\log(\cosh(y_i - \mathbf{x}_i^T\boldsymbol{\beta}))",
          r"\boldsymbol{\beta}", "y:n x:n,p beta:p",
          lambda v: float(np.sum(np.log(np.cosh(v["y"] - v["x"] @ v["beta"]))))),
    entry("paper_charbonnier", "Sun, Roth & Black (2010), Secrets of optical flow estimation and their principles, Sec. 3"
          " (the generalized Charbonnier penalty rho(x) = (x^2 + eps^2)^a, here on data residuals)",
          r"\sum_{i=1}^{n}\rho(u_i - f_i)",
          "u", "u:n f:n epsilon: a:",
          lambda v: float(np.sum(((v["u"] - v["f"]) ** 2 + v["epsilon"] ** 2) ** v["a"])),
          where=r"\rho(x) = (x^2 + \epsilon^2)^a", kinds="a:prob"),
    entry("paper_geman_mcclure", "Black & Rangarajan (1996), On the unification of line processes, outlier rejection, and"
          " robust statistics, Sec. 3 (the Geman-McClure rho(x, sigma), applied to regression residuals)",
          r"\sum_{i=1}^{n}\rho(y_i - \mathbf{w}^T\mathbf{x}_i, \sigma)",
          r"\mathbf{w}", "y:n x:n,p w:p sigma:",
          lambda v: float(np.sum((v["y"] - v["x"] @ v["w"]) ** 2 / (v["sigma"] + (v["y"] - v["x"] @ v["w"]) ** 2))),
          where=r"\rho(x, \sigma) = \frac{x^2}{\sigma + x^2}"),
    entry("paper_barron_general", "Barron (2019), A general and adaptive robust loss function, Sec. 1, eq. (1) (summed"
          " over residuals x_i, shape alpha and scale c learned too)",
          r"\sum_{i=1}^{n} f(x_i, \alpha, c)",
          r"x, \alpha, c", "x:n alpha: c:", lambda v: float(np.sum(_barron(v["x"], v["alpha"], v["c"]))),
          where=r"f(x,\alpha,c) = \frac{|\alpha - 2|}{\alpha}\left(\left(\frac{(x/c)^2}{|\alpha - 2|} + 1\right)^{\alpha/2} - 1\right)",
          kinds="alpha:prob"),
    entry("paper_barron_cauchy", "Barron (2019), A general and adaptive robust loss function, Sec. 1 (the limit alpha -> 0:"
          " Cauchy / Lorentzian loss)",
          r"\sum_{i=1}^{n}\log\left(\frac{1}{2}(x_i/c)^2 + 1\right)",
          "x", "x:n c:", lambda v: float(np.sum(np.log(0.5 * (v["x"] / v["c"]) ** 2 + 1)))),
    entry("paper_smooth_hinge", "Rennie & Srebro (2005), Loss functions for preference levels: regression with discrete"
          " ordered labels, Sec. 2 (the smooth hinge h(z)), on margins z_i = y_i w^T x_i",
          r"\sum_{i=1}^{n} h(y_i\mathbf{w}^T\mathbf{x}_i)",
          r"\mathbf{w}", "y:n x:n,p w:p", lambda v: float(np.sum(_smooth_hinge(v["y"] * (v["x"] @ v["w"])))),
          where=r"h(z) = \begin{cases} 0 & \text{if } z \geq 1 \\ \frac{1}{2}(1 - z)^2 & \text{if } 0 < z < 1 \\"
                r" \frac{1}{2} - z & \text{if } z \leq 0 \end{cases}",
          kinds="y:pm1 x:small"),
    # ---- phase retrieval
    entry("paper_wirtinger_flow", "Candes, Li & Soltanolkotabi (2015), Phase retrieval via Wirtinger flow, Sec. 1 (the"
          " quartic loss; real data, so a_r^* is a_r^T)",
          r"f(\boldsymbol{z}) = \frac{1}{4m}\sum_{r=1}^{m}\left(y_r - |\boldsymbol{a}_r^*\boldsymbol{z}|^2\right)^2",
          r"\boldsymbol{z}", "y:m a:m,p z:p",
          lambda v: float(np.sum((v["y"] - (v["a"] @ v["z"]) ** 2) ** 2)) / (4 * v["a"].shape[0]), kinds="y:positive",
          variants=(r"f(\boldsymbol{z}) = \frac{1}{4m}\sum_{r=1}^{m}\left(-|\boldsymbol{a}_r^*\boldsymbol{z}|^2 + y_r\right)^2",)),
    entry("paper_amplitude_flow", "Wang, Giannakis & Eldar (2018), Solving systems of random quadratic equations via"
          " truncated amplitude flow, Sec. 2 (amplitude-based least squares)",
          r"\ell(\boldsymbol{z}) = \frac{1}{2m}\sum_{i=1}^{m}\left(\psi_i - |\boldsymbol{a}_i^T\boldsymbol{z}|\right)^2",
          r"\boldsymbol{z}", "psi:m a:m,p z:p",
          lambda v: float(np.sum((v["psi"] - np.abs(v["a"] @ v["z"])) ** 2)) / (2 * v["a"].shape[0]), kinds="psi:positive"),
    # ---- linear algebra and least squares
    entry("text_rayleigh_quotient", "Golub & Van Loan (2013), Matrix Computations, 4th ed., Sec. 8.2 (the Rayleigh quotient"
          " of a symmetric A)",
          r"r(x) = \frac{x^TAx}{x^Tx}",
          "x", "x:n A:n,n", lambda v: float(v["x"] @ v["A"] @ v["x"]) / float(v["x"] @ v["x"]), kinds="A:spd"),
    entry("text_tikhonov_general_form", "Hansen (2010), Discrete Inverse Problems, Sec. 8.1 (Tikhonov regularization in"
          " general form, L a discrete derivative operator)",
          r"\min_x\left\{\|A\,x - b\|_2^2 + \lambda^2\|L\,x\|_2^2\right\}",
          "x", "A:M,p b:M L:q,p x:p lambda:",
          lambda v: float(np.sum((v["A"] @ v["x"] - v["b"]) ** 2)) + v["lambda"] ** 2 * float(np.sum((v["L"] @ v["x"]) ** 2))),
    entry("text_weighted_ls_diag", "Golub & Van Loan (2013), Matrix Computations, 4th ed., Sec. 6.1 (weighted least"
          " squares: min ||D(Ax - b)||_2 with D = diag(d_1, ..., d_m))",
          r"\min_x\|D(Ax - b)\|_2",
          "x", "A:m,p b:m x:p d:m",
          lambda v: float(np.linalg.norm(v["d"] * (v["A"] @ v["x"] - v["b"]))),
          where=r"D = \operatorname{diag}(d_1, \dots, d_m)"),
    entry("paper_hoerl_kennard_primes", "Hoerl & Kennard (1970), Ridge regression: biased estimation for nonorthogonal"
          " problems, Sec. 4 (the function minimised by the ridge estimate; primes are transposes)",
          r"F = (Y - XB)'(Y - XB) + k(B'B - c)",
          "B", "Y:n X:n,p B:p k: c:",
          lambda v: float(np.sum((v["Y"] - v["X"] @ v["B"]) ** 2)) + v["k"] * (float(v["B"] @ v["B"]) - v["c"]),
          variants=(r"F = k(B'B - c) + (Y - XB)'(Y - XB)", r"F = (-XB + Y)'(Y - XB) + k(B'B - c)")),
    entry("text_mds_strain", "Borg & Groenen (2005), Modern Multidimensional Scaling, 2nd ed., Sec. 12.2 (the strain of"
          " classical scaling, X' the transpose)",
          r"L(\mathbf{X}) = \|\mathbf{X}\mathbf{X}' - \mathbf{B}\|^2",
          r"\mathbf{X}", "X:n,k B:n,n", lambda v: float(np.sum((v["X"] @ v["X"].T - v["B"]) ** 2))),
    entry("paper_adaptive_lasso", "Zou (2006), The adaptive lasso and its oracle properties, Sec. 3, eq. (4) (x_j the"
          " columns of the design, w_hat the data-dependent weights)",
          r"\arg\min_{\boldsymbol{\beta}}\left\|\mathbf{y} - \sum_{j=1}^{p}\mathbf{x}_j\beta_j\right\|^2"
          r" + \lambda_n\sum_{j=1}^{p}\hat{w}_j|\beta_j|",
          r"\boldsymbol{\beta}", "y:n x:p,n beta:p lambda_n: w_hat:p",   # the formula has no X: x[j] is the n-vector x_j
          lambda v: float(np.sum((v["y"] - v["x"].T @ v["beta"]) ** 2)) + v["lambda_n"] * float(v["w_hat"] @ np.abs(v["beta"])),
          kinds="w_hat:positive"),
    # ---- GLMs, ordinal models, deviances
    entry("paper_cumulative_logit", "Agresti (2010), Analysis of Ordinal Categorical Data, 2nd ed., Sec. 3.4 (cumulative"
          " logit log likelihood, y_ij indicators, alpha_0 = -inf and alpha_c = inf)",
          r"\sum_{i=1}^{n}\sum_{j=1}^{c}y_{ij}\log\left[\frac{\exp(\alpha_j + \beta^T x_i)}{1 + \exp(\alpha_j + \beta^T x_i)}"
          r" - \frac{\exp(\alpha_{j-1} + \beta^T x_i)}{1 + \exp(\alpha_{j-1} + \beta^T x_i)}\right]",
          r"\alpha, \beta", "y:n,c x:n,p beta:p alpha:c1", _cumulative_logit,
          where=r"\alpha_0 = -\infty, \alpha_c = \infty", sizes={"c": 4, "c1": 3}, kinds="y:onehot x:small alpha:increasing"),
    entry("paper_negbin2", "Cameron & Trivedi (2013), Regression Analysis of Count Data, 2nd ed., Sec. 3.3 (NB2 log"
          " likelihood, mu_i = exp(x_i' beta))",
          r"\ln L(\alpha,\boldsymbol{\beta}) = \sum_{i=1}^{n}\left\{\left(\sum_{j=0}^{y_i - 1}\ln(j + \alpha^{-1})\right)"
          r" - \ln y_i! - (y_i + \alpha^{-1})\ln(1 + \alpha\mu_i) + y_i\ln\alpha + y_i\ln\mu_i\right\}",
          r"\alpha, \boldsymbol{\beta}", "y:n x:n,p beta:p alpha:", _negbin,
          where=r"\mu_i = \exp(\mathbf{x}_i'\boldsymbol{\beta})", kinds="y:count x:small"),
    entry("text_gamma_deviance", "McCullagh & Nelder (1989), Generalized Linear Models, 2nd ed., Sec. 2.3, Table 2.1"
          " (deviance of the gamma distribution)",
          r"2\sum\left\{-\log(y/\hat{\mu}) + (y - \hat{\mu})/\hat{\mu}\right\}",
          r"\hat{\mu}", "y:n mu_hat:n",
          lambda v: 2 * float(np.sum(-np.log(v["y"] / v["mu_hat"]) + (v["y"] - v["mu_hat"]) / v["mu_hat"])),
          kinds="y:positive mu_hat:positive"),
    entry("paper_bradley_terry", "Hunter (2004), MM algorithms for generalized Bradley-Terry models, Sec. 2, eq. (3)"
          " (log likelihood, w_ij the number of times i beats j)",
          r"\ell(\gamma) = \sum_{i=1}^{m}\sum_{j=1}^{m}\left[w_{ij}\ln\gamma_i - w_{ij}\ln(\gamma_i + \gamma_j)\right]",
          r"\gamma", "w:M,M gamma:M",
          lambda v: float(np.sum(v["w"] * np.log(v["gamma"])[:, None] - v["w"] * np.log(v["gamma"][:, None] + v["gamma"][None, :]))),
          kinds="w:count gamma:positive"),
    # ---- scikit-learn and PyTorch documentation
    entry("doc_sklearn_tweedie_deviance", "scikit-learn User Guide, Sec. 3.4.6.9 (mean Tweedie deviance, 0-based sum"
          " over the samples)",
          r"\text{D}(y, \hat{y}) = \frac{1}{n_\text{samples}}\sum_{i=0}^{n_\text{samples} - 1}2\left(\frac{\max(y_i,0)^{2-p}}"
          r"{(1-p)(2-p)} - \frac{y_i\,\hat{y}_i^{1-p}}{1-p} + \frac{\hat{y}_i^{2-p}}{2-p}\right)",
          r"\hat{y}", "y:n y_hat:n p:", _tweedie, kinds="y_hat:positive p:prob"),
    entry("doc_sklearn_mape", "scikit-learn User Guide, Sec. 3.4.6.6 (mean absolute percentage error, as printed)",
          r"\text{MAPE}(y, \hat{y}) = \frac{1}{n_{\text{samples}}}\sum_{i=0}^{n_{\text{samples}}-1}"
          r"\frac{{}\left| y_i - \hat{y}_i \right|}{\max(\epsilon, \left| y_i \right|)}",
          r"\hat{y}", "y:n y_hat:n epsilon:",
          lambda v: float(np.mean(np.abs(v["y"] - v["y_hat"]) / np.maximum(v["epsilon"], np.abs(v["y"])))),
          kinds="epsilon:small"),
    entry("doc_sklearn_logreg_l2", "scikit-learn User Guide (0.2x), Sec. 1.1.11 (L2-penalized logistic regression,"
          " y_i in {-1, 1}, X_i the i-th row of X)",
          r"\min_{w, c} \frac{1}{2}w^T w + C \sum_{i=1}^n \log(\exp(- y_i (X_i^T w + c)) + 1)",
          "w, c", "X:n,p y:n w:p c: C:",
          lambda v: 0.5 * float(v["w"] @ v["w"]) + v["C"] * float(np.sum(np.log(np.exp(-v["y"] * (v["X"] @ v["w"] + v["c"])) + 1))),
          kinds="y:pm1"),
    entry("doc_sklearn_logreg_expit", "scikit-learn User Guide (1.x), Sec. 1.1.11.1 (binary logistic regression with"
          " p_hat(X_i) = expit(X_i w + w_0), y_i in {0, 1})",
          r"\min_{w} \frac{1}{2}\|w\|_2^2 + C \sum_{i=1}^n \left(-y_i \log(\hat{p}(X_i)) - (1 - y_i) \log(1 - \hat{p}(X_i))\right)",
          "w", "X:n,p y:n w:p w_0: C:",
          lambda v: 0.5 * float(v["w"] @ v["w"]) + v["C"] * float(np.sum(
              -v["y"] * np.log(sigmoid(v["X"] @ v["w"] + v["w_0"])) - (1 - v["y"]) * np.log(1 - sigmoid(v["X"] @ v["w"] + v["w_0"])))),
          where=r"\hat{p}(X_i) = \operatorname{expit}(X_i w + w_0)", kinds="y:01",
          variants=(r"\min_{w} C \sum_{i=1}^n \left(-(1 - y_i) \log(1 - \hat{p}(X_i)) - y_i \log(\hat{p}(X_i))\right)"
                    r" + \frac{1}{2}\|w\|_2^2",)),
    entry("doc_sklearn_lasso", "scikit-learn User Guide, Sec. 1.1.3 (the Lasso objective, as printed with || and braces)",
          r"\min_{w} { \frac{1}{2n_{\text{samples}}} ||X w - y||_2 ^ 2 + \alpha ||w||_1}",
          "w", "X:n_samples,p y:n_samples w:p alpha:",
          lambda v: float(np.sum((v["X"] @ v["w"] - v["y"]) ** 2)) / (2 * v["X"].shape[0]) + v["alpha"] * float(np.abs(v["w"]).sum()),
          sizes={"n_samples": 7}),
    entry("doc_sklearn_huber", "scikit-learn User Guide, Sec. 1.1.16.4 (HuberRegressor: joint estimate of w and the"
          " scale sigma)",
          r"\min_{w, \sigma} {\sum_{i=1}^n\left(\sigma + H_{\epsilon}\left(\frac{X_{i}w - y_{i}}{\sigma}\right)\sigma\right)"
          r" + \alpha {||w||_2}^2}",
          r"w, \sigma", "X:n,p y:n w:p sigma: epsilon: alpha:", _sklearn_huber,
          where=r"H_{\epsilon}(z) = \begin{cases} z^2, & \text {if } |z| < \epsilon, \\ 2\epsilon|z| - \epsilon^2, & \text{otherwise} \end{cases}",
          kinds="epsilon:large",
          variants=(r"\min_{w, \sigma} {\alpha {||w||_2}^2 + \sum_{i=1}^n\left(H_{\epsilon}\left(\frac{-y_{i} + X_{i}w}"
                    r"{\sigma}\right)\sigma + \sigma\right)}",)),
    entry("doc_torch_gaussian_nll", "PyTorch documentation, torch.nn.GaussianNLLLoss (per element, words as names)",
          r"\text{loss} = \frac{1}{2}\left(\log\left(\text{max}\left(\text{var}, \ \text{eps}\right)\right) + \frac{\left(\text{input}"
          r" - \text{target}\right)^2}{\text{max}\left(\text{var}, \ \text{eps}\right)}\right) + \text{const.}",
          r"\text{input}, \text{var}", "input: target: var: eps: const:",
          lambda v: 0.5 * (np.log(max(v["var"], v["eps"])) + (v["input"] - v["target"]) ** 2 / max(v["var"], v["eps"])) + v["const"],
          kinds="eps:small"),
    entry("doc_torch_kl_div", "PyTorch documentation, torch.nn.KLDivLoss (pointwise KL divergence, both forms as printed)",
          r"L(y_{\text{pred}},\ y_{\text{true}}) = y_{\text{true}} \cdot \log \frac{y_{\text{true}}}{y_{\text{pred}}}"
          r" = y_{\text{true}} \cdot (\log y_{\text{true}} - \log y_{\text{pred}})",
          r"y_{\text{pred}}", "y_pred: y_true:",
          lambda v: v["y_true"] * (np.log(v["y_true"]) - np.log(v["y_pred"])), kinds="y_pred:prob y_true:prob"),
    entry("doc_torch_margin_ranking", "PyTorch documentation, torch.nn.MarginRankingLoss (x1, x2 and margin are names)",
          r"\text{loss}(x1, x2, y) = \max(0, -y * (x1 - x2) + \text{margin})",
          "x1, x2", "x1: x2: y: margin:",
          lambda v: max(0.0, -v["y"] * (v["x1"] - v["x2"]) + v["margin"]), kinds="y:pm1"),
    entry("doc_torch_hinge_embedding", "PyTorch documentation, torch.nn.HingeEmbeddingLoss (l_n by cases of y_n; margin"
          " is a name)",
          r"l_n = \begin{cases} x_n, & \text{if}\; y_n = 1,\\ \max \{0, margin - x_n\}, & \text{if}\; y_n = -1, \end{cases}",
          "x", "x:N y:N margin:",
          lambda v: float(np.sum(np.where(v["y"] == 1, v["x"], np.maximum(0, v["margin"] - v["x"])))), kinds="y:pm1",
          status=UNSUPPORTED, construct=r"l_\{n\} is a per-sample loss"),   # the reduction (mean or sum) is not written
    entry("doc_torch_cross_entropy_weighted", "PyTorch documentation, torch.nn.CrossEntropyLoss (class weights w,"
          " reduction='mean'; the inner sum reuses n)",
          r"\ell(x, y) = \sum_{n=1}^{N} \frac{1}{\sum_{n=1}^{N} w_{y_n}} l_n",
          "x", "x:N,K y:N w:K", _torch_cross_entropy,
          where=r"l_n = - w_{y_n} \log \frac{\exp(x_{n,y_n})}{\sum_{c=1}^{C} \exp(x_{n,c})}", kinds="y:labels:K w:positive"),
    # ---- optimal transport, metric learning, embeddings, factorisation
    entry("paper_sinkhorn_entropic", "Cuturi (2013), Sinkhorn distances: lightspeed computation of optimal transport,"
          " Sec. 3 (<P, M> - h(P)/lambda, h(P) = -sum_ij p_ij log p_ij, p_ij the entries of P)",
          r"\langle P, M\rangle - \frac{1}{\lambda}h(P)",
          "P", "P:d,d M:d,d lambda:", _sinkhorn,
          where=r"h(P) = -\sum_{i,j=1}^{d}p_{ij}\log p_{ij}", kinds="P:positive"),
    entry("paper_xing_metric", "Xing, Ng, Jordan & Russell (2002), Distance metric learning with application to"
          " clustering with side-information, Sec. 2 (||x||_A = sqrt(x^T A x); S the similar pairs)",
          r"\min_A \sum_{(x_i,x_j)\in\mathcal{S}}\|x_i - x_j\|_A^2",
          "A", "x:n,p A:p,p S:n,n", _xing, kinds="S:01"),
    entry("paper_sammon", "Sammon (1969), A nonlinear mapping for data structure analysis, eq. (1) (d*_ij the"
          " original distances, d_ij those of the configuration y; where: the paper's own d_ij, the Euclidean"
          " distance between Y_i and Y_j in the d-space, as it writes it for the steepest descent)",
          r"E = \frac{1}{\sum_{i<j}d^*_{ij}}\sum_{i<j}^{N}\frac{[d^*_{ij} - d_{ij}]^2}{d^*_{ij}}",
          "y", "y:N,d d_star:N,N", _sammon,
          where=r"d_{ij} = \sqrt{\sum_{k=1}^{d}[y_{ik} - y_{jk}]^2}", kinds="d_star:positive"),
    entry("paper_logistic_mf", "Johnson (2014), Logistic matrix factorization for implicit feedback data, Sec. 3, eq. (3)"
          " (beta_u user biases and beta_i item biases: two vectors)",
          r"\log\mathcal{L}(R|X,Y,\beta) = \sum_{u,i}\alpha r_{ui}(x_uy_i^T + \beta_u + \beta_i) - (1 + \alpha r_{ui})"
          r"\log(1 + \exp(x_uy_i^T + \beta_u + \beta_i)) - \frac{\lambda}{2}\|x_u\|^2 - \frac{\lambda}{2}\|y_i\|^2",
          r"x, y, \beta_u, \beta_i", "r:M,L x:M,k y:L,k beta_u:M beta_i:L alpha: lambda:", _logistic_mf,
          kinds="r:count x:small y:small",
          variants=(r"\log\mathcal{L}(R|X,Y,\beta) = \sum_{u,i}\alpha r_{ui}(\beta_i + \beta_u + x_uy_i^T) - (1 + \alpha r_{ui})"
                    r"\log(1 + \exp(\beta_u + x_uy_i^T + \beta_i)) - \frac{\lambda}{2}\|y_i\|^2 - \frac{\lambda}{2}\|x_u\|^2",)),
    entry("paper_poisson_mf", "Gopalan, Hofman & Blei (2015), Scalable recommendation with hierarchical Poisson"
          " factorization, Sec. 2 (y_ui ~ Poisson(theta_u^T beta_i): log likelihood up to a constant)",
          r"\sum_{u,i} y_{ui}\log(\theta_u^\top\beta_i) - \theta_u^\top\beta_i",
          r"\theta, \beta", "y:M,L theta:M,K beta:L,K",
          lambda v: float(np.sum(v["y"] * np.log(v["theta"] @ v["beta"].T) - v["theta"] @ v["beta"].T)),
          kinds="y:count theta:positive beta:positive"),
    entry("paper_robust_pca", "Candes, Li, Ma & Wright (2011), Robust principal component analysis?, Sec. 1, eq. (1.1)"
          " (principal component pursuit)",
          r"\text{minimize}\quad \|L\|_* + \lambda\|S\|_1 \quad\text{subject to}\quad L + S = M",
          "L, S", "L:n,p S:n,p M:n,p lambda:",
          lambda v: float(np.linalg.svd(v["L"], compute_uv=False).sum()) + v["lambda"] * float(np.abs(v["S"]).sum()),
          constraints=lambda v: [("eq", v["L"] + v["S"] - v["M"])]),
    entry("paper_arcface", "Deng, Guo, Xue & Zafeiriou (2019), ArcFace: additive angular margin loss for deep face"
          " recognition, Sec. 3, eq. (3) (theta_j the angle between W_j and the feature x_i of sample i)",
          r"L_3 = -\frac{1}{N}\sum_{i=1}^{N}\log\frac{e^{s(\cos(\theta_{y_i} + m))}}{e^{s(\cos(\theta_{y_i} + m))}"
          r" + \sum_{j=1,j\neq y_i}^{n}e^{s\cos\theta_j}}",
          r"\theta", "theta:N,K y:N s: m:", _arcface, kinds="y:labels:K",
          status=REFUSAL, gap='AmbiguityError: \\theta_{y_{i}} and \\theta_{j}: \\theta is indexed by the class only, so every sample i would share its values (the sum over i depends on i only through the label'),
    entry("paper_entropy_minimization", "Grandvalet & Bengio (2005), Semi-supervised learning by entropy minimization,"
          " Sec. 2 (the empirical conditional entropy of the class posteriors)",
          r"H_{\mathrm{emp}}(Y|X,Z;L_n) = -\frac{1}{n}\sum_{i=1}^{n}\sum_{k=1}^{K}P(\omega_k|x_i,z_i)\log P(\omega_k|x_i,z_i)",
          "P", "P:n,K", None, status=UNSUPPORTED, construct="densities"),
    entry("paper_ranknet", "Burges et al. (2005), Learning to rank using gradient descent, Sec. 3 (cross entropy cost of"
          " one pair, P_ij the modelled probability)",
          r"C_{ij} \equiv C(o_{ij}) = -\bar{P}_{ij}\log P_{ij} - (1 - \bar{P}_{ij})\log(1 - P_{ij})",
          "o_{ij}", "o_ij: P_bar_ij:",
          lambda v: -v["P_bar_ij"] * np.log(sigmoid(v["o_ij"])) - (1 - v["P_bar_ij"]) * np.log(1 - sigmoid(v["o_ij"])),
          where=r"P_{ij} \equiv \frac{e^{o_{ij}}}{1 + e^{o_{ij}}}", kinds="P_bar_ij:prob"),
    entry("paper_one_class_svm_dual", "Scholkopf, Platt, Shawe-Taylor, Smola & Williamson (2001), Estimating the support of"
          " a high-dimensional distribution, Sec. 4, eq. (7)-(9) (the dual of the one-class SVM, k the kernel, given as"
          " the kernel matrix k_ij = k(x_i, x_j))",
          r"\min_{\alpha\in\mathbb{R}^\ell}\frac{1}{2}\sum_{ij}\alpha_i\alpha_jk(x_i, x_j)\quad\text{subject to}\quad"
          r"0 \le \alpha_i \le \frac{1}{\nu\ell},\ \sum_i\alpha_i = 1",
          r"\alpha", "alpha:n k:n,n nu:", lambda v: 0.5 * float(v["alpha"] @ v["k"] @ v["alpha"]), kinds="k:spd",
          constraints=lambda v: [("le", -v["alpha"]), ("le", v["alpha"] - 1 / (v["nu"] * v["alpha"].size)),
                                 ("eq", np.sum(v["alpha"]) - 1)]),
    # ---- a second round: Murphy's sigm, PRML's product likelihood, kernels, LMNN, scikit-learn's log loss
    entry("text_murphy_logreg_sigm", "Murphy (2012), Machine Learning: A Probabilistic Perspective, Sec. 8.3.1, eq. (8.3)"
          " (NLL of logistic regression, mu_i = sigm(w^T x_i))",
          r"\text{NLL}(\mathbf{w}) = -\sum_{i=1}^{N}\left[y_i\log\mu_i + (1 - y_i)\log(1 - \mu_i)\right]",
          r"\mathbf{w}", "y:N x:N,p w:p",
          lambda v: _bernoulli_nll(v["y"], v["x"] @ v["w"]),
          where=r"\mu_i = \text{sigm}(\mathbf{w}^T\mathbf{x}_i)", kinds="y:01"),
    entry("text_prml_product_likelihood", "Bishop (2006), PRML, Sec. 4.3.2, eqs. (4.89)-(4.90) (minus the log of the"
          " likelihood written as a product, y_n = sigma(w^T phi_n))",
          r"E(\mathbf{w}) = -\ln\prod_{n=1}^{N}y_n^{t_n}\left\{1 - y_n\right\}^{1 - t_n}",
          r"\mathbf{w}", "t:N phi:N,p w:p",
          lambda v: _bernoulli_nll(v["t"], v["phi"] @ v["w"]),
          where=r"y_n = \sigma(\mathbf{w}^T\boldsymbol{\phi}_n)", kinds="t:01 phi:small"),
    entry("paper_svm_dual_rbf", "Burges (1998), A tutorial on support vector machines for pattern recognition, Sec. 4,"
          " eq. (40) with the Gaussian RBF kernel of eq. (59) (x, y in the kernel are its arguments, y_i the labels)",
          r"L_D = \sum_i\alpha_i - \frac{1}{2}\sum_{i,j}\alpha_i\alpha_jy_iy_jK(\mathbf{x}_i, \mathbf{x}_j)",
          r"\alpha", "alpha:n y:n x:n,p sigma:", _svm_dual_rbf,
          where=r"K(\mathbf{x}, \mathbf{y}) = e^{-\|\mathbf{x} - \mathbf{y}\|^2/2\sigma^2}", kinds="y:pm1 x:small"),
    entry("paper_lmnn", "Weinberger, Blitzer & Saul (2006), Distance metric learning for large margin nearest neighbor"
          " classification, Sec. 2, eq. (2) (eta_ij target neighbours, y_il = 1 for the same class)",
          r"\varepsilon(\mathbf{L}) = \sum_{ij}\eta_{ij}\|\mathbf{L}(\vec{x}_i - \vec{x}_j)\|^2 + c\sum_{ijl}\eta_{ij}(1 - y_{il})"
          r"\left[1 + \|\mathbf{L}(\vec{x}_i - \vec{x}_j)\|^2 - \|\mathbf{L}(\vec{x}_i - \vec{x}_l)\|^2\right]_+",
          r"\mathbf{L}", "L:d,p x:n,p eta:n,n y:n,n c:", _lmnn, kinds="eta:01 y:01 x:small"),
    entry("doc_sklearn_log_loss", "scikit-learn User Guide, Sec. 3.4.4.13 (multiclass log loss, as printed: with the"
          " probability of the labels, then 0-based sums; y_ik = 1 when sample i has label k, p_ik = Pr(y_ik = 1) the"
          " entries of Y and P)",
          r"L_{\log}(Y, P) = -\log \operatorname{Pr}(Y|P) = - \frac{1}{N} \sum_{i=0}^{N-1} \sum_{k=0}^{K-1} y_{i,k} \log p_{i,k}",
          "p", "y:N,K p:N,K", lambda v: -float(np.sum(v["y"] * np.log(v["p"]))) / v["y"].shape[0],
          kinds="y:onehot p:simplex"),
    entry("doc_sklearn_log_loss_sums", "scikit-learn User Guide, Sec. 3.4.4.13 (the multiclass log loss's last form, 0-based"
          " sums over samples i and classes k; y_ik one-hot, p_ik the predicted probabilities)",
          r"L_{\log}(Y, P) = - \frac{1}{N} \sum_{i=0}^{N-1} \sum_{k=0}^{K-1} y_{i,k} \log p_{i,k}",
          "p", "y:N,K p:N,K", lambda v: -float(np.sum(v["y"] * np.log(v["p"]))) / v["y"].shape[0],
          kinds="y:onehot p:simplex"),
    entry("text_hilbe_negbin_lgamma", "Hilbe (2011), Negative Binomial Regression, 2nd ed., Sec. 8.2 (NB2 log likelihood"
          " with log-gamma functions, mu_i = exp(x_i' beta))",
          r"\mathcal{L}(\mu;y,\alpha) = \sum_{i=1}^{n}\left\{y_i\ln\left(\frac{\alpha\mu_i}{1 + \alpha\mu_i}\right)"
          r" - \frac{1}{\alpha}\ln(1 + \alpha\mu_i) + \ln\Gamma\left(y_i + \frac{1}{\alpha}\right) - \ln\Gamma(y_i + 1)"
          r" - \ln\Gamma\left(\frac{1}{\alpha}\right)\right\}",
          r"\alpha, \beta", "y:n x:n,p beta:p alpha:", _negbin,
          where=r"\mu_i = \exp(x_i'\beta)", kinds="y:count x:small"),
    entry("paper_notears", "Zheng, Aragam, Ravikumar & Xing (2018), DAGs with NO TEARS: continuous optimization for"
          " structure learning, Sec. 3 (least squares with the acyclicity constraint tr(e^{W o W}) - d = 0, a matrix"
          " exponential)",
          r"\min_{W}\frac{1}{2n}\|X - XW\|_F^2 + \lambda\|W\|_1 \quad\text{subject to}\quad \operatorname{tr}(e^{W\circ W}) - d = 0",
          "W", "X:n,d W:d,d lambda:",   # d is W's side (the number of variables); the constraint by scipy's expm
          lambda v: float(np.sum((v["X"] - v["X"] @ v["W"]) ** 2)) / (2 * v["X"].shape[0])
          + v["lambda"] * float(np.sum(np.abs(v["W"]))),
          constraints=lambda v: [("eq", float(np.trace(scipy.linalg.expm(v["W"] * v["W"]))) - v["W"].shape[0])],
          where=r"W \in \mathbb{R}^{d \times d}"),   # Sec. 2: the weighted adjacency matrix W of d variables
]
