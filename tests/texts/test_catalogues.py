"""The gettext catalogues: whole in both languages, compiled, and the old stores' APIs over them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gateway.texts as texts
from gateway.texts import tool

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the locale folder the test may change, in force for gateway.texts."""
    copy = tmp_path / "locale"
    shutil.copytree(texts.LOCALE_DIR, copy)
    monkeypatch.setattr(texts, "LOCALE_DIR", copy)
    texts._loaded.cache_clear()
    yield copy
    texts._loaded.cache_clear()


def test_every_id_has_both_languages_none_untranslated_and_both_compile() -> None:
    assert tool.problems() == []
    for lang in texts.LANGUAGES:
        translations, ids = texts.compile_po(lang)
        assert len(ids) > 500
        assert all(translations.gettext(msgid) not in ("", msgid) for msgid in ids)
    assert texts.gettext("fr", "files.status") == "Statut" and texts.gettext("en", "files.status") == "Status"


def test_the_check_command_passes_on_the_shipped_catalogues() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.texts.tool", "check"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "every id has both languages" in result.stdout


def test_a_gap_is_reported(private_catalogues: Path) -> None:
    en = tool.load("en")
    en["files.status"].string = ""
    en["nav.audit"].flags.add("fuzzy")
    tool.save("en", en)
    fr = tool.load("fr")
    fr.delete("nav.admin")
    tool.save("fr", fr)
    found = tool.problems()
    assert "files.status: no en text" in found
    assert "nav.audit: the en text is marked fuzzy" in found
    assert "nav.admin: in en but not in fr" in found
    assert "nav.admin: named in the code, in no catalogue" in found


def test_code_written_against_the_old_stores_still_works_and_update_adopts_it(
    private_catalogues: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.exchange.checks.messages import CATALOGUE, Entry, finding
    from gateway.exchange.checks.model import Severity
    from gateway.web.catalogue import MESSAGES
    from gateway.web.i18n import translate

    monkeypatch.setitem(MESSAGES, "prov.refusals", ("Refus SFTP", "SFTP refusals"))
    monkeypatch.setitem(
        CATALOGUE, "XYZ-001", Entry(4, Severity.ERREUR, "Valeur {value} refusée.", "Value {value} refused.")
    )
    assert translate("en", "prov.refusals") == "SFTP refusals"
    assert finding("XYZ-001", value="7").message_en == "Value 7 refused."
    assert (
        "prov.refusals: still in gateway/web/catalogue.py MESSAGES; run scripts/texts update, then remove it there"
        in tool.problems()
    )

    done = tool.update()
    texts._loaded.cache_clear()
    assert "prov.refusals: adopted from gateway/web/catalogue.py MESSAGES" in done
    assert tool.load("fr")["finding.XYZ-001"].string == "Valeur {value} refusée."
    assert texts.text("en", "prov.refusals") == "SFTP refusals"
    monkeypatch.delitem(MESSAGES, "prov.refusals")
    monkeypatch.delitem(CATALOGUE, "XYZ-001")
    assert tool.problems() == []


def test_update_adds_an_id_named_in_the_code_with_an_empty_text(
    private_catalogues: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkg"
    (package / "templates").mkdir(parents=True)
    (package / "views.py").write_text('def page(t):\n    return t("prov.brand_new")\n')
    (package / "templates" / "x.html").write_text('<p>{{ _("prov.from_a_template") }} {{ t("nav.audit") }}</p>\n')
    monkeypatch.setattr(tool, "PACKAGE", package)
    assert tool.code_ids() == {"prov.brand_new", "prov.from_a_template", "nav.audit"}
    tool.update()
    fr = tool.load("fr")
    assert fr["prov.brand_new"] is not None and fr["prov.brand_new"].string == ""
    assert "prov.from_a_template: no en text" in tool.problems()


def test_labels_exist_for_every_coded_value_in_both_languages() -> None:
    from gateway.exchange.checks.model import Severity
    from gateway.intake.documents.model import Flag, Reason
    from gateway.intake.report import ReportVerdict
    from gateway.intake.requirements import DocumentKind
    from gateway.intake.status import Channel, Outcome, Status
    from gateway.web.request_files import STATUSES

    groups = [
        ("appstatus", Status),
        ("outcome", Outcome),
        ("kind", DocumentKind),
        ("reasonlabel", Reason),
        ("flaglabel", Flag),
        ("severity", Severity),
        ("reportverdict", ReportVerdict),
        ("channel", Channel),
        ("filestatus", STATUSES),
        ("role", ("agent", "admin")),
    ]
    for group, values in groups:
        for value in values:
            msgid = f"{group}.{value}"
            assert texts.has(msgid), msgid
            fr, en = texts.both(msgid)
            # a label is a word, not the code shown again (codes are upper case or joined with _)
            if "_" in str(value) or str(value).isupper():
                assert str(value) not in (fr, en), msgid


def test_old_store_apis_read_the_catalogues() -> None:
    from gateway.intake.documents.messages import ACCEPTED, FLAGS, REASONS, message_for
    from gateway.intake.documents.model import Flag, Reason
    from gateway.intake.notify import approval_message, withdrawal_message
    from gateway.intake.rendering import TEXTS
    from gateway.intake.status import Status

    assert ACCEPTED.en == "Document accepted." and REASONS[Reason.JPEG_REFUSE].fr.startswith("Les fichiers JPEG")
    assert set(FLAGS) == set(Flag) and len(REASONS) == len(Reason)
    assert message_for(Reason.FICHIER_TROP_VOLUMINEUX, max_bytes=10 * 1024 * 1024).en.startswith(
        "The file is larger than the maximum allowed size of 10 MiB."
    )
    assert TEXTS["en"]["title"] == "Intake report" and TEXTS["fr"]["title"] == "Rapport d'instruction"
    assert Status.TRANSMISE.label_en == "Submitted" and Status.TRANSMISE.label_fr == "Transmise"
    message = approval_message("a@b.lu", "DEM-2026-000001", "70123456", "https://x/f/t")
    assert message.topic == "code prestataire attribué 70123456 / provider code allocated"
    assert message.body_en.endswith("on request.\n\nFollow your application: https://x/f/t")
    assert withdrawal_message("a@b.lu", "DEM-2026-000001", "").body_fr == (
        "Bonjour,\n\nVotre demande DEM-2026-000001 a été retirée."
    )
    assert withdrawal_message("a@b.lu", "DEM-2026-000001", "doublon").body_en.endswith("withdrawn.\n\nReason: doublon")


def test_templates_use_jinja2_i18n_over_the_catalogues() -> None:
    from jinja2 import Environment

    from gateway.web.templating import install_gettext, install_labels

    env = Environment(autoescape=True)
    install_gettext(env)
    install_labels(env)
    assert "jinja2.ext.InternationalizationExtension" in env.extensions
    template = env.from_string(
        '{{ _("files.status") }}|{{ gettext("files.truncated", n=5) }}|'
        '{{ label("filestatus", "PARTIELLEMENT_ACCEPTE", lang) }}|{{ actor_label("staff:jdupont", lang) }}'
    )
    assert template.render(lang="en") == (
        "Status|Only the first 5 lines are shown; download the file for the rest.|Partly accepted|staff jdupont"
    )
    assert template.render(lang="fr") == (
        "Statut|Seules les 5 premières lignes sont affichées ; téléchargez le fichier "
        "pour le reste.|Partiellement accepté|personnel jdupont"
    )
