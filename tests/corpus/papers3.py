"""A third red-team batch (issue 9): losses pasted as a new user would, in the notation of the named sources
(Hastie, Tibshirani & Wainwright's Statistical Learning with Sparsity, Shalev-Shwartz & Ben-David, Bottou,
Curtis & Nocedal, Goodfellow et al. ch. 7, robust and segmentation losses, inverse problems, multivariate
analysis, ranking, recommendation, the scikit-learn and PyTorch documentation). Each reference is written by
hand from what the source means, never from symgd's output. Ids start with ``text_`` for textbooks,
``paper_`` for papers and ``doc_`` for library documentation."""

import math

import numpy as np

from corpus.entry import MISREADING, REFUSAL, UNSUPPORTED, entry, logsumexp, sigmoid, softmax  # noqa: F401 - for restatus.py

SLS = "Hastie, Tibshirani & Wainwright (2015), Statistical Learning with Sparsity"
UML = "Shalev-Shwartz & Ben-David (2014), Understanding Machine Learning"
DL = "Goodfellow, Bengio & Courville (2016), Deep Learning"
_lgamma = np.vectorize(math.lgamma)


def _l1(v):
    return float(np.abs(v).sum())


def _sq(v):
    return float(np.sum(np.asarray(v) ** 2))


def _mcp(theta, lam, gam):
    """Breheny & Huang (2011), MCP of theta >= 0."""
    return np.where(theta <= gam * lam, lam * theta - theta ** 2 / (2 * gam), 0.5 * gam * lam ** 2)


def _scad(theta, lam, gam):
    """Breheny & Huang (2011), SCAD of theta >= 0."""
    middle = (gam * lam * theta - 0.5 * (theta ** 2 + lam ** 2)) / (gam - 1)
    return np.where(theta <= lam, lam * theta,
                    np.where(theta <= gam * lam, middle, lam ** 2 * (gam ** 2 - 1) / (2 * (gam - 1))))


def _quantile_huber(r, kappa, tau):
    """Aravkin, Kambadur, Lozano & Luss (2014): quadratic on [-kappa tau, (1 - tau) kappa], linear outside."""
    return np.where(r < -tau * kappa, -tau * r - kappa * tau ** 2 / 2,
                    np.where(r > (1 - tau) * kappa, (1 - tau) * r - kappa * (1 - tau) ** 2 / 2, r ** 2 / (2 * kappa)))


def _berhu(z, M):
    """Owen (2007): |z| inside [-M, M], (z^2 + M^2) / (2M) outside."""
    return np.where(np.abs(z) <= M, np.abs(z), (z ** 2 + M ** 2) / (2 * M))


def _breheny(id, where_in_paper, penalty, definition):
    """Breheny & Huang (2011): Q = ||y - X beta||^2 / (2n) + sum_j p_{lambda,gamma}(|beta_j|), one entry per penalty."""
    return entry(id, "Breheny & Huang (2011), Coordinate descent algorithms for nonconvex penalized regression, "
                 + where_in_paper,
                 r"Q_{\lambda,\gamma}(\beta) = \frac{1}{2n}\|y - X\beta\|^2 + \sum_{j=1}^{p}p_{\lambda,\gamma}(|\beta_j|)",
                 r"\beta", "y:n X:n,p beta:p lambda: gamma:",
                 lambda v: _sq(v["y"] - v["X"] @ v["beta"]) / (2 * len(v["y"]))
                 + float(np.sum(penalty(np.abs(v["beta"]), v["lambda"], v["gamma"]))),
                 where=definition, kinds="lambda:prob")


def _cca(v):
    """Hardoon et al. (2004): w_x' C_xy w_y / sqrt(w_x' C_xx w_x w_y' C_yy w_y)."""
    wx, wy = v["w_x"], v["w_y"]
    return float(wx @ v["C_xy"] @ wy) / np.sqrt(float(wx @ v["C_xx"] @ wx) * float(wy @ v["C_yy"] @ wy))


def _all_threshold(v):
    """Rennie & Srebro (2005): thresholds below the label y push z up, those at or above push it down."""
    z, theta, y = v["z"], v["theta"], int(v["y"])
    hinge = lambda u: max(0.0, 1.0 - u)  # noqa: E731
    below = sum(hinge(z - theta[k - 1]) for k in range(1, y))           # l = 1 .. y - 1
    above = sum(hinge(theta[k - 1] - z) for k in range(y, len(theta) + 1))   # l = y .. k - 1
    return below + above


def _plackett_luce(v):
    """Guiver & Snelson (2009), eq. (1): prod_i v_{omega(i)} / sum_{j >= i} v_{omega(j)} (omega 0-based here)."""
    w = v["v"][np.asarray(v["omega"])]
    tails = np.cumsum(w[::-1])[::-1]
    return float(np.prod(w / tails))


def _ncf(v):
    """He et al. (2017), eq. (7) with GMF: y_hat = sigma(h^T (p_u * q_i)) over the observed and sampled pairs."""
    yhat = sigmoid(np.einsum("uk,ik,k->ui", v["p"], v["q"], v["h"]))
    mask = np.maximum(v["Y"], v["Y_minus"])   # the union of the two sets of pairs, as 0/1 masks
    return -float(np.sum(mask * (v["y"] * np.log(yhat) + (1 - v["y"]) * np.log(1 - yhat))))


def _hkv(v):
    """Hu, Koren & Volinsky (2008), eq. (3): confidence-weighted squared error over every (u, i)."""
    err = v["p"] - v["x"] @ v["y"].T
    return float(np.sum(v["c"] * err ** 2)) + v["lambda"] * (_sq(v["x"]) + _sq(v["y"]))


def _spca(v):
    """Zou, Hastie & Tibshirani (2006): B = [beta_1, ..., beta_k] (columns), lambda_{1,j} one weight per column."""
    x, A, B = v["x"], v["A"], v["B"]
    resid = x - x @ B @ A.T   # rows x_i^T - x_i^T B A^T
    return _sq(resid) + v["lambda"] * _sq(B) + float(v["lambda_1"] @ np.abs(B).sum(axis=0))


