"""The staff API shapes every kind of case shares (CONTRACT.md §4: list / retrieve / transition, notes, files).

A kind's viewset subclasses ``CaseViewSet`` and names its ``case_spec``, its selectors and its
serializers; the endpoints below then behave the same for every kind: who sees which case is the
kind's selector (404 for one the user may not see), the services write and refuse (403 / 409 through
``service_errors``), and the admin, the API and the services ask the same predicates
(``aftersales.core.cases``). Each subclass declares its OpenAPI shapes with ``case_schema``.
"""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from .. import cases
from ..attachments import attachment_response
from ..selectors import Queue
from ..selectors import clocks_attach as cases_clocks_attach
from ..uploads import validate_attachment
from .parsers import SafeJSONParser
from .permissions import ActionPermissions
from .renderers import DOWNLOAD_RENDERERS
from .services import reject_nul, service_errors, validation_codes_kept

MAX_TEXT = 5000
ID_PATTERN = r"[0-9]{1,18}"  # at most 18 digits: always inside PostgreSQL's bigint
BAD_FILE = "not a PDF/JPEG/PNG/WebP by content, over 10 MB, or 10 files already"
_OFFSET_AFTER_SPACE = re.compile(r" (\d{2}:?\d{2})$")


# --- shapes ------------------------------------------------------------------------------------------


class TransitionSerializer(serializers.Serializer):
    """Only ``action`` is checked here; the action's own fields are checked by the kind's ``actions``."""

    action = serializers.CharField(max_length=40)
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)


class NoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_TEXT)
    public = serializers.BooleanField(default=False, help_text="shown on the customer's tracking page")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        validators=[validate_attachment], help_text="PDF, JPEG, PNG or WebP, at most 10 MB (checked by content)"
    )
    public = serializers.BooleanField(
        default=False, help_text="shown on the customer's tracking page (service desk roles only)"
    )


# One event of a case's timeline for staff; the subclass names the kind's event model.
class CaseEventSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at", read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        fields = ["id", "at", "action", "from_status", "to_status", "actor", "by_customer", "public", "note", "data"]
        read_only_fields = fields


