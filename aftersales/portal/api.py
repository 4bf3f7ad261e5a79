"""The customer's tracking endpoints under ``/api/v1/public/track/<token>/`` (CONTRACT.md §4): no login.

They serve whatever the token belongs to through the trackables registry (aftersales/core/trackables.py)
and never need to know which kind answered: a kind's trackable adds its own customer actions
(``customer_serializers``: a rating, an answer to a quote, an objection) to the
shell's ``message``, ``confirm``, ``reopen`` and files. Each kind's intake endpoint
(``POST public/requests/`` and the like) lives in its app.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from aftersales.core import clock
from aftersales.core.api.errors import Conflict
from aftersales.core.api.renderers import DOWNLOAD_RENDERERS
from aftersales.core.api.services import validation_codes_kept
from aftersales.core.attachments import attachment_response
from aftersales.core.portal.tracking import EmptySerializer, MessageSerializer, ReopenSerializer
from aftersales.core.portal.views import PublicView
from aftersales.core.trackables import (
    TrackingActionUnsupported,
    TrackingConflict,
    registered_trackables,
    trackable_find,
)
from aftersales.core.uploads import validate_attachment

SHARED_ACTIONS: dict[str, type[serializers.Serializer]] = {
    "message": MessageSerializer,
    "confirm": EmptySerializer,
    "reopen": ReopenSerializer,
}

TrackedItem = inline_serializer(
    "TrackedItem",
    {
        "kind": serializers.CharField(help_text="the kind of case (the registered kinds' names)"),
        "number": serializers.CharField(),
        "status": serializers.CharField(),
        "status_label": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
        "timeline": serializers.ListField(child=serializers.DictField()),
        "sla": serializers.ListField(child=serializers.DictField()),
        "actions": serializers.ListField(child=serializers.CharField()),
        "attachments": serializers.ListField(
            child=serializers.DictField(),
            help_text="id, name, size, content_type, created_at, by, download_url",
        ),
    },
)


def _tracked(token: str):
    tracked = trackable_find(token)
    if tracked is None:
        raise NotFound()
    return tracked


def _represented(request, token: str, tracked, *, now: datetime) -> dict:
    """The trackable's view, with each attachment's download link (built here: only the link knows the token)."""
    data = tracked.trackable.represent(tracked.subject, now=now)
    for attachment in data.get("attachments", []):
        path = reverse("public-track-attachment", kwargs={"token": token, "attachment_id": attachment["id"]})
        attachment["download_url"] = request.build_absolute_uri(path)
    return data


class TrackView(PublicView):
    @extend_schema(
        responses={200: TrackedItem, 404: OpenApiResponse(description="unknown or malformed token")},
        summary="What the customer may see of their case (public)",
        auth=[],
    )
    def get(self, request, token: str):
        tracked = _tracked(token)
        return Response(_represented(request, token, tracked, now=clock.now()))


class TrackActionView(PublicView):
    """``POST track/<token>/<action>/``: one customer action, answered with the updated view."""

    action_name = ""

    def get_serializer_class(self):  # for the schema
        return TRACK_ACTIONS[self.action_name]

    def perform_action(self, request, token: str) -> Response:
        tracked = _tracked(token)
        payload = TRACK_ACTIONS[self.action_name](data=request.data)
        payload.is_valid(raise_exception=True)
        now = clock.now()
        try:
            tracked.trackable.perform(tracked.subject, self.action_name, dict(payload.validated_data), now=now)
        except TrackingConflict as error:
            raise Conflict(str(error) or None) from error
        except TrackingActionUnsupported as error:
            raise NotFound() from error
        # Read again: the action changed the subject (status, timeline, actions).
        tracked = _tracked(token)
        code = status.HTTP_201_CREATED if self.action_name == "message" else status.HTTP_200_OK
        return Response(_represented(request, token, tracked, now=now), status=code)


class PublicAttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        validators=[validate_attachment], help_text="PDF, JPEG, PNG or WebP, at most 10 MB (checked by content)"
    )


class TrackAttachmentsView(PublicView):
    """``POST track/<token>/attachments/``: the customer adds a photo or document (multipart, ``file``)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": PublicAttachmentUploadSerializer},
        responses={
            201: TrackedItem,
            400: OpenApiResponse(description="not a PDF/JPEG/PNG/WebP by content, over 10 MB, or 10 files already"),
            404: OpenApiResponse(description="unknown token, or this item takes no files"),
            409: OpenApiResponse(description="the request is closed"),
            415: OpenApiResponse(description="not sent as multipart/form-data"),
        },
        summary="Customer action: attach a photo or document (public)",
        auth=[],
    )
    def post(self, request, token: str):
        tracked = _tracked(token)
        upload = PublicAttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        now = clock.now()
        try:
            with validation_codes_kept():
                tracked.trackable.perform(tracked.subject, "attach", {"file": upload.validated_data["file"]}, now=now)
        except TrackingConflict as error:
            raise Conflict(str(error) or None) from error
        except TrackingActionUnsupported as error:
            raise NotFound() from error
        tracked = _tracked(token)
        return Response(_represented(request, token, tracked, now=now), status=status.HTTP_201_CREATED)


