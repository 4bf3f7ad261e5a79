"""Reading an action's fields from a request (JSON or a form): one set of checks for every kind.

Each returns the clean value or raises ``ValidationError({field: message})`` (400), never lets a
value through that the database would refuse (NUL, overlong text) or a time without its offset.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _


def clean_text(data: dict, name: str, *, required: bool = False, max_length: int = 5000) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({name: _("Enter text.")})
    value = value.strip()
    if "\x00" in value:
        raise ValidationError({name: _("Null characters are not allowed.")})
    if required and not value:
        raise ValidationError({name: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError({name: _("At most %(n)d characters.") % {"n": max_length}})
    return value


def clean_time(data: dict, name: str) -> datetime | None:
    """An ISO-8601 time with its offset; None when left out."""
    raw = clean_text(data, name, max_length=64)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:  # well-formed but impossible, e.g. month 13
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationError({name: _("Enter an ISO-8601 time with its offset.")})
    return value


def clean_staff_user(data: dict, name: str, *, required: bool = False, message=None):
    """An active user named by username; None when left out."""
    username = clean_text(data, name, required=required, max_length=150)
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({name: message or _("No active staff member with this username.")})
    return user
