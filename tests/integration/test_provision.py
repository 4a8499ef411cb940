"""The commissioning report (design.md §6.4, issue 16): counts checked against an independent
count over a small caseload planned with the shipped rules, the CSV against the JSON, the charts
written and readable, suppression of small counts, capacity and waits, and `matcher diff`'s
picture of the cells a change moves."""

from __future__ import annotations

import csv
import io
import json
import math
import struct
import xml.etree.ElementTree as ElementTree
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from matcher.cli.main import main
from matcher.model.contract import Assessment, Plan
from matcher.planning.planner import plan
from matcher.reports import provision
from matcher.reports.provision import Seen, capacity_of, moved, seen, suppress, tally, to_csv
from matcher.reports.synth import generate
from matcher.rulebook.book import Rulebook
from tests.conftest import TODAY

CASES = 150


@pytest.fixture(scope="module")
def planned(rulebook: Rulebook) -> list[tuple[Assessment, Plan]]:
    pairs = []
    for index, case in enumerate(generate(CASES, seed=11)):
        if index % 3 == 0 and case.get("region") == "london":
            case["pdu"] = "camden_and_islington"  # some people with a PDU
        assessment = Assessment.model_validate(case)
        pairs.append((assessment, plan(assessment, rulebook, today=TODAY)))
    return pairs


@pytest.fixture(scope="module")
def report(planned: list[tuple[Assessment, Plan]], rulebook: Rulebook) -> dict[str, Any]:
    region_of = {p.id: p.region for p in rulebook.vocabulary.pdus.values()}
    return tally((seen(a, p) for a, p in planned), rulebook.catalogue, region_of)


def test_cells_agree_with_an_independent_count(
    planned: list[tuple[Assessment, Plan]], report: dict[str, Any]
) -> None:
    expected: Counter[tuple[str, str, str, str]] = Counter()
    for assessment, made in planned:
        region = assessment.region or "unspecified"
        places = [(region, "")] + ([(region, assessment.pdu)] if assessment.pdu else [])
        unmet = [u.area for u in made.unmet_needs]
        for where in places:
            for area in made.priority_needs:
                expected[(*where, area, "priority")] += 1
                expected[(*where, area, "unmet" if area in unmet else "addressed")] += 1
            for gap in {g.need_area for g in made.provision_gaps}:
                expected[(*where, gap, "gap")] += 1
    got: Counter[tuple[str, str, str, str]] = Counter()
    for cell in report["cells"]:
        for field in ("priority", "addressed", "unmet", "gap"):
            if cell[field]:
                got[(cell["region"], cell.get("pdu", ""), cell["need_area"], field)] = cell[field]
    assert got == expected
    assert report["people"] == CASES
    assert any("pdu" in cell for cell in report["cells"])  # the PDU breakdown is there


def test_demand_agrees_with_an_independent_count(
    planned: list[tuple[Assessment, Plan]], report: dict[str, Any]
) -> None:
    people: Counter[tuple[str, str]] = Counter()
    hours: Counter[tuple[str, str]] = Counter()
    for assessment, made in planned:
        for item in made.items:
            key = (item.intervention_id, assessment.region or "unspecified")
            people[key] += 1
            hours[key] += item.hours_per_week  # type: ignore[assignment]
    rows = {
        (r["intervention_id"], r["region"]): r for r in report["interventions"] if "pdu" not in r
    }
    assert {k: r["demand_people"] for k, r in rows.items()} == dict(people)
    for key, row in rows.items():
        assert row["demand_hours_per_week"] == pytest.approx(hours[key], abs=0.05)


