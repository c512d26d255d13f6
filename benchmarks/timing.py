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
