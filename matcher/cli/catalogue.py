"""`matcher catalogue audit`: the catalogue against HMPPS's own data (catalogue/reference/)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from matcher.cli.common import add_folders, folders
from matcher.model.errors import RulebookError
from matcher.reports.audit import audit, load_reference, unused_decisions
from matcher.rulebook.build import check


def cmd_audit(args: argparse.Namespace) -> int:
    """Print every difference (decided ones with their reason); exit 1 if any is undecided."""
    rules, catalogue_dir = folders(args, announce=True)
    try:
        checked = check(rules, catalogue_dir)
    except RulebookError as error:
        for problem in error.problems:
            print(problem)
        print("\nthe rulebook does not load; fix it before auditing", file=sys.stderr)
        return 1
    reference = load_reference(catalogue_dir)
    result = audit(checked.catalogue, reference, checked.vocabulary)
    stale = unused_decisions(result, reference["decisions"])
    if args.json:
        print(json.dumps({**result.as_json(), "stale_decisions": stale}, indent=1, default=str))
    else:
        for difference in result.differences:
            mark = "decided" if difference.decision else "DIFFERS"
            if difference.decision is None or args.all:
                print(f"{mark}: {difference.line()}")
        for entry in stale:
            print(f"stale decision (no such difference now): {entry}")
        decided = len(result.differences) - len(result.undecided)
        print(
            f"{result.compared} interventions and {result.contracts} contracts compared; "
            f"{len(result.undecided)} undecided difference(s), {decided} decided"
            f"{', ' + str(len(stale)) + ' stale decision(s)' if stale else ''}"
        )
    return 1 if result.undecided or stale else 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("catalogue", help="the catalogue against HMPPS's data")
    sub = parser.add_subparsers(dest="catalogue_command", required=True)
    audit_parser = sub.add_parser(
        "audit",
        help="compare the catalogue with the HMPPS snapshot in catalogue/reference/; "
        "exit 1 on any undecided difference",
    )
    add_folders(audit_parser)
    audit_parser.add_argument("--json", action="store_true", help="machine-readable output")
    audit_parser.add_argument("--all", action="store_true", help="show decided differences too")
    audit_parser.set_defaults(run=cmd_audit)
