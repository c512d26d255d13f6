"""Peak memory of generated gradients against the hand-written NumPy of benchmarks/codegen.py,
measured deterministically with tracemalloc (NumPy reports its allocations to it). Vectors are
400 kB, above NumPy's threshold for reusing temporaries in place, as at benchmark sizes.

The target is at most 1.25x the hand-written peak, on every loss of the benchmark."""

import importlib.util
from pathlib import Path

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
