"""`matcher replan CASELOAD`: every assessment of a caseload planned, on every core."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from matcher.cli.common import add_folders, folders
from matcher.model.errors import MatcherError, RulebookError
from matcher.reports.caseload import Folders, cores, each_case, lines_of, plan_json
from matcher.rulebook.build import load


def cmd_replan(args: argparse.Namespace) -> int:
    rules, catalogue = folders(args)
    try:
        book = load(rules, catalogue, probe=False)  # fails here, once, if the rules are broken
    except RulebookError as error:
        print(f"{rules}: the rulebook does not load:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    workers = args.workers or cores()
    today = args.today or date.today()
    started = time.perf_counter()
    planned = failed = 0
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        results = each_case(
            plan_json, lines_of(args.caseload), [Folders(rules, catalogue)], today, workers, [book]
        )
        for result in results:
            if isinstance(result, str):
                planned += 1
                out.write(result + "\n")
            else:
                failed += 1
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
    except MatcherError as error:  # a worker stopped: what was written stands, the rest did not
        print(f"stopped after {planned + failed} case(s): {error}", file=sys.stderr)
        return 1
    finally:
        if args.out:
            out.close()
    seconds = time.perf_counter() - started
    rate = planned / seconds if seconds else 0.0
    print(
        f"{planned} planned, {failed} not planned, in {seconds:.1f} s ({rate:.0f} a second) "
        f"on {workers} process(es); rules {book.version}",
        file=sys.stderr,
    )
    return 0 if not failed else 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replan", help="plan every assessment of a caseload (JSON Lines), on every core"
    )
    parser.add_argument("caseload", type=Path, help="assessments, one JSON per line")
    parser.add_argument(
        "--out", type=Path, default=None, help="write the plans here (default: standard output)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="processes to plan on (default: every core)"
    )
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    add_folders(parser)
    parser.set_defaults(run=cmd_replan)