class TrackAttachmentView(PublicView):
    """``GET track/<token>/attachments/<id>/``: one file the customer may see, as a download."""

    renderer_classes = DOWNLOAD_RENDERERS

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="the file, as a download"
            ),
            404: OpenApiResponse(description="unknown token, or no such file for the customer"),
        },
        summary="Download a file of the customer's case (public)",
        auth=[],
    )
    def get(self, request, token: str, attachment_id: int):
        tracked = _tracked(token)
        find = getattr(tracked.trackable, "attachment", None)
        attachment = find(tracked.subject, attachment_id) if find is not None else None
        if attachment is None:
            raise NotFound()
        return attachment_response(attachment)


def _action_view(name: str):
    """A view class per action, so each gets its own request schema in the OpenAPI document."""

    def post(self, request, token: str):
        return self.perform_action(request, token)

    schema = extend_schema(
        request=TRACK_ACTIONS[name],
        responses={
            201 if name == "message" else 200: TrackedItem,
            400: OpenApiResponse(description="invalid input"),
            404: OpenApiResponse(description="unknown token, or no such action for this item"),
            409: OpenApiResponse(description="not possible now (state, already rated, window over)"),
        },
        summary=f"Customer action: {name.replace('_', ' ')} (public)",
        auth=[],
    )
    view_class = type(
        f"Track{name.title().replace('_', '')}View", (TrackActionView,), {"action_name": name, "post": schema(post)}
    )
    return view_class.as_view()


def customer_actions() -> dict[str, type[serializers.Serializer]]:
    """Every customer action of the public API and the serializer of its body: the shell's, then each kind's."""
    actions: dict[str, type[serializers.Serializer]] = dict(SHARED_ACTIONS)
    for trackable in registered_trackables():
        for name, serializer in getattr(trackable, "customer_serializers", {}).items():
            actions.setdefault(name, serializer)
    return actions


TRACK_ACTIONS = customer_actions()

urlpatterns = [
    path("track/<str:token>/", TrackView.as_view(), name="public-track"),
    path("track/<str:token>/messages/", _action_view("message"), name="public-track-message"),
    path("track/<str:token>/attachments/", TrackAttachmentsView.as_view(), name="public-track-attachments"),
    path(
        "track/<str:token>/attachments/<int:attachment_id>/",
        TrackAttachmentView.as_view(),
        name="public-track-attachment",
    ),
    *[
        path(f"track/<str:token>/{name.replace('_', '-')}/", _action_view(name), name=f"public-track-{name}")
        for name in TRACK_ACTIONS
        if name != "message"
    ],
]
