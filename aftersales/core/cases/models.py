"""The shapes every kind of case stores: its append-only history and its files.

Each app declares concrete models on top of these (``tickets.TicketEvent``, ``complaints.ComplaintEvent``,
…) with the foreign key to its case, so every kind keeps its own table, columns and append-only trigger
(``aftersales.core.appendonly``) while the kit's services write and read them one way.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..models import Attachment


class CaseEvent(models.Model):
    """Append-only history of a case: who did what, when, from which state to which.

    The subclass adds the foreign key to its case (``on_delete=PROTECT``, ``related_name="events"``)
    and names it in ``case_field``.
    """

    case_field: ClassVar[str] = ""

    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    by_customer = models.BooleanField(_("by the customer"), default=False)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # Shown on the customer's tracking page (internal notes are not).
    public = models.BooleanField(_("visible to the customer"), default=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        case_id = getattr(self, f"{self.case_field}_id", None)
        return f"{case_id} {self.action} {self.from_status}→{self.to_status}"


class CaseAttachment(Attachment):
    """A photo or document on a case, from the customer (portal, API) or from staff.

    The subclass adds the foreign key to its case (``related_name="attachments"``) and names it in
    ``case_field``.
    """

    case_field: ClassVar[str] = ""

    # The customer sees their own files and those staff chose to show them (as with notes).
    public = models.BooleanField(_("visible to the customer"), default=False)

    class Meta(Attachment.Meta):
        abstract = True


class Case(models.Model):
    """The fields every kind of case has; the kind's model adds its status (a protected FSMField), its
    customer if it has one (``related_name`` the kind's plural: ``customer.tickets``), its own fields
    and its ``Meta`` (ordering, indexes, permissions)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    description = models.TextField(_("description"))
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    acknowledged_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class TypedContact(models.Model):
    """The contact details typed with a case by the public (the portal, the public API) — who hears about it.

    A case is filed under the customer found by its phone number, who may be someone else whose
    record shares the number (a family, a shop, a number given to someone new): messages about the
    case go to these details, never to that customer's (``contacts.case_contact``). Empty for cases
    staff register for a customer they chose: then the customer's own details are used.
    """

    contact_name = models.CharField(_("contact name (as typed)"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone (as typed)"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email (as typed)"), blank=True)
    contact_language = models.CharField(_("contact language"), max_length=10, blank=True)

    class Meta:
        abstract = True
