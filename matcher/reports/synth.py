"""A synthetic caseload: ``matcher synth --n N --seed S`` writes N valid assessments as JSON lines.

Every marginal comes from a profile file (``matcher/reports/caseload_profile.yaml``), each figure with its
source next to it; nothing here is a policy or evidence figure. Correlations are kept with one
standard-normal latent per attribute: ``latent = w × parent + sqrt(1 − w²) × noise`` stays standard
normal, so a yes/no attribute thresholded at ``Φ⁻¹(1 − p)`` has marginal ``p`` exactly, whatever
its correlation with its parent (OGRS and the number of needs share the ``load`` factor; the
domestic abuse flag rides on the relationships need; active substance misuse on the substance
factor behind drugs and alcohol).

Case ``i`` of seed ``s`` depends only on ``(s, i)``, so any slice of a caseload can be generated
on its own (``start``) and the same seed always gives the same cases.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Any

import yaml

DEFAULT_PROFILE = Path(__file__).resolve().parent / "caseload_profile.yaml"  # package data


_NORMAL = NormalDist()


_SQRT2 = math.sqrt(2.0)


class ProfileError(ValueError):
    """The caseload profile is inconsistent (a share out of range, a parent not yet drawn)."""


def load_profile(path: Path = DEFAULT_PROFILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        profile: dict[str, Any] = yaml.safe_load(handle)
    return profile


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / _SQRT2))


def _threshold(p: float) -> float:
    """The latent value above which a share ``p`` of a standard normal lies."""
    if p <= 0.0:
        return math.inf
    if p >= 1.0:
        return -math.inf
    return _NORMAL.inv_cdf(1.0 - p)


def _pick(u: float, shares: dict[Any, float]) -> Any:
    """The category whose cumulative share (in file order) contains ``u``."""
    total = 0.0
    last = None
    for key, share in shares.items():
        total += share
        last = key
        if u < total:
            return key
    return last


def _in_band(u: float, bands: list[dict[str, Any]]) -> float:
    """A value spread uniformly within the band whose cumulative share contains ``u``."""
    total = 0.0
    for band in bands:
        p = float(band["p"])
        if u < total + p or band is bands[-1]:
            position = min(max((u - total) / p, 0.0), 1.0)
            return float(band["from"]) + position * (float(band["to"]) - float(band["from"]))
        total += p
    raise ProfileError("empty band list")


def _add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


class _Case:
    """One person being drawn: the random stream and every latent drawn so far."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.latent: dict[str, float] = {}
        self.gender = "male"

    def draw(self, key: str, spec: dict[str, Any]) -> float:
        parent, weight = spec.get("parent"), float(spec.get("weight", 0.0))
        if parent is None:
            weight = 0.0
        elif parent not in self.latent:
            raise ProfileError(f"{key}: parent {parent!r} is not drawn before it")
        if abs(weight) > 1.0:
            raise ProfileError(f"{key}: weight {weight!r} is outside −1..1")
        base = self.latent[parent] if parent is not None else 0.0
        value = weight * base + math.sqrt(1.0 - weight * weight) * self.rng.gauss(0.0, 1.0)
        self.latent[key] = value
        return value

    def share(self, spec: dict[str, Any]) -> float:
        p = spec["p"]
        return float(p[self.gender] if isinstance(p, dict) else p)

    def yes(self, key: str, spec: dict[str, Any]) -> bool:
        return self.draw(key, spec) > _threshold(self.share(spec))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def assessment(index: int, seed: int, profile: dict[str, Any]) -> dict[str, Any]:
    """Case ``index`` of the caseload drawn with ``seed``: a JSON-ready v1 Assessment body."""
    case = _Case(random.Random(f"matcher-synth:{seed}:{index}"))
    for name, spec in profile["factors"].items():
        case.draw(f"factor.{name}", spec)
    case.gender = "female" if case.yes("gender", profile["gender"]["female"]) else "male"
    age = round(_in_band(_phi(case.draw("age", profile["age"])), profile["age"]["bands"]))
    needs = _needs(case, profile)
    flags = _codes(case, "flags", profile["flags"])
    risk = _risk(case, profile, flags)
    responsivity = _codes(case, "responsivity", profile["responsivity"], age=age)
    strengths = _codes(case, "strengths", profile["strengths"])
    body: dict[str, Any] = {
        "person_id": f"SYN{seed}-{index:07d}",
        "age": age,
        "gender": case.gender,
    }
    regions = profile["regions"]
    if not case.chance(float(regions["missing"])):
        body["region"] = _pick(case.rng.random(), regions["shares"])
    body["sentence"] = _sentence(case, profile, flags)
    body["risk"] = risk
    body["needs"] = needs
    body["strengths"] = strengths
    body["responsivity"] = responsivity
    items = _oasys_items(case, profile["oasys"])
    if items:
        body["oasys_items"] = items
    ldc = profile["ldc"]
    if case.chance(float(ldc["present"])):
        low, high = (
            ldc["with_learning_disability"]
            if "learning_disability" in responsivity
            else ldc["without"]
        )
        body["ldc_score"] = case.rng.randint(int(low), int(high))
    return body


