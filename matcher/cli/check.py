"""`matcher check`: every problem in the rules and catalogue, with file:line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from matcher.cli.common import folders
from matcher.model.errors import RulebookError
from matcher.rulebook.build import build, check


def cmd_check(args: argparse.Namespace) -> int:
    """Check the rules and catalogue; print every problem with file:line; exit 1 on any error."""
    args.rules = args.rules_dir or args.rules
    args.catalogue = args.catalogue_dir or args.catalogue
    rules, catalogue = folders(args, announce=True)
    try:
        checked = check(rules, catalogue)
        if not args.no_engine:
            build(checked, probe=True).engine.close()
    except RulebookError as error:
        for problem in error.problems:
            print(problem)
        errors = sum(p.severity == "error" for p in error.problems)
        print(f"\n{errors} error(s); the rulebook would not load.", file=sys.stderr)
        return 1
    for problem in checked.problems:
        print(problem)
    warnings = sum(p.severity == "warning" for p in checked.problems)
    print(
        f"ok: {len(checked.rules)} rules, {len(checked.catalogue)} interventions, "
        f"{len(checked.stages)} stages, {warnings} warning(s); version {checked.version}"
    )
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="check rules and catalogue, with file:line for every problem"
    )
    parser.add_argument("rules_dir", nargs="?", type=Path, default=None)
    parser.add_argument("catalogue_dir", nargs="?", type=Path, default=None)
    parser.add_argument("--rules", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--catalogue", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-engine", action="store_true", help="skip compiling in durable_rules")
    parser.set_defaults(run=cmd_check)
