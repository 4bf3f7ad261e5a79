"""Pluggable SMS delivery. ``settings.SMS_BACKEND`` names the class; the console one is the default."""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsDeliveryError(Exception):
    pass


class BaseSmsBackend:
    def send(self, *, phone: str, text: str, idempotency_key: str) -> str:
        """Hand one SMS to the provider; return the provider's reference. Raise to retry later."""
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints messages instead of sending them: for development and demos."""

    def send(self, *, phone: str, text: str, idempotency_key: str) -> str:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()
        return f"console:{idempotency_key}"


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect of a POST as a bodiless GET and report success; refuse instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


class HttpGatewaySmsBackend(BaseSmsBackend):
    """POSTs JSON to an HTTP SMS gateway (``SMS_GATEWAY_URL``, bearer ``SMS_GATEWAY_TOKEN``).

    Body ``{"to", "text", "reference"}``; the ``Idempotency-Key`` header carries the outbox key so a
    gateway can drop a message repeated after a crash. Any 2xx is success; the response's ``id``
    (when JSON) becomes the provider reference.
    """

    timeout_seconds = 10

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        if not self.url.startswith(("https://", "http://")):
            raise SmsDeliveryError("SMS_GATEWAY_URL must be an http(s) URL")

    def send(self, *, phone: str, text: str, idempotency_key: str) -> str:
        payload = json.dumps({"to": phone, "text": text, "reference": idempotency_key}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")  # noqa: S310 - scheme checked in __init__
        try:
            with _opener.open(request, timeout=self.timeout_seconds) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise SmsDeliveryError(f"gateway answered {error.code}: {error.read()[:200]!r}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsDeliveryError(f"gateway unreachable: {error}") from error
        try:
            return str(json.loads(body).get("id") or "") or idempotency_key
        except (ValueError, AttributeError):
            return idempotency_key


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
