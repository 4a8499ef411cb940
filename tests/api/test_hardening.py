"""The service as an attacker meets it, over HTTP against the real server started as `make run`
starts it (python -m api.launch): 413 that every client sees, a trickled body cut off, security
headers and no banner, Swagger UI with no CDN and a nonce, a log that names the caller and never
the person, a launcher that will not expose the service without auth."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from api.auth import PLANS
from api.launch import is_loopback, refusal, shared_keys
from tests.api.conftest import ROOT, TODAY, variant
from tests.api.server import running_server
from tests.api.tokens import bearer, server_env, token

LOG_KEY = "test-log-key"
TWENTY_MB = 20 * 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("hardened")
    log = folder / "server.log"
    env = {
        **server_env(),
        "MATCHER_DATABASE_URL": f"sqlite:///{folder}/matcher.db",
        "MATCHER_LOG_KEY": LOG_KEY,
        "MATCHER_BODY_TIMEOUT_SECONDS": "1",
    }
    with running_server(env=env, log=log) as (base, _):
        yield base, log


pytestmark = pytest.mark.slow


def test_an_oversized_body_gets_a_413_whichever_client_sends_it(server: Any) -> None:
    base, _ = server
    body = b"[" + b"0," * (TWENTY_MB // 2) + b"0]"
    headers = {"Content-Type": "application/json", **bearer(token(PLANS))}
    asked = urllib.request.Request(f"{base}/v1/plans", data=body, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(asked, timeout=30)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["code"] == "payload_too_large"
    assert (
        requests.post(f"{base}/v1/plans", data=body, headers=headers, timeout=30).status_code == 413
    )
    assert (
        httpx.post(f"{base}/v1/plans", content=body, headers=headers, timeout=30).status_code == 413
    )

    def chunks() -> Any:  # no Content-Length: the limit is found while reading
        for _ in range(20):
            yield b" " * 2**20

    streamed = httpx.post(f"{base}/v1/plans", content=chunks(), headers=headers, timeout=30)
    assert streamed.status_code == 413
    assert httpx.get(f"{base}/healthz").status_code == 200


def test_a_body_that_trickles_in_is_cut_off_with_a_408(server: Any) -> None:
    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /v1/plans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + token(PLANS).encode() + b"\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        started = time.monotonic()
        answer = b""
        while chunk := connection.recv(65536):  # the server closes the connection after it
            answer += chunk
    answer_text = answer.decode()
    assert answer_text.startswith("HTTP/1.1 408"), answer_text[:200]
    assert "request_timeout" in answer_text and time.monotonic() - started < 8


def test_responses_carry_security_headers_and_no_server_banner(server: Any, example: Any) -> None:
    base, _ = server
    response = httpx.post(
        f"{base}/v1/plans",
        json=example,
        params={"store": "false", "today": TODAY},
        headers=bearer(token(PLANS)),
    )
    assert response.status_code == 200
    for got in (response, httpx.get(f"{base}/healthz"), httpx.get(f"{base}/v1/rules")):
        assert "server" not in got.headers
        assert got.headers["cache-control"] == "no-store"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in got.headers["content-security-policy"]


def test_swagger_ui_comes_from_this_server_with_a_nonce_for_its_one_inline_script(
    server: Any,
) -> None:
    base, _ = server
    page = httpx.get(f"{base}/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    inline = re.findall(r"<script(?![^>]*src=)([^>]*)>", page.text)
    assert inline and all(f'nonce="{nonce.group(1)}"' in attributes for attributes in inline)
    assert "http" not in page.text  # nothing from a CDN, nor anywhere else
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert httpx.get(f"{base}{asset}").status_code == 200, asset
    assert httpx.get(f"{base}/docs").headers["content-security-policy"] != policy  # fresh nonce
    assert httpx.get(f"{base}/redoc").status_code == 404  # ReDoc only comes from a CDN


def test_the_log_names_the_caller_and_a_keyed_hash_of_the_person_never_the_id(
    server: Any, example: dict[str, Any]
) -> None:
    base, log = server
    person = "ZLOG9876"
    headers = bearer(token(PLANS, user_name="J.SMITH", client_id="delius"))
    made = httpx.post(
        f"{base}/v1/plans", json=variant(example, person_id=person), headers=headers, timeout=30
    )
    assert made.status_code == 200, made.text
    read = httpx.get(f"{base}/v1/people/{person}/plans", headers=headers)
    assert read.status_code == 200
    time.sleep(0.5)  # the log is written after the response
    text = log.read_text()
    assert person not in text
    digest = hmac.new(LOG_KEY.encode(), person.encode(), hashlib.sha256).hexdigest()[:16]
    lines = [line for line in text.splitlines() if f"person={digest}" in line]
    assert len(lines) == 2, text[-2000:]
    assert all("caller=J.SMITH" in line and "client=delius" in line for line in lines)
    assert "GET /v1/people/{person_id}/plans 200" in lines[1]
    assert made.headers["x-correlation-id"] in lines[0]


def test_the_launcher_refuses_a_public_bind_without_auth() -> None:
    launched = subprocess.run(
        [sys.executable, "-m", "api.launch", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert launched.returncode == 2
    assert "refusing to listen on 0.0.0.0 without auth" in launched.stderr


@pytest.mark.parametrize(
    "host, env, refused",
    [
        ("127.0.0.1", {}, None),
        ("::1", {}, None),
        ("0.0.0.0", {}, "without auth"),
        ("matcher.internal", {}, "without auth"),
        ("0.0.0.0", {"MATCHER_AUTH": "off"}, None),  # said explicitly: something else guards it
        ("0.0.0.0", {"MATCHER_AUTH": "jwt"}, "MATCHER_JWT_PUBLIC_KEY"),
        ("0.0.0.0", {"MATCHER_AUTH": "yes"}, "must be off or jwt"),
    ],
)
def test_which_binds_the_launcher_allows(
    host: str, env: dict[str, str], refused: str | None
) -> None:
    why = refusal(host, env)
    assert (why is None) if refused is None else (why is not None and refused in why)


def test_the_launcher_gives_every_worker_the_same_session_and_log_keys() -> None:
    env: dict[str, str] = {"MATCHER_LOG_KEY": "given"}
    shared_keys(env)
    assert env["MATCHER_LOG_KEY"] == "given" and len(env["MATCHER_SESSION_KEY"]) >= 32
    again = dict(env)
    shared_keys(again)
    assert again == env  # made once, then kept


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.2") and is_loopback("[::1]") and not is_loopback("192.168.1.1")


def test_make_run_starts_the_service_through_the_launcher() -> None:
    assert "python -m api.launch" in (ROOT / "Makefile").read_text()
    assert Path(ROOT / "api" / "launch.py").exists()
