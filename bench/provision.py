"""The commissioning report over a synthetic caseload (issue 16: 10,000 cases in under 60 s):
what ``matcher report provision --caseload`` does — plan every case on every core, count, write
the JSON, the CSV and the charts. The caseload is drawn first (not timed)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.batch import draw_shards
from bench.common import TODAY


def run(n: int, folder: Path) -> dict[str, Any]:
    from matcher.reports.caseload import Folders, cores, each_case
    from matcher.reports.provision import Seen, tally
    from matcher.reports.provision_cases import provision_case
    from matcher.rulebook.build import load
    from matcher.rulebook.paths import DEFAULT_CATALOGUE, DEFAULT_RULES

    workers = cores()
    shards = draw_shards(folder, n, workers)
    lines = (
        (number, text)
        for shard in shards
        for number, text in enumerate(Path(shard).read_text().splitlines(), 1)
    )
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.perf_counter()
    book = load(DEFAULT_RULES, DEFAULT_CATALOGUE, probe=False)
    found = each_case(
        provision_case, lines, [Folders(DEFAULT_RULES, DEFAULT_CATALOGUE)], TODAY, workers, [book]
    )
    people = [result for result in found if isinstance(result, Seen)]
    region_of = {p.id: p.region for p in book.vocabulary.pdus.values()}
    report = tally(people, book.catalogue, region_of)
    from matcher.cli.report import write

    write(report, folder / "report", book)
    seconds = time.perf_counter() - started
    return {
        "n": n,
        "people": report["people"],
        "workers": workers,
        "seconds": seconds,
        "cells": len(report["cells"]),
        "load_before": load_before,
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
