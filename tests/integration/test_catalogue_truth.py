"""A catalogue true to HMPPS's own data (issue 18), on the shipped rules, catalogue and snapshot.

The audit passes on the shipped catalogue and fails on a planted difference; contracts decide
where and when commissioned services are offered; eligibility reads as find-and-refer writes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from matcher.cli.main import main
from matcher.model.contract import Plan
from matcher.model.errors import RulebookError
from matcher.planning.planner import plan
from matcher.reports.audit import audit, load_reference
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.book import Rulebook
from tests.conftest import CATALOGUE, TODAY
from tests.integration.test_policy_staff import copy_of_shipped


def exclusions(result: Plan, intervention_id: str) -> set[str]:
    return {e.rule_id for e in result.excluded if e.intervention_id == intervention_id}


def no_contract(result: Plan, intervention_id: str) -> bool:
    """Ruled out for want of a contract (one rule per region with contracts, one for the rest)."""
    prefix = f"catalogue.{intervention_id}.contract"
    return any(
        r == prefix or r.startswith(prefix + ".") for r in exclusions(result, intervention_id)
    )


def chosen(result: Plan) -> set[str]:
    return {i.intervention_id for i in result.items}


# --- the audit -------------------------------------------------------------------------------


def test_the_shipped_catalogue_passes_the_audit(rulebook: Rulebook) -> None:
    reference = load_reference(CATALOGUE)
    result = audit(rulebook.catalogue, reference, rulebook.vocabulary)
    assert [d.line() for d in result.undecided] == []
    assert result.compared >= 45  # every find-and-refer entry we carry was compared
    assert result.contracts == len(reference["contracts"]["contracts"])
    refs = {i.hmpps for i in rulebook.catalogue.values()}
    theirs = {e["ref"] for e in reference["find_and_refer"]["interventions"]}
    decided_missing = {
        d["ref"] for d in reference["decisions"] if d.get("fact") == "missing" and "ref" in d
    }
    assert theirs - refs <= decided_missing  # every real intervention is carried, or decided


def test_the_audit_command_fails_on_a_planted_difference_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, catalogue = copy_of_shipped(tmp_path)
    assert main(["catalogue", "audit", "--rules", str(rules), "--catalogue", str(catalogue)]) == 0
    capsys.readouterr()
    programmes = catalogue / "interventions" / "accredited_programmes.yaml"
    text = programmes.read_text(encoding="utf-8")
    # BBR is delivered in the community and in custody; say custody only
    start = text.index("id: building_better_relationships")
    settings = re.compile(r"settings: \[community, custody\]")
    found = settings.search(text, start)
    assert found is not None
    programmes.write_text(text[: found.start()] + "settings: [custody]" + text[found.end() :])
    contracts = catalogue / "contracts.yaml"
    contracts.write_text(
        contracts.read_text(encoding="utf-8").replace("  - ref: DN535743\n", "  - ref: DN535743X\n")
    )
    code = main(["catalogue", "audit", "--rules", str(rules), "--catalogue", str(catalogue)])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        'building_better_relationships: settings: ours ["custody"], HMPPS ["community", "custody"]'
        in out
    )
    assert "DN535743: contract: ours null" in out  # HMPPS's contract is missing from ours
    assert "DN535743X: contract" in out  # and ours is one HMPPS does not have


# --- provision as contracted ------------------------------------------------------------------


def ete_case(assess: Any, region: str, **sentence: Any) -> Any:
    return assess(
        age=30,
        region=region,
        needs=[{"area": "ete", "severity": 2, "linked_to_offending": True}],
        sentence={
            "type": "community_order",
            "start_date": "2026-11-01",
            "end_date": "2027-11-01",
            "requirements": ["rar"],
            "rar_days": 20,
            **sentence,
        },
    )


def test_crs_ete_is_offered_only_in_greater_manchester_where_its_contract_runs(
    rulebook: Rulebook, assess: Any
) -> None:
    london = plan(ete_case(assess, "london"), rulebook, today=TODAY)
    assert no_contract(london, "crs_ete")  # its London contract ended in December 2023
    reason = next(e.reason for e in london.excluded if e.intervention_id == "crs_ete")
    assert "Greater Manchester" in reason  # where its contracts do serve
    manchester = plan(ete_case(assess, "greater_manchester"), rulebook, today=TODAY)
    assert not exclusions(manchester, "crs_ete")


def test_provision_counts_the_contracts_taking_referrals_that_day(rulebook: Rulebook) -> None:
    ete = rulebook.catalogue["crs_ete"]
    assert ete.serves("london", on=date(2023, 6, 1))  # the regional ETE contracts, before 2024
    assert not ete.serves("london", on=TODAY)
    assert ete.serves("greater_manchester", on=TODAY)
    assert ete.provided_in(TODAY) == ["greater_manchester"]


def test_cli_peer_support_is_offered_in_greater_manchester_only(rulebook: Rulebook) -> None:
    peer = rulebook.catalogue["crs_cli_peer_support"]
    assert peer.provided_in(TODAY) == ["greater_manchester"]


def edit_contract(catalogue: Path, ref: str, change: Callable[[str], str]) -> None:
    """Rewrite one contract's entry in a copy of catalogue/contracts.yaml."""
    contracts = catalogue / "contracts.yaml"
    entry = f"  - ref: {ref}\n"
    head, tail = contracts.read_text(encoding="utf-8").split(entry)
    end = tail.index("  - ref:")
    contracts.write_text(head + entry + change(tail[:end]) + tail[end:], encoding="utf-8")


