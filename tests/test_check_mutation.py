"""A sample of the mutation run (the whole run: benchmarks/check_mutation.py).

Slips applied to symgd's own correct gradients must never be judged correct; equivalent rewrites
of them must be. Every mutant here differs from the truth numerically (or has shapes that do not
fit), at points the checker does not use.
"""

import pytest

import mutation

LOSSES = ("01_least_squares", "04_logistic", "11_quadratic")


@pytest.fixture(scope="module")
def generated():
    return mutation.generate(LOSSES, slips_per_claim=5)


def test_the_sample_is_not_empty(generated):
    assert len(generated.mutants) >= 50 and len(generated.rewrites) >= 30
    assert {claim.kind for claim in generated.mutants} >= {"flip the sign", "scale by 2", "drop a term"}
    assert generated.dropped["rewrite not equal (a generator bug)"] == 0


def test_no_mutant_is_judged_correct(generated):
    wrong = [(claim.kind, claim.text) for claim in generated.mutants + generated.invalid
             if mutation.judge(claim) == "correct"]
    assert not wrong


def test_rewrites_are_judged_correct(generated):
    rejected = [(claim.kind, claim.text) for claim in generated.rewrites if mutation.judge(claim) != "correct"]
    assert not rejected
