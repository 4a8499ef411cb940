"""Rule files (rules/rulesets/*.yaml) → RuleSpec records: id, plain-English text, source, when, then."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matcher.model.catalogue import Intervention
from matcher.model.errors import Problem
from matcher.model.policy import Text
from matcher.model.rules import ComputedField, Outcome, RuleFiles, RuleSpec
from matcher.model.vocabulary import Band, Vocabulary, suggest
from matcher.rulebook.eligibility import catalogue_rule_texts
from matcher.rulebook.fields import condition_parser
from matcher.rulebook.language import ConditionParser
from matcher.rulebook.outcomes import OUTCOMES, outcomes
from matcher.rulebook.selectors import Selectable
from matcher.rulebook.shapes import ExampleSpec, ThenSpec
from matcher.rulebook.sources import LineDict, Sources, line_of, section, validated

RULESET_PREFIX = "rules/rulesets/"
MAX_RULES_PER_FILE = 1000  # the largest shipped rule file holds 22
MAX_EXAMPLES_PER_FILE = 500  # worked examples, over all the rules of a file (shipped: 23 at most)


_RULE_KEYS = ("id", "description", "source", "when", "then", "examples")
_NOT_A_MAPPING = "each rule must be a mapping with id, description, source, when, then"
_RuleFile = tuple[str, LineDict]  # a rule file's name and its top-level mapping


def _files(sources: Sources) -> list[_RuleFile]:
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
    eligibility_texts: dict[str, Text],
    problems: list[Problem],
) -> RuleFiles:
    """Parse every rule file, then the catalogue's eligibility, into one list of RuleSpecs."""
    catalogue = Selectable(catalogue)  # entries grouped once for the rules' selectors
    result = RuleFiles(intervention_ids=tuple(catalogue))
    files = _files(sources)
    if not files:
        problems.append(Problem(RULESET_PREFIX, 1, "no rule files found"))
    _declare_fields(files, vocabulary, result, problems)
    last_stage = max(
        [d.get("stage", 1) for _, d in files if isinstance(d.get("stage", 1), int)] + [1]
    )
    _file_rules(files, vocabulary, catalogue, result, problems)
    _eligibility_rules(catalogue, vocabulary, eligibility_texts, last_stage, result, problems)
    return result


def _declare_fields(
    files: list[_RuleFile], vocabulary: Vocabulary, result: RuleFiles, problems: list[Problem]
) -> None:
    """Computed and derived fields of every file, declared before any condition is parsed."""
    for name, data in files:
        stage = data.get("stage", 1)
        if not isinstance(stage, int) or stage < 1:
            problems.append(
                Problem(name, line_of(data, "stage"), "'stage' must be a whole number ≥ 1")
            )
            stage = 1
        result.computed += _computed(name, data, stage, vocabulary, problems)
        _declare_derivations(name, data, stage, result.derived, problems)


def _file_rules(
    files: list[_RuleFile],
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    result: RuleFiles,
    problems: list[Problem],
) -> None:
    """The rules of every rule file, in file order; a repeated rule id is reported and skipped."""
    seen: dict[str, str] = {}
    for name, data in files:
        stage = data.get("stage", 1) if isinstance(data.get("stage", 1), int) else 1
        rules = data.get("rules")
        if not isinstance(rules, list):
            problems.append(Problem(name, data.line, "a rule file needs a 'rules:' list"))
            continue
        if _too_many(name, data, rules, problems):
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


def _too_many(name: str, data: LineDict, rules: list[Any], problems: list[Problem]) -> bool:
    """More rules or worked examples in one file than anyone writes: reported, not read."""
    examples = sum(
        len(raw["examples"])
        for raw in rules
        if isinstance(raw, dict) and isinstance(raw.get("examples"), list)
    )
    for count, limit, what in (
        (len(rules), MAX_RULES_PER_FILE, "rules"),
        (examples, MAX_EXAMPLES_PER_FILE, "worked examples"),
    ):
        if count > limit:
            problems.append(
                Problem(
                    name,
                    line_of(data, "rules"),
                    f"{count:,} {what} in one file; at most {limit:,}: split the file",
                )
            )
            return True
    return False


