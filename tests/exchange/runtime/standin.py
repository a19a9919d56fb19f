"""A small stand-in for the exchange checks, used only while gateway.exchange.pipeline is a stub.

It reads the files gateway.exchange.samples builds and applies the stateful rules the
runtime feeds (FIC-005, ENT-003, ENT-004, DUP-002) through the real History, so the runtime's
tests exercise the real database history. Once the real Checker works the fixtures use it.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from gateway.exchange.model import (ActKey, FileStatus, Finding, History, Mode, Outcome, Received, RecordResult,
                                    RecordStatus, Severity)

CONVENTIONS = {"urn:cns:echange:lab:1": "LAB", "urn:cns:echange:kine:1": "KINE", "urn:cns:echange:diet:1": "DIET"}


def _finding(code: str, severity: Severity = Severity.FATAL) -> Finding:
    return Finding(code=code, severity=severity, message_fr=code, message_en=code)


class StandInChecker:
    def __init__(self, max_file_bytes: int = 52428800) -> None:
        self.max_file_bytes = max_file_bytes

    def check(self, received: Received, history: History) -> Outcome:
        earlier = history.identical_file(received.provider_code, received.sha256)
        if earlier is not None:
            return Outcome(received, FileStatus.DOUBLON, duplicate_of=earlier)
        if received.size > self.max_file_bytes:
            return Outcome(received, FileStatus.REJETE, file_findings=(_finding("FIC-003"),))
        try:
            root = etree.fromstring(received.path.read_bytes())
        except etree.XMLSyntaxError:
            return Outcome(received, FileStatus.REJETE, file_findings=(_finding("XML-001"),))
        ns = etree.QName(root).namespace
        convention = CONVENTIONS.get(ns)
        q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
        head = root.find(q("Entete"))
        mode = Mode(head.findtext(q("Mode")))
        id_fichier = head.findtext(q("IdFichier"))
        sequence = int(head.findtext(q("NumeroSequence")))
        findings = []
        if mode == Mode.PRODUCTION:
            if history.id_fichier_used(received.provider_code, id_fichier):
                findings.append(_finding("ENT-003"))
            last = history.last_sequence(received.provider_code, convention)
            if last is not None and sequence <= last:
                findings.append(_finding("ENT-004"))
        base = dict(mode=mode, convention=convention, id_fichier=id_fichier, sequence=sequence)
        if findings:
            return Outcome(received, FileStatus.REJETE, file_findings=tuple(findings), **base)
        parsed = []
        for position, record in enumerate(root.findall(q("Enregistrement")), start=1):
            matricule = record.findtext(q("Matricule"))
            acts = []
            for act in record:
                code = act.findtext(q("Code"))
                if code:
                    date = act.findtext(q("Date")) or record.find(q("Prelevement")).get("dateHeure")[:10]
                    acts.append(ActKey(matricule, code, date))
            amount = Decimal(record.findtext(q("MontantEnregistrement")))
            parsed.append((position, record, matricule, tuple(acts), amount))
        every = frozenset(a for *_, acts, _ in parsed for a in acts)
        seen = history.accepted_acts(received.provider_code, every) if mode == Mode.PRODUCTION else frozenset()
        results = []
        for position, record, matricule, acts, amount in parsed:
            bad = [a for a in acts if a in seen]
            results.append(RecordResult(
                position=position, id=record.get("id"), reference=record.get("reference"),
                status=RecordStatus.REJETE if bad else RecordStatus.ACCEPTE,
                findings=(_finding("DUP-002", Severity.ERREUR),) if bad else (),
                matricule=matricule, amount=amount, acts=acts))
        accepted = [r for r in results if r.status != RecordStatus.REJETE]
        status = (FileStatus.ACCEPTE if len(accepted) == len(results)
                  else FileStatus.REJETE if not accepted else FileStatus.PARTIELLEMENT_ACCEPTE)
        return Outcome(received, status, records=tuple(results),
                       amount_received=sum((r.amount for r in results), Decimal("0")),
                       amount_accepted=sum((r.amount for r in accepted), Decimal("0")), **base)


def standin_render(outcome: Outcome, *, processed_at, timezone: str) -> bytes:  # noqa: ANN001
    parts = [f'<Reponse xmlns="urn:cns:echange:reponse:1" versionSchema="1.0">',
             f'<Demande nomFichier="{outcome.received.name}" sha256="{outcome.received.sha256}"/>',
             f'<Traitement traiteLe="{processed_at.isoformat()}"/>', f"<Statut>{outcome.status}</Statut>"]
    for finding in outcome.file_findings:
        parts.append(f'<Erreur code="{finding.code}"/>')
    for record in outcome.records or ():
        parts.append(f'<Enregistrement id="{record.id}" statut="{record.status}">')
        parts.extend(f'<Erreur code="{finding.code}"/>' for finding in record.findings)
        parts.append("</Enregistrement>")
    parts.append("</Reponse>")
    return "\n".join(parts).encode()
