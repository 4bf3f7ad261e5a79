from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class PublicRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that reads the rate on each request (scope ``public`` by default).

    DRF copies ``DEFAULT_THROTTLE_RATES`` into the class when it is imported, so a changed setting
    (an operator's reload, a test's override) would otherwise be ignored.
    """

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as error:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}") from error
