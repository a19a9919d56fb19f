"""Stage 2: the convention's schema (XSD-001, XSD-002, XSD-003, XSD-004).

The namespace of the root chooses the convention; ``versionSchema`` and the day of receipt
choose the schema version (schemas/versions.toml). The file is validated as it streams by:
the header and each record against the schema's own types (lxml, one subtree at a time, so a
50 MiB file never sits in memory as a tree), and what spans the whole file here: the order
and count of the root's children, its attributes, and the identity constraints (``id`` and
``reference`` unique). Errors carry libxml2's message retold in French and English
(:mod:`gateway.exchange.checks.diagnostics`, libxml2's own words in a comment of the error), the line, and the
path in the form of section 6; the list stops at :data:`CAP` errors (XSD-004).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lxml import etree

from gateway.exchange.checks.diagnostics import explained
from gateway.exchange.checks.messages import finding
from gateway.exchange.checks.model import Finding
from gateway.exchange.checks.references import ReferenceError_, SchemaVersion
from gateway.exchange.checks.stages.base import Context, StageBase
from gateway.exchange.checks.xmlsafe import XmlProblem, line_of, read_root
from gateway.exchange.conventions import CONVENTIONS

CAP = 1000
ROOT = "Facturation"
MAX_RECORDS = 100_000
XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: elements that may repeat and so carry a position in a path (section 6)
REPEATED = frozenset({"Enregistrement", *(spec.act_element for spec in CONVENTIONS.values())})
_ATTRIBUTE = re.compile(r"attribute '(?:\{[^}]*\})?([^']+)'")
_STEP = re.compile(r"^(?:\*|(?:[^:\[]+:)?([^\[]+))(?:\[(\d+)\])?$")

_FRAGMENTS = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:f="{ns}" targetNamespace="{ns}"
 elementFormDefault="qualified"><xs:include schemaLocation="{file}"/>
 <xs:element name="Entete" type="f:EnteteType"/><xs:element name="Enregistrement" type="f:EnregistrementType"/>
</xs:schema>"""

_local = threading.local()


def fragment_schema(version: SchemaVersion) -> etree.XMLSchema:
    """The schema of ``version`` with its header and record types as top elements.

    Compiled once per thread and schema file (lxml schemas are not shared across threads).
    """
    cache = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    try:
        key = (version.path, version.path.stat().st_mtime_ns)
    except OSError as exc:
        raise ReferenceError_(f"schema {version.path} is missing: {exc}") from None
    schema = cache.get(key)
    if schema is None:
        text = _FRAGMENTS.format(ns=version.namespace, file=version.path.name)
        try:
            parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
            tree = etree.fromstring(text, parser, base_url=str(Path(version.path).with_name("_fragments.xsd")))
            schema = etree.XMLSchema(tree)
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            raise ReferenceError_(f"schema {version.path} cannot be compiled: {exc}") from None
        cache[key] = schema
    return schema


def spec_path(element: etree._Element, record_position: int = 0) -> str:
    """``/Facturation/Enregistrement[3]/Seance[2]/Date``: local names, positions on repeats.

    ``record_position`` is the position of the record the element is in (the pass removes
    the records before it from the tree, so it cannot be counted there).
    """
    steps = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        if name in REPEATED:
            parent = node.getparent()
            if record_position and parent is not None and parent.getparent() is None:
                position = record_position
            else:
                position = 1 + sum(1 for s in node.itersiblings(preceding=True) if s.tag == node.tag)
            steps.append(f"{name}[{position}]")
        else:
            steps.append(name)
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


