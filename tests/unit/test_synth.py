"""The synthetic caseload reproduces its profile's marginals and correlations, and every case plans."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from statistics import mean
from typing import Any

import pytest

from matcher.model.contract import Assessment
from matcher.planning.codes import check_codes
from matcher.planning.planner import plan
from matcher.reports import synth

N = 10_000
SEED = 20261101
TOLERANCE = 0.02  # absolute; four standard errors of a 50% share over 10,000 cases


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return synth.load_profile()


@pytest.fixture(scope="module")
def cases(profile: dict[str, Any]) -> list[dict[str, Any]]:
    return list(synth.generate(N, SEED, profile))


def share(cases: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> float:
    return sum(1 for c in cases if test(c)) / len(cases)


def is_priority(case: dict[str, Any], area: str) -> bool:
    return any(
        n["area"] == area
        and (n["severity"] == 2 or (n["severity"] >= 1 and n["linked_to_offending"]))
        for n in case["needs"]
    )


def by_gender(profile: dict[str, Any], p: Any) -> float:
    """A target that may differ for men and women, mixed by the caseload's share of women."""
    if not isinstance(p, dict):
        return float(p)
    women = float(profile["gender"]["female"]["p"])
    return women * float(p["female"]) + (1 - women) * float(p["male"])


def priority_count(case: dict[str, Any]) -> int:
    return sum(is_priority(case, n["area"]) for n in case["needs"])


def test_design_evidence_figures_are_in_the_profile(profile: dict[str, Any]) -> None:
    """design.md §3: the inspection figures the caseload must reproduce."""
    needs = profile["needs"]
    assert needs["thinking_behaviour"]["p"] == 0.76
    assert needs["relationships"]["p"] == 0.42
    assert by_gender(profile, needs["emotional_wellbeing"]["p"]) == pytest.approx(0.38, abs=0.005)
    assert profile["gender"]["female"]["p"] == 0.15
    post_custody = sum(
        profile["sentence"]["types"][t]["p"] for t in ("licence", "post_sentence_supervision")
    )
    assert post_custody == pytest.approx(0.47)
    assert profile["rosh"]["levels"]["high"] + profile["rosh"]["levels"]["very_high"] == (
        pytest.approx(0.17)
    )
    assert profile["mappa"]["p"] == 0.26


def test_every_figure_names_its_source(profile: dict[str, Any]) -> None:
    sections = ("needs", "flags", "responsivity", "strengths")
    for section in sections:
        for code, spec in profile[section].items():
            assert spec.get("source"), f"{section}.{code} has no source"
    for section in ("age", "ogrs", "regions", "rosh", "mappa", "oasys", "ldc", "need_detail"):
        assert profile[section].get("source"), f"{section} has no source"


def test_need_priority_shares_match_the_profile(
    cases: list[dict[str, Any]], profile: dict[str, Any]
) -> None:
    for area, spec in profile["needs"].items():
        target = by_gender(profile, spec["p"])
        got = share(cases, lambda c, a=area: is_priority(c, a))
        assert got == pytest.approx(target, abs=TOLERANCE), area


def test_people_and_sentences_match_the_inspection_figures(cases: list[dict[str, Any]]) -> None:
    assert share(cases, lambda c: c["gender"] == "female") == pytest.approx(0.15, abs=TOLERANCE)
    post_custody = share(
        cases, lambda c: c["sentence"]["type"] in ("licence", "post_sentence_supervision")
    )
    assert post_custody == pytest.approx(0.47, abs=TOLERANCE)
    high_rosh = share(cases, lambda c: c["risk"].get("rosh") in ("high", "very_high"))
    assert high_rosh == pytest.approx(0.17 * 0.98, abs=TOLERANCE)  # 2% have RoSH missing
    assert share(cases, lambda c: c["risk"]["mappa_level"] > 0) == pytest.approx(
        0.26, abs=TOLERANCE
    )


def test_ogrs_bands_and_regions_match_the_profile(
    cases: list[dict[str, Any]], profile: dict[str, Any]
) -> None:
    scored = [c["risk"]["ogrs"] for c in cases if "ogrs" in c["risk"]]
    assert len(scored) / N == pytest.approx(1 - profile["ogrs"]["missing"], abs=TOLERANCE)
    for band in profile["ogrs"]["bands"]:
        got = sum(band["from"] <= o <= band["to"] for o in scored) / len(scored)
        assert got == pytest.approx(band["p"], abs=TOLERANCE), band
    regions = profile["regions"]
    for region, target in regions["shares"].items():
        got = share(cases, lambda c, r=region: c.get("region") == r)
        assert got == pytest.approx(target * (1 - regions["missing"]), abs=TOLERANCE), region


