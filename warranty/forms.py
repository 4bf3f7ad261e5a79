"""Forms of the staff admin. They only collect and check input: every write goes through services."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ExtendedWarranty, RegisteredUnit, SpecialReplacement, WarrantyPolicy
from .validators import validate_exclusions


class ComponentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        # Component names repeat across models ("compressor"): say which model's.
        return f"{obj.product_model.code} · {obj.name}"


class PolicyAdminForm(forms.ModelForm):
    class Meta:
        model = WarrantyPolicy
        fields = [
            "product_model",
            "effective_from",
            "base_months",
            "covers_parts",
            "covers_labour",
            "covers_travel",
            "service_mode",
            "return_window_months",
            "exchange_window_days",
            "exchange_on_design_defect",
            "exclusions",
            "labour_rate",
            "travel_fee",
            "notes",
        ]

    def clean_exclusions(self):
        exclusions = self.cleaned_data["exclusions"]
        validate_exclusions(exclusions)
        return exclusions


class ComponentWarrantyInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        model_id = self.instance.product_model_id
        for form in self.forms:
            component = getattr(form, "cleaned_data", {}).get("component")
            if component is None or form.cleaned_data.get("DELETE"):
                continue
            if model_id is not None and component.product_model_id != model_id:
                form.add_error("component", _("This component belongs to another model."))


class UnitAdminForm(forms.ModelForm):
    class Meta:
        model = RegisteredUnit
        fields = [
            "serial",
            "product_model",
            "customer",
            "purchase_date",
            "sales_channel",
            "install_date",
            "proof_of_purchase",
        ]

    def clean(self):
        cleaned_data = super().clean()
        product_model = cleaned_data.get("product_model")
        if "serial" in cleaned_data and product_model is not None:
            # Normalise before the uniqueness check runs, so "kfr35-1" is found to clash with "KFR35-1"
            # here instead of failing later in the service.
            cleaned_data["serial"] = product_model.normalize_serial(cleaned_data["serial"])
            if not cleaned_data["serial"]:
                self.add_error("serial", _("Enter the serial number."))
        if cleaned_data.get("purchase_date") and cleaned_data["purchase_date"] > timezone.localdate():
            self.add_error("purchase_date", _("The purchase date cannot be in the future."))
        # On the change page the purchase date is read-only, so the model's check constraint is not
        # validated by the form; the database would refuse the row instead.
        purchase_date = cleaned_data.get("purchase_date") or self.instance.purchase_date
        install_date = cleaned_data.get("install_date")
        if install_date and purchase_date and install_date < purchase_date:
            self.add_error("install_date", _("The unit cannot be installed before it was bought."))
        return cleaned_data


class ExtendedWarrantyInlineForm(forms.ModelForm):
    class Meta:
        model = ExtendedWarranty
        fields = ["reference", "starts_on", "ends_on", "covers_parts", "covers_labour", "covers_travel", "price"]


class SpecialReplacementForm(forms.ModelForm):
    class Meta:
        model = SpecialReplacement
        fields = ["unit", "decision", "reason"]

    def clean(self):
        cleaned_data = super().clean()
        unit, decision = cleaned_data.get("unit"), cleaned_data.get("decision")
        if unit is not None and decision is not None and decision.unit_id != unit.pk:
            self.add_error("decision", _("This decision is about another unit."))
        if "reason" in cleaned_data and not cleaned_data["reason"].strip():
            self.add_error("reason", _("Say why the unit should be replaced outside the policy."))
        return cleaned_data
