"""Checks shared by the models, services, admin forms and API: a policy's exclusions, and uploaded files
(proof of purchase, bulk import files): size, extension and what the bytes really are."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aftersales.core.uploads import ATTACHMENT_EXTENSIONS, MAX_ATTACHMENT_BYTES, check_upload, file_head

from .choices import PRODUCT_FAULTS, ExclusionTerms, FaultCause

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


# --- bulk import files (warranty/services/imports.py) -----------------------------------------------

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


# --- policy exclusions --------------------------------------------------------------------

EXCLUDABLE_CAUSES = tuple(cause for cause in FaultCause if cause not in PRODUCT_FAULTS)


def validate_exclusions(value) -> None:
    """``{fault cause: terms}`` with known causes and terms.

    The decision reads any unknown terms as "chargeable" and ignores unknown causes, so a typo in a
    policy would silently charge customers (or silently not); refuse it where policies are written.
    Product faults (quality and design defects) are never excluded (000 P1§3).
    """
    if not isinstance(value, dict):
        raise ValidationError(_("Give the exclusions as an object: fault cause → terms."), code="invalid")
    excludable = {str(cause) for cause in EXCLUDABLE_CAUSES}
    terms = {str(choice) for choice in ExclusionTerms}
    for cause, cause_terms in value.items():
        if cause not in excludable:
            raise ValidationError(
                _("%(cause)s is not a fault cause that can be excluded; use one of: %(causes)s."),
                code="invalid_choice",
                params={"cause": str(cause)[:50], "causes": ", ".join(sorted(excludable))},
            )
        if not isinstance(cause_terms, str) or cause_terms not in terms:
            raise ValidationError(
                _("The terms for %(cause)s must be one of: %(terms)s."),
                code="invalid_choice",
                params={"cause": cause, "terms": ", ".join(sorted(terms))},
            )
