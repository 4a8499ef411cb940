"""rules/vocabulary.yaml and catalogue/regions.yaml → a Vocabulary, every problem with its line."""

from __future__ import annotations

from typing import Any

from matcher.model.contract import Risk
from matcher.model.errors import Problem
from matcher.model.vocabulary import Band, BandSpec, Vocabulary, suggest
from matcher.rulebook.sources import LineDict, Sources, line_of, section

VOCABULARY_FILE = "rules/vocabulary.yaml"


REGIONS_FILE = "catalogue/regions.yaml"
PDUS_FILE = "catalogue/pdus.yaml"
REGION_NOT_GIVEN = ("served", "excluded")


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
    "scores",
    "progress_reasons",
)


_LISTS = ("formats", "kinds", "tiers", "providers", "intensities", "oasys_items")


def declared_in(kind: str) -> str:
    """Where policy staff add a code of ``kind`` (a vocabulary key, ``band:NAME`` or
    ``scale:NAME``), as said after an unknown code.

    >>> declared_in("responsivity")
    'add it to rules/vocabulary.yaml under responsivity'
    >>> declared_in("regions")
    'add it to catalogue/regions.yaml under regions'
    >>> declared_in("scale:rosh")
    'add it to rules/vocabulary.yaml under scales: rosh'
    """
    if kind == "regions":
        return f"add it to {REGIONS_FILE} under regions"
    if kind == "pdus":
        return f"add it to {PDUS_FILE} under pdus"
    if kind == "areas":
        return f"use a region of {REGIONS_FILE} or a PDU of {PDUS_FILE}"
    for prefix, key in (("band:", "bands"), ("scale:", "scales")):
        if kind.startswith(prefix):
            return f"add it to {VOCABULARY_FILE} under {key}: {kind.removeprefix(prefix)}"
    return f"add it to {VOCABULARY_FILE} under {kind}"


def code_homes(vocabulary: Vocabulary) -> dict[str, str]:
    """Where to add each kind of code a rule condition tests, keyed by the kind of code
    (``responsivity``, ``need_areas``...) and by the name of each coded field of the vocabulary."""
    homes = {kind: declared_in(kind) for kind in (*_LABELLED, "regions")}
    fields = {"gender": "genders", "sentence_type": "sentence_types", "setting": "settings"}
    homes |= {name: declared_in(kind) for name, kind in fields.items()}
    homes |= {"region": declared_in("regions"), "area": declared_in("need_areas")}
    homes |= {name: declared_in(f"scale:{scale}") for name, scale in vocabulary.risk_scales.items()}
    homes |= {band.field: declared_in(f"band:{name}") for name, band in vocabulary.bands.items()}
    return homes


def load_vocabulary(sources: Sources, problems: list[Problem]) -> Vocabulary | None:
    """Build the vocabulary, appending a Problem for anything missing or malformed."""
    source = sources.files.get(VOCABULARY_FILE)
    if source is None or not isinstance(source.data, LineDict):
        problems.append(Problem(VOCABULARY_FILE, 1, "the vocabulary file is missing or empty"))
        return None
    data = source.data
    labelled = _load_labelled(data, problems)
    lists = {
        key: tuple(str(v) for v in section(data, key, list, VOCABULARY_FILE, problems))
        for key in _LISTS
    }
    scales = _load_scales(data, problems)
    bands = _load_bands(data, problems)
    regions, not_given = _load_regions(sources, problems)
    risk_scales = _load_risk_scales(data, scales, problems)
    missing = _load_missing_score_means(data, scales, problems)
    setting = _load_assessment_setting(data, labelled, problems)
    return Vocabulary(
        labelled,
        lists,
        scales,
        bands,
        regions,
        risk_scales,
        missing,
        setting,
        region_not_given_served=not_given == "served",
    )


