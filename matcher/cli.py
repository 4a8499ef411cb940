"""The command line: ``matcher check | plan | test | explain | graph | diff | synth``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from matcher import rulebook as rulebook_module
from matcher.domain import Assessment
from matcher.errors import AssessmentError, RulebookError

Command = Callable[[argparse.Namespace], int]


def _folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules", type=Path, default=rulebook_module.DEFAULT_RULES, help="rules folder"
    )
    parser.add_argument(
        "--catalogue", type=Path, default=rulebook_module.DEFAULT_CATALOGUE, help="catalogue folder"
    )


def cmd_check(args: argparse.Namespace) -> int:
    """Check the rules and catalogue; print every problem with file:line; exit 1 on any error."""
    try:
        checked = rulebook_module.check(args.rules_dir, args.catalogue_dir)
        if not args.no_engine:
            rulebook_module.build(checked, probe=True).engine.close()
    except RulebookError as error:
        for problem in error.problems:
            print(problem)
        errors = sum(p.severity == "error" for p in error.problems)
        print(f"\n{errors} error(s); the rulebook would not load.", file=sys.stderr)
        return 1
    for problem in checked.problems:
        print(problem)
    rules = len(checked.rules)
    print(
        f"ok: {rules} rules, {len(checked.catalogue)} interventions, {len(checked.stages)} stages, "
        f"{sum(p.severity == 'warning' for p in checked.problems)} warning(s); version {checked.version}"
    )
    return 0


def read_assessment(path: Path) -> Assessment:
    return Assessment.model_validate_json(path.read_text(encoding="utf-8"))


def cmd_plan(args: argparse.Namespace) -> int:
    from matcher.planner import plan

    book = rulebook_module.load(args.rules, args.catalogue, probe=False)
    try:
        assessment = read_assessment(args.file)
        result = plan(assessment, book, today=args.today, explain=args.explain)
    except ValidationError as error:
        for detail in error.errors():
            print(f"{'.'.join(map(str, detail['loc']))}: {detail['msg']}", file=sys.stderr)
        return 2
    except AssessmentError as error:
        for field_error in error.errors:
            print(f"{field_error.path}: {field_error.message}", file=sys.stderr)
        return 2
    print(result.model_dump_json(indent=2, exclude_none=True))
    if args.timeline:
        from matcher.pictures import draw_timeline

        draw_timeline(result, args.timeline)
        print(f"timeline written to {args.timeline}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matcher", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser(
        "check", help="check rules and catalogue, with file:line for every problem"
    )
    check.add_argument("rules_dir", nargs="?", type=Path, default=rulebook_module.DEFAULT_RULES)
    check.add_argument(
        "catalogue_dir", nargs="?", type=Path, default=rulebook_module.DEFAULT_CATALOGUE
    )
    check.add_argument("--no-engine", action="store_true", help="skip compiling in durable_rules")
    check.set_defaults(run=cmd_check)

    plan = sub.add_parser("plan", help="plan one assessment (JSON file)")
    plan.add_argument("file", type=Path)
    plan.add_argument(
        "--today", type=date.fromisoformat, default=None, help="plan as of this date (YYYY-MM-DD)"
    )
    plan.add_argument("--explain", action="store_true", help="include every rule that fired")
    plan.add_argument(
        "--timeline", type=Path, default=None, help="also draw the plan's timeline (.png or .svg)"
    )
    _folders(plan)
    plan.set_defaults(run=cmd_plan)

    for module in _EXTRA.values():
        importlib.import_module(module).register(sub, _folders)
    return parser


# Commands that live in their own modules: each module has register(subparsers, folders).
_EXTRA = {
    "test": "matcher.scenarios",
    "explain": "matcher.explain",
    "graph": "matcher.pictures",
    "diff": "matcher.impact",
    "synth": "matcher.synth",
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
