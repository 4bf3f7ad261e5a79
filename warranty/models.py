"""Catalogue, registered units, warranty policies, extended contracts, decisions and quotes."""

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from aftersales.core.uploads import random_upload_name

from .choices import (
    DEFAULT_EXCLUSIONS,
    ApprovalStatus,
    ProductKind,
    QuoteStatus,
    SalesChannel,
    ServiceMode,
    UnitImportMode,
    UnitImportStatus,
)
from .validators import validate_proof_of_purchase, validate_unit_import_file

MONEY = {"max_digits": 12, "decimal_places": 2}


class ProductCategory(models.Model):
    """A product line (air conditioners, water purifiers, software); technicians are skilled per category."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")

    def __str__(self) -> str:
        return self.name


class ProductModel(models.Model):
    code = models.CharField(_("model code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ProductCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="models"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ProductKind.choices, default=ProductKind.HARDWARE)
    # Most labels are printed in capitals and typed any way; some serials are case-significant.
    serial_case_sensitive = models.BooleanField(_("serial numbers are case-sensitive"), default=False)
    is_active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product model")
        verbose_name_plural = _("product models")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def normalize_serial(self, raw: str) -> str:
        serial = (raw or "").strip()
        return serial if self.serial_case_sensitive else serial.upper()


class Component(models.Model):
    """A replaceable part of a model that may carry its own warranty (compressor, main board)."""

    product_model = models.ForeignKey(ProductModel, on_delete=models.CASCADE, related_name="components")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["product_model", "code"]
        verbose_name = _("component")
        verbose_name_plural = _("components")
        constraints = [models.UniqueConstraint(fields=["product_model", "code"], name="warranty_component_unique")]

    def __str__(self) -> str:
        return self.name


def proof_upload_path(instance, filename: str) -> str:
    """Random stored names: the uploader's file name never reaches the file system."""
    return random_upload_name("proofs", filename)


