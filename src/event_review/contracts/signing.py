"""Signed calls from the centre to a region.

The centre signs each call with its Ed25519 private key; a region holds only
public keys, so a compromised region cannot mint calls to another region. A
token is bound to one region, one HTTP method and one event, lives for a
minute, and carries a unique id so a region can refuse replays.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
ISSUER = "event-review-central"
TOKEN_LIFETIME = timedelta(seconds=60)
CLOCK_SKEW = timedelta(seconds=30)
SIGNATURE_HEADER = "Authorization"


class SignatureError(Exception):
    """The call is not signed by the centre for this region, method and event."""

    def __init__(self, message: str, *, status_code: int = 401, code: str = "bad_signature"):
        super().__init__(message)
        self.status_code = status_code
        self.code = code


def audience(region_code: str) -> str:
    return f"event-review-region:{region_code}"


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_private_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def load_private_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the regional signing key must be an Ed25519 private key (PEM)")
    return key


def public_key_pem(private_key: Ed25519PrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_public_keys(pem_bundle: str) -> dict[str, Ed25519PublicKey]:
    """Every public key in a PEM bundle, by key id (several during a rotation)."""
    keys: dict[str, Ed25519PublicKey] = {}
    marker = "-----END PUBLIC KEY-----"
    for block in pem_bundle.split(marker):
        if "-----BEGIN PUBLIC KEY-----" not in block:
            continue
        key = serialization.load_pem_public_key((block.strip() + "\n" + marker + "\n").encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("central public keys must be Ed25519 keys (PEM)")
        keys[key_id(key)] = key
    if not keys:
        raise ValueError("no PEM public key found")
    return keys


@dataclass(frozen=True)
class RegionalCall:
    region_code: str
    method: str
    external_event_id: str
    token_id: str
    expires_at: datetime


def sign_call(
    private_key: Ed25519PrivateKey,
    *,
    region_code: str,
    method: str,
    external_event_id: str,
    now: datetime | None = None,
    lifetime: timedelta = TOKEN_LIFETIME,
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": audience(region_code),
        "sub": external_event_id,
        "htm": method.upper(),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    headers = {"kid": key_id(private_key.public_key())}
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers=headers)


def verify_call(
    token: str,
    public_keys: dict[str, Ed25519PublicKey],
    *,
    region_code: str,
    method: str,
    external_event_id: str,
    leeway: timedelta = CLOCK_SKEW,
) -> RegionalCall:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SignatureError("the call signature is not a valid token") from exc
    key = public_keys.get(str(header.get("kid", "")))
    if key is None:
        raise SignatureError("the call is signed with an unknown key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],  # pinned: no "none", no HMAC with a public key
            audience=audience(region_code),
            issuer=ISSUER,
            leeway=leeway,
            options={"require": ["exp", "iat", "nbf", "aud", "iss", "sub", "htm", "jti"]},
        )
    except jwt.InvalidAudienceError as exc:
        raise SignatureError(
            "the call is signed for another region", status_code=403, code="wrong_region"
        ) from exc
    except jwt.ExpiredSignatureError as exc:
        raise SignatureError("the call signature has expired", code="expired_signature") from exc
    except jwt.PyJWTError as exc:
        raise SignatureError("the call signature is not valid") from exc
    if claims["htm"] != method.upper() or claims["sub"] != external_event_id:
        raise SignatureError(
            "the call is signed for another method or event", status_code=403, code="wrong_scope"
        )
    return RegionalCall(
        region_code=region_code,
        method=method.upper(),
        external_event_id=external_event_id,
        token_id=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC) + leeway,
    )
