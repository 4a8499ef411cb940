"""`matcher plan FILE`: one assessment's plan as JSON (and its timeline as a picture)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from matcher.cli.common import add_folders, folders, read_assessment, report_bad_input
from matcher.model.errors import AssessmentError
from matcher.planning.planner import plan
from matcher.rulebook.build import load


def cmd_plan(args: argparse.Namespace) -> int:
    book = load(*folders(args), probe=False)
    try:
        result = plan(read_assessment(args.file), book, today=args.today, explain=args.explain)
    except (ValidationError, AssessmentError) as error:
        return report_bad_input(error)
    print(result.model_dump_json(indent=2, exclude_none=True))
    if args.timeline:
        from matcher.reports.pictures import draw_timeline  # matplotlib only when asked for

        draw_timeline(result, args.timeline)
        print(f"timeline written to {args.timeline}", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("plan", help="plan one assessment (JSON file)")
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="plan as of this date (YYYY-MM-DD)"
    )
    parser.add_argument("--explain", action="store_true", help="include every rule that fired")
    parser.add_argument(
        "--timeline", type=Path, default=None, help="also draw the plan's timeline (.png or .svg)"
    )
    add_folders(parser)
    parser.set_defaults(run=cmd_plan)
