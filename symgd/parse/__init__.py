"""Source text -> IR document, for the LaTeX and the plain-text syntax.

Both grammars are LALR(1) and run with their IR builder inline, so parsing is one linear pass
with no parse tree and no recursion (adversarial nesting cannot overflow the stack here).
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from symgd.errors import ParseError, SymgdError, position_error
from symgd.parse import ir
from symgd.parse.latex import bold_names, bold_subscripted_names, split_range_clauses, tokenize
from symgd.parse.transform import LatexIRBuilder, TextIRBuilder

MAX_LENGTH = 20_000
MAX_DEPTH = 200
SYNTAXES = ("latex", "text", "auto")

# Terminal names in words, for "expected ..." in error messages.
TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "FUNC": "a function", "ONES": r"\mathbf{1}",
    "REALS": r"\mathbb{R}", "FRAC": r"\frac", "SQRT": r"\sqrt", "BIGOP": "a sum", "PARTIAL": r"\partial",
    "NABLA": r"\nabla", "ARGOPT": r"\arg\min", "TOP": r"\top", "PRIME": "'", "PLUS": "'+'",
    "MINUS": "'-'", "CDOT": r"\cdot", "TIMES": r"\times", "ODOT": r"\odot", "SLASH": "'/'",
    "REL": "a relation such as = or \\le", "_EQ": "'='", "_LPAR": "'('", "_RPAR": "')'",
    "_LBRACE": "'{'", "_RBRACE": "'}'", "_LBAR": "'|'", "_RBAR": "a closing '|'", "_LNORM": r"\|",
    "_RNORM": r"a closing \|", "_CARET": "'^'", "_UNDER": "'_'", "_COMMA": "','", "_SAMPLE": "^{(",
    "ST": "s.t.", "WHERE": "where", "_SEP": "a separator", "$END": "the end of the input",
    "STAR": "'*'", "MATMUL": "'@'", "HADAMARD": "'.*'", "EDIV": "'./'", "_POW": "'**'",
    "_DOT_T": "'.T'", "_LBRACK": "'['", "_RBRACK": "']'", "_BAR": "'|'", "_COLON": "':'",
    "_IN": "'in'", "_RANGE": "'..'", "OPT_HEAD": "min_", "__ANON_0": "a token",
    "CUP": r"\cup (only between the sets a sum's index pairs run over)",
}
EXPRESSION_STARTS = {"NAME", "NUMBER", "FUNC", "_LPAR", "FRAC"}


def _grammar_text(name: str) -> str:
    """Read a grammar shipped as package data (``symgd/grammar`` in a wheel, ``grammar/`` here)."""
    try:
        return resources.files("symgd.grammar").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (Path(__file__).resolve().parents[2] / "grammar" / name).read_text(encoding="utf-8")


class _TokenListLexer(lark.lexer.Lexer):
    """Feeds the tokens of ``symgd.parse.latex.tokenize`` to lark's LALR parser."""

    def __init__(self, lexer_conf):
        pass

    def lex(self, data):
        yield from data


@functools.cache
def _latex_parser() -> lark.Lark:
    return lark.Lark(_grammar_text("latex.lark"), parser="lalr", lexer=_TokenListLexer,
                     transformer=LatexIRBuilder(), maybe_placeholders=True)


@functools.cache
def _text_parser() -> lark.Lark:
    return lark.Lark(_grammar_text("text.lark"), parser="lalr", transformer=TextIRBuilder(),
                     maybe_placeholders=True)


def detect_syntax(source: str) -> str:
    """Guess the syntax: LaTeX when the text has a backslash, braces or a transpose juxtaposed with
    what follows (``x^TPx``, a power of a name ``TPx`` in plain text; ``(Y - XB)'(Y - XB)``, Hoerl & Kennard's
    primes, where plain text writes ``x'*A*x`` and would read ``XB`` as one name, unless the text has a ``*`` or
    a lowercase word, ``lam``, ``beta``: plain text's names, which LaTeX would read letter by letter); plain text
    otherwise."""
    if re.search(r"[\\{}]|\^T[A-Za-z]", source):
        return "latex"
    primes = re.search(r"[A-Za-z0-9)]'[A-Za-z(]", source) and not re.search(r"\*|[a-z]{2}", source)
    return "latex" if primes else "text"


