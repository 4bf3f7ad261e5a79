"""Choice lists of the warranty app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    HARDWARE = "hardware", _("Hardware")
    SOFTWARE = "software", _("Software")


class SalesChannel(models.TextChoices):
    RETAIL_STORE = "retail_store", _("Retail store")
    ONLINE = "online", _("Online shop")
    DISTRIBUTOR = "distributor", _("Distributor")
    DIRECT = "direct", _("Direct sale")
    PROJECT = "project", _("Project / tender")
    OTHER = "other", _("Other")


class ServiceMode(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    MAIL_IN = "mail_in", _("Mail-in")
    BOTH = "both", _("On site or mail-in")


class FaultCause(models.TextChoices):
    """Why the unit failed; decides what the warranty pays (002 §4, §19; 000 P1§3)."""

    QUALITY_DEFECT = "quality_defect", _("Quality fault under normal use")
    DESIGN_DEFECT = "design_defect", _("Design defect")
    ABNORMAL_USE = "abnormal_use", _("Abnormal use")
    IMPROPER_STORAGE = "improper_storage", _("Improper storage or damp")
    UNAUTHORISED_REPAIR = "unauthorised_repair", _("Unauthorised repair or modification")
    LIQUID = "liquid", _("Liquid spill")
    NORMAL_WEAR = "normal_wear", _("Normal wear")
    FORCE_MAJEURE = "force_majeure", _("Force majeure")
    THIRD_PARTY_INSTALLATION = "third_party_installation", _("Damage by third-party installation")
    HUMAN_DAMAGE = "human_damage", _("Human damage")


# Causes that are the product's own fault: never excluded.
PRODUCT_FAULTS = frozenset({FaultCause.QUALITY_DEFECT, FaultCause.DESIGN_DEFECT})


class ExclusionTerms(models.TextChoices):
    """What an excluded cause costs the customer while the unit is still in warranty."""

    # In warranty but customer-caused: labour free, parts at cost (002 §4.6).
    PARTS_AT_COST = "parts_at_cost", _("Labour free, parts at cost")
    CHARGEABLE = "chargeable", _("Fully chargeable, as out of warranty")


DEFAULT_EXCLUSIONS = {
    FaultCause.ABNORMAL_USE: ExclusionTerms.PARTS_AT_COST,
    FaultCause.IMPROPER_STORAGE: ExclusionTerms.PARTS_AT_COST,
    FaultCause.UNAUTHORISED_REPAIR: ExclusionTerms.PARTS_AT_COST,
    FaultCause.LIQUID: ExclusionTerms.PARTS_AT_COST,
    FaultCause.HUMAN_DAMAGE: ExclusionTerms.PARTS_AT_COST,
    FaultCause.NORMAL_WEAR: ExclusionTerms.CHARGEABLE,
    FaultCause.FORCE_MAJEURE: ExclusionTerms.CHARGEABLE,
    FaultCause.THIRD_PARTY_INSTALLATION: ExclusionTerms.CHARGEABLE,
}


class Charge(models.TextChoices):
    FREE = "free", _("Free")
    AT_COST = "at_cost", _("At cost")
    CHARGEABLE = "chargeable", _("Chargeable")


class CoverageBasis(models.TextChoices):
    BASE = "base", _("Base warranty")
    COMPONENT = "component", _("Component warranty")
    EXTENDED = "extended", _("Extended warranty contract")


class QuoteStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the customer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class UnitImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("Import nothing if any row is invalid")
    VALID_ONLY = "valid_only", _("Import the valid rows, report the others")


class UnitImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    # Nothing imported: invalid rows in all-or-nothing mode, no valid row at all, or an unreadable file.
    FAILED = "failed", _("Rejected")
    ERROR = "error", _("Stopped by an internal error")
