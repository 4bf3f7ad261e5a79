"""What every page may show: the service hotline (``SERVICE_HOTLINE``), wherever the portal says "call us"."""

from django.conf import settings


def portal(request) -> dict:
    return {"service_hotline": getattr(settings, "SERVICE_HOTLINE", "")}
