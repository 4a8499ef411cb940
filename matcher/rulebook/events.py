"""A fast reader for the plain YAML policy files are written in: one pass over libyaml's events.

PyYAML's loaders make three passes over a file here (the limit scan, composing nodes, building
objects from them), each mostly in Python; a catalogue a hundred times today's (10 MB) took
about 12 s to read. This reader builds the same objects (``LineDict``/``LineList`` with the
same lines) straight from libyaml's events, and resolves each distinct plain scalar once.

It reads only what the shipped files use: one document of mappings, lists and scalars with no
anchors, aliases or tags, nested no deeper than the careful reader allows, keys that are scalars. Anything else
(and any error) raises ``Unusual``, and the caller reads the file the careful way
(``sources.parse_yaml``), whose limits, values and error messages are then exactly as before.
"""

from __future__ import annotations

from typing import Any

import yaml

_PARSER: Any = getattr(yaml, "CSafeLoader", None)  # libyaml, where PyYAML was built with it
_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_MEMO_SIZE = 50_000  # distinct plain scalars remembered (ids, codes, numbers, true/false)
_MEMO_CHARS = 100  # and only short ones: a long text is read once


class Unusual(Exception):
    """The file uses something this reader leaves to the careful one."""


class Reader:
    """Reads files with the constructors of ``loader_class`` (a SafeLoader with line-keeping
    containers); ``containers`` are its mapping and list classes; files nested deeper than
    ``max_depth`` are left to the careful reader (whose limit it is)."""

    def __init__(
        self, loader_class: type[yaml.SafeLoader], containers: tuple[type, type], max_depth: int
    ) -> None:
        self._helper = loader_class("")  # resolves and constructs scalars; never reads a file
        self._mapping, self._list = containers
        self._max_depth = max_depth
        self._memo: dict[str, Any] = {}

    def read(self, text: str) -> Any:
        """The document in ``text``; ``Unusual`` if the file is not plain (see the module)."""
        if _PARSER is None:
            raise Unusual("PyYAML has no libyaml")
        parser = _PARSER(text)
        try:
            return self._document(parser.get_event)
        except Unusual:
            raise
        except Exception as error:  # a syntax error or a value PyYAML refuses: read carefully
            raise Unusual(str(error)) from None
        finally:
            parser.dispose()

    def _plain(self, value: str, mark: Any) -> Any:
        """A plain (unquoted) scalar as SafeLoader builds it: the tag resolved from its text."""
        memo = self._memo
        if value in memo:
            return memo[value]
        helper: Any = self._helper
        tag = helper.resolve(yaml.ScalarNode, value, (True, False))
        if tag == _STR:
            result: Any = value
        elif tag in _SCALAR_TAGS:
            node = yaml.ScalarNode(tag, value, mark, mark)
            result = helper.yaml_constructors[tag](helper, node)
        else:  # a merge key '<<', a value key '=': the careful reader knows them
            raise Unusual(tag)
        if len(memo) < _MEMO_SIZE and len(value) <= _MEMO_CHARS:
            memo[value] = result
        return result

    def _document(self, next_event: Any) -> Any:
        """Stream start, at most one document, stream end."""
        next_event()  # the stream starts
        event = next_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None  # an empty file, or comments only
        if not isinstance(event, yaml.DocumentStartEvent):
            raise Unusual(type(event).__name__)
        root = self._node(next_event)
        if not isinstance(next_event(), yaml.DocumentEndEvent):
            raise Unusual("the document does not end")
        if not isinstance(next_event(), yaml.StreamEndEvent):
            raise Unusual("more than one document")
        return root

    def _node(self, next_event: Any) -> Any:
        """One node and everything in it, from events, with an explicit stack (no recursion)."""
        scalar, mapping_start, sequence_start = (
            yaml.ScalarEvent,
            yaml.MappingStartEvent,
            yaml.SequenceStartEvent,
        )
        plain, list_class = self._plain, self._list
        stack: list[tuple[Any, Any]] = []  # the open containers above, each with its pending key
        container: Any = None
        key: Any = _NO_KEY
        in_list = False  # the container is a list
        while True:
            event = next_event()
            kind = type(event)
            if kind is scalar:  # most events: placed here, without a call
                if event.anchor is not None or event.tag is not None:
                    raise Unusual("an anchor or a tag")
                made = plain(event.value, event.start_mark) if event.implicit[0] else event.value
                if in_list:
                    container.append(made)
                    container.item_lines.append(event.start_mark.line + 1)
                elif container is None:
                    return made
                elif key is _NO_KEY:
                    key = made
                    container.key_lines[made] = event.start_mark.line + 1
                else:
                    container[key] = made
                    key = _NO_KEY
                continue
            if kind is mapping_start or kind is sequence_start:
                if event.anchor is not None or event.tag is not None:
                    raise Unusual("an anchor or a tag")
                made = self._open(event, kind is mapping_start, len(stack))
                if container is not None:
                    key = _place(container, key, made, event.start_mark.line + 1, list_class)
                stack.append((container, key))
                container, key, in_list = made, _NO_KEY, kind is sequence_start
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                if key is not _NO_KEY:
                    raise Unusual("a key without a value")
                made = container
                container, key = stack.pop()
                if container is None:
                    return made
                key = _place(container, key, made, 0, list_class)
                in_list = type(container) is list_class
            else:
                raise Unusual(kind.__name__)  # an alias

    def _open(self, event: Any, mapping: bool, depth: int) -> Any:
        """A new, empty mapping or list with its line."""
        if depth >= self._max_depth:
            raise Unusual("nested deeper than the limit")
        made = self._mapping() if mapping else self._list()
        made.line = event.start_mark.line + 1
        if mapping:
            made.key_lines = {}
        else:
            made.item_lines = []
        return made


_NO_KEY: Any = object()


def _place(container: Any, key: Any, made: Any, line: int, list_class: Any) -> Any:
    """Put ``made`` in ``container`` (``line`` > 0: it starts there, so record the line; 0: a
    list or mapping just closed, whose line is recorded already); the mapping's pending key after."""
    if type(container) is list_class:
        if line:
            container.item_lines.append(line)
        if line == 0 or not isinstance(made, list_class | dict):
            container.append(made)
        return _NO_KEY
    if key is _NO_KEY:  # made is a key
        if isinstance(made, list | dict):
            raise Unusual("a list or mapping as a key")
        container.key_lines[made] = line
        return made
    if line == 0 or not isinstance(made, list | dict):
        container[key] = made
        return _NO_KEY
    return key  # a list or mapping opened as the value: placed when it closes
