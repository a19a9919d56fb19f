"""Benchmark of the application service: approvals (code allocation) and the mail drop.

    .venv/bin/python bench/applications_bench.py [--database URL] [--applications 40] [--threads 8]
                                                 [--messages 40]

On a fresh database (SQLite in a temporary folder by default; a PostgreSQL URL such as
postgresql://postgres@127.0.0.1:5432/test uses a schema of its own, dropped afterwards):

- ``approve, one by one``: approvals per second of COMPLET applications, sequentially;
- ``approve, N threads``: the same with N staff approving at the same moment (every code is
  checked to be distinct and consecutive);
- ``mail drop``: messages per second, each with one PDF attachment, taken from a Maildir;
- ``report``: milliseconds to build the report, render the HTML fragment and the PDF.

It prints figures; it asserts only that the codes are unique (the tests judge correctness).
"""

from __future__ import annotations

import argparse
import mailbox
import secrets
import statistics
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text

from gateway.intake.applications import Applications
from gateway.intake.dossier import Dossier
from gateway.intake.maildrop import MailDrop
from gateway.intake.rendering import render_html, render_pdf
from gateway.intake.requirements import DocumentKind
from gateway.logs import configure_logging
from gateway.store import schema
from gateway.store.db import make_engine, make_session_factory, normalise_url
from tests.intake.applications.conftest import complete_application, pdf_for


def approvals(service: Applications, count: int, threads: int) -> tuple[float, list[str]]:
    references = [complete_application(service) for _ in range(count)]
    codes: list[str] = []
    lock = threading.Lock()
    queue = list(references)

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                reference = queue.pop()
            code = service.decisions.approve(reference, actor="staff:bench").provider_code
            with lock:
                codes.append(code)

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - started, codes


def mail(service: Applications, folder: Path, count: int) -> float:
    box = mailbox.Maildir(folder, create=True)
    for n in range(count):
        msg = EmailMessage()
        msg["From"] = f"applicant{n}@example.lu"
        msg["Subject"] = f"Demande {n}"
        msg.set_content("Bonjour")
        msg.add_attachment(
            pdf_for(DocumentKind.RIB) + f"% {n}\n".encode(), maintype="application", subtype="pdf", filename="rib.pdf"
        )
        box.add(msg)
    drop = MailDrop(service, folder)
    started = time.perf_counter()
    taken = drop.process_pending()
    elapsed = time.perf_counter() - started
    assert len(taken) == count
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="")
    parser.add_argument("--applications", type=int, default=40)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--messages", type=int, default=40)
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    folder = Path(tempfile.mkdtemp(prefix="applications-bench-"))
    url, cleanup = args.database, None
    if url.startswith("postgresql"):
        name = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{name}"'))
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name}"

        def cleanup() -> None:
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{name}" CASCADE'))

    url = url or f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    service = Applications(
        make_session_factory(engine), dossier=Dossier(folder / "applications"), max_document_bytes=20 * 1024 * 1024
    )
    try:
        print(f"database: {engine.dialect.name}")
        elapsed, first = approvals(service, args.applications, 1)
        print(f"approve, one by one: {args.applications / elapsed:7.1f} approvals/s")
        elapsed, codes = approvals(service, args.applications, args.threads)
        assert len(set(first + codes)) == 2 * args.applications, "a code was given twice"
        print(f"approve, {args.threads} threads: {args.applications / elapsed:7.1f} approvals/s (codes distinct)")
        elapsed = mail(service, folder / "maildrop", args.messages)
        print(f"mail drop:           {args.messages / elapsed:7.1f} messages/s")
        report = service.report(service.list(limit=1)[0].reference)
        timings = {"build": [], "html": [], "pdf": []}
        for _ in range(5):
            t = time.perf_counter()
            report = service.report(report.reference)
            timings["build"].append(time.perf_counter() - t)
            t = time.perf_counter()
            render_html(report)
            timings["html"].append(time.perf_counter() - t)
            t = time.perf_counter()
            render_pdf(report)
            timings["pdf"].append(time.perf_counter() - t)
        print(
            "report:              " + ", ".join(f"{k} {statistics.median(v) * 1000:.0f} ms" for k, v in timings.items())
        )
    finally:
        engine.dispose()
        if cleanup:
            cleanup()


if __name__ == "__main__":
    main()