def test_responsivity_and_strength_shares_match_the_profile(
    cases: list[dict[str, Any]], profile: dict[str, Any]
) -> None:
    for section, key in (("responsivity", "responsivity"), ("strengths", "strengths")):
        for code, spec in profile[section].items():
            if "p" not in spec:
                continue
            got = share(cases, lambda c, k=key, x=code: x in c[k])
            assert got == pytest.approx(by_gender(profile, spec["p"]), abs=TOLERANCE), code
    for code, spec in profile["flags"].items():
        got = share(cases, lambda c, x=code: x in c["risk"]["flags"])
        assert got == pytest.approx(by_gender(profile, spec["p"]), abs=TOLERANCE), code


def test_higher_ogrs_comes_with_more_needs(cases: list[dict[str, Any]]) -> None:
    low = [priority_count(c) for c in cases if c["risk"].get("ogrs", 100) < 50]
    high = [priority_count(c) for c in cases if c["risk"].get("ogrs", 0) >= 75]
    assert mean(high) > mean(low) + 1.0


def test_domestic_abuse_goes_with_the_relationships_need(cases: list[dict[str, Any]]) -> None:
    with_need = [c for c in cases if is_priority(c, "relationships")]
    without = [c for c in cases if not is_priority(c, "relationships")]
    da = lambda c: "domestic_abuse" in c["risk"]["flags"]  # noqa: E731
    assert share(with_need, da) > 3 * share(without, da)


def test_active_substance_misuse_goes_with_a_drugs_or_alcohol_need(
    cases: list[dict[str, Any]],
) -> None:
    substance = lambda c: is_priority(c, "drugs") or is_priority(c, "alcohol")  # noqa: E731
    asm = lambda c: "active_substance_misuse" in c["responsivity"]  # noqa: E731
    with_need = [c for c in cases if substance(c)]
    without = [c for c in cases if not substance(c)]
    assert share(with_need, asm) > 4 * share(without, asm)


def test_exclusive_codes_never_meet(cases: list[dict[str, Any]]) -> None:
    assert not any(
        "low_motivation" in c["responsivity"] and "motivated_to_change" in c["strengths"]
        for c in cases
    )
    assert all(
        "employed" in c["strengths"] for c in cases if "employed_full_time" in c["responsivity"]
    )


def test_sentences_run_around_the_reference_date(
    cases: list[dict[str, Any]], profile: dict[str, Any]
) -> None:
    reference = date.fromisoformat(profile["reference_date"])
    for c in cases:
        start = date.fromisoformat(c["sentence"]["start_date"])
        end = date.fromisoformat(c["sentence"]["end_date"])
        assert start <= reference < end


def test_mandated_programmes_are_sometimes_there_and_fit_the_person(
    cases: list[dict[str, Any]],
) -> None:
    mandated = [c for c in cases if c["sentence"].get("mandated")]
    assert 0.01 < len(mandated) / N < 0.15
    for c in mandated:
        if "building_better_relationships" in c["sentence"]["mandated"]:
            assert c["gender"] == "male" and "domestic_abuse" in c["risk"]["flags"]


def test_the_same_seed_gives_the_same_cases_and_a_slice_matches_the_whole(
    cases: list[dict[str, Any]], profile: dict[str, Any]
) -> None:
    assert list(synth.generate(50, SEED, profile)) == cases[:50]
    assert list(synth.generate(5, SEED, profile, start=100)) == cases[100:105]
    assert list(synth.generate(50, SEED + 1, profile)) != cases[:50]


def test_a_sample_of_cases_validates_and_plans(cases: list[dict[str, Any]], rulebook: Any) -> None:
    today = date.fromisoformat(synth.load_profile()["reference_date"])
    for body in cases[::25]:  # 400 cases
        assessment = Assessment.model_validate(body)
        check_codes(assessment, rulebook)
        result = plan(assessment, rulebook, today=today)
        assert result.person_id == body["person_id"]


def test_the_command_line_writes_json_lines(tmp_path: Any) -> None:
    out = tmp_path / "caseload.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "matcher.cli.main",
            "synth",
            "--n",
            "20",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20
    assert [json.loads(line) for line in lines] == list(synth.generate(20, 3))
