"""`matcher test`: every rule example and scenario, PASS/FAIL."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from matcher.cli.common import add_folders, folders
from matcher.model.errors import RulebookError
from matcher.reports.scenarios import report, run_all
from matcher.rulebook.build import load


def cmd_test(args: argparse.Namespace) -> int:
    try:
        rules, catalogue = folders(args, announce=True)
        book = load(rules, catalogue, probe=False)
    except RulebookError as error:
        for problem in error.problems:
            print(problem)
        return 1
    files = list(args.scenarios) or None
    results = run_all(book, rules, files, examples=not (args.scenarios_only or files))
    if args.failures_only:
        results_shown = [r for r in results if not r.passed]
        print(report(results_shown) if results_shown else "all passed")
    else:
        print(report(results))
    return 0 if all(r.passed for r in results) else 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "test", help="run every rule example and scenario test; exit 1 on any failure"
    )
    parser.add_argument(
        "scenarios", nargs="*", type=Path, help="only these scenario files (default: all)"
    )
    parser.add_argument("--scenarios-only", action="store_true", help="skip the rule examples")
    parser.add_argument("--failures-only", action="store_true", help="print only failures")
    add_folders(parser)
    parser.set_defaults(run=cmd_test)
