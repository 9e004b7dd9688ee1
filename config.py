"""Settings, read once from the environment through get_settings()."""

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.carrier import ShippingMethod
from domain.confirmation_links import LinkSigner
from domain.documents import InvoiceTerms
from domain.messages import OrderTimeouts

if TYPE_CHECKING:
    from stack.codec import EncryptionCodec

DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"
# Development only (refused in production mode): 32 bytes that everyone knows.
DEV_CODEC_KEY_ID = "dev"
DEV_CODEC_KEY = "ZGV2LW9ubHktY29kZWMta2V5LW5vdC1hLXNlY3JldCE="
DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-0123456789abcdef"


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATABASE_")
    # An asyncpg URL; unset means the embedded PostgreSQL under .data/.
    url: str | None = None
    pool_size: int = 10
    # Seconds: a statement (the server hung or gone), a new connection, a free pooled one.
    command_timeout: float = 10.0
    connect_timeout: float = 5.0
    pool_timeout: float = 5.0


class TemporalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEMPORAL_")
    # host:port of the frontend; unset means the dev server the launcher starts.
    address: str | None = None
    namespace: str = "default"
    task_queue: str = "orders"
    ui_url: str = "http://localhost:8233"


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")
    jwt_secret: str = DEV_JWT_SECRET
    # Signs the payment gateway's webhooks (HMAC-SHA256 of the body): shared with the gateway.
    payment_webhook_secret: str = DEV_WEBHOOK_SECRET
    issuer: str = "orderflow"
    audience: str = "orderflow-api"
    token_ttl: timedelta = timedelta(hours=12)
    # Production: the identity provider's JWKS URL; tokens are then RS256 and verified
    # against its keys. Unset: HS256 with jwt_secret (development).
    jwks_url: str | None = None
    role_claim: str = "role"
    # The console's sign-in through the identity provider (OpenID Connect, authorization code
    # with PKCE): its issuer URL (discovery at /.well-known/openid-configuration) and this
    # application's client. Its access tokens must be the API's (audience, role claim).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scope: str = "openid profile email"


# The process's waits are defined once, on the workflow's input; settings only override them.
_WAITS = OrderTimeouts()


class ProcessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_")
    currency: str = "EUR"
    home_country: str = "DE"
    backorder_wait: timedelta = _WAITS.backorder_wait
    stock_recheck: timedelta = _WAITS.stock_recheck
    approval_wait: timedelta = _WAITS.approval_wait
    payment_wait: timedelta = _WAITS.payment_wait
    credit_days: int = _WAITS.credit_days
    # The simulated carrier moves a parcel one step this often; 0 leaves it to webhooks.
    carrier_step_seconds: float = 0
    carrier_poll_seconds: float = 0
    # manual: the warehouse confirms each shipment's packing (POST /shipments/{id}/packed);
    # auto: a simulated packer confirms it auto_pack_seconds after its pick list (the demo).
    warehouse_confirmation: Literal["manual", "auto"] = "manual"
    auto_pack_seconds: float = 3
    # Per shipping method, where the desk promises other than 5 days standard, 1 express, 3
    # pickup (JSON, e.g. {"standard": "P3D"}).
    promised_delivery: dict[ShippingMethod, timedelta] = {}
    max_body_bytes: int = 256 * 1024
    # An order recorded this long without a workflow (Temporal was down) has it started.
    sweep_after_seconds: float = 30
    # The seller, as every invoice and credit note states it.
    seller_name: str = "Orderflow Demo GmbH"
    seller_address: str = "Leopoldstrasse 1, 80802 Muenchen, DE"
    seller_vat_id: str = "DE123456789"

    def invoice_terms(self) -> InvoiceTerms:
        return InvoiceTerms(
            credit_days=self.credit_days,
            seller={
                "name": self.seller_name,
                "address": self.seller_address,
                "vat_id": self.seller_vat_id,
            },
        )

    def timeouts(self) -> OrderTimeouts:
        poll = timedelta(seconds=self.carrier_poll_seconds) if self.carrier_poll_seconds else None
        return OrderTimeouts(
            backorder_wait=self.backorder_wait,
            stock_recheck=self.stock_recheck,
            approval_wait=self.approval_wait,
            payment_wait=self.payment_wait,
            credit_days=self.credit_days,
            carrier_poll=poll,
            auto_pack_after=(
                timedelta(seconds=self.auto_pack_seconds)
                if self.warehouse_confirmation == "auto"
                else None
            ),
            promised_delivery=self.promised_delivery,
        )


