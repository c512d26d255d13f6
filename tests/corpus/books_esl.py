"""Hastie, Tibshirani & Friedman, The Elements of Statistical Learning, 2nd ed. (2009)."""

import numpy as np

from corpus.entry import REFUSAL, entry

ESL = "Hastie, Tibshirani & Friedman, The Elements of Statistical Learning, 2nd ed."


def _rss(v):
    r = v["y"] - v["beta_0"] - v["x"] @ v["beta"]
    return float(r @ r)


def _rss_matrix(v):
    r = v["y"] - v["X"] @ v["beta"]
    return float(r @ r)


ENTRIES = [
    entry("esl_rss_sum", f"{ESL}, Sec. 3.2 (residual sum of squares of the linear model)",
          r"\mathrm{RSS}(\beta) = \sum_{i=1}^{N}\left(y_i - \beta_0 - \sum_{j=1}^{p} x_{ij}\beta_j\right)^2",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0:", _rss),
    entry("esl_rss_matrix", f"{ESL}, Sec. 3.2 (RSS in matrix notation)",
          r"\mathrm{RSS}(\beta) = (\mathbf{y} - \mathbf{X}\beta)^T(\mathbf{y} - \mathbf{X}\beta)",
          r"\beta", "y:N X:N,p beta:p", _rss_matrix,
          variants=[r"\mathrm{RSS}(\beta) = (\mathbf{X}\beta - \mathbf{y})^T(\mathbf{X}\beta - \mathbf{y})",
                    r"\mathrm{RSS}(\beta) = (-\mathbf{X}\beta + \mathbf{y})^T(\mathbf{y} - \mathbf{X}\beta)",
                    r"\mathrm{RSS}(\beta) = (-(\mathbf{X}\beta - \mathbf{y}))^T(\mathbf{y} - \mathbf{X}\beta)"]),
    entry("esl_ridge_sum", f"{ESL}, Sec. 3.4.1 (ridge regression, penalized residual sum of squares)",
          r"\hat{\beta}^{\text{ridge}} = \underset{\beta}{\operatorname{argmin}}\left\{\sum_{i=1}^{N}\left(y_i - \beta_0"
          r" - \sum_{j=1}^{p} x_{ij}\beta_j\right)^2 + \lambda\sum_{j=1}^{p}\beta_j^2\right\}",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0: lambda:",
          lambda v: _rss(v) + v["lambda"] * float(v["beta"] @ v["beta"])),
    entry("esl_ridge_matrix", f"{ESL}, Sec. 3.4.1 (ridge criterion in matrix form)",
          r"\mathrm{RSS}(\lambda) = (\mathbf{y} - \mathbf{X}\beta)^T(\mathbf{y} - \mathbf{X}\beta) + \lambda\beta^T\beta",
          r"\beta", "y:N X:N,p beta:p lambda:",
          lambda v: _rss_matrix(v) + v["lambda"] * float(v["beta"] @ v["beta"]),
          variants=[r"\mathrm{RSS}(\lambda) = \lambda\beta^T\beta + (\mathbf{y} - \mathbf{X}\beta)^T(\mathbf{y} - \mathbf{X}\beta)",
                    r"\mathrm{RSS}(\lambda) = (\mathbf{y} - \mathbf{X}\beta)^T(\mathbf{y} - \mathbf{X}\beta) + \beta^T\beta\lambda"]),
    entry("esl_lasso", f"{ESL}, Sec. 3.4.2 (the lasso in Lagrangian form)",
          r"\hat{\beta}^{\text{lasso}} = \underset{\beta}{\operatorname{argmin}}\left\{\frac{1}{2}\sum_{i=1}^{N}\left(y_i"
          r" - \beta_0 - \sum_{j=1}^{p} x_{ij}\beta_j\right)^2 + \lambda\sum_{j=1}^{p}|\beta_j|\right\}",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0: lambda:",
          lambda v: 0.5 * _rss(v) + v["lambda"] * float(np.abs(v["beta"]).sum())),
    entry("esl_bridge", f"{ESL}, Sec. 3.4.3 (ridge, lasso and beyond: the l_q penalized criterion)",
          r"\tilde{\beta} = \underset{\beta}{\operatorname{argmin}}\left\{\sum_{i=1}^{N}\left(y_i - \beta_0"
          r" - \sum_{j=1}^{p} x_{ij}\beta_j\right)^2 + \lambda\sum_{j=1}^{p}|\beta_j|^q\right\}",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0: lambda: q:",
          lambda v: _rss(v) + v["lambda"] * float((np.abs(v["beta"]) ** v["q"]).sum())),
    entry("esl_elastic_net_penalty", f"{ESL}, Sec. 3.4.3 (the elastic-net penalty)",
          r"\lambda\sum_{j=1}^{p}\left(\alpha\beta_j^2 + (1-\alpha)|\beta_j|\right)",
          r"\beta", "beta:p lambda: alpha:",
          lambda v: v["lambda"] * float((v["alpha"] * v["beta"] ** 2 + (1 - v["alpha"]) * np.abs(v["beta"])).sum()),
          kinds="alpha:prob",
          variants=[r'\lambda\sum_{j=1}^{p}\left((1-\alpha)|\beta_j| + \alpha\beta_j^2\right)',
                    r'\lambda\cdot\sum_{j=1}^{p}\left(\beta_j^2\cdot\alpha + |\beta_j|\cdot(1-\alpha)\right)',
                    r'\lambda\sum_{j=1}^{p}\left(\alpha\beta_j^2 - (\alpha - 1)|\beta_j|\right)']),
    entry("esl_fused_lasso", f"{ESL}, Sec. 18.4.2 (the fused lasso)",
          r"\min_{\beta\in\mathbb{R}^p}\left\{\sum_{i=1}^{N}\left(y_i - \beta_0 - \sum_{j=1}^{p} x_{ij}\beta_j\right)^2"
          r" + \lambda_1\sum_{j=1}^{p}|\beta_j| + \lambda_2\sum_{j=1}^{p-1}|\beta_{j+1} - \beta_j|\right\}",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0: lambda_1: lambda_2:",
          lambda v: _rss(v) + v["lambda_1"] * float(np.abs(v["beta"]).sum())
          + v["lambda_2"] * float(np.abs(np.diff(v["beta"])).sum())),
    entry("esl_logistic_loglik", f"{ESL}, Sec. 4.4.1 (log-likelihood of two-class logistic regression)",
          r"\ell(\beta) = \sum_{i=1}^{N}\left\{y_i\beta^Tx_i - \log(1 + e^{\beta^Tx_i})\right\}",
          r"\beta", "y:N x:N,p beta:p",
          lambda v: float(np.sum(v["y"] * (v["x"] @ v["beta"]) - np.log1p(np.exp(v["x"] @ v["beta"])))),
          kinds="y:01"),
    entry("esl_logistic_l1", f"{ESL}, Sec. 4.4.4 (L1 regularized logistic regression)",
          r"\max_{\beta_0,\beta}\left\{\sum_{i=1}^{N}\left[y_i(\beta_0 + \beta^Tx_i) - \log(1 + e^{\beta_0 + \beta^Tx_i})"
          r"\right] - \lambda\sum_{j=1}^{p}|\beta_j|\right\}",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0: lambda:",
          lambda v: float(np.sum(v["y"] * (v["beta_0"] + v["x"] @ v["beta"])
                                 - np.log1p(np.exp(v["beta_0"] + v["x"] @ v["beta"]))))
          - v["lambda"] * float(np.abs(v["beta"]).sum()),
          kinds="y:01"),
    entry("esl_svm_hinge", f"{ESL}, Sec. 12.3.2 (the SVM as a penalization method), f(x) = h(x)^T beta + beta_0"
          " with h the identity",
          r"\min_{\beta_0,\beta}\sum_{i=1}^{N}[1 - y_if(x_i)]_+ + \frac{\lambda}{2}\|\beta\|^2",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0: lambda:",
          lambda v: float(np.maximum(0, 1 - v["y"] * (v["x"] @ v["beta"] + v["beta_0"])).sum())
          + v["lambda"] / 2 * float(v["beta"] @ v["beta"]),
          where=r"f(x) = x^T\beta + \beta_0", kinds="y:pm1"),
    entry("esl_binomial_deviance_penalized", f"{ESL}, Sec. 12.3.2 (the penalization form min sum L(y_i, f(x_i))"
          " + lambda/2 ||beta||^2 with the binomial deviance of Table 12.1; f(x) = h(x)^T beta + beta_0, h the identity)",
          r"\min_{\beta_0,\beta}\sum_{i=1}^{N}\log[1 + e^{-y_if(x_i)}] + \frac{\lambda}{2}\|\beta\|^2",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0: lambda:",
          lambda v: float(np.sum(np.log1p(np.exp(-v["y"] * (v["x"] @ v["beta"] + v["beta_0"])))))
          + v["lambda"] / 2 * float(v["beta"] @ v["beta"]),
          where=r"f(x) = x^T\beta + \beta_0", kinds="y:pm1"),
    entry("esl_pca_reconstruction", f"{ESL}, Sec. 14.5.1 (principal components: the reconstruction error)",
          r"\min_{\mu,\{\lambda_i\},\mathbf{V}_q}\sum_{i=1}^{N}\|x_i - \mu - \mathbf{V}_q\lambda_i\|^2",
          r"\mu, \lambda, V_q", "x:N,p mu:p lambda:N,q V_q:p,q",
          lambda v: float(np.sum((v["x"] - v["mu"] - v["lambda"] @ v["V_q"].T) ** 2)), sizes={"q": 2}),
    entry("esl_group_lasso", f"{ESL}, Sec. 3.8.4 (the group lasso), groups of equal size k",
          r"\min_{\beta\in\mathbb{R}^p}\left(\|\mathbf{y} - \beta_0\mathbf{1} - \sum_{\ell=1}^{L}\mathbf{X}_\ell\beta_\ell\|_2^2"
          r" + \lambda\sum_{\ell=1}^{L}\sqrt{p_\ell}\|\beta_\ell\|_2\right)",
          r"\beta_0, \beta", "y:N X:L,N,k beta:L,k beta_0: lambda: p:L",
          lambda v: float(np.sum((v["y"] - v["beta_0"] - np.einsum("lnk,lk->n", v["X"], v["beta"])) ** 2))
          + v["lambda"] * float(np.sum(np.sqrt(v["p"]) * np.linalg.norm(v["beta"], axis=1))),
          sizes={"L": 3, "k": 2}, kinds="p:positive",
          status=REFUSAL, gap="UnsupportedError: \\beta_{\\ell}: \\beta is a vector of length p, but ell runs over L values: groups (blocks) of a vector's coefficients, of sizes p_\\ell (as in the group lasso), ar"),
    entry("esl_adaboost_stagewise", f"{ESL}, Sec. 10.4 (forward stagewise additive modeling with exponential loss)",
          r"\sum_{i=1}^{N}\exp[-y_i(f_{m-1}(x_i) + \beta G(x_i))]",
          r"\beta", "y:N f_m_1:N G:N beta:",
          lambda v: float(np.sum(np.exp(-v["y"] * (v["f_m_1"] + v["beta"] * v["G"])))), kinds="y:pm1 G:pm1"),
    entry("esl_rss_chain", f"{ESL}, Sec. 3.2, eq. (3.2) as printed (RSS with the model f(x_i), then written out: a"
          " chain whose middle member uses f, defined only by the last)",
          r"\mathrm{RSS}(\beta) = \sum_{i=1}^{N}(y_i - f(x_i))^2 = \sum_{i=1}^{N}\left(y_i - \beta_0"
          r" - \sum_{j=1}^{p} x_{ij}\beta_j\right)^2",
          r"\beta_0, \beta", "y:N x:N,p beta:p beta_0:", _rss),
]
