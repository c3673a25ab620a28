"""``otelkit ops render MODEL --stage STAGE --out DIR``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from otelkit._cli.support import parse_or_exit_code
from otelkit._values.terminal import printable


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit ops``; 0 rendered, 1 the model is invalid, 2 bad usage."""
    args = parse_or_exit_code(_parser(), argv)
    if isinstance(args, int):
        return args

    from otelkit.ops._model import ModelError
    from otelkit.ops._parse import load_model
    from otelkit.ops._render import render as render_model

    try:
        model = load_model(args.model)
    except OSError as exc:  # no such model, a folder, unreadable
        sys.stderr.write(
            f"otelkit ops render: cannot read {printable(exc.filename)}: {exc.strerror}\n"
        )
        return 2
    except ModelError as exc:
        sys.stderr.write(f"otelkit ops render: {printable(exc)}\n")
        return 1
    try:
        written = render_model(model, args.stage, args.out, preview=args.preview)
    except ModelError as exc:
        sys.stderr.write(f"otelkit ops render: {printable(exc)}\n")
        return 1
    except OSError as exc:  # --out not writable, or a link planted where a folder goes
        sys.stderr.write(
            f"otelkit ops render: cannot write {printable(exc.filename)}: {exc.strerror}\n"
        )
        return 2
    for path in written:
        sys.stdout.write(f"wrote {printable(path)}\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit ops",
        description="Render alarms, dashboards, retention and saved queries from an ops "
        "model (examples under examples/ops/).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="render")
    render = commands.add_parser("render", help="write every output of one model")
    render.add_argument("model", type=Path, help="the model's YAML file")
    render.add_argument("--stage", required=True, help="e.g. dev, stage or prod")
    render.add_argument("--out", type=Path, required=True, help="folder to write into")
    render.add_argument(
        "--preview",
        action="store_true",
        help="also write preview/<dashboard>.html for each dashboard (CloudWatch, "
        "Grafana): its widgets laid out on the dashboard's grid",
    )
    return parser
