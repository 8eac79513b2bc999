"""The key pair that signs the centre's calls, loaded as production loads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from event_review.contracts import signing
from event_review.runtime.keys import signing_key, verification_keys
from event_review.settings import Environment, InsecureSettingsError, Settings
from tests.fixtures.cli import run_cli


def production(**values: str) -> Settings:
    return Settings(environment=Environment.PRODUCTION, **values)  # type: ignore[arg-type]


def rsa_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_production_signs_with_the_configured_key_and_regions_verify_with_a_bundle() -> None:
    current, retired = signing.generate_private_key_pem(), signing.generate_private_key_pem()
    bundle = "\n".join(
        signing.public_key_pem(signing.load_private_key(pem)) for pem in (retired, current)
    )
    centre = signing_key(production(regional_signing_key=current))
    region = verification_keys(production(central_public_keys=bundle))

    assert len(region) == 2
    for key in (centre, signing.load_private_key(retired)):
        token = signing.sign_call(key, region_code="eu", method="GET", external_event_id="e-1")
        call = signing.verify_call(
            token, region, region_code="eu", method="GET", external_event_id="e-1"
        )
        assert call.external_event_id == "e-1"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("regional_signing_key", "not a key at all"),
        ("regional_signing_key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        ("regional_signing_key", "RSA"),  # replaced below: an RSA key, valid PEM, wrong kind
        ("central_public_keys", "not a key at all"),
        ("central_public_keys", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
    ],
    ids=["private-garbage", "private-bad-pem", "private-rsa", "public-garbage", "public-bad-pem"],
)
def test_a_key_that_is_no_ed25519_pem_stops_the_process_with_a_clear_message(
    setting: str, value: str
) -> None:
    if value == "RSA":
        value = rsa_private_pem()
    settings = production(**{setting: value})
    load = signing_key if setting == "regional_signing_key" else verification_keys

    with pytest.raises(InsecureSettingsError) as refused:
        load(settings)

    message = str(refused.value)
    assert f"EVENT_REVIEW_{setting.upper()}" in message
    assert "keys generate" in message
    assert value not in message  # the key material is never echoed


@pytest.mark.parametrize("load", [signing_key, verification_keys])
def test_production_without_keys_names_the_setting(load: object) -> None:
    with pytest.raises(InsecureSettingsError, match="EVENT_REVIEW_"):
        load(production())  # type: ignore[operator]


def test_development_shares_one_generated_pair_through_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path)
    private = signing_key(settings)
    public = verification_keys(settings)

    assert signing_key(settings).public_key() == private.public_key()
    assert next(iter(public.values())) == private.public_key()
    assert (tmp_path / "dev-keys" / "regional-signing-key.pem").stat().st_mode & 0o077 == 0


def test_serve_with_a_malformed_signing_key_exits_with_the_reason(tmp_path: Path) -> None:
    result = run_cli(
        None,
        "serve",
        "review",
        env={
            "EVENT_REVIEW_ENVIRONMENT": "production",
            "EVENT_REVIEW_JWT_SECRET": "j" * 40,
            "EVENT_REVIEW_REGIONAL_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n",
            "EVENT_REVIEW_DATA_DIR": str(tmp_path),
        },
    )

    assert result.returncode == 1, str(result)
    assert "EVENT_REVIEW_REGIONAL_SIGNING_KEY is not an Ed25519 private key" in result.stderr
    assert "Traceback" not in result.stderr
