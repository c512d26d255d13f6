r"""Benchmark of parse + gradient on the example losses, the cold CLI, and independence from n.

What it measures:

1. In one warm process, for every ``examples/*.tex`` file, the median wall time of
   ``symgd.gradient(symgd.parse(text))`` (ROUNDS rounds, files interleaved within each round so
   machine noise is shared). Target: <= 100 ms per loss.
2. The cold command ``symgd grad @examples/02_ridge_sum.tex`` as a new process, median of COLD runs
   (target: <= 1.5 s).
3. Least squares with n declared as 10 and as 10^9: the dimension stays symbolic, so the times
   should be the same (their ratio is printed).
4. Deep compositions: tanh networks of 2 to 5 layers, ``\frac{1}{n}\sum_i\|y_i - C\tanh(B\tanh(A
   x_i))\|^2`` and its kin; the median warm time of ``symgd.gradient`` and of ``symgd.codegen`` of
   that Derivation, separately, and the same for the three-layer network in a fresh process (cold:
   SymPy's caches empty). Target (issue 11): derive + codegen of the three-layer network <= 1 s.

It reports numbers only and asserts nothing. Run from the repository root with symgd installed:

    python benchmarks/derive.py
"""

import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import symgd
from symgd.derive import calculus

ROUNDS, COLD = 7, 5
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def clear_memos() -> None:
    getattr(calculus, "clear_memos", lambda: None)()   # absent before the memos were introduced


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def warm_medians(sources: dict[str, str]) -> dict[str, float]:
    for text in sources.values():   # warm-up: grammars built, SymPy caches filled
        symgd.gradient(symgd.parse(text))
    times: dict[str, list[float]] = {name: [] for name in sources}
    for _ in range(ROUNDS):
        for name, text in sources.items():
            clear_memos()   # each round derives as if for the first time (SymPy's caches stay warm)
            times[name].append(timed(lambda text=text: symgd.gradient(symgd.parse(text))))
    return {name: statistics.median(values) for name, values in times.items()}


def cold_cli_ms() -> float:
    command = [sys.executable, "-m", "symgd", "grad", f"@{EXAMPLES / '02_ridge_sum.tex'}"]
    return statistics.median(timed(lambda: subprocess.run(command, check=True, capture_output=True))
                             for _ in range(COLD))


LAYERS = "ABCDE"


def network(layers: int) -> str:
    """The loss of a tanh network with ``layers`` weight matrices (the first one applied first)."""
    body = "x_i"
    for name in LAYERS[:layers - 1]:
        body = rf"\tanh({name} {body})"
    return rf"L({', '.join(LAYERS[:layers])}) = \frac{{1}}{{n}}\sum_i\|y_i - {LAYERS[layers - 1]} {body}\|^2"


def derive_then_codegen_ms(text: str) -> tuple[float, float]:
    """(gradient ms, codegen ms) of one run: parse, differentiate, generate code from the Derivation.

    symgd's memos are emptied first, so each run derives the problem as if for the first time."""
    clear_memos()
    problem = symgd.parse(text)
    start = time.perf_counter()
    derivation = symgd.gradient(problem)
    middle = time.perf_counter()
    symgd.codegen(derivation)
    return (middle - start) * 1000, (time.perf_counter() - middle) * 1000


COLD_DEEP = """
import sys, time
start = time.perf_counter()
import symgd
problem = symgd.parse(sys.argv[1])
parsed = time.perf_counter()
derivation = symgd.gradient(problem)
derived = time.perf_counter()
symgd.codegen(derivation)
print((derived - parsed) * 1000, (time.perf_counter() - derived) * 1000)
"""


def deep_compositions() -> None:
    print(f"\n{'tanh network':<16}{'gradient, median ms':>22}{'codegen, median ms':>22}")
    texts = {layers: network(layers) for layers in range(2, 6)}
    for text in texts.values():   # warm-up
        derive_then_codegen_ms(text)
    times: dict[int, list] = {layers: [] for layers in texts}
    for _ in range(ROUNDS):
        for layers, text in texts.items():
            times[layers].append(derive_then_codegen_ms(text))
    for layers, runs in times.items():
        print(f"{layers} layers{'':<8}{statistics.median(r[0] for r in runs):>22.1f}"
              f"{statistics.median(r[1] for r in runs):>22.1f}")
    cold = [subprocess.run([sys.executable, "-c", COLD_DEEP, texts[3]], check=True, capture_output=True,
                           text=True).stdout.split() for _ in range(COLD)]
    print(f"3 layers, cold process: gradient median {statistics.median(float(c[0]) for c in cold):.0f} ms, "
          f"codegen median {statistics.median(float(c[1]) for c in cold):.0f} ms over {COLD} runs")


def main() -> None:
    print(f"date:    {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(f"python:  {platform.python_version()}, sympy {__import__('sympy').__version__}")
    sources = {path.name: path.read_text() for path in sorted(EXAMPLES.glob("*.tex"))}
    print(f"\n{'file':<32}{'parse + gradient, median ms':>28}")
    for name, ms in warm_medians(sources).items():
        print(f"{name:<32}{ms:>28.1f}")
    small = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 \quad X \in \mathbb{R}^{10 \times 3}"
    huge = r"L(w) = \frac{1}{2}\|Xw - y\|_2^2 \quad X \in \mathbb{R}^{1000000000 \times 3}"
    by_n = warm_medians({"n = 10": small, "n = 10^9": huge})
    print(f"\nleast squares, n = 10: {by_n['n = 10']:.1f} ms; n = 10^9: {by_n['n = 10^9']:.1f} ms; "
          f"ratio {by_n['n = 10^9'] / by_n['n = 10']:.2f}")
    print(f"cold `symgd grad @examples/02_ridge_sum.tex`: median {cold_cli_ms():.0f} ms over {COLD} runs")
    deep_compositions()


if __name__ == "__main__":
    main()
