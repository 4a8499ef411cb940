"""`matcher replan`: a caseload planned on every core gives, line for line, what one process
gives; a line that is not an assessment is reported where it was, never fatal."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from matcher.cli.main import main
from matcher.model.contract import Assessment
from matcher.model.errors import MatcherError
from matcher.planning.planner import plan
from matcher.reports import synth
from matcher.reports.caseload import Folders, each_case, lines_of, plan_json
from matcher.rulebook.book import Rulebook
from tests.conftest import CATALOGUE, RULES, TODAY


@pytest.fixture(scope="module")
def caseload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("caseload") / "cases.jsonl"
    bodies = [json.dumps(b) for b in synth.generate(450, 7, synth.load_profile())]
    bodies.insert(300, '{"person_id": "NOT-AN-ASSESSMENT"}')  # in the second chunk
    path.write_text("\n".join(bodies) + "\n", encoding="utf-8")
    return path


def _replan(caseload: Path, out: Path, workers: int) -> int:
    args = ["replan", str(caseload), "--out", str(out), "--today", TODAY.isoformat()]
    return main([*args, "--workers", str(workers)])


def test_every_core_gives_what_one_process_gives(
    caseload: Path, tmp_path: Path, rulebook: Rulebook, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert _replan(caseload, one, 1) == 2  # a line was not planned
    assert _replan(caseload, two, 2) == 2
    assert "450 planned, 1 not planned" in capsys.readouterr().err
    assert one.read_bytes() == two.read_bytes()
    lines = two.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 451
    assert json.loads(lines[300])["line"] == 301 and "error" in json.loads(lines[300])
    first = Assessment.model_validate_json(caseload.read_text(encoding="utf-8").splitlines()[0])
    expected = plan(first, rulebook, today=TODAY).model_dump_json(exclude_none=True)
    assert lines[0] == expected


def test_a_worker_that_cannot_start_stops_the_run_with_an_error_never_a_hang(
    caseload: Path, rulebook: Rulebook
) -> None:
    """Workers load the rules from the folders; if those are not the rules the run began with
    (changed under it), each worker refuses to start and the run stops with an error."""
    stale = SimpleNamespace(version="sha256:not-these-rules")
    folders = [Folders(RULES, CATALOGUE)]
    with pytest.raises(MatcherError, match="worker process stopped"):
        list(each_case(plan_json, lines_of(caseload), folders, TODAY, 2, [stale]))  # type: ignore[list-item]
