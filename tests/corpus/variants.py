"""Equivalent spellings of a corpus formula, made at the LaTeX level.

Only what is simple and safe: the top-level terms of the formula's right-hand side (after the last
top-level ``=``, when no ``\\min``, ``\\text`` or environment precedes them) are reordered, or the
first two terms ``a - b`` are written ``-(b - a)``; the ``where`` declarations are reversed.
Together with the entries' hand-written ``variants`` they exercise the order-independence property.
"""

from __future__ import annotations

import re

OPEN, CLOSE = "{([", "})]"
HEADS = (r"\min", r"\max", r"\arg", r"\underset", r"\text", r"\mbox", r"\begin", r"\operatorname")


def _top_level_positions(text: str, characters: str) -> list[int]:
    """Positions of ``characters`` outside every bracket, ``\\left..\\right`` pair and ``|..|`` / ``\\|..\\|``."""
    depth, bars, norms, found = 0, False, False, []
    i = 0
    while i < len(text):
        if text.startswith(r"\|", i):
            norms = not norms
            i += 2
            continue
        if text.startswith((r"\{", r"\langle"), i) or text.startswith((r"\}", r"\rangle"), i):
            depth += 1 if text.startswith((r"\{", r"\langle"), i) else -1
            i += 2 if text[i + 1] in "{}" else len(r"\langle")
            continue
        if text.startswith("\\", i):   # a command: skip its name (\left( opens through its bracket below)
            match = re.match(r"\\[A-Za-z]+|\\.", text[i:])
            i += len(match.group(0))
            continue
        char = text[i]
        if char in OPEN:
            depth += 1
        elif char in CLOSE:
            depth -= 1
        elif char == "|":
            bars = not bars
        elif char in characters and depth == 0 and not bars and not norms:
            found.append(i)
        i += 1
    return found


def _body(latex: str) -> tuple[str, str] | None:
    """(head, body): the body is what follows the last top-level ``=``; None when a head word precedes it."""
    equals = _top_level_positions(latex, "=")
    cut = equals[-1] + 1 if equals else 0
    head, body = latex[:cut], latex[cut:]
    if any(word in latex for word in HEADS) or "<" in body or ">" in body or r"\le" in body or r"\ge" in body:
        return None
    return head, body


BIG_OPERATOR_END = re.compile(r"\\(?:sum|prod)(?:_\{[^{}]*\}|_\\?\w+)?(?:\^\{[^{}]*\}|\^\\?\w+)?\s*$")


def terms(body: str) -> list[tuple[str, str]]:
    """The top-level terms of a sum as (sign, text); the first sign is ``+`` unless written ``-``."""
    body = body.strip()
    cuts = [p for p in _top_level_positions(body, "+-") if body[:p].strip() and not body[:p].rstrip().endswith(("^", "_"))
            and not BIG_OPERATOR_END.search(body[:p])]   # \sum_{k=1}^{K}-y_k: the sign of the sum's body
    pieces, start, sign = [], 0, "+"
    if body.startswith("-"):
        sign, start = "-", 1
        cuts = [c for c in cuts if c > 0]
    for cut in cuts:
        pieces.append((sign, body[start:cut].strip()))
        sign, start = body[cut], cut + 1
    pieces.append((sign, body[start:].strip()))
    return [(s, t) for s, t in pieces if t]


def _join(pieces: list[tuple[str, str]]) -> str:
    first_sign, first = pieces[0]
    text = ("-" if first_sign == "-" else "") + first
    for sign, term in pieces[1:]:
        text += f" {sign} {term}"
    return text


def reversed_terms(latex: str) -> str | None:
    """The formula with its top-level terms in reverse order (None when there is nothing to reorder)."""
    split = _body(latex)
    if split is None:
        return None
    head, body = split
    pieces = terms(body)
    if len(pieces) < 2:
        return None
    return head + " " + _join(pieces[::-1])


def negated_difference(latex: str) -> str | None:
    """``a - b + c`` written ``-(b - a) + c`` (None unless the first two terms are ``a - b``)."""
    split = _body(latex)
    if split is None:
        return None
    head, body = split
    pieces = terms(body)
    if len(pieces) < 2 or pieces[0][0] != "+" or pieces[1][0] != "-":
        return None
    rest = _join([("+", "0")] + pieces[2:])[len("0"):] if pieces[2:] else ""
    return head + f" -({pieces[1][1]} - {pieces[0][1]})" + rest


def reversed_where(where: str | None) -> str | None:
    """The declarations in reverse order (None unless there are at least two, separated by top-level commas)."""
    if not where:
        return None
    cuts = _top_level_positions(where, ",")
    if not cuts:
        return None
    items, start = [], 0
    for cut in cuts + [len(where)]:
        items.append(where[start:cut].replace(r"\quad", "").strip())
        start = cut + 1
    if len(items) < 2 or not all("=" in item or r"\in" in item for item in items):
        return None
    return ", \\quad ".join(items[::-1])


GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "lambda", "mu", "nu",
         "xi", "rho", "sigma", "tau", "phi", "Sigma", "Theta", "Phi", "Gamma", "Lambda", "Omega"}


def _name_latex(name: str) -> str | None:
    """LaTeX of a simple corpus name (``beta_0`` -> ``\\beta_0``, ``X`` -> ``X``); None for anything else."""
    match = re.fullmatch(r"([A-Za-z]+)(?:_([A-Za-z0-9]+))?", name)
    if not match:
        return None
    base, sub = match.groups()
    if len(base) > 1 and base not in GREEK:
        return None
    base = "\\" + base if base in GREEK else base
    return base + (f"_{{{sub}}}" if sub else "")


def declarations(item) -> list[str] | None:
    """``name \\in \\mathbb{R}^{a \\times b}`` for every symbol of the entry (None when a name is not simple)."""
    out = []
    for name, shape in item.shapes.items():
        latex = _name_latex(name)
        if latex is None or any(not isinstance(d, str) or not re.fullmatch(r"[A-Za-z]", d) for d in shape):
            return None
        space = r"\mathbb{R}" + ("^{%s}" % r" \times ".join(shape) if shape else "")
        out.append(f"{latex} \\in {space}")
    return out
