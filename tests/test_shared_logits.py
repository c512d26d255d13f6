"""A sum over samples whose summand depends on the sample only through its label, beside the same array
indexed by a class alone (ArcFace's θ_{y_i} and θ_j): every sample would share the logits, a silent
misreading of the source's per-sample angles. Refused with how to write it; the spellings it suggests,
and label-indexed parameters beside per-sample data (softmax regression), are read and checked here
against hand-written NumPy references with central differences (N = 7 samples, K = 4 classes)."""

from __future__ import annotations

import numpy as np
import pytest

import symgd
from corpus.harness import central_differences
from helpers import assert_close, block_values, objective_value
from symgd.errors import AmbiguityError

N, K, D = 7, 4, 3
LABELS = np.array([0, 3, 1, 2, 3, 0, 1])
ONE_HOT = np.eye(K)[LABELS]

ARCFACE = (r"L_3 = -\frac{1}{N}\sum_{i=1}^{N}\log\frac{e^{s(\cos(\theta_{y_i} + m))}}{e^{s(\cos(\theta_{y_i} + m))}"
           r" + \sum_{j=1,j\neq y_i}^{n}e^{s\cos\theta_j}}")


def _check(problem, reference, values: dict, env: dict, param: str) -> None:
    assert_close(objective_value(problem, env), reference(values), rel=1e-10, what="loss")
    block, = symgd.gradient(problem).blocks
    assert_close(block_values(block, env, problem), central_differences(reference, values, param), rel=1e-6,
                 what=f"gradient in {param}")


def test_arcface_as_written_is_refused_naming_the_unwritten_sample_dependence():
    with pytest.raises(AmbiguityError, match=r"\\theta_\{y_\{i\}\} and \\theta_\{j\}: \\theta is indexed by the class "
                                             r"only.*write \\theta_\{i,j\}"):
        symgd.parse(ARCFACE, wrt=r"\theta")


def test_arcface_with_per_sample_angles_matches_the_paper():
    # Deng et al. (2019), eq. (3), θ written with the sample index the refusal asks for
    problem = symgd.parse(ARCFACE.replace(r"\theta_{y_i}", r"\theta_{i,y_i}").replace(r"\theta_j", r"\theta_{i,j}"),
                          wrt=r"\theta")

    def reference(v):
        rows = np.arange(N)
        target = np.exp(v["s"] * np.cos(v["theta"][rows, LABELS] + v["m"]))
        others = np.exp(v["s"] * np.cos(v["theta"]))
        others[rows, LABELS] = 0.0
        return -float(np.mean(np.log(target / (target + others.sum(axis=1)))))

    values = {"theta": np.random.default_rng(0).uniform(0.2, 1.4, size=(N, K)), "s": 2.5, "m": 0.3}
    _check(problem, reference, values, {**values, "y_onehot": ONE_HOT, "N": N, "n": K}, "theta")


def test_a_label_indexed_parameter_beside_the_samples_data_is_read():
    # softmax regression: w_{y_i}^T x_i depends on i through x_i too
    problem = symgd.parse(r"-\sum_{i=1}^{N}\log\frac{e^{w_{y_i}^T x_i}}{\sum_{j=1}^{K} e^{w_j^T x_i}}", wrt="w")

    def reference(v):
        scores = v["x"] @ v["w"].T
        return -float(np.sum(scores[np.arange(N), LABELS] - np.log(np.exp(scores).sum(axis=1))))

    rng = np.random.default_rng(1)
    values = {"w": rng.normal(size=(K, D)), "x": rng.normal(size=(N, D))}
    _check(problem, reference, values, {**values, "y_onehot": ONE_HOT, "N": N, "K": K, "d": D}, "w")


def test_logits_declared_shared_by_the_samples_are_read():
    # an intercept-only softmax: declaring θ in R^K says the samples share it
    problem = symgd.parse(r"-\sum_{i=1}^{N}\log\frac{e^{\theta_{y_i}}}{\sum_{j=1}^{K} e^{\theta_j}}", wrt=r"\theta",
                          where=r"\theta \in \mathbb{R}^{K}")

    def reference(v):
        return -float(np.sum(v["theta"][LABELS] - np.log(np.exp(v["theta"]).sum())))

    values = {"theta": np.random.default_rng(2).normal(size=K)}
    _check(problem, reference, values, {**values, "y_onehot": ONE_HOT, "N": N, "K": K}, "theta")
