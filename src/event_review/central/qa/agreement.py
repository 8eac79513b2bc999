"""How often reviewers and QA agree, per reviewer and per answer of a form.

Pairs are (the review's answer, the QA reviewer's answer) over finished QA
tasks. Cohen's kappa comes from scikit-learn; it applies to categorical
answers (decision, rating, reason codes, booleans, choices), not to numbers
or text, and is undefined when neither side ever varies. Text fields are left
out: what someone typed is not an answer to agree on, and the pairs never
hold it (a region's text policy may keep it out of the centre).
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from event_review.central.forms.definition import FieldKind, FormDefinition
from event_review.central.qa.schemas import Agreement, FieldAgreement, ReviewerAgreement

Answers = dict[str, Any]
Pick = Callable[[Answers], Any]


def _places(form: FormDefinition) -> list[tuple[str, Pick, bool]]:
    """(name, how to read it from answers, categorical?) for every answer of the form."""
    places: list[tuple[str, Pick, bool]] = [("decision", lambda a: a.get("decision"), True)]
    if form.rating is not None:
        places.append(("rating", lambda a: a.get("rating"), True))
    for reasons in form.reasons:
        places.append((f"reasons.{reasons.key}", _reasons(reasons.key), True))
    for field in form.fields:
        if field.kind is FieldKind.TEXT:
            continue
        categorical = field.kind in (FieldKind.BOOLEAN, FieldKind.CHOICE)
        places.append((f"fields.{field.key}", _field(field.key), categorical))
    return places


def _reasons(key: str) -> Pick:
    # A set of codes is one answer: order does not matter, and none is an answer too.
    return lambda a: tuple(sorted((a.get("reasons") or {}).get(key) or ()))


def _field(key: str) -> Pick:
    return lambda a: (a.get("fields") or {}).get(key)


def kappa(first: Sequence[Any], second: Sequence[Any]) -> float | None:
    """Cohen's kappa of two raters' labels, or None where it is undefined."""
    if len(first) < 2:
        return None
    # Imported here: scikit-learn takes a second to load, and only this needs it.
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined kappa comes back as nan
        value = float(cohen_kappa_score([repr(v) for v in first], [repr(v) for v in second]))
    return None if math.isnan(value) else round(value, 4)


def agreement(
    form_key: str, form: FormDefinition, judged: Iterable[tuple[Answers, Answers, str, str]]
) -> Agreement:
    """judged: (the review's answers, the QA answers, the verdict, the review's author)."""
    rows = list(judged)
    by_reviewer: dict[str, list[bool]] = defaultdict(list)
    for _, _, verdict, reviewer in rows:
        by_reviewer[reviewer].append(verdict == "agree")
    fields = []
    for name, pick, categorical in _places(form):
        pairs = [
            (pick(reviewed), pick(checked))
            for reviewed, checked, _, _ in rows
            if pick(reviewed) is not None and pick(checked) is not None
        ]
        same = [a == b for a, b in pairs]
        fields.append(
            FieldAgreement(
                field=name,
                compared=len(pairs),
                share=round(sum(same) / len(same), 4) if same else None,
                kappa=kappa([a for a, _ in pairs], [b for _, b in pairs]) if categorical else None,
            )
        )
    return Agreement(
        form=form_key,
        judged=len(rows),
        reviewers=[
            ReviewerAgreement(
                reviewer=reviewer,
                judged=len(verdicts),
                agreed=sum(verdicts),
                share=round(sum(verdicts) / len(verdicts), 4),
            )
            for reviewer, verdicts in sorted(by_reviewer.items())
        ],
        fields=fields,
    )
