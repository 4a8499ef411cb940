"""`matcher graph`: the sequencing policy as a picture and as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from matcher.cli.common import add_folders, folders
from matcher.reports.pictures import draw_policy_graph, policy_graph_json
from matcher.rulebook.build import load


def cmd_graph(args: argparse.Namespace) -> int:
    book = load(*folders(args), probe=False)
    fmt = args.out.suffix.lstrip(".") or "svg"
    draw_policy_graph(book, args.out, fmt)
    print(f"policy graph written to {args.out}")
    if args.json:
        args.json.write_text(json.dumps(policy_graph_json(book), indent=2), encoding="utf-8")
        print(f"policy graph JSON written to {args.json}")
    return 0


def register(sub: Any) -> None:
    graph = sub.add_parser(
        "graph", help="draw the sequencing policy graph (SVG or PNG) and write it as JSON"
    )
    graph.add_argument(
        "--out", type=Path, default=Path("sequencing-graph.svg"), help="picture file (.svg or .png)"
    )
    graph.add_argument("--json", type=Path, default=None, help="also write the graph as JSON here")
    add_folders(graph)
    graph.set_defaults(run=cmd_graph)
