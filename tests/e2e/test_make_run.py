"""What a newcomer does: `orderflow run` (what `make run` starts), then curl-like calls with a
token from `orderflow token`. Orders survive a restart of the whole stack."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stack.processes import free_port

BIN = Path(sys.executable).parent
DEMO_CUSTOMER = "c0ffee00-0000-4000-8000-000000000001"


class Stack:
    def __init__(self, data_dir: Path) -> None:
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")
        }
        self.env.update(
            {
                "ORDERFLOW_DATA_DIR": str(data_dir),
                "ORDERFLOW_API_PORT": str(free_port()),
                "ORDERFLOW_DEV_TEMPORAL_PORT": str(free_port()),
                "ORDERFLOW_DEV_UI_PORT": str(free_port()),
                "ORDERFLOW_CARRIER_STEP_SECONDS": "0.5",
                "ORDERFLOW_CARRIER_POLL_SECONDS": "0.5",
            }
        )
        self.api = f"http://127.0.0.1:{self.env['ORDERFLOW_API_PORT']}"
        self.ui = f"http://127.0.0.1:{self.env['ORDERFLOW_DEV_UI_PORT']}"
        self.log = data_dir.parent / "run.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "orderflow"), "run"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.api}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError("stack not ready: " + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C does
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        self.process = None

    def token(self, user: str) -> str:
        out = subprocess.run(
            [str(BIN / "orderflow"), "token", user],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def call(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(user)}", **kwargs.pop("headers", {})}
        response = httpx.request(method, f"{self.api}{path}", headers=headers, timeout=30, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def wait_status(self, order_id: str, status: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            order = self.call("admin", "GET", f"/orders/{order_id}")
            if order["status"] == status:
                return order
            assert time.monotonic() < deadline, f"{order_id} is {order['status']}, not {status}"
            time.sleep(0.3)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(tmp_path / "data")
    try:
        yield s
    finally:
        s.stop()


def order(payment: str) -> dict[str, Any]:
    return {
        "channel": "web",
        "customer": {"id": DEMO_CUSTOMER},
        "lines": [{"sku": "LAMP-01", "quantity": 1}],
        "shipping": {"method": "standard"},
        "payment": {"method": payment},
    }


@pytest.mark.timeout(400)
def test_run_serves_orders_to_completion_and_survives_a_restart(stack: Stack) -> None:
    stack.start()
    assert httpx.get(stack.ui, timeout=5).status_code == 200  # the Temporal UI
    assert len(stack.call("admin", "GET", "/products")) >= 4  # the demo seed
    cod = stack.call(
        "shop", "POST", "/orders", json=order("cod"), headers={"Idempotency-Key": "e2e-1"}
    )
    stack.wait_status(cod["order_id"], "COMPLETED")
    prepaid = stack.call("shop", "POST", "/orders", json=order("prepaid"))
    waiting = stack.wait_status(prepaid["order_id"], "AWAITING_PAYMENT")
    # The demo charges shipping: a 1.2 kg lamp of 39.90 ships standard for 4.90, both at 19 %.
    assert (waiting["totals"]["shipping"], waiting["totals"]["total"]) == ("4.90", "53.31")

    stack.stop()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{stack.api}/healthz", timeout=2)
    stack.start()

    again = stack.call(
        "shop", "POST", "/orders", json=order("cod"), headers={"Idempotency-Key": "e2e-1"}
    )
    assert again["order_id"] == cod["order_id"]  # the seed and the key survived, no new order
    stack.call(
        "finance",
        "POST",
        f"/orders/{prepaid['order_id']}/payments",
        json={"reference": "e2e-pay", "amount": "53.31", "method": "card"},
    )
    done = stack.wait_status(prepaid["order_id"], "COMPLETED")
    assert done["shipments"][0]["status"] == "delivered"


def temporal_processes_on(data_dir: Path) -> list[int]:
    """PIDs of dev servers whose command line names this data folder's Temporal database."""
    return processes_naming(str((data_dir / "temporal.db").resolve()))


def processes_naming(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in command:
            pids.append(int(entry.name))
    return pids


def gone(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and _not_zombie(p)]
        if not alive:
            return True
        time.sleep(0.2)
    return False


def _not_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(300)
def test_kill_9_leaves_nothing_behind_and_an_orphan_is_stopped(
    stack: Stack, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    stack.start()
    servers = temporal_processes_on(data)
    assert len(servers) == 1
    assert stack.process is not None
    stack.process.kill()  # kill -9: no cleanup runs in the launcher
    stack.process.wait()
    stack.process = None
    assert gone(servers, within=20), "the Temporal dev server outlived kill -9 of make run"

    # An orphan of an older run (started outside any launcher) on our ports and data folder.
    env = stack.env
    orphan = subprocess.Popen(
        [
            str(BIN / "temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str((data / "temporal.db").resolve()),
            "--ip",
            "127.0.0.1",
            "--port",
            env["ORDERFLOW_DEV_TEMPORAL_PORT"],
            "--ui-port",
            env["ORDERFLOW_DEV_UI_PORT"],
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _listening(int(env["ORDERFLOW_DEV_TEMPORAL_PORT"])):
            assert time.monotonic() < deadline and orphan.poll() is None
            time.sleep(0.2)
        stack.start()  # finds the orphan (and the PostgreSQL kill -9 left), stops them
        assert orphan.wait(timeout=30) is not None
        assert "leftover of an earlier run" in stack.log.read_text()
        assert stack.call("admin", "GET", "/products")
        stack.stop()
        # Nothing of ours outlives a clean stop, PostgreSQL included.
        postgres = processes_naming(f"-D {(data / 'postgres').resolve()} ")
        assert gone(postgres, within=20), "PostgreSQL outlived make run"
    finally:
        if orphan.poll() is None:
            orphan.kill()
            orphan.wait()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.timeout(120)
def test_a_port_held_by_another_program_is_named(stack: Stack) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", int(stack.env["ORDERFLOW_API_PORT"])))
        holder.listen()
        assert stack.log is not None
        with stack.log.open("ab") as log:
            result = subprocess.run(
                [str(BIN / "orderflow"), "run"],
                env=stack.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=90,
            )
    assert result.returncode != 0
    text = stack.log.read_text()
    assert f"port {stack.env['ORDERFLOW_API_PORT']} is in use" in text
    assert "ORDERFLOW_API_PORT" in text
