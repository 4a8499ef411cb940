"""``make bench`` (``python -m bench``): every benchmark, one table, written to docs/benchmarks.md.

Options for a quicker look while developing: ``--cases``, ``--batch``, ``--skip-http``,
``--skip-scaling``; ``--baseline REF`` (``make bench BASELINE=REF``) also plans the same cases with
that git ref, interleaved, in the same run. A partial run keeps the sections of the page it did not
re-run, marked with the run they come from. Benchmarks do not run in CI; the numbers depend on the
machine and on whatever else it is doing (the load average is recorded next to them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import batch, http, inprocess, provision, scaling, versions
from bench.common import ROOT, caseload, machine

TARGETS = {
    "plan_ratio": 2.0,  # in-process plan median ≤ 2 × engine floor
    "http_ratio": 0.50,  # plans/s ≥ 50% of the framework floor (issue 12)
    "baseline_ratio": 0.4,  # plan median ≤ 0.4 × the baseline's, same cases, same run (issue 12)
    "actions_median": 48,  # engine actions per plan, catch-all counted (issue 12)
    "batch_s": 60.0,  # 100,000 cases ≤ 60 s on 2 cores
    "batch_ratio": 4.0,  # batch throughput ≥ 4 × the baseline's, same cases, same run (issue 12)
    "catalogue_100": 2.0,  # plan median with catalogue ×100 ≤ 2 × shipped
    "rules_10": 3.0,  # plan median with rules ×10 ≤ 3 × shipped
    "provision_s": 60.0,  # the commissioning report over 10,000 cases (issue 16)
}


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def table(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    ip = r["inprocess"]
    floor, plan = ip["floor"], ip["plan"]
    ratio = plan["median"] / floor["median"]
    rows.append(
        (
            f"engine floor (durable_rules, same facts, no-op actions), {floor['n']} cases",
            f"median {floor['median']:.0f} µs, p99 {floor['p99']:.0f} µs",
            "—",
            "",
        )
    )
    rows.append(
        (
            f"plan in-process (validate → rules → match → sequence), {plan['n']} cases",
            f"median {plan['median']:.0f} µs, p99 {plan['p99']:.0f} µs; {ratio:.2f}× floor",
            f"≤ {TARGETS['plan_ratio']:.0f}× floor",
            _mark(ratio <= TARGETS["plan_ratio"]),
        )
    )
    if "unsequenced" in ip:
        rows.append(
            (
                "sequencing: what it adds to one plan (plan minus the same plan unsequenced)",
                f"median {ip['sequencing_added_median_us']:.0f} µs per plan "
                f"(unsequenced median {ip['unsequenced']['median']:.0f} µs)",
                "—",
                "",
            )
        )
    if "baseline" in r:
        v = r["baseline"]
        rows.append(
            (
                f"plan in-process against {v['ref']} ({v['commit']}), same {v['compared']} cases "
                "interleaved, each version in its own worker",
                f"median {v['plan_after']['median']:.0f} µs against {v['plan_before']['median']:.0f}"
                f" µs: {v['ratio']:.2f}×",
                f"≤ {TARGETS['baseline_ratio']}×",
                _mark(v["ratio"] <= TARGETS["baseline_ratio"]),
            )
        )
        if "throughput" in v:
            t = v["throughput"]
            rows.append(
                (
                    f"batch throughput against {v['commit']}: the same {t['after']['cases']:,} "
                    f"cases on {t['after']['workers']} worker processes per version, one version "
                    "after the other",
                    f"{t['after']['per_s']:.0f} plans/s against {t['before']['per_s']:.0f}: "
                    f"{t['ratio']:.2f}×",
                    f"≥ {TARGETS['batch_ratio']:.0f}×",
                    _mark(t["ratio"] >= TARGETS["batch_ratio"]),
                )
            )
        a, b = v["actions_after"], v["actions_before"]
        rows.append(
            (
                "engine actions per plan (every action durable_rules runs, catch-all included)",
                f"median {a['median']}, p99 {a['p99']} (at {v['commit']}: median {b['median']}, "
                f"p99 {b['p99']})",
                f"median ≤ {TARGETS['actions_median']}",
                _mark(a["median"] <= TARGETS["actions_median"]),
            )
        )
    for workers, result in r.get("http", {}).items():
        if "error" in result:
            rows.append((f"HTTP, {workers} worker(s)", result["error"], "", "n/a"))
            continue
        p, f = result["plans"], result["floor"]
        share = p["per_s"] / f["per_s"]
        rows.append(
            (
                f"HTTP POST /v1/plans?store=false, uvicorn {workers} worker(s), "
                f"{p['requests']} requests",
                f"{p['per_s']:.0f} plans/s, p50 {p['p50_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms",
                "",
                "",
            )
        )
        if "stored" in result:
            k = result["stored"]
            rows.append(
                (
                    f"HTTP POST /v1/plans (stored, SQLite), {workers} worker(s)",
                    f"{k['per_s']:.0f} plans/s, p50 {k['p50_ms']:.1f} ms, "
                    f"p99 {k['p99_ms']:.1f} ms; {k['per_s'] / p['per_s']:.0%} of planning only",
                    "",
                    "",
                )
            )
        rows.append(
            (
                f"HTTP POST /v1/_floor/plans (framework floor), {workers} worker(s)",
                f"{f['per_s']:.0f} /s, p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms; "
                f"plans at {share:.0%} of floor",
                f"≥ {TARGETS['http_ratio']:.0%} of floor",
                _mark(share >= TARGETS["http_ratio"]),
            )
        )
    for run in r.get("batch", {}).get("runs", [])[:-1]:  # the smaller sizes, for linearity
        rows.append(
            (
                f"batch re-plan, {run['cases']:,} cases, {run['workers']} worker processes",
                f"{run['seconds']:.1f} s ({run['plans_per_s']:.0f} plans/s); load average "
                f"{run.get('load_before', '?')} before",
                "linear in cases",
                "",
            )
        )
    if "batch" in r:
        b = r["batch"]
        cases = b["n"] + b.get("failed", 0) + len(b.get("stuck", []))
        loaded = (
            f"; worker load {b['worker_load_s']:.1f} s, RSS {b['worker_rss_mib']:.0f} MiB"
            if "worker_load_s" in b
            else ""
        )
        rows.append(
            (
                f"batch re-plan (matcher replan's code), {cases:,} cases, {b['workers']} worker "
                "processes",
                f"{b['seconds']:.1f} s ({b['plans_per_s']:.0f} plans/s{loaded}); load average "
                f"{b.get('load_before', '?')} before",
                f"≤ {TARGETS['batch_s']:.0f} s" + (" (for 100,000)" if cases != 100_000 else ""),
                _mark(b["seconds"] <= TARGETS["batch_s"]) if cases == 100_000 else "n/a",
            )
        )
    if "provision" in r:
        p = r["provision"]
        rows.append(
            (
                f"commissioning report (matcher report provision), {p['n']:,} cases, "
                f"{p['workers']} worker processes, JSON, CSV and charts",
                f"{p['seconds']:.1f} s; load average {p['load_before']} before, "
                f"{p['load_after']} after",
                f"≤ {TARGETS['provision_s']:.0f} s" + (" (for 10,000)" if p["n"] != 10_000 else ""),
                _mark(p["seconds"] <= TARGETS["provision_s"]) if p["n"] == 10_000 else "n/a",
            )
        )
    scale = r.get("scaling", {})
    base = scale.get("shipped", {}).get("plan_median_us")
    for name, entry in scale.items():
        target = {"catalogue ×100": "catalogue_100", "rules ×10": "rules_10"}.get(name)
        limit = f"≤ {TARGETS[target]:.0f}× shipped" if target else "—"
        if "error" in entry:
            rows.append(
                (
                    f"scaling: {name}",
                    f"does not load: {entry['error']}",
                    limit,
                    "MISSED" if target else "",
                )
            )
            continue
        load = (
            f"{entry['rules']} rules, {entry['interventions']} interventions; load: import "
            f"{entry['import_s']:.2f} s, check {entry['check_s']:.2f} s, compile "
            f"{entry['compile_s']:.3f} s; worker RSS {entry['rss_mib']:.0f} MiB"
        )
        median = entry["plan_median_us"]
        factor = median / base if base else float("nan")
        rows.append(
            (
                f"scaling: {name}",
                f"plan median {median:.0f} µs ({factor:.2f}× shipped); {load}",
                limit,
                _mark(factor <= TARGETS[target]) if target else "",
            )
        )
    return rows


def notes(r: dict[str, Any]) -> list[str]:
    """What bounds each figure, and by how much a missed target was missed."""
    out: list[str] = []
    ip = r["inprocess"]
    floor_us, plan_us = ip["floor"]["median"], ip["plan"]["median"]
    out.append(
        f"In-process: the plan median is {plan_us / floor_us:.2f}× the engine floor "
        f"(target ≤ {TARGETS['plan_ratio']:.0f}×). The floor is durable_rules' own cost for the "
        f"same ~{ip['facts_per_case']:.0f} facts per case, driven as the adapter drives it (one "
        "fact at a time, actions run by the lean host, the session emptied and reused: ADR 0016): "
        "the C engine's matching, and JSON in and out for every fact and every action fired."
    )
    out.append(
        "HTTP figures are measured with the load generator on the same 2 cores as the server, so "
        "at 2 workers client and server compete; compare the two endpoints within a run, not "
        "runs with each other."
    )
    for workers, result in r.get("http", {}).items():
        if "plans" in result:
            share = result["plans"]["per_s"] / result["floor"]["per_s"]
            if share < TARGETS["http_ratio"]:
                per_request = 1000 / result["floor"]["per_s"]
                out.append(
                    f"HTTP, {workers} worker(s): plans/s is {share:.0%} of the framework floor, "
                    f"{TARGETS['http_ratio'] - share:.0%} short of {TARGETS['http_ratio']:.0%}. "
                    "Both endpoints validate the same bodies and send the same plans back; "
                    f"/v1/plans also plans, ~{plan_us / 1000:.1f} ms of CPU a plan (engine floor "
                    f"~{floor_us / 1000:.1f} ms), against ~{per_request:.1f} ms a floor request "
                    "(load generator included). The target needs a plan to cost no more than "
                    "the framework's whole request."
                )
    if "batch" in r:
        b = r["batch"]
        scaled = b["seconds"] * 100_000 / max(1, b["n"])
        if scaled > TARGETS["batch_s"]:
            allowed = TARGETS["batch_s"] * max(1, b["workers"]) / 100_000 * 1000
            out.append(
                f"Batch: {scaled:.0f} s for 100,000 cases, {scaled / TARGETS['batch_s']:.1f}× the "
                f"{TARGETS['batch_s']:.0f} s target, which allows {allowed:.1f} ms of CPU a case "
                f"on {b['workers']} cores — validation, planning and writing the plan as JSON. A "
                f"plan alone costs ~{plan_us / 1000:.1f} ms in-process, of which "
                f"~{floor_us / 1000:.1f} ms is the engine floor."
            )
    scale = r.get("scaling", {})
    base = scale.get("shipped", {}).get("plan_median_us")
    rules10 = scale.get("rules ×10", {})
    if base and "plan_median_us" in rules10:
        factor = rules10["plan_median_us"] / base
        if factor > TARGETS["rules_10"]:
            out.append(
                f"Scaling, rules ×10: the plan median is {factor:.1f}× shipped, "
                f"{factor / TARGETS['rules_10']:.1f}× the {TARGETS['rules_10']:.0f}× target. The "
                "copies match the same facts, so about ten times as many rules fire, and each "
                "firing costs durable_rules a JSON round trip in Python (durable_rules.md: cost "
                "grows with actions fired more than with rules). Loading ×10 rules also spends "
                f"{rules10['check_s']:.1f} s in checks against {rules10['compile_s']:.2f} s to "
                "compile."
            )
    for name in ("catalogue ×10", "catalogue ×100"):
        entry = scale.get(name, {})
        if base and "plan_median_us" in entry:
            factor = entry["plan_median_us"] / base
            out.append(
                f"Scaling, {name}: loads (check {entry['check_s']:.1f} s) and plans at "
                f"{factor:.1f}× shipped. Selection reads only the entries that could serve a need "
                "and findings are recorded a run of firings at a time, but the plan itself grows "
                "with the copies: its `excluded` lists every ruled-out copy that addresses a "
                "priority need (about 116 a plan shipped, thousands at ×100), and the engine "
                "hands back one firing per rule an engine rule stands for. Flat needs copies "
                "that never multiply what a plan lists (issue 12, item 3): a contract decision."
            )
    if "provision" in r and r["provision"]["seconds"] > TARGETS["provision_s"]:
        p = r["provision"]
        bound = p["n"] * plan_us / 1e6 / max(1, p["workers"])
        out.append(
            f"Commissioning report: {p['seconds']:.0f} s for {p['n']:,} cases, "
            f"{p['seconds'] / TARGETS['provision_s']:.1f}× the {TARGETS['provision_s']:.0f} s "
            f"target. Counting and drawing take about a second; the rest is planning every case: "
            f"{p['n']:,} × {plan_us / 1000:.1f} ms / {p['workers']} cores ≈ {bound:.0f} s on an "
            "otherwise idle machine, before the workers load their rulebooks. The target needs "
            "the cheaper plan of issue 12, or reading stored plans (`--stored`) rather than "
            "planning again."
        )
    if "baseline" in r:
        v = r["baseline"]
        out.append(
            f"Against {v['ref']}: the same cases plan at {v['ratio']:.2f}× its median, with the "
            f"rulebook about twice the size since ({v['actions_after']['median']} engine actions "
            f"a plan against {v['actions_before']['median']}). Of today's plan about two fifths "
            "is the engine (its floor most of that: the C engine and JSON for each fact and "
            "action), the rest selection, sequencing (networkx), provision gaps and the Plan."
        )
    for name, entry in scale.items():
        if "error" in entry and "did not finish" in entry["error"]:
            out.append(
                f"Scaling, {name}: loading did not finish within the time limit. Before any engine "
                "limit is reached, checking a catalogue this size is slow: with ×10 already, "
                "profiling shows ~10 s in the sequencing cycle check (networkx find_cycle over "
                "the expanded graph, policy.py) and ~7 s parsing YAML with the pure-Python "
                "line-tracking loader (loading.py)."
            )
    for name, entry in scale.items():
        if "error" in entry and "did not finish" not in entry["error"]:
            out.append(
                f"Scaling, {name}: the rulebook does not load ({entry['error'][:160]}). Every "
                "catalogue entry compiles into its own exclusion rules, so copies of entries "
                "multiply rules with identical conditions (durable_rules allows ≤ 256 per "
                "condition, error 108) and, at ×100, exceed 4,096 rules in one ruleset (error "
                "106). A catalogue this size needs eligibility compiled per criterion (one rule "
                "per distinct condition targeting many interventions), not per entry."
            )
    return out


def render(r: dict[str, Any], rows: list[tuple[str, str, str, str]]) -> str:
    m = r["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); the latest run replaces this file. Synthetic",
        "caseload from `matcher synth` (matcher/reports/caseload_profile.yaml), plans made as of "
        f"{r['today']}.",
        "",
        f"Run {r['when']} in {r['elapsed_s']:.0f} s. Machine: {m['nproc']} CPUs ({m['cpu']}), "
        f"{m['memory']} RAM, {m['os']}; {m['python']}; durable_rules {m['durable_rules']}, "
        f"pydantic {m['pydantic']}, fastapi {m['fastapi']}, uvicorn {m['uvicorn']}; commit "
        f"{m['commit']}. Load average before/after: {r['load_before']} / {r['load_after']} "
        "(other work on the machine inflates every figure; ratios are measured interleaved).",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += ["", "Command: `" + r["command"] + "`"]
    lines += [
        f"Not re-run by this command, kept from an earlier run ({origin}): {section}."
        for section, origin in sorted(r.get("carried", {}).items())
    ]
    lines += ["", "## Closing notes", ""]
    lines += [f"- {note}" for note in notes(r)]
    lines += ["", "## Raw results", ""]
    lines += [
        "```json",
        json.dumps(r, indent=1, default=str),
        "```",
        "",
    ]
    return "\n".join(lines)


def rerender(path: Path) -> None:
    """Rebuild the page from the raw results block of an earlier run (after editing the notes)."""
    text = path.read_text(encoding="utf-8")
    block = text.split("```json\n", 1)[1].split("\n```", 1)[0]
    results = json.loads(block)
    results.setdefault("machine", machine())  # same machine; older pages left it out
    path.write_text(render(results, table(results)), encoding="utf-8")


SECTIONS = ("baseline", "scaling", "http", "batch", "provision")


def carry_over(out: Path, results: dict[str, Any]) -> None:
    """Sections this run did not measure, kept from the page's previous run and marked so."""
    try:
        text = out.read_text(encoding="utf-8")
        previous = json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])
    except (OSError, IndexError, ValueError):
        return
    source = f"{previous.get('when', '?')}, commit {previous.get('machine', {}).get('commit', '?')}"
    for section in SECTIONS:
        if section not in results and section in previous:
            results[section] = previous[section]
            origin = previous.get("carried", {}).get(section, source)
            results.setdefault("carried", {})[section] = origin


