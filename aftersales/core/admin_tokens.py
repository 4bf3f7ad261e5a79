"""API tokens in the admin: who holds which, since when, last used where — never the secret.

Superusers see them (no role is granted ``core.view_apitoken``), on their own page and on each
user's page, and may revoke them; each revocation is in the audit log.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from . import clock
from .audit import Action, audit_record
from .models import ApiToken
from .tokens import api_token_revoke

_SHOWN = (
    "prefix",
    "state",
    "created_at",
    "expires_at",
    "last_used_at",
    "last_used_ip",
    "created_ip",
    "user_agent",
    "revoked_at",
    "revoked_reason",
)


def token_state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return str(_("revoked"))
    return str(_("active")) if token.is_active(clock.now()) else str(_("expired"))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "prefix", "state", "created_at", "expires_at", "last_used_at", "last_used_ip"]
    list_filter = ["revoked_reason", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "prefix"]
    fields = ("user", *_SHOWN)
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description=_("state"))
    def state(self, token):
        return token_state(token)

    def has_add_permission(self, request):
        return False  # a token is issued by logging in, and shown only to the client that did

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["delete"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.select_related("user"):
            if api_token_revoke(token=token, reason=ApiToken.Ended.ADMIN):
                revoked += 1
                audit_record(
                    action=Action.TOKEN_REVOKED,
                    request=request,
                    user=request.user,
                    object_type="core.ApiToken",
                    object_id=token.pk,
                    details={"holder": token.user.get_username(), "token": token.prefix},
                )
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": revoked}, messages.SUCCESS)


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    fields = _SHOWN
    readonly_fields = _SHOWN
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-created_at"]

    @admin.display(description=_("state"))
    def state(self, token):
        return token_state(token)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The user's page lists their tokens (read-only) under the account's own fields.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserWithTokensAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, ApiTokenInline]
