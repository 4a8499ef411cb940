"""Write catalogue/reference/: a facts-only snapshot of two public HMPPS repositories.

    python tools/hmpps_snapshot.py                 # reads the local mirrors at the pinned commits
    python tools/hmpps_snapshot.py --find-and-refer GITDIR --interventions GITDIR --out DIR

find_and_refer.json: the interventions of hmpps-find-and-refer-an-intervention-service, with short
eligibility texts verbatim and the facts the readers in tools/hmpps_readers.py are sure of.
contracts.json: the contracts of hmpps-interventions-service, with the Flyway migrations that change
a contract's area, dates or reference applied on top, and the region, police-force-area and
contract-type tables the migrations build. Standard library only; reads bare git directories;
the same inputs give byte-identical files. catalogue/reference/README.md explains every field.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hmpps_readers as rd

ROOT = Path(__file__).resolve().parent.parent
MIRRORS = Path("/work/.mirror")
FIND_AND_REFER = {
    "repo": "ministryofjustice/hmpps-find-and-refer-an-intervention-service",
    "commit": "e5e81282aa5fed3b88c67eb9453142028ede9c7e",
    "path": "src/main/resources/db/interventions/",
}
INTERVENTIONS = {
    "repo": "ministryofjustice/hmpps-interventions-service",
    "commit": "6cc17e91bb5e364c92ed41e2244f5dd9bcb252e2",
    "contracts": "src/main/resources/contracts/",
    "migrations": "src/main/resources/db/migration/",
}
CUTOFF = "2026-11-29"  # the summary lists contracts whose referrals ended before this day
NEED_SCORE_MAX = 200  # need-score guidance is kept only when shorter than this

# guide key → "section.field" in a find-and-refer file (the first present one wins)
GUIDES = {
    "ogrs": "risk_consideration.ogrs_score_guide",
    "ovp": "risk_consideration.ovp_guide",
    "ogp": "risk_consideration.ogp_guide",
    "rsr": "risk_consideration.rsr_guide",
    "osp": "risk_consideration.osp_score_guide",
    "osp_dc_iic": "risk_consideration.osp_dc_icc_combination_guide",
    "sara_partner": "risk_consideration.sara_partner_score_guide",
    "sara_other": "risk_consideration.sara_other_score_guide",
    "rosh": "risk_consideration.rosh_level",
    "pna": "risk_consideration.pna_guide",
    "extremism": "risk_consideration.extremism_risk_guide",
    "need_score": "risk_consideration.cn_score_guide",
    "time_left": "exclusion.remaining_license_community_order_guide",
    "min_remaining_sentence": "exclusion.min_remaining_sentence_duration_guide",
    "alcohol_drug": "exclusion.alcohol_drug_problem_guide",
    "mental_health": "exclusion.mental_health_problem_guide",
    "not_if_eligible_for_another": "exclusion.not_allowed_if_eligible_for_another_intervention",
    "literacy": "exclusion.literacy_level special_educational_needs.exclusion_literacy_level_guide",
    "other_method": "exclusion.other_preferred_method_guide",
    "excluded_offence": "exclusion.convicted_for_offence_type",
    "enabling": "enabling_intervention.qualifying_previous_intervention",
    "offence_type": "enabling_intervention.convicted_for_offence_type",
}


def git(gitdir: Path, *args: str) -> str:
    run = subprocess.run(["git", f"--git-dir={gitdir}", *args], capture_output=True, check=False)
    if run.returncode:
        sys.exit(f"git {' '.join(args)} in {gitdir}: {run.stderr.decode().strip()}")
    return run.stdout.decode("utf-8")


def listing(gitdir: Path, commit: str, folder: str, suffix: str) -> list[str]:
    names = git(gitdir, "ls-tree", "-z", "--name-only", commit, folder).split("\0")
    return sorted(n for n in names if n.endswith(suffix))


def source(gitdir: Path, repo: str, commit: str) -> dict[str, str]:
    full = git(gitdir, "rev-parse", "--verify", f"{commit}^{{commit}}").strip()
    committed = git(gitdir, "show", "-s", "--format=%cs", full).strip()
    return {"repo": repo, "commit": full, "committed": committed}


# --- find and refer -------------------------------------------------------------------------


def _age(value: object, where: str) -> int | None:
    if value is None or str(value).strip().casefold() in ("", "any"):
        return None
    if not re.fullmatch(r"\d+", str(value).strip()):
        raise ValueError(f"{where}: age {value!r} is not a whole number or Any")
    return int(str(value).strip())


def _ld(value: object, where: str) -> str | None:
    """ "Yes" → yes, "No" → no, "Yes, but reviewed case by case" / "Assessed case by case" → case_by_case."""
    text = (rd.normalise(value) or "").casefold()
    if text in ("", "yes", "no"):
        return text or None
    if "case by case" not in text:
        raise ValueError(
            f"{where}: learning disability catering {value!r} is not Yes/No/case by case"
        )
    return "case_by_case"


def guides(data: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, places in GUIDES.items():
        pairs = [place.split(".") for place in places.split()]
        texts = [rd.normalise((data.get(section) or {}).get(field)) for section, field in pairs]
        text = next((t for t in texts if t), None)
        if text and not (key == "need_score" and len(text) >= NEED_SCORE_MAX):
            found[key] = text
    return found


def intervention(ref: str, data: dict[str, Any], names: rd.Names) -> dict[str, Any]:
    """One find-and-refer file as facts: no descriptions, outcomes or reasons for referral."""
    catalogue, person = data["intervention_catalogue"], data["personal_eligibility"]
    settings = sorted(s.lower() for s in data["delivery_method_settings"])
    if not set(settings) <= {"community", "custody"}:
        raise ValueError(f"{ref}: unknown setting in {settings}")
    found, session = guides(data), (catalogue.get("session_detail") or "").strip()
    needs = data.get("special_educational_needs") or {}
    return {
        "ref": ref,
        "uuid": data["uuid"],
        "name": catalogue["name"].strip(),
        "type": catalogue["int_type"],
        "settings": settings,
        "genders": [g for g in ("female", "male") if person[f"{g}s"]],
        "age": {"min": _age(person["min_age"], ref), "max": _age(person["max_age"], ref)},
        "learning_disability_catered": _ld(needs.get("learning_disability_catered_for"), ref),
        "criminogenic_needs": sorted(data.get("criminogenic_needs") or []),
        "session_detail": session or None,
        "format": (data.get("delivery_method") or {}).get("format"),
        "guides": found,
        "read": rd.read(found, names, ref),
    }


def find_and_refer(gitdir: Path, commit: str) -> dict[str, Any]:
    folder = FIND_AND_REFER["path"]
    files = listing(gitdir, commit, folder, ".json")
    raw = {Path(f).stem: json.loads(git(gitdir, "show", f"{commit}:{f}")) for f in files}
    names = rd.Names(
        {ref: d["intervention_catalogue"]["name"].strip() for ref, d in raw.items()},
        [g["enabling"] for g in map(guides, raw.values()) if "enabling" in g],
    )
    return {
        "source": {**source(gitdir, FIND_AND_REFER["repo"], commit), "path": folder},
        "interventions": [intervention(ref, raw[ref], names) for ref in sorted(raw)],
    }


# --- migrations -----------------------------------------------------------------------------

CONTRACTS = "dynamic_framework_contract"
KEYS = dict.fromkeys(("nps_region", "pcc_region", "contract_type", "service_category"), ("id",))
KEYS["contract_type_service_category"] = ("contract_type_id", "service_category_id")
AREA = ("nps_region_id", "pcc_region_id")
# a migration's date column → the contract field it would set (start_date/end_date: older copies)
DATES = {"referral_start_date": "referral_start_date", "start_date": "referral_start_date"}
DATES |= {"referral_end_at": "referral_end_at", "end_date": "referral_end_at"}
IGNORED = {"contract_type_id"}  # set by V1_50_2 from a subquery; the JSON gives the type


def migrations(gitdir: Path, commit: str) -> list[tuple[str, str]]:
    """The migrations that name a table the snapshot follows, in the order Flyway runs them."""
    files = listing(gitdir, commit, INTERVENTIONS["migrations"], ".sql")
    pattern = re.compile("|".join(rf"\b{t}\b" for t in [CONTRACTS, *KEYS]), re.I)
    texts = [(Path(f).name, git(gitdir, "show", f"{commit}:{f}")) for f in files]
    return sorted(((n, t) for n, t in texts if pattern.search(t)), key=lambda nt: rd.version(nt[0]))


def _same(old: object, new: object) -> bool:
    """The JSON value and a migration's value agree (a date agrees with a timestamp on that day)."""
    old, new = (None if v is None else str(v).replace("T", " ") for v in (old, new))
    if old and new and re.fullmatch(r"\d{4}-\d\d-\d\d", new):
        return old[:10] == new
    return old == new


