"""Scenario expectations about the person and the sentence (design.md §6.1): release, settings,
work under way, mandatory work, proposals. A part of ``scenarios.Checker``."""

from __future__ import annotations

from typing import Any

from matcher.model.contract import Plan, PlanItem, Proposal


class PersonChecks:
    """Checks that read only the plan (and the proposal, in a proposal scenario)."""

    plan: Plan
    items: dict[str, PlanItem]
    proposal: Proposal | None

    def _ids(self, wanted: Any) -> tuple[list[str], list[str]]:
        raise NotImplementedError  # the Checker's

    def check_release_week(self, wanted: Any) -> list[str]:
        got = self.plan.release_week
        return [] if got == wanted else [f"expected release in week {wanted}, got {got}"]

    def check_settings(self, wanted: Any) -> list[str]:
        """Where each named item is delivered (custody or community)."""
        problems = []
        for intervention_id, setting in (wanted or {}).items():
            item = self.items.get(str(intervention_id))
            if item is None:
                problems.append(f"expected {intervention_id} in the plan, delivered {setting}")
            elif item.setting != setting:
                problems.append(
                    f"expected {intervention_id} delivered {setting}, got {item.setting}"
                )
        return problems

    def check_proposed(self, wanted: Any) -> list[str]:
        """The requirements proposed to the court (code → the intervention it names, or null)."""
        if self.proposal is None:
            return ["`proposed` needs `proposal: true` at the top of the scenario"]
        got = {r.code: r.intervention_id for r in self.proposal.requirements}
        problems = []
        for code, intervention in (wanted or {}).items():
            if code not in got:
                problems.append(f"expected {code} proposed, got {sorted(got)}")
            elif intervention is not None and got[code] != intervention:
                problems.append(f"expected {code} proposed for {intervention}, got {got[code]}")
        return problems

    def check_mandatory(self, wanted: Any) -> list[str]:
        """Items in the plan as mandatory: required by the sentence."""
        ids, problems = self._ids(wanted)
        for i in ids:
            item = self.items.get(i)
            if item is None or not item.mandatory:
                problems.append(f"expected {i} in the plan as mandatory, got {item}")
        return problems

    def check_started(self, wanted: Any) -> list[str]:
        """Items already under way: in the plan from week 0, marked started."""
        ids, problems = self._ids(wanted)
        for i in ids:
            item = self.items.get(i)
            if item is None or item.status != "started" or item.start_week != 0:
                problems.append(f"expected {i} under way from week 0, got {item}")
        return problems

    def check_reasons(self, wanted: Any) -> list[str]:
        """An item's reasons include a rule id (e.g. the precedence or tie-break that chose it)."""
        problems = []
        for intervention_id, rule_id in (wanted or {}).items():
            item = self.items.get(str(intervention_id))
            ids = [r.rule_id for r in item.reasons] if item else []
            if item is None:
                problems.append(f"expected {intervention_id} in the plan, chosen by {rule_id}")
            elif rule_id not in ids:
                problems.append(
                    f"expected {intervention_id} chosen by {rule_id}, its reasons: {ids}"
                )
        return problems

    def check_provision_gaps(self, wanted: Any) -> list[str]:
        """The plan's provision gaps: need area → the intervention ids the rules wanted there."""
        got = {g.need_area: g.wanted for g in self.plan.provision_gaps}
        problems = []
        for area, ids in (wanted or {}).items():
            if sorted(got.get(str(area), [])) != sorted(ids):
                problems.append(f"expected a provision gap for {area} wanting {ids}, got {got}")
        return problems

    def check_referrals(self, wanted: Any) -> list[str]:
        """Items that are referrals: acts that take no capacity and are never left out for time."""
        ids, problems = self._ids(wanted)
        for i in ids:
            item = self.items.get(i)
            if item is None or item.role != "referral":
                problems.append(f"expected {i} in the plan as a referral, got {item}")
        return problems

    def check_alongside(self, wanted: Any) -> list[str]:
        """An item runs alongside these items (its companions, or the work it accompanies)."""
        problems = []
        for intervention_id, ids in (wanted or {}).items():
            item = self.items.get(str(intervention_id))
            got = item.alongside if item else []
            if item is None or not set(ids) <= set(got):
                problems.append(f"expected {intervention_id} alongside {ids}, got {got}")
        return problems

    def check_starts_by(self, wanted: Any) -> list[str]:
        """An item starts no later than the given week of the plan."""
        problems = []
        for intervention_id, week in (wanted or {}).items():
            item = self.items.get(str(intervention_id))
            if item is None or item.start_week > int(week):
                got = f"week {item.start_week}" if item else "not in the plan"
                problems.append(f"expected {intervention_id} to start by week {week}, got {got}")
        return problems

    def check_adapted(self, wanted: Any) -> list[str]:
        """An item carries these adaptations (rule ids): intervention id → rule ids."""
        return self._adaptations(wanted, present=True)

    def check_not_adapted(self, wanted: Any) -> list[str]:
        """An item carries none of these adaptations (rule ids): intervention id → rule ids."""
        return self._adaptations(wanted, present=False)

    def _adaptations(self, wanted: Any, present: bool) -> list[str]:
        if not isinstance(wanted, dict):
            return ["adaptations are given as intervention id → a list of rule ids"]
        problems = []
        for intervention_id, rule_ids in wanted.items():
            item = self.items.get(str(intervention_id))
            if item is None:
                problems.append(f"expected {intervention_id} in the plan, to check its adaptations")
                continue
            got = [a.rule_id for a in item.adaptations]
            for rule_id in rule_ids if isinstance(rule_ids, list) else [rule_ids]:
                if (str(rule_id) in got) != present:
                    problems.append(
                        f"expected {intervention_id} {'' if present else 'not '}adapted by "
                        f"{rule_id}, its adaptations: {got or 'none'}"
                    )
        return problems

    def check_fired(self, wanted: Any) -> list[str]:
        """These rules (or capacity rules) held for the person."""
        fired = {t["rule_id"] for t in self.plan.trace or []}
        return [
            f"expected rule {r} to fire, but it did not" for r in _listed(wanted) if r not in fired
        ]

    def check_not_fired(self, wanted: Any) -> list[str]:
        """None of these rules (or capacity rules) held for the person."""
        fired = {t["rule_id"] for t in self.plan.trace or []}
        return [f"expected rule {r} not to fire, but it did" for r in _listed(wanted) if r in fired]


def _listed(wanted: Any) -> list[str]:
    return [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
