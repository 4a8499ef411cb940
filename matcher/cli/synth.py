"""`matcher synth --n N --seed S`: a synthetic caseload as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from matcher.reports.synth import DEFAULT_PROFILE, generate, load_profile


def cmd_synth(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    try:
        for body in generate(args.n, args.seed, profile):
            out.write(json.dumps(body, separators=(",", ":")) + "\n")
    finally:
        if args.out:
            out.close()
    if args.out:
        print(f"{args.n} assessments written to {args.out}", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add ``matcher synth`` (the rules and catalogue folders are not needed to draw cases)."""
    parser = subparsers.add_parser(
        "synth", help="write N synthetic assessments as JSON lines (no real data)"
    )
    parser.add_argument("--n", type=int, default=1000, help="how many assessments")
    parser.add_argument("--seed", type=int, default=1, help="random seed: same seed, same cases")
    parser.add_argument("--out", type=Path, default=None, help="file to write (default stdout)")
    parser.add_argument(
        "--profile", type=Path, default=DEFAULT_PROFILE, help="caseload profile (YAML)"
    )
    parser.set_defaults(run=cmd_synth)
