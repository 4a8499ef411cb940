"""The sequencing cycle check, on its graph linear in the catalogue: it finds exactly the cycles
of the union graph (pair by pair) and names them with file and line, wherever the cycle starts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import networkx as nx
import pytest

from matcher.model.errors import Problem
from matcher.rulebook.sequencing import _check_acyclic
from matcher.rulebook.union import union_graph
from tests.strategies import make_edge


def _catalogue(*ids: str, prerequisites: dict[str, list[str]] | None = None) -> dict[str, Any]:
    needs = prerequisites or {}
    return {
        i: SimpleNamespace(id=i, prerequisites=needs.get(i, []), file="catalogue/x.yaml", line=7)
        for i in ids
    }


def _problems(edges: list[Any], catalogue: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    _check_acyclic(edges, catalogue, found)
    return found


@pytest.mark.parametrize(
    ("edges", "cyclic"),
    [
        (
            [make_edge("e0", [("a", "b"), ("a", "c"), ("b", "b"), ("b", "c")])],
            False,
        ),  # b both sides
        ([make_edge("e0", [("a0", "c"), ("b", "c")]), make_edge("e1", [("c", "b")])], True),
        ([make_edge("e0", [("a", "b"), ("b", "a")])], True),  # two on both sides: a real cycle
        ([make_edge("e0", [("a", "b")]), make_edge("e1", [("b", "c")])], False),
    ],
)
def test_cycles_are_those_of_the_union_graph(edges: list[Any], cyclic: bool) -> None:
    catalogue = _catalogue("a", "a0", "b", "c")
    union = union_graph(edges, catalogue)  # type: ignore[arg-type]
    assert nx.is_directed_acyclic_graph(union) is not cyclic
    found = _problems(edges, catalogue)
    assert bool(found) is cyclic
    if found:
        assert found[0].file == "rules/sequencing.yaml" and found[0].line == 1
        assert "the sequencing graph has a cycle" in found[0].message
        assert "→" in found[0].message and "(by " in found[0].message


def test_a_cycle_through_a_prerequisite_names_the_catalogue_entry() -> None:
    catalogue = _catalogue("a", "b", prerequisites={"a": ["b"]})  # b before a
    (problem,) = _problems([make_edge("e0", [("a", "b")])], catalogue)
    assert "prerequisite of a at catalogue/x.yaml:7" in problem.message
    assert "e0 at rules/sequencing.yaml:1" in problem.message
