from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from event_review.contracts.signing import (
    SignatureError,
    generate_private_key_pem,
    key_id,
    load_private_key,
    load_public_keys,
    public_key_pem,
    sign_call,
    verify_call,
)

KEY = load_private_key(generate_private_key_pem())
KEYS = load_public_keys(public_key_pem(KEY))
CALL = {"region_code": "eu", "method": "GET", "external_event_id": "eu-1"}


def sign(**overrides: object) -> str:
    return sign_call(KEY, **{**CALL, **overrides})  # type: ignore[arg-type]


def verify(token: str, **overrides: object) -> object:
    return verify_call(token, KEYS, **{**CALL, **overrides})  # type: ignore[arg-type]


def refusal(token: str, **overrides: object) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify(token, **overrides)
    return caught.value


def test_a_signed_call_verifies_for_its_region_method_and_event() -> None:
    call = verify(sign())
    assert call.region_code == "eu"  # type: ignore[attr-defined]
    assert call.method == "GET"  # type: ignore[attr-defined]
    assert len(call.token_id) == 32  # type: ignore[attr-defined]


def test_every_token_is_unique() -> None:
    assert sign() != sign()


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"region_code": "us"}, 403, "wrong_region"),
        ({"method": "POST"}, 403, "wrong_scope"),
        ({"external_event_id": "eu-2"}, 403, "wrong_scope"),
    ],
)
def test_a_token_is_bound_to_its_scope(overrides: dict[str, str], status: int, code: str) -> None:
    error = refusal(sign(), **overrides)
    assert (error.status_code, error.code) == (status, code)


def test_clock_skew_is_tolerated_but_expiry_is_not() -> None:
    now = datetime.now(UTC)
    # Issued by a centre whose clock runs 20 s ahead: accepted.
    verify(sign(now=now + timedelta(seconds=20)))
    # Expired 10 s ago: inside the 30 s leeway, still accepted.
    verify(sign(now=now - timedelta(seconds=70)))
    # Expired 40 s ago: refused.
    error = refusal(sign(now=now - timedelta(seconds=100)))
    assert (error.status_code, error.code) == (401, "expired_signature")
    # Issued a minute in the future: refused (not yet valid).
    assert refusal(sign(now=now + timedelta(seconds=61))).status_code == 401


def test_another_key_is_refused() -> None:
    other = load_private_key(generate_private_key_pem())
    token = sign_call(other, **CALL)  # type: ignore[arg-type]
    assert refusal(token).code == "bad_signature"


def test_tampered_and_forged_tokens_are_refused() -> None:
    header, _payload, signature = sign().split(".")
    claims = jwt.decode(sign(), options={"verify_signature": False})
    forged_payload = jwt.encode({**claims, "sub": "eu-2"}, "k" * 32).split(".")[1]
    public_raw = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = key_id(KEY.public_key())
    cases = {
        "garbage": "not-a-token",
        "swapped payload": f"{header}.{forged_payload}.{signature}",
        "alg none": jwt.encode(claims, None, algorithm="none", headers={"kid": kid}),  # type: ignore[arg-type]
        # The classic confusion: HMAC keyed with the public key.
        "hs256 with public key": hs256_by_hand(claims, public_raw, kid),
        "missing jti": sign_without("jti", claims, kid),
    }
    for name, token in cases.items():
        assert refusal(token).status_code == 401, name


def hs256_by_hand(claims: dict[str, object], secret: bytes, kid: str) -> str:
    """PyJWT itself refuses to build this token, so build it the way an attacker would."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def sign_without(claim: str, claims: dict[str, object], kid: str) -> str:
    return jwt.encode(
        {k: v for k, v in claims.items() if k != claim},
        KEY,
        algorithm="EdDSA",
        headers={"kid": kid},
    )


def test_rotation_accepts_both_keys_of_a_bundle() -> None:
    new = load_private_key(generate_private_key_pem())
    bundle = load_public_keys(public_key_pem(KEY) + "\n" + public_key_pem(new))
    assert len(bundle) == 2
    for key in (KEY, new):
        verify_call(sign_call(key, **CALL), bundle, **CALL)  # type: ignore[arg-type]


def test_a_bundle_without_keys_is_an_error() -> None:
    with pytest.raises(ValueError, match="no PEM public key"):
        load_public_keys("nothing here")
