"""``POST /api/v1/auth/token/``: exchange a username and password for an API token.

Failed attempts count towards the login lockout (aftersales/core/lockout.py) like the admin's:
a locked-out username or address gets 429 ``{"detail", "code": "locked_out"}`` with ``Retry-After``.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from aftersales.core.audit import Action, audit_record, client_address
from aftersales.core.lockout import lockout_message, lockout_remaining

from .errors import LockedOut


class ObtainTokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong username or password, or a field missing"),
            429: OpenApiResponse(description="Too many requests, or locked out after failed logins"),
        },
        summary="Obtain an API token",
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            username = request.data.get("username") if hasattr(request.data, "get") else None
            remaining = lockout_remaining(
                username=username if isinstance(username, str) else None, ip=client_address(request)
            )
            if remaining:
                raise LockedOut(wait=remaining, detail=lockout_message(remaining))
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        audit_record(action=Action.LOGIN, request=request, user=user, details={"method": "token"})
        return Response({"token": token.key})
