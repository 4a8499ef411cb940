"""`matcher test`: run every rule file's examples and every scenario in rules/scenarios/.

A rule example says whether its rule fires for the base assessment with some parts replaced; a
scenario says what the plan for one assessment must hold (rules/README.md, "Scenario tests").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from matcher.model.contract import Assessment, Proposal
from matcher.model.errors import MatcherError
from matcher.model.vocabulary import suggest
from matcher.planning.findings import Findings
from matcher.planning.planner import Planned, evaluate, plan, plan_from
from matcher.planning.proposals import as_proposed, propose
from matcher.reports.examples import example_assessment, load_base, merge
from matcher.reports.explain import explain_intervention, relevant_facts
from matcher.reports.person_checks import PersonChecks
from matcher.rulebook.book import Rulebook
from matcher.rulebook.sources import line_of, parse_yaml

SCENARIO_KEYS = ("description", "assessment", "assessment_file", "today", "proposal", "expect")


EXPECT_KEYS = (
    "selected",
    "not_selected",
    "pathway",
    "unmet",
    "warnings",
    "no_warnings",
    "order",
    "excluded",
    "priority_needs",
    "release_week",
    "settings",
    "started",
    "reasons",
    "provision_gaps",
    "mandatory",
    "proposed",
    "referrals",
    "alongside",
    "starts_by",
    "adapted",
    "not_adapted",
    "fired",
    "not_fired",
)


@dataclass
class CaseResult:
    """One example or scenario: its name, where it is written, and what went wrong (if anything)."""

    kind: str  # "example" | "scenario"
    name: str
    where: str
    description: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _today(value: Any, assessment: Assessment) -> date:
    """``today`` as given, else the sentence start: a test must not depend on the day it runs."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)) if value else assessment.sentence.start_date


def run_examples(rulebook: Rulebook, base: dict[str, Any]) -> list[CaseResult]:
    """Each rule's ``examples``: does the rule appear in the plan's trace or not?"""
    results = []
    for rule in sorted(rulebook.rules.values(), key=lambda r: (r.file, r.line)):
        for index, example in enumerate(rule.examples):
            results.append(run_example(rulebook, base, rule.id, index, example))
    return results


def run_example(
    rulebook: Rulebook, base: dict[str, Any], rule_id: str, index: int, example: Any
) -> CaseResult:
    rule = rulebook.rules[rule_id]
    name = f"{rule_id}[{index}]"
    example = example if isinstance(example, dict) else {}
    result = CaseResult("example", name, f"{rule.file}:{rule.line}", example.get("description", ""))
    if not isinstance(example.get("fires"), bool):
        result.failures.append("the example needs `fires: true` or `fires: false`")
        return result
    try:
        assessment = example_assessment(base, example.get("assessment"))
        today = _today(example.get("today"), assessment)
        trace = plan(assessment, rulebook, today=today, explain=True).trace or []
    except (ValidationError, MatcherError, ValueError) as error:
        result.failures.append(f"the example's assessment is not valid: {_short(error)}")
        return result
    matched = [t["facts"] for t in trace if t["rule_id"] == rule_id]
    if example["fires"] and not matched:
        result.failures.append(
            f"expected {rule_id} to fire, but it did not (the rule tests: {_tested(rulebook, rule_id)})"
        )
    elif not example["fires"] and matched:
        result.failures.append(
            f"expected {rule_id} not to fire, but it fired on {json.dumps(_relevant(rulebook, rule_id, matched[0]), default=str)}"
        )
    return result


def _tested(rulebook: Rulebook, rule_id: str) -> str:
    fields = sorted({t.field for t in rulebook.rules[rule_id].condition.tests()})
    return ", ".join(fields) or "nothing: it always fires"


def _relevant(rulebook: Rulebook, rule_id: str, facts: dict[str, Any]) -> dict[str, Any]:
    return relevant_facts(rulebook.rules[rule_id], facts)


def _short(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3])
    return str(error)


def scenario_files(rules_dir: Path) -> list[Path]:
    """Every scenario file; ``base.yaml`` is the starting assessment, not a scenario."""
    folder = Path(rules_dir) / "scenarios"
    return sorted(p for p in folder.glob("*.yaml") if p.name != "base.yaml")


def run_scenarios(
    rulebook: Rulebook, base: dict[str, Any], files: list[Path], root: Path
) -> list[CaseResult]:
    return [run_scenario(rulebook, base, path, root) for path in files]


