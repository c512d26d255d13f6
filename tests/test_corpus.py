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
from corpus.entry import MISREADING, REFUSAL, STATUSES, UNSUPPORTED
from corpus.harness import canonical, check_entry, parse
from symgd.errors import SymgdError, UnsupportedError


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
    with pytest.raises(UnsupportedError) as info:
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
        assert e.reference is None or all(canonical(p) in keys for p in e.params), f"{e.id}: every parameter has a shape"
