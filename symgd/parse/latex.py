"""Tokenizer for the LaTeX syntax (grammar/latex.lark).

LaTeX commands are open-ended, so a hand-written tokenizer maps them to the grammar's terminals:
function commands come from the primitive table, Greek letters and font-decorated letters become
plain names, spacing is dropped, ``\\quad`` and top-level newlines separate items, and each bar is
classified as opening or closing so the grammar stays LALR(1).
"""

from __future__ import annotations

import re
from typing import Iterator

from lark import Token

from symgd.errors import ParseError, UnsupportedError, position_error
from symgd.functions import LATEX_COMMANDS, LATEX_WORDS

GREEK = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi
rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
""".split())

IGNORED_COMMANDS = frozenset("""
left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle
displaystyle textstyle limits nolimits mathop nonumber notag
""".split())

SPACING = frozenset([",", ";", ":", "!", " ", "quad", "qquad", "enspace", "thinspace"])
SEPARATING_SPACES = frozenset(["quad", "qquad"])

FONT_COMMANDS = frozenset("mathbf boldsymbol bm mathit mathcal mathsf vec mathbfit pmb".split())
# Fonts that mark vectors and matrices (bold x is a vector in the Matrix Cookbook, PRML, ESL, ...).
BOLD_RE = re.compile(r"\\(?:mathbf|boldsymbol|bm|vec|mathbfit|pmb)\s*(?:\{\s*\\?([A-Za-z]+)\s*\}|\\?([A-Za-z]))")
WORD_COMMANDS = frozenset("operatorname operatorname* mathrm text textrm textnormal textit mbox".split())

REL_COMMANDS = {
    "le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=",
    "in": "in", "succeq": "succeq", "succ": "succeq", "preceq": "preceq",
    "leftarrow": "<-", "gets": "<-", "longleftarrow": "<-", "coloneqq": ":=", "triangleq": ":=",
    "eqqcolon": ":=", "equiv": ":=",
}
OPERATOR_COMMANDS = {"cdot": "CDOT", "times": "TIMES", "odot": "ODOT", "circ": "ODOT",
                     "ast": "CDOT", "div": "SLASH"}
CONNECTIVES = {
    "s.t.": "ST", "st": "ST", "subject to": "ST", "such that": "ST", "s. t.": "ST",
    "where": "WHERE", "with": "WHERE", "and": "_SEP", "given": "WHERE",
    "identity": "IDENTITY", "the identity": "IDENTITY", "is the identity": "IDENTITY",
    "identity matrix": "IDENTITY", "is the identity matrix": "IDENTITY",
}
# Tokens after which an operand is complete: a bar after one of these closes, a newline separates.
OPERAND_END = frozenset("NUMBER NAME ONES REALS TOP PRIME _RPAR _RBRACE _RBAR _RNORM".split())

OPEN_FOR = {")": "(", "]": "[", r"\}": r"\{"}

TOKEN_RE = re.compile(r"""
    (?P<space>[ \t\r&~]+)
  | (?P<newline>\n)
  | (?P<linebreak>\\\\)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<letter>[A-Za-z])
  | (?P<command>\\(?:[A-Za-z]+\*?|[,;:!\ \{\}\|]))
  | (?P<assign>:=|<-|<=|>=)
  | (?P<punct>[-+*/=<>,;()\[\]{}|^_'.])
""", re.VERBOSE)

BRACED_WORD_RE = re.compile(r"\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
BARE_ARG_RE = re.compile(r"\s*(\\[A-Za-z]+|[A-Za-z0-9])")
FRAC_DIGITS_RE = re.compile(r"\s*(\d)\s*([0-9A-Za-z])")
SPACE_IN_WORD_RE = re.compile(r"\\[,;:! ]|\s+")
OPERATOR_ARGUMENT_RE = re.compile(r"\s*(?:\\left\s*)?\(")


class _Tokenizer:
    """One pass over the source; ``run`` yields lark Tokens or raises ParseError."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []
        self.brackets: list[tuple[str, int]] = []   # open delimiter kinds, for matching
        self.bars: list[str] = []                    # open bar kinds: "_LBAR" / "_LNORM"
        self.single_next = False                     # after ^ or _: take one digit only

    # -- helpers -------------------------------------------------------------------------
    def error(self, message: str, offset: int, expected: str = "") -> ParseError:
        return position_error(message, self.text, offset, expected)

    def emit(self, kind: str, value: str, start: int) -> None:
        self.tokens.append(Token(kind, value, start_pos=start, line=self.text.count("\n", 0, start) + 1,
                                 column=start - self.text.rfind("\n", 0, start)))

    def last_kind(self) -> str:
        return self.tokens[-1].type if self.tokens else ""

    def read_braced(self, after: int, command: str, start: int) -> tuple[str, int]:
        """Read ``{...}`` (or one bare token) after a command; return its content and end."""
        match = BRACED_WORD_RE.match(self.text, after)
        if match:
            return match.group(1), match.end()
        match = BARE_ARG_RE.match(self.text, after)
        if match:
            return match.group(1), match.end()
        raise self.error(f"{command} needs an argument", start, "a braced group such as {x}")

    # -- main loop -----------------------------------------------------------------------
    def run(self) -> list[Token]:
        text = self.text
        while self.pos < len(text):
            match = TOKEN_RE.match(text, self.pos)
            if not match:
                raise self.error(f"unexpected character {text[self.pos]!r}", self.pos,
                                 "a letter, a number, an operator or a LaTeX command")
            start, self.pos = self.pos, match.end()
            kind = match.lastgroup
            value = match.group()
            single = self.single_next
            self.single_next = False
            if kind == "space":
                self.single_next = single
            elif kind == "newline":
                self.newline(start)
            elif kind == "linebreak":
                self.emit("_SEP", value, start)
            elif kind == "number":
                if single:
                    if not value[0].isdigit():
                        raise self.error("a script must be one digit, one letter or a braced group", start,
                                         "a digit, a letter or {...}")
                    self.pos = start + 1
                    value = value[0]
                self.emit("NUMBER", value, start)
            elif kind == "letter":
                self.emit("NAME", value, start)
            elif kind == "command":
                self.command(value[1:], start)
            elif kind == "assign":
                self.emit("REL", {":=": ":=", "<-": "<-", "<=": "<=", ">=": ">="}[value], start)
            else:
                self.punct(value, start)
        if self.brackets:
            kind, offset = self.brackets[-1]
            raise self.error(f"unclosed {kind!r}", offset, f"a closing {_closer(kind)!r}")
        if self.bars:
            raise self.error("unclosed bar", len(text), "a closing | or \\|")
        return self.tokens

    def newline(self, start: int) -> None:
        # A newline separates items only at the top level after a complete operand, and not
        # when the next line continues with a binary operator.
        rest = self.text[start + 1:].lstrip()
        continues = rest[:1] in ("+", "=", "&") or rest.startswith(("\\cdot", "\\times", "\\le", "\\ge"))
        if not self.brackets and not self.bars and self.last_kind() in OPERAND_END and not continues:
            self.emit("_SEP", "\n", start)

    def punct(self, value: str, start: int) -> None:
        simple = {"+": "PLUS", "-": "MINUS", "*": "CDOT", "/": "SLASH", ",": "_COMMA", ";": "_SEP",
                  "=": "_EQ", "'": "PRIME", "_": "_UNDER", "<": "REL", ">": "REL"}
        if value == "^":
            if self.text.startswith("{(", self._skip_spaces(self.pos)):
                self.pos = self._skip_spaces(self.pos) + 2
                self.brackets.append(("{", start))
                self.brackets.append(("(", start))
                self.emit("_SAMPLE", "^{(", start)
                return
            self.emit("_CARET", value, start)
            self.single_next = True
        elif value == "_":
            self.emit("_UNDER", value, start)
            self.single_next = True
        elif value in "([":
            self.open_bracket(value, "_LPAR", start)
        elif value in ")]":
            self.close_bracket(value, "_RPAR", start)
        elif value == "{":
            self.open_bracket(value, "_LBRACE", start)
        elif value == "}":
            self.close_bracket(value, "_RBRACE", start)
        elif value == "|":
            self.bar("_LBAR", "_RBAR", start)
        elif value == ".":
            if self.brackets or self.bars:
                raise self.error("unexpected '.'", start, "an expression")
            self.emit("_SEP", value, start)   # a sentence-ending full stop
        elif value in ("<", ">"):
            self.emit("REL", value, start)
        else:
            self.emit(simple[value], value, start)

    def _skip_spaces(self, offset: int) -> int:
        while offset < len(self.text) and self.text[offset] in " \t":
            offset += 1
        return offset

    def open_bracket(self, kind: str, token: str, start: int) -> None:
        if len(self.brackets) >= 200:
            raise self.error("brackets nested deeper than 200", start)
        self.brackets.append((kind, start))
        self.emit(token, kind, start)

    def close_bracket(self, kind: str, token: str, start: int) -> None:
        opener = OPEN_FOR.get(kind, "{")
        if not self.brackets:
            raise self.error(f"{kind!r} closes nothing", start, "an expression")
        open_kind, _ = self.brackets[-1]
        if open_kind != opener:
            raise self.error(f"{kind!r} does not match the open {open_kind!r}", start,
                             f"a closing {_closer(open_kind)!r}")
        self.brackets.pop()
        self.emit(token, kind, start)

    def bar(self, opening: str, closing: str, start: int, side: str = "") -> None:
        """Classify a bar: it closes when an operand just ended and a bar of its kind is open."""
        is_close = side == "right" or (
            side != "left" and self.bars and self.bars[-1] == opening
            and self.last_kind() in OPERAND_END)
        if is_close:
            if not self.bars or self.bars[-1] != opening:
                raise self.error("closing bar without an opening one", start, "an expression")
            self.bars.pop()
            self.emit(closing, "|", start)
        else:
            if len(self.bars) >= 200:
                raise self.error("bars nested deeper than 200", start)
            self.bars.append(opening)
            self.emit(opening, "|", start)

    def command(self, name: str, start: int) -> None:
        if name in SPACING:
            if name in SEPARATING_SPACES:
                self.emit("_SEP", name, start)
            else:
                self.single_next = False
            return
        if name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr"):
            self.sized_delimiter(name, start)
            return
        if name in IGNORED_COMMANDS:
            return
        if name in GREEK:
            self.emit("NAME", name, start)
        elif "\\" + name in LATEX_COMMANDS:
            self.emit("FUNC", LATEX_COMMANDS["\\" + name], start)
        elif name in REL_COMMANDS:
            self.emit("REL", REL_COMMANDS[name], start)
        elif name in OPERATOR_COMMANDS:
            kind = OPERATOR_COMMANDS[name]
            self.emit(kind, name, start)
        elif name in ("frac", "dfrac", "tfrac"):
            self.fraction(start)
        elif name == "sqrt":
            if self.text.startswith("[", self._skip_spaces(self.pos)):
                raise UnsupportedError("n-th roots \\sqrt[n]{...} are not supported; write a power")
            self.emit("SQRT", name, start)
        elif name in ("sum", "prod"):
            self.emit("BIGOP", name, start)
        elif name == "partial":
            self.emit("PARTIAL", name, start)
        elif name == "nabla":
            self.emit("NABLA", name, start)
        elif name in ("top", "intercal", "mathsf") and (name != "mathsf" or self.mathsf_is_top()):
            self.emit("TOP", "T", start)
        elif name == "arg":
            self.arg_operator(start)
        elif name in ("argmin", "argmax"):
            self.emit("ARGOPT", name[3:], start)
        elif name in FONT_COMMANDS:
            self.font(name, start)
        elif name in WORD_COMMANDS:
            self.word(name, start)
        elif name == "mathbb":
            content, self.pos = self.read_braced(self.pos, "\\mathbb", start)
            if content.strip() not in ("R", "N", "Z"):
                raise UnsupportedError(f"the set \\mathbb{{{content}}}: symgd knows R, N and Z")
            self.emit("REALS", content.strip(), start)
        elif name in ("{", "lbrace", "lbrack", "langle"):
            self.open_bracket(r"\{" if name in ("{", "lbrace") else "[", "_LPAR", start)
        elif name in ("}", "rbrace", "rbrack", "rangle"):
            self.close_bracket(r"\}" if name in ("}", "rbrace") else "]", "_RPAR", start)
        elif name in ("|", "Vert", "lVert", "rVert"):
            side = {"lVert": "left", "rVert": "right"}.get(name, "")
            self.bar("_LNORM", "_RNORM", start, side)
        elif name in ("vert", "lvert", "rvert", "mid"):
            side = {"lvert": "left", "rvert": "right"}.get(name, "")
            self.bar("_LBAR", "_RBAR", start, side)
        elif name == "prime":
            self.emit("PRIME", "'", start)
        elif name == "infty":
            raise UnsupportedError("\\infty is not supported (infinite sums and norms)")
        else:
            raise self.error(f"unknown LaTeX command \\{name}", start,
                             "a known command such as \\frac, \\log, \\sum or a Greek letter")

    def sized_delimiter(self, name: str, start: int) -> None:
        """``\\left(`` and friends: the size is dropped, the delimiter kept with its side."""
        offset = self._skip_spaces(self.pos)
        side = "left" if name.startswith("left") or name.endswith("l") else "right"
        rest = self.text[offset:]
        for spelling, kind in ((r"\|", "norm"), (r"\Vert", "norm"), (r"\lVert", "norm"), (r"\rVert", "norm"),
                               ("|", "abs"), (r"\vert", "abs"), (r"\lvert", "abs"), (r"\rvert", "abs")):
            if rest.startswith(spelling) and not rest[len(spelling):len(spelling) + 1].isalpha():
                self.pos = offset + len(spelling)
                opening, closing = ("_LNORM", "_RNORM") if kind == "norm" else ("_LBAR", "_RBAR")
                self.bar(opening, closing, start, side)
                return
        if rest.startswith("."):
            self.pos = offset + 1
            raise UnsupportedError("\\left. ... \\right| evaluation bars are not supported")
        # other delimiters ( [ \{ are lexed normally next

    def fraction(self, start: int) -> None:
        digits = FRAC_DIGITS_RE.match(self.text, self.pos)
        self.emit("FRAC", "frac", start)
        if digits:   # \frac12, \frac1n
            self.pos = digits.end()
            for group in (1, 2):
                self.emit("_LBRACE", "{", start)
                value = digits.group(group)
                self.emit("NUMBER" if value.isdigit() else "NAME", value, start)
                self.emit("_RBRACE", "}", start)

    def mathsf_is_top(self) -> bool:
        match = BRACED_WORD_RE.match(self.text, self.pos) or BARE_ARG_RE.match(self.text, self.pos)
        if match and match.group(1).strip() in ("T", "\\top"):
            self.pos = match.end()
            return True
        return False

    def arg_operator(self, start: int) -> None:
        match = re.compile(r"\s*(?:\\[,;!: ]\s*)*\\(min|max)(?![A-Za-z])").match(self.text, self.pos)
        if not match:
            raise self.error("\\arg must be followed by \\min or \\max", start, "\\min or \\max")
        self.pos = match.end()
        self.emit("ARGOPT", match.group(1), start)

    def font(self, name: str, start: int) -> None:
        content, self.pos = self.read_braced(self.pos, "\\" + name, start)
        word = content.strip()
        if word == "1":
            self.emit("ONES", "1", start)
        elif word == "0":
            self.emit("NUMBER", "0", start)
        elif re.fullmatch(r"[A-Za-z]", word):
            self.emit("NAME", word, start)
        elif word.startswith("\\") and word[1:] in GREEK:
            self.emit("NAME", word[1:], start)
        elif name == "mathsf" and word == "T":
            self.emit("TOP", "T", start)
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", word):
            self.emit("NAME", word, start)
        else:
            raise self.error(f"\\{name}{{{content}}} is not a name symgd can read", start,
                             "a letter or a Greek letter inside the braces")

    def word(self, name: str, start: int) -> None:
        content, self.pos = self.read_braced(self.pos, "\\" + name, start)
        word = SPACE_IN_WORD_RE.sub(" ", content).strip()
        compact = word.replace(" ", "")
        if name.startswith("text") or name == "mbox":
            kind = CONNECTIVES.get(word.lower()) or CONNECTIVES.get(compact.lower())
            if kind is None:
                raise self.error(f"the text {word!r} is not a connective symgd understands", start,
                                 "\\text{s.t.}, \\text{subject to} or \\text{where}")
            self.emit(kind, word, start)
        elif compact.lower() in ("argmin", "argmax"):
            self.emit("ARGOPT", compact.lower()[3:], start)
        elif compact in LATEX_WORDS:
            self.emit("FUNC", LATEX_WORDS[compact], start)
        elif compact in ("T", "top"):
            self.emit("TOP", "T", start)
        elif compact.lower() in ("s.t.", "st"):
            self.emit("ST", word, start)
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", compact) and len(compact) > 1 and self.is_operator_word(name):
            # \operatorname{diag}(w), \mathrm{sim}(u, v): a function symgd may not know; the shape
            # stage names it. Read as a name, it would silently multiply its argument.
            self.emit("FUNC", compact, start)
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", compact):
            self.emit("NAME", compact, start)
        else:
            raise self.error(f"\\{name}{{{content}}} is not a name or function symgd knows", start,
                             "a function name such as tr, relu or softplus")


    def is_operator_word(self, command: str) -> bool:
        """``\\operatorname{word}`` always names an operator; ``\\mathrm{word}`` when an argument
        in parentheses follows (``\\mathrm{sim}(u, v)``; ``\\mathrm{lr}\\,g`` stays a name)."""
        if command.startswith("operatorname"):
            return True
        return OPERATOR_ARGUMENT_RE.match(self.text, self.pos) is not None


def _closer(kind: str) -> str:
    return {"(": ")", "[": "]", r"\{": r"\}", "{": "}"}.get(kind, kind)


def tokenize(text: str) -> Iterator[Token]:
    """Split LaTeX source into the grammar's tokens.

    Raises:
        ParseError: an unknown command, an unmatched bracket, or a character that is not LaTeX math.
        UnsupportedError: a recognised construct symgd does not handle (``\\infty``, n-th roots).
    """
    return iter(_Tokenizer(text).run())


def bold_names(source: str) -> frozenset[str]:
    """The names the source writes in a bold font (``\\mathbf{x}``, ``\\boldsymbol{\\mu}``, ``\\vec{X}``)."""
    return frozenset(match.group(1) or match.group(2) for match in BOLD_RE.finditer(source))
