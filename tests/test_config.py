"""Settings: flags > KUBEVISION_* environment > YAML file > defaults, and refusal of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubevision.config import Settings, SettingsError, load_settings


def write_yaml(tmp_path: Path, text: str) -> str:
    path = tmp_path / "kubevision.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults() -> None:
    settings = load_settings({}, environ={})
    assert settings.host == "127.0.0.1" and settings.port == 8080
    assert settings.no_browser is False and settings.read_only is False
    assert settings.log_level == "info"
    assert settings.access_token_ttl_s == 900 and settings.refresh_token_ttl_s == 7 * 24 * 3600
    assert settings.admin_password is None
    assert settings.data_dir.name == "kubevision"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{settings.data_dir / 'kubevision.db'}"


def test_precedence_flags_over_env_over_file_over_defaults(tmp_path: Path) -> None:
    config = write_yaml(tmp_path, "port: 7001\nhost: 0.0.0.0\nlog-level: debug\nread_only: true\n")
    environ = {"KUBEVISION_PORT": "7002", "KUBEVISION_HOST": "127.0.0.2"}
    settings = load_settings({"port": 7003}, environ=environ, config_file=config)
    assert settings.port == 7003  # flag
    assert settings.host == "127.0.0.2"  # env beats file
    assert settings.log_level == "debug"  # file beats default
    assert settings.read_only is True
    assert settings.no_browser is False  # default
    assert load_settings({}, environ=environ, config_file=config).port == 7002
    assert load_settings({}, environ={}, config_file=config).port == 7001


def test_flags_given_as_none_do_not_override(tmp_path: Path) -> None:
    settings = load_settings({"port": None, "no_browser": None}, environ={"KUBEVISION_NO_BROWSER": "yes"})
    assert settings.port == 8080 and settings.no_browser is True


def test_config_file_from_env(tmp_path: Path) -> None:
    config = write_yaml(tmp_path, "port: 9100\n")
    assert load_settings({}, environ={"KUBEVISION_CONFIG": config}).port == 9100


def test_types_from_env() -> None:
    settings = load_settings({}, environ={
        "KUBEVISION_ALLOWED_HOSTS": "a.example.com, b.example.com,,",
        "KUBEVISION_READ_ONLY": "on",
        "KUBEVISION_LOGIN_RATE_PER_MINUTE": "5",
        "KUBEVISION_DATA_DIR": "~/kv-data",
        "KUBEVISION_ADMIN_PASSWORD": "from-the-environment",
    })
    assert settings.allowed_hosts == ("a.example.com", "b.example.com")
    assert settings.read_only is True
    assert settings.login_rate_per_minute == 5
    assert settings.data_dir == Path.home() / "kv-data"
    assert settings.admin_password == "from-the-environment"


def test_yaml_lists_and_kubeconfig_fallback(tmp_path: Path) -> None:
    config = write_yaml(tmp_path, "allowed_origins: [https://a.example.com, https://b.example.com]\n")
    settings = load_settings({}, environ={"KUBECONFIG": "/etc/kube.conf"}, config_file=config)
    assert settings.allowed_origins == ("https://a.example.com", "https://b.example.com")
    assert settings.kubeconfig == "/etc/kube.conf"
    explicit = load_settings({}, environ={"KUBECONFIG": "/etc/kube.conf", "KUBEVISION_KUBECONFIG": "/k"})
    assert explicit.kubeconfig == "/k"


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u:p@db/kv", "postgresql+asyncpg://u:p@db/kv"),
    ("postgres://u:p@db/kv", "postgresql+asyncpg://u:p@db/kv"),
    ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
    ("postgresql+asyncpg://db/kv", "postgresql+asyncpg://db/kv"),
])
def test_database_url_gets_an_async_driver(url: str, expected: str) -> None:
    assert load_settings({"database_url": url}, environ={}).effective_database_url == expected


@pytest.mark.parametrize(("flags", "environ", "message"), [
    ({"port": "eighty"}, {}, "'port'"),
    ({}, {"KUBEVISION_PORT": "80x"}, "'port'"),
    ({"port": 70000}, {}, "out of range"),
    ({"port": -1}, {}, "out of range"),
    ({}, {"KUBEVISION_READ_ONLY": "maybe"}, "'read_only'"),
    ({"log_level": "loud"}, {}, "log level"),
    ({"tls_cert": "/c.pem"}, {}, "--tls-key"),
    ({"login_rate_per_minute": 0}, {}, "login_rate_per_minute"),
    ({}, {"KUBEVISION_ACCESS_TOKEN_TTL_S": "-5"}, "access_token_ttl_s"),
    ({"refresh_token_ttl_s": 0}, {}, "refresh_token_ttl_s"),
])
def test_bad_values_raise_settings_error(flags: dict, environ: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(flags, environ=environ)


@pytest.mark.parametrize(("text", "message"), [
    ("port: [1, 2]\n", "'port'"),
    ("- just\n- a list\n", "mapping"),
    ("port: 80\nwhat_is_this: 1\n", "unknown settings: what_is_this"),
    ("port: : :\n", "not valid YAML"),
])
def test_bad_config_files_raise_settings_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({}, environ={}, config_file=write_yaml(tmp_path, text))


def test_missing_config_file_raises_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read config file"):
        load_settings({}, environ={}, config_file=str(tmp_path / "absent.yaml"))


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_unrelated_environment_is_ignored() -> None:
    settings = load_settings({}, environ={"KUBEVISION_NOT_A_SETTING": "x", "PORT": "1"})
    assert settings.port == 8080
