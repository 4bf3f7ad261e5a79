"""Read-only serializers that give DRF's output without DRF's per-field machinery.

A staff list page is 50 cases of ~35 fields each. DRF's ``Serializer.to_representation`` walks
every field through ``_readable_fields``, ``get_attribute`` (with its exception handling and
callable checks) and ``to_representation``; at a million tickets that loop was about half of a
list request's time in Python. ``PlannedRepresentation`` decides once per serializer instance
how to read each field — a plain attribute path, a method field, or, for anything unusual, DRF's
own code — and then only reads. The output is the same as DRF's; tests hold each serializer that
uses it to ``drf_representation`` of the same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers

Reader = Callable[[Any], Any]


def iso_datetime(value) -> str | None:
    """``DateTimeField().to_representation`` for aware datetimes: ISO 8601 in the current time zone."""
    if not value:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _is_plain(field: drf_fields.Field) -> bool:
    """A field read by following attributes, with nothing DRF would do differently on the way.

    Related fields are not: DRF reads a primary key without loading the related row.
    """
    special = (
        serializers.BaseSerializer,
        drf_fields.SerializerMethodField,
        drf_fields.HiddenField,
        relations.RelatedField,
        relations.ManyRelatedField,
    )
    return (
        not isinstance(field, special)
        and field.source != "*"
        and all(attr.isidentifier() for attr in field.source_attrs)
        and not callable(field.default)  # DRF calls a callable default per row
    )


def _convert(field: drf_fields.Field) -> Callable[[Any], Any]:
    if type(field) is drf_fields.DateTimeField and not hasattr(field, "format") and not hasattr(field, "timezone"):
        return iso_datetime
    return field.to_representation


def _plain_reader(field: drf_fields.Field) -> Reader:
    """Follow ``source_attrs``; a missing link (``None``, no related row) reads as the field's default."""
    attrs, convert = field.source_attrs, _convert(field)
    missing = None if field.default is drf_fields.empty else field.default

    def read(instance):
        value = instance
        for attr in attrs:
            try:
                value = getattr(value, attr)
            except (AttributeError, ObjectDoesNotExist):
                return missing
            if callable(value):  # a method as source: DRF calls it; so do we, by DRF's own path
                return _drf_reader(field)(instance)
        return None if value is None else convert(value)

    return read


def _drf_reader(field: drf_fields.Field) -> Reader:
    def read(instance):
        attribute = field.get_attribute(instance)
        return None if attribute is None else field.to_representation(attribute)

    return read


def _field_reader(field: drf_fields.Field) -> Reader:
    if isinstance(field, drf_fields.SerializerMethodField):
        return getattr(field.parent, field.method_name)
    return _drf_reader(field)


class PlannedRepresentation:
    """Mixin for read-only serializers of list pages (put it before the DRF serializer class).

    Fields that DRF would skip (``SkipField``: a missing attribute on a field that is not required)
    do not occur in read-only representations of model instances, so every field is always written.
    """

    def _reading_plan(self) -> list[tuple[str, Reader]]:
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self.__dict__["_plan"] = [
                (field.field_name, _plain_reader(field) if _is_plain(field) else _field_reader(field))
                for field in self._readable_fields  # type: ignore[attr-defined]  # DRF's own list of read fields
            ]
        return plan

    def to_representation(self, instance):
        return {name: read(instance) for name, read in self._reading_plan()}


def drf_representation(serializer: serializers.Serializer, instance) -> dict:
    """What DRF's own ``Serializer.to_representation`` gives for ``instance`` (for tests)."""
    return dict(serializers.Serializer.to_representation(serializer, instance))
