"""Losses from research papers: GLMs, SVMs, attention, contrastive losses, VAEs, matrix factorisation,
Gaussian processes, quantile and robust regression, total variation. Ids start with ``paper_``; the
citation starts with the paper (authors and year) so distinct papers can be counted."""

import numpy as np

from corpus.entry import REFUSAL, UNSUPPORTED, entry, logsumexp, softmax  # noqa: F401 - REFUSAL for restatus.py


def _huber(r, k):
    return np.where(np.abs(r) <= k, 0.5 * r ** 2, k * np.abs(r) - 0.5 * k ** 2)


def _mask(v, name):
    return v[name]



def _gp_log_marginal(v):
    """GPML (5.8): -1/2 y^T K_y^{-1} y - 1/2 log det K_y - n/2 log 2 pi."""
    return (-0.5 * float(v["y"] @ np.linalg.solve(v["K_y"], v["y"])) - 0.5 * np.log(np.linalg.det(v["K_y"]))
            - len(v["y"]) / 2 * np.log(2 * np.pi))


def _stress(v):
    """Kruskal's stress over the pairs i < j (the strict upper triangle)."""
    upper = np.triu(np.ones_like(v["d"]), 1)
    return float(np.sqrt(np.sum(upper * (v["d"] - v["d_hat"]) ** 2) / np.sum(upper * v["d"] ** 2)))


def _weston_watkins_constraints(v):
    """Weston & Watkins's margins, g <= 0 for i = 1..l and every class m but y_i (0 where m = y_i: no constraint)."""
    others = 1 - np.eye(v["w"].shape[0])[v["y"]]
    scores = v["x"] @ v["w"].T + v["b"]
    correct = scores[np.arange(len(v["y"])), v["y"]]
    return [("le", others * (scores + 2 - v["xi"] - correct[:, None])), ("le", others * -v["xi"])]

