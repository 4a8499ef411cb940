"""The vocabulary of the person and the sentence beyond v1: custody, accommodation status (from
rules/vocabulary.yaml) and the probation delivery units (catalogue/pdus.yaml), every problem with
its line."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, get_args

from matcher.model.contract import HistoryEntry
from matcher.model.errors import Problem
from matcher.model.vocabulary import Pdu, Vocabulary, suggest
from matcher.rulebook.sources import LineDict, Sources, line_of, section
from matcher.rulebook.vocabulary import PDUS_FILE, code_homes, declared_in

VOCABULARY_FILE = "rules/vocabulary.yaml"
HISTORY_STATUSES = get_args(HistoryEntry.model_fields["status"].annotation)


def add_people(sources: Sources, vocabulary: Vocabulary, problems: list[Problem]) -> Vocabulary:
    """``vocabulary`` with custody, accommodation statuses and PDUs added."""
    source = sources.files.get(VOCABULARY_FILE)
    data = source.data if source is not None and isinstance(source.data, LineDict) else LineDict()
    settings = vocabulary.codes("settings")
    custody = str(data.get("custody_setting", ""))
    if custody not in settings:
        problems.append(
            Problem(
                VOCABULARY_FILE,
                line_of(data, "custody_setting"),
                f"custody_setting must be one of the settings, not {custody!r}",
                suggest(custody, settings),
            )
        )
    statuses, need_area, by_severity = _accommodation(data, vocabulary, problems)
    pdus, forces = _pdus(sources, vocabulary, problems)
    history = _history_statuses(data, problems)
    hours = _delivery_hours(data, vocabulary, problems)
    homes = code_homes(vocabulary) | {
        "pdu": f"add it to {PDUS_FILE} under pdus",
        "accommodation_status": declared_in("accommodation_statuses"),
        "accommodation_statuses": declared_in("accommodation_statuses"),
        "history_statuses": declared_in("history_statuses"),
    }
    return replace(
        vocabulary,
        code_homes=homes,
        labelled={**vocabulary.labelled, "history_statuses": history},
        custody_setting=custody,
        accommodation_statuses=statuses,
        delivery_hours=hours,
        accommodation_status_need=need_area,
        accommodation_status_by_severity=by_severity,
        pdus=pdus,
        police_force_areas=forces,
    )


def _accommodation(
    data: LineDict, vocabulary: Vocabulary, problems: list[Problem]
) -> tuple[dict[str, str], str, tuple[str, ...]]:
    """The accommodation statuses, and the need and severities they are read from if not given."""
    statuses = {
        str(k): str(v)
        for k, v in section(data, "accommodation_statuses", dict, VOCABULARY_FILE, problems).items()
    }
    key = "accommodation_status_from_need"
    from_need = section(data, key, dict, VOCABULARY_FILE, problems)
    need_area = str(from_need.get("need_area", ""))
    raw = from_need.get("by_severity")
    by_severity = tuple(str(v) for v in raw) if isinstance(raw, list) else ()
    if need_area not in vocabulary.need_areas or len(by_severity) != 3:
        problems.append(
            Problem(
                VOCABULARY_FILE,
                line_of(data, key),
                f"{key} needs a need_area and by_severity: three accommodation_statuses, for "
                "severity 0, 1 and 2",
            )
        )
    for status in [s for s in by_severity if s not in statuses]:
        problems.append(
            Problem(
                VOCABULARY_FILE,
                line_of(data, key, "by_severity"),
                f"{key}: unknown accommodation status {status!r}",
                suggest(status, statuses),
            )
        )
    return statuses, need_area, by_severity


def _history_statuses(data: LineDict, problems: list[Problem]) -> dict[str, str]:
    """The labels of the history statuses the contract fixes (design.md §6.1)."""
    history = {
        str(k): str(v)
        for k, v in section(data, "history_statuses", dict, VOCABULARY_FILE, problems).items()
    }
    if set(history) != set(HISTORY_STATUSES):
        problems.append(
            Problem(
                VOCABULARY_FILE,
                line_of(data, "history_statuses"),
                f"history_statuses must label exactly {', '.join(HISTORY_STATUSES)} (design.md §6.1)",
            )
        )
    return history


def _delivery_hours(
    data: LineDict, vocabulary: Vocabulary, problems: list[Problem]
) -> dict[str, tuple[int, int]]:
    """The clock hours of each delivery time, in minutes after midnight."""
    found = {}
    for name, spec in section(data, "delivery_hours", dict, VOCABULARY_FILE, problems).items():
        line = line_of(data, "delivery_hours", name)
        try:
            start, end = (_minutes(str(spec[key])) for key in ("from", "to"))
        except (TypeError, KeyError, ValueError):
            problems.append(
                Problem(
                    VOCABULARY_FILE, line, f"delivery_hours {name!r} needs from and to as HH:MM"
                )
            )
            continue
        found[str(name)] = (start, end)
    for name in sorted(set(vocabulary.codes("delivery_times")) - set(found)):
        problems.append(
            Problem(
                VOCABULARY_FILE,
                line_of(data, "delivery_hours"),
                f"delivery_hours has no hours for the delivery time {name!r}",
            )
        )
    return found


def _minutes(clock: str) -> int:
    """Minutes after midnight.

    >>> _minutes("17:30")
    1050
    """
    hours, minutes = clock.split(":")
    if not (0 <= int(hours) < 24 and 0 <= int(minutes) < 60):
        raise ValueError(clock)
    return int(hours) * 60 + int(minutes)


def _pdus(
    sources: Sources, vocabulary: Vocabulary, problems: list[Problem]
) -> tuple[dict[str, Pdu], dict[str, str]]:
    source = sources.files.get(PDUS_FILE)
    if source is None or not isinstance(source.data, LineDict):
        problems.append(Problem(PDUS_FILE, 1, f"{PDUS_FILE} is missing or empty"))
        return {}, {}
    data = source.data
    forces = {
        str(k): str(v)
        for k, v in section(data, "police_force_areas", dict, PDUS_FILE, problems).items()
    }
    pdus: dict[str, Pdu] = {}
    for pdu_id, entry in section(data, "pdus", dict, PDUS_FILE, problems).items():
        line = line_of(data, "pdus", pdu_id)
        pdu = _pdu(str(pdu_id), entry, line, vocabulary, forces, problems)
        if pdu is not None:
            pdus[pdu.id] = pdu
    return dict(sorted(pdus.items())), forces


def _pdu(
    pdu_id: str,
    entry: Any,
    line: int,
    vocabulary: Vocabulary,
    forces: dict[str, str],
    problems: list[Problem],
) -> Pdu | None:
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(k), str) for k in ("name", "region", "police_force_area")
    ):
        problems.append(
            Problem(PDUS_FILE, line, f"PDU {pdu_id!r} needs name, region and police_force_area")
        )
        return None
    pdu = Pdu(pdu_id, entry["name"], entry["region"], entry["police_force_area"])
    if pdu.region not in vocabulary.regions:
        problems.append(
            Problem(
                PDUS_FILE,
                line,
                f"PDU {pdu_id!r}: unknown region {pdu.region!r}; regions are in catalogue/regions.yaml",
                suggest(pdu.region, vocabulary.regions),
            )
        )
    if pdu.police_force_area not in forces:
        problems.append(
            Problem(
                PDUS_FILE,
                line,
                f"PDU {pdu_id!r}: unknown police_force_area {pdu.police_force_area!r}; add it under police_force_areas",
                suggest(pdu.police_force_area, forces),
            )
        )
    return pdu
