"""rules/texts.yaml → the words a plan uses when policy decided something, checked with their lines.

The placeholders each text may use are the interface between the planner and the file: a text
that names one the planner does not fill is reported here, not discovered by a practitioner.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from matcher.model.errors import Problem
from matcher.model.policy import Text
from matcher.model.vocabulary import suggest
from matcher.rulebook.sources import LineDict, Sources, line_of, section

TEXTS_FILE = "rules/texts.yaml"

# Each plan text, and the placeholders the planner fills in it.
PLAN_TEXTS: dict[str, frozenset[str]] = {
    "mandated": frozenset({"name"}),
    "mandated_not_possible": frozenset({"name", "why"}),
    "mandated_despite_eligibility": frozenset({"name", "why"}),
    "selected": frozenset({"need"}),
    "max_items": frozenset({"max_items", "need"}),
    "prerequisite": frozenset({"first", "name"}),
    "prerequisite_not_possible": frozenset({"name", "first", "why"}),
    "prerequisite_no_time": frozenset(),
    "unmet_no_catalogue": frozenset({"need"}),
    "unmet_not_in_region": frozenset({"need", "region"}),
    "unmet_ruled_out": frozenset({"need", "names"}),
    "unmet_not_provided": frozenset({"need", "names"}),
    "unmet_declined": frozenset({"need", "names"}),
    "unmet_no_time": frozenset({"need", "names"}),
    "unmet_companion_only": frozenset({"names"}),
    "dropped_no_time": frozenset({"name", "weeks", "wait"}),
    "dropped_contract_ends": frozenset({"name", "week"}),
    "mandated_overruns": frozenset({"name"}),
    "rar_days_exceeded": frozenset({"used", "allowed"}),
    "sequencing_reconsidered": frozenset({"name", "other", "edge"}),
    "unpaid_work_ete": frozenset({"used", "allowed", "total"}),
    "unpaid_work_ete_exceeded": frozenset({"used", "allowed", "total"}),
    "under_age": frozenset({"age", "adult_age"}),
    "proposal_sentence_type": frozenset({"type"}),
    "proposal_programme": frozenset({"name"}),
    "proposal_rar": frozenset({"days", "used"}),
    "history_started": frozenset({"name"}),
    "accredited_first": frozenset({"name", "programmes"}),
    "companion": frozenset({"name", "host"}),
    "chosen_by_precedence": frozenset({"name", "other", "why"}),
    "provision_gap": frozenset({"names", "need", "why"}),
    "chosen_by_tie_break": frozenset({"name", "other", "why"}),
    "history_not_again": frozenset({"name", "status"}),
    "decision_rejected": frozenset({"name", "by", "reason"}),
    "decision_added": frozenset({"name", "by", "reason"}),
    "added_despite_eligibility": frozenset({"name", "why"}),
    "added_not_possible": frozenset({"name", "why"}),
    "unmet_rejected": frozenset({"need", "names"}),
    "decision_not_in_plan": frozenset({"name", "id", "version"}),
    "decision_already_in_plan": frozenset({"name", "id"}),
    "decision_mandated": frozenset({"name"}),
    "added_cannot_be_planned": frozenset({"name"}),
    "progress_not_in_plan": frozenset({"name", "id", "version"}),
    "progress_overdue": frozenset({"name", "date", "week"}),
    "progress_unavailable": frozenset({"name", "reason"}),
    "review_removed": frozenset({"name", "status", "date"}),
    "review_not_chosen": frozenset({"name"}),
    "review_moved": frozenset({"name", "was", "now"}),
    "pdu_outside_region": frozenset({"pdu", "pdu_region", "region"}),
    "release_not_sentence_start": frozenset({"release_date"}),
    "release_after_sentence_end": frozenset({"release_date", "end_date"}),
}
# Each catalogue eligibility criterion's text; all get {name}, {value} and {values}.
ELIGIBILITY_TEXTS = (
    "gender",
    "age_min",
    "age_max",
    "ogrs_band",
    "rosh",
    "osp_band",
    "sentence_type",
    "weeks_left",
    "weeks_left_on",
    "sara",
    "scores",
    "excludes_requirement",
    "contract",
    "withdrawn",
    "requires_flag",
    "requires_responsivity",
    "excludes_flag",
    "excludes_responsivity",
    "region",
    "setting",
    "time_before_release",
    "pdu",
)
ELIGIBILITY_PLACEHOLDERS = frozenset({"name", "value", "values"})


@dataclass(frozen=True)
class Texts:
    plan: dict[str, Text] = field(default_factory=dict)
    eligibility: dict[str, Text] = field(default_factory=dict)


def load_texts(sources: Sources, problems: list[Problem]) -> Texts:
    """Every text of rules/texts.yaml; a missing, unknown or badly filled one is a Problem."""
    source = sources.files.get(TEXTS_FILE)
    doc = source.data if source is not None and isinstance(source.data, LineDict) else None
    if doc is None:
        problems.append(Problem(TEXTS_FILE, 1, f"{TEXTS_FILE} is missing or empty"))
        return Texts()
    plan: dict[str, Text] = {}
    for key, entry in section(doc, "plan", dict, TEXTS_FILE, problems).items():
        line = line_of(doc, "plan", key)
        if not isinstance(entry, dict) or not entry.get("rule_id") or not entry.get("text"):
            problems.append(Problem(TEXTS_FILE, line, f"plan text {key!r} needs rule_id and text"))
            continue
        text = Text(str(key), str(entry["rule_id"]), str(entry["text"]), TEXTS_FILE, line)
        if _known(text, PLAN_TEXTS, problems, "plan"):
            plan[text.key] = text
    eligibility: dict[str, Text] = {}
    wanted = dict.fromkeys(ELIGIBILITY_TEXTS, ELIGIBILITY_PLACEHOLDERS)
    for key, template in section(doc, "catalogue_eligibility", dict, TEXTS_FILE, problems).items():
        line = line_of(doc, "catalogue_eligibility", key)
        text = Text(str(key), f"catalogue.*.{key}", str(template), TEXTS_FILE, line)
        if _known(text, wanted, problems, "catalogue_eligibility"):
            eligibility[text.key] = text
    for group, keys, found in (
        ("plan", PLAN_TEXTS, plan),
        ("catalogue_eligibility", wanted, eligibility),
    ):
        for key in sorted(set(keys) - set(found)):
            problems.append(
                Problem(TEXTS_FILE, line_of(doc, group), f"{group} has no text for {key!r}")
            )
    return Texts(plan, eligibility)


def _known(
    text: Text, wanted: dict[str, frozenset[str]], problems: list[Problem], group: str
) -> bool:
    if text.key not in wanted:
        problems.append(
            Problem(
                TEXTS_FILE,
                text.line,
                f"{group}: unknown text {text.key!r}",
                suggest(text.key, wanted),
            )
        )
        return False
    try:
        names = {
            name for _, name, _, _ in string.Formatter().parse(text.template) if name is not None
        }
    except ValueError as error:
        problems.append(Problem(TEXTS_FILE, text.line, f"{group}.{text.key}: {error}"))
        return False
    for name in sorted(names - wanted[text.key]):
        allowed = ", ".join(f"{{{n}}}" for n in sorted(wanted[text.key])) or "none"
        problems.append(
            Problem(
                TEXTS_FILE,
                text.line,
                f"{group}.{text.key}: unknown placeholder {{{name}}} (this text may use {allowed})",
                suggest(name, wanted[text.key]),
            )
        )
    return not names - wanted[text.key]