def _triplet_torch(v):
    d = lambda x, y: np.sqrt(np.sum((x - y) ** 2, axis=-1))  # noqa: E731 - p = 2
    return float(np.mean(np.maximum(d(v["a"], v["p"]) - d(v["a"], v["n"]) + v["margin"], 0)))


def _cosine(a, b):
    return float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))


ENTRIES = [
    # ---- Statistical Learning with Sparsity
    entry("text_sls_elastic_net", f"{SLS}, Sec. 4.2, eq. (4.2) (the elastic net with intercept, as minimize over"
          " (beta_0, beta))",
          r"\underset{(\beta_0,\beta)\in\mathbb{R}\times\mathbb{R}^p}{\text{minimize}}\left\{\frac{1}{2}\sum_{i=1}^{N}"
          r"(y_i - \beta_0 - x_i^T\beta)^2 + \lambda\left[\frac{1}{2}(1 - \alpha)\|\beta\|_2^2 + \alpha\|\beta\|_1\right]\right\}",
          r"\beta_0, \beta", "y:N x:N,p beta_0: beta:p lambda: alpha:",
          lambda v: 0.5 * _sq(v["y"] - v["beta_0"] - v["x"] @ v["beta"])
          + v["lambda"] * (0.5 * (1 - v["alpha"]) * _sq(v["beta"]) + v["alpha"] * _l1(v["beta"])),
          kinds="alpha:prob"),
    entry("text_sls_group_lasso", f"{SLS}, Sec. 4.3, eq. (4.5) (the group lasso: z_ij in R^{{p_j}} the covariates of"
          " group j for sample i; the test's groups have one size p_j)",
          r"\underset{\beta_0\in\mathbb{R},\,\theta_j\in\mathbb{R}^{p_j}}{\text{minimize}}\left\{\frac{1}{2}\sum_{i=1}^{N}"
          r"\left(y_i - \beta_0 - \sum_{j=1}^{J}z_{ij}^T\theta_j\right)^2 + \lambda\sum_{j=1}^{J}\|\theta_j\|_2\right\}",
          r"\beta_0, \theta", "y:N z:N,J,p_j beta_0: theta:J,p_j lambda:",
          lambda v: 0.5 * _sq(v["y"] - v["beta_0"] - np.einsum("ijk,jk->i", v["z"], v["theta"]))
          + v["lambda"] * float(np.linalg.norm(v["theta"], axis=1).sum()),
          sizes={"J": 4, "p_j": 3}),
    entry("text_sls_sparse_group_lasso", f"{SLS}, Sec. 4.3.2 (the sparse group lasso: Z_j the N x p_j matrix of"
          " group j; one group size in the test)",
          r"\underset{\theta_j\in\mathbb{R}^{p_j}}{\text{minimize}}\left\{\frac{1}{2}\left\|\mathbf{y} - \sum_{j=1}^{J}"
          r"\mathbf{Z}_j\theta_j\right\|_2^2 + \lambda\sum_{j=1}^{J}\left[(1 - \alpha)\|\theta_j\|_2 + \alpha\|\theta_j\|_1\right]\right\}",
          r"\theta", "y:N Z:J,N,p_j theta:J,p_j lambda: alpha:",
          lambda v: 0.5 * _sq(v["y"] - np.einsum("jnk,jk->n", v["Z"], v["theta"]))
          + v["lambda"] * float(np.sum((1 - v["alpha"]) * np.linalg.norm(v["theta"], axis=1)
                                       + v["alpha"] * np.abs(v["theta"]).sum(axis=1))),
          sizes={"J": 4, "p_j": 3}, kinds="alpha:prob",
          status=REFUSAL, gap="ShapeError: Z_j, one N x p_j matrix per group j, is read as row j of a matrix Z (Z_j \\theta_j: shapes cannot be multiplied)"),
    entry("text_sls_graphical_lasso", f"{SLS}, Sec. 9.3.1 (the graphical lasso: maximize over positive semidefinite"
          " Theta, rho_1 the l1 norm of the off-diagonal entries theta_st)",
          r"\underset{\Theta\succeq 0}{\text{maximize}}\left\{\log\det\Theta - \operatorname{trace}(\mathbf{S}\Theta)"
          r" - \lambda\rho_1(\Theta)\right\}",
          r"\Theta", "Theta:p,p S:p,p lambda:",
          lambda v: float(np.log(np.linalg.det(v["Theta"]))) - float(np.trace(v["S"] @ v["Theta"]))
          - v["lambda"] * (_l1(v["Theta"]) - _l1(np.diag(v["Theta"]))),
          where=r"\rho_1(\Theta) = \sum_{s\neq t}|\theta_{st}|", kinds="Theta:spd S:spd"),
    entry("text_sls_logistic_lasso", f"{SLS}, Sec. 3.2 (lasso-penalized logistic regression, y_i in {{0, 1}})",
          r"\underset{(\beta_0,\beta)\in\mathbb{R}^{p+1}}{\text{minimize}}\left\{-\frac{1}{N}\sum_{i=1}^{N}\left[y_i(\beta_0"
          r" + \beta^Tx_i) - \log(1 + e^{\beta_0 + \beta^Tx_i})\right] + \lambda\|\beta\|_1\right\}",
          r"\beta_0, \beta", "y:N x:N,p beta_0: beta:p lambda:",
          lambda v: -float(np.mean(v["y"] * (v["beta_0"] + v["x"] @ v["beta"]) - np.log1p(np.exp(v["beta_0"] + v["x"] @ v["beta"]))))
          + v["lambda"] * _l1(v["beta"]),
          kinds="y:01 x:small"),
    entry("text_sls_matrix_completion", f"{SLS}, Sec. 7.3 (nuclear-norm regularized matrix completion: z_ij the"
          " observed entries, m_ij the entries of M, Omega the observed pairs)",
          r"\underset{\mathbf{M}\in\mathbb{R}^{m\times n}}{\text{minimize}}\left\{\frac{1}{2}\sum_{(i,j)\in\Omega}(z_{ij} - m_{ij})^2"
          r" + \lambda\|\mathbf{M}\|_\star\right\}",
          r"\mathbf{M}", "z:m,n M:m,n Omega:m,n lambda:",
          lambda v: 0.5 * float(np.sum(v["Omega"] * (v["z"] - v["M"]) ** 2))
          + v["lambda"] * float(np.linalg.svd(v["M"], compute_uv=False).sum()),
          sizes={"m": 5, "n": 6}, kinds="Omega:01"),
    entry("text_sls_flsa", f"{SLS}, Sec. 4.5.1 (the fused lasso signal approximator)",
          r"\underset{\theta\in\mathbb{R}^N}{\text{minimize}}\left\{\frac{1}{2}\sum_{i=1}^{N}(y_i - \theta_i)^2 + \lambda_1"
          r"\sum_{i=1}^{N}|\theta_i| + \lambda_2\sum_{i=2}^{N}|\theta_i - \theta_{i-1}|\right\}",
          r"\theta", "y:N theta:N lambda_1: lambda_2:",
          lambda v: 0.5 * _sq(v["y"] - v["theta"]) + v["lambda_1"] * _l1(v["theta"]) + v["lambda_2"] * _l1(np.diff(v["theta"]))),
    entry("text_sls_scotlass", f"{SLS}, Sec. 8.2.2 (SCoTLASS: the first sparse principal direction)",
          r"\underset{\|v\|_2\leq 1}{\text{maximize}}\left\{v^T\mathbf{X}^T\mathbf{X}v\right\}\ \text{subject to}\ \|v\|_1 \leq t",
          "v", "v:p X:N,p t:",
          lambda v: float(v["v"] @ v["X"].T @ v["X"] @ v["v"]),
          constraints=lambda v: [("le", float(np.linalg.norm(v["v"])) - 1), ("le", _l1(v["v"]) - v["t"])]),
    # ---- nonconvex penalties, square-root lasso, Dantzig selector
    _breheny("paper_breheny_mcp", "Sec. 1 and 2.1 (the objective Q with the MCP penalty p_{lambda,gamma} of theta >= 0)",
             _mcp, r"p_{\lambda,\gamma}(\theta) = \begin{cases}\lambda\theta - \frac{\theta^2}{2\gamma} & \text{if } \theta"
             r" \leq \gamma\lambda \\ \frac{1}{2}\gamma\lambda^2 & \text{if } \theta > \gamma\lambda\end{cases}"),
    _breheny("paper_breheny_scad", "Sec. 2.2 (the same objective with the SCAD penalty)",
             _scad, r"p_{\lambda,\gamma}(\theta) = \begin{cases}\lambda\theta & \text{if } \theta \leq \lambda \\"
             r" \frac{\gamma\lambda\theta - 0.5(\theta^2 + \lambda^2)}{\gamma - 1} & \text{if } \lambda < \theta \leq"
             r" \gamma\lambda \\ \frac{\lambda^2(\gamma^2 - 1)}{2(\gamma - 1)} & \text{if } \theta > \gamma\lambda\end{cases}"),
    entry("paper_sqrt_lasso", "Belloni, Chernozhukov & Wang (2011), Square-root lasso: pivotal recovery of sparse"
          " signals via conic programming, Sec. 1 (Q_hat the empirical mean of squared residuals, primes transposes)",
          r"\hat\beta \in \arg\min_{\beta\in\mathbb{R}^p}\sqrt{\hat{Q}(\beta)} + \frac{\lambda}{n}\|\beta\|_1",
          r"\beta", "y:n x:n,p beta:p lambda:",
          lambda v: np.sqrt(_sq(v["y"] - v["x"] @ v["beta"]) / len(v["y"])) + v["lambda"] / len(v["y"]) * _l1(v["beta"]),
          where=r"\hat{Q}(\beta) = \frac{1}{n}\sum_{i=1}^{n}(y_i - x_i'\beta)^2"),
    entry("paper_dantzig_selector", "Candes & Tao (2007), The Dantzig selector: statistical estimation when p is much"
          " larger than n, Sec. 1.1, eq. (1.7) (X^* the adjoint of X, r = y - X beta_tilde the residual)",
          r"\min_{\tilde\beta\in\mathbb{R}^p}\|\tilde\beta\|_{\ell_1}\quad\text{subject to}\quad\|X^*r\|_{\ell_\infty}"
          r" \leq \lambda_p\cdot\sigma",
          r"\tilde\beta", "beta_tilde:p X:n,p y:n lambda_p: sigma:",
          lambda v: _l1(v["beta_tilde"]),
          where=r"r = y - X\tilde\beta",
          constraints=lambda v: [("le", float(np.max(np.abs(v["X"].T @ (v["y"] - v["X"] @ v["beta_tilde"]))))
                                  - v["lambda_p"] * v["sigma"])]),
    # ---- Shalev-Shwartz & Ben-David; Bottou, Curtis & Nocedal
    entry("text_uml_soft_svm", f"{UML}, Sec. 15.2, eq. (15.4) (soft-SVM with its margin constraints for all i)",
          r"\min_{\mathbf{w},b,\boldsymbol{\xi}}\left(\lambda\|\mathbf{w}\|^2 + \frac{1}{m}\sum_{i=1}^{m}\xi_i\right)"
          r"\quad\text{s.t.}\quad\forall i,\ y_i(\langle\mathbf{w},\mathbf{x}_i\rangle + b) \geq 1 - \xi_i\ \text{and}\ \xi_i \geq 0",
          r"\mathbf{w}, b, \boldsymbol{\xi}", "w:d b: xi:m x:m,d y:m lambda:",
          lambda v: v["lambda"] * _sq(v["w"]) + float(np.mean(v["xi"])),
          kinds="y:pm1",
          constraints=lambda v: [("le", 1 - v["xi"] - v["y"] * (v["x"] @ v["w"] + v["b"])), ("le", -v["xi"])]),
    entry("text_uml_ridge", f"{UML}, Sec. 13.1.1, eq. (13.3) (ridge regression as regularized loss minimization)",
          r"\operatorname*{argmin}_{\mathbf{w}\in\mathbb{R}^d}\left(\lambda\|\mathbf{w}\|_2^2 + \frac{1}{m}\sum_{i=1}^{m}\frac{1}{2}"
          r"(\langle\mathbf{w},\mathbf{x}_i\rangle - y_i)^2\right)",
          r"\mathbf{w}", "w:d x:m,d y:m lambda:",
          lambda v: v["lambda"] * _sq(v["w"]) + 0.5 * _sq(v["x"] @ v["w"] - v["y"]) / len(v["y"])),
    entry("text_uml_logistic_erm", f"{UML}, Sec. 9.3 (ERM with the logistic loss, y_i in {{-1, 1}})",
          r"\operatorname*{argmin}_{\mathbf{w}\in\mathbb{R}^d}\frac{1}{m}\sum_{i=1}^{m}\log\left(1 + \exp(-y_i\langle\mathbf{w},"
          r"\mathbf{x}_i\rangle)\right)",
          r"\mathbf{w}", "w:d x:m,d y:m",
          lambda v: float(np.mean(np.log1p(np.exp(-v["y"] * (v["x"] @ v["w"]))))), kinds="y:pm1"),
    entry("paper_bottou_logistic", "Bottou, Curtis & Nocedal (2018), Optimization methods for large-scale machine"
          " learning, SIAM Review, Sec. 2.1 (regularized logistic regression with the bias tau)",
          r"\min_{(w,\tau)\in\mathbb{R}^d\times\mathbb{R}}\frac{1}{n}\sum_{i=1}^{n}\log\left(1 + \exp(-y_i(w^Tx_i - \tau))\right)"
          r" + \frac{\lambda}{2}\|w\|_2^2",
          r"w, \tau", "w:d tau: x:n,d y:n lambda:",
          lambda v: float(np.mean(np.log1p(np.exp(-v["y"] * (v["x"] @ v["w"] - v["tau"]))))) + v["lambda"] / 2 * _sq(v["w"]),
          kinds="y:pm1"),
    entry("paper_bottou_expected_risk", "Bottou, Curtis & Nocedal (2018), SIAM Review, Sec. 3.1 (the expected risk as an"
          " integral over the distribution P)",
          r"R(w) = \int_{\mathbb{R}^{d_x}\times\mathbb{R}^{d_y}}\ell(h(x;w),y)\,dP(x,y)",
          "w", "w:d", None, status=UNSUPPORTED, construct=r"\\int|integral"),
    # ---- Goodfellow et al., ch. 7
    entry("text_dl_l1_quadratic", f"{DL}, Sec. 7.1.2 (the quadratic approximation with the L1 penalty, diagonal"
          " Hessian H; J(w*; X, y) is the cost at the minimum w*, a constant)",
          r"\hat{J}(\boldsymbol{w};\boldsymbol{X},\boldsymbol{y}) = J(\boldsymbol{w}^*;\boldsymbol{X},\boldsymbol{y}) + \sum_i\left["
          r"\frac{1}{2}H_{i,i}(w_i - w_i^*)^2 + \alpha|w_i|\right]",
          r"\boldsymbol{w}", "w:p w_star:p H:p,p alpha: J:",
          lambda v: v["J"] + float(np.sum(0.5 * np.diag(v["H"]) * (v["w"] - v["w_star"]) ** 2 + v["alpha"] * np.abs(v["w"]))),
          kinds="H:spd"),
    entry("text_dl_parameter_sharing", f"{DL}, Sec. 7.9 (parameter norm penalty tying model A's weights to model B's)",
          r"\Omega(\boldsymbol{w}^{(A)},\boldsymbol{w}^{(B)}) = \|\boldsymbol{w}^{(A)} - \boldsymbol{w}^{(B)}\|_2^2",
          r"\boldsymbol{w}^{(A)}", "w_A:p w_B:p", lambda v: _sq(v["w_A"] - v["w_B"])),
    # ---- classification and segmentation losses
    entry("paper_focal_fl_star", "Lin, Goyal, Girshick, He & Dollar (2017), Focal loss for dense object detection,"
          " Appendix A, eqs. (6)-(8) (the FL* variant: x_t = yx, p_t^* = sigma(gamma x_t + beta))",
          r"\mathrm{FL}^* = -\log(p_t^*)/\gamma",
          "x", "x: y: gamma: beta:",
          lambda v: -np.log(sigmoid(v["gamma"] * v["y"] * v["x"] + v["beta"])) / v["gamma"],
          where=r"x_t = yx, \quad p_t^* = \sigma(\gamma x_t + \beta)", kinds="y:pm1 x:normal beta:normal"),
    entry("paper_loss_odyssey_dice", "Ma et al. (2021), Loss odyssey in medical image segmentation, Medical Image"
          " Analysis, Sec. 2.2 (the Dice loss: g_i^c the ground truth and s_i^c the softmax output of voxel i, class c)",
          r"L_{Dice} = 1 - \frac{2\sum_{c=1}^{C}\sum_{i=1}^{N}g_i^cs_i^c}{\sum_{c=1}^{C}\sum_{i=1}^{N}g_i^c"
          r" + \sum_{c=1}^{C}\sum_{i=1}^{N}s_i^c}",
          "s", "g:N,C s:N,C",
          lambda v: 1 - 2 * float(np.sum(v["g"] * v["s"])) / (float(np.sum(v["g"])) + float(np.sum(v["s"]))),
          sizes={"C": 4}, kinds="g:onehot s:simplex",
          status=REFUSAL, gap="AmbiguityError: s_i^c with c summed and never a subscript: the power c or a class index? (read as a power before)"),
    entry("paper_muller_label_smoothing", "Muller, Kornblith & Hinton (2019), When does label smoothing help?, Sec. 1"
          " (cross-entropy with the smoothed targets y_k^LS; p_k the softmax of x^T w_k)",
          r"H(\boldsymbol{y}^{LS}, \boldsymbol{p}) = \sum_{k=1}^{K}-y_k^{LS}\log(p_k)",
          "w", "y:K w:K,d x:d alpha:",
          lambda v: -float(np.sum((v["y"] * (1 - v["alpha"]) + v["alpha"] / len(v["y"])) * np.log(softmax(v["w"] @ v["x"])))),
          where=r"y_k^{LS} = y_k(1 - \alpha) + \alpha/K, \quad p_k = \frac{e^{x^Tw_k}}{\sum_{l=1}^{K}e^{x^Tw_l}}",
          kinds="y:onehot alpha:prob"),
    entry("paper_mixup_vicinal", "Zhang, Cisse, Dauphin & Lopez-Paz (2018), mixup: beyond empirical risk minimization,"
          " Sec. 2 (the empirical vicinal risk of a model f and a loss l, both left abstract)",
          r"R_\nu(f) = \frac{1}{m}\sum_{i=1}^{m}\ell(f(\tilde{x}_i), \tilde{y}_i)",
          "f", "f:", None, status=UNSUPPORTED, construct=r"the function f"),
    entry("paper_rennie_all_threshold", "Rennie & Srebro (2005), Loss functions for preference levels: regression with"
          " discrete ordered labels, Sec. 3 (the all-threshold loss of a prediction z for the level y, thresholds"
          " theta_1..theta_{k-1}, with the hinge h(z) = max(0, 1 - z))",
          r"\sum_{l=1}^{y-1}h(z - \theta_l) + \sum_{l=y}^{k-1}h(\theta_l - z)",
          r"z, \theta", "z: theta:k1 y:", _all_threshold,
          where=r"h(z) = \max(0, 1 - z)", sizes={"k": 5, "k1": 4}, kinds="y:label5 z:normal theta:normal",
          status=REFUSAL, gap="UnsupportedError: the range of \\sum_{l}: a sum up to the data y - 1"),
    # ---- robust losses
    entry("paper_quantile_huber", "Aravkin, Kambadur, Lozano & Luss (2014), Sparse quantile Huber regression for"
          " efficient and robust estimation, Sec. 2 (the quantile Huber rho_kappa^tau on the residuals, with an l1"
          " penalty)",
          r"\min_\beta\sum_{i=1}^{n}\rho_\kappa^\tau(y_i - x_i^T\beta) + \lambda\|\beta\|_1",
          r"\beta", "y:n x:n,p beta:p kappa: tau: lambda:",
          lambda v: float(np.sum(_quantile_huber(v["y"] - v["x"] @ v["beta"], v["kappa"], v["tau"]))) + v["lambda"] * _l1(v["beta"]),
          where=r"\rho_\kappa^\tau(r) = \begin{cases}-\tau r - \frac{\kappa\tau^2}{2} & \text{if } r < -\tau\kappa \\"
                r" \frac{r^2}{2\kappa} & \text{if } r \in [-\kappa\tau, (1 - \tau)\kappa] \\"
                r" (1 - \tau)r - \frac{\kappa(1 - \tau)^2}{2} & \text{if } r > (1 - \tau)\kappa\end{cases}",
          kinds="tau:quantile",
          status=REFUSAL, gap="UnsupportedError: the condition r \\in an interval or a set (r \\in [-\\kappa\\tau, (1 - \\tau)\\kappa]:"
                              " the parser keeps no interval's ends); then \\kappa(1 - \\tau)^2: a function \\kappa or a product?"
                              " (the call \\rho_\\kappa^\\tau(r) of the definition is read)"),
    entry("text_hz_pseudo_huber", "Hartley & Zisserman (2003), Multiple View Geometry, 2nd ed., Sec. A6.8 (the"
          " pseudo-Huber cost of residuals delta_i)",
          r"\sum_{i=1}^{n}C(\delta_i)",
          r"\delta", "delta:n b:",
          lambda v: float(np.sum(2 * v["b"] ** 2 * (np.sqrt(1 + (v["delta"] / v["b"]) ** 2) - 1))),
          where=r"C(\delta) = 2b^2\left(\sqrt{1 + (\delta/b)^2} - 1\right)"),
    entry("paper_welsch", "Dennis & Welsch (1978), Techniques for nonlinear least squares and robust regression,"
          " (Welsch's rho, on the regression residuals)",
          r"\sum_{i=1}^{n}\rho(y_i - \mathbf{x}_i^T\boldsymbol{\beta})",
          r"\boldsymbol{\beta}", "y:n x:n,p beta:p c:",
          lambda v: float(np.sum(v["c"] ** 2 / 2 * (1 - np.exp(-((v["y"] - v["x"] @ v["beta"]) / v["c"]) ** 2)))),
          where=r"\rho(r) = \frac{c^2}{2}\left[1 - \exp\left(-\left(\frac{r}{c}\right)^2\right)\right]"),
    entry("paper_owen_berhu", "Owen (2007), A robust hybrid of lasso and ridge regression, Sec. 3 (least squares with"
          " the reverse Huber penalty B_M on the coefficients)",
          r"\sum_{i=1}^{n}(y_i - x_i'\beta)^2 + \lambda\sum_{j=1}^{p}B_M(\beta_j)",
          r"\beta", "y:n x:n,p beta:p lambda: M:",
          lambda v: _sq(v["y"] - v["x"] @ v["beta"]) + v["lambda"] * float(np.sum(_berhu(v["beta"], v["M"]))),
          where=r"B_M(z) = \begin{cases}|z| & |z| \leq M \\ \frac{z^2 + M^2}{2M} & |z| > M\end{cases}", kinds="M:prob"),
    entry("paper_tv_l1_chambolle_pock", "Chambolle & Pock (2011), A first-order primal-dual algorithm for convex problems"
          " with applications to imaging, Sec. 6.2.2 (the TV-L1 model, nabla the discrete gradient)",
          r"\min_{u\in X}\|\nabla u\|_1 + \lambda\|u - g\|_1",
          "u", "u:N,M g:N,M lambda:", None, status=UNSUPPORTED, construct=r"the set X|\\nabla|derivative"),
    # ---- inverse problems, least squares, multivariate analysis
    entry("text_tarantola_least_squares", "Tarantola (2005), Inverse Problem Theory, Sec. 3.2 (the least-squares misfit"
          " of a linear problem with a prior model m_prior; ^t is the transpose)",
          r"S(\mathbf{m}) = \frac{1}{2}\left((\mathbf{G}\,\mathbf{m} - \mathbf{d}_{\mathrm{obs}})^t\,\mathbf{C}_D^{-1}"
          r"(\mathbf{G}\,\mathbf{m} - \mathbf{d}_{\mathrm{obs}}) + (\mathbf{m} - \mathbf{m}_{\mathrm{prior}})^t\,\mathbf{C}_M^{-1}"
          r"(\mathbf{m} - \mathbf{m}_{\mathrm{prior}})\right)",
          r"\mathbf{m}", "m:M G:q,M d_obs:q C_D:q,q C_M:M,M m_prior:M",
          lambda v: 0.5 * (float((v["G"] @ v["m"] - v["d_obs"]) @ np.linalg.solve(v["C_D"], v["G"] @ v["m"] - v["d_obs"]))
                           + float((v["m"] - v["m_prior"]) @ np.linalg.solve(v["C_M"], v["m"] - v["m_prior"]))),
          kinds="C_D:spd C_M:spd",
          status=REFUSAL, gap="AmbiguityError: the superscript t (Tarantola's transpose): the power t or the transpose?"),
    entry("text_seber_gls", "Seber & Lee (2003), Linear Regression Analysis, 2nd ed., Sec. 3.10 (generalized least"
          " squares with Var[Y] = sigma^2 V, primes transposes)",
          r"(\mathbf{Y} - \mathbf{X}\boldsymbol{\beta})'\mathbf{V}^{-1}(\mathbf{Y} - \mathbf{X}\boldsymbol{\beta})",
          r"\boldsymbol{\beta}", "Y:n X:n,p beta:p V:n,n",
          lambda v: float((v["Y"] - v["X"] @ v["beta"]) @ np.linalg.solve(v["V"], v["Y"] - v["X"] @ v["beta"])),
          kinds="V:spd"),
    entry("paper_deming", "Deming (1943), Statistical Adjustment of Data (Deming regression; the sum of squares in the"
          " notation of the Wikipedia article 'Deming regression', minimized over beta_0, beta_1 and the true x_i^*)",
          r"SSR = \frac{1}{\sigma_\varepsilon^2}\sum_{i=1}^{n}\Big((y_i - \beta_0 - \beta_1x^*_i)^2 + \delta(x_i - x^*_i)^2\Big)",
          r"\beta_0, \beta_1, x^*", "y:n x:n x_star:n beta_0: beta_1: delta: sigma_varepsilon:",
          lambda v: (_sq(v["y"] - v["beta_0"] - v["beta_1"] * v["x_star"]) + v["delta"] * _sq(v["x"] - v["x_star"]))
          / v["sigma_varepsilon"] ** 2),
    entry("text_gvl_total_least_squares", "Golub & Van Loan (2013), Matrix Computations, 4th ed., Sec. 6.3 (the total"
          " least squares solution minimizes psi(x) = ||b - Ax||^2 / (1 + x^T x))",
          r"\psi(x) = \frac{\|b - Ax\|_2^2}{1 + x^Tx}",
          "x", "b:m A:m,p x:p",
          lambda v: _sq(v["b"] - v["A"] @ v["x"]) / (1 + _sq(v["x"]))),
    entry("paper_hardoon_cca", "Hardoon, Szedmak & Shawe-Taylor (2004), Canonical correlation analysis: an overview with"
          " application to learning methods, Neural Computation, Sec. 2 (the canonical correlation with the covariance"
          " blocks C_xx, C_xy, C_yy; primes transposes)",
          r"\rho = \max_{w_x,w_y}\frac{w_x'C_{xy}w_y}{\sqrt{w_x'C_{xx}w_x\,w_y'C_{yy}w_y}}",
          "w_x, w_y", "w_x:p w_y:q C_xy:p,q C_xx:p,p C_yy:q,q", _cca, kinds="C_xx:spd C_yy:spd"),
    entry("text_jolliffe_pca", "Jolliffe (2002), Principal Component Analysis, 2nd ed., Sec. 1.1 (the Lagrangian"
          " maximized by the first PC's coefficients alpha_1, lambda a Lagrange multiplier)",
          r"\boldsymbol{\alpha}_1'\boldsymbol{\Sigma}\boldsymbol{\alpha}_1 - \lambda(\boldsymbol{\alpha}_1'\boldsymbol{\alpha}_1 - 1)",
          r"\boldsymbol{\alpha}_1", "alpha_1:p Sigma:p,p lambda:",
          lambda v: float(v["alpha_1"] @ v["Sigma"] @ v["alpha_1"]) - v["lambda"] * (_sq(v["alpha_1"]) - 1),
          kinds="Sigma:spd"),
    entry("paper_von_luxburg_ratiocut", "von Luxburg (2007), A tutorial on spectral clustering, Sec. 5.2 (the relaxed"
          " RatioCut, L the graph Laplacian, I the identity)",
          r"\min_{H\in\mathbb{R}^{n\times k}}\operatorname{Tr}(H'LH)\ \text{subject to}\ H'H = I",
          "H", "H:n,k L:n,n", lambda v: float(np.trace(v["H"].T @ v["L"] @ v["H"])),
          sizes={"n": 5}, kinds="L:spd",
          constraints=lambda v: [("eq", v["H"].T @ v["H"] - np.eye(v["H"].shape[1]))]),
    entry("paper_zou_spca", "Zou, Hastie & Tibshirani (2006), Sparse principal component analysis, Sec. 3.3 (the SPCA"
          " criterion; B = [beta_1, ..., beta_k], lambda_{1,j} one l1 weight per component)",
          r"(\hat{A},\hat{B}) = \arg\min_{A,B}\sum_{i=1}^{n}\|x_i - AB^Tx_i\|^2 + \lambda\sum_{j=1}^{k}\|\beta_j\|^2"
          r" + \sum_{j=1}^{k}\lambda_{1,j}\|\beta_j\|_1\quad\text{subject to}\quad A^TA = I_{k\times k}",
          "A, B", "x:n,p A:p,k B:p,k lambda: lambda_1:k", _spca,
          constraints=lambda v: [("eq", v["A"].T @ v["A"] - np.eye(v["A"].shape[1]))],
          status=REFUSAL, gap="AmbiguityError: \\beta_j beside the parameter B: the columns of B or data? (read as data before)"),
    # ---- counts, ordinal, ranking, recommendation
    entry("text_agresti_poisson_rate", "Agresti (2013), Categorical Data Analysis, 3rd ed., Sec. 3.3 (Poisson loglinear"
          " model for rates: the exposure t_i as an offset, log likelihood up to a constant)",
          r"L(\alpha, \beta) = \sum_{i=1}^{n}\left[y_i\log\mu_i - \mu_i\right]",
          r"\alpha, \beta", "y:n t:n x:n alpha: beta:",
          lambda v: float(np.sum(v["y"] * np.log(_mu := v["t"] * np.exp(v["alpha"] + v["beta"] * v["x"])) - _mu)),
          where=r"\mu_i = t_i\exp(\alpha + \beta x_i)", kinds="y:count t:positive x:small"),
    entry("paper_plackett_luce", "Guiver & Snelson (2009), Bayesian inference for Plackett-Luce ranking models, Sec. 2,"
          " eq. (1) (the probability of the ordering omega; omega(i) the item ranked i-th)",
          r"P(\omega|\mathbf{v}) = \prod_{i=1}^{K}\frac{v_{\omega(i)}}{\sum_{j=i}^{K}v_{\omega(j)}}",
          r"\mathbf{v}", "v:K omega:K", _plackett_luce, kinds="v:positive omega:labels:K"),
    entry("paper_word2vec_softmax", "Mikolov, Sutskever, Chen, Corrado & Dean (2013), Distributed representations of"
          " words and phrases and their compositionality, Sec. 2, eq. (2) (the full softmax; v'_w the output vectors)",
          r"p(w_O|w_I) = \frac{\exp\left({v'_{w_O}}^\top v_{w_I}\right)}{\sum_{w=1}^{W}\exp\left({v'_w}^\top v_{w_I}\right)}",
          "v_{w_I}", "v_w_I:d v_prime:W,d w_O:",
          lambda v: float(np.exp(v["v_prime"][v["w_O"]] @ v["v_w_I"] - logsumexp(v["v_prime"] @ v["v_w_I"]))),
          sizes={"W": 5}, kinds="w_O:labels:W",
          status=REFUSAL, gap="AmbiguityError: the parameter v_{w_{I}} does not appear in the objective (wrt is read as"
          " the formula's name v_{w_{I}}, but the formula reads v_{w_I} as the row of v at the label w_I, and v'_w as"
          " a transposed row of that same v: the source's output vectors v' are a second matrix)"),
    entry("paper_ncf_gmf", "He, Liao, Zhang, Nie, Hu & Chua (2017), Neural collaborative filtering, Sec. 3.1.1, eq. (7)"
          " with the GMF model of Sec. 3.2 (Y the observed pairs, Y^- the sampled negatives)",
          r"L = -\sum_{(u,i)\in\mathcal{Y}\cup\mathcal{Y}^-}y_{ui}\log\hat{y}_{ui} + (1 - y_{ui})\log(1 - \hat{y}_{ui})",
          r"\mathbf{p}, \mathbf{q}, \mathbf{h}", "y:M,L p:M,k q:L,k h:k Y:M,L Y_minus:M,L", _ncf,
          where=r"\hat{y}_{ui} = \sigma(\mathbf{h}^T(\mathbf{p}_u\odot\mathbf{q}_i))", kinds="y:01 Y:01 Y_minus:01"),
    entry("paper_hu_koren_volinsky", "Hu, Koren & Volinsky (2008), Collaborative filtering for implicit feedback"
          " datasets, Sec. 4, eq. (3) (confidences c_ui, preferences p_ui; the sum runs over all (u, i))",
          r"\min_{x_*,y_*}\sum_{u,i}c_{ui}(p_{ui} - x_u^Ty_i)^2 + \lambda\left(\sum_u\|x_u\|^2 + \sum_i\|y_i\|^2\right)",
          "x, y", "c:M,L p:M,L x:M,k y:L,k lambda:", _hkv, kinds="p:01"),
    entry("paper_maml", "Finn, Abbeel & Levine (2017), Model-agnostic meta-learning, Sec. 2.2, eq. (1) (the"
          " meta-objective over tasks T_i drawn from p(T))",
          r"\min_\theta\sum_{\mathcal{T}_i\sim p(\mathcal{T})}\mathcal{L}_{\mathcal{T}_i}(f_{\theta'_i}) = \sum_{\mathcal{T}_i\sim"
          r" p(\mathcal{T})}\mathcal{L}_{\mathcal{T}_i}(f_{\theta - \alpha\nabla_\theta\mathcal{L}_{\mathcal{T}_i}(f_\theta)})",
          r"\theta", "theta:d", None, status=UNSUPPORTED, construct=r"\\sim"),
    # ---- Murphy
    entry("text_murphy_pml1_hce", "Murphy (2022), Probabilistic Machine Learning: An Introduction, Sec. 10.2.3 (the NLL"
          " of logistic regression as the mean binary cross entropy H_ce(y_n, mu_n))",
          r"\text{NLL}(\mathbf{w}) = \frac{1}{N}\sum_{n=1}^{N}\mathbb{H}_{ce}(y_n, \mu_n)",
          r"\mathbf{w}", "y:N x:N,d w:d",
          lambda v: float(np.mean(-(v["y"] * np.log(sigmoid(v["x"] @ v["w"])) + (1 - v["y"]) * np.log(1 - sigmoid(v["x"] @ v["w"]))))),
          where=r"\mathbb{H}_{ce}(p, q) = -[p\log q + (1 - p)\log(1 - q)], \quad \mu_n = \sigma(a_n), \quad a_n = \mathbf{w}^T\mathbf{x}_n",
          kinds="y:01"),
    # ---- scikit-learn and PyTorch documentation
    entry("doc_sklearn_multitask_lasso", "scikit-learn User Guide, Sec. 1.1.4 (MultiTaskLasso: W is n_features x n_tasks,"
          " ||W||_21 the sum of the l2 norms of its rows, as printed)",
          r"\min_{W} { \frac{1}{2n_{\text{samples}}} ||X W - Y||_{\text{Fro}} ^ 2 + \alpha ||W||_{21}}",
          "W", "X:n_samples,p Y:n_samples,n_tasks W:p,n_tasks alpha:",
          lambda v: _sq(v["X"] @ v["W"] - v["Y"]) / (2 * v["X"].shape[0]) + v["alpha"] * float(np.linalg.norm(v["W"], axis=1).sum()),
          sizes={"n_samples": 7, "n_tasks": 3}),
    entry("doc_sklearn_elastic_net", "scikit-learn User Guide, Sec. 1.1.5 (ElasticNet, as printed with || and braces)",
          r"\min_{w} { \frac{1}{2n_{\text{samples}}} ||X w - y||_2 ^ 2 + \alpha \rho ||w||_1 + \frac{\alpha(1-\rho)}{2} ||w||_2 ^ 2}",
          "w", "X:n_samples,p y:n_samples w:p alpha: rho:",
          lambda v: _sq(v["X"] @ v["w"] - v["y"]) / (2 * v["X"].shape[0]) + v["alpha"] * v["rho"] * _l1(v["w"])
          + v["alpha"] * (1 - v["rho"]) / 2 * _sq(v["w"]),
          sizes={"n_samples": 7}, kinds="rho:prob"),
    entry("doc_sklearn_quantile_regressor", "scikit-learn User Guide, Sec. 1.1.18 (QuantileRegressor with the pinball"
          " loss PB_q, X_i the i-th row of X)",
          r"\min_{w} {\frac{1}{n_{\text{samples}}} \sum_i PB_q(y_i - X_i w) + \alpha ||w||_1}",
          "w", "X:n_samples,p y:n_samples w:p q: alpha:",
          lambda v: float(np.mean(v["q"] * np.maximum(_t := v["y"] - v["X"] @ v["w"], 0) + (1 - v["q"]) * np.maximum(-_t, 0)))
          + v["alpha"] * _l1(v["w"]),
          where=r"PB_q(t) = q \max(t, 0) + (1 - q) \max(-t, 0)", sizes={"n_samples": 7}, kinds="q:quantile"),
    entry("doc_torch_poisson_nll", "PyTorch documentation, torch.nn.PoissonNLLLoss (log_input=False, full=False, with the"
          " Stirling term written as log(target!))",
          r"\text{loss}(\text{input}, \text{target}) = \text{input} - \text{target} * \log(\text{input}) + \log(\text{target!})",
          r"\text{input}", "input: target:",
          lambda v: v["input"] - v["target"] * np.log(v["input"]) + math.lgamma(v["target"] + 1),
          kinds="target:count"),
    entry("doc_torch_cosine_embedding", "PyTorch documentation, torch.nn.CosineEmbeddingLoss (cos(x_1, x_2) the cosine"
          " similarity of two vectors)",
          r"\text{loss}(x, y) = \begin{cases} 1 - \cos(x_1, x_2), & \text{if } y = 1 \\ \max(0, \cos(x_1, x_2) - \text{margin}),"
          r" & \text{if } y = -1 \end{cases}",
          "x_1", "x_1:d x_2:d y: margin:",
          lambda v: 1 - _cosine(v["x_1"], v["x_2"]) if v["y"] == 1 else max(0.0, _cosine(v["x_1"], v["x_2"]) - v["margin"]),
          kinds="y:pm1 margin:small"),
    entry("doc_torch_triplet_margin", "PyTorch documentation, torch.nn.TripletMarginLoss (per triplet i, d the p-norm"
          " distance with p = 2, reduction 'mean'; p also names the positive examples)",
          r"L(a, p, n) = \max \{d(a_i, p_i) - d(a_i, n_i) + {\rm margin}, 0\}",
          "a", "a:N,d p:N,d n:N,d margin:", _triplet_torch,
          where=r"d(x_i, y_i) = \left\lVert {\bf x}_i - {\bf y}_i \right\rVert_p",
          status=REFUSAL, gap="UnsupportedError: the norm \\|.\\|_p: only the 1-, 2- and Frobenius norms are supported"
          " (p, the norm's degree 2 in the text, also names the positive examples)"),
    entry("doc_torch_multilabel_soft_margin", "PyTorch documentation, torch.nn.MultiLabelSoftMarginLoss (one sample, C"
          " classes, y[i] in {0, 1})",
          r"\text{loss}(x, y) = - \frac{1}{C} * \sum_i y[i] * \log((1 + \exp(-x[i]))^{-1}) + (1-y[i]) *"
          r" \log\left(\frac{\exp(-x[i])}{(1 + \exp(-x[i]))}\right)",
          "x", "x:C y:C",
          lambda v: -float(np.mean(v["y"] * np.log(sigmoid(v["x"])) + (1 - v["y"]) * np.log(np.exp(-v["x"]) / (1 + np.exp(-v["x"]))))),
          sizes={"C": 4}, kinds="y:01"),
    entry("doc_torch_soft_margin", "PyTorch documentation, torch.nn.SoftMarginLoss (x.nelement() the number of elements)",
          r"\text{loss}(x, y) = \sum_i \frac{\log(1 + \exp(-y[i]*x[i]))}{\text{x.nelement}()}",
          "x", "x:n y:n", lambda v: float(np.mean(np.log1p(np.exp(-v["y"] * v["x"])))), kinds="y:pm1"),
]
