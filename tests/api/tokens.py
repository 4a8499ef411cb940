"""A test identity provider: one RSA key for the session, its public half in a PEM file, and
tokens shaped as HMPPS Auth issues them (``authorities``, ``user_name``, ``client_id``)."""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.settings import Settings

ISSUER = "https://sign-in.test/auth/issuer"
AUDIENCE = "matcher"


@functools.cache
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def public_pem() -> Path:
    path = Path(tempfile.mkdtemp(prefix="matcher-keys-")) / "public.pem"
    path.write_bytes(
        key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def token(*roles: str, signer: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
    """A token with ``roles`` in ``authorities``; a claim given as None is left out."""
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "client-cms",
        "user_name": "A.PRACTITIONER",
        "client_id": "case-management",
        "authorities": list(roles),
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    kept = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(kept, signer or key(), algorithm="RS256")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def settings(**given: Any) -> Settings:
    """Settings with auth on, trusting the test key."""
    return Settings(
        auth="jwt", jwt_public_key=public_pem(), jwt_issuer=ISSUER, jwt_audience=AUDIENCE, **given
    )


def server_env() -> dict[str, str]:
    """The environment for a real server with auth on, trusting the test key."""
    return {
        "MATCHER_AUTH": "jwt",
        "MATCHER_JWT_PUBLIC_KEY": str(public_pem()),
        "MATCHER_JWT_ISSUER": ISSUER,
        "MATCHER_JWT_AUDIENCE": AUDIENCE,
    }
