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
from symgd.functions import LATEX_COMMANDS, LATEX_WORDS, TEXT_NAMES

GREEK = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi
rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
""".split())

IGNORED_COMMANDS = frozenset("""
left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle
displaystyle textstyle limits nolimits nonumber notag
""".split())

SPACING = frozenset([",", ";", ":", "!", " ", ">", "quad", "qquad", "enspace", "thinspace", "medspace",
                     "thickspace", "negthinspace", "negmedspace", "negthickspace"])
SEPARATING_SPACES = frozenset(["quad", "qquad"])

FONT_COMMANDS = frozenset("mathbf boldsymbol bm mathit mathcal mathscr mathfrak mathsf vec mathbfit pmb".split())
# Accents are part of a name: \hat y is the symbol "yhat" (SymPy's spelling, printed back as \hat{y}).
ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
           "widetilde": "tilde", "dot": "dot", "ddot": "ddot", "check": "check", "breve": "breve"}
LETTER_COMMANDS = {"ell": "ell", "imath": "i", "jmath": "j"}
# Constructs symgd recognises but does not derive, with what to write instead.
INFINITY = "infty"   # \infty right after = (``\alpha_c = \infty``): the name the problem stage reads as +∞
INFINITY_REFUSAL = (r"\infty is not supported (infinite sums and norms); it is read only as the value of a boundary "
                    r"entry of a vector, \alpha_0 = -\infty, in the where-clause")
OUT_OF_SCOPE = {
    "int": r"integrals (\int) are not supported; write the loss on a sample (an average over data points)",
    "iint": r"integrals (\iint) are not supported; write the loss on a sample (an average over data points)",
    "oint": r"integrals (\oint) are not supported; write the loss on a sample",
    "Pr": r"probabilities \Pr(...) are not supported; write the likelihood out, e.g. y_i \log\sigma(w^\top x_i)",
    "lim": r"limits (\lim) are not supported",
    "sup": r"suprema (\sup) are not supported; a maximum of finitely many terms is \max(a, b)",
    "inf": r"infima (\inf) are not supported; a minimum of finitely many terms is \min(a, b)",
    "infty": INFINITY_REFUSAL,
    "sim": r"sampling (\sim, drawn from a distribution) is not supported; write the loss on the samples drawn",
}
BLACKBOARD_OUT_OF_SCOPE = {
    "E": r"the expectation \mathbb{E} is not supported; write the empirical average "
         r"\frac{1}{n}\sum_{i=1}^{n} ... over samples",
    "P": r"the probability \mathbb{P} is not supported; write the likelihood out",
    "V": r"the variance \mathbb{V} is not supported; write it as an average of squared deviations",
}
DENSITY_REFUSAL = ("probability densities are not supported; write the log-likelihood out, "
                   "e.g. y_i \\log\\sigma(w^\\top x_i)")
# Environments that only lay out items: \begin{array}{ll} minimize & f \\ subject to & g \end{array}.
LAYOUT_ENVIRONMENTS = frozenset("array aligned align align* alignat alignat* equation equation* gather gather* "
                                "gathered split eqnarray eqnarray* displaymath".split())
# Fonts that mark vectors and matrices (bold x is a vector in the Matrix Cookbook, PRML, ESL, ...).
# {\bf x} (the old font switch, as the PyTorch documentation writes) is \mathbf{x}: its name is group 3
BOLD_RE = re.compile(r"\\(?:mathbf|boldsymbol|bm|vec|mathbfit|pmb)\s*(?:\{\s*\\?([A-Za-z]+)\s*\}|\\?([A-Za-z]))"
                     r"|\{\s*\\bf(?![A-Za-z])\s*\\?([A-Za-z]+)\s*(?:\}|(?=[_^]))")
OLD_BOLD_NAME_RE = re.compile(r"\s*(\\?[A-Za-z]+)\s*(?=[}_^])")   # the one name after {\bf
WORD_COMMANDS = frozenset("operatorname operatorname* mathrm text textrm textnormal textit mbox".split())

REL_COMMANDS = {
    "le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=",
    "in": "in", "succeq": "succeq", "succ": "succeq", "preceq": "preceq",
    "leftarrow": "<-", "gets": "<-", "longleftarrow": "<-", "coloneqq": ":=", "triangleq": ":=",
    "eqqcolon": ":=", "equiv": ":=", "doteq": ":=",   # \doteq: Sutton & Barto's "defined as"
}
OPERATOR_COMMANDS = {"cdot": "CDOT", "times": "TIMES", "odot": "ODOT", "circ": "ODOT",
                     "ast": "CDOT", "div": "SLASH", "oslash": "EDIV"}
CONNECTIVES = {
    "s.t.": "ST", "st": "ST", "subject to": "ST", "such that": "ST", "s. t.": "ST",
    "where": "WHERE", "with": "WHERE", "and": "_SEP", "given": "WHERE",
    "identity": "IDENTITY", "the identity": "IDENTITY", "is the identity": "IDENTITY",
    "identity matrix": "IDENTITY", "is the identity matrix": "IDENTITY",
}
# S \text{ symmetric}, \Sigma \text{ is positive definite}: a structure declaration (the token's value is the kind)
STRUCTURE_WORDS = {f"{is_}{words}": kind for is_ in ("", "is ") for words, kind in (
    ("symmetric", "symmetric"), ("positive definite", "positive definite"),
    ("symmetric positive definite", "positive definite"), ("positive semidefinite", "positive semidefinite"),
    ("symmetric positive semidefinite", "positive semidefinite"))}
# + \text{const.}: a term of a sum that stands for an additive constant (the name const)
CONSTANT_WORDS = frozenset(["const", "constant", "Const", "cst"])
HEADER_TUPLE_IN_RE = re.compile(r"\s*_\s*\{\s*(\([^()]*\))\s*\\in(?![A-Za-z])")   # \min_{(a, b) \in ...}
OPTIMIZE_WORDS = {"minimize": "min", "minimise": "min", "maximize": "max", "maximise": "max"}
# the word under \underset: \text{minimize}, \mathrm{maximize}, \operatorname*{minimize}, \mbox{minimize}, minimize
OPTIMIZE_WORD_RE = re.compile(r"\s*(?:\\(?:text|textrm|mathrm|mbox|operatorname\*?)\s*\{\s*([A-Za-z]+)\s*\}"
                              r"|([A-Za-z]+))\s*")
# Words in the condition column of \begin{cases}: "if" is dropped, "otherwise" is the default piece.
CASE_WORDS = {"if": "", "for": "", "when": "", "if and only if": "", "otherwise": "OTHERWISE",
              "else": "OTHERWISE", "if otherwise": "OTHERWISE", "elsewhere": "OTHERWISE"}
# Tokens after which an operand is complete: a bar after one of these closes, a newline separates.
OPERAND_END = frozenset("NUMBER NAME LABEL DENSITY ONES REALS TOP PRIME _RPAR _RBRACE _RBAR _RNORM _RPLUS _RANGLE "
                        "_END_CASES".split())

# Tokens after which only an operand can come (a \text word there is a name, not prose)
OPERAND_START = frozenset("PLUS MINUS CDOT SLASH _COMMA _EQ _LPAR _LBRACE".split())
RANGE_SET_RE = re.compile(r"\[\s*([A-Za-z]|\\[A-Za-z]+|\d+)\s*\](?=\s*\})")   # \sum_{i\in[n]}
OPEN_FOR = {")": "(", "]": "[", r"\}": r"\{", "rangle": "langle", "cases": "cases"}

TOKEN_RE = re.compile(r"""
    (?P<space>[ \t\r&~]+)
  | (?P<newline>\n)
  | (?P<linebreak>\\\\)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<letter>[A-Za-z])
  | (?P<command>\\(?:[A-Za-z]+\*?|[,;:!\ \{\}\|]))
  | (?P<assign>:=|<-|<=|>=)
  | (?P<punct>[-+*/=<>,;:()\[\]{}|^_'.!])
""", re.VERBOSE)

BRACED_WORD_RE = re.compile(r"\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
BARE_ARG_RE = re.compile(r"\s*(\\[A-Za-z]+|[A-Za-z0-9])")
FRAC_DIGITS_RE = re.compile(r"\s*(\d)\s*([0-9A-Za-z])")
SPACE_IN_WORD_RE = re.compile(r"\\[,;:! ]|\s+")
OPERATOR_ARGUMENT_RE = re.compile(r"\s*(?:\\left\s*)?\(")
INDICATOR_ARGUMENT_RE = re.compile(r"\s*(?:\\left\s*|\\big\w*\s*)?(?:\(|\[|\\\{|_)")
POSITIVE_PART_RE = re.compile(r"\s*_\s*(?:\+|\{\s*\+\s*\})")
CAPITALS_LABEL_RE = re.compile(r"\s*\{\s*([A-Z]{2,4})\s*\}")   # ^{LS}, ^{MAP}: two to four capitals, a label
STAR_RE = re.compile(r"\s*(?:\*|\{\s*\*\s*\}|\\ast\b|\{\s*\\ast\s*\}|\\star\b|\{\s*\\star\s*\})")
# The inside of y[k], x[k+1], X[i, j]: indices (a letter, maybe shifted by a whole number), then ].
ENTRY_BRACKET_RE = re.compile(r"\s*[A-Za-z](?:\s*[-+]\s*\d+)?(?:\s*,\s*[A-Za-z](?:\s*[-+]\s*\d+)?)*\s*\]")
# \Pr(Y|P), \Pr\left(y \mid x\right): a parenthesis whose content, before any other bracket, has a bar
CONDITIONAL_RE = re.compile(r"\s*(?:\\left\s*)?\((?:[^()|\\]|\\(?!mid\b|vert\b)[A-Za-z]+|\\[^A-Za-z])*"
                            r"(?:\||\\mid\b|\\vert\b)")
# ^- or ^{-} with nothing after the sign (\mathcal{Y}^-, He et al.'s sampled negatives): a label, the name Y_minus
MINUS_SCRIPT_RE = re.compile(r"\s*(?:\{\s*-\s*\}|-(?!\s*(?:[0-9A-Za-z{(]"
                             r"|\\(?!(?:cup|right|quad)(?![A-Za-z])|[|},;]))))")
PLUS_SCRIPT_RE = re.compile(r"\s*(?:\{\s*\+\s*\}|\+(\s*[0-9A-Za-z\\{])?)")   # ^+ or ^{+}; group 1: ^+2
# After a slash: a number, a letter or a Greek letter written against it, and that name's scripts.
SLASH_DENOMINATOR_RE = re.compile(r"\d+(?:([A-Za-z])|\\([A-Za-z]+))(?![A-Za-z])"
                                  r"(?:\s*[\^_]\s*(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9]))*")
MATHOP_NOISE_RE = re.compile(r"\\(?:rm|mathrm|operatorname\*?|text)|\\[,;!: ]|[{}\s]")   # fonts, spaces
ROW_SUBSCRIPT_RE = re.compile(r"\{\s*([A-Za-z])\s*,?\s*(?:\\cdot|\\bullet|:)\s*\}")      # B_{j\cdot}: row j
# what may follow a row B_{j\cdot}: a closing \| or a transpose
ROW_USE_RE = re.compile(r"\s*(?:\\right)?\s*(?:\\\||\^\s*(?:\\top|T|\{\s*(?:\\top|T)\s*\}))")
COLUMN_SUBSCRIPT_RE = re.compile(r"\{\s*(?:\\cdot|\\bullet|:)\s*,?\s*[A-Za-z]\s*\}")     # B_{\cdot j}: column j
# A definition's head and its argument list: \text{loss}(x1, x2, y) = ... (the PyTorch documentation)
HEAD_ARGUMENTS_RE = re.compile(r"\(([^()]*)\)\s*(?:=|:=)")
NUMBERED_NAME_RE = re.compile(r"[A-Za-z]+[0-9]+")
# Four or more lower-case letters written together outside a script: a word, one name (margin)
WORD_NAME_RE = re.compile(r"[a-z]{4,}(?![A-Za-z0-9])")
ACCENT_SUBSCRIPT_RE = re.compile(r"\s*(\\?[A-Za-z]+)\s*(_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))\s*")   # \hat{Y_i}
SHORT_WORD_RE = re.compile(r"[a-z]{2,3}(?![A-Za-z0-9])")   # exp, log, sin, max typed without a backslash
NELEMENT_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*)\.nelement")   # PyTorch's x.nelement() (SoftMarginLoss)
EMPTY_CALL_RE = re.compile(r"\s*\(\s*\)")
NUCLEAR_RE = re.compile(r"\s*_\s*(?:\*|\{\s*\*\s*\}|\\(?:ast|star)\b|\{\s*\\(?:ast|star)\s*\}"
                        r"|\\mathrm\{tr\}|\{\s*\\mathrm\{tr\}\s*\})")


# \|x\|_{\ell_1}, \|x\|_{\ell_\infty} (Candes & Tao): the l1 / l-infinity norm; \|W\|_{21} (scikit-learn): the
# 2,1-norm
ELL_NORM_RE = re.compile(r"\{\s*\\ell\s*_\s*(?:(\d|\\infty)|\{\s*(\d|\\infty)\s*\})\s*\}|\\ell\s*_\s*(\d)"
                         r"|\{\s*(21)\s*\}")


class _Tokenizer:
    """One pass over the source; ``run`` yields lark Tokens or raises ParseError."""

    def __init__(self, text: str) -> None:
        self.text = text          # what is read; a few notations rewrite what follows (see rewrite)
        self.source = text        # as the user wrote it: positions in tokens and errors refer to it
        self.edits: list[tuple[int, int, int]] = []   # (start, new length, old length) of each rewrite
        self.pos = 0
        self.tokens: list[Token] = []
        self.brackets: list[tuple[str, int]] = []   # open delimiter kinds, for matching
        self.bars: list[tuple[str, int]] = []        # open bars: kind ("_LBAR" / "_LNORM"), bracket depth
        self.single_next = False                     # after ^ or _: take one digit only
        self.numbered = numbered_head_arguments(text)   # x1, x2 listed as arguments of a head: names

    # -- helpers -------------------------------------------------------------------------
    def error(self, message: str, offset: int, expected: str = "") -> ParseError:
        return position_error(message, self.source, self.source_offset(offset), expected)

    def emit(self, kind: str, value: str, start: int) -> None:
        start = self.source_offset(start)
        self.tokens.append(Token(kind, value, start_pos=start, line=self.source.count("\n", 0, start) + 1,
                                 column=start - self.source.rfind("\n", 0, start)))

    def rewrite(self, start: int, end: int, replacement: str) -> None:
        """Replace ``text[start:end]`` ahead of the reader, remembering the edit so that carets still
        point into the text the user wrote."""
        self.text = self.text[:start] + replacement + self.text[end:]
        self.edits.append((start, len(replacement), end - start))

    def source_offset(self, offset: int) -> int:
        """The offset in the user's text of ``offset`` in the (rewritten) text being read; a position
        inside rewritten text maps to the start of what it replaced."""
        for start, new, old in reversed(self.edits):
            if offset >= start + new:
                offset += old - new
            elif offset > start:
                offset = start
        return offset

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
        while self.pos < len(self.text):   # self.text, not a copy: \\underset rewrites what follows
            match = TOKEN_RE.match(self.text, self.pos)
            if not match:
                raise self.error(f"unexpected character {self.text[self.pos]!r}", self.pos,
                                 "a letter, a number, an operator or a LaTeX command")
            start, self.pos = self.pos, match.end()
            kind = match.lastgroup
            value = match.group()
            single = self.single_next
            self.single_next = False
            if kind == "space":
                self.single_next = single
                if "&" in value and self.in_cases():
                    self.emit("_AMP", "&", start)
            elif kind == "newline":
                self.newline(start)
            elif kind == "linebreak":
                self.emit("_ROW" if self.in_cases() else "_SEP", value, start)
            elif kind == "number":
                if single:
                    if not value[0].isdigit():
                        raise self.error("a script must be one digit, one letter or a braced group", start,
                                         "a digit, a letter or {...}")
                    self.pos = start + 1
                    value = value[0]
                indicator = value == "1" and self.text.startswith("\\{", self.pos)   # CS229's 1\{y = k\}
                self.emit("INDICATOR" if indicator else "NUMBER", value, start)
            elif kind == "letter" and not single and (numbered := self.numbered_name_at(start)):
                self.pos = start + len(numbered)
                self.emit("NAME", numbered, start)
            elif kind == "letter" and not single and not self.in_script() \
                    and (word := WORD_NAME_RE.match(self.text, start)) and not self.text[start - 1:start].isalpha():
                # margin - x_n (PyTorch's HingeEmbeddingLoss): a word in italics is a name; as the product of
                # its letters it would be silently wrong (and take n from the sum)
                self.pos = word.end()
                function = LATEX_WORDS.get(word.group()) or LATEX_COMMANDS.get("\\" + word.group())
                if function and OPERATOR_ARGUMENT_RE.match(self.text, self.pos):   # tanh(u) typed without \tanh
                    self.emit("FUNC", function, start)
                else:
                    self.emit("NAME", word.group(), start)
            elif kind == "letter" and not single and not self.in_script() \
                    and (function := self.short_function_at(start)):
                self.pos = start + len(function[0])
                self.emit("FUNC", function[1], start)
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
            raise self.error("unclosed bar", len(self.text), "a closing | or \\|")
        return self.tokens

    def numbered_name_at(self, start: int) -> str | None:
        """``x1`` at ``start``, written as one word and listed as an argument of a head (``\\text{loss}(x1, x2,
        y) =``): the name x1, not x times 1. Only such names are joined, so ``2x``, ``x^2``, ``10x`` and a
        juxtaposition ``x2`` elsewhere keep their reading."""
        if start and (self.text[start - 1].isalpha() or self.text[start - 1] == "\\"):
            return None   # a digit before is a coefficient: 2x1 is 2 times x1
        match = NUMBERED_NAME_RE.match(self.text, start)
        if match is None or match.group() not in self.numbered:
            return None
        return match.group()

    def short_function_at(self, start: int):
        """(word, function) for ``exp(``, ``log(``, ``sin(``, ``max(`` typed without a backslash: a known function of
        two or three letters right before its parenthesis. As the product of its letters, ``\\sum_i sin(w^\\top
        x_i)`` was s i n (w^T x_i), with i the sum's index, and ``abs(r)`` a b s r; nobody writes such a product
        against a bracket. Longer words are read by ``WORD_NAME_RE``."""
        match = SHORT_WORD_RE.match(self.text, start)
        if not match or self.text[start - 1:start].isalpha() or not OPERATOR_ARGUMENT_RE.match(self.text, match.end()):
            return None
        word = match.group()
        function = LATEX_WORDS.get(word) or LATEX_COMMANDS.get("\\" + word) or TEXT_NAMES.get(word)
        return (word, function) if function else None

    def in_cases(self) -> bool:
        """Inside ``\\begin{cases}`` at its own level, where ``&`` and ``\\\\`` separate pieces."""
        return bool(self.brackets) and self.brackets[-1][0] == "cases"

    def newline(self, start: int) -> None:
        # A newline separates items only at the top level after a complete operand, and not
        # when the next line continues with a binary operator.
        rest = self.text[start + 1:].lstrip()
        continues = rest[:1] in ("+", "=", "&") or rest.startswith(("\\cdot", "\\times", "\\le", "\\ge"))
        if not self.brackets and not self.bars and self.last_kind() in OPERAND_END and not continues:
            self.emit("_SEP", "\n", start)

    def slash_denominator(self) -> None:
        """``\\|x\\|^2/2\\sigma^2`` (PRML 6.2), ``\\|Xw - y\\|^2/2n``: a number written against a name after
        a slash is one denominator, a/(2σ²), as typeset mathematics reads it; the text is rewritten with
        braces (``/{2\\sigma^2}``) and read on. ``1/2 x`` (a space) and ``1/2\\|w\\|^2`` are left alone."""
        match = SLASH_DENOMINATOR_RE.match(self.text, self.pos)
        if match and (match.group(1) or match.group(2) in GREEK):
            self.rewrite(match.end(), match.end(), "}")
            self.rewrite(match.start(), match.start(), "{")

    def row_or_column_subscript(self) -> None:
        """``B_{j\\cdot}``, ``B_{j,:}`` (statistics' row j of B) are ``B_{j}``, which symgd reads as row j when a
        sum binds j, inside a norm or transposed; elsewhere (``X_{i\\cdot} w``: X_i alone may read as a number)
        and for a column ``B_{\\cdot j}`` the subscript is refused where it stands."""
        if match := ROW_SUBSCRIPT_RE.match(self.text, self.pos):
            if not ROW_USE_RE.match(self.text, match.end()):
                raise self.error(f"the row _{match.group()} outside a norm or a transpose", match.start(),
                                 f"\\|B_{{{match.group(1)}\\cdot}}\\| or B_{{{match.group(1)}\\cdot}}^\\top w")
            self.rewrite(match.start(), match.end(), "{" + match.group(1) + "}")
        elif match := COLUMN_SUBSCRIPT_RE.match(self.text, self.pos):
            raise self.error(f"the column _{match.group()} of a matrix: symgd reads B_j as row j", match.start(),
                             "the column's entries B_{ij}, or the rows of the transposed matrix")

    def punct(self, value: str, start: int) -> None:
        simple = {"+": "PLUS", "-": "MINUS", "*": "CDOT", "/": "SLASH", ",": "_COMMA", ";": "_SEP",
                  "=": "_EQ", "'": "PRIME", "_": "_UNDER", "<": "REL", ">": "REL"}
        if value == "/":
            self.slash_denominator()
        if value == "^":
            plus = PLUS_SCRIPT_RE.match(self.text, self.pos)
            if plus and not plus.group(1) and self.last_kind() == "_RPAR" and self.tokens[-1].value in ")]":
                self.pos = plus.end()   # [u]^+, (u)^+: the positive part, as [u]_+
                self.tokens[-1] = Token("_RPLUS", self.tokens[-1].value, start_pos=self.tokens[-1].start_pos,
                                        line=self.tokens[-1].line, column=self.tokens[-1].column)
                return
            if plus and plus.group(1):
                raise UnsupportedError("'+' as a superscript; write a power such as x^{2}")
            star = STAR_RE.match(self.text, self.pos)
            if star and self.last_kind() in OPERAND_END:   # w^*: the optimum, a name of its own (w_star)
                self.pos = star.end()
                self.emit("_CARET", value, start)
                self.emit("LABEL", "star", start)
                return
            minus = MINUS_SCRIPT_RE.match(self.text, self.pos)
            if minus and self.last_kind() in ("NAME", "LABEL", "_RBRACE"):   # \mathcal{Y}^- (the negatives): Y_minus
                self.pos = minus.end()
                self.emit("_CARET", value, start)
                self.emit("LABEL", "minus", start)
                return
            word = CAPITALS_LABEL_RE.match(self.text, self.pos)
            if word and self.last_kind() in OPERAND_END and self.tokens[-1].value != "e":   # y_k^{LS}, \theta^{MLE}
                self.pos = word.end()
                self.emit("_CARET", value, start)
                self.emit("LABEL", word.group(1), start)
                return
            if self.text.startswith("{(", self._skip_spaces(self.pos)):
                self.pos = self._skip_spaces(self.pos) + 2
                self.brackets.append(("{", start))
                self.brackets.append(("(", start))
                self.emit("_SAMPLE", "^{(", start)
                return
            self.emit("_CARET", value, start)
            self.single_next = True
        elif value == "_":
            if self.last_kind() == "_RNORM" and (nuclear := NUCLEAR_RE.match(self.text, start)):
                # \|X\|_*, \|X\|_{\ast}, \|X\|_{\mathrm{tr}}: the nuclear norm, subscript kind "nuc"
                self.emit("_UNDER", value, start)
                self.emit("NAME", "nuc", start + 1)
                self.pos = nuclear.end()
                return
            if self.last_kind() in ("_RNORM", "_RBAR") and (ell := ELL_NORM_RE.match(self.text, self.pos)):
                order = next(group for group in ell.groups() if group)
                self.rewrite(self.pos, ell.end(), "{2,1}" if order == "21" else "{" + order + "}")
            elif self.last_kind() in OPERAND_END and (star := STAR_RE.match(self.text, self.pos)):
                self.pos = star.end()   # \min_{x_*, y_*} (Hu, Koren & Volinsky): all the x_u, as q^* in Koren's
                self.emit("_UNDER", value, start)
                self.emit("LABEL", "star", start)
                return
            self.row_or_column_subscript()
            self.emit("_UNDER", value, start)
            self.single_next = True
        elif value == "[" and self.last_kind() == "NAME" and start and not self.text[start - 1].isspace() \
                and ENTRY_BRACKET_RE.match(self.text, self.pos):
            # y[k], x[k+1] (signal processing, Condat): entry k of y, as y_k
            self.brackets.append(("[entry", start))
            self.emit("_UNDER", "_", start)
            self.emit("_LBRACE", "{", start)
        elif value == "]" and self.brackets and self.brackets[-1][0] == "[entry":
            self.brackets.pop()
            self.emit("_RBRACE", "}", start)
        elif value == "[" and (upper := self.range_set_after_in(start)) is not None:
            # \sum_{i \in [n]}: [n] is the set {1, ..., n} (combinatorics' notation), read as that literal set
            self.rewrite(start, upper.end(), f"\\{{1,\\ldots,{upper.group(1)}\\}}")
            self.pos = start
        elif value in "([":
            self.open_bracket(value, "_LPAR", start)
        elif value in ")]":
            self.close_bracket(value, "_RPAR", start)
        elif value == "{" and not self.in_script() and self.text[self.pos:].lstrip().startswith("}"):
            self.pos = self.text.index("}", self.pos) + 1   # {}: an empty group typesets nothing (scikit-learn's MAPE)
        elif value == "{":
            self.open_bracket(value, "_LBRACE", start)
        elif value == "}":
            self.close_bracket(value, "_RBRACE", start)
        elif value == ";" and self.brackets and self.brackets[-1][0] == "(":
            self.emit("SEMI", value, start)   # Q(x; \\mu): the arguments after ; are fixed parameters
        elif value == ":" or (value == "|" and self.at_set_builder_bar()):
            self.such_that(value, start)
        elif value == "|":
            self.bar("_LBAR", "_RBAR", start)
        elif value == ".":
            if self.brackets or self.bars:
                raise self.error("unexpected '.'", start, "an expression")
            self.emit("_SEP", value, start)   # a sentence-ending full stop
        elif value in ("<", ">"):
            self.emit("REL", value, start)
        elif value == "!":
            self.factorial(start)
        else:
            self.emit(simple[value], value, start)

    def range_set_after_in(self, start: int):
        """The match of ``[n]`` (one name or number in brackets) right after ``\\sum_{i \\in``, else None: a
        bracket elsewhere (``\\alpha \\in [0, 1]``, ``[u]_+``) is no set of indices."""
        kinds = [token.type for token in self.tokens[-5:]]
        if kinds != ["BIGOP", "_UNDER", "_LBRACE", "NAME", "REL"] or self.tokens[-1].value != "in":
            return None
        return RANGE_SET_RE.match(self.text, start)

    def factorial(self, start: int) -> None:
        """``y_i!``, ``(n - k)!``: a factorial, written right after its operand (``\\ln y_i!`` in count-data
        likelihoods); a ``!`` anywhere else (``!=``) is not notation symgd reads."""
        if self.last_kind() not in OPERAND_END or self.text.startswith("=", self.pos):
            raise self.error("unexpected character '!'", start, "a factorial right after its operand (y!)")
        self.emit("FACTORIAL", "!", start)

    def at_set_builder_bar(self) -> bool:
        """``\\{t \\mid ...\\}``, ``\\{t | ...\\}``: a bar right after ``\\{`` and one name separates a set-builder's
        index from its condition (it opens no absolute value)."""
        return (bool(self.brackets) and self.brackets[-1][0] == r"\{" and len(self.tokens) >= 2
                and self.tokens[-1].type == "NAME" and self.tokens[-2].type == "_LPAR"
                and self.tokens[-2].value == r"\{")

    def such_that(self, value: str, start: int) -> None:
        """The colon of a set-builder ``\\{t : y_t \\ge x_t b\\}`` (Koenker & Bassett); a colon anywhere else is
        not notation symgd reads."""
        if not self.brackets or self.brackets[-1][0] != r"\{":
            raise self.error(f"unexpected character {value!r}", start,
                             "a letter, a number, an operator or a LaTeX command (a colon only in a set "
                             "\\{j : ...\\})")
        self.emit("SUCHTHAT", value, start)

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
        _, opened_at = self.brackets.pop()
        if self.bars and self.bars[-1][1] > len(self.brackets) and self.density(kind, opened_at, start):
            return
        if self.bars and self.bars[-1][1] > len(self.brackets):
            raise UnsupportedError("a bar inside brackets that closes nothing, as in a conditional p(y|x): "
                                   + DENSITY_REFUSAL)
        if token == "_RPAR" and kind in ")]" and POSITIVE_PART_RE.match(self.text, self.pos):
            self.pos = POSITIVE_PART_RE.match(self.text, self.pos).end()   # [u]_+, (u)_+: the positive part
            token = "_RPLUS"
        self.emit(token, kind, start)

    def density(self, kind: str, opened_at: int, start: int) -> bool:
        """``p(\\mathbf{t}|\\mathbf{w})``, ``q_\\phi(z|x)``: a conditional density, one DENSITY token from its
        name to the closing parenthesis (the problem stage reads it as the name of an objective on the left
        of ``=`` and refuses it anywhere else). False when the bracket is not a name's conditional."""
        if kind != ")" or self.bars[-1][0] not in ("_LBAR", "_LNORM") \
                or (len(self.bars) > 1 and self.bars[-2][1] > len(self.brackets)):
            return False
        opened = next((i for i in range(len(self.tokens) - 1, -1, -1)
                       if self.tokens[i].type == "_LPAR" and self.tokens[i].start_pos == opened_at), None)
        head = opened - 1 if opened else None
        divergence = self.divergence_head(opened)
        if divergence is not None:   # KL(P\|Q), D_{KL}(P\|Q) (van der Maaten & Hinton): a name, as p(y|x)
            head = divergence
        elif self.bars[-1][0] != "_LBAR":
            return False
        if head is not None and head >= 2 and self.tokens[head].type in ("NAME", "LABEL") \
                and self.tokens[head - 1].type == "_UNDER":
            head -= 2   # q_\\phi(z|x)
        if head is None or head < 0 or self.tokens[head].type != "NAME" and divergence is None:
            return False
        first = self.tokens[head].start_pos
        del self.tokens[head:]
        self.bars.pop()
        self.emit("DENSITY", self.text[first:start + 1], first)
        return True

    def divergence_head(self, opened: int | None) -> int | None:
        """The position of the first token of ``KL`` or ``D_{KL}`` right before the parenthesis at ``opened``."""
        found = None
        for head in range(opened - 1, max(opened - 7, -1), -1) if opened else ():
            if self.tokens[head].type not in ("NAME", "FUNC", "LABEL", "_UNDER", "_LBRACE", "_RBRACE"):
                break
            spelled = "".join(str(t) for t in self.tokens[head:opened] if t.type in ("NAME", "FUNC", "LABEL"))
            if spelled in ("KL", "DKL") and self.tokens[head].type in ("NAME", "FUNC"):
                found = head   # the longest spelling: D_{KL}, not its KL
        return found

    def bar(self, opening: str, closing: str, start: int, side: str = "") -> None:
        """Classify a bar: it closes when an operand just ended and a bar of its kind is open."""
        is_close = side == "right" or (
            side != "left" and self.bars and self.bars[-1][0] == opening
            and self.last_kind() in OPERAND_END)
        if is_close:
            if not self.bars or self.bars[-1][0] != opening:
                raise self.error("closing bar without an opening one", start, "an expression")
            self.bars.pop()
            self.emit(closing, "|", start)
        else:
            if len(self.bars) >= 200:
                raise self.error("bars nested deeper than 200", start)
            self.bars.append((opening, len(self.brackets)))
            self.emit(opening, "|", start)

    def command(self, name: str, start: int) -> None:
        if name in ("min", "max", "argmin", "argmax"):
            self.drop_tuple_membership()
        if name in SPACING:
            if name in SEPARATING_SPACES and self.last_kind() not in ("OPTWORD", "ST"):   # \text{minimize}\quad f
                self.emit("_SEP", name, start)
            else:
                self.single_next = False
            return
        if name in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr"):
            self.sized_delimiter(name, start)
            return
        if name in IGNORED_COMMANDS:
            return
        last = [t.type for t in self.tokens[-3:]]
        if name == "Pr":
            self.probability(start)
            return
        if name == "infty" and (last[-1:] == ["_EQ"] or last[-2:] == ["_EQ", "MINUS"]):
            self.emit("NAME", INFINITY, start)   # \alpha_0 = -\infty: a boundary entry (the problem stage reads it)
            return
        if name == "infty" and last[-2:] in (["_RNORM", "_UNDER"], ["_UNDER", "_LBRACE"]) and "_RNORM" in last:
            self.emit("NAME", "inf", start)   # \|v\|_\infty: the max-norm, subscript kind "inf"
            return
        if name in OUT_OF_SCOPE:
            raise UnsupportedError(OUT_OF_SCOPE[name])
        if name in GREEK:
            self.emit("NAME", name, start)
        elif name in LETTER_COMMANDS:
            self.emit("NAME", LETTER_COMMANDS[name], start)
        elif name in ACCENTS:
            self.accent(name, start)
        elif name in ("begin", "end"):
            self.environment(name, start)
        elif name == "not" and self.text.startswith("=", self.pos):   # \not= is \ne
            self.pos += 1
            self.emit("REL", "!=", start)
        elif name in ("ne", "neq"):
            self.emit("REL", "!=", start)
        elif name == "forall":   # a constraint's range clause: see split_range_clauses
            self.emit("FORALL", name, start)
        elif name == "langle":
            self.open_bracket("langle", "_LANGLE", start)
        elif name == "rangle":
            self.close_bracket("rangle", "_RANGLE", start)
        elif "\\" + name in LATEX_COMMANDS and self.in_script() and self.script_ends_here():
            self.emit("LABEL", name, start)   # x_{\\max} (GloVe), \\lambda_{\\min}: part of the name
        elif "\\" + name in LATEX_COMMANDS:
            self.emit("FUNC", LATEX_COMMANDS["\\" + name], start)
        elif name in REL_COMMANDS:
            self.emit("REL", REL_COMMANDS[name], start)
        elif name == "cup":   # \sum_{(u,i)\in\mathcal{Y}\cup\mathcal{Y}^-}: the union of two sets of pairs
            self.emit("CUP", name, start)
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
        elif name == "underset":
            self.underset(start)
        elif name in ("overset", "stackrel"):
            self.definition_sign(name, start)
        elif name == "mathop":
            self.mathop(start)
        elif name in FONT_COMMANDS:
            self.font(name, start)
        elif name in WORD_COMMANDS:
            self.word(name, start)
        elif name == "rm":
            self.roman(start)
        elif name == "bf":
            self.old_bold(start)
        elif name == "mathbb":
            self.blackboard(start)
        elif name in ("{", "lbrace", "lbrack"):
            self.open_bracket(r"\{" if name in ("{", "lbrace") else "[", "_LPAR", start)
        elif name in ("}", "rbrace", "rbrack"):
            self.close_bracket(r"\}" if name in ("}", "rbrace") else "]", "_RPAR", start)
        elif name in ("|", "Vert", "lVert", "rVert"):
            side = {"lVert": "left", "rVert": "right"}.get(name, "")
            self.bar("_LNORM", "_RNORM", start, side)
        elif name == "mid" and self.at_set_builder_bar():
            self.such_that("\\mid", start)
        elif name in ("vert", "lvert", "rvert", "mid"):
            side = {"lvert": "left", "rvert": "right"}.get(name, "")
            self.bar("_LBAR", "_RBAR", start, side)
        elif name == "prime":
            self.emit("PRIME", "'", start)
        elif name in ("cdots", "ldots", "dots", "dotsb", "dotsc"):
            self.emit("DOTS", name, start)
        else:
            raise self.error(f"unknown LaTeX command \\{name}", start,
                             "a known command such as \\frac, \\log, \\sum or a Greek letter")

    def accent(self, name: str, start: int) -> None:
        """``\\hat y``, ``\\bar{x}``, ``\\widetilde{R}``, ``\\hat{\\theta}``: the accented letter is a name of its
        own, spelled as SymPy spells it (``yhat``, ``thetahat``), so it prints back with its accent."""
        content, self.pos = self.read_braced(self.pos, "\\" + name, start)
        letter = _plain_name(content)
        if letter is None and (scripted := ACCENT_SUBSCRIPT_RE.fullmatch(content)) \
                and (letter := _plain_name(scripted.group(1))) is not None:
            # \hat{Y_i} (Wikipedia's MSE): the accent is on the name, the subscript follows it, read next
            self.rewrite(self.pos, self.pos, scripted.group(2))
        if letter is None:
            raise self.error(f"\\{name}{{{content}}}: an accent over something other than one name", start,
                             "an accent over a letter, e.g. \\hat{y}")
        self.emit("NAME", letter + ACCENTS[name], start)

    def environment(self, name: str, start: int) -> None:
        """``\\begin{cases}`` opens a piecewise definition; layout environments (array, aligned) vanish."""
        content, self.pos = self.read_braced(self.pos, "\\" + name, start)
        kind = content.strip()
        if kind == "array" and name == "begin" and self.tokens and self.tokens[-1].type == "_LPAR" \
                and self.tokens[-1].value == r"\{":
            # \left\{\begin{array}{ll} u^2 & |u| \le M \\ ... \end{array}\right. (B&V): the cases of a
            # piecewise definition, as \begin{cases}
            self.tokens.pop()
            self.brackets.pop()
            match = BRACED_WORD_RE.match(self.text, self.pos)
            self.pos = match.end() if match else self.pos   # the column spec {ll}
            self.open_bracket("cases", "_BEGIN_CASES", start)
            return
        if kind == "array" and name == "end" and self.in_cases():
            self.close_bracket("cases", "_END_CASES", start)
            return
        if kind == "cases":
            if name == "begin":
                self.open_bracket("cases", "_BEGIN_CASES", start)
            else:
                self.close_bracket("cases", "_END_CASES", start)
        elif kind in LAYOUT_ENVIRONMENTS:
            if name == "begin" and kind.startswith(("array", "alignat")):   # the column spec {ll}
                self.pos = BRACED_WORD_RE.match(self.text, self.pos).end() \
                    if BRACED_WORD_RE.match(self.text, self.pos) else self.pos
            self.emit("_SEP", name, start)
        else:
            raise UnsupportedError(f"the environment {kind}: symgd reads cases, array and aligned")

    def blackboard(self, start: int) -> None:
        """``\\mathbb{R}`` (a space), ``\\mathbb{1}(u < 0)`` (an indicator), ``\\mathbb{E}`` (out of scope)."""
        content, self.pos = self.read_braced(self.pos, "\\mathbb", start)
        letter = content.strip()
        if letter in ("R", "N", "Z", "S"):   # \mathbb{S}^n: the symmetric n x n matrices
            self.emit("REALS", letter, start)
        elif letter == "1" or (letter == "I" and INDICATOR_ARGUMENT_RE.match(self.text, self.pos)):
            self.emit("INDICATOR", letter, start)
        elif letter == "H" and re.match(r"\s*[_(]", self.text[self.pos:]):
            self.emit("NAME", "H", start)   # Murphy's \mathbb{H}_{ce}(p, q), \mathbb{H}(p): a function to define
        elif letter in BLACKBOARD_OUT_OF_SCOPE:
            raise UnsupportedError(BLACKBOARD_OUT_OF_SCOPE[letter])
        else:
            raise UnsupportedError(f"the set \\mathbb{{{content}}}: symgd knows R, N, Z and S")

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
        if rest.startswith("."):   # the invisible delimiter of \left. ... \right|
            self.pos = offset + 1
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
        self.drop_tuple_membership()

    def drop_tuple_membership(self) -> None:
        """``\\min_{(\\beta_0,\\beta)\\in\\mathbb{R}\\times\\mathbb{R}^p}`` (Hastie, Tibshirani & Wainwright; Bottou,
        Curtis & Nocedal) is ``\\min_{(\\beta_0,\\beta)}``: the tuple's set only restates the shapes that the formula
        gives, so the text after the tuple is dropped (a single name's ``\\in\\mathbb{R}^n`` is read as before)."""
        match = HEADER_TUPLE_IN_RE.match(self.text, self.pos)
        if not match:
            return
        depth, end = 1, match.end()
        while end < len(self.text) and depth:
            depth += {"{": 1, "}": -1}.get(self.text[end], 0) if self.text[end - 1] != "\\" else 0
            end += 1
        if depth == 0:
            self.rewrite(match.start(1), end - 1, match.group(1))

    def mathop(self, start: int) -> None:
        """``\\mathop{\\mathrm{argmin}}_w``, ``\\mathop{\\rm arg\\,min}_w`` (older papers' way to typeset an operator):
        an arg min or arg max whatever fonts and spaces spell it; any other content is read on in place."""
        content, end = self.read_braced(self.pos, "\\mathop", start)
        word = MATHOP_NOISE_RE.sub("", content).lower()
        if word in ("argmin", "argmax"):
            self.pos = end
            self.emit("ARGOPT", word[3:], start)
        else:
            self.rewrite(start, end, content)
            self.pos = start

    def underset(self, start: int) -> None:
        """``\\underset{\\beta}{\\arg\\min}`` (ESL, Goodfellow et al.) is ``\\arg\\min_{\\beta}``: the text is
        rewritten so and read on; \\underset over anything but \\min, \\max or \\arg\\min is refused."""
        below, after_below = self.read_braced(self.pos, "\\underset", start)
        operator, end = self.read_braced(after_below, "\\underset", start)
        match = OPTIMIZE_WORD_RE.fullmatch(operator)
        word = (match.group(1) or match.group(2)).lower() if match else ""
        if word in OPTIMIZE_WORDS:   # HTW's \underset{\beta}{\text{minimize}} is \min_{\beta}
            self.rewrite(start, end, "\\" + OPTIMIZE_WORDS[word] + "_{" + below + "}")
            self.pos = start
            return
        kinds = [token.type for token in _Tokenizer(operator).run()]
        plain = re.fullmatch(r"\s*\\(min|max)\s*", operator)
        if kinds not in (["ARGOPT"], ["FUNC"]) or (kinds == ["FUNC"] and not plain):
            raise UnsupportedError(f"\\underset{{{below}}}{{{operator}}}: symgd reads \\underset only under "
                                   "\\arg\\min, \\min or \\max")
        self.rewrite(start, end, operator + "_{" + below + "}")
        self.pos = start

    def definition_sign(self, name: str, start: int) -> None:
        """``\\overset{\\text{def}}{=}``, ``\\stackrel{\\Delta}{=}``: ``=`` with a mark over it defines, as ``:=``
        does; over anything else \\overset is refused with where it stands."""
        above, after_above = self.read_braced(self.pos, "\\" + name, start)
        below, end = self.read_braced(after_above, "\\" + name, start)
        if below.strip() != "=":
            raise self.error(f"\\{name}{{{above}}}{{{below}}}: symgd reads \\{name} only over =, a definition", start,
                             "\\overset{\\text{def}}{=} or \\stackrel{\\Delta}{=}")
        self.pos = end
        self.emit("REL", ":=", start)

    def font(self, name: str, start: int) -> None:
        content, self.pos = self.read_braced(self.pos, "\\" + name, start)
        self.font_word(name, content, start)

    def old_bold(self, start: int) -> None:
        """``{\\bf x}_i`` (the old font switch, as the PyTorch documentation writes): the font applies to what
        follows in its group, read as ``\\mathbf{x}``. Only one name may follow it there (scripts may follow the
        name): over several names, bold or not would change how each is read."""
        name = OLD_BOLD_NAME_RE.match(self.text, self.pos)
        if self.last_kind() != "_LBRACE" or self.tokens[-1].value != "{" or self.in_script() or name is None:
            raise self.error("\\bf is read only first in a group and before one name", start,
                             "{\\bf x} or \\mathbf{x}")
        self.pos = name.end()
        self.font_word("mathbf", name.group(1), start)

    def font_word(self, name: str, content: str, start: int) -> None:
        """The content of a font command (``\\mathbf{x}``, ``\\mathcal{L}``): a name, ones, a number or a function."""
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
        elif word in LATEX_WORDS and OPERATOR_ARGUMENT_RE.match(self.text, self.pos):
            self.emit("FUNC", LATEX_WORDS[word], start)   # B&V's bold \mathbf{tr}(SY) is the trace
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", word):
            self.emit("NAME", word, start)
        else:
            raise self.error(f"\\{name}{{{content}}} is not a name symgd can read", start,
                             "a letter or a Greek letter inside the braces")

    def in_script(self) -> bool:
        """Just after ``_``, ``^``, ``^{(`` or ``_{`` / ``^{``: what comes is a subscript or superscript."""
        kinds = [token.type for token in self.tokens[-2:]]
        return kinds[-1:] in (["_UNDER"], ["_CARET"], ["_SAMPLE"]) or kinds in (["_UNDER", "_LBRACE"],
                                                                                 ["_CARET", "_LBRACE"])

    def script_ends_here(self) -> bool:
        """The command just read is the whole script: ``x_\\max`` or ``x_{\\max}``."""
        rest = self.text[self.pos:].lstrip()
        return self.last_kind() != "_LBRACE" or rest.startswith("}")

    def roman(self, start: int) -> None:
        """``{\\rm cor}``: the old font switch before a word, as \\text{cor}."""
        match = re.compile(r"\s*([A-Za-z]+)").match(self.text, self.pos)
        if not match:
            raise self.error("\\rm needs a word", start, "a word such as {\\rm cor}")
        self.pos = match.end()
        self.text_word("text", match.group(1), start)

    def word(self, name: str, start: int) -> None:
        content, self.pos = self.read_braced(self.pos, "\\" + name, start)
        self.text_word(name, content, start)

    def text_word(self, name: str, content: str, start: int) -> None:
        """A word in \\text, \\mathrm, \\operatorname, ...: an optimization word, a connective, a function,
        a name, or (in a script) a label that is part of a name."""
        word = SPACE_IN_WORD_RE.sub(" ", content).strip()
        if (counted := NELEMENT_RE.fullmatch(word)) and (call := EMPTY_CALL_RE.match(self.text, self.pos)):
            # \frac{...}{\text{x.nelement}()} (PyTorch's SoftMarginLoss): the number of entries of x; any other
            # method call (a dot in a word) stays an error
            self.pos = call.end()
            for kind, value in (("FUNC", "numel"), ("_LPAR", "("), ("NAME", counted.group(1)), ("_RPAR", ")")):
                self.emit(kind, value, start)
            return
        if word.endswith("!") and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", word[:-1]):
            # \log(\text{target!}) (PyTorch's PoissonNLLLoss): the factorial of the word, as y_i! is
            self.text_word(name, word[:-1], start)
            self.factorial(start)
            return
        compact = word.replace(" ", "")
        if (name.startswith("text") or name == "mbox") and self.in_script() \
                and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", compact):
            self.emit("LABEL", compact, start)
        elif compact.lower() in OPTIMIZE_WORDS:   # \text{minimize}, \operatorname*{maximize}
            self.emit("OPTWORD", OPTIMIZE_WORDS[compact.lower()], start)
        elif (name.startswith("text") or name == "mbox") and self.in_cases() and _case_word(word) in CASE_WORDS:
            if CASE_WORDS[_case_word(word)]:
                self.emit(CASE_WORDS[_case_word(word)], word, start)
        elif (name.startswith("text") or name == "mbox") and word.lower() in STRUCTURE_WORDS \
                and self.last_kind() == "NAME":
            self.emit("STRUCTURE", STRUCTURE_WORDS[word.lower()], start)
        elif (name.startswith("text") or name == "mbox") and self.names_objective(compact):
            # \text{BPR-Opt} = ... (Rendle et al.): the objective's name in words
            self.emit("NAME", compact.replace("-", ""), start)
        elif word.rstrip(".") in CONSTANT_WORDS and self.last_kind() in ("PLUS", "MINUS", "_EQ"):
            # + \text{const.} (the PyTorch documentation): an additive constant, the name const (its full
            # stop ends the sentence)
            self.emit("NAME", "const", start)
        elif name.startswith("text") or name == "mbox":
            kind = CONNECTIVES.get(word.lower()) or CONNECTIVES.get(compact.lower())
            if kind is None and self.names_operand(word):
                # \text{margin}, \text{var}, \text{max}(a, b) (the PyTorch documentation): a word where an
                # operand must come is a name (or a known function), as \mathrm{word} is
                function = LATEX_WORDS.get(word) or LATEX_COMMANDS.get("\\" + word)
                if OPERATOR_ARGUMENT_RE.match(self.text, self.pos) and (function or len(word) > 1):
                    # \text{sigm}(u) (Murphy): a function, unknown ones named by the shape stage; as a
                    # name it would silently multiply its argument
                    self.emit("FUNC", function or word, start)
                else:
                    self.emit("NAME", word, start)
                return
            if kind is None and compact.lower() in ("argmin", "argmax"):   # \text{argmin}_w
                kind, word = "ARGOPT", compact.lower()[3:]
            if kind is None:
                raise self.error(f"the text {word!r} is not a connective symgd understands", start,
                                 "\\text{s.t.}, \\text{subject to} or \\text{where}")
            self.emit(kind, word, start)
        elif compact.lower() in ("argmin", "argmax"):
            self.emit("ARGOPT", compact.lower()[3:], start)
        elif compact == "Pr":   # \operatorname{Pr}(Y|P) (the scikit-learn User Guide), \mathrm{Pr}
            self.probability(start)
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


    def probability(self, start: int) -> None:
        """``\\Pr(Y|P)``, ``\\operatorname{Pr}(y \\mid x)``: the probability of a conditional becomes one DENSITY
        token, as ``p(y|x)`` does (a chain's earlier member names the value its last member writes out; the
        problem stage refuses it anywhere else); any other ``\\Pr`` is refused here, naming the construct."""
        if not CONDITIONAL_RE.match(self.text, self.pos):
            raise UnsupportedError(OUT_OF_SCOPE["Pr"])
        self.emit("NAME", "Pr", start)

    def names_objective(self, compact: str) -> bool:
        """A word such as BPR-Opt first in the source (or after a separator) and followed by ``=``."""
        first = not self.tokens or self.last_kind() == "_SEP"
        return (first and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*", compact) is not None
                and self.text[self.after_arguments(self.pos):].lstrip().startswith("=")
                and compact.lower() not in CONNECTIVES)

    def names_operand(self, word: str) -> bool:
        """One word, not a connective, right after an operator, an opening bracket, a comma or ``=``: only an
        operand can stand there, so the word is a name, not prose (prose follows an operand: ``x \\text{ if } ...``)."""
        return (re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", word) is not None and word.lower() not in CASE_WORDS
                and self.last_kind() in OPERAND_START)

    def after_arguments(self, pos: int) -> int:
        """The position after a parenthesised argument list at ``pos`` (``\\text{MAPE}(y, \\hat{y}) =``, the
        scikit-learn and PyTorch documentation's heads), else ``pos`` itself."""
        match = OPERATOR_ARGUMENT_RE.match(self.text, pos)
        if match is None:
            return pos
        depth = 0
        for position in range(match.end() - 1, len(self.text)):
            depth += {"(": 1, ")": -1}.get(self.text[position], 0)
            if depth == 0:
                return position + 1
        return pos

    def is_operator_word(self, command: str) -> bool:
        """``\\operatorname{word}`` always names an operator; ``\\mathrm{word}`` when an argument
        in parentheses follows (``\\mathrm{sim}(u, v)``; ``\\mathrm{lr}\\,g`` stays a name)."""
        if command.startswith("operatorname"):
            return True
        return OPERATOR_ARGUMENT_RE.match(self.text, self.pos) is not None


def numbered_head_arguments(text: str) -> frozenset[str]:
    """The arguments of definition heads in ``text`` written as letters then digits (``x1`` in
    ``\\text{loss}(x1, x2, y) = ...``): each is one name wherever the source writes it."""
    return frozenset(argument.strip() for match in HEAD_ARGUMENTS_RE.finditer(text)
                     for argument in match.group(1).split(",")
                     if NUMBERED_NAME_RE.fullmatch(argument.strip()))


def _case_word(word: str) -> str:
    """A condition word of a cases piece, without the sentence's punctuation (``\\text{otherwise.}``, Lin et al.)."""
    return word.lower().rstrip(".,;:").strip()


def _plain_name(content: str) -> str | None:
    """The name inside an accent: ``y``, ``\\theta``, ``\\mathbf{x}``, ``R``; None for anything else."""
    match = re.fullmatch(r"\s*(?:\\(?:mathbf|boldsymbol|bm|mathit|mathrm)\s*\{?\s*)?(\\?[A-Za-z]+)\s*\}?\s*", content)
    if not match:
        return None
    word = match.group(1)
    if word.startswith("\\"):
        return word[1:] if word[1:] in GREEK else LETTER_COMMANDS.get(word[1:])
    return word if len(word) == 1 else None


def _closer(kind: str) -> str:
    return {"(": ")", "[": "]", "[entry": "]", r"\{": r"\}", "{": "}", "langle": r"\rangle",
            "cases": r"\end{cases}"}.get(kind, kind)


def tokenize(text: str) -> Iterator[Token]:
    """Split LaTeX source into the grammar's tokens.

    Raises:
        ParseError: an unknown command, an unmatched bracket, or a character that is not LaTeX math.
        UnsupportedError: a recognised construct symgd does not handle (``\\infty``, n-th roots).
    """
    tokens = _Tokenizer(text).run()
    _powers_after_calls(tokens)
    return iter(tokens)


def split_range_clauses(tokens: list) -> tuple[list, dict[str, Token | None]]:
    """``a_i^\\top x \\le b_i,\\ i = 1,\\dots,m`` and ``\\forall i`` (Boyd & Vandenberghe, Nocedal & Wright): a
    clause after a constraint saying which values its index takes. The clause's tokens (and the separators
    before it) are taken out; the result maps each such index to the token of its last value (``m``), or
    None for a bare ``\\forall i``, so that the constraint is read for every value of the index."""
    kept: list = []
    ranges: dict[str, Token | None] = {}
    at = 0
    while at < len(tokens):
        clause = _range_clause(tokens, at)
        if clause is None:
            if tokens[at].type == "FORALL":
                raise UnsupportedError(f"line {tokens[at].line}, column {tokens[at].column}: \\forall must be "
                                       "followed by an index letter (\\forall i) after a constraint")
            kept.append(tokens[at])
            at += 1
            continue
        index, upper, at = clause
        while kept and kept[-1].type in ("_COMMA", "_SEP"):
            kept.pop()
        ranges[index] = upper
    return kept, ranges


def _range_clause(tokens: list, at: int):
    """(index, last value token or None, end) for ``i = 1, \\dots, m``, ``i \\in [m]`` or ``\\forall i [= 1,
    \\dots, m]`` (or ``\\forall i \\in [m]``) starting at ``at`` after a separator; None when there is none."""
    def types(start, count):
        return [t.type for t in tokens[start:start + count]]

    forall = tokens[at].type == "FORALL"
    start = at + 1 if forall else at
    if not forall and (at == 0 or tokens[at - 1].type not in ("_COMMA", "_SEP")):
        return None
    if types(start, 1) != ["NAME"] or len(tokens[start].value) != 1:
        return None
    index = tokens[start].value
    if types(start + 1, 6)[:5] == ["_EQ", "NUMBER", "_COMMA", "DOTS", "_COMMA"] \
            and types(start + 6, 1)[:1] in (["NAME"], ["NUMBER"]) and tokens[start + 2].value == "1":
        end = start + 7
        if end < len(tokens) and tokens[end].type not in ("_COMMA", "_SEP"):
            return None
        return index, tokens[start + 6], end
    if types(start + 1, 4) in (["REL", "_LPAR", "NAME", "_RPAR"], ["REL", "_LPAR", "NUMBER", "_RPAR"]) \
            and tokens[start + 1].value == "in" and tokens[start + 2].value == "[":   # i \in [m]: 1, ..., m
        end = start + 5
        if end < len(tokens) and tokens[end].type not in ("_COMMA", "_SEP"):
            return None
        return index, tokens[start + 3], end
    if forall and (start + 1 == len(tokens) or tokens[start + 1].type in ("_COMMA", "_SEP")):
        return index, None, start + 1
    return None


def _script_end(tokens: list, at: int, kind: str) -> int | None:
    """Where a script that starts with ``kind`` at ``at`` (``_j``, ``^{2}``) ends, or None if none starts there."""
    if at + 1 >= len(tokens) or tokens[at].type != kind:
        return None
    if tokens[at + 1].type in ("NAME", "NUMBER"):
        return at + 2
    if tokens[at + 1].type != "_LBRACE":
        return None
    depth = 0
    for end in range(at + 1, len(tokens)):
        depth += {"_LBRACE": 1, "_RBRACE": -1}.get(tokens[end].type, 0)
        if depth == 0:
            return end + 1
    return None


def _powers_after_calls(tokens: list) -> None:
    """``r_j^2(x)`` (Nocedal & Wright's residuals r_j of x, squared) is the call squared, ``r_j(x)^2``: a
    subscripted name, a power and a lone name in parentheses are moved into that order, so that the grammar
    reads a call. Whether it is one is decided later, as for ``r_j(x)``: a function of the parameter x that
    the user supplies, a defined function, or else an error that offers the product's spelling (``r_j^2 x``).
    A bracket that is no lone name (``\\sigma_k^2(1-\\rho)``) stays a product."""
    for at, token in enumerate(tokens):
        if token.type != "NAME":
            continue
        power = _script_end(tokens, at + 1, "_UNDER")
        after = power and _script_end(tokens, power, "_CARET")
        if not after or [t.type for t in tokens[after:after + 3]] != ["_LPAR", "NAME", "_RPAR"]:
            continue
        tokens[power:after + 3] = tokens[after:after + 3] + tokens[power:after]


def bold_subscripted_names(source: str) -> frozenset[str]:
    """The names the source writes in a bold font with a subscript (``\\mathbf{x}_n``: one vector per n)."""
    return frozenset(match.group(1) or match.group(2) or match.group(3) for match in BOLD_RE.finditer(source)
                     if source[match.end():].lstrip().startswith("_"))


def bold_names(source: str) -> frozenset[str]:
    """The names the source writes in a bold font (``\\mathbf{x}``, ``\\boldsymbol{\\mu}``, ``\\vec{X}``)."""
    return frozenset(match.group(1) or match.group(2) or match.group(3) for match in BOLD_RE.finditer(source))
