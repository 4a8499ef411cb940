"""`matcher check` finds every planted problem with its file, line and a useful message."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcher.durable.engine import probe_compile
from matcher.model.engine import CompiledStage
from matcher.model.errors import Problem, RulebookError
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.checks import conflicting_rules, unreachable_interventions
from matcher.rulebook.provision import gap_list, provision_gaps, thin_provision_list
from tests.conftest import CATALOGUE, RULES

FILES = Path(__file__).resolve().parent.parent / "files"
PLANTED_RULES = "rules/rulesets/99_planted.yaml"


def planted(tmp_path: Path, source: str, dest: str) -> tuple[Path, Path]:
    """A copy of the shipped rules and catalogue with one planted file put at ``dest``."""
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(CATALOGUE, tmp_path / "catalogue")
    shutil.copy(FILES / source, tmp_path / dest)
    return tmp_path / "rules", tmp_path / "catalogue"


def problems_of(tmp_path: Path, source: str, dest: str = PLANTED_RULES) -> list[Problem]:
    rules, catalogue = planted(tmp_path, source, dest)
    with pytest.raises(RulebookError) as caught:
        rulebook_module.check(rules, catalogue)
    return [p for p in caught.value.problems if p.severity == "error"]


@pytest.mark.parametrize(
    ("source", "line", "message", "suggestion"),
    [
        ("rulesets/bad_yaml.yaml", 8, "not valid YAML: expected ',' or '}'", ""),
        (
            "rulesets/unknown_field.yaml",
            7,
            "rule 'planted.unknown_field': unknown field 'ogrs_bnd' (did you mean 'ogrs_band'?)",
            "",
        ),
        (
            "rulesets/unknown_intervention.yaml",
            8,
            "rule 'planted.unknown_intervention': unknown intervention 'horizn'",
            "horizon",
        ),
        (
            "rulesets/unknown_code.yaml",
            7,
            "unknown responsivity code 'learning_disabilty' (did you mean 'learning_disability'?)",
            "",
        ),
        (
            "rulesets/duplicate_id.yaml",
            10,
            "duplicate rule id 'provision.ete' (first in rules/rulesets/45_provision.yaml:",
            "",
        ),
        (
            "rulesets/missing_description.yaml",
            4,
            "rule 'planted.missing_description' has no 'description'",
            "",
        ),
        (
            "rulesets/bad_outcome.yaml",
            8,
            "rule 'planted.bad_outcome': unknown outcome 'recomend'",
            "recommend",
        ),
        (
            "rulesets/list_comparison.yaml",
            7,
            "rule 'planted.list_comparison': 'severity' gte: compare with one value, not a list ([]); use in or not_in for a list",
            "",
        ),
        (
            "rulesets/contradiction.yaml",
            4,
            "rule 'planted.contradiction' can never fire: 'gender' cannot equal 'female' and 'male' at once",
            "",
        ),
    ],
)
def test_each_planted_rule_file_problem_is_reported_with_file_line_and_message(
    tmp_path: Path, source: str, line: int, message: str, suggestion: str
) -> None:
    errors = problems_of(tmp_path, source)
    assert errors, "the planted file should not load"
    found = [p for p in errors if p.file == PLANTED_RULES and message in p.message]
    assert found, f"expected {message!r} in {[str(p) for p in errors]}"
    assert found[0].line == line
    assert found[0].suggestion == suggestion
    assert all(p.file == PLANTED_RULES for p in errors), [str(p) for p in errors]


def test_a_cycle_in_sequencing_names_the_file_and_every_edge_with_its_line(
    tmp_path: Path,
) -> None:
    errors = problems_of(tmp_path, "sequencing_cycle.yaml", "rules/sequencing.yaml")
    (cycle,) = errors
    assert cycle.file == "rules/sequencing.yaml"
    assert cycle.line in (3, 10)  # one edge of the cycle; every edge's line is in the message
    assert "the sequencing graph has a cycle" in cycle.message
    assert "sequencing.housing_first at rules/sequencing.yaml:3" in cycle.message
    assert "sequencing.work_first at rules/sequencing.yaml:10" in cycle.message


def test_a_catalogue_entry_with_a_bad_need_area_is_reported_with_a_suggestion(
    tmp_path: Path,
) -> None:
    dest = "catalogue/interventions/zz_planted.yaml"
    (error,) = [
        p for p in problems_of(tmp_path, "catalogue/bad_need_area.yaml", dest) if p.file == dest
    ]
    assert (error.file, error.line) == (dest, 9)
    assert error.message == (
        "planted_housing_advice: unknown needs code 'acommodation'; "
        "add it to rules/vocabulary.yaml under need_areas"
    )
    assert error.suggestion == "accommodation"


def test_more_than_512_sibling_tests_are_rejected_by_the_static_limit_check(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    (error,) = problems_of(tmp_path, "rulesets/too_many_tests.yaml")
    assert time.monotonic() - started < 10
    assert error.file == PLANTED_RULES
    assert 5 <= error.line <= 517  # one of the planted rules, not a shipped one
    assert "stage 3 has" in error.message and "field 'age'" in error.message
    assert "above 512 durable_rules hangs while compiling" in error.message


def test_matcher_check_rejects_more_than_512_sibling_tests_within_seconds(tmp_path: Path) -> None:
    rules, catalogue = planted(tmp_path, "rulesets/too_many_tests.yaml", PLANTED_RULES)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "matcher.cli.main", "check", str(rules), str(catalogue)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert time.monotonic() - started < 20
    assert done.returncode == 1
    assert f"{PLANTED_RULES}:" in done.stdout
    assert "above 512 durable_rules hangs while compiling" in done.stdout
    assert "the rulebook would not load" in done.stderr


def _too_many_tests(count: int) -> CompiledStage:
    definition = {
        f"r{n}": {"all": [{"p": {"$and": [{"t": "person"}, {"age": n}]}}]} for n in range(count)
    }
    return CompiledStage(3, definition)


def test_probe_compile_gives_up_cleanly_on_a_definition_that_hangs_the_engine() -> None:
    started = time.monotonic()
    failure = probe_compile([_too_many_tests(513)], timeout=3)
    assert time.monotonic() - started < 15
    assert failure is not None
    assert "did not finish compiling these rules within 3s" in failure


def test_probe_compile_reports_a_definition_the_engine_rejects() -> None:
    bad = CompiledStage(1, {"r": {"all": [{"p": {"$in": {"age": [1, 2]}}}]}})
    failure = probe_compile([bad], timeout=20)
    assert failure is not None
    assert failure.startswith("durable_rules rejected ruleset probe_1")


def test_probe_compile_accepts_a_definition_within_the_limits() -> None:
    assert probe_compile([_too_many_tests(100)], timeout=20) is None


def test_the_shipped_rulebook_checks_clean_of_errors() -> None:
    checked = rulebook_module.check(RULES, CATALOGUE)
    assert not [p for p in checked.problems if p.severity == "error"]


# --- warnings: conflicts, unreachable interventions, provision gaps ---------------------------


def warnings_of(tmp_path: Path, source: str) -> list[Problem]:
    rules, catalogue = planted(tmp_path, source, PLANTED_RULES)
    return [p for p in rulebook_module.check(rules, catalogue).problems if p.severity == "warning"]


def test_overlapping_recommend_and_exclude_rules_are_warned_about(tmp_path: Path) -> None:
    warnings = warnings_of(tmp_path, "rulesets/conflict.yaml")
    overlap = [
        p for p in warnings if "'planted.recommend_online_skills' recommends and" in p.message
    ]
    assert [(p.file, p.line) for p in overlap] == [(PLANTED_RULES, 4)]
    assert (
        "rule 'planted.exclude_skills_young_rural' (rules/rulesets/99_planted.yaml:10) excludes 'adult_skills_learning' under overlapping conditions"
        in overlap[0].message
    )


def test_a_recommendation_always_overridden_by_an_exclusion_is_warned_as_shadowed(
    tmp_path: Path,
) -> None:
    warnings = warnings_of(tmp_path, "rulesets/conflict.yaml")
    (shadowed,) = [p for p in warnings if "planted.recommend_talking_older" in p.message]
    assert (shadowed.file, shadowed.line) == (PLANTED_RULES, 16)
    assert shadowed.message == (
        "rule 'planted.recommend_talking_older' recommends 'nhs_talking_therapies' but whenever it "
        "fires rule 'planted.exclude_talking_no_transport' (rules/rulesets/99_planted.yaml:22) "
        "excludes it: the recommendation can never take effect"
    )


def test_disjoint_recommend_and_exclude_rules_are_not_warned_about(tmp_path: Path) -> None:
    warnings = warnings_of(tmp_path, "rulesets/conflict.yaml")
    assert not [p for p in warnings if "planted.recommend_debt_young" in p.message]


def test_an_intervention_excluded_for_everyone_is_warned_about(tmp_path: Path) -> None:
    warnings = warnings_of(tmp_path, "rulesets/conflict.yaml")
    (everyone,) = [p for p in warnings if "planted.exclude_for_everyone" in p.message]
    assert (everyone.file, everyone.line) == (PLANTED_RULES, 40)
    assert everyone.message.endswith("excludes 'horizon' for everyone: it can never be in a plan")


def test_rules_about_unrelated_things_are_not_reported_as_conflicts() -> None:
    checked = rulebook_module.check(RULES, CATALOGUE)
    assert conflicting_rules(checked.rules, checked.vocabulary.constant_fields) == []


def test_an_intervention_no_rule_recommends_and_addressing_no_need_is_unreachable() -> None:
    checked = rulebook_module.check(RULES, CATALOGUE)
    orphan = checked.catalogue["attitudes_one_to_one"].model_copy(update={"needs": ["custody"]})
    catalogue = {**checked.catalogue, orphan.id: orphan}
    rules = {
        k: r
        for k, r in checked.rules.items()
        if not any(orphan.id in o.targets for o in r.outcomes if o.kind == "recommend")
    }
    found = unreachable_interventions(checked.vocabulary, catalogue, rules)
    assert any(
        p.message.startswith("'attitudes_one_to_one' can only reach a plan if a sentence mandates")
        for p in found
    )


def test_need_areas_with_no_provision_in_a_region_form_the_gap_report() -> None:
    checked = rulebook_module.check(RULES, CATALOGUE)
    thin = {k: i for k, i in checked.catalogue.items() if "finance" not in i.needs}
    assert ("wales", "finance") in gap_list(checked.vocabulary, thin)
    warnings = provision_gaps(checked.vocabulary, thin)
    assert "no intervention addresses 'finance' in region 'wales'" in [p.message for p in warnings]


def test_provision_only_by_partners_or_for_one_gender_is_reported() -> None:
    checked = rulebook_module.check(RULES, CATALOGUE)
    catalogue = {
        k: i
        for k, i in checked.catalogue.items()
        if "finance" not in i.needs or i.id in ("debt_advice", "crs_finance_benefit_debt")
    }
    rows = {
        (r.region, r.area, r.problem): r
        for r in thin_provision_list(checked.vocabulary, catalogue, checked.policy.thin_provision)
    }
    # debt advice is a universal partner service; the CRS finance service is for men only
    assert ("london", "finance", "partner_or_universal_only") not in rows
    only_partner = {k: i for k, i in catalogue.items() if i.id != "crs_finance_benefit_debt"}
    rows = {
        (r.region, r.area, r.problem): r
        for r in thin_provision_list(
            checked.vocabulary, only_partner, checked.policy.thin_provision
        )
    }
    assert rows["london", "finance", "partner_or_universal_only"].interventions == ("debt_advice",)
    men_only = {k: i for k, i in catalogue.items() if i.id != "debt_advice"}
    rows = {
        (r.region, r.area, r.problem): r
        for r in thin_provision_list(checked.vocabulary, men_only, checked.policy.thin_provision)
    }
    row = rows["london", "finance", "no_provision_for_female"]
    assert row.message(checked.vocabulary) == (
        "no provision for women for 'finance' in region 'london'; what there is "
        "(crs_finance_benefit_debt) is for other genders only"
    )


def test_check_and_test_read_the_rules_checkout_they_run_in_and_say_so(tmp_path: Path) -> None:
    """A copied rules folder is what `matcher check` and `matcher test` read inside it, not the
    installed rules; a planted error in the copy proves it."""
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(CATALOGUE, tmp_path / "catalogue")
    policy = tmp_path / "rules" / "policy.yaml"
    policy.write_text(policy.read_text().replace("max_items: 8", "max_items: many"))
    for command in (["check"], ["test", "--scenarios-only"]):
        done = subprocess.run(
            [sys.executable, "-m", "matcher.cli.main", *command],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert f"reading rules from {tmp_path / 'rules'}" in done.stderr, done.stderr
        assert done.returncode == 1
        assert "rules/policy.yaml" in done.stdout and "max_items" in done.stdout


def test_a_computed_field_whose_scale_is_a_list_is_a_problem_not_a_checker_fault() -> None:
    """Found by the mangled-file property: `scale: [osp]` used to crash the checker."""
    from matcher.rulebook.build import check_sources
    from matcher.rulebook.sources import read_sources, sources_from_texts

    texts = {name: f.text for name, f in read_sources(RULES, CATALOGUE).files.items()}
    name = "rules/rulesets/20_pni_domains.yaml"
    assert "scale: osp" in texts[name]
    texts[name] = texts[name].replace("scale: osp", "scale: [osp]", 1)
    with pytest.raises(RulebookError) as caught:
        check_sources(sources_from_texts(texts))
    messages = [p.message for p in caught.value.problems]
    assert not any("could not read this rulebook" in m for m in messages)
    assert any("computed field" in m and "scale" in m for m in messages)


def test_a_catalogue_companion_that_is_not_in_the_catalogue_is_reported_with_a_suggestion(
    tmp_path: Path,
) -> None:
    dest = "catalogue/interventions/zz_planted.yaml"
    (error,) = [
        p for p in problems_of(tmp_path, "catalogue/bad_alongside.yaml", dest) if p.file == dest
    ]
    assert (error.file, error.line) == (dest, 3)
    assert error.message == (
        "planted_alongside: unknown companion (alongside) 'housing_duty_to_refr'"
    )
    assert error.suggestion == "housing_duty_to_refer"