def _partial(out: Path, results: dict[str, Any]) -> None:
    """Keep what has been measured so far, in case a later stage is interrupted."""
    partial = out.with_suffix(".partial.json")
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--cases", type=int, default=5000, help="in-process cases")
    parser.add_argument(
        "--batch",
        default="10000,50000,100000",
        help="batch re-plan caseload sizes, comma-separated (0: skip)",
    )
    parser.add_argument(
        "--baseline-batch",
        type=int,
        default=10_000,
        help="cases each version plans on every core for the throughput ratio (0: skip)",
    )
    parser.add_argument(
        "--provision", type=int, default=10_000, help="commissioning report cases (0: skip)"
    )
    parser.add_argument("--requests", type=int, default=3000, help="HTTP requests per endpoint")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument(
        "--scaling-cases", type=int, default=150, help="cases planned per scaling variant"
    )
    parser.add_argument(
        "--baseline", default=None, help="a git ref to plan the same cases with, interleaved"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--rerender", action="store_true", help="rebuild --out from its raw results; run nothing"
    )
    args = parser.parse_args()
    if args.rerender:
        rerender(args.out)
        return 0
    from matcher.rulebook import build as rulebook

    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": machine(),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "command": "python -m bench " + " ".join(sys.argv[1:]),
    }
    from bench.common import TODAY

    results["today"] = TODAY.isoformat()
    bodies = inprocess.dumps(caseload(args.cases))
    book = rulebook.load(probe=False)
    results["inprocess"] = inprocess.run(book, bodies)
    _partial(args.out, results)
    print("in-process done", flush=True)
    if args.baseline:
        batch_bodies = (
            inprocess.dumps(caseload(args.baseline_batch)) if args.baseline_batch else None
        )
        results["baseline"] = versions.run(args.baseline, bodies, batch=batch_bodies)
        _partial(args.out, results)
        print("baseline done", flush=True)
    if not args.skip_scaling:
        results["scaling"] = scaling.run(bodies[: args.scaling_cases], inprocess.plan_median_us)
        _partial(args.out, results)
        print("scaling done", flush=True)
    if not args.skip_http:
        raw = [b.encode() for b in bodies[:1000]]
        try:
            results["http"] = http.run(raw, requests=args.requests)
        except Exception as error:  # the API is another team's work in progress
            results["http"] = {"1": {"error": f"HTTP benchmark failed: {error}"}}
        _partial(args.out, results)
        print("http done", flush=True)
    sizes = sorted(int(n) for n in str(args.batch).split(",") if int(n) > 0)
    if sizes:
        runs = []
        for size in sizes:
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            with tempfile.TemporaryDirectory(prefix="matcher-batch-") as tmp:
                found = batch.run(size, Path(tmp))
            runs.append({**found, "cases": size, "load_before": load})
            print(f"batch {size} done", flush=True)
        results["batch"] = {**runs[-1], "runs": runs}
    if args.provision:
        with tempfile.TemporaryDirectory(prefix="matcher-provision-") as tmp:
            results["provision"] = provision.run(args.provision, Path(tmp))
        print("provision done", flush=True)
    results["elapsed_s"] = time.perf_counter() - started
    carry_over(args.out, results)
    results["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = table(results)
    m = results["machine"]
    print(
        f"\nmachine: nproc {m['nproc']}, {m['cpu']}, {m['python']}, durable_rules {m['durable_rules']}"
    )
    width = max(len(a) for a, *_ in rows)
    for a, b, c, d in rows:
        print(f"{a:<{width}}  {b}  [{c}] {d}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results, rows), encoding="utf-8")
    args.out.with_suffix(".partial.json").unlink(missing_ok=True)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
