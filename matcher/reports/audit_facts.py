"""Facts the audit compares, in one canonical form on both sides: ours from the catalogue entry,
theirs from the find-and-refer snapshot (only the facts it states) and the contracts snapshot."""

from __future__ import annotations

import json
from typing import Any

from matcher.model.catalogue import Contract, Intervention, ScoreAlternative
from matcher.model.vocabulary import Vocabulary

# find-and-refer's int_type → our kind
KINDS = {
    "AcP": "accredited_programme",
    "SI": "structured_intervention",
    "CRS": "commissioned_service",
    "Toolkits": "toolkit",
}
# learning_disability_catered → our accessibility.ld_adapted
LD = {"yes": True, "case_by_case": True, "no": False}
# read facts whose score levels are bands of a vocabulary band list
LEVELS = {"ogrs_levels": ("ogrs", "ogrs_band"), "ovp_levels": ("ovp", "ovp_band")}


def intervention_facts(
    intervention: Intervention, entry: dict[str, Any], vocabulary: Vocabulary
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ours, theirs) for every fact the find-and-refer entry states."""
    e, read = intervention.eligibility, entry.get("read", {})
    theirs: dict[str, Any] = {
        "kind": KINDS.get(entry["type"], entry["type"]),
        "settings": sorted(entry["settings"]),
        "genders": sorted(entry["genders"]),
        "age_min": entry["age"]["min"],
        "age_max": entry["age"]["max"],
    }
    ours: dict[str, Any] = {
        "kind": intervention.kind,
        "settings": sorted(intervention.settings),
        "genders": sorted(e.gender or vocabulary.codes("genders")),
        "age_min": e.age.min if e.age else None,
        "age_max": e.age.max if e.age else None,
        "ld": intervention.accessibility.ld_adapted,
        "scores": _our_scores(e.scores),
        "sara": e.sara,
        "osp": e.osp_band,
        "requirements": sorted(intervention.exclusions.requirements) or None,
        "sexual_offence": "sexual_offence" in intervention.exclusions.flags or None,
        "ipv": "domestic_abuse" in intervention.exclusions.flags or None,
        "accredited_first": e.not_if_accredited_suitable or None,
        "substance_stable": "active_substance_misuse" in intervention.exclusions.responsivity
        or None,
        "heterosexual_men_only": None,  # not a fact matcher holds about anyone
        "follows": None,  # "any of" prerequisites: not expressible (prerequisites are "all of")
    }
    theirs.update(_read_facts(entry, read, vocabulary))
    if "weeks_left" in theirs:
        by_type = e.weeks_left.by_sentence_type if e.weeks_left else {}
        ours["weeks_left"] = {k: by_type.get(k) for k in theirs["weeks_left"]}
    return ours, theirs


def _read_facts(
    entry: dict[str, Any], read: dict[str, Any], vocabulary: Vocabulary
) -> dict[str, Any]:
    """The facts the snapshot read out of find-and-refer's guide texts."""
    theirs: dict[str, Any] = {}
    catered = entry.get("learning_disability_catered")
    if catered in LD:
        theirs["ld"] = LD[catered]
    scores = _their_scores(read, vocabulary)
    if scores:
        theirs["scores"] = scores
    sara = {*read.get("sara_partner_levels", []), *read.get("sara_other_levels", [])}
    if sara:
        theirs["sara"] = [s for s in vocabulary.scales["sara"] if s in sara]
    if read.get("osp_levels"):
        theirs["osp"] = [s for s in vocabulary.scales["osp"] if s in read["osp_levels"]]
    if read.get("weeks_left"):
        theirs["weeks_left"] = dict(read["weeks_left"])
    if read.get("excludes_requirements"):
        theirs["requirements"] = sorted(read["excludes_requirements"])
    flags = {
        "sexual_offence": read.get("not_for_sexual_offence"),
        "ipv": read.get("not_for_ipv"),
        "accredited_first": read.get("not_if_suitable_for_accredited"),
        "substance_stable": read.get("stable_substance_use_required")
        or read.get("excludes_dependent_users"),
        "heterosexual_men_only": read.get("heterosexual_men_only"),
    }
    theirs.update({k: True for k, v in flags.items() if v})
    if read.get("follows"):
        theirs["follows"] = sorted(read["follows"])
    return theirs


def _their_scores(read: dict[str, Any], vocabulary: Vocabulary) -> list[str] | None:
    """The risk-score alternatives the guides state, canonical (sorted JSON strings)."""
    alternatives: list[dict[str, Any]] = []
    if "ovp_min" in read and "ogrs_min_if_no_ovp" in read:
        alternatives += [
            {"ovp": {"min": read["ovp_min"]}},
            {"ovp": "absent", "ogrs": {"min": read["ogrs_min_if_no_ovp"]}},
        ]
    else:
        for score in ("ogrs", "ovp"):
            if f"{score}_min" in read:
                alternatives.append({score: {"min": read[f"{score}_min"]}})
    if "ogrs_range" in read:
        low, high = read["ogrs_range"]
        alternatives.append({"ogrs": {"min": low, "max": high}})
    for key, (score, band) in LEVELS.items():
        if read.get(key):
            alternatives.append({score: _level_range(read[key], vocabulary, band)})
    return sorted(json.dumps(a, sort_keys=True) for a in alternatives) or None


def _level_range(levels: list[str], vocabulary: Vocabulary, band: str) -> dict[str, int]:
    """Named bands → the score range they cover (the top band has no upper end)."""
    bands = vocabulary.bands[band].bands
    named = [i for i, b in enumerate(bands) if b.band in levels]
    found = {"min": int(bands[min(named)].start)}
    if max(named) + 1 < len(bands):
        found["max"] = int(bands[max(named) + 1].start) - 1
    return found


def _our_scores(scores: list[ScoreAlternative] | None) -> list[str] | None:
    if not scores:
        return None
    canonical = []
    for alternative in scores:
        one = {
            name: bound if bound == "absent" else bound.model_dump(exclude_none=True)
            for name, bound in alternative.items()
        }
        canonical.append(json.dumps(one, sort_keys=True))
    return sorted(canonical)


def their_contract(contract: dict[str, Any], intervention: str) -> dict[str, Any]:
    """A snapshot contract as the facts our contracts.yaml states."""
    area = contract["area"]
    return {
        "intervention": intervention,
        "area": {"police_force_area": area["police_force_area"]}
        if "police_force_area" in area
        else {"region": area["region"]},
        "genders": sorted(contract["genders"]),
        "age_min": contract["age"]["min"],
        "age_max": contract["age"]["max"],
        "from": contract["referrals_from"],
        "until": contract["referrals_until"],
    }


def contract_facts(contract: Contract, vocabulary: Vocabulary) -> dict[str, Any]:
    area = contract.area
    return {
        "intervention": contract.intervention,
        "area": area.model_dump(exclude_none=True),
        "genders": sorted(contract.genders or vocabulary.codes("genders")),
        "age_min": contract.age.min if contract.age else None,
        "age_max": contract.age.max if contract.age else None,
        "from": str(contract.starts),
        "until": str(contract.ends) if contract.ends else None,
    }
