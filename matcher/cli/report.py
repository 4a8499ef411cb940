"""`matcher report provision`: the commissioning picture (design.md §6.4) of a caseload file or
of stored plans — provision.json, provision.csv and charts (PNG and SVG) in one folder."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO, TypeVar

from matcher.cli.common import add_folders, folders
from matcher.model.errors import MatcherError, RulebookError, StoreError
from matcher.reports.caseload import Folders, cores, each_case, lines_of
from matcher.reports.provision import Seen, suppress, tally, to_csv, window
from matcher.reports.provision_cases import provision_case, stored_people
from matcher.rulebook.book import Rulebook
from matcher.rulebook.build import load
from matcher.store.database import DEFAULT_DATABASE
from matcher.store.storage import Storage

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None, stream: TextIO = sys.stderr) -> Iterator[T]:
    """``items`` as they come, with a progress line on a terminal (quiet otherwise)."""
    shown = stream.isatty()
    last = 0.0
    count = 0
    for count, item in enumerate(items, start=1):
        now = time.monotonic()
        if shown and now - last > 0.2:
            last = now
            of = f"/{total}" if total else ""
            width = 30
            done = int(width * count / total) if total else 0
            stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {count}{of} cases")
            stream.flush()
        yield item
    if shown:
        stream.write(f"\r{' ' * 60}\r{count} cases\n")


def _from_caseload(
    args: argparse.Namespace, book: Rulebook, rules: Path, catalogue: Path
) -> tuple[list[Seen], list[dict[str, Any]]]:
    total = sum(1 for _ in lines_of(args.caseload))
    today = args.today or date.today()
    found = each_case(
        provision_case,
        lines_of(args.caseload),
        [Folders(rules, catalogue)],
        today,
        args.workers or cores(),
        [book],
    )
    people: list[Seen] = []
    errors: list[dict[str, Any]] = []
    for result in progress(found, total):
        (people if isinstance(result, Seen) else errors).append(result)  # type: ignore[arg-type]
    return people, errors


def _from_store(args: argparse.Namespace, book: Rulebook) -> list[Seen]:
    storage = Storage(args.database or os.environ.get("MATCHER_DATABASE_URL") or DEFAULT_DATABASE)
    today = args.today or date.today()
    try:
        since, until = window(args.since, args.until, today)
        pairs = storage.store().latest_plans(since, until)
        return list(progress(stored_people(pairs, book, args.replan, today), None))
    finally:
        storage.close()


def write(report: dict[str, Any], out: Path, book: Rulebook) -> list[Path]:
    """provision.json, provision.csv and the charts into ``out``."""
    from matcher.reports.provision_charts import draw  # matplotlib is slow to import

    out.mkdir(parents=True, exist_ok=True)
    (out / "provision.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (out / "provision.csv").write_text(to_csv(report), encoding="utf-8")
    vocabulary = book.vocabulary
    names = {**vocabulary.codes("need_areas"), **vocabulary.regions}
    names.update({i.id: i.name for i in book.catalogue.values()})
    return [out / "provision.json", out / "provision.csv", *draw(report, out, names)]


def cmd_provision(args: argparse.Namespace) -> int:
    rules, catalogue = folders(args)
    try:
        book = load(rules, catalogue, probe=False)
    except RulebookError as error:
        print(f"{rules}: the rulebook does not load:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    errors: list[dict[str, Any]] = []
    try:
        if args.caseload:
            people, errors = _from_caseload(args, book, rules, catalogue)
        else:
            people = _from_store(args, book)
    except (MatcherError, StoreError) as error:
        print(f"the report stopped: {error}", file=sys.stderr)
        return 1
    region_of = {p.id: p.region for p in book.vocabulary.pdus.values()}
    report = tally(people, book.catalogue, region_of, args.region)
    if args.stored:
        report = suppress(report)
    written = write(report, args.out, book)
    seconds = time.perf_counter() - started
    print(
        f"{report['people']} people, {len(report['cells'])} cells, "
        f"{len(report['interventions'])} intervention rows in {seconds:.1f} s; "
        f"{len(errors)} case(s) not planned; wrote {', '.join(p.name for p in written)} "
        f"in {args.out}",
        file=sys.stderr,
    )
    return 0 if not errors else 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("report", help="reports for commissioning")
    reports = parser.add_subparsers(dest="report", required=True)
    provision = reports.add_parser(
        "provision",
        help="where priority needs go unmet and demand against capacity, by region and PDU",
    )
    source = provision.add_mutually_exclusive_group(required=True)
    source.add_argument("--caseload", type=Path, help="assessments, one JSON per line")
    source.add_argument("--stored", action="store_true", help="the stored plans (counts <5 hidden)")
    provision.add_argument("--out", type=Path, required=True, help="folder to write into")
    provision.add_argument("--region", default=None, help="only this region")
    provision.add_argument("--since", type=date.fromisoformat, default=None, help="stored: from")
    provision.add_argument("--until", type=date.fromisoformat, default=None, help="stored: to")
    provision.add_argument(
        "--replan", action="store_true", help="stored: re-plan under these rules"
    )
    provision.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    provision.add_argument("--workers", type=int, default=None, help="processes (every core)")
    provision.add_argument("--database", default=None, help="stored: database URL")
    add_folders(provision)
    provision.set_defaults(run=cmd_provision)
