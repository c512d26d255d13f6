"""symgd explain: the gradient derived step by step, every step checked against numbers.

The explanation verifies its own steps; these tests check that verification independently where
they can (the loss and the read-off gradient against central differences of the index-form
objective, evaluated by symgd.numeric, not by the tensor IR the steps are written in), that every
shown step of every example passes, and that a wrong rule is caught and said to be unverified.
"""

import functools
from pathlib import Path

import numpy as np
import pytest

import symgd
from symgd import numeric
from symgd.cli import main
from symgd.explain import differential, explain
from symgd.explain.printing import plain_text
from symgd.tensor import ir
from symgd.tensor.evaluate import evaluate

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.glob("examples/*.tex"))
H = 1e-6


def _gradient_by_differences(problem, values: dict, name: str) -> np.ndarray:
    """∂L/∂name by central differences of the index-form objective (symgd.numeric, not the IR)."""
    base = np.array(values[name], dtype=float)
    out = np.zeros(base.shape)
    for position in np.ndindex(*base.shape) if base.shape else [()]:
        sides = []
        for sign in (1, -1):
            shifted = base.copy()
            shifted[position] += sign * H
            sides.append(numeric.evaluate(problem.objective, {**values, name: shifted if base.shape else float(shifted)}))
        out[position] = (sides[0] - sides[1]) / (2 * H)
    return out


@functools.lru_cache(maxsize=None)
def _explained(path: Path):
    return symgd.explain(path.read_text())


def _ir_env(problem, values: dict) -> dict:
    env = {dim: values[str(dim)] for dim in problem.dims}
    for symbol in problem.shapes:
        if problem.roles[symbol] not in ("dimension", "index"):
            env[symbol] = values[str(getattr(symbol, "label", symbol))]
    return env


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_step_of_every_example_is_verified(path):
    explanation = _explained(path)
    assert explanation.verified, explanation.text
    assert all(step.verified and step.discrepancy <= 1e-5 for step in explanation.steps)
    kinds = [step.kind for step in explanation.steps]
    assert kinds[0] == "loss" and "differential" in kinds and "read off" in kinds
    assert "NOT VERIFIED" not in explanation.text
    assert explanation.latex.startswith("\\begin{align*}")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_read_off_gradients_match_central_differences_of_the_index_form(path):
    explanation = _explained(path)
    problem = explanation.derivation.problem
    values = numeric.random_values(problem, seed=7, symmetric=False)
    read_off = [step for step in explanation.steps if step.kind == "read off"]
    assert len(read_off) == len(explanation.derivation.blocks)
    for step in read_off:
        param = step.equation.left
        name = str(getattr(param, "label", param))
        claimed = evaluate(step.equation.right, _with_pieces(explanation, _ir_env(problem, values)))
        expected = _gradient_by_differences(problem, values, name)
        assert np.allclose(claimed, expected, rtol=1e-5, atol=1e-6), (name, claimed, expected)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_differential_of_the_loss_matches_a_directional_derivative_of_the_index_form(path):
    """Each line dL = Σ⟨G, dv⟩ whose differentials are all of parameters is checked by hand here."""
    explanation = _explained(path)
    problem = explanation.derivation.problem
    values = numeric.random_values(problem, seed=11, symmetric=False)
    params = [block.wrt[0] for block in explanation.derivation.blocks]
    rng = np.random.default_rng(3)
    directions = {p: rng.normal(size=np.shape(values[str(getattr(p, "label", p))])) for p in params}
    names = {str(getattr(p, "label", p)): p for p in params}
    shifted = [{**values, **{n: values[n] + s * H * directions[p] for n, p in names.items()}} for s in (1, -1)]
    expected = (numeric.evaluate(problem.objective, shifted[0]) - numeric.evaluate(problem.objective, shifted[1])) / (2 * H)
    env = _ir_env(problem, values)
    lines = [s for s in explanation.steps if s.kind in ("transpose", "chain rule", "differential")
             and s.equation.kind == "inner"]
    checked = 0
    for step in lines:
        leaves = [leaf for _, leaf in step.equation.right if isinstance(leaf, ir.Input)]
        if len(leaves) != len(step.equation.right) or not leaves:
            continue
        if not all(explanation.differentials[leaf] in directions for leaf in leaves):
            continue   # a differential of a piece: the verifier's central differences check it
        env_d = dict(env)
        for leaf in leaves:
            env_d[leaf.symbol] = directions[explanation.differentials[leaf]]
        total = sum(np.sum(np.asarray(evaluate(g, _with_pieces(explanation, env_d))) * np.asarray(evaluate(e, env_d)))
                    for g, e in step.equation.right)
        assert abs(total - expected) <= 1e-5 * max(1.0, abs(expected)), step.text
        checked += 1
    assert checked >= 1


