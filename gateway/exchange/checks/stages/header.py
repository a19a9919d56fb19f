"""Stage 3: the header against the uploader, the name, the records and the history (ENT-00x)."""

from __future__ import annotations

from lxml import etree

from gateway.exchange.checks.rules.header import header_findings, read_header
from gateway.exchange.checks.stages.base import Context, StageBase


class CheckHeader(StageBase):
    """Reads the ``Entete`` as it streams by; judges it once the records are counted."""

    number = 3

    def visit(self, context: Context, element: etree._Element, position: int) -> None:
        if (
            context.header is None
            and position == 0
            and etree.QName(element).localname == "Entete"
            and context.namespace
            and isinstance(element.tag, str)
            and element.tag.startswith("{" + context.namespace + "}")
        ):
            context.header = read_header(element)

    def end(self, context: Context) -> None:
        if context.header is None or context.convention is None:
            return
        name = context.name
        for item in header_findings(
            context.header,
            received=context.received,
            convention=context.convention,
            name_convention=name.convention if name else None,
            name_sequence=name.sequence if name else None,
            record_count=context.record_count,
            records_total=context.records_total,
            day=context.day,
            timezone=context.timezone,
            history=context.history,
            root_line=context.root.sourceline if context.root is not None else None,
        ):
            context.add(3, item)
