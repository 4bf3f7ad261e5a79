"""The incident's vocabulary: types (REQUIREMENTS §6), levels I–IV, statuses, clocks."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentType(models.TextChoices):
    BATCH_FAILURE = "batch_failure", _("Batch failure or quality/safety hazard")
    SUDDEN_COMPLAINT = "sudden_complaint", _("Sudden complaint")
    COMPLAINT_SURGE = "complaint_surge", _("Complaint surge or public-opinion crisis")
    STAFF_ACCIDENT = "staff_accident", _("Staff accident or threat")
    STAFF_SHORTAGE = "staff_shortage", _("Staff shortage")
    LOGISTICS = "logistics", _("Logistics delay or damage")
    SYSTEM_OUTAGE = "system_outage", _("System outage")
    NATURAL_DISASTER = "natural_disaster", _("Natural disaster")
    ONSITE_RESCUE = "onsite_rescue", _("On-site rescue")


class Level(models.IntegerChoices):
    """I is the most severe; escalating lowers the number."""

    I = 1, _("Level I (especially major)")  # noqa: E741
    II = 2, _("Level II (major)")
    III = 3, _("Level III (serious)")
    IV = 4, _("Level IV (general)")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ASSESSED = "assessed", _("Assessed")
    ACTIVATED = "activated", _("Activated")
    MITIGATING = "mitigating", _("Mitigating")
    RECOVERED = "recovered", _("Recovered")
    REVIEWED = "reviewed", _("Reviewed")
    CLOSED = "closed", _("Closed")
    STOOD_DOWN = "stood_down", _("Stood down")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    FIELD = "field", _("Field report")
    MONITORING = "monitoring", _("Monitoring")
    MEDIA = "media", _("Media")
    SYSTEM = "system", _("System")


class ClockName(models.TextChoices):
    RESPOND = "respond", _("Response")
    INITIAL_HANDLING = "initial_handling", _("Initial handling")


# Before recovery the level may still change and a false alarm may be stood down.
BEFORE_RECOVERY = [Status.ASSESSED, Status.ACTIVATED, Status.MITIGATING]
OPEN_STATUSES = [Status.REPORTED, *BEFORE_RECOVERY, Status.RECOVERED, Status.REVIEWED]
