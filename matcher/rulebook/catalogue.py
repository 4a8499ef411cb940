"""catalogue/interventions/*.yaml → validated Intervention records, every problem with its line."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from matcher.model.catalogue import Intervention
from matcher.model.errors import Problem
from matcher.model.vocabulary import Vocabulary, suggest
from matcher.rulebook.sources import Sources, line_of
from matcher.rulebook.vocabulary import declared_in

# What `matcher new intervention` writes where policy staff have a value to fill in.
PLACEHOLDER = "TODO"

# Which vocabulary list each coded field draws from.
CODED: dict[str, str] = {
    "kind": "kinds",
    "tier": "tiers",
    "provider": "providers",
    "intensity": "intensities",
    "needs": "need_areas",
    "formats": "formats",
    "delivery": "delivery_times",
    "settings": "settings",
    "regions": "regions",
    "pdus": "pdus",
    "capacity": "areas",
    "eligibility.gender": "genders",
    "eligibility.ogrs_band": "band:ogrs_band",
    "eligibility.rosh": "scale:rosh",
    "eligibility.osp_band": "scale:osp",
    "eligibility.sara": "scale:sara",
    "eligibility.weeks_left.by_sentence_type": "sentence_types",
    "eligibility.scores": "scores",
    "eligibility.sentence_type": "sentence_types",
    "eligibility.requires_flags": "flags",
    "eligibility.requires_responsivity": "responsivity",
    "exclusions.flags": "flags",
    "exclusions.responsivity": "responsivity",
    "exclusions.requirements": "requirements",
}

_CODED_PARTS = [(path, tuple(path.split(".")), kind) for path, kind in CODED.items()]


def allowed_codes(vocabulary: Vocabulary, kind: str) -> list[str]:
    if kind == "regions":
        return list(vocabulary.regions)
    if kind == "pdus":
        return list(vocabulary.pdus)
    if kind == "areas":
        return [*vocabulary.regions, *vocabulary.pdus]
    if kind.startswith("band:"):
        spec = vocabulary.bands.get(kind[5:])
        return [b.band for b in spec.bands] if spec else []
    if kind.startswith("scale:"):
        return list(vocabulary.scales.get(kind[6:], ()))
    if kind in vocabulary.lists:
        return list(vocabulary.lists[kind])
    return list(vocabulary.codes(kind))


def load_catalogue(
    sources: Sources, vocabulary: Vocabulary, problems: list[Problem]
) -> dict[str, Intervention]:
    """Every intervention in catalogue/interventions/, keyed and sorted by id."""
    found: dict[str, Intervention] = {}
    allowed = _Allowed(vocabulary)
    for name in sorted(sources.files):
        if not name.startswith("catalogue/interventions/"):
            continue
        data = sources.files[name].data
        entries = data.get("interventions") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            problems.append(
                Problem(name, 1, "a catalogue file needs a top-level 'interventions:' list")
            )
            continue
        # a value can hold the placeholder only if the file says TODO, or escapes a character
        text = sources.files[name].text
        unfilled = PLACEHOLDER in text or "\\" in text
        for index, entry in enumerate(entries):
            intervention = _one(name, index, entry, entries, allowed, unfilled, problems)
            if intervention is None:
                continue
            if intervention.id in found:
                first = found[intervention.id]
                problems.append(
                    Problem(
                        name,
                        intervention.line,
                        f"duplicate intervention id {intervention.id!r} (first at {first.file}:{first.line})",
                    )
                )
                continue
            found[intervention.id] = intervention
    _check_prerequisites(found, problems)
    return dict(sorted(found.items()))


class _Allowed(dict[str, tuple[list[str], frozenset[str]]]):
    """``allowed_codes`` of each kind, listed once (in order, for suggestions) and as a set."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        super().__init__()
        self.vocabulary = vocabulary

    def __missing__(self, kind: str) -> tuple[list[str], frozenset[str]]:
        listed = allowed_codes(self.vocabulary, kind)
        self[kind] = listed, frozenset(listed)
        return self[kind]


