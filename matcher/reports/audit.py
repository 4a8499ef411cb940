"""The catalogue against HMPPS's own data: what is missing, what differs, and what was decided.

The reference is a facts-only snapshot kept in ``catalogue/reference/`` (written by
``tools/hmpps_snapshot.py``): the find-and-refer interventions and the commissioned-services
contracts. Each fact the snapshot states is compared with the catalogue's; a difference passes
only where ``catalogue/reference/decisions.yaml`` records a reasoned decision about that fact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from matcher.model.catalogue import Intervention
from matcher.model.vocabulary import Vocabulary
from matcher.reports.audit_facts import contract_facts, intervention_facts, their_contract

REFERENCE = "reference"
FIND_AND_REFER = "find_and_refer.json"
CONTRACTS = "contracts.json"
CONTRACT_TYPES = "contract_types.yaml"
DECISIONS = "decisions.yaml"


@dataclass(frozen=True)
class Difference:
    """One fact where the catalogue and HMPPS's data disagree."""

    subject: str  # our intervention id, a find-and-refer ref or a contract ref
    fact: str
    ours: Any
    theirs: Any
    decision: str | None = None  # the recorded reason, if the difference is decided

    def line(self) -> str:
        said = f"{self.subject}: {self.fact}: ours {_show(self.ours)}, HMPPS {_show(self.theirs)}"
        return f"{said} — decided: {self.decision}" if self.decision else said


@dataclass(frozen=True)
class Audit:
    differences: list[Difference]
    compared: int  # catalogue entries compared with a find-and-refer entry
    contracts: int  # contracts compared

    @property
    def undecided(self) -> list[Difference]:
        return [d for d in self.differences if d.decision is None]

    def as_json(self) -> dict[str, Any]:
        return {
            "compared_interventions": self.compared,
            "compared_contracts": self.contracts,
            "undecided": [d.__dict__ for d in self.undecided],
            "decided": [d.__dict__ for d in self.differences if d.decision],
        }


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def load_reference(catalogue_dir: Path) -> dict[str, Any]:
    """The snapshot, the contract-type mapping and the decisions under ``catalogue/reference/``."""
    folder = Path(catalogue_dir) / REFERENCE

    def read_yaml(name: str, key: str) -> Any:
        path = folder / name
        return (
            (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(key)
            if path.exists()
            else None
        )

    return {
        "find_and_refer": json.loads((folder / FIND_AND_REFER).read_text(encoding="utf-8")),
        "contracts": json.loads((folder / CONTRACTS).read_text(encoding="utf-8")),
        "contract_types": read_yaml(CONTRACT_TYPES, "contract_types") or {},
        "decisions": read_yaml(DECISIONS, "decisions") or [],
    }


def audit(
    catalogue: dict[str, Intervention], reference: dict[str, Any], vocabulary: Vocabulary
) -> Audit:
    """Every difference between the catalogue and the reference, each with its decision if any."""
    theirs = {e["ref"]: e for e in reference["find_and_refer"]["interventions"]}
    found: list[Difference] = []
    compared = 0
    for key, intervention in catalogue.items():
        ref = intervention.hmpps
        if ref == "none":
            continue
        entry = theirs.get(ref)
        if entry is None:
            if intervention.status != "withdrawn":
                found.append(Difference(key, "listed", ref, None))
            continue
        compared += 1
        if intervention.status == "withdrawn":
            found.append(Difference(key, "withdrawn", str(intervention.withdrawn_on), "listed"))
        ours_facts, their_facts = intervention_facts(intervention, entry, vocabulary)
        for fact in sorted(their_facts):
            if ours_facts.get(fact) != their_facts[fact]:
                found.append(Difference(key, fact, ours_facts.get(fact), their_facts[fact]))
    carried = {i.hmpps for i in catalogue.values()}
    found += [
        Difference(ref, "missing", None, theirs[ref]["name"])
        for ref in sorted(theirs)
        if ref not in carried
    ]
    contract_differences, contracts = _contracts(catalogue, reference, vocabulary)
    return Audit(
        _decided(found + contract_differences, reference["decisions"]), compared, contracts
    )


def _contracts(
    catalogue: dict[str, Intervention], reference: dict[str, Any], vocabulary: Vocabulary
) -> tuple[list[Difference], int]:
    """Each HMPPS contract of a type we carry against ours; ours that HMPPS does not have."""
    types: dict[str, str] = reference["contract_types"]
    ours = {c.ref: c for i in catalogue.values() for c in i.contracts}
    found, seen = [], set()
    for contract in reference["contracts"]["contracts"]:
        ref = contract["ref"]
        intervention = types.get(contract["type"])
        if intervention is None:
            found.append(Difference(ref, "contract_type", None, contract["type"]))
            continue
        seen.add(ref)
        mine = ours.get(ref)
        expected = their_contract(contract, intervention)
        if mine is None:
            found.append(Difference(ref, "contract", None, expected))
            continue
        actual = contract_facts(mine, vocabulary)
        for fact in sorted(expected):
            if actual.get(fact) != expected[fact]:
                found.append(Difference(ref, fact, actual.get(fact), expected[fact]))
    found += [Difference(ref, "contract", ref, None) for ref in sorted(ours) if ref not in seen]
    return found, len(seen)


def _subject(decision: dict[str, Any]) -> str:
    """What a decision is about: our intervention id, a find-and-refer ref or a contract ref."""
    return str(decision.get("intervention") or decision.get("ref") or decision.get("contract"))


def _decided(found: list[Difference], decisions: list[dict[str, Any]]) -> list[Difference]:
    """Each difference with the reason recorded for it (by subject and fact), if there is one."""
    reasons = {}
    for decision in decisions:
        reasons[(_subject(decision), str(decision.get("fact")))] = str(
            decision.get("reason", "")
        ).strip()
    return [
        Difference(d.subject, d.fact, d.ours, d.theirs, reasons.get((d.subject, d.fact)) or None)
        for d in found
    ]


def unused_decisions(result: Audit, decisions: list[dict[str, Any]]) -> list[str]:
    """Decisions that no longer match a difference: stale, to remove."""
    live = {(d.subject, d.fact) for d in result.differences}
    stale = []
    for decision in decisions:
        if (_subject(decision), str(decision.get("fact"))) not in live:
            stale.append(f"{_subject(decision)}: {decision.get('fact')}")
    return stale
