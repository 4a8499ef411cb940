"""`matcher token`: a development token that the service's own verifier accepts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from api.auth import PLANS, POLICY, Authenticator
from api.settings import Settings
from matcher.cli.main import main


def test_a_minted_token_is_accepted_by_the_service_with_its_roles_and_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "keys" / "dev.pem"
    assert (
        main(["token", "--role", "plans", "--role", POLICY, "--user", "j.smith", "--key", str(key)])
        == 0
    )
    token = capsys.readouterr().out.strip()
    public = tmp_path / "keys" / "dev.pub.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and public.exists()
    settings = Settings(auth="jwt", jwt_public_key=public, jwt_issuer="matcher-dev")
    caller = Authenticator(settings).caller(token)
    assert caller.name == "j.smith" and caller.roles == {PLANS, POLICY}
    # the same key is used again, not replaced
    assert main(["token", "--role", "reports", "--key", str(key)]) == 0
    assert Authenticator(settings).caller(capsys.readouterr().out.strip()).name == "developer"


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["token", "--role", "admin", "--key", str(tmp_path / "k.pem")])
