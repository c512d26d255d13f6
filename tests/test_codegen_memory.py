"""Peak memory of generated gradients against the hand-written NumPy of benchmarks/codegen.py,
measured deterministically with tracemalloc (NumPy reports its allocations to it). Vectors are
400 kB, above NumPy's threshold for reusing temporaries in place, as at benchmark sizes.

The target is at most 1.25x the hand-written peak; the gradients that still miss it are marked
(strict: the test says so when one starts to meet it)."""

import importlib.util
from pathlib import Path

import pytest

import symgd

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "codegen.py"
_SPEC = importlib.util.spec_from_file_location("benchmark_codegen", _PATH)
BENCHMARK = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(BENCHMARK)

MISSED = {
    "quadratic form": "A @ h + A.T @ h - b with h = x / 2: d = 1000 vectors (8 kB) are below NumPy's size for "
                      "reusing temporaries, so each term is its own array (16 kB hand-written, 32 kB generated)",
}
CASES = [pytest.param(name, marks=pytest.mark.xfail(reason=MISSED[name], strict=True)) if name in MISSED else name
         for name in BENCHMARK.LOSSES]


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