def _needs(case: _Case, profile: dict[str, Any]) -> list[dict[str, Any]]:
    detail, needs = profile["need_detail"], []
    for area, spec in profile["needs"].items():
        p = case.share(spec)
        u = _phi(case.draw(f"needs.{area}", spec))
        if u >= 1.0 - p * float(detail["significant_share"]):
            linked = case.chance(float(detail["significant_linked"]))
            needs.append({"area": area, "severity": 2, "linked_to_offending": linked})
        elif u >= 1.0 - p:
            needs.append({"area": area, "severity": 1, "linked_to_offending": True})
        elif u >= (1.0 - p) * (1.0 - float(detail["some_unlinked_share"])):
            needs.append({"area": area, "severity": 1, "linked_to_offending": False})
        elif case.chance(float(detail["listed_when_none"])):
            needs.append({"area": area, "severity": 0, "linked_to_offending": False})
    return needs


def _codes(case: _Case, kind: str, specs: dict[str, Any], age: int = 0) -> list[str]:
    codes = []
    for code, spec in specs.items():
        if "age_to" in spec:
            if age <= int(spec["age_to"]):
                codes.append(code)
        elif case.yes(f"{kind}.{code}", spec):
            codes.append(code)
    return codes


def _risk(case: _Case, profile: dict[str, Any], flags: list[str]) -> dict[str, Any]:
    risk: dict[str, Any] = {}
    ogrs = profile["ogrs"]
    value = _in_band(_phi(case.draw("ogrs", ogrs)), ogrs["bands"])
    if not case.chance(float(ogrs["missing"])):
        risk["ogrs"] = int(value)  # whole percent, as OASys shows it; int() keeps the band edges
    rosh = profile["rosh"]
    level = _pick(_phi(case.draw("rosh", rosh)), rosh["levels"])
    if not case.chance(float(rosh["missing"])):
        risk["rosh"] = level
    mappa = profile["mappa"]
    risk["mappa_level"] = (
        int(_pick(case.rng.random(), mappa["levels"])) if case.yes("mappa", mappa) else 0
    )
    risk["flags"] = flags
    predictors = profile["violence_predictors"]
    for name in ("ovp", "rsr"):
        spec = predictors[name]
        score = _in_band(_phi(case.draw(name, spec)), spec["bands"])
        if case.chance(float(spec["present"])):
            risk[name] = round(score, 2)
    if "sexual_offence" in flags and case.gender == "male":
        osp = predictors["osp"]
        for name in ("osp_dc", "osp_iic"):
            risk[name] = _pick(_phi(case.draw(name, osp)), osp["levels"])
    if "domestic_abuse" in flags:
        sara = predictors["sara"]
        risk["sara_partner"] = _pick(_phi(case.draw("sara_partner", sara)), sara["levels"])
        if case.chance(float(sara["other_present"])):
            risk["sara_other"] = _pick(_phi(case.draw("sara_other", sara)), sara["levels"])
    return risk


def _sentence(case: _Case, profile: dict[str, Any], flags: list[str]) -> dict[str, Any]:
    spec = profile["sentence"]
    types = spec["types"]
    kind = _pick(_phi(case.draw("sentence", spec)), {k: v["p"] for k, v in types.items()})
    chosen = types[kind]
    reference = date.fromisoformat(str(profile["reference_date"]))
    low, high = chosen["started_weeks_ago"]
    start = reference - timedelta(days=7 * case.rng.randint(int(low), int(high)))
    start -= timedelta(days=case.rng.randint(0, 6))
    end = _add_months(start, int(_pick(case.rng.random(), chosen["months"])))
    if end <= reference + timedelta(days=14):  # always some sentence left on the reference date
        end = reference + timedelta(days=14 + case.rng.randint(0, 60))
    sentence: dict[str, Any] = {
        "type": kind,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "requirements": [],
    }
    programme = False
    if kind in ("community_order", "suspended_sentence_order"):
        for code, requirement in spec["requirements"].items():
            if case.yes(f"requirements.{code}", requirement):
                sentence["requirements"].append(code)
        if "rar" in sentence["requirements"]:
            sentence["rar_days"] = int(_pick(case.rng.random(), spec["rar_days"]))
        programme = "accredited_programme" in sentence["requirements"]
    elif kind == "licence":
        programme = case.chance(float(spec["licence_programme_condition"]["p"]))
    if programme:
        for rule in spec["mandated"]:
            if rule.get("gender", case.gender) == case.gender and rule.get("flag", "") in (
                "",
                *flags,
            ):
                sentence["mandated"] = [rule["intervention"]]
                break
    return sentence


def _oasys_items(case: _Case, spec: dict[str, Any]) -> dict[str, int]:
    if not case.chance(float(spec["present"])):
        return {}
    items = {}
    for item, item_spec in spec["items"].items():
        score = _pick(
            _phi(case.draw(f"item.{item}", item_spec)), dict(enumerate(item_spec["scores"]))
        )
        if not case.chance(float(spec["item_missing"])):
            items[str(item)] = int(score)
    return items


def generate(
    n: int, seed: int, profile: dict[str, Any] | None = None, start: int = 0
) -> Iterator[dict[str, Any]]:
    """Cases ``start`` … ``start + n − 1`` of the caseload drawn with ``seed``."""
    profile = profile if profile is not None else load_profile()
    for index in range(start, start + n):
        yield assessment(index, seed, profile)
