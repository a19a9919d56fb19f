"""A provider setting the client up from nothing: no schemas folder of its own, numbering
from what the gateway accepted, status with the responses' messages, whole file names."""

from __future__ import annotations

import json
import shutil

from gateway.client.importer import import_responses
from gateway.client.pull import ResponseSchema
from gateway.client.schemas import installed_schemas, is_schemas_folder
from gateway.client.status import summarise
from tests.support import run_gateway

from .conftest import DATA, SCHEMAS
from .responses import DUPLICATE, PARTIAL, REJECTED, example

CODE = "45001237"


def responses_folder(tmp_path):
    folder = tmp_path / "practice" / "responses"
    folder.mkdir(parents=True)
    for name in (PARTIAL, REJECTED, DUPLICATE):
        (folder / name).write_bytes(example(name))
    return folder


def test_the_installed_schemas_are_found():
    assert is_schemas_folder(installed_schemas())


def test_numbering_continues_from_the_last_number_the_gateway_accepted(tmp_path, local_db, clock):
    from gateway.client.make import make_request
    from tests.client.test_make import options as make_options

    import_responses(responses_folder(tmp_path), local_db, ResponseSchema(SCHEMAS))
    # 124 partially accepted (counts), 125 rejected and 126 a duplicate (count for nothing)
    made = make_request(DATA / "kine.csv", make_options(tmp_path), local_db, clock=clock)
    assert made.sequence == 125 and made.path.name.endswith("_000125.xml")


def test_status_shows_the_messages_and_whole_names(tmp_path, local_db):
    import_responses(responses_folder(tmp_path), local_db, ResponseSchema(SCHEMAS))
    summary = summarise(local_db)
    partial = next(f for f in summary.files if f.state == "PARTIELLEMENT_ACCEPTE")
    assert partial.messages and partial.errors == len(partial.messages)
    assert all(m.message_en and m.message_fr for m in partial.messages)


def test_set_up_from_nothing_as_docs_client_md_says(tmp_path):
    """No schemas folder, no paths.schemas: make-request, import and status work."""
    practice = tmp_path / "practice"
    config = tmp_path / "config.toml"
    config.write_text(f'[demo]\nenabled = false\n[client]\nuser = "{CODE}"\nknown_hosts = "practice/known_hosts"\n')
    assert not (tmp_path / "schemas").exists()
    made = run_gateway(
        "client", "make-request", "--convention", "KINE", "--csv", str(DATA / "kine.csv"), config=config, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    folder = responses_folder(tmp_path)
    imported = run_gateway("client", "import", "--from", str(folder), config=config, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    status = run_gateway("client", "status", config=config, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    for line in status.stdout.splitlines():
        assert len(line) <= 400
    for name in (PARTIAL, REJECTED):
        request = name.replace("_REP.xml", ".xml")
        assert request in status.stdout, "the whole name, never cut"
    assert "MAT-" in status.stdout or "ENT-" in status.stdout
    french = run_gateway("client", "status", "--lang", "fr", config=config, cwd=tmp_path)
    assert french.returncode == 0 and french.stdout != status.stdout
    as_json = json.loads(run_gateway("client", "status", "--json", config=config, cwd=tmp_path).stdout)
    assert any(f["messages"] for f in as_json["files"])
    shutil.rmtree(practice)
