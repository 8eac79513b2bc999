"""What a form file may say, checked before any version is kept."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from event_review.central.forms.answers import AnswersInvalid, check, model_for
from event_review.central.forms.definition import DEFAULT_FORM, FormFile
from event_review.central.forms.markdown import render
from event_review.central.forms.repository import canonical

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "forms.yaml"


def example() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return document


def test_the_example_file_is_a_valid_form_file() -> None:
    forms = FormFile.model_validate(example()).forms
    assert [f.key for f in forms] == ["collision", "sensor_fault"]


def test_the_migration_holds_the_default_form_exactly() -> None:
    """Version 1 of `default` in the database is the built-in default, byte for byte."""
    path = next(
        (REPO / "src/event_review/central/db/migrations/versions").glob("*0004_review_forms.py")
    )
    spec = importlib.util.spec_from_file_location("migration_0004", path)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    document, digest = canonical(DEFAULT_FORM)
    assert json.loads(migration.DEFAULT_DEFINITION) == document
    assert migration.DEFAULT_DIGEST == digest


def _broken(change: str) -> dict[str, Any]:
    document = copy.deepcopy(example())
    collision = document["forms"][0]
    if change == "duplicate decision":
        collision["decisions"].append(dict(collision["decisions"][0], hotkey="q"))
    elif change == "reserved hotkey":
        collision["decisions"][0]["hotkey"] = "j"
    elif change == "the zoom key":
        collision["decisions"][0]["hotkey"] = "z"
    elif change == "digit hotkey with a rating":
        collision["decisions"][0]["hotkey"] = "3"
    elif change == "hotkey twice":
        collision["decisions"][1]["hotkey"] = "a"
    elif change == "unknown reason list":
        collision["decisions"][1]["reasons"] = ["nope"]
    elif change == "no applies_to":
        del collision["applies_to"]
    elif change == "two forms, one scope":
        document["forms"][1]["applies_to"] = {"event_types": ["collision"]}
    elif change == "rating upside down":
        collision["rating"] = {"min": 5, "max": 1}
    elif change == "rating too long":
        collision["rating"] = {"min": 0, "max": 20}
    elif change == "choice without options":
        collision["fields"][2]["options"] = []
    elif change == "number without bounds":
        del collision["fields"][1]["max"]
    elif change == "unknown property":
        collision["colour"] = "blue"
    elif change == "control character in a label":
        collision["title"] = "Collision\x00"
    elif change == "QA rule for an unknown decision":
        collision["qa"]["always"] = [{"decision": "nope"}]
    elif change == "sample rate above 1":
        collision["qa"]["sample_rate"] = 1.5
    else:
        raise AssertionError(change)
    return document


@pytest.mark.parametrize(
    "change",
    [
        "duplicate decision",
        "reserved hotkey",
        "the zoom key",
        "digit hotkey with a rating",
        "hotkey twice",
        "unknown reason list",
        "no applies_to",
        "two forms, one scope",
        "rating upside down",
        "rating too long",
        "choice without options",
        "number without bounds",
        "unknown property",
        "control character in a label",
        "QA rule for an unknown decision",
        "sample rate above 1",
    ],
)
def test_a_broken_form_file_is_refused(change: str) -> None:
    with pytest.raises(ValidationError):
        FormFile.model_validate(_broken(change))


def test_the_default_form_takes_the_original_review_body_and_nothing_else() -> None:
    model = model_for(DEFAULT_FORM)

    answers = check(DEFAULT_FORM, model, {"decision": "reject", "rating": 2, "comment": " x "})

    assert (answers.decision, answers.rating, answers.comment) == ("reject", 2, "x")
    for bad in (
        {"decision": "reject"},
        {"decision": "maybe", "rating": 2},
        {"decision": "reject", "rating": 6},
        {"decision": "reject", "rating": 2, "fields": {"x": 1}},
        {"decision": "reject", "rating": 2, "reasons": {"cause": ["x"]}},
    ):
        with pytest.raises(AnswersInvalid):
            check(DEFAULT_FORM, model, bad)


def test_answers_are_checked_against_their_form_place_by_place() -> None:
    form = FormFile.model_validate(example()).forms[0]
    model = model_for(form)

    with pytest.raises(AnswersInvalid) as refused:
        check(
            form,
            model,
            {
                "decision": "false_trigger",
                "rating": 9,
                "fields": {"vehicles": 2.5, "severity": "huge", "injuries_visible": "yes"},
            },
        )

    places = {".".join(str(p) for p in d["loc"]) for d in refused.value.details}
    assert places == {
        "body.rating",
        "body.fields.vehicles",
        "body.fields.severity",
        "body.fields.injuries_visible",
    }
    # What the decision requires is checked once the values themselves fit.
    with pytest.raises(AnswersInvalid) as missing:
        check(form, model, {"decision": "false_trigger"})
    assert [d["loc"] for d in missing.value.details] == [["body", "reasons", "cause"]]
    unclear = {"decision": "unclear", "comment": "  "}
    with pytest.raises(AnswersInvalid) as no_comment:
        check(form, model, unclear)
    assert [d["loc"] for d in no_comment.value.details] == [["body", "comment"]]
    answers = check(
        form,
        model,
        {"decision": "false_trigger", "reasons": {"cause": ["pothole", "duplicate"]},
         "fields": {"vehicles": 2, "injuries_visible": False}},
    )  # fmt: skip
    assert answers.as_json() == {
        "reasons": {"cause": ["pothole", "duplicate"]},
        "fields": {"vehicles": 2, "injuries_visible": False},
    }


def test_a_single_choice_reason_list_takes_one_code() -> None:
    form = FormFile.model_validate(example()).forms[1]
    with pytest.raises(AnswersInvalid):
        check(
            form,
            model_for(form),
            {"decision": "fault", "reasons": {"fault": ["camera_dirty", "firmware"]}},
        )


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<a href="https://example.org" onclick="alert(1)">x</a>',
    ],
)
def test_guidelines_never_render_markup_or_script_urls(markdown: str) -> None:
    html = render(markdown)
    assert not re.search(r"<(script|img|iframe|a\s[^>]*\son\w+=)", html, re.IGNORECASE), html
    assert not re.search(r'href="(javascript|vbscript|data):', html, re.IGNORECASE), html


def test_guidelines_render_markdown() -> None:
    html = render("**bold** and a [link](https://example.org)\n\n| a |\n|---|\n| 1 |")
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org">link</a>' in html
    assert "<table>" in html
