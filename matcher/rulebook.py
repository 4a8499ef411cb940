"""Load a Rulebook: read → vocabulary → catalogue → rules → checks → compile → engine. Immutable.

A rulebook is built whole or not at all: any error raises RulebookError listing every problem,
so a broken change can never replace a working rulebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.catalogue import Intervention, load_catalogue
from matcher.compiler import (
    CompiledStage,
    chained_names,
    check_limits,
    compile_stages,
    stages_joining_needs,
)
from matcher.engine import Derivation, Engine, probe_compile
from matcher.errors import Problem, RulebookError
from matcher.facts import ComputedField
from matcher.loading import Sources, read_sources
from matcher.policy import Policy, load_policy
from matcher.rules import RuleSpec, fields_for_stage, load_rules
from matcher.validation import static_checks
from matcher.vocabulary import Vocabulary, load_vocabulary

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules"
DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"


@dataclass(frozen=True)
class Checked:
    """Everything learnt from the files, before anything is handed to durable_rules."""

    sources: Sources
    vocabulary: Vocabulary
    catalogue: dict[str, Intervention]
    rules: dict[str, RuleSpec]
    computed: tuple[ComputedField, ...]
    policy: Policy
    stages: list[CompiledStage]
    problems: list[Problem]  # warnings only, once it loaded
    need_stages: frozenset[int] = frozenset()  # stages whose rules join need facts

    @property
    def version(self) -> str:
        return self.sources.version


@dataclass(frozen=True)
class Rulebook:
    """Rules + catalogue + policy, compiled, with a content hash as its version."""

    checked: Checked
    engine: Engine
    files: dict[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.checked.version

    @property
    def vocabulary(self) -> Vocabulary:
        return self.checked.vocabulary

    @property
    def catalogue(self) -> dict[str, Intervention]:
        return self.checked.catalogue

    @property
    def rules(self) -> dict[str, RuleSpec]:
        return self.checked.rules

    @property
    def policy(self) -> Policy:
        return self.checked.policy

    def summary(self) -> dict[str, Any]:
        by_file: dict[str, int] = {}
        for rule in self.rules.values():
            by_file[rule.file] = by_file.get(rule.file, 0) + 1
        return {
            "rules_version": self.version,
            "files": sorted(self.checked.sources.files),
            "rule_count": len(self.rules),
            "rules_by_file": dict(sorted(by_file.items())),
            "intervention_count": len(self.catalogue),
            "stages": [s.stage for s in self.checked.stages],
        }


CHECKER_FAULT = "the checker could not read this rulebook"


def check_sources(sources: Sources) -> Checked:
    """Every check, all problems collected; raises RulebookError if any is an error.

    A file shaped in a way no check foresaw is still reported as a problem, never raised as a
    TypeError: a policy officer's mistake must not crash the service or the validate endpoint.
    """
    try:
        return _check_sources(sources)
    except RulebookError:
        raise
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as error:
        raise RulebookError(
            [
                Problem(
                    "rules/",
                    1,
                    f"{CHECKER_FAULT} ({type(error).__name__}: {error}); check the shape of the file you changed",
                )
            ]
        ) from error


def _check_sources(sources: Sources) -> Checked:
    problems = list(sources.problems)
    vocabulary = load_vocabulary(sources, problems)
    if vocabulary is None:
        raise RulebookError(problems)
    catalogue = load_catalogue(sources, vocabulary, problems)
    rule_files = load_rules(sources, vocabulary, catalogue, problems)
    policy = load_policy(sources, vocabulary, catalogue, rule_files, problems)
    rules = {r.id: r for r in rule_files.rules}
    last = max([r.stage for r in rules.values()] + [1])
    person_fields, _ = fields_for_stage(last, vocabulary, rule_files)
    problems += check_limits(list(rules.values()), len(person_fields))
    problems += static_checks(vocabulary, catalogue, rules, policy)
    if any(p.severity == "error" for p in problems):
        raise RulebookError(problems)
    stages = compile_stages(list(rules.values()))
    computed = tuple(sorted(rule_files.computed, key=lambda c: c.stage))  # stable: declared order
    need_stages = frozenset(stages_joining_needs(list(rules.values())))
    return Checked(
        sources,
        vocabulary,
        catalogue,
        rules,
        computed,
        policy,
        stages,
        sorted(problems),
        need_stages,
    )


def check(rules_dir: Path = DEFAULT_RULES, catalogue_dir: Path = DEFAULT_CATALOGUE) -> Checked:
    return check_sources(read_sources(Path(rules_dir), Path(catalogue_dir)))


def build(checked: Checked, probe: bool = True) -> Rulebook:
    """Compile a checked rulebook into a live engine (first in a subprocess, if ``probe``)."""
    if probe:
        failure = probe_compile(checked.stages)
        if failure is not None:
            raise RulebookError([Problem("rules/rulesets/", 1, failure)])
    chained = chained_names(list(checked.rules.values()))

    def asserted(stage: int, name: str) -> bool:
        names = chained.get(stage, set())
        return names is None or name in names

    derivations = {
        rule.id: tuple(
            Derivation(o.name, o.value, o.per_need, o.precedence)
            for o in rule.outcomes
            if o.kind == "derive" and asserted(rule.stage, o.name)
        )
        for rule in checked.rules.values()
    }
    engine = Engine(checked.stages, derivations, checked.version)
    files = {name: source.text for name, source in checked.sources.files.items()}
    return Rulebook(checked, engine, files)


def load(
    rules_dir: Path = DEFAULT_RULES, catalogue_dir: Path = DEFAULT_CATALOGUE, probe: bool = True
) -> Rulebook:
    """Read, check and compile the rulebook in two folders."""
    return build(check(rules_dir, catalogue_dir), probe=probe)