def _eligibility_rules(
    catalogue: dict[str, Intervention],
    vocabulary: Vocabulary,
    eligibility_texts: dict[str, Text],
    last_stage: int,
    result: RuleFiles,
    problems: list[Problem],
) -> None:
    """The rules written by the catalogue's eligibility, run in the last stage of the rule files."""
    parsers: dict[int, ConditionParser] = {}  # one per stage: the rule files are all read by now
    for intervention in catalogue.values():
        same_then: dict[str, list[Outcome]] = {}  # an entry's rules all exclude the entry
        for raw in catalogue_rule_texts(intervention, vocabulary, eligibility_texts):
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
                parsers,
                same_then,
            )
            if spec is not None:
                result.rules.append(spec)


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
            rows = tuple(Band(str(r["band"]), float(r["from"])) for r in spec["bands"])
            if [r.start for r in rows] != sorted({r.start for r in rows}):
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
            and isinstance(spec.get("scale"), str)  # a list or mapping here is not a scale name
            and spec["scale"] in vocabulary.scales
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
    parsers: dict[int, ConditionParser] | None = None,
    same_then: dict[str, list[Outcome]] | None = None,
) -> RuleSpec | None:
    line = fixed_line or line_of(rules, index)

    def where(*path: str | int) -> int:
        return fixed_line or line_of(rules, index, *path)

    if not isinstance(raw, dict):
        problems.append(Problem(name, line, _NOT_A_MAPPING))
        return None
    # A missing required key does not stop the rest of the rule being checked: every problem
    # in it is reported at once, and only then is the rule left out.
    rule_id = str(raw["id"]) if raw.get("id") else f"#{index + 1}"
    complete = _has_rule_keys(name, raw, rule_id, where, problems)
    parser = (parsers or {}).get(stage)
    if parser is None:
        parser = condition_parser(stage, vocabulary, rule_files)
        if parsers is not None:  # the catalogue's rules: copies of an entry write equal conditions
            parser.remember()
            parsers[stage] = parser
    parser.problems = []
    condition = parser.parse(raw.get("when"))
    for message in parser.problems:
        problems.append(Problem(name, where("when"), f"rule {rule_id!r}: {message}"))
    root, path = (None, ()) if fixed_line else (rules, (index,))
    then = raw.get("then")
    text = repr(then) if same_then is not None else ""
    outcomes = (same_then or {}).get(text)
    if outcomes is None:
        before = len(problems)
        outcomes = _rule_outcomes(name, rule_id, then, root, path, where, catalogue, problems)
        if same_then is not None and len(problems) == before and _shared(then):
            same_then[text] = outcomes
    examples = _examples(name, rule_id, raw, root, path, where, problems)
    if not complete:
        return None
    return RuleSpec(
        rule_id,
        " ".join(str(raw["description"]).split()),
        str(raw["source"]),
        stage,
        name,
        line,
        condition,
        tuple(outcomes),
        tuple(examples),
    )


def _shared(then: Any) -> bool:
    """Outcomes that do not depend on the rule that has them (a flag is named after its rule):
    rules with the same ``then`` may share them, when reading it found no problem."""
    return isinstance(then, dict) and set(then) <= {"recommend", "exclude", "adapt"}


def _has_rule_keys(
    name: str, raw: dict[str, Any], rule_id: str, where: Callable[..., int], problems: list[Problem]
) -> bool:
    """Report missing and unknown rule keys; False when a required key is missing."""
    missing = [k for k in ("id", "description", "source", "then") if not raw.get(k)]
    unknown = [k for k in raw if k not in _RULE_KEYS]
    for key in missing:
        problems.append(Problem(name, where(), f"rule {rule_id!r} has no {key!r}"))
    for key in unknown:
        problems.append(
            Problem(name, where(key), f"unknown rule key {key!r}", suggest(key, _RULE_KEYS))
        )
    return not missing


def _rule_outcomes(
    name: str,
    rule_id: str,
    then: Any,
    root: Any,
    path: tuple[int, ...],
    where: Callable[..., int],
    catalogue: dict[str, Intervention],
    problems: list[Problem],
) -> list[Outcome]:
    """The outcomes of a rule's 'then', unknown outcomes reported and left out."""
    if not then:
        return []  # reported as a missing 'then'
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
    return outcomes(rule_id, spec, catalogue, problems, name, where("then")) if spec else []


def _examples(
    name: str,
    rule_id: str,
    raw: dict[str, Any],
    root: Any,
    path: tuple[int, ...],
    where: Callable[..., int],
    problems: list[Problem],
) -> list[Any]:
    """The rule's worked examples that are well formed; the others reported."""
    raw_examples = raw.get("examples") or []
    if not isinstance(raw_examples, list):
        problems.append(
            Problem(name, where("examples"), f"rule {rule_id!r}: 'examples' must be a list")
        )
        raw_examples = []
    return [
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
