"""Settings: production refuses development secrets; auth tokens verify every claim."""

import pytest
from pydantic import ValidationError

from api.auth import dev_password, issue_token, verify_token
from config import AuthSettings, Settings
from domain.roles import Role
from stack.cli import main as cli


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERFLOW_MODE", "production")
    with pytest.raises(ValidationError, match="AUTH_JWT_SECRET"):
        Settings()
    monkeypatch.setenv("AUTH_JWT_SECRET", "a-real-secret-from-the-vault-0123456789")
    with pytest.raises(ValidationError, match="AUTH_PAYMENT_WEBHOOK_SECRET"):
        Settings()
    monkeypatch.setenv("AUTH_PAYMENT_WEBHOOK_SECRET", "shared-with-the-gateway-0123456789")
    with pytest.raises(ValidationError, match="ORDERFLOW_CODEC_KEYS"):
        Settings()
    monkeypatch.setenv("ORDERFLOW_CODEC_KEYS", '{"2026-11": "' + "A" * 43 + '="}')
    with pytest.raises(ValidationError, match="AUTH_JWKS_URL"):
        Settings()
    monkeypatch.setenv("AUTH_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    assert Settings().mode == "production"
    assert Settings().codec.codec()  # the key is 32 bytes


def test_nested_settings_read_their_own_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@db/orders")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal:7233")
    monkeypatch.setenv("ORDERFLOW_APPROVAL_WAIT", "PT2H")
    settings = Settings()
    assert settings.database.url == "postgresql+asyncpg://u@db/orders"
    assert settings.temporal.address == "temporal:7233"
    assert settings.process.timeouts().approval_wait.total_seconds() == 7200


def test_token_round_trip_carries_user_and_role() -> None:
    auth = AuthSettings()
    principal = verify_token(auth, issue_token(auth, "finance", Role.FINANCE))
    assert (principal.username, principal.role) == ("finance", Role.FINANCE)


def test_development_console_passwords_differ_per_user_and_per_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    auth = AuthSettings()
    cli(["password", "supervisor"])
    assert capsys.readouterr().out.strip() == dev_password(auth, "supervisor")
    assert dev_password(auth, "supervisor") != dev_password(auth, "manager")
    other = AuthSettings(jwt_secret="another-secret-0123456789abcdef-xyz")
    assert dev_password(other, "supervisor") != dev_password(auth, "supervisor")
