"""The documented examples (tests/exchange/examples/) still get exactly their published responses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.exchange.checks.messages import CATALOGUE
from gateway.exchange.checks.pipeline import Checker
from tests.exchange.examples.generate import HERE, answer

from .conftest import validate_response

FOLDERS = sorted(p for p in HERE.iterdir() if (p / "requests").is_dir())
#: codes an example cannot show: FIC-003 needs a file over the limit (tests/exchange/checks/test_codes.py);
#: SYS-001 answers a file the gateway failed to check (tests/exchange/runtime/test_poison.py)
NOT_IN_EXAMPLES = {"FIC-003", "SYS-001"}


@pytest.mark.parametrize("folder", [pytest.param(p, id=p.name) for p in FOLDERS])
def test_example_gets_its_published_response(checker: Checker, folder: Path, tmp_path: Path) -> None:
    shutil.copytree(folder / "requests", tmp_path / "requests")
    responses = answer(checker, tmp_path)
    published = {p.name: p.read_bytes() for p in (folder / "responses").iterdir()}
    assert responses.keys() == published.keys()
    for name, data in responses.items():
        validate_response(data)
        assert data == published[name], name


def test_every_code_has_an_example() -> None:
    shown = {
        code
        for folder in FOLDERS
        for path in (folder / "responses").iterdir()
        for code in CATALOGUE
        if f'code="{code}"' in path.read_text()
    }
    shown |= {"FIC-005"} if any(p.name.startswith("FIC-005") for p in FOLDERS) else set()
    assert set(CATALOGUE) - shown == NOT_IN_EXAMPLES
