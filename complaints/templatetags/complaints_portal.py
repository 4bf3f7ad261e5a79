"""Labels for the complaint parts of the shared tracking page (the trackable gives codes)."""

from django import template

from ..choices import CompensationKind

register = template.Library()


@register.filter
def compensation_label(code: str) -> str:
    try:
        return str(CompensationKind(code).label)
    except ValueError:
        return code or ""
