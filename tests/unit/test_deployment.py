"""docker-compose.yml is the production shape; no Docker engine runs here, so check it parses
and agrees with the code: services, environment names, search attributes, commands."""

import re
from pathlib import Path
from typing import Any

import yaml

from config import environment_names
from stack.cli import main as cli_main
from workflows import search_attributes

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_every_service_the_code_expects_is_there() -> None:
    services = compose()["services"]
    assert {
        "postgresql",
        "temporal",
        "temporal-ui",
        "temporal-search-attributes",
        "migrate",
        "worker",
        "api",
    } <= set(services)
    assert services["temporal"]["image"].startswith("temporalio/auto-setup")
    assert services["temporal"]["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert services["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_app_services_are_configured_only_with_known_settings() -> None:
    known = environment_names()
    for name in ("api", "worker", "migrate"):
        service = compose()["services"][name]
        env = service["environment"]
        assert set(env) <= known, f"{name}: unknown settings {set(env) - known}"
        assert {
            "DATABASE_URL",
            "TEMPORAL_ADDRESS",
            "AUTH_JWT_SECRET",
            "AUTH_JWKS_URL",
            "AUTH_PAYMENT_WEBHOOK_SECRET",
        } <= set(env)
        assert env["ORDERFLOW_MODE"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgresql:5432/" in env["DATABASE_URL"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
        assert service["build"] == "."


def test_commands_exist() -> None:
    services = compose()["services"]
    assert services["api"]["command"][:3] == ["uvicorn", "--factory", "api.app:create_app"]
    subcommands = {services[name]["command"][1] for name in ("worker", "migrate")}
    for sub in subcommands:  # argparse exits 0 on --help only for a known subcommand
        try:
            cli_main([sub, "--help"])
        except SystemExit as done:
            assert done.code == 0, sub


def test_the_same_search_attributes_are_registered() -> None:
    command = " ".join(compose()["services"]["temporal-search-attributes"]["command"])
    registered = dict(re.findall(r"--name (\w+) --type (\w+)", command))
    flags = search_attributes.cli_flags()
    expected = dict(flag.split("=") for flag in flags[1::2])
    assert registered == expected


def test_dockerfile_installs_the_project_and_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install" in dockerfile
    for package in ("domain", "workflows", "activities", "db", "api", "stack"):
        assert f"COPY {package} ./{package}" in dockerfile
    assert "worker.py config.py" in dockerfile
