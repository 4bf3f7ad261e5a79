from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, plus a 400 for bodies nested deeper than Python's recursion limit.

    ``json.loads`` raises RecursionError (not ValueError) for ``[[[[…`` a few thousand deep, which
    DRF's parser lets through as a 500. It is the project's default JSON parser.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from error
