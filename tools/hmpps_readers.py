"""Small, sure readers for tools/hmpps_snapshot.py: eligibility guide texts and Flyway SQL.

Guide readers turn one short eligibility text from the find-and-refer catalogue into a fact,
and only when the text says it plainly; anything else stays unread (the text itself is kept
verbatim in the snapshot). catalogue/reference/README.md lists every reader (pattern → fact)
and tests/unit/test_hmpps_snapshot.py pins each one.

The SQL reader masks the string literals and comments of a PostgreSQL migration and parses the
three statement shapes the snapshot needs: INSERT ... VALUES, UPDATE ... SET ... WHERE and
DELETE ... WHERE, with WHERE a conjunction of `col = v`, `col in (...)` and `col is null`;
anything else on a table the snapshot follows stops the run (SqlError) rather than be guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

WEEKS_PER_MONTH = 52 / 12
PLACEHOLDERS = {"", "na", "n/a", "null", "none"}  # whole-text placeholders, not guidance


def normalise(text: object) -> str | None:
    """Collapse runs of whitespace; a placeholder such as "NA" or "Null" is no text at all."""
    if not isinstance(text, str):
        return None
    flat = " ".join(text.split())
    return None if flat.casefold() in PLACEHOLDERS else flat


def weeks(months: str) -> int:
    return round(int(months) * WEEKS_PER_MONTH)


# --- risk scores and levels -----------------------------------------------------------------

_LEVEL = r"(?:very high|high|medium|low)"
_LEVELS = re.compile(
    rf"(?P<levels>{_LEVEL}(?:(?:, | or | and ){_LEVEL})*)(?: risk on)? (?P<tool>OGRS3?|OVP|OSP|SARA|ROSH)\b",
    re.I,
)
_SCORE_AFTER = re.compile(r"(?P<tool>OGRS3?|OVP)(?: \(over 2 years\))?: score (?P<n>\d+)\+", re.I)
_SCORE_BEFORE = re.compile(r"(?:^|(?<= ))(?P<n>\d+)\+ (?P<tool>OGRS3?|OVP)\b", re.I)
_IF_NO_OVP = re.compile(r"If OVP not available, then (?P<rest>.*)", re.I)
_RANGE = re.compile(r"(?:low|medium|high) \((?P<lo>\d+) to (?P<hi>\d+)%\) (?P<tool>OGRS3?)\b", re.I)


def _tool(name: str) -> str:
    return name.upper().rstrip("3")


def levels(text: str, tool: str) -> list[str] | None:
    """ "Medium or high SARA ..." → ["medium", "high"] when the text opens with levels of `tool`."""
    match = _LEVELS.match(text)
    if not match or _tool(match["tool"]) != tool:
        return None
    words = re.split(r", | or | and ", match["levels"].lower())
    return [w.replace(" ", "_") for w in words]


def score_min(text: str, tool: str) -> int | None:
    """ "OGRS3 (over 2 years): score 25+" or "50+ OGRS ..." → 25 / 50; never under "If OVP not available"."""
    if _IF_NO_OVP.match(text):
        return None
    match = _SCORE_AFTER.fullmatch(text) or _SCORE_BEFORE.search(text)
    return int(match["n"]) if match and _tool(match["tool"]) == tool else None


def ogrs_if_no_ovp(text: str) -> int | None:
    """ "If OVP not available, then OGRS3: score 25+" → 25."""
    match = _IF_NO_OVP.fullmatch(text)
    inner = _SCORE_AFTER.fullmatch(match["rest"]) if match else None
    return int(inner["n"]) if inner and _tool(inner["tool"]) == "OGRS" else None


def ogrs_range(text: str) -> list[int] | None:
    """ "Medium (35 to 75%) OGRS ..." → [35, 75]."""
    match = _RANGE.match(text)
    return [int(match["lo"]), int(match["hi"])] if match else None


# --- time left, substances, offences, other programmes ---------------------------------------

_WEEKS_LEFT = re.compile(
    r"(?P<lic>\d+) months on licen[cs]e or (?:at least )?(?P<co>\d+) months on community order\.?",
    re.I,
)
_WEEKS_CHECK = re.compile(
    r"If there are less than (?P<m>\d+) months remaining on the licen[cs]e or community order, "
    r"you should check with the Treatment Manager\.?",
    re.I,
)
_REQUIREMENTS = {
    "alcohol_treatment": "alcohol treatment",
    "drug_rehabilitation": "drug rehabilitation",
}


def weeks_left(text: str) -> dict[str, int] | None:
    """ "12 months on licence or at least 18 months on community order" → weeks for each."""
    match = _WEEKS_LEFT.fullmatch(text)
    return (
        {"licence": weeks(match["lic"]), "community_order": weeks(match["co"])} if match else None
    )


def weeks_left_check(text: str) -> int | None:
    """The standard SI text: under 9 months left, check with the Treatment Manager → 39 (a check)."""
    match = _WEEKS_CHECK.fullmatch(text)
    return weeks(match["m"]) if match else None


def excluded_requirements(text: str) -> list[str] | None:
    """A "not suitable/eligible" sentence naming an alcohol treatment or drug rehabilitation requirement."""
    named = {
        key
        for sentence in re.split(r"(?<=\.) +", text)
        if re.search(r"\bnot (?:suitable|eligible)\b", sentence, re.I)
        for key, words in _REQUIREMENTS.items()
        if re.search(rf"\b{words} requirement", sentence, re.I)
    }
    return sorted(named) or None


def _flag(*patterns: str) -> Callable[[str], bool | None]:
    """A reader that gives True when any pattern is found in the text, else nothing."""
    compiled = [re.compile(p, re.I) for p in patterns]
    return lambda text: True if any(p.search(text) for p in compiled) else None


excludes_dependent_users = _flag(r"assessed as dependent on any substance are not eligible")
stable_substance_use = _flag(r"must be stable before attending")
_BOTH = r"should not be delivered to address needs relating directly to sexual offending or intimate partner violence"
not_for_sexual_offence = _flag(
    r"not suitable for (?:men|women|people) convicted of an? sexual offence",
    r"^If Sex(?:ual)? offence\.?$",
    _BOTH,
)
not_for_ipv = _flag(_BOTH)
not_if_accredited = _flag(
    r"must not be suitable for, or be unable to access an Accredited Programme",
    r"should not be eligible for an Accredited Programme",
)
alongside_accredited = _flag(
    r"If the person meets the criteria for an Accredited Programme\b.*\bcan (?:participate in|do)\b.*\balongside it"
)
heterosexual_men_only = _flag(r"only suitable for heterosexual men")


# --- "follows": names of other find-and-refer interventions -----------------------------------

_SEPARATORS = re.compile(r"\s*(?:[,;:*•]|\bor\b)\s*", re.I)
_ABBREVIATED = re.compile(r"(?P<long>.+?) \((?P<abbr>[^()]+)\)")


def _key(text: str) -> str:
    return " ".join(text.split()).strip(" .").casefold()


def pieces(text: str) -> list[str]:
    """Split a list of programme names on commas, semicolons, colons, bullets and "or"."""
    return [p.strip(" .") for p in _SEPARATORS.split(text) if p.strip(" .")]


class Names:
    """Resolves a programme name, a family name (before ":") or an abbreviation to refs."""

    def __init__(self, names: dict[str, str], texts: Iterable[str] = ()) -> None:
        self.refs: dict[str, set[str]] = {}
        for ref, name in names.items():
            self.refs.setdefault(_key(name), set()).add(ref)
            self.refs.setdefault(_key(name.split(":")[0]), set()).add(ref)
        for text in [*names.values(), *texts]:  # "Becoming New Me Plus (BNM+)" teaches BNM+
            for match in filter(None, map(_ABBREVIATED.fullmatch, pieces(text))):
                long, abbr = _key(match["long"]), _key(match["abbr"])
                if long in self.refs and abbr not in self.refs:
                    self.refs[abbr] = self.refs[long]

    def resolve(self, piece: str) -> set[str]:
        match = _ABBREVIATED.fullmatch(piece)
        if _key(piece) not in self.refs and match:
            piece = match["long"]
        return self.refs.get(_key(piece), set())


def follows(text: str, names: Names, own: str) -> tuple[list[str], list[str]]:
    """Refs named in an enabling text, and the names that resolve to nothing."""
    if alongside_accredited(text):
        return [], []
    refs: set[str] = set()
    unresolved: list[str] = []
    for piece in pieces(text):
        found = names.resolve(piece) - {own}
        refs |= found
        if not found and not any(w[0].islower() for w in piece.split() if len(w) > 3):  # a Name
            unresolved.append(piece)
    return sorted(refs), unresolved


# --- the reader table -----------------------------------------------------------------------

READERS: list[tuple[str, str, Callable[[str], Any]]] = [  # fact, the guides it reads, reader
    ("ogrs_min", "ogrs rosh", lambda t: score_min(t, "OGRS")),
    ("ogrs_min_if_no_ovp", "ogrs", ogrs_if_no_ovp),
    ("ogrs_range", "ogrs", ogrs_range),
    ("ogrs_levels", "ogrs", lambda t: levels(t, "OGRS")),
    ("ovp_min", "ovp", lambda t: score_min(t, "OVP")),
    ("ovp_levels", "ovp", lambda t: levels(t, "OVP")),
    ("osp_levels", "osp", lambda t: levels(t, "OSP")),
    ("sara_partner_levels", "sara_partner", lambda t: levels(t, "SARA")),
    ("sara_other_levels", "sara_other", lambda t: levels(t, "SARA")),
    ("rosh_levels", "rosh", lambda t: levels(t, "ROSH")),
    ("weeks_left", "time_left", weeks_left),
    ("weeks_left_check", "time_left", weeks_left_check),
    ("excludes_requirements", "alcohol_drug", excluded_requirements),
    ("excludes_dependent_users", "alcohol_drug", excludes_dependent_users),
    ("stable_substance_use_required", "alcohol_drug", stable_substance_use),
    ("not_for_sexual_offence", "excluded_offence", not_for_sexual_offence),
    ("not_for_ipv", "excluded_offence", not_for_ipv),
    ("not_if_suitable_for_accredited", "not_if_eligible_for_another", not_if_accredited),
    ("alongside_accredited", "not_if_eligible_for_another enabling", alongside_accredited),
    ("heterosexual_men_only", "other_method", heterosexual_men_only),
]


def read(guides: dict[str, str], names: Names, own: str) -> dict[str, Any]:
    """Every fact the readers are sure of; a fact two guides disagree on is left out."""
    facts: dict[str, Any] = {}
    for key, sources, reader in READERS:
        texts = [guides[s] for s in sources.split() if s in guides]
        values = [v for v in map(reader, texts) if v is not None]
        if values and all(v == values[0] for v in values):
            facts[key] = values[0]
    if "enabling" in guides:
        refs, unresolved = follows(guides["enabling"], names, own)
        if refs:
            facts["follows"] = refs
        if refs and unresolved:
            facts["follows_unresolved"] = unresolved
    return facts


# --- SQL ------------------------------------------------------------------------------------

_LEXEME = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\$(\w*)\$.*?\$\1\$", re.S)
_LITERAL = re.compile(r"\$(\d+)")
OPAQUE = object()  # an expression the reader does not evaluate: now(), md5(...), a column


class SqlError(ValueError):
    """A statement on a table the snapshot follows that the reader cannot read for sure."""


def statements(sql: str) -> list[tuple[str, list[str]]]:
    """Each statement as lower-case text with its string literals replaced by $0, $1, ..."""
    literals: list[str] = []

    def mask(m: re.Match[str]) -> str:
        text = m.group()
        if text.startswith(("--", "/*")):
            return " "
        tag = len(m[1] or "") + 1 if text[0] == "$" else 0
        literals.append(text[tag + 1 : -tag - 1] if tag else text[1:-1].replace("''", "'"))
        return f" ${len(literals) - 1} "

    masked = re.sub(r"\s*([=,()])\s*", r" \1 ", _LEXEME.sub(mask, sql).replace('"', ""))
    return [(" ".join(s.lower().split()), literals) for s in masked.split(";") if s.strip()]


def _split(text: str) -> list[str]:
    """Split at commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return [*parts, text[start:].strip()]


