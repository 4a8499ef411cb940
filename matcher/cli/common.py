"""What every command shares: which rules and catalogue folders to read, and reading an assessment."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from matcher.model.contract import Assessment
from matcher.model.errors import AssessmentError
from matcher.rulebook.paths import DEFAULT_CATALOGUE, DEFAULT_RULES

# A folder holding both of these is a rules checkout: commands run inside it read its files.
CHECKOUT_MARKERS = ("rules/vocabulary.yaml", "catalogue")


def default_folders(cwd: Path | None = None) -> tuple[Path, Path]:
    """``./rules`` and ``./catalogue`` inside a rules checkout, otherwise the installed ones.

    >>> default_folders(Path("/nonexistent")) == (DEFAULT_RULES, DEFAULT_CATALOGUE)
    True
    """
    here = cwd or Path.cwd()
    if all((here / marker).exists() for marker in CHECKOUT_MARKERS):
        return here / "rules", here / "catalogue"
    return DEFAULT_RULES, DEFAULT_CATALOGUE


def add_folders(parser: argparse.ArgumentParser) -> None:
    """``--rules`` and ``--catalogue``; unset, they are the checkout's or the installed ones."""
    parser.add_argument("--rules", type=Path, default=None, help="rules folder")
    parser.add_argument("--catalogue", type=Path, default=None, help="catalogue folder")


def folders(args: argparse.Namespace, announce: bool = False) -> tuple[Path, Path]:
    """The folders a command reads; with ``announce``, say which on stderr."""
    rules, catalogue = default_folders()
    chosen = (args.rules or rules, args.catalogue or catalogue)
    if announce:
        print(f"reading rules from {chosen[0]} and catalogue from {chosen[1]}", file=sys.stderr)
    return chosen


def read_assessment(path: Path) -> Assessment:
    return Assessment.model_validate_json(path.read_text(encoding="utf-8"))


BAD_INPUT = 2  # the exit code for an assessment that is not valid


def report_bad_input(error: ValidationError | AssessmentError) -> int:
    """Each bad field of an assessment on stderr, as ``path: message``; the exit code."""
    if isinstance(error, ValidationError):
        for detail in error.errors():
            print(f"{'.'.join(map(str, detail['loc']))}: {detail['msg']}", file=sys.stderr)
    else:
        for field_error in error.errors:
            print(f"{field_error.path}: {field_error.message}", file=sys.stderr)
    return BAD_INPUT
