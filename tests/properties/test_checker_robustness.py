"""Any shape of policy file gives problems with places, never a crash of the checker."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.model.errors import RulebookError
from matcher.rulebook.build import CHECKER_FAULT, check_sources
from matcher.rulebook.sources import Sources, read_sources, sources_from_texts
from tests.conftest import CATALOGUE, RULES

PARSED = read_sources(RULES, CATALOGUE)
SHIPPED = {name: source.text for name, source in PARSED.files.items()}
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 600),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5)), max_size=2),
    st.just([{"a": [1]}]),
    st.just({"b": {"c": []}}),
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node[path[0]] = _replace(node[path[0]], path[1:], value)
    return node


@settings(max_examples=100, deadline=None)
@given(file=st.sampled_from(sorted(SHIPPED)), where=st.integers(0, 10_000), value=ODD_VALUES)
def test_a_mangled_policy_file_is_reported_never_crashes_the_checker(
    file: str, where: int, value: Any
) -> None:
    document = yaml.safe_load(SHIPPED[file])
    paths = _paths(document)
    mangled = _replace(document, paths[where % len(paths)], value)
    changed = sources_from_texts({file: yaml.safe_dump(mangled, sort_keys=False)})
    sources = Sources(files={**PARSED.files, **changed.files}, problems=changed.problems)
    try:
        check_sources(sources)
    except RulebookError as error:
        assert error.problems
        faults = [p for p in error.problems if CHECKER_FAULT in p.message]
        assert not faults, faults[0].message
