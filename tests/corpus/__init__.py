"""A cited corpus of losses as the literature writes them, each with a hand-written NumPy reference.

Every entry copies a formula in the notation of a named source (textbook section or paper) and says
what the source means by it in NumPy (:mod:`corpus.entry`). The formulas were transcribed from the
sources' notation; an equation number is cited only where it is known, otherwise the section.
``tests/test_corpus.py`` checks symgd against the references; the status of each entry records what
symgd does with it today (supported, a known misreading, a known refusal, or out of scope).

Known failures are strict xfails: when a fix makes one pass, its test fails with XPASS(strict) and
the entry's status becomes ``supported`` (drop its ``gap``). A refusal that turns into a wrong answer
fails outright (the xfail expects a SymgdError), which is the point: it is a new silent misreading.
"""

from corpus import books_esl, books_prml, books_pml, books_dl, books_bv, books_nw, books_cookbook, books_cs229, papers, papers2
from corpus import papers3
from corpus.entry import Entry

ENTRIES: list[Entry] = [
    *books_esl.ENTRIES, *books_prml.ENTRIES, *books_pml.ENTRIES, *books_dl.ENTRIES, *books_bv.ENTRIES,
    *books_nw.ENTRIES, *books_cookbook.ENTRIES, *books_cs229.ENTRIES, *papers.ENTRIES, *papers2.ENTRIES,
    *papers3.ENTRIES,
]

assert len({e.id for e in ENTRIES}) == len(ENTRIES), "corpus ids are unique"
