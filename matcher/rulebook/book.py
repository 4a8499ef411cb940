"""The Rulebook: rules + catalogue + policy, checked and compiled, with a content hash as its version."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from matcher.model.catalogue import Intervention
from matcher.model.engine import CompiledStage, RuleEngine
from matcher.model.errors import Problem
from matcher.model.policy import Policy
from matcher.model.rules import ComputedField, RuleSpec
from matcher.model.vocabulary import Vocabulary
from matcher.rulebook.sources import Sources
from matcher.rulebook.union import union_graph


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
    need_stages: frozenset[int]  # stages whose rules join need facts
    history_stages: frozenset[int]  # stages whose rules join history facts

    @property
    def version(self) -> str:
        return self.sources.version

    @functools.cached_property
    def sequencing_graph(self) -> nx.DiGraph:
        """Every precedence any assessment could switch on, pair by pair, with the policy lines
        behind each (for views: its size is quadratic in the catalogue, so it is built when
        first asked for, never to load or plan)."""
        return union_graph(list(self.policy.edges), self.catalogue)


@dataclass(frozen=True)
class Rulebook:
    """Rules + catalogue + policy, compiled, with a content hash as its version."""

    checked: Checked
    engine: RuleEngine
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

    @property
    def sequencing_graph(self) -> nx.DiGraph:
        return self.checked.sequencing_graph

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
