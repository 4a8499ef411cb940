"""A small, real OpenID provider for tests, on a free loopback port over HTTP, in a thread.

Written here rather than taken from PyPI: the maintained Python providers (Authlib's server
parts, oidc-provider on Django, pyop) need a web framework, a client registry and storage set up
around them; this is a page of the standard library plus PyJWT and cryptography (already
dependencies), and it lets a test ask for a broken answer (a wrong nonce, an expired token).

    with Provider() as provider:
        provider.issuer                      # http://127.0.0.1:<port>
        provider.discovery_url               # …/.well-known/openid-configuration

Endpoints: discovery, JWKS, ``/authorize`` (auto-approves the user named by ``test_user``, else
``practitioner``; ``test_fault`` breaks the ID token: nonce, expired, audience, issuer,
signature; redirects back with ``code`` and ``state``), ``/token`` (client id and secret by
Basic or form, single-use code, ``redirect_uri`` and the PKCE S256 verifier checked; an RS256 ID
token with iss, aud, nonce, exp, sub, user_name, authorities, and a JWT access token) and
``/userinfo``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

PLANS, POLICY, REPORTS = "ROLE_MATCHER_PLANS", "ROLE_MATCHER_POLICY", "ROLE_MATCHER_REPORTS"
CLIENT_ID = "matcher-pages"
CLIENT_SECRET = "a-test-secret"
ACCESS_AUDIENCE = "matcher"  # the API's MATCHER_JWT_AUDIENCE


@dataclass(frozen=True)
class User:
    """A person the provider signs in; ``roles_in`` says which token or answer carries roles."""

    sub: str
    user_name: str
    roles: tuple[str, ...]
    roles_in: str = "id_token"  # id_token | access_token | userinfo


USERS = {
    "practitioner": User("u-1001", "A.PRACTITIONER", (PLANS,)),
    "policy": User("u-1002", "P.OLICY", (POLICY, REPORTS)),
    "access-roles": User("u-1003", "B.ACCESS", (REPORTS,), roles_in="access_token"),
    "userinfo-roles": User("u-1004", "C.USERINFO", (POLICY,), roles_in="userinfo"),
}


@dataclass
class _Grant:
    user: User
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str
    fault: str | None
    made: float = field(default_factory=time.time)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Provider:
    """The provider; a context manager that starts and stops its server thread."""

    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.grants: dict[str, _Grant] = {}
        self.access_tokens: dict[str, User] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": self.jwks_url,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile"],
        }

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        """(status, headers, JSON body): a redirect with a code, or 400 saying what is wrong."""
        wrong = _authorize_problem(query, self.client_id)
        if wrong:
            return 400, {}, {"error": "invalid_request", "error_description": wrong}
        user = USERS.get(query.get("test_user", "practitioner"))
        if user is None:
            return 400, {}, {"error": "invalid_request", "error_description": "unknown test_user"}
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.grants[code] = _Grant(
                user,
                query["client_id"],
                query["redirect_uri"],
                query.get("nonce"),
                query["code_challenge"],
                query.get("test_fault"),
            )
        back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(back)}"}, {}

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) for the token endpoint."""
        client_id, secret = _client_credentials(form, authorization)
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self.lock:
            grant = self.grants.pop(form.get("code", ""), None)  # a code is used once
        if grant is None or time.time() - grant.made > 60 or grant.client_id != client_id:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if _s256(form.get("code_verifier", "")) != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier wrong"}
        access = self._access_token(grant.user)
        with self.lock:
            self.access_tokens[access] = grant.user
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 600,
            "scope": "openid profile",
            "id_token": self._id_token(grant),
        }

    def userinfo(self, authorization: str | None) -> tuple[int, dict[str, Any]]:
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self.lock:
            user = self.access_tokens.get(token)
        if user is None:
            return 401, {"error": "invalid_token"}
        info: dict[str, Any] = {"sub": user.sub, "user_name": user.user_name}
        if user.roles_in == "userinfo":
            info["authorities"] = list(user.roles)
        return 200, info

    def _id_token(self, grant: _Grant) -> str:
        now, user, fault = int(time.time()), grant.user, grant.fault
        claims: dict[str, Any] = {
            "iss": "http://elsewhere.invalid" if fault == "issuer" else self.issuer,
            "aud": "someone-else" if fault == "audience" else grant.client_id,
            "sub": user.sub,
            "user_name": user.user_name,
            "preferred_username": user.user_name.lower(),
            "iat": now - 1200 if fault == "expired" else now,
            "auth_time": now,
            "exp": now - 600 if fault == "expired" else now + 300,
        }
        if grant.nonce is not None:
            claims["nonce"] = "not-the-one-sent" if fault == "nonce" else grant.nonce
        if user.roles_in == "id_token":
            claims["authorities"] = list(user.roles)
        signer = self.key
        if fault == "signature":
            signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": self.kid})

    def _access_token(self, user: User) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": ACCESS_AUDIENCE if user.roles_in != "userinfo" else "another-api",
            "sub": user.sub,
            "user_name": user.user_name,
            "client_id": self.client_id,
            "iat": now,
            "exp": now + 600,
            "jti": secrets.token_hex(8),
        }
        if user.roles_in == "access_token":
            claims["authorities"] = list(user.roles)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


def _authorize_problem(query: dict[str, str], client_id: str) -> str | None:
    if query.get("response_type") != "code":
        return "response_type must be code"
    if query.get("client_id") != client_id:
        return "unknown client_id"
    if not query.get("redirect_uri", "").startswith(("http://127.0.0.1:", "https://")):
        return "redirect_uri is not one this client registered"
    if "openid" not in query.get("scope", "").split():
        return "scope must include openid"
    if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
        return "PKCE with S256 is required"
    return None


def _client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str]:
    if authorization and authorization.startswith("Basic "):
        try:
            pair = base64.b64decode(authorization[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        given_id, _, secret = pair.partition(":")
        return unquote_plus(given_id), unquote_plus(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._send(200, provider.discovery(), {})
            elif url.path == "/jwks":
                self._send(200, provider.jwks(), {})
            elif url.path == "/authorize":
                status, headers, body = provider.authorize(query)
                self._send(status, body, headers)
            elif url.path == "/userinfo":
                status, body = provider.userinfo(self.headers.get("Authorization"))
                self._send(status, body, {})
            else:
                self._send(404, {"error": "not_found"}, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            text = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(text).items()}
            if urlsplit(self.path).path == "/token":
                status, body = provider.token(form, self.headers.get("Authorization"))
                self._send(status, body, {"Cache-Control": "no-store"})
            else:
                self._send(404, {"error": "not_found"}, {})

    return Handler


def server_env(provider: Provider) -> dict[str, str]:
    """The environment of a server with auth on (bearer tokens from this provider) and sign-in
    configured, its session cookie allowed over the tests' plain HTTP."""
    return {
        "MATCHER_AUTH": "jwt",
        "MATCHER_JWT_JWKS_URL": provider.jwks_url,
        "MATCHER_JWT_ISSUER": provider.issuer,
        "MATCHER_JWT_AUDIENCE": ACCESS_AUDIENCE,
        "MATCHER_OIDC_DISCOVERY_URL": provider.discovery_url,
        "MATCHER_OIDC_CLIENT_ID": CLIENT_ID,
        "MATCHER_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "MATCHER_SESSION_HTTPS_ONLY": "false",
    }
