"""Request bodies: every route has a size limit, enforced before the body is read.

:class:`BodyLimit` is an ASGI middleware in front of every route. For each request it takes
the route's limit (:meth:`BodyLimits.limit_for`: the document upload routes that receive a
multipart form get the upload limit, every other request the small form limit) and then:

- a declared ``Content-Length`` over the limit is refused with 413 at once, without calling
  the route, so nothing of the body is read (uvicorn drops what the client still sends);
- a body without ``Content-Length`` (chunked) is refused with 411 on the upload routes
  (browsers always declare an upload's length), and elsewhere counted as it streams: the
  first chunk that takes the count over the limit raises :class:`BodyTooLarge` inside the
  route's own read, and whatever the route does with that, the client gets the 413;
- form bodies are inspected as they stream (:class:`FormInspector`, the same
  python-multipart parser Starlette uses): a field other than a file over
  ``max_field_bytes`` is refused the same way, so no form field is ever buffered beyond
  that, whatever the route asks Starlette for.

Refusals are :class:`~gateway.web.errors.WebError` subclasses with their own codes; the app
renders them like every other refusal (page or JSON), through the ``refuse`` callable it
hands to the middleware.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from python_multipart.multipart import MultipartParser, QuerystringParser, parse_options_header
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.config import IntakeSettings, WebSettings, declared
from gateway.logs import get_logger
from gateway.web.errors import BadInput, WebError

log = get_logger(__name__)

#: room for the multipart framing and the other fields around one document
FORM_OVERHEAD = 1024 * 1024
#: routes that take a document as a multipart form (POST), matched on the whole path
UPLOAD_ROUTES = (
    re.compile(r"/suivi/[^/]+/documents"),
    re.compile(r"/applications/[^/]+/documents"),
)


class BodyTooLarge(WebError):
    """A request body over its route's limit, refused before it is read."""

    code = "WEB-BODY-TOO-LARGE"
    http_status = 413


class FieldTooLarge(BodyTooLarge):
    """A form field (other than a file) over ``web.max_field_bytes``."""

    code = "WEB-FIELD-TOO-LARGE"


class UploadTooLarge(BodyTooLarge):
    """An upload far beyond the document size limit, refused before it is read."""

    code = "fichier_trop_volumineux"


class LengthRequired(WebError):
    """An upload without Content-Length (browsers always send one): its size is unknown."""

    code = "WEB-LENGTH"
    http_status = 411


@dataclass(frozen=True)
class BodyLimits:
    """The body limits of the web layer, in bytes."""

    #: every body that is not a document upload: forms, JSON, anything else (``web.max_form_bytes``)
    form_bytes: int = declared(WebSettings, "max_form_bytes")
    #: one form field that is not a file (``web.max_field_bytes``)
    field_bytes: int = declared(WebSettings, "max_field_bytes")
    #: the largest document accepted (``intake.max_document_bytes``)
    document_bytes: int = declared(IntakeSettings, "max_document_bytes")
    #: the routes that take a file as a multipart POST (each application names its own)
    upload_routes: tuple[re.Pattern[str], ...] = UPLOAD_ROUTES

    @property
    def upload_bytes(self) -> int:
        """The body limit of an upload form: a file somewhat over the document limit still
        reaches the checks, which refuse it with its reason (``fichier_trop_volumineux``)."""
        return 2 * self.document_bytes + FORM_OVERHEAD

    def is_upload(self, method: str, path: str, content_type: str) -> bool:
        """True for a multipart POST to one of the upload routes (by default :data:`UPLOAD_ROUTES`)."""
        return (
            method == "POST"
            and content_type.lower().startswith("multipart/form-data")
            and any(route.fullmatch(path) for route in self.upload_routes)
        )

    def limit_for(self, method: str, path: str, content_type: str) -> int:
        """The body limit of one request."""
        return self.upload_bytes if self.is_upload(method, path, content_type) else self.form_bytes


