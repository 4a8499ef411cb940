"""The rule language (``when:``): parse and check a condition against the fields a stage may test."""

from __future__ import annotations

from typing import Any

from matcher.model.conditions import (
    SET_KEYS,
    AllOf,
    AnyOf,
    Condition,
    Expr,
    FieldInfo,
    Join,
    Test,
    negate,
)
from matcher.model.vocabulary import suggest
from matcher.rulebook.guard import excerpt

OPS = ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte")


class ConditionParser:
    """Parses one rule's ``when`` against the known fields; problems are appended as strings."""

    def __init__(
        self,
        fields: dict[str, FieldInfo],
        need_fields: dict[str, FieldInfo],
        derived_fields: dict[str, FieldInfo],
        codes: dict[str, tuple[str, ...]],
        history_fields: dict[str, FieldInfo] | None = None,
    ) -> None:
        self.fields = fields
        self.need_fields = need_fields
        self.derived_fields = derived_fields
        self.history_fields = history_fields or {}
        self.codes = codes  # set kinds (responsivity, strengths, ...) and need_areas
        self.problems: list[str] = []
        # Where policy staff add a code, by kind of code and by coded field (see
        # rulebook.vocabulary.code_homes); said after an unknown code when known.
        self.homes: dict[str, str] = {}
        # Conditions parsed so far and their problems, by their text, when the parser is given
        # one (``remember``): the copies of a catalogue entry write equal conditions.
        self._parsed: dict[str, tuple[Condition, tuple[str, ...]]] | None = None

    def remember(self) -> None:
        """Parse each distinct condition once from now on (a ``when`` that repeats another
        gives the same Condition and the same problems)."""
        self._parsed = {}

    def parse(self, when: Any) -> Condition:
        if self._parsed is None:
            return self._parse(when)
        text = repr(when)  # the types too: 1, 1.0 and True are different conditions here
        found = self._parsed.get(text)
        if found is None:
            before = len(self.problems)
            condition = self._parse(when)
            self._parsed[text] = condition, tuple(self.problems[before:])
            return condition
        self.problems.extend(found[1])
        return found[0]

    def _parse(self, when: Any) -> Condition:
        if when in (None, {}, "always"):
            return Condition(None, ())
        if not isinstance(when, dict):
            self.problems.append("'when' must be a mapping of conditions (or 'always')")
            return Condition(None, ())
        joins: list[Join] = []
        rest: dict[str, Any] = {}
        for key, value in when.items():
            if key in ("need", "derived", "history"):
                fields = {
                    "need": self.need_fields,
                    "derived": self.derived_fields,
                    "history": self.history_fields,
                }[key]
                for spec in value if isinstance(value, list) else [value]:
                    joins.append(Join(key, self._mapping(spec, fields, key)))
            else:
                rest[key] = value
        person = self._mapping(rest, self.fields, "person") if rest else None
        return Condition(person, tuple(joins))

    def _mapping(self, spec: Any, fields: dict[str, FieldInfo], where: str) -> Expr:
        if not isinstance(spec, dict):
            self.problems.append(f"a {where} condition must be a mapping, not {excerpt(spec)}")
            return AllOf(())
        parts = [self._entry(key, value, fields, where) for key, value in spec.items()]
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def _entry(self, key: str, value: Any, fields: dict[str, FieldInfo], where: str) -> Expr:
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self.problems.append(f"{key!r} needs a non-empty list of conditions")
                return AllOf(())
            parts = tuple(self._mapping(v, fields, where) for v in value)
            return AllOf(parts) if key == "all" else AnyOf(parts)
        if key == "not":
            return negate(self._mapping(value, fields, where))
        if key in ("need", "derived", "history"):
            self.problems.append(
                f"{key!r} may only appear at the top of 'when', not inside {where}"
            )
            return AllOf(())
        if key in ("missing", "present"):
            names = value if isinstance(value, list) else [value]
            tests = tuple(
                Test(self._field(n, fields), "nex" if key == "missing" else "ex") for n in names
            )
            return AnyOf(tests) if key == "missing" else AllOf(tests)
        if key in SET_KEYS and where == "person":
            return self._has(SET_KEYS[key], key, value)
        if key == "priority_need" and where == "person":
            areas = value if isinstance(value, list) else [value]
            for area in areas:
                self._code(area, self.codes["need_areas"], "need area", "need_areas")
            return AllOf(tuple(Test(f"priority_need_{a}", "ex") for a in areas))
        return self._test(self._field(key, fields), value, fields)

    def _has(self, kind: str, key: str, value: Any) -> Expr:
        wanted = value if isinstance(value, list) else [value]
        for code in wanted:
            self._code(code, self.codes[kind], f"{key} code", kind)
        return AllOf(tuple(Test(f"{key}_{code}", "ex") for code in wanted))

    def _field(self, name: Any, fields: dict[str, FieldInfo]) -> str:
        if not isinstance(name, str):
            self.problems.append(f"a field name must be a word, not {excerpt(name)}")
            return str(name)
        if name not in fields:
            hint = suggest(name, fields)
            self.problems.append(
                f"unknown field {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            )
        return name

    def _code(self, code: Any, allowed: tuple[str, ...], what: str, home: str) -> None:
        if not isinstance(code, str) or code not in allowed:
            hint = suggest(code, allowed)
            where = self.homes.get(home, "")
            self.problems.append(
                f"unknown {what} {excerpt(code)}"
                + (f" (did you mean {hint!r}?)" if hint else "")
                + (f"; {where}" if where else "")
            )

    def _test(self, name: str, value: Any, fields: dict[str, FieldInfo]) -> Expr:
        info = fields.get(name)
        if not isinstance(value, dict):
            value = {"in": value} if isinstance(value, list) else {"eq": value}
        parts: list[Expr] = []
        if info is not None and info.kind == "flag":
            return self._flag(name, value)
        for op, operand in value.items():
            if op not in OPS:
                hint = suggest(op, OPS)
                self.problems.append(
                    f"unknown comparison {excerpt(op)} on {name!r}"
                    + (f" (did you mean {hint!r}?)" if hint else "")
                )
                continue
            if isinstance(operand, list) and op not in ("in", "not_in"):
                self.problems.append(
                    f"{name!r} {op}: compare with one value, not a list ({excerpt(operand)}); "
                    "use in or not_in for a list"
                )
                continue
            operands = operand if isinstance(operand, list) else [operand]
            if not all(isinstance(one, str | int | float | bool) for one in operands):
                self.problems.append(
                    f"{name!r} {op}: compare with a value or a list of values, not {excerpt(operand)}"
                )
                continue
            for one in operands:
                self._check_value(info, name, op, one)
            if op == "in":
                parts.append(AnyOf(tuple(Test(name, "eq", v) for v in operands)))
            elif op == "not_in":
                parts.append(AllOf(tuple(Test(name, "ne", v) for v in operands)))
            else:
                parts.append(Test(name, op, operand))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def _flag(self, name: str, value: dict[str, Any]) -> Expr:
        """A presence field: `true` means present, `false` means absent."""
        if (
            len(value) != 1
            or next(iter(value)) not in ("eq", "ne")
            or not isinstance(next(iter(value.values())), bool)
        ):
            self.problems.append(
                f"{name!r} is true or false; write `{name}: true` or `{name}: false`"
            )
            return AllOf(())
        op, wanted = next(iter(value.items()))
        return Test(name, "ex" if (op == "eq") == wanted else "nex")

    def _check_value(self, info: FieldInfo | None, name: str, op: str, value: Any) -> None:
        if info is None:
            return
        if info.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.problems.append(f"{name!r} is a number; {excerpt(value)} is not")
        elif op in ("lt", "lte", "gt", "gte"):
            self.problems.append(f"{name!r} holds codes; use eq/in, not {op!r}")
        elif info.kind == "code":
            self._code(value, info.values, f"value of {name!r}", name)
