"""Benchmark of ``symgd.parse`` on the example losses, plus a check that parse time grows linearly.

What it measures, in one warm Python process:

1. For every ``examples/*.tex`` file, the median wall time of one ``symgd.parse(text)`` call.
   After a warm-up call per file, it runs ROUNDS rounds; each round parses every file CALLS times
   in turn, so that machine noise is shared between files. Each call is timed on its own.
   A file that fails to parse is listed with its error instead of a time.
2. Linearity: the median time to parse ``L(w) = (w - 1)^2 + (w - 2)^2 + ... + (w - N)^2`` for
   N = 20 and N = 200 (an input about 10x longer), and the ratio of the two (target: <= 12).

It reports numbers only and asserts nothing. Run it from the repository root, with symgd installed:

    python benchmarks/parse.py
"""

import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import symgd

ROUNDS, CALLS = 5, 20
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def median_ms(sources: dict[str, str]) -> dict[str, float | str]:
    """Median ms per parse of each source (or the error text), interleaving sources round by round."""
    results: dict[str, float | str] = {}
    for name, text in sources.items():  # warm-up, and drop the sources that do not parse
        try:
            symgd.parse(text)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports failures, it does not stop
            results[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    times: dict[str, list[float]] = {name: [] for name in sources if name not in results}
    for _ in range(ROUNDS):
        for name in times:
            for _ in range(CALLS):
                start = time.perf_counter()
                symgd.parse(sources[name])
                times[name].append((time.perf_counter() - start) * 1e3)
    results.update({name: statistics.median(ts) for name, ts in times.items()})
    return {name: results[name] for name in sources}


def sum_of_squares(n: int) -> str:
    return "L(w) = " + " + ".join(f"(w - {k})^2" for k in range(1, n + 1))


def main() -> None:
    print(f"date:    {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()} {platform.processor() or '(processor unknown)'}, "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(f"python:  {sys.version.split()[0]} ({platform.python_implementation()})")
    print(f"method:  median of {ROUNDS} rounds x {CALLS} calls per input, after one warm-up call\n")

    files = sorted(EXAMPLES.glob("*.tex"))
    results = median_ms({f.name: f.read_text() for f in files})
    width = max(len(name) for name in results)
    print(f"{'file':<{width}}  median ms/parse")
    for name, value in results.items():
        print(f"{name:<{width}}  {value:>8.2f}" if isinstance(value, float) else f"{name:<{width}}  FAILED {value}")

    print("\nlinearity: L(w) = (w - 1)^2 + ... + (w - N)^2")
    sizes = (20, 200)
    timed = median_ms({n: sum_of_squares(n) for n in sizes})
    for n in sizes:
        value = timed[n]
        shown = f"{value:8.2f} ms" if isinstance(value, float) else f"FAILED {value}"
        print(f"N = {n:<4} ({len(sum_of_squares(n)):>5} chars)  {shown}")
    if all(isinstance(timed[n], float) for n in sizes):
        print(f"ratio N={sizes[1]} / N={sizes[0]}: {timed[sizes[1]] / timed[sizes[0]]:.1f}  (target <= 12)")


if __name__ == "__main__":
    main()
