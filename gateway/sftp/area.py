"""What a logged-in provider may do in its two folders; every refusal raises an SftpError.

``/outbox``: list, read, delete (deleting ``X_REP.xml`` marks the response collected, which
frees the request's name). ``/inbox``: list the provider's pending files (registered files
still waiting and ``.part`` uploads), read them, upload new names, and rename a ``.part``
upload onto its final name. Everything else is refused. Paths go through
:meth:`gateway.sftp.jail.Jail.resolve` and nowhere else.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

from paramiko import SFTPAttributes

from gateway.clock import utcnow
from gateway.exchange.runtime.reception import PART_SUFFIX, UPLOAD_NAME, NameHeld, mark_collected, mark_downloaded
from gateway.logs import get_logger
from gateway.metrics import SFTP_UPLOADS
from gateway.sftp.errors import AlreadyExists, NoSuchFile, PermissionDenied, TooLarge
from gateway.sftp.handles import Reader, Upload, attributes
from gateway.sftp.jail import Area, Jail, Location, normalise
from gateway.sftp.paramiko_private import attribute_flags
from gateway.sftp.quota import InboxQuotas
from gateway.sftp.receipt import Reception
from gateway.sftp.session import Who
from gateway.store import audit
from gateway.store.db import transaction
from gateway.store.files import fsync_dir

log = get_logger(__name__)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _folder_attributes(path: Path | None, name: str) -> SFTPAttributes:
    if path is None:  # the virtual root
        attrs = SFTPAttributes()
        attrs.st_mode = stat.S_IFDIR | 0o555
        attrs.st_size = 0
        attrs.st_uid = attrs.st_gid = 0
        attrs.st_mtime = attrs.st_atime = int(time.time())
        attrs.filename = name
        return attrs
    return attributes(os.lstat(path), name)


class ProviderArea:
    """The SFTP operations of one session, for one provider."""

    def __init__(
        self, jail: Jail, reception: Reception, who: Who, *, max_bytes: int, quotas: InboxQuotas, temp_tag: str
    ) -> None:
        self.jail = jail
        self.reception = reception
        self.who = who
        self.max_bytes = max_bytes
        self.quotas = quotas
        self.temp_tag = temp_tag
        self.log = log.bind(**who.log_fields())

    # ----------------------------------------------------------------- looking

    def realpath(self, sftp_path: str) -> str:
        """The canonical form of ``sftp_path`` (lexical only: it grants nothing)."""
        return "/" + "/".join(normalise(sftp_path))

    def stat(self, sftp_path: str) -> SFTPAttributes:
        """Attributes of a folder or a file; symlinks and other oddities do not exist."""
        where = self.jail.resolve(sftp_path)
        if where.is_folder:
            return _folder_attributes(where.path, where.area.value)
        return self._file_attributes(where)

    def list_folder(self, sftp_path: str) -> list[SFTPAttributes]:
        """The entries of ``/``, ``/inbox`` or ``/outbox`` (regular files with valid names)."""
        where = self.jail.resolve(sftp_path)
        if not where.is_folder:
            raise NoSuchFile("not a folder", path=where.sftp_path)
        if where.area is Area.ROOT:
            return [_folder_attributes(self.jail.folders[a], a.value) for a in (Area.INBOX, Area.OUTBOX)]
        entries = []
        with os.scandir(where.path) as scan:
            for entry in scan:
                # temp files start with '.', so the name pattern alone keeps them out
                if UPLOAD_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    try:
                        entries.append(attributes(entry.stat(follow_symlinks=False), entry.name))
                    except FileNotFoundError:  # taken by a worker meanwhile
                        continue
        return sorted(entries, key=lambda a: a.filename)

    def _file_attributes(self, where: Location) -> SFTPAttributes:
        try:
            st = os.lstat(where.file_path)
        except OSError:
            raise NoSuchFile("no such file", path=where.sftp_path) from None
        if not stat.S_ISREG(st.st_mode):
            raise NoSuchFile("no such file", path=where.sftp_path)
        return attributes(st, where.name or "")

    # ----------------------------------------------------------------- files

    def open(self, sftp_path: str, flags: int) -> Upload | Reader:
        """Opens for reading (either folder) or for a new upload (``/inbox`` only)."""
        where = self.jail.resolve(sftp_path)
        if where.is_folder:
            raise PermissionDenied("a folder cannot be opened as a file", path=where.sftp_path)
        if not flags & _WRITE_FLAGS:
            return Reader(where.file_path, where.sftp_path)
        if where.area is not Area.INBOX:
            raise PermissionDenied("files can be written only in /inbox", path=where.sftp_path)
        assert where.name is not None
        if os.path.lexists(where.file_path):
            raise AlreadyExists(f"{where.name} is already in /inbox; uploads never replace a file", name=where.name)
        if not where.name.endswith(PART_SUFFIX) and self.reception.name_is_held(self.who.provider_code, where.name):
            raise NameHeld(f"{where.name} is held until its response is collected", name=where.name)
        folder = where.file_path.parent
        self.quotas.start_upload(folder)
        self.log.debug("upload started", file=where.name)
        return Upload(
            folder,
            where.name,
            max_bytes=self.max_bytes,
            durable=self.reception.durable,
            on_complete=self._complete,
            tag=self.temp_tag,
            on_grow=lambda added: self.quotas.grow(folder, added),
            on_drop=lambda size: self.quotas.release(folder, size),
        )

    def _complete(self, upload: Upload) -> None:
        final = upload.folder / upload.name
        if upload.name.endswith(PART_SUFFIX):
            self._place_part(upload, final)
            return
        self.reception.receive(
            self.who,
            source=upload.temp,
            final=final,
            size=upload.size,
            sha256=upload.sha256,
            started=upload.started,
            kind="upload",
        )

    def _place_part(self, upload: Upload, final: Path) -> None:
        try:
            os.link(upload.temp, final, follow_symlinks=False)
        except FileExistsError:
            raise AlreadyExists(f"{final.name} already exists in /inbox", name=final.name) from None
        if self.reception.durable:
            fsync_dir(final.parent)
        self.log.info(
            "part upload kept",
            file=final.name,
            bytes=upload.size,
            result="part",
            duration_s=round(time.monotonic() - upload.started, 3),
        )
        self.reception.record(self.who, "sftp.part", target=final.name, bytes=upload.size, sha256=upload.sha256)

    def finish(self, handle: Upload | Reader) -> None:
        """The client closed ``handle``: completes an upload (or raises), records a download
        (a response read whole for the first time is collected)."""
        collected = False
        if isinstance(handle, Reader) and handle.sftp_path.lstrip("/").startswith(Area.OUTBOX.value + "/"):
            collected = self._collect(handle)
        try:
            handle.finish()
        except Exception as exc:
            if isinstance(handle, Upload):
                code = getattr(exc, "code", "internal")
                SFTP_UPLOADS.labels(result="refused").inc()
                self.log.info("upload refused", file=handle.name, bytes=handle.size, result="refused", code=code)
                self.reception.record(
                    self.who, "sftp.upload", target=handle.name, outcome="refused", code=code, bytes=handle.size
                )
            raise
        if isinstance(handle, Reader):
            self.log.info(
                "file read",
                file=handle.sftp_path,
                bytes=handle.sent,
                result="ok",
                duration_s=round(time.monotonic() - handle.started, 3),
            )
            self.reception.record(
                self.who, "sftp.download", target=handle.sftp_path, bytes=handle.sent, collected=collected
            )

    def _collect(self, reader: Reader) -> bool:
        """Marks the response collected when ``reader`` read it whole (never raises: the
        download itself succeeded)."""
        try:
            if not reader.complete:
                return False
            with transaction(self.reception.sessions) as session:
                return mark_downloaded(session, self.who.provider_code, reader.name, utcnow())
        except Exception:
            self.log.exception("collection record failed", file=reader.name)
            return False

    def abort(self, handle: Upload | Reader) -> None:
        """The session ended with ``handle`` open: a broken upload leaves nothing behind."""
        # a reader's abort only closes it and says False: what follows is about uploads
        if handle.abort() and isinstance(handle, Upload):
            SFTP_UPLOADS.labels(result="broken").inc()
            self.log.info(
                "upload broken",
                file=handle.name,
                bytes=handle.size,
                result="broken",
                duration_s=round(time.monotonic() - handle.started, 3),
            )
            self.reception.record(self.who, "sftp.upload", target=handle.name, outcome="broken", bytes=handle.size)

    def remove(self, sftp_path: str) -> None:
        """Deletes a file from ``/outbox``; a response's deletion frees its request's name."""
        where = self.jail.resolve(sftp_path)
        if where.area is not Area.OUTBOX or where.is_folder:
            raise PermissionDenied("only files in /outbox can be deleted", path=where.sftp_path)
        self._file_attributes(where)  # a symlink or folder is "no such file"
        with transaction(self.reception.sessions) as session:
            collected = mark_collected(session, self.who.provider_code, where.file_name, utcnow())
            audit.record(
                session,
                actor=self.who.actor,
                action="sftp.delete",
                target_type="response",
                target_id=where.file_name,
                address=self.who.address,
                sftp_session=self.who.session_id,
                collected=collected,
            )
            try:
                os.unlink(where.file_path)
            except FileNotFoundError:
                raise NoSuchFile("no such file", path=where.sftp_path) from None
        if self.reception.durable:
            fsync_dir(where.file_path.parent)
        self.log.info("response deleted", file=where.name, collected=collected)

    def rename(self, old_path: str, new_path: str) -> None:
        """Renames a ``.part`` upload in ``/inbox``; onto a final name, that receives it."""
        old = self.jail.resolve(old_path)
        new = self.jail.resolve(new_path)
        if old.area is not Area.INBOX or new.area is not Area.INBOX or old.is_folder or new.is_folder:
            raise PermissionDenied("only .part uploads in /inbox can be renamed", path=old.sftp_path)
        assert old.name is not None and new.name is not None
        st = self._file_attributes(old)
        if not old.name.endswith(PART_SUFFIX):
            raise PermissionDenied("a received file cannot be renamed", name=old.name)
        if os.path.lexists(new.file_path):
            raise AlreadyExists(f"{new.name} is already in /inbox", name=new.name)
        started = time.monotonic()
        if new.name.endswith(PART_SUFFIX):
            try:
                os.link(old.file_path, new.file_path, follow_symlinks=False)
            except FileExistsError:
                raise AlreadyExists(f"{new.name} is already in /inbox", name=new.name) from None
            os.unlink(old.file_path)
            if self.reception.durable:
                fsync_dir(new.file_path.parent)
            return
        if st.st_size is not None and st.st_size > self.max_bytes:
            raise TooLarge(f"{old.name} is larger than {self.max_bytes} bytes", name=old.name)
        if self.reception.name_is_held(self.who.provider_code, new.name):
            raise NameHeld(f"{new.name} is held until its response is collected", name=new.name)
        size, sha256 = _measure(old.file_path)
        self.reception.receive(
            self.who,
            source=old.file_path,
            final=new.file_path,
            size=size,
            sha256=sha256,
            started=started,
            kind="rename",
        )

    def setstat(self, sftp_path: str, attrs: SFTPAttributes) -> None:
        """Accepts (and ignores) time changes; refuses chmod, chown and truncation."""
        self.stat(sftp_path)
        refuse_attribute_change(attrs)


def refuse_attribute_change(attrs: SFTPAttributes) -> None:
    """Times may be "set" (ignored, as clients send them after uploads); nothing else may."""
    if attribute_flags(attrs) & (
        SFTPAttributes.FLAG_PERMISSIONS | SFTPAttributes.FLAG_UIDGID | SFTPAttributes.FLAG_SIZE
    ):
        raise PermissionDenied("permissions, owners and sizes cannot be changed")


def _measure(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file, read without following symlinks."""
    digest = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return size, digest.hexdigest()
