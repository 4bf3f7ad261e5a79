"""A kind's public intake: the portal page (``/request/``, ``/complaint/``) and the public API endpoint.

Both take a new case from someone without an account through the kind's own ``*_submit`` (which
finds the customer, the unit and the files the case kit's way) and hand back the secret link once.
The page keeps no link anywhere: the session holds only which case was registered, and the thanks
page mints the link it shows (``tracking_link_for``), once — a reload does not show it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from ..api.parsers import SafeJSONParser
from ..api.services import reject_nul, validation_codes_kept
from ..cases.contacts import case_contact
from ..privacy import mask_email, mask_phone
from ..tracking import tracking_link_for
from .fields import MobilePhoneSerializerField, intake_attachments_field
from .ratelimit import client_ident, rate_limit_hit
from .views import PublicView, add_service_errors, private


@dataclass(frozen=True)
class IntakePage:
    """The customer's form of one kind and its thanks page (redirect-after-post).

    ``submit(form)`` registers the case from the valid form and returns ``(case, shown)``: ``shown``
    is what the thanks page tells besides the number and the link (JSON-ready, kept in the session).
    """

    model: type[models.Model]
    form_class: type
    template: str
    thanks_template: str
    form_url: str  # URL names
    thanks_url: str
    session_key: str
    rate_scope: str
    rate: Callable[[], str]
    submit: Callable
    initial_keys: tuple[str, ...] = ()

    def form_view(self, request):
        if request.method != "POST":
            initial = {key: request.GET[key] for key in self.initial_keys if key in request.GET}
            return render(request, self.template, {"form": self.form_class(initial=initial)})
        form = self.form_class(request.POST, request.FILES)
        if not rate_limit_hit(scope=self.rate_scope, ident=client_ident(request), rate=self.rate()):
            # Counted before validation: a script trying variations is limited like one sending spam.
            return render(request, self.template, {"form": form, "rate_limited": True}, status=429)
        if not form.is_valid():
            return render(request, self.template, {"form": form}, status=400)
        try:
            case, shown = self.submit(form)
        except ValidationError as error:
            add_service_errors(form, error)
            return render(request, self.template, {"form": form}, status=400)
        request.session[self.session_key] = {"number": case.number, "id": case.pk, **shown}
        return HttpResponseRedirect(reverse(self.thanks_url))

    def thanks_view(self, request):
        created = request.session.pop(self.session_key, None)
        case = self.model.objects.filter(pk=created["id"]).first() if created else None
        if case is None:
            # Reloaded or opened directly: the link is not shown a second time.
            return HttpResponseRedirect(reverse(self.form_url))
        tracking_path = reverse("portal-track", args=[tracking_link_for(case)])
        contact = case_contact(case)
        context = {
            **created,
            # Where the case's messages really go (the contact typed with it), recognisable, not readable.
            "sent_to": {"phone": mask_phone(contact.phone), "email": mask_email(contact.email)},
            "tracking_path": tracking_path,
            "tracking_url": request.build_absolute_uri(tracking_path),
        }
        return private(render(request, self.thanks_template, context))

    def views(self):
        """The two Django views, for the kind's ``portal/urls.py``."""
        form_view = never_cache(require_http_methods(["GET", "HEAD", "POST"])(self.form_view))
        thanks_view = never_cache(require_http_methods(["GET", "HEAD"])(self.thanks_view))
        return form_view, thanks_view


class PublicIntakeSerializer(serializers.Serializer):
    """Who the customer is (found by phone, else registered) and the files sent with the case."""

    name = serializers.CharField(max_length=200)
    phone = MobilePhoneSerializerField()
    email = serializers.EmailField(required=False, allow_blank=True, default="", max_length=254)
    attachments = intake_attachments_field()


# ``POST`` a new case (JSON, or multipart with photos) → 201 with the secret link, shown once. The
# subclass names its ``intake_serializer_class`` and ``submit(data)`` → the 201 body. (A comment: the
# schema would print a docstring as the operation's description.)
class PublicIntakeView(PublicView):
    parser_classes = [SafeJSONParser, MultiPartParser]
    intake_serializer_class: type[serializers.Serializer]

    def submit(self, data: dict) -> dict:
        raise NotImplementedError

    def post(self, request):
        serializer = self.intake_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reject_nul({key: value for key, value in data.items() if key != "attachments"})
        with validation_codes_kept():
            body = self.submit(data)
        return Response(body, status=status.HTTP_201_CREATED)