def _with_pieces(explanation, env: dict) -> dict:
    env = dict(env)
    for piece in explanation.pieces:
        env[piece.symbol.symbol] = evaluate(piece.node, env)
    return env


def test_least_squares_reads_like_a_textbook():
    explanation = symgd.explain(r"\frac{1}{2n}\|Xw - y\|_2^2", wrt="w")
    lines = [step.text for step in explanation.steps]
    assert "r = X w - y" in lines
    assert "dr = X dw" in lines
    assert "dL = (1/n) rᵀ dr" in lines
    assert "dL = (1/n) rᵀ X dw" in lines
    assert "∂L/∂w = (1/n) Xᵀ r" in lines
    assert lines[-1] == "∂L/∂w = (1/n) Xᵀ (X w - y)"
    assert [s.kind for s in explanation.steps] == [
        "loss", "define", "define", "differential", "transpose", "differential", "chain rule", "transpose",
        "read off", "substitute"]
    rules = {rule for step in explanation.steps for rule in step.rules_text}
    assert "d(AB) = dA B + A dB" in rules and "aᵀ B dc = (Bᵀ a)ᵀ dc" in rules


def test_matrix_parameters_use_the_trace_rules():
    explanation = symgd.explain(r"\|R - UV^\top\|_F^2", wrt="U, V")
    text = explanation.text
    assert "E = R - U Vᵀ" in text and "dE = -(dU Vᵀ + U dVᵀ)" in text   # d(R - U Vᵀ); once misprinted -dU Vᵀ + U dVᵀ
    assert "tr(Gᵀ dA B) = tr((G Bᵀ)ᵀ dA)" in text
    assert explanation.verified


def test_a_wrong_power_rule_is_caught_and_said(monkeypatch):
    def wrong_power(self, node, parts):   # forgets the exponent: d(u^p) = u^(p-1) du
        return ir.mul(ir.power(node.args[0], node.param - 1), parts[0])

    monkeypatch.setattr(differential.Forward, "_power", wrong_power)
    explanation = symgd.explain(r"(\theta - 3)^2", wrt=r"\theta")
    assert not explanation.verified
    bad = [step for step in explanation.steps if not step.verified]
    assert bad and bad[0].kind == "differential"
    assert "NOT VERIFIED" in explanation.text and "did NOT pass" in explanation.text
    assert "NOT verified" in explanation.latex


def test_a_wrong_transposition_rule_is_caught(monkeypatch):
    def doubled(g):   # 1^T g written as 2 (1^T g)
        return ir.mul(ir.const(2), ir.reduce("sum", g, range(len(g.shape))))

    monkeypatch.setattr(differential, "_sum_all", doubled)
    explanation = symgd.explain(r"\sum_{i=1}^{n} (y_i - w^\top x_i - b)^2", wrt="w, b")
    assert not explanation.verified
    assert any(step.kind == "transpose" and not step.verified for step in explanation.steps)


def test_constrained_problems_explain_the_objective_or_the_lagrangian():
    source = r"\min_x \frac12\|Ax - b\|^2 \quad\text{s.t.}\quad Cx = d, x \ge 0"
    objective = symgd.explain(source)
    assert objective.verified and any("constraints" in note for note in objective.notes)
    lagrangian = symgd.explain(source, lagrangian=True)
    assert lagrangian.verified
    assert "μ" in lagrangian.steps[-1].text and "λ" in lagrangian.steps[-1].text


def test_losses_outside_a_normal_point_domain_are_verified_at_positive_points():
    explanation = symgd.explain(r"-\sum_{i=1}^{m}\log(b_i - a_i^\top x)", wrt="x")
    assert explanation.verified, explanation.text


def test_derivation_steps_and_hessians():
    gradient = symgd.gradient(r"\frac{1}{2}x^\top A x - b^\top x", wrt="x")
    assert [s.text for s in gradient.steps] == [s.text for s in explain(gradient).steps]
    with pytest.raises(symgd.UnsupportedError, match="Hessian"):
        _ = symgd.hessian(r"\frac{1}{2}x^\top A x - b^\top x", wrt="x").steps


