"""Staff API authentication: ``POST /api/v1/auth/token/``, the token check, logout (core/tokens.py).

Failed logins count towards the login lockout (aftersales/core/lockout.py) like the admin's: a
locked-out attempt gets 429 ``{"detail", "code": "locked_out"}`` with ``Retry-After``.
"""

from django.contrib.auth import logout
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from aftersales.core.audit import Action, audit_record, client_address
from aftersales.core.lockout import lockout_message, lockout_remaining
from aftersales.core.models import ApiToken
from aftersales.core.tokens import api_token_issue, api_token_revoke
from aftersales.core.tokens import api_tokens_revoke_all as revoke_all

from .errors import LockedOut

TOKEN_RESPONSE = inline_serializer(
    "TokenResponse", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()}
)


class ObtainTokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TOKEN_RESPONSE,
            400: OpenApiResponse(description="Wrong username or password, or a field missing"),
            429: OpenApiResponse(description="Too many requests, or locked out after failed logins"),
        },
        summary="Obtain an API token (a new one on every login)",
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            username = request.data.get("username") if hasattr(request.data, "get") else None
            remaining = lockout_remaining(request, username=username)
            if remaining:
                raise LockedOut(wait=remaining, detail=lockout_message(remaining))
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        issued = api_token_issue(
            user=user, ip=client_address(request), user_agent=request.META.get("HTTP_USER_AGENT", "")
        )
        audit_record(
            action=Action.LOGIN, request=request, user=user, details={"method": "token", "token": issued.token.prefix}
        )
        expires_at = serializers.DateTimeField().to_representation(issued.token.expires_at)  # local time
        return Response({"token": issued.key, "expires_at": expires_at})


def _end_session(request) -> None:
    if request.user.is_authenticated and hasattr(request._request, "session"):
        logout(request._request)  # audited by the user_logged_out receiver


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="Log out: revoke the token used (or end the session)")
    def post(self, request):
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is None:
            _end_session(request)
            return Response(status=status.HTTP_204_NO_CONTENT)
        api_token_revoke(token=token, reason=ApiToken.Ended.LOGOUT)
        audit_record(
            action=Action.LOGOUT, request=request, user=request.user, details={"method": "token", "token": token.prefix}
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: inline_serializer("LogoutAllResponse", {"revoked": serializers.IntegerField()})},
        summary="Log out everywhere: revoke every API token of this user (and end this session)",
    )
    def post(self, request):
        user = request.user
        revoked = revoke_all(user=user, reason=ApiToken.Ended.LOGOUT_ALL)
        audit_record(action=Action.LOGOUT, request=request, user=user, details={"scope": "all", "revoked": revoked})
        _end_session(request)
        return Response({"revoked": revoked})
