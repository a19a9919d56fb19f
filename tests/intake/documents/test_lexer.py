"""PDF's lexical rules in the raw passes: comments, strings, hex strings, streams, inline images."""

from __future__ import annotations

import pytest

from gateway.intake.documents.lexer import Lexer, StepsExceeded, integer_objects


def text(data: bytes, **options: object) -> bytes:
    return Lexer(data, max_steps=1000, **options).run().text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"/A (100% sure) /B", b"/A () /B", id="percent-inside-a-string-is-a-character"),
        pytest.param(b"/A\n%(\n/B 1\n%)\n/C", b"/A\n \n/B 1\n \n/C", id="comment-lines-that-look-like-a-string"),
        pytest.param(b"/A (x (nested) y) /B", b"/A () /B", id="nested-parentheses"),
        pytest.param(b"/A (x \\) y) /B", b"/A () /B", id="escaped-parenthesis"),
        pytest.param(b"/A <4a53> /B", b"/A <> /B", id="hex-string"),
        pytest.param(b"/A <</B 1>> /C", b"/A <</B 1>> /C", id="dictionary"),
        pytest.param(b"/A <4a /JS> /B", b"/A <4a /JS> /B", id="hex-string-with-a-name-kept"),
        pytest.param(b"/A (unterminated /JS", b"/A (unterminated /JS", id="unterminated-string-kept"),
        pytest.param(
            b"1 0 obj (x endobj 2 0 obj /JS) endobj",
            b"1 0 obj (x endobj 2 0 obj /JS) endobj",
            id="string-over-an-object-end-kept",
        ),
    ],
)
def test_structure_text(data: bytes, expected: bytes) -> None:
    assert text(data, streams=True) == expected


def test_stream_only_as_a_keyword_of_its_own() -> None:
    data = b"1 0 obj << /A 1 >>\n%stream\n/Visible true\n%endstream\nendobj /Upstream 2"
    lexed = Lexer(data, max_steps=100, streams=True).run()
    assert lexed.streams == []
    assert b"/Visible true" in lexed.text and b"/Upstream" in lexed.text


def test_stream_data_is_skipped_by_its_length_even_when_indirect() -> None:
    data = (
        b"1 0 obj << /Length 2 0 R >>\nstream\nab endstream cd\nendstream\nendobj\n"
        b"2 0 obj 16 endobj\n3 0 obj << /After true >> endobj"
    )
    lexed = Lexer(data, max_steps=100, streams=True, length_of=integer_objects(data)).run()
    ((head, start, end),) = lexed.streams
    assert data[start:end] == b"ab endstream cd\n"
    assert b"/Length 2 0 R" in head and b"cd" not in lexed.text and b"/After true" in lexed.text


def test_inline_image_data_is_skipped_in_content_streams() -> None:
    data = b"q BI /W 2 /H 3 /BPC 8 /CS /G ID \x00(%\xff)/JS\x01 EI Q (Hi) Tj"
    lexed = Lexer(data, max_steps=100, content=True).run()
    assert lexed.inline_images == [b" /W 2 /H 3 /BPC 8 /CS /G "]
    assert b"/JS" not in lexed.text and lexed.text.endswith(b"(2) Tj")


def test_steps_are_budgeted() -> None:
    with pytest.raises(StepsExceeded):
        Lexer(b"%\n" * 101, max_steps=100, streams=True).run()
