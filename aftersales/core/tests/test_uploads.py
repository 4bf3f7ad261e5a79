"""The shared upload checks (core/uploads.py) and attachment helpers (core/attachments.py)."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.core.attachments import attachment_check
from aftersales.core.uploads import check_upload, original_name, random_upload_name, validate_attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 16


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.png", PNG, "image/png"),
        ("PHOTO.JPG", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("invoice.pdf", PDF, "application/pdf"),
        ("photo.webp", WEBP, "image/webp"),
    ],
)
def test_photos_and_documents_pass_with_the_type_their_bytes_prove(name, content, content_type):
    assert check_upload(SimpleUploadedFile(name, content, content_type="text/html")) == content_type


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.exe", b"MZ\x90\x00", "file_type"),
        ("page.html", b"<html></html>", "file_type"),
        ("no-extension", PNG, "file_type"),
        ("photo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "file_type"),
        # Spoofed: the right name, other bytes.
        ("photo.png", b"<script>alert(1)</script>", "file_content"),
        ("photo.jpg", PNG, "file_content"),
        ("invoice.pdf", JPEG, "file_content"),
        ("sound.webp", WAV, "file_content"),  # RIFF, but not WebP
        ("empty.png", b"", "file_empty"),
        ("huge.png", PNG + b"\x00" * (10 * 1024 * 1024), "file_size"),
    ],
)
def test_wrong_types_spoofed_bytes_empty_and_too_big_files_are_refused(name, content, code):
    with pytest.raises(ValidationError) as error:
        validate_attachment(SimpleUploadedFile(name, content))
    assert error.value.code == code


def test_the_size_limit_can_be_lowered_by_a_setting(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        validate_attachment(SimpleUploadedFile("photo.png", PNG + b"\x00" * 1024))
    assert error.value.code == "file_size" and "1 MB" not in str(error.value.messages)


def test_checking_leaves_the_file_readable_from_where_it_was():
    upload = SimpleUploadedFile("photo.png", PNG)
    upload.read(3)
    check_upload(upload)
    assert upload.tell() == 3


def test_attachment_check_keys_the_error_by_field_and_keeps_the_code():
    with pytest.raises(ValidationError) as error:
        attachment_check(SimpleUploadedFile("photo.png", b"GIF89a"), field="attachments")
    assert error.value.error_dict["attachments"][0].code == "file_content"
    with pytest.raises(ValidationError) as error:
        attachment_check("not a file")
    assert error.value.error_dict["file"][0].code == "required"


@pytest.mark.parametrize(
    ("uploaded", "shown"),
    [
        ("照片 1.png", "照片 1.png"),
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("bad\x00name\r\n.png", "bad_name_.png"),
        ("", "file"),
        ("...", "file"),
    ],
)
def test_the_original_name_is_kept_only_as_a_harmless_label(uploaded, shown):
    # Any object with a name: what a client sends is not always what Django's upload classes allow.
    assert original_name(SimpleNamespace(name=uploaded)) == shown


def test_a_long_original_name_is_cut_keeping_its_extension():
    upload = SimpleUploadedFile("a" * 400 + ".png", b"")
    name = original_name(upload)
    assert len(name) == 255 and name.endswith(".png")


def test_stored_names_are_random_and_keep_only_a_safe_extension():
    first, second = random_upload_name("attachments/x", "Photo.PNG"), random_upload_name("attachments/x", "Photo.PNG")
    assert first != second
    assert first.startswith("attachments/x/") and first.endswith(".png") and "Photo" not in first
    assert len(first.rsplit("/", 1)[1]) == 32 + len(".png")
    assert random_upload_name("proofs", "x.p<h>p").endswith(tuple("0123456789abcdef"))