def parse_document(source: str, syntax: str = "auto") -> ir.Document:
    """Parse ``source`` into an IR document.

    Args:
        source: LaTeX or plain text.
        syntax: ``"latex"``, ``"text"`` or ``"auto"``.

    Raises:
        ParseError: the text does not follow the grammar (with line, column and a caret).
        UnsupportedError: a recognised construct symgd does not handle.
    """
    if not isinstance(source, str):
        raise SymgdError(f"the source must be a string, not {type(source).__name__}")
    if syntax not in SYNTAXES:
        raise SymgdError(f"syntax must be one of {', '.join(SYNTAXES)}, not {syntax!r}")
    if len(source) > MAX_LENGTH:
        raise ParseError(f"the input is {len(source)} characters long; the limit is {MAX_LENGTH}")
    if syntax == "auto":
        syntax = detect_syntax(source)
    try:
        ranges: dict = {}
        if syntax == "latex":
            tokens, ranges = split_range_clauses(list(tokenize(source)))
            items = _latex_parser().parse(tokens)
        else:
            items = _text_parser().parse(_join_continued_lines(source))
    except UnexpectedInput as error:
        raise _parse_error(error, source) from None
    except lark.exceptions.VisitError as error:   # an exception raised by an IR builder callback
        if isinstance(error.orig_exc, SymgdError):
            raise error.orig_exc from None
        raise
    for item in items:
        if ir.depth(item) > MAX_DEPTH:
            raise ParseError(f"the formula is nested deeper than {MAX_DEPTH} levels")
    if syntax != "latex":
        return ir.Document(items, source, syntax)
    return ir.Document(items, source, syntax, bold_names(source), bold_subscripted_names(source),
                       tuple((index, _range_end(upper)) for index, upper in ranges.items()))


def _range_end(token) -> ir.Name | ir.Num | None:
    """The last value of a range clause (``m`` in ``i = 1, \\dots, m``) as an IR node."""
    if token is None:
        return None
    return ir.Num(token.value) if token.type == "NUMBER" else ir.Name(token.value)


def _join_continued_lines(text: str) -> str:
    """In plain text a newline separates items, except inside brackets or after an operator."""
    chars = list(text)
    depth = 0
    last = ""
    for position, char in enumerate(chars):
        if char in "([":
            depth += 1
            if depth > MAX_DEPTH:
                raise position_error(f"brackets nested deeper than {MAX_DEPTH}", text, position)
        elif char in ")]":
            depth = max(0, depth - 1)
        if char == "\n" and (depth > 0 or last in "+-*/@^=<>,(["):
            chars[position] = " "
        elif not char.isspace():
            last = char
    return "".join(chars)


def _parse_error(error: UnexpectedInput, source: str) -> ParseError:
    """Turn a lark error into a ParseError with words instead of terminal names."""
    if isinstance(error, UnexpectedToken):
        token = error.token
        offset = token.start_pos if token.start_pos is not None else len(source)
        if token.type == "$END":
            expected = _expected_words(error.expected)
            return position_error("unexpected end of the input", source, len(source), expected)
        expected = _expected_words(error.expected)
        return position_error(f"unexpected {str(token)!r}", source, offset, expected)
    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream
        expected = _expected_words(error.allowed or set())
        return position_error(f"unexpected character {source[offset]!r}", source, offset, expected)
    return position_error("the input ended too early", source, len(source), "more input")


def _expected_words(terminals) -> str:
    names = set(terminals)
    words = []
    if names & EXPRESSION_STARTS:
        words.append("an expression")
        names -= EXPRESSION_STARTS | {"ONES", "REALS", "SQRT", "BIGOP", "NABLA", "_LBAR", "_LNORM",
                                      "_LBRACE", "MINUS", "PLUS", "_BAR"}
    for name in sorted(names):
        word = TERMINAL_WORDS.get(name, name.lower().strip("_"))
        if word not in words:
            words.append(word)
    if len(words) > 6:
        words = words[:6] + ["..."]
    return ", ".join(words)
