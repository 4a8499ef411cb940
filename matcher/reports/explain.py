"""Why a plan came out as it did: every rule that fired (on which facts), and for one intervention
why it was or was not selected. ``explain`` returns plain data, so the CLI and the API share it.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from matcher.model.conditions import Condition
from matcher.model.contract import Assessment, Plan
from matcher.model.engine import Firing
from matcher.model.rules import CATALOGUE_RULE_PREFIX, RuleSpec
from matcher.model.vocabulary import suggest
from matcher.planning.findings import Findings, precedence_level
from matcher.planning.planner import Planned, evaluate, plan_from
from matcher.rulebook.book import Rulebook

MISSING = "(not given)"


def relevant_facts(rule: RuleSpec, facts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The fields of the matched facts that ``rule`` tests (need and derived facts as the engine
    was given them: the fields some rule of the stage tests, ADR 0010).

    >>> from matcher.model.conditions import Condition, Test
    >>> rule = RuleSpec("r", "", "", 1, "f", 1, Condition(Test("age", "lt", 25), ()), ())
    >>> relevant_facts(rule, {"p": {"t": "person", "id": "person", "age": 19, "gender": "male"}})
    {'person': {'age': 19}}
    """
    tested = sorted({t.field for t in Condition(rule.condition.person, ()).tests()})
    shown: dict[str, Any] = {}
    for alias, fact in sorted(facts.items()):
        kind = str(fact.get("t", alias))
        if kind == "person":
            if tested:
                shown["person"] = {f: fact.get(f, MISSING) for f in tested}
        else:
            keep = (
                "area",
                "severity",
                "linked_to_offending",
                "linked_to_harm",
                "intervention_id",
                "status",
                "name",
                "value",
                "rule",
            )
            shown[f"{kind} {fact.get('id', alias)}"] = {k: fact[k] for k in keep if k in fact}
    return shown


def _outcomes(rule: RuleSpec) -> list[dict[str, Any]]:
    shown = []
    for outcome in rule.outcomes:
        entry: dict[str, Any] = {"kind": outcome.kind}
        if outcome.kind in ("recommend", "exclude", "adapt"):
            entry["interventions"] = list(outcome.targets)
            if outcome.kind == "recommend":
                entry["weight"] = outcome.weight
                flags = {"comes_first": outcome.comes_first, "alongside": outcome.alongside}
                entry.update({k: v for k, v in {**flags, "urgent": outcome.urgent}.items() if v})
        elif outcome.kind == "derive":
            entry.update(name=outcome.name, value=outcome.value)
        else:
            entry["code"] = outcome.code
        shown.append(entry)
    return shown


def fired_rules(findings: Findings, rules: dict[str, RuleSpec]) -> list[dict[str, Any]]:
    """Every rule that fired, in firing order, with the facts it matched.

    durable_rules fires a rule once for each branch of an ``any`` that holds; those repeats (same
    rule, same facts) are shown once, with ``matches`` counting them.
    """
    shown: dict[str, dict[str, Any]] = {}
    for firing in findings.firings:
        key = json.dumps([firing.rule_id, firing.facts], sort_keys=True, default=str)
        if key in shown:
            shown[key]["matches"] += 1
        else:
            shown[key] = _fired(firing, rules[firing.rule_id])
    return list(shown.values())


def _fired(firing: Firing, rule: RuleSpec) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "description": rule.description,
        "where": f"{rule.file}:{rule.line}",
        "stage": rule.stage,
        "facts": relevant_facts(rule, firing.facts),
        "outcomes": _outcomes(rule),
        "matches": 1,
    }


