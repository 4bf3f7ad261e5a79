"""Who may write on a case besides its actions: one predicate per rule, asked by the services.

The services refuse with these (Zulip's ``check_*`` before ``do_*``); the admin and the API ask the
same predicates only to decide which buttons and fields to offer.
"""

from __future__ import annotations

from .spec import CaseSpec


def _active(user) -> bool:
    return bool(user is not None and user.is_active)


def may_see(spec: CaseSpec, case, user) -> bool:
    """The case is among those ``user`` may see (``CasePeople.visible_to``)."""
    return _active(user) and spec.people.visible_to(user).filter(pk=case.pk).exists()


def may_note(spec: CaseSpec, case, user) -> bool:
    """An internal note: any of the kind's note permissions, on a case the user may see."""
    if not _active(user) or not any(user.has_perm(permission) for permission in spec.people.note_permissions):
        return False
    return may_see(spec, case, user)


def may_publish(spec: CaseSpec, user) -> bool:
    """Showing a note or a file to the customer is the service desk's to decide."""
    return _active(user) and user.has_perm(spec.people.publish_permission)


def may_attach(spec: CaseSpec, case, user) -> bool:
    """Staff who may add files, on a case they may see."""
    permission = spec.people.attach_permission
    if not _active(user) or not permission or not user.has_perm(permission):
        return False
    return may_see(spec, case, user)
