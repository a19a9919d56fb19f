"""Settings: defaults, overrides, relative paths, and the documents generated from them."""

import tomllib
from pathlib import Path

import pytest

from gateway.config import describe, load_settings
from gateway.config_docs import render_markdown, render_toml
from gateway.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_toml_is_current():
    assert (REPO / "config.toml").read_text() == render_toml(), "run python -m gateway.config_docs --write"


def test_configuration_doc_is_current():
    assert (REPO / "docs" / "configuration.md").read_text() == render_markdown(), (
        "run python -m gateway.config_docs --write"
    )


def test_shipped_config_lists_every_setting_with_its_default():
    shipped = tomllib.loads((REPO / "config.toml").read_text())
    for section, key, _default, _unit, doc in describe():
        assert key in shipped[section], f"{section}.{key} missing from config.toml"
        assert doc, f"{section}.{key} has no description"
    settings = load_settings(REPO / "config.toml", environ={})
    assert settings.sftp.port == 2222 and settings.web.port == 8080
    assert settings.exchange.max_file_bytes == 52428800


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    (tmp_path / "etc").mkdir()
    config = tmp_path / "etc" / "gateway.toml"
    config.write_text('[paths]\ninbox = "spool/in"\n')
    settings = load_settings(config, environ={})
    assert settings.paths.inbox == tmp_path / "etc" / "spool" / "in"
    assert settings.paths.data == tmp_path / "etc" / "var"  # defaults too
    assert settings.database_url == f"sqlite:///{tmp_path / 'etc' / 'var' / 'gateway.db'}"


def test_environment_overrides_the_file(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[sftp]\nport = 2022\n")
    settings = load_settings(
        config,
        environ={
            "GATEWAY_SFTP__PORT": "2200",
            "GATEWAY_DEMO__ENABLED": "false",
            "GATEWAY_WEB__TRUSTED_PROXIES": "10.0.0.1, 10.0.1.0/24",
        },
    )
    assert settings.sftp.port == 2200
    assert settings.demo.enabled is False
    assert settings.web.trusted_proxies == ["10.0.0.1", "10.0.1.0/24"]


@pytest.mark.parametrize(
    ("text", "env", "fragment"),
    [
        pytest.param("[sftp]\nprot = 1\n", {}, "sftp.prot: unknown setting", id="unknown-key"),
        pytest.param("[sfpt]\nport = 1\n", {}, "[sfpt]: unknown section", id="unknown-section"),
        pytest.param('[sftp]\nport = "22"\n', {}, "sftp.port: expected a whole number", id="string-for-int"),
        pytest.param("[demo]\nenabled = 1\n", {}, "demo.enabled: expected true or false", id="int-for-bool"),
        pytest.param("", {"GATEWAY_SFTP__PORT": "x"}, "GATEWAY_SFTP__PORT", id="env-bad-int"),
        pytest.param("", {"GATEWAY_NOPE__X": "1"}, "unknown section 'nope'", id="env-unknown-section"),
        pytest.param("", {"GATEWAY_SFTP__NOPE": "1"}, "unknown setting sftp.nope", id="env-unknown-key"),
    ],
)
def test_bad_settings_are_all_reported(tmp_path, text, env, fragment):
    config = tmp_path / "c.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_settings(config, environ=env)
    assert any(fragment in p for p in raised.value.problems), raised.value.problems


def test_invalid_toml_and_missing_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[sftp\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_error_codes_doc_is_current():
    from gateway.errors_docs import render_markdown as render_errors

    assert (REPO / "docs" / "errors.md").read_text() == render_errors(), "run python -m gateway.errors_docs --write"


def test_value_objects_below_the_cli_default_to_the_declared_settings():
    """Defaults below the CLI come from the declarations (``declared``); the document
    workers' limits repeat them to keep the settings' library out of the workers: same values."""
    from gateway.config import IntakeSettings
    from gateway.intake.mailparse import MailLimits
    from gateway.isolation import WorkLimits
    from gateway.web.limits import BodyLimits

    intake = IntakeSettings()
    assert (WorkLimits().memory_bytes, WorkLimits().cpu_seconds, WorkLimits().wall_seconds) == (
        intake.document_memory_bytes,
        intake.document_cpu_seconds,
        intake.document_wall_seconds,
    )
    assert (MailLimits().max_bytes, MailLimits().max_parts) == (intake.mail_max_bytes, intake.mail_max_parts)
    assert BodyLimits().document_bytes == intake.max_document_bytes
