"""The `orderflow` command: run the local stack, a worker, or print a token."""

import argparse
import sys

from api.auth import dev_password, issue_token
from config import get_settings
from domain.roles import Role
from stack.seed import SEED_USERS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="orderflow")
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="print a development bearer token for a user")
    token.add_argument("username", help=f"a seeded user ({', '.join(SEED_USERS)}) or another")
    token.add_argument("--role", choices=[r.value for r in Role], help="for users not seeded")
    password = commands.add_parser(
        "password", help="print a seeded user's development password for the web console"
    )
    password.add_argument("username", help=f"a seeded user ({', '.join(SEED_USERS)})")
    commands.add_parser("run", help="start the whole local stack (what `make run` does)")
    commands.add_parser("worker", help="run a worker against DATABASE_URL and TEMPORAL_ADDRESS")
    commands.add_parser("migrate", help="apply migrations and reference data to DATABASE_URL")
    attributes = commands.add_parser(
        "search-attributes",
        help="register the order search attributes on an existing Temporal cluster",
    )
    attributes.add_argument("--address", help="host:port (default: TEMPORAL_ADDRESS)")
    commands.add_parser(
        "check",
        help="check stock, money and workflow invariants of DATABASE_URL and TEMPORAL_ADDRESS",
    )
    importing = commands.add_parser("import", help="import orders from a CSV or XLSX file")
    importing.add_argument("file", help="one row per order line (see README: Importing orders)")
    importing.add_argument("--dry-run", action="store_true", help="check only, make nothing")
    importing.add_argument("--url", help="the API (default: the local one of make run)")
    importing.add_argument("--user", default="shop", help="a seeded user to import as")
    importing.add_argument("--token", help="a bearer token or API key instead of --user")
    args = parser.parse_args(argv)
    if args.command == "token":
        role = Role(args.role) if args.role else SEED_USERS.get(args.username)
        if role is None:
            parser.error(f"{args.username} is not a seeded user: give --role")
        # The API also checks the users table: the user must exist, be active, have this role.
        print(issue_token(get_settings().auth, args.username, role))
    elif args.command == "password":
        if args.username not in SEED_USERS:
            parser.error(f"{args.username} is not a seeded user")
        print(dev_password(get_settings().auth, args.username))
    elif args.command == "run":
        from stack.run import main as run

        run()
    elif args.command == "migrate":
        from stack.migrate import main as migrate

        migrate()
    elif args.command == "import":
        from stack.importer import main as import_file

        import_file(args.file, args.dry_run, args.url, args.user, args.token)
    elif args.command == "search-attributes":
        from stack.search_attributes import main as register

        register(args.address)
    elif args.command == "check":
        from stack.check import main as check

        check()
    elif args.command == "worker":
        from worker import main as worker

        worker()
    else:  # pragma: no cover - argparse refuses unknown commands
        sys.exit(2)


if __name__ == "__main__":
    main()
