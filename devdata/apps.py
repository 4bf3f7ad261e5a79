from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevdataConfig(AppConfig):
    """Development data: ``seed_demo`` and ``synth_data``. The top layer: it imports any app, none imports it."""

    name = "devdata"
    label = "devdata"
    verbose_name = _("Development data")
