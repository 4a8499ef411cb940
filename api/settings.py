"""Typed settings read once from the environment (MATCHER_*), injected into the app."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from matcher.rulebook.paths import DEFAULT_CATALOGUE, DEFAULT_RULES
from matcher.store.database import DEFAULT_DATABASE

_TRUE = {"1", "true", "yes", "on"}


class Settings(BaseModel):
    """Where the rulebook lives and the limits the service enforces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules_dir: Path = DEFAULT_RULES
    catalogue_dir: Path = DEFAULT_CATALOGUE
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_batch: int = Field(default=500, ge=1, le=10_000)
    max_batch_explain: int = Field(default=20, ge=0, le=10_000)  # traces are large: cap them
    body_timeout_seconds: float = Field(default=30.0, gt=0)  # a body that trickles in is cut off
    bench_endpoints: bool = False
    # stored plans (design.md §6.2): an embedded SQLite file unless MATCHER_DATABASE_URL says
    database_url: str = DEFAULT_DATABASE
    base_url: str = "http://127.0.0.1:8000"  # where other systems reach this service (events)
    retention_days: int | None = Field(default=None, ge=1)
    # who may call what (design.md §6.3)
    auth: Literal["off", "jwt"] = "off"
    jwt_public_key: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    log_key: SecretStr | None = (
        None  # keys the HMAC of person ids in logs; random per start if unset
    )
    # signs the pages' session cookie (design.md §6.5); random per start if unset, so sessions
    # end at a restart and do not cross workers
    session_key: SecretStr | None = None

    @model_validator(mode="after")
    def _auth_is_complete(self) -> Settings:
        if self.auth == "jwt":
            if (self.jwt_public_key is None) == (self.jwt_jwks_url is None):
                raise ValueError(
                    "MATCHER_AUTH=jwt needs one of MATCHER_JWT_PUBLIC_KEY (a PEM file) or MATCHER_JWT_JWKS_URL"
                )
            if not self.jwt_issuer:
                raise ValueError("MATCHER_AUTH=jwt needs MATCHER_JWT_ISSUER (the token issuer)")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``MATCHER_*`` variables; unset or empty ones keep their defaults."""
        env = os.environ if env is None else env
        given = {
            "rules_dir": env.get("MATCHER_RULES_DIR"),
            "catalogue_dir": env.get("MATCHER_CATALOGUE_DIR"),
            "max_body_bytes": env.get("MATCHER_MAX_BODY_BYTES"),
            "max_batch": env.get("MATCHER_MAX_BATCH"),
            "max_batch_explain": env.get("MATCHER_MAX_BATCH_EXPLAIN"),
            "body_timeout_seconds": env.get("MATCHER_BODY_TIMEOUT_SECONDS"),
            "database_url": env.get("MATCHER_DATABASE_URL"),
            "base_url": env.get("MATCHER_BASE_URL"),
            "retention_days": env.get("MATCHER_RETENTION_DAYS"),
            "auth": env.get("MATCHER_AUTH"),
            "jwt_public_key": env.get("MATCHER_JWT_PUBLIC_KEY"),
            "jwt_jwks_url": env.get("MATCHER_JWT_JWKS_URL"),
            "jwt_issuer": env.get("MATCHER_JWT_ISSUER"),
            "jwt_audience": env.get("MATCHER_JWT_AUDIENCE"),
            "log_key": env.get("MATCHER_LOG_KEY"),
            "session_key": env.get("MATCHER_SESSION_KEY"),
        }
        if env.get("MATCHER_ADMIN_TOKEN"):  # an operator relying on it must not get an open reload
            raise ValueError(
                "MATCHER_ADMIN_TOKEN is no longer read: reloading needs the role ROLE_MATCHER_POLICY "
                "(MATCHER_AUTH=jwt, design.md §6.3); unset it"
            )
        values: dict[str, object] = {k: v for k, v in given.items() if v}
        values["bench_endpoints"] = env.get("MATCHER_BENCH_ENDPOINTS", "").lower() in _TRUE
        return cls.model_validate(values)
