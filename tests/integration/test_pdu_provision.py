"""Provision by probation delivery unit (issue 12 item 3): an entry may be provided only in some
PDUs of a region; a person whose PDU is known is served only there, one whose PDU is not known is
served wherever their region is; one entry serves every PDU it lists, so local provision needs no
copies of an entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from matcher.model.contract import Assessment
from matcher.model.errors import RulebookError
from matcher.planning.planner import plan
from matcher.rulebook import build
from matcher.rulebook.book import Rulebook
from tests.conftest import CATALOGUE, RULES, TODAY

BBR = "building_better_relationships"
FILE = "interventions/accredited_programmes.yaml"


def _catalogue(tmp_path: Path, regions: str, extra: str = "") -> Path:
    """The shipped catalogue with Building Better Relationships provided as ``regions`` says."""
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, folder)
    path = folder / FILE
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - id: {BBR}\n")
    at = text.index("    regions: all\n", start)
    changed = f"    regions: {regions}\n{extra}"
    path.write_text(text[:at] + changed + text[at + len("    regions: all\n") :], encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def newcastle_only(tmp_path_factory: pytest.TempPathFactory) -> Rulebook:
    folder = _catalogue(
        tmp_path_factory.mktemp("pdu"),
        "[north_east, london]",
        "    pdus: [newcastle_upon_tyne]\n    capacity: {newcastle_upon_tyne: 40, london: 200}\n",
    )
    return build.load(RULES, folder, probe=False)


EXAMPLE = json.loads((RULES.parent / "examples" / "assessment.json").read_text(encoding="utf-8"))


@pytest.fixture()
def assess() -> Any:
    """The README's example (a domestic-abuse case that gets Building Better Relationships)."""

    def build_one(**patch: Any) -> Assessment:
        return Assessment.model_validate({**EXAMPLE, **patch})

    return build_one


def _ids(result: Any) -> list[str]:
    return [i.intervention_id for i in result.items]


def test_a_person_in_a_listed_pdu_is_offered_it(newcastle_only: Rulebook, assess: Any) -> None:
    result = plan(assess(pdu="newcastle_upon_tyne"), newcastle_only, today=TODAY)
    assert _ids(result).count(BBR) == 1


def test_a_person_whose_pdu_is_not_known_is_served_by_region(
    newcastle_only: Rulebook, assess: Any
) -> None:
    assert BBR in _ids(plan(assess(), newcastle_only, today=TODAY))


def test_another_pdu_of_the_region_cannot_be_given_it_and_is_told_why(
    newcastle_only: Rulebook, assess: Any
) -> None:
    result = plan(assess(pdu="gateshead_and_south_tyneside"), newcastle_only, today=TODAY)
    assert BBR not in _ids(result)  # ordered by the court, but not delivered in their PDU
    (warning,) = [w for w in result.warnings if w.code == "mandated_not_possible"]
    assert "Newcastle upon Tyne" in warning.message and "not in theirs" in warning.message
    assert newcastle_only.catalogue[BBR].places() == ["london", "newcastle_upon_tyne"]


def test_a_region_with_no_pdus_listed_is_served_whole(
    newcastle_only: Rulebook, assess: Any
) -> None:
    london = assess(region="london", pdu="camden_and_islington")
    assert BBR in _ids(plan(london, newcastle_only, today=TODAY))
    assert newcastle_only.catalogue[BBR].capacity == {"newcastle_upon_tyne": 40, "london": 200}


@pytest.mark.parametrize(
    ("regions", "extra", "said"),
    [
        ("[london]", "    pdus: [newcastle_upon_tyne]\n", "lies in region 'north_east'"),
        ("all", "    pdus: [newcastle_upon_tyne]\n", "pdus needs regions as a list"),
        ("[north_east]", "    pdus: [newcastle_upon_tyn]\n", "unknown pdus code"),
        ("[north_east]", "    capacity: {newcastle: 4}\n", "unknown capacity code"),
        ("[north_east]", "    capacity: {wales: 4}\n", "capacity for 'wales', where it is not"),
    ],
)
def test_a_bad_pdu_listing_is_a_problem_with_file_and_line(
    tmp_path: Path, regions: str, extra: str, said: str
) -> None:
    folder = _catalogue(tmp_path, regions, extra)
    with pytest.raises(RulebookError) as raised:
        build.load(RULES, folder, probe=False)
    found = [p for p in raised.value.problems if said in p.message]
    assert found, [p.message for p in raised.value.problems]
    assert found[0].file.endswith(FILE) and found[0].line > 1
