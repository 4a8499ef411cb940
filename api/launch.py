"""``python -m api.launch`` (what ``make run`` starts): uvicorn with the service's limits, after
refusing a bind that would expose the service without auth (design.md §6.3).

On a loopback address auth may stay off (the default: one command for a developer). On any other
address the service starts only with ``MATCHER_AUTH=jwt``, or with ``MATCHER_AUTH=off`` set
explicitly by someone who has put it behind something else that authenticates.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import sys
from collections.abc import Mapping, MutableMapping, Sequence

from pydantic import ValidationError

from api.settings import Settings

KEEP_ALIVE_SECONDS = 5  # an idle connection is closed after this
LIMIT_CONCURRENCY = 200  # connections and tasks a worker takes on before answering 503


def is_loopback(host: str) -> bool:
    """Whether a bind address only this machine can reach.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.0.0.5", "")]
    [True, True, True, False, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def refusal(host: str, env: Mapping[str, str]) -> str | None:
    """Why the service must not start on ``host`` with this environment, or None."""
    auth = env.get("MATCHER_AUTH", "")
    if auth not in ("", "off", "jwt"):
        return f"MATCHER_AUTH must be off or jwt, not {auth!r}"
    if auth == "" and not is_loopback(host):
        return (
            f"refusing to listen on {host} without auth: anyone who can reach it could read every "
            "plan. Set MATCHER_AUTH=jwt with MATCHER_JWT_ISSUER and MATCHER_JWT_PUBLIC_KEY (or "
            "MATCHER_JWT_JWKS_URL); or, only behind something else that authenticates, "
            "MATCHER_AUTH=off explicitly"
        )
    try:
        Settings.from_env(env)
    except (ValidationError, ValueError) as error:
        return f"settings: {error}"
    return None


def shared_keys(env: MutableMapping[str, str]) -> None:
    """Keys every worker must share, made once here when the operator has not set them: the
    session cookie's (a form's CSRF token must check on whichever worker answers) and the log's
    HMAC (one person, one hash, across workers). Workers inherit the environment."""
    for name in ("MATCHER_SESSION_KEY", "MATCHER_LOG_KEY"):
        if not env.get(name):
            env[name] = secrets.token_urlsafe(32)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.launch", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--limit-concurrency", type=int, default=LIMIT_CONCURRENCY)
    args = parser.parse_args(argv)
    env = os.environ if env is None else env
    why = refusal(args.host, env)
    if why is not None:
        print(f"matcher: {why}", file=sys.stderr)
        return 2
    shared_keys(os.environ)
    import uvicorn

    uvicorn.run(
        "api.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        limit_concurrency=args.limit_concurrency,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        server_header=False,  # no banner naming the server and its version
        date_header=True,
        access_log=False,  # ours (matcher.access) names the caller and hashes the person id
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
