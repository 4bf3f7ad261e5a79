"""``Authorization: Token <token>`` against hashed, expiring API tokens (aftersales/core/tokens.py).

A module of its own: DRF imports the authentication classes while ``rest_framework.views`` loads,
so this must not import any view.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from aftersales.core.audit import client_address
from aftersales.core.tokens import TokenRefused, api_token_authenticate

_REFUSALS = {
    "expired": (_("The token has expired; log in again."), "token_expired"),
    "revoked": (_("The token has been revoked; log in again."), "token_revoked"),
    "unknown": (_("Invalid token."), "authentication_failed"),
}


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>`` against the hashed, expiring ``ApiToken`` rows.

    DRF's header parsing is kept (a malformed header is a 401, never a 5xx); ``request.auth`` is the
    ``ApiToken``, which logout revokes.
    """

    def authenticate(self, request):
        # DRF makes one instance per request; the address is noted as the token's last use.
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        try:
            token = api_token_authenticate(key, ip=client_address(getattr(self, "_request", None)))
        except TokenRefused as refused:
            detail, code = _REFUSALS[refused.reason]
            raise exceptions.AuthenticationFailed(detail, code=code) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
