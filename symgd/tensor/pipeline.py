"""The pass pipeline: named passes run in order, each IR in and IR out, with optional dumps.

    program = lift_program(...)            # symgd.tensor.lift
    program = optimise(program)            # the passes below, in this order
    print_numpy.render(program, ...)       # or another printer

``dumping(stream)`` writes the IR after every pass to ``stream`` (``symgd codegen --dump-passes``).
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Callable, TextIO

from symgd.tensor import ir
from symgd.tensor.passes import (contract, cse, expm, factor, gram, memory, regroup, scale, schedule, softmax,
                                  solve, stable, svd)

# In order: the nuclear norm read from the U V^T its gradient computes (one SVD; while the two still share
# their operand node), a gradient through the matrix exponential's rank-4 derivative as one Fréchet derivative
# L(M^T, G) (while the contraction is still whole), stable spellings first (they change which sub-expressions
# are equal), then the distributive law (before contractions are planned, while they are still whole),
# Kronecker-structured Hessians as weighted Gram blocks (they need the whole sums of contractions), then
# scalar placement, contraction planning, sums of reductions regrouped around the arrays it computes (and
# numbers taken off the operands that became shared), products with inverses as solves (they need the planned
# matrix products), a softmax read from the log-sum-exp of the same scores where both are computed (after
# every rewrite of the scores, so the two read one node), the choice of names for shared nodes, the scalar
# reductions of the loss and the contractions of later results moved up to where their arrays exist (so those
# arrays die earlier), and last which functions may work in their operand's buffer (it needs the names and
# their order).
PASSES: tuple[tuple[str, Callable[[ir.Program], ir.Program]], ...] = (
    ("svd", svd.run),
    ("expm", expm.run),
    ("stable", stable.run),
    ("factor", factor.run),
    ("gram", gram.run),
    ("scale", scale.run),
    ("contract", contract.run),
    ("regroup", regroup.run),
    ("unscale", scale.run_shared),
    ("solve", solve.run),
    ("softmax", softmax.run),
    ("cse", cse.run),
    ("schedule", schedule.run),
    ("memory", memory.run),
)

_DUMP: contextvars.ContextVar = contextvars.ContextVar("symgd_tensor_dump", default=None)


@contextlib.contextmanager
def dumping(stream: TextIO):
    """Within the block, every ``optimise`` writes the IR after each pass to ``stream``."""
    token = _DUMP.set(stream)
    try:
        yield
    finally:
        _DUMP.reset(token)


def optimise(program: ir.Program, title: str = "") -> ir.Program:
    """Run every pass in order; the IR is checked after each."""
    stream = _DUMP.get()
    _dump(stream, f"{title}: lifted", program)
    for name, run in PASSES:
        program = run(program)
        ir.check(program.roots)
        _dump(stream, f"{title}: after {name}", program)
    return program


def _dump(stream, heading: str, program: ir.Program) -> None:
    if stream is not None:
        stream.write(f"-- {heading}\n{program}\n")
