"""The vocabulary of codes, scales and bands (records; read by matcher.rulebook.vocabulary)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

UNKNOWN = "unknown"  # the value of a band or scale field when the assessment does not give it


UNSPECIFIED_REGION = "unspecified"


@dataclass(frozen=True)
class Band:
    band: str
    start: float


@dataclass(frozen=True)
class BandSpec:
    field: str  # the computed field, e.g. ogrs_band
    of: str  # the numeric field it is computed from, e.g. ogrs
    bands: tuple[Band, ...]

    def band_of(self, value: float | None) -> str:
        return band_of(self.bands, value)


def band_of(bands: tuple[Band, ...], value: float | None) -> str:
    """The band whose half-open interval holds ``value``; ``unknown`` if none does or no value.

    >>> bands = (Band("low", 0), Band("medium", 50), Band("high", 75))
    >>> [band_of(bands, v) for v in (None, -1, 0, 49.99, 50, 74.99, 75)]
    ['unknown', 'unknown', 'low', 'low', 'medium', 'medium', 'high']
    """
    chosen = UNKNOWN
    if isinstance(value, bool) or not isinstance(value, int | float):
        return chosen
    for band in bands:
        if value >= band.start:
            chosen = band.band
    return chosen


@dataclass(frozen=True)
class Pdu:
    """A probation delivery unit, within one region and (mostly) one police-force area."""

    id: str
    name: str
    region: str
    police_force_area: str


@dataclass(frozen=True)
class Vocabulary:
    labelled: dict[str, dict[str, str]]
    lists: dict[str, tuple[str, ...]]
    scales: dict[str, tuple[str, ...]]
    bands: dict[str, BandSpec]
    regions: dict[str, str] = field(default_factory=dict)
    risk_scales: dict[str, str] = field(default_factory=dict)  # risk field → its scale
    missing_score_means: dict[str, str] = field(default_factory=dict)  # scale → value if absent
    assessment_setting: str = ""  # the setting of a person under supervision in the community
    region_not_given_served: bool = True  # no region given: offered regional services
    custody_setting: str = ""  # the setting of a person in prison
    accommodation_statuses: dict[str, str] = field(default_factory=dict)
    accommodation_status_need: str = ""  # the need area the status is read from when not given
    accommodation_status_by_severity: tuple[str, ...] = ()  # its severity 0, 1, 2 → status
    pdus: dict[str, Pdu] = field(default_factory=dict)
    delivery_hours: dict[str, tuple[int, int]] = field(default_factory=dict)  # minutes from, to
    police_force_areas: dict[str, str] = field(default_factory=dict)
    code_homes: dict[str, str] = field(default_factory=dict)  # kind or field → where to add a code

    @property
    def constant_fields(self) -> dict[str, str]:
        """Person-fact fields whose value is the same for every assessment (none, now that a
        person may be in custody or in the community)."""
        return {}

    def codes(self, kind: str) -> dict[str, str]:
        return self.labelled.get(kind, {})

    def label(self, kind: str, code: str) -> str:
        if kind == "regions":
            return self.regions.get(code, code)
        return self.labelled.get(kind, {}).get(code, code.replace("_", " "))

    @property
    def need_areas(self) -> tuple[str, ...]:
        return tuple(self.labelled["need_areas"])

    def as_json(self) -> dict[str, Any]:
        return {
            **{k: dict(v) for k, v in self.labelled.items()},
            **{k: list(v) for k, v in self.lists.items()},
            "scales": {k: list(v) for k, v in self.scales.items()},
            "bands": {
                k: [{"band": b.band, "from": b.start} for b in v.bands]
                for k, v in self.bands.items()
            },
            "regions": dict(self.regions),
        }


def suggest(word: str, choices: Any) -> str:
    """The closest known word to a misspelt one, or ''.

    >>> suggest("finanse", ["finance", "ete"])
    'finance'
    """
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return close[0] if close else ""
