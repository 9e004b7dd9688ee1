"""Child processes of `make run` that never outlive it, and leftovers of runs that did.

`kill -9` of the launcher cannot run its cleanup: each child therefore asks the kernel for a
SIGTERM when its parent dies (Linux PR_SET_PDEATHSIG). Embedded PostgreSQL daemonizes and so
outlives it, and a run from before PDEATHSIG may have left a Temporal dev server: the next run
finds such leftovers by their command lines (our data folder's files), stops them, and says
so.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child between fork and exec."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_child(args: list[str], log_file: Path, env: dict[str, str] | None = None) -> "Child":
    log = log_file.open("ab")
    process = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent
    )
    return Child(process)


class Child:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 15) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _command_lines() -> dict[int, str]:
    found: dict[int, str] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
    return found


def stop_leftovers(
    marker: str, say: Callable[[str], None], stop_signal: signal.Signals = signal.SIGTERM
) -> list[int]:
    """Stop processes of ours whose command line names marker (our data folder's files)."""
    stopped = []
    for pid, command in _command_lines().items():
        if pid == os.getpid() or marker not in command:
            continue
        say(f"stopping a leftover of an earlier run (pid {pid}): {command[:120]}")
        try:
            os.kill(pid, stop_signal)
        except ProcessLookupError:
            continue
        if not _gone_within(pid, 15):
            os.kill(pid, signal.SIGKILL)
            _gone_within(pid, 5)
        stopped.append(pid)
    return stopped


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if zombie(pid):  # exited; its parent has not reaped it yet
            return True
        # A child of ours that exited is a zombie until reaped; others are reaped by init.
        try:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return True
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return False


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def free_port() -> int:
    """A port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0
