"""Renderers for endpoints that answer with a file rather than JSON."""

import json

from rest_framework.renderers import BaseRenderer, JSONRenderer


class AnyMediaRenderer(BaseRenderer):
    """Lets a download endpoint accept any ``Accept`` header (the file is a FileResponse that no
    renderer touches). Errors on such a request still come out as the API's JSON error body."""

    media_type = "*/*"
    format = "download"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return json.dumps(data, ensure_ascii=False, default=str).encode()


# JSON first: a plain ``Accept: */*`` (or an error shown to a browser) stays JSON.
DOWNLOAD_RENDERERS = [JSONRenderer, AnyMediaRenderer]