def _value(expr: str, literals: list[str]) -> Any:
    """A literal (string, number, null, true, false) or OPAQUE for any other expression."""
    if match := _LITERAL.fullmatch(expr):
        return literals[int(match[1])]
    if re.fullmatch(r"-?\d+", expr):
        return int(expr)
    return {"null": None, "true": True, "false": False}.get(expr, OPAQUE)


_NAME = r"(?:\w+\.)?(\w+)"
_PREDICATES = [
    (re.compile(rf"{_NAME} = (.+)"), "="),
    (re.compile(rf"{_NAME} in \( (.*) \)"), "in"),
    (re.compile(rf"{_NAME} is (not )?null"), "is"),
]


def _where(text: str | None, literals: list[str]) -> list[tuple[str, str, Any]] | None:
    """`a = 'x' and b in ('y', 'z') and c is null` as predicates; None for anything else."""
    preds: list[tuple[str, str, Any]] = []
    for part in text.split(" and ") if text else []:
        found = [(m, op) for pattern, op in _PREDICATES if (m := pattern.fullmatch(part))]
        if not found:
            return None
        m, op = found[0]
        if op == "=":
            preds.append((m[1], "=", _value(m[2], literals)))
        elif op == "in":
            preds.append((m[1], "in", tuple(_value(v, literals) for v in _split(m[2]))))
        else:
            preds.append((m[1], "is not null" if m[2] else "is null", None))
    flat = [v for _, _, v in preds for v in (v if isinstance(v, tuple) else (v,))]
    return None if any(v is OPAQUE for v in flat) else preds


