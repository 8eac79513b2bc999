"""Agreement figures against a case worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from event_review.central.forms.definition import FormFile
from event_review.central.qa.agreement import agreement, kappa
from tests.central.forms.test_definition import example


def answers(decision: str, severity: str | None = None, **extra: Any) -> dict[str, Any]:
    fields = {"vehicles": extra.pop("vehicles", 1)}
    if severity:
        fields["severity"] = severity
    return {"decision": decision, "rating": None, "reasons": extra.pop("reasons", {}),
            "fields": fields}  # fmt: skip


def test_kappa_of_a_hand_worked_case() -> None:
    # Agreed on 4 of 5: p_o = 0.8. Reviewer: approve 3/5, reject 2/5; QA: 2/5, 3/5.
    # p_e = 0.6 * 0.4 + 0.4 * 0.6 = 0.48; kappa = (0.8 - 0.48) / (1 - 0.48) = 0.6154.
    reviewer = ["approve", "approve", "reject", "reject", "approve"]
    qa = ["approve", "reject", "reject", "reject", "approve"]
    assert kappa(reviewer, qa) == pytest.approx(0.6154, abs=1e-4)
    assert kappa(["a", "a"], ["a", "a"]) is None  # neither side varies: undefined
    assert kappa(["a"], ["b"]) is None


def test_per_reviewer_and_per_answer_figures() -> None:
    form = FormFile.model_validate(example()).forms[0]  # the collision form
    pothole = {"cause": ["pothole"]}
    glitch = {"cause": ["sensor_glitch"]}
    judged = [
        (answers("confirmed", "minor"), answers("confirmed", "minor"), "agree", "ana"),
        (answers("confirmed", "major"), answers("false_trigger", "major", reasons=pothole),
         "correct", "ana"),
        (answers("false_trigger", reasons={"cause": ["pothole", "duplicate"]}),
         answers("false_trigger", reasons={"cause": ["duplicate", "pothole"]}), "agree", "ben"),
        (answers("false_trigger", "minor", reasons=glitch),
         answers("false_trigger", "major", reasons=glitch), "correct", "ben"),
        (answers("confirmed", vehicles=2), answers("confirmed", vehicles=3), "correct", "ben"),
    ]  # fmt: skip

    figures = agreement("collision", form, judged)

    assert figures.judged == 5
    assert [(r.reviewer, r.judged, r.agreed, r.share) for r in figures.reviewers] == [
        ("ana", 2, 1, 0.5), ("ben", 3, 1, 0.3333),
    ]  # fmt: skip
    by_place = {f.field: f for f in figures.fields}
    # decision: agreed 4 of 5; reviewer confirmed 3/5, QA 2/5 -> kappa 0.6154 as above.
    assert (by_place["decision"].compared, by_place["decision"].share) == (5, 0.8)
    assert by_place["decision"].kappa == pytest.approx(0.6154, abs=1e-4)
    # Reason codes compare as sets; no reason given is an answer too ("()").
    assert (by_place["reasons.cause"].compared, by_place["reasons.cause"].share) == (5, 0.8)
    # severity given in 3 pairs (minor/minor, major/major, minor/major): 2 agreed.
    assert (by_place["fields.severity"].compared, by_place["fields.severity"].share) == (
        3, 0.6667,
    )  # fmt: skip
    # A number is compared, but kappa does not apply to it.
    assert (by_place["fields.vehicles"].share, by_place["fields.vehicles"].kappa) == (0.8, None)
    assert "rating" in by_place
