"""`matcher token`: a development bearer token (RS256) signed by a local key, for trying the
service with ``MATCHER_AUTH=jwt`` (design.md §6.3). Never a production identity provider."""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROLES = {
    "plans": "ROLE_MATCHER_PLANS",
    "policy": "ROLE_MATCHER_POLICY",
    "reports": "ROLE_MATCHER_REPORTS",
    "erasure": "ROLE_MATCHER_ERASURE",
}
DEFAULT_KEY = Path("var/dev-key.pem")
DEFAULT_ISSUER = "matcher-dev"


def role_name(given: str) -> str:
    """``plans`` or ``ROLE_MATCHER_PLANS`` → ``ROLE_MATCHER_PLANS``.

    >>> role_name("policy"), role_name("ROLE_MATCHER_ERASURE")
    ('ROLE_MATCHER_POLICY', 'ROLE_MATCHER_ERASURE')
    """
    if given in ROLES.values():
        return given
    if given.lower() in ROLES:
        return ROLES[given.lower()]
    raise argparse.ArgumentTypeError(f"unknown role {given!r}: one of {', '.join(ROLES)}")


def ensure_key(path: Path) -> tuple[bytes, Path]:
    """The private key in ``path`` (PEM), made with its public half beside it if missing."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public = path.with_name(path.stem + ".pub.pem")
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
        public.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        print(f"made a key pair: {path} (private), {public} (public)", file=sys.stderr)
    return path.read_bytes(), public


def claims(args: argparse.Namespace, now: int) -> dict[str, Any]:
    made: dict[str, Any] = {
        "iss": args.issuer,
        "sub": args.user,
        "user_name": args.user,
        "client_id": args.client_id,
        "authorities": sorted(set(args.role)),
        "iat": now,
        "exp": now + args.minutes * 60,
        "jti": uuid.uuid4().hex,
    }
    if args.audience:
        made["aud"] = args.audience
    return made


def cmd_token(args: argparse.Namespace) -> int:
    import jwt

    private, public = ensure_key(Path(args.key))
    token = jwt.encode(claims(args, int(time.time())), private, algorithm="RS256")
    print(token)
    print(
        f"# serve with MATCHER_AUTH=jwt MATCHER_JWT_PUBLIC_KEY={public} "
        f"MATCHER_JWT_ISSUER={args.issuer}",
        file=sys.stderr,
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``matcher token``."""
    token = subparsers.add_parser(
        "token", help="a development bearer token signed by a local key (made if missing)"
    )
    token.add_argument(
        "--role",
        action="append",
        type=role_name,
        required=True,
        help="plans, policy, reports or erasure (or ROLE_MATCHER_…); repeat for several",
    )
    token.add_argument("--user", default="developer", help="user_name and sub (default developer)")
    token.add_argument("--client-id", default="matcher-cli", help="client_id claim")
    token.add_argument("--issuer", default=DEFAULT_ISSUER, help=f"iss (default {DEFAULT_ISSUER})")
    token.add_argument("--audience", default=None, help="aud, when the service checks one")
    token.add_argument("--minutes", type=int, default=60, help="lifetime (default 60)")
    token.add_argument(
        "--key", default=str(DEFAULT_KEY), help=f"private key PEM, made if missing ({DEFAULT_KEY})"
    )
    token.set_defaults(run=cmd_token)
