"""catalogue/contracts.yaml → each commissioned intervention's contracts, every problem with its line.

A contract serves one region, one police-force area or a list of PDUs (catalogue/pdus.yaml says
which PDUs a police-force area holds and the region of each), from a date and, if recorded, until
one. An intervention whose ``regions`` is ``contracted`` is provided only where and while a
contract is.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from matcher.model.catalogue import Contract, Intervention
from matcher.model.errors import Problem
from matcher.model.vocabulary import Vocabulary, suggest
from matcher.rulebook.sources import Sources, line_of

CONTRACTS_FILE = "catalogue/contracts.yaml"


def attach_contracts(
    catalogue: dict[str, Intervention],
    sources: Sources,
    vocabulary: Vocabulary,
    problems: list[Problem],
) -> dict[str, Intervention]:
    """The catalogue with each intervention's contracts; a contracted one with none is a problem."""
    found: dict[str, list[Contract]] = {}
    for contract in _contracts(sources, vocabulary, catalogue, problems):
        found.setdefault(contract.intervention, []).append(contract)
    result = {}
    for key, intervention in catalogue.items():
        mine = tuple(sorted(found.get(key, []), key=lambda c: (c.starts, c.ref)))
        if mine and intervention.regions != "contracted":
            problems.append(
                Problem(
                    intervention.file,
                    intervention.line,
                    f"{key}: {CONTRACTS_FILE} lists contracts for it; say `regions: contracted`",
                )
            )
        if intervention.regions == "contracted" and not mine:
            problems.append(
                Problem(
                    intervention.file,
                    intervention.line,
                    f"{key}: `regions: contracted` but {CONTRACTS_FILE} has no contract for it",
                )
            )
        result[key] = intervention.model_copy(update={"contracts": mine}) if mine else intervention
    return result


def _contracts(
    sources: Sources,
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    problems: list[Problem],
) -> list[Contract]:
    source = sources.files.get(CONTRACTS_FILE)
    if source is None:
        return []
    entries = source.data.get("contracts") if isinstance(source.data, dict) else None
    if not isinstance(entries, list):
        problems.append(Problem(CONTRACTS_FILE, 1, "needs a top-level 'contracts:' list"))
        return []
    found, refs = [], set()
    for index, entry in enumerate(entries):
        line = line_of(entries, index)
        try:
            contract = Contract.model_validate({**entry, "file": CONTRACTS_FILE, "line": line})
        except (ValidationError, TypeError) as error:
            _invalid(error, entries, index, problems)
            continue
        problem = _unknown_codes(contract, vocabulary, catalogue)
        if problem is None and contract.ref in refs:
            problem = ("listed twice", None)
        if problem:
            message, hint = problem
            problems.append(Problem(CONTRACTS_FILE, line, f"{contract.ref}: {message}", hint or ""))
            continue
        refs.add(contract.ref)
        found.append(_placed(contract, vocabulary))
    return found


def _invalid(error: Exception, entries: list[Any], index: int, problems: list[Problem]) -> None:
    details = error.errors() if isinstance(error, ValidationError) else []
    for detail in details:
        loc = [str(p) for p in detail["loc"]]
        problems.append(
            Problem(
                CONTRACTS_FILE,
                line_of(entries, index, *loc),
                f"contract #{index + 1} {'.'.join(loc)}: {detail['msg'].lower()}",
            )
        )
    if not details:
        problems.append(
            Problem(CONTRACTS_FILE, line_of(entries, index), "a contract must be a mapping")
        )


def _unknown_codes(
    contract: Contract, vocabulary: Vocabulary, catalogue: dict[str, Intervention]
) -> tuple[str, str | None] | None:
    """What in the contract names nothing known: (message, suggestion), or None."""
    area = contract.area
    checks: list[tuple[str, list[str], Any]] = [
        ("intervention", [contract.intervention], catalogue),
        ("area.region", [area.region] if area.region else [], vocabulary.regions),
        (
            "area.police_force_area",
            [area.police_force_area] if area.police_force_area else [],
            vocabulary.police_force_areas,
        ),
        ("area.pdus", area.pdus or [], vocabulary.pdus),
        ("genders", contract.genders or [], vocabulary.codes("genders")),
    ]
    for key, codes, known in checks:
        for code in codes:
            if code not in known:
                return f"unknown {key} {code!r}", suggest(code, known)
    if contract.ends is not None and contract.ends < contract.starts:
        return f"it ends ({contract.ends}) before it starts ({contract.starts})", None
    return None


def _placed(contract: Contract, vocabulary: Vocabulary) -> Contract:
    """The contract with the regions and PDUs its area covers."""
    area, pdus = contract.area, vocabulary.pdus
    if area.region:
        ids = [p for p, pdu in pdus.items() if pdu.region == area.region]
        regions = [area.region]
    elif area.police_force_area:
        ids = [p for p, pdu in pdus.items() if pdu.police_force_area == area.police_force_area]
        regions = sorted({pdus[p].region for p in ids})
    else:
        ids = list(area.pdus or [])
        regions = sorted({pdus[p].region for p in ids})
    return contract.model_copy(update={"regions": tuple(regions), "pdu_ids": tuple(sorted(ids))})
