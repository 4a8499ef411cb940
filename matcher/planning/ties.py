"""How a full tie between a need's options is broken: policy's tie-break criteria in order, the
last of them policy's preference order, then the catalogue's own order (never the id)."""

from __future__ import annotations

from matcher.model.catalogue import Intervention
from matcher.model.policy import Policy
from matcher.model.vocabulary import Vocabulary


class TieBreak:
    """Each option's value on each of policy's tie-break criteria, lower first."""

    def __init__(
        self, catalogue: dict[str, Intervention], policy: Policy, vocabulary: Vocabulary
    ) -> None:
        listed = policy.selection.preference
        unlisted = sorted(
            (i for i in catalogue.values() if i.id not in listed), key=lambda i: (i.file, i.line)
        )
        self.preferred = {k: n for n, k in enumerate([*listed, *(i.id for i in unlisted)])}
        self.criteria = [t.name for t in policy.selection.tie_break]
        self.intensities = list(vocabulary.lists.get("intensities", ()))
        self.tiers = list(vocabulary.lists.get("tiers", ()))  # universal first: higher is later

    def values(self, intervention: Intervention) -> tuple[float, ...]:
        intensities, tiers = self.intensities, self.tiers
        values = {
            "higher_tier": -float(tiers.index(intervention.tier))
            if intervention.tier in tiers
            else 0.0,
            "shorter_wait": float(intervention.wait_weeks),
            "shorter_duration": float(intervention.duration_weeks),
            "fewer_hours": float(intervention.hours_per_week),
            "lower_intensity": float(intensities.index(intervention.intensity))
            if intervention.intensity in intensities
            else float(len(intensities)),
            "preference": float(self.preferred[intervention.id]),
        }
        return tuple(values[name] for name in self.criteria)
