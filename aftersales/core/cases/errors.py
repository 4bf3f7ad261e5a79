"""The kit's one refusal besides Django's ValidationError (400) and PermissionDenied (403)."""


class ActionNotAllowed(Exception):
    """The action does not fit the case's state or time, or the case changed meanwhile (API: 409)."""
