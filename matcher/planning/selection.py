"""Findings → what the plan should hold: mandated and included work, and for each priority need
its eligible alternatives ranked best first, with why each ranks where it does.

Selection never schedules. The schedule (``matcher.planning.schedule.fit``) takes the first
alternative of each need, and takes the next one itself when an alternative cannot finish in time.
"""

from __future__ import annotations

from collections.abc import Callable

from matcher.model.catalogue import Intervention
from matcher.model.contract import (
    Assessment,
    Decisions,
    Exclusion,
    Reason,
    UnmetNeed,
    Warning,
)
from matcher.model.policy import Policy
from matcher.model.rules import catalogue_criterion
from matcher.model.vocabulary import Vocabulary
from matcher.planning.candidates import candidates
from matcher.planning.choices import Alternative, Choice, Lazy, Selection
from matcher.planning.findings import (
    Findings,
    accredited_first,
    exclusions_of,
    listed,
    precedence_level,
    reason,
    reasons_of,
)
from matcher.planning.needs import rank_needs
from matcher.planning.ruled_out import (
    cause_of,
    each_once,
    history_exclusions,
    read_list,
    rejections,
)


class _Selector:
    """The state of one selection: what is chosen so far, and which priority needs it covers."""

    def __init__(
        self,
        assessment: Assessment,
        findings: Findings,
        priority: set[str],
        catalogue: dict[str, Intervention],
        policy: Policy,
        vocabulary: Vocabulary,
        in_progress: dict[str, int],
        decisions: Decisions,
    ) -> None:
        self.findings, self.catalogue, self.policy = findings, catalogue, policy
        self.vocabulary, self.priority = vocabulary, priority
        self.ranked = rank_needs(assessment, priority, policy, vocabulary)
        self.need_rank = {area: index for index, area in enumerate(self.ranked)}
        threshold = policy.selection.assessed_from_severity
        self.assessed = {n.area for n in assessment.needs if n.severity >= threshold}
        self.result = Selection(
            self.ranked,
            max_items=policy.selection.max_items,
            multi_need_bonus=policy.selection.multi_need_bonus,
        )
        self.chosen: set[str] = set()
        self.companions: set[str] = set()  # the rules' companions: never a need's main choice
        self.history = history_exclusions(assessment, catalogue, policy)
        for key, found in accredited_first(findings, catalogue, policy).items():
            self.history.setdefault(key, []).extend(found)
        self.result.done = frozenset(
            e.intervention_id for e in assessment.history if e.status == "completed"
        )
        self.in_progress = in_progress
        self.decisions, self.rejected = decisions, rejections(decisions, catalogue, policy)
        self.result.rejected, self.result.met = self.rejected, frozenset(decisions.met)
        self._ruled_out: dict[str, list[Exclusion]] = {}
        self._reasons: dict[str, list[Reason]] = {}
        self.book = candidates(catalogue, policy, vocabulary)
        # what is ruled out (``ruled_out`` says why): by a rule, its history, or a practitioner
        self.out = listed(findings.excluded).union(self.history, self.rejected)

    def ruled_out(self, intervention_id: str) -> list[Exclusion]:
        """Why an intervention cannot be offered: the rules that exclude it, and its history.
        Read once per intervention (the list is shared: never change it)."""
        found = self._ruled_out.get(intervention_id)
        if found is None:
            found = exclusions_of(self.findings, intervention_id)
            if intervention_id in self.history or intervention_id in self.rejected:
                found = found + self.history.get(intervention_id, [])
                found += self.rejected.get(intervention_id, [])
            self._ruled_out[intervention_id] = found
        return found

    def reasons(self, intervention_id: str) -> list[Reason]:
        """The reasons of the rules that recommend it (shared: never change the list)."""
        found = self._reasons.get(intervention_id)
        if found is None:
            hits = self.findings.recommended.get(intervention_id, [])
            found = self._reasons[intervention_id] = reasons_of(hits)
        return found

    def out_of_reach(self, prerequisite: str) -> bool:
        """A prerequisite a rule excludes or the practitioner rejected: what needs it waits."""
        return bool(self.findings.excluded.get(prerequisite)) or prerequisite in self.rejected

    def started(self) -> None:
        """Work already under way stays in the plan, with the weeks it has left."""
        text = self.policy.text("history_started")
        for intervention_id, weeks in sorted(self.in_progress.items()):
            if intervention_id in self.rejected:
                continue
            intervention = self.catalogue[intervention_id]
            said = reason(text.rule_id, text.say(name=intervention.name))
            made = self.choice(
                intervention, [said, *self.reasons(intervention_id)], False, origin="started"
            )
            made.remaining_weeks = weeks
            self.take(made)

    def choice(
        self,
        intervention: Intervention,
        reasons: list[Reason],
        mandatory: bool,
        prepares: bool = False,
        origin: str = "need",
    ) -> Choice:
        # preparatory work (e.g. motivational) readies the person; it covers no need
        addresses = [] if prepares else self._addresses(intervention)
        rank = self._rank(intervention, addresses, mandatory)
        adaptations = self._adaptations(intervention.id)
        made = Choice(intervention, addresses, reasons, adaptations, mandatory, rank, origin=origin)
        made.urgent = any(h.urgent for h in self.findings.recommended.get(intervention.id, []))
        made.prerequisites = self._prerequisites(made)
        return made

    def _adaptations(self, intervention_id: str) -> list[Reason]:
        hits = self.findings.adapted.get(intervention_id)
        return reasons_of(hits) if hits else []

    def take(self, made: Choice) -> None:
        self.result.base.append(made)
        self.chosen.add(made.intervention.id)

    def _prerequisites(self, made: Choice) -> list[Choice]:
        found = []
        for prerequisite in made.intervention.prerequisites:
            first = self.catalogue[prerequisite]
            if self.out_of_reach(prerequisite):
                continue  # reported as prerequisite_not_possible when the choice is taken
            if prerequisite in self.result.done:
                continue  # done already: the follow-on work can start without it
            text = self.policy.text("prerequisite")
            said = reason(text.rule_id, text.say(first=first.name, name=made.intervention.name))
            addresses = self._addresses(first)
            rank = self._rank(first, addresses, made.mandatory)
            found.append(
                Choice(
                    first,
                    addresses,
                    [said],
                    self._adaptations(first.id),
                    made.mandatory,
                    rank,
                    origin="prerequisite",
                )
            )
        return found

    def _addresses(self, intervention: Intervention) -> list[str]:
        needs = self.book.index.needs[intervention.id]
        return [a for a in self.ranked if a in needs] or sorted(self.assessed & needs)

    def _beside_rank(self, intervention: Intervention) -> tuple[int, int, int, str]:
        """A companion is scheduled after, and left out before, any main work."""
        return (1, len(self.ranked) + 1, 0, intervention.id)

    def _rank(
        self, intervention: Intervention, addresses: list[str], mandatory: bool
    ) -> tuple[int, int, int, str]:
        """Most pressing first: mandated, then the most pressing need addressed, then breadth."""
        best = min(
            [self.need_rank[a] for a in addresses if a in self.need_rank] or [len(self.ranked)]
        )
        return (0 if mandatory else 1, best, -len(addresses), intervention.id)

    def mandated(self, assessment: Assessment) -> None:
        """Work the court or licence orders is its own requirement: planned despite the catalogue's
        eligibility (with a warning), unless it cannot be delivered at all (mandated_not_possible)."""
        for made in self.result.base:  # ordered and already under way: it stays, as ordered
            if made.intervention.id in assessment.sentence.mandated and not made.mandatory:
                made.mandatory = True
                made.rank = self._rank(made.intervention, made.addresses, True)
        text = self.policy.text("mandated")
        for mandated in sorted(set(assessment.sentence.mandated) - self.chosen):
            name = self.catalogue[mandated].name
            self._ordered(mandated, Reason(rule_id=text.rule_id, text=text.say(name=name)), True)

    def added(self) -> None:
        """Work a practitioner added, with their reason: planned like ordered work (despite the
        catalogue's eligibility, with a warning; never where it cannot be delivered at all)."""
        text = self.policy.text("decision_added")
        for added, decided in sorted(self.decisions.added.items()):
            if added not in self.chosen and added in self.catalogue:
                name, why = self.catalogue[added].name, decided.reason or ""
                said = text.say(name=name, by=decided.by, reason=why.strip())
                self._ordered(added, Reason(rule_id=text.rule_id, text=said), False)

    def _ordered(self, intervention_id: str, reason: Reason, mandatory: bool) -> None:
        """Take work the court (``mandatory``) or a practitioner asked for, unless a rule file or
        a criterion nothing overrides rules it out (``mandated_cannot_when``)."""
        key = "mandated" if mandatory else "added"
        intervention = self.catalogue[intervention_id]
        own = self.policy.mandated_own_requirement if mandatory else ()
        ruled = [e for e in exclusions_of(self.findings, intervention_id) if e.rule_id not in own]
        blocking = [e for e in ruled if self._blocks_mandated(e.rule_id)]
        if blocking:
            self._warn(f"{key}_not_possible", intervention, blocking)
            return
        if ruled:
            self._warn(f"{key}_despite_eligibility", intervention, ruled)
        hits = self.reasons(intervention_id)
        self.take(self.choice(intervention, [reason, *hits], mandatory, origin=key))

    def _blocks_mandated(self, rule_id: str) -> bool:
        """A rule file's exclusion, or a catalogue criterion policy says no order can override."""
        criterion = catalogue_criterion(rule_id)
        return criterion is None or criterion in self.policy.mandated_cannot_when

    def _warn(self, key: str, intervention: Intervention, why: list[Exclusion]) -> None:
        text = self.policy.text(key)
        reasons = "; ".join(e.reason.rstrip(".") for e in why) + "."  # each text is a sentence
        self.result.warnings.append(
            Warning(
                code=key,
                message=text.say(name=intervention.name, why=reasons),
                rule_id=text.rule_id,
            )
        )

    def included(self) -> None:
        """Work a rule puts in the plan; a rule's companion goes beside the needs' main choices."""
        for intervention_id in sorted(self.findings.included):
            hits = self.findings.recommended[intervention_id]
            included = [h for h in hits if h.include]
            if intervention_id in self.chosen or intervention_id in self.out or not included:
                continue
            prepares = all(h.prepares for h in included)
            required = any(h.mandatory for h in included)
            intervention = self.catalogue[intervention_id]
            made = self.choice(intervention, self.reasons(intervention_id), required, prepares)
            made.origin = "included"
            if not required and all(h.alongside for h in included):
                made.companion, made.origin = True, "companion"
                made.rank = self._beside_rank(intervention)
                self.result.companions.append(made)
                self.companions.add(intervention_id)
                continue
            self.take(made)

    def alongside(self) -> None:
        """The catalogue's companions of each intervention, where open to this person: planned
        with it whenever it is planned."""
        text = self.policy.text("companion")
        for host, intervention in self.book.index.alongside:
            other = intervention.id
            if other in self.out or any(self.out_of_reach(p) for p in intervention.prerequisites):
                continue
            said = reason(
                f"{text.rule_id}.{host.id}", text.say(name=intervention.name, host=host.name)
            )
            made = self.choice(
                intervention, [said, *self.reasons(other)], False, origin="companion"
            )
            made.companion, made.rank = True, self._beside_rank(intervention)
            self.result.alongside.setdefault(host.id, []).append(made)

    def needs(self, assessment: Assessment) -> None:
        """Each priority need's alternatives, ranked; and what the plan says if the need is left
        unmet (worked out only for a need that is)."""
        for area in self.ranked:
            self.result.alternatives[area] = self.alternatives(area)
        self.result.if_unmet = Lazy(lambda area: self.unmet(area, assessment))
        self.result.if_late = Lazy(self._late)
        self.result.if_full = Lazy(self._full)

    def _late(self, area: str) -> UnmetNeed:
        late = read_list([a.intervention.name for a in self.result.alternatives[area]])
        label = self.vocabulary.label("need_areas", area)
        text = self.policy.text("unmet_no_time")
        return UnmetNeed(area=area, reason=text.say(need=label, names=late))

    def _full(self, area: str) -> UnmetNeed:
        text, label = self.policy.text("max_items"), self.vocabulary.label("need_areas", area)
        most = self.policy.selection.max_items
        return UnmetNeed(area=area, reason=text.say(max_items=most, need=label))

    def alternatives(self, area: str) -> list[Alternative]:
        """Every eligible intervention for ``area``, best first: the highest rule weight, plus the
        policy's bonus for each further uncovered priority need it covers; ties go to the id. One
        whose prerequisite is ruled out cannot be offered either."""
        book, found = self.book, []
        selected, recommended = book.selected(area), self.findings.recommended
        # only what could serve it: for this need, not ruled out, never beside the main choice
        open_ = book.index.area_ids(area) - self.out - self.companions
        for key in book.index.in_order(open_):
            intervention = self.catalogue[key]
            if intervention.role == "referral":
                continue  # a referral goes beside the main choice, never as it
            if any(self.out_of_reach(p) for p in intervention.prerequisites):
                continue
            hits = recommended.get(key, [])
            level = precedence_level(hits, book.levels) if hits else len(book.levels)
            weight, tie = sum(h.weight for h in hits), book.tie[key]
            found.append(Alternative(intervention, weight, level, tie, self._option(key, selected)))
        found.sort(key=lambda a: (a.level, -a.weight, a.tie))
        return found

    def _option(self, key: str, selected: Reason) -> Callable[[], Choice]:
        """How one option's choice is made, when it is read (nothing it reads changes)."""
        intervention = self.catalogue[key]
        return lambda: self.choice(intervention, [selected, *self.reasons(key)], False)

    def unmet(self, area: str, assessment: Assessment) -> UnmetNeed:
        """Why ``area`` would be unmet if no alternative is left, by its true cause, naming only
        the candidates that mattered: those a rule recommended for this person (else all)."""
        label = self.vocabulary.label("need_areas", area)
        main = [  # companions and referrals never meet it on their own
            i
            for i in self.book.index.of_area(area)
            if i.id not in self.companions and i.role != "referral"
        ]
        relevant = [i for i in main if self.findings.recommended.get(i.id)] or main
        ruled = {i.id: self.ruled_out(i.id) for i in relevant}  # each candidate's, read once
        excluded = [e for i in relevant for e in ruled[i.id]]
        cause = {i.id: cause_of(ruled[i.id], self.policy) for i in relevant}
        causes = set(cause.values()) - {""}
        names = read_list([i.name for i in relevant])
        if not main:
            reason = self.policy.text("unmet_no_catalogue").say(need=label)
        elif assessment.region and not any(i.serves(assessment.region) for i in main):
            region = self.vocabulary.label("regions", assessment.region)
            reason = self.policy.text("unmet_not_in_region").say(need=label, region=region)
        elif "rejected" in causes:  # the others, if any, are listed in its exclusions
            rejected = read_list([i.name for i in relevant if cause[i.id] == "rejected"])
            reason = self.policy.text("unmet_rejected").say(need=label, names=rejected)
        elif causes in ({"history"}, {"history", "provision"}):
            tried = read_list([i.name for i in relevant if cause[i.id] == "history"])
            reason = self.policy.text("unmet_declined").say(need=label, names=tried)
        elif causes == {"provision"}:
            reason = self.policy.text("unmet_not_provided").say(need=label, names=names)
        else:
            reason = self.policy.text("unmet_ruled_out").say(need=label, names=names)
        return UnmetNeed(area=area, reason=reason, excluded=excluded)

    def exclusions(self) -> None:
        """What was ruled out: the candidates that mattered (a rule recommended them, or they
        address a priority need) in ``excluded``; every one in ``excluded_all`` (for explain)."""
        index = self.book.index
        ruled = (self.out - self.chosen) & index.position.keys()
        needed = listed(self.findings.recommended).union(*map(index.area_ids, self.ranked))
        mattered = ruled & needed
        self.result.excluded = self._each_once(mattered)
        self.result.every_excluded = lambda: self._each_once(ruled)

    def _each_once(self, ids: set[str]) -> list[Exclusion]:
        """Every reason ``ids`` are ruled out, each once, by intervention and rule."""
        hits, others = self.findings.excluded, [self.history, self.rejected]
        return each_once(ids, hits, others, self.ruled_out, self.book.index)


def select(
    assessment: Assessment,
    findings: Findings,
    priority: set[str],
    catalogue: dict[str, Intervention],
    policy: Policy,
    vocabulary: Vocabulary,
    in_progress: dict[str, int] | None = None,
    decisions: Decisions | None = None,
) -> Selection:
    """Choose: work already under way (``in_progress``: id → weeks left), mandated work, work a
    rule includes, then the best alternative for each priority need not yet covered, most pressing
    first; every need's alternatives are kept, ranked."""
    given = (in_progress or {}, decisions or Decisions())  # what happened, what was decided
    selector = _Selector(assessment, findings, priority, catalogue, policy, vocabulary, *given)
    selector.started()
    selector.mandated(assessment)
    selector.added()
    selector.included()
    selector.alongside()
    selector.needs(assessment)
    selector.exclusions()
    return selector.result