class RegisteredUnit(models.Model):
    """One sold product, identified by its serial number."""

    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    product_model = models.ForeignKey(
        ProductModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="units"
    )
    customer = models.ForeignKey(
        "core.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
    )
    purchase_date = models.DateField(_("purchase date"))
    sales_channel = models.CharField(
        _("sales channel"), max_length=20, choices=SalesChannel.choices, default=SalesChannel.RETAIL_STORE
    )
    install_date = models.DateField(_("install date"), null=True, blank=True)
    proof_of_purchase = models.FileField(
        _("proof of purchase"),
        upload_to=proof_upload_path,
        blank=True,
        validators=[validate_proof_of_purchase],
        help_text=_("Invoice or warranty card: PDF, JPEG, PNG or WebP, at most 10 MB."),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        ordering = ["-purchase_date", "serial"]
        verbose_name = _("registered unit")
        verbose_name_plural = _("registered units")
        indexes = [models.Index(fields=["product_model", "purchase_date"], name="warranty_unit_model_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(install_date__isnull=True) | Q(install_date__gte=F("purchase_date")),
                name="warranty_unit_installed_after_purchase",
            ),
        ]

    def __str__(self) -> str:
        return self.serial


def default_exclusions() -> dict[str, str]:
    return {str(cause): str(terms) for cause, terms in DEFAULT_EXCLUSIONS.items()}


class WarrantyPolicy(models.Model):
    """What a model's warranty promises, versioned: a unit keeps the version in force at its purchase."""

    product_model = models.ForeignKey(
        ProductModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="policies"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"), help_text=_("Applies to units purchased on or after."))
    # Defaults: hardware 12 months, software support 3 months (000 P1§3(1)).
    base_months = models.PositiveSmallIntegerField(_("base warranty (months)"), validators=[MaxValueValidator(240)])
    covers_parts = models.BooleanField(_("parts covered"), default=True)
    covers_labour = models.BooleanField(_("labour covered"), default=True)
    covers_travel = models.BooleanField(_("travel covered"), default=True)
    service_mode = models.CharField(
        _("service"), max_length=10, choices=ServiceMode.choices, default=ServiceMode.ON_SITE
    )
    # Quality problem with proof of purchase: return within 6 months (000 P1§3(5)).
    return_window_months = models.PositiveSmallIntegerField(_("return window (months)"), default=6)
    exchange_window_days = models.PositiveSmallIntegerField(_("exchange window for quality faults (days)"), default=15)
    # Design defect: exchanged on receipt, at any time in warranty (000 P1§3(5)).
    exchange_on_design_defect = models.BooleanField(_("exchange on design defect"), default=True)
    exclusions = models.JSONField(
        _("exclusions"),
        default=default_exclusions,
        help_text=_("Fault cause → terms while in warranty: parts_at_cost or chargeable."),
    )
    labour_rate = models.DecimalField(_("labour rate per hour"), default=Decimal("80.00"), **MONEY)
    travel_fee = models.DecimalField(_("travel fee per visit"), default=Decimal("50.00"), **MONEY)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["product_model", "-effective_from"]
        verbose_name = _("warranty policy")
        verbose_name_plural = _("warranty policies")
        constraints = [
            models.UniqueConstraint(fields=["product_model", "version"], name="warranty_policy_unique_version"),
            models.UniqueConstraint(
                fields=["product_model", "effective_from"], name="warranty_policy_unique_effective_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_model.code} v{self.version} ({self.effective_from})"


class ComponentWarranty(models.Model):
    """A longer period for one component, e.g. 5 years on a compressor (002 §19)."""

    policy = models.ForeignKey(WarrantyPolicy, on_delete=models.CASCADE, related_name="component_warranties")
    component = models.ForeignKey(Component, verbose_name=_("component"), on_delete=models.PROTECT)
    months = models.PositiveSmallIntegerField(_("months"), validators=[MinValueValidator(1), MaxValueValidator(360)])
    covers_parts = models.BooleanField(_("parts covered"), default=True)
    covers_labour = models.BooleanField(_("labour covered"), default=False)
    covers_travel = models.BooleanField(_("travel covered"), default=False)

    class Meta:
        ordering = ["policy", "component"]
        verbose_name = _("component warranty")
        verbose_name_plural = _("component warranties")
        constraints = [
            models.UniqueConstraint(fields=["policy", "component"], name="warranty_componentwarranty_unique")
        ]

    def __str__(self) -> str:
        return f"{self.component} {self.months}m"


class ExtendedWarranty(models.Model):
    """An extended warranty contract bought separately for one unit."""

    unit = models.ForeignKey(RegisteredUnit, on_delete=models.CASCADE, related_name="extended_warranties")
    reference = models.CharField(_("contract reference"), max_length=64, unique=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), help_text=_("Last covered day."))
    covers_parts = models.BooleanField(_("parts covered"), default=True)
    covers_labour = models.BooleanField(_("labour covered"), default=True)
    covers_travel = models.BooleanField(_("travel covered"), default=False)
    price = models.DecimalField(_("price"), default=Decimal("0.00"), **MONEY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["unit", "starts_on"]
        verbose_name = _("extended warranty")
        verbose_name_plural = _("extended warranties")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="warranty_extended_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.starts_on}–{self.ends_on}"


class EntitlementDecision(models.Model):
    """A stored entitlement decision: inputs, policy version and outputs, kept even if the policy changes."""

    unit = models.ForeignKey(RegisteredUnit, on_delete=models.PROTECT, related_name="decisions")
    policy = models.ForeignKey(WarrantyPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    policy_version = models.PositiveSmallIntegerField(_("policy version"), null=True, blank=True)
    inputs = models.JSONField(_("inputs"))
    outputs = models.JSONField(_("outputs"))
    in_warranty = models.BooleanField(_("in warranty"))
    decided_at = models.DateTimeField(_("decided at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=40, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("entitlement decision")
        verbose_name_plural = _("entitlement decisions")

    def __str__(self) -> str:
        return f"{self.unit} {self.inputs.get('on_date')} {'in' if self.in_warranty else 'out of'} warranty"


class Quote(models.Model):
    """An out-of-warranty (or part-chargeable) quote the customer accepts or declines before work."""

    unit = models.ForeignKey(RegisteredUnit, on_delete=models.PROTECT, related_name="quotes")
    decision = models.ForeignKey(EntitlementDecision, on_delete=models.PROTECT, related_name="quotes")
    status = models.CharField(_("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.PENDING)
    labour_hours = models.DecimalField(_("labour hours"), max_digits=6, decimal_places=2, default=Decimal("0"))
    labour_rate = models.DecimalField(_("labour rate"), **MONEY)
    labour_amount = models.DecimalField(_("labour"), **MONEY)
    travel_amount = models.DecimalField(_("travel"), **MONEY)
    parts_amount = models.DecimalField(_("parts"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    response_note = models.TextField(_("customer's note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answer recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        # Without it staff see the quotes of the tickets assigned to them (selectors.quotes_visible_to).
        permissions = [("view_all_quotes", _("Can see the quotes of every ticket"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("labour_amount") + F("travel_amount") + F("parts_amount")),
                name="warranty_quote_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"Q{self.pk} {self.unit} {self.total}"


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    part_number = models.CharField(_("part number"), max_length=64)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.PositiveSmallIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    # What the customer pays per unit after the entitlement (0 when the warranty pays for parts).
    charged_unit_price = models.DecimalField(_("charged unit price"), **MONEY)

    class Meta:
        ordering = ["quote", "id"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self) -> str:
        return f"{self.part_number} × {self.quantity}"


class SpecialReplacement(models.Model):
    """A replacement outside the policy: needs a supervisor's approval, recorded with who and when."""

    unit = models.ForeignKey(RegisteredUnit, on_delete=models.PROTECT, related_name="special_replacements")
    decision = models.ForeignKey(EntitlementDecision, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("special replacement")
        verbose_name_plural = _("special replacements")
        permissions = [("approve_specialreplacement", _("Can approve replacements outside the policy"))]

    def __str__(self) -> str:
        return f"{self.unit} ({self.get_status_display()})"


def import_upload_path(instance, filename: str) -> str:
    """Random stored names, as for proofs; the uploader's name is kept in ``original_name``."""
    return random_upload_name("imports", filename)


class UnitImport(models.Model):
    """One bulk import of sold units from a CSV or XLSX file, its progress and its row errors.

    ``errors`` holds at most ``ERRORS_KEPT`` entries ``{"row", "field", "code", "message"}`` (row 1
    is the header); ``error_count`` counts them all.
    """

    ERRORS_KEPT = 1000
    FINISHED = (UnitImportStatus.SUCCEEDED, UnitImportStatus.FAILED, UnitImportStatus.ERROR)

    file = models.FileField(_("file"), upload_to=import_upload_path, validators=[validate_unit_import_file])
    original_name = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(
        _("mode"), max_length=20, choices=UnitImportMode.choices, default=UnitImportMode.ALL_OR_NOTHING
    )
    status = models.CharField(
        _("status"), max_length=10, choices=UnitImportStatus.choices, default=UnitImportStatus.PENDING
    )
    # Row error messages are written in the uploader's language, also when a worker runs the import.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True, help_text=_("Unknown until read."))
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    imported_rows = models.PositiveIntegerField(_("rows imported"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("unit import")
        verbose_name_plural = _("unit imports")
        # Without it staff see the imports they uploaded themselves (the files hold customers' data).
        permissions = [("view_all_unitimports", _("Can see every user's unit imports"))]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        """Checking the rows is the first half of the work, writing them the second; 100 once finished."""
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        done = self.processed_rows + min(self.imported_rows, self.total_rows)
        return min(99, done * 50 // self.total_rows)

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len(self.errors)


class WarrantyChange(models.Model):
    """One change of what a warranty rests on: the catalogue, a policy version, a unit or its contract.

    REQUIREMENTS §9: every change of a policy or an entitlement is traceable. The service that makes
    a change writes its row in the same transaction; the table is append-only in the database.
    ``changes`` is ``{field: {"from": before, "to": after}}`` (a created row has only ``"to"``);
    component periods and components are keyed by their code. Customers appear by id only, so the
    log copies no personal data. Rows outlive what they describe: no foreign keys to the subject.
    """

    class Subject(models.TextChoices):
        PRODUCT_CATEGORY = "product_category", _("product category")
        PRODUCT_MODEL = "product_model", _("product model")
        POLICY = "policy", _("warranty policy")
        UNIT = "unit", _("registered unit")
        EXTENDED_WARRANTY = "extended_warranty", _("extended warranty")

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")

    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    label = models.CharField(_("what"), max_length=200)
    # The unit a unit's or a contract's change is about: its whole history is one indexed lookup.
    unit_id = models.PositiveBigIntegerField(_("unit id"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changes"), encoder=DjangoJSONEncoder)
    # No database constraint, as in the audit log: deleting a user neither is blocked by nor erases history.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("warranty change")
        verbose_name_plural = _("warranty changes")
        indexes = [
            models.Index(fields=["subject", "object_id", "-changed_at"], name="warranty_change_subject_idx"),
            models.Index(fields=["unit_id", "-changed_at"], name="warranty_change_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.label} {self.get_action_display()}"
