"""`gobo convert IMAGE --out DIR`: offline conversion, no daemon and no site configuration."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from artwork import (
    KINDS,
    SIZES,
    PixelTarget,
    RejectedDrawing,
    Settings,
    convert_drawing,
    gobo_target,
)
from controller.commands.common import CommandFailed, UsageError, add_json_option, new_command
from controller.commands.common import print_json as print_json_data


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers,
        "convert",
        "convert one drawing to gobo artwork, LED pixels and a preview (offline)",
        run,
    )
    parser.add_argument("image", metavar="IMAGE", help="photo or scan of a drawing")
    parser.add_argument("--out", metavar="DIR", required=True, help="directory for the results")
    parser.add_argument(
        "--gobo-size", metavar="S", default="B", help=f"gobo size ({', '.join(SIZES)}; default B)"
    )
    parser.add_argument(
        "--gobo-kind",
        metavar="KIND",
        action="append",
        help=f"{'|'.join(KINDS)} (repeatable; default steel and glass)",
    )
    parser.add_argument("--image-mm", type=float, metavar="MM", help="override image diameter")
    parser.add_argument("--flip", action="store_true", help="mirror for mirror optics")
    parser.add_argument(
        "--keystone", metavar="TILTxBEAM", help="pre-warp for a tilted mount, e.g. 20x26 (degrees)"
    )
    parser.add_argument(
        "--pixels", metavar="WxH", action="append", help="LED pixel grid, e.g. 16x6 (repeatable)"
    )
    add_json_option(parser)


def _pair(text: str, option: str, kind: type) -> tuple:
    found = re.fullmatch(r"\s*(-?[\d.]+)\s*x\s*([\d.]+)\s*", text)
    try:
        if found:
            return kind(found.group(1)), kind(found.group(2))
    except ValueError:
        pass
    raise UsageError(f"{option} {text!r}: expected two numbers like 16x6")


def run(args: argparse.Namespace) -> int:
    kinds = args.gobo_kind or ["steel", "glass"]
    keystone = _pair(args.keystone, "--keystone", float) if args.keystone else None
    targets: list = []
    try:
        for kind in dict.fromkeys(kinds):
            targets.append(
                gobo_target(kind, args.gobo_size, args.image_mm, args.flip, keystone)
            )
        for spec in args.pixels or []:
            targets.append(PixelTarget(*_pair(spec, "--pixels", int)))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out)
    try:
        result = convert_drawing(Path(args.image), out, targets, Settings())
    except RejectedDrawing as exc:
        raise CommandFailed(f"{args.image}: refused: {exc.reason}") from None
    except OSError as exc:
        raise CommandFailed(f"{out}: cannot write: {exc.strerror}") from None
    if args.json:
        print_json_data({
            "files": {name: str(path) for name, path in result.files.items()},
            "palette": [{"hex": h, "weight": w} for h, w in result.palette],
            "warnings": result.warnings,
            "manifest": result.manifest,
        })
        return 0
    for warning in result.warnings:
        print(f"warning: {warning}")
    for name, path in result.files.items():
        print(f"{name:24} {path}")
    print("palette: " + ", ".join(f"{h} {w:.0%}" for h, w in result.palette))
    for key, info in result.manifest.get("gobos", {}).items():
        done = "; ".join(_change(c) for c in info["changes"]) or "no changes"
        print(f"gobo {key}: {info['pixels'][0]} px, {info['dpi']} dpi; {done}")
    return 0


def _change(change: dict) -> str:
    count = change.get("count")
    return f"{change['change']} ({count})" if count is not None else change["change"]
