"""Policy staff can add a concept without a programmer (issue 11 point 9).

An unknown code says where to declare it; a YAML mistake is explained in plain words; a missing
required field hides nothing else in its rule; `matcher new intervention` writes an entry to fill
in. Every problem is asserted with its message and its line, in a copy of the shipped files.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from matcher.cli.main import main
from matcher.model.catalogue import Intervention
from matcher.model.errors import Problem, RulebookError
from matcher.rulebook import build as rulebook_module
from matcher.rulebook.catalogue import load_catalogue
from matcher.rulebook.rules import load_rules
from matcher.rulebook.sources import read_sources
from matcher.rulebook.vocabulary import load_vocabulary
from tests.conftest import CATALOGUE, RULES

PLANTED_RULES = "rules/rulesets/99_planted.yaml"
PLANTED_CATALOGUE = "catalogue/interventions/zz_planted.yaml"
VOCABULARY = "add it to rules/vocabulary.yaml under"


def copy_of_shipped(tmp_path: Path, planted: dict[str, str] | None = None) -> tuple[Path, Path]:
    """A copy of the shipped rules and catalogue, with ``planted`` files ({path: text}) added."""
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(CATALOGUE, tmp_path / "catalogue")
    for dest, text in (planted or {}).items():
        (tmp_path / dest).write_text(text, encoding="utf-8")
    return tmp_path / "rules", tmp_path / "catalogue"


def errors_of(tmp_path: Path, planted: dict[str, str]) -> list[Problem]:
    with pytest.raises(RulebookError) as caught:
        rulebook_module.check(*copy_of_shipped(tmp_path, planted))
    return [p for p in caught.value.problems if p.severity == "error"]


def line_with(text: str, fragment: str, after: int = 0) -> int:
    """The (1-based) line of ``text`` where ``fragment`` first appears after line ``after``."""
    lines = enumerate(text.splitlines(), 1)
    return next(n for n, line in lines if n > after and fragment in line)


def key_line(text: str, key: str) -> int:
    """The line of the first YAML key ``key`` in ``text`` (comments skipped)."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if re.match(rf"\s+{key}: ", line))


def the_one(errors: list[Problem], file: str, start: str) -> Problem:
    found = [p for p in errors if p.file == file and p.message.startswith(start)]
    assert len(found) == 1, f"expected one {start!r} in {[str(p) for p in errors]}"
    return found[0]


# --- 1. an unknown code says which file declares that kind of code, and under which key -------

UNKNOWN_CODES_IN_RULES = textwrap.dedent(
    """\
    # Planted: rule conditions with codes no file declares.
    stage: 3
    rules:
      - id: planted.responsivity
        description: People with dyslexia get written material adapted.
        source: tests
        when: {responsivity: dyslexia}
        then: {adapt: {select: {ld_adapted: true}}}
      - id: planted.typo
        description: A misspelt code keeps its suggestion.
        source: tests
        when: {responsivity: learning_disabilty}
        then: {flag: {code: planted}}
      - id: planted.flag
        description: A new risk flag.
        source: tests
        when: {flag: hate_crime}
        then: {flag: {code: planted}}
      - id: planted.strength
        description: A new strength.
        source: tests
        when: {strength: faith_community}
        then: {flag: {code: planted}}
      - id: planted.requirement
        description: A new requirement.
        source: tests
        when: {requirement: electronic_monitoring}
        then: {flag: {code: planted}}
      - id: planted.priority_need
        description: A new need area.
        source: tests
        when: {priority_need: gambling}
        then: {flag: {code: planted}}
      - id: planted.need_area
        description: A new need area, tested on the need.
        source: tests
        when: {need: {area: gambling, severity: 2}}
        then: {flag: {code: planted}}
      - id: planted.region
        description: A new region.
        source: tests
        when: {region: cornwall}
        then: {flag: {code: planted}}
      - id: planted.sentence_type
        description: A new sentence type.
        source: tests
        when: {sentence_type: youth_rehabilitation_order}
        then: {flag: {code: planted}}
      - id: planted.rosh
        description: A new level of risk of serious harm.
        source: tests
        when: {rosh: extreme}
        then: {flag: {code: planted}}
      - id: planted.ogrs_band
        description: A new OGRS band.
        source: tests
        when: {ogrs_band: extreme}
        then: {flag: {code: planted}}
    """
)


