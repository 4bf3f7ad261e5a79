"""``/track/lost/``: a customer who lost their link asks for it again (issue 14 item 3).

They give the case number and the phone or email it was filed with. When the pair matches, a new
link goes through the outbox to the contact on file (``cases.case_contact``) — never to the screen —
and the answer is the same whether or not it matched, so the form tells nobody whether a number
exists or whose it is. Attempts are limited per client address, per case number and per phone or
email, so nobody can use it to guess pairs or to flood someone's phone.
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from aftersales.core.cases import case_contact, registered_cases
from aftersales.core.notifications import notify_customer
from aftersales.core.phones import normalize_phone
from aftersales.core.portal.ratelimit import client_ident, rate_limit_hit

TEMPLATE = "portal/recover.html"
RECOVER_RATE_SCOPE = "portal-recover"


class RecoverForm(forms.Form):
    number = forms.CharField(
        label=_("Reference number (on your confirmation)"),
        max_length=20,
        help_text=_("For example T2026112300042 or C2026112300007."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    contact = forms.CharField(
        label=_("The mobile number or email you gave"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "tel email", "spellcheck": "false"}),
    )

    def clean_number(self) -> str:
        return "".join(self.cleaned_data["number"].split()).upper()

    def clean_contact(self) -> str:
        contact = self.cleaned_data["contact"].strip()
        return contact.lower() if "@" in contact else normalize_phone(contact)


def _matches(case, contact: str) -> bool:
    on_file = case_contact(case)
    typed = {on_file.phone, on_file.email.lower()} - {""}
    customer = case.customer
    if not getattr(case, "contact_phone", ""):
        typed |= {customer.phone, customer.email.lower()} - {""}
    return contact in typed or (contact.startswith("+86") and contact[3:] in typed)


def link_resend(*, number: str, contact: str) -> bool:
    """Send a new link of case ``number`` to its contact on file when ``contact`` is theirs; True if sent."""
    for spec in registered_cases():
        if spec.trackable is None:
            continue
        case = spec.model._default_manager.select_related("customer").filter(number=number).first()
        if case is not None and _matches(case, contact):
            notify_customer(
                customer=case_contact(case),
                key=f"{spec.kind}:{case.pk}:link-resent:{uuid.uuid4().hex}",
                template="tracking_link_resent",
                context={"number": case.number},
                tracking=case,
            )
            return True
    return False


def _limited(request, form: RecoverForm) -> bool:
    """Count this attempt per address, per number and per phone/email; True when any is over its limit."""
    rate = settings.LINK_RECOVERY_RATE_LIMIT
    idents = [f"ip:{client_ident(request)}"]
    if form.is_valid():
        idents += [f"number:{form.cleaned_data['number']}", f"contact:{form.cleaned_data['contact']}"]
    over = [not rate_limit_hit(scope=RECOVER_RATE_SCOPE, ident=ident, rate=rate) for ident in idents]
    return any(over)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def recover(request):
    if request.method != "POST":
        return render(request, TEMPLATE, {"form": RecoverForm()})
    form = RecoverForm(request.POST)
    if _limited(request, form):
        response = render(request, TEMPLATE, {"form": form, "rate_limited": True}, status=429)
        response["Retry-After"] = "3600"
        return response
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form}, status=400)
    link_resend(number=form.cleaned_data["number"], contact=form.cleaned_data["contact"])
    # The same answer whether or not the pair matched.
    return render(request, TEMPLATE, {"form": RecoverForm(), "sent": True})