ENTRIES = [
    # ---- generalized linear models
    entry("paper_poisson_loglinear", "McCullagh & Nelder (1989), Generalized Linear Models, 2nd ed., Ch. 6 (log-linear"
          " Poisson model: log likelihood up to a constant)",
          r"\ell(\boldsymbol{\beta}) = \sum_{i=1}^{n}\left(y_i\mathbf{x}_i^T\boldsymbol{\beta} - \exp(\mathbf{x}_i^T\boldsymbol{\beta})\right)",
          r"\boldsymbol{\beta}", "y:n x:n,p beta:p",
          lambda v: float(np.sum(v["y"] * (v["x"] @ v["beta"]) - np.exp(v["x"] @ v["beta"]))), kinds="y:count x:small"),
    entry("paper_glm_exponential_family", "Nelder & Wedderburn (1972), Generalized linear models (log likelihood"
          " of the exponential family with canonical link, b(theta) = log(1 + e^theta), a(phi) = 1)",
          r"\sum_{i=1}^{n}\left\{y_i\theta_i - b(\theta_i)\right\}",
          r"\theta", "y:n theta:n", lambda v: float(np.sum(v["y"] * v["theta"] - np.log1p(np.exp(v["theta"])))),
          where=r"b(\theta) = \log(1 + e^{\theta})", kinds="y:01"),
    entry("paper_lasso_constrained", "Tibshirani (1996), Regression shrinkage and selection via the lasso, Sec. 2"
          " (the lasso estimate: least squares subject to sum |beta_j| <= t)",
          r"(\hat{\alpha},\hat{\beta}) = \arg\min\left\{\sum_{i=1}^{N}\left(y_i - \alpha - \sum_j\beta_jx_{ij}\right)^2\right\}"
          r"\quad\text{subject to}\quad\sum_j|\beta_j| \le t",
          r"\alpha, \beta", "y:N x:N,p beta:p alpha: t:",
          lambda v: float(np.sum((v["y"] - v["alpha"] - v["x"] @ v["beta"]) ** 2)),
          constraints=lambda v: [("le", float(np.abs(v["beta"]).sum()) - v["t"])]),
    entry("paper_elastic_net", "Zou & Hastie (2005), Regularization and variable selection via the elastic net,"
          " Sec. 2.1 (naive elastic net criterion, with |.| for vector norms)",
          r"L(\lambda_1,\lambda_2,\boldsymbol{\beta}) = |\mathbf{y} - \mathbf{X}\boldsymbol{\beta}|^2 + \lambda_2|\boldsymbol{\beta}|^2"
          r" + \lambda_1|\boldsymbol{\beta}|_1",
          r"\boldsymbol{\beta}", "y:n X:n,p beta:p lambda_1: lambda_2:",
          lambda v: float(np.sum((v["y"] - v["X"] @ v["beta"]) ** 2)) + v["lambda_2"] * float(v["beta"] @ v["beta"])
          + v["lambda_1"] * float(np.abs(v["beta"]).sum())),
    entry("paper_graphical_lasso", "Friedman, Hastie & Tibshirani (2008), Sparse inverse covariance estimation with the"
          " graphical lasso, Sec. 2 (penalized log-likelihood, maximized over Theta)",
          r"\log\det\Theta - \mathrm{tr}(S\Theta) - \rho\|\Theta\|_1",
          r"\Theta", "Theta:p,p S:p,p rho:",
          lambda v: float(np.log(np.linalg.det(v["Theta"]))) - float(np.trace(v["S"] @ v["Theta"]))
          - v["rho"] * float(np.abs(v["Theta"]).sum()),
          kinds="Theta:spd S:spd"),
    entry("paper_fused_lasso", "Tibshirani, Saunders, Rosset, Zhu & Knight (2005), Sparsity and smoothness via the fused"
          " lasso (criterion with the two constraints)",
          r"\hat{\beta} = \arg\min\left\{\sum_i\left(y_i - \sum_j x_{ij}\beta_j\right)^2\right\}\text{ subject to }"
          r"\sum_{j=1}^{p}|\beta_j| \le s_1\text{ and }\sum_{j=2}^{p}|\beta_j - \beta_{j-1}| \le s_2",
          r"\beta", "y:N x:N,p beta:p s_1: s_2:", lambda v: float(np.sum((v["y"] - v["x"] @ v["beta"]) ** 2)),
          constraints=lambda v: [("le", float(np.abs(v["beta"]).sum()) - v["s_1"]), ("le", float(np.abs(np.diff(v["beta"])).sum()) - v["s_2"])]),
    entry("paper_cox_partial_likelihood", "Cox (1972), Regression models and life-tables (log partial likelihood"
          " over the risk sets R(t_i))",
          r"\sum_{i}\delta_i\left[\mathbf{z}_i\boldsymbol{\beta} - \log\sum_{j\in R(t_i)}\exp(\mathbf{z}_j\boldsymbol{\beta})\right]",
          r"\boldsymbol{\beta}", "delta:n z:n,p beta:p t:n",
          lambda v: float(np.sum(v["delta"] * (v["z"] @ v["beta"] - np.log(
              (v["t"][None, :] >= v["t"][:, None]) @ np.exp(v["z"] @ v["beta"]))))),
          where=r"R(t_i) = \{j : t_j \geq t_i\}, \quad \mathbf{z}_i \in \mathbb{R}^{1 \times p}", kinds="delta:01"),
    # ---- support vector machines
    entry("paper_liblinear_l2svm", "Fan, Chang, Hsieh, Wang & Lin (2008), LIBLINEAR: a library for large linear"
          " classification, Sec. 2 (L2-loss SVM)",
          r"\min_{\mathbf{w}}\ \frac{1}{2}\mathbf{w}^T\mathbf{w} + C\sum_{i=1}^{l}\max(1 - y_i\mathbf{w}^T\mathbf{x}_i, 0)^2",
          r"\mathbf{w}", "w:d x:l,d y:l C:",
          lambda v: 0.5 * float(v["w"] @ v["w"]) + v["C"] * float(np.sum(np.maximum(1 - v["y"] * (v["x"] @ v["w"]), 0) ** 2)),
          sizes={"l": 7}, kinds="y:pm1"),
    entry("paper_liblinear_l1svm", "Fan, Chang, Hsieh, Wang & Lin (2008), LIBLINEAR, Sec. 2 (L1-loss SVM)",
          r"\min_{\mathbf{w}}\ \frac{1}{2}\mathbf{w}^T\mathbf{w} + C\sum_{i=1}^{l}\max(1 - y_i\mathbf{w}^T\mathbf{x}_i, 0)",
          r"\mathbf{w}", "w:d x:l,d y:l C:",
          lambda v: 0.5 * float(v["w"] @ v["w"]) + v["C"] * float(np.sum(np.maximum(1 - v["y"] * (v["x"] @ v["w"]), 0))),
          sizes={"l": 7}, kinds="y:pm1",
          variants=[r"\min_{\mathbf{w}}\ C\sum_{i=1}^{l}\max(0, 1 - y_i\mathbf{w}^T\mathbf{x}_i) + \frac{1}{2}\mathbf{w}^T\mathbf{w}",
                    r"\min_{\mathbf{w}}\ \frac{1}{2}\mathbf{w}^T\mathbf{w} + C\sum_{i=1}^{l}\max(1 - y_i\mathbf{x}_i^T\mathbf{w}, 0)"]),
    entry("paper_liblinear_lr", "Fan, Chang, Hsieh, Wang & Lin (2008), LIBLINEAR, Sec. 2 (logistic regression)",
          r"\min_{\mathbf{w}}\ \frac{1}{2}\mathbf{w}^T\mathbf{w} + C\sum_{i=1}^{l}\log(1 + e^{-y_i\mathbf{w}^T\mathbf{x}_i})",
          r"\mathbf{w}", "w:d x:l,d y:l C:",
          lambda v: 0.5 * float(v["w"] @ v["w"]) + v["C"] * float(np.sum(np.log1p(np.exp(-v["y"] * (v["x"] @ v["w"]))))),
          sizes={"l": 7}, kinds="y:pm1",
          variants=[r"\min_{\mathbf{w}}\ C\sum_{i=1}^{l}\log(1 + e^{-y_i\mathbf{w}^T\mathbf{x}_i}) + \frac{1}{2}\mathbf{w}^T\mathbf{w}",
                    r"\min_{\mathbf{w}}\ \frac{1}{2}\mathbf{w}^T\mathbf{w} + C\sum_{i=1}^{l}\log(e^{-y_i\mathbf{w}^T\mathbf{x}_i} + 1)"]),
    entry("paper_pegasos", "Shalev-Shwartz, Singer, Srebro & Cotter (2011), Pegasos: primal estimated sub-gradient solver"
          " for SVM, Sec. 2 (objective with the hinge loss over the training set S)",
          r"\min_{\mathbf{w}}\frac{\lambda}{2}\|\mathbf{w}\|^2 + \frac{1}{m}\sum_{(\mathbf{x},y)\in S}\ell(\mathbf{w};(\mathbf{x},y))",
          r"\mathbf{w}", "w:d x:m,d y:m lambda:",
          lambda v: v["lambda"] / 2 * float(v["w"] @ v["w"]) + float(np.mean(np.maximum(0, 1 - v["y"] * (v["x"] @ v["w"])))),
          where=r"\ell(\mathbf{w};(\mathbf{x},y)) = \max\{0, 1 - y\langle\mathbf{w},\mathbf{x}\rangle\}",
          sizes={"m": 8}, kinds="y:pm1"),
    entry("paper_cortes_vapnik", "Cortes & Vapnik (1995), Support-vector networks (soft margin: (1/2) w.w + C sum xi_i)",
          r"\frac{1}{2}\mathbf{w}\cdot\mathbf{w} + C\sum_{i=1}^{\ell}\xi_i",
          r"\mathbf{w}, \xi", "w:d xi:l C:", lambda v: 0.5 * float(v["w"] @ v["w"]) + v["C"] * float(np.sum(v["xi"])),
          sizes={"l": 7}),
    entry("paper_svr_eps_insensitive", "Smola & Schölkopf (2004), A tutorial on support vector regression, Sec. 1.2"
          " (the epsilon-insensitive loss |xi|_eps in the primal objective)",
          r"\frac{1}{2}\|w\|^2 + C\sum_{i=1}^{\ell}|y_i - \langle w, x_i\rangle - b|_\varepsilon",
          "w, b", "w:d x:l,d y:l b: C: varepsilon:",
          lambda v: 0.5 * float(v["w"] @ v["w"]) + v["C"] * float(np.sum(np.maximum(
              np.abs(v["y"] - v["x"] @ v["w"] - v["b"]) - v["varepsilon"], 0))),
          where=r"|\xi|_\varepsilon := \begin{cases} 0 & \text{if } |\xi| \le \varepsilon \\ |\xi| - \varepsilon & \text{otherwise}\end{cases}",
          sizes={"l": 7}, kinds="varepsilon:prob"),
    entry("paper_weston_watkins", "Weston & Watkins (1999), Support vector machines for multi-class pattern recognition,"
          " Sec. 3 (the k-class primal: slacks xi_i^m for the wrong classes m != y_i, with its margin constraints for"
          " i = 1..l, m in {1..k} minus y_i; w_m and x_i in R^d as the text states)",
          r"\min_{w, b, \xi}\frac{1}{2}\sum_{m=1}^{k}(w_m\cdot w_m) + C\sum_{i=1}^{\ell}\sum_{m\ne y_i}\xi_i^m"
          r" \quad \text{subject to} \quad (w_{y_i}\cdot x_i) + b_{y_i} \ge (w_m\cdot x_i) + b_m + 2 - \xi_i^m,\;"
          r" \xi_i^m \ge 0",
          r"w, b, \xi", "w:k,d b:k xi:l,k C: x:l,d y:l",
          lambda v: 0.5 * float(np.sum(v["w"] ** 2)) + v["C"] * float(np.sum(v["xi"] * (1 - np.eye(4)[v["y"]]))),
          where=r"w_m \in \mathbb{R}^d, \quad x_i \in \mathbb{R}^d", sizes={"l": 7, "k": 4}, kinds="y:labels:k",
          constraints=_weston_watkins_constraints),
    # ---- attention and neural losses
    entry("paper_attention", "Vaswani et al. (2017), Attention is all you need, Sec. 3.2.1, eq. (1) (scaled dot-product"
          " attention as a definition; the test's loss is its squared distance to a target Y)",
          r"\|\mathrm{Attention}(Q, K, V) - Y\|_F^2",
          "Q", "Q:n,d_k K:m,d_k V:m,d_v Y:n,d_v",
          lambda v: float(np.sum((softmax(v["Q"] @ v["K"].T / np.sqrt(v["Q"].shape[1])) @ v["V"] - v["Y"]) ** 2)),
          where=r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{QK^T}{\sqrt{d_k}}\right)V",
          sizes={"n": 4, "m": 5, "d_k": 3, "d_v": 2}),
    entry("paper_focal_loss", "Lin, Goyal, Girshick, He & Dollar (2017), Focal loss for dense object detection, Sec. 3.2 (the"
          " alpha-balanced focal loss of the class probability p_t)",
          r"\mathrm{FL}(p_t) = -\alpha_t(1 - p_t)^\gamma\log(p_t)",
          "p_t", "p_t: alpha_t: gamma:", lambda v: -v["alpha_t"] * (1 - v["p_t"]) ** v["gamma"] * np.log(v["p_t"]),
          kinds="p_t:prob alpha_t:prob"),
    entry("paper_dice", "Milletari, Navab & Ahmadi (2016), V-Net (the Dice coefficient of predictions p and"
          " ground truth g)",
          r"D = \frac{2\sum_i^N p_ig_i}{\sum_i^N p_i^2 + \sum_i^N g_i^2}",
          "p", "p:N g:N", lambda v: 2 * float(v["p"] @ v["g"]) / (float(v["p"] @ v["p"]) + float(v["g"] @ v["g"])),
          kinds="p:prob g:01"),
    entry("paper_distillation", "Hinton, Vinyals & Dean (2015), Distilling the knowledge in a neural network, Sec. 2"
          " (cross-entropy against soft targets p_i, with q_i the softmax at temperature T)",
          r"C = -\sum_i p_i\log q_i",
          "z", "p:K z:K T:", lambda v: -float(v["p"] @ np.log(softmax(v["z"] / v["T"]))),
          where=r"q_i = \frac{\exp(z_i/T)}{\sum_j\exp(z_j/T)}", kinds="p:simplex"),
    entry("paper_smooth_l1", "Girshick (2015), Fast R-CNN, Sec. 2.3 (box regression loss over i in {x, y, w, h})",
          r"L_{\rm loc}(t^u, v) = \sum_{i\in\{x,y,w,h\}}\mathrm{smooth}_{L_1}(t^u_i - v_i)",
          "t^u", "t_u:4 v:4", lambda v: float(np.sum(np.where(np.abs(_d := v["t_u"] - v["v"]) < 1, 0.5 * _d ** 2,
                                                              np.abs(_d) - 0.5))),
          where=r"\mathrm{smooth}_{L_1}(x) = \begin{cases} 0.5x^2 & \text{if } |x| < 1 \\ |x| - 0.5 & \text{otherwise}\end{cases}"),
    entry("paper_smooth_l1_function", "Girshick (2015), Fast R-CNN, Sec. 2.3 (smooth L1 applied to four box offsets)",
          r"\sum_{i=1}^{4}\mathrm{smooth}_{L_1}(t_i - v_i)",
          "t", "t:4 v:4", lambda v: float(np.sum(np.where(np.abs(v["t"] - v["v"]) < 1, 0.5 * (v["t"] - v["v"]) ** 2,
                                                           np.abs(v["t"] - v["v"]) - 0.5))),
          where=r"\mathrm{smooth}_{L_1}(x) = \begin{cases} 0.5x^2 & \text{if } |x| < 1 \\ |x| - 0.5 & \text{otherwise}\end{cases}"),
    entry("paper_cs231n_softmax", "Karpathy et al., CS231n course notes (Stanford), Linear classification: the softmax"
          " classifier (loss of example i with scores f and its integer label y_i)",
          r"L_i = -\log\left(\frac{e^{f_{y_i}}}{ \sum_j e^{f_j} }\right)",
          "f", "f:K y_i:", lambda v: -(v["f"][v["y_i"]] - logsumexp(v["f"])), kinds="y_i:labels:K",
          variants=[r"L_i = -f_{y_i} + \log\sum_j e^{f_j}"]),
    entry("paper_cs231n_svm", "Karpathy et al., CS231n course notes (Stanford), Linear classification: the multiclass"
          " SVM loss of example i",
          r"L_i = \sum_{j\neq y_i} \max(0, s_j - s_{y_i} + \Delta)",
          "s", "s:K y_i: Delta:",
          lambda v: float(sum(max(0.0, v["s"][j] - v["s"][v["y_i"]] + v["Delta"]) for j in range(len(v["s"]))
                              if j != v["y_i"])),
          kinds="y_i:labels:K", variants=[r"L_i = \sum_{j\not= y_i} \max(0, \Delta + s_j - s_{y_i})"]),
    entry("paper_wooldridge_ols_rows", "Wooldridge (2010), Econometric Analysis of Cross Section and Panel Data, 2nd ed.,"
          " Ch. 4 (OLS with x_i the 1 x K row vector of regressors, as the text states)",
          r"\min_{\mathbf{b}}\sum_{i=1}^{N}(y_i - \mathbf{x}_i\mathbf{b})^2",
          r"\mathbf{b}", "y:N x:N,K b:K", lambda v: float(np.sum((v["y"] - v["x"] @ v["b"]) ** 2)),
          where=r"\mathbf{x}_i \in \mathbb{R}^{1 \times K}", sizes={"K": 3}),
    entry("paper_wooldridge_ols_rows_undeclared", "Wooldridge (2010), Ch. 4 (the same OLS objective without the"
          " declaration of x_i)",
          r"\min_{\mathbf{b}}\sum_{i=1}^{N}(y_i - \mathbf{x}_i\mathbf{b})^2",
          r"\mathbf{b}", "y:N x:N,K b:K", lambda v: float(np.sum((v["y"] - v["x"] @ v["b"]) ** 2)), sizes={"K": 3}),
    # ---- contrastive and metric losses
    entry("paper_contrastive_hadsell", "Hadsell, Chopra & LeCun (2006), Dimensionality reduction by learning an invariant"
          " mapping, Sec. 2.1 (contrastive loss of the distance D_W)",
          r"L(W, Y, \vec{X}_1, \vec{X}_2) = (1 - Y)\frac{1}{2}(D_W)^2 + (Y)\frac{1}{2}\{\max(0, m - D_W)\}^2",
          "D_W", "D_W: Y: m:", lambda v: (1 - v["Y"]) * 0.5 * v["D_W"] ** 2 + v["Y"] * 0.5 * max(0.0, v["m"] - v["D_W"]) ** 2,
          kinds="Y:01"),
    entry("paper_triplet_facenet", "Schroff, Kalenichenko & Philbin (2015), FaceNet, Sec. 3.1 (triplet loss; the test's"
          " embedding is linear, f(x) = Wx)",
          r"\sum_i^N\left[\|f(x_i^a) - f(x_i^p)\|_2^2 - \|f(x_i^a) - f(x_i^n)\|_2^2 + \alpha\right]_+",
          "W", "W:k,d x_a:N,d x_p:N,d x_n:N,d alpha:",
          lambda v: float(np.sum(np.maximum(0, np.sum((v["x_a"] @ v["W"].T - v["x_p"] @ v["W"].T) ** 2, 1)
                                            - np.sum((v["x_a"] @ v["W"].T - v["x_n"] @ v["W"].T) ** 2, 1) + v["alpha"]))),
          where=r"f(x) = Wx", sizes={"k": 2}),
    entry("paper_npair", "Sohn (2016), Improved deep metric learning with multi-class N-pair loss objective",
          r"\log\left(1 + \sum_{i=1}^{N-1}\exp(f^\top f_i - f^\top f^+)\right)",
          "f", "f:d F:M,d f_plus:d",
          lambda v: float(np.log1p(np.sum(np.exp(v["F"] @ v["f"] - v["f"] @ v["f_plus"])))), sizes={"M": 6, "N": 7}),   # F: the N - 1 negatives f_i
    entry("paper_simclr_nt_xent", "Chen, Kornblith, Norouzi & Hinton (2020), A simple framework for contrastive learning"
          " (SimCLR), Sec. 2.1, eq. (1) (NT-Xent loss of the positive pair (i, j))",
          r"\ell_{i,j} = -\log\frac{\exp(\mathrm{sim}(\boldsymbol{z}_i,\boldsymbol{z}_j)/\tau)}{\sum_{k=1}^{2N}\mathbb{1}_{[k\neq i]}"
          r"\exp(\mathrm{sim}(\boldsymbol{z}_i,\boldsymbol{z}_k)/\tau)}",
          r"\boldsymbol{z}", "z:n,d tau:", None, status=UNSUPPORTED, construct=r"\\mathbb\{1\}|indicator|i,j|index"),
    entry("paper_infonce", "van den Oord, Li & Vinyals (2018), Representation learning with contrastive predictive coding,"
          " Sec. 2.3 (InfoNCE loss)",
          r"\mathcal{L}_{\text{N}} = -\mathbb{E}_{X}\left[\log\frac{f_k(x_{t+k},c_t)}{\sum_{x_j\in X}f_k(x_j,c_t)}\right]",
          "c_t", "c_t:d", None, status=UNSUPPORTED, construct=r"[Ee]xpectation"),
    entry("paper_center_loss", "Wen, Zhang, Li & Qiao (2016), A discriminative feature learning approach for deep face"
          " recognition (center loss)",
          r"\mathcal{L}_C = \frac{1}{2}\sum_{i=1}^{m}\|\boldsymbol{x}_i - \boldsymbol{c}_{y_i}\|_2^2",
          r"\boldsymbol{c}", "x:m,d c:K,d y:m",
          lambda v: 0.5 * float(np.sum((v["x"] - v["c"][v["y"]]) ** 2)), kinds="y:labels:K"),
    # ---- embeddings and dimensionality reduction
    entry("paper_glove", "Pennington, Socher & Manning (2014), GloVe: global vectors for word representation, Sec. 3,"
          " eqs. (8)-(9) (weighted least squares with f(X_ij))",
          r"J = \sum_{i,j=1}^{V}f(X_{ij})\left(w_i^T\tilde{w}_j + b_i + \tilde{b}_j - \log X_{ij}\right)^2",
          r"w, \tilde{w}, b, \tilde{b}", "w:V,d w_tilde:V,d b:V b_tilde:V X:V,V x_max: alpha:",
          lambda v: float(np.sum(np.where(v["X"] < v["x_max"], (v["X"] / v["x_max"]) ** v["alpha"], 1.0)
                                 * (v["w"] @ v["w_tilde"].T + v["b"][:, None] + v["b_tilde"][None, :] - np.log(v["X"])) ** 2)),
          where=r"f(x) = \begin{cases}(x/x_{\max})^\alpha & \text{if } x < x_{\max} \\ 1 & \text{otherwise}\end{cases}",
          sizes={"V": 5}, kinds="X:positive alpha:prob"),
    entry("paper_skipgram_negative_sampling", "Mikolov, Sutskever, Chen, Corrado & Dean (2013), Distributed"
          " representations of words and phrases, Sec. 2.2 (negative sampling objective)",
          r"\log\sigma({v'_{w_O}}^\top v_{w_I}) + \sum_{i=1}^{k}\mathbb{E}_{w_i\sim P_n(w)}\left[\log\sigma(-{v'_{w_i}}^\top v_{w_I})\right]",
          "v_{w_I}", "v_w_I:d", None, status=UNSUPPORTED, construct=r"[Ee]xpectation"),
    entry("paper_tsne", "van der Maaten & Hinton (2008), Visualizing data using t-SNE, Sec. 3, eqs. (2) and (4) (KL"
          " cost with the Student-t similarities q_ij, normalised over the pairs k != l; p_ii = q_ii = 0, so the"
          " diagonal terms vanish by 0 log 0 = 0)",
          r"C = KL(P\|Q) = \sum_i\sum_j p_{ij}\log\frac{p_{ij}}{q_{ij}}",
          "y", "y:n,k P:n,n", None,
          where=r"q_{ij} = \frac{(1 + \|y_i - y_j\|^2)^{-1}}{\sum_{k \neq l}(1 + \|y_k - y_l\|^2)^{-1}}, \quad p_{ii} = 0,"
                r" \quad q_{ii} = 0",
          status=UNSUPPORTED, construct=r"p_\{i i\} = 0: a value on the diagonal"),
    entry("paper_lle_weights", "Roweis & Saul (2000), Nonlinear dimensionality reduction by locally linear embedding,"
          " eq. (1) (reconstruction cost of the weights, with |.| for the vector norm)",
          r"\varepsilon(W) = \sum_i\left|\vec{X}_i - \sum_j W_{ij}\vec{X}_j\right|^2",
          "W", "W:N,N X:N,D", lambda v: float(np.sum((v["X"] - v["W"] @ v["X"]) ** 2))),
    entry("paper_lle_embedding", "Roweis & Saul (2000), eq. (2) (embedding cost of the coordinates Y)",
          r"\Phi(Y) = \sum_i\left|\vec{Y}_i - \sum_j W_{ij}\vec{Y}_j\right|^2",
          "Y", "W:N,N Y:N,d", lambda v: float(np.sum((v["Y"] - v["W"] @ v["Y"]) ** 2))),
    entry("paper_laplacian_eigenmaps", "Belkin & Niyogi (2003), Laplacian eigenmaps for dimensionality reduction"
          " (the objective sum_ij (y_i - y_j)^2 W_ij)",
          r"\sum_{ij}(y_i - y_j)^2W_{ij}",
          "y", "y:n W:n,n", lambda v: float(np.sum((v["y"][:, None] - v["y"][None, :]) ** 2 * v["W"]))),
    entry("paper_kruskal_stress", "Kruskal (1964), Multidimensional scaling by optimizing goodness of fit (stress)",
          r"S = \sqrt{\frac{\sum_{i<j}(d_{ij} - \hat{d}_{ij})^2}{\sum_{i<j}d_{ij}^2}}",
          "d", "d:n,n d_hat:n,n", _stress),
    entry("paper_factorization_machine", "Rendle (2010), Factorization machines, Sec. III.A, eq. (1) (the model equation)",
          r"\hat{y}(\mathbf{x}) := w_0 + \sum_{i=1}^{n}w_ix_i + \sum_{i=1}^{n}\sum_{j=i+1}^{n}\langle\mathbf{v}_i,\mathbf{v}_j\rangle x_ix_j",
          r"w_0, \mathbf{w}, \mathbf{V}", "w_0: w:n x:n V:n,k",
          lambda v: v["w_0"] + float(v["w"] @ v["x"]) + float(np.sum(np.triu(v["V"] @ v["V"].T, 1) * np.outer(v["x"], v["x"]))),
          sizes={"n": 5, "k": 2}),
    entry("paper_sparse_coding_dictionary", "Mairal, Bach, Ponce & Sapiro (2009), Online dictionary learning for sparse"
          " coding, Sec. 2 (the lasso loss of one signal x with dictionary D)",
          r"l(\mathbf{x},\mathbf{D}) = \min_{\boldsymbol{\alpha}\in\mathbb{R}^k}\frac{1}{2}\|\mathbf{x} - \mathbf{D}\boldsymbol{\alpha}\|_2^2"
          r" + \lambda\|\boldsymbol{\alpha}\|_1",
          r"\boldsymbol{\alpha}", "x:m D:m,k alpha:k lambda:",
          lambda v: 0.5 * float(np.sum((v["x"] - v["D"] @ v["alpha"]) ** 2)) + v["lambda"] * float(np.abs(v["alpha"]).sum()),
          sizes={"m": 6, "k": 4}),
    # ---- variational autoencoders
    entry("paper_vae_kl", "Kingma & Welling (2014), Auto-encoding variational Bayes, Appendix B (-KL of the Gaussian"
          " posterior, sigma_j the posterior standard deviations)",
          r"-D_{KL} = \frac{1}{2}\sum_{j=1}^{J}\left(1 + \log((\sigma_j)^2) - (\mu_j)^2 - (\sigma_j)^2\right)",
          r"\mu, \sigma", "mu:J sigma:J",
          lambda v: 0.5 * float(np.sum(1 + np.log(v["sigma"] ** 2) - v["mu"] ** 2 - v["sigma"] ** 2)),
          sizes={"J": 4}, kinds="sigma:positive"),
    entry("paper_vae_kl_rhs", "Kingma & Welling (2014), Appendix B (the same KL term, right-hand side only)",
          r"\frac{1}{2}\sum_{j=1}^{J}\left(1 + \log((\sigma_j)^2) - (\mu_j)^2 - (\sigma_j)^2\right)",
          r"\mu, \sigma", "mu:J sigma:J",
          lambda v: 0.5 * float(np.sum(1 + np.log(v["sigma"] ** 2) - v["mu"] ** 2 - v["sigma"] ** 2)),
          sizes={"J": 4}, kinds="sigma:positive",
          variants=[r'\frac{1}{2}\sum_{j=1}^{J}\left(1 - (\sigma_j)^2 - (\mu_j)^2 + \log((\sigma_j)^2)\right)',
                    r'\frac{1}{2}\sum_{j=1}^{J}\left(1 - \left((\mu_j)^2 - \log((\sigma_j)^2)\right) - (\sigma_j)^2\right)']),
    entry("paper_vae_elbo", "Kingma & Welling (2014), Sec. 2.2, eq. (3) (the variational lower bound)",
          r"\mathcal{L}(\boldsymbol{\theta},\boldsymbol{\phi};\mathbf{x}^{(i)}) = -D_{KL}(q_{\boldsymbol{\phi}}(\mathbf{z}|\mathbf{x}^{(i)})"
          r"||p_{\boldsymbol{\theta}}(\mathbf{z})) + \mathbb{E}_{q_{\boldsymbol{\phi}}(\mathbf{z}|\mathbf{x}^{(i)})}\left["
          r"\log p_{\boldsymbol{\theta}}(\mathbf{x}^{(i)}|\mathbf{z})\right]",
          r"\boldsymbol{\phi}", "phi:d", None, status=UNSUPPORTED, construct=r"[Ee]xpectation|D_\{KL\}|divergence",
          gap='UnsupportedError not naming it: the set \\mathbb{E}: symgd knows R, N and Z'),
    entry("paper_beta_vae", "Higgins et al. (2017), beta-VAE: learning basic visual concepts, Sec. 2",
          r"\mathcal{F}(\theta,\phi,\beta;\mathbf{x},\mathbf{z}) \geq \mathcal{L}(\theta,\phi;\mathbf{x},\mathbf{z},\beta) = "
          r"\mathbb{E}_{q_\phi(\mathbf{z}|\mathbf{x})}[\log p_\theta(\mathbf{x}|\mathbf{z})] - \beta D_{KL}(q_\phi(\mathbf{z}|\mathbf{x})"
          r"||p(\mathbf{z}))",
          r"\phi", "phi:d", None, status=UNSUPPORTED, construct=r"[Ee]xpectation|D_\{KL\}|divergence"),
    # ---- matrix factorisation
    entry("paper_koren_mf", "Koren, Bell & Volinsky (2009), Matrix factorization techniques for recommender systems,"
          " section 'A basic matrix factorization model' (regularized squared error over the known ratings kappa)",
          r"\min_{q^*,p^*}\sum_{(u,i)\in\kappa}(r_{ui} - q_i^Tp_u)^2 + \lambda(\|q_i\|^2 + \|p_u\|^2)",
          "q, p", "r:U,I q:I,f p:U,f lambda: kappa:U,I",
          lambda v: float(np.sum(v["kappa"] * ((v["r"] - v["p"] @ v["q"].T) ** 2
                                              + v["lambda"] * (np.sum(v["q"] ** 2, 1)[None, :] + np.sum(v["p"] ** 2, 1)[:, None])))),
          sizes={"U": 5, "I": 6, "f": 2}, kinds="kappa:01"),
    entry("paper_koren_biases", "Koren, Bell & Volinsky (2009), section 'Adding biases' (with the user and item biases b_u and b_i)",
          r"\min_{p^*,q^*,b^*}\sum_{(u,i)\in\kappa}(r_{ui} - \mu - b_u - b_i - p_u^Tq_i)^2 + \lambda(\|p_u\|^2 + \|q_i\|^2"
          r" + b_u^2 + b_i^2)",
          "p, q, b", "r:U,I q:I,f p:U,f b_u:U b_i:I mu: lambda: kappa:U,I",   # b: b_u (users, rows), b_i (items)
          lambda v: float(np.sum(v["kappa"] * ((v["r"] - v["mu"] - v["b_u"][:, None] - v["b_i"][None, :] - v["p"] @ v["q"].T) ** 2
                                              + v["lambda"] * (np.sum(v["p"] ** 2, 1)[:, None] + np.sum(v["q"] ** 2, 1)[None, :]
                                                               + v["b_u"][:, None] ** 2 + v["b_i"][None, :] ** 2)))),
          sizes={"U": 5, "I": 6, "f": 2}, kinds="kappa:01"),
    entry("paper_pmf", "Salakhutdinov & Mnih (2008), Probabilistic matrix factorization, Sec. 2 (U_i, V_j the"
          " columns of U and V)",
          r"E = \frac{1}{2}\sum_{i=1}^{N}\sum_{j=1}^{M}I_{ij}\left(R_{ij} - U_i^TV_j\right)^2 + \frac{\lambda_U}{2}\sum_{i=1}^{N}"
          r"\|U_i\|_{Fro}^2 + \frac{\lambda_V}{2}\sum_{j=1}^{M}\|V_j\|_{Fro}^2",
          "U, V", "I:N,M R:N,M U:D,N V:D,M lambda_U: lambda_V:",
          lambda v: 0.5 * float(np.sum(v["I"] * (v["R"] - v["U"].T @ v["V"]) ** 2)) + v["lambda_U"] / 2 * float(np.sum(v["U"] ** 2))
          + v["lambda_V"] / 2 * float(np.sum(v["V"] ** 2)),
          where=r"U \in \mathbb{R}^{D \times N}, V \in \mathbb{R}^{D \times M}",
          sizes={"N": 5, "M": 6, "D": 2}, kinds="I:01"),
    entry("paper_nmf_euclidean", "Lee & Seung (2001), Algorithms for non-negative matrix factorization, Sec. 3"
          " (the Euclidean cost ||V - WH||^2)",
          r"\|V - WH\|^2", "W, H", "V:n,m W:n,r H:r,m", lambda v: float(np.sum((v["V"] - v["W"] @ v["H"]) ** 2)),
          sizes={"n": 5, "m": 6, "r": 2}, kinds="V:positive W:positive H:positive",
          variants=[r"\|WH - V\|^2", r"\|-V + WH\|^2"]),
    entry("paper_nmf_divergence", "Lee & Seung (2001), Sec. 3 (the divergence D(V || WH) written entrywise with (WH)_ij)",
          r"\sum_{ij}\left(V_{ij}\log\frac{V_{ij}}{(WH)_{ij}} - V_{ij} + (WH)_{ij}\right)",
          "W, H", "V:n,m W:n,r H:r,m",
          lambda v: float(np.sum(v["V"] * np.log(v["V"] / (v["W"] @ v["H"])) - v["V"] + v["W"] @ v["H"])),
          sizes={"n": 5, "m": 6, "r": 2}, kinds="V:positive W:positive H:positive"),
    entry("paper_soft_impute", "Mazumder, Hastie & Tibshirani (2010), Spectral regularization algorithms for learning"
          " large incomplete matrices, Sec. 1 (nuclear-norm regularized completion with the projection P_Omega)",
          r"\min_Z\frac{1}{2}\|P_\Omega(X) - P_\Omega(Z)\|_F^2 + \lambda\|Z\|_*",
          "Z", "X:n,m Z:n,m Omega:n,m lambda:",
          lambda v: float(0.5 * np.sum((v["Omega"] * v["X"] - v["Omega"] * v["Z"]) ** 2)
                          + v["lambda"] * np.sum(np.linalg.svd(v["Z"], compute_uv=False))),
          sizes={"n": 5, "m": 3}, kinds="Omega:01"),   # P_\Omega: the mask of the observed entries
    entry("paper_nuclear_norm_min", "Recht, Fazel & Parrilo (2010), Guaranteed minimum-rank solutions of linear matrix"
          " equations via nuclear norm minimization, Sec. 1 (the nuclear norm heuristic)",
          r"\begin{array}{ll}\text{minimize} & \|X\|_* \\ \text{subject to} & \mathcal{A}(X) = b\end{array}",
          "X", "X:n,m b:p M:p,n,m", lambda v: float(np.sum(np.linalg.svd(v["X"], compute_uv=False))),
          where=r"b \in \mathbb{R}^p",   # the paper: A: R^{m x n} -> R^p a linear map, b in R^p
          sizes={"n": 5, "m": 3, "p": 4},
          functions={"A": lambda v: (np.einsum("inm,nm->i", v["M"], v["X"]), v["M"])},   # A(X)_i = <M_i, X>
          constraints=lambda v: [("eq", np.einsum("inm,nm->i", v["M"], v["X"]) - v["b"])]),
    entry("paper_procrustes", "Schönemann (1966), A generalized solution of the orthogonal Procrustes problem"
          " (minimize ||AT - B|| over orthogonal T, as a squared Frobenius norm)",
          r"\min_T\|AT - B\|_F^2\quad\text{s.t.}\quad T^TT = I",
          "T", "A:n,k T:k,k B:n,k", lambda v: float(np.sum((v["A"] @ v["T"] - v["B"]) ** 2)), sizes={"k": 3},
          where=r"I \text{ is the identity}",
          constraints=lambda v: [("eq", v["T"].T @ v["T"] - np.eye(v["T"].shape[0]))]),
    # ---- Gaussian processes
    entry("paper_gp_marginal_noise", "Rasmussen & Williams (2006), Gaussian Processes for Machine Learning, Sec. 2.2"
          " (log marginal likelihood with noise variance sigma_n^2; right-hand side)",
          r"-\frac{1}{2}\mathbf{y}^\top(K + \sigma_n^2I)^{-1}\mathbf{y} - \frac{1}{2}\log|K + \sigma_n^2I| - \frac{n}{2}\log 2\pi",
          r"\sigma_n", "y:n K:n,n sigma_n:",
          lambda v: -0.5 * float(v["y"] @ np.linalg.solve(v["K"] + v["sigma_n"] ** 2 * np.eye(len(v["y"])), v["y"]))
          - 0.5 * np.log(np.linalg.det(v["K"] + v["sigma_n"] ** 2 * np.eye(len(v["y"])))) - len(v["y"]) / 2 * np.log(2 * np.pi),
          kinds="K:spd", sizes={"n": 5}),
    entry("paper_gp_marginal_Ky", "Rasmussen & Williams (2006), Sec. 5.4.1 (log marginal likelihood in K_y = K_f + sigma_n^2 I)",
          r"\log p(\mathbf{y}|X,\boldsymbol{\theta}) = -\frac{1}{2}\mathbf{y}^\top K_y^{-1}\mathbf{y} - \frac{1}{2}\log|K_y| - \frac{n}{2}\log 2\pi",
          "K_y", "y:n K_y:n,n", _gp_log_marginal, kinds="K_y:spd", sizes={"n": 5}),
    entry("paper_gp_marginal_Ky_rhs", "Rasmussen & Williams (2006), Sec. 5.4.1 (the right-hand side, differentiated in K_y)",
          r"-\frac{1}{2}\mathbf{y}^\top K_y^{-1}\mathbf{y} - \frac{1}{2}\log|K_y| - \frac{n}{2}\log 2\pi",
          "K_y", "y:n K_y:n,n",
          _gp_log_marginal, kinds="K_y:spd", sizes={"n": 5}),
    # ---- quantile and robust regression
    entry("paper_koenker_check", "Koenker (2005), Quantile Regression, Sec. 1.3 (regression quantiles with the check function"
          " rho_tau(u) = u(tau - I(u < 0)))",
          r"\min_{\beta\in\mathbb{R}^p}\sum_{i=1}^{n}\rho_\tau(y_i - x_i^\top\beta)",
          r"\beta", "y:n x:n,p beta:p tau:",
          lambda v: float(np.sum((_u := v["y"] - v["x"] @ v["beta"]) * (v["tau"] - (_u < 0)))),
          where=r"\rho_\tau(u) = u(\tau - I(u < 0))", kinds="tau:quantile"),
    entry("paper_koenker_check_max", "Koenker & Hallock (2001), Quantile regression, J. Econ. Perspectives (the check"
          " function as max(tau u, (tau - 1) u))",
          r"\min_{\beta}\sum_{i=1}^{n}\rho_\tau(y_i - x_i^\top\beta)",
          r"\beta", "y:n x:n,p beta:p tau:",
          lambda v: float(np.sum(np.maximum(v["tau"] * (_u := v["y"] - v["x"] @ v["beta"]), (v["tau"] - 1) * _u))),
          where=r"\rho_\tau(u) = \max(\tau u, (\tau - 1)u)", kinds="tau:quantile"),
    entry("paper_koenker_bassett", "Koenker & Bassett (1978), Regression quantiles (sums over the sets above and"
          " below the hyperplane)",
          r"\min_{b\in\mathbb{R}^K}\left[\sum_{t\in\{t:y_t\geq x_tb\}}\theta|y_t - x_tb| + \sum_{t\in\{t:y_t<x_tb\}}(1-\theta)|y_t - x_tb|\right]",
          "b", "y:T x:T,K b:K theta:",
          lambda v: float(np.sum(np.where(v["y"] >= v["x"] @ v["b"], v["theta"], 1 - v["theta"]) * np.abs(v["y"] - v["x"] @ v["b"]))),
          where=r"x_t \in \mathbb{R}^{1 \times K}", sizes={"K": 3}, kinds="theta:quantile"),
    entry("paper_huber_1964", "Huber (1964), Robust estimation of a location parameter (rho for the minimax"
          " estimate, applied to regression residuals)",
          r"\sum_{i=1}^{n}\rho(y_i - x_i^T\beta)",
          r"\beta", "y:n x:n,p beta:p k:", lambda v: float(np.sum(_huber(v["y"] - v["x"] @ v["beta"], v["k"]))),
          where=r"\rho(t) = \begin{cases}\frac{1}{2}t^2 & \text{for } |t| < k \\ k|t| - \frac{1}{2}k^2 & \text{for } |t| \geq k\end{cases}"),
    entry("paper_tukey_biweight", "Beaton & Tukey (1974), The fitting of power series ... (the biweight rho, as given in"
          " robust-statistics texts)",
          r"\sum_{i=1}^{n}\rho(r_i)",
          "r", "r:n c:",
          lambda v: float(np.sum(np.where(np.abs(v["r"]) <= v["c"], v["c"] ** 2 / 6 * (1 - (1 - (v["r"] / v["c"]) ** 2) ** 3),
                                          v["c"] ** 2 / 6))),
          where=r"\rho(u) = \begin{cases}\frac{c^2}{6}\left[1 - \left(1 - (u/c)^2\right)^3\right] & |u| \le c \\ \frac{c^2}{6} & |u| > c\end{cases}",
          kinds="c:large"),
    entry("paper_lorentzian", "Black & Rangarajan (1996), On the unification of line processes, outlier rejection, and"
          " robust statistics (the Lorentzian rho(x, sigma), sigma a scale)",
          r"\sum_{i=1}^{n}\rho(y_i - x_i^T\beta, \sigma)",
          r"\beta", "y:n x:n,p beta:p sigma:",
          lambda v: float(np.sum(np.log(1 + 0.5 * ((v["y"] - v["x"] @ v["beta"]) / v["sigma"]) ** 2))),
          where=r"\rho(x, \sigma) = \log\left(1 + \frac{1}{2}\left(\frac{x}{\sigma}\right)^2\right)"),
    entry("paper_student_t_regression", "Lange, Little & Taylor (1989), Robust statistical modeling using the t"
          " distribution (negative log likelihood in beta, up to constants)",
          r"\frac{\nu + 1}{2}\sum_{i=1}^{n}\log\left(1 + \frac{(y_i - x_i^T\beta)^2}{\nu\sigma^2}\right)",
          r"\beta", "y:n x:n,p beta:p nu: sigma:",
          lambda v: (v["nu"] + 1) / 2 * float(np.sum(np.log1p((v["y"] - v["x"] @ v["beta"]) ** 2 / (v["nu"] * v["sigma"] ** 2)))),
          variants=[r'\sum_{i=1}^{n}\log\left(1 + \frac{(x_i^T\beta - y_i)^2}{\sigma^2\nu}\right)\cdot\frac{1 + \nu}{2}']),
    # ---- total variation
    entry("paper_rof", "Rudin, Osher & Fatemi (1992), Nonlinear total variation based noise removal algorithms, Sec. 2",
          r"\text{minimize}\int_\Omega\sqrt{u_x^2 + u_y^2}\,dx\,dy",
          "u", "u:n,m", None, status=UNSUPPORTED, construct=r"\\int|integral"),
    entry("paper_condat_tv1d", "Condat (2013), A direct algorithm for 1-D total variation denoising, Sec. 1 (with x[k]"
          " indexing)",
          r"\min_{x\in\mathbb{R}^N}\frac{1}{2}\sum_{k=1}^{N}|y[k] - x[k]|^2 + \lambda\sum_{k=1}^{N-1}|x[k+1] - x[k]|",
          "x", "y:N x:N lambda:",
          lambda v: 0.5 * float(np.sum((v["y"] - v["x"]) ** 2)) + v["lambda"] * float(np.abs(np.diff(v["x"])).sum())),
    entry("paper_chambolle_tv", "Chambolle (2004), An algorithm for total variation minimization and applications,"
          " (ROF denoising: ||u - g||^2 / (2 lambda) + J(u), anisotropic discrete J)",
          r"\min_{u}\frac{\|u - g\|^2}{2\lambda} + \sum_{i=1}^{N-1}\sum_{j=1}^{N-1}\left(|u_{i+1,j} - u_{i,j}| + |u_{i,j+1} - u_{i,j}|\right)",
          "u", "u:N,N g:N,N lambda:",
          lambda v: float(np.sum((v["u"] - v["g"]) ** 2)) / (2 * v["lambda"])
          + float(np.sum(np.abs(np.diff(v["u"], axis=0))[:, :-1]) + np.sum(np.abs(np.diff(v["u"], axis=1))[:-1, :])),
          sizes={"N": 4}),
    # ---- ranking and other
    entry("paper_bpr", "Rendle, Freudenthaler, Gantner & Schmidt-Thieme (2009), BPR: Bayesian personalized ranking"
          " from implicit feedback (BPR-Opt over the training triples D_S)",
          r"\text{BPR-Opt} = \sum_{(u,i,j)\in D_S}\ln\sigma(\hat{x}_{uij}) - \lambda_\Theta\|\Theta\|^2",
          r"\Theta", "Theta:p", None, status=UNSUPPORTED,
          construct=r"holds no parameter.*\\hat\{x\}_\{u i j\} would be data.*define \\hat\{x\}_\{u i j\}"),
    entry("paper_kalman_smoother", "Aravkin, Burke, Ljung, Lozano & Pillonetto (2017), Generalized Kalman smoothing, Sec. 2"
          " (least-squares Kalman smoothing with weighted norms ||v||_M^2 = v^T M v)",
          r"\sum_{t=1}^{T}\|y_t - Hx_t\|_{R^{-1}}^2 + \sum_{t=2}^{T}\|x_t - Ax_{t-1}\|_{Q^{-1}}^2",
          "x", "y:T,m H:m,n x:T,n R:m,m A:n,n Q:n,n",
          lambda v: float(np.sum((v["y"] - v["x"] @ v["H"].T) @ np.linalg.inv(v["R"]) * (v["y"] - v["x"] @ v["H"].T)))
          + float(np.sum((_d := v["x"][1:] - v["x"][:-1] @ v["A"].T) @ np.linalg.inv(v["Q"]) * _d)),
          sizes={"T": 5, "m": 2, "n": 3}, kinds="R:spd Q:spd"),
    entry("paper_label_smoothing", "Szegedy, Vanhoucke, Ioffe, Shlens & Wojna (2016), Rethinking the Inception architecture,"
          " Sec. 7 (cross-entropy H(q', p) = -sum_k log p(k) q'(k) with smoothed labels q')",
          r"H(q', p) = -\sum_{k=1}^{K}\log(p(k))q'(k)",
          "z", "z:K q_prime:K", lambda v: -float(np.sum(np.log(softmax(v["z"])) * v["q_prime"])),
          # Sec. 7: p(k|x) = exp(z_k) / sum_i exp(z_i), "omitting the dependence of p and q on x for brevity"
          where=r"p(k) = \frac{\exp(z_k)}{\sum_{i=1}^{K}\exp(z_i)}", kinds="q_prime:simplex"),
    entry("paper_logistic_bias", "Cox (1958), The regression analysis of binary sequences (log likelihood of the"
          " logistic model with intercept alpha and slope beta, scalar x_i)",
          r"\sum_{i=1}^{n}\left\{y_i(\alpha + \beta x_i) - \log(1 + e^{\alpha + \beta x_i})\right\}",
          r"\alpha, \beta", "y:n x:n alpha: beta:",
          lambda v: float(np.sum(v["y"] * (v["alpha"] + v["beta"] * v["x"]) - np.log1p(np.exp(v["alpha"] + v["beta"] * v["x"])))),
          kinds="y:01"),
    entry("paper_softmax_crossentropy_bias", "Bridle (1990), Probabilistic interpretation of feedforward classification"
          " network outputs (softmax outputs with biases; the criterion written in the notation of PRML Sec. 4.3.4)",
          r"-\sum_{n=1}^{N}\sum_{k=1}^{K}t_{nk}\log\frac{\exp(\mathbf{w}_k^T\mathbf{x}_n + b_k)}{\sum_{j=1}^{K}\exp(\mathbf{w}_j^T\mathbf{x}_n + b_j)}",
          r"\mathbf{W}, \mathbf{b}", "t:N,K x:N,d W:K,d b:K",
          lambda v: -float(np.sum(v["t"] * ((_a := v["x"] @ v["W"].T + v["b"]) - logsumexp(_a, axis=1)[:, None]))),
          kinds="t:onehot"),
]