@pytest.fixture(scope="module")
def unknown_code_errors(tmp_path_factory: pytest.TempPathFactory) -> list[Problem]:
    return errors_of(tmp_path_factory.mktemp("codes"), {PLANTED_RULES: UNKNOWN_CODES_IN_RULES})


@pytest.mark.parametrize(
    ("rule", "unknown", "home"),
    [
        ("responsivity", "unknown responsivity code 'dyslexia'", f"{VOCABULARY} responsivity"),
        ("flag", "unknown flag code 'hate_crime'", f"{VOCABULARY} flags"),
        ("strength", "unknown strength code 'faith_community'", f"{VOCABULARY} strengths"),
        (
            "requirement",
            "unknown requirement code 'electronic_monitoring'",
            f"{VOCABULARY} requirements",
        ),
        ("priority_need", "unknown need area 'gambling'", f"{VOCABULARY} need_areas"),
        ("need_area", "unknown value of 'area' 'gambling'", f"{VOCABULARY} need_areas"),
        (
            "region",
            "unknown value of 'region' 'cornwall'",
            "add it to catalogue/regions.yaml under regions",
        ),
        (
            "sentence_type",
            "unknown value of 'sentence_type' 'youth_rehabilitation_order'",
            f"{VOCABULARY} sentence_types",
        ),
        ("rosh", "unknown value of 'rosh' 'extreme'", f"{VOCABULARY} scales: rosh"),
        ("ogrs_band", "unknown value of 'ogrs_band' 'extreme'", f"{VOCABULARY} bands: ogrs_band"),
    ],
)
def test_an_unknown_code_in_a_rule_says_which_file_and_key_declare_its_kind(
    unknown_code_errors: list[Problem], rule: str, unknown: str, home: str
) -> None:
    problem = the_one(unknown_code_errors, PLANTED_RULES, f"rule 'planted.{rule}': {unknown}")
    assert problem.message.endswith(f"; {home}")
    rule_line = line_with(UNKNOWN_CODES_IN_RULES, f"- id: planted.{rule}")
    assert problem.line == line_with(UNKNOWN_CODES_IN_RULES, "when:", after=rule_line)


def test_a_misspelt_code_keeps_its_suggestion_before_where_to_add_it(
    unknown_code_errors: list[Problem],
) -> None:
    problem = the_one(unknown_code_errors, PLANTED_RULES, "rule 'planted.typo'")
    assert problem.message == (
        "rule 'planted.typo': unknown responsivity code 'learning_disabilty' (did you mean "
        "'learning_disability'?); add it to rules/vocabulary.yaml under responsivity"
    )
    assert problem.line == line_with(UNKNOWN_CODES_IN_RULES, "learning_disabilty")


UNKNOWN_CODES_IN_CATALOGUE = textwrap.dedent(
    """\
    # Planted: a catalogue entry with codes no file declares.
    interventions:
      - id: planted_gambling_support
        name: Planted gambling support
        description: A catalogue entry with new codes in many fields.
        kind: partner_service
        tier: targeted
        provider: partner
        needs:
          - gambling
        intensity: low
        formats:
          - webinar
        duration_weeks: 6
        sessions: 6
        hours_per_week: 1
        delivery: [daytime]
        settings: [community]
        regions:
          - cornwall
        wait_weeks: 1
        eligibility:
          gender: [nonbinary]
          rosh: [extreme]
          ogrs_band: [extreme]
          requires_responsivity: [dyslexia]
        exclusions:
          flags: [hate_crime]
          responsivity: [acute_trauma]
        source: tests
        hmpps: none
        read_on: 2026-11-29
    """
)


@pytest.fixture(scope="module")
def catalogue_code_errors(tmp_path_factory: pytest.TempPathFactory) -> list[Problem]:
    planted = {PLANTED_CATALOGUE: UNKNOWN_CODES_IN_CATALOGUE}
    return errors_of(tmp_path_factory.mktemp("catalogue_codes"), planted)