def _one(
    name: str,
    index: int,
    entry: Any,
    entries: list[Any],
    codes: _Allowed,
    unfilled: bool,
    problems: list[Problem],
) -> Intervention | None:
    line = line_of(entries, index)
    vocabulary = codes.vocabulary
    if unfilled and _placeholders(name, index, entry, entries, problems):
        return None
    try:
        intervention = Intervention.model_validate({**entry, "file": name, "line": line})
    except (ValidationError, TypeError) as error:
        for detail in error.errors() if isinstance(error, ValidationError) else []:
            loc = [p for p in detail["loc"] if p not in ("list[str]", "literal['all']")]
            problems.append(
                Problem(
                    name,
                    line_of(entries, index, *loc),
                    f"intervention #{index + 1} {'.'.join(map(str, loc))}: {detail['msg'].lower()}",
                )
            )
        if isinstance(error, TypeError):
            problems.append(Problem(name, line, f"intervention #{index + 1} must be a mapping"))
        return None
    for path, parts, kind in _CODED_PARTS:
        value: Any = entry
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None or value in ("all", "contracted"):
            continue
        allowed, known = codes[kind]
        for code in _codes(value):
            if not _known(code, allowed, known):
                problems.append(
                    Problem(
                        name,
                        line_of(entries, index, *parts),
                        f"{intervention.id}: unknown {path} code {code!r}; {declared_in(kind)}",
                        suggest(code, allowed),
                    )
                )
    return _with_pdus(intervention, name, line_of(entries, index, "pdus"), vocabulary, problems)


def _with_pdus(
    intervention: Intervention,
    name: str,
    line: int,
    vocabulary: Vocabulary,
    problems: list[Problem],
) -> Intervention:
    """An entry listing PDUs names regions, and each PDU lies in one of them; the loader keeps
    each PDU's region on the entry (``pdu_regions``)."""
    known = {p: vocabulary.pdus[p].region for p in intervention.pdus if p in vocabulary.pdus}
    if intervention.pdus and not isinstance(intervention.regions, list):
        problems.append(
            Problem(
                name,
                line,
                f"{intervention.id}: pdus needs regions as a list (the regions it is provided "
                f"in), not {intervention.regions!r}",
            )
        )
    elif isinstance(intervention.regions, list):
        for pdu, region in known.items():
            if region not in intervention.regions:
                problems.append(
                    Problem(
                        name,
                        line,
                        f"{intervention.id}: PDU {pdu!r} lies in region {region!r}, which is "
                        f"not in its regions; add {region!r} to regions or remove the PDU",
                    )
                )
    if isinstance(intervention.regions, list):
        served = {*intervention.regions, *intervention.pdus}
        for area in sorted(set(intervention.capacity) - served):
            if area in vocabulary.regions or area in vocabulary.pdus:
                problems.append(
                    Problem(
                        name,
                        line,
                        f"{intervention.id}: capacity for {area!r}, where it is not provided; "
                        "give capacity only for its regions or its PDUs",
                    )
                )
    return intervention.model_copy(update={"pdu_regions": known}) if known else intervention


def _known(code: Any, allowed: list[str], known: frozenset[str]) -> bool:
    """``code in allowed``, by the set where the code can be hashed."""
    try:
        return code in known
    except TypeError:  # a list where a code belongs: not one, and reported as unknown
        return code in allowed


def _codes(value: Any) -> list[Any]:
    """The codes a coded field holds: list items, mapping keys (of each mapping in a list)."""
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, list):
        return [k for v in value for k in (v if isinstance(v, dict) else [v])]
    return [value]


def _placeholders(
    name: str, index: int, entry: Any, entries: list[Any], problems: list[Problem]
) -> bool:
    """Report each value still holding the placeholder `matcher new` wrote; True if there is one."""
    label = entry.get("id", f"intervention #{index + 1}") if isinstance(entry, dict) else ""
    found = []

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, (*path, str(key)))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, path)
        elif isinstance(value, str) and value.startswith(PLACEHOLDER) and path not in found:
            found.append(path)
            problems.append(
                Problem(
                    name,
                    line_of(entries, index, *path),
                    f"{label}: {'.'.join(path)} is still the placeholder {value!r}; fill it in",
                )
            )

    walk(entry, ())
    return bool(found)


def _check_prerequisites(found: dict[str, Intervention], problems: list[Problem]) -> None:
    """Prerequisites and companions (``alongside``) name other entries of the catalogue."""
    for intervention in found.values():
        named = [("prerequisite", p) for p in intervention.prerequisites]
        named += [("companion (alongside)", a) for a in intervention.alongside]
        for what, other in named:
            if other not in found or other == intervention.id:
                problems.append(
                    Problem(
                        intervention.file,
                        intervention.line,
                        f"{intervention.id}: unknown {what} {other!r}"
                        if other != intervention.id
                        else f"{intervention.id}: names itself as a {what}",
                        suggest(other, found) if other != intervention.id else "",
                    )
                )
