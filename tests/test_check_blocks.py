"""Hessian claims as block matrices, one block per pair of parameters (in the parameters' order)."""

import pytest

import symgd

BIAS = r"J(w, b) = \frac12\|Xw + b\mathbf{1} - y\|^2"
RIGHT = r"\nabla^2 J = \begin{bmatrix} X^\top X & X^\top \mathbf{1} \\ \mathbf{1}^\top X & n \end{bmatrix}"


def test_a_right_block_hessian_is_correct():
    result = symgd.check(BIAS, RIGHT)
    assert result.ok and result.verdict == "correct"
    assert "order of the parameters: w, b" in result.diagnosis[0]
    assert result.expected_latex.startswith(r"\begin{bmatrix}")


@pytest.mark.parametrize("wrong, block, finding", [
    (RIGHT.replace(r"& n \end", r"& 1 \end"), "(2, 2)", "divided by n"),
    (RIGHT.replace(r"X^\top X &", r"2 X^\top X &"), "(1, 1)", "2 times"),
    (RIGHT.replace(r"X^\top X &", r"X X^\top &"), "(1, 1)", "shape"),
    (RIGHT.replace(r"X^\top \mathbf{1} \\", r"X^\top y \\"), "(1, 2)", ""),
])
def test_a_wrong_block_is_named(wrong, block, finding):
    result = symgd.check(BIAS, wrong)
    assert not result.ok and result.verdict == "incorrect"
    named = [d for d in result.diagnosis if d.startswith(f"block {block}")]
    assert named and finding in named[0], result.diagnosis


def test_scalar_parameters_and_pmatrix():
    source = r"\min_{x,y}\; x^2 + 3xy + y^2"
    assert symgd.check(source, r"\nabla^2 f = \begin{pmatrix} 2 & 3 \\ 3 & 2 \end{pmatrix}").ok
    assert not symgd.check(source, r"\nabla^2 f = \begin{pmatrix} 2 & 3 \\ 0 & 2 \end{pmatrix}").ok


def test_a_block_matrix_of_the_wrong_size_is_an_error():
    with pytest.raises(symgd.SymgdError, match="2 × 2 blocks"):
        symgd.check(BIAS, r"\nabla^2 J = \begin{bmatrix} X^\top X & X^\top \mathbf{1} \end{bmatrix}")
