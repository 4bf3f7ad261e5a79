"""Storing and serving attachments (``core.models.Attachment`` subclasses) for every app.

``attachment_create`` is the one way a file becomes an attachment: it checks the file (type by its
bytes, size) before anything is written, stores it under a random name and records who sent it. The
case kit wraps it (``cases.case_attach``) to lock the case, apply its kind's limits, append the event
and tell whoever must look at the file.

``attachment_response`` serves a stored file to someone a view has already allowed to see it: always
as a download (never rendered inline by the browser), with the type fixed when it was checked, so an
uploaded file can never run as a page of this site.
"""

from __future__ import annotations

from contextlib import contextmanager, suppress
from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404

from . import clock
from .models import Attachment
from .uploads import check_upload, original_name


def attachment_check(upload, *, field: str = "file") -> str:
    """The content type the file's bytes prove; ValidationError keyed by ``field`` (codes kept) if not."""
    if upload is None or not hasattr(upload, "read"):
        raise ValidationError({field: ValidationError("No file was submitted.", code="required")})
    try:
        return check_upload(upload)
    except ValidationError as error:
        raise ValidationError({field: error}) from error


def attachment_create(
    *,
    model: type[Attachment],
    upload,
    by=None,
    by_customer: bool = False,
    now: datetime | None = None,
    **owner,
) -> Attachment:
    """Check ``upload``, store it under a random name and create a ``model`` row for ``owner``.

    ``owner`` are the subclass's own fields (``ticket=…``). The file is written before the row
    commits; a caller whose transaction can still fail afterwards collects what it created in
    ``files_discarded_on_error`` so a rolled-back row leaves no file behind.
    """
    content_type = attachment_check(upload)
    attachment = model(
        original_name=original_name(upload),
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
        by_customer=by_customer,
        created_at=now or clock.now(),
        **owner,
    )
    upload.seek(0)
    # The storage picks the name (upload_to): the uploader's name is kept only in original_name.
    attachment.file.save(original_name(upload), upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@contextmanager
def files_discarded_on_error():
    """``with files_discarded_on_error() as stored: … stored.append(attachment_create(…))``.

    Wrap the whole transaction: if anything in it fails, the files of the attachments it created are
    removed too, since their rows were rolled back (nothing half-written).
    """
    stored: list[Attachment] = []
    try:
        yield stored
    except BaseException:
        for attachment in stored:
            with suppress(OSError):  # a file already gone is what we wanted
                attachment.file.delete(save=False)
        raise


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download, for a request a view has already allowed; 404 if the file is missing."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404("The file is missing.") from error
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    # Never sniffed into HTML, never framed, never run: a download and nothing else.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