def _load_labelled(data: LineDict, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """The code → label sections; a missing or empty one is reported and left empty."""
    labelled: dict[str, dict[str, str]] = {}
    for key in _LABELLED:
        value = data.get(key)
        if not isinstance(value, dict) or not value:
            problems.append(
                Problem(VOCABULARY_FILE, line_of(data, key), f"{key!r} must map codes to labels")
            )
            value = {}
        labelled[key] = {str(k): str(v) for k, v in value.items()}
    return labelled


def _load_scales(data: LineDict, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    """The ordered scales, lowest first; a scale that is not a list is reported and skipped."""
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
    return scales


def _load_regions(sources: Sources, problems: list[Problem]) -> tuple[dict[str, str], Any]:
    """The regions of catalogue/regions.yaml and its when_region_not_given word."""
    regions_doc = sources.files.get(REGIONS_FILE)
    regions: dict[str, str] = {}
    not_given: Any = "served"
    if regions_doc is not None and isinstance(regions_doc.data, dict):
        found = section(regions_doc.data, "regions", dict, REGIONS_FILE, problems)
        regions = {str(k): str(v) for k, v in found.items()}
        not_given = regions_doc.data.get("when_region_not_given", "")
        if not_given not in REGION_NOT_GIVEN:
            problems.append(
                Problem(
                    REGIONS_FILE,
                    line_of(regions_doc.data, "when_region_not_given"),
                    f"when_region_not_given must be one of {', '.join(REGION_NOT_GIVEN)}, not {not_given!r}",
                    suggest(str(not_given), REGION_NOT_GIVEN),
                )
            )
    if not regions:
        problems.append(Problem(REGIONS_FILE, 1, "no regions defined under 'regions:'"))
    return regions, not_given


def _load_risk_scales(
    data: LineDict, scales: dict[str, tuple[str, ...]], problems: list[Problem]
) -> dict[str, str]:
    """risk_scales, without (and reporting) names that are not risk scores of the assessment."""
    risk_scales = _mapping(data, "risk_scales", scales, problems)
    for name in [n for n in risk_scales if n not in Risk.model_fields]:
        problems.append(
            Problem(
                VOCABULARY_FILE,
                line_of(data, "risk_scales", name),
                f"risk_scales: {name!r} is not a risk score of the assessment",
                suggest(name, Risk.model_fields),
            )
        )
        del risk_scales[name]
    return risk_scales


def _load_missing_score_means(
    data: LineDict, scales: dict[str, tuple[str, ...]], problems: list[Problem]
) -> dict[str, str]:
    """missing_score_means, reporting any value that is not on its scale."""
    missing = _mapping(data, "missing_score_means", scales, problems)
    for scale, value in missing.items():
        if value not in scales.get(scale, ()):
            problems.append(
                Problem(
                    VOCABULARY_FILE,
                    line_of(data, "missing_score_means", scale),
                    f"missing_score_means: {value!r} is not on the {scale!r} scale",
                    suggest(value, scales.get(scale, ())),
                )
            )
    return missing


def _load_assessment_setting(
    data: LineDict, labelled: dict[str, dict[str, str]], problems: list[Problem]
) -> str:
    """The setting assumed for an assessment; reported unless it is one of the settings."""
    setting = str(data.get("assessment_setting", ""))
    if setting not in labelled["settings"]:
        problems.append(
            Problem(
                VOCABULARY_FILE,
                line_of(data, "assessment_setting"),
                f"assessment_setting must be one of the settings, not {setting!r}",
                suggest(setting, labelled["settings"]),
            )
        )
    return setting


def _mapping(
    data: LineDict, key: str, scales: dict[str, tuple[str, ...]], problems: list[Problem]
) -> dict[str, str]:
    """A mapping of words whose keys (risk_scales: values) name scales; unknown scales reported."""
    found = {str(k): str(v) for k, v in section(data, key, dict, VOCABULARY_FILE, problems).items()}
    for name, value in found.items():
        scale = value if key == "risk_scales" else name
        if scale not in scales:
            problems.append(
                Problem(
                    VOCABULARY_FILE,
                    line_of(data, key, name),
                    f"{key}: unknown scale {scale!r}",
                    suggest(scale, scales),
                )
            )
    return found


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
