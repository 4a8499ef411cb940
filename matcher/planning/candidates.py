"""What selection reads of one catalogue and policy for every plan, made once for them: each
entry's tie-break values, policy's precedence levels, the reason each need's choice gives."""

from __future__ import annotations

from matcher.model.catalogue import Intervention
from matcher.model.contract import Reason
from matcher.model.policy import Policy
from matcher.model.vocabulary import Vocabulary
from matcher.planning.index import CatalogueIndex, cached, catalogue_index
from matcher.planning.ties import TieBreak


class Candidates:
    """One catalogue under one policy, as selection reads it."""

    def __init__(
        self, catalogue: dict[str, Intervention], policy: Policy, vocabulary: Vocabulary
    ) -> None:
        self.index: CatalogueIndex = catalogue_index(catalogue)
        tie = TieBreak(catalogue, policy, vocabulary)
        self.tie = {i.id: tie.values(i) for i in catalogue.values()}
        self.levels = [p.name for p in policy.selection.precedence]
        self.policy, self.vocabulary = policy, vocabulary
        self._selected: dict[str, Reason] = {}

    def selected(self, area: str) -> Reason:
        """Why an option is chosen for the need ``area`` (shared by every plan: never change it)."""
        found = self._selected.get(area)
        if found is None:
            text = self.policy.text("selected")
            label = self.vocabulary.label("need_areas", area)
            found = self._selected[area] = Reason(rule_id=text.rule_id, text=text.say(need=label))
        return found


def candidates(
    catalogue: dict[str, Intervention], policy: Policy, vocabulary: Vocabulary
) -> Candidates:
    return cached(
        "candidates",
        (catalogue, policy, vocabulary),
        lambda: Candidates(catalogue, policy, vocabulary),
    )
