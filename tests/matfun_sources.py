"""The three likelihoods of issue 10, as written in LaTeX: shared by the JAX comparison
(test_matfun_models.py) and the check/KKT tests (test_matfun_check_kkt.py)."""

GAUSSIAN = (r"\min_{\mu, \Sigma} \frac{N}{2}\log\det\Sigma + \frac12 \sum_{i=1}^N (x_i - \mu)^\top \Sigma^{-1} (x_i - \mu)"
            r" \quad \Sigma \in \mathbb{S}^d_{++}")
GP = (r"\min_{\sigma_f, \ell, \sigma_n} \frac{1}{2} y^\top (K + \sigma_n^2 I)^{-1} y + \frac{1}{2} \log|K + \sigma_n^2 I|"
      r" + \frac{n}{2}\log(2\pi) \quad K_{ij} = \sigma_f^2 \exp\left(-\frac{\|x_i - x_j\|^2}{2 \ell^2}\right),"
      r" K \succeq 0")
RIDGE = r"\min_\lambda \|v - Z (X^\top X + \lambda I)^{-1} X^\top y\|^2"
