"""Review forms on the review screen: the event's form (examples/forms.yaml,
applied by `forms_platform`) drawn from the server's definition, answered from
the keyboard alone with the keys it names, refused in place where the server
says an answer is missing or wrong, kept as a draft with its reasons and
fields, and read back in the version a review was made with."""

from __future__ import annotations

import json
import uuid
from typing import Any

import yaml

from tests.web.conftest import EXAMPLE_FORMS, OpenSession, Platform, require_playwright

require_playwright()

from playwright.async_api import Locator, Page, expect  # noqa: E402

from tests.web.browsing import (  # noqa: E402
    PHONE,
    ZOOMED_LAPTOP,
    accessibility_problems,
    fully_visible,
    hand_over,
    horizontal_overflow,
    real_errors,
    user_id,
    wait_for_pending,
    wait_for_status,
)


async def review_of(platform: Platform, event_id: str) -> dict[str, Any]:
    rows = await platform.query(
        "SELECT review_decision, review_rating, review_comment, review_answers, "
        "review_form_key, review_form_version FROM events WHERE event_id = $1",
        uuid.UUID(event_id),
    )
    found = dict(rows[0])
    if isinstance(found["review_answers"], str):
        found["review_answers"] = json.loads(found["review_answers"])
    return found


async def test_a_reviewer_answers_the_collision_form_with_the_keyboard_alone(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    await wait_for_pending(platform, "eu", 1, event_type="collision")
    username = platform.new_user("keys", team="team-eu")
    tab = await new_session("reviewer")
    page = tab.page
    await page.goto(platform.url + "/")
    # A batch of one: collisions come first (the highest priority).
    await page.evaluate("localStorage.setItem('event-review.batch-size', '1')")
    await tab.login(platform.url, username)

    await page.keyboard.press("n")
    item = page.locator(".queue-item")
    await expect(item).to_have_attribute("aria-current", "true")
    event_id = await item.get_attribute("data-event-id")
    assert event_id is not None
    await expect(page.locator("#event-title")).to_have_text("Collision")

    # The form's guidelines, from Markdown: emphasis and a table, no raw HTML.
    guidelines = page.locator("#form-guidelines")
    await expect(guidelines.locator("strong")).to_have_text("whole clip")
    await expect(guidelines.locator("table th").first).to_have_text("see")
    # Its keys are the ones `?` lists.
    await page.keyboard.press("?")
    keys = page.locator("#form-shortcuts")
    await expect(keys).to_contain_text("Confirmed collision")
    await expect(keys).to_contain_text("Cause of the false trigger: Pothole or speed bump")
    assert await accessibility_problems(page) == []
    await page.keyboard.press("Escape")

    # The reasons come with the decision that asks for them.
    cause = page.get_by_role("group", name="Cause of the false trigger")
    await expect(cause).to_be_hidden()
    await page.keyboard.press("g")  # a hidden list's key answers nothing
    await page.keyboard.press("r")
    await expect(page.get_by_role("radio", name="False trigger")).to_be_checked()
    await expect(cause).to_be_visible()
    await expect(cause.get_by_role("checkbox", name="Sensor glitch")).not_to_be_checked()
    for key in "gpdd":  # several reasons; a second press takes one back
        await page.keyboard.press(key)
    await expect(cause.get_by_role("checkbox", name="Sensor glitch")).to_be_checked()
    await expect(cause.get_by_role("checkbox", name="Pothole or speed bump")).to_be_checked()
    await expect(
        cause.get_by_role("checkbox", name="Duplicate of another event")
    ).not_to_be_checked()
    await page.keyboard.press("2")
    await expect(page.get_by_role("radio", name="2", exact=True)).to_be_checked()
    assert await accessibility_problems(page) == []

    # z still zooms the image with a form open.
    await page.keyboard.press("z")
    await expect(page.locator("#image-dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#image-dialog")).to_have_count(0)

    # The further fields follow the rating in tab order; Esc hands the keys back.
    await page.keyboard.press("2")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Injuries visible")).to_be_focused()
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    await page.keyboard.type("2")
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Severity")).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await expect(page.get_by_label("Severity")).to_have_value("major")
    await page.keyboard.press("Escape")
    await page.keyboard.press("c")
    await page.keyboard.type("Speed bump at the depot gate.")
    await page.keyboard.press("Control+Enter")

    await expect(page.locator("#toasts")).to_contain_text("Reviewed: False trigger with rating 2")
    await expect(page.locator(f'.queue-item[data-event-id="{event_id}"]')).to_have_count(0)
    await wait_for_status(platform, event_id, "completed")
    review = await review_of(platform, event_id)
    assert review == {
        "review_decision": "false_trigger",
        "review_rating": 2,
        "review_comment": "Speed bump at the depot gate.",
        "review_answers": {
            "reasons": {"cause": ["sensor_glitch", "pothole"]},
            "fields": {"injuries_visible": True, "vehicles": 2, "severity": "major"},
        },
        "review_form_key": "collision",
        "review_form_version": 1,
    }
    assert real_errors(tab) == []


async def test_what_the_form_asks_for_is_refused_next_to_where_it_belongs(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    username = platform.new_user("refused", team="team-eu")
    event_id = await hand_over(platform, username, event_type="collision", region="eu")
    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)
    await expect(page.locator(f'.queue-item[data-event-id="{event_id}"]')).to_have_attribute(
        "aria-current", "true"
    )
    cause = page.get_by_role("group", name="Cause of the false trigger")
    status = page.locator("#form-status")

    # A false trigger needs its cause: the server says so, and the list shows it.
    await page.keyboard.press("r")
    await page.keyboard.press("Enter")
    cause_error = page.locator("#error-reasons-cause")
    await expect(cause_error).to_have_text(
        "Choose a reason ('Cause of the false trigger') to 'False trigger'."
    )
    await expect(status).to_contain_text("Check: Cause of the false trigger.")
    glitch = cause.get_by_role("checkbox", name="Sensor glitch")
    await expect(glitch).to_have_attribute("aria-invalid", "true")
    await expect(glitch).to_be_focused()
    assert await glitch.get_attribute("aria-describedby") == "error-reasons-cause"
    assert await accessibility_problems(page) == []
    await page.keyboard.press("g")
    await expect(cause_error).to_be_hidden()
    await expect(glitch).not_to_have_attribute("aria-invalid", "true")

    # A number out of the field's range: said at the field.
    vehicles = page.get_by_label("Vehicles involved")
    await vehicles.fill("50")
    await page.keyboard.press("Escape")
    await page.keyboard.press("Enter")
    await expect(page.locator("#error-fields-vehicles")).to_have_text(
        "Input should be less than or equal to 20."
    )
    await expect(vehicles).to_be_focused()
    await expect(vehicles).to_have_attribute("aria-invalid", "true")

    # "Cannot tell" needs a comment; the cause list goes, and its answer is not sent.
    await vehicles.fill("3")
    await page.keyboard.press("Escape")
    await page.keyboard.press("u")
    await expect(cause).to_be_hidden()
    # The decision's own guidance (Markdown) shows while it is chosen.
    await expect(page.locator("#decision-description em")).to_have_text("the camera was covered")
    await page.keyboard.press("Enter")
    await expect(page.locator("#error-comment")).to_have_text(
        "A comment is required to 'Cannot tell'."
    )
    await expect(page.get_by_label("Comment")).to_be_focused()
    await page.keyboard.type("The camera was covered.")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#toasts")).to_contain_text("Reviewed: Cannot tell.")
    await wait_for_status(platform, event_id, "completed")
    review = await review_of(platform, event_id)
    assert review["review_decision"] == "unclear"
    # An unticked box is an answer too: no.
    assert review["review_answers"] == {
        "reasons": {},
        "fields": {"vehicles": 3, "injuries_visible": False},
    }
    assert real_errors(tab, "status of 422") == []


async def drafts_in_storage(page: Page) -> dict[str, dict[str, Any]]:
    saved: dict[str, str] = await page.evaluate(
        "Object.fromEntries(Object.entries(localStorage)"
        ".filter(([k]) => k.startsWith('event-review.draft.')))"
    )
    return {key: json.loads(value) for key, value in saved.items()}


async def expect_collision_draft(page: Page) -> None:
    cause = page.get_by_role("group", name="Cause of the false trigger")
    await expect(page.get_by_role("radio", name="False trigger")).to_be_checked()
    await expect(cause.get_by_role("checkbox", name="Sensor glitch")).to_be_checked()
    await expect(cause.get_by_role("checkbox", name="Calibration")).to_be_checked()
    await expect(cause.get_by_role("checkbox", name="Pothole or speed bump")).not_to_be_checked()
    await expect(page.get_by_label("Vehicles involved")).to_have_value("4")
    await expect(page.get_by_label("Severity")).to_have_value("minor")
    await expect(page.get_by_label("Comment")).to_have_value("Calibration drift after a glitch.")


async def test_a_draft_keeps_reasons_and_fields_through_reload_login_and_a_conflict(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    username = platform.new_user("drafts", team="team-eu")
    collision = await hand_over(platform, username, event_type="collision", region="eu")
    other = await hand_over(platform, username, event_type="harsh_braking", region="eu")
    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)
    await page.locator(f'.queue-item[data-event-id="{collision}"]').click()
    await expect(page.get_by_role("radio", name="Confirmed collision")).to_be_visible()

    for key in "rgb3":
        await page.keyboard.press(key)
    await page.get_by_label("Vehicles involved").fill("4")
    await page.get_by_label("Severity").select_option("minor")
    await page.get_by_label("Comment").fill("Calibration drift after a glitch.")
    await page.keyboard.press("Escape")
    me = await user_id(platform, username)
    saved = (await drafts_in_storage(page))[f"event-review.draft.{me}.{collision}"]
    assert saved["reasons"] == {"cause": ["sensor_glitch", "calibration"]}
    assert saved["fields"] == {"vehicles": "4", "severity": "minor"}
    assert saved["form"] == "collision@1"

    # The other event has the default form, blank; coming back shows the draft.
    await page.locator(f'.queue-item[data-event-id="{other}"]').click()
    await expect(page.get_by_role("radio", name="Approve")).not_to_be_checked()
    await expect(page.get_by_label("Vehicles involved")).to_have_count(0)
    await page.locator(f'.queue-item[data-event-id="{collision}"]').click()
    await expect_collision_draft(page)

    await page.reload()
    await page.locator(f'.queue-item[data-event-id="{collision}"]').click()
    await expect_collision_draft(page)
    await page.get_by_role("button", name="Log out").click()
    await tab.login(platform.url, username)
    await page.locator(f'.queue-item[data-event-id="{collision}"]').click()
    await expect_collision_draft(page)

    # The lease runs out behind the reviewer's back: the submit meets a 409,
    # and the draft stays for when the event is theirs again.
    await platform.query(
        "UPDATE events SET lease_expires_at = now() - interval '1 second' WHERE event_id = $1",
        uuid.UUID(collision),
    )
    await page.get_by_role("button", name="Submit review").click()
    await expect(page.locator("#toasts")).to_contain_text("Your time on this event ran out")
    await platform.query(
        "UPDATE events SET lease_expires_at = now() + interval '10 minutes' WHERE event_id = $1",
        uuid.UUID(collision),
    )
    await page.reload()
    await page.locator(f'.queue-item[data-event-id="{collision}"]').click()
    await expect_collision_draft(page)
    await page.keyboard.press("Enter")
    await expect(page.locator("#toasts")).to_contain_text("Reviewed: False trigger with rating 3")
    await wait_for_status(platform, collision, "completed")
    assert f"event-review.draft.{me}.{collision}" not in await drafts_in_storage(page)
    review = await review_of(platform, collision)
    assert review["review_answers"] == {
        "reasons": {"cause": ["sensor_glitch", "calibration"]},
        "fields": {"vehicles": 4, "severity": "minor", "injuries_visible": False},
    }
    assert real_errors(tab, "status of 409") == []


def answer_row(table: Locator, heading: str) -> Locator:
    """The row of `table` whose header is `heading`."""
    return table.locator("tr").filter(
        has=table.page.get_by_role("rowheader", name=heading, exact=True)
    )


def example_form(key: str) -> dict[str, Any]:
    document = yaml.safe_load(EXAMPLE_FORMS.read_text(encoding="utf-8"))
    found: dict[str, Any] = next(f for f in document["forms"] if f["key"] == key)
    return found


async def test_a_reviewed_event_reads_in_the_form_version_it_was_reviewed_with(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    username = platform.new_user("versions", team="team-eu")
    event_id = await hand_over(platform, username, event_type="lane_departure", region="eu")
    reviewed = platform.api(
        "POST",
        f"/api/v1/events/{event_id}/review",
        username,
        json={
            "decision": "fault",
            "reasons": {"fault": ["firmware"]},
            "fields": {"firmware_version": "4.2.1"},
            "form": {"key": "sensor_fault", "version": 1},
        },
    )
    assert reviewed.status_code == 200, reviewed.text
    # The form changes its words afterwards: version 2.
    changed = example_form("sensor_fault")
    changed["decisions"][1]["label"] = "Faulty sensor"
    changed["reasons"][0]["options"][2]["label"] = "Firmware bug"
    applied = platform.api("POST", "/api/v1/admin/forms", "admin", json={"forms": [changed]})
    assert applied.status_code == 200, applied.text
    assert applied.json()["forms"][0]["version"] == 2

    tab = await new_session("reviewer")
    page = tab.page
    await tab.login(platform.url, username)
    await page.goto(f"{platform.url}/#/events/{event_id}")
    answers = page.locator("#event-review")
    await expect(answer_row(answers, "Form")).to_have_text(
        "FormSensor fault triage (sensor_fault, version 1)"
    )
    await expect(answer_row(answers, "Decision")).to_have_text("DecisionSensor fault")
    await expect(answer_row(answers, "Fault")).to_have_text("FaultFirmware")
    await expect(answer_row(answers, "Firmware version")).to_have_text("Firmware version4.2.1")
    assert await accessibility_problems(page) == []
    assert real_errors(tab) == []


def trial_form(key: str, title: str, *, hotkey: str = "a") -> dict[str, Any]:
    """A form of the editor test alone: for an event type no event has."""
    return {
        "key": key,
        "title": title,
        "applies_to": {"event_types": [key]},
        "guidelines": "Look at the **plate** first.",
        "decisions": [
            {"key": "keep", "label": "Keep", "hotkey": hotkey},
            {"key": "drop", "label": "Drop", "hotkey": "r", "reasons": ["why"]},
        ],
        "reasons": [
            {
                "key": "why",
                "label": "Why dropped",
                "options": [{"key": "blurry", "label": "Blurry", "hotkey": "b"}],
            }
        ],
    }


async def test_an_admin_checks_previews_and_applies_a_form_in_the_editor(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    key = f"trial_{uuid.uuid4().hex[:6]}"
    tab = await new_session("admin")
    page = tab.page
    await tab.login(platform.url, "admin")
    await page.get_by_role("link", name="Forms").click()
    forms = page.locator("#forms-table")
    await expect(forms.locator('tr[data-form="collision"]')).to_contain_text(
        "collision in every region"
    )
    await expect(forms.locator('tr[data-form="default"]')).to_contain_text(
        "events no other form takes"
    )

    await page.get_by_role("button", name="New form").click()
    source = page.get_by_label("Form definition (JSON)")
    problems = page.locator("#form-problems")
    preview = page.locator("#form-preview")
    await expect(preview).to_contain_text("New review form")

    # Not JSON: said at once, the preview keeps what last passed.
    await source.fill('{"key": "broken",')
    await expect(problems).to_contain_text("Not valid JSON")
    await expect(page.locator("#preview-note")).to_contain_text("last version that passed")
    # A key the review screen keeps: the server's check, at the place it names.
    await source.fill(json.dumps(trial_form(key, "Plate check", hotkey="j")))
    await expect(problems).to_contain_text(
        "decisions[0].hotkey (Keep): hotkeys ['j'] belong to the review screen"
    )
    assert await accessibility_problems(page) == []
    # z zooms the image on the review screen: the server keeps it too.
    await source.fill(json.dumps(trial_form(key, "Plate check", hotkey="z")))
    await expect(problems).to_contain_text(
        "decisions[0].hotkey (Keep): hotkeys ['z'] belong to the review screen"
    )
    # Valid: the preview is what a reviewer will see, and follows the text.
    await source.fill(json.dumps(trial_form(key, "Plate check")))
    await expect(problems).to_have_text("No problems: this form can be applied.")
    await expect(preview.locator(".preview-title")).to_contain_text("Plate check")
    await expect(preview.locator("#preview-guidelines strong")).to_have_text("plate")
    await expect(preview.get_by_role("radio", name="Keep")).to_be_visible()
    await expect(page.locator("#preview-keys")).to_contain_text("Why dropped: Blurry")
    await preview.locator('label[for="preview-decision-drop"]').click()
    await expect(preview.get_by_role("group", name="Why dropped")).to_be_visible()
    assert await accessibility_problems(page) == []

    await page.get_by_role("button", name="Apply").click()
    status = page.locator("#form-editor-status")
    await expect(status).to_contain_text(f"Applied: {key} is now version 1.")
    versions = page.locator("#form-versions-table")
    await expect(versions.locator("tbody tr")).to_have_count(1)
    # A change is version n+1; the list says which is current.
    await source.fill(json.dumps(trial_form(key, "Plate check, second look")))
    await expect(preview.locator(".preview-title")).to_contain_text("Plate check, second look")
    await page.get_by_role("button", name="Apply").click()
    await expect(status).to_contain_text(f"Applied: {key} is now version 2.")
    await expect(versions.locator("tbody tr")).to_have_count(2)
    await expect(versions.locator('tr[data-version="2"]')).to_contain_text("2 (current)")
    await expect(forms.locator(f'tr[data-form="{key}"]')).to_contain_text("2")
    # The same again changes nothing.
    await page.get_by_role("button", name="Apply").click()
    await expect(status).to_contain_text(f"No change: {key} is already so, at version 2.")
    stored = platform.api("GET", f"/api/v1/forms/{key}/versions", "admin")
    assert [v["version"] for v in stored.json()] == [2, 1]

    # An old version opens read-only, previewed from what was stored.
    await versions.get_by_role("button", name=f"View version 1 of {key}").click()
    await expect(page.locator("#form-editor-title")).to_have_text(f"{key}, version 1")
    await expect(source).to_have_attribute("readonly", "")
    await expect(page.get_by_role("button", name="Apply")).to_be_hidden()
    await expect(preview.locator(".preview-title")).to_contain_text("Plate check")
    assert real_errors(tab, "status of 422") == []


async def test_a_long_form_and_the_editor_fit_a_phone_and_200_percent_zoom(
    forms_platform: Platform, new_session: OpenSession
) -> None:
    platform = forms_platform
    username = platform.new_user("narrow", team="team-us")
    await hand_over(platform, username, event_type="collision", region="us")
    for viewport, scale in ((PHONE, 1), (ZOOMED_LAPTOP, 2)):
        name = f"{viewport['width']}x{viewport['height']}@{scale}"
        tab = await new_session(f"reviewer-{name}", viewport, scale)
        page = tab.page
        await tab.login(platform.url, username)
        await expect(page.locator("#payload-image")).to_be_visible()
        # The form arrives on its own request: its keys work once it is drawn.
        await expect(page.locator('label[for="decision-false_trigger"]')).to_be_visible()
        await page.keyboard.press("r")
        await expect(page.get_by_role("group", name="Cause of the false trigger")).to_be_visible()

        assert await horizontal_overflow(page) == 0, name
        controls = [
            *(page.locator(f'label[for="decision-{key}"]') for key in ("confirmed", "unclear")),
            page.locator('label[for="reason-cause-calibration"]'),
            *(page.locator(f'label[for="rating-{n}"]') for n in (1, 5)),
            page.get_by_label("Injuries visible"),
            page.get_by_label("Vehicles involved"),
            page.get_by_label("Severity"),
            page.get_by_label("Comment"),
            page.locator("#submit-review"),
            page.locator("#escalate"),
            page.locator("#form-guidelines summary"),
        ]
        for control in controls:
            assert await fully_visible(control) is None, (name, control)
        assert await horizontal_overflow(page) == 0, name
        # One column: every part of the form as wide as the next.
        widths = {
            round(box["width"])
            for part in (".decision-field", ".reason-field", ".rating-field", ".wide-field")
            if (box := await page.locator(f"#review-form {part}").bounding_box())
        }
        assert len(widths) == 1, (name, widths)

        admin = await new_session(f"admin-{name}", viewport, scale)
        await admin.login(platform.url, "admin")
        await admin.page.goto(f"{platform.url}/#/forms")
        await admin.page.get_by_role("button", name="Edit collision").click()
        await expect(admin.page.locator("#form-preview .preview-title")).to_be_visible()
        assert await horizontal_overflow(admin.page) == 0, name
        assert real_errors(tab) == []
        assert real_errors(admin) == []
