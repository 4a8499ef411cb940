"""The one-pass reader (``rulebook.events``) builds exactly what the careful reader builds, lines
included, and leaves every file it does not fully understand to the careful reader."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from matcher.rulebook import sources
from matcher.rulebook.events import Unusual
from tests.conftest import CATALOGUE, RULES


def careful(text: str) -> Any:
    """What ``parse_yaml`` read before the one-pass reader (a file with no limit passed)."""
    sources.scan_limits(text)
    return yaml.load(text, Loader=sources._LineLoader)


def same(fast: Any, slow: Any) -> bool:
    """Equal values of the same types, with the same lines for every mapping, key and item."""
    if type(fast) is not type(slow):
        return False
    if isinstance(fast, dict):
        return (
            list(fast) == list(slow)
            and (fast.line, fast.key_lines) == (slow.line, slow.key_lines)
            and all(same(fast[k], slow[k]) for k in fast)
        )
    if isinstance(fast, list):
        return (
            (fast.line, fast.item_lines) == (slow.line, slow.item_lines)
            and len(fast) == len(slow)
            and all(same(a, b) for a, b in zip(fast, slow, strict=True))
        )
    return bool(fast == slow)


PLAIN = {
    "values": "a: 0x1F\nb: 1:30\nc: 1_000\nd: 1.5e3\ne: yes\nf: ~\ng: 2026-01-01\nh: 'yes'\n",
    "keys": "1: a\ntrue: b\n~: c\n2026-01-01: d\n'x': e\n",
    "repeated key": "a: 1\nb: [x]\na: {c: 2}\n",
    "flow and block": "a: {b: [1, 2, {c: d}], e: 'f'}\nl:\n  -\n  - x\n  - - y\n    - z\ng: |\n  t\n",
    "top-level list": "- 1\n- [2, 3]\n- {a: b}\n",
    "top-level scalar": "hello\n",
    "empty": "",
    "comments only": "# nothing\n",
    "one empty document": "---\n...\n",
}


@pytest.mark.parametrize("text", PLAIN.values(), ids=PLAIN.keys())
def test_a_plain_file_is_read_in_one_pass_as_the_careful_reader_reads_it(text: str) -> None:
    fast = sources._PLAIN.read(text)
    assert same(fast, careful(text))
    assert same(sources.parse_yaml(text), fast)


def test_every_shipped_file_reads_the_same_in_one_pass() -> None:
    for path in [*RULES.rglob("*.yaml"), *CATALOGUE.rglob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        assert same(sources._PLAIN.read(text), careful(text)), path


UNUSUAL = {
    "anchor": "a: &x 1\nb: 2\n",
    "alias": "a: &x 1\nb: *x\n",
    "merge key": "base: &b {x: 1}\nc:\n  <<: *b\n",
    "tag": "a: !!str 1\n",
    "value key": "=: 1\n",
    "list as key": "? [a, b]\n: c\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "too deep": "[" * 41 + "]" * 41,
    "syntax error": "a: 'open\nb: 2\n",
    "nan": "a: .nan\n",
    "30 February": "a: 2026-02-30\n",
}


@pytest.mark.parametrize("text", UNUSUAL.values(), ids=UNUSUAL.keys())
def test_anything_else_is_left_to_the_careful_reader(text: str) -> None:
    with pytest.raises(Unusual):
        sources._PLAIN.read(text)
