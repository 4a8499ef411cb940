"""Load a Rulebook: read → vocabulary → catalogue → rules → checks → compile → engine. Immutable."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from matcher.durable.engine import Engine, probe_compile
from matcher.durable.limits import check_limits
from matcher.durable.patterns import chained_names, compile_stages, stages_joining
from matcher.model.catalogue import Intervention
from matcher.model.engine import HISTORY, NEED, CompiledStage, Derivation
from matcher.model.errors import Problem, RulebookError
from matcher.model.policy import Policy
from matcher.model.rules import RuleSpec
from matcher.model.vocabulary import suggest
from matcher.rulebook.book import Checked, Rulebook
from matcher.rulebook.catalogue import load_catalogue
from matcher.rulebook.checks import static_checks
from matcher.rulebook.contracts import attach_contracts
from matcher.rulebook.fields import fields_for_stage
from matcher.rulebook.paths import DEFAULT_CATALOGUE, DEFAULT_RULES
from matcher.rulebook.people import add_people
from matcher.rulebook.policy import load_policy
from matcher.rulebook.provision import provision_gaps, thin_provision
from matcher.rulebook.rules import load_rules
from matcher.rulebook.sequencing import load_sequencing
from matcher.rulebook.sources import Sources, read_sources
from matcher.rulebook.texts import load_texts
from matcher.rulebook.vocabulary import load_vocabulary

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
    vocabulary = add_people(sources, vocabulary, problems)
    texts = load_texts(sources, problems)
    catalogue = attach_contracts(
        load_catalogue(sources, vocabulary, problems), sources, vocabulary, problems
    )
    rule_files = load_rules(sources, vocabulary, catalogue, texts.eligibility, problems)
    policy = load_policy(sources, vocabulary, rule_files, texts.plan, problems)
    edges = load_sequencing(sources, vocabulary, catalogue, rule_files, problems)
    if policy is None:
        raise RulebookError(problems)
    policy = replace(policy, edges=edges)
    problems += _selection_problems(policy, catalogue, rule_files.rules)
    for unknown in [i for i in policy.unpaid_work.ete_interventions if i not in catalogue]:
        problems.append(
            Problem("rules/policy.yaml", 1, f"unpaid_work: unknown intervention {unknown!r}")
        )
    rules = {r.id: r for r in rule_files.rules}
    last = max([r.stage for r in rules.values()] + [1])
    person_fields, _ = fields_for_stage(last, vocabulary, rule_files)
    problems += check_limits(list(rules.values()), len(person_fields))
    problems += static_checks(vocabulary, catalogue, rules)
    today = date.today()  # the gap report counts the contracts taking referrals today
    problems += provision_gaps(vocabulary, catalogue, today)
    problems += thin_provision(vocabulary, catalogue, policy.thin_provision, today)
    if any(p.severity == "error" for p in problems):
        raise RulebookError(problems)
    stages = compile_stages(list(rules.values()))
    computed = tuple(sorted(rule_files.computed, key=lambda c: c.stage))  # stable: declared order
    need_stages = frozenset(stages_joining(list(rules.values()), NEED))
    history_stages = frozenset(stages_joining(list(rules.values()), HISTORY))
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
        history_stages,
    )


def check(rules_dir: Path = DEFAULT_RULES, catalogue_dir: Path = DEFAULT_CATALOGUE) -> Checked:
    return check_sources(read_sources(Path(rules_dir), Path(catalogue_dir)))


def build(checked: Checked, probe: bool = True) -> Rulebook:
    """Compile a checked rulebook into a live engine (first in a subprocess, if ``probe``)."""
    if probe:
        failure = probe_compile(checked.stages)
        if failure is not None:
            raise RulebookError([_culprit(checked, failure)])
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


def _selection_problems(
    policy: Policy, catalogue: dict[str, Intervention], rules: list[RuleSpec]
) -> list[Problem]:
    """Every level a rule names is declared; the preference order names known interventions once
    (any it leaves out follow in the catalogue's own order: a warning), so no tie is left to the id."""
    found = []
    levels = {p.name for p in policy.selection.precedence}
    for rule in rules:
        for outcome in rule.outcomes:
            if outcome.comes_first and outcome.comes_first not in levels:
                found.append(
                    Problem(
                        rule.file,
                        rule.line,
                        f"rule {rule.id!r}: comes_first {outcome.comes_first!r} is not a level of "
                        "selection.precedence in rules/policy.yaml",
                        suggest(outcome.comes_first, levels),
                    )
                )
    preference = policy.selection.preference
    missing = [i for i in catalogue if i not in preference]
    unknown = [i for i in preference if i not in catalogue]
    doubled = sorted({i for i in preference if preference.count(i) > 1})
    for what, ids in (("names unknown", unknown), ("repeats", doubled)):
        if ids:
            found.append(
                Problem(
                    "rules/policy.yaml",
                    1,
                    f"selection.preference {what} {', '.join(ids)}: list each intervention once",
                )
            )
    if missing:
        found.append(
            Problem(
                "rules/policy.yaml",
                1,
                f"selection.preference leaves out {', '.join(missing)}: on a full tie they rank "
                "after every listed intervention, in the catalogue's own order; list them",
                severity="warning",
            )
        )
    return found


def _culprit(checked: Checked, failure: str) -> Problem:
    """The rule the engine rejects, with its file and line: each rule compiled on its own."""
    alone = [
        CompiledStage(index, {rule_id: definition})
        for index, (rule_id, definition) in enumerate(
            (r, d) for stage in checked.stages for r, d in stage.definition.items()
        )
    ]
    found = probe_compile(alone) if "rejected" in failure else None
    index = found.split("probe_", 1)[1].split(":", 1)[0] if found and "probe_" in found else ""
    if not index.isdigit():
        return Problem("rules/rulesets/", 1, failure)
    name = next(iter(alone[int(index)].definition))
    rule_id = next(s.rule_ids(name)[0] for s in checked.stages if name in s.definition)
    rule = checked.rules[rule_id]
    hint = (
        "; its condition is too long for one durable_rules node (error 113: about 30 tests and "
        "any/all groups at most): split it into several rules"
        if found and "113" in found
        else ""
    )
    return Problem(
        rule.file, rule.line, f"durable_rules rejects rule {rule_id!r} ({failure}){hint}"
    )


def load(
    rules_dir: Path = DEFAULT_RULES, catalogue_dir: Path = DEFAULT_CATALOGUE, probe: bool = True
) -> Rulebook:
    """Read, check and compile the rulebook in two folders."""
    return build(check(rules_dir, catalogue_dir), probe=probe)
