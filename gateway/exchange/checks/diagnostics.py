"""libxml2's words, said plainly: XSD-001 and XML-001 messages in French and English.

libxml2 reports schema and syntax errors in its own English (``Element '{urn:cns:echange:
kine:1}Enregistrement', attribute 'reference': [facet 'pattern'] The value ...``). The common
kinds are recognised here and told as a sentence that names the field as the provider writes
it (``Matricule``, attribute ``reference`` of ``Enregistrement``); the line and path stay on the
finding, and libxml2's own text goes in a ``<!-- libxml2: ... -->`` comment of the error. A message of an
unknown kind is returned as None: the finding then quotes libxml2 as it always did.

Sentences are the ``xsd.*`` and ``xml.*`` messages of :mod:`gateway.texts`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypedDict

from gateway import texts

Explanation = tuple[str, str]

_NAME = r"(?:\{[^}]*\})?([^'\s]+)"
_SUBJECT = re.compile(rf"^Element '{_NAME}'(?:, attribute '{_NAME}')?: (.*)$", re.S)
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ([^)]*) \)")
_FACET = re.compile(r"^\[facet '(\w+)'\] (.*)$", re.S)
_VALUE = re.compile(r"The value '(.*?)'(?: has| is| does|$)", re.S)
_QUOTED_NUMBERS = re.compile(r"'(\d+)'")
_TYPE = re.compile(
    r"^'(.*)' is not a valid value of the (?:local |list )?(?:atomic |union )?type(?: '([^']+)')?\.?$", re.S
)
_DUPLICATE = re.compile(r"^Duplicate key-sequence \['(.*)'\] in unique identity-constraint", re.S)
_SET = re.compile(r"set \{(.*)\}", re.S)

#: plain words for the XML Schema types the conventions use; others are named as they are
TYPE_WORDS = {
    "decimal": "type.decimal",
    "integer": "type.integer",
    "positiveInteger": "type.positive_integer",
    "nonNegativeInteger": "type.whole_number",
    "int": "type.integer",
    "date": "type.date",
    "dateTime": "type.date_time",
    "boolean": "type.boolean",
    "MontantType": "type.amount",
}


def _field(element: str, attribute: str | None) -> tuple[str, str]:
    """How the provider knows the field: element ``Matricule``, attribute ``reference`` of ``Enregistrement``."""
    if attribute:
        return texts.both("xsd.field_attribute", element=element, attribute=attribute)
    return texts.both("xsd.field_element", element=element)


def _names(listing: str) -> str:
    """``{ns}Entete, {ns}Enregistrement`` -> ``Entete, Enregistrement``."""
    return ", ".join(re.sub(r"^\{[^}]*\}", "", part.strip()) for part in listing.split(",") if part.strip())


def _say(msgid: str, field: tuple[str, str], **values: object) -> Explanation:
    """The message ``msgid`` in both languages; a ``(fr, en)`` tuple value is taken per language."""

    def pick(index: int) -> dict[str, object]:
        return {k: v[index] if isinstance(v, tuple) else v for k, v in values.items()}

    return (texts.text("fr", msgid, field=field[0], **pick(0)), texts.text("en", msgid, field=field[1], **pick(1)))


def _facet(facet: str, rest: str, field: tuple[str, str]) -> Explanation | None:
    found = _VALUE.search(rest)
    value = found.group(1) if found else ""
    numbers = _QUOTED_NUMBERS.findall(rest[found.end() :] if found else rest)
    if facet == "pattern":
        pattern = re.search(r"pattern '(.*)'\.?$", rest, re.S)
        return _say("xsd.pattern", field, value=value, pattern=pattern.group(1) if pattern else "")
    if facet in ("length", "minLength", "maxLength") and len(numbers) >= 2:
        return _say(f"xsd.{facet}", field, length=numbers[0], limit=numbers[1])
    if facet == "enumeration":
        choices = _SET.search(rest)
        allowed = ", ".join(c.strip().strip("'") for c in choices.group(1).split(",")) if choices else ""
        return _say("xsd.enumeration", field, value=value, allowed=allowed)
    if (
        facet in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "totalDigits", "fractionDigits")
        and numbers
    ):
        return _say(f"xsd.{facet}", field, value=value, limit=numbers[-1])
    return None


def _wrong_type(rest: str, field: tuple[str, str]) -> Explanation | None:
    found = _TYPE.match(rest)
    if found is None:
        return None
    value, type_name = found.group(1), (found.group(2) or "")
    local = re.sub(r"^(?:\{[^}]*\}|xs:)", "", type_name)
    if local in TYPE_WORDS:
        kind = texts.both(TYPE_WORDS[local])
    elif local:
        kind = texts.both("type.named", name=local)
    else:
        kind = texts.both("type.expected")
    return _say("xsd.type", field, value=value, kind=kind)


class Explained(TypedDict, total=False):
    """The message fields :func:`explained` gives, as keyword arguments of ``finding``."""

    detail: str
    detail_fr: str
    detail_en: str
    diagnostic: str


def explained(code: str, message: str) -> Explained:
    """The message fields of finding ``code`` (XSD-001 or XML-001 and kin) for libxml2's
    ``message``: ``detail_fr``/``detail_en`` and the raw ``diagnostic`` when it could be told
    plainly, else ``detail`` (libxml2's words in both messages, as before)."""
    explain = explain_schema if code.startswith("XSD") else explain_syntax if code == "XML-001" else None
    told = explain(message) if explain is not None else None
    if told is None:
        return {"detail": message}
    return {"detail_fr": told[0], "detail_en": told[1], "diagnostic": message}


def explain_schema(message: str) -> Explanation | None:
    """French and English sentences for libxml2's schema error ``message``, or None when its
    kind is not one this module knows."""
    subject = _SUBJECT.match(message.strip())
    if subject is None:
        return None
    element, attribute, rest = subject.group(1), subject.group(2), subject.group(3).strip()
    field = _field(element, attribute)
    expected = _EXPECTED.search(rest)
    wanted = _names(expected.group(1)) if expected else ""
    facet = _FACET.match(rest)
    if facet is not None:
        return _facet(facet.group(1), facet.group(2), field)
    rules: list[tuple[str, Callable[[], Explanation]]] = [
        (
            "This element is not expected.",
            lambda: _say("xsd.unexpected" if wanted else "xsd.unexpected_end", field, expected=wanted),
        ),
        ("Missing child element(s).", lambda: _say("xsd.missing_child", field, expected=wanted)),
        (
            "is required but missing.",
            lambda: _say("xsd.missing_attribute", _field(element, None), attribute=_attribute_named(rest)),
        ),
        (
            "is not allowed.",
            lambda: _say("xsd.attribute_not_allowed", _field(element, None), attribute=_attribute_named(rest)),
        ),
        ("Character content other than whitespace is not allowed", lambda: _say("xsd.text_not_allowed", field)),
        ("Element content is not allowed", lambda: _say("xsd.no_children", field)),
    ]
    for marker, say in rules:
        if marker in rest:
            return say()
    duplicate = _DUPLICATE.match(rest)
    if duplicate is not None and attribute is None:
        kind = "id" if "idUnique" in rest else "reference"
        return _say("xsd.duplicate", _field(element, kind), value=duplicate.group(1))
    return _wrong_type(rest, field)


def _attribute_named(rest: str) -> str:
    found = re.search(r"The attribute '(?:\{[^}]*\})?([^']+)'", rest)
    return found.group(1) if found else "?"


_SYNTAX: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)"), "xml.tag_mismatch"),
    (re.compile(r"^Premature end of data in tag (\S+) line (\d+)"), "xml.premature_end"),
    (re.compile(r"^EndTag: '</' not found"), "xml.end_tag_missing"),
    (re.compile(r"^Extra content at the end of the document"), "xml.extra_content"),
    (re.compile(r"^Start tag expected, '<' not found"), "xml.no_start_tag"),
    (re.compile(r"^Document is empty"), "xml.empty"),
    (re.compile(r"^Couldn't find end of Start Tag (\S+)"), "xml.start_tag_unclosed"),
    (
        re.compile(
            r"^(?:AttValue: \" or ' expected|attributes construct error|Specification mandates value for attribute)"
        ),
        "xml.attribute_syntax",
    ),
    (re.compile(r"^Attribute (\S+) redefined"), "xml.attribute_twice"),
    (re.compile(r"^(?:xmlParseEntityRef: no name|EntityRef: expecting ';')"), "xml.ampersand"),
    (re.compile(r"^Entity '([^']+)' not defined"), "xml.unknown_entity"),
    (re.compile(r"^(?:Input is not proper UTF-8|Invalid bytes in character encoding)"), "xml.not_utf8"),
    (re.compile(r"^the file is encoded in (.+?), not UTF-8"), "xml.encoded_in"),
    (re.compile(r"^encoding '(.*)' is declared; only UTF-8 is accepted"), "xml.encoding_declared"),
    (re.compile(r"^(?:StartTag: invalid element name|Unescaped '<' not allowed in attributes values)"), "xml.bad_name"),
    (
        re.compile(
            r"^(?:PCDATA invalid Char value|Char 0x[0-9A-Fa-f]+ out of allowed range|invalid character in attribute value)"
        ),
        "xml.bad_character",
    ),
)


def explain_syntax(message: str) -> Explanation | None:
    """French and English sentences for libxml2's well-formedness error ``message`` (XML-001),
    or None when its kind is not one this module knows."""
    for pattern, msgid in _SYNTAX:
        found = pattern.match(message.strip())
        if found is not None:
            values = dict(zip(("first", "second", "third"), (g or "" for g in found.groups()), strict=False))
            return texts.both(msgid, **values)
    return None
