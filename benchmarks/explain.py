"""``symgd explain`` over the examples list and the test corpus: how many losses it writes step by
step with every step verified, what it refuses, and how long one explanation takes.

    python benchmarks/explain.py [--repeat 3]

Times are medians of ``--repeat`` warm runs of ``symgd.explain`` (parse and gradient included), one
example after another (the examples are small; a shared machine's load shows in the absolute times).
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import statistics
import sys
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import symgd  # noqa: E402
from corpus import ENTRIES  # noqa: E402
from corpus.entry import SUPPORTED  # noqa: E402


def examples(repeat: int) -> None:
    print("example                          steps  verified  median ms")
    for path in sorted((ROOT / "examples").glob("*.tex")):
        source = path.read_text()
        times, explanation = [], None
        for _ in range(repeat + 1):   # the first run warms SymPy's caches
            start = time.perf_counter()
            explanation = symgd.explain(source)
            times.append(time.perf_counter() - start)
        print(f"{path.stem:32} {len(explanation.steps):5}  {str(explanation.verified):8}  "
              f"{1000 * statistics.median(times[1:]):9.0f}")


def corpus() -> None:
    outcomes: collections.Counter = collections.Counter()
    refused = []
    for entry in ENTRIES:
        if entry.status != SUPPORTED:
            continue
        try:
            derivation = symgd.gradient(symgd.parse(entry.latex, wrt=entry.wrt, where=entry.where))
            explanation = symgd.explain(derivation.problem, wrt=entry.wrt)
        except symgd.SymgdError as error:
            outcomes[type(error).__name__] += 1
            refused.append(f"{entry.id}: {error}")
            continue
        outcomes["every step verified" if explanation.verified else "a step NOT verified"] += 1
    print(f"corpus (supported entries): {dict(outcomes)}")
    for line in refused:
        print(f"  refused {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    examples(args.repeat)
    corpus()


if __name__ == "__main__":
    main()
