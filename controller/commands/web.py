"""`gobo web`: the web console, and `gobo web user add|remove|list` for its users."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from controller.commands.common import (
    CommandFailed,
    UsageError,
    add_common_options,
    add_json_option,
    load_config,
    new_command,
    print_json,
)

if TYPE_CHECKING:
    from controller.web.users import UserStore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = new_command(
        subparsers, "web", "the web console for curators, artists and technicians", run_serve
    )
    actions = parser.add_subparsers(dest="web_command", metavar="ACTION")
    user = actions.add_parser("user", help="console users", description="console users")
    add_common_options(user)
    user_actions = user.add_subparsers(dest="user_command", metavar="ACTION")
    user_actions.required = True

    add = new_command(user_actions, "add", "add a user, or give one a new role and password",
                      run_add)
    add.add_argument("name", help="user name: lower-case letters, digits, '.', '_', '-'")
    add.add_argument("--role", required=True, choices=("artist", "curator", "technician"),
                     help="artist uploads; curator also approves; technician also controls")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    remove = new_command(user_actions, "remove", "remove a user (their sessions end)", run_remove)
    remove.add_argument("name")
    listing = new_command(user_actions, "list", "list users and roles", run_list)
    add_json_option(listing)


def _store(args: argparse.Namespace) -> UserStore:
    from controller.web.settings import USERS_FILE
    from controller.web.users import UserStore  # late: `gobo --help` need not load argon2

    config = load_config(args)
    return UserStore(config.state_dir / USERS_FILE)


def run_serve(args: argparse.Namespace) -> int:
    from controller.web.server import serve

    config = load_config(args)
    return serve(config, config.web)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CommandFailed("the two passwords differ; nothing changed")
    return first


@contextmanager
def _users_file(store: UserStore) -> Iterator[None]:
    """A refusal or an unwritable users file as one line for the technician."""
    from controller.web.users import UserError

    try:
        yield
    except UserError as exc:
        raise CommandFailed(str(exc)) from None
    except OSError as exc:
        raise CommandFailed(f"{store.path}: {exc.strerror} (run as the gobo user?)") from None


def run_add(args: argparse.Namespace) -> int:
    from controller.web.users import check_name

    store = _store(args)
    with _users_file(store):
        check_name(args.name)
        existed = store.get(args.name) is not None
        store.add(args.name, args.role, _password(args.password_stdin))
    print(f"{'updated' if existed else 'added'} {args.name} ({args.role})")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    store = _store(args)
    with _users_file(store):
        store.remove(args.name)
    print(f"removed {args.name}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    store = _store(args)
    with _users_file(store):
        users = sorted(store.users().values(), key=lambda u: u.name)
    rows = [
        {"name": u.name, "role": u.role,
         "created": datetime.fromtimestamp(u.created).astimezone().isoformat(timespec="seconds")}
        for u in users
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        print("no console users (add one: gobo web user add NAME --role curator)")
    else:
        for row in rows:
            print(f"{row['name']:<20} {row['role']:<11} added {row['created']}")
    return 0
