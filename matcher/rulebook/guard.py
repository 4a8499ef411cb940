"""Limits on a policy file before it is built into objects: nesting depth and YAML aliases.

A YAML alias (``*name``) repeats the value its anchor (``&name``) marks, so nine lines of nested
aliases can stand for a billion values ("billion laughs"), and thousands of nested brackets can
exhaust the parser's stack. The file's events are scanned once (libyaml, no recursion) and the
file is refused at the first place that passes a limit, with its line and what to do.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

MAX_DEPTH = 40  # mappings and lists inside one another (the shipped files nest at most 8)
MAX_ALIASES = 200  # aliases (*name) in one file (the shipped files use none)
MAX_ALIAS_VALUES = 10_000  # values all the aliases of one file may stand for, together
SCALAR_CHARS = 64  # a long text counts as one value per this many characters
EXCERPT = 80  # characters of a value a problem message quotes at most

_FAST_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LimitError(yaml.YAMLError):
    """A file passes one of the limits above: refused before it is built."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """``repr(value)``, cut to ``limit`` characters with "…" (a problem never quotes a whole file).

    >>> excerpt("short")
    "'short'"
    >>> excerpt(list(range(100)), 20)
    '[0, 1, 2, 3, 4, 5, …'
    """
    text = _short_repr(value, limit + 1)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_repr(value: Any, limit: int) -> str:
    """A repr that stops early on big lists and mappings (never builds the whole text)."""
    if isinstance(value, str):
        return repr(value[:limit])
    if isinstance(value, list | tuple | dict | set | frozenset):
        items = list(value.items()) if isinstance(value, dict) else list(value)
        parts, size = [], 0
        for item in items:
            if size > limit:
                break
            part = (
                f"{_short_repr(item[0], limit)}: {_short_repr(item[1], limit)}"
                if isinstance(value, dict)
                else _short_repr(item, limit)
            )
            parts.append(part)
            size += len(part) + 2
        opener, closer = ("{", "}") if isinstance(value, dict | set | frozenset) else ("[", "]")
        return opener + ", ".join(parts) + closer
    return repr(value)[: limit + 1]


def scan_limits(text: str) -> None:
    """Scan the YAML events of ``text``; raise LimitError at the first limit passed.

    Syntax errors are left to the parser that reads the file afterwards.

    >>> scan_limits("a: &x [1, 2]\\nb: *x\\n")
    >>> try:
    ...     scan_limits("[" * 100 + "]" * 100)
    ... except LimitError as error:
    ...     print(error.line, error.message[:47])
    1 lists and mappings are nested more than 40 deep
    """
    loader = _FAST_BASE(text)
    try:
        _scan(loader)
    except yaml.YAMLError as error:
        if isinstance(error, LimitError):
            raise
        if "nesting depth" in str(error):  # libyaml's own limit (1,000), met scanning ahead
            mark = getattr(error, "problem_mark", None)
            raise LimitError(mark.line + 1 if mark else 1, _TOO_DEEP) from None
    finally:
        loader.dispose()


def _scan(loader: Any) -> None:
    sizes: dict[str, float] = {}  # anchor → how many values it stands for
    open_: list[list[Any]] = []  # per open list or mapping: [values so far, anchor]
    aliases, expanded = 0, 0.0
    while loader.check_event():
        event = loader.get_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_) >= MAX_DEPTH:
                raise LimitError(line, _TOO_DEEP)
            open_.append([1.0, event.anchor])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            count, anchor = open_.pop()
            if anchor is not None:
                sizes[anchor] = count
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            name = event.anchor or ""
            count = sizes.get(name, math.inf if _opened(open_, name) else 1.0)
            expanded += count
            if aliases > MAX_ALIASES or expanded > MAX_ALIAS_VALUES:
                raise LimitError(line, _too_many_aliases(aliases, count))
        elif isinstance(event, yaml.ScalarEvent):
            count = 1.0 + len(event.value) // SCALAR_CHARS
            if event.anchor is not None:
                sizes[event.anchor] = count
        else:
            continue
        if open_:
            open_[-1][0] += count


def _opened(open_: list[list[Any]], anchor: str) -> bool:
    """The alias names a list or mapping that contains it (a loop)."""
    return any(anchor == entry[1] for entry in open_)


_TOO_DEEP = (
    f"lists and mappings are nested more than {MAX_DEPTH} deep; a rule or catalogue file "
    "never needs that: check for brackets opened and not closed"
)


def _too_many_aliases(aliases: int, count: float) -> str:
    if math.isinf(count):
        return "this alias names a list or mapping that contains it, a loop: write the values out"
    if aliases > MAX_ALIASES:
        return f"more than {MAX_ALIASES} aliases (*name) in one file: write the values out"
    return (
        f"the aliases (*name) in this file stand for more than {MAX_ALIAS_VALUES:,} values "
        "(nested aliases repeat each other): write the values out, or use fewer aliases"
    )
