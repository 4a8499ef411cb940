"""Strict JSON bodies (issue 15): no repeated keys, no nesting deeper than MAX_DEPTH, no NaN or
infinity; every refusal is a 422 ``malformed_json`` naming where, through ``StrictJsonRoute``."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.errors import excerpt, malformed_json
from api.middleware import is_json

MAX_DEPTH = 64  # arrays and objects within each other; a bound on work, not policy


class JsonRefused(json.JSONDecodeError):
    """A body that is not JSON as we take it, with the JSON path of the fault (``body``: the
    whole body). A ``JSONDecodeError``, so that FastAPI makes it a 422 wherever it meets it."""

    def __init__(self, reason: str, path: str = "body", position: int = 0) -> None:
        super().__init__(reason, "", 0)
        self.reason, self.path, self.position = reason, path, position

    def __str__(self) -> str:
        return self.reason


class _Repeated(dict[str, Any]):
    """An object in which a key came more than once (the last value kept, as ``json`` does)."""

    def __init__(self, pairs: list[tuple[str, Any]], key: str) -> None:
        super().__init__(pairs)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    made = dict(pairs)
    if len(made) == len(pairs):
        return made
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _Repeated(pairs, key)
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs means a key came twice")


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _number(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonRefused(f"the number {excerpt(text)} is too large")
    return value


def loads(body: bytes | str) -> Any:
    """Parse a JSON body strictly.

    >>> loads(b'{"a": [1, {"b": null}]}')
    {'a': [1, {'b': None}]}
    >>> loads('{"a": 1, "a": 2}')
    Traceback (most recent call last):
    ...
    api.json_body.JsonRefused: the key 'a' is given more than once

    Raises:
        JsonRefused: not JSON, a key repeated within an object, nesting deeper than MAX_DEPTH,
            ``NaN``, ``Infinity`` or a number too large for a float.
    """
    try:
        text = body if isinstance(body, str) else body.decode(json.detect_encoding(body))
        data = json.loads(
            text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_number
        )
    except JsonRefused:
        raise
    except json.JSONDecodeError as error:
        raise JsonRefused(f"{error.msg} (at character {error.pos})", position=error.pos) from None
    except RecursionError:
        raise JsonRefused(f"it is nested more than {MAX_DEPTH} deep") from None
    except UnicodeDecodeError:
        raise JsonRefused("it is not UTF-8 (or UTF-16/32) text") from None
    except ValueError:  # int() refuses 4,300 digits and more
        raise JsonRefused("a number has too many digits") from None
    _inspect(data, "", 0)
    return data


def _inspect(value: Any, path: str, depth: int) -> None:
    """Refuse what the parse let through: a repeated key, nesting deeper than MAX_DEPTH."""
    if not isinstance(value, dict | list):
        return
    if depth >= MAX_DEPTH:
        raise JsonRefused(f"it is nested more than {MAX_DEPTH} deep")
    if isinstance(value, _Repeated):
        where = _key(path, value.key)
        raise JsonRefused(f"the key {excerpt(value.key)!r} is given more than once", where)
    pairs = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in pairs:
        if isinstance(item, dict | list):  # a path is made only for what may hold a fault
            where = f"{path}[{key}]" if isinstance(key, int) else _key(path, key)
            _inspect(item, where, depth + 1)


def _key(path: str, key: str) -> str:
    return f"{path}.{excerpt(key)}" if path else excerpt(key)


class StrictJsonRequest(Request):
    """A request whose ``json()`` is ``loads``: FastAPI reads bodies through it."""

    async def json(self) -> Any:
        if not hasattr(self, "_strict_json"):
            self._strict_json = loads(await self.body())
        return self._strict_json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is parsed strictly before FastAPI sees it, so a refusal becomes
    our envelope (FastAPI would make some of them a 400 with no errors)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def strict(request: Request) -> Response:
            request = StrictJsonRequest(request.scope, request.receive)
            json_body = takes_body and is_json(request.headers.get("content-type"))
            if json_body and await request.body():
                try:
                    await request.json()
                except JsonRefused as refused:
                    raise malformed_json(refused.reason, refused.path) from None
            return await handler(request)

        return strict