def contract_change(row: dict[str, Any], sets: dict[str, Any]) -> str:
    """Apply one update to a contract row and say what it did; dates stay as the JSON gives them."""
    parts = []
    for column, value in sets.items():
        field = DATES.get(column, column)
        if column != field and field in sets:  # start_date beside referral_start_date
            continue
        if _same(row[field], value):
            parts.append(f"{column} {value} (JSON already agrees)")
        elif column in DATES:
            parts.append(
                f"{column} {value}: ambiguous, not applied — the JSON says {row[field]} and the "
                "onboarding job re-applies JSON dates to existing contracts"
            )
        else:
            parts.append(f"{column} {row[field] or 'null'} → {value or 'null'}")
            row[field] = value
    return "; ".join(parts)


def apply_contracts(rows: list[dict], where: str, op: dict[str, Any], notes: list[str]) -> None:
    """Apply an update on dynamic_framework_contract to the JSON contracts it names."""
    sets = {c: v for c, v in op["set"].items() if c not in IGNORED}
    if op["op"] == "update" and not sets:
        return
    unknown = set(sets) - {*AREA, *DATES, "contract_reference"}
    if op["op"] != "update" or unknown or op["where"] is None:
        raise rd.SqlError(f"{where}: cannot read the {op['op']} on {CONTRACTS} ({sorted(unknown)})")
    hits = [r for r in rows if rd.matches(r, op["where"])]
    if hits and any(v is rd.OPAQUE for v in sets.values()):
        raise rd.SqlError(f"{where}: sets a contract to an expression")
    named = [c for c, o, _ in op["where"] if c in ("contract_reference", "id") and o in ("=", "in")]
    if named and not hits:
        notes.append(f"{where} names a contract that is not in the JSON: {op['where']}")
    for row in hits:
        row["changed_by"].append({"migration": where, "change": contract_change(row, sets)})


