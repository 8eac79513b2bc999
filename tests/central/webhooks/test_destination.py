"""SSRF: the centre refuses webhook URLs that point where it may not call, at
registration and again at every delivery (DNS can change in between)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from event_review.central.db.models import Role, WebhookSubscription
from event_review.central.webhooks import destination
from event_review.settings import Settings
from tests.central.webhooks.conftest import (
    ADMIN_WEBHOOKS,
    Receiver,
    subscribe,
)
from tests.factories import Factory

REFUSED = [
    "http://127.0.0.1/hook",
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/hook",
    "https://192.168.1.20/hook",
    "https://172.16.5.4/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://[fc00::1]/hook",
    "https://[fe80::1]/hook",
    "https://0.0.0.0/hook",
    "https://[::]/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://100.64.0.1/hook",
    "https://2130706433/hook",  # 127.0.0.1 written as one number
    "file:///etc/passwd",
    "ftp://example.com/hook",
    "gopher://example.com/hook",
    "https://user:pass@example.com/hook",
    "https://token@example.com/hook",
    "https://example.com:0/hook",
    "https://example.com:99999/hook",
    "https:///hook",
    "http://93.184.215.14/hook",  # public, but plain http
    "https://does-not-exist.invalid/hook",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The default: no network allowed beyond the public internet."""
    return settings.model_copy(update={"webhook_allowed_networks": ""})


@pytest.mark.parametrize("url", REFUSED)
async def test_registration_refuses_urls_the_centre_may_not_call(
    client: httpx.AsyncClient, factory: Factory, session: AsyncSession, url: str
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)

    response = await client.post(
        ADMIN_WEBHOOKS, json={"url": url, "kinds": ["review.created"]}, headers=admin.headers
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "webhook_target_refused", error
    assert error["details"][0]["loc"] == ["body", "url"]
    assert (await session.scalars(select(WebhookSubscription))).all() == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("192.168.0.1", "private"),
        ("fc00::1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("100.64.0.1", "non-public"),
    ],
)
def test_each_kind_of_address_is_refused_and_named(address: str, reason: str) -> None:
    problem = destination.address_problem(ipaddress.ip_address(address), [])
    assert problem is not None
    assert reason in problem


def test_public_addresses_pass_and_an_allowed_network_passes_whatever_it_is() -> None:
    for public in ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"):
        assert destination.address_problem(ipaddress.ip_address(public), []) is None
    allowed = [ipaddress.ip_network("10.20.0.0/16")]
    assert destination.address_problem(ipaddress.ip_address("10.20.3.4"), allowed) is None
    assert destination.address_problem(ipaddress.ip_address("10.21.3.4"), allowed) is not None
    # The mapped form of an allowed address is that address.
    mapped = ipaddress.ip_address("::ffff:10.20.3.4")
    assert destination.address_problem(mapped, allowed) is None


async def test_every_address_a_name_resolves_to_must_pass() -> None:
    """localhost resolves to loopback: refused even though the name looks harmless."""
    with pytest.raises(destination.Refused, match="loopback"):
        await destination.resolve("https://localhost:8443/x", [])
    allowed = [ipaddress.ip_network("127.0.0.1/32")]
    found = await destination.resolve("http://localhost:8443/x?a=1", allowed)
    assert (str(found.address), found.host, found.port) == ("127.0.0.1", "localhost", 8443)
    assert found.pinned_url == "http://127.0.0.1:8443/x?a=1"
    assert found.host_header == "localhost:8443"
    assert found.sni_hostname is None  # plain http
    tls = await destination.resolve("https://localhost/x", allowed)
    assert (tls.host_header, tls.sni_hostname, tls.pinned_url) == (
        "localhost", "localhost", "https://127.0.0.1:443/x",
    )  # fmt: skip


async def test_the_allow_list_lets_an_operator_register_a_loopback_receiver(
    client: httpx.AsyncClient, factory: Factory, app: object, receiver: Receiver
) -> None:
    admin = await factory.reviewer(["eu"], Role.ADMIN)
    refused = await client.post(
        ADMIN_WEBHOOKS, json={"url": receiver.url, "kinds": ["review.created"]},
        headers=admin.headers,
    )  # fmt: skip
    assert refused.status_code == 422
    allowing = Settings.model_validate(
        {"webhook_allowed_networks": "10.0.0.0/8, 127.0.0.1/32", "environment": "development"}
    )
    assert [str(n) for n in allowing.webhook_networks] == ["10.0.0.0/8", "127.0.0.1/32"]
    app.state.settings = app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"webhook_allowed_networks": "127.0.0.1/32"}
    )
    created = await subscribe(client, admin, receiver.url)
    assert created["url"] == receiver.url
    # Moving it somewhere forbidden later is refused the same way.
    moved = await client.patch(
        f"{ADMIN_WEBHOOKS}/{created['webhook_id']}", json={"url": "https://10.0.0.1/x"},
        headers=admin.headers,
    )  # fmt: skip
    assert (moved.status_code, moved.json()["error"]["code"]) == (422, "webhook_target_refused")


def test_a_bad_allow_list_stops_the_settings() -> None:
    with pytest.raises(ValueError, match="WEBHOOK_ALLOWED_NETWORKS"):
        Settings.model_validate({"webhook_allowed_networks": "10.0.0.0/8,not-a-network"})
