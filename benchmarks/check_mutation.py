"""Mutation run of ``symgd.check`` over every loss of the examples list and the tests' loss list.

Prints how many mutants (usual slips, each numerically wrong) and equivalent rewrites were made, how
the checker judged them, and every mutant judged correct and every rewrite not judged correct.
The generator is ``tests/mutation.py``; ``tests/test_check_mutation.py`` runs a sample of it.

    python benchmarks/check_mutation.py
"""

from __future__ import annotations

import collections
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))

import mutation  # noqa: E402


def main() -> None:
    start = time.perf_counter()
    generated = mutation.generate()
    made = time.perf_counter() - start
    verdicts = {}
    for group in ("mutants", "invalid", "rewrites"):
        verdicts[group] = [(claim, mutation.judge(claim)) for claim in getattr(generated, group)]
    judged = time.perf_counter() - start - made

    print(f"generated in {made:.0f} s, judged in {judged:.0f} s; dropped: {generated.dropped}")
    for group, label in (("mutants", "mutants (numerically wrong)"),
                         ("invalid", "mutants whose shapes do not fit"),
                         ("rewrites", "correct rewrites")):
        counts = collections.Counter(verdict for _, verdict in verdicts[group])
        print(f"{label}: {len(verdicts[group])}  " + "  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    accepted = sum(1 for _, verdict in verdicts["rewrites"] if verdict == "correct")
    print(f"rewrites judged correct: {accepted}/{len(verdicts['rewrites'])} "
          f"({100 * accepted / max(len(verdicts['rewrites']), 1):.1f} %)")
    print("\nslips:", dict(collections.Counter(claim.kind for claim in generated.mutants)))
    print("rewrites:", dict(collections.Counter(claim.kind for claim in generated.rewrites)))
    for group, bad in (("mutants", "correct"), ("invalid", "correct")):
        for claim, verdict in verdicts[group]:
            if verdict == bad:
                print(f"\nWRONG VERDICT, {group} judged correct [{claim.loss}, {claim.kind}]: {claim.text}")
    for claim, verdict in verdicts["rewrites"]:
        if verdict != "correct":
            print(f"\nrewrite judged {verdict} [{claim.loss}, {claim.kind}]: {claim.text}")


if __name__ == "__main__":
    main()