def run_migrations(files: list[tuple[str, str]], rows: list[dict], notes: list[str]) -> Any:
    """Build the reference tables and change `rows` (the JSON contracts) migration by migration."""
    tables: dict[str, list[dict[str, Any]]] = {table: [] for table in KEYS}
    used, tracked = [], [CONTRACTS, *KEYS]
    for name, sql in files:
        ops = [op for t, lits in rd.statements(sql) if (op := rd.parse(t, lits, tracked))]
        for op in ops:
            if op["table"] == CONTRACTS:
                apply_contracts(rows, name, op, notes)
            else:
                rd.apply(tables[op["table"]], KEYS[op["table"]], op, name)
        used += [name] if ops else []
    return tables, used


# --- contracts ------------------------------------------------------------------------------

_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")


def locations(activities: list[dict[str, Any]]) -> tuple[list[str], int]:
    """Distinct delivery places, HTML stripped; strings holding street addresses are left out."""
    html = re.compile(r"<[^>]*>")
    texts = {rd.normalise(html.sub("", a.get("delivery_location") or "")) for a in activities}
    places = {t for t in texts if t}
    kept = sorted(t for t in places if not _POSTCODE.search(t))
    return kept, len(places) - len(kept)


def reference_ids(tables: dict[str, list[dict]], catalogue: Path, notes: list[str]) -> tuple:
    """The NPS regions and police-force areas of the migrations, with our ids."""
    ours = rd.our_regions((catalogue / "regions.yaml").read_text(encoding="utf-8"))
    areas = rd.our_police_force_areas((catalogue / "pdus.yaml").read_text(encoding="utf-8"))
    regions, forces = {}, {}
    for row in sorted(tables["nps_region"], key=lambda r: r["id"]):
        if row["name"] not in ours:
            sys.exit(f"NPS region {row['id']} {row['name']!r} is not in catalogue/regions.yaml")
        regions[row["id"]] = {"name": row["name"], "region": ours[row["name"]]}
    for row in sorted(tables["pcc_region"], key=lambda r: r["id"]):
        area, region = row["id"].replace("-", "_"), regions[row["nps_region_id"]]["region"]
        if area not in areas:
            sys.exit(f"PCC region code {row['id']!r} is not a police_force_area in pdus.yaml")
        if areas[area] != {region}:
            notes.append(f"{row['id']} is in {region}; in pdus.yaml in {sorted(areas[area])}")
        forces[row["id"]] = {"name": row["name"], "region": region, "police_force_area": area}
    return regions, forces


