"""The catalogue: every code of spec/exchange.md section 4 with its severity and messages.

One place for the French and English text of every finding. :func:`finding` builds a
:class:`~gateway.exchange.model.Finding` from a code and the values its messages name;
:data:`CATALOGUE` is also what docs/exchange.md lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.exchange.model import Finding, Severity


@dataclass(frozen=True)
class Entry:
    """One code: its stage, severity and message templates (``str.format`` fields).

    ``stage`` is the number of section 4's stage, or ``"any"`` for SYS-001, which no stage
    gives: the gateway itself does, when it could not check the file.
    """

    stage: int | str
    severity: Severity
    fr: str
    en: str


#: the file could not be checked (spec section 4 has no code for it; the response stays valid)
INTERNAL_ERROR = "SYS-001"

F, E, W, I = Severity.FATAL, Severity.ERREUR, Severity.AVERTISSEMENT, Severity.INFO

CATALOGUE: dict[str, Entry] = {
    "FIC-005": Entry(0, I, "Fichier identique au fichier {earlier} déjà reçu le {received_at}.",
                     "File identical to {earlier}, already received on {received_at}."),
    "FIC-001": Entry(0, F, "Le nom du fichier ne suit pas le modèle <CONVENTION>_FACT_<code>_<AAAAMMJJhhmmss>_<séquence>.xml.",
                     "The file name does not follow <CONVENTION>_FACT_<code>_<YYYYMMDDhhmmss>_<sequence>.xml."),
    "FIC-002": Entry(0, F, "Le fichier est vide.", "The file is empty."),
    "FIC-003": Entry(0, F, "Le fichier dépasse la taille maximale de {limit} octets ({size} octets).",
                     "The file exceeds the size limit of {limit} bytes ({size} bytes)."),
    "FIC-004": Entry(0, F, "Le nom du fichier désigne {what} {value}, mais le fichier a été déposé par le compte {uploader} ({profession}).",
                     "The file name names {what_en} {value}, but the file was deposited by account {uploader} ({profession})."),
    "XML-001": Entry(1, F, "Le fichier n'est pas un XML UTF-8 bien formé : {detail}",
                     "The file is not well-formed UTF-8 XML: {detail}"),
    "XML-002": Entry(1, F, "Une DTD, une déclaration d'entité ou une référence externe est présente ; elles sont interdites.",
                     "A DTD, an entity declaration or an external reference is present; they are not allowed."),
    "XML-003": Entry(1, F, "Le fichier dépasse les limites de l'analyseur (profondeur 256, nœud texte de 10 Mio) : {detail}",
                     "The file exceeds the parser's limits (depth 256, text node of 10 MiB): {detail}"),
    "XSD-001": Entry(2, F, "Non conforme au schéma : {detail}", "Not valid against the schema: {detail}"),
    "XSD-004": Entry(2, I, "La liste des erreurs de schéma a été arrêtée après {cap} erreurs.",
                     "The list of schema errors was cut after {cap} errors."),
    "XSD-002": Entry(2, F, "L'élément racine {{{namespace}}}{root} n'est pas celui d'une convention (Facturation dans urn:cns:echange:lab:1, kine:1 ou diet:1).",
                     "The root element {{{namespace}}}{root} is not one of a convention (Facturation in urn:cns:echange:lab:1, kine:1 or diet:1)."),
    "XSD-003": Entry(2, F, "La version de schéma {version} n'est pas acceptée pour {convention} le {day}.",
                     "Schema version {version} is not accepted for {convention} on {day}."),
    "ENT-001": Entry(3, F, "CodePrestataire {value} n'est pas le code du compte déposant {uploader}.",
                     "CodePrestataire {value} is not the code of the depositing account {uploader}."),
    "ENT-002": Entry(3, F, "Le nom du fichier indique {what} {named}, le fichier contient {value}.",
                     "The file name gives {what_en} {named}, the file holds {value}."),
    "ENT-003": Entry(3, F, "IdFichier {value} a déjà été utilisé dans un fichier de production accepté.",
                     "IdFichier {value} was already used in an accepted production file."),
    "ENT-004": Entry(3, F, "NumeroSequence {value} n'est pas supérieur au dernier numéro accepté ({last}).",
                     "NumeroSequence {value} is not greater than the last accepted number ({last})."),
    "ENT-005": Entry(3, W, "NumeroSequence {value} saute des numéros : le dernier numéro accepté est {last}.",
                     "NumeroSequence {value} skips numbers: the last accepted number is {last}."),
    "ENT-006": Entry(3, F, "NombreEnregistrements vaut {value}, le fichier contient {count} enregistrements.",
                     "NombreEnregistrements is {value}, the file holds {count} records."),
    "ENT-007": Entry(3, F, "MontantTotal vaut {value}, la somme des MontantEnregistrement est {total}.",
                     "MontantTotal is {value}, the sum of MontantEnregistrement is {total}."),
    "ENT-008": Entry(3, F, "DateCreation {value} est plus de 5 minutes après la réception ({received_at}).",
                     "DateCreation {value} is more than 5 minutes after receipt ({received_at})."),
    "ENT-009": Entry(3, F, "Periode {value} : {reason_fr}.", "Periode {value}: {reason_en}."),
    "MAT-002": Entry(4, E, "Les 8 premiers chiffres du matricule ne sont pas une date valide (AAAAMMJJ).",
                     "The first 8 digits of the matricule are not a valid date (YYYYMMDD)."),
    "MAT-003": Entry(4, E, "Le 12e chiffre du matricule n'est pas le chiffre de contrôle Luhn des 11 premiers.",
                     "The 12th digit of the matricule is not the Luhn check digit of the first 11."),
    "MAT-004": Entry(4, E, "Le 13e chiffre du matricule n'est pas le chiffre de contrôle Verhoeff des 11 premiers.",
                     "The 13th digit of the matricule is not the Verhoeff check digit of the first 11."),
    "MAT-005": Entry(4, E, "La date de naissance du matricule ({birth}) est postérieure à la date de l'acte ({act}).",
                     "The matricule's birth date ({birth}) is after the act date ({act})."),
    "PRE-001": Entry(4, E, "CodeMedecin {value} n'est pas un code de médecin valide (préfixe 10, chiffre de contrôle).",
                     "CodeMedecin {value} is not a valid physician code (prefix 10, check digit)."),
    "DAT-001": Entry(4, E, "La date de l'acte {value} est hors de la période facturée ({start} au {end}).",
                     "The act date {value} is outside the billing period ({start} to {end})."),
    "DAT-002": Entry(4, E, "La date de l'acte {value} est postérieure au jour de réception ({day}).",
                     "The act date {value} is after the day of receipt ({day})."),
    "DAT-003": Entry(4, E, "La date de l'acte {value} est antérieure à la date de l'ordonnance ({prescribed}).",
                     "The act date {value} is before the prescription date ({prescribed})."),
    "DAT-004": Entry(4, W, "La date de l'acte {value} dépasse de plus de {days} jours la date de l'ordonnance ({prescribed}).",
                     "The act date {value} is more than {days} days after the prescription date ({prescribed})."),
    "NOM-001": Entry(4, E, "Le code {value} n'existe pas dans la nomenclature {convention}.",
                     "Code {value} is not in the {convention} nomenclature."),
    "NOM-002": Entry(4, E, "Le code {value} n'est pas valable à la date de l'acte ({date}).",
                     "Code {value} is not valid on the act date ({date})."),
    "NOM-003": Entry(4, E, "Le code {value} est facturé {quantity} fois dans l'enregistrement, le maximum est {maximum}.",
                     "Code {value} is billed {quantity} times in the record, the maximum is {maximum}."),
    "MNT-001": Entry(4, E, "Montant {value} ne correspond pas au tarif {tariff} × quantité {quantity} = {expected}.",
                     "Montant {value} is not tariff {tariff} × quantity {quantity} = {expected}."),
    "MNT-002": Entry(4, E, "MontantEnregistrement {value} n'est pas la somme des montants des lignes ({expected}).",
                     "MontantEnregistrement {value} is not the sum of the line amounts ({expected})."),
    "LAB-001": Entry(4, E, "Le forfait de prélèvement à domicile L0901 est facturé alors que le lieu est {place}.",
                     "Home sampling L0901 is billed while the place is {place}."),
    "KIN-001": Entry(4, E, "{billed} séances facturées pour {prescribed} prescrites.",
                     "{billed} sessions billed for {prescribed} prescribed."),
    "DIE-001": Entry(4, E, "CodePrestataireExecutant {value} n'est pas un code de diététicien valide (préfixe 47, chiffre de contrôle).",
                     "CodePrestataireExecutant {value} is not a valid dietitian code (prefix 47, check digit)."),
    "DUP-001": Entry(4, E, "Le même acte ({value}) pour ce matricule figure déjà dans l'enregistrement {earlier} de ce fichier.",
                     "The same act ({value}) for this matricule is already in record {earlier} of this file."),
    "DUP-002": Entry(5, E, "Le même acte ({value}) pour ce matricule a déjà été accepté dans un fichier de production antérieur.",
                     "The same act ({value}) for this matricule was already accepted in an earlier production file."),
    # Not in section 4: the gateway's own failure, answered rather than retried for ever.
    INTERNAL_ERROR: Entry("any", F, "Le fichier n'a pas pu être contrôlé à cause d'une erreur interne de la passerelle ; "
                          "la caisse a été alertée. Une fois le problème corrigé et annoncé par la caisse, vous pourrez "
                          "renvoyer ce même fichier sans le modifier : il ne sera pas traité comme un doublon.",
                          "The file could not be checked because of an internal error of the gateway; the fund has "
                          "been alerted. Once it has told you the problem is fixed, you may send this same file "
                          "again unchanged: it will not be treated as a duplicate."),
}


#: longest offending value (or quoted parser message) in a response: a value may be megabytes long
MAX_VALUE_CHARS = 1000


def quoted(value: str | None) -> str | None:
    """``value`` as a response quotes it: cut at MAX_VALUE_CHARS, the cut marked with '…'."""
    if value is None or len(value) <= MAX_VALUE_CHARS:
        return value
    return value[:MAX_VALUE_CHARS - 1] + "…"


def finding(code: str, *, line: int | None = None, column: int | None = None, path: str | None = None,
            value: str | None = None, **params: Any) -> Finding:
    """The finding ``code`` at this place, its messages filled from ``value`` and ``params``."""
    entry = CATALOGUE[code]
    value = quoted(value)
    # libxml2 quotes the offending value in its message too: cut it the same way
    fields = {"value": value, **{k: quoted(v) if isinstance(v, str) else v for k, v in params.items()}}
    return Finding(code=code, severity=entry.severity, message_fr=entry.fr.format(**fields),
                   message_en=entry.en.format(**fields), line=line or None, column=column or None,
                   path=path, value=value)
