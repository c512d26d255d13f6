"""The ``symgd`` command line (also ``python -m symgd``).

    symgd parse SOURCE [--wrt W] [--where W] [--syntax S] [--format text|latex|json]

SOURCE is the formula itself, ``-`` for standard input, or ``@file.tex``. Exit status: 0 on
success, 2 on a user error (the message, with its caret picture, goes to standard error).
"""

from __future__ import annotations

import argparse
import json
import sys

from symgd.api import parse
from symgd.errors import SymgdError
from symgd.problem import CONSTANT, DATA, DIMENSION, INDEX, PARAMETER, Problem, _name_of


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
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="symgd", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    parse_cmd = commands.add_parser("parse", help="read a loss and print its symbols, shapes and objective")
    parse_cmd.add_argument("source", help="the formula, '-' for stdin, or @file.tex")
    parse_cmd.add_argument("--wrt", help="parameters, e.g. 'w' or 'U,V'")
    parse_cmd.add_argument("--where", help="declarations, e.g. 'X \\in \\mathbb{R}^{n \\times d}' (or @file)")
    parse_cmd.add_argument("--syntax", choices=("auto", "latex", "text"), default="auto")
    parse_cmd.add_argument("--format", choices=("text", "latex", "json"), default="text")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        source = read_source(args.source)
        where = read_source(args.where) if args.where else None
        problem = parse(source, wrt=args.wrt, where=where, syntax=args.syntax)
    except (SymgdError, UserError) as error:
        print(f"symgd: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    print(format_problem(problem, args.format))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
