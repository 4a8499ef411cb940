"""`matcher diff`: the effect of a rules (or catalogue) change on a caseload, before it goes live.

Every case is planned under both rulebooks (ruleset names carry the version, so both load in one
process) and the plans compared: how many change, which interventions are added or dropped,
pathway changes, new and resolved unmet needs, by region and by need area.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from matcher.model.contract import Assessment, Plan
from matcher.model.errors import MatcherError
from matcher.planning.planner import plan
from matcher.reports.caseload import Folders, each_case, lines_of
from matcher.reports.provision import Seen, moved, seen, tally
from matcher.rulebook.book import Rulebook

NO_REGION = "unspecified"


IGNORED = {"rules_version", "trace"}  # differ between any two versions; not a change in the plan


@dataclass
class Case:
    line: int
    assessment: Assessment


@dataclass
class CaseDiff:
    """How one person's plan differs between the old and the new rules."""

    person_id: str
    line: int
    region: str
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    pathway: tuple[str | None, str | None] | None = None
    new_unmet: list[str] = field(default_factory=list)
    resolved_unmet: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # plan fields that changed in some other way
    areas_added: dict[str, list[str]] = field(default_factory=dict)  # intervention → its needs
    areas_dropped: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "line": self.line,
            "region": self.region,
            "added": self.added,
            "dropped": self.dropped,
            "pathway": list(self.pathway) if self.pathway else None,
            "new_unmet": self.new_unmet,
            "resolved_unmet": self.resolved_unmet,
            "other": self.other,
        }


def comparable(result: Plan) -> dict[str, Any]:
    """A plan without what differs between any two rule versions (its version and trace)."""
    return result.model_dump(mode="json", exclude=IGNORED)


def compare(case: Case, old: Plan, new: Plan) -> CaseDiff | None:
    """None when the two plans are the same; else what changed."""
    before, after = comparable(old), comparable(new)
    if before == after:
        return None
    a = case.assessment
    change = CaseDiff(a.person_id, case.line, a.region or NO_REGION)
    old_items = {i.intervention_id: i for i in old.items}
    new_items = {i.intervention_id: i for i in new.items}
    change.added = sorted(set(new_items) - set(old_items))
    change.dropped = sorted(set(old_items) - set(new_items))
    change.areas_added = {i: list(new_items[i].addresses) for i in change.added}
    change.areas_dropped = {i: list(old_items[i].addresses) for i in change.dropped}
    paths = (_pathway(old), _pathway(new))
    change.pathway = paths if paths[0] != paths[1] else None
    old_unmet, new_unmet = {u.area for u in old.unmet_needs}, {u.area for u in new.unmet_needs}
    change.new_unmet = sorted(new_unmet - old_unmet)
    change.resolved_unmet = sorted(old_unmet - new_unmet)
    change.other = sorted(k for k in before if before[k] != after.get(k))
    return change


def _pathway(result: Plan) -> str | None:
    return result.programme_pathway.pathway if result.programme_pathway else None


def diff(
    old: Rulebook,
    new: Rulebook,
    cases: list[Case],
    today: date | None = None,
) -> dict[str, Any]:
    """Plan every case under both rulebooks, here, and summarise the differences (JSON-ready)."""
    today = today or date.today()
    found = [diff_case(c.line, c.assessment, (old, new), today) for c in cases]
    return _summary(old.version, new.version, found, [])


