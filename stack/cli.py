"""The `orderflow` command: run the local stack, a worker, or print a token."""

import argparse
import sys

from api.auth import issue_token
from config import get_settings
from stack.seed import SEED_USERS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="orderflow")
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="print a bearer token for a seeded user")
    token.add_argument("username", choices=sorted(SEED_USERS))
    commands.add_parser("run", help="start the whole local stack (what `make run` does)")
    commands.add_parser("worker", help="run a worker against DATABASE_URL and TEMPORAL_ADDRESS")
    commands.add_parser("migrate", help="apply migrations and reference data to DATABASE_URL")
    args = parser.parse_args(argv)
    if args.command == "token":
        print(issue_token(get_settings().auth, args.username, SEED_USERS[args.username]))
    elif args.command == "run":
        from stack.run import main as run

        run()
    elif args.command == "migrate":
        from stack.migrate import main as migrate

        migrate()
    elif args.command == "worker":
        from worker import main as worker

        worker()
    else:  # pragma: no cover - argparse refuses unknown commands
        sys.exit(2)


if __name__ == "__main__":
    main()
