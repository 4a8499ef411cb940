"""`matcher propose FILE.json`: the requirements to propose to the court, and the plan they allow."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from matcher.cli.common import add_folders, folders, read_assessment, report_bad_input
from matcher.model.errors import AssessmentError
from matcher.planning.proposals import propose
from matcher.rulebook.build import load


def cmd_propose(args: argparse.Namespace) -> int:
    book = load(*folders(args), probe=False)
    try:
        result = propose(read_assessment(args.file), book, today=args.today)
    except (ValidationError, AssessmentError) as error:
        return report_bad_input(error)
    print(result.model_dump_json(indent=2, exclude_none=True))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "propose", help="requirements to propose to the court for one assessment (JSON file)"
    )
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="as of this date (YYYY-MM-DD)"
    )
    add_folders(parser)
    parser.set_defaults(run=cmd_propose)