def test_command_line(capsys):
    path = next(p for p in EXAMPLES if p.stem == "01_least_squares")
    assert main(["explain", f"@{path}"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂w = (1/n) Xᵀ (X w - y)" in out and "Every step was checked numerically" in out
    assert main(["explain", f"@{path}", "--format", "latex"]) == 0
    assert r"\mathrm{d}r &= X \mathrm{d}w" in capsys.readouterr().out
    assert main(["explain", f"@{path}", "--format", "json"]) == 0
    assert '"verified": true' in capsys.readouterr().out


@pytest.mark.parametrize("latex, text", [
    (r"\frac{1}{n} X^\top \left(X w - y\right)", "(1/n) Xᵀ (X w - y)"),
    (r"\frac{\partial L}{\partial w}", "∂L/∂w"),
    (r"\operatorname{tr}\left(\left(S^\top - \Theta^{-\top}\right)^\top \mathrm{d}\Theta\right)",
     "tr((Sᵀ - Θ^(-ᵀ))ᵀ dΘ)"),
    (r"\sigma\left(z\right) \odot \mathrm{d}z", "σ(z) ⊙ dz"),
    (r"-\log\det \Theta", "-log det Θ"),
    (r"\sqrt{u}^{\odot 2}", "√(u)^(⊙ 2)"),
])
def test_plain_text(latex, text):
    assert plain_text(latex) == text


# -- a student's derivation by differentials, checked line by line beside the explanation ---------

LEAST_SQUARES = r"L(w) = \frac{1}{2n}\|Xw - y\|_2^2 \quad \text{where} \quad X \in \mathbb{R}^{n \times d}, \quad y \in \mathbb{R}^{n}"


def test_a_correct_derivation_by_differentials_is_correct():
    claim = r"""\begin{align*}
    r &= Xw - y \\
    \mathrm{d}L &= \frac{1}{n} r^\top \mathrm{d}r \\
    \mathrm{d}r &= X\,\mathrm{d}w \\
    \mathrm{d}L &= \frac{1}{n} r^\top X\,\mathrm{d}w = \frac{1}{n} (X^\top r)^\top \mathrm{d}w \\
    \nabla_w L &= \frac{1}{n} X^\top r
    \end{align*}"""
    result = symgd.check(LEAST_SQUARES, claim)
    assert result.ok and result.verdict == "correct", str(result)
    assert len(result.steps) == 5 and all(step.follows for step in result.steps)


@pytest.mark.parametrize("claim, line, explained", [
    (r"r = Xw - y \\ dL = \frac{1}{2n} r^\top dr \\ dr = X dw \\ \nabla_w L = \frac{1}{n} X^\top r", 2,
     r"\mathrm{d}L = \frac{1}{n} r^\top \mathrm{d}r"),
    (r"r = Xw - y \\ dL = \frac{1}{n} r^\top dr \\ dr = X^\top dw \\ \nabla_w L = \frac{1}{n} X^\top r", 3,
     r"\mathrm{d}r = X \mathrm{d}w"),
    (r"r = Xw - y \\ dL = \frac{1}{n} r^\top dr \\ dr = X dw \\ \nabla_w L = X^\top r", 4,
     r"\frac{\partial L}{\partial w} = \frac{1}{n} X^\top r"),
])
def test_check_points_at_the_first_line_that_parts_ways_with_the_explanation(claim, line, explained):
    result = symgd.check(LEAST_SQUARES, claim)
    assert not result.ok and result.verdict == "incorrect"
    finding = result.diagnosis[0]
    assert finding.startswith(f"line {line}:"), finding
    assert f"symgd explain has {explained} here" in finding


def test_a_derivation_by_differentials_that_stops_early_is_not_correct():
    result = symgd.check(LEAST_SQUARES, r"r = Xw - y \\ dL = \frac{1}{n} r^\top dr \\ dr = X dw")
    assert not result.ok and "stops before" in result.diagnosis[0]


def test_a_matrix_derivation_by_differentials():
    claim = r"""E = R - UV^\top \\ dJ = 2\operatorname{tr}(E^\top dE) \\ dE = -dU\,V^\top \\
    \frac{\partial J}{\partial U} = -2 E V"""
    assert symgd.check(r"J(U) = \|R - UV^\top\|_F^2", claim).ok
    wrong = claim.replace("-2 E V", "-2 E^\\top V")
    result = symgd.check(r"J(U) = \|R - UV^\top\|_F^2 \quad\text{where}\quad R \in \mathbb{R}^{m \times n}", wrong)
    assert not result.ok


def test_a_logistic_derivation_in_the_students_names_is_matched_by_value():
    source = next(p for p in EXAMPLES if p.stem == "04_logistic").read_text()
    claim = (r"z = Xw \\ p = \sigma(z) \\ dL = -(y \oslash p - (1 - y) \oslash (1 - p))^\top dp \\ "
             r"dp = p \odot (1 - p) \odot dz \\ dL = (p - y)^\top dz \\ dz = X dw \\ \nabla_w L = X^\top (p - y)")
    assert symgd.check(source, claim).ok
    result = symgd.check(source, claim.replace(r"(p - y)^\top dz", r"(y - p)^\top dz"))
    assert not result.ok
    assert result.diagnosis[0].startswith("line 5:")
    assert r"symgd explain has \mathrm{d}L = \left(u - y\right)^\top \mathrm{d}z here" in result.diagnosis[0]
