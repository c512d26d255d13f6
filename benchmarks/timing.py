"""The timing protocol the benchmarks share: interleaved rounds, each call timed right after an
untimed call of the same function, and a pause after JAX's calls.

Why: a function timed right after another one finds its data out of cache, and XLA's CPU threads spin
on after a JAX call, so whatever is timed next runs against them (identical NumPy code read 1.1-1.4x,
and the softmax Hessian 460 ms instead of 76 ms, before this protocol).
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
    (``block_until_ready``) and followed by a 50 ms pause."""
    times = {key: [] for key in functions}
    for _ in range(rounds):
        for key, function in functions.items():
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
