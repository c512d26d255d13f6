# ruff: noqa: E501, E731
"""Red team of ``symgd.check`` (a maintenance script, not a test): claims as students and papers write them,
for standard losses, each correct and with the usual slips; the truth of each is decided by hand-written NumPy
(central differences of the loss at random points with distinct dimensions), never by symgd, and compared with
check's verdict. Run: ``python benchmarks/check_redteam.py [case numbers]``; it prints every verdict and
diagnosis and flags each FALSE VERDICT (tests/test_check_redteam.py holds the ones found and fixed).

Each case: (label, source, wrt, claim, loss(env, param) in NumPy, claim(env) in NumPy or None when the
claim's shapes do not fit / it is not the gradient's shape). The truth is whether the NumPy claim equals
the central-difference gradient of the NumPy loss at random points with distinct dimensions.
"""
import pathlib
import sys
import time

import numpy as np

import symgd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from corpus.harness import central_differences  # noqa: E402

n, d, K, m, p, k = 7, 4, 3, 5, 6, 2   # all distinct
rng = np.random.default_rng(12345)


def sig(z):
    return 1 / (1 + np.exp(-z))


def env_factory():
    env = dict(
        X=rng.normal(size=(n, d)), y=rng.normal(size=n), w=rng.normal(size=d) * 0.5,
        ypm=rng.choice([-1.0, 1.0], size=n), y01=rng.choice([0.0, 1.0], size=n),
        ycount=rng.poisson(2.0, size=n).astype(float),
        Y=rng.normal(size=(n, K)), W=rng.normal(size=(K, d)) * 0.5, Wm=rng.normal(size=(d, K)) * 0.5,
        A=rng.normal(size=(d, d)), b=rng.normal(size=d), x=rng.normal(size=d), v=rng.normal(size=p),
        lam=0.7, delta=0.8, mu=0.3, sd=1.3,
        U2=rng.normal(size=(k, n)), V2=rng.normal(size=(k, m)),
        S=rng.normal(size=(d, d)), Th=rng.normal(size=(d, d)) + 3 * np.eye(d),
        # trace forms: A (p x m), X (m x k), B (k x p)
        At=rng.normal(size=(p, m)), Xt=rng.normal(size=(m, k)), Bt=rng.normal(size=(k, p)),
        # Frobenius: A (n x d), X (d x K), B (n x K)
        Af=rng.normal(size=(n, d)), Xf=rng.normal(size=(d, K)), Bf=rng.normal(size=(n, K)),
        # two-layer net: x (d), W1 (m x d), W2 (K x m), y (K)
        xn=rng.normal(size=d), W1=rng.normal(size=(m, d)), W2=rng.normal(size=(K, m)), yn=rng.normal(size=K),
        # factorisation: R (n x m), U (n x k), V (m x k)
        R=rng.normal(size=(n, m)), U=rng.normal(size=(n, k)), V=rng.normal(size=(m, k)),
        Ab=rng.normal(size=(d, p)), z=rng.normal(size=K), labels=rng.integers(0, K, size=n),
    )
    return env


def fd_grad(loss, env, key, h=1e-6):
    return central_differences(loss, env, key, h)


def fd_hess(loss, env, key, h=1e-4):
    base = env[key]
    size = base.size
    H = np.zeros((size, size))
    for a in range(size):
        e = np.zeros(size)
        e[a] = h
        up = fd_grad(loss, {**env, key: base + e.reshape(base.shape)}, key, 1e-5)
        down = fd_grad(loss, {**env, key: base - e.reshape(base.shape)}, key, 1e-5)
        H[:, a] = ((up - down) / (2 * h)).ravel()
    return H


CASES = []


def case(label, source, wrt, key, loss, claims, kind="grad"):
    for text, fn in claims:
        CASES.append((label, source, wrt, key, loss, text, fn, kind))


# 1 least squares, matrix notation with 1/(2n)
ls = lambda e: np.sum((e["X"] @ e["w"] - e["y"]) ** 2) / (2 * n)
r = lambda e: e["X"] @ e["w"] - e["y"]
case("LS 1/2n", r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2, \quad X \in \mathbb{R}^{n \times d}", "w", "w", ls, [
    (r"\nabla_w L = \frac{1}{n} X^\top (Xw - y)", lambda e: e["X"].T @ r(e) / n),
    (r"\frac{\partial L}{\partial w} = \frac{1}{n}\sum_{i=1}^{n}(x_i^\top w - y_i)x_i", lambda e: e["X"].T @ r(e) / n),
    (r"\frac{\partial L}{\partial w} = \frac{1}{n} X (Xw - y)", None),
    (r"\frac{\partial L}{\partial w} = \frac{1}{n} X^\top X w - X^\top y", lambda e: e["X"].T @ e["X"] @ e["w"] / n - e["X"].T @ e["y"]),
    (r"\frac{\partial L}{\partial w} = X^\top (Xw - y)", lambda e: e["X"].T @ r(e)),
    (r"\frac{\partial L}{\partial w} = \frac{2}{n} X^\top (Xw - y)", lambda e: 2 * e["X"].T @ r(e) / n),
    (r"\frac{\partial L}{\partial w} = \frac{1}{n} X^\top (y - Xw)", lambda e: -e["X"].T @ r(e) / n),
    (r"\frac{\partial L}{\partial w^\top} = \frac{1}{n} (Xw - y)^\top X", "row"),
    (r"\frac{\partial L}{\partial w_j} = \frac{1}{n}\sum_{i=1}^{n}(\sum_{k=1}^{d} X_{ik} w_k - y_i) X_{ij}", lambda e: e["X"].T @ r(e) / n),
    (r"\frac{\partial L}{\partial w_j} = \frac{1}{n}\sum_{i=1}^{n}(\sum_{k=1}^{d} X_{ik} w_k - y_i) X_{ik}", None),
    (r"\nabla_w L = \frac{1}{n}(X^\top X w - X^\top y)", lambda e: e["X"].T @ r(e) / n),
    (r"\nabla_w^2 L = \frac{1}{n} X^\top X", ("hess", lambda e: e['X'].T @ e['X'] / n)),
    (r"\nabla_w^2 L = \frac{1}{n} X X^\top", None),
])

# 2 CS229 notation
cs = lambda e: np.sum((e["X"] @ e["w"] - e["y"]) ** 2) / (2 * n)
case("LS cs229", r"J(\theta) = \frac{1}{2m}\sum_{i=1}^{m}(\theta^\top x^{(i)} - y^{(i)})^2", r"\theta", "w", cs, [
    (r"\frac{\partial J}{\partial \theta_j} = \frac{1}{m}\sum_{i=1}^{m}(\theta^\top x^{(i)} - y^{(i)})x_j^{(i)}", lambda e: e["X"].T @ r(e) / n),
    (r"\frac{\partial J}{\partial \theta_j} = \frac{1}{m}\sum_{i=1}^{m}(\theta^\top x^{(i)} - y^{(i)})", None),
    (r"\frac{\partial J}{\partial \theta_j} = \sum_{i=1}^{m}(\theta^\top x^{(i)} - y^{(i)})x_j^{(i)}", lambda e: e["X"].T @ r(e)),
    (r"\nabla_\theta J = \frac{1}{m} X^\top (X\theta - y)", lambda e: e["X"].T @ r(e) / n),
    (r"\nabla_\theta J = \frac{1}{m}\sum_{i=1}^{m}(y^{(i)} - \theta^\top x^{(i)})x^{(i)}", lambda e: -e["X"].T @ r(e) / n),
])

# 3 plain text least squares
case("LS text", "||X w - y||^2", "w", "w", lambda e: np.sum(r(e) ** 2), [
    ("2 X^T (X w - y)", lambda e: 2 * e["X"].T @ r(e)),
    ("2 X^T (y - X w)", lambda e: -2 * e["X"].T @ r(e)),
    ("2 (X^T X w - X^T y)", lambda e: 2 * e["X"].T @ r(e)),
    ("X^T (X w - y)", lambda e: e["X"].T @ r(e)),
])

