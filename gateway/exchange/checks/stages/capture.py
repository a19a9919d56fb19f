"""What stage 4 keeps of an accepted record for forwarding (spec/exchange.md section 7).

The back office settles a record from what is forwarded, never from the request file, so the
record stage keeps, while the record is parsed anyway, its prescription and every act with
the tariff applied. Only records of PRODUCTION files that stage 4 accepts are captured (a
TEST file is never forwarded), packed into one string per record
(:class:`~gateway.exchange.checks.model.RecordDetail`), so a 50 MiB file's details stay a fraction
of its size in memory.
"""

from __future__ import annotations

from gateway.exchange.checks.model import pack_detail
from gateway.exchange.checks.rules.context import RuleContext
from gateway.exchange.checks.rules.record import RecordView


def capture(record: RecordView, rules: RuleContext, tariffs: dict[tuple[str, str], str]) -> str:
    """The packed forwarded detail of ``record``, which stage 4 accepted (every act code is in force).

    ``tariffs`` caches the tariff text of (code, act date) across the file's records.
    """
    nomenclature = rules.nomenclature
    acts = []
    for line in record.lines:
        code = line.code.text
        date = line.date.isoformat() if line.date is not None else line.date_value.text
        tariff = tariffs.get((code, date))
        if tariff is None:
            _, row = rules.lookup(code, line.date) if line.date else (False, None)
            tariff = tariffs[(code, date)] = f"{row.tariff:.2f}" if row is not None else ""
        acts.append(
            (
                code,
                date,
                line.quantity,
                tariff,
                line.amount.text,
                line.performer.text if line.performer is not None else None,
            )
        )
    sampled = record.lines[0].date_value.text if record.place is not None and record.lines else None
    return pack_detail(
        record.physician.text,
        record.prescribed.text,
        record.prescribed_sessions,
        sampled,
        record.place,
        nomenclature.version,
        acts,
    )
