"""The portal home and the staff admin in a real browser: Playwright driving Debian's Chromium
against pytest-django's live server (which serves static files through the staticfiles finders).

Install the browser with ``make browser-deps``. Locally: ``.venv/bin/pytest -m browser``.
"""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from aftersales.core.tests.browser import require_chromium

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

from aftersales.core.services import customer_create  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-password"  # what conftest's make_user gives every user
PORTAL_CARDS = ["warranty", "request", "complaint", "track"]


@pytest.fixture
def failed_static():
    """Static files that did not load on any page of the test (filled while the page runs)."""
    return []


@pytest.fixture
def csp_violations():
    """What the browser refused under the Content-Security-Policy on any page of the test."""
    return []


@pytest.fixture
def page(browser, live_server, failed_static, csp_violations) -> Page:
    # A Chinese-language browser: the portal's main audience, and the default language.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on(
        "console",
        lambda message: csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on(
        "response",
        lambda response: (
            failed_static.append(f"{response.status} {response.url}")
            if "/static/" in response.url and response.status >= 400
            else None
        ),
    )
    yield page
    context.close()
    assert failed_static == []
    assert csp_violations == []


def translated(message: str, language: str) -> str:
    """The text the page should show in that language (English until a translation exists)."""
    with translation.override(language):
        return gettext(message)


def log_in(page: Page, username: str) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/$"))


# --- Portal ---------------------------------------------------------------------------------


def test_portal_home_shows_the_four_cards_in_chinese_first(page, live_server):
    page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("section.cards article.card")).to_have_count(4)
    for card in PORTAL_CARDS:
        expect(page.locator(f"#{card} h2")).to_be_visible()
    expect(page.locator("h1")).to_have_text(translated("How can we help?", "zh-hans"))
    expect(page.locator("#warranty h2")).to_have_text(translated("Check warranty", "zh-hans"))
    expect(page.locator("#language-select")).to_have_value("zh-hans")


def test_language_switcher_changes_the_portal_to_english_and_back(page, live_server):
    page.goto("/")

    # Choosing a language submits the form at once (no button needed with JavaScript on).
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("How can we help?")
    expect(page.locator("#warranty h2")).to_have_text("Check warranty")
    expect(page).to_have_url(f"{live_server.url}/")  # back on the page the visitor was reading

    # The choice is remembered across pages, although the browser still asks for Chinese.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.select_option("#language-select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text(translated("How can we help?", "zh-hans"))


def test_portal_stylesheet_loads_and_applies(page, live_server):
    page.goto("/")

    href = page.locator("link[rel=stylesheet]").first.get_attribute("href")
    assert href == "/static/portal/portal.css"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/css")
    # The brand colour comes from portal.css, so it shows the stylesheet was applied too.
    expect(page.locator(".brand")).to_have_css("color", "rgb(11, 107, 203)")


# --- Staff admin ----------------------------------------------------------------------------


@pytest.fixture
def customer():
    return customer_create(name="上海明达贸易有限公司", phone="13800138001", address="上海市浦东新区张江路 100 号")


def test_agent_logs_in_and_sees_customers_with_full_phone_numbers(page, make_user, customer):
    make_user("agent", username="agent-wang")

    log_in(page, "agent-wang")

    # The admin's own stylesheet loaded (failed_static is checked after the test as well).
    expect(page.locator("link[href$='admin/css/base.css']")).to_have_count(1)
    page.click("a[href='/admin/core/customer/']")
    expect(page).to_have_url(re.compile(r"/admin/core/customer/$"))
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("上海明达贸易有限公司")
    expect(row).to_contain_text("13800138001")


def test_agent_finds_a_customer_by_phone(page, make_user, customer):
    make_user("agent", username="agent-wang")
    customer_create(name="孙磊", phone="13698765432")
    log_in(page, "agent-wang")

    page.goto("/admin/core/customer/")
    page.fill("#searchbar", "13800138001")
    page.press("#searchbar", "Enter")

    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("上海明达贸易有限公司")


def test_manager_sees_masked_phone_numbers_only(page, make_user, customer):
    # 004 §4.3: a KPI viewer needs no customer's phone number or address.
    make_user("manager", username="manager-liu")
    log_in(page, "manager-liu")

    page.goto("/admin/core/customer/")
    row = page.locator("#result_list tbody tr")
    expect(row).to_contain_text("上海明达贸易有限公司")
    expect(row).to_contain_text("138****8001")
    assert "13800138001" not in page.content()

    page.goto(f"/admin/core/customer/{customer.pk}/change/")
    expect(page.locator("#content")).to_contain_text("138****8001")
    content = page.content()
    assert "13800138001" not in content
    assert "张江路" not in content

    # Nor can a number be confirmed by searching for it; names can still be searched.
    page.goto("/admin/core/customer/?q=13800138001")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    page.goto("/admin/core/customer/?q=明达")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)


# --- Content-Security-Policy: the portal, the admin and Swagger UI work under it (issue #6) ---------


def test_portal_scripts_run_under_the_policy(page: Page, csp_violations):
    response = page.goto("/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # The language switcher's script is a static file now; it still submits on change.
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/request/")
    expect(page.locator("form")).not_to_have_count(0)
    assert csp_violations == []


def test_swagger_ui_renders_the_api_under_the_policy(page: Page, csp_violations):
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui .opblock-summary-path", has_text="/api/v1/tickets/").first).to_be_visible()
    assert csp_violations == []


def test_admin_pages_work_under_the_policy(page: Page, make_user, csp_violations, calendars):
    make_user(superuser=True, username="root-zhao")
    log_in(page, "root-zhao")
    for path in [
        "/admin/",
        "/admin/tickets/ticket/",
        "/admin/tickets/ticket/add/",
        "/admin/core/customer/add/",
        "/admin/core/businesscalendar/",
        "/admin/core/auditevent/",
        "/admin/warranty/productmodel/add/",
    ]:
        response = page.goto(path)
        assert response.status == 200, path
    page.goto("/admin/core/auditevent/")
    expect(page.locator("#result_list, p.paginator").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/core/auditevent/$"))
    assert csp_violations == []


def test_the_site_refuses_to_be_framed(page: Page, live_server):
    response = page.goto("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
