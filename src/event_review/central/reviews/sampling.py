"""Which reviews go to QA: every one a form's rules name, and a share of the rest."""

from __future__ import annotations

import random

from event_review.central.forms.answers import Answers
from event_review.central.forms.definition import FormDefinition

# Sampling needs no secret: a share, not a guess anyone could exploit.
_RNG = random.Random()


def needs_qa(
    form: FormDefinition, answers: Answers, event_type: str, rng: random.Random = _RNG
) -> bool:
    for rule in form.qa.always:
        decision_fits = rule.decision is None or rule.decision == answers.decision
        type_fits = not rule.event_types or event_type in rule.event_types
        if decision_fits and type_fits:
            return True
    return form.qa.sample_rate > 0 and rng.random() < form.qa.sample_rate
