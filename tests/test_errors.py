"""Bad input: a clear SymgdError with position, caret and words; never anything else."""

import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgd
from symgd.errors import AmbiguityError, ParseError, ShapeError, SymgdError, UnsupportedError


def parse_error(source, **kwargs) -> ParseError:
    with pytest.raises(ParseError) as info:
        symgd.parse(source, **kwargs)
    return info.value


def test_parse_error_has_line_column_caret_and_words():
    second = "  + \\lambda \\|w\\|^2 )"
    error = parse_error("L(w) = \\|Xw - y\\|^2 +\n" + second, wrt="w")
    column = second.index(")") + 1
    assert (error.line, error.column) == (2, column)
    text = str(error)
    assert f"line 2, column {column}" in text
    assert "  " + second + "\n" + "  " + " " * (column - 1) + "^" in text
    assert "closes nothing" in text


def test_unexpected_end_names_what_was_expected_in_words():
    error = parse_error(r"\frac{1}{2}\|w\|^2 +", wrt="w")
    assert error.line == 1 and error.column == 21
    assert "end of the input" in str(error)
    assert "an expression" in error.expected
    assert "NAME" not in str(error) and "_RPAR" not in str(error)


def test_unknown_command_is_named():
    error = parse_error(r"\foo(w)", wrt="w")
    assert "unknown LaTeX command \\foo" in str(error)
    assert error.column == 1


def test_unclosed_bracket_points_at_the_opening():
    error = parse_error(r"\frac{1}{2}(w^\top w", wrt="w")
    assert error.column == 12
    assert "unclosed '('" in str(error)


def test_mismatched_brackets():
    assert "does not match" in str(parse_error(r"(w^\top w]", wrt="w"))


def test_text_syntax_error_position():
    error = parse_error("L(w) = w' * w +* 2", syntax="text")
    assert error.column == 16
    assert "'*'" in str(error)


def test_shape_error_names_both_operands():
    with pytest.raises(ShapeError) as info:
        symgd.parse(r"w^\top X", wrt="w", where=r"X \in \mathbb{R}^{n \times d}, w \in \mathbb{R}^{m}")
    message = str(info.value)
    assert "w^\\top" in message and "X" in message
    assert "(m,)" in message and "(n, d)" in message


def test_vector_plus_matrix_is_a_shape_error():
    with pytest.raises(ShapeError, match="vector .* matrix|matrix .* vector"):
        symgd.parse(r"\|w + X\|^2", wrt="w", where=r"X \in \mathbb{R}^{n \times d}, w \in \mathbb{R}^{d}")


def test_objective_must_be_scalar():
    with pytest.raises(ShapeError, match="must be a scalar"):
        symgd.parse(r"X w", wrt="w", where=r"X \in \mathbb{R}^{n \times d}")


def test_power_of_vector_is_explained():
    with pytest.raises(ShapeError, match="squared norm"):
        symgd.parse(r"\mathbf{1}^\top (Xw - y)^2", wrt="w", where=r"X \in \mathbb{R}^{n \times d}")


@pytest.mark.parametrize("source, construct", [
    (r"\sum_{i=1}^{\infty} w_i", "infty"),
    (r"\sqrt[3]{w^\top w}", "n-th roots"),
    (r"\|X\|_2", "spectral norm"),
    (r"\|w\|_3", "norm"),
    (r"\min_x x^\top A x \quad \text{s.t.} \quad A \succeq 0", "semidefinite"),
    (r"\min_A \operatorname{tr}(A^{20}) \quad A \in \mathbb{R}^{n \times n}", "matrix power"),
])
def test_unsupported_constructs_are_named(source, construct):
    with pytest.raises(UnsupportedError, match=construct):
        symgd.parse(source, wrt="X" if "X" in source else "w" if "w" in source else "A")


def test_missing_parameters_ask_for_wrt():
    with pytest.raises(AmbiguityError, match="wrt"):
        symgd.parse(r"\|Xw - y\|^2")


def test_unknown_parameter():
    with pytest.raises(AmbiguityError, match="does not appear"):
        symgd.parse(r"\|Xw - y\|^2", wrt="v")


def test_input_size_limit():
    with pytest.raises(ParseError, match="limit"):
        symgd.parse("w + " * 6000 + "w", wrt="w")


def test_nesting_limit():
    with pytest.raises(ParseError, match="nested"):
        symgd.parse("(" * 250 + "w" + ")" * 250, wrt="w")
    with pytest.raises(ParseError, match="nested"):
        symgd.parse("-" * 5000 + "w", wrt="w")


def test_huge_numeric_power_is_refused_quickly():
    start = time.perf_counter()
    with pytest.raises(SymgdError):
        symgd.parse(r"10^{10^{10}} w", wrt="w")
    assert time.perf_counter() - start < 2


def test_injection_is_a_parse_error_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    for syntax in ("auto", "text", "latex"):
        with pytest.raises(ParseError):
            symgd.parse(payload, syntax=syntax, wrt="w")
    assert not marker.exists()


