"""The production layout in deploy/: compose file shape, settings names and values."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from bot.api.routes import health
from bot.settings import Settings, env_names
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?-)([^}]*)|(:?\?)[^}]*)?\}")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return data


def _interpolate(value: str) -> str:
    """What compose substitutes with an empty deploy/.env (required values get a stand-in)."""

    def one(match: re.Match[str]) -> str:
        if match.group(4):
            return f"required-{match.group(1).lower()}"
        return match.group(3) or ""

    return _VARIABLE.sub(one, value)


def test_every_service_has_a_healthcheck() -> None:
    services = _compose()["services"]
    assert {"proxy", "api", "postgres", "redis", "chroma", "vllm"} <= set(services)
    missing = [name for name, service in services.items() if not service.get("healthcheck")]
    assert missing == []
    for name, service in services.items():
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name


def test_api_environment_names_are_settings() -> None:
    environment = _compose()["services"]["api"]["environment"]
    names = [name for name in environment if name.startswith("SUPPORTBOT_")]
    unknown = sorted(set(names) - set(env_names()))
    assert unknown == [], "not a setting of bot/settings.py"
    example = (DEPLOY / "env.example").read_text()
    documented = re.findall(r"^#? ?(SUPPORTBOT_\w+)=", example, re.MULTILINE)
    assert documented and sorted(set(documented) - set(env_names())) == []


def test_api_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = _compose()["services"]["api"]["environment"]
    for name, value in environment.items():
        if name.startswith("SUPPORTBOT_"):
            monkeypatch.setenv(name, _interpolate(str(value)))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.mode == "prod"
    assert settings.database_url.startswith("postgresql://supportbot:required-postgres_password@")
    assert settings.vector.backend == "chroma-http" and settings.vector.host == "chroma"


def test_health_checks_probe_routes_that_exist() -> None:
    routes = {getattr(route, "path", "") for route in health.router.routes}
    compose = (DEPLOY / "docker-compose.yml").read_text()
    readme = (DEPLOY / "README.md").read_text()
    for path in ("/healthz", "/readyz"):
        assert path in routes
        assert path in readme
    assert "/readyz" in compose
