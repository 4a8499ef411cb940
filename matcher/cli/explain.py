"""`matcher explain FILE`: every rule that fired, and why an intervention was or was not chosen."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from matcher.cli.common import add_folders, folders, read_assessment
from matcher.model.errors import AssessmentError
from matcher.reports.explain import explain, render
from matcher.rulebook.build import load


def cmd_explain(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    book = load(*folders(args), probe=False)
    try:
        answer = explain(read_assessment(args.file), book, args.intervention, args.today)
    except ValidationError as error:
        for detail in error.errors():
            print(f"{'.'.join(map(str, detail['loc']))}: {detail['msg']}", file=sys.stderr)
        return 2
    except AssessmentError as error:
        print(str(error), file=sys.stderr)
        return 2
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=2, default=str) if args.json else render(answer))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="every rule that fired for one assessment, and why an intervention was or was not chosen",
    )
    parser.add_argument("file", type=Path, help="assessment JSON")
    parser.add_argument("--intervention", default=None, help="explain this intervention id")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    parser.add_argument("--json", action="store_true", help="print the explanation as JSON")
    add_folders(parser)
    parser.set_defaults(run=cmd_explain)