@pytest.mark.parametrize(
    ("field", "code", "home", "key"),
    [
        ("needs", "gambling", f"{VOCABULARY} need_areas", "- gambling"),
        ("formats", "webinar", f"{VOCABULARY} formats", "- webinar"),
        ("regions", "cornwall", "add it to catalogue/regions.yaml under regions", "- cornwall"),
        ("eligibility.gender", "nonbinary", f"{VOCABULARY} genders", "gender:"),
        ("eligibility.rosh", "extreme", f"{VOCABULARY} scales: rosh", "rosh:"),
        ("eligibility.ogrs_band", "extreme", f"{VOCABULARY} bands: ogrs_band", "ogrs_band:"),
        (
            "eligibility.requires_responsivity",
            "dyslexia",
            f"{VOCABULARY} responsivity",
            "requires_responsivity:",
        ),
        ("exclusions.flags", "hate_crime", f"{VOCABULARY} flags", "flags:"),
        (
            "exclusions.responsivity",
            "acute_trauma",
            f"{VOCABULARY} responsivity",
            "  responsivity:",
        ),
    ],
)
def test_an_unknown_code_in_the_catalogue_says_which_file_and_key_declare_its_kind(
    catalogue_code_errors: list[Problem], field: str, code: str, home: str, key: str
) -> None:
    start = f"planted_gambling_support: unknown {field} code {code!r}"
    problem = the_one(catalogue_code_errors, PLANTED_CATALOGUE, start)
    assert problem.message == f"{start}; {home}"
    expected = line_with(UNKNOWN_CODES_IN_CATALOGUE, key)
    if key.startswith("- "):  # the line of the field that holds the list
        expected -= 1
    assert problem.line == expected


def test_a_misspelt_catalogue_code_keeps_its_suggestion(tmp_path: Path) -> None:
    text = UNKNOWN_CODES_IN_CATALOGUE.replace("- gambling", "- acommodation")
    problem = the_one(
        errors_of(tmp_path, {PLANTED_CATALOGUE: text}),
        PLANTED_CATALOGUE,
        "planted_gambling_support: unknown needs",
    )
    assert problem.suggestion == "accommodation"
    assert str(problem) == (
        f"{PLANTED_CATALOGUE}:{line_with(text, 'needs:')}: error: planted_gambling_support: "
        "unknown needs code 'acommodation'; add it to rules/vocabulary.yaml under need_areas "
        "(did you mean 'accommodation'?)"
    )


# --- 2. YAML syntax errors in plain words, at their line ----------------------------------------

RULE = """\
stage: 3
rules:
  - id: planted.yaml
    description: A rule whose file does not parse.
    source: tests
    when: {responsivity: rural}
    then: {flag: {code: planted}}
"""


@pytest.mark.parametrize(
    ("broken", "line", "message"),
    [
        (
            RULE.replace("    source", "\tsource"),
            5,
            "not valid YAML: found character '\\t' that cannot start any token. A tab is used "
            "for indentation here: YAML needs spaces, so replace the tab with spaces.",
        ),
        (
            RULE.replace("- id: planted.yaml", "- id:planted.yaml"),
            4,
            "not valid YAML: mapping values are not allowed here. Line 3 has no space after its "
            "':' ('- id:planted.yaml'): write 'key: value', not 'key:value'.",
        ),
        (
            RULE.replace("A rule whose", "Note: a rule whose"),
            4,
            "not valid YAML: mapping values are not allowed here. There is a ':' inside unquoted "
            'text: put the text in quotes, like description: "Note: a rule whose file does not '
            'parse."',
        ),
        (
            RULE.replace("    source", "   source"),
            5,
            "not valid YAML: expected <block end>, but found '<block mapping start>'. The "
            "indentation is inconsistent: this line does not line up with the block that starts "
            "on line 3. Keys of one mapping, and the '-' of each item of one list, must start in "
            "the same column.",
        ),
        (
            RULE.replace("source: tests", "source: 'tests"),
            8,
            "not valid YAML: found unexpected end of stream. The quote ' opened on line 5 is "
            "never closed: end the text with '.",
        ),
        (
            RULE.replace("{responsivity: rural}", "{responsivity: rural"),
            7,
            "not valid YAML: expected ',' or '}', but got ':'. The '{' opened on line 6 is not "
            "closed with '}', or a ',' is missing between its entries.",
        ),
        (
            RULE.replace("source: tests", "source: 'tests' guidance"),
            5,
            "not valid YAML: expected <block end>, but found '<scalar>'. There is more text after "
            "a closing quote or bracket: put the whole text inside the quotes.",
        ),
    ],
    ids=[
        "tab",
        "no_space_after_colon",
        "colon_in_text",
        "indentation",
        "unclosed_quote",
        "unclosed_bracket",
        "text_after_quote",
    ],
)
def test_a_yaml_mistake_is_explained_in_plain_words_at_its_line(
    tmp_path: Path, broken: str, line: int, message: str
) -> None:
    errors = errors_of(tmp_path, {PLANTED_RULES: broken})
    problem = the_one(errors, PLANTED_RULES, "not valid YAML")
    assert (problem.line, problem.message) == (line, message)