# 4 ridge
ridge = lambda e: np.sum((e["y"] - e["X"] @ e["w"]) ** 2) + e["lam"] * np.sum(e["w"] ** 2)
case("ridge", r"L(w) = \|y - Xw\|_2^2 + \lambda\|w\|_2^2, \quad X \in \mathbb{R}^{n \times d}", "w", "w", ridge, [
    (r"\nabla_w L = -2X^\top(y - Xw) + 2\lambda w", lambda e: 2 * e["X"].T @ r(e) + 2 * e["lam"] * e["w"]),
    (r"\nabla_w L = 2(X^\top X + \lambda I)w - 2X^\top y", lambda e: 2 * e["X"].T @ r(e) + 2 * e["lam"] * e["w"]),
    (r"\nabla_w L = -2X^\top(y - Xw) + \lambda w", lambda e: 2 * e["X"].T @ r(e) + e["lam"] * e["w"]),
    (r"\nabla_w L = 2X^\top(y - Xw) + 2\lambda w", lambda e: -2 * e["X"].T @ r(e) + 2 * e["lam"] * e["w"]),
    (r"\nabla_w L = -2X^\top(y - Xw)", lambda e: 2 * e["X"].T @ r(e)),
    (r"\nabla_w L = 2(X^\top X + \lambda)w - 2X^\top y", "?"),
    (r"\hat w = (X^\top X + \lambda I)^{-1} X^\top y", ("min", lambda e: np.linalg.solve(e['X'].T @ e['X'] + e['lam'] * np.eye(d), e['X'].T @ e['y']))),
    (r"\hat w = (X^\top X + \lambda I)^{-1} X y", None),
])

# 5 logistic, labels +-1
lpm = lambda e: np.mean(np.log1p(np.exp(-e["ypm"] * (e["X"] @ e["w"]))))
mz = lambda e: e["ypm"] * (e["X"] @ e["w"])
case("logistic pm1", r"L(w) = \frac{1}{n}\sum_{i=1}^{n}\log(1 + e^{-y_i w^\top x_i})", "w", "w",
     lambda e: np.mean(np.log1p(np.exp(-e["ypm"] * (e["X"] @ e["w"])))), [
    (r"\nabla_w L = -\frac{1}{n}\sum_{i=1}^{n}\frac{y_i x_i}{1 + e^{y_i w^\top x_i}}", lambda e: -e["X"].T @ (e["ypm"] / (1 + np.exp(mz(e)))) / n),
    (r"\nabla_w L = -\frac{1}{n}\sum_{i=1}^{n} y_i\sigma(-y_i w^\top x_i) x_i", lambda e: -e["X"].T @ (e["ypm"] * sig(-mz(e))) / n),
    (r"\nabla_w L = -\frac{1}{n}\sum_{i=1}^{n} y_i\sigma(y_i w^\top x_i) x_i", lambda e: -e["X"].T @ (e["ypm"] * sig(mz(e))) / n),
    (r"\nabla_w L = -\frac{1}{n}\sum_{i=1}^{n}\frac{y_i x_i}{1 + e^{-y_i w^\top x_i}}", lambda e: -e["X"].T @ (e["ypm"] / (1 + np.exp(-mz(e)))) / n),
    (r"\nabla_w L = \frac{1}{n}\sum_{i=1}^{n}\frac{-y_i x_i e^{-y_i w^\top x_i}}{1 + e^{-y_i w^\top x_i}}", lambda e: -e["X"].T @ (e["ypm"] * np.exp(-mz(e)) / (1 + np.exp(-mz(e)))) / n),
    (r"\nabla_w L = -\frac{1}{n}\sum_{i=1}^{n}\frac{x_i}{1 + e^{y_i w^\top x_i}}", lambda e: -e["X"].T @ (1 / (1 + np.exp(mz(e)))) / n),
])
# labels in {-1, 1}: y_i^2 = 1 is NOT known to symgd; the last claim is wrong for general y (truth computed for +-1!)

# 6 logistic 0/1
l01 = lambda e: -np.sum(e["y01"] * np.log(sig(e["X"] @ e["w"])) + (1 - e["y01"]) * np.log(1 - sig(e["X"] @ e["w"])))
case("logistic 01", r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1 - y_i)\log(1 - \sigma(w^\top x_i))\right]",
     "w", "w", l01, [
    (r"\nabla_w L = X^\top(\sigma(Xw) - y)", lambda e: e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
    (r"\nabla_w L = \sum_{i=1}^{n}(\sigma(w^\top x_i) - y_i)x_i", lambda e: e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
    (r"\nabla_w L = X^\top(y - \sigma(Xw))", lambda e: -e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
    (r"\nabla_w L = \sum_{i=1}^{n}(\sigma(w^\top x_i) - y_i)\sigma(w^\top x_i)(1 - \sigma(w^\top x_i))x_i",
     lambda e: e["X"].T @ ((sig(e["X"] @ e["w"]) - e["y01"]) * sig(e["X"] @ e["w"]) * (1 - sig(e["X"] @ e["w"])))),
    (r"\nabla^2_w L = X^\top \operatorname{diag}(\sigma(Xw) \odot (1 - \sigma(Xw))) X",
     ("hess", lambda e: e['X'].T @ np.diag(sig(e['X'] @ e['w']) * (1 - sig(e['X'] @ e['w']))) @ e['X'])),
    (r"\nabla^2_w L = X^\top \operatorname{diag}(\sigma(Xw)) X",
     ("hess", lambda e: e['X'].T @ np.diag(sig(e['X'] @ e['w'])) @ e['X'])),
    (r"\nabla^2_w L = \sum_{i=1}^{n}\sigma(w^\top x_i)(1 - \sigma(w^\top x_i)) x_i x_i^\top",
     ("hess", lambda e: e['X'].T @ np.diag(sig(e['X'] @ e['w']) * (1 - sig(e['X'] @ e['w']))) @ e['X'])),
])

# 7 squared loss through a sigmoid: sigma' vs sigma
sq_sig = lambda e: 0.5 * np.sum((sig(e["X"] @ e["w"]) - e["y"]) ** 2)
s_ = lambda e: sig(e["X"] @ e["w"])
case("sigmoid squared", r"L(w) = \frac{1}{2}\sum_{i=1}^{n}(\sigma(w^\top x_i) - y_i)^2", "w", "w", sq_sig, [
    (r"\nabla_w L = \sum_{i=1}^{n}(\sigma(w^\top x_i) - y_i)\sigma(w^\top x_i)(1 - \sigma(w^\top x_i))x_i",
     lambda e: e["X"].T @ ((s_(e) - e["y"]) * s_(e) * (1 - s_(e)))),
    (r"\nabla_w L = \sum_{i=1}^{n}(\sigma(w^\top x_i) - y_i)\sigma'(w^\top x_i)x_i",
     lambda e: e["X"].T @ ((s_(e) - e["y"]) * s_(e) * (1 - s_(e)))),
    (r"\nabla_w L = \sum_{i=1}^{n}(\sigma(w^\top x_i) - y_i)\sigma(w^\top x_i)x_i",
     lambda e: e["X"].T @ ((s_(e) - e["y"]) * s_(e))),
    (r"\nabla_w L = \sum_{i=1}^{n}(\sigma(w^\top x_i) - y_i)x_i", lambda e: e["X"].T @ (s_(e) - e["y"])),
])

# 8 softmax cross-entropy with integer labels / one-hot Y (general Y)
def ce_int(e):
    Z = e["X"] @ e["W"].T
    Z = Z - Z.max(axis=1, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return -np.sum(logp[np.arange(n), e["labels"]])


def P(e):
    Z = e["X"] @ e["W"].T
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def onehot(e):
    return np.eye(K)[e["labels"]]


case("softmax CE labels", r"L(W) = -\sum_{i=1}^{n}\log\frac{\exp(w_{y_i}^\top x_i)}{\sum_{k=1}^{K}\exp(w_k^\top x_i)}"
     r" \quad W \in \mathbb{R}^{K \times d}", "W", "W", ce_int, [
    (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}\left(\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)} - \mathbb{1}(y_i = k)\right)x_i",
     lambda e: (P(e) - onehot(e)).T @ e["X"]),
    (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}\left(\mathbb{1}(y_i = k) - \frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}\right)x_i",
     lambda e: -(P(e) - onehot(e)).T @ e["X"]),
    (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}x_i",
     lambda e: P(e).T @ e["X"]),
])


