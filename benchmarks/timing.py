"""The timing protocol the benchmarks share: interleaved rounds, each call timed right after an
untimed call of the same function, a pause after JAX's calls, and each round starting at the next
implementation (round r calls them in turn from the r-th), so none is always first.

Why: a function timed right after another one finds its data out of cache, and XLA's CPU threads spin
on after a JAX call, so whatever is timed next runs against them (identical NumPy code read 1.1-1.4x,
and the softmax Hessian 460 ms instead of 76 ms, before this protocol). The implementation timed first
in a round (after the previous round's JAX and autograd calls) still read 4-9% slower with one BLAS
thread (generated and hand-written least squares: 1.00-1.05 with the generated first, 0.93-0.96 with
the hand-written first, 2026-12-03 under load), so the first place rotates.
"""

from __future__ import annotations

import statistics
import time

try:
    import jax
except ImportError:   # an optional extra
    jax = None


def median_times(functions: dict, rounds: int) -> dict:
    """Per implementation (key -> function of no arguments), the median over ``rounds`` of one call
    timed right after an untimed call of the same function; the key ``"jax"`` is waited for
    (``block_until_ready``) and followed by a 50 ms pause. Round r starts at the r-th key."""
    times = {key: [] for key in functions}
    keys = list(functions)
    for round_ in range(rounds):
        for key in keys[round_ % len(keys):] + keys[:round_ % len(keys)]:
            function = functions[key]
            _call(key, function)   # untimed: data in cache, the previous implementation's threads idle
            start = time.perf_counter()
            _call(key, function)
            times[key].append(time.perf_counter() - start)
            if key == "jax":
                time.sleep(0.05)
    return {key: statistics.median(values) for key, values in times.items()}


def _call(key, function):
    result = function()
    if key == "jax" and jax is not None:
        jax.block_until_ready(result)


def paired_ratio(first, second, pairs: int) -> float:
    """The median over ``pairs`` of time(first) / time(second), the two timed back to back (each right
    after an untimed call of itself), in alternating order: a slow moment of the machine, or another
    library's threads, then touch both sides of a pair alike. For the generated and the hand-written
    NumPy functions, whose ratio a target bounds at a few per cent (the rounds of ``median_times``,
    shared with JAX and autograd, spread it by about ten per cent from run to run)."""
    ratios = []
    for pair in range(pairs):
        order = (first, second) if pair % 2 == 0 else (second, first)
        took = {}
        for function in order:
            function()
            start = time.perf_counter()
            function()
            took[function] = time.perf_counter() - start
        ratios.append(took[first] / took[second])
    return statistics.median(ratios)

