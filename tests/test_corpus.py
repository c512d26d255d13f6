"""The cited corpus (tests/corpus): every formula as its source writes it, against a hand-written NumPy reference.

Per entry: symgd parses the formula, its objective must equal the reference at random points, and
every gradient block must equal central differences of the reference (dimensions distinct, values
by name; see corpus.harness). ``known_misreading`` / ``known_refusal`` entries are strict xfails, so a
fix flips them; ``unsupported`` entries must raise an UnsupportedError naming the construct.
"""

import re

import pytest

import symgd
from corpus import ENTRIES
from corpus.entry import MISREADING, REFUSAL, STATUSES, SUPPORTED, UNSUPPORTED
from corpus.harness import canonical, check_entry, name_of, parse, source_parameters
from symgd.errors import AmbiguityError, SymgdError, UnsupportedError


def _marks(item):
    if item.status == MISREADING:
        return [pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"misreading: {item.gap}")]
    if item.status == REFUSAL:
        return [pytest.mark.xfail(strict=True, raises=SymgdError, reason=f"refusal: {item.gap}")]
    if item.status == UNSUPPORTED and item.gap:
        return [pytest.mark.xfail(strict=True, reason=f"today: {item.gap}")]
    return []


@pytest.mark.parametrize("item", [pytest.param(e, id=e.id, marks=_marks(e))
                                  for e in ENTRIES if e.status != UNSUPPORTED])
def test_entry_matches_the_sources_meaning(item):
    check_entry(item)


@pytest.mark.parametrize("item", [pytest.param(e, id=e.id, marks=_marks(e))
                                  for e in ENTRIES if e.status == UNSUPPORTED])
def test_out_of_scope_entry_names_its_construct(item):
    with pytest.raises((UnsupportedError, AmbiguityError)) as info:   # out of scope, or genuinely ambiguous
        symgd.gradient(parse(item))
    assert re.search(item.construct, str(info.value)), f"the error does not name {item.construct!r}: {info.value}"


def test_corpus_size_and_sources():
    assert len(ENTRIES) >= 150
    assert all(e.status in STATUSES for e in ENTRIES)
    papers = [e for e in ENTRIES if e.id.startswith("paper_")]
    assert len({e.source.split(")")[0] for e in papers}) >= 30, "at least 30 distinct papers (authors and year)"


def test_every_entry_has_a_reference_or_a_construct():
    for e in ENTRIES:
        assert e.source and e.latex
        assert e.reference is not None or e.status == UNSUPPORTED, e.id
        keys = {canonical(name) for name in e.shapes}
        assert e.reference is None or all(canonical(p) in keys for p in source_parameters(e)), \
            f"{e.id}: every parameter has a shape"


HEADER = re.compile(r"\\(?:min|max|arg\\?min|operatorname\*?\{arg\\?,?min\})_(\{(?:[^{}]|\{[^{}]*\})*\}|\\?[A-Za-z]+)"
                    r"|\\underset\{((?:[^{}]|\{[^{}]*\})*)\}")


FAMILY = re.compile(r"(\\?[A-Za-z]+)_\{?(\w)\}?(?=\s*\\in\s*\\mathbb\{R\}\^\{?\s*\w+_\{?\2\}?)")


def header_variables(latex: str) -> list[str] | None:
    """The variables a source names under \\min, \\max, \\arg\\min or \\underset (None when it names none)."""
    match = HEADER.search(latex)
    if not match:
        return None
    text = match.group(1) or match.group(2)
    text = text[1:-1] if text.startswith("{") and match.group(1) else text
    text = re.sub(r"\\[,;:!]", " ", text)   # \, between the variables is spacing, not a separator
    text = FAMILY.sub(r"\1", text)   # \theta_j \in \mathbb{R}^{p_j} (HTW's groups): the family theta
    names = [re.split(r"\\in\b|\\succ", part)[0].strip() for part in re.split(r",(?![^{]*\})", text)]
    names = [re.sub(r"_\w$|_\{\w\}$", "", name[2:-2]) if name.startswith(r"\{") else name for name in names]
    names = [re.sub(r"\^\*|[()]", "", name).strip() for name in names]   # \{\lambda_i\}: the family lambda
    names = [re.sub(r"^\\\|(.+?)\\\|(?:_\w)?\s*\\le.*$", r"\1", name) for name in names]   # \|v\|_2 \le 1: v
    return [name for name in names if name] or None


# entry id -> what symgd does with the variables under the source's \min / \argmin today (strict xfails)
KNOWN_HEADER_READINGS = {
    "cs229_svm_primal": "\\min_{\\gamma,w,b}: AmbiguityError, gamma does not appear in the objective",
}


def _header_cases():
    for item in ENTRIES:
        names = header_variables(item.latex) if item.status != UNSUPPORTED else None
        if names:
            reason = KNOWN_HEADER_READINGS.get(item.id)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(item, names, id=item.id, marks=marks)


@pytest.mark.parametrize("item, names", list(_header_cases()))
def test_the_sources_header_names_the_parameters(item, names):
    """Parsed without wrt=, the variables under the source's \\min / \\argmin are the parameters (or a SymgdError)."""
    try:
        problem = symgd.parse(item.latex, where=item.where)
    except SymgdError as error:
        if item.id in KNOWN_HEADER_READINGS or item.status == SUPPORTED:
            raise
        pytest.skip(f"the entry is a known failure ({type(error).__name__}); its own test covers it")
    expected = sorted(canonical(n) for n in source_parameters(item, [n.lstrip("\\") for n in names]))
    assert sorted(canonical(name_of(p)) for p in problem.params) == expected
