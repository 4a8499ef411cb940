"""`matcher new intervention ID`: a catalogue entry to fill in, every field explained.

The codes each field allows are read from the rules and catalogue in use, so the comments list
what `matcher check` will accept today.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

from matcher.cli.common import add_folders, folders
from matcher.model.catalogue import Intervention
from matcher.model.errors import RulebookError
from matcher.model.vocabulary import Vocabulary
from matcher.rulebook.build import check
from matcher.rulebook.catalogue import CODED, PLACEHOLDER, allowed_codes

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
TODO = PLACEHOLDER
# Each field of an Intervention, in catalogue order: (what it means, its placeholder value).
# Allowed codes are added from the vocabulary for the fields in catalogue.CODED.
FIELDS: dict[str, tuple[str, str]] = {
    "name": ("Short display name shown to practitioners.", f'"{TODO}"'),
    "description": (
        "1 to 3 plain-English sentences: who it is for and what it does, in our own words "
        "(no provider marketing text).",
        f'"{TODO}"',
    ),
    "kind": ("Type of intervention; put the entry in the catalogue file for its kind.", TODO),
    "tier": ("How targeted the service is.", TODO),
    "provider": ("Who delivers it.", TODO),
    "needs": ("The OASys need areas it addresses, for example [finance, ete].", f"[{TODO}]"),
    "intensity": ("Dose, used by the Risk principle rules.", TODO),
    "formats": ("How it is delivered, for example [group, one_to_one].", f"[{TODO}]"),
    "duration_weeks": ("Typical length in weeks: a whole number from 1 to 260.", TODO),
    "sessions": ("Typical number of sessions: a whole number, 1 or more.", TODO),
    "hours_per_week": ("Typical contact hours a week: a number above 0, at most 40.", TODO),
    "delivery": ("When sessions can be attended, for example [daytime, evening].", f"[{TODO}]"),
    "settings": ("Where it runs, for example [community].", f"[{TODO}]"),
    "regions": (
        "Probation regions where people can be referred now: all, contracted (where and while "
        "its contracts in catalogue/contracts.yaml serve), or a list such as [london, wales]. "
        "Do not write all to hide a gap.",
        f"[{TODO}]",
    ),
    "pdus": (
        "Probation delivery units it is provided in, from catalogue/pdus.yaml: in a region with "
        "PDUs listed here, only those PDUs serve it; [] for whole regions. Each must lie in one "
        "of regions.",
        "[]",
    ),
    "capacity": (
        "Places a year (people who can start it) where known, by region or PDU id, for example "
        "{london: 200}; {} when not known. Read by the commissioning report, never by a plan.",
        "{}",
    ),
    "wait_weeks": ("Typical wait from referral to start, in weeks: 0 to 104.", TODO),
    "accessibility": (
        "Each true or false. ld_adapted: adapted for learning disability or low literacy, or "
        "needs no reading or group cognitive work; women_only: a women-only service (then "
        "eligibility must say gender: [female]); interpreter: can be delivered through an "
        "interpreter.",
        "",
    ),
    "prerequisites": (
        "Ids of interventions that must ALL be completed first, for example "
        "[motivational_toolkit]; [] for none.",
        "[]",
    ),
    "alongside": (
        "Companions: ids of work that always goes alongside this one when it is planned (if the "
        "person may have it), for example [community_drug_alcohol_treatment]; [] for none.",
        "[]",
    ),
    "role": (
        "intervention, or referral for an act such as the housing duty to refer (it takes none "
        "of the person's capacity and is never left out for lack of time).",
        "intervention",
    ),
    "eligibility": (
        "Who may be referred: {} means open to all. To restrict, replace {} with any of these "
        "keys, each on its own line indented under eligibility (for example gender: [female]):",
        "{}",
    ),
    "exclusions": (
        "Who is not suitable even if eligible: {} means nobody is ruled out. To rule people out, "
        "replace {} with any of these keys, each on its own line indented under exclusions:",
        "{}",
    ),
    "source": (
        "Where the facts came from: catalogue title, guidance or contract. An entry with no "
        "counterpart in HMPPS's find-and-refer catalogue starts 'Own entry: no counterpart in the "
        "HMPPS find-and-refer catalogue;' and gives its evidence.",
        f'"{TODO}"',
    ),
    "hmpps": (
        "The HMPPS find-and-refer entry it follows (its ref in "
        "catalogue/reference/find_and_refer.json), or none for our own entry.",
        TODO,
    ),
    "read_on": ("The date its facts were read from the source: YYYY-MM-DD.", TODO),
}
# Optional fields left out of a new entry: withdrawal is for later, contracts are in contracts.yaml.
NOT_WRITTEN = ("id", "file", "line", "status", "withdrawn_on", "contracts", "pdu_regions")
ACCESSIBILITY = ("ld_adapted", "women_only", "interpreter")
# The optional keys of eligibility and exclusions, with what each takes besides its codes.
OPTIONAL_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "eligibility": (
        ("gender", "a list, any of"),
        ("age", "{min: 18, max: 25}, either bound optional"),
        ("ogrs_band", "a list, any of"),
        ("rosh", "a list, any of"),
        ("osp_band", "a list (sexual-offending work only: the higher of OSP-DC/IIC), any of"),
        ("sara", "a list (the higher of SARA partner/other), any of"),
        (
            "scores",
            "alternatives, one must hold: [{ovp: {min: 20}}, {ovp: absent, ogrs: {min: 25}}], of",
        ),
        ("sentence_type", "a list, any of"),
        ("weeks_left", "{min: 26} and/or {by_sentence_type: {licence: 52}}, the weeks needed, of"),
        ("not_if_accredited_suitable", "true: only for people no accredited programme is open to"),
        ("requires_flags", "a list, all must be present, of"),
        ("requires_responsivity", "a list, all must be present, of"),
    ),
    "exclusions": (
        ("flags", "a list; any one rules the person out, of"),
        ("responsivity", "a list; any one rules the person out, of"),
        ("requirements", "a list of sentence requirements; any one rules the person out, of"),
    ),
}
INDENT = "    "


def skeleton(intervention_id: str, vocabulary: Vocabulary) -> str:
    """A catalogue entry for ``intervention_id``: every field, a comment on each, placeholders."""
    lines = [
        f"  # Written by `matcher new intervention {intervention_id}`. Replace every {TODO}",
        "  # (`matcher check` reports any left) and delete comments you no longer need. The id is",
        "  # permanent: never rename or reuse it, plans and rules refer to it.",
        f"  - id: {intervention_id}",
    ]
    for field in (f for f in Intervention.model_fields if f not in NOT_WRITTEN):
        meaning, placeholder = FIELDS[field]
        lines += _comment(meaning + _codes(field, vocabulary), INDENT)
        for key, what in OPTIONAL_KEYS.get(field, ()):
            codes = _codes(f"{field}.{key}", vocabulary, prefix=" ")
            lines += _comment(f"  {key}: {what}{codes or '.'}", INDENT, "     ")
        lines.append(f"{INDENT}{field}:" + (f" {placeholder}" if placeholder else ""))
        if field == "accessibility":
            lines += [f"{INDENT}  {key}: {TODO}" for key in ACCESSIBILITY]
    return "\n".join(lines) + "\n"


def _codes(path: str, vocabulary: Vocabulary, prefix: str = " Allowed: ") -> str:
    """The codes the live vocabulary allows for a coded field, as a sentence; '' if not coded."""
    kind = CODED.get(path)
    if kind is None:
        return ""
    return f"{prefix}{', '.join(allowed_codes(vocabulary, kind))}."


def _comment(text: str, indent: str, hanging: str = " ") -> list[str]:
    return textwrap.wrap(
        text,
        width=100,
        initial_indent=f"{indent}# ",
        subsequent_indent=f"{indent}#{hanging}",
        break_on_hyphens=False,
    )


def cmd_new(args: argparse.Namespace) -> int:
    rules, catalogue = folders(args)
    if not SNAKE_CASE.match(args.id):
        print(
            f"{args.id!r} is not an id: use lower_snake_case (lower-case letters and digits, "
            "words joined by '_', starting with a letter), for example crs_accommodation",
            file=sys.stderr,
        )
        return 1
    try:
        checked = check(rules, catalogue)
    except RulebookError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(
            "the rules and catalogue do not load; run matcher check and fix them first",
            file=sys.stderr,
        )
        return 1
    existing = checked.catalogue.get(args.id)
    if existing is not None:
        print(
            f"{args.id!r} is already in the catalogue ({existing.file}:{existing.line}); "
            "choose a new id (never reuse one)",
            file=sys.stderr,
        )
        return 1
    text = skeleton(args.id, checked.vocabulary)
    if args.out is None:
        print(text, end="")
        return 0
    _append(args.out, text)
    print(f"{args.id} added to {args.out}: fill in every {TODO}, then run matcher check")
    return 0


def _append(path: Path, text: str) -> None:
    """Add the entry at the end of a catalogue file's 'interventions:' list (a new file if none)."""
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    if not before.strip():
        before = "interventions:\n"
    elif not before.endswith("\n"):
        before += "\n"
    path.write_text(before + text, encoding="utf-8")


def register(sub: Any) -> None:
    new = sub.add_parser(
        "new", help="write a catalogue entry to fill in, every field explained with its codes"
    )
    new.add_argument("what", choices=["intervention"], help="what to write")
    new.add_argument("id", help="the new intervention's id, in lower_snake_case")
    new.add_argument(
        "--out",
        type=Path,
        default=None,
        help="append to this catalogue file (for example catalogue/interventions/toolkits.yaml)",
    )
    add_folders(new)
    new.set_defaults(run=cmd_new)
