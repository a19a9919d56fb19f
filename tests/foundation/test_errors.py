"""Each error class carries its exit, HTTP and SFTP statuses; the edges read them and nothing else."""

from __future__ import annotations

import errno
import inspect

import paramiko.sftp
import pytest

from gateway.errors import (
    AccountError,
    ConfigError,
    GatewayError,
    IdentifierError,
    NotFound,
    SftpStatus,
    UsageError,
)
from gateway.exchange.errors import VoidRefused
from gateway.exchange.runtime.reception import NameHeld
from gateway.intake import errors as intake
from gateway.isolation import WorkerUnavailable
from gateway.sftp import errors as sftp
from gateway.sftp.protocol import status_for
from gateway.web import app as web_app
from gateway.web import errors as web
from gateway.web.limits import BodyTooLarge


def test_sftp_statuses_are_the_protocol_numbers() -> None:
    for status in SftpStatus:
        assert getattr(paramiko.sftp, f"SFTP_{status.name}") == status.value


@pytest.mark.parametrize(
    ("error", "status"),
    [
        pytest.param(NotFound("x"), 404, id="not-found"),
        pytest.param(intake.ApplicationNotFound("x"), 404, id="application-not-found"),
        pytest.param(intake.FollowupInvalid("x"), 404, id="followup-invalid"),
        pytest.param(intake.RateLimited("x"), 429, id="rate-limited"),
        pytest.param(intake.NotEditable("x"), 409, id="not-editable"),
        pytest.param(intake.TransitionRefused("x"), 409, id="transition-refused"),
        pytest.param(intake.NotComplete("x"), 409, id="not-complete"),
        pytest.param(intake.MailNotWaiting("x"), 409, id="mail-not-waiting"),
        pytest.param(VoidRefused("x"), 409, id="void-refused"),
        pytest.param(intake.ScannerUnavailable("x"), 503, id="scanner-unavailable"),
        pytest.param(WorkerUnavailable("x"), 503, id="worker-unavailable"),
        pytest.param(UsageError("x"), 400, id="usage"),
        pytest.param(AccountError("x"), 400, id="account"),
        pytest.param(IdentifierError("x"), 400, id="identifier"),
        pytest.param(ConfigError("x"), 400, id="config"),
        pytest.param(web.CsrfRefused("x"), 403, id="csrf"),
        pytest.param(web.LoginRequired("x"), 401, id="login-required"),
        pytest.param(web.AccountLocked("x"), 423, id="locked"),
        pytest.param(BodyTooLarge("x"), 413, id="body-too-large"),
        pytest.param(intake.IntakeError("x"), 400, id="intake-default"),
    ],
)
def test_http_status_is_the_class_attribute(error: GatewayError, status: int) -> None:
    assert error.http_status == status


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        pytest.param(sftp.PermissionDenied("no"), paramiko.sftp.SFTP_PERMISSION_DENIED, "no", id="denied"),
        pytest.param(sftp.NameRefused("bad name"), paramiko.sftp.SFTP_PERMISSION_DENIED, "bad name", id="name"),
        pytest.param(NameHeld("held"), paramiko.sftp.SFTP_PERMISSION_DENIED, "held", id="name-held"),
        pytest.param(sftp.NoSuchFile("gone"), paramiko.sftp.SFTP_NO_SUCH_FILE, "gone", id="no-such-file"),
        pytest.param(sftp.Unsupported("nope"), paramiko.sftp.SFTP_OP_UNSUPPORTED, "nope", id="unsupported"),
        pytest.param(sftp.QuotaExceeded("full"), paramiko.sftp.SFTP_FAILURE, "full", id="quota"),
        pytest.param(intake.RateLimited("other"), paramiko.sftp.SFTP_FAILURE, "other", id="other-package"),
        pytest.param(
            FileNotFoundError(errno.ENOENT, "x"), paramiko.sftp.SFTP_NO_SUCH_FILE, "no such file", id="enoent"
        ),
        pytest.param(OSError(errno.ELOOP, "x"), paramiko.sftp.SFTP_NO_SUCH_FILE, "no such file", id="eloop"),
        pytest.param(
            PermissionError(errno.EACCES, "x"), paramiko.sftp.SFTP_PERMISSION_DENIED, "permission denied", id="eacces"
        ),
        pytest.param(OSError(errno.EIO, "disk"), paramiko.sftp.SFTP_FAILURE, "internal error", id="eio"),
        pytest.param(ValueError("bug"), paramiko.sftp.SFTP_FAILURE, "internal error", id="bug"),
    ],
)
def test_sftp_status_is_read_from_the_error(error: BaseException, status: int, message: str) -> None:
    assert status_for(error) == (status, message)


def test_the_edges_know_no_other_package_errors() -> None:
    """The web app and the SFTP translation read attributes; they name no intake or exchange error."""
    source = inspect.getsource(web_app)
    assert "gateway.intake.errors" not in source and "gateway.exchange.errors" not in source
    assert not hasattr(web_app, "_status_of")
    assert "NameHeld" not in inspect.getsource(status_for)
