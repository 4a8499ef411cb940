"""The command line: ``matcher check | plan | replan | test | explain | graph | diff | synth |
new | catalogue audit | erase | purge | db upgrade``.

Also ``python -m matcher.cli.main``.
"""

from __future__ import annotations

import argparse
import sys

from matcher.cli import (
    catalogue,
    check,
    diff,
    explain,
    graph,
    new,
    plan,
    propose,
    records,
    replan,
    report,
    synth,
    test,
    token,
)

COMMANDS = (
    check,
    plan,
    replan,
    propose,
    test,
    explain,
    graph,
    diff,
    synth,
    new,
    catalogue,
    records,
    report,
    token,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matcher", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
