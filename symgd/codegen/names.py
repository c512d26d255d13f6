"""Generated identifiers never clash with the user's argument names.

The module text is generated with placeholders in place of the user's argument names
(``placeholder_problem``); every identifier left that equals a user's name was introduced by symgd
(a multiplier ``mu``, a helper's argument ``g``, a local ``history``), so ``rename_apart`` renames it,
consistently, to a fresh name, and then puts the user's names in place of the placeholders. Renaming
works on Python tokens: strings (dictionary keys such as ``"status"``), attributes (``np.sum``) and
keyword arguments of functions from outside the module (``minimize(jac=True)``) are left alone.
A public function renamed this way (a data array called ``grad``) keeps its public name through an
alias at the end of the module.
"""

from __future__ import annotations

import builtins
import dataclasses
import io
import keyword
import re
import tokenize

from symgd.errors import UnsupportedError
from symgd.problem import Problem, SymbolDict

PLACEHOLDER = "__symgd_arg{}__"
PUBLIC = ("loss", "grad", "value_and_grad", "hess", "step", "fit")
# names from outside the module: their keyword arguments are not ours to rename
EXTERNAL = frozenset(dir(builtins)) | {"np", "minimize", "lsq_linear", "cho_factor", "cho_solve", "linprog",
                                       "jax", "array_namespace", "device", "is_dask_namespace", "dask", "math",
                                       "Random"}


def placeholder_problem(problem: Problem) -> tuple[Problem, dict[str, str]]:
    """The problem with placeholder argnames, and placeholder -> the user's name."""
    placeholders, argnames = {}, SymbolDict()
    for number, (symbol, name) in enumerate(problem.argnames.items()):
        placeholder = PLACEHOLDER.format(number)
        placeholders[placeholder] = name
        argnames[symbol] = placeholder
    return dataclasses.replace(problem, argnames=argnames), placeholders


def rename_apart(source: str, placeholders: dict[str, str]) -> str:
    """``source`` with every identifier that equals a user's name renamed apart, then the user's
    names in place of the placeholders (see the module docstring)."""
    users = set(placeholders.values())
    spelled = _names_spelled(source, users)
    tokens = ()
    if users & spelled:   # something to rename: fresh names must avoid every identifier of the module
        tokens = _tokens(source)
        spelled = {t.string for t in tokens if t.type == tokenize.NAME}
    for name in sorted(users & spelled & EXTERNAL):
        raise UnsupportedError(f"an argument named {name!r}, as the Python builtin the generated code uses; "
                               "rename it")
    renames = {}
    for name in sorted(users & spelled):
        fresh = name + "_"
        while fresh in users or fresh in spelled:
            fresh += "_"
        renames[name] = fresh
    lines = source.splitlines(keepends=True)
    for row, start, end, text in reversed(_renamable(tokens, renames)):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + text + line[end:]
    text = "".join(lines)
    aliases = [f"{name} = {renames[name]}" for name in PUBLIC if name in renames and f"def {renames[name]}(" in text]
    if aliases:
        text = text.rstrip("\n") + "\n\n# public names (an argument of the same name is renamed apart inside)\n" + \
            "\n".join(aliases) + "\n"
    pattern = re.compile("|".join(re.escape(p) for p in sorted(placeholders, key=len, reverse=True)))
    return pattern.sub(lambda match: placeholders[match.group(0)], text) if placeholders else text


# A top-level statement starts a piece: a definition, a decorator, an import.
_PIECE_START = re.compile(r"(?m)^(?=def |@|class |import |from )")


def _names_spelled(source: str, users: set) -> set:
    """The identifiers of ``source`` that are users' names. Most of a module is fixed text and the
    tokenizer is slow, so only the pieces (cut before each top-level statement) in which a user's
    name occurs as a word are tokenized; a piece starts no token inside another, unless the cut
    falls inside a multi-line string, which leaves a piece with an odd number of its quotes: then
    the text is read whole."""
    if not users:
        return set()
    word = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(u) for u in sorted(users, key=len, reverse=True)) + r")(?!\w)")
    starts = [m.start() for m in _PIECE_START.finditer(source)]
    pieces = [source[a:b] for a, b in zip([0] + starts, starts + [len(source)]) if b > a]
    try:
        if any(piece.count('"""') % 2 or piece.count("'''") % 2 for piece in pieces):
            raise tokenize.TokenError("a cut inside a string")
        tokens = [t for piece in pieces if word.search(piece) for t in _tokens(piece)]
    except (tokenize.TokenError, SyntaxError):
        tokens = _tokens(source)
    return {t.string for t in tokens if t.type == tokenize.NAME} & users


def _tokens(text: str) -> tuple:
    return tuple(tokenize.generate_tokens(io.StringIO(text).readline))


def _renamable(tokens: list, renames: dict) -> list[tuple[int, int, int, str]]:
    """(row, start column, end column, new text) of each NAME token to rename."""
    found, calls = [], []   # calls: for each open parenthesis, whether it calls an outside function
    previous, importing = [None, None], False
    for position, token in enumerate(tokens):
        if token.type == tokenize.NEWLINE:
            importing = False
        elif token.type == tokenize.NAME and token.string in ("import", "from") and token.start[1] == 0:
            importing = True   # module names are not ours to rename
        if importing:
            continue
        if token.type == tokenize.OP and token.string in "([{":
            callee = previous[-1]
            outside = token.string == "(" and callee is not None and callee.type == tokenize.NAME and \
                (callee.string in EXTERNAL or (previous[-2] is not None and previous[-2].string == "."))
            calls.append(outside)
        elif token.type == tokenize.OP and token.string in ")]}" and calls:
            calls.pop()
        elif token.type == tokenize.STRING and re.match(r"[rRbB]?[fF]", token.string):
            found += _renamed_in_f_string(token, renames)   # before Python 3.12 an f-string is one token
        elif token.type == tokenize.NAME and token.string in renames and not keyword.iskeyword(token.string):
            after = tokens[position + 1] if position + 1 < len(tokens) else None
            attribute = previous[-1] is not None and previous[-1].string == "."
            keyword_argument = after is not None and after.string == "=" and calls and calls[-1]
            if not attribute and not keyword_argument:
                found.append((token.start[0], token.start[1], token.end[1], renames[token.string]))
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            previous = [previous[-1], token]
    return found


def _renamed_in_f_string(token, renames: dict) -> list[tuple[int, int, int, str]]:
    """Renames inside the replacement fields of a one-line f-string token (up to a format spec)."""
    found = []
    for field in re.finditer(r"(?<!\{)\{([^{}]*)\}", token.string):
        expression = re.split(r"[:!]", field.group(1))[0]
        for name in re.finditer(r"(?<![\w.])[A-Za-z_]\w*", expression):
            if name.group(0) in renames:
                column = token.start[1] + field.start(1) + name.start()
                found.append((token.start[0], column, column + len(name.group(0)), renames[name.group(0)]))
    return found