def test_the_csv_holds_exactly_the_json(report: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    cells = [r for r in rows if r["table"] == "cell"]
    assert len(cells) == len(report["cells"])
    for row, cell in zip(cells, report["cells"], strict=True):
        assert row["region"] == cell["region"] and row["need_area"] == cell["need_area"]
        assert row["pdu"] == cell.get("pdu", "")
        assert [int(row[f]) for f in ("priority", "addressed", "unmet", "gap")] == [
            cell[f] for f in ("priority", "addressed", "unmet", "gap")
        ]
    demand = [r for r in rows if r["table"] == "intervention"]
    assert len(demand) == len(report["interventions"])
    for row, item in zip(demand, report["interventions"], strict=True):
        assert row["intervention_id"] == item["intervention_id"]
        assert int(row["demand_people"]) == item["demand_people"]
        assert float(row["demand_hours_per_week"]) == item["demand_hours_per_week"]


def test_small_counts_are_shown_as_under_five(report: dict[str, Any]) -> None:
    hidden = suppress(report)
    for before, after in zip(report["cells"], hidden["cells"], strict=True):
        for field in ("priority", "addressed", "unmet", "gap"):
            assert after[field] == ("<5" if 0 < before[field] < 5 else before[field])
    shown = json.dumps(hidden)
    assert '"<5"' in shown
    for row in hidden["interventions"]:
        if row["demand_people"] == "<5":
            assert "projected_wait_weeks" not in row and not isinstance(
                row["demand_hours_per_week"], float
            )


def test_capacity_and_the_projected_wait(rulebook: Rulebook) -> None:
    base = rulebook.catalogue["building_choices_high"]
    known = base.model_copy(update={"capacity": {"london": 26, "camden_and_islington": 0}})
    region_of = {p.id: p.region for p in rulebook.vocabulary.pdus.values()}
    assert capacity_of(known, "london", None, region_of) == 26
    assert capacity_of(known, "london", "camden_and_islington", region_of) == 0
    assert capacity_of(known, "wales", None, region_of) is None
    by_pdu = base.model_copy(update={"capacity": {"camden_and_islington": 10}})
    assert capacity_of(by_pdu, "london", None, region_of) == 10  # the region's PDUs summed
    person = Seen("london", None, (), (), (), (), (("building_choices_high", 2.5),), "v")
    row = tally([person] * 40, {"building_choices_high": known}, region_of)["interventions"][0]
    assert row["capacity"] == 26
    assert row["projected_wait_weeks"] == math.ceil(52 * 40 / 26) == 80
    assert row["demand_hours_per_week"] == 100.0


def test_moved_names_the_cells_that_change() -> None:
    def person(unmet: tuple[str, ...]) -> Seen:
        addressed = () if unmet else ("accommodation",)
        return Seen("wales", None, ("accommodation",), addressed, unmet, (), (), "v")

    before = tally([person(()), person(())], {}, {})
    after = tally([person(()), person(("accommodation",))], {}, {})
    change = moved(before, after)
    assert change == [
        {
            "region": "wales",
            "need_area": "accommodation",
            "priority": {"before": 2, "after": 2},
            "addressed": {"before": 2, "after": 1},
            "unmet": {"before": 0, "after": 1},
            "gap": {"before": 0, "after": 0},
        }
    ]
    assert moved(before, before) == []


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_command_writes_json_csv_and_charts_that_open(
    planned: list[tuple[Assessment, Plan]], tmp_path: Path, rulebook: Rulebook
) -> None:
    caseload = tmp_path / "caseload.jsonl"
    caseload.write_text(
        "".join(a.model_dump_json(exclude_unset=True) + "\n" for a, _ in planned[:40])
    )
    out = tmp_path / "report"
    args = ["report", "provision", "--caseload", str(caseload), "--out", str(out)]
    assert main([*args, "--today", TODAY.isoformat(), "--workers", "1"]) == 0
    written = json.loads((out / "provision.json").read_text())
    region_of = {p.id: p.region for p in rulebook.vocabulary.pdus.values()}
    expected = tally((seen(a, p) for a, p in planned[:40]), rulebook.catalogue, region_of)
    assert written == json.loads(json.dumps(expected))
    assert (out / "provision.csv").read_text() == to_csv(expected)
    for stem in ("unmet_by_region", "demand_against_capacity"):
        width, height = _png_size(out / f"{stem}.png")
        assert width > 300 and height > 200
        root = ElementTree.parse(out / f"{stem}.svg").getroot()
        assert root.tag.endswith("svg")


def test_the_window_covers_the_last_twelve_months_by_default() -> None:
    start, end = provision.window(None, None, date(2026, 11, 30))
    assert start.date() == date(2025, 11, 30) and end.date() == date(2026, 12, 1)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_runs_show_progress_on_a_terminal_and_stay_quiet_otherwise() -> None:
    from matcher.cli.report import progress

    shown = _Terminal()
    assert list(progress(range(5), 5, shown)) == [0, 1, 2, 3, 4]
    assert "[" in shown.getvalue() and "5 cases" in shown.getvalue()
    quiet = io.StringIO()
    assert list(progress(range(5), 5, quiet)) == [0, 1, 2, 3, 4]
    assert quiet.getvalue() == ""
