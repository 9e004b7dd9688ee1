"""docker-compose.yml is the production shape; no Docker engine runs here, so check it parses
and agrees with the code: services, environment names, search attributes, commands."""

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from config import environment_names
from stack.cli import main as cli_main
from stack.run import KEEP_ALIVE_SECONDS
from worker import GRACEFUL_SHUTDOWN
from workflows import search_attributes

ROOT = Path(__file__).resolve().parents[2]
# nginx's default keepalive_timeout (deploy/nginx.conf keeps it), and cloud balancers' idle 60 s.
NGINX_KEEPALIVE_SECONDS = 60


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
            "ORDERFLOW_CODEC_KEYS",
        } <= set(env)
        assert env["ORDERFLOW_MODE"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgresql:5432/" in env["DATABASE_URL"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
        assert service["build"] == "."


def dockerfile_command() -> list[str]:
    cmd = next(x for x in (ROOT / "Dockerfile").read_text().splitlines() if x.startswith("CMD"))
    parsed: list[str] = json.loads(cmd.removeprefix("CMD "))
    return parsed


def test_commands_exist() -> None:
    services = compose()["services"]
    assert services["api"]["command"][:3] == ["uvicorn", "--factory", "api.app:create_app"]
    # The proxy's idle connections must not meet an API that closes them first.
    for command in (services["api"]["command"], dockerfile_command()):
        keep_alive = command[command.index("--timeout-keep-alive") + 1]
        assert int(keep_alive) == KEEP_ALIVE_SECONDS > NGINX_KEEPALIVE_SECONDS
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
    copied = next(x for x in dockerfile.splitlines() if x.startswith("COPY worker.py"))
    modules = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    # `pip install .` fails on a py-module the image lacks (temporal_client.py once was).
    assert {f"{m}.py" for m in modules["py-modules"]} <= set(copied.split())


def test_the_image_carries_the_consoles_front_end_libraries() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "npm ci" in dockerfile and "npm ci" in makefile
    for library in ("htmx.org/dist/htmx.min.js", "chart.js/dist/chart.umd.min.js"):
        assert library in dockerfile and library in makefile
    assert "./api/console/static/vendor/" in dockerfile


def test_the_temporal_ui_opens_payloads_through_the_api_codec_endpoint() -> None:
    ui = compose()["services"]["temporal-ui"]["environment"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"].endswith("/codec")
    assert ui["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    api = compose()["services"]["api"]["environment"]
    assert ui["TEMPORAL_CORS_ORIGINS"] in api["ORDERFLOW_CODEC_CORS_ORIGINS"]


def test_api_and_worker_run_as_replicas_behind_one_address() -> None:
    services = compose()["services"]
    for name in ("api", "worker"):
        replicas = services[name]["deploy"]["replicas"]
        # "${ORDERFLOW_API_REPLICAS:-2}": the default after ":-".
        assert int(str(replicas).rsplit(":-", 1)[-1].rstrip("}")) >= 2, name
    assert "ports" not in services["api"]  # replicas cannot share a host port
    proxy = services["proxy"]
    assert "8000:8000" in proxy["ports"]
    mounted = proxy["volumes"][0].split(":")[0]
    config = (ROOT / mounted).read_text()
    assert "proxy_pass $api" in config and "http://api:8000" in config


def kubernetes() -> dict[tuple[str, str], Any]:
    docs = yaml.safe_load_all((ROOT / "deploy/kubernetes/orderflow.yaml").read_text())
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def container(manifest: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = manifest["spec"]["template"]["spec"]["containers"][0]
    return found


def test_kubernetes_runs_what_compose_runs_with_known_settings() -> None:
    k8s, services = kubernetes(), compose()["services"]
    assert container(k8s["Deployment", "orderflow-api"])["command"] == services["api"]["command"]
    assert container(k8s["Deployment", "orderflow-worker"])["command"] == ["orderflow", "worker"]
    assert container(k8s["Job", "orderflow-migrate"])["command"] == ["orderflow", "migrate"]
    search = container(k8s["Job", "orderflow-search-attributes"])["command"]
    assert search[:3] == ["orderflow", "search-attributes", "--address"]
    settings = k8s["ConfigMap", "orderflow-settings"]["data"]
    assert set(settings) <= environment_names()
    assert settings["ORDERFLOW_MODE"] == "production"
    assert search[3] == settings["TEMPORAL_ADDRESS"]
    for name in ("orderflow-api", "orderflow-worker"):
        deployment = k8s["Deployment", name]
        assert deployment["spec"]["replicas"] >= 2
        sources = {next(iter(s.values()))["name"] for s in container(deployment)["envFrom"]}
        assert sources == {"orderflow-settings", "orderflow-secrets"}
        assert k8s["HorizontalPodAutoscaler", name]["spec"]["minReplicas"] >= 2
    api = container(k8s["Deployment", "orderflow-api"])
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # The worker stops gracefully (worker.GRACEFUL_SHUTDOWN) before Kubernetes kills it.
    worker_spec = k8s["Deployment", "orderflow-worker"]["spec"]["template"]["spec"]
    assert worker_spec["terminationGracePeriodSeconds"] > GRACEFUL_SHUTDOWN.total_seconds()


def test_temporal_chart_values_put_temporal_on_postgresql() -> None:
    values = yaml.safe_load((ROOT / "deploy/kubernetes/temporal-values.yaml").read_text())
    config = values["server"]["config"]
    shards = config["numHistoryShards"]
    assert shards & (shards - 1) == 0  # a power of two, fixed for the cluster's life
    for store in ("default", "visibility"):
        assert config["persistence"][store]["sql"]["driver"] == "postgres12"
    assert not values["elasticsearch"]["enabled"] and not values["cassandra"]["enabled"]
    codec = {e["name"]: e["value"] for e in values["web"]["additionalEnv"]}
    assert codec["TEMPORAL_CODEC_ENDPOINT"].endswith("/codec")
