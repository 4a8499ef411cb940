"""The only file reader: YAML files of rules/ and catalogue/ → documents that remember their lines."""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from matcher.model.errors import Problem
from matcher.rulebook.events import Reader, Unusual
from matcher.rulebook.guard import MAX_DEPTH, LimitError, excerpt, scan_limits


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


# libyaml's parser where PyYAML was built with it (its nodes carry the same line marks): it reads
# a large catalogue several times faster. A file it refuses is read again by the pure-Python
# parser, whose words the plain-English hints below know.
_FAST_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastLineLoader(_FAST_BASE):  # type: ignore[valid-type,misc]
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _finite_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value: float = _plain(yaml.SafeLoader.construct_yaml_float)(loader, node)
    if not math.isfinite(value):
        raise LimitError(
            node.start_mark.line + 1,
            f"{excerpt(node.value)} is not a finite number: a rule cannot compare with "
            "NaN or infinity; write a number, or leave the test out",
        )
    return value


def _plain(construct: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A scalar constructor whose ValueError (a 5,000-digit number, 30 February) is a Problem."""

    def construct_or_refuse(loader: Any, node: Any) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError) as error:
            raise LimitError(
                node.start_mark.line + 1, f"cannot read the value {excerpt(node.value)}: {error}"
            ) from None

    return construct_or_refuse


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    _loader.add_constructor("tag:yaml.org,2002:float", _finite_float)
    for _tag, _construct in (
        ("int", yaml.SafeLoader.construct_yaml_int),
        ("timestamp", yaml.SafeLoader.construct_yaml_timestamp),
    ):
        _loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _plain(_construct))


_PLAIN = Reader(_LineLoader, (LineDict, LineList), MAX_DEPTH)


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
        problems.append(
            Problem(file, line_of(doc, key), f"{key!r} must be {kind}, not {excerpt(value)}")
        )
        return shape()
    return value


def parse_yaml(text: str) -> Any:
    """Parse one YAML document; raises ``yaml.YAMLError`` with its mark on bad syntax, and
    ``LimitError`` (a YAMLError) on a file nested too deep, with too many aliases, or a value
    no rule can use (NaN, infinity, a date that does not exist).

    A plain file (no anchors, aliases or tags: every shipped file) is read in one pass over
    libyaml's events (``events``); any other, or one with an error, the careful way below."""
    try:
        return _PLAIN.read(text)
    except Unusual:
        pass
    scan_limits(text)
    try:
        return yaml.load(text, Loader=_FastLineLoader)
    except LimitError:
        raise
    except yaml.YAMLError as error:
        try:
            return yaml.load(text, Loader=_LineLoader)  # the same error, in the words hints know
        except RecursionError:  # nested too deep for the pure-Python composer: libyaml's words
            raise error from None


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
    refused: list[Problem] = field(
        default_factory=list
    )  # files not read at all: a limit, not UTF-8

    def refuse(self, problem: Problem) -> None:
        """A file that is not read at all: a problem, and one a validation refuses outright."""
        self.problems.append(problem)
        self.refused.append(problem)

    @functools.cached_property
    def version(self) -> str:
        """A content hash of every file (computed once: sources are not changed after reading)."""
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + self.files[path].text.encode() + b"\0")
        return "sha256:" + digest.hexdigest()


def read_sources(rules_dir: Path, catalogue_dir: Path) -> Sources:
    """Read every YAML file of the rulebook. Scenarios are tests and the catalogue's reference
    (HMPPS's data and our decisions about it, read by the audit) is evidence: neither is policy,
    so neither is read here or counted in the rules version."""
    sources = Sources()
    for role, folder in (("rules", rules_dir), ("catalogue", catalogue_dir)):
        if not folder.is_dir():
            sources.problems.append(Problem(str(folder), 1, f"folder {str(folder)!r} not found"))
            continue
        for path in sorted(folder.rglob("*.yaml")):
            relative = path.relative_to(folder)
            if relative.parts[0] in ("scenarios", "reference"):
                continue
            name, raw = f"{role}/{relative.as_posix()}", path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                sources.refuse(_not_utf8(name, raw, error.start))
                continue
            _read_one(sources, name, text)
    return sources


def sources_from_texts(texts: dict[str, str]) -> Sources:
    """Sources from in-memory files (``{"rules/x.yaml": text}``), for validating a submitted change."""
    sources = Sources()
    for name in sorted(texts):
        text = texts[name]
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:  # a lone surrogate, sent in JSON as an escape
            where = text[: error.start].count("\n") + 1
            message = f"{name} is not UTF-8 text: character U+{ord(text[error.start]):04X} (half of a surrogate pair) at offset {error.start}"
            sources.refuse(Problem(name, where, message))
            continue
        _read_one(sources, name, text)
    return sources


