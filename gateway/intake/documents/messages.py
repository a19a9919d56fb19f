"""The French and English messages of every verdict, reason and flag.

Each message tells the applicant what happened and what to do. Other parts of the gateway
(web form, mail replies, intake report) take their wording from here, so that the applicant
reads the same sentence everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.intake.documents.model import Flag, Reason


@dataclass(frozen=True)
class Message:
    """One message in both languages."""

    fr: str
    en: str


ACCEPTED = Message(
    fr="Document accepté.",
    en="Document accepted.",
)

REASONS: dict[Reason, Message] = {
    Reason.FICHIER_VIDE: Message(
        fr="Le fichier est vide. Veuillez envoyer à nouveau le document en PDF.",
        en="The file is empty. Please send the document again as a PDF.",
    ),
    Reason.FICHIER_TROP_VOLUMINEUX: Message(
        fr="Le fichier dépasse la taille maximale autorisée de {limit}. Veuillez réduire la "
           "résolution du scan ou diviser le document, puis l'envoyer à nouveau en PDF.",
        en="The file is larger than the maximum allowed size of {limit}. Please scan at a lower "
           "resolution or split the document, then send it again as a PDF.",
    ),
    Reason.MALWARE_DETECTE: Message(
        fr="Le fichier contient un logiciel malveillant et a été refusé. Veuillez vérifier votre "
           "ordinateur avec un antivirus, puis envoyer à nouveau le document en PDF.",
        en="The file contains malware and was refused. Please check your computer with an "
           "antivirus program, then send the document again as a PDF.",
    ),
    Reason.HTM_REFUSE: Message(
        fr="Les pages web (HTML) ne sont pas acceptées. Veuillez imprimer la page en PDF "
           "(« Imprimer » puis « Enregistrer au format PDF ») et l'envoyer à nouveau.",
        en="Web pages (HTML) are not accepted. Please print the page to PDF (\"Print\", then "
           "\"Save as PDF\") and send it again.",
    ),
    Reason.JPEG_REFUSE: Message(
        fr="Les fichiers JPEG ne sont pas acceptés. Veuillez scanner le document en PDF et "
           "l'envoyer à nouveau.",
        en="JPEG files are not accepted. Please scan the document to PDF and send it again.",
    ),
    Reason.FORMAT_NON_PDF: Message(
        fr="Le fichier n'est pas un PDF. Seuls les documents PDF sont acceptés : veuillez "
           "enregistrer ou scanner le document en PDF et l'envoyer à nouveau.",
        en="The file is not a PDF. Only PDF documents are accepted: please save or scan the "
           "document as a PDF and send it again.",
    ),
    Reason.PDF_ILLISIBLE: Message(
        fr="Le PDF est endommagé ou incomplet et ne peut pas être lu. Veuillez l'enregistrer à "
           "nouveau depuis le document d'origine et l'envoyer à nouveau.",
        en="The PDF is damaged or incomplete and cannot be read. Please save it again from the "
           "original document and send it again.",
    ),
    Reason.PDF_TROP_COMPLEXE: Message(
        fr="Le PDF est trop complexe pour être vérifié. Veuillez l'imprimer en PDF ou le "
           "scanner à nouveau, puis l'envoyer à nouveau.",
        en="The PDF is too complex to be checked. Please print it to PDF or scan it again, "
           "then send it again.",
    ),
    Reason.PDF_CHIFFRE: Message(
        fr="Le PDF est protégé par un mot de passe. Veuillez envoyer une version sans mot de "
           "passe.",
        en="The PDF is protected by a password. Please send a version without a password.",
    ),
    Reason.PDF_SANS_PAGE: Message(
        fr="Le PDF ne contient aucune page. Veuillez vérifier le document et l'envoyer à "
           "nouveau.",
        en="The PDF has no page. Please check the document and send it again.",
    ),
    Reason.PDF_CONTENU_ACTIF: Message(
        fr="Le PDF contient du contenu actif (JavaScript, lancement de programme, envoi de données "
           "ou ouverture d'un autre document), qui n'est pas accepté. Veuillez l'imprimer en PDF "
           "ou le scanner, puis l'envoyer à nouveau.",
        en="The PDF carries active content (JavaScript, a program launch, sending data or opening "
           "another document), which is not accepted. Please print it to PDF or scan it, then "
           "send it again.",
    ),
}

FLAGS: dict[Flag, Message] = {
    Flag.PDF_RESTRICTIONS: Message(
        fr="Le PDF comporte des restrictions d'utilisation (mot de passe propriétaire) ; il a "
           "été accepté. Si possible, envoyez une version sans restrictions.",
        en="The PDF has usage restrictions (owner password); it was accepted. If you can, send "
           "a version without restrictions.",
    ),
    Flag.PDF_FICHIER_JOINT: Message(
        fr="Le PDF contient des fichiers joints ; il a été accepté, mais seules les pages du "
           "PDF sont examinées. Envoyez chaque document séparément en PDF.",
        en="The PDF carries embedded files; it was accepted, but only the PDF's pages are "
           "reviewed. Send each document separately as a PDF.",
    ),
    Flag.PDF_REPARE: Message(
        fr="Le PDF était légèrement endommagé et a pu être lu après réparation ; il a été "
           "accepté. Vérifiez qu'il s'affiche correctement chez vous.",
        en="The PDF was slightly damaged and could be read after repair; it was accepted. "
           "Check that it displays correctly on your side.",
    ),
    Flag.EXTENSION_TROMPEUSE: Message(
        fr="Le fichier est un PDF mais son nom ne se termine pas par « .pdf » ; il a été "
           "accepté. Nommez vos documents PDF avec l'extension « .pdf ».",
        en="The file is a PDF but its name does not end in \".pdf\"; it was accepted. Name your "
           "PDF documents with the \".pdf\" extension.",
    ),
    Flag.NOM_ASSAINI: Message(
        fr="Le nom du fichier contenait des caractères non autorisés ; il est affiché sous une "
           "forme nettoyée.",
        en="The file name contained characters that are not allowed; it is shown in a cleaned "
           "form.",
    ),
}


def _human_size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    return f"{n} bytes"


def message_for(reason: Reason | None, flags: tuple[Flag, ...] = (), *, max_bytes: int = 0) -> Message:
    """The message of a verdict: the reason's (or "accepted"), then one sentence per flag."""
    head = ACCEPTED if reason is None else REASONS[reason]
    parts_fr, parts_en = [head.fr], [head.en]
    for flag in flags:
        parts_fr.append(FLAGS[flag].fr)
        parts_en.append(FLAGS[flag].en)
    limit = _human_size(max_bytes)
    return Message(fr=" ".join(parts_fr).format(limit=limit), en=" ".join(parts_en).format(limit=limit))
