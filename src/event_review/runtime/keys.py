"""The key pair that signs central → regional calls.

Production reads both halves from settings. A development machine shares one
generated pair between its central and regional processes through the data
directory, so `make up` needs no key handling.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from event_review.contracts.signing import (
    generate_private_key_pem,
    key_id,
    load_private_key,
    load_public_keys,
)
from event_review.settings import InsecureSettingsError, Settings


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.regional_signing_key is not None:
        try:
            return load_private_key(settings.regional_signing_key.get_secret_value())
        except ValueError as exc:  # not PEM, or not Ed25519; the key itself is never shown
            raise InsecureSettingsError(
                "EVENT_REVIEW_REGIONAL_SIGNING_KEY is not an Ed25519 private key in PEM "
                f"({_first_sentence(exc)}); "
                "make one with `event-review keys generate`"
            ) from None
    if settings.is_development:
        return load_private_key(_development_key_pem(settings.data_dir))
    raise InsecureSettingsError(
        "EVENT_REVIEW_REGIONAL_SIGNING_KEY is not set; make one with `event-review keys generate`"
    )


def verification_keys(settings: Settings) -> dict[str, Ed25519PublicKey]:
    if settings.central_public_keys:
        try:
            return load_public_keys(settings.central_public_keys)
        except ValueError as exc:
            raise InsecureSettingsError(
                "EVENT_REVIEW_CENTRAL_PUBLIC_KEYS holds no usable Ed25519 public key "
                f"({_first_sentence(exc)}); "
                "give the public key printed by `event-review keys generate`"
            ) from None
    if settings.is_development:
        public = load_private_key(_development_key_pem(settings.data_dir)).public_key()
        return {key_id(public): public}
    raise InsecureSettingsError(
        "EVENT_REVIEW_CENTRAL_PUBLIC_KEYS is not set; give the public key printed by "
        "`event-review keys generate` (the centre holds the private half)"
    )


def _first_sentence(exc: Exception) -> str:
    return str(exc).split(". ")[0].rstrip(".")


def _development_key_pem(data_dir: Path) -> str:
    path = data_dir / "dev-keys" / "regional-signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and linked into place: of several processes starting at
        # once, exactly one key wins and nobody reads a half-written file.
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(generate_private_key_pem())
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return path.read_text()
