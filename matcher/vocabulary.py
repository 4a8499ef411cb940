"""The vocabulary of codes and bands, read from rules/vocabulary.yaml and catalogue/regions.yaml."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from matcher.errors import Problem
from matcher.loading import LineDict, Sources, line_of, section

VOCABULARY_FILE = "rules/vocabulary.yaml"
REGIONS_FILE = "catalogue/regions.yaml"
UNKNOWN = "unknown"  # the value of a band or scale field when the assessment does not give it
UNSPECIFIED_REGION = "unspecified"

_LABELLED = (
    "need_areas",
    "genders",
    "sentence_types",
    "requirements",
    "responsivity",
    "strengths",
    "flags",
    "settings",
    "delivery_times",
)
_LISTS = ("formats", "kinds", "tiers", "providers", "intensities", "oasys_items")


@dataclass(frozen=True)
class Band:
    band: str
    start: float


@dataclass(frozen=True)
class BandSpec:
    field: str  # the computed field, e.g. ogrs_band
    of: str  # the numeric field it is computed from, e.g. ogrs
    bands: tuple[Band, ...]

    def band_of(self, value: float) -> str:
        """The band whose half-open interval holds ``value``.

        >>> spec = BandSpec("b", "x", (Band("low", 0), Band("medium", 50), Band("high", 75)))
        >>> [spec.band_of(v) for v in (49.99, 50, 74.99, 75)]
        ['low', 'medium', 'medium', 'high']
        """
        chosen = self.bands[0].band
        for band in self.bands:
            if value >= band.start:
                chosen = band.band
        return chosen


@dataclass(frozen=True)
class Vocabulary:
    labelled: dict[str, dict[str, str]]
    lists: dict[str, tuple[str, ...]]
    scales: dict[str, tuple[str, ...]]
    bands: dict[str, BandSpec]
    regions: dict[str, str] = field(default_factory=dict)

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


def load_vocabulary(sources: Sources, problems: list[Problem]) -> Vocabulary | None:
    """Build the vocabulary, appending a Problem for anything missing or malformed."""
    source = sources.files.get(VOCABULARY_FILE)
    if source is None or not isinstance(source.data, LineDict):
        problems.append(Problem(VOCABULARY_FILE, 1, "the vocabulary file is missing or empty"))
        return None
    data = source.data
    labelled: dict[str, dict[str, str]] = {}
    for key in _LABELLED:
        value = data.get(key)
        if not isinstance(value, dict) or not value:
            problems.append(
                Problem(VOCABULARY_FILE, line_of(data, key), f"{key!r} must map codes to labels")
            )
            value = {}
        labelled[key] = {str(k): str(v) for k, v in value.items()}
    lists = {
        key: tuple(str(v) for v in section(data, key, list, VOCABULARY_FILE, problems))
        for key in _LISTS
    }
    scales = {}
    for name, values in section(data, "scales", dict, VOCABULARY_FILE, problems).items():
        if isinstance(values, list):
            scales[str(name)] = tuple(str(v) for v in values)
        else:
            problems.append(
                Problem(
                    VOCABULARY_FILE,
                    line_of(data, "scales", name),
                    f"scale {name!r} must be a list, lowest first",
                )
            )
    bands = _load_bands(data, problems)
    regions_doc = sources.files.get(REGIONS_FILE)
    regions: dict[str, str] = {}
    if regions_doc is not None and isinstance(regions_doc.data, dict):
        found = section(regions_doc.data, "regions", dict, REGIONS_FILE, problems)
        regions = {str(k): str(v) for k, v in found.items()}
    if not regions:
        problems.append(Problem(REGIONS_FILE, 1, "no regions defined under 'regions:'"))
    return Vocabulary(labelled, lists, scales, bands, regions)


def _load_bands(data: LineDict, problems: list[Problem]) -> dict[str, BandSpec]:
    bands: dict[str, BandSpec] = {}
    for name, spec in section(data, "bands", dict, VOCABULARY_FILE, problems).items():
        line = line_of(data, "bands", name)
        rows = spec.get("bands") if isinstance(spec, dict) else None
        good = isinstance(rows, list) and all(
            isinstance(r, dict) and "band" in r and isinstance(r.get("from"), int | float)
            for r in rows
        )
        if not good or not rows or not spec.get("of"):
            problems.append(
                Problem(VOCABULARY_FILE, line, f"band {name!r} needs 'of' and a 'bands' list")
            )
            continue
        parsed = tuple(Band(str(r["band"]), float(r["from"])) for r in rows)
        starts = [b.start for b in parsed]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            problems.append(
                Problem(
                    VOCABULARY_FILE, line, f"band {name!r}: 'from' values must strictly increase"
                )
            )
        bands[str(name)] = BandSpec(str(name), str(spec["of"]), parsed)
    return bands
