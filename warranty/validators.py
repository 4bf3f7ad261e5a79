"""Checks on uploaded proof of purchase: size, extension and what the bytes really are."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_PROOF_BYTES = 10 * 1024 * 1024
# Extension → the magic bytes such a file starts with; the extension alone proves nothing.
PROOF_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".webp": (b"RIFF",),
}


def validate_proof_of_purchase(upload) -> None:
    extension = Path(upload.name or "").suffix.lower()
    if extension not in PROOF_SIGNATURES:
        raise ValidationError(_("Upload a PDF, JPEG, PNG or WebP file (invoice or warranty card)."), code="file_type")
    if upload.size > MAX_PROOF_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="file_size")
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    if not any(head.startswith(signature) for signature in PROOF_SIGNATURES[extension]):
        raise ValidationError(_("The file's content does not match its type."), code="file_content")
