"""What a kind of case declares for the customer's tracking page and the public tracking API.

A kind's ``Trackable`` (``core.trackables``) sets these class attributes; the portal shell
(``aftersales.portal``) reads them and never asks which kind it serves:

- ``customer_serializers``: the kind's own customer actions in the public API (``rate``…) → the
  serializer of their body, besides the shell's ``message``, ``confirm`` and ``reopen``;
- ``portal_forms``: the kind's own forms on the page (``TrackForm``), besides the shell's;
- ``portal_templates``: ``heading`` (the line above the status), ``status`` (after the progress
  steps), ``panels`` (the kind's action panels, before the shell's message, files and reopen);
- ``time_keys``: the kind's own time fields in ``represent`` (shown in local time);
- ``reopen_label``: the reopen button's words;
- ``progress(subject)`` → ``Step`` rows, ``paused_text(item)`` → why a promise is paused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from rest_framework import serializers

MAX_TEXT = 5000


@dataclass(frozen=True)
class Step:
    """One step of the progress bar the customer sees."""

    label: str
    state: str  # "done" | "current" | "todo"


@dataclass(frozen=True)
class TrackForm:
    """A form on the tracking page and the trackable actions it may perform.

    ``action``: the trackable's action; empty when the form chooses (``<prefix>-answer``: accept or
    decline a quote), then ``actions`` lists what it may choose.
    """

    form_class: type[forms.Form]
    action: str
    success: object  # lazy text
    actions: frozenset[str] = frozenset()

    @property
    def offers(self) -> frozenset[str]:
        return self.actions or frozenset({self.action})

    def action_for(self, form: forms.Form) -> str:
        if self.action:
            return self.action
        return form.data.get(f"{form.prefix}-answer", "") if form.prefix else form.data.get("answer", "")

    def payload(self, form: forms.Form) -> dict:
        data = dict(form.cleaned_data)
        data.pop("answer", None)
        return data


# --- bodies of the public customer actions ----------------------------------------------------------


class MessageSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_TEXT)


class ReopenSerializer(serializers.Serializer):
    """A reason (reopening, objecting to a proposal)."""

    reason = serializers.CharField(max_length=MAX_TEXT)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EmptySerializer(serializers.Serializer):
    pass