def ce_Y(e):
    Z = e["X"] @ e["W"].T
    logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return -np.sum(e["Y"] * logp)


case("softmax CE Y", r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}"
     r" \quad W \in \mathbb{R}^{K \times d}, \quad Y \in \mathbb{R}^{n \times K}", "W", "W", ce_Y, [
    (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}\left(\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)}\sum_{c=1}^{K}Y_{ic} - Y_{ik}\right)x_i",
     lambda e: (P(e) * e["Y"].sum(1, keepdims=True) - e["Y"]).T @ e["X"]),
    (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}\left(\frac{\exp(w_k^\top x_i)}{\sum_{j=1}^{K}\exp(w_j^\top x_i)} - Y_{ik}\right)x_i",
     lambda e: (P(e) - e["Y"]).T @ e["X"]),
])

# 9 Poisson
pois = lambda e: np.sum(np.exp(e["X"] @ e["w"]) - e["ycount"] * (e["X"] @ e["w"]))
case("poisson", r"L(w) = \sum_{i=1}^{n}\left(\exp(w^\top x_i) - y_i w^\top x_i\right)", "w", "w", pois, [
    (r"\nabla_w L = \sum_{i=1}^{n}(\exp(w^\top x_i) - y_i)x_i", lambda e: e["X"].T @ (np.exp(e["X"] @ e["w"]) - e["ycount"])),
    (r"\nabla_w L = X^\top(\exp(Xw) - y)", lambda e: e["X"].T @ (np.exp(e["X"] @ e["w"]) - e["ycount"])),
    (r"\nabla_w L = X^\top(e^{Xw} - y)", lambda e: e["X"].T @ (np.exp(e["X"] @ e["w"]) - e["ycount"])),
    (r"\nabla_w L = \sum_{i=1}^{n}(\exp(w^\top x_i) - y_i w^\top x_i)x_i", lambda e: e["X"].T @ (np.exp(e["X"] @ e["w"]) - e["ycount"] * (e["X"] @ e["w"]))),
    (r"\nabla_w L = \sum_{i=1}^{n}(\exp(w^\top x_i) - y_i)", None),
    (r"\nabla^2_w L = X^\top \operatorname{diag}(\exp(Xw)) X", ("hess", lambda e: e['X'].T @ np.diag(np.exp(e['X'] @ e['w'])) @ e['X'])),
])
# poisson NLL with log link written via lambda_i
pois2 = lambda e: np.sum(np.exp(e["X"] @ e["w"]) - e["ycount"] * (e["X"] @ e["w"]))
case("poisson lambda", r"L(w) = \sum_{i=1}^{n}\left(\lambda_i - y_i\log\lambda_i\right), \quad \lambda_i = \exp(w^\top x_i)", "w", "w", pois2, [
    (r"\nabla_w L = \sum_{i=1}^{n}(\exp(w^\top x_i) - y_i)x_i", lambda e: e["X"].T @ (np.exp(e["X"] @ e["w"]) - e["ycount"])),
    (r"\nabla_w L = \sum_{i=1}^{n}(1 - \frac{y_i}{\exp(w^\top x_i)})x_i", lambda e: e["X"].T @ (1 - e["ycount"] / np.exp(e["X"] @ e["w"]))),
])

# 10 hinge (SVM) subgradient
hinge = lambda e: 0.5 * e["lam"] * e["w"] @ e["w"] + np.mean(np.maximum(0, 1 - e["ypm"] * (e["X"] @ e["w"])))
act = lambda e: (e["ypm"] * (e["X"] @ e["w"]) < 1).astype(float)
case("hinge", r"L(w) = \frac{\lambda}{2}\|w\|^2 + \frac{1}{n}\sum_{i=1}^{n}\max(0, 1 - y_i w^\top x_i)", "w", "w", hinge, [
    (r"\nabla_w L = \lambda w - \frac{1}{n}\sum_{i=1}^{n}\mathbb{1}[y_i w^\top x_i < 1]\, y_i x_i",
     lambda e: e["lam"] * e["w"] - e["X"].T @ (act(e) * e["ypm"]) / n),
    (r"\nabla_w L = \lambda w + \frac{1}{n}\sum_{i=1}^{n}\mathbb{1}[y_i w^\top x_i < 1]\, y_i x_i",
     lambda e: e["lam"] * e["w"] + e["X"].T @ (act(e) * e["ypm"]) / n),
    (r"\nabla_w L = \lambda w - \frac{1}{n}\sum_{i=1}^{n} y_i x_i", lambda e: e["lam"] * e["w"] - e["X"].T @ e["ypm"] / n),
    (r"\nabla_w L = \lambda w - \frac{1}{n}\sum_{i=1}^{n}\mathbb{1}[y_i w^\top x_i > 1]\, y_i x_i",
     lambda e: e["lam"] * e["w"] - e["X"].T @ ((1 - act(e)) * e["ypm"]) / n),
    (r"\nabla_w L = \lambda w - \frac{1}{n}\sum_{i=1}^{n}\mathbb{1}[y_i w^\top x_i < 1]\, x_i",
     lambda e: e["lam"] * e["w"] - e["X"].T @ act(e) / n),
])

# 11 Huber
def huber(e):
    rr = e["X"] @ e["w"] - e["y"]
    a = np.abs(rr)
    return np.sum(np.where(a <= e["delta"], 0.5 * rr ** 2, e["delta"] * (a - 0.5 * e["delta"])))


def huber_g(e):
    rr = e["X"] @ e["w"] - e["y"]
    return e["X"].T @ np.clip(rr, -e["delta"], e["delta"])


case("huber", r"L(w) = \sum_{i=1}^{n} H(w^\top x_i - y_i), \quad H(r) = \begin{cases} \frac{1}{2}r^2 & |r| \le \delta \\ \delta(|r| - \frac{1}{2}\delta) & \text{otherwise} \end{cases}",
     "w", "w", huber, [
    (r"\nabla_w L = \sum_{i=1}^{n} \begin{cases} (w^\top x_i - y_i) x_i & |w^\top x_i - y_i| \le \delta \\ \delta\operatorname{sign}(w^\top x_i - y_i) x_i & \text{otherwise} \end{cases}", huber_g),
    (r"\nabla_w L = \sum_{i=1}^{n} \begin{cases} (w^\top x_i - y_i) x_i & |w^\top x_i - y_i| \le \delta \\ \delta x_i & \text{otherwise} \end{cases}",
     lambda e: e["X"].T @ np.where(np.abs(r(e)) <= e["delta"], r(e), e["delta"])),
    (r"\nabla_w L = \sum_{i=1}^{n} \begin{cases} \frac{1}{2}(w^\top x_i - y_i) x_i & |w^\top x_i - y_i| \le \delta \\ \delta\operatorname{sign}(w^\top x_i - y_i) x_i & \text{otherwise} \end{cases}",
     lambda e: e["X"].T @ np.where(np.abs(r(e)) <= e["delta"], 0.5 * r(e), e["delta"] * np.sign(r(e)))),
])

# 12 lasso
lasso = lambda e: np.sum(r(e) ** 2) / (2 * n) + e["lam"] * np.sum(np.abs(e["w"]))
case("lasso", r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2 + \lambda\|w\|_1, \quad X \in \mathbb{R}^{n \times d}", "w", "w", lasso, [
    (r"\partial L = \frac{1}{n}X^\top(Xw - y) + \lambda\operatorname{sign}(w)", lambda e: e["X"].T @ r(e) / n + e["lam"] * np.sign(e["w"])),
    (r"\nabla_w L = \frac{1}{n}X^\top(Xw - y) + \lambda\operatorname{sign}(w)", lambda e: e["X"].T @ r(e) / n + e["lam"] * np.sign(e["w"])),
    (r"\nabla_w L = \frac{1}{n}X^\top(Xw - y) + \lambda w", lambda e: e["X"].T @ r(e) / n + e["lam"] * e["w"]),
    (r"\nabla_w L = X^\top(Xw - y) + \lambda\operatorname{sign}(w)", lambda e: e["X"].T @ r(e) + e["lam"] * np.sign(e["w"])),
    (r"\nabla_w L = \frac{1}{n}X^\top(Xw - y) + \lambda \frac{w}{|w|}", lambda e: e["X"].T @ r(e) / n + e["lam"] * np.sign(e["w"])),
    (r"\nabla_w L = \frac{1}{n}X^\top(Xw - y) + \lambda\mathbf{1}", lambda e: e["X"].T @ r(e) / n + e["lam"]),
])

