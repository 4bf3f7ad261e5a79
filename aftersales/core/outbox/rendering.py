"""Turning an outbox message into text, in the recipient's language.

Templates live in ``templates/notifications/<template>.<language>.subject.txt`` and
``….body.txt`` (zh-hans and en); a language without its own file falls back to the site default.

A message row keeps ids, not labels: a template's *context provider* (``register_message_context``)
turns the stored context into what the text shows (a case's number and type, a clock's name) when
the message is delivered, in the recipient's language. The writer (the sweep) then pays nothing
for labels, and a text always shows the names as they are when it is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation

from ..models import OutboxMessage

# template name → provider(stored context) → the context the text adds, run under the message's language
MessageContextProvider = Callable[[dict], dict]
_providers: dict[str, MessageContextProvider] = {}


def register_message_context(provider: MessageContextProvider, *templates: str) -> None:
    """Called from ``AppConfig.ready``: ``provider`` completes the stored context of ``templates``.

    What it returns is overridden by what the row stores, so a row written with its labels (before
    providers existed) renders as it was written.
    """
    for template in templates:
        _providers[template] = provider


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    url: str = ""  # the staff page the message is about, when it names one (the inbox links it)


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
    with translation.override(message.language):
        provider = _providers.get(message.template)
        provided = provider(message.context) if provider else {}
        context = {**provided, **message.context, **(extra or {}), "site_url": settings.SITE_URL}
        # A subject is one line whatever the template's line breaks.
        subject = " ".join(_render(message.template, message.language, "subject", context).split())
        body = _render(message.template, message.language, "body", context)
    return RenderedMessage(subject=subject, body=body, url=str(context.get("url") or ""))
