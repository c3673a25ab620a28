"""``otelkit collector render|check``: write configs from the model, validate any config."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from otelkit._values.keys import WELL_KNOWN_ID_KEYS
from otelkit.collector._bundle import render_files
from otelkit.collector._check import check_text
from otelkit.collector._components import DISTRIBUTIONS
from otelkit.collector._gateway_deploy import gateway_files
from otelkit.collector._model import CollectorModel, Target, model_for
from otelkit.collector._profiles import PROFILES, distribution_for_path
from otelkit.collector._render import render_text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``collector`` subcommand; returns the process exit code.

    0: rendered, or every config is valid. 1: a config has problems (one line each on
    stdout). 2: bad usage or an unreadable file.
    """
    parser = _parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    if args.command == "render":
        return _render(args, sys.stdout, sys.stderr)
    return _check(args, sys.stdout, sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit collector",
        description="Render and validate ADOT collector configs for otelkit services.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    render = commands.add_parser("render", help="write collector configs from one model")
    which = render.add_mutually_exclusive_group()
    which.add_argument("--target", choices=sorted(PROFILES), help="where the collector runs")
    which.add_argument("--all", action="store_true", help="every target (needs --out)")
    render.add_argument("--out", type=Path, help="folder to write into, e.g. collector/")
    render.add_argument(
        "--model",
        help="a service's ops model (YAML): publish its declared metrics in its namespace, "
        "dimension sets and units, which its alarms watch (default target: ecs)",
    )
    render.add_argument("--stage", default="prod", help="stage the --model is rendered for")
    render.add_argument("--region", help="AWS region (default: ${env:AWS_REGION})")
    render.add_argument("--loki-endpoint", help="Loki OTLP base URL, ending in /otlp")
    render.add_argument("--emf-namespace", help="CloudWatch metrics namespace")
    render.add_argument("--emf-log-group", help="log group for EMF metric events")
    render.add_argument(
        "--id-key", action="append", dest="id_keys", help="correlation ID key (repeatable)"
    )
    render.add_argument(
        "--annotation",
        action="append",
        dest="annotation_keys",
        help="bounded attribute X-Ray also indexes, which may be a --dimension too, e.g. "
        "message_type (repeatable)",
    )
    render.add_argument(
        "--dimension",
        action="append",
        dest="dimensions",
        help="extra EMF dimension next to service and environment (repeatable)",
    )
    render.add_argument("--cloudwatch-logs", action="store_true", help="also send logs to CWL")
    render.add_argument("--cloudwatch-log-group", help="log group for --cloudwatch-logs")
    render.add_argument("--bind", dest="bind_host", help="OTLP receivers' listen address")
    render.add_argument(
        "--aws-otlp",
        action="store_true",
        dest="aws_otlp_endpoints",
        help="traces to X-Ray's OTLP endpoint, CloudWatch logs to CloudWatch Logs' OTLP "
        "endpoint (otlphttp + sigv4auth) instead of the awsxray/awscloudwatchlogs exporters",
    )
    render.add_argument(
        "--gateway",
        action="store_true",
        help="also write the gateway tier for ecs/eks under gateway/ (--all does too)",
    )
    render.add_argument(
        "--sampling-percentage",
        type=float,
        help="gateway tier: share of the traces neither failed nor slow that is kept (default 10)",
    )
    render.add_argument(
        "--slow-threshold-ms",
        type=int,
        help="gateway tier: a trace at least this long is kept (default 5000)",
    )

    check = commands.add_parser("check", help="validate collector config files")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.add_argument(
        "--distribution",
        choices=sorted(DISTRIBUTIONS),
        help="collector build to check against (default: the build of the target whose "
        "folder the file is in, e.g. lambda for lambda/config.yaml; adot otherwise)",
    )
    check.add_argument(
        "--id-key",
        action="append",
        dest="id_keys",
        help="extra correlation ID key that must never be an EMF dimension",
    )
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    fields = {
        "region": args.region,
        "loki_endpoint": args.loki_endpoint,
        "emf_namespace": args.emf_namespace,
        "emf_log_group": args.emf_log_group,
        "id_keys": tuple(args.id_keys) if args.id_keys else None,
        "extra_dimensions": tuple(args.dimensions) if args.dimensions else None,
        "annotation_keys": tuple(args.annotation_keys) if args.annotation_keys else None,
        "cloudwatch_logs": args.cloudwatch_logs or None,
        "cloudwatch_log_group": args.cloudwatch_log_group,
        "bind_host": args.bind_host,
        "aws_otlp_endpoints": args.aws_otlp_endpoints or None,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _render(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not (args.all or args.target or args.model):
        err.write("error: give --target, --all or --model\n")
        return 2
    targets: tuple[Target, ...] = tuple(PROFILES) if args.all else (args.target or "ecs",)
    if (args.all or args.gateway) and args.out is None:
        err.write("error: --all and --gateway write several files; give --out\n")
        return 2
    overrides = _overrides(args)
    try:
        if args.model:
            # The one place the collector tooling reads an ops model.
            from otelkit.ops import load_telemetry

            overrides["telemetry"] = load_telemetry(args.model, args.stage)
        models: list[CollectorModel] = [model_for(t, **overrides) for t in targets]
    except (TypeError, ValueError) as exc:
        err.write(f"error: {exc}\n")
        return 2
    if args.out is None:
        out.write(render_text(models[0]))
        return 0
    sampling = {
        key: value
        for key, value in (
            ("sampling_percentage", args.sampling_percentage),
            ("slow_threshold_ms", args.slow_threshold_ms),
        )
        if value is not None
    }
    # Several targets share a file (the IAM policy); it is written and reported once.
    files: dict[str, str] = {}
    try:
        for model in models:
            files.update(render_files(model))
            if args.all or args.gateway:
                files.update(gateway_files(model, **sampling))
    except ValueError as exc:
        err.write(f"error: {exc}\n")
        return 2
    for relative, content in files.items():
        path = args.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        out.write(f"wrote {path}\n")
    return 0


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    id_keys = (*WELL_KNOWN_ID_KEYS, *(args.id_keys or ()))
    status = 0
    for path in args.files:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            err.write(f"{path}: cannot read: {exc.strerror}\n")
            status = 2
            continue
        distribution = (
            DISTRIBUTIONS[args.distribution]
            if args.distribution
            else distribution_for_path(path.parts)
        )
        problems = check_text(text, distribution, id_keys)
        for problem in problems:
            out.write(f"{path}:{problem.line}: {problem.message}\n")
        if not problems:
            out.write(f"{path}: ok ({distribution.title})\n")
        elif status == 0:
            status = 1
    return status
