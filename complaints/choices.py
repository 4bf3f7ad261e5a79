"""Choice lists of complaints (REQUIREMENTS §5; 004 §2.1–2.5, 000 P1§7.2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    ONLINE = "online", _("Online")
    THIRD_PARTY = "third_party", _("Third-party platform")


class Category(models.TextChoices):
    """The category tree of 004 §2.1 as ``group.leaf`` values; ``category_group`` gives the group."""

    PRODUCT_FUNCTION = "product.function_defect", _("Product · function defect")
    PRODUCT_PERFORMANCE = "product.performance", _("Product · performance")
    PRODUCT_APPEARANCE = "product.appearance", _("Product · appearance")
    PRODUCT_PACKAGING = "product.packaging", _("Product · packaging")
    SERVICE_SLOW_RESPONSE = "service.slow_response", _("Service · slow response")
    SERVICE_LATE_REPAIR = "service.late_repair", _("Service · late repair")
    SERVICE_ATTITUDE = "service.attitude", _("Service · attitude")
    SERVICE_REPAIR_QUALITY = "service.repair_quality", _("Service · repair quality")
    OTHER_RETURN_EXCHANGE = "other.return_exchange", _("Other · return / exchange process")
    OTHER_PRICE = "other.price_dispute", _("Other · price dispute")
    OTHER_POLICY = "other.unclear_policy", _("Other · unclear policy")


class CategoryGroup(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")
    OTHER = "other", _("Other")


def category_group(category: str) -> str:
    return category.split(".", 1)[0]


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical (public / safety)")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    AWAITING_APPROVAL = "awaiting_approval", _("Resolution awaiting approval")
    PROPOSED = "proposed", _("Resolution proposed")
    CONFIRMED = "confirmed", _("Confirmed by customer")
    CLOSED = "closed", _("Closed")
    LINKED = "linked", _("Linked to an open complaint")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.AWAITING_APPROVAL, Status.PROPOSED}
)
# Finished as far as the customer is concerned; reopening is possible within the window.
DONE_STATUSES = frozenset({Status.CONFIRMED, Status.CLOSED})


class Cause(models.TextChoices):
    """What the investigation found (004 §2.3: the technical or quality department decides)."""

    PRODUCT_DEFECT = "product_defect", _("Product defect")
    SERVICE = "service", _("Service failure")
    POLICY = "policy", _("Policy")
    NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")


class RootCause(models.TextChoices):
    """Root-cause codes for the PDCA loop (000 P1§7.2, plus the product-side ones)."""

    SYSTEM_FAILURE = "system_failure", _("System failure")
    INSUFFICIENT_SKILL = "insufficient_skill", _("Insufficient skill")
    MISCOMMUNICATION = "miscommunication", _("Miscommunication")
    UNCLEAR_SCOPE = "unclear_scope", _("Unclear scope")
    LATE_FEEDBACK = "late_feedback", _("Late feedback handling")
    PRODUCT_DEFECT = "product_defect", _("Product defect")
    SUPPLIER_PART = "supplier_part", _("Supplier part")
    LOGISTICS = "logistics", _("Logistics")


class ResolutionType(models.TextChoices):
    REPAIR = "repair", _("Repair")
    REPLACEMENT = "replacement", _("Replacement")
    RETURN = "return", _("Return")
    REFUND = "refund", _("Refund")
    COMPENSATION = "compensation", _("Compensation")
    EXPLANATION = "explanation", _("Explanation / apology")


class CompensationKind(models.TextChoices):
    COUPON = "coupon", _("Coupon")
    POINTS = "points", _("Points")
    GIFT = "gift", _("Gift")
    REFUND = "refund", _("Refund")
    CASH = "cash", _("Cash")


class ClockName(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    ON_SITE = "on_site", _("On site")
    RESOLUTION = "resolution", _("Resolution")


class CorrectiveStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done, awaiting verification")
    VERIFIED = "verified", _("Verified effective")


# The clock a corrective action runs on (its due date), swept like every promise.
CORRECTIVE_CLOCK = "corrective_due"
