"""Selection and sequencing policy: rules/policy.yaml and rules/sequencing.yaml → Policy.

Conditional parts (edges switched on by derived facts, capacity by responsivity) are turned into
rules of the last stage, so durable_rules decides them like any other rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from matcher.catalogue import Intervention
from matcher.conditions import ConditionParser
from matcher.errors import Problem
from matcher.facts import need_fields
from matcher.loading import LineDict, Sources, line_of
from matcher.rules import Outcome, RuleFiles, RuleSpec, fields_for_stage
from matcher.vocabulary import Vocabulary, suggest

POLICY_FILE = "rules/policy.yaml"
SEQUENCING_FILE = "rules/sequencing.yaml"
EDGE_TYPES = ("finish_to_start", "start_to_start")
EDGE_SELECTORS = ("needs", "kind", "ids", "formats", "intensity")


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
    selection = doc.get("selection") or {}
    capacity = _capacity(doc.get("capacity") or {}, POLICY_FILE, line_of(doc, "capacity"), problems)
    capacity_rules = []
    for index, raw in enumerate((doc.get("capacity") or {}).get("rules") or []):
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
    for index, raw in enumerate(sequencing.get("edges") or []):
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
    return Policy(
        multi_need_bonus=float(selection.get("multi_need_bonus", 2)),
        max_items=int(selection.get("max_items", 8)),
        capacity=capacity,
        capacity_rules=tuple(capacity_rules),
        rar_providers=tuple((doc.get("rar") or {}).get("providers") or ("internal", "contracted")),
        edges=tuple(edges),
        graph=graph,
        priority_field=str(selection.get("priority_need", "priority_need")),
        pathway_fields={
            k: str(v)
            for k, v in (
                doc.get("programme_pathway")
                or {
                    "pathway": "programme_pathway",
                    "risk_level": "pni_risk_level",
                    "need_level": "pni_need_level",
                }
            ).items()
        },
    )


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
    person, derived = fields_for_stage(stage, vocabulary, rule_files)
    codes = {
        kind: tuple(vocabulary.codes(kind))
        for kind in ("responsivity", "strengths", "flags", "requirements", "need_areas")
    }
    parser = ConditionParser(person, need_fields(vocabulary), derived, codes)
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
    if not isinstance(raw, dict) or not raw.get("id") or "before" not in raw or "after" not in raw:
        problems.append(
            Problem(
                SEQUENCING_FILE,
                line,
                "each edge needs id, before, after, type, rationale and source",
            )
        )
        return None
    kind = raw.get("type", "finish_to_start")
    if kind not in EDGE_TYPES:
        problems.append(
            Problem(
                SEQUENCING_FILE,
                line,
                f"edge {raw['id']!r}: unknown type {kind!r}",
                suggest(kind, EDGE_TYPES),
            )
        )
    for side in ("before", "after"):
        for key, value in (raw.get(side) or {}).items():
            if key not in EDGE_SELECTORS:
                problems.append(
                    Problem(
                        SEQUENCING_FILE,
                        line,
                        f"edge {raw['id']!r}: unknown selector {key!r}",
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
                                f"edge {raw['id']!r}: unknown need area {area!r}",
                                suggest(area, vocabulary.need_areas),
                            )
                        )
    before = [i for i in catalogue.values() if _matches(i, raw.get("before") or {})]
    after = [i for i in catalogue.values() if _matches(i, raw.get("after") or {})]
    pairs = tuple(sorted({(b.id, a.id) for b in before for a in after if a.id != b.id}))
    return Edge(
        id=f"sequencing.{raw['id']}",
        type=kind,
        lag_weeks=int(raw.get("lag_weeks", 0)),
        rationale=" ".join(str(raw.get("rationale", "")).split()),
        source=str(raw.get("source", "")),
        file=SEQUENCING_FILE,
        line=line,
        conditional=raw.get("when") is not None,
        pairs=pairs,
        before=_describe(raw.get("before") or {}),
        after=_describe(raw.get("after") or {}),
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
