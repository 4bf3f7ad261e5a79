"""Security headers for every response, in every environment, and no cache for personal data.

Django's ``SecurityMiddleware`` already sends ``X-Content-Type-Options: nosniff``, ``Referrer-Policy``,
``Cross-Origin-Opener-Policy`` and, over HTTPS in production, HSTS; ``XFrameOptionsMiddleware`` sends
``X-Frame-Options: DENY``. Django 5.2 has no Content-Security-Policy support (it arrives in 6.0), so
this middleware adds the one header from the ``CONTENT_SECURITY_POLICY`` setting. Every page serves
its scripts and styles as files (no inline ``<script>``, ``<style>`` or ``on…=`` attributes), so the
policy needs neither ``'unsafe-inline'`` nor nonces.
"""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class PrivateResponseMiddleware:
    """Responses that carry personal data are never kept by a browser or a shared cache.

    Every response of the staff admin, and every API response to a request that carries credentials
    (a token, or a signed-in session) — errors too, since a 400 echoes what was sent — gets
    ``Cache-Control: no-store`` (and ``Pragma: no-cache`` for HTTP/1.0 proxies). The public tracking
    pages send their own ``never_cache`` headers, which already say ``no-store``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _is_private(request):
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


def _is_private(request) -> bool:
    path = request.path
    if path.startswith("/admin/"):
        return True
    if not path.startswith("/api/"):
        return False
    # DRF puts the user it authenticated (token or session) on the Django request too.
    user = getattr(request, "user", None)
    return "HTTP_AUTHORIZATION" in request.META or bool(user and user.is_authenticated)
