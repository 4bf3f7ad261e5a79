"""``manager`` in a real browser: the dashboard draws its chart (no console or CSP error), a filter is
applied, a count opens its records, and the records export as XLSX (Playwright + Debian's Chromium)."""

import io
import re

import pytest

from aftersales.core.tests.browser import require_chromium

require_chromium()

from openpyxl import load_workbook  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "test-password"


def test_manager_opens_the_dashboard_filters_drills_down_and_exports(browser, live_server, make_user, calendars):
    make_user("manager", username="manager-li")
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors, failed_static = [], []
    # A missing /favicon.ico is the browser's own request, not the page's.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "favicon" not in (message.location or {}).get("url", "")
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            failed_static.append(response.url) if "/static/" in response.url and response.status >= 400 else None
        ),
    )

    page.goto("/kpi/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/kpi/$"))
    page.fill("#id_username", "manager-li")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(r"/kpi/$"))
    expect(page.locator("article.card")).to_have_count(15)
    expect(page.locator("#kpi-trend[data-rendered=true] svg")).to_have_count(1)

    page.fill("input[name=from]", "2026-10-01")
    page.fill("input[name=to]", "2026-10-31")
    page.select_option("select[name=group_by]", "tier")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"from=2026-10-01.*group_by=tier"))
    expect(page.locator("#kpi-trend[data-rendered=true] svg")).to_have_count(1)

    page.locator("article.card[data-key=sla_breaches] .count a").click()
    expect(page).to_have_url(re.compile(r"/kpi/metrics/sla_breaches/\?from=2026-10-01&to=2026-10-31"))
    expect(page.locator("table.records")).to_have_count(1)

    with page.expect_download() as download_info:
        page.click("text=导出 XLSX")
    download = download_info.value
    assert download.suggested_filename == "sla_breaches-2026-10-01-2026-10-31.xlsx"
    book = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    assert next(book["data"].iter_rows(values_only=True))[1] == "sla_breaches"

    context.close()
    assert errors == [] and failed_static == []
