"""Turning an outbox message into text, in the recipient's language.

Templates live in ``templates/notifications/<template>.<language>.subject.txt`` and
``….body.txt`` (zh-hans and en); a language without its own file falls back to the site default.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation

from ..models import OutboxMessage


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str


def _render(name: str, language: str, part: str, context: dict) -> str:
    for candidate in (language, settings.LANGUAGE_CODE):
        try:
            # The engine's own template, to render with a plain Context (no autoescape) below.
            template = get_template(f"notifications/{name}.{candidate}.{part}.txt").template  # type: ignore[attr-defined]
        except TemplateDoesNotExist:
            continue
        # Plain text: no HTML escaping of customers' names and notes.
        return template.render(Context(context, autoescape=False)).strip()
    raise TemplateDoesNotExist(f"notifications/{name}.{language}.{part}.txt")


def render_message(message: OutboxMessage, *, extra: dict | None = None) -> RenderedMessage:
    """``extra``: context that exists only for this delivery (a freshly minted tracking link)."""
    context = {**message.context, **(extra or {}), "site_url": settings.SITE_URL}
    with translation.override(message.language):
        # A subject is one line whatever the template's line breaks.
        subject = " ".join(_render(message.template, message.language, "subject", context).split())
        body = _render(message.template, message.language, "body", context)
    return RenderedMessage(subject=subject, body=body)
