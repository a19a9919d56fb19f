"""Machine output is valid UTF-8 even for file names holding bytes that are not UTF-8.

Linux lets a file be named ``d\\xe9.pdf`` (Latin-1); Python hands such a name over with a lone
surrogate escape. Every ``--json`` output, the API's JSON and the log lines must still be
strict UTF-8 that a strict JSON reader takes.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import structlog

from gateway.logs import redact_secrets
from gateway.textsafe import dumps, safe_text
from gateway.web.responses import SafeJSONResponse
from tests.support import GATEWAY, clean_env

REPO = Path(__file__).resolve().parents[2]

LONE = "d\udce9.pdf"  # the name b"d\xe9.pdf" as Python hands it over


def strict_json_lines(raw: bytes) -> list[dict]:
    """Parses bytes as a strict reader would: UTF-8 without surrogates, JSON per line."""
    text = raw.decode("utf-8")  # raises on a raw 0xE9 byte
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    assert "\\ud" not in text.lower(), "a \\udcXX escape is refused by strict JSON readers"
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_safe_text_shows_each_undecodable_byte():
    assert safe_text(LONE) == "d\\xE9.pdf"
    assert safe_text("caf\u00e9.pdf") == "caf\u00e9.pdf", "valid text is left alone"
    assert safe_text("x\ud800") == "x\\uD800"
    assert json.loads(dumps({LONE: [LONE]})) == {"d\\xE9.pdf": ["d\\xE9.pdf"]}


def test_intake_check_json_with_an_undecodable_name(tmp_path):
    path = tmp_path.joinpath(LONE)
    path.write_bytes(b"%PDF-1.4\n")
    run = subprocess.run(
        [GATEWAY, "intake", "check", "--json", str(path)], env=clean_env(), capture_output=True, timeout=120
    )
    rows = strict_json_lines(run.stdout)
    assert rows[0]["file"].endswith("d\\xE9.pdf") and rows[0]["display_name"] == "d\\xE9.pdf"


def test_validate_json_with_an_undecodable_name(tmp_path):
    example = next((REPO / "tests/exchange/examples/valid-kine/requests").glob("*.xml"))
    path = tmp_path / "KINE\udce9.xml"
    shutil.copy(example, path)
    run = subprocess.run([GATEWAY, "validate", "--json", str(path)], env=clean_env(), capture_output=True, timeout=120)
    rows = strict_json_lines(run.stdout)
    assert rows[0]["file"] == "KINE\\xE9.xml" and rows[0]["status"] == "REJETE"


def test_a_log_line_naming_such_a_file_is_utf8():
    line = structlog.processors.JSONRenderer()(
        None, "info", redact_secrets(None, "info", {"event": "file refused", "name": LONE, "names": [LONE]})
    )
    assert strict_json_lines(line.encode("utf-8"))[0]["name"] == "d\\xE9.pdf"


def test_the_api_response_of_such_a_name_is_utf8():
    body = SafeJSONResponse({"name": LONE, "files": [{"name": LONE}]}).body
    assert strict_json_lines(body) == [{"name": "d\\xE9.pdf", "files": [{"name": "d\\xE9.pdf"}]}]


def test_a_process_logging_such_a_name_writes_utf8():
    # a real process writing JSON logs to a pipe, as under systemd
    script = (
        "from gateway.logs import configure_logging, get_logger\n"
        "configure_logging('INFO', 'json')\n"
        f"get_logger('t').info('refused', name={LONE!r})\n"
    )
    run = subprocess.run([sys.executable, "-c", script], env=clean_env(), capture_output=True, timeout=60)
    assert strict_json_lines(run.stderr)[0]["name"] == "d\\xE9.pdf"
