"""Settings: env parsing, validation errors, and every field documented in .env.example."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, env_example, env_names
from tests.conftest import ROOT


def test_every_setting_is_documented() -> None:
    documented = (ROOT / ".env.example").read_text()
    missing = [name for name in env_names() if f"{name}=" not in documented]
    assert missing == []
    assert documented == env_example(), "run: supportbot check-config --env-example > .env.example"


def test_env_nested_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTBOT_SEARCH__DENSE_WEIGHT", "0.3")
    monkeypatch.setenv("SUPPORTBOT_LLM__API_KEY", "sk-secret")
    monkeypatch.setenv("SUPPORTBOT_API__CORS_ORIGINS", '["https://shop.example"]')
    settings = Settings()
    assert settings.search.dense_weight == 0.3
    assert settings.api.cors_origins == ["https://shop.example"]
    assert "sk-secret" not in settings.model_dump_json()
    assert settings.database_url == "sqlite:///data/supportbot.db"


def test_inconsistent_backends_are_refused() -> None:
    with pytest.raises(ValidationError, match="SUPPORTBOT_LLM__MODEL"):
        Settings(llm={"backend": "openai-compatible"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="SUPPORTBOT_VECTOR__HOST"):
        Settings(vector={"backend": "chroma-http"})  # type: ignore[arg-type]


def test_a_missing_mail_ca_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SUPPORTBOT_MAIL__CA_FILE: no such file"):
        Settings(mail={"ca_file": str(tmp_path / "ca.pem")})  # type: ignore[arg-type]
    (tmp_path / "ca.pem").write_text("")
    assert Settings(mail={"ca_file": str(tmp_path / "ca.pem")}).mail.ca_file  # type: ignore[arg-type]
