"""The make-a-plan form: its fields → an assessment (the same JSON the API takes), and each
problem → the field it is about, for the GOV.UK error summary. Nothing typed is lost: the page
is shown again with ``values`` as sent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from api.errors import json_path
from matcher.model.contract import Assessment
from matcher.model.errors import FieldError
from matcher.rulebook.book import Rulebook

SEVERITIES = (("", "Not assessed"), ("0", "0: no need"), ("1", "1: some need"),
              ("2", "2: significant need"))  # fmt: skip
DATES = {"sentence_start": "Sentence start date", "sentence_end": "Sentence end date"}
FIELDS = {  # JSON path → the form field it came from
    "person_id": "person_id",
    "age": "age",
    "gender": "gender",
    "region": "region",
    "pdu": "pdu",
    "sentence.type": "sentence_type",
    "sentence.start_date": "sentence_start-day",
    "sentence.end_date": "sentence_end-day",
    "sentence": "sentence_end-day",
    "risk.ogrs": "ogrs",
    "risk.rosh": "rosh",
    "risk.mappa_level": "mappa_level",
    "risk.flags": "flags",
}
REQUIRED = {
    "person_id": "Enter the person ID",
    "gender": "Select the gender",
    "sentence_type": "Select the sentence type",
}
MAX_UPLOAD = 512 * 1024


@dataclass
class Filled:
    """What was sent, as strings (to show again), and what is wrong with it, by field id."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field id, message)
    body: dict[str, Any] | None = None
    from_json: bool = False

    def error_for(self, field_id: str) -> str | None:
        return next((m for f, m in self.errors if f == field_id), None)


async def read(form: FormData, rulebook: Rulebook) -> Filled:
    """The form as an assessment body, or the problems found reading it."""
    filled = Filled(values=_values(form, rulebook))
    pasted = filled.values["assessment_json"].strip()
    upload = form.get("assessment_file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            filled.errors.append(("assessment_file", "The file must be smaller than 512 KB"))
            return filled
        pasted = raw.decode("utf-8", errors="replace").strip()
        filled.values["assessment_json"] = pasted
    if pasted:
        filled.from_json = True
        try:
            loaded = json.loads(pasted)
        except json.JSONDecodeError as error:
            message = f"Enter the assessment as JSON: {error.msg} at line {error.lineno}, column {error.colno}"
            filled.errors.append(("assessment_json", message))
            return filled
        if not isinstance(loaded, dict):
            filled.errors.append(("assessment_json", "Enter the assessment as a JSON object"))
            return filled
        filled.body = loaded
    else:
        filled.body = _body(filled, rulebook)
    return filled


def _values(form: FormData, rulebook: Rulebook) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values.setdefault("assessment_json", "")
    values["flags"] = [v for v in form.getlist("flags") if isinstance(v, str)]
    values["linked"] = [v for v in form.getlist("linked") if isinstance(v, str)]
    for area in rulebook.vocabulary.need_areas:
        values.setdefault(f"need-{area}", "")
    return values


def _body(filled: Filled, rulebook: Rulebook) -> dict[str, Any]:
    v = filled.values
    text = {k: str(v.get(k, "")).strip() for k in v if isinstance(v.get(k), str)}
    body: dict[str, Any] = {
        "person_id": text.get("person_id", ""),
        "gender": text.get("gender") or None,
        "sentence": {"type": text.get("sentence_type") or None},
        "risk": {"flags": list(v["flags"])},
        "needs": [],
    }
    for name, missing in REQUIRED.items():
        if not text.get(name):
            filled.errors.append((name, missing))
    body["age"] = _number(filled, "age", "Age", text.get("age", ""), required=True)
    for name in ("region", "pdu"):
        if text.get(name):
            body[name] = text[name]
    for prefix, label in DATES.items():
        body["sentence"][prefix.replace("sentence_", "") + "_date"] = _date(filled, prefix, label)
    ogrs = _number(filled, "ogrs", "OGRS3 score", text.get("ogrs", ""))
    if ogrs is not None:
        body["risk"]["ogrs"] = ogrs
    if text.get("rosh"):
        body["risk"]["rosh"] = text["rosh"]
    if text.get("mappa_level"):
        body["risk"]["mappa_level"] = _number(
            filled, "mappa_level", "MAPPA level", text["mappa_level"]
        )
    for area in rulebook.vocabulary.need_areas:
        severity = text.get(f"need-{area}", "")
        if severity in ("0", "1", "2"):
            need = {"area": area, "severity": int(severity)}
            need["linked_to_offending"] = area in v["linked"]
            body["needs"].append(need)
    return body


def _number(filled: Filled, name: str, label: str, text: str, required: bool = False) -> Any:
    if not text:
        if required:
            filled.errors.append((name, f"Enter the {label.lower()}"))
        return None
    try:
        return int(text)
    except ValueError:
        filled.errors.append((name, f"{label} must be a whole number, like 34"))
        return None


def _date(filled: Filled, prefix: str, label: str) -> str | None:
    parts = [filled.values.get(f"{prefix}-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        filled.errors.append((f"{prefix}-day", f"Enter the {label.lower()}"))
        return None
    try:
        day, month, year = (int(p) for p in parts)
        return date(year, month, day).isoformat()
    except ValueError:
        filled.errors.append((f"{prefix}-day", f"{label} must be a real date, like 1 11 2026"))
        return None


def check(filled: Filled) -> Assessment | None:
    """The assessment, or None with each problem added to ``filled.errors`` against its field."""
    if filled.errors or filled.body is None:
        return None
    try:
        return Assessment.model_validate(filled.body)
    except ValidationError as error:
        for e in error.errors():
            path = json_path(e["loc"])
            message = str(e["msg"]).removeprefix("Value error, ")
            add_problem(filled, path, message)
        return None


def add_problem(filled: Filled, path: str, message: str) -> None:
    """A problem at a JSON path, put against the form field it came from (or the JSON box)."""
    where = "assessment_json" if filled.from_json else _field_of(path, filled.body or {})
    shown = f"{path or 'the assessment'}: {message}" if filled.from_json else _plain(path, message)
    if (where, shown) not in filled.errors:
        filled.errors.append((where, shown))


def add_problems(filled: Filled, errors: list[FieldError]) -> None:
    for e in errors:
        add_problem(filled, e.path, e.message)


def _field_of(path: str, body: dict[str, Any]) -> str:
    if path.startswith("needs["):
        index = int(path[len("needs[") : path.index("]")])
        needs = body.get("needs") or []
        if index < len(needs):
            return f"need-{needs[index]['area']}"
    for prefix in sorted(FIELDS, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            return FIELDS[prefix]
    return "person_id"


def _plain(path: str, message: str) -> str:
    label = path.replace("_", " ").replace(".", " ") or "the assessment"
    return f"{label[:1].upper()}{label[1:]}: {message}"
