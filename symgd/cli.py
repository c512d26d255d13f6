"""The ``symgd`` command line (also ``python -m symgd``).

    symgd parse SOURCE [--wrt W] [--where W] [--syntax S] [--format text|latex|json]
    symgd grad  SOURCE [--wrt W] [--where W] [--syntax S] [--format text|latex|json|index]
    symgd hess  SOURCE [--wrt W] [--where W] [--syntax S] [--format text|latex|json|index]
    symgd codegen SOURCE [--wrt W] [--where W] [--syntax S] [--optimizer O] [--backend B] [--hessian] [-o FILE]
                  [--dump-passes]
    symgd kkt   SOURCE [--wrt W] [--where W] [--syntax S] [--format text|latex] [--solve] [--data JSON]
    symgd check SOURCE --claim CLAIM [--wrt W] [--where W]   (exit 0 correct, 1 incorrect, 2 error)
    symgd explain SOURCE [--wrt W] [--where W] [--format text|latex|json] [--lagrangian]
                                                             (exit 1 if a step failed its numeric check)

SOURCE is the formula itself, ``-`` for standard input, or ``@file.tex``. Exit status: 0 on
success, 1 when ``check`` finds the claim incorrect or a generated module does not load, 2 on a user
error (the message, with its caret picture, goes to standard error), 3 on an internal error (a bug
in symgd: the message says how to report it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

from symgd import __version__
from symgd.api import check, codegen, explain, gradient, hessian, kkt, parse
from symgd.codegen import BACKENDS, OPTIMIZERS
from symgd.derive import Derivation
from symgd.errors import InternalError, SymgdError
from symgd.problem import CONSTANT, DATA, DIMENSION, INDEX, PARAMETER, Problem, _name_of
from symgd.tensor.pipeline import dumping


class UserError(Exception):
    """A mistake in the command line itself (a missing file)."""


def read_source(argument: str) -> str:
    """The text of SOURCE: ``-`` reads standard input, ``@path`` reads a file."""
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        try:
            with open(argument[1:], encoding="utf-8") as handle:
                return handle.read()
        except OSError as error:
            raise UserError(f"cannot read {argument[1:]}: {error.strerror}") from None
    return argument


def format_problem(problem: Problem, style: str) -> str:
    """Render a Problem for the terminal (``text``), as LaTeX, or as JSON."""
    if style == "latex":
        return problem.latex()
    if style == "json":
        return json.dumps(problem.summary(), indent=2)
    lines = [f"objective: {problem.objective}"]
    for role, title in ((PARAMETER, "parameters"), (DATA, "data"), (CONSTANT, "constants"),
                        (DIMENSION, "dimensions"), (INDEX, "indices")):
        symbols = [s for s in (problem.params if role == PARAMETER else problem.roles)
                   if problem.roles[s] == role]
        if not symbols:
            continue
        parts = []
        for symbol in symbols:
            shape = problem.shapes.get(symbol)
            text = _name_of(symbol)
            if shape:
                text += " (" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
            if symbol in problem.argnames and problem.argnames[symbol] != _name_of(symbol):
                text += f" [argument {problem.argnames[symbol]}]"
            parts.append(text)
        lines.append(f"{title}: " + ", ".join(parts))
    for constraint in problem.constraints:
        relation = "<= 0" if constraint.kind == "le" else "= 0"
        lines.append(f"constraint: {constraint.expr} {relation}")
    for request in problem.requests:
        lines.append(f"derivative requested: {request.latex} (order {request.order}, "
                     f"with respect to {', '.join(request.wrt) or 'the parameters'})")
    for update in problem.updates:
        step = f" with step size {update.step_size}" if update.step_size is not None else " (no step size)"
        lines.append(f"update rule for {update.param}{step}: {update.latex}")
    lines.extend(f"note: {note}" for note in problem.notes)
    lines.extend(_read_as(problem))
    return "\n".join(lines)


def _read_as(problem) -> list[str]:
    """The "read as" section: each implicit reading, so a misreading can be seen."""
    return ["read as:", *(f"  {reading}" for reading in problem.readings)] if problem.readings else []


def format_derivation(derivation: Derivation, style: str) -> str:
    """Render a gradient or Hessian: ``text`` (for terminals), ``latex``, ``index`` or ``json``."""
    if style == "latex":
        return derivation.latex
    if style == "index":
        return derivation.index_form
    if style == "json":
        return json.dumps(_derivation_summary(derivation), indent=2)
    lines = [f"note: {note}" for note in derivation.notes] + _read_as(derivation.problem)
    for block in derivation.blocks:
        names = " ".join(_name_of(p) for p in block.wrt)
        shape = "(" + ", ".join(map(str, block.shape)) + ("," if len(block.shape) == 1 else "") + ")"
        of = derivation.problem.objective_name or "L"
        title = f"d{'2' if derivation.kind == 'hessian' else ''}{of}/d[{names}] {shape}"
        if block.matrix_latex is not None:
            layout = " as d2L/dvec dvec^T (vec stacks columns)" if block.matrix.vec else ""
            lines.append(f"{title}{layout} = {block.matrix_latex}")
        else:
            lines.append(f"{title}: index notation ({block.no_matrix})")
        entry = ", ".join(map(str, block.indices))
        lines.append(f"{'  entry' if block.matrix_latex else title} [{entry}] = {block.expr}")
    for kink in derivation.nonsmooth:
        lines.append(f"not differentiable where {kink.condition}: the formula is a subgradient there "
                     f"({kink.subgradient})")
    lines.extend(f"defined where {condition.condition}" for condition in derivation.domain)
    return "\n".join(lines)


def format_kkt(conditions, args) -> str:
    """The KKT conditions (LaTeX lines), and with --solve the solution."""
    lines = conditions.latex.split(r" \\ ") if args.format == "text" else [conditions.latex]
    if args.solve:
        try:
            data = json.loads(args.data) if args.data else {}
        except json.JSONDecodeError as error:
            raise UserError(f"--data is not JSON: {error.msg} at column {error.colno}") from None
        solution = conditions.solve(data)
        lines.append(f"status: {solution.status} ({solution.message})")
        for point in solution.points:
            marker = "global minimum" if point.global_minimum else "KKT point"
            lines.append(f"{marker}: {point.values}, multipliers {point.multipliers}, objective {point.objective:.10g}"
                         + ("" if point.licq else " (LICQ fails here)"))
    return "\n".join(lines)


def format_explanation(explanation, style: str) -> str:
    """A step-by-step derivation: numbered plain text, an ``align*`` environment, or JSON."""
    if style == "latex":
        return explanation.latex
    if style == "json":
        steps = [{"kind": s.kind, "latex": s.latex, "text": s.text, "rules": list(s.rules),
                  "verified": s.verified} for s in explanation.steps]
        return json.dumps({"steps": steps, "verified": explanation.verified, "sizes": explanation.sizes,
                           "notes": list(explanation.notes)}, indent=2)
    return explanation.text


def _derivation_summary(derivation: Derivation) -> dict:
    return {
        "kind": derivation.kind,
        "layout": "denominator: the gradient has the shape of the parameter",
        "blocks": [{"wrt": [_name_of(p) for p in b.wrt], "shape": [str(d) for d in b.shape],
                    "indices": [str(i) for i in b.indices], "expr": str(b.expr), "index_latex": b.index_latex,
                    "matrix_latex": b.matrix_latex} for b in derivation.blocks],
        "nonsmooth": [{"construct": k.construct, "condition": k.condition, "subgradient": k.subgradient}
                      for k in derivation.nonsmooth],
        "domain": [{"construct": c.construct, "condition": c.condition} for c in derivation.domain],
        "notes": list(derivation.notes),
        "readings": list(derivation.problem.readings),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="symgd", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"symgd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    helps = {"parse": "read a loss and print its symbols, shapes and objective",
             "grad": "the gradient dL/dθ (matrix form where one exists, and index form)",
             "hess": "the Hessian",
             "codegen": "a NumPy (array-API, JAX) module: loss, grad, value_and_grad, step, fit (--hessian: hess)",
             "kkt": "the Lagrangian and KKT conditions of a constrained problem (--solve: exact solution)",
             "check": "check a hand-derived gradient, Hessian, update rule or derivation",
             "explain": "the gradient derived step by step, each step verified numerically"}
    for name, help_text in helps.items():
        command = commands.add_parser(name, help=help_text)
        command.add_argument("source", help="the formula, '-' for stdin, or @file.tex")
        command.add_argument("--wrt", help="parameters, e.g. 'w' or 'U,V'")
        command.add_argument("--where", help="declarations, e.g. 'X \\in \\mathbb{R}^{n \\times d}' (or @file)")
        command.add_argument("--syntax", choices=("auto", "latex", "text"), default="auto")
        if name == "check":
            command.add_argument("--claim", required=True, help="the claim, '-' for stdin, or @file.tex")
            continue
        if name == "explain":
            command.add_argument("--format", choices=("text", "latex", "json"), default="text")
            command.add_argument("--lagrangian", action="store_true",
                                 help="for a constrained problem, the Lagrangian's gradient")
            continue
        if name == "kkt":
            command.add_argument("--format", choices=("text", "latex"), default="text")
            command.add_argument("--solve", action="store_true", help="solve small problems exactly")
            command.add_argument("--data", help='values of data and constants as JSON, e.g. \'{"b": [1, 2]}\'')
            continue
        if name == "codegen":
            command.add_argument("--optimizer", choices=OPTIMIZERS, default="gd")
            command.add_argument("--hessian", action="store_true",
                                 help="include hess, the Hessian (newton includes it anyway)")
            command.add_argument("--backend", choices=BACKENDS, default="numpy",
                                 help="numpy (default), array_api (NumPy, CuPy, PyTorch, JAX, Dask arrays) or jax")
            command.add_argument("-o", "--output", help="write the module to this file (default: stdout)")
            command.add_argument("--dump-passes", action="store_true",
                                 help="write the tensor IR after each pass to standard error")
            continue
        formats = ("text", "latex", "json") if name == "parse" else ("text", "latex", "json", "index")
        command.add_argument("--format", choices=formats, default="text")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        source = read_source(args.source)
        where = read_source(args.where) if args.where else None
        if args.command == "check":   # the claim may name the parameter the source leaves open
            result = check(source, read_source(args.claim), wrt=args.wrt, where=where, syntax=args.syntax)
            print_quietly(str(result))
            return 0 if result.ok else 1
        problem = parse(source, wrt=args.wrt, where=where, syntax=args.syntax)
        if args.command == "parse":
            output = format_problem(problem, args.format)
        elif args.command == "kkt":
            output = format_kkt(kkt(problem), args)
        elif args.command == "explain":
            explanation = explain(problem, lagrangian=args.lagrangian)
            print_quietly(format_explanation(explanation, args.format))
            return 0 if explanation.verified else 1
        elif args.command == "codegen":
            with dumping(sys.stderr) if args.dump_passes else contextlib.nullcontext():
                module = codegen(problem, optimizer=args.optimizer, backend=args.backend,
                                 hessian=args.hessian or None)
            if args.output:
                return write_module(module, args.output)
            output = module.source.rstrip("\n")
        else:
            derive = gradient if args.command == "grad" else hessian
            output = format_derivation(derive(problem), args.format)
    except InternalError as error:
        print(f"symgd: InternalError: {error}\n{REPORT}", file=sys.stderr)
        return 3
    except (SymgdError, UserError) as error:
        print(f"symgd: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return print_quietly(output)


REPORT = ("This is a bug in symgd, not in your input. Please report it with the command line you ran, "
          "this message and the output of `symgd --version`.")


def write_module(module, path: str) -> int:
    """Write a generated module after loading it once; 1 (and nothing written) if it does not load."""
    try:
        module.load()
    except ModuleNotFoundError as error:   # a backend's library (jax, array-api-compat) missing here only
        print(f"symgd: note: the module needs {error.name}, which is not installed here; written without "
              "loading it", file=sys.stderr)
    except Exception as error:  # noqa: BLE001 - any failure to import the generated text is reported
        print(f"symgd: the generated module does not load ({type(error).__name__}: {error}); "
              f"{path} was not written.\n{REPORT}", file=sys.stderr)
        return 1
    module.write(path)
    return 0


def print_quietly(text: str) -> int:
    """Print to standard output; a reader that closes the pipe early (``| head``) ends us quietly."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit: point stdout at /dev/null
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
