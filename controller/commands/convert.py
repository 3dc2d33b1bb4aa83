"""`gobo convert IMAGE... --out DIR`: offline conversion, no daemon and no site configuration.

With one image its files go into DIR; with several, each into DIR/<name>/. `--sheet`
writes each conversion's comparison sheet (comparison.png) beside its files.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from artwork import KINDS, SIZES, STYLES, PixelTarget, RejectedDrawing, Settings, gobo_target
from artwork.derivatives import describe_changes
from controller.commands.common import CommandFailed, UsageError, add_json_option, new_command
from controller.commands.common import print_json as print_json_data


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers,
        "convert",
        "convert drawings to gobo artwork, LED pixels and previews (offline)",
        run,
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="photos or scans of drawings")
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
    parser.add_argument(
        "--style", choices=STYLES,
        help="how the gobos show it (default: chosen from the drawing)",
    )
    parser.add_argument(
        "--sheet", action="store_true", help="also write comparison.png: original beside results"
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
    # The converter loads OpenCV: imported here, not in `gobo daemon`, which shares the CLI.
    from artwork.compare import write_comparison
    from artwork.convert import convert_drawing

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
    missing = [name for name in args.images if not Path(name).is_file()]
    if missing:
        raise UsageError(f"{missing[0]}: no such file")
    several = len(args.images) > 1
    reports, failed = [], 0
    for name in args.images:
        where = out / Path(name).stem if several else out
        try:
            result = convert_drawing(Path(name), where, targets, Settings(), args.style)
            if args.sheet:
                result.files["comparison"] = write_comparison(where, Path(name),
                                                              where / "comparison.png")
        except RejectedDrawing as exc:
            if not several:
                raise CommandFailed(f"{name}: refused: {exc.reason}") from None
            failed += 1
            reports.append({"image": name, "refused": exc.reason})
            continue
        except OSError as exc:
            raise CommandFailed(f"{where}: cannot write: {exc.strerror}") from None
        reports.append({
            "image": name,
            "style": result.style,
            "files": {key: str(path) for key, path in result.files.items()},
            "palette": [{"hex": h, "weight": w} for h, w in result.palette],
            "warnings": result.warnings,
            "manifest": result.manifest,
        })
    if args.json:
        print_json_data(reports if several else reports[0])
    else:
        for report in reports:
            _print(report, several)
    return 1 if failed else 0


def _print(report: dict, several: bool) -> None:
    if several:
        print(f"== {report['image']}")
    if "refused" in report:
        print(f"refused: {report['refused']}")
        return
    manifest = report["manifest"]
    print(f"style: {report['style']} ({manifest['style']['reason']})")
    print("cleanup: " + describe_changes(manifest["cleanup"]))
    for warning in report["warnings"]:
        print(f"warning: {warning}")
    for name, path in report["files"].items():
        print(f"{name:24} {path}")
    print("palette: " + ", ".join(f"{c['hex']} {c['weight']:.0%}" for c in report["palette"]))
    for key, info in manifest.get("gobos", {}).items():
        done = describe_changes(info["changes"]) or "no changes"
        print(f"gobo {key}: {info['pixels'][0]} px, {info['dpi']} dpi; {done}")
