"""Staff roles as Django groups (REQUIREMENTS §1), least privilege by default.

Each app declares what its roles may do in ``<app>/permissions.py`` as ``ROLE_PERMISSIONS``
(role → ``"app_label.codename"``). The groups are created by core's data migration so every install
has them; after each ``migrate`` the permissions of newly added models are granted as well.
Syncing only adds: permissions an administrator removed from a group by hand stay removed until
the code names them anew, and extra grants made by hand are kept.
"""

from importlib import import_module

from django.apps import apps as global_apps

AGENT = "agent"
TECHNICIAN = "technician"
SUPERVISOR = "supervisor"
MANAGER = "manager"
COORDINATOR = "coordinator"
ROLES = (AGENT, TECHNICIAN, SUPERVISOR, MANAGER, COORDINATOR)


def declared_role_permissions() -> dict[str, set[str]]:
    """Every installed app's ``ROLE_PERMISSIONS``, merged."""
    merged: dict[str, set[str]] = {role: set() for role in ROLES}
    for app_config in global_apps.get_app_configs():
        module_name = f"{app_config.name}.permissions"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        for role, permissions in getattr(module, "ROLE_PERMISSIONS", {}).items():
            merged[role].update(permissions)
    return merged


def roles_sync(*, apps=global_apps) -> None:
    """Create the role groups and grant each the declared permissions that exist so far.

    ``apps`` is the historical registry inside a migration, the global one otherwise.
    """
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    existing = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in permission_model.objects.values_list("pk", "content_type__app_label", "codename")
    }
    for role, permissions in declared_role_permissions().items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = [existing[name] for name in permissions if name in existing]
        group.permissions.add(*wanted)


def sync_after_migrate(sender, **kwargs) -> None:
    # post_migrate fires once per app that has models; only the last one sees every app's
    # permissions created (an app without models, such as the portal shell, gets no signal).
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if sender.name != with_models[-1].name:
        return
    roles_sync()


def permissions_of(user) -> frozenset[str]:
    """Everything ``user`` may do, read once per user object (for screens that ask per row).

    ``has_perm`` walks every authentication backend on each call; a list of 50 cases asking a
    dozen questions each spent more time there than on its query. Enforcement still goes through
    ``has_perm`` in the services; this is for deciding what to *offer*.
    """
    cached = getattr(user, "_aftersales_permissions", None)
    if cached is None:
        cached = frozenset(user.get_all_permissions()) if user is not None and user.is_active else frozenset()
        if user is not None:
            user._aftersales_permissions = cached
    return cached