def run_scenario(rulebook: Rulebook, base: dict[str, Any], path: Path, root: Path) -> CaseResult:
    """Plan the scenario's assessment and compare the plan with every expectation."""
    shown = _shown(path, root)
    result = CaseResult("scenario", path.stem, shown, "")
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        result.failures.append(f"not valid YAML: {error}")
        return result
    if not isinstance(doc, dict):
        result.failures.append(
            "a scenario must be a mapping with description, assessment and expect"
        )
        return result
    result.description = " ".join(str(doc.get("description", "")).split())
    for key in doc:
        if key not in SCENARIO_KEYS:
            result.failures.append(_unknown("key", key, SCENARIO_KEYS, line_of(doc, key)))
    expect = doc.get("expect")
    if not isinstance(expect, dict) or not expect:
        result.failures.append("the scenario has no `expect:` mapping")
        return result
    for key in expect:
        if key not in EXPECT_KEYS:
            result.failures.append(
                _unknown("expectation", key, EXPECT_KEYS, line_of(doc, "expect", key))
            )
    try:
        assessment = _assessment(doc, base, path)
        today = _today(doc.get("today"), assessment)
        proposal = propose(assessment, rulebook, today) if doc.get("proposal") else None
        if proposal is not None:  # the plan the proposed order allows
            assessment = as_proposed(assessment, proposal)
        evaluation = evaluate(assessment, rulebook, today)
        planned = plan_from(evaluation, assessment, rulebook, today, explain=True)
    except (ValidationError, MatcherError, ValueError, OSError) as error:
        result.failures.append(f"the scenario's assessment is not valid: {_short(error)}")
        return result
    check = Checker(rulebook, assessment, planned, evaluation.findings, proposal)
    for key, wanted in expect.items():
        if key in EXPECT_KEYS:
            where = line_of(doc, "expect", key)
            result.failures += [f"line {where}: {m}" for m in check.run(key, wanted)]
    return result


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _unknown(what: str, key: Any, allowed: tuple[str, ...], line: int) -> str:
    hint = suggest(str(key), allowed)
    return f"line {line}: unknown {what} {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")


def _assessment(doc: dict[str, Any], base: dict[str, Any], path: Path) -> Assessment:
    start = base
    if doc.get("assessment_file"):
        source = (path.parent / str(doc["assessment_file"])).resolve()
        start = json.loads(source.read_text(encoding="utf-8"))
    patch = doc.get("assessment") or {}
    return Assessment.model_validate(merge(start, json.loads(json.dumps(patch, default=str))))


