"""Loading at scale (issue 12 item 4): the shortcuts taken for a large catalogue find what the
long way finds, and the scaling bench's catalogue with PDU-level availability loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.scaling import catalogue_variant, pdu_regions
from matcher.model.errors import RulebookError
from matcher.rulebook import build
from matcher.rulebook.build import check_sources
from matcher.rulebook.sources import read_sources, sources_from_texts
from tests.conftest import CATALOGUE, RULES

TOOLKITS = "catalogue/interventions/toolkits.yaml"


def _problems_with(file: str, old: str, new: str) -> list[str]:
    texts = {name: f.text for name, f in read_sources(RULES, CATALOGUE).files.items()}
    assert old in texts[file]
    texts[file] = texts[file].replace(old, new, 1)
    with pytest.raises(RulebookError) as caught:
        check_sources(sources_from_texts(texts))
    return [f"{p.file}:{p.line}: {p.message}" for p in caught.value.problems]


def test_a_placeholder_written_with_an_escape_is_still_found() -> None:
    """A file that says TODO nowhere cannot hold the placeholder, unless a double-quoted escape
    writes it: such a file is still searched."""
    text = (CATALOGUE / "interventions" / "toolkits.yaml").read_text(encoding="utf-8")
    line = text.splitlines().index("    wait_weeks: 0") + 1 if "    wait_weeks: 0\n" in text else 0
    assert line
    found = _problems_with(TOOLKITS, "    wait_weeks: 0\n", '    wait_weeks: "\\x54ODO"\n')
    assert any(
        f.startswith(f"{TOOLKITS}:{line}: ") and "is still the placeholder 'TODO'" in f
        for f in found
    ), found


def test_an_unknown_code_in_a_copy_is_found_at_its_line() -> None:
    found = _problems_with(TOOLKITS, "regions: all", "regions: [london, lundon]")
    assert any(": unknown regions code 'lundon'" in f and f.startswith(TOOLKITS) for f in found)


def test_the_bench_catalogue_with_pdu_level_availability_loads(tmp_path: Path) -> None:
    """Each copy is served in one PDU, within its region, the real PDUs in turn."""
    folder = catalogue_variant(tmp_path / "cat2", 2, by_pdu=True)
    checked = build.check(RULES, folder)
    copies = [i for i in checked.catalogue.values() if i.id.endswith("_v1")]
    assert len(copies) * 2 == len(checked.catalogue)
    regions = dict(pdu_regions())
    assert all(len(i.pdus) == 1 and i.regions == [regions[i.pdus[0]]] for i in copies)
    assert len({i.pdus[0] for i in copies}) == len(copies)  # in turn: none served twice here
    assert f"catalogue.{copies[0].id}.pdu" in checked.rules
