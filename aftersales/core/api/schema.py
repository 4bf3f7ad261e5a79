"""The OpenAPI schema: the AutoSchema every view uses (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) and the
post-processing of the generated schema (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

LOCAL_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


def local_times(result, generator, request, public):
    """Times of day (``TimeField``: working hours, opening times) are local wall-clock times such as
    ``"09:00:00"``, without an offset. OpenAPI's ``format: time`` means RFC 3339's full-time, which
    requires one, so validators (schemathesis, client generators) would reject every real value.
    Describe them as ``partial-time`` with a pattern instead."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "time":
                node["format"] = "partial-time"
                node.setdefault("pattern", LOCAL_TIME_PATTERN)
                node.setdefault("example", "09:00:00")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


# --- The shared error responses -------------------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error of the API (CONTRACT.md §4).",
    "properties": {
        "detail": {"type": "string", "description": "A message for people, in the request's language."},
        "code": {"type": "string", "description": "A stable code for programs, e.g. `not_found`, `conflict`."},
    },
    "required": ["detail", "code"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Invalid input: `detail` and `code` as in every error, plus one entry per invalid field "
        "(its messages; an object or a list of objects for nested fields)."
    ),
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "The message about the whole request, or the messages of a list body.",
        },
        "code": {"type": "string", "description": "The code of the first error, e.g. `required`, `invalid`."},
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}


class ErrorResponsesAutoSchema(AutoSchema):
    """Documents the errors every operation can answer with, in the one shape they all have.

    drf-spectacular documents only the success response unless a view lists its errors by hand, so
    clients (and schemathesis) met undocumented 400/401/403/404/409/429s everywhere. The rules here
    follow how the API decides them, so a new endpoint is documented without a line of its own:

    - 400 where there is input to reject: a request body or a query parameter;
    - 401 and 403 where the operation needs a login (401 without valid credentials, 403 for a
      role or rule that forbids it);
    - 404 everywhere: the object in the path, or one this user may not see (the same answer), or a
      page number past the end of a list;
    - 409 on every write: the state does not allow it, or the object changed meanwhile;
    - 415 where there is a request body sent in a media type the operation does not read;
    - 429 where the view is throttled (public endpoints, login).

    A response a view documents itself keeps its description; one without a body gets the error
    schema.
    """

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status, description in self._error_statuses(operation).items():
            schema = VALIDATION_ERROR_SCHEMA if status == "400" else ERROR_SCHEMA
            name = "ValidationError" if status == "400" else "Error"
            response = responses.setdefault(status, {"description": description})
            if "content" not in response:
                response["content"] = {"application/json": {"schema": self._error_component(name, schema)}}
        return operation

    def _error_statuses(self, operation) -> dict[str, str]:
        has_body = "requestBody" in operation
        has_query = any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))
        security = operation.get("security")
        needs_login = bool(security) and {} not in security
        statuses = {}
        if has_body or has_query:
            statuses["400"] = "Invalid input"
        if needs_login:
            statuses["401"] = "Not logged in, or the token is invalid or expired"
            statuses["403"] = "This user may not do this"
        statuses["404"] = "Not found, or not visible to this user"
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses["409"] = "Not allowed in the current state, or the object changed meanwhile"
        if has_body:
            statuses["415"] = "The body is not in a media type this operation reads"
        if self.view.get_throttles():
            statuses["429"] = "Too many requests"
        return statuses

    def _error_component(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component.ref
