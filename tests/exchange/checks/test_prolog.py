"""XML-002 wherever the prolog puts a DOCTYPE, and nothing a stage raises escapes the checker."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from gateway.exchange import faults
from gateway.exchange.checks.xmlsafe import READ_CHUNK, prolog_problem
from tests.exchange import samples as s

KINE = s.default_record("KINE", 1)
DOCTYPE = b'<!DOCTYPE Facturation [<!ENTITY e "x">]>\n'


def kine() -> bytes:
    return s.build_request(s.Header(), [KINE])


def with_prolog(prolog: bytes, data: bytes | None = None) -> bytes:
    return (data or kine()).replace(b"<Facturation", prolog + b"<Facturation", 1)


def position(data: bytes, token: bytes) -> tuple[int, int]:
    at = data.index(token)
    return data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1


def test_a_doctype_after_70_kb_of_comment_with_an_entity_is_xml_002(check) -> None:
    data = with_prolog(b"<!--" + b"x" * 70_000 + b"-->\n" + DOCTYPE).replace(
        f"<Matricule>{KINE.matricule}".encode(), b"<Matricule>&e;", 1
    )
    result = check(data)
    assert [(e["code"], e["gravite"], e["ligne"], e["colonne"]) for e in result.errors()] == [
        ("XML-002", "FATAL", *position(data, b"<!DOCTYPE"))
    ]


@pytest.mark.parametrize(
    "prolog",
    [
        pytest.param(b"<!-- c -->\n" * 8000, id="thousands-of-comments"),
        pytest.param(b"<?pi " + b"y" * 100_000 + b"?>\n", id="a-long-processing-instruction"),
        pytest.param(b"\n" * 70_000, id="white-space"),
        pytest.param(b"<!--" + b"<!DOCTYPE a>" * 7000 + b"-->\n", id="doctype-words-inside-a-comment"),
        pytest.param(b"<!--a-->" + b" " * (READ_CHUNK - 60) + b"<!-- -" + b"-->", id="comment-end-across-chunks"),
    ],
)
@pytest.mark.parametrize(
    "doctype",
    [
        pytest.param(DOCTYPE, id="internal-subset"),
        pytest.param(b'<!DOCTYPE Facturation SYSTEM "http://example.invalid/x.dtd">\n', id="external"),
    ],
)
def test_a_doctype_anywhere_in_the_prolog_is_xml_002(check, prolog: bytes, doctype: bytes) -> None:
    data = with_prolog(prolog + doctype)
    result = check(data)
    at = data.index(b"<!DOCTYPE Facturation")
    line = data.count(b"\n", 0, at) + 1
    assert [(e["code"], e["ligne"]) for e in result.errors()] == [("XML-002", line)]


@pytest.mark.parametrize("shift", range(-9, 2))
def test_a_doctype_split_across_two_reads_is_found(check, shift: int) -> None:
    start = kine().index(b"<Facturation")
    data = with_prolog(b"<!--" + b"p" * (READ_CHUNK - start - 7 + shift) + b"-->" + DOCTYPE)
    assert data.index(b"<!DOCTYPE") == READ_CHUNK + shift  # from 9 bytes before the first read's end
    assert check(data).codes() == ["XML-002"]


def test_comments_without_a_doctype_are_ignored(check) -> None:
    data = with_prolog(b"<!--" + b"<!DOCTYPE x>" * 7000 + b"-->\n<?pi x?>\n")
    assert check(data).status == "ACCEPTE"


def test_an_encoding_declared_after_70_kb_of_white_space_is_xml_001(check) -> None:
    data = kine().replace(b'encoding="UTF-8"', b" " * 70_000 + b'encoding="ISO-8859-1"', 1)
    assert [(e["code"], e["ligne"]) for e in check(data).errors()] == [("XML-001", 1)]


def test_the_prolog_is_read_in_bounded_memory(tmp_path) -> None:
    path = tmp_path / "long.xml"
    with path.open("wb") as handle:
        handle.write(b"<!--")
        for _ in range(320):  # 20 MiB of comment
            handle.write(b"c" * READ_CHUNK)
        handle.write(b"-->\n" + DOCTYPE + b"<a/>")
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            problem = prolog_problem(handle)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problem is not None and (problem.code, problem.line, problem.column) == ("XML-002", 2, 1)
    assert peak < 8 * READ_CHUNK  # a chunk and its copy, not 20 MiB


def test_the_bom_and_declaration_positions_are_unchanged() -> None:
    data = b"\xef\xbb\xbf" + kine().replace(b'encoding="UTF-8"', b'encoding="latin-1"', 1)
    problem = prolog_problem(io.BytesIO(data))
    assert problem is not None and (problem.code, problem.line, problem.column) == ("XML-001", 1, 31)


@pytest.fixture
def raising(monkeypatch):
    monkeypatch.setenv(faults.ENV, "in_checks")
    faults.rearm()
    yield
    monkeypatch.delenv(faults.ENV)
    faults.rearm()


def test_a_stage_that_raises_gives_sys_001_and_never_escapes(check, raising) -> None:
    result = check(kine())  # the fixture validates the response against the response XSD
    assert [(e["code"], e["gravite"], e["messages"]) for e in result.errors()] == [("SYS-001", "FATAL", ["fr", "en"])]
    assert result.status == "REJETE" and result.outcome.internal_error.startswith("InjectedFault")


def test_a_record_id_beyond_python_int_digits_is_judged(check) -> None:
    # xs:positiveInteger has no bound; int() refuses more than 4,300 digits (this raised)
    data = s.build_request(s.Header(), [s.default_record("KINE", 1), s.default_record("KINE", 2)])
    data = data.replace(b'id="1"', b'id="' + b"7" * 5000 + b'"', 1)
    assert check(data).status == "ACCEPTE"
    duplicate = data.replace(b'id="2"', b'id="000' + b"7" * 5000 + b'"', 1)  # the same integer
    assert check(duplicate).codes() == ["XSD-001"]