# --- 3. a missing required field hides nothing else in its rule ---------------------------------

INCOMPLETE_RULES = textwrap.dedent(
    """\
    # Planted: rules missing a required key, with other mistakes in the same rule.
    stage: 3
    rules:
      - id: planted.no_description
        source: tests
        when: {ogrs_bnd: high}
        then: {recomend: {interventions: [horizon]}}
      - description: A rule with neither an id nor an outcome.
        source: tests
        when: {responsivity: dyslexia}
      - id: planted.no_source
        description: A rule without a source.
        then: {exclude: {interventions: [horizn]}}
        examples:
          - {assessment: {responsivity: [rural]}, fires: sometimes}
    """
)


@pytest.fixture(scope="module")
def incomplete_rule_errors(tmp_path_factory: pytest.TempPathFactory) -> list[Problem]:
    return errors_of(tmp_path_factory.mktemp("incomplete"), {PLANTED_RULES: INCOMPLETE_RULES})


@pytest.mark.parametrize(
    ("message", "suggestion", "at"),
    [
        ("rule 'planted.no_description' has no 'description'", "", "- id: planted.no_description"),
        (
            "rule 'planted.no_description': unknown field 'ogrs_bnd' (did you mean 'ogrs_band'?)",
            "",
            "ogrs_bnd",
        ),
        ("rule 'planted.no_description': unknown outcome 'recomend'", "recommend", "recomend"),
        ("rule '#2' has no 'id'", "", "- description: A rule with neither"),
        ("rule '#2' has no 'then'", "", "- description: A rule with neither"),
        (
            "rule '#2': unknown responsivity code 'dyslexia'; "
            "add it to rules/vocabulary.yaml under responsivity",
            "",
            "dyslexia",
        ),
        ("rule 'planted.no_source' has no 'source'", "", "- id: planted.no_source"),
        ("rule 'planted.no_source': unknown intervention 'horizn'", "horizon", "horizn"),
        ("rule 'planted.no_source' example 1: fires:", "", "fires: sometimes"),
    ],
)
def test_every_problem_in_a_rule_missing_a_required_key_is_reported(
    incomplete_rule_errors: list[Problem], message: str, suggestion: str, at: str
) -> None:
    problem = the_one(incomplete_rule_errors, PLANTED_RULES, message)
    assert problem.suggestion == suggestion
    assert problem.line == line_with(INCOMPLETE_RULES, at)


def test_a_rule_missing_a_required_key_still_does_not_load(tmp_path: Path) -> None:
    rules, catalogue = copy_of_shipped(tmp_path, {PLANTED_RULES: INCOMPLETE_RULES})
    sources = read_sources(rules, catalogue)
    problems: list[Problem] = []
    vocabulary = load_vocabulary(sources, problems)
    assert vocabulary is not None
    interventions = load_catalogue(sources, vocabulary, problems)
    loaded = load_rules(sources, vocabulary, interventions, {}, problems)
    assert not [r for r in loaded.rules if r.file == PLANTED_RULES]
    assert "planted.no_description" not in {r.id for r in loaded.rules}


# --- 4. `matcher new intervention ID` ------------------------------------------------------------