def test_a_contract_that_has_ended_is_not_offered_and_one_ending_soon_is_not_planned_after_it(
    tmp_path: Path, assess: Any
) -> None:
    rules, catalogue = copy_of_shipped(tmp_path)

    def with_until(until: str | None) -> Rulebook:
        def change(block: str) -> str:
            block = re.sub(r"    until: .*\n", "", block)
            return block + (f"    until: {until}\n" if until else "")

        edit_contract(catalogue, "DN535743", change)
        return rulebook_module.load(rules, catalogue, probe=False)

    case = ete_case(assess, "greater_manchester")
    ended = plan(case, with_until("2026-10-31"), today=TODAY)  # the day before the plan starts
    assert no_contract(ended, "crs_ete")
    running = plan(case, with_until(None), today=TODAY)
    assert not exclusions(running, "crs_ete")
    # it takes referrals for one more week, but its wait means it could start only after that
    soon = with_until("2026-11-08")
    assert soon.catalogue["crs_ete"].wait_weeks > 1
    result = plan(case, soon, today=TODAY)
    assert not exclusions(result, "crs_ete")  # the rule: the contract overlaps the sentence
    assert "crs_ete" not in chosen(result)  # the schedule: it cannot start in time
    warning = next(w for w in result.warnings if w.code == "dropped_contract_ends")
    assert warning.rule_id == "sequencing.contract_dates"
    assert "Education" in warning.message or "ETE" in warning.message


def test_a_contract_that_starts_later_delays_the_work_to_its_start(
    tmp_path: Path, assess: Any
) -> None:
    rules, catalogue = copy_of_shipped(tmp_path)
    edit_contract(
        catalogue,
        "DN535743",
        lambda block: re.sub(r"    from: .*\n", "    from: 2027-01-03\n", block),
    )
    later = rulebook_module.load(rules, catalogue, probe=False)
    result = plan(ete_case(assess, "greater_manchester"), later, today=TODAY)
    item = next(i for i in result.items if i.intervention_id == "crs_ete")
    assert item.start_week >= 9  # 3 January 2027 is nine weeks after 1 November 2026


# --- eligibility as written in find-and-refer --------------------------------------------------


def bbr_case(assess: Any, sentence_type: str, weeks: int, **risk: Any) -> Any:
    start = date(2026, 11, 1)
    end = date.fromordinal(start.toordinal() + 7 * weeks)
    return assess(
        age=35,
        region="north_east",
        risk={"ogrs": 55, "rosh": "medium", "flags": ["domestic_abuse"], **risk},
        needs=[{"area": "relationships", "severity": 2, "linked_to_offending": True}],
        responsivity=["learning_disability"],
        sentence={
            "type": sentence_type,
            "start_date": str(start),
            "end_date": str(end),
            "requirements": ["rar", "accredited_programme"],
            "rar_days": 20,
        },
    )


def test_bbr_needs_sara_medium_or_high_and_caters_for_learning_disability(
    rulebook: Rulebook, assess: Any
) -> None:
    medium = plan(
        bbr_case(assess, "community_order", 100, sara_partner="medium"), rulebook, today=TODAY
    )
    assert not exclusions(medium, "building_better_relationships")
    assert "building_better_relationships" in chosen(medium)
    low = plan(bbr_case(assess, "community_order", 100, sara_partner="low"), rulebook, today=TODAY)
    assert "catalogue.building_better_relationships.sara" in exclusions(
        low, "building_better_relationships"
    )
    unknown = plan(bbr_case(assess, "community_order", 100), rulebook, today=TODAY)
    assert "catalogue.building_better_relationships.sara" in exclusions(
        unknown, "building_better_relationships"
    )


