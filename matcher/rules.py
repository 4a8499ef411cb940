"""Rule files (rules/rulesets/*.yaml) → RuleSpec records: id, plain-English text, source, when, then.

Also writes the eligibility rules implied by each catalogue entry, so that eligibility is decided by
durable_rules like every other rule, and explained the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matcher.catalogue import Intervention
from matcher.conditions import Condition, ConditionParser, FieldInfo
from matcher.errors import Problem
from matcher.facts import ComputedField, base_fields, need_fields
from matcher.loading import LineDict, Sources, line_of, section
from matcher.shapes import ExampleSpec, TargetSpec, ThenSpec, validated
from matcher.vocabulary import Vocabulary, suggest

RULESET_PREFIX = "rules/rulesets/"
OUTCOMES = ("recommend", "exclude", "adapt", "flag", "derive")
SELECTOR_KEYS = (
    "ids",
    "kind",
    "tier",
    "provider",
    "intensity",
    "needs",
    "formats",
    "delivery",
    "delivery_lacks",
    "settings",
    "ld_adapted",
    "women_only",
    "interpreter",
)


@dataclass(frozen=True)
class Outcome:
    kind: str  # recommend | exclude | adapt | flag | derive
    targets: tuple[str, ...] = ()
    weight: float = 1.0
    include: bool = False  # recommend: put in the plan even if no priority need asks for it
    prepares: bool = (
        False  # recommend: preparatory work (e.g. motivational): addresses no need itself
    )
    code: str = ""  # flag
    name: str = ""  # derive
    value: Any = True
    per_need: bool = False
    precedence: int = 100


@dataclass(frozen=True)
class RuleSpec:
    id: str
    description: str
    source: str
    stage: int
    file: str
    line: int
    condition: Condition
    outcomes: tuple[Outcome, ...]
    examples: tuple[dict[str, Any], ...] = ()


@dataclass
class RuleFiles:
    rules: list[RuleSpec] = field(default_factory=list)
    computed: list[ComputedField] = field(default_factory=list)
    derived: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # name → {stage, values, per_need}


def _files(sources: Sources) -> list[tuple[str, LineDict]]:
    found = []
    for name in sorted(sources.files):
        if name.startswith(RULESET_PREFIX):
            data = sources.files[name].data
            if isinstance(data, LineDict):
                found.append((name, data))
    return found


def load_rules(
    sources: Sources,
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    problems: list[Problem],
) -> RuleFiles:
    """Parse every rule file, then the catalogue's eligibility, into one list of RuleSpecs."""
    result = RuleFiles()
    files = _files(sources)
    if not files:
        problems.append(Problem(RULESET_PREFIX, 1, "no rule files found"))
    for name, data in files:
        stage = data.get("stage", 1)
        if not isinstance(stage, int) or stage < 1:
            problems.append(
                Problem(name, line_of(data, "stage"), "'stage' must be a whole number ≥ 1")
            )
            stage = 1
        result.computed += _computed(name, data, stage, vocabulary, problems)
        _declare_derivations(name, data, stage, result.derived, problems)
    last_stage = max(
        [d.get("stage", 1) for _, d in files if isinstance(d.get("stage", 1), int)] + [1]
    )
    seen: dict[str, str] = {}
    for name, data in files:
        stage = data.get("stage", 1) if isinstance(data.get("stage", 1), int) else 1
        rules = data.get("rules")
        if not isinstance(rules, list):
            problems.append(Problem(name, data.line, "a rule file needs a 'rules:' list"))
            continue
        for index, raw in enumerate(rules):
            spec = _rule(name, rules, index, raw, stage, vocabulary, catalogue, result, problems)
            if spec is None:
                continue
            if spec.id in seen:
                problems.append(
                    Problem(
                        name, spec.line, f"duplicate rule id {spec.id!r} (first in {seen[spec.id]})"
                    )
                )
                continue
            seen[spec.id] = f"{name}:{spec.line}"
            result.rules.append(spec)
    for intervention in catalogue.values():
        for raw in catalogue_rule_texts(intervention, vocabulary):
            spec = _rule(
                intervention.file,
                [raw],
                0,
                raw,
                last_stage,
                vocabulary,
                catalogue,
                result,
                problems,
                intervention.line,
            )
            if spec is not None:
                result.rules.append(spec)
    return result


