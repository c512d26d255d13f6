"""Goodfellow, Bengio & Courville, Deep Learning (MIT Press, 2016)."""

import numpy as np

from corpus.entry import UNSUPPORTED, entry

DL = "Goodfellow, Bengio & Courville, Deep Learning (2016)"


ENTRIES = [
    entry("dl_mse_train", f"{DL}, Sec. 5.1.4 (linear regression: minimizing MSE_train)",
          r"\frac{1}{m}\|\boldsymbol{X}^{(\text{train})}\boldsymbol{w} - \boldsymbol{y}^{(\text{train})}\|_2^2",
          r"\boldsymbol{w}", "X_train:m,n y_train:m w:n",
          lambda v: float(np.sum((v["X_train"] @ v["w"] - v["y_train"]) ** 2)) / v["X_train"].shape[0],
          sizes={"m": 7, "n": 3}),
    entry("dl_weight_decay", f"{DL}, Sec. 5.2.2 (weight decay: J(w) = MSE_train + lambda w^T w)",
          r"J(\boldsymbol{w}) = \mathrm{MSE}_{\text{train}} + \lambda\boldsymbol{w}^\top\boldsymbol{w}",
          r"\boldsymbol{w}", "X:m,n y:m w:n lambda:",
          lambda v: float(np.sum((v["X"] @ v["w"] - v["y"]) ** 2)) / v["X"].shape[0] + v["lambda"] * float(v["w"] @ v["w"]),
          where=r"\mathrm{MSE}_{\text{train}} = \frac{1}{m}\|\boldsymbol{X}\boldsymbol{w} - \boldsymbol{y}\|_2^2",
          sizes={"m": 7, "n": 3}),
    entry("dl_quadratic_approximation", f"{DL}, Sec. 7.1.1 (quadratic approximation of J around w*)",
          r"\hat{J}(\boldsymbol{\theta}) = J(\boldsymbol{w}^*) + \frac{1}{2}(\boldsymbol{w} - \boldsymbol{w}^*)^\top"
          r"\boldsymbol{H}(\boldsymbol{w} - \boldsymbol{w}^*)",
          r"\boldsymbol{w}", "J:  w_star:n H:n,n w:n",
          lambda v: v["J"] + 0.5 * float((v["w"] - v["w_star"]) @ v["H"] @ (v["w"] - v["w_star"])),
          sizes={"n": 3}, kinds="H:spd"),
    entry("dl_l2_regularized_quadratic", f"{DL}, Sec. 7.1.1 (L2 regularization added to the quadratic approximation)",
          r"\frac{\alpha}{2}\boldsymbol{w}^\top\boldsymbol{w} + \frac{1}{2}(\boldsymbol{w} - \boldsymbol{w}^*)^\top"
          r"\boldsymbol{H}(\boldsymbol{w} - \boldsymbol{w}^*)",
          r"\boldsymbol{w}", "alpha: w_star:n H:n,n w:n",
          lambda v: v["alpha"] / 2 * float(v["w"] @ v["w"]) + 0.5 * float((v["w"] - v["w_star"]) @ v["H"] @ (v["w"] - v["w_star"])),
          sizes={"n": 3}, kinds="H:spd"),
    entry("dl_softplus_bce", f"{DL}, Sec. 6.2.2.2 (sigmoid output: the loss written with the softplus zeta)",
          r"J(\boldsymbol{\theta}) = \zeta((1 - 2y)z)",
          "z", "y: z:", lambda v: float(np.log1p(np.exp((1 - 2 * v["y"]) * v["z"]))), kinds="y:01 z:normal"),
    entry("dl_softplus_bce_declared", f"{DL}, Sec. 6.2.2.2 with zeta(x) = log(1 + exp(x)) from Sec. 3.10",
          r"J(\boldsymbol{\theta}) = \zeta((1 - 2y)z)",
          "z", "y: z:", lambda v: float(np.log1p(np.exp((1 - 2 * v["y"]) * v["z"]))),
          where=r"\zeta(x) = \log(1 + \exp(x))", kinds="y:01 z:normal"),
    entry("dl_sigmoid_bce", f"{DL}, Sec. 6.2.2.2 (-log P(y | x) = -log sigma((2y - 1) z))",
          r"-\log\sigma((2y - 1)z)",
          "z", "y: z:", lambda v: float(np.log1p(np.exp(-(2 * v["y"] - 1) * v["z"]))), kinds="y:01 z:normal"),
    entry("dl_pca_single_direction", f"{DL}, Sec. 2.12 (PCA: the single optimal direction d)",
          r"\underset{\boldsymbol{d}}{\arg\min}\,\|\boldsymbol{X} - \boldsymbol{X}\boldsymbol{d}\boldsymbol{d}^\top\|_F^2"
          r"\text{ subject to }\boldsymbol{d}^\top\boldsymbol{d} = 1",
          r"\boldsymbol{d}", "X:m,n d:n",
          lambda v: float(np.sum((v["X"] - np.outer(v["X"] @ v["d"], v["d"])) ** 2)), sizes={"m": 7, "n": 3},
          constraints=lambda v: [("eq", float(v["d"] @ v["d"]) - 1)]),
    entry("dl_linear_least_squares", f"{DL}, Sec. 4.5 (example: linear least squares)",
          r"f(\boldsymbol{x}) = \frac{1}{2}\|\boldsymbol{A}\boldsymbol{x} - \boldsymbol{b}\|_2^2",
          r"\boldsymbol{x}", "A:m,n b:m x:n",
          lambda v: 0.5 * float(np.sum((v["A"] @ v["x"] - v["b"]) ** 2)), sizes={"m": 7, "n": 3},
          variants=[r"f(\boldsymbol{x}) = \frac{1}{2}\|\boldsymbol{b} - \boldsymbol{A}\boldsymbol{x}\|_2^2",
                    r"f(\boldsymbol{x}) = \frac{1}{2}\|-\boldsymbol{b} + \boldsymbol{A}\boldsymbol{x}\|_2^2"]),
    entry("dl_least_squares_constrained", f"{DL}, Sec. 4.5 (least squares subject to x^T x <= 1)",
          r"\min_{\boldsymbol{x}}\frac{1}{2}\|\boldsymbol{A}\boldsymbol{x} - \boldsymbol{b}\|_2^2\text{ subject to }"
          r"\boldsymbol{x}^\top\boldsymbol{x} \le 1",
          r"\boldsymbol{x}", "A:m,n b:m x:n",
          lambda v: 0.5 * float(np.sum((v["A"] @ v["x"] - v["b"]) ** 2)), sizes={"m": 7, "n": 3},
          constraints=lambda v: [("le", float(v["x"] @ v["x"]) - 1)]),
    entry("dl_rbm_energy", f"{DL}, Sec. 16.7.1 (energy of a restricted Boltzmann machine)",
          r"E(\boldsymbol{v},\boldsymbol{h}) = -\boldsymbol{b}^\top\boldsymbol{v} - \boldsymbol{c}^\top\boldsymbol{h}"
          r" - \boldsymbol{v}^\top\boldsymbol{W}\boldsymbol{h}",
          r"\boldsymbol{W}, \boldsymbol{b}, \boldsymbol{c}", "b:p v:p c:K h:K W:p,K",
          lambda v: -float(v["b"] @ v["v"]) - float(v["c"] @ v["h"]) - float(v["v"] @ v["W"] @ v["h"]),
          kinds="v:01 h:01"),
    entry("dl_sparse_coding", f"{DL}, Sec. 13.4 (sparse coding: inference of h)",
          r"\underset{\boldsymbol{h}}{\arg\min}\,\lambda\|\boldsymbol{h}\|_1 + \beta\|\boldsymbol{x} - \boldsymbol{W}\boldsymbol{h}\|_2^2",
          r"\boldsymbol{h}", "h:K x:p W:p,K lambda: beta:",
          lambda v: v["lambda"] * float(np.abs(v["h"]).sum()) + v["beta"] * float(np.sum((v["x"] - v["W"] @ v["h"]) ** 2))),
    entry("dl_cross_entropy_expectation", f"{DL}, Sec. 5.5 (maximum likelihood as minimizing cross-entropy)",
          r"J(\boldsymbol{\theta}) = -\mathbb{E}_{\mathbf{x},\mathbf{y}\sim\hat{p}_{\text{data}}}\log p_{\text{model}}(\boldsymbol{y}\mid\boldsymbol{x})",
          r"\boldsymbol{\theta}", "theta:p", None, status=UNSUPPORTED, construct=r"[Ee]xpectation"),
    entry("dl_gan_value", f"{DL}, Sec. 20.10.4 (the GAN value function)",
          r"v(\boldsymbol{\theta}^{(g)},\boldsymbol{\theta}^{(d)}) = \mathbb{E}_{\boldsymbol{x}\sim p_{\text{data}}}\log d(\boldsymbol{x})"
          r" + \mathbb{E}_{\boldsymbol{x}\sim p_{\text{model}}}\log(1 - d(\boldsymbol{x}))",
          r"\boldsymbol{\theta}^{(d)}", "theta_d:p", None, status=UNSUPPORTED, construct=r"[Ee]xpectation"),
]
