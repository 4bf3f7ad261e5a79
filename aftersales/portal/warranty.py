"""``/warranty/``: the customer's warranty check (CONTRACT.md §3, ``?serial=``), in plain words.

A registered serial gets the same decision as the public API (``warranty.services.warranty_decide``,
a quality fault today); an unknown serial may still get an estimate from the model and the purchase
date the customer gives (``warranty_estimate``), which staff confirm with the proof of purchase. The
page says nothing about who owns a unit, and offers to request service for it (the request form
pre-filled with the serial).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from aftersales.core.cases import registered_cases
from aftersales.core.throttling import rate_limited_page
from warranty.choices import Charge
from warranty.entitlement import ITEM_NAMES, Entitlement
from warranty.selectors import models_on_sale, unit_by_serial
from warranty.services import warranty_decide, warranty_estimate

WARRANTY_RATE_SCOPE = "warranty-page"
# What could be on a label (as the public API takes it): no control characters, no slash.
_SERIAL = re.compile(r"[^\x00-\x1f\x7f/]{1,64}")
_ITEMS = ("parts", "labour", "travel")


class WarrantyCheckForm(forms.Form):
    serial = forms.CharField(
        label=_("Serial number"),
        max_length=64,
        help_text=_("On the label of the product, usually at the back or underneath."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    product_model = forms.ModelChoiceField(
        label=_("Model"), queryset=models_on_sale(), required=False, empty_label=_("Choose your model")
    )
    purchase_date = forms.DateField(
        label=_("Purchase date"),
        required=False,
        help_text=_("As on your invoice or receipt."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_serial(self) -> str:
        serial = self.cleaned_data["serial"].strip()
        if not _SERIAL.fullmatch(serial):
            raise ValidationError(_("Enter the serial number as printed on the label."), code="invalid")
        return serial

    def clean_purchase_date(self) -> date | None:
        purchase_date = self.cleaned_data.get("purchase_date")
        if purchase_date and purchase_date > timezone.localdate():
            raise ValidationError(_("The purchase date cannot be in the future."), code="future")
        return purchase_date


@dataclass(frozen=True)
class WarrantyAnswer:
    """What the page says: the decision in plain words (the items by what they cost)."""

    serial: str
    model_name: str
    registered: bool  # False: an estimate from the model and purchase date the customer gave
    entitlement: Entitlement
    request_url: str

    @property
    def free(self) -> list[str]:
        return [str(ITEM_NAMES[item]) for item in _ITEMS if self.entitlement.charges[item] == Charge.FREE]

    @property
    def at_cost(self) -> list[str]:
        return [str(ITEM_NAMES[item]) for item in _ITEMS if self.entitlement.charges[item] == Charge.AT_COST]

    @property
    def charged(self) -> list[str]:
        return [str(ITEM_NAMES[item]) for item in _ITEMS if self.entitlement.charges[item] == Charge.CHARGEABLE]

    @property
    def reasons(self) -> list[str]:
        return [reason.render(translation.get_language()) for reason in self.entitlement.reasons]

    @property
    def labour_rate(self):
        return self.entitlement.charges.get("labour_rate")

    @property
    def travel_fee(self):
        return self.entitlement.charges.get("travel_fee")


def request_url_for(serial: str) -> str:
    """The page that starts a case for this unit, pre-filled (the first kind that offers one), or ""."""
    for spec in registered_cases():
        if spec.portal_start and spec.portal_unit_query:
            query = spec.portal_unit_query.format(serial=quote(serial, safe=""))
            return f"{reverse(spec.portal_start)}?{query}"
    return ""


def _answer(form: WarrantyCheckForm) -> tuple[WarrantyAnswer | None, bool]:
    """The answer for a valid form, and whether the serial is unknown (the page then asks for model and date)."""
    serial = form.cleaned_data["serial"]
    today = timezone.localdate()
    unit = unit_by_serial(serial)
    if unit is not None:
        decision = warranty_decide(unit=unit, on_date=today)
        answer = WarrantyAnswer(
            serial=unit.serial,
            model_name=unit.product_model.name,
            registered=True,
            entitlement=decision.entitlement,
            request_url=request_url_for(unit.serial),
        )
        return answer, False
    product_model, purchase_date = form.cleaned_data.get("product_model"), form.cleaned_data.get("purchase_date")
    if product_model is None or purchase_date is None:
        return None, True
    try:
        entitlement = warranty_estimate(product_model=product_model, purchase_date=purchase_date, on_date=today)
    except ValidationError as error:
        form.add_error("purchase_date", error.message_dict.get("purchase_date", error.messages))
        return None, True
    answer = WarrantyAnswer(
        serial=serial,
        model_name=product_model.name,
        registered=False,
        entitlement=entitlement,
        request_url=request_url_for(serial),
    )
    return answer, True


@require_GET
@rate_limited_page(scope=WARRANTY_RATE_SCOPE, rate_setting="WARRANTY_PAGE_RATE_LIMIT")
def warranty_check(request):
    """``/warranty/`` (empty form), ``/warranty/?serial=…`` (the answer), ``&product_model=…&purchase_date=…``."""
    if "serial" not in request.GET:
        return render(request, "portal/warranty.html", {"form": WarrantyCheckForm()})
    form = WarrantyCheckForm(request.GET)
    answer, unknown = (None, False)
    if form.is_valid():
        answer, unknown = _answer(form)
    elif "product_model" in form.errors or "purchase_date" in form.errors:
        unknown = True  # show the fields again with their errors
    status = 400 if form.errors else 200
    context = {"form": form, "answer": answer, "unknown": unknown}
    return render(request, "portal/warranty.html", context, status=status)