def _computed(
    name: str, data: LineDict, stage: int, vocabulary: Vocabulary, problems: list[Problem]
) -> list[ComputedField]:
    found = []
    for field_name, spec in section(data, "computed", dict, name, problems).items():
        line = line_of(data, "computed", field_name)
        if isinstance(spec, dict) and isinstance(spec.get("sum"), list):
            found.append(ComputedField(str(field_name), "sum", tuple(spec["sum"]), stage=stage))
        elif (
            isinstance(spec, dict)
            and isinstance(spec.get("band_of"), str)
            and isinstance(spec.get("bands"), list)
            and all(
                isinstance(r, dict) and "band" in r and isinstance(r.get("from"), int | float)
                for r in spec["bands"]
            )
        ):
            rows = tuple((str(r["band"]), float(r["from"])) for r in spec["bands"])
            if [r[1] for r in rows] != sorted({r[1] for r in rows}):
                problems.append(
                    Problem(
                        name,
                        line,
                        f"computed band {field_name!r}: 'from' values must strictly increase",
                    )
                )
            found.append(
                ComputedField(
                    str(field_name), "band", (str(spec["band_of"]),), stage=stage, bands=rows
                )
            )
        elif (
            isinstance(spec, dict)
            and isinstance(spec.get("highest"), list)
            and spec.get("scale") in vocabulary.scales
        ):
            found.append(
                ComputedField(
                    str(field_name), "highest", tuple(spec["highest"]), spec["scale"], stage
                )
            )
        else:
            problems.append(
                Problem(
                    name,
                    line,
                    f"computed field {field_name!r} needs 'sum: [fields]', 'band_of: field' with 'bands', or 'highest: [fields]' with a known 'scale'",
                )
            )
    return found


def _declare_derivations(
    name: str,
    data: LineDict,
    stage: int,
    derived: dict[str, dict[str, Any]],
    problems: list[Problem],
) -> None:
    rules = data.get("rules")
    for index, raw in enumerate(rules if isinstance(rules, list) else []):
        derive = (
            (raw.get("then") or {}).get("derive")
            if isinstance(raw, dict) and isinstance(raw.get("then"), dict)
            else None
        )
        if not isinstance(derive, dict) or not derive.get("name"):
            continue
        entry = derived.setdefault(
            str(derive["name"]),
            {"stage": stage, "values": set(), "per_need": bool(derive.get("per_need"))},
        )
        if entry["stage"] != stage:
            problems.append(
                Problem(
                    name,
                    line_of(data, "rules", index),
                    f"{derive['name']!r} is derived in stage {entry['stage']} and in stage {stage}; derive each name in one stage",
                )
            )
        value = derive.get("value", True)
        if isinstance(
            value, str | int | float | bool
        ):  # anything else is reported by the rule's own check
            entry["values"].add(value)


def fields_for_stage(
    stage: int, vocabulary: Vocabulary, rule_files: RuleFiles
) -> tuple[dict[str, FieldInfo], dict[str, FieldInfo]]:
    """(person fields, derived-fact fields) a rule of ``stage`` may test."""
    person = base_fields(vocabulary)
    for spec in rule_files.computed:
        if spec.stage <= stage:
            scale = vocabulary.scales.get(spec.scale, ())
            if spec.kind == "sum":
                person[spec.name] = FieldInfo(spec.name, "number")
            else:
                values = tuple(b for b, _ in spec.bands) if spec.kind == "band" else scale
                person[spec.name] = FieldInfo(spec.name, "code", (*values, "unknown"))
    same_stage: list[str] = []
    for name, entry in rule_files.derived.items():
        if entry["stage"] == stage:
            same_stage.append(name)
        elif entry["stage"] < stage:
            if entry["per_need"]:
                person.update(
                    {f"{name}_{a}": FieldInfo(f"{name}_{a}", "flag") for a in vocabulary.need_areas}
                )
            else:
                values = entry["values"]
                if values <= {True}:
                    person[name] = FieldInfo(name, "flag")
                elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                    person[name] = FieldInfo(name, "number")
                else:
                    person[name] = FieldInfo(name, "code", tuple(str(v) for v in values))
    derived = {
        "name": FieldInfo("name", "code", tuple(sorted(same_stage))),
        "value": FieldInfo("value", "any"),
        "area": FieldInfo("area", "code", vocabulary.need_areas),
    }
    return person, derived


def condition_parser(stage: int, vocabulary: Vocabulary, rule_files: RuleFiles) -> ConditionParser:
    """A parser for the conditions of a rule in ``stage``: the fields and codes it may test."""
    person, derived = fields_for_stage(stage, vocabulary, rule_files)
    codes = {
        kind: tuple(vocabulary.codes(kind))
        for kind in ("responsivity", "strengths", "flags", "requirements", "need_areas")
    }
    return ConditionParser(person, need_fields(vocabulary), derived, codes)


