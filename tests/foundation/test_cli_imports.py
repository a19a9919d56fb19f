"""A command imports only what it runs: ``--help`` and ``validate`` leave the heavy libraries alone.

What is imported is asserted (``sys.modules`` of a real ``gateway`` process), never how long it
took: the figures are in bench/ (``python -m bench --only cli``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from gateway.cli import COMMANDS, load_command
from tests.exchange import samples
from tests.support import clean_env

REPO = Path(__file__).resolve().parents[2]
#: libraries that only the server, the database or the web need
HEAVY = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "paramiko",
    "cryptography",
    "psycopg",
    "watchdog",
    "lxml",
    "rich",
    "rich.markdown",
    "pygments",
    "structlog",
    "pdfminer",
    "PIL",
    "babel",  # the text catalogues, read on a text's first use
)

# runs the console script's entry point, then prints which of HEAVY it imported
PROBE = r"""
import json, sys
sys.argv = ["gateway", *sys.argv[1:]]
from gateway.cli import main
try:
    main()
except SystemExit:
    pass
heavy = %r
print(json.dumps(sorted(name for name in sys.modules if name in heavy)), file=sys.stderr)
"""


def imported(*args: str, cwd: Path) -> tuple[list[str], str]:
    """(heavy modules imported, standard output) of ``gateway *args`` run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(),
        timeout=60,
    )
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def test_help_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    heavy, out = imported("--help", cwd=tmp_path)
    assert "validate" in out and "serve" in out
    assert heavy == []


def test_validate_of_one_file_imports_neither_database_nor_network_nor_web(tmp_path: Path) -> None:
    path = tmp_path / samples.file_name("KINE")
    path.write_bytes(samples.build_request())
    (tmp_path / "config.toml").write_text(f'[paths]\nschemas = "{REPO / "schemas"}"\n')
    heavy, out = imported("validate", str(path), cwd=tmp_path)
    assert out.strip() == f"{path.name}: ACCEPTE"
    assert heavy == ["lxml"]  # the checks themselves


def test_logging_configured_before_structlog_is_imported_writes_every_line(tmp_path: Path) -> None:
    # configure_logging leaves structlog unimported until a line is written (gateway/logs.py)
    script = (
        "import json, logging, sys\n"
        "from gateway.logs import configure_logging, get_logger\n"
        "configure_logging('INFO', 'json')\n"
        "print(json.dumps('structlog' in sys.modules))\n"
        "logging.getLogger('paramiko.transport').warning('library line %s', 1)\n"
        "get_logger('t').bind(file='f').info('ours', token='secret')\n"
        "get_logger('t').debug('below the level')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=60
    )
    assert json.loads(done.stdout) is False
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["event"], line["level"]) for line in lines] == [("library line 1", "warning"), ("ours", "info")]
    assert lines[0]["logger"] == "paramiko.transport"
    assert lines[1]["token"] == "[redacted]" and lines[1]["file"] == "f"


def test_the_root_config_option_reaches_the_command(tmp_path: Path) -> None:
    path = tmp_path / samples.file_name("KINE")
    path.write_bytes(samples.build_request())
    (tmp_path / "elsewhere.toml").write_text('[paths]\nschemas = "/nonexistent/schemas"\n')
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "--config", "elsewhere.toml", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 2
    assert "/nonexistent/schemas" in done.stderr


def registered_names(module: str) -> set[str]:
    holder = typer.Typer()
    __import__(f"gateway.cli.{module}", fromlist=["register"]).register(holder)
    return set(typer.main.get_group(holder).commands)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_table_help_line_is_the_command_own(name: str) -> None:
    command = load_command(name)
    assert command is not None
    assert COMMANDS[name][1] == (command.help or "").strip().split("\n\n")[0].replace("\n", " ")


def test_every_command_of_the_cli_modules_is_in_the_table() -> None:
    modules = {module for modules, _help in COMMANDS.values() for module in modules}
    found = set().union(*(registered_names(module) for module in modules))
    cli_modules = {
        path.stem for path in (REPO / "gateway" / "cli").glob("*.py") if "\ndef register(" in path.read_text()
    }  # helpers such as context.py and ports.py register none
    assert cli_modules <= modules, "a module of gateway/cli registers commands the table does not name"
    assert found == set(COMMANDS)
