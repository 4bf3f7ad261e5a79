"""Checks on uploaded files and how they are named on disk; shared by every app that takes uploads.

REQUIREMENTS §9: uploads are limited by size and type. The type is decided by the file's first bytes
(its magic number), not by its name or the Content-Type the client sent: a renamed HTML page is not
a photo. Stored files get a random name, so the uploader's file name never reaches the file system
and nobody can guess another file's path.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MEGABYTE = 1024 * 1024
MAX_ATTACHMENT_BYTES = 10 * MEGABYTE


def _is_webp(head: bytes) -> bool:
    # RIFF container whose form type is WEBP (bytes 8–11); a WAV or AVI file is RIFF too.
    return head.startswith(b"RIFF") and head[8:12] == b"WEBP"


# Extension → (content type, test of the first bytes). The extension alone proves nothing.
FILE_TYPES: dict[str, tuple[str, object]] = {
    ".pdf": ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    ".jpg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ".png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ".webp": ("image/webp", _is_webp),
}
# Photos and documents customers and staff attach to tickets and complaints.
ATTACHMENT_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".webp")
HEAD_BYTES = 16


def max_attachment_bytes() -> int:
    return getattr(settings, "ATTACHMENT_MAX_BYTES", MAX_ATTACHMENT_BYTES)


def _extension(upload) -> str:
    return Path(getattr(upload, "name", "") or "").suffix.lower()


def file_head(upload, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of the file, leaving its read position where it was."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(size)
    upload.seek(position)
    return head or b""


def check_upload(
    upload,
    *,
    extensions: tuple[str, ...] = ATTACHMENT_EXTENSIONS,
    max_bytes: int | None = None,
    type_message=None,
) -> str:
    """Raise ValidationError (codes ``file_type``, ``file_size``, ``file_empty``, ``file_content``)
    unless the file is one of ``extensions``, not empty, at most ``max_bytes`` and its bytes match its
    extension. Returns the content type the bytes prove, for storing and serving the file.
    """
    max_bytes = max_attachment_bytes() if max_bytes is None else max_bytes
    extension = _extension(upload)
    if extension not in extensions or extension not in FILE_TYPES:
        raise ValidationError(type_message or _("Upload a PDF, JPEG, PNG or WebP file."), code="file_type")
    size = upload.size
    if size > max_bytes:
        raise ValidationError(
            _("The file is larger than %(megabytes)d MB.") % {"megabytes": max_bytes // MEGABYTE}, code="file_size"
        )
    if not size:
        raise ValidationError(_("The file is empty."), code="file_empty")
    content_type, matches = FILE_TYPES[extension]
    if not matches(file_head(upload)):  # type: ignore[operator]  # FILE_TYPES holds (type, predicate) pairs
        raise ValidationError(_("The file's content does not match its type."), code="file_content")
    return content_type


def validate_attachment(upload) -> None:
    """Model and form validator: a PDF, JPEG, PNG or WebP photo or document of at most 10 MB."""
    check_upload(upload)


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")
_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")


def original_name(upload, *, max_length: int = 255) -> str:
    """The uploader's file name for display and downloads: no folders, no control characters, short."""
    name = unicodedata.normalize("NFC", str(getattr(upload, "name", "") or ""))
    name = _UNSAFE_NAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if not name:
        return "file"
    if len(name) <= max_length:
        return name
    suffix = Path(name).suffix
    suffix = suffix if len(suffix) <= 10 else ""
    return name[: max_length - len(suffix)] + suffix


def random_upload_name(folder: str, filename: str) -> str:
    """``<folder>/<32 random hex digits><.ext>``: unguessable, and nothing of the uploader's name."""
    suffix = Path(filename or "").suffix.lower()
    return f"{folder}/{uuid.uuid4().hex}{suffix if _SAFE_SUFFIX.fullmatch(suffix) else ''}"