# 13 quadratic forms, A non-symmetric
quad = lambda e: e["x"] @ e["A"] @ e["x"]
case("x^T A x", r"f(x) = x^\top A x, \quad A \in \mathbb{R}^{d \times d}", "x", "x", quad, [
    (r"\nabla_x f = (A + A^\top)x", lambda e: (e["A"] + e["A"].T) @ e["x"]),
    (r"\nabla_x f = 2Ax", lambda e: 2 * e["A"] @ e["x"]),
    (r"\nabla_x f = Ax + A^\top x", lambda e: (e["A"] + e["A"].T) @ e["x"]),
    (r"\nabla_x f = x^\top (A + A^\top)", "row"),
    (r"\nabla_x f = A^\top x", lambda e: e["A"].T @ e["x"]),
    (r"\frac{\partial f}{\partial x^\top} = x^\top (A + A^\top)", "rowok"),
    (r"\nabla_x^2 f = A + A^\top", ("hess", lambda e: e['A'] + e['A'].T)),
    (r"\nabla_x^2 f = 2A", ("hess", lambda e: 2 * e['A'])),
    (r"\frac{\partial f}{\partial x_k} = \sum_{j=1}^{d}(A_{kj} + A_{jk})x_j", lambda e: (e["A"] + e["A"].T) @ e["x"]),
    (r"\frac{\partial f}{\partial x_k} = 2\sum_{j=1}^{d}A_{kj}x_j", lambda e: 2 * e["A"] @ e["x"]),
])
quad2 = lambda e: 0.5 * e["x"] @ e["A"] @ e["x"] + e["b"] @ e["x"] + 3.0
case("1/2 x^T A x + b^T x + c", r"f(x) = \frac{1}{2}x^\top A x + b^\top x + c, \quad A \in \mathbb{R}^{d \times d}", "x", "x", quad2, [
    (r"\nabla f(x) = \frac{1}{2}(A + A^\top)x + b", lambda e: 0.5 * (e["A"] + e["A"].T) @ e["x"] + e["b"]),
    (r"\nabla f(x) = Ax + b", lambda e: e["A"] @ e["x"] + e["b"]),
    (r"\nabla f(x) = \frac{1}{2}(A + A^\top)x", lambda e: 0.5 * (e["A"] + e["A"].T) @ e["x"]),
    (r"\nabla f(x) = \frac{1}{2}(A + A^\top)x + b + c", lambda e: 0.5 * (e["A"] + e["A"].T) @ e["x"] + e["b"] + 3.0),
])
bil = lambda e: e["x"] @ e["Ab"] @ e["v"]
case("x^T A y", r"f(x) = x^\top A v, \quad A \in \mathbb{R}^{d \times p}", "x", "x", bil, [
    (r"\nabla_x f = A v", lambda e: e["Ab"] @ e["v"]),
    (r"\nabla_x f = A^\top v", None),
    (r"\nabla_x f = v^\top A^\top", "row"),
])

# 14 log det and trace
logdet = lambda e: np.log(np.linalg.det(e["Th"]))
case("log det", r"f(\Theta) = \log\det\Theta, \quad \Theta \in \mathbb{R}^{d \times d}", r"\Theta", "Th", logdet, [
    (r"\nabla_\Theta f = \Theta^{-\top}", lambda e: np.linalg.inv(e["Th"]).T),
    (r"\nabla_\Theta f = (\Theta^{-1})^\top", lambda e: np.linalg.inv(e["Th"]).T),
    (r"\nabla_\Theta f = \Theta^{-1}", lambda e: np.linalg.inv(e["Th"])),
    (r"\nabla_\Theta f = \frac{1}{\det\Theta}", None),
])
glasso = lambda e: np.trace(e["S"] @ e["Th"]) - np.log(np.linalg.det(e["Th"]))
case("tr(S Th) - log det", r"L(\Theta) = \operatorname{tr}(S\Theta) - \log\det\Theta, \quad S \in \mathbb{R}^{d \times d}", r"\Theta", "Th", glasso, [
    (r"\nabla_\Theta L = S^\top - \Theta^{-\top}", lambda e: e["S"].T - np.linalg.inv(e["Th"]).T),
    (r"\nabla_\Theta L = S - \Theta^{-1}", lambda e: e["S"] - np.linalg.inv(e["Th"])),
    (r"\nabla_\Theta L = S^\top + \Theta^{-\top}", lambda e: e["S"].T + np.linalg.inv(e["Th"]).T),
])
tr3 = lambda e: np.trace(e["At"] @ e["Xt"] @ e["Bt"])
case("tr(AXB)", r"f(X) = \operatorname{tr}(AXB), \quad A \in \mathbb{R}^{p \times m}, B \in \mathbb{R}^{k \times p}", "X", "Xt", tr3, [
    (r"\nabla_X f = A^\top B^\top", lambda e: e["At"].T @ e["Bt"].T),
    (r"\nabla_X f = (BA)^\top", lambda e: (e["Bt"] @ e["At"]).T),
    (r"\nabla_X f = BA", None),
    (r"\nabla_X f = B^\top A^\top", None),
    (r"\frac{\partial f}{\partial X_{ij}} = \sum_{l=1}^{p} A_{li} B_{jl}", lambda e: e["At"].T @ e["Bt"].T),
    (r"\frac{\partial f}{\partial X_{ij}} = \sum_{l=1}^{p} A_{il} B_{lj}", None),
])
trxax = lambda e: np.trace(e["Xf"].T @ e["A"] @ e["Xf"])
case("tr(X^T A X)", r"f(X) = \operatorname{tr}(X^\top A X), \quad A \in \mathbb{R}^{d \times d}, X \in \mathbb{R}^{d \times K}", "X", "Xf", trxax, [
    (r"\nabla_X f = (A + A^\top)X", lambda e: (e["A"] + e["A"].T) @ e["Xf"]),
    (r"\nabla_X f = 2AX", lambda e: 2 * e["A"] @ e["Xf"]),
    (r"\nabla_X f = AX + A^\top X", lambda e: (e["A"] + e["A"].T) @ e["Xf"]),
    (r"\nabla_X f = X^\top(A + A^\top)", None),
])

# 15 Frobenius
fro = lambda e: np.sum((e["Af"] @ e["Xf"] - e["Bf"]) ** 2)
Rf = lambda e: e["Af"] @ e["Xf"] - e["Bf"]
case("||AX - B||_F^2", r"f(X) = \|AX - B\|_F^2, \quad A \in \mathbb{R}^{n \times d}, B \in \mathbb{R}^{n \times K}", "X", "Xf", fro, [
    (r"\nabla_X f = 2A^\top(AX - B)", lambda e: 2 * e["Af"].T @ Rf(e)),
    (r"\nabla_X f = A^\top(AX - B)", lambda e: e["Af"].T @ Rf(e)),
    (r"\nabla_X f = 2(AX - B)A^\top", None),
    (r"\nabla_X f = 2A(AX - B)", None),
    (r"\nabla_X f = 2(A^\top A X - A^\top B)", lambda e: 2 * e["Af"].T @ Rf(e)),
    (r"\nabla_X f = 2(A^\top A X - B)", None),
    (r"\nabla_X f = 2 A^\top A X - 2 A B", None),
])
fro2 = lambda e: 0.5 * np.sum((e["X"] @ e["Wm"] - e["Y"]) ** 2)
case("MATRIX LS", r"L(W) = \frac{1}{2}\|XW - Y\|_F^2 \quad X \in \mathbb{R}^{n \times d}, W \in \mathbb{R}^{d \times K}", "W", "Wm", fro2, [
    (r"\nabla_W L = X^\top(XW - Y)", lambda e: e["X"].T @ (e["X"] @ e["Wm"] - e["Y"])),
    (r"\nabla_W L = (XW - Y)^\top X", None),
    (r"\frac{\partial L}{\partial W} = X^\top X W - X^\top Y", lambda e: e["X"].T @ (e["X"] @ e["Wm"] - e["Y"])),
    (r"\frac{\partial L}{\partial W} = X^\top X W - Y", None),
])