class Checker(PersonChecks):
    """Compares one plan with one expectation; each method returns what did not hold."""

    def __init__(
        self,
        rulebook: Rulebook,
        assessment: Assessment,
        planned: Planned,
        findings: Findings,
        proposal: Proposal | None = None,
    ) -> None:
        self.rulebook, self.assessment, self.planned = rulebook, assessment, planned
        self.proposal = proposal
        self.plan, self.findings = planned.plan, findings
        self.items = {i.intervention_id: i for i in self.plan.items}

    def run(self, key: str, wanted: Any) -> list[str]:
        check: Callable[[Any], list[str]] = getattr(self, f"check_{key}")
        return check(wanted)

    def _ids(self, wanted: Any) -> tuple[list[str], list[str]]:
        ids = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
        problems = [
            f"unknown intervention {i!r}"
            + (f" (did you mean {h!r}?)" if (h := suggest(i, self.rulebook.catalogue)) else "")
            for i in ids
            if i not in self.rulebook.catalogue
        ]
        return [i for i in ids if i in self.rulebook.catalogue], problems

    def _why(self, intervention_id: str) -> str:
        entry = explain_intervention(
            intervention_id, self.assessment, self.rulebook, self.findings, self.planned
        )
        return str(entry["summary"])

    def check_selected(self, wanted: Any) -> list[str]:
        ids, problems = self._ids(wanted)
        for i in ids:
            if i not in self.items:
                problems.append(
                    f"expected {i} in the plan, but it is not (the plan holds: {', '.join(self.items) or 'nothing'}). Why: {self._why(i)}"
                )
        return problems

    def check_not_selected(self, wanted: Any) -> list[str]:
        ids, problems = self._ids(wanted)
        for i in ids:
            if i in self.items:
                rules = ", ".join(r.rule_id for r in self.items[i].reasons)
                problems.append(
                    f"expected {i} not to be in the plan, but it is, chosen by: {rules}"
                )
        return problems

    def check_pathway(self, wanted: Any) -> list[str]:
        actual = self.plan.programme_pathway
        got = actual.pathway if actual else None
        if got == wanted:
            return []
        rules = ", ".join(r.rule_id for r in actual.reasons) if actual else "no risk scores given"
        return [f"expected pathway {wanted!r}, got {got!r} (decided by: {rules})"]

    def check_unmet(self, wanted: Any) -> list[str]:
        want = sorted(str(w) for w in (wanted or []))
        got = sorted(u.area for u in self.plan.unmet_needs)
        if want == got:
            return []
        reasons = "; ".join(f"{u.area}: {u.reason}" for u in self.plan.unmet_needs)
        return [f"expected unmet needs {want}, got {got}" + (f" ({reasons})" if reasons else "")]

    def check_priority_needs(self, wanted: Any) -> list[str]:
        want, got = sorted(str(w) for w in wanted or []), sorted(self.plan.priority_needs)
        return [] if want == got else [f"expected priority needs {want}, got {got}"]

    def check_warnings(self, wanted: Any) -> list[str]:
        codes = {w.code: w for w in self.plan.warnings}
        return [
            f"expected warning {c!r}, but the plan warns only: {', '.join(sorted(codes)) or 'nothing'}"
            for c in (wanted or [])
            if c not in codes
        ]

    def check_no_warnings(self, wanted: Any) -> list[str]:
        codes = {w.code: w for w in self.plan.warnings}
        return [
            f"expected no warning {c!r}, but got one from {codes[c].rule_id}: {codes[c].message}"
            for c in (wanted or [])
            if c in codes
        ]

    def check_order(self, wanted: Any) -> list[str]:
        problems = []
        for pair in wanted or []:
            if not isinstance(pair, list) or len(pair) != 2:
                problems.append(f"each order entry is [before, after], not {pair!r}")
                continue
            before, after = (self.items.get(str(p)) for p in pair)
            if before is None or after is None:
                missing = [str(p) for p, i in zip(pair, (before, after), strict=True) if i is None]
                problems.append(f"order {pair}: {', '.join(missing)} not in the plan")
            elif not (before.start_week < after.start_week or before.end_week <= after.start_week):
                problems.append(
                    f"expected {pair[0]} (weeks {before.start_week}–{before.end_week}) before "
                    f"{pair[1]} (weeks {after.start_week}–{after.end_week}, after: {after.after or 'nothing'})"
                )
        return problems

    def check_excluded(self, wanted: Any) -> list[str]:
        if not isinstance(wanted, dict):
            return ["`excluded` maps an intervention id to the rule id that excludes it"]
        ids, problems = self._ids(list(wanted))
        fired = {t["rule_id"] for t in self.plan.trace or []}
        for i in ids:
            rule_id = str(wanted[i])
            by = sorted(
                {
                    r
                    for r in fired
                    if any(
                        o.kind == "exclude" and i in o.targets
                        for o in self.rulebook.rules[r].outcomes
                    )
                }
                | {e.rule_id for e in self.plan.excluded if e.intervention_id == i}
            )
            if rule_id not in by:
                problems.append(
                    f"expected {i} excluded by {rule_id}, but it was excluded by: {', '.join(by) or 'no rule'}"
                    + (" (that rule did not fire)" if rule_id not in fired | set(by) else "")
                )
        return problems


def run_all(
    rulebook: Rulebook, rules_dir: Path, files: list[Path] | None = None, examples: bool = True
) -> list[CaseResult]:
    base = load_base(rules_dir)
    root = Path(rules_dir).resolve().parent
    results = run_examples(rulebook, base) if examples else []
    chosen = files if files is not None else scenario_files(rules_dir)
    return results + run_scenarios(rulebook, base, chosen, root)


def report(results: list[CaseResult]) -> str:
    """One line per case; under each failure, what was expected and what happened."""
    lines = []
    for r in results:
        status = "PASS" if r.passed else "FAIL"
        short = r.description if len(r.description) <= 90 else r.description[:89] + "…"
        text = f" — {short}" if short else ""
        lines.append(f"{status}  {r.kind:<8} {r.name}  ({r.where}){text}")
        lines += [f"      {failure}" for failure in r.failures]
    failed = sum(not r.passed for r in results)
    examples = sum(r.kind == "example" for r in results)
    lines.append(
        f"\n{len(results) - failed} passed, {failed} failed "
        f"({examples} rule examples, {len(results) - examples} scenarios)"
    )
    return "\n".join(lines)