def test_injection_through_the_cli_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    result = subprocess.run([sys.executable, "-m", "symgd", "parse", f"__import__('os').system('touch {marker}')"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "ParseError" in result.stderr
    assert not marker.exists()


def test_non_string_source():
    with pytest.raises(SymgdError, match="string"):
        symgd.parse(42)


LATEX_PIECES = [r"\frac", r"\sum_{i=1}^{n}", r"\|", "|", "^", "_", "{", "}", "(", ")", r"\left(", r"\right)",
                r"\top", r"\log", r"\sigma", r"\lambda", "x", "w", "X", "y_i", "2", " ", "+", "-", "=", ",",
                r"\le", r"\in", r"\mathbb{R}^{n \times d}", r"\min_{w}", r"\text{s.t.}", r"\nabla", r"\partial",
                "\n", "'", r"\cdot", r"\odot", r"\mathbf{1}", r"\sqrt", r"\exp", r"\operatorname{tr}", "[", "]"]
VALID = [
    r"\frac{1}{2n}\|Xw - y\|_2^2",
    r"-\sum_{i=1}^{n}\left[y_i\log\sigma(w^\top x_i) + (1-y_i)\log(1-\sigma(w^\top x_i))\right]",
    r"\min_{x,y}\; x^2 + y^2 \quad\text{s.t.}\quad x + y = 1,\; x \ge 0",
    "L(w) = 1/n * sum((y[i] - w' x[i])^2, i=1..n) + lambda * norm2(w)^2",
]


def _mutations():
    def mutate(pair):
        source, (position, action, text) = pair
        position %= len(source) + 1
        if action == 0:
            return source[:position] + source[position + 1:]
        if action == 1:
            return source[:position] + text + source[position:]
        return source[:position] + text + source[position + len(text):]
    return st.tuples(st.sampled_from(VALID), st.tuples(st.integers(0, 200), st.integers(0, 2),
                                                       st.sampled_from(LATEX_PIECES))).map(mutate)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=st.one_of(st.lists(st.sampled_from(LATEX_PIECES), max_size=30).map("".join),
                        st.text(max_size=60), _mutations()),
       syntax=st.sampled_from(["auto", "latex", "text"]),
       wrt=st.sampled_from([None, "w"]))
def test_only_symgd_errors_escape_and_quickly(source, syntax, wrt):
    start = time.perf_counter()
    try:
        symgd.parse(source, syntax=syntax, wrt=wrt)
    except symgd.InternalError:
        raise
    except SymgdError:
        pass
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("source, syntax, wrt, error", [
    (r"+n_\top", "auto", "w", UnsupportedError),
    (r"-w_j", "latex", "w", AmbiguityError),
    (r"\arg\min_w x^2_+ y^2", "auto", "w", UnsupportedError),
    ("L(w) = 1/n * norm2(w)^+2", "latex", "w", UnsupportedError),
    (r"\min_{x,y}\; x^.2 + y^2", "auto", None, ParseError),
    (r"L(\theta) = (\theta - 3)^2 \quad \theta_{n+1} = \theta_n - S\gamma\nabla L(\theta_n)", "auto", None, ShapeError),
    ("2" * 5000 + " w", "latex", "w", UnsupportedError),
])
def test_fuzzer_findings_are_clear_errors(source, syntax, wrt, error):
    """Inputs a fuzzer once turned into internal errors: each is now a named SymgdError."""
    with pytest.raises(error):
        symgd.parse(source, syntax=syntax, wrt=wrt)


@pytest.mark.parametrize("source, syntax", [
    ("w' w + " + "9" * 4301, "text"),
    (r"\|w\|^2 + w_{" + "9" * 4301 + "}", "latex"),
    (r"\sum_{i=1}^{" + "9" * 4301 + r"} w_i^2", "latex"),
    ("L(w) = f0\n" + "\n".join(f"f{i} = f{i + 1} + f{i + 1}" for i in range(30)) + "\nf30 = w' w", "text"),
    ("L(w) = w' w + " + " + ".join(f"c{i}^2" for i in range(1000)), "text"),
    ("min_w w' w st " + ", ".join(f"a{i} == a{i + 1}" for i in range(1000)) + ", a1000 == X w", "text"),
])
def test_pathological_inputs_fail_fast(source, syntax):
    """Huge numbers, exponential definition chains and thousands of symbols: a clear error, fast."""
    start = time.perf_counter()
    with pytest.raises(UnsupportedError):
        symgd.parse(source, syntax=syntax, wrt="w" if "L(w)" not in source and "min_w" not in source else None)
    assert time.perf_counter() - start < 2


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=_mutations(), wrt=st.sampled_from([None, "w"]))
def test_derivation_of_any_parsed_input_raises_only_symgd_errors(source, wrt):
    """Whatever parses also differentiates, or fails with a named SymgdError (never InternalError)."""
    try:
        problem = symgd.parse(source, wrt=wrt)
    except SymgdError:
        return
    try:
        assert symgd.gradient(problem).latex.startswith(r"\frac")
    except symgd.InternalError:
        raise
    except SymgdError:
        pass


def test_carets_point_into_the_text_as_written_after_a_rewritten_denominator():
    # a/2\sigma^2 is read as a/{2\sigma^2} and \underset{w}{\arg\min} as \arg\min_{w}; the caret and
    # the echoed line must still be the user's text, not the rewritten one.
    source = r"L(w) = \|w\|^2/2\sigma^2 + (a"
    error = parse_error(source, wrt="w")
    assert error.column == source.index("(a") + 1
    assert "  " + source + "\n" + "  " + " " * source.index("(a") + "^" in str(error)
    source = r"\underset{w}{\arg\min} \|w\|^2 + (a"
    error = parse_error(source, wrt="w")
    assert error.column == source.index("(a") + 1
    assert source in str(error)


def test_a_quad_after_minimize_or_subject_to_is_spacing():
    # Boyd & Vandenberghe's layout typed inline: \text{minimize}\quad f(x) \quad\text{subject to}\quad ...
    problem = symgd.parse(r"\text{minimize}\quad \|x - c\|^2 \quad\text{subject to}\quad x \ge 0")
    assert len(problem.constraints) == 1