def matches(row: dict[str, Any], where: list[tuple[str, str, Any]]) -> bool:
    def one(column: str, op: str, value: Any) -> bool:
        have = row.get(column)
        if op in ("is null", "is not null"):
            return (have is None) == (op == "is null")
        return have in value if op == "in" else have == value

    return all(one(*pred) for pred in where)


_INSERT = re.compile(rf"insert into {_NAME} \( (.*?) \) values (.*?)( on conflict do nothing)?")
_UPDATE = re.compile(rf"update (?:only )?{_NAME}(?: \w+)? set (.*?)( from .*?)?(?: where (.*))?")
_DELETE = re.compile(rf"delete from (?:only )?{_NAME}(?: where (.*))?")


def parse(statement: str, literals: list[str], tables: Iterable[str]) -> dict[str, Any] | None:
    """An insert, update or delete on one of `tables` as a dict; None for any other statement."""
    table = re.match(rf"(?:insert into|update(?: only)?|delete from(?: only)?) {_NAME}", statement)
    if not table or table[1] not in set(tables):
        return None
    if m := _INSERT.fullmatch(statement):
        rows = [_split(r.strip()[1:-1]) for r in _split(m[3]) if r.startswith("(")]
        columns = [c.strip() for c in m[2].split(",")]
        if any(len(r) != len(columns) for r in rows) or len(rows) != len(_split(m[3])):
            raise SqlError(f"cannot read the rows of {statement[:80]!r}")
        values = [tuple(_value(v, literals) for v in r) for r in rows]
        return dict(op="insert", table=m[1], columns=columns, rows=values, quiet=bool(m[4]))
    if m := _UPDATE.fullmatch(statement):
        pairs = [re.fullmatch(r"(?:\w+\.)?(\w+) = (.+)", a) for a in _split(m[2])]
        if not all(pairs):
            raise SqlError(f"cannot read the assignments of {statement[:80]!r}")
        sets = {p[1]: OPAQUE if m[3] else _value(p[2], literals) for p in pairs if p}
        return {"op": "update", "table": m[1], "set": sets, "where": _where(m[4], literals)}
    if m := _DELETE.fullmatch(statement):
        return {"op": "delete", "table": m[1], "set": {}, "where": _where(m[2], literals)}
    raise SqlError(f"cannot read {statement[:80]!r}")