def test_bbr_needs_eighteen_months_on_a_community_order_and_twelve_on_licence(
    rulebook: Rulebook, assess: Any
) -> None:
    community = plan(
        bbr_case(assess, "community_order", 60, sara_other="high"), rulebook, today=TODAY
    )
    assert (
        "catalogue.building_better_relationships.time_left_suitable.community_order"
        in exclusions(community, "building_better_relationships")
    )
    licence = plan(bbr_case(assess, "licence", 60, sara_other="high"), rulebook, today=TODAY)
    assert not exclusions(licence, "building_better_relationships")


def test_structured_interventions_read_ovp_first_and_ogrs_only_without_it(
    rulebook: Rulebook,
) -> None:
    entry = rulebook.catalogue["managing_my_emotions"]
    assert entry.eligibility.scores is not None
    rules = [r for r in rulebook.rules.values() if r.id == "catalogue.managing_my_emotions.scores"]
    assert len(rules) == 1
    assert "OVP 20 or more" in rules[0].description
    assert "OGRS3 (2-year) 25 or more with no OVP given" in rules[0].description


def test_a_structured_intervention_gives_way_to_an_open_accredited_programme(
    rulebook: Rulebook, assess: Any
) -> None:
    flagged = [
        i.id for i in rulebook.catalogue.values() if i.eligibility.not_if_accredited_suitable
    ]
    assert "better_solutions" in flagged
    case = assess(
        age=30,
        risk={"ogrs": 80, "rosh": "medium", "flags": []},
        needs=[{"area": "thinking_behaviour", "severity": 2, "linked_to_offending": True}],
        oasys_items={
            "11.2": 2,
            "11.4": 2,
            "11.6": 2,
            "10.1": 2,
            "6.1": 0,
            "6.6": 0,
            "6.12": 0,
            "7.3": 0,
            "11.3": 1,
            "11.11": 0,
            "11.12": 0,
            "12.1": 2,
            "12.9": 2,
        },
        sentence={
            "type": "community_order",
            "start_date": "2026-11-01",
            "end_date": "2028-05-01",
            "requirements": ["rar", "accredited_programme"],
            "rar_days": 30,
        },
    )
    result = plan(case, rulebook, today=TODAY)
    assert "selection.accredited_first" in exclusions(result, "better_solutions")
    assert chosen(result) & {
        i.id for i in rulebook.catalogue.values() if i.kind == "accredited_programme"
    }


def test_withdrawn_breaking_free_online_is_never_planned_yet_history_naming_it_is_valid(
    rulebook: Rulebook, assess: Any
) -> None:
    withdrawn = rulebook.catalogue["breaking_free_online"]
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_on is not None
    case = assess(
        needs=[{"area": "drugs", "severity": 2, "linked_to_offending": True}],
        history=[
            {
                "intervention_id": "breaking_free_online",
                "status": "completed",
                "end_date": "2025-06-01",
            }
        ],
    )
    result = plan(case, rulebook, today=TODAY)
    assert "breaking_free_online" not in chosen(result)
    fresh = plan(
        assess(needs=[{"area": "drugs", "severity": 2, "linked_to_offending": True}]),
        rulebook,
        today=TODAY,
    )
    assert "catalogue.breaking_free_online.withdrawn" in exclusions(fresh, "breaking_free_online")


def test_every_entry_says_where_its_facts_come_from_and_when(rulebook: Rulebook) -> None:
    for intervention in rulebook.catalogue.values():
        assert intervention.read_on <= date(2026, 11, 29)
        if intervention.hmpps == "none":
            assert intervention.source.startswith("Own entry"), intervention.id
        else:
            assert "find-and-refer" in intervention.source, intervention.id


def test_a_rule_too_long_for_the_engine_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    """durable_rules refuses a condition past its expression limit (error 113) without saying
    which rule; the checker compiles each rule alone to name it (contract rules were the first)."""
    alternatives = ", ".join(
        f"{{all: [{{region: london}}, {{age: {{gte: {n}}}}}, {{ogrs: {{lt: {n}}}}}]}}"
        for n in range(20, 45)
    )
    planted = (
        "stage: 3\nrules:\n  - id: planted.too_long\n    description: Too long.\n"
        f"    source: test\n    when: {{not: {{any: [{alternatives}]}}}}\n"
        "    then: {flag: {code: planted}}\n"
    )
    rules, catalogue = copy_of_shipped(tmp_path, {"rules/rulesets/99_planted.yaml": planted})
    with pytest.raises(RulebookError) as caught:
        rulebook_module.load(rules, catalogue, probe=True)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("rules/rulesets/99_planted.yaml", 3)
    assert "planted.too_long" in problem.message and "error 113" in problem.message
