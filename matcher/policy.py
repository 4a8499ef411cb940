"""Selection and sequencing policy: rules/policy.yaml and rules/sequencing.yaml → Policy.

Conditional parts (edges switched on by derived facts, capacity by responsivity) are turned into
rules of the last stage, so durable_rules decides them like any other rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from matcher.catalogue import Intervention
from matcher.errors import Problem
from matcher.loading import LineDict, Sources, line_of, section
from matcher.rules import Outcome, RuleFiles, RuleSpec, condition_parser
from matcher.shapes import EdgeSpec, validated
from matcher.vocabulary import Vocabulary, suggest

POLICY_FILE = "rules/policy.yaml"
SEQUENCING_FILE = "rules/sequencing.yaml"
EDGE_TYPES = ("finish_to_start", "start_to_start")
EDGE_SELECTORS = ("needs", "kind", "ids", "formats", "intensity")
PATHWAY_FIELDS = ("pathway", "risk_level", "need_level")


@dataclass(frozen=True)
class Capacity:
    max_concurrent: int
    max_hours_per_week: float


@dataclass(frozen=True)
class CapacityRule:
    id: str
    description: str
    capacity: Capacity


@dataclass(frozen=True)
class Edge:
    """A precedence between interventions: every ``before`` item precedes every ``after`` item."""

    id: str
    type: str
    lag_weeks: int
    rationale: str
    source: str
    file: str
    line: int
    conditional: bool
    pairs: tuple[tuple[str, str], ...]  # (before id, after id), resolved against the catalogue
    before: str = ""  # the selectors as written, for pictures and explanations
    after: str = ""


@dataclass(frozen=True)
class Policy:
    multi_need_bonus: float = 2.0
    max_items: int = 8
    capacity: Capacity = Capacity(3, 8)
    capacity_rules: tuple[CapacityRule, ...] = ()
    rar_providers: tuple[str, ...] = ("internal", "contracted")
    edges: tuple[Edge, ...] = ()
    priority_field: str = "priority_need"  # the per-need derived fact that marks a priority need
    pathway_fields: dict[str, str] = field(default_factory=dict)  # plan field → derived name
    graph: nx.DiGraph = field(default_factory=nx.DiGraph, compare=False)  # the union of every edge


def _doc(sources: Sources, name: str, problems: list[Problem]) -> LineDict:
    source = sources.files.get(name)
    if source is None or not isinstance(source.data, LineDict):
        problems.append(Problem(name, 1, f"{name} is missing or empty"))
        return LineDict()
    return source.data


def load_policy(
    sources: Sources,
    vocabulary: Vocabulary,
    catalogue: dict[str, Intervention],
    rule_files: RuleFiles,
    problems: list[Problem],
) -> Policy:
    """Read both policy files; conditional parts are appended to ``rule_files.rules``."""
    doc = _doc(sources, POLICY_FILE, problems)
    stage = max([r.stage for r in rule_files.rules] + [1])
    selection = section(doc, "selection", dict, POLICY_FILE, problems)
    capacity_doc = section(doc, "capacity", dict, POLICY_FILE, problems)
    capacity = _capacity(capacity_doc, POLICY_FILE, line_of(doc, "capacity"), problems)
    capacity_rules = []
    for index, raw in enumerate(section(capacity_doc, "rules", list, POLICY_FILE, problems)):
        if not isinstance(raw, dict):
            problems.append(
                Problem(
                    POLICY_FILE,
                    line_of(doc, "capacity", "rules", index),
                    "each capacity rule must be a mapping with id, description, when and limits",
                )
            )
            continue
        rule_id = f"capacity.{raw.get('id', index)}"
        where = line_of(doc, "capacity", "rules", index)
        limits = _capacity(raw, POLICY_FILE, where, problems, default=capacity)
        description = str(raw.get("description") or "")
        capacity_rules.append(CapacityRule(rule_id, description, limits))
        _add_rule(
            rule_files,
            vocabulary,
            problems,
            stage,
            rule_id,
            description,
            str(raw.get("source", "")),
            raw.get("when"),
            POLICY_FILE,
            where,
            Outcome("capacity", code=rule_id),
        )
    sequencing = _doc(sources, SEQUENCING_FILE, problems)
    edges = []
    for index, raw in enumerate(section(sequencing, "edges", list, SEQUENCING_FILE, problems)):
        edge = _edge(raw, index, sequencing, catalogue, vocabulary, problems)
        if edge is None:
            continue
        edges.append(edge)
        if edge.conditional:
            _add_rule(
                rule_files,
                vocabulary,
                problems,
                stage,
                edge.id,
                edge.rationale,
                edge.source,
                raw.get("when"),
                SEQUENCING_FILE,
                edge.line,
                Outcome("switch", code=edge.id),
            )
    graph = union_graph(edges, catalogue)
    _check_acyclic(graph, problems)
    numbers = _numbers(selection, ("multi_need_bonus", "max_items"), problems)
    pathway_doc = section(doc, "programme_pathway", dict, POLICY_FILE, problems)
    for key in PATHWAY_FIELDS:
        if not isinstance(pathway_doc.get(key), str):
            problems.append(
                Problem(
                    POLICY_FILE,
                    line_of(doc, "programme_pathway"),
                    f"programme_pathway needs {key!r}: the derived value that fills the plan's programme_pathway.{key}",
                )
            )
    providers = section(
        section(doc, "rar", dict, POLICY_FILE, problems), "providers", list, POLICY_FILE, problems
    )
    for provider in providers:
        if provider not in vocabulary.lists["providers"]:
            problems.append(
                Problem(
                    POLICY_FILE,
                    line_of(doc, "rar"),
                    f"unknown provider {provider!r} in rar.providers",
                    suggest(provider, vocabulary.lists["providers"]),
                )
            )
    return Policy(
        multi_need_bonus=numbers.get("multi_need_bonus", 2.0),
        max_items=int(numbers.get("max_items", 8)),
        capacity=capacity,
        capacity_rules=tuple(capacity_rules),
        rar_providers=tuple(str(p) for p in providers),
        edges=tuple(edges),
        graph=graph,
        priority_field=str(selection.get("priority_need", "priority_need")),
        pathway_fields={k: str(pathway_doc.get(k)) for k in PATHWAY_FIELDS},
    )


def _numbers(doc: LineDict, keys: tuple[str, ...], problems: list[Problem]) -> dict[str, float]:
    found = {}
    for key in keys:
        if key in doc:
            value = doc[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(
                    Problem(
                        POLICY_FILE,
                        line_of(doc, key),
                        f"{key!r} must be a number ≥ 0, not {value!r}",
                    )
                )
            else:
                found[key] = float(value)
    return found


def _capacity(
    raw: Any, name: str, line: int, problems: list[Problem], default: Capacity | None = None
) -> Capacity:
    base = default or Capacity(3, 8)
    try:
        limits = Capacity(
            int(raw.get("max_concurrent", base.max_concurrent)),
            float(raw.get("max_hours_per_week", base.max_hours_per_week)),
        )
    except (TypeError, ValueError, AttributeError):
        problems.append(
            Problem(
                name,
                line,
                "capacity needs whole-number max_concurrent and numeric max_hours_per_week",
            )
        )
        return base
    if limits.max_concurrent < 1 or limits.max_hours_per_week <= 0:
        problems.append(Problem(name, line, "capacity limits must be positive"))
    return limits


def _add_rule(
    rule_files: RuleFiles,
    vocabulary: Vocabulary,
    problems: list[Problem],
    stage: int,
    rule_id: str,
    description: str,
    source: str,
    when: Any,
    file: str,
    line: int,
    outcome: Outcome,
) -> None:
    parser = condition_parser(stage, vocabulary, rule_files)
    condition = parser.parse(when)
    for message in parser.problems:
        problems.append(Problem(file, line, f"{rule_id}: {message}"))
    rule_files.rules.append(
        RuleSpec(rule_id, description, source, stage, file, line, condition, (outcome,))
    )


def _edge(
    raw: Any,
    index: int,
    doc: LineDict,
    catalogue: dict[str, Intervention],
    vocabulary: Vocabulary,
    problems: list[Problem],
) -> Edge | None:
    line = line_of(doc, "edges", index)
    name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
    if isinstance(raw, dict) and raw.get("type") not in (None, *EDGE_TYPES):
        problems.append(
            Problem(
                SEQUENCING_FILE,
                line_of(doc, "edges", index, "type"),
                f"edge {name!r}: unknown type {raw['type']!r}",
                suggest(raw["type"], EDGE_TYPES),
            )
        )
        return None
    spec = validated(
        EdgeSpec, raw, SEQUENCING_FILE, doc, ("edges", index), f"edge {name!r}", problems
    )
    if spec is None:
        return None
    for side in (spec.before, spec.after):
        for key, value in side.items():
            if key not in EDGE_SELECTORS:
                problems.append(
                    Problem(
                        SEQUENCING_FILE,
                        line,
                        f"edge {spec.id!r}: unknown selector {key!r}",
                        suggest(key, EDGE_SELECTORS),
                    )
                )
            elif key == "needs":
                for area in value if isinstance(value, list) else [value]:
                    if area not in vocabulary.need_areas:
                        problems.append(
                            Problem(
                                SEQUENCING_FILE,
                                line,
                                f"edge {spec.id!r}: unknown need area {area!r}",
                                suggest(str(area), vocabulary.need_areas),
                            )
                        )
    before = [i for i in catalogue.values() if _matches(i, spec.before)]
    after = [i for i in catalogue.values() if _matches(i, spec.after)]
    return Edge(
        id=f"sequencing.{spec.id}",
        type=spec.type,
        lag_weeks=spec.lag_weeks,
        rationale=" ".join(spec.rationale.split()),
        source=spec.source,
        file=SEQUENCING_FILE,
        line=line,
        conditional=spec.when is not None,
        pairs=tuple(sorted({(b.id, a.id) for b in before for a in after if a.id != b.id})),
        before=_describe(spec.before),
        after=_describe(spec.after),
    )


def _describe(selector: dict[str, Any]) -> str:
    """A selector in words, e.g. "needs: accommodation; kind: toolkit"."""
    parts = []
    for key, value in selector.items():
        values = value if isinstance(value, list) else [value]
        parts.append(f"{key}: {', '.join(str(v) for v in values)}")
    return "; ".join(parts)


def _matches(intervention: Intervention, selector: dict[str, Any]) -> bool:
    """Sequencing looks at an intervention's lead need (its first), so its place is unambiguous."""
    for key, wanted in selector.items():
        wanted = wanted if isinstance(wanted, list) else [wanted]
        if key == "needs":
            ok = intervention.needs[0] in wanted
        elif key == "ids":
            ok = intervention.id in wanted
        elif key == "formats":
            ok = bool(set(intervention.formats) & set(wanted))
        elif key in ("kind", "intensity"):
            ok = getattr(intervention, key) in wanted
        else:
            ok = False
        if not ok:
            return False
    return True