FILLED: dict[str, str] = {
    "name": '"Gambling harm support"',
    "description": '"One-to-one support from a local charity for people whose gambling is '
    'behind their debts and offending."',
    "kind": "partner_service",
    "tier": "targeted",
    "provider": "partner",
    "needs": "[finance, lifestyle]",
    "intensity": "low",
    "formats": "[one_to_one, online]",
    "duration_weeks": "8",
    "sessions": "8",
    "hours_per_week": "1.5",
    "delivery": "[daytime, evening]",
    "settings": "[community]",
    "regions": "[london, wales]",
    "wait_weeks": "2",
    "ld_adapted": "true",
    "women_only": "false",
    "interpreter": "true",
    "source": '"Own entry: no counterpart in the HMPPS find-and-refer catalogue; GamCare guidance"',
    "hmpps": "none",
    "read_on": "2026-11-29",
}
PLACEHOLDER_LINE = re.compile(r"^(\s+)(\w+): .*TODO.*$", re.MULTILINE)


def new_entry(
    args: list[str], capsys: pytest.CaptureFixture[str], code: int = 0
) -> tuple[str, str]:
    assert main(["new", "intervention", *args]) == code
    captured = capsys.readouterr()
    return captured.out, captured.err


def fill(skeleton: str) -> str:
    """The skeleton with realistic values for each placeholder and an eligibility restriction."""
    filled = PLACEHOLDER_LINE.sub(lambda m: f"{m[1]}{m[2]}: {FILLED[m[2]]}", skeleton)
    return filled.replace(
        "    eligibility: {}\n",
        "    eligibility:\n      sentence_type: [community_order, licence]\n      age: {min: 18}\n",
    )


def test_the_skeleton_holds_every_field_of_an_intervention_each_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, catalogue = copy_of_shipped(tmp_path)
    out, _ = new_entry(
        ["gambling_harm_support", "--rules", str(rules), "--catalogue", str(catalogue)], capsys
    )
    (entry,) = yaml.safe_load("interventions:\n" + out)["interventions"]
    optional = {
        "file",
        "line",
        "status",
        "withdrawn_on",
        "contracts",
        "pdu_regions",
    }  # not by `new`
    assert set(entry) == set(Intervention.model_fields) - optional
    assert entry["id"] == "gambling_harm_support"
    lines = out.splitlines()
    for key in entry:
        if key == "id":
            continue
        at = next(n for n, line in enumerate(lines) if line.startswith(f"    {key}:"))
        assert lines[at - 1].lstrip().startswith("#"), f"{key} has no comment above it"
    assert "Allowed: low, moderate, high." in out  # intensity
    assert "Allowed: universal, targeted, specialist." in out  # tier


def test_the_skeleton_lists_the_codes_of_the_live_vocabulary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, catalogue = copy_of_shipped(tmp_path)
    vocabulary = rules / "vocabulary.yaml"
    text = vocabulary.read_text(encoding="utf-8")
    vocabulary.write_text(
        text.replace("responsivity:\n", "responsivity:\n  dyslexia: dyslexia\n", 1)
    )
    regions = catalogue / "regions.yaml"
    text = regions.read_text(encoding="utf-8")
    regions.write_text(text.replace("regions:\n", "regions:\n  cornwall: Cornwall\n", 1))
    out, _ = new_entry(
        ["gambling_harm_support", "--rules", str(rules), "--catalogue", str(catalogue)], capsys
    )
    comments = " ".join(
        line.strip(" #") for line in out.splitlines() if line.lstrip().startswith("#")
    )
    assert re.search(r"responsivity: a list; any one rules the person out, of dyslexia, ", comments)
    assert re.search(
        r"\[london, wales\]\. Do not write all to hide a gap\. Allowed: cornwall, ", comments
    )