class NotifySettings(BaseSettings):
    """Where messages go: an SMTP server when smtp_host is set, else (development) nowhere
    beyond the outbox, read at GET /notifications."""

    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_NOTIFY_")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    sender: str = "orders@orderflow.example"
    # How often the notifier looks for due messages when none were due.
    poll_seconds: float = 5
    # A message that failed this often is a dead letter; retries wait backoff, 2x, 4x ...
    max_attempts: int = 6
    backoff: timedelta = timedelta(seconds=30)
    # Start the notifier workflow with the worker (tests start it themselves).
    start_notifier: bool = True


class CodecSettings(BaseSettings):
    """The keys that encrypt what Orderflow hands to Temporal (stack/codec.py), and the web
    origins (the Temporal UI) allowed to call the API's codec endpoint from a browser."""

    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_CODEC_")
    # Key id -> base64 of 32 random bytes (`openssl rand -base64 32`). Rotate by adding a key
    # and making it active; keep old keys while histories sealed with them are kept.
    keys: dict[str, str] = {DEV_CODEC_KEY_ID: DEV_CODEC_KEY}
    # The key new payloads are sealed with (may be left unset when there is one key).
    active_key: str | None = None
    cors_origins: list[str] = ["http://localhost:8233", "http://127.0.0.1:8233"]

    def codec(self) -> "EncryptionCodec":
        from stack.codec import EncryptionCodec, parse_keys

        if self.active_key is None and len(self.keys) != 1:
            raise ValueError("ORDERFLOW_CODEC_ACTIVE_KEY must name one of several codec keys")
        active = self.active_key or next(iter(self.keys))
        return EncryptionCodec(parse_keys(self.keys), active)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERFLOW_")
    mode: Literal["development", "production"] = "development"
    data_dir: str = ".data"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Where people reach the API: the base of links sent to customers.
    public_url: str = "http://localhost:8000"
    # Ports of the local dev server that `make run` starts when TEMPORAL_ADDRESS is unset.
    dev_temporal_port: int = 7233
    dev_ui_port: int = 8233
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    process: ProcessSettings = Field(default_factory=ProcessSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    codec: CodecSettings = Field(default_factory=CodecSettings)
    # OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); None: no tracing.
    otlp_endpoint: str | None = None
    log_level: str = "INFO"
    # json: one JSON object per line (for a log pipeline); console: for people.
    log_format: Literal["json", "console"] = "json"
    # host:port where a worker serves the Temporal SDK's metrics for Prometheus (None: off).
    worker_metrics_address: str | None = None
    # Workflows a worker keeps in memory; the rest are evicted and replayed from their history
    # when a message or timer wakes them. It bounds the worker's memory (about 0.03 MB each,
    # `bench.run --mode open_orders`); below the orders in flight, throughput halves.
    worker_cached_workflows: int = Field(default=10_000, ge=1)

    def link_signer(self) -> LinkSigner:
        """Signs and verifies customers' confirmation links (the worker writes them, the API
        checks them)."""
        return LinkSigner(self.auth.jwt_secret, self.auth.issuer, self.public_url)

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> "Settings":
        if self.mode == "production" and self.auth.jwt_secret == DEV_JWT_SECRET:
            # Also signs customers' confirmation links, so it is needed with a JWKS URL too.
            raise ValueError("AUTH_JWT_SECRET must be set to a real secret in production mode")
        if self.mode == "production" and self.auth.payment_webhook_secret == DEV_WEBHOOK_SECRET:
            raise ValueError("AUTH_PAYMENT_WEBHOOK_SECRET must be set in production mode")
        if self.mode == "production" and DEV_CODEC_KEY in self.codec.keys.values():
            raise ValueError("ORDERFLOW_CODEC_KEYS must hold real keys in production mode")
        if self.mode == "production" and not self.auth.jwks_url:
            raise ValueError("AUTH_JWKS_URL must name the identity provider in production mode")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()


def environment_names() -> set[str]:
    """Every environment variable the settings read, for checking deployment files."""
    names: set[str] = set()
    groups: list[type[BaseSettings]] = [
        Settings,
        DatabaseSettings,
        TemporalSettings,
        AuthSettings,
        ProcessSettings,
        NotifySettings,
        CodecSettings,
    ]
    for group in groups:
        prefix = str(group.model_config.get("env_prefix", ""))
        for field_name, info in group.model_fields.items():
            if isinstance(info.default_factory, type) and issubclass(
                info.default_factory, BaseSettings
            ):
                continue
            names.add(f"{prefix}{field_name}".upper())
    return names