# 16 two-layer net, sigmoid hidden layer
def net(e, W1=None, W2=None):
    W1 = e["W1"] if W1 is None else W1
    W2 = e["W2"] if W2 is None else W2
    return 0.5 * np.sum((W2 @ sig(W1 @ e["xn"]) - e["yn"]) ** 2)


h_ = lambda e: sig(e["W1"] @ e["xn"])
rn = lambda e: e["W2"] @ h_(e) - e["yn"]
NET = (r"L(W_1, W_2) = \frac{1}{2}\|W_2\sigma(W_1 x) - y\|^2, \quad W_1 \in \mathbb{R}^{m \times d}, \quad W_2 \in \mathbb{R}^{K \times m}")
case("net W2", NET, None, "W2", lambda e: net(e), [
    (r"\frac{\partial L}{\partial W_2} = (W_2\sigma(W_1 x) - y)\sigma(W_1 x)^\top", lambda e: np.outer(rn(e), h_(e))),
    (r"\frac{\partial L}{\partial W_2} = \sigma(W_1 x)(W_2\sigma(W_1 x) - y)^\top", None),
    (r"\frac{\partial L}{\partial W_2} = (W_2\sigma(W_1 x) - y)(W_1 x)^\top", lambda e: np.outer(rn(e), e["W1"] @ e["xn"])),
])
case("net W1", NET, None, "W1", lambda e: net(e), [
    (r"\frac{\partial L}{\partial W_1} = \left(W_2^\top(W_2\sigma(W_1 x) - y) \odot \sigma(W_1 x) \odot (1 - \sigma(W_1 x))\right) x^\top",
     lambda e: np.outer((e["W2"].T @ rn(e)) * h_(e) * (1 - h_(e)), e["xn"])),
    (r"\frac{\partial L}{\partial W_1} = \left(W_2^\top(W_2\sigma(W_1 x) - y) \odot \sigma(W_1 x)\right) x^\top",
     lambda e: np.outer((e["W2"].T @ rn(e)) * h_(e), e["xn"])),
    (r"\frac{\partial L}{\partial W_1} = \left(W_2^\top(W_2\sigma(W_1 x) - y) \odot \sigma'(W_1 x)\right) x^\top",
     lambda e: np.outer((e["W2"].T @ rn(e)) * h_(e) * (1 - h_(e)), e["xn"])),
    (r"\frac{\partial L}{\partial W_1} = \left(W_2(W_2\sigma(W_1 x) - y) \odot \sigma(W_1 x) \odot (1 - \sigma(W_1 x))\right) x^\top", None),
    (r"\frac{\partial L}{\partial W_1} = \operatorname{diag}(\sigma(W_1 x) \odot (1 - \sigma(W_1 x))) W_2^\top(W_2\sigma(W_1 x) - y) x^\top",
     lambda e: np.outer((e["W2"].T @ rn(e)) * h_(e) * (1 - h_(e)), e["xn"])),
])

# 17 matrix factorisation
mf = lambda e: 0.5 * np.sum((e["R"] - e["U"] @ e["V"].T) ** 2) + 0.5 * e["lam"] * (np.sum(e["U"] ** 2) + np.sum(e["V"] ** 2))
E_ = lambda e: e["R"] - e["U"] @ e["V"].T
MF = (r"L(U, V) = \frac{1}{2}\|R - UV^\top\|_F^2 + \frac{\lambda}{2}(\|U\|_F^2 + \|V\|_F^2), "
      r"\quad R \in \mathbb{R}^{n \times m}, U \in \mathbb{R}^{n \times k}, V \in \mathbb{R}^{m \times k}")
case("MF U", MF, None, "U", mf, [
    (r"\frac{\partial L}{\partial U} = -(R - UV^\top)V + \lambda U", lambda e: -E_(e) @ e["V"] + e["lam"] * e["U"]),
    (r"\frac{\partial L}{\partial U} = (R - UV^\top)V + \lambda U", lambda e: E_(e) @ e["V"] + e["lam"] * e["U"]),
    (r"\frac{\partial L}{\partial U} = -(R - UV^\top)V", lambda e: -E_(e) @ e["V"]),
    (r"\frac{\partial L}{\partial U} = -(R - UV^\top)^\top V + \lambda U", None),
    (r"\frac{\partial L}{\partial U} = (UV^\top - R)V + \lambda U", lambda e: -E_(e) @ e["V"] + e["lam"] * e["U"]),
])
case("MF V", MF, None, "V", mf, [
    (r"\frac{\partial L}{\partial V} = -(R - UV^\top)^\top U + \lambda V", lambda e: -E_(e).T @ e["U"] + e["lam"] * e["V"]),
    (r"\frac{\partial L}{\partial V} = -(R - UV^\top)U + \lambda V", None),
    (r"\frac{\partial L}{\partial V} = -U^\top(R - UV^\top) + \lambda V", None),
    (r"\frac{\partial L}{\partial V} = (VU^\top - R^\top)U + \lambda V", lambda e: -E_(e).T @ e["U"] + e["lam"] * e["V"]),
])

# 18 log-sum-exp / softmax of a vector
lse = lambda e: np.log(np.sum(np.exp(e["z"])))
case("logsumexp", r"f(z) = \log\sum_{k=1}^{K}\exp(z_k)", "z", "z", lse, [
    (r"\nabla_z f = \operatorname{softmax}(z)", lambda e: np.exp(e["z"]) / np.exp(e["z"]).sum()),
    (r"\frac{\partial f}{\partial z_j} = \frac{e^{z_j}}{\sum_{k=1}^{K}e^{z_k}}", lambda e: np.exp(e["z"]) / np.exp(e["z"]).sum()),
    (r"\nabla^2_z f = \operatorname{diag}(\operatorname{softmax}(z)) - \operatorname{softmax}(z)\operatorname{softmax}(z)^\top",
     ("hess", lambda e: np.diag(np.exp(e['z'])/np.exp(e['z']).sum()) - np.outer(np.exp(e['z'])/np.exp(e['z']).sum(), np.exp(e['z'])/np.exp(e['z']).sum()))),
    (r"\nabla^2_z f = \operatorname{diag}(\operatorname{softmax}(z))", ("hess", lambda e: np.diag(np.exp(e['z'])/np.exp(e['z']).sum()))),
])