def union_graph(edges: list[Edge], catalogue: dict[str, Intervention]) -> nx.DiGraph:
    """Every precedence any assessment could switch on, plus catalogue prerequisites.

    Each graph edge keeps ``places``: (what made it, file, line) for every policy line behind it.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(catalogue))
    for edge in edges:
        for before, after in edge.pairs:
            graph.add_edge(before, after)
            graph.edges[before, after].setdefault("places", []).append(
                (edge.id, edge.file, edge.line)
            )
    for intervention in catalogue.values():
        for prerequisite in intervention.prerequisites:
            if prerequisite in catalogue:
                graph.add_edge(prerequisite, intervention.id)
                graph.edges[prerequisite, intervention.id].setdefault("places", []).append(
                    (f"prerequisite of {intervention.id}", intervention.file, intervention.line)
                )
    return graph


def _check_acyclic(graph: nx.DiGraph, problems: list[Problem]) -> None:
    """A cycle anywhere in the union graph is a load error naming each edge, its file and line."""
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    places = [place for u, v, *_ in cycle for place in graph.edges[u, v]["places"]]
    steps = "; ".join(
        f"{u} → {v} (by {', '.join(f'{what} at {file}:{line}' for what, file, line in graph.edges[u, v]['places'])})"
        for u, v, *_ in cycle
    )
    _, file, line = min(places, key=lambda p: (p[1], p[2]))
    problems.append(
        Problem(
            file, line, f"the sequencing graph has a cycle, so no order could satisfy it: {steps}"
        )
    )
