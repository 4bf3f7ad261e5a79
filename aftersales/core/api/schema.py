"""Post-processing of the generated OpenAPI schema (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""

from __future__ import annotations

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
