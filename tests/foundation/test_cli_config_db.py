"""check-config and db commands, run as an operator runs them."""

import pytest

from tests.support import run_gateway


def test_check_config_accepts_the_project_config(project):
    result = run_gateway("check-config", config=project.config)
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("[sftp]\nprot = 1\n", "sftp.prot: unknown setting", id="unknown-key"),
        pytest.param('[web]\nport = "eighty"\n', "web.port: expected a whole number", id="wrong-type"),
        pytest.param('[database]\nurl = "nonsense"\n', "database.url", id="bad-db-url"),
        pytest.param('[database]\nurl = "mysql://x@h/db"\n', "backend 'mysql' is not supported", id="unsupported-db"),
        pytest.param('[web]\npublic_url = "ftp//x"\n', "web.public_url", id="bad-public-url"),
        pytest.param('[exchange]\ntimezone = "Mars/Olympus"\n', "not a known time zone", id="bad-timezone"),
        pytest.param(
            '[paths]\ndata = "/proc/gateway-data"\n', "paths.data: /proc/gateway-data is not writable", id="unwritable"
        ),
    ],
)
def test_check_config_reports_problems_with_status_2(tmp_path, text, fragment):
    (tmp_path / "schemas").mkdir()
    config = tmp_path / "config.toml"
    config.write_text(text)
    result = run_gateway("check-config", config=config)
    assert result.returncode == 2, result.stdout + result.stderr
    assert fragment in result.stderr


def test_check_config_reports_a_folder_that_is_a_file(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "inbox").write_text("not a folder")
    config = tmp_path / "config.toml"
    config.write_text("")
    result = run_gateway("check-config", config=config)
    assert result.returncode == 2
    assert "paths.inbox" in result.stderr and "not a folder" in result.stderr


def test_config_option_after_or_before_the_command(project):
    after = run_gateway("db", "status", config=project.config)
    before = run_gateway("--config", str(project.config), "db", "status")
    assert after.returncode == before.returncode == 1  # nothing applied yet
    assert "run: gateway db upgrade" in after.stdout


def test_db_upgrade_is_idempotent_and_commands_refuse_an_old_schema(project):
    refused = run_gateway("providers", "list", config=project.config)
    assert refused.returncode == 2
    assert "DB-002" in refused.stderr and "gateway db upgrade" in refused.stderr
    first = run_gateway("db", "upgrade", config=project.config)
    assert first.returncode == 0 and "upgraded" in first.stdout, first.stderr
    second = run_gateway("db", "upgrade", config=project.config)
    assert second.returncode == 0 and "already current" in second.stdout
    assert run_gateway("db", "status", config=project.config).returncode == 0
    assert run_gateway("providers", "list", config=project.config).returncode == 0


def test_usage_errors_exit_2(project):
    result = run_gateway("providers", "add", config=project.config)
    assert result.returncode == 2