def contract_types(tables: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Contract type code → its name and the names of its service categories."""
    names, linked = {r["id"]: r["name"] for r in tables["service_category"]}, {}
    for link in tables["contract_type_service_category"]:
        linked.setdefault(link["contract_type_id"], []).append(names[link["service_category_id"]])
    return {
        t["code"]: {"name": t["name"], "categories": sorted(linked.get(t["id"], []))}
        for t in tables["contract_type"]
    }


def contract(data: dict, row: dict, types: dict, regions: dict, forces: dict) -> dict[str, Any]:
    """One contract as facts: no title, description, e-mail address or subcontractors."""
    kind, person = types[data["contract_type_id"]], data["eligibility"]
    if row["nps_region_id"] is not None and row["pcc_region_id"] is None:
        area = {"region": regions[row["nps_region_id"]]["region"]}
    elif row["pcc_region_id"] is not None and row["nps_region_id"] is None:
        force = forces[row["pcc_region_id"]]
        area = {"police_force_area": force["police_force_area"], "region": force["region"]}
    else:
        raise ValueError(f"{row['contract_reference']}: needs exactly one of {AREA}: {row}")
    until = row["referral_end_at"]
    return {
        "ref": row["contract_reference"],
        "type": data["contract_type_id"],
        "type_name": kind["name"],
        "service_categories": kind["categories"],
        "area": area,
        "locations": locations(data.get("activities") or [])[0],
        "genders": [g for g in ("female", "male") if person[f"allows_{g}"]],
        "age": {"min": person["minimum_age"], "max": person["maximum_age"]},
        "referrals_from": row["referral_start_date"],
        "referrals_until": until[:10] if until else None,
        "prime_provider": data["providers"]["prime_provider_code"],
        "changed_by": row["changed_by"],
    }


def contracts(gitdir: Path, commit: str, catalogue: Path) -> tuple[dict[str, Any], list[str]]:
    folder, notes = INTERVENTIONS["contracts"], []
    raw = [
        json.loads(git(gitdir, "show", f"{commit}:{f}"))
        for f in listing(gitdir, commit, folder, ".json")
    ]
    rows = [
        {
            "id": d["internal_contract_id"],
            "contract_reference": d["contract_reference"],
            "nps_region_id": d["region"]["nps_region_code"],
            "pcc_region_id": d["region"]["pcc_region_code"],
            "referral_start_date": d["scheduling"]["hide_before"],
            "referral_end_at": d["scheduling"]["hide_after"],
            "changed_by": [],
        }
        for d in raw
    ]
    tables, used = run_migrations(migrations(gitdir, commit), rows, notes)
    types, (regions, forces) = contract_types(tables), reference_ids(tables, catalogue, notes)
    dropped = sum(locations(d.get("activities") or [])[1] for d in raw)
    notes.append(f"left out {dropped} delivery_location strings holding postcodes (addresses)")
    found = [contract(d, r, types, regions, forces) for d, r in zip(raw, rows, strict=True)]
    paths = [folder, *(INTERVENTIONS["migrations"] + n for n in used)]
    return {
        "source": {**source(gitdir, INTERVENTIONS["repo"], commit), "paths": paths},
        "regions": regions,
        "police_force_areas": forces,
        "contracts": sorted(found, key=lambda c: c["ref"]),
    }, notes


# --- output ---------------------------------------------------------------------------------


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def summary(far: dict[str, Any], con: dict[str, Any], notes: list[str]) -> list[str]:
    def counts(items: list[str]) -> str:
        return ", ".join(f"{k} {n}" for k, n in sorted(Counter(items).items()))

    found, kinds = con["contracts"], [i["type"] for i in far["interventions"]]
    until = {c["ref"]: c["referrals_until"] for c in found}
    ended = [f"{ref} {day}" for ref, day in until.items() if day and day < CUTOFF]
    return [
        f"find_and_refer.json: {len(kinds)} interventions: {counts(kinds)}",
        f"contracts.json: {len(found)} contracts",
        f"  per type: {counts([c['type'] for c in found])}",
        f"  per region: {counts([c['area']['region'] for c in found])}",
        f"  referrals ended before {CUTOFF}: {len(ended)}: {', '.join(ended)}",
        *(
            f"  changed: {c['ref']} {m['migration']}: {m['change']}"
            for c in found
            for m in c["changed_by"]
        ),
        *(f"  note: {line}" for line in notes),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, repo in (("find-and-refer", FIND_AND_REFER), ("interventions", INTERVENTIONS)):
        mirror = MIRRORS / repo["repo"].replace("/", "+") / "repo"
        parser.add_argument(f"--{name}", type=Path, default=mirror, help="a bare git directory")
        parser.add_argument(f"--{name}-commit", default=repo["commit"], help="default: pinned")
    parser.add_argument("--catalogue", type=Path, default=ROOT / "catalogue", help="our ids")
    parser.add_argument("--out", type=Path, default=ROOT / "catalogue" / "reference")
    args = parser.parse_args(argv)
    far = find_and_refer(args.find_and_refer, args.find_and_refer_commit)
    con, notes = contracts(args.interventions, args.interventions_commit, args.catalogue)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "find_and_refer.json").write_text(dump(far), encoding="utf-8")
    (args.out / "contracts.json").write_text(dump(con), encoding="utf-8")
    print("\n".join(summary(far, con, notes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
