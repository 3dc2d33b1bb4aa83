"""`gobo artwork ...`: the library from the command line.

Works directly on the SQLite library in [paths] state, so it needs no running
daemon; the daemon sees the changes through the shared database (WAL).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from artwork import STYLES, Inbox, Library, RejectedDrawing
from artwork.contact_sheet import write_contact_sheet
from artwork.derivatives import describe_changes, read_manifest
from artwork.library import STATUSES, ArtworkRecord, LibraryError
from controller.artwork_targets import targets_for_patch
from controller.commands.common import (
    CommandFailed,
    UsageError,
    add_common_options,
    add_json_option,
    load_config,
    new_command,
    print_json,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "artwork", help="the artwork library", description="the artwork library"
    )
    add_common_options(parser)
    commands = parser.add_subparsers(dest="artwork_command", metavar="ACTION")
    commands.required = True

    listing = new_command(commands, "list", "list artworks, oldest first", run_list)
    listing.add_argument("--status", choices=STATUSES, help="only artworks with this status")
    add_json_option(listing)

    show = new_command(commands, "show", "one artwork's record and files", run_show)
    show.add_argument("id", help="artwork id or a unique prefix of it")
    add_json_option(show)

    for name, status, text in (
        ("approve", "approved", "let the show project an artwork"),
        ("retire", "retired", "take an artwork out of the show, keeping it"),
        ("reject", "rejected", "refuse an artwork (kept in the library, never shown)"),
    ):
        command = new_command(commands, name, text, run_status)
        command.add_argument("id", help="artwork id or a unique prefix of it")
        if name == "reject":
            command.add_argument("--reason", metavar="TEXT", help="why, as the console shows it")
        command.set_defaults(new_status=status, reason=None)
        add_json_option(command)

    style = new_command(
        commands, "style", "choose how an artwork's gobos show it; they are redrawn", run_style
    )
    style.add_argument("id", help="artwork id or a unique prefix of it")
    style.add_argument(
        "style", choices=(*STYLES, "auto"),
        help="lines: strokes glow; fills: coloured areas glow, dark lines stay dark; "
        "painting: the painting's shapes; auto: the converter's choice",
    )
    add_json_option(style)

    compare = new_command(
        commands, "compare", "write an artwork's comparison sheet (original beside results)",
        run_compare,
    )
    compare.add_argument("id", help="artwork id or a unique prefix of it")
    compare.add_argument("--out", metavar="FILE", required=True, help="PNG file to write")

    preview = new_command(
        commands, "preview", "print (or copy) an artwork's preview PNG", run_preview
    )
    preview.add_argument("id", help="artwork id or a unique prefix of it")
    preview.add_argument("--out", metavar="FILE", help="copy the preview to FILE")

    add = new_command(commands, "add", "ingest drawings as the inbox would", run_add)
    add.add_argument("files", nargs="+", metavar="FILE", help="drawing files (left in place)")
    add.add_argument("--credit", metavar="NAME", help="who made them (default: none)")
    add_json_option(add)

    inbox = new_command(
        commands, "inbox", "take the drawings waiting in the inbox now, once", run_inbox
    )
    add_json_option(inbox)

    sheet = new_command(commands, "sheet", "write a contact sheet of the library", run_sheet)
    sheet.add_argument("--out", metavar="FILE", required=True, help="PNG file to write")
    sheet.add_argument("--status", choices=STATUSES, help="only artworks with this status")


@contextmanager
def _library(args: argparse.Namespace) -> Iterator[Library]:
    config = load_config(args)
    # What a technician adds stays writable for group gobo, the daemon's group, like the
    # daemon's own files (UMask=0007): it may later write derivatives for a new fixture there.
    umask = os.umask(0)
    os.umask(umask & 0o007)
    try:
        yield Library(config.state_dir)
    except LibraryError as exc:
        raise CommandFailed(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise CommandFailed(f"library {config.state_dir}/library.sqlite3: {exc}") from None
    except PermissionError as exc:
        raise CommandFailed(f"{exc.filename}: permission denied (join group gobo)") from None
    except OSError as exc:
        raise CommandFailed(f"{exc.filename or config.state_dir}: {exc.strerror or exc}") from None
    finally:
        os.umask(umask)


def _line(record: ArtworkRecord) -> str:
    added = record.added_at.astimezone().strftime("%Y-%m-%d %H:%M")
    colour = record.palette[0][0] if record.palette else "-"
    return (
        f"{record.id}  {record.status:<8}  {added}  {colour:<7}  "
        f"{record.credit or '-'}  ({record.original_name})"
    )


def run_list(args: argparse.Namespace) -> int:
    with _library(args) as library:
        records = library.list(args.status)
    if args.json:
        print_json([record.to_json() for record in records])
    elif not records:
        print("no artworks" + (f" with status {args.status}" if args.status else ""))
    else:
        for record in records:
            print(_line(record))
    return 0


def run_show(args: argparse.Namespace) -> int:
    with _library(args) as library:
        record = library.get(args.id)
        files = library.files(record.id)
    if args.json:
        print_json({**record.to_json(), "files": {k: str(v) for k, v in files.items()}})
        return 0
    print(f"id:        {record.id}  (sha256 {record.sha256})")
    print(f"status:    {record.status}" + (f" ({record.reason})" if record.reason else ""))
    print(f"credit:    {record.credit or '-'}")
    print(f"original:  {record.original_name} -> {record.original}")
    print(f"added:     {record.added_at.astimezone().isoformat(timespec='seconds')}")
    if record.approved_at:
        print(f"approved:  {record.approved_at.astimezone().isoformat(timespec='seconds')}")
    print("palette:   " + ", ".join(f"{c} {w:.0%}" for c, w in record.palette))
    manifest = read_manifest(record.directory)
    reason = manifest.get("style", {}).get("reason", "")
    print(f"style:     {record.style} (chosen by the {record.style_chosen_by}"
          + (f"; the converter: {reason})" if reason else ")"))
    cleanup = describe_changes(manifest.get("cleanup", []))
    if cleanup:
        print(f"cleanup:   {cleanup}")
    for key, info in manifest.get("gobos", {}).items():
        done = describe_changes(info.get("changes", [])) or "no changes"
        print(f"gobo:      {key}: {done}")
    for warning in record.warnings:
        print(f"warning:   {warning}")
    for name, path in files.items():
        print(f"file:      {name:<20} {path}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    with _library(args) as library:
        record = library.set_status(args.id, args.new_status, args.reason)
    if args.json:
        print_json(record.to_json())
    else:
        why = f": {record.reason}" if record.reason else ""
        print(f"{record.id} is now {record.status}{why}")
    return 0


def run_style(args: argparse.Namespace) -> int:
    config = load_config(args)
    chosen = None if args.style == "auto" else args.style
    with _library(args) as library:
        try:
            record = library.set_style(
                args.id, chosen, targets_for_patch(config.patch), config.artwork
            )
        except RejectedDrawing as exc:
            raise CommandFailed(f"{args.id}: not redrawn as {args.style}: {exc.reason}") from None
    if args.json:
        print_json(record.to_json())
    else:
        print(f"{record.id} is drawn as {record.style} (chosen by the {record.style_chosen_by})")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    # The sheet loads OpenCV: imported here, not in `gobo daemon`, which shares the CLI.
    from artwork.compare import write_comparison

    with _library(args) as library:
        record = library.get(args.id)
    try:
        out = write_comparison(record.directory, record.original, Path(args.out))
    except OSError as exc:
        raise CommandFailed(f"{args.out}: {exc.strerror or exc}") from None
    print(out)
    return 0


def run_preview(args: argparse.Namespace) -> int:
    with _library(args) as library:
        preview = library.files(args.id).get("preview")
    if preview is None:
        raise CommandFailed(f"artwork {args.id} has no preview.png")
    if args.out:
        out = Path(args.out)
        try:
            shutil.copyfile(preview, out)
        except OSError as exc:
            raise CommandFailed(f"{out}: {exc.strerror}") from None
        preview = out
    print(preview)
    return 0


def run_add(args: argparse.Namespace) -> int:
    config = load_config(args)
    targets = targets_for_patch(config.patch)
    results: list[dict[str, object]] = []
    missing = [n for n in args.files if not Path(n).exists() and not Path(n).is_symlink()]
    if missing:  # checked before adding any, so no half-done run goes unreported
        raise UsageError(f"{missing[0]}: no such file")
    with _library(args) as library:
        for name in args.files:
            try:
                added = library.add(Path(name), args.credit, targets, config.artwork)
            except RejectedDrawing as exc:
                results.append({"file": name, "result": "refused", "reason": str(exc)})
                continue
            except Exception as exc:  # a site or converter fault: the other files still go in
                reason = f"not added: {type(exc).__name__}: {exc}"
                results.append({"file": name, "result": "refused", "reason": reason})
                continue
            result = "duplicate" if added.duplicate else "added"
            results.append({"file": name, "result": result, **added.record.to_json()})
    if args.json:
        print_json(results)
    else:
        for entry in results:
            if entry["result"] == "refused":
                print(f"refused   {entry['file']}: {entry['reason']}")
            else:
                print(f"{entry['result']:<9} {entry['id']} {entry['status']:<8} {entry['file']}")
    refused = [entry for entry in results if entry["result"] == "refused"]
    if refused:
        raise CommandFailed(f"{len(refused)} of {len(results)} files refused")
    return 0


def run_inbox(args: argparse.Namespace) -> int:
    config = load_config(args)
    with _library(args) as library:
        inbox = Inbox(
            config.inbox_dir, library, lambda: targets_for_patch(config.patch), config.artwork
        )
        outcomes = inbox.process_existing()
    rows = [
        {
            "file": str(outcome.source),
            "result": "refused" if outcome.result is None
            else "duplicate" if outcome.result.duplicate else "added",
            "id": outcome.result.record.id if outcome.result else None,
            "reason": outcome.reason,
            "moved_to": str(outcome.moved_to) if outcome.moved_to else None,
        }
        for outcome in outcomes
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"{config.inbox_dir}: nothing waiting")
    else:
        for row in rows:
            detail = row["id"] if row["id"] else f"{row['reason']} -> {row['moved_to']}"
            print(f"{row['result']:<9} {row['file']}: {detail}")
    return 0


def run_sheet(args: argparse.Namespace) -> int:
    with _library(args) as library:
        records = library.list(args.status)
    try:
        out = write_contact_sheet(records, Path(args.out))
    except OSError as exc:
        raise CommandFailed(f"{args.out}: {exc.strerror or exc}") from None
    print(f"{out} ({len(records)} artworks)")
    return 0
