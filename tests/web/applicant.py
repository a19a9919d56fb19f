"""The applicant's side, driven over HTTP as a browser without JavaScript would."""

from __future__ import annotations

import re

import httpx

from gateway.intake.status import Channel
from gateway.intake.validation import ApplicationData
from tests.web.conftest import Site, csrf_of, new_address
from tests.web.data import COMPLETE_DATA, KINDS, pdf

FOLLOWUP = re.compile(r"/suivi/([A-Za-z0-9_-]+)")


class Applicant:
    """One applicant with their own client address and follow-up link."""

    def __init__(self, site: Site) -> None:
        self.client: httpx.Client = site.client(address=new_address())
        self.token = ""

    def create(self, **data: str) -> httpx.Response:
        page = self.client.get("/demande")
        response = self.client.post("/demande", data={"csrf_token": csrf_of(page.text), **data})
        if response.status_code == 303:
            self.token = FOLLOWUP.search(response.headers["location"]).group(1)
        return response

    @property
    def link(self) -> str:
        return f"/suivi/{self.token}"

    def page(self) -> httpx.Response:
        return self.client.get(self.link)

    def upload(self, kind: str, name: str, content: bytes) -> httpx.Response:
        """Sends one file and returns the page that shows its verdict."""
        token = csrf_of(self.page().text)
        response = self.client.post(
            f"{self.link}/documents",
            data={"csrf_token": token, "kind": kind},
            files={"file": (name, content, "application/octet-stream")},
        )
        return self.client.get(response.headers["location"]) if response.status_code == 303 else response

    def post(self, action: str, **data: str) -> httpx.Response:
        token = csrf_of(self.page().text)
        return self.client.post(f"{self.link}/{action}", data={"csrf_token": token, **data})

    def complete_and_submit(self) -> str:
        """Creates a COMPLET application and submits it; returns its reference."""
        assert self.create(**COMPLETE_DATA).status_code == 303
        for kind in KINDS:
            assert "upload-result" in self.upload(kind, f"{kind}.pdf", pdf(kind)).text
        assert self.post("submit").status_code == 303
        return re.search(r"DEM-\d{4}-\d{6}", self.page().text).group(0)


def received_on_paper(site: Site, documents: tuple[tuple[str, str, bytes], ...] = (), **data: str) -> str:
    """An application staff entered from paper (already ``TRANSMISE``, however incomplete) with
    ``documents`` as (kind, name, content); returns its reference. Web applicants cannot send an
    incomplete application: this is how one reaches the review queue."""
    apps = site.applications
    reference = apps.create(
        ApplicationData.from_mapping(data), channel=Channel.PAPER, actor="staff:bob"
    ).application.reference
    for kind, name, content in documents:
        apps.attach_document(reference, data=content, name=name, kind=kind, actor="staff:bob", by_staff=True)
    return reference