class FormInspector:
    """Follows a form body as it streams and raises :class:`FieldTooLarge` on an oversized field.

    Only watches: the route parses the form itself. A body the parser cannot follow is
    refused as bad input (Starlette's parser, the same library, would refuse it too).
    """

    def __init__(self, content_type: str, field_bytes: int) -> None:
        self.field_bytes = field_bytes
        self._size = 0
        self._is_file = False
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        media, options = parse_options_header(content_type)
        if media == b"multipart/form-data" and options.get(b"boundary"):
            self._parser: MultipartParser | QuerystringParser | None = MultipartParser(
                options[b"boundary"],
                {
                    "on_part_begin": self._begin,
                    "on_part_data": self._data,
                    "on_header_field": self._header_field,
                    "on_header_value": self._header_value_part,
                    "on_header_end": self._header_end,
                    "on_headers_finished": self._headers_finished,
                },
            )
        elif media == b"application/x-www-form-urlencoded":
            self._parser = QuerystringParser(
                {"on_field_start": self._begin, "on_field_name": self._data, "on_field_data": self._data}
            )
        else:
            self._parser = None

    def feed(self, chunk: bytes) -> None:
        """Follows one more piece of the body."""
        if self._parser is None or not chunk:
            return
        try:
            self._parser.write(chunk)
        except FieldTooLarge:
            raise
        except Exception:  # noqa: BLE001 - the parser's own errors: the form is malformed
            self._parser = None
            raise BadInput("the form could not be read") from None

    def _begin(self) -> None:
        self._size, self._is_file, self._disposition = 0, False, b""

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            return
        self._size += end - start
        if self._size > self.field_bytes:
            raise FieldTooLarge(f"a form field is larger than {self.field_bytes} bytes")

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_name) + len(self._header_value) > self.field_bytes:
            raise FieldTooLarge(f"a form part header is larger than {self.field_bytes} bytes")

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._is_file = b"filename" in options


Refuse = Callable[[Scope, WebError], Awaitable[Response]]


class BodyLimit:
    """ASGI middleware enforcing :class:`BodyLimits` on every HTTP request (module docstring)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits, refuse: Refuse) -> None:
        self.app = app
        self.limits = limits
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        content_type = headers.get("content-type", "")
        upload = self.limits.is_upload(scope["method"], scope["path"], content_type)
        limit = self.limits.upload_bytes if upload else self.limits.form_bytes
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        early: WebError | None = None
        if declared is not None and not declared.isdigit():
            early = BadInput("Content-Length is not a number")
        elif declared is not None and int(declared) > limit:
            early = self._too_large(upload, limit)
        elif declared is None and chunked and upload:
            early = LengthRequired("an upload must declare its length (Content-Length)")
        if early is not None:
            log.info(
                "request body refused before reading",
                path=scope["path"],
                code=early.code,
                declared=declared,
                limit=limit,
            )
            await (await self.refuse(scope, early))(scope, receive, send)
            return
        await _Guarded(
            self,
            scope,
            receive,
            send,
            limit=limit,
            upload=upload,
            inspector=FormInspector(content_type, self.limits.field_bytes),
        ).run()

    @staticmethod
    def _too_large(upload: bool, limit: int) -> BodyTooLarge:
        if upload:
            return UploadTooLarge(f"the file is larger than the limit of {limit // (1024 * 1024)} MiB")
        return BodyTooLarge(f"the request body is larger than the limit of {limit} bytes")


class _Guarded:
    """One request whose body is counted and inspected as the route reads it."""

    def __init__(
        self,
        owner: BodyLimit,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        limit: int,
        upload: bool,
        inspector: FormInspector,
    ) -> None:
        self.owner, self.scope, self._receive, self._send = owner, scope, receive, send
        self.limit, self.upload, self.inspector = limit, upload, inspector
        self.received = 0
        self.refusal: WebError | None = None
        self.started = False
        self.answered = False

    async def run(self) -> None:
        try:
            await self.owner.app(self.scope, self.receive, self.send)
        except Exception:
            if self.refusal is None or self.started:
                raise
        if self.refusal is not None and not self.answered:
            await self._answer()

    async def receive(self) -> Message:
        if self.refusal is not None:
            raise self.refusal
        message = await self._receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.received += len(chunk)
            try:
                if self.received > self.limit:
                    raise self.owner._too_large(self.upload, self.limit)
                self.inspector.feed(chunk)
            except WebError as exc:
                self.refusal = exc
                log.info(
                    "request body refused while reading",
                    path=self.scope["path"],
                    code=exc.code,
                    received=self.received,
                    limit=self.limit,
                )
                raise
        return message

    async def send(self, message: Message) -> None:
        if self.refusal is not None and not self.started:
            # The route met the refusal inside its read; whatever it answered instead (a
            # generic 400 from a JSON body, say), the client is told the real reason.
            if message["type"] == "http.response.start":
                await self._answer()
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def _answer(self) -> None:
        if self.answered:
            return
        self.answered = self.started = True
        assert self.refusal is not None
        response = await self.owner.refuse(self.scope, self.refusal)
        await response(self.scope, _drained, self._send)


async def _drained() -> Message:
    return {"type": "http.disconnect"}


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1").strip()
        if key in headers and key == "content-length":
            # the HTTP parser refuses two different lengths before we run; two different
            # ones here (another server in front) make the length unknown: not a number
            headers[key] = text if headers[key] == text else "?"
        else:
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers
