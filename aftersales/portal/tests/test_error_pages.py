"""Friendly errors (issue 14 item 7): the portal's 400/403/404/500 pages in both languages, the API's
JSON shape, and no debug page under ``make run`` unless a developer opts in."""

import re
import subprocess
import sys

import pytest
from django.test import Client, override_settings
from django.urls import path

from aftersales.urls import urlpatterns as site_urls

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def crash(request):
    raise RuntimeError("boom")


def forbidden(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


def bad(request):
    from django.core.exceptions import SuspiciousOperation

    raise SuspiciousOperation("bad")


urlpatterns = [path("crash/", crash), path("forbidden/", forbidden), path("bad/", bad), *site_urls]
handler400 = "aftersales.core.api.http_errors.bad_request"
handler403 = "aftersales.core.api.http_errors.permission_denied"
handler404 = "aftersales.core.api.http_errors.not_found"
handler500 = "aftersales.core.api.http_errors.server_error"


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "We could not find this page"), ("zh-hans", "没有找到这个页面")],
)
def test_an_unknown_address_is_the_portals_404_in_both_languages(client, language, words):
    response = client.get("/kpi/nothing-here/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    text = page_text(response)
    assert words in text
    assert 'href="/track/lost/"' in response.content.decode()
    assert "URLconf" not in text and "Using the URLconf" not in text


def test_the_api_keeps_its_json_404(client):
    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json()["code"]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("url", "status", "en", "zh"),
    [
        ("/crash/", 500, "Something went wrong on our side", "我们这边出了问题"),
        ("/forbidden/", 403, "You may not open this page", "您不能打开这个页面"),
        ("/bad/", 400, "Something in this request was not right", "请求中有内容不正确"),
    ],
)
def test_the_other_error_pages_in_both_languages(url, status, en, zh):
    client = Client(raise_request_exception=False)

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == chinese.status_code == status
    assert en in page_text(english)
    assert zh in page_text(chinese)


def test_make_run_settings_have_debug_off_unless_asked():
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='aftersales.settings.dev'; django.setup(); from django.conf import settings; print(settings.DEBUG)"  # noqa: E501
    env_off = {k: v for k, v in __import__("os").environ.items() if k != "DEBUG"}
    off = subprocess.run([sys.executable, "-c", code], env=env_off, capture_output=True, text=True, check=True)
    on = subprocess.run(
        [sys.executable, "-c", code], env={**env_off, "DEBUG": "1"}, capture_output=True, text=True, check=True
    )

    assert off.stdout.strip().splitlines()[-1] == "False"
    assert on.stdout.strip().splitlines()[-1] == "True"
