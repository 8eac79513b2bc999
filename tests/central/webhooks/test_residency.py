"""What reviewers type never leaves the centre in a webhook: a canary typed into every
free-text place (comment, text field, correction note, QA note, escalation note)
is in no delivery row and in no body a receiver got."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from event_review.central.db.models import Role, WebhookKind
from tests.central.forms.test_definition import example
from tests.central.webhooks.conftest import NEXT, Receiver, Stack, reviewed, subscribe

CANARY = f"canary-{uuid.uuid4().hex}"


async def test_no_typed_text_reaches_a_delivery_or_a_receiver(
    stack: Stack, receiver: Receiver
) -> None:
    client, factory = stack.client, stack.factory
    admin = await stack.admin()
    applied = await client.post("/api/v1/admin/forms", json=example(), headers=admin.headers)
    assert applied.status_code == 200, applied.text
    await subscribe(client, admin, receiver.url, kinds=[k.value for k in WebhookKind])
    team = await factory.team("canary-team", ["eu"])
    reviewer = await factory.user(team)
    lead = await factory.user(team, Role.LEAD)
    judge = await factory.user(team, Role.QA)

    # A review with a typed comment and a typed text field, then a lead's correction.
    [lane] = await factory.ingest("eu", 1, event_type="lane_departure")
    fault = {
        "decision": "fault", "reasons": {"fault": ["firmware"]}, "comment": CANARY,
        "fields": {"firmware_version": CANARY[:40]},
    }  # fmt: skip
    assert (await reviewed(client, reviewer, lane, fault)).status_code == 200
    corrected = await client.post(
        f"/api/v1/events/{lane}/corrections",
        json={**fault, "revision": 1, "note": CANARY, "comment": f"{CANARY} again"},
        headers=lead.headers,
    )
    assert corrected.status_code == 200, corrected.text

    # A QA correction with a note; an escalation with a note.
    [collision] = await factory.ingest("eu", 1, event_type="collision")
    false_trigger = {
        "decision": "false_trigger", "reasons": {"cause": ["pothole"]}, "comment": CANARY,
        "form": {"key": "collision", "version": 1},
    }  # fmt: skip
    assert (await reviewed(client, reviewer, collision, false_trigger)).status_code == 200
    [task] = (await client.post("/api/v1/qa/next-batch", json={"size": 1},
                                headers=judge.headers)).json()["tasks"]  # fmt: skip
    verdict = await client.post(
        f"/api/v1/qa/tasks/{task['task_id']}/verdict",
        json={"verdict": "correct", "revision": 1, "note": CANARY,
              "answers": {"decision": "confirmed", "comment": CANARY}},
        headers=judge.headers,
    )  # fmt: skip
    assert verdict.status_code == 200, verdict.text
    [escalated] = await factory.ingest("eu", 1)
    await client.post(NEXT, json={"size": 1}, headers=reviewer.headers)
    escalation = await client.post(
        f"/api/v1/events/{escalated}/escalate", json={"note": CANARY}, headers=reviewer.headers
    )
    assert escalation.status_code == 204, escalation.text

    while await stack.worker().deliver_due():
        pass

    assert sorted(json.loads(r.body)["type"] for r in receiver.requests) == [
        "event.escalated", "qa.disagreement", "review.corrected", "review.created",
        "review.created",
    ]  # fmt: skip
    for request in receiver.requests:
        assert CANARY.encode() not in request.body
        assert CANARY[:40].encode() not in request.body
    async with stack.central.sessionmaker() as session:
        dumped = (
            await session.execute(text("SELECT string_agg(d::text, ' ') FROM webhook_deliveries d"))
        ).scalar_one()
        held = (
            await session.execute(text("SELECT string_agg(e::text, ' ') FROM events e"))
        ).scalar_one()
    assert CANARY not in dumped
    assert CANARY[:40] not in dumped
    # The canary was typed where it could have leaked from: the centre holds it (policy
    # `central`), so the test would see a leak.
    assert CANARY in held
