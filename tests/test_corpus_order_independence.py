"""Order independence (issue 9, first requirement), over the cited corpus.

Permuting the operands of + and \\cdot, writing a - b as -(b - a), reordering terms and reordering
declarations must never change what symgd makes of a formula: the same outcome (the same error, or
the same shapes and roles and a gradient that agrees with the source's NumPy reference). Variants
are the entries' hand-written spellings plus simple LaTeX-level transformations (corpus.variants).
Variants that change the outcome today are strict xfails, so a fix flips them.
"""

import pytest

from corpus import ENTRIES
from corpus.entry import UNSUPPORTED
from corpus.harness import check_entry, shape_signature
from corpus.variants import declarations, negated_difference, reversed_terms, reversed_where
from symgd.errors import SymgdError

# (entry id, variant label) -> what changes today; each is a strict xfail.
_Y_MINUS_XW = "y - Xw is a ShapeError (y read as a scalar) while Xw - y is read correctly"
_XW_MINUS_Y = "Xw - y is read correctly, while y - Xw / -y + Xw / -(y - Xw) is a ShapeError (y read as a scalar)"
_LOG_DET_FIRST = ("-1/2 log|K| before the quadratic form is a ShapeError (|K| read as entrywise abs of a matrix); "
                  "with the terms reversed it parses (and \\pi becomes a constant symbol to be supplied)")
KNOWN_ORDER_DEPENDENCE: dict[tuple[str, str], str] = {
    ("esl_rss_matrix", "hand0"): _Y_MINUS_XW,
    ("esl_rss_matrix", "hand1"): _Y_MINUS_XW,
    ("esl_rss_matrix", "hand2"): _Y_MINUS_XW,
    ("pml_rss_matrix", "hand0"): _XW_MINUS_Y,
    ("pml_rss_matrix", "hand1"): _XW_MINUS_Y,
    ("pml_rss_matrix", "hand2"): _XW_MINUS_Y,
    ("dl_linear_least_squares", "hand0"): _XW_MINUS_Y,
    ("dl_linear_least_squares", "hand1"): _XW_MINUS_Y,
    ("mc_ls_normal", "hand0"): "(Ax - b)^T(Ax - b) works; (b - Ax)^T(b - Ax) is a ShapeError (b read as a scalar)",
    ("pml_logreg_nll", "reversed_where"): ("with mu_n = sigma(a_n) declared first the x_n of a_n is misread as one vector; "
                                           "with a_n first symgd loses w (AmbiguityError)"),
    ("paper_gp_marginal_noise", "reversed_terms"): _LOG_DET_FIRST,
    ("paper_gp_marginal_Ky_rhs", "reversed_terms"): _LOG_DET_FIRST,
}


def outcome(item, latex=None, where=None):
    """What symgd makes of a spelling: ("ok", shapes and roles), ("wrong",) or ("error", the error's class)."""
    try:
        problem = check_entry(item, latex, where, seeds=(0,))
    except AssertionError:
        return ("wrong",)
    except SymgdError as error:
        return ("error", type(error).__name__)
    return ("ok", shape_signature(problem))


def _cases():
    for item in ENTRIES:
        if item.status == UNSUPPORTED:
            continue
        spellings = [(f"hand{i}", latex, None) for i, latex in enumerate(item.variants)]
        for label, transform in (("reversed_terms", reversed_terms), ("negated_difference", negated_difference)):
            latex = transform(item.latex)
            if latex is not None:
                spellings.append((label, latex, None))
        where = reversed_where(item.where)
        if where is not None:
            spellings.append(("reversed_where", None, where))
        for label, latex, where in spellings:
            yield item, label, latex, where


def _param(item, label, *rest):
    reason = KNOWN_ORDER_DEPENDENCE.get((item.id, label))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(item, label, *rest, id=f"{item.id}-{label}", marks=marks)


@pytest.mark.parametrize("item, label, latex, where", [_param(*case) for case in _cases()])
def test_equivalent_spelling_gives_the_same_problem(item, label, latex, where):
    assert outcome(item, latex, where) == outcome(item)


def _declared():
    for item in ENTRIES:
        decls = declarations(item) if item.status != UNSUPPORTED and not item.where else None
        if decls and len(decls) >= 2:
            yield _param(item, "declarations")


@pytest.mark.parametrize("item, label", list(_declared()))
def test_declaration_order_does_not_matter(item, label):
    decls = declarations(item)
    forward = outcome(item, where=r",\; ".join(decls))
    backward = outcome(item, where=r",\; ".join(decls[::-1]))
    assert forward == backward
