"""tools/hmpps_snapshot.py and tools/hmpps_readers.py: every guide reader, the SQL reader, the
migration rules (area applied, dates compared) and a whole run on two tiny git repositories."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


rd = load("hmpps_readers")
snap = load("hmpps_snapshot")

SARA = " (Spousal Assault Risk Assessment)"
SI_TIME = "If there are less than 9 months remaining on the licence or community order, you should check with the Treatment Manager."
BOTH = "This intervention should not be delivered to address needs relating directly to\nsexual offending or intimate partner violence."


# --- guide readers ----------------------------------------------------------------------------


def test_normalise_collapses_whitespace_and_drops_placeholders() -> None:
    assert rd.normalise("  OGRS3 (over 2 years):\nscore 25+ ") == "OGRS3 (over 2 years): score 25+"
    assert [rd.normalise(t) for t in ("NA", "Null", " ", None, 3)] == [None] * 5


@pytest.mark.parametrize(
    ("text", "tool", "expected"),
    [
        ("Medium or high SARA" + SARA, "SARA", ["medium", "high"]),
        ("High SARA" + SARA + " against partners", "SARA", ["high"]),
        ("Low risk on SARA", "SARA", ["low"]),
        (
            "High or very high OSP (OASys Sexual Reconviction Predictor)",
            "OSP",
            ["high", "very_high"],
        ),
        ("Medium, high or very high OSP (OASys ...)", "OSP", ["medium", "high", "very_high"]),
        ("High OGRS (Offender Group Reconviction Scale)", "OGRS", ["high"]),
        ("Medium OVP (OASys Violence Predictor)", "OVP", ["medium"]),
        ("Medium or high ROSH (Risk of Serious Harm) 50+ OGRS", "ROSH", ["medium", "high"]),
        ("Low and medium OGRS", "OGRS", ["low", "medium"]),
        ("< Medium for SI OR if Medium = BBR unless insufficient time", "SARA", None),
        ("SARA" + SARA, "SARA", None),
        (
            "Low, but if Medium+, then non-suitability for Accredited Programme route applies.",
            "OSP",
            None,
        ),
        ("High OVP (OASys Violence Predictor)", "OGRS", None),
    ],
)
def test_levels(text: str, tool: str, expected: list[str] | None) -> None:
    assert rd.levels(text, tool) == expected


@pytest.mark.parametrize(
    ("text", "tool", "expected"),
    [
        ("OGRS3 (over 2 years): score 25+", "OGRS", 25),
        ("OGRS: score 25+", "OGRS", 25),
        ("50+ OGRS (Offender Group Reconviction Scale)", "OGRS", 50),
        ("50+ OGRS3 (Offender Group Reconviction Scale 3) over 2 years", "OGRS", 50),
        ("Medium or high ROSH (Risk of Serious Harm) 50+ OGRS (Offender ...)", "OGRS", 50),
        ("If OVP not available, then OGRS3: score 25+", "OGRS", None),
        ("If OVP not available, then 25+ OGRS", "OGRS", None),
        ("OGRS3 (Offender Group Reconviction Scale 3)", "OGRS", None),
        ("OVP: score 20+", "OVP", 20),
        ("OVP (over 2 years): score 20+", "OVP", 20),
        ("OVP: score 20+", "OGRS", None),
    ],
)
def test_score_min(text: str, tool: str, expected: int | None) -> None:
    assert rd.score_min(text, tool) == expected


def test_ogrs_if_no_ovp_and_ogrs_range() -> None:
    assert rd.ogrs_if_no_ovp("If OVP not available, then OGRS3 (over 2 years): score 25+") == 25
    assert rd.ogrs_if_no_ovp("If OVP not available, then OGRS3: score 25+") == 25
    assert rd.ogrs_if_no_ovp("OGRS3 (over 2 years): score 25+") is None
    assert rd.ogrs_range("Medium (35 to 75%) OGRS (Offender Group Reconviction Scale)") == [35, 75]
    assert rd.ogrs_range("50+ OGRS") is None


def test_time_left_in_weeks_and_the_si_check() -> None:
    text = "12 months on licence or at least 18 months on community order"
    assert rd.weeks_left(text) == {"licence": 52, "community_order": 78}
    assert rd.weeks_left(SI_TIME) is None
    assert rd.weeks_left_check(SI_TIME) == 39
    assert rd.weeks_left_check(text) is None


def test_substance_readers() -> None:
    text = (
        "This toolkit is not suitable for men with an alcohol treatment requirement or drug "
        "rehabilitation requirement. Men that self-report or are assessed as dependent on any "
        "substance are not eligible."
    )
    assert rd.excluded_requirements(text) == ["alcohol_treatment", "drug_rehabilitation"]
    assert rd.excluded_requirements("Has a drug rehabilitation requirement.") is None
    assert rd.excludes_dependent_users(text) is True
    stable = "Any alcohol or drug-related problems must be stable before attending the programme"
    assert rd.stable_substance_use(stable) is True
    assert rd.stable_substance_use(text) is None
    assert rd.stable_substance_use("Accommodation must be stable.") is None


@pytest.mark.parametrize(
    ("text", "sexual", "ipv"),
    [
        (" ".join(BOTH.split()), True, True),
        ("This toolkit is not suitable for men convicted of a sexual offence.", True, None),
        ("This toolkit is not suitable for women convicted of a sexual offence.", True, None),
        ("If Sex offence", True, None),
        ("None internet sexual offence", None, None),
    ],
)
def test_offence_exclusions(text: str, sexual: bool | None, ipv: bool | None) -> None:
    assert (rd.not_for_sexual_offence(text), rd.not_for_ipv(text)) == (sexual, ipv)


def test_accredited_programme_and_other_flags() -> None:
    must_not = "The person you are referring must not be suitable for, or be unable to access an Accredited Programme."
    should_not = "The person you are referring should not be eligible for an Accredited Programme that they could likely complete before the end of their sentence."
    alongside = "If the person meets the criteria for an Accredited Programme, or another Structured Intervention, they can do Stepwise Driving alongside it."
    assert rd.not_if_accredited(must_not) and rd.not_if_accredited(should_not)
    assert rd.not_if_accredited(alongside) is None
    assert rd.alongside_accredited(alongside) is True
    assert rd.alongside_accredited(must_not) is None
    assert rd.heterosexual_men_only("This programme is only suitable for heterosexual men.")


NAMES = {
    "kaizen-gv": "Kaizen: general violence offence",
    "kaizen-so": "Kaizen: sexual offence",
    "horizon": "Horizon",
    "ihorizon": "iHorizon",
    "bnm-gv": "Becoming New Me Plus: general violence offence",
    "nms-so": "New Me Strengths: sexual offence",
    "lanm": "Living as New Me",
    "hsp": "Healthy Sex Programme",
}
DEFINES = "Becoming New Me Plus (BNM+) or \nNew Me Strengths (NMS)"


def test_follows_resolves_families_and_learnt_abbreviations_only() -> None:
    names = rd.Names(NAMES, [DEFINES])
    refs, unresolved = rd.follows("Kaizen, Horizon, BNM+ or NMS", names, "hsp")
    assert refs == ["bnm-gv", "horizon", "kaizen-gv", "kaizen-so", "nms-so"]
    assert unresolved == []
    mot = "This is for graduates of: \n* Kaizen\n* Becoming New Me\n* iHorizon\n* Living as New me\n* Self Change Programme (SCP)"
    refs, unresolved = rd.follows(mot, names, "mot")
    assert refs == ["ihorizon", "kaizen-gv", "kaizen-so", "lanm"]
    assert unresolved == ["Becoming New Me", "Self Change Programme (SCP)"]
    assert rd.follows("Kaizen, BNM+", rd.Names(NAMES), "x") == (
        ["kaizen-gv", "kaizen-so"],
        ["BNM+"],
    )
    dawn = "If the person meets the criteria for an Accredited Programme, or Horizon, they can do DAWN alongside it."
    assert rd.follows(dawn, names, "dawn") == ([], [])


def test_read_keeps_only_sure_facts_and_drops_disagreements() -> None:
    guides = {
        "ogrs": "If OVP not available, then OGRS3: score 25+",
        "ovp": "OVP: score 20+",
        "time_left": SI_TIME,
        "other_method": "This programme is only suitable for heterosexual men.",
        "enabling": "Kaizen or Horizon",
    }
    assert rd.read(guides, rd.Names(NAMES), "hsp") == {
        "ogrs_min_if_no_ovp": 25,
        "ovp_min": 20,
        "weeks_left_check": 39,
        "heterosexual_men_only": True,
        "follows": ["horizon", "kaizen-gv", "kaizen-so"],
    }
    clash = {"ogrs": "OGRS: score 25+", "rosh": "Medium ROSH 50+ OGRS"}
    assert rd.read(clash, rd.Names({}), "x") == {"rosh_levels": ["medium"]}


def intervention_file(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": "U-1",
        "intervention_catalogue": {
            "name": "Help Programme ",
            "int_type": "SI",
            "short_description": "left out",
            "session_detail": " 1 x pre-group session \n 12 x group sessions ",
        },
        "delivery_method": {"format": "Group or one-to-one"},
        "delivery_method_settings": ["COMMUNITY"],
        "criminogenic_needs": ["Thinking and Behaviour", "Relationships and Family"],
        "personal_eligibility": {
            "min_age": "18",
            "max_age": "Any",
            "males": True,
            "females": False,
        },
        "risk_consideration": {"cn_score_guide": "x" * 250, "ovp_guide": "OVP: score 20+"},
        "special_educational_needs": {
            "exclusion_literacy_level_guide": "able to read",
            "learning_disability_catered_for": "Yes, but reviewed case by case",
        },
        "exclusion": {"convicted_for_offence_type": "Null", "literacy_level": None},
        "enabling_intervention": None,
    }
    return data | overrides


def test_intervention_keeps_facts_and_leaves_out_descriptions() -> None:
    record = snap.intervention("help-programme-si", intervention_file(), rd.Names({}))
    assert record == {
        "ref": "help-programme-si",
        "uuid": "U-1",
        "name": "Help Programme",
        "type": "SI",
        "settings": ["community"],
        "genders": ["male"],
        "age": {"min": 18, "max": None},
        "learning_disability_catered": "case_by_case",
        "criminogenic_needs": ["Relationships and Family", "Thinking and Behaviour"],
        "session_detail": "1 x pre-group session \n 12 x group sessions",
        "format": "Group or one-to-one",
        "guides": {"ovp": "OVP: score 20+", "literacy": "able to read"},
        "read": {"ovp_min": 20},
    }
    short = intervention_file(risk_consideration={"cn_score_guide": "11.3 = 2"})
    assert snap.intervention("x", short, rd.Names({}))["guides"] == {
        "need_score": "11.3 = 2",
        "literacy": "able to read",
    }
    with pytest.raises(ValueError, match="age"):
        snap.intervention(
            "x",
            intervention_file(
                personal_eligibility={
                    "min_age": "adult",
                    "max_age": None,
                    "males": True,
                    "females": False,
                }
            ),
            rd.Names({}),
        )


# --- SQL and migrations -----------------------------------------------------------------------

SQL = """
-- a comment; with a semicolon
insert into contract_type(id, name, code)
values ('t1', 'Women''s Services', 'WOS'), ('t2', 'Mentoring; GM', 'MTR');
INSERT INTO service_category (id, created, name) VALUES ('s1', NOW(), 'Accommodation') ON CONFLICT DO NOTHING;
update intervention set description = $$ update dynamic_framework_contract set x = 1; $$ where id = 'i';
UPDATE contract_type SET name = 'Mentoring' WHERE code IN ('MTR', 'ZZZ');
delete from contract_type where id = 't9' and name is not null;
"""


def test_statements_mask_strings_comments_and_dollar_quotes() -> None:
    found = rd.statements(SQL)
    assert len(found) == 5
    text, literals = found[0]
    assert (
        text
        == "insert into contract_type ( id , name , code ) values ( $0 , $1 , $2 ) , ( $3 , $4 , $5 )"
    )
    assert literals[1] == "Women's Services" and literals[4] == "Mentoring; GM"


def test_parse_reads_insert_update_delete_on_followed_tables_only() -> None:
    tables = ["contract_type", "service_category"]
    ops = [rd.parse(t, lits, tables) for t, lits in rd.statements(SQL)]
    assert ops[0] == {
        "op": "insert",
        "table": "contract_type",
        "columns": ["id", "name", "code"],
        "rows": [("t1", "Women's Services", "WOS"), ("t2", "Mentoring; GM", "MTR")],
        "quiet": False,
    }
    assert ops[1]["quiet"] is True and ops[1]["rows"][0][1] is rd.OPAQUE
    assert ops[2] is None  # the intervention table is not followed
    assert ops[3] == {
        "op": "update",
        "table": "contract_type",
        "set": {"name": "Mentoring"},
        "where": [("code", "in", ("MTR", "ZZZ"))],
    }
    assert ops[4]["where"] == [("id", "=", "t9"), ("name", "is not null", None)]
    unreadable = rd.statements("update contract_type set name = 'x' where id = (select 1)")[0]
    assert rd.parse(*unreadable, tables)["where"] is None


def test_apply_runs_inserts_updates_and_deletes() -> None:
    rows: list[dict[str, Any]] = []
    tables = ["contract_type"]
    for text, literals in rd.statements(SQL):
        if op := rd.parse(text, literals, tables):
            rd.apply(rows, ("id",), op, "V1")
    assert rows == [
        {"id": "t1", "name": "Women's Services", "code": "WOS"},
        {"id": "t2", "name": "Mentoring", "code": "MTR"},
    ]
    again = rd.parse(*rd.statements("insert into contract_type (id) values ('t1')")[0], tables)
    with pytest.raises(rd.SqlError, match="second"):
        rd.apply(rows, ("id",), again, "V2")
    delete = rd.parse(
        *rd.statements("delete from contract_type where name = 'Mentoring'")[0], tables
    )
    rd.apply(rows, ("id",), delete, "V3")
    assert [r["id"] for r in rows] == ["t1"]


def test_flyway_order() -> None:
    names = [
        "R__doc.sql",
        "V1_102__b.sql",
        "V1_93_2__a.sql",
        "V1_93__a.sql",
        "V1_16_1__r.sql",
        "V1_2_1__s.sql",
    ]
    assert sorted(names, key=rd.version) == [
        "V1_2_1__s.sql",
        "V1_16_1__r.sql",
        "V1_93__a.sql",
        "V1_93_2__a.sql",
        "V1_102__b.sql",
        "R__doc.sql",
    ]


def contract_row(ref: str, nps: str | None, pcc: str | None, until: str | None) -> dict[str, Any]:
    return {
        "id": f"id-{ref}",
        "contract_reference": ref,
        "nps_region_id": nps,
        "pcc_region_id": pcc,
        "referral_start_date": "2021-01-01",
        "referral_end_at": until,
        "changed_by": [],
    }


def test_migrations_apply_areas_and_compare_dates() -> None:
    rows = [
        contract_row("P1", "C", None, None),
        contract_row("P2", None, "kent", "2024-03-31T23:59:00+00"),
    ]
    files = [
        (
            "V1_144__a.sql",
            "update dynamic_framework_contract set pcc_region_id = 'humberside', nps_region_id = null where contract_reference = 'P1';",
        ),
        (
            "V1_160__b.sql",
            "update dynamic_framework_contract set referral_end_at = '2024-03-30 23:59:00+00' where contract_reference in ('P2', 'P9');",
        ),
        (
            "V1_217__c.sql",
            "update dynamic_framework_contract set referral_start_date = '2021-01-01', start_date = '2021-01-01' where id='id-P2';",
        ),
        (
            "V1_50_2__d.sql",
            "update dynamic_framework_contract set contract_type_id = s.t from (select 1) as s where dynamic_framework_contract.id = s.id;",
        ),
    ]
    notes: list[str] = []
    _, used = snap.run_migrations(files, rows, notes)
    assert (rows[0]["nps_region_id"], rows[0]["pcc_region_id"]) == (None, "humberside")
    assert rows[0]["changed_by"] == [
        {
            "migration": "V1_144__a.sql",
            "change": "pcc_region_id null → humberside; nps_region_id C → null",
        }
    ]
    assert rows[1]["referral_end_at"] == "2024-03-31T23:59:00+00"  # the JSON date stays
    first, second = rows[1]["changed_by"]
    assert "ambiguous, not applied" in first["change"]
    assert second["change"] == "referral_start_date 2021-01-01 (JSON already agrees)"
    assert notes == []  # P9 is named inside an in-list that also names P2
    assert used == [name for name, _ in files]


def test_a_migration_value_agrees_with_the_json_on_the_same_day_or_moment() -> None:
    assert snap._same("2024-03-31T23:59:00+00", "2024-03-31 23:59:00+00")
    assert snap._same("2024-03-31T23:59:00+00", "2024-03-31")  # end_date is a date
    assert not snap._same("2024-03-31T23:59:00+00", "2024-03-30 23:59:00+00")
    assert snap._same(None, None) and not snap._same("C", None)


@pytest.mark.parametrize(
    "sql",
    [
        "update dynamic_framework_contract set minimum_age = 21 where contract_reference = 'P1'",
        "update dynamic_framework_contract set nps_region_id = 'A' where contract_reference like 'P%'",
        "delete from dynamic_framework_contract where contract_reference = 'P1'",
        "update dynamic_framework_contract set contract_reference = md5('x') where id = 'id-P1'",
    ],
)
def test_migrations_stop_on_what_they_cannot_read(sql: str) -> None:
    with pytest.raises(rd.SqlError):
        snap.run_migrations([("V9__x.sql", sql)], [contract_row("P1", "C", None, None)], [])


# --- our ids, contracts -----------------------------------------------------------------------


def test_our_ids_from_the_catalogue_yaml() -> None:
    regions = "when: x\nregions:\n  north_east: North East\n  kent_surrey_sussex: Kent, Surrey and Sussex\n"
    assert rd.our_regions(regions) == {
        "North East": "north_east",
        "Kent, Surrey and Sussex": "kent_surrey_sussex",
    }
    pdus = "# police_force_area: taken from\npdus:\n  a:\n    name: A\n    region: north_east\n    police_force_area: durham  # note\n"
    assert rd.our_police_force_areas(pdus) == {"durham": {"north_east"}}


def reference_tables(
    nps_name: str = "North East", pcc: str = "durham"
) -> dict[str, list[dict[str, Any]]]:
    return {
        "nps_region": [{"id": "A", "name": nps_name}],
        "pcc_region": [{"id": pcc, "name": "Durham", "nps_region_id": "A"}],
    }


def test_reference_ids_map_to_ours_or_stop() -> None:
    catalogue = ROOT / "catalogue"
    regions, forces = snap.reference_ids(reference_tables(), catalogue, [])
    assert regions == {"A": {"name": "North East", "region": "north_east"}}
    assert forces == {
        "durham": {"name": "Durham", "region": "north_east", "police_force_area": "durham"}
    }
    with pytest.raises(SystemExit, match="Northern"):
        snap.reference_ids(reference_tables(nps_name="Northern"), catalogue, [])
    with pytest.raises(SystemExit, match="city-of-london"):
        snap.reference_ids(reference_tables(pcc="city-of-london"), catalogue, [])


def test_locations_strip_html_and_leave_out_addresses() -> None:
    activities = [
        {"delivery_location": "<html><b>Cumbria</b>, Barrow,  Kendal </html>"},
        {"delivery_location": "Hub, 20 Swan Street, Manchester, M4 5JW"},
        {"delivery_location": ""},
        {"delivery_location": "Barrow"},
    ]
    assert snap.locations(activities) == (["Barrow", "Cumbria, Barrow, Kendal"], 1)


# --- a whole run ------------------------------------------------------------------------------


def git_repo(path: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    moment = "2026-06-30T10:00:00Z"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t", "GIT_AUTHOR_DATE": moment}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t", "GIT_COMMITTER_DATE": moment}
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "fixture"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


CONTRACT = {
    "internal_contract_id": "c1",
    "contract_reference": "P1",
    "contract_type_id": "MTR",
    "region": {"nps_region_code": None, "pcc_region_code": "durham"},
    "eligibility": {
        "allows_female": True,
        "allows_male": True,
        "minimum_age": 18,
        "maximum_age": 25,
    },
    "scheduling": {"hide_before": "2021-01-01", "hide_after": "2026-03-10T23:59:00+00"},
    "providers": {"prime_provider_code": "P", "subcontractor_codes": []},
    "incoming_distribution_email": "left-out@example.invalid",
    "activities": [{"delivery_location": "Durham"}],
}
MIGRATIONS = {
    "V1_16_1__nps.sql": "insert into nps_region (id, name) values ('A', 'North East');",
    "V1_17_1__pcc.sql": "insert into pcc_region (id, name, nps_region_id) values ('durham', 'Durham', 'A');",
    "V1_50_1__types.sql": "insert into contract_type (id, name, code) values ('t', 'Mentoring', 'MTR');\n"
    "insert into service_category (id, name) values ('s', 'Social Inclusion');\n"
    "insert into contract_type_service_category (contract_type_id, service_category_id) values ('t', 's');",
}


def fixture_repos(tmp_path: Path) -> tuple[Path, str, Path, str]:
    far_dir, int_dir = tmp_path / "far", tmp_path / "int"
    far_dir.mkdir(), int_dir.mkdir()
    far_file = f"{snap.FIND_AND_REFER['path']}help-si.json"
    far = git_repo(far_dir, {far_file: json.dumps(intervention_file())})
    files = {f"{snap.INTERVENTIONS['contracts']}P1.json": json.dumps(CONTRACT)}
    files |= {snap.INTERVENTIONS["migrations"] + name: sql for name, sql in MIGRATIONS.items()}
    return far_dir / ".git", far, int_dir / ".git", git_repo(int_dir, files)


def test_a_whole_run_is_byte_identical_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    far_git, far, int_git, inter = fixture_repos(tmp_path)
    out = tmp_path / "out"
    args = ["--find-and-refer", str(far_git), "--find-and-refer-commit", far[:8], "--out", str(out)]
    args += ["--interventions", str(int_git), "--interventions-commit", inter]
    assert snap.main(args) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert snap.main(args) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert "referrals ended before 2026-11-29: 1: P1 2026-03-10" in capsys.readouterr().out
    far_json = json.loads(first["find_and_refer.json"])
    assert far_json["source"]["commit"] == far and far_json["source"]["committed"] == "2026-06-30"
    assert [i["ref"] for i in far_json["interventions"]] == ["help-si"]
    con = json.loads(first["contracts.json"])
    assert con["contracts"] == [
        {
            "ref": "P1",
            "type": "MTR",
            "type_name": "Mentoring",
            "service_categories": ["Social Inclusion"],
            "area": {"police_force_area": "durham", "region": "north_east"},
            "locations": ["Durham"],
            "genders": ["female", "male"],
            "age": {"min": 18, "max": 25},
            "referrals_from": "2021-01-01",
            "referrals_until": "2026-03-10",
            "prime_provider": "P",
            "changed_by": [],
        }
    ]
    assert b"example.invalid" not in first["contracts.json"]
    assert first["find_and_refer.json"].endswith(b"}\n")
