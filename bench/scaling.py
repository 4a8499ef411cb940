"""Scaling: the plan median with generated catalogue and rules variants, load and compile time, RSS.

Catalogue ×k: every intervention gets k − 1 local variants (a copy with a new id), as a national
catalogue of local providers would look. Each copy brings its own catalogue eligibility rules,
exactly as a real entry does. Catalogue ×10 keeps its copies regional (each served in one
probation region, the regions in turn), as in earlier runs, so its figures stay comparable;
catalogue ×100 has PDU-level availability (issue 12): each copy is served in one probation
delivery unit of catalogue/pdus.yaml (``regions: [its region]``, ``pdus: [it]``), the real PDUs
in turn over the whole catalogue (so each serves about as many copies as any other); a person
whose PDU is given is served by the copies of their PDU only, as by a national catalogue of
local providers.

Rules ×k: every rule file gets k − 1 copies whose rules have new ids and the same conditions and
outcomes (so the same findings, k times the rules to match and fire).
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT

REGIONS = [
    "north_east",
    "north_west",
    "yorkshire_and_the_humber",
    "greater_manchester",
    "east_midlands",
    "west_midlands",
    "east_of_england",
    "london",
    "kent_surrey_sussex",
    "south_west",
    "south_central",
    "wales",
]


def pdu_regions() -> list[tuple[str, str]]:
    """Every probation delivery unit of catalogue/pdus.yaml with its region, in the file's order."""
    data = yaml.safe_load((ROOT / "catalogue" / "pdus.yaml").read_text(encoding="utf-8"))
    return [(pdu, entry["region"]) for pdu, entry in data["pdus"].items()]


def catalogue_variant(target: Path, factor: int, by_pdu: bool = False) -> Path:
    """A copy of catalogue/ with every intervention repeated ``factor`` times: regional variants,
    or (``by_pdu``) variants each provided in one PDU of its region."""
    shutil.copytree(ROOT / "catalogue", target)
    pdus, made = pdu_regions(), 0  # copies made so far: the next PDU in turn
    for path in sorted((target / "interventions").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = list(data["interventions"])
        for copy_number in range(1, factor):
            for index, entry in enumerate(entries):
                variant = copy.deepcopy(entry)  # no shared values: no YAML aliases
                variant["id"] = f"{entry['id']}_v{copy_number}"
                variant["name"] = f"{entry['name']} ({copy_number})"
                if by_pdu:
                    pdu, region = pdus[made % len(pdus)]
                    variant["regions"], variant["pdus"] = [region], [pdu]
                    made += 1
                else:
                    variant["regions"] = [REGIONS[(copy_number + index) % len(REGIONS)]]
                variant["prerequisites"] = [
                    f"{p}_v{copy_number}" for p in entry.get("prerequisites", [])
                ]
                data["interventions"].append(variant)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def rules_variant(target: Path, factor: int) -> Path:
    """A copy of rules/ with every rule file repeated ``factor`` times under new rule ids."""
    shutil.copytree(ROOT / "rules", target)
    folder = target / "rulesets"
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for copy_number in range(1, factor):
            copied: dict[str, Any] = {k: v for k, v in data.items() if k != "computed"}
            copied["rules"] = [
                {
                    k: v
                    for k, v in {**rule, "id": f"{rule['id']}.v{copy_number}"}.items()
                    if k != "examples"
                }
                for rule in data["rules"]
            ]
            name = f"{path.stem}_v{copy_number}.yaml"
            (folder / name).write_text(yaml.safe_dump(copied, sort_keys=False), encoding="utf-8")
    return target


_LOAD = """
import json, resource, sys, time
t0 = time.perf_counter()
from matcher.rulebook import build as rulebook
t1 = time.perf_counter()
checked = rulebook.check(sys.argv[1], sys.argv[2])
t2 = time.perf_counter()
book = rulebook.build(checked, probe=False)
t3 = time.perf_counter()
rss = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmRSS"):
        rss = int(line.split()[1]) / 1024
print(json.dumps({"import_s": t1 - t0, "check_s": t2 - t1, "compile_s": t3 - t2,
                  "rules": len(checked.rules), "interventions": len(checked.catalogue),
                  "rss_mib": rss}))
"""


def load_in_fresh_process(rules: Path, catalogue: Path, timeout: float = 300) -> dict[str, Any]:
    """Load and compile in a new interpreter: honest cold timings and the RSS of a worker."""
    import json

    try:
        done = subprocess.run(
            [sys.executable, "-c", _LOAD, str(rules), str(catalogue)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"loading did not finish within {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1]
        return {"error": last.split("first: ", 1)[-1][:400]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def variants(workdir: Path) -> dict[str, tuple[Path, Path]]:
    """The rulebooks to compare: shipped, catalogue ×10 (regional), ×100 (by PDU), rules ×10."""
    return {
        "shipped": (ROOT / "rules", ROOT / "catalogue"),
        "catalogue ×10": (ROOT / "rules", catalogue_variant(workdir / "cat10", 10)),
        "catalogue ×100": (ROOT / "rules", catalogue_variant(workdir / "cat100", 100, by_pdu=True)),
        "rules ×10": (rules_variant(workdir / "rules10", 10), ROOT / "catalogue"),
    }


def run(bodies: list[str], plan_median: Any, timeout: float = 120) -> dict[str, dict[str, Any]]:
    """For each variant: cold load/compile in a fresh process, then the in-process plan median."""
    from matcher.model.errors import RulebookError
    from matcher.rulebook import build as rulebook

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="matcher-bench-") as tmp:
        for name, (rules, catalogue) in variants(Path(tmp)).items():
            entry = load_in_fresh_process(rules, catalogue, timeout=timeout)
            if "error" not in entry:
                start = time.perf_counter()
                try:
                    book = rulebook.load(rules, catalogue, probe=False)
                except RulebookError as error:
                    entry["error"] = "; ".join(str(p) for p in error.problems[:2])[:300]
                else:
                    entry["load_in_process_s"] = time.perf_counter() - start
                    entry["plan_median_us"] = plan_median(book, bodies)
                    book.engine.close()
            results[name] = entry
    return results
