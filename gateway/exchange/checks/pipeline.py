"""The exchange checks: every stage of spec/exchange.md section 4, in order, in one place.

:class:`Checker` is what the worker and ``gateway validate`` call. A file is read once:
stage 0 looks at its name and size; then one streaming pass hands each element under the
root (the header, each record, anything else) to the stages in order, and the element is
dropped as soon as they are done with it; then each stage gives its verdict in order and
the first FATAL one ends the checks. Thread-safe: the stages of one check are its own.

Nothing a stage raises leaves :meth:`Checker.check`: an unexpected exception (a bug, a library
failing on a hostile file, a database error in the history) becomes the outcome of
:func:`internal_error_outcome` (SYS-001), which the worker retries a few times before it
answers with it (gateway/exchange/runtime/processing.py).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TypedDict
from zoneinfo import ZoneInfo

from lxml import etree

from gateway.exchange.checks.messages import INTERNAL_ERROR, finding
from gateway.exchange.checks.model import (
    FileStatus,
    Finding,
    History,
    Mode,
    Outcome,
    Received,
    RecordStatus,
    Severity,
)
from gateway.exchange.checks.references import ReferenceStore
from gateway.exchange.checks.stages.base import Context, Stage, StageBase
from gateway.exchange.checks.stages.header import CheckHeader
from gateway.exchange.checks.stages.history import CheckHistory
from gateway.exchange.checks.stages.name import CheckName
from gateway.exchange.checks.stages.parse import ParseXml
from gateway.exchange.checks.stages.records import CheckRecords
from gateway.exchange.checks.stages.schema import ValidateSchema
from gateway.exchange.checks.xmlsafe import (
    MAX_TEXT_BYTES,
    READ_CHUNK,
    CountingReader,
    XmlProblem,
    dtd_problem,
    element_limits_problem,
    iter_top_level,
    limits_problem,
    line_of,
    open_events,
    syntax_problem,
)
from gateway.exchange.faults import fault_raise
from gateway.logs import get_logger

EXCHANGE_STAGES: tuple[type[Stage], ...] = (
    CheckName,
    ParseXml,
    ValidateSchema,
    CheckHeader,
    CheckRecords,
    CheckHistory,
)
#: longest description of an internal error kept for staff (exception type and message)
MAX_ERROR_CHARS = 500

log = get_logger(__name__)


def internal_error_outcome(received: Received, error: str) -> Outcome:
    """The outcome of a file that could not be checked: REJETE with SYS-001 alone.

    Nothing else is said (no mode, convention, IdFichier or sequence), so the response is the
    same whichever attempt or process gives it.
    """
    return Outcome(
        received=received,
        status=FileStatus.REJETE,
        file_findings=(finding(INTERNAL_ERROR),),
        internal_error=error[:MAX_ERROR_CHARS],
    )


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception, cut to MAX_ERROR_CHARS (for logs, audit and the outcome)."""
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


class Checker:
    """Checks received request files against the schemas, nomenclature and history.

    Reads ``versions.toml``, the XSDs and the nomenclature in ``schemas_dir`` now (raising
    :class:`~gateway.exchange.checks.references.ReferenceError_` when they are unusable) and again
    whenever they change. Each file is judged with the versions in force on its day of
    receipt in ``timezone``.
    """

    def __init__(self, schemas_dir: Path, *, timezone: str, max_file_bytes: int) -> None:
        self.schemas_dir = Path(schemas_dir)
        self.timezone = ZoneInfo(timezone)
        self.max_file_bytes = max_file_bytes
        self.references = ReferenceStore(self.schemas_dir)

    def check(self, received: Received, history: History) -> Outcome:
        """Runs every stage on ``received`` and returns its outcome; never raises.

        An exception inside a stage gives :func:`internal_error_outcome` (logged with its
        traceback); the caller tells it by ``outcome.internal_error``.
        """
        try:
            return self._check(received, history)
        except Exception as exc:  # whatever a stage raises becomes a finding
            log.exception("the checks failed", file=received.name, provider=received.provider_code)
            return internal_error_outcome(received, describe(exc))

    def _check(self, received: Received, history: History) -> Outcome:
        context = Context(
            received=received,
            history=history,
            references=self.references.current(),
            timezone=self.timezone,
            max_file_bytes=self.max_file_bytes,
        )
        stages = [stage() for stage in EXCHANGE_STAGES]
        for stage in stages:
            stage.begin(context)
            if context.duplicate_of is not None:
                return _outcome(context, reached_records=False)
            if context.fatal(stage.number):
                return _outcome(context, reached_records=False)
        fault_raise("in_checks")
        _document_pass(context, stages[1:])
        for stage in stages:
            stage.end(context)
            if context.fatal(stage.number):
                return _outcome(context, reached_records=False)
        return _outcome(context, reached_records=True)


