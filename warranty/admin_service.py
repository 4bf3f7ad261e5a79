"""Add and change pages of the warranty admin whose form and inlines only collect input.

Django's admin saves the form's object, then each inline, row by row. Here one service call writes
the whole page instead (a policy with its component periods, a model with its components, a unit
with a new contract), in the transaction the admin opens for the request: a refusal of the service
leaves nothing half-written, and its ValidationError is shown on the form as if the form had found
it. After the service, the admin goes on (history entry, redirect, popup) with the row the service
saved, not with the unsaved object it built from the form.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from aftersales.core.admin_forms import apply_service_error


class _Refused(Exception):
    """The service refused the page's input; carries its ValidationError out of the admin's transaction."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose pages write through ``write()``, one service call per submitted page."""

    def write(self, request, form, formsets, change: bool) -> models.Model:
        """Call the service with ``form.cleaned_data`` (and the inline forms'); return the saved row.

        ``form.instance`` is the row as it was before the request (for a change page) with the
        submitted values applied in memory by the form's validation: read what changes from
        ``form.cleaned_data`` / ``form.changed_data``, never save it.
        """
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # The admin's transaction has rolled back. Show the same page again, with the submitted
            # input and the service's reasons on the form.
            request._warranty_service_error = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_warranty_service_error", None)
        if error is None:
            return form_class

        class RefusedForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                apply_service_error(self, error)

        return RefusedForm

    def save_model(self, request, obj, form, change):
        """Nothing here: ``save_related`` writes the form together with its inlines."""

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            # Lists the inlines' added, changed and deleted rows for the history message; writes nothing.
            formset.save(commit=False)
        try:
            request._warranty_saved = self.write(request, form, formsets, change)
        except ValidationError as error:
            raise _Refused(error) from error

    def _saved(self, request, obj):
        return getattr(request, "_warranty_saved", obj)

    def log_addition(self, request, obj, message):
        return super().log_addition(request, self._saved(request, obj), message)

    def log_change(self, request, obj, message):
        return super().log_change(request, self._saved(request, obj), message)

    def response_add(self, request, obj, post_url_continue=None):
        return super().response_add(request, self._saved(request, obj), post_url_continue)

    def response_change(self, request, obj):
        return super().response_change(request, self._saved(request, obj))


def editable_inline(formsets, model, field: str):
    """The page's inline formset of ``model`` if the user may edit it (its forms have ``field``), else None.

    None means "leave these rows alone": a view-only inline's forms carry no input to write.
    """
    for formset in formsets:
        if formset.model is model and field in formset.form.base_fields:
            return formset
    return None


def inline_rows(formset) -> list:
    """The forms of an inline that stay after the page is saved: filled in, and not marked for deletion."""
    return [
        form
        for form in formset.forms
        if form.cleaned_data
        and not form.cleaned_data.get("DELETE")
        and (form.instance.pk is not None or form.has_changed())
    ]
