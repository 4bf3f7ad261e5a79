from rest_framework.permissions import BasePermission, DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Django model permissions, with reads requiring ``view_<model>`` (DRF's default lets any user read)."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class ActionPermissions(BasePermission):
    """Every permission the viewset names for the action in ``action_permissions``.

    Where it names none, the viewset's ``view_permission`` (e.g. ``tickets.view_ticket``).
    """

    def has_permission(self, request, view):
        user = request.user
        perms = view.action_permissions.get(view.action, (view.view_permission,))
        return bool(user and user.is_authenticated and user.has_perms(perms))
