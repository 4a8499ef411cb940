"""The only file reader: YAML files of rules/ and catalogue/ → documents that remember their lines."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from matcher.model.errors import Problem


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A YAML sequence that remembers the line of itself and of each element (1-based)."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def line_of(node: Any, *path: str | int) -> int:
    """The line of ``path`` inside ``node``, or of the deepest part of it that exists.

    >>> doc = parse_yaml("a:\\n  b: [1, 2]\\n  c: 3\\n")
    >>> line_of(doc, "a", "c")
    3
    """
    line = getattr(node, "line", 1)
    for part in path:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(str(part), line)
            node = node[str(part)]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
        line = getattr(node, "line", line) if isinstance(node, LineDict) else line
    return line


def section(doc: Any, key: str, shape: type, file: str, problems: list[Problem]) -> Any:
    """``doc[key]`` when it is a ``shape`` (dict or list); otherwise an empty one and a Problem.

    >>> found: list[Problem] = []
    >>> section(parse_yaml("edges: 5"), "edges", list, "s.yaml", found)
    []
    >>> str(found[0])
    "s.yaml:1: error: 'edges' must be a list, not 5"
    """
    value = doc.get(key) if isinstance(doc, dict) else None
    if value is None:
        return shape()
    if not isinstance(value, shape):
        kind = "a list" if shape is list else "a mapping"
        problems.append(Problem(file, line_of(doc, key), f"{key!r} must be {kind}, not {value!r}"))
        return shape()
    return value


def parse_yaml(text: str) -> Any:
    """Parse one YAML document; raises ``yaml.YAMLError`` with its mark on bad syntax."""
    return yaml.load(text, Loader=_LineLoader)


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the folder it was read from, prefixed by that folder's role
    text: str
    data: Any


@dataclass
class Sources:
    """Every policy file read for one rulebook, and the problems met reading them."""

    files: dict[str, SourceFile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @functools.cached_property
    def version(self) -> str:
        """A content hash of every file (computed once: sources are not changed after reading)."""
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + self.files[path].text.encode() + b"\0")
        return "sha256:" + digest.hexdigest()


def read_sources(rules_dir: Path, catalogue_dir: Path) -> Sources:
    """Read every YAML file of the rulebook. Scenarios are tests, not policy: not read here."""
    sources = Sources()
    for role, folder in (("rules", rules_dir), ("catalogue", catalogue_dir)):
        if not folder.is_dir():
            sources.problems.append(Problem(str(folder), 1, f"folder {str(folder)!r} not found"))
            continue
        for path in sorted(folder.rglob("*.yaml")):
            relative = path.relative_to(folder)
            if relative.parts[0] == "scenarios":
                continue
            _read_one(sources, f"{role}/{relative.as_posix()}", path.read_text(encoding="utf-8"))
    return sources


def sources_from_texts(texts: dict[str, str]) -> Sources:
    """Sources from in-memory files (``{"rules/x.yaml": text}``), for validating a submitted change."""
    sources = Sources()
    for name in sorted(texts):
        _read_one(sources, name, texts[name])
    return sources


def _read_one(sources: Sources, name: str, text: str) -> None:
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        sources.problems.append(Problem(name, line, f"not valid YAML: {problem}"))
        return
    sources.files[name] = SourceFile(name, text, data)


def document(sources: Sources, name: str, problems: list[Problem]) -> LineDict:
    """The mapping at the top of one policy file; an empty one and a Problem if it is not there."""
    source = sources.files.get(name)
    if source is None or not isinstance(source.data, LineDict):
        problems.append(Problem(name, 1, f"{name} is missing or empty"))
        return LineDict()
    return source.data


M = TypeVar("M", bound=BaseModel)


def validated(
    model: type[M],
    raw: Any,
    file: str,
    root: Any,
    path: tuple[str | int, ...],
    what: str,
    problems: list[Problem],
) -> M | None:
    """``raw`` as a ``model``, or None with one Problem per bad field (file and line)."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        for detail in error.errors():
            loc = tuple(p for p in detail["loc"] if isinstance(p, int) or "[" not in str(p))
            where = ".".join(str(p) for p in loc) or "(the whole entry)"
            problems.append(
                Problem(
                    file, line_of(root, *path, *loc), f"{what}: {where}: {detail['msg'].lower()}"
                )
            )
        return None
