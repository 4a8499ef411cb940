"""`matcher diff OLD NEW --caseload FILE`: a rules change's effect on a caseload."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from matcher.model.errors import MatcherError, RulebookError
from matcher.reports.caseload import Folders
from matcher.reports.diff import diff_caseload, render
from matcher.rulebook.build import load
from matcher.rulebook.paths import DEFAULT_CATALOGUE


def cmd_diff(args: argparse.Namespace) -> int:
    books = []
    for rules, catalogue in ((args.old, args.catalogue_old), (args.new, args.catalogue_new)):
        try:
            books.append(load(rules, catalogue or DEFAULT_CATALOGUE, probe=False))
        except RulebookError as error:
            print(f"{rules}: the rulebook does not load:")
            for problem in error.problems:
                print(f"  {problem}")
            return 1
    folders = (
        Folders(args.old, args.catalogue_old or DEFAULT_CATALOGUE),
        Folders(args.new, args.catalogue_new or DEFAULT_CATALOGUE),
    )
    try:
        report = diff_caseload(books[0], books[1], folders, args.caseload, args.today, args.workers)
    except MatcherError as error:  # a worker process stopped
        print(f"the diff stopped: {error}")
        return 1
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else render(report))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff", help="plan a caseload under two rule versions and report what changes"
    )
    parser.add_argument("old", type=Path, help="the current rules folder")
    parser.add_argument("new", type=Path, help="the changed rules folder")
    parser.add_argument(
        "--caseload", type=Path, required=True, help="assessments, one JSON per line"
    )
    parser.add_argument(
        "--catalogue-old", type=Path, default=None, help="catalogue for the old rules"
    )
    parser.add_argument(
        "--catalogue-new", type=Path, default=None, help="catalogue for the new rules"
    )
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--workers", type=int, default=None, help="processes to plan on (default: every core)"
    )
    parser.set_defaults(run=cmd_diff)
