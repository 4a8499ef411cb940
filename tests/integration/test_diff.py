"""`matcher diff`: two rule folders differing by one rule → exactly the plans that change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from matcher.cli.main import main
from matcher.model.contract import Assessment
from matcher.planning.planner import plan
from matcher.reports.diff import Case, comparable, diff, render
from matcher.reports.provision import moved, seen, tally
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Rulebook
from tests.conftest import CATALOGUE, RULES, TODAY

OLD_RULE = "then: {recommend: {interventions: [crs_accommodation], weight: 2}}"
NEW_RULE = "then: {recommend: {interventions: [cas3_temporary_accommodation], weight: 4}}"

NEED_SETS = [
    [{"area": "accommodation", "severity": 2}],
    [{"area": "accommodation", "severity": 1, "linked_to_offending": True}],
    [{"area": "accommodation", "severity": 2}, {"area": "ete", "severity": 2}],
    [{"area": "ete", "severity": 2}],
    [{"area": "thinking_behaviour", "severity": 2, "linked_to_offending": True}],
    [
        {"area": "finance", "severity": 2},
        {"area": "drugs", "severity": 1, "linked_to_offending": True},
    ],
]


def caseload(base: dict[str, Any]) -> list[dict[str, Any]]:
    cases = []
    for index, needs in enumerate(NEED_SETS):
        for region in ("north_east", "london", "wales"):
            for gender in ("male", "female"):
                cases.append(
                    {
                        **base,
                        "person_id": f"C{index}-{region}-{gender}",
                        "region": region,
                        "gender": gender,
                        "needs": needs,
                    }
                )
    return cases


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("diff")
    shutil.copytree(RULES, root / "old")
    shutil.copytree(RULES, root / "new")
    provision = root / "new" / "rulesets" / "45_provision.yaml"
    text = provision.read_text(encoding="utf-8")
    assert text.count(OLD_RULE) == 1
    provision.write_text(text.replace(OLD_RULE, NEW_RULE), encoding="utf-8")
    return root / "old", root / "new"


@pytest.fixture(scope="module")
def books(folders: tuple[Path, Path]) -> tuple[Rulebook, Rulebook]:
    old, new = folders
    return (
        rulebook_module.load(old, CATALOGUE, probe=False),
        rulebook_module.load(new, CATALOGUE, probe=False),
    )


@pytest.fixture()
def caseload_file(tmp_path: Path, base: dict[str, Any]) -> Path:
    path = tmp_path / "caseload.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in caseload(base)) + "\n", encoding="utf-8")
    return path


def expected_changes(books: tuple[Rulebook, Rulebook], cases: list[dict[str, Any]]) -> set[str]:
    """Independently: plan each case under both rulebooks and compare the plans field by field."""
    changed = set()
    for raw in cases:
        assessment = Assessment.model_validate(raw)
        old = plan(assessment, books[0], today=TODAY).model_dump(mode="json")
        new = plan(assessment, books[1], today=TODAY).model_dump(mode="json")
        for p in (old, new):
            p.pop("rules_version")
        if old != new:
            changed.add(raw["person_id"])
    return changed


def test_both_versions_load_in_one_process(books: tuple[Rulebook, Rulebook]) -> None:
    assert books[0].version != books[1].version


def test_diff_reports_exactly_the_changed_plans(
    books: tuple[Rulebook, Rulebook], base: dict[str, Any]
) -> None:
    cases = caseload(base)
    report = diff(
        books[0],
        books[1],
        [Case(n, Assessment.model_validate(c)) for n, c in enumerate(cases, 1)],
        TODAY,
    )
    expected = expected_changes(books, cases)
    assert expected, "the changed rule should change some plans"
    assert len(expected) < len(cases), "and leave others alone"
    assert {c["person_id"] for c in report["changes"]} == expected
    assert report["changed"] == len(expected)
    assert report["cases"] == report["planned"] == len(cases)
    assert report["interventions"]["added"].get("cas3_temporary_accommodation", 0) >= 1
    assert report["interventions"]["dropped"].get("crs_accommodation", 0) >= 1
    assert report["by_need_area"]["accommodation"]["added"] >= 1
    assert sum(r["changed"] for r in report["by_region"].values()) == len(expected)
    assert set(report["by_region"]) == {"north_east", "london", "wales"}


def test_a_rulebook_compared_with_itself_changes_nothing(
    books: tuple[Rulebook, Rulebook], base: dict[str, Any]
) -> None:
    cases = [Case(1, Assessment.model_validate(c)) for c in caseload(base)]
    report = diff(books[0], books[0], cases, TODAY)
    assert report["changed"] == 0
    assert report["changes"] == []
    assert report["provision"]["cells_moved"] == []


def test_the_diff_shows_which_cells_of_the_commissioning_picture_move(
    books: tuple[Rulebook, Rulebook], base: dict[str, Any]
) -> None:
    """The diff's cells are the commissioning report's before and after, compared."""
    cases = [Case(n, Assessment.model_validate(c)) for n, c in enumerate(caseload(base), 1)]
    report = diff(books[0], books[1], cases, TODAY)
    pictures = [
        tally((seen(c.assessment, plan(c.assessment, book, today=TODAY)) for c in cases), {}, {})
        for book in books
    ]
    assert report["provision"]["cells_moved"] == moved(*pictures)
    assert "Commissioning picture" in render(report)


def test_comparable_ignores_only_version_and_trace(
    books: tuple[Rulebook, Rulebook], base: dict[str, Any]
) -> None:
    result = plan(Assessment.model_validate(base), books[0], today=TODAY, explain=True)
    assert "rules_version" not in comparable(result)
    assert "trace" not in comparable(result)
    assert "items" in comparable(result)


def test_the_command_prints_a_report_and_json(
    folders: tuple[Path, Path],
    books: tuple[Rulebook, Rulebook],
    caseload_file: Path,
    base: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, new = folders
    args = ["diff", str(old), str(new), "--caseload", str(caseload_file), "--today", "2026-11-01"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = expected_changes(books, caseload(base))
    assert {c["person_id"] for c in report["changes"]} == expected
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"{len(expected)} of {len(caseload(base))} plans change" in out
    assert "interventions added: cas3_temporary_accommodation ×" in out
    assert "By region" in out and "By need area:" in out


def test_bad_caseload_lines_are_reported_not_fatal(
    folders: tuple[Path, Path],
    tmp_path: Path,
    base: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(base) + "\n" + '{"person_id": "X"}\n\n', encoding="utf-8")
    old, new = folders
    args = ["diff", str(old), str(new), "--caseload", str(path), "--json", "--workers", "1"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["cases"], report["planned"]) == (1, 1)
    assert [e["line"] for e in report["errors"]] == [2]


def test_diff_on_every_core_reports_what_one_process_reports(
    folders: tuple[Path, Path], caseload_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = folders
    args = ["diff", str(old), str(new), "--caseload", str(caseload_file), "--json"]
    reports = []
    for workers in ("1", "2"):
        assert main([*args, "--today", "2026-11-01", "--workers", workers]) == 0
        reports.append(json.loads(capsys.readouterr().out))
    assert reports[0] == reports[1] and reports[0]["changed"] > 0