def explain(
    assessment: Assessment,
    rulebook: Rulebook,
    intervention_id: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Every rule that fired for ``assessment``, the plan in brief, and (if asked) why
    ``intervention_id`` was or was not selected.

    Raises:
        KeyError: ``intervention_id`` is not in the catalogue (the message suggests one that is).
    """
    today = today or date.today()
    if intervention_id is not None and intervention_id not in rulebook.catalogue:
        hint = suggest(intervention_id, rulebook.catalogue)
        raise KeyError(
            f"unknown intervention {intervention_id!r}"
            + (f" (did you mean {hint!r}?)" if hint else "")
        )
    evaluation = evaluate(assessment, rulebook, today)
    planned = plan_from(evaluation, assessment, rulebook, today)
    result = planned.plan
    answer: dict[str, Any] = {
        "person_id": assessment.person_id,
        "rules_version": rulebook.version,
        "today": today.isoformat(),
        "fired": fired_rules(evaluation.findings, rulebook.rules),
        "plan": {
            "selected": [item.intervention_id for item in result.items],
            "priority_needs": result.priority_needs,
            "pathway": result.programme_pathway.pathway if result.programme_pathway else None,
            "unmet_needs": [u.area for u in result.unmet_needs],
            "warnings": [w.code for w in result.warnings],
        },
    }
    if intervention_id is not None:
        answer["intervention"] = explain_intervention(
            intervention_id, assessment, rulebook, evaluation.findings, planned
        )
    return answer


def _hits(findings: Findings, kind: str, intervention_id: str) -> list[dict[str, Any]]:
    table = {"recommend": findings.recommended, "exclude": findings.excluded}[kind]
    seen: dict[str, dict[str, Any]] = {}
    for hit in table.get(intervention_id, []):
        entry = seen.setdefault(
            hit.rule.id,
            {"rule_id": hit.rule.id, "text": hit.rule.description, "where": _where(hit.rule)},
        )
        if kind == "recommend":
            entry["weight"] = entry.get("weight", 0) + hit.weight
    return [seen[k] for k in sorted(seen)]


def _where(rule: RuleSpec) -> str:
    return f"{rule.file}:{rule.line}"


def score(
    intervention_id: str, findings: Findings, rulebook: Rulebook, priority: list[str]
) -> dict[str, Any]:
    """Rule weights, plus the policy's bonus for each further priority need it covers."""
    intervention = rulebook.catalogue[intervention_id]
    weight = sum(h.weight for h in findings.recommended.get(intervention_id, []))
    others = max(len(set(priority) & set(intervention.needs)) - 1, 0)
    bonus = rulebook.policy.selection.multi_need_bonus * others
    return {"weight": weight, "multi_need_bonus": bonus, "score": weight + bonus}


def explain_intervention(
    intervention_id: str,
    assessment: Assessment,
    rulebook: Rulebook,
    findings: Findings,
    planned: Planned,
) -> dict[str, Any]:
    """Why one intervention is, or is not, in the plan."""
    result = planned.plan
    intervention = rulebook.catalogue[intervention_id]
    excluded = _hits(findings, "exclude", intervention_id)
    entry: dict[str, Any] = {
        "id": intervention_id,
        "name": intervention.name,
        "addresses": list(intervention.needs),
        "mandated": intervention_id in assessment.sentence.mandated,
        "recommended_by": _hits(findings, "recommend", intervention_id),
        "excluded_by": [e for e in excluded if not e["rule_id"].startswith(CATALOGUE_RULE_PREFIX)],
        "failed_eligibility": [
            {**e, "criterion": e["rule_id"].rsplit(".", 1)[-1]}
            for e in excluded
            if e["rule_id"].startswith(CATALOGUE_RULE_PREFIX)
        ],
        "score": score(intervention_id, findings, rulebook, result.priority_needs),
        "precedence": precedence(intervention_id, findings, rulebook),
        "decided_by": decided_by(intervention_id, result, rulebook),
    }
    plain = _plain_status(intervention_id, rulebook, planned, excluded)
    if plain is not None:
        entry.update(plain)
        return entry
    wanted = [a for a in result.priority_needs if a in intervention.needs]
    entry["status"] = "outscored"
    entry["competitors"] = [_competitor(area, findings, rulebook, result) for area in wanted]
    entry["summary"] = _outscored_summary(
        intervention.name, entry["score"]["score"], entry["competitors"]
    )
    return entry


def _plain_status(
    intervention_id: str, rulebook: Rulebook, planned: Planned, excluded: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Status and summary when a plain reason settles it; None if eligible, wanted, outscored."""
    result = planned.plan
    intervention = rulebook.catalogue[intervention_id]
    item = next((i for i in result.items if i.intervention_id == intervention_id), None)
    if item is not None:
        return {
            "status": "selected",
            "item": item.model_dump(mode="json"),
            "summary": f"{intervention.name} is in the plan: "
            + "; ".join(f"{r.text} [{r.rule_id}]" for r in item.reasons),
        }
    if excluded:
        return {
            "status": "excluded",
            "summary": f"{intervention.name} was ruled out: "
            + " ".join(f"{e['text']} [{e['rule_id']}]" for e in excluded),
        }
    if intervention_id in planned.dropped:
        return {
            "status": "dropped_no_time",
            "summary": rulebook.policy.text("dropped_no_time").say(
                name=intervention.name,
                weeks=intervention.duration_weeks,
                wait=intervention.wait_weeks,
            ),
        }
    if not any(a in intervention.needs for a in result.priority_needs):
        return {
            "status": "not_needed",
            "summary": (
                f"{intervention.name} is eligible, but it addresses none of this person's priority "
                f"needs ({', '.join(result.priority_needs) or 'none'}) and no rule puts it in the plan "
                "on its own."
            ),
        }
    return None


def _outscored_summary(name: str, mine: float, competitors: list[dict[str, Any]]) -> str:
    """The summary of an eligible, wanted intervention that lost each need it covers."""
    chosen = [
        f"for {c['area']}, {c['chosen']} scored {c['chosen_score']['score']:g}"
        + (
            " and comes first by policy's precedence or tie-break (its reasons say which)"
            if c["chosen_score"]["score"] <= mine
            else ""
        )
        for c in competitors
        if c["chosen"]
    ]
    return (
        f"{name} is eligible but another option ranked higher (precedence, score or tie-break): it scored {mine:g}; "
        + ("; ".join(chosen) or "the need was left unmet (see unmet_needs)")
        + "."
    )


def precedence(intervention_id: str, findings: Findings, rulebook: Rulebook) -> dict[str, Any]:
    """The precedence level rules put the intervention at (policy's order), and which rules."""
    hits = findings.recommended.get(intervention_id, [])
    levels = [p.name for p in rulebook.policy.selection.precedence]
    index = precedence_level(hits, levels)
    level = levels[index] if index < len(levels) else None
    return {"level": level, "by": sorted({h.rule.id for h in hits if h.comes_first == level})}


def decided_by(intervention_id: str, result: Plan, rulebook: Rulebook) -> dict[str, str] | None:
    """What chose it over the runner-up, when not its score: a precedence level or a tie-break
    (the reasons whose rule ids extend those of policy's texts for them)."""
    item = next((i for i in result.items if i.intervention_id == intervention_id), None)
    texts = ("chosen_by_precedence", "chosen_by_tie_break")
    deciding = tuple(f"{rulebook.policy.text(key).rule_id}." for key in texts)
    reason = next(
        (r for r in (item.reasons if item else []) if r.rule_id.startswith(deciding)), None
    )
    return {"rule_id": reason.rule_id, "text": reason.text} if reason else None


def _competitor(area: str, findings: Findings, rulebook: Rulebook, result: Plan) -> dict[str, Any]:
    companions = {
        i
        for i, hits in findings.recommended.items()
        if any(h.alongside for h in hits) and not any(h.include and not h.alongside for h in hits)
    }
    beside = rulebook.policy.text("companion").rule_id
    companions |= {
        i.intervention_id
        for i in result.items
        if any(r.rule_id.startswith(f"{beside}.") for r in i.reasons)
    }
    winner = next(  # the need's main choice: a companion goes beside it, never as it
        (i for i in result.items if area in i.addresses and i.intervention_id not in companions),
        None,
    )
    return {
        "area": area,
        "chosen": winner.intervention_id if winner else None,
        "decided_by": decided_by(winner.intervention_id, result, rulebook) if winner else None,
        "chosen_score": score(winner.intervention_id, findings, rulebook, result.priority_needs)
        if winner
        else None,
    }


def render(answer: dict[str, Any]) -> str:
    """The explanation as plain text, for people."""
    lines = [
        f"{answer['person_id']} as of {answer['today']} (rules {answer['rules_version'][:19]}…)",
        "",
        f"Rules that fired ({len(answer['fired'])}):",
    ]
    for fired in answer["fired"]:
        repeat = f", matched {fired['matches']} ways" if fired["matches"] > 1 else ""
        lines.append(f"  {fired['rule_id']}  ({fired['where']}{repeat})")
        if not fired["facts"]:
            lines.append("      on every assessment (no condition)")
        for name, fields in fired["facts"].items():
            shown = ", ".join(f"{k}={v}" for k, v in fields.items())
            lines.append(f"      on {name}: {shown or '-'}")
        for outcome in fired["outcomes"]:
            detail = {k: v for k, v in outcome.items() if k != "kind"}
            if len(detail.get("interventions", [])) > 6:
                more = len(detail["interventions"]) - 6
                detail["interventions"] = [*detail["interventions"][:6], f"… {more} more"]
            lines.append(f"      → {outcome['kind']} {json.dumps(detail)}")
    brief = answer["plan"]
    lines += [
        "",
        f"Plan: {', '.join(brief['selected']) or '(nothing)'}",
        f"  priority needs: {', '.join(brief['priority_needs']) or '-'}; pathway: {brief['pathway']}; "
        f"unmet: {', '.join(brief['unmet_needs']) or '-'}",
    ]
    if "intervention" in answer:
        lines += ["", *_render_intervention(answer["intervention"])]
    return "\n".join(lines)


def _render_intervention(entry: dict[str, Any]) -> list[str]:
    lines = [
        f"{entry['id']} — {entry['name']}: {entry['status'].replace('_', ' ')}",
        f"  {entry['summary']}",
    ]
    for label, key in (
        ("recommended by", "recommended_by"),
        ("excluded by", "excluded_by"),
        ("failed eligibility", "failed_eligibility"),
    ):
        for hit in entry[key]:
            weight = f" (weight {hit['weight']:g})" if "weight" in hit else ""
            lines.append(f"  {label}: {hit['rule_id']}{weight} at {hit['where']} — {hit['text']}")
    s = entry["score"]
    lines.append(
        f"  score: {s['score']:g} = rule weights {s['weight']:g} + multi-need bonus {s['multi_need_bonus']:g}"
    )
    level = entry["precedence"]["level"]
    if level:
        lines.append(f"  precedence: {level} (put there by {', '.join(entry['precedence']['by'])})")
    decided = [entry["decided_by"]] if entry["decided_by"] else []
    decided += [c["decided_by"] for c in entry.get("competitors", []) if c.get("decided_by")]
    lines += [f"  what decided: {d['rule_id']} — {d['text']}" for d in decided]
    return lines