def version(name: str) -> tuple[int, tuple[int, ...], str]:
    """Flyway order: versioned files by their numbers (V1_93_2 after V1_93), then R__ files."""
    match = re.match(r"V(\d+(?:[._]\d+)*)__", name)
    return (0, tuple(int(n) for n in re.split(r"[._]", match[1])), name) if match else (1, (), name)


def apply(rows: list[dict[str, Any]], key: tuple[str, ...], op: dict[str, Any], where: str) -> None:
    """Run a parsed insert, update or delete on `rows` (a table whose primary key is `key`)."""
    if op["op"] == "insert":
        for values in op["rows"]:
            row = dict(zip(op["columns"], values, strict=True))
            if any(all(r.get(k) == row.get(k) for k in key) for r in rows):
                if not op["quiet"]:  # ON CONFLICT DO NOTHING
                    raise SqlError(f"{where}: a second {op['table']} row {row}")
            else:
                rows.append(row)
        return
    if op["where"] is None or any(v is OPAQUE for v in op["set"].values()):
        raise SqlError(f"{where}: cannot read the {op['op']} on {op['table']}")
    for row in [r for r in rows if matches(r, op["where"])]:
        if op["op"] == "delete":
            rows.remove(row)
        else:
            row.update(op["set"])


# --- our ids in catalogue/*.yaml (read without a YAML library) --------------------------------


def our_regions(text: str) -> dict[str, str]:
    """catalogue/regions.yaml, its `regions:` block: display name → our region id."""
    block = re.search(r"^regions:\n((?:[ \t]+.*\n?)+)", text, re.M)
    pairs = re.findall(r"^[ \t]+([a-z_]+):[ \t]*(.+?)[ \t]*$", block[1] if block else "", re.M)
    return {name: key for key, name in pairs}


def our_police_force_areas(text: str) -> dict[str, set[str]]:
    """catalogue/pdus.yaml: each police_force_area id → the regions of its PDUs."""
    pairs = re.findall(r"^[ \t]+region: *(\w+)\n[ \t]+police_force_area: *(\w+)", text, re.M)
    found: dict[str, set[str]] = {}
    for region, area in pairs:
        found.setdefault(area, set()).add(region)
    return found
