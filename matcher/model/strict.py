"""Strict request types beyond the contract's own (issue 15): query numbers and booleans as
written, codes and ids of plain characters, a practitioner's note."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from matcher.model.contract import IDENTIFIER, Shown

_DIGITS = re.compile(r"[0-9]{1,9}", re.ASCII)


def query_int(value: Any) -> Any:
    """A whole number in a query string: digits only (pydantic alone takes ``1_0``, ``+1``, ``1.0``).

    >>> query_int("12"), query_int(3)
    ('12', 3)
    >>> query_int("1_0")
    Traceback (most recent call last):
    ...
    ValueError: must be a whole number written in digits
    """
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("must be a whole number written in digits")
    return value


def query_bool(value: Any) -> Any:
    """``true`` or ``false`` in a query string (any case), not ``yes``, ``on``, ``1`` or ``t``.

    >>> query_bool("true"), query_bool("False"), query_bool(True)
    (True, False, True)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("must be true or false")


Digits = BeforeValidator(query_int)  # last in Annotated, so the bounds stay in the schema
QueryBool = Annotated[bool, BeforeValidator(query_bool)]
CodeId = Annotated[str, Field(min_length=1, max_length=64, pattern=IDENTIFIER)]  # a code or id
Note = Annotated[Shown, Field(max_length=2000)]  # a practitioner's reason
