"""Peak memory of generated gradients against the hand-written NumPy of benchmarks/codegen.py
(``grad`` against the hand-written gradient, ``value_and_grad`` against the hand-written
``value_and_grad``), measured deterministically with tracemalloc (NumPy reports its allocations to
it). Vectors are 400 kB, above NumPy's threshold for reusing temporaries in place, as at benchmark
sizes.

The target is at most 1.25x the hand-written peak, on every loss of the benchmark."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import symgd

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "codegen.py"
_SPEC = importlib.util.spec_from_file_location("benchmark_codegen", _PATH)
BENCHMARK = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(BENCHMARK)

CASES = list(BENCHMARK.LOSSES)


@pytest.fixture(scope="module")
def data():
    return BENCHMARK.make_data(n=50_000, d=10, K=10)


@pytest.mark.parametrize("name", CASES)
def test_generated_gradient_peak_memory_is_within_a_quarter_of_hand_written(name, data):
    source = BENCHMARK.LOSSES[name][0]
    module = symgd.codegen(symgd.parse(source)).load()
    args = BENCHMARK.arguments(name, data)
    hand = BENCHMARK.peak_memory(lambda: BENCHMARK.HAND[name](*args))   # tracemalloc
    generated = BENCHMARK.peak_memory(lambda: module.grad(*args))
    assert generated <= 1.25 * hand, f"{name}: {generated / hand:.2f}x the hand-written peak"


@pytest.mark.parametrize("name", CASES)
def test_generated_value_and_grad_peak_memory_is_within_a_quarter_of_hand_written(name, data):
    module = symgd.codegen(symgd.parse(BENCHMARK.LOSSES[name][0])).load()
    args = BENCHMARK.arguments(name, data)
    hand = BENCHMARK.peak_memory(lambda: BENCHMARK.HAND_VG[name](*args))
    generated = BENCHMARK.peak_memory(lambda: module.value_and_grad(*args))
    assert generated <= 1.25 * hand, f"{name}: {generated / hand:.2f}x the hand-written peak"


def _as_tuple(gradient):
    return gradient if isinstance(gradient, tuple) else (gradient,)


@pytest.mark.parametrize("name", CASES)
def test_hand_written_value_and_grad_is_the_hand_written_loss_and_gradient(name):
    """The benchmark's hand-written value_and_grad against its loss (NumPy, written from the
    formula) and its hand-written gradient, at random data with every dimension distinct; the
    arguments are left as they were."""
    data = BENCHMARK.make_data(n=3_000, d=7, K=4, seed=11)
    args = BENCHMARK.arguments(name, data)
    copies = [a.copy() if hasattr(a, "copy") else a for a in args]
    value, gradient = BENCHMARK.HAND_VG[name](*args)
    want = BENCHMARK.make_losses(np)[name](*copies)
    assert abs(value - want) <= 1e-10 * abs(want), f"{name}: loss {value} != {want}"
    for got, expected in zip(_as_tuple(gradient), _as_tuple(BENCHMARK.HAND[name](*copies)), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
    for arg, copy in zip(args, copies):
        assert np.array_equal(arg, copy), f"{name}: an argument changed"


@pytest.fixture(scope="module")
def narrow_data():
    return BENCHMARK.make_data(n=40_000, d=5, K=4, seed=3)   # 320 kB vectors: NumPy's own reuse too


@pytest.mark.parametrize("name", CASES)
def test_in_place_code_leaves_the_arguments_and_repeats_its_answer(name, narrow_data):
    """grad and value_and_grad work in buffers of temporaries: called twice, they return the
    hand-written gradient both times and leave every argument as it was."""
    args = BENCHMARK.arguments(name, narrow_data)
    copies = [a.copy() if hasattr(a, "copy") else a for a in args]
    module = symgd.codegen(symgd.parse(BENCHMARK.LOSSES[name][0])).load()
    expected = BENCHMARK.HAND[name](*copies)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for _ in range(2):
        for gradient in (module.grad(*args), module.value_and_grad(*args)[1]):
            gradient = gradient if isinstance(gradient, tuple) else (gradient,)
            for got, want in zip(gradient, expected, strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10 * max(1.0, np.abs(want).max()))
        for arg, copy in zip(args, copies):
            assert np.array_equal(arg, copy), f"{name}: an argument changed"
