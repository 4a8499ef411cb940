"""Who may call what (design.md §6.3): bearer JWTs verified with PyJWT, roles per operation.

``MATCHER_AUTH=off`` (the default, for loopback) lets everyone in as ``anonymous`` with every
role; ``MATCHER_AUTH=jwt`` verifies RS256 tokens against a PEM public key or a JWKS URL, with the
issuer, the audience when one is configured, and the expiry. Roles come from the ``authorities``
claim (as HMPPS Auth issues them) or ``roles``; the caller's name from ``user_name``, else ``sub``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.settings import Settings

logger = logging.getLogger("matcher.api")

PLANS = "ROLE_MATCHER_PLANS"
POLICY = "ROLE_MATCHER_POLICY"
REPORTS = "ROLE_MATCHER_REPORTS"
ERASURE = "ROLE_MATCHER_ERASURE"
ALL_ROLES = (PLANS, POLICY, REPORTS, ERASURE)
LEEWAY_SECONDS = 30  # clock skew between the identity provider and this machine

bearer = HTTPBearer(
    auto_error=False,
    description="A JWT (RS256) from the identity provider; roles in `authorities` or `roles`.",
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the name recorded as ``requested_by``/``by``, the client, the roles."""

    name: str
    client_id: str | None
    roles: frozenset[str]


ANONYMOUS = Caller("anonymous", None, frozenset(ALL_ROLES))


def _unauthorised(why: str) -> ApiError:
    return ApiError(
        401,
        f"{why}: send Authorization: Bearer <token> from the identity provider",
        code="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="matcher"'},
    )


def _public_key(path: Path) -> Any:
    """The RSA public key in a PEM file, or a start-up error naming the file."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as error:
        raise ValueError(f"MATCHER_JWT_PUBLIC_KEY: cannot read {path}: {error.strerror}") from error
    except ValueError as error:
        raise ValueError(f"MATCHER_JWT_PUBLIC_KEY: {path} is not a PEM public key") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"MATCHER_JWT_PUBLIC_KEY: {path} is not an RSA key (tokens are RS256)")
    return key


def _text_claim(claims: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value[:200]
    return None


def _roles(claims: dict[str, Any]) -> frozenset[str]:
    """The roles in ``authorities`` and ``roles`` (lists of strings; anything else is none)."""
    found: set[str] = set()
    for name in ("authorities", "roles"):
        value = claims.get(name)
        if isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return frozenset(found)


class Authenticator:
    """Verifies bearer tokens as the settings say; one per app."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.auth == "jwt"
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._key: Any = None
        self._jwks: jwt.PyJWKClient | None = None
        if not self.enabled:
            return
        if settings.jwt_public_key is not None:
            self._key = _public_key(settings.jwt_public_key)
        else:
            assert settings.jwt_jwks_url is not None  # Settings checks one of the two is given
            self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=300)

    def caller(self, token: str | None) -> Caller:
        """The caller a token names, or 401 saying what is wrong with it."""
        if not self.enabled:
            return ANONYMOUS
        if not token:
            raise _unauthorised("no bearer token")
        try:
            key = self._key if self._jwks is None else self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                audience=self._audience,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["exp", "iss"],
                    "verify_aud": self._audience is not None,
                },
            )
        except jwt.ExpiredSignatureError as error:
            raise _unauthorised("the token has expired") from error
        except jwt.InvalidIssuerError as error:
            raise _unauthorised("the token's issuer is not the one this service trusts") from error
        except jwt.InvalidAudienceError as error:
            raise _unauthorised("the token is not meant for this service (audience)") from error
        except jwt.PyJWKClientError as error:
            logger.warning("token signing key not found: %s", error)
            raise _unauthorised("the token's signing key is not known") from error
        except jwt.InvalidTokenError as error:
            raise _unauthorised(f"the token is not valid ({type(error).__name__})") from error
        name = _text_claim(claims, "user_name", "sub")
        if name is None:
            raise _unauthorised("the token names nobody (no user_name or sub)")
        return Caller(name, _text_claim(claims, "client_id", "azp"), _roles(claims))


def requires(*roles: str) -> Callable[..., Caller]:
    """A dependency admitting callers with any of ``roles``; records the caller on the request."""
    wanted = frozenset(roles)

    def admit(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        authenticator: Authenticator = request.app.state.auth
        caller = authenticator.caller(credentials.credentials if credentials else None)
        request.state.caller, request.state.client_id = caller.name, caller.client_id
        if not caller.roles & wanted:
            raise ApiError(
                403,
                f"{caller.name} may not do this: it needs the role {' or '.join(sorted(wanted))}",
                code="forbidden",
            )
        return caller

    return admit


Plans = Depends(requires(PLANS))
Policy = Depends(requires(POLICY))
Reports = Depends(requires(REPORTS))
Erasure = Depends(requires(ERASURE))
AnyRole = Depends(requires(*ALL_ROLES))