class ValidateSchema(StageBase):
    """Stage 2: everything section 3 states, as the convention's schema says it."""

    number = 2

    def begin(self, context: Context) -> None:
        self._errors: list[Finding] = []
        self._cut = False
        self._state = "start"  # start -> header -> records
        self._order_broken = False
        self._ids: set[str] = set()
        self._references: set[str] = set()
        self._schema: etree.XMLSchema | None = None
        self._root_problem: Finding | None = None
        self._context = context
        root = read_root(context.received.path)
        if root is None or isinstance(root, XmlProblem):
            context.valid = False  # the pass reports it as stage 1
            return
        tag, attributes, line = root
        qname = etree.QName(tag)
        convention = context.references.conventions_by_namespace().get(qname.namespace or "")
        if convention is None or qname.localname != ROOT:
            context.valid = False
            self._root_problem = finding(
                "XSD-002",
                line=line,
                path=f"/{qname.localname}",
                value=tag,
                namespace=qname.namespace or "",
                root=qname.localname,
            )
            return
        context.convention, context.namespace = convention, qname.namespace
        self._ns = qname.namespace or ""  # a convention's namespace: never empty here
        version = attributes.get("versionSchema")
        if version is None:
            schema = context.references.default_schema(convention, context.day)
            self._error(f"Element '{tag}': The attribute 'versionSchema' is required but missing.", line, f"/{ROOT}")
        else:
            schema = context.references.schema_for(convention, version, context.day)
            if schema is None:
                context.valid = False
                self._root_problem = finding(
                    "XSD-003",
                    line=line,
                    path=f"/{ROOT}/@versionSchema",
                    value=version,
                    version=version,
                    convention=convention,
                    day=context.day.isoformat(),
                )
                return
        for name in attributes:
            attribute = etree.QName(name)
            if attribute.localname != "versionSchema" or attribute.namespace:
                if attribute.namespace != XSI:
                    self._error(
                        f"Element '{tag}', attribute '{name}': The attribute '{name}' is not allowed.",
                        line,
                        f"/{ROOT}/@{attribute.localname}",
                        attributes[name],
                    )
        context.schema = schema
        self._schema = fragment_schema(schema) if schema is not None else None
        self._root_line = line

    # ------------------------------------------------------------------ during the pass

    def visit(self, context: Context, element: etree._Element, position: int) -> None:
        if context.convention is None or self._root_problem is not None:
            return
        self._position = position
        tag = element.tag if isinstance(element.tag, str) else ""
        in_ns = tag.startswith("{" + self._ns + "}")
        is_header = in_ns and tag.endswith("}Entete")
        is_record = in_ns and tag.endswith("}Enregistrement")
        expected: str | None
        if self._state == "start":
            allowed, expected = is_header, "Entete"
            if allowed:
                self._state = "header"
        else:
            allowed = is_record and position <= MAX_RECORDS
            # libxml2 names what it expects only where the content could not end here
            expected = "Enregistrement" if self._state == "header" else None
            if allowed:
                self._state = "records"
        if not allowed and not self._order_broken:
            self._order_broken = True
            wanted = f" Expected is ( {{{self._ns}}}{expected} )." if expected else ""
            self._error(
                f"Element '{tag}': This element is not expected.{wanted}",
                line_of(element),
                spec_path(element, position),
            )
        if not (is_header or is_record):
            return
        if element.tail and element.tail.strip():
            self._text_error(context)
        if self._schema is not None and not self._cut and not self._schema.validate(element):
            for entry in self._schema.error_log:
                self._schema_error(element, entry)
        if is_record:
            self._identity(element)

    def _identity(self, element: etree._Element) -> None:
        raw_id, reference = element.get("id"), element.get("reference")
        tag = str(element.tag)  # a parsed element's tag is a string
        # Compared as integers, as the schema compares xs:positiveInteger values, but as digit
        # strings without leading zeros: int() refuses more than 4,300 digits, and an id may be
        # megabytes long.
        number = raw_id.strip().lstrip("0") if raw_id is not None and raw_id.strip().isdigit() else ""
        if number:
            if number in self._ids:
                self._error(
                    f"Element '{tag}': Duplicate key-sequence ['{number}'] in unique identity-constraint "
                    f"'{{{self._ns}}}idUnique'.",
                    line_of(element),
                    spec_path(element, self._position) + "/@id",
                    raw_id,
                )
            self._ids.add(number)
        if reference is not None:
            if reference in self._references:
                self._error(
                    f"Element '{tag}': Duplicate key-sequence ['{reference}'] in unique identity-constraint "
                    f"'{{{self._ns}}}referenceUnique'.",
                    line_of(element),
                    spec_path(element, self._position) + "/@reference",
                    reference,
                )
            self._references.add(reference)

    def _schema_error(self, fragment: etree._Element, entry: etree._LogEntry) -> None:
        node = fragment
        for step in (entry.path or "/*").split("/")[2:]:
            match = _STEP.match(step)
            if match is None:
                break
            name, index = match.group(1), int(match.group(2) or 1) - 1
            children = [
                c for c in node if isinstance(c.tag, str) and (name is None or etree.QName(c).localname == name)
            ]
            if index >= len(children):
                break
            node = children[index]
        path = spec_path(node, self._position)
        value = None
        attribute = _ATTRIBUTE.search(entry.message)
        if attribute and "is required but missing" not in entry.message:
            path += f"/@{attribute.group(1)}"
            value = node.get(attribute.group(1))
        elif "[facet" in entry.message or "is not a valid value" in entry.message:
            value = node.text
        self._error(entry.message, line_of(node), path, value)

    def _text_error(self, context: Context) -> None:
        self._error(
            f"Element '{{{self._ns}}}{ROOT}': Character content other than whitespace is not allowed "
            "because the content type is 'element-only'.",
            self._root_line,
            f"/{ROOT}",
        )

    def _error(self, message: str, line: int | None, path: str, value: str | None = None) -> None:
        self._context.valid = False
        if len(self._errors) >= CAP:
            self._cut = True
            return
        self._errors.append(
            finding("XSD-001", line=line, path=path, value=value, **explained("XSD-001", message.strip()))
        )

    # ------------------------------------------------------------------ verdict

    def end(self, context: Context) -> None:
        if self._root_problem is not None:
            context.add(2, self._root_problem)
            return
        if context.convention is None:
            return
        if context.root is not None and context.root.text and context.root.text.strip():
            self._text_error(context)
        if self._state != "records" and not self._order_broken:
            wanted = "Entete" if self._state == "start" else "Enregistrement"
            self._error(
                f"Element '{{{self._ns}}}{ROOT}': Missing child element(s). Expected is ( {{{self._ns}}}{wanted} ).",
                self._root_line,
                f"/{ROOT}",
            )
        for error in self._errors:
            context.add(2, error)
        if self._cut:
            context.add(2, finding("XSD-004", cap=CAP))