def _rule(
    name: str,
    rules: list[Any],
    index: int,
    raw: Any,
    stage: int,
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    rule_files: RuleFiles,
    problems: list[Problem],
    fixed_line: int | None = None,
) -> RuleSpec | None:
    line = fixed_line or line_of(rules, index)

    def where(*path: str | int) -> int:
        return fixed_line or line_of(rules, index, *path)

    if not isinstance(raw, dict):
        problems.append(
            Problem(
                name, line, "each rule must be a mapping with id, description, source, when, then"
            )
        )
        return None
    missing = [k for k in ("id", "description", "source", "then") if not raw.get(k)]
    unknown = [
        k for k in raw if k not in ("id", "description", "source", "when", "then", "examples")
    ]
    for key in missing:
        problems.append(
            Problem(name, line, f"rule {raw.get('id', f'#{index + 1}')!r} has no {key!r}")
        )
    for key in unknown:
        problems.append(
            Problem(
                name,
                where(key),
                f"unknown rule key {key!r}",
                suggest(key, ("id", "description", "source", "when", "then", "examples")),
            )
        )
    if missing:
        return None
    parser = condition_parser(stage, vocabulary, rule_files)
    condition = parser.parse(raw.get("when"))
    for message in parser.problems:
        problems.append(Problem(name, where("when"), f"rule {raw['id']!r}: {message}"))
    rule_id = str(raw["id"])
    root, path = (None, ()) if fixed_line else (rules, (index,))
    then = raw["then"]
    if isinstance(then, dict):
        for key in [k for k in then if k not in OUTCOMES]:
            problems.append(
                Problem(
                    name,
                    where("then", key),
                    f"rule {rule_id!r}: unknown outcome {key!r}",
                    suggest(key, OUTCOMES),
                )
            )
        then = {k: v for k, v in then.items() if k in OUTCOMES}
    spec = validated(ThenSpec, then, name, root, (*path, "then"), f"rule {rule_id!r}", problems)
    outcomes = _outcomes(rule_id, spec, catalogue, problems, name, where("then")) if spec else []
    raw_examples = raw.get("examples") or []
    if not isinstance(raw_examples, list):
        problems.append(
            Problem(name, where("examples"), f"rule {rule_id!r}: 'examples' must be a list")
        )
        raw_examples = []
    examples = [
        example
        for number, example in enumerate(raw_examples)
        if validated(
            ExampleSpec,
            example,
            name,
            root,
            (*path, "examples", number),
            f"rule {rule_id!r} example {number + 1}",
            problems,
        )
    ]
    return RuleSpec(
        str(raw["id"]),
        " ".join(str(raw["description"]).split()),
        str(raw["source"]),
        stage,
        name,
        line,
        condition,
        tuple(outcomes),
        tuple(examples),
    )


def _outcomes(
    rule_id: str,
    then: ThenSpec,
    catalogue: dict[str, Intervention],
    problems: list[Problem],
    name: str,
    line: int,
) -> list[Outcome]:
    found = []
    if then.flag is not None:
        found.append(Outcome("flag", code=then.flag.code or rule_id))
    if then.derive is not None:
        d = then.derive
        found.append(
            Outcome(
                "derive", name=d.name, value=d.value, per_need=d.per_need, precedence=d.precedence
            )
        )
    for kind, spec in (
        ("recommend", then.recommend),
        ("exclude", then.exclude),
        ("adapt", then.adapt),
    ):
        if spec is None:
            continue
        targets = resolve_targets(
            spec,
            catalogue,
            lambda m: problems.append(Problem(name, line, f"rule {rule_id!r}: {m[0]}", m[1])),
        )
        if not targets:
            problems.append(
                Problem(
                    name,
                    line,
                    f"rule {rule_id!r}: {kind} selects no intervention in the catalogue",
                    severity="warning",
                )
            )
        found.append(
            Outcome(
                kind,
                targets,
                spec.weight,
                include=spec.include or spec.prepares,
                prepares=spec.prepares,
            )
        )
    if not found:
        problems.append(
            Problem(
                name,
                line,
                f"rule {rule_id!r}: 'then' needs an outcome: one of {', '.join(OUTCOMES)}",
            )
        )
    return found