# 19 update rules, chains and differentials (truth by hand: the update's direction at eta = 1 vs the gradient)
case("LS updates", r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2, \quad X \in \mathbb{R}^{n \times d}", "w", "w", ls, [
    (r"w \leftarrow w - \frac{\eta}{n} X^\top (Xw - y)", lambda e: e["X"].T @ r(e) / n),
    (r"w \leftarrow w + \frac{\eta}{n} X^\top (Xw - y)", lambda e: -e["X"].T @ r(e) / n),
    (r"w_{t+1} = w_t - \eta\frac{1}{n}\sum_{i=1}^{n}(w_t^\top x_i - y_i)x_i", lambda e: e["X"].T @ r(e) / n),
    (r"w_{t+1} = w_t - \eta\frac{1}{n}\sum_{i=1}^{n}(w_t^\top x_i - y_i)", None),
    (r"w := w - \alpha \frac{1}{n}(X^\top X w - X^\top y)", lambda e: e["X"].T @ r(e) / n),
    (r"\nabla_w L = \frac{1}{n}X^\top(Xw - y) = \frac{1}{n}(X^\top X w - X^\top y)", lambda e: e["X"].T @ r(e) / n),
    (r"\nabla_w L = \frac{1}{n}X^\top(Xw - y) = \frac{1}{n}(X^\top X w - y) = \frac{1}{n}(X^\top X w - X^\top y)", None),
    (r"\nabla_w L = \frac{1}{n}X^\top(Xw - y) = \frac{1}{n}(X X^\top w - X^\top y) = \frac{1}{n}(X^\top X w - X^\top y)", None),
    ("r = Xw - y \\\\ dL = \\frac{1}{n} r^\\top dr \\\\ dr = X dw \\\\ \\nabla_w L = \\frac{1}{n} X^\\top r", ("manual", True)),
    ("r = Xw - y \\\\ dL = \\frac{1}{n} r^\\top dr \\\\ dr = X dw \\\\ \\nabla_w L = \\frac{1}{n} X r", ("manual", False)),
    ("r = Xw - y \\\\ dL = \\frac{2}{n} r^\\top dr \\\\ dr = X dw \\\\ \\nabla_w L = \\frac{1}{n} X^\\top r", ("manual", False)),
    ("r = Xw - y \\\\ dL = \\frac{1}{n} r^\\top dr \\\\ dr = X dw \\\\ \\nabla_w L = \\frac{1}{n} r^\\top X", ("manual", None)),
])
case("logistic updates", r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1 - y_i)\log(1 - \sigma(w^\top x_i))\right]",
     "w", "w", l01, [
    (r"w \leftarrow w + \eta \sum_{i=1}^{n}(y_i - \sigma(w^\top x_i))x_i", lambda e: e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
    (r"w \leftarrow w - \eta \sum_{i=1}^{n}(y_i - \sigma(w^\top x_i))x_i", lambda e: -e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
    (r"w \leftarrow w + \eta X^\top(y - \sigma(Xw))", lambda e: e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
    ("z = Xw \\\\ p = \\sigma(z) \\\\ dL = (p - y)^\\top dz \\\\ dz = X dw \\\\ \\nabla_w L = X^\\top (p - y)", ("manual", True)),
    ("z = Xw \\\\ p = \\sigma(z) \\\\ dL = (p - y)^\\top dz \\\\ dz = X dw \\\\ \\nabla_w L = X^\\top (y - p)", ("manual", False)),
])

# 20 labels declared in {-1, +1}: a form right only for such labels
case("logistic pm1 declared", r"L(w) = \sum_{i=1}^{n}\log(1 + \exp(-y_i w^\top x_i)), \quad y_i \in \{-1, +1\}", "w", "w",
     lambda e: np.sum(np.log1p(np.exp(-e["ypm"] * (e["X"] @ e["w"])))), [
    (r"\nabla_w L = \sum_{i=1}^{n}\left(\sigma(w^\top x_i) - \frac{1 + y_i}{2}\right)x_i",
     lambda e: e["X"].T @ (sig(e["X"] @ e["w"]) - (1 + e["ypm"]) / 2)),
    (r"\nabla_w L = -\sum_{i=1}^{n} y_i\sigma(-y_i w^\top x_i) x_i", lambda e: -e["X"].T @ (e["ypm"] * sig(-mz(e)))),
])

# ===== batch 2 =====
def sm_rows(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)

ce_mat = lambda e: -np.sum(e["Y"] * np.log(sm_rows(e["X"] @ e["Wm"])))
case("softmax matrix", r"L(W) = -\sum_{i=1}^{n}\sum_{k=1}^{K} Y_{ik}\log\operatorname{softmax}(XW)_{ik}, \quad X \in \mathbb{R}^{n \times d}, W \in \mathbb{R}^{d \times K}", "W", "Wm", ce_mat, [
    (r"\nabla_W L = X^\top(\operatorname{softmax}(XW) - Y)", lambda e: e["X"].T @ (sm_rows(e["X"] @ e["Wm"]) - e["Y"])),
    (r"\nabla_W L = X^\top(\operatorname{softmax}(XW) \odot (Y\mathbf{1}\mathbf{1}^\top) - Y)", lambda e: e["X"].T @ (sm_rows(e["X"] @ e["Wm"]) * e["Y"].sum(1, keepdims=True) - e["Y"])),
])
gauss = lambda e: (e["x"] - e["b"]) @ e["A"] @ (e["x"] - e["b"])
case("mahalanobis mu", r"f(\mu) = (x - \mu)^\top A (x - \mu), \quad A \in \mathbb{R}^{d \times d}", r"\mu", "b", gauss, [
    (r"\nabla_\mu f = -(A + A^\top)(x - \mu)", lambda e: -(e["A"] + e["A"].T) @ (e["x"] - e["b"])),
    (r"\nabla_\mu f = -2A(x - \mu)", lambda e: -2 * e["A"] @ (e["x"] - e["b"])),
    (r"\nabla_\mu f = 2A(x - \mu)", lambda e: 2 * e["A"] @ (e["x"] - e["b"])),
    (r"\nabla_\mu f = (A + A^\top)(\mu - x)", lambda e: -(e["A"] + e["A"].T) @ (e["x"] - e["b"])),
])
def spd(e):
    return e["A"] @ e["A"].T + np.eye(d)


case("gauss Sigma^-1 symmetric", r"f(\mu) = \frac{1}{2}(x - \mu)^\top \Sigma^{-1} (x - \mu), \quad \Sigma \in \mathbb{S}^d_{++}",
     r"\mu", "b", lambda e: 0.5 * (e["x"] - e["b"]) @ np.linalg.inv(spd(e)) @ (e["x"] - e["b"]), [
    (r"\nabla_\mu f = \Sigma^{-1}(\mu - x)", lambda e: np.linalg.solve(spd(e), e["b"] - e["x"])),
    (r"\nabla_\mu f = \Sigma^{-1}(x - \mu)", lambda e: np.linalg.solve(spd(e), e["x"] - e["b"])),
    (r"\nabla_\mu f = \frac{1}{2}\Sigma^{-1}(\mu - x)", lambda e: 0.5 * np.linalg.solve(spd(e), e["b"] - e["x"])),
])
fro_sq = lambda e: np.sum(e["Xf"] ** 2)
case("||X||_F^2", r"f(X) = \|X\|_F^2, \quad X \in \mathbb{R}^{d \times K}", "X", "Xf", fro_sq, [
    (r"\nabla_X f = 2X", lambda e: 2 * e["Xf"]),
    (r"\nabla_X f = 2X^\top", None),
    (r"\nabla_X f = X", lambda e: e["Xf"]),
])
trxx = lambda e: np.trace(e["Xf"].T @ e["Xf"])
case("tr(X^T X)", r"f(X) = \operatorname{tr}(X^\top X), \quad X \in \mathbb{R}^{d \times K}", "X", "Xf", trxx, [
    (r"\nabla_X f = 2X", lambda e: 2 * e["Xf"]),
    (r"\frac{\partial f}{\partial X_{ij}} = 2X_{ij}", lambda e: 2 * e["Xf"]),
    (r"\frac{\partial f}{\partial X_{ij}} = 2X_{ji}", None),
])
trinv = lambda e: np.trace(e["S"] @ np.linalg.inv(e["Th"]))
case("tr(S X^-1)", r"f(\Theta) = \operatorname{tr}(S\Theta^{-1}), \quad S \in \mathbb{R}^{d \times d}, \Theta \in \mathbb{R}^{d \times d}", r"\Theta", "Th", trinv, [
    (r"\nabla_\Theta f = -(\Theta^{-1} S \Theta^{-1})^\top", lambda e: -(np.linalg.inv(e["Th"]) @ e["S"] @ np.linalg.inv(e["Th"])).T),
    (r"\nabla_\Theta f = -\Theta^{-\top} S^\top \Theta^{-\top}", lambda e: -(np.linalg.inv(e["Th"]) @ e["S"] @ np.linalg.inv(e["Th"])).T),
    (r"\nabla_\Theta f = -\Theta^{-1} S \Theta^{-1}", lambda e: -(np.linalg.inv(e["Th"]) @ e["S"] @ np.linalg.inv(e["Th"]))),
    (r"\nabla_\Theta f = -\Theta^{-2} S", lambda e: -(np.linalg.inv(e["Th"]) @ np.linalg.inv(e["Th"]) @ e["S"])),
])
l1res = lambda e: np.sum(np.abs(e["X"] @ e["w"] - e["y"]))
case("LAD", r"f(w) = \|Xw - y\|_1, \quad X \in \mathbb{R}^{n \times d}", "w", "w", l1res, [
    (r"\nabla_w f = X^\top\operatorname{sign}(Xw - y)", lambda e: e["X"].T @ np.sign(r(e))),
    (r"\nabla_w f = \operatorname{sign}(X^\top(Xw - y))", lambda e: np.sign(e["X"].T @ r(e))),
    (r"\nabla_w f = \sum_{i=1}^{n}\operatorname{sign}(x_i^\top w - y_i)x_i", lambda e: e["X"].T @ np.sign(r(e))),
])
enet = lambda e: 0.5 * np.sum(r(e) ** 2) + e["lam"] * np.sum(np.abs(e["w"])) + 0.5 * 0.3 * np.sum(e["w"] ** 2)
case("elastic net", r"L(w) = \frac{1}{2}\|Xw - y\|^2 + \lambda\|w\|_1 + \frac{\mu}{2}\|w\|_2^2, \quad X \in \mathbb{R}^{n \times d}", "w", "w",
     lambda e: 0.5 * np.sum(r(e) ** 2) + e["lam"] * np.sum(np.abs(e["w"])) + 0.5 * e["mu"] * np.sum(e["w"] ** 2), [
    (r"\nabla_w L = X^\top(Xw - y) + \lambda\operatorname{sign}(w) + \mu w", lambda e: e["X"].T @ r(e) + e["lam"] * np.sign(e["w"]) + e["mu"] * e["w"]),
    (r"\nabla_w L = X^\top(Xw - y) + \lambda\operatorname{sign}(w) + 2\mu w", lambda e: e["X"].T @ r(e) + e["lam"] * np.sign(e["w"]) + 2 * e["mu"] * e["w"]),
    (r"\nabla_w L = X^\top(Xw - y) + \mu w", lambda e: e["X"].T @ r(e) + e["mu"] * e["w"]),
])
ridge_h = lambda e: 0.5 * np.sum(r(e) ** 2) + e["lam"] * np.sum(e["w"] ** 2)
case("ridge updates", r"L(w) = \frac{1}{2}\|Xw - y\|^2 + \lambda\|w\|^2, \quad X \in \mathbb{R}^{n \times d}", "w", "w", ridge_h, [
    (r"w \leftarrow (1 - 2\eta\lambda)w - \eta X^\top(Xw - y)", lambda e: e["X"].T @ r(e) + 2 * e["lam"] * e["w"]),
    (r"w \leftarrow (1 - \eta\lambda)w - \eta X^\top(Xw - y)", lambda e: e["X"].T @ r(e) + e["lam"] * e["w"]),
    (r"w \leftarrow w - \eta(X^\top X w - X^\top y + 2\lambda w)", lambda e: e["X"].T @ r(e) + 2 * e["lam"] * e["w"]),
    (r"w^* = (X^\top X + 2\lambda I)^{-1}X^\top y", ("min", lambda e: np.linalg.solve(e['X'].T @ e['X'] + 2 * e['lam'] * np.eye(d), e['X'].T @ e['y']))),
    (r"w^* = (X^\top X + \lambda I)^{-1}X^\top y", ("min", lambda e: np.linalg.solve(e['X'].T @ e['X'] + e['lam'] * np.eye(d), e['X'].T @ e['y']))),
    (r"\nabla_w L = X^\top X w - X^\top y + 2\lambda w = (X^\top X + 2\lambda I)w - X^\top y", lambda e: e["X"].T @ r(e) + 2 * e["lam"] * e["w"]),
    (r"\nabla^2_w L = X^\top X + 2\lambda I", ("hess", lambda e: e['X'].T @ e['X'] + 2 * e['lam'] * np.eye(d))),
    (r"\nabla^2_w L = X^\top X + \lambda I", ("hess", lambda e: e['X'].T @ e['X'] + e['lam'] * np.eye(d))),
    (r"\frac{\partial L}{\partial w_k} = \sum_{i=1}^{n}(\sum_{j=1}^{d}X_{ij}w_j - y_i)X_{ik} + 2\lambda w_k", lambda e: e["X"].T @ r(e) + 2 * e["lam"] * e["w"]),
    (r"\frac{\partial^2 L}{\partial w_j \partial w_k} = \sum_{i=1}^{n}X_{ij}X_{ik} + 2\lambda\delta_{jk}", ("hess", lambda e: e['X'].T @ e['X'] + 2 * e['lam'] * np.eye(d))),
])
lsig = lambda e: np.sum(np.log1p(np.exp(-(e["X"] @ e["w"]))))
case("softplus(-z)", r"L(w) = \sum_{i=1}^{n}\log(1 + e^{-w^\top x_i})", "w", "w", lsig, [
    (r"\nabla_w L = -\sum_{i=1}^{n}\frac{e^{-w^\top x_i}}{1 + e^{-w^\top x_i}}x_i", lambda e: -e["X"].T @ (np.exp(-(e["X"] @ e["w"])) / (1 + np.exp(-(e["X"] @ e["w"]))))),
    (r"\nabla_w L = -\sum_{i=1}^{n}(1 - \sigma(w^\top x_i))x_i", lambda e: -e["X"].T @ (1 - sig(e["X"] @ e["w"]))),
    (r"\nabla_w L = -\sum_{i=1}^{n}\sigma(w^\top x_i)x_i", lambda e: -e["X"].T @ sig(e["X"] @ e["w"])),
    (r"\nabla_w L = \sum_{i=1}^{n}\frac{1}{1 + e^{-w^\top x_i}}x_i", lambda e: e["X"].T @ sig(e["X"] @ e["w"])),
])
mf2 = lambda e: 0.5 * np.sum((e["R"] - e["U2"].T @ e["V2"]) ** 2)
case("MF U^T V", r"L(U, V) = \frac{1}{2}\|R - U^\top V\|_F^2, \quad U \in \mathbb{R}^{k \times n}, V \in \mathbb{R}^{k \times m}", None, "U2", mf2, [
    (r"\frac{\partial L}{\partial U} = -V(R - U^\top V)^\top", lambda e: -e["V2"] @ (e["R"] - e["U2"].T @ e["V2"]).T),
    (r"\frac{\partial L}{\partial U} = -V(R - U^\top V)", None),
    (r"\frac{\partial L}{\partial U} = V(U^\top V - R)^\top", lambda e: -e["V2"] @ (e["R"] - e["U2"].T @ e["V2"]).T),
    (r"\frac{\partial L}{\partial U} = -(R - U^\top V)V^\top", None),
])

# ===== batch 3 =====
relu_net = lambda e: 0.5 * np.sum((e["W2"] @ np.maximum(e["W1"] @ e["xn"], 0) - e["yn"]) ** 2)
hr = lambda e: np.maximum(e["W1"] @ e["xn"], 0)
rr = lambda e: e["W2"] @ hr(e) - e["yn"]
RELU = (r"L(W_1, W_2) = \frac{1}{2}\|W_2\operatorname{relu}(W_1 x) - y\|^2, \quad W_1 \in \mathbb{R}^{m \times d}, \quad W_2 \in \mathbb{R}^{K \times m}")
case("relu net W1", RELU, None, "W1", relu_net, [
    (r"\frac{\partial L}{\partial W_1} = \left(W_2^\top(W_2\operatorname{relu}(W_1 x) - y) \odot \mathbb{1}[W_1 x > 0]\right) x^\top",
     lambda e: np.outer((e["W2"].T @ rr(e)) * (e["W1"] @ e["xn"] > 0), e["xn"])),
    (r"\frac{\partial L}{\partial W_1} = \left(W_2^\top(W_2\operatorname{relu}(W_1 x) - y) \odot \operatorname{relu}(W_1 x)\right) x^\top",
     lambda e: np.outer((e["W2"].T @ rr(e)) * hr(e), e["xn"])),
    (r"\frac{\partial L}{\partial W_1} = W_2^\top(W_2\operatorname{relu}(W_1 x) - y) x^\top",
     lambda e: np.outer(e["W2"].T @ rr(e), e["xn"])),
])
prml = lambda e: 0.5 * np.sum((e["X"] @ e["w"] - e["y"]) ** 2)
case("PRML", r"E(w) = \frac{1}{2}\sum_{n=1}^{N}(w^\top \phi_n - t_n)^2", "w", "w", prml, [
    (r"\nabla E(w) = \sum_{n=1}^{N}(w^\top\phi_n - t_n)\phi_n", lambda e: e["X"].T @ r(e)),
    (r"\nabla E(w) = \Phi^\top(\Phi w - t)", lambda e: e["X"].T @ r(e)),
    (r"\nabla E(w) = \sum_{n=1}^{N}(t_n - w^\top\phi_n)\phi_n^\top", None),
    (r"\nabla E(w) = \sum_{n=1}^{N}\phi_n(\phi_n^\top w - t_n)", lambda e: e["X"].T @ r(e)),
    (r"\nabla E(w) = \sum_{n=1}^{N}(\phi_n\phi_n^\top w - t_n\phi_n)", lambda e: e["X"].T @ r(e)),
    (r"\nabla E(w) = \sum_{n=1}^{N}(\phi_n\phi_n^\top w - t_n)", None),
])
case("LS 0-based", r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2, \quad X \in \mathbb{R}^{n \times d}", "w", "w", ls, [
    (r"\nabla_w L = \frac{1}{n}\sum_{i=0}^{n-1}(x_i^\top w - y_i)x_i", lambda e: e["X"].T @ r(e) / n),
    (r"\nabla_w L = \frac{1}{n}\sum_{i=1}^{d}(x_i^\top w - y_i)x_i", lambda e: e["X"][:d].T @ r(e)[:d] / n),
    (r"\nabla_w L = \frac{1}{n}\sum_{i=2}^{n}(x_i^\top w - y_i)x_i", lambda e: e["X"][1:].T @ r(e)[1:] / n),
    (r"\nabla_w L = \frac{1}{n}\sum_{i}(x_i^\top w - y_i)x_i", lambda e: e["X"].T @ r(e) / n),
    (r"\nabla_w L = \frac{1}{n}\sum_{i=1}^{n}x_i x_i^\top w - y_i x_i", ("manual", None)),   # the sum read as extending (a note says so)
    (r"\nabla_w L = \frac{1}{n}\sum_{i=1}^{n}(x_i x_i^\top w - y_i x_i)", lambda e: e["X"].T @ r(e) / n),
])
case("logistic hess S", r"L(w) = -\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1 - y_i)\log(1 - \sigma(w^\top x_i))\right]", "w", "w", l01, [
    (r"\nabla^2_w L = X^\top S X, \quad S = \operatorname{diag}(\sigma(Xw) \odot (1 - \sigma(Xw)))",
     ("hess", lambda e: e['X'].T @ np.diag(sig(e['X'] @ e['w']) * (1 - sig(e['X'] @ e['w']))) @ e['X'])),
    (r"\nabla^2_w L = X S X^\top, \quad S = \operatorname{diag}(\sigma(Xw) \odot (1 - \sigma(Xw)))", None),
    (r"\nabla_w L = X^\top(p - y), \quad p = \sigma(Xw)", lambda e: e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
    (r"\nabla_w L = X^\top(p - y) \quad \text{where } p_i = \sigma(w^\top x_i)", lambda e: e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
    (r"\nabla_w L = X^\top(y - p), \quad p = \sigma(Xw)", lambda e: -e["X"].T @ (sig(e["X"] @ e["w"]) - e["y01"])),
])

# ===== batch 4: a bias and a block Hessian =====
BIAS = r"J(w, b) = \frac12\|Xw + b\mathbf{1} - y\|^2"
case("bias b", BIAS, None, "lam",   # b is "lam" in the NumPy values
     lambda e: 0.5 * np.sum((e["X"] @ e["w"] + e["lam"] - e["y"]) ** 2), [
    (r"\frac{\partial J}{\partial b} = \mathbf{1}^\top(Xw + b\mathbf{1} - y)", lambda e: np.sum(e["X"] @ e["w"] + e["lam"] - e["y"])),
    (r"\frac{\partial J}{\partial b} = \sum_{i=1}^{n}(x_i^\top w - y_i)", lambda e: np.sum(e["X"] @ e["w"] - e["y"])),
    (r"\frac{\partial J}{\partial b} = n b + \mathbf{1}^\top (Xw - y)", lambda e: n * e["lam"] + np.sum(e["X"] @ e["w"] - e["y"])),
    (r"\nabla^2 J = \begin{bmatrix} X^\top X & X^\top \mathbf{1} \\ \mathbf{1}^\top X & n \end{bmatrix}", ("manual", True)),
    (r"\nabla^2 J = \begin{bmatrix} X^\top X & X^\top \mathbf{1} \\ X^\top \mathbf{1} & n \end{bmatrix}", ("manual", False)),
    (r"\nabla^2 J = \begin{bmatrix} X^\top X & \mathbf{1}^\top X \\ \mathbf{1}^\top X & n \end{bmatrix}", ("manual", False)),
    (r"\nabla^2 J = \begin{bmatrix} X^\top X & X^\top \mathbf{1} \\ \mathbf{1}^\top X & 1 \end{bmatrix}", ("manual", False)),
])


def truth_of(loss, env, key, fn, kind):
    """(whether the NumPy claim is the gradient / Hessian / a minimiser, the largest difference or a reason)."""
    if fn is None:
        return False, "shapes do not fit / not the gradient"
    if fn in ("row", "?"):
        return None, "a convention of notation"
    if fn == "rowok":
        return True, "numerator layout row"
    if isinstance(fn, tuple) and fn[0] == "manual":
        return fn[1], "decided by hand"
    if isinstance(fn, tuple) and fn[0] == "hess":
        H, got = fd_hess(loss, env, key), fn[1](env)
        return bool(np.allclose(got, H, rtol=1e-4, atol=1e-5)), float(np.max(np.abs(got - H)))
    if isinstance(fn, tuple) and fn[0] == "min":
        g = fd_grad(loss, {**env, key: fn[1](env)}, key)
        scale = max(1, np.max(np.abs(fd_grad(loss, env, key))))
        return bool(np.max(np.abs(g)) < 1e-5 * scale), float(np.max(np.abs(g)))
    g, got = fd_grad(loss, env, key), fn(env)
    if np.shape(got) != g.shape:
        return False, f"shape {np.shape(got)} vs {g.shape}"
    return bool(np.allclose(got, g, rtol=1e-5, atol=1e-6)), float(np.max(np.abs(got - g)))


def main(selected=None):
    rows = []
    for number, (label, source, wrt, key, loss, claim, fn, kind) in enumerate(CASES):
        if selected and number not in selected:
            continue
        truths = [truth_of(loss, env_factory(), key, fn, kind) for _ in range(3)]
        truth = truths[0][0]
        if any(t[0] != truth for t in truths):
            truth = "mixed"
        start = time.time()
        try:
            res = symgd.check(source, claim, wrt=wrt)
            verdict, ok, diag = res.verdict, res.ok, res.diagnosis
        except Exception as error:   # noqa: BLE001
            verdict, ok, diag = f"{type(error).__name__}: {error}", None, []
        took = time.time() - start
        flag = ""
        if truth in (True, False) and ok is not None and ok != truth:
            flag = "FALSE VERDICT"
        elif ok is None:
            flag = "error"
        print(f"[{number:3d}] {flag:13s} {label:22s} truth={truth!s:5s} ok={ok!s:5s} {took:5.1f}s | {claim}")
        print(f"        verdict: {verdict[:200]}")
        for item in diag:
            print(f"        - {item[:300]}")
        sys.stdout.flush()
        rows.append((number, flag))
    print("claims:", len(rows), "false verdicts:", sum(1 for _, f in rows if f == "FALSE VERDICT"),
          "errors:", sum(1 for _, f in rows if f == "error"))


if __name__ == "__main__":
    main({int(a) for a in sys.argv[1:]} or None)
