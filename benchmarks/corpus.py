"""Parse + gradient time per corpus entry (tests/corpus), warm, median; target <= 100 ms (issue 9).

What it measures, in one warm Python process: for every corpus entry that symgd derives today
(parse and gradient succeed, whatever the result's correctness), the wall time of
``symgd.gradient(symgd.parse(latex, wrt=..., where=...))``. After one warm-up call per entry it runs
ROUNDS rounds; each round times every entry once in turn, so machine noise is shared. It prints
the median per entry, the median and the 90th percentile over entries, and how many entries are
above 100 ms. Entries that raise are counted, not timed. It asserts nothing.

Before each timed call symgd's memos (``calculus.clear_memos``) and SymPy's cache are emptied, so
each call derives its formula as if for the first time in a warm process (with them kept, a repeated
formula costs a few milliseconds and the figure would say nothing about a new one).

    python benchmarks/corpus.py [--rounds 5]
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import sympy

import symgd
from symgd.derive import calculus

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from corpus import ENTRIES  # noqa: E402 - the corpus lives with the tests

TARGET_MS = 100.0


def parse_and_gradient(item) -> None:
    symgd.gradient(symgd.parse(item.latex, wrt=item.wrt, where=item.where))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    print(f"date:    {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(f"python:  {sys.version.split()[0]}; method: median of {rounds} interleaved rounds after a warm-up\n")
    timed, failed = [], 0
    for item in ENTRIES:
        try:
            parse_and_gradient(item)
            timed.append(item)
        except symgd.SymgdError:
            failed += 1
    times = {item.id: [] for item in timed}
    for _ in range(rounds):
        for item in timed:
            calculus.clear_memos()
            sympy.core.cache.clear_cache()
            start = time.perf_counter()
            parse_and_gradient(item)
            times[item.id].append((time.perf_counter() - start) * 1e3)
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, ms in sorted(medians.items(), key=lambda kv: -kv[1]):
        print(f"{name:40s} {ms:8.1f} ms")
    values = sorted(medians.values())
    p90 = values[int(0.9 * (len(values) - 1))]
    print(f"\nentries: {len(ENTRIES)}; derived: {len(timed)}; raised a SymgdError: {failed}")
    print(f"median over entries: {statistics.median(values):.1f} ms; 90th percentile: {p90:.1f} ms; "
          f"max: {values[-1]:.1f} ms; above {TARGET_MS:.0f} ms: {sum(v > TARGET_MS for v in values)}")


if __name__ == "__main__":
    main()
