"""Typed configuration: config.toml, overridden key by key by TUWAI_<SECTION>__<KEY> environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from handlers.engine.settings import ProgramSettings

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///data/tuwai.sqlite3"


class TelegramSettings(BaseModel):
    token: SecretStr = SecretStr("")
    api_base: str = "https://api.telegram.org"
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    polling_timeout: int = 25


class WhatsAppTemplate(BaseModel):
    """One approved message template (category UTILITY), used for messages outside the 24-hour window.

    `params` name the body's {{1}}, {{2}}, ... in order: "program" (the programme's name) or "text" (the message,
    on one line). `body` and `buttons` per language are the text submitted for approval (README lists them)."""

    name: str
    category: str = "UTILITY"
    params: list[str] = Field(default_factory=lambda: ["program", "text"])
    body: dict[str, str] = Field(default_factory=dict)
    buttons: dict[str, list[str]] = Field(default_factory=dict)
    # True: the one button shows the message again, with all its own choices (the window is open once they tap).
    opens: bool = False


class WhatsAppSettings(BaseModel):
    phone_number_id: str = ""
    access_token: SecretStr = SecretStr("")
    app_secret: SecretStr = SecretStr("")
    verify_token: SecretStr = SecretStr("")
    graph_base: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    business_number: str = ""
    per_second: float = 80.0
    per_person_per_second: float = 1.0
    daily_limit: int = 1000
    templates: dict[str, WhatsAppTemplate] = Field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.phone_number_id and self.access_token.get_secret_value())


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080


class OutboxSettings(BaseModel):
    telegram_per_second: float = 30.0
    telegram_per_chat_per_second: float = 1.0
    max_attempts: int = 8
    lease_seconds: int = 60
    poll_seconds: float = 1.0
    max_due_age_seconds: int = 900


class SchedulerSettings(BaseModel):
    heartbeat_seconds: int = 300


class SupervisorSettings(BaseModel):
    max_failures: int = 8
    max_backoff_seconds: float = 30.0


class OfficerSettings(BaseModel):
    telegram: list[str] = Field(default_factory=list)
    whatsapp: list[str] = Field(default_factory=list)
    console: list[str] = Field(default_factory=list)

    def addresses(self) -> set[tuple[str, str]]:
        return {(channel, str(ident)) for channel in ("telegram", "whatsapp", "console")
                for ident in getattr(self, channel)}


class StorageSettings(BaseModel):
    files_dir: str = "data/files"
    max_file_mb: int = 10
    max_files_per_day: int = 60  # files one person may send in 24 hours (documents, receipts, forms)
    exports_dir: str = "data/exports"
    orphan_grace_hours: float = Field(24.0, gt=0)


class RetentionSettings(BaseModel):
    """How long message bodies are kept (db/retention.py); config.toml explains each."""

    dedup_days: float = Field(10.0, ge=8)  # Meta retries a webhook call for up to 7 days
    open_days: float = Field(30.0, gt=0)
    resend_hours: float = Field(24.0, gt=0)


class LoggingSettings(BaseModel):
    level: str = "INFO"


class Settings(BaseSettings):
    database: DatabaseSettings = DatabaseSettings()
    telegram: TelegramSettings = TelegramSettings()
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    server: ServerSettings = ServerSettings()
    outbox: OutboxSettings = OutboxSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    supervisor: SupervisorSettings = SupervisorSettings()
    program: ProgramSettings = ProgramSettings()
    officers: OfficerSettings = OfficerSettings()
    storage: StorageSettings = StorageSettings()
    retention: RetentionSettings = RetentionSettings()
    logging: LoggingSettings = LoggingSettings()

    # Where relative paths (the SQLite file, the files directory) are resolved: the config file's folder.
    base_dir: Path = Path(".")

    model_config = SettingsConfigDict(env_prefix="TUWAI_", env_nested_delimiter="__", extra="ignore")
    _toml_file: ClassVar[Path | None] = None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls._toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_file))
        return tuple(sources)

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute against the config file's folder."""
        prefix = "sqlite+aiosqlite:///"
        url = self.database.url
        if (url.startswith(prefix) and not url.startswith((prefix + "/", prefix + "file:"))
                and ":memory:" not in url):
            return prefix + str((self.base_dir / url[len(prefix):]).resolve())
        return url

    @property
    def files_dir(self) -> Path:
        return (self.base_dir / self.storage.files_dir).resolve()

    @property
    def exports_dir(self) -> Path:
        return (self.base_dir / self.storage.exports_dir).resolve()


class ConfigError(Exception):
    """A configuration that cannot be used; its message is one sentence for the person running the bot."""


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: object) -> Settings:
    """Read the config file (argument, else TUWAI_CONFIG, else ./config.toml or the packaged one) and the environment."""
    chosen = Path(path or os.environ.get("TUWAI_CONFIG") or (Path("config.toml") if Path("config.toml").exists()
                                                              else DEFAULT_CONFIG))
    if not chosen.is_file():
        raise ConfigError(f"Config file not found: {chosen}")
    Settings._toml_file = chosen
    try:
        settings = Settings(**overrides)
    except Exception as exc:  # pydantic's ValidationError or a TOML syntax error: say which, without a traceback
        raise ConfigError(f"Config file {chosen} is not valid: {exc}") from exc
    finally:
        Settings._toml_file = None
    if "base_dir" not in overrides:
        settings.base_dir = chosen.resolve().parent
    return settings