def diff_caseload(
    old: Rulebook,
    new: Rulebook,
    folders: tuple[Folders, Folders],
    caseload: Path,
    today: date | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """The same for a caseload file, planned on ``workers`` processes (default: every core),
    each compiling the two rulebooks (loaded here from ``folders``) once."""
    today = today or date.today()
    found: list[Found] = []
    bad: list[dict[str, Any]] = []
    for result in each_case(diff_case, lines_of(caseload), folders, today, workers, (old, new)):
        if isinstance(result, dict):
            bad.append(result)  # not an assessment
        else:
            found.append(result)
    return _summary(old.version, new.version, found, bad)


# One case's outcome: its region, what changed (None: nothing), why it could not be planned, and
# what each plan says about provision (for the commissioning picture before and after).
Found = tuple[str, "CaseDiff | None", "dict[str, Any] | None", "tuple[Seen, Seen] | None"]


def diff_case(line: int, assessment: Assessment, books: Sequence[Rulebook], today: date) -> Found:
    """A job (``caseload.each_case``): one case planned under both rulebooks and compared."""
    region = assessment.region or NO_REGION
    try:
        before = plan(assessment, books[0], today=today)
        after = plan(assessment, books[1], today=today)
    except MatcherError as error:
        failed = {"line": line, "person_id": assessment.person_id, "error": str(error)}
        return region, None, failed, None
    pair = (seen(assessment, before), seen(assessment, after))
    return region, compare(Case(line, assessment), before, after), None, pair


def _summary(
    old_version: str, new_version: str, found: list[Found], bad: list[dict[str, Any]]
) -> dict[str, Any]:
    regions = Counter(region for region, _, _, _ in found)
    changes = [change for _, change, _, _ in found if change is not None]
    errors = [error for _, _, error, _ in found if error is not None]
    # as before: ``cases`` counts the assessments read; lines that are not one are errors
    report = summarise(old_version, new_version, len(found), regions, changes, errors)
    report["errors"] = bad + errors
    pairs = [pair for _, _, _, pair in found if pair is not None]
    before = tally((b for b, _ in pairs), {}, {})
    after = tally((a for _, a in pairs), {}, {})
    report["provision"] = {"cells_moved": moved(before, after)}
    return report


def summarise(
    old_version: str,
    new_version: str,
    total: int,
    regions: Counter[str],
    changes: list[CaseDiff],
    errors: list[dict[str, Any]],
) -> dict[str, Any]:
    added: Counter[str] = Counter(i for c in changes for i in c.added)
    dropped: Counter[str] = Counter(i for c in changes for i in c.dropped)
    pathways: Counter[str] = Counter(
        f"{c.pathway[0]} → {c.pathway[1]}" for c in changes if c.pathway
    )
    return {
        "old_version": old_version,
        "new_version": new_version,
        "cases": total,
        "planned": total - len(errors),
        "changed": len(changes),
        "interventions": {
            "added": dict(sorted(added.items())),
            "dropped": dict(sorted(dropped.items())),
        },
        "pathway_changes": dict(sorted(pathways.items())),
        "unmet": {
            "new": dict(sorted(Counter(a for c in changes for a in c.new_unmet).items())),
            "resolved": dict(sorted(Counter(a for c in changes for a in c.resolved_unmet).items())),
        },
        "by_region": _by_region(regions, changes),
        "by_need_area": _by_need_area(changes),
        "changes": [c.as_dict() for c in changes],
        "errors": errors,
    }


def _by_region(regions: Counter[str], changes: list[CaseDiff]) -> dict[str, dict[str, int]]:
    """Cases and changes counted per region (every region of the caseload, changed or not)."""
    by_region: dict[str, dict[str, int]] = {
        r: {
            "cases": n,
            "changed": 0,
            "added": 0,
            "dropped": 0,
            "pathway_changes": 0,
            "new_unmet": 0,
            "resolved_unmet": 0,
        }
        for r, n in sorted(regions.items())
    }
    for c in changes:
        row = by_region[c.region]
        row["changed"] += 1
        row["added"] += len(c.added)
        row["dropped"] += len(c.dropped)
        row["pathway_changes"] += c.pathway is not None
        row["new_unmet"] += len(c.new_unmet)
        row["resolved_unmet"] += len(c.resolved_unmet)
    return by_region


def _by_need_area(changes: list[CaseDiff]) -> dict[str, dict[str, int]]:
    """Interventions added and dropped, and needs newly unmet or resolved, per need area."""
    by_area: dict[str, Counter[str]] = defaultdict(Counter)
    for c in changes:
        for areas, key in ((c.areas_added, "added"), (c.areas_dropped, "dropped")):
            for needs in areas.values():
                for area in needs:
                    by_area[area][key] += 1
        for area in c.new_unmet:
            by_area[area]["new_unmet"] += 1
        for area in c.resolved_unmet:
            by_area[area]["resolved_unmet"] += 1
    return {a: dict(sorted(v.items())) for a, v in sorted(by_area.items())}


def render(report: dict[str, Any], show_cases: int = 20) -> str:
    """The diff as a readable report for policy staff."""
    lines = [
        f"Rules {report['old_version'][:19]}… → {report['new_version'][:19]}…",
        f"{report['changed']} of {report['planned']} plans change"
        + (f" ({len(report['errors'])} case(s) could not be planned)" if report["errors"] else ""),
    ]
    counts = report["interventions"]
    for label, key in (("added", "added"), ("dropped", "dropped")):
        if counts[key]:
            shown = ", ".join(f"{i} ×{n}" for i, n in counts[key].items())
            lines.append(f"  interventions {label}: {shown}")
    if report["pathway_changes"]:
        lines.append(
            "  pathway changes: "
            + ", ".join(f"{k} ×{n}" for k, n in report["pathway_changes"].items())
        )
    for label, key in (("new unmet needs", "new"), ("unmet needs resolved", "resolved")):
        if report["unmet"][key]:
            lines.append(
                f"  {label}: " + ", ".join(f"{a} ×{n}" for a, n in report["unmet"][key].items())
            )
    lines += ["", "By region (cases, changed, added, dropped, pathway, new unmet, resolved):"]
    for region, row in report["by_region"].items():
        lines.append(
            f"  {region:<26} {row['cases']:>5} {row['changed']:>5} {row['added']:>5} "
            f"{row['dropped']:>5} {row['pathway_changes']:>5} {row['new_unmet']:>5} {row['resolved_unmet']:>5}"
        )
    if report["by_need_area"]:
        lines += ["", "By need area:"]
        for area, row in report["by_need_area"].items():
            lines.append(f"  {area:<22} " + ", ".join(f"{k} {n}" for k, n in row.items()))
    if report["changes"]:
        lines += ["", f"Changed plans (first {min(show_cases, len(report['changes']))}):"]
        for change in report["changes"][:show_cases]:
            parts = [f"+{i}" for i in change["added"]] + [f"-{i}" for i in change["dropped"]]
            if change["pathway"]:
                parts.append(f"pathway {change['pathway'][0]} → {change['pathway'][1]}")
            parts += [f"unmet +{a}" for a in change["new_unmet"]]
            parts += [f"unmet -{a}" for a in change["resolved_unmet"]]
            if not parts:
                parts.append("changed: " + ", ".join(change["other"]))
            lines.append(
                f"  line {change['line']} {change['person_id']} ({change['region']}): {'; '.join(parts)}"
            )
    lines += _render_cells(report.get("provision", {}).get("cells_moved", []))
    for error in report["errors"]:
        lines.append(f"  line {error['line']}: could not plan: {error['error']}")
    return "\n".join(lines)


def _render_cells(cells: list[dict[str, Any]], shown: int = 20) -> list[str]:
    """The commissioning picture's cells that move: priority needs unmet and gaps, before → after."""
    if not cells:
        return ["", "Commissioning picture: no region × need cell moves"]
    lines = ["", f"Commissioning picture: {len(cells)} region × need cell(s) move (unmet, gap):"]
    for cell in cells[:shown]:
        where = cell["region"] + (f"/{cell['pdu']}" if "pdu" in cell else "")
        unmet, gap = cell["unmet"], cell["gap"]
        lines.append(
            f"  {where:<34} {cell['need_area']:<22} unmet {unmet['before']} → {unmet['after']}, "
            f"gap {gap['before']} → {gap['after']}"
        )
    return lines
