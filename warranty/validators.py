"""Checks on uploaded files (proof of purchase, bulk import files): size, extension and what the bytes really are."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aftersales.core.uploads import ATTACHMENT_EXTENSIONS, MAX_ATTACHMENT_BYTES, check_upload, file_head

MAX_PROOF_BYTES = MAX_ATTACHMENT_BYTES
# Invoices and warranty cards: the same file types and checks as any attachment (core/uploads.py).
PROOF_EXTENSIONS = ATTACHMENT_EXTENSIONS


def validate_proof_of_purchase(upload) -> None:
    check_upload(
        upload,
        extensions=PROOF_EXTENSIONS,
        max_bytes=MAX_PROOF_BYTES,
        type_message=_("Upload a PDF, JPEG, PNG or WebP file (invoice or warranty card)."),
    )


# --- bulk import files (warranty/imports.py) -----------------------------------------------

MAX_IMPORT_BYTES = 50 * 1024 * 1024
IMPORT_EXTENSIONS = (".csv", ".xlsx")
XLSX_SIGNATURE = b"PK\x03\x04"  # an XLSX file is a ZIP archive


def max_import_bytes() -> int:
    return getattr(settings, "WARRANTY_IMPORT_MAX_BYTES", MAX_IMPORT_BYTES)


def validate_unit_import_file(upload) -> None:
    extension = Path(upload.name or "").suffix.lower()
    if extension not in IMPORT_EXTENSIONS:
        raise ValidationError(_("Upload a CSV or XLSX file."), code="file_type")
    limit = max_import_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(megabytes)d MB.") % {"megabytes": limit // (1024 * 1024)}, code="file_size"
        )
    if not upload.size:
        raise ValidationError(_("The file is empty."), code="file_empty")
    head = file_head(upload, 8192)
    # A text CSV has no NUL bytes; old .xls files or UTF-16 exports renamed to .csv do.
    looks_right = head.startswith(XLSX_SIGNATURE) if extension == ".xlsx" else b"\x00" not in head
    if not looks_right:
        raise ValidationError(
            _("The file's content does not match its type: save the sheet as CSV (UTF-8) or XLSX."),
            code="file_content",
        )
