"""The one exception family of symgd.

Everything the public API raises for bad input is a :class:`SymgdError`; callers can catch that
one class. Parse errors carry the position and a caret picture so a user sees at once where the
text went wrong.
"""

from __future__ import annotations


class SymgdError(Exception):
    """Base class of every error symgd raises on purpose."""


class ParseError(SymgdError):
    """The source text is not a formula symgd can read.

    Attributes:
        line, column: 1-based position of the offending character.
        source_line: the text of that line.
        expected: what would have been valid there, in words.
    """

    def __init__(self, message: str, *, line: int = 0, column: int = 0, source_line: str = "",
                 expected: str = "") -> None:
        self.reason = message
        self.line = line
        self.column = column
        self.source_line = source_line
        self.expected = expected
        super().__init__(self._format())

    def _format(self) -> str:
        if not self.line:
            return self.reason
        caret = " " * (self.column - 1) + "^"
        text = f"line {self.line}, column {self.column}: {self.reason}\n  {self.source_line}\n  {caret}"
        if self.expected:
            text += f"\nexpected {self.expected}"
        return text


class ShapeError(SymgdError):
    """Operands whose shapes cannot go together (a vector added to a matrix, ``w^T X`` misfit)."""


class UnsupportedError(SymgdError):
    """A construct symgd recognises but does not handle (yet); the message names it."""


class AmbiguityError(SymgdError):
    """The source does not decide something symgd must know, such as which symbols are parameters."""


class InternalError(SymgdError):
    """A bug in symgd itself, reported as a SymgdError so no foreign exception escapes the API."""


def position_error(message: str, text: str, offset: int, expected: str = "") -> ParseError:
    """Build a :class:`ParseError` pointing at character ``offset`` of ``text``."""
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    if line_end == -1:
        line_end = len(text)
    line = text.count("\n", 0, offset) + 1
    column = offset - line_start + 1
    return ParseError(message, line=line, column=column, source_line=text[line_start:line_end],
                      expected=expected)
