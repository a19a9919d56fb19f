"""The forwarded record document, defined once: what ``gateway forwarded export`` writes, what
``GET /api/v1/forwarded`` serves and what the publisher sends to the broker.

:func:`~gateway.exchange.runtime.forwarding.records.document` builds every record through
:class:`ForwardedOut`, so the three cannot drift apart; the API declares it as its response
model (its OpenAPI names are these classes'). ``schemas/forwarded-record-1.0.json`` is the same
document as a JSON Schema for the back office; the tests validate real output against it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class PrescriptionOut(BaseModel):
    physician: str = Field(description="CodeMedecin: the prescribing physician")
    date: str = Field(description="DateOrdonnance (YYYY-MM-DD)")
    sessions_prescribed: int | None = Field(description="NombreSeancesPrescrites (KINE), else null")


class SamplingOut(BaseModel):
    """LAB's ``Prelevement``."""

    at: str = Field(description="dateHeure as written")
    place: str = Field(description="lieu: LABO, DOMICILE, HOPITAL or MAISON_SOINS")
    home: bool = Field(description="true when taken at the patient's home (lieu DOMICILE)")


class ActOut(BaseModel):
    """One billed act with the tariff applied (amounts in euros as decimal strings)."""

    line: int = Field(description="Position among the record's acts (1-based)")
    code: str
    date: str = Field(description="Act date (YYYY-MM-DD; LAB: the date of the sampling)")
    quantity: int
    unit_tariff: str = Field(description="Nomenclature tariff on the act date")
    amount: str
    performer: str | None = Field(description="CodePrestataireExecutant (DIET), else null")


class ForwardedOut(BaseModel):
    """One whole accepted record (schemas/forwarded-record-1.0.json; same as ``gateway forwarded export``)."""

    type: str = "record"
    schema_version: str
    id: int = Field(description="Forwarding id: increasing, never reused; the message id on the broker")
    provider: str
    convention: str
    file_name: str
    id_fichier: str
    sequence: int | None
    received_at: str | None
    record_id: str
    record_position: int
    reference: str
    status: str
    matricule: str | None = Field(description="null once purged")
    prescription: PrescriptionOut | None = Field(description="null once purged")
    sampling: SamplingOut | None
    acts: list[ActOut]
    amount: str
    nomenclature_version: str | None
    forwarded_at: str
