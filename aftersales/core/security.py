"""Security headers for every response, in every environment.

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
