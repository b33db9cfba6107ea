"""Request body parsers for the partner API.

DRF's JSONParser hands the body to ``json.load``, whose C scanner recurses once per nesting level: about a
thousand levels of ``[`` raise RecursionError (a 500), even on the unauthenticated login. No request this API
accepts nests deeper than a few levels, so anything deeper than ``MAX_JSON_DEPTH`` is refused as unreadable
before any field sees it.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# The deepest body the API documents is two levels ({"field": value}); the margin is for clients' envelopes.
MAX_JSON_DEPTH = 32

TOO_DEEP = f"JSON parse error - the body nests more than {MAX_JSON_DEPTH} levels deep."


def json_depth_exceeds(data, limit: int) -> bool:
    """Whether ``data`` (parsed JSON) has containers nested more than ``limit`` levels; iterative, so a
    pathological body cannot exhaust the stack here either."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class BoundedJSONParser(JSONParser):
    """JSONParser that answers 400 (a ParseError, no field named) to bodies nested too deeply."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data, self.max_depth):
            raise ParseError(TOO_DEEP)
        return data
