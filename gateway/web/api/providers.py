"""Provider accounts; keys are added and removed with an admin-scope key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from gateway.web.api.common import ERRORS, READ, api_admin, api_reader
from gateway.web.api.schemas import KeyIn, ProviderOut
from gateway.web.app import state
from gateway.web.staff import ApiClient

router = APIRouter(tags=["providers"], dependencies=READ, responses=ERRORS)


@router.get("/providers", response_model=list[ProviderOut], summary="Every provider account")
def list_providers(request: Request, client: ApiClient = Depends(api_reader)) -> list[dict[str, Any]]:
    return [a.as_dict() for a in state(request).accounts.list()]


@router.get("/providers/{code}", response_model=ProviderOut, summary="One provider account")
def get_provider(request: Request, code: str, client: ApiClient = Depends(api_reader)) -> dict[str, Any]:
    return state(request).accounts.get(code).as_dict()


@router.post(
    "/providers/{code}/keys", response_model=ProviderOut, status_code=201, summary="Add an SSH public key (admin scope)"
)
def add_key(request: Request, code: str, body: KeyIn, client: ApiClient = Depends(api_admin)) -> dict[str, Any]:
    return state(request).accounts_as(client.actor).add_key(code, body.public_key).as_dict()


@router.delete(
    "/providers/{code}/keys",
    response_model=ProviderOut,
    summary="Remove an SSH key by fingerprint, given as ?fingerprint=SHA256:... (admin scope)",
)
def remove_key(request: Request, code: str, fingerprint: str, client: ApiClient = Depends(api_admin)) -> dict[str, Any]:
    return state(request).accounts_as(client.actor).remove_key(code, fingerprint).as_dict()