def _document_pass(context: Context, stages: list[Stage]) -> None:
    """Streams the file once, handing each element under the root to ``stages``."""
    namespace = context.namespace
    if not namespace:
        _wellformed_pass(context)
        return
    tags = (f"{{{namespace}}}Entete", f"{{{namespace}}}Enregistrement")
    record_tag = tags[1]
    position = 0
    # a stage that does nothing during the pass is not called for each of 100,000 records
    stages = [stage for stage in stages if type(stage).visit is not StageBase.visit]

    def visit(element: etree._Element) -> None:
        nonlocal position
        if element.tag == record_tag:
            position += 1
            current = position
        else:
            current = 0
        for stage in stages:
            stage.visit(context, element, current)

    reader = CountingReader(context.received.path.open("rb"))
    consumed = 0

    def long_texts_possible() -> bool:
        """A text over the bound lies wholly in what the parser read since the last event:
        only then are texts measured (the parser reads ahead by up to two chunks)."""
        nonlocal consumed
        span, consumed = reader.count - consumed, reader.count
        return span + 2 * READ_CHUNK > MAX_TEXT_BYTES

    def take(element: etree._Element, texts: bool) -> bool:
        """Visits one child of the root unless it breaks the parser's bounds (XML-003)."""
        problem = limits_problem(element, texts=texts)
        if problem is not None:
            context.xml_problem = problem
            return False
        visit(element)
        return True

    events = open_events(reader, tags)
    try:
        for element in iter_top_level(events):
            if context.root is None and (problem := dtd_problem(element)) is not None:
                context.xml_problem = problem  # nothing of a document with a DTD is looked at
                return
            root = element.getparent()
            assert root is not None, "the elements the pass yields are the root's children"
            context.root = root
            texts = long_texts_possible()
            # Elements the tag filter did not select come before this one: visit them first.
            for stray in list(element.itersiblings(preceding=True))[::-1]:
                if not take(stray, texts):
                    return
                root.remove(stray)
            if not take(element, texts):
                return
            element.clear(keep_tail=False)
            root.remove(element)
        root = events.root
        if root is not None:
            if (problem := dtd_problem(root)) is not None:
                context.xml_problem = problem
                return
            context.root = root
            texts = long_texts_possible()
            for stray in list(root):
                if not take(stray, texts):
                    return
                root.remove(stray)
            if (
                root.text is not None
                and len(root.text) > MAX_TEXT_BYTES // 4
                and len(root.text.encode("utf-8")) > MAX_TEXT_BYTES
            ):
                context.xml_problem = XmlProblem("XML-003", "a text node over 10 MiB", line_of(root))
    except etree.XMLSyntaxError as exc:
        context.xml_problem = syntax_problem(exc)
    finally:
        reader.close()


def _wellformed_pass(context: Context) -> None:
    """Stage 1 alone (no schema applies): every element is dropped as soon as it ends."""
    events = open_events(context.received.path, None)
    try:
        first = True
        for element in iter_top_level(events, every_depth=True):
            problem = (dtd_problem(element) if first else None) or element_limits_problem(element)
            first = False
            if problem is not None:
                context.xml_problem = problem
                return
            element.clear(keep_tail=False)
            parent = element.getparent()  # None for the root, which has nothing before it
            while parent is not None and element.getprevious() is not None:
                del parent[0]
        if events.root is not None and (problem := dtd_problem(events.root)) is not None:
            context.xml_problem = problem
    except etree.XMLSyntaxError as exc:
        context.xml_problem = syntax_problem(exc)


class _Common(TypedDict):
    """The fields every outcome past stage 0 has."""

    received: Received
    mode: Mode | None
    convention: str | None
    id_fichier: str | None
    sequence: int | None
    file_findings: tuple[Finding, ...]


def _outcome(context: Context, *, reached_records: bool) -> Outcome:
    received = context.received
    if context.duplicate_of is not None:
        return Outcome(received=received, status=FileStatus.DOUBLON, duplicate_of=context.duplicate_of)
    file_findings = tuple(f for stage in sorted(context.findings) for f in context.findings[stage])
    header = context.header
    common: _Common = {
        "received": received,
        "mode": header.mode if header else None,
        "convention": context.convention,
        "id_fichier": header.id_fichier if header else None,
        "sequence": header.sequence if header else None,
        "file_findings": file_findings,
    }
    fatal = any(f.severity == Severity.FATAL for f in file_findings)
    if fatal or not reached_records:
        return Outcome(status=FileStatus.REJETE, **common)
    records = tuple(context.records)
    accepted = [r for r in records if r.status != RecordStatus.REJETE]
    if not accepted:
        status = FileStatus.REJETE
    elif len(accepted) < len(records):
        status = FileStatus.PARTIELLEMENT_ACCEPTE
    else:
        status = FileStatus.ACCEPTE
    return Outcome(
        status=status,
        records=records,
        amount_received=sum((r.amount for r in records), Decimal("0")),
        amount_accepted=sum((r.amount for r in accepted), Decimal("0")),
        **common,
    )
