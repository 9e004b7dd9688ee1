"""How many failed sign-ins the console takes before it stops trying passwords: per account
from one client (guessing one person's password), and per client across accounts (trying
one password on many). Failed sign-ins are the audit log's refused rows; nothing is kept in
a process, so every API replica counts the same."""

from dataclasses import dataclass
from datetime import timedelta

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5
PER_CLIENT = 20


@dataclass(frozen=True)
class RecentFailures:
    """Refused sign-ins within the window: for this username from this client, and from
    this client for any username."""

    account: int
    client: int


def throttled(recent: RecentFailures) -> bool:
    return recent.account >= PER_ACCOUNT or recent.client >= PER_CLIENT