def test_a_filled_in_skeleton_appended_to_a_catalogue_file_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, catalogue = copy_of_shipped(tmp_path)
    target = catalogue / "interventions" / "partner_services.yaml"
    before = target.read_text(encoding="utf-8")
    folders = ["--rules", str(rules), "--catalogue", str(catalogue)]
    out, _ = new_entry(["gambling_harm_support", *folders, "--out", str(target)], capsys)
    assert "gambling_harm_support added to" in out and "fill in every TODO" in out
    written = target.read_text(encoding="utf-8")
    assert written.startswith(before)
    target.write_text(before + fill(written[len(before) :]), encoding="utf-8")
    checked = rulebook_module.check(rules, catalogue)
    added = checked.catalogue["gambling_harm_support"]
    assert added.file == "catalogue/interventions/partner_services.yaml"
    assert added.line == line_with(
        target.read_text(encoding="utf-8"), "- id: gambling_harm_support"
    )
    assert (added.needs, added.regions, added.hours_per_week) == (
        ["finance", "lifestyle"],
        ["london", "wales"],
        1.5,
    )
    assert added.eligibility.sentence_type == ["community_order", "licence"]
    assert added.accessibility.ld_adapted and not added.accessibility.women_only
    assert "catalogue.gambling_harm_support.sentence_type" in checked.rules


def test_a_skeleton_left_unfilled_does_not_load_and_names_each_placeholder_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, catalogue = copy_of_shipped(tmp_path)
    target = catalogue / "interventions" / "zz_new.yaml"
    folders = ["--rules", str(rules), "--catalogue", str(catalogue)]
    new_entry(["gambling_harm_support", *folders, "--out", str(target)], capsys)
    text = target.read_text(encoding="utf-8")
    with pytest.raises(RulebookError) as caught:
        rulebook_module.check(rules, catalogue)
    file = "catalogue/interventions/zz_new.yaml"
    found = {p.message: p.line for p in caught.value.problems if p.file == file}
    accessibility = ("ld_adapted", "women_only", "interpreter")
    paths = [k for k in FILLED if k not in accessibility]
    paths += [f"accessibility.{k}" for k in accessibility]
    expected = {
        f"gambling_harm_support: {path} is still the placeholder 'TODO'; fill it in": key_line(
            text, path.split(".")[-1]
        )
        for path in paths
    }
    assert found == expected


@pytest.mark.parametrize(
    "bad", ["Gambling_Support", "gambling-support", "gambling__support", "2gambling", "gambling_"]
)
def test_an_id_that_is_not_lower_snake_case_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    target = tmp_path / "new.yaml"
    _, err = new_entry([bad, "--out", str(target)], capsys, code=1)
    assert f"{bad!r} is not an id: use lower_snake_case" in err
    assert not target.exists()


def test_an_id_already_in_the_catalogue_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, catalogue = copy_of_shipped(tmp_path)
    existing = next(iter(rulebook_module.check(rules, catalogue).catalogue.values()))
    target = catalogue / "interventions" / "partner_services.yaml"
    before = target.read_text(encoding="utf-8")
    folders = ["--rules", str(rules), "--catalogue", str(catalogue)]
    out, err = new_entry([existing.id, *folders, "--out", str(target)], capsys, code=1)
    assert out == ""
    assert err.strip() == (
        f"{existing.id!r} is already in the catalogue ({existing.file}:{existing.line}); "
        "choose a new id (never reuse one)"
    )
    assert target.read_text(encoding="utf-8") == before


def test_an_unknown_code_in_a_policy_file_condition_or_a_new_field_says_where_to_add_it(
    tmp_path: Path,
) -> None:
    """Capacity rules and sequencing edges are parsed apart from rule files; the PDU and the
    accommodation status are coded fields added with the v2 contract."""
    policy = (RULES / "policy.yaml").read_text()
    planted_policy = policy.replace(
        "when: {responsivity: caring_responsibilities}", "when: {responsivity: carer_duties}"
    )
    assert planted_policy != policy
    rule = textwrap.dedent(
        """\
        stage: 3
        rules:
          - id: planted.pdu
            description: A planted rule testing an unknown PDU and accommodation status.
            source: test
            when: {pdu: leedz, accommodation_status: sofa_surfing}
            then: {flag: {code: planted}}
        """
    )
    errors = errors_of(
        tmp_path,
        {"rules/policy.yaml": planted_policy, "rules/rulesets/99_planted.yaml": rule},
    )
    messages = "\n".join(e.message for e in errors)
    assert "'carer_duties'" in messages
    assert "add it to rules/vocabulary.yaml under responsivity" in messages
    assert "'leedz'" in messages and "add it to catalogue/pdus.yaml under pdus" in messages
    assert "'sofa_surfing'" in messages
    assert "add it to rules/vocabulary.yaml under accommodation_statuses" in messages
