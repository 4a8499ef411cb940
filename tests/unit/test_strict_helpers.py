"""The pure helpers of strict input (issue 15): the JSON body parser, the strict field types and
the excerpts errors quote."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from api.errors import excerpt, json_path
from api.json_body import MAX_DEPTH, JsonRefused, loads
from api.openapi_codes import _restrict
from matcher.model.contract import PRINTABLE, Assessment, iso_date, printable, whole_number
from matcher.model.strict import query_bool, query_int


def refusal(text: str) -> JsonRefused:
    with pytest.raises(JsonRefused) as caught:
        loads(text.encode())
    return caught.value


def test_a_repeated_key_is_named_by_its_json_path() -> None:
    refused = refusal('{"needs": [{"area": "ete"}, {"area": "x", "severity": 1, "area": "y"}]}')
    assert refused.path == "needs[1].area"
    assert "'area' is given more than once" in refused.reason


def test_the_same_key_in_different_objects_is_not_repeated() -> None:
    assert loads(b'{"a": {"k": 1}, "b": {"k": 2}}') == {"a": {"k": 1}, "b": {"k": 2}}


def test_nesting_is_allowed_to_max_depth_and_refused_beyond() -> None:
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert (
        "nested more than 64 deep" in refusal("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).reason
    )
    assert "nested more than 64 deep" in refusal("[" * 100_000 + "]" * 100_000).reason


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("NaN", "NaN is not a JSON number"),
        ('{"a": Infinity}', "Infinity is not a JSON number"),
        ("1e400", "too large"),
        ("9" * 5000, "too many digits"),
        ('{"a": 1,}', "Expecting property name"),
        ("", "Expecting value"),
    ],
)
def test_what_is_not_json_is_refused_with_a_reason(text: str, words: str) -> None:
    refused = refusal(text)
    assert words in refused.reason and refused.path == "body"


def test_a_huge_repeated_key_is_quoted_only_in_part() -> None:
    key = "k" * 10_000
    refused = refusal(f'{{"{key}": 1, "{key}": 2}}')
    assert len(refused.path) < 50 and len(refused.reason) < 100


def test_utf16_bodies_are_read_as_json_reads_them() -> None:
    assert loads('{"a": "é"}'.encode("utf-16")) == {"a": "é"}


def test_iso_date_takes_dates_and_iso_text_only() -> None:
    assert iso_date(date(2026, 1, 2)) == date(2026, 1, 2)
    assert iso_date("2026-01-02") == "2026-01-02"
    for bad in (
        0,
        1.5,
        "0",
        "2026-01-02T00:00:00",
        "20260102",
        b"2026-01-02",
        datetime(2026, 1, 2),
    ):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            iso_date(bad)


def test_whole_number_takes_json_integers_only() -> None:
    assert [whole_number(v) for v in (0, 7, 7.0)] == [0, 7, 7]
    for bad in ("7", 7.5, True, None):
        with pytest.raises(ValueError, match="integer, written as a JSON number"):
            whole_number(bad)


@pytest.mark.parametrize(
    "hidden", ["\x00", "\r", "\n", "\t", "\u202e", "\u200b", "\u2028", "\ufeff"]
)
def test_printable_refuses_control_format_and_separator_characters(hidden: str) -> None:
    with pytest.raises(ValueError, match=f"U\\+{ord(hidden):04X} at 1"):
        printable(f"a{hidden}b")


def test_printable_keeps_ordinary_text_in_any_script() -> None:
    for text in ("prefers one-to-one work", "née Zoë", "a\u00a0b", "Ολυμπία", "работа"):
        assert printable(text) == text


def test_query_numbers_and_booleans_as_written() -> None:
    assert query_int("42") == "42" and query_bool("TRUE") is True
    for bad in ("1_0", "+1", "1.0", " 1", ""):
        with pytest.raises(ValueError):
            query_int(bad)
    for bad in ("yes", "on", "1", "t", ""):
        with pytest.raises(ValueError):
            query_bool(bad)


def test_models_built_in_python_with_date_objects_still_validate(base: dict[str, Any]) -> None:
    sentence = {**base["sentence"], "start_date": date(2026, 11, 1), "end_date": date(2027, 11, 1)}
    made = Assessment.model_validate({**base, "sentence": sentence})
    assert made.sentence.start_date == date(2026, 11, 1)
    with pytest.raises(ValidationError):
        Assessment.model_validate({**base, "age": "34"})


def test_error_paths_quote_keys_in_part_and_name_a_refused_key_itself() -> None:
    assert json_path(["oasys_items", "x" * 1000, "[key]"]) == "oasys_items." + "x" * 40 + "…"
    assert excerpt("short") == "short"


def test_restrict_puts_the_enum_on_the_string_a_field_holds() -> None:
    nullable: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    listed: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    _restrict(nullable, {"b", "a"})
    _restrict(listed, ["x"])
    assert nullable["anyOf"][0]["enum"] == ["a", "b"] and "enum" not in nullable["anyOf"][1]
    assert listed["items"]["enum"] == ["x"]


def test_the_hidden_characters_are_exactly_unicodes_control_format_and_separators() -> None:
    categories = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    published = re.compile(PRINTABLE)
    for code in range(0x110000):
        char, category = chr(code), unicodedata.category(chr(code))
        assert (published.fullmatch(char) is None) == (category in categories - {"Cs"}), code
        if category in categories:
            with pytest.raises(ValueError):
                printable(char)
        else:
            assert printable(char) == char
