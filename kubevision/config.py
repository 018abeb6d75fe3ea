"""Settings: one frozen object built from flags > `KUBEVISION_*` environment > YAML file > defaults.

Nothing else in the project reads `os.environ`; everything takes a `Settings`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
import yaml
from aiohttp import web

ENV_PREFIX = "KUBEVISION_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Every knob of the server. Field names double as YAML keys and (upper-cased) env names."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = dataclasses.field(
        default_factory=lambda: Path(platformdirs.user_data_dir("kubevision", appauthor=False))
    )
    kubeconfig: str | None = None
    no_browser: bool = False
    log_level: str = "info"
    database_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    tls_cert: str | None = None
    tls_key: str | None = None
    read_only: bool = False
    admin_password: str | None = None
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 7 * 24 * 3600
    login_rate_per_minute: int = 10
    cache_ttl_s: int = 30
    cached_kinds: tuple[str, ...] = (
        "pods", "deployments", "statefulsets", "daemonsets", "replicasets",
        "services", "ingresses", "nodes", "namespaces",
    )
    record_sessions: bool = True
    recording_retention_days: int = 30
    port_search: bool = True
    # How long an MCP change tool waits for a person's decision before it answers `pending` with the request id.
    mcp_approval_wait_s: int = 30
    # A team setting: nobody approves their own agent's change request (a second person must), and no user's
    # auto-approved actions apply. Off by default: on a laptop the one user approves their own agent.
    approval_second_person: bool = False
    # CPU and memory sampling (kube/metrics.py): seconds between rounds, seconds per downsampled bucket, and days the
    # database keeps the downsampled history of nodes, workloads and namespaces.
    metrics_interval_s: int = 15
    metrics_bucket_s: int = 300
    metrics_retention_days: int = 7
    # Resource tables in the browser: a list of up to this many rows is loaded whole (sort and filter in the
    # browser); a longer one is windowed (the server sorts and filters, the browser reads the pages in view).
    table_window_rows: int = 10_000

    @property
    def database_path(self) -> Path:
        """The SQLite file used when no `database_url` is given."""
        return self.data_dir / "kubevision.db"

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy async URL of the database."""
        if self.database_url:
            return async_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{self.database_path}"


def async_database_url(url: str) -> str:
    """`url` with the async driver SQLAlchemy needs (`postgresql://` → `postgresql+asyncpg://`)."""
    for plain, driver in (("postgresql://", "postgresql+asyncpg://"),
                          ("postgres://", "postgresql+asyncpg://"),
                          ("sqlite://", "sqlite+aiosqlite://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
# Durations and limits where 0 or less would lock everyone out or expire everything at once.
_POSITIVE_INTS = ("access_token_ttl_s", "refresh_token_ttl_s", "login_rate_per_minute", "cache_ttl_s",
                  "recording_retention_days", "metrics_interval_s", "metrics_bucket_s", "metrics_retention_days",
                  "table_window_rows")


def _coerce(name: str, value: Any) -> Any:
    """Turn a raw value (string from env/flags, or YAML scalar) into the field's type."""
    field_type = str(_FIELDS[name].type)
    if value is None:
        return None
    try:
        if field_type == "bool":
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if field_type == "int":
            return int(value)
        if field_type == "Path":
            return Path(os.path.expanduser(str(value)))
        if field_type.startswith("tuple"):
            if isinstance(value, str):
                return tuple(part.strip() for part in value.split(",") if part.strip())
            return tuple(str(part) for part in value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"setting {name!r} has an invalid value: {value!r}") from exc
    return str(value)


def _read_file(path: str) -> dict[str, Any]:
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            loaded = yaml.safe_load(handle) or {}
    except OSError as exc:
        raise SettingsError(f"cannot read config file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SettingsError(f"config file {path} is not valid YAML: {exc}") from exc
    if not isinstance(loaded, dict):
        raise SettingsError(f"config file {path} must hold a mapping of settings")
    normalised = {str(key).replace("-", "_"): value for key, value in loaded.items()}
    unknown = sorted(set(normalised) - set(_FIELDS))
    if unknown:
        raise SettingsError(f"config file {path} has unknown settings: {', '.join(unknown)}")
    return normalised


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: str | None = None,
) -> Settings:
    """Merge flags > env > YAML file > defaults into a `Settings`.

    `flags` holds only options the user gave (None values are ignored). The config file comes from the
    `config_file` argument or `KUBEVISION_CONFIG`.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_path = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_path:
        values.update(_read_file(config_path))
    for name in _FIELDS:
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = env_value
    if not values.get("kubeconfig") and environ.get("KUBECONFIG"):
        values["kubeconfig"] = environ["KUBECONFIG"]
    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = value
    coerced = {name: _coerce(name, value) for name, value in values.items()}
    settings = Settings(**coerced)
    if settings.log_level.lower() not in ("debug", "info", "warning", "error", "critical"):
        raise SettingsError(f"log level {settings.log_level!r} is not one of debug, info, warning, error")
    if not 0 <= settings.port <= 65535:
        raise SettingsError(f"port {settings.port} is out of range")
    for name in _POSITIVE_INTS:
        if getattr(settings, name) < 1:
            raise SettingsError(f"setting {name!r} must be at least 1, not {getattr(settings, name)}")
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise SettingsError("--tls-cert and --tls-key go together")
    return settings


SETTINGS = web.AppKey("settings", Settings)