# The subclass names the kind's attachment model and ``url_name`` (the viewset's ``attachment`` route);
# ``context["case"]`` saves reading the case of each file again.
class CaseAttachmentSerializer(serializers.ModelSerializer):
    """One file; ``download_url`` is the access-checked download (never a public media URL)."""

    url_name = ""

    name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        fields = [
            "id",
            "name",
            "size",
            "content_type",
            "created_at",
            "by_customer",
            "public",
            "uploaded_by",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        case = self.context.get("case") or getattr(attachment, attachment.case_field)
        path = reverse(self.url_name, kwargs={"number": case.number, "attachment_id": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class CaseFilterSerializer(serializers.Serializer):
    """The filters every case list takes; the subclass adds the kind's own and sets ``statuses``."""

    breached = serializers.BooleanField(required=False, allow_null=True, default=None)
    due_before = serializers.DateTimeField(required=False)
    search = serializers.CharField(max_length=100, required=False)
    queue = serializers.ChoiceField(choices=Queue.CHOICES, required=False)
    selector_names: dict[str, str] = {}  # the kind's filter → its selector's keyword, where they differ

    def to_internal_value(self, data):
        data = {key: value for key, value in data.items() if value != ""}
        # An unencoded "+08:00" in a query string arrives as " 08:00"; read it as meant.
        if isinstance(data.get("due_before"), str):
            data["due_before"] = _OFFSET_AFTER_SPACE.sub(r"+\1", data["due_before"].strip())
        return super().to_internal_value(data)

    def selector_kwargs(self) -> dict:
        data = self.validated_data
        kwargs = {
            "statuses": data.get("status", []),
            "breached": data.get("breached"),
            "due_before": data.get("due_before"),
            "search": data.get("search", ""),
            "queue": data.get("queue", ""),
        }
        for name in list(self.fields):
            if name not in ("status", *kwargs):
                kwargs[self.selector_names.get(name, name)] = data.get(name, "")
        return kwargs


def case_filter_parameters(noun: str, extra: list[OpenApiParameter]) -> list[OpenApiParameter]:
    """The list's query parameters for the schema: the kind's own, then the shared ones."""
    return [
        OpenApiParameter("status", str, description="a status, several separated by commas, or `open`"),
        *extra,
        OpenApiParameter("breached", bool, description=f"`true`: a clock of the {noun} recorded a breach"),
        OpenApiParameter(
            "due_before", OpenApiTypes.DATETIME, description="a running clock is due before this ISO-8601 time"
        ),
        OpenApiParameter("search", str, description=f"{noun} number, unit serial, or customer phone (contact roles)"),
        OpenApiParameter("queue", str, enum=list(Queue.CHOICES)),
    ]


def created_serializer(detail: type[serializers.ModelSerializer], name: str) -> type[serializers.ModelSerializer]:
    """``detail`` plus the customer's link, for the answer to registering a case (shown once: only
    the token's hash is stored). ``name`` is the class name (the schema's component)."""
    fields = [*detail.Meta.fields, "tracking_url"]
    meta = type("Meta", (detail.Meta,), {"fields": fields, "read_only_fields": fields})
    attributes = {
        "tracking_url": serializers.CharField(read_only=True),
        "Meta": meta,
        "__doc__": "The new case, plus the customer's link (shown once: only the token's hash is stored).",
        "__module__": detail.__module__,
    }
    return type(name, (detail,), attributes)


# --- the viewset ---------------------------------------------------------------------------------------


# List, retrieve, transition, events, notes and files of one kind of case. The subclass sets
# ``case_spec``, the serializers (``serializer_class`` for the list, ``detail_serializer_class``,
# ``event_serializer_class``, ``attachment_serializer_class``, ``filter_serializer_class``),
# ``view_permission`` and ``action_permissions``, and the selectors ``case_list(user, **filters)`` and
# ``case_for_staff(user, number)``. (A comment, not a docstring: drf-spectacular would print a class
# docstring as the description of every operation.)
class CaseViewSet(viewsets.GenericViewSet):
    case_spec: cases.CaseSpec
    detail_serializer_class: type[serializers.Serializer]
    event_serializer_class: type[serializers.Serializer]
    attachment_serializer_class: type[serializers.Serializer]
    filter_serializer_class: type[CaseFilterSerializer]
    parser_classes = [SafeJSONParser]  # JSON only: form bodies are not part of this API
    permission_classes = [ActionPermissions]
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9-]{1,20}"

    # --- the kind's selectors ------------------------------------------------------------------

    def case_list(self, user, **filters):
        raise NotImplementedError

    def case_for_staff(self, user, number: str):
        raise NotImplementedError

    # --- plumbing --------------------------------------------------------------------------------

    def service_errors(self):
        """The services' refusals as the API promises: the kit's and the kind's "not now" are 409."""
        return service_errors((cases.ActionNotAllowed, *self.case_spec.conflicts))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model, not a database
            return self.case_spec.model.objects.none()
        return self.case_list(self.request.user)

    def get_object(self):
        case = self.case_for_staff(self.request.user, self.kwargs["number"])
        if case is None:
            raise NotFound()
        return case

    def case_response(self, case, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The case re-read after a write, with everything the representation needs."""
        fresh = self.case_for_staff(self.request.user, case.number) or case
        return Response(self.detail_serializer_class(fresh, context=self.get_serializer_context()).data, status_code)

    def created_response(self, created, case, serializer_class) -> Response:
        """201 for a case just registered: its detail, its link once, and where it lives."""
        fresh = self.case_for_staff(self.request.user, case.number) or case
        fresh.tracking_url = created.tracking_url
        body = serializer_class(fresh, context=self.get_serializer_context()).data
        headers = {"Location": f"{self.request.path}{fresh.number}/"}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

    # --- list, retrieve ------------------------------------------------------------------------

    def list(self, request):
        filters = self.filter_serializer_class(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(self.case_list(request.user, **filters.selector_kwargs()))
        cases_clocks_attach(page)
        return self.get_paginated_response(
            self.get_serializer_class()(page, many=True, context=self.get_serializer_context()).data
        )

    def retrieve(self, request, number: str):
        return self.case_response(self.get_object())

    # --- actions on one case ---------------------------------------------------------------------

    @action(detail=True, methods=["post"])
    def transition(self, request, number: str):
        case = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = reject_nul(dict(request.data))
        if "note" in body.validated_data:
            data["note"] = body.validated_data["note"]
        with self.service_errors():
            case = cases.case_transition(
                self.case_spec, case=case, action=body.validated_data["action"], actor=request.user, data=data
            )
        return self.case_response(case)

    @action(detail=True, methods=["get"])
    def events(self, request, number: str):
        page = self.paginate_queryset(cases.case_events(self.case_spec, self.get_object()))
        return self.get_paginated_response(self.event_serializer_class(page, many=True).data)

    @action(detail=True, methods=["post"])
    def notes(self, request, number: str):
        case = self.get_object()
        if not cases.may_note(self.case_spec, case, request.user):
            raise PermissionDenied(_("You may not add notes here."))
        body = NoteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with self.service_errors():  # a public note from outside the service desk is refused (403)
            event = cases.case_staff_note(
                self.case_spec,
                case=case,
                body=body.validated_data["body"],
                actor=request.user,
                public=body.validated_data["public"],
            )
        return Response(self.event_serializer_class(event).data, status=status.HTTP_201_CREATED)

    # --- files -----------------------------------------------------------------------------------------

    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser])
    def attachments(self, request, number: str):
        case = self.get_object()
        context = {**self.get_serializer_context(), "case": case}
        serializer = self.attachment_serializer_class
        if request.method == "GET":
            rows = case.attachments.select_related("uploaded_by").order_by("created_at", "id")
            return Response(serializer(rows, many=True, context=context).data)
        if not cases.may_attach(self.case_spec, case, request.user):
            raise PermissionDenied(_("You may not add files here."))
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        with self.service_errors(), validation_codes_kept():
            attachment = cases.case_attach(
                self.case_spec,
                case,
                upload.validated_data["file"],
                by=request.user,
                public=upload.validated_data["public"],
            )
        return Response(serializer(attachment, context=context).data, status=status.HTTP_201_CREATED)

    @action(
        detail=True,
        methods=["get"],
        url_path=rf"attachments/(?P<attachment_id>{ID_PATTERN})",
        url_name="attachment",
        renderer_classes=DOWNLOAD_RENDERERS,
    )
    def attachment(self, request, number: str, attachment_id: str):
        attachment = self.get_object().attachments.filter(pk=int(attachment_id)).first()
        if attachment is None:
            raise NotFound()
        return attachment_response(attachment)


def case_schema(
    *, noun: str, actions: str, list_serializer, detail_serializer, event_serializer, attachment_serializer, filters
):
    """The OpenAPI shapes of a ``CaseViewSet`` subclass (``@case_schema(...)`` on the class)."""
    return extend_schema_view(
        list=extend_schema(parameters=filters, summary=f"List the {noun}s this user may see"),
        retrieve=extend_schema(responses={200: detail_serializer}, summary=f"One {noun}"),
        transition=extend_schema(
            request=inline_serializer(
                f"{noun.title()}TransitionRequest",
                {"action": serializers.CharField(), "note": serializers.CharField(required=False)},
            ),
            responses={
                200: detail_serializer,
                400: OpenApiResponse(description="unknown action or invalid fields"),
                403: OpenApiResponse(description="this user may not perform the action"),
                409: OpenApiResponse(description=f"not allowed in the current state, or the {noun} changed meanwhile"),
            },
            summary=f"Perform an action ({actions}) with its fields",
        ),
        events=extend_schema(
            parameters=[OpenApiParameter("page", int)],
            responses={200: event_serializer(many=True)},
            summary=f"The {noun}'s timeline, internal notes included",
        ),
        notes=extend_schema(
            request=NoteCreateSerializer,
            responses={201: event_serializer},
            summary="Add a note: internal, or public (shown on the customer's tracking page)",
        ),
        attachments=[
            extend_schema(
                methods=["GET"],
                responses={200: attachment_serializer(many=True)},
                summary=f"The {noun}'s attachments (photos, documents), internal ones included",
            ),
            extend_schema(
                methods=["POST"],
                request={"multipart/form-data": AttachmentUploadSerializer},
                responses={
                    201: attachment_serializer,
                    400: OpenApiResponse(
                        description="not a PDF/JPEG/PNG/WebP by content, over 10 MB, or 10 files already"
                    ),
                    403: OpenApiResponse(description="this user may not add files (or show them to the customer)"),
                    415: OpenApiResponse(description="not sent as multipart/form-data"),
                },
                summary="Attach a photo or document (multipart, field `file`)",
            ),
        ],
        attachment=extend_schema(
            responses={
                (200, "application/octet-stream"): OpenApiResponse(
                    response=OpenApiTypes.BINARY, description="the file, as a download"
                ),
                404: OpenApiResponse(description=f"no such file on a {noun} this user may see"),
            },
            summary="Download one attachment",
        ),
    )