def _not_utf8(name: str, raw: bytes, offset: int) -> Problem:
    """A file that is not UTF-8, named with the first bad byte: the file is not read at all.

    >>> print(_not_utf8("rules/x.yaml", b"a: 1\\nb: \\xff\\n", 8).message)
    rules/x.yaml is not UTF-8 text: byte 0xff at offset 8; save the file as UTF-8
    """
    line = raw[:offset].count(b"\n") + 1
    return Problem(
        name,
        line,
        f"{name} is not UTF-8 text: byte 0x{raw[offset]:02x} at offset {offset}; save the file as UTF-8",
    )


def _read_one(sources: Sources, name: str, text: str) -> None:
    try:
        data = parse_yaml(text)
    except LimitError as error:
        sources.refuse(Problem(name, error.line, error.message))
        return
    except yaml.YAMLError as error:
        sources.problems.append(yaml_problem(name, text, error))
        return
    except RecursionError:  # a limit of scan_limits should stop this first; never a 500
        sources.refuse(Problem(name, 1, "the file is nested too deep to read"))
        return
    sources.files[name] = SourceFile(name, text, data)


def yaml_problem(name: str, text: str, error: yaml.YAMLError) -> Problem:
    """A YAML syntax error at its line: the parser's words, then what they mean in plain words.

    >>> text = "rules:\\n\\t- id: x\\n"
    >>> try:
    ...     parse_yaml(text)
    ... except yaml.YAMLError as error:
    ...     found = yaml_problem("r.yaml", text, error)
    >>> found.line
    2
    >>> print(found.message)
    not valid YAML: found character '\\t' that cannot start any token. A tab is used for \
indentation here: YAML needs spaces, so replace the tab with spaces.
    """
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(error, "problem", None) or str(error)
    plain = _in_plain_words(error, text.splitlines()) if mark is not None else ""
    return Problem(name, line, f"not valid YAML: {problem}" + (f". {plain}" if plain else ""))


def _in_plain_words(error: Any, lines: list[str]) -> str:
    """What a pyyaml problem usually means in a policy file, and what to do; '' if not known."""
    problem = getattr(error, "problem", None) or ""
    context = getattr(error, "context", None) or ""
    row, column = error.problem_mark.line, error.problem_mark.column
    here = lines[row] if row < len(lines) else ""
    opened = getattr(error, "context_mark", None)
    start = opened.line + 1 if opened is not None else row + 1
    if "'\\t'" in problem:
        return (
            "A tab is used for indentation here: YAML needs spaces, so replace the tab with spaces."
        )
    if "cannot start any token" in problem or "undefined alias" in problem:
        return f"Text that starts with {here[column : column + 1]!r} must be in quotes: put the whole text in quotes."
    if "quoted scalar" in context and "end of stream" in problem and opened is not None:
        quote = lines[opened.line][opened.column : opened.column + 1] or "mark"
        return (
            f"The quote {quote} opened on line {start} is never closed: end the text with {quote}."
        )
    if "unknown escape" in problem:
        return "Inside double quotes a backslash starts an escape: use single quotes instead."
    if context.startswith("while parsing a flow") and problem.startswith("expected ','"):
        opener, closer = ("{", "}") if "mapping" in context else ("[", "]")
        return f"The {opener!r} opened on line {start} is not closed with {closer!r}, or a ',' is missing between its entries."
    if "mapping values are not allowed" in problem:
        return _stray_colon(lines, row, column)
    if "expected <block end>" in problem and "'<scalar>'" in problem:
        return "There is more text after a closing quote or bracket: put the whole text inside the quotes."
    if "expected <block end>" in problem:
        return f"The indentation is inconsistent: this line does not line up with the block that starts on line {start}. Keys of one mapping, and the '-' of each item of one list, must start in the same column."
    if "could not find expected ':'" in problem:
        return f"Line {start} is not 'key: value': put ': ' after the key, or quote the text if it carries on from the line above."
    return ""


_NO_SPACE_AFTER_COLON = re.compile(r"^\s*(?:-\s+)?[\w.-]+:[^\s]")


def _stray_colon(lines: list[str], row: int, column: int) -> str:
    """Why a ':' is not allowed: inside unquoted text, no space after a colon above, or indentation."""
    here = lines[row] if row < len(lines) else ""
    if ": " in here[:column]:
        key, _, value = here.partition(": ")
        value = value.strip()
        quoted = f'"{value}"' if '"' not in value else "'" + value.replace("'", "''") + "'"
        return f"There is a ':' inside unquoted text: put the text in quotes, like {key.strip()}: {quoted}"
    above = next((r for r in range(row - 1, -1, -1) if lines[r].strip()), None)
    if above is not None and _NO_SPACE_AFTER_COLON.match(lines[above]):
        return f"Line {above + 1} has no space after its ':' ({lines[above].strip()!r}): write 'key: value', not 'key:value'."
    return "This line is indented more than the key above it, or the line above holds a ':' inside unquoted text: line up the keys of one mapping in the same column, and quote text that contains ': '."


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
