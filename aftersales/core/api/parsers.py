from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.serializers import Serializer

# JSON's names for what Python's ``json`` returns: the client sent JSON, so the refusal speaks JSON.
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
# DRF's own words for a serializer given something else than a mapping, translated in its catalogue.
_NOT_AN_OBJECT = Serializer.default_error_messages["invalid"]


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, refusing with a 400 what no view of this API can take.

    - A top-level value that is not an object (``[]``, ``null``, ``0``, ``"AAA"``): every view reads
      its body as a mapping (a serializer, ``.get``, ``.items()``), and one that did not check
      answered such bodies with a 500 (issue #18 item 7). A view that really takes another top-level
      value opts in with a subclass naming it in ``top_level_types``; none does today.
    - A body nested deeper than Python's recursion limit: ``json.loads`` raises RecursionError (not
      ValueError) for ``[[[[…`` a few thousand deep, which DRF's parser lets through as a 500.

    It is the project's default JSON parser (``DEFAULT_PARSER_CLASSES``).
    """

    top_level_types: tuple[type, ...] = (dict,)

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from error
        if not isinstance(data, self.top_level_types):
            raise exceptions.ParseError(_NOT_AN_OBJECT.format(datatype=_JSON_TYPES.get(type(data), "null")))
        return data