def resolve_targets(
    spec: TargetSpec, catalogue: dict[str, Intervention], report: Any
) -> tuple[str, ...]:
    """The intervention ids a recommend/exclude/adapt outcome names, fixed when the rules load.

    ``interventions: [ids]`` names them; ``select: {kind: ..., formats: group}`` picks every catalogue
    entry whose attributes match (a list means any of; ``delivery_lacks`` means has none of).
    """
    for iid in spec.interventions:
        if iid not in catalogue:
            report((f"unknown intervention {iid!r}", suggest(iid, catalogue)))
    chosen = {i for i in spec.interventions if i in catalogue}
    if spec.select is not None:
        for key in spec.select:
            if key not in SELECTOR_KEYS:
                report((f"unknown selector {key!r}", suggest(key, SELECTOR_KEYS)))
        chosen |= {i.id for i in catalogue.values() if _selected(i, spec.select)}
    return tuple(sorted(chosen))


def _selected(intervention: Intervention, select: dict[str, Any]) -> bool:
    for key, wanted in select.items():
        if key not in SELECTOR_KEYS:
            return False
        wanted_list = wanted if isinstance(wanted, list) else [wanted]
        if key == "ids":
            ok = intervention.id in wanted_list
        elif key == "delivery_lacks":
            ok = not set(wanted_list) & set(intervention.delivery)
        else:
            actual = intervention.attribute(key)
            ok = (
                bool(set(wanted_list) & set(actual))
                if isinstance(actual, list)
                else actual in wanted_list
            )
        if not ok:
            return False
    return True


def catalogue_rule_texts(
    intervention: Intervention, vocabulary: Vocabulary
) -> list[dict[str, Any]]:
    """The exclusion rules implied by one catalogue entry's eligibility, exclusions and regions."""
    i, rules = intervention, []
    label = vocabulary.label

    def add(suffix: str, text: str, when: dict[str, Any]) -> None:
        rules.append(
            {
                "id": f"catalogue.{i.id}.{suffix}",
                "description": text,
                "source": f"{i.file}:{i.line}",
                "when": when,
                "then": {"exclude": {"interventions": [i.id]}},
            }
        )

    e = i.eligibility
    if e.gender:
        add(
            "gender",
            f"{i.name} is for {_join(label('genders', g) for g in e.gender)} only.",
            {"not": {"gender": e.gender}},
        )
    if e.age and e.age.min is not None:
        add(
            "age_min",
            f"{i.name} is for people aged {e.age.min} or over.",
            {"age": {"lt": e.age.min}},
        )
    if e.age and e.age.max is not None:
        add(
            "age_max",
            f"{i.name} is for people aged {e.age.max} or under.",
            {"age": {"gt": e.age.max}},
        )
    for key, what in (
        ("ogrs_band", "likelihood of reoffending (OGRS3 band)"),
        ("rosh", "risk of serious harm (RoSH)"),
        ("osp_band", "sexual reoffending risk (OSP)"),
    ):
        allowed = getattr(e, key)
        if allowed:
            add(
                key,
                f"{i.name} is for people whose {what} is {_join(a.replace('_', ' ') for a in allowed)}; a missing score does not count.",
                {"not": {key: allowed}},
            )
    if e.sentence_type:
        add(
            "sentence_type",
            f"{i.name} is for people on {_join(label('sentence_types', s) for s in e.sentence_type)}.",
            {"not": {"sentence_type": e.sentence_type}},
        )
    if e.weeks_left:
        add(
            "weeks_left",
            f"{i.name} takes time: it needs at least {e.weeks_left.min} weeks left on the sentence.",
            {"weeks_left": {"lt": e.weeks_left.min}},
        )
    for flag in e.requires_flags:
        add(
            f"requires_{flag}",
            f"{i.name} is only for people whose offending involves {label('flags', flag)}.",
            {"not": {"flag": flag}},
        )
    for code in e.requires_responsivity:
        add(
            f"requires_{code}",
            f"{i.name} is only for people with {label('responsivity', code)}.",
            {"not": {"responsivity": code}},
        )
    for flag in i.exclusions.flags:
        add(
            f"excludes_{flag}",
            f"{i.name} is not suitable where the offending involves {label('flags', flag)}.",
            {"flag": flag},
        )
    for code in i.exclusions.responsivity:
        add(
            f"excludes_{code}",
            f"{i.name} is not suitable for someone with {label('responsivity', code)}.",
            {"responsivity": code},
        )
    if i.regions != "all":
        where = _join(label("regions", r) for r in i.regions)
        add(
            "region",
            f"{i.name} is not provided in this person's region; it is available in {where}.",
            {"not": {"region": [*i.regions, "unspecified"]}},
        )
    if "community" not in i.settings:
        add("setting", f"{i.name} is delivered only in custody.", {"setting": "community"})
    return rules


def _join(words: Any) -> str:
    """Plain-English list.

    >>> _join(["a", "b", "c"])
    'a, b or c'
    """
    items = list(words)
    return str(items[0]) if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
