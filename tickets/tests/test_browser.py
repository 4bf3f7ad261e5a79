"""A service request end to end in a real browser: Playwright driving Debian's Chromium against
pytest-django's live server (as aftersales/core/tests/test_browser.py does).

A customer asks for a repair on /request/, follows the private link and writes a message; an agent
logs into the admin, opens the ticket and acknowledges it through its button; the customer's page
then shows the new status. Screenshots go to $BROWSER_SCREENSHOTS when that is set.
"""

import importlib
import os
import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from aftersales.core.tests.browser import require_chromium

require_chromium()

from django.apps import apps  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from aftersales.core.calendars.services import calendar_ensure_defaults  # noqa: E402
from aftersales.core.portal.ratelimit import rate_limit_reset  # noqa: E402
from tickets.choices import Status  # noqa: E402
from tickets.models import SlaPolicy, Ticket  # noqa: E402
from tickets.portal.views import REQUEST_RATE_SCOPE, request_rate  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "test-password"  # what conftest's make_user gives every user
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a photo of the fault, as far as the checks can tell
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(locale=..., width=...)``: a page in its own browser context (its own cookies)."""
    contexts, failed_static = [], []

    def make(*, locale: str = "zh-CN", width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "response",
            lambda response: (
                failed_static.append(f"{response.status} {response.url}")
                if "/static/" in response.url and response.status >= 400
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert failed_static == []


@pytest.fixture(autouse=True)
def sla_matrix(transactional_db):
    """The calendars and the default SLA matrix, as the data migrations made them.

    A transactional test's flush removes migration data for the tests after it, and
    ``serialized_rollback`` cannot bring it back here: once Playwright's event loop runs, Django's
    context-local connection is not the one that holds the serialized copy.
    """
    calendar_ensure_defaults()
    importlib.import_module("tickets.migrations.0002_default_sla_matrix").create_matrix(apps, None)


@pytest.fixture(autouse=True)
def request_limit_cleared():
    # The live server sees every browser as 127.0.0.1; a rerun within the hour must not be limited.
    rate_limit_reset(scope=REQUEST_RATE_SCOPE, ident="127.0.0.1", rate=request_rate())
    yield
    rate_limit_reset(scope=REQUEST_RATE_SCOPE, ident="127.0.0.1", rate=request_rate())


def translated(message: str, language: str = "zh-hans") -> str:
    with translation.override(language):
        return gettext(message)


def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_a_request_from_the_portal_to_the_admin_and_back(new_page, make_user, settings, tmp_path):
    assert SlaPolicy.objects.exists()
    settings.MEDIA_ROOT = tmp_path  # the live server runs in this process: it stores the photo here
    make_user("agent", username="agent-wang")

    # --- the customer asks for a repair ---------------------------------------------------------
    customer = new_page(width=390, height=844)  # a phone
    customer.goto("/")
    customer.click("#request a.card-link")
    expect(customer).to_have_url(re.compile(r"/request/$"))
    customer.check("input[name=ticket_type][value=repair]")
    customer.fill("#id_name", "周芷若")
    customer.fill("#id_phone", "139 0000 1111")
    customer.fill("#id_description", "空调不制冷，显示 E4")
    customer.set_input_files("#id_photos", files=[{"name": "e4.png", "mimeType": "image/png", "buffer": PNG}])
    shot(customer, "portal-request-form")
    customer.click("button[type=submit]")

    expect(customer).to_have_url(re.compile(r"/request/thanks/$"))
    number = customer.locator(".ticket-number").inner_text()
    ticket = Ticket.objects.get(number=number)
    assert ticket.channel == "web" and ticket.status == Status.NEW
    photo = ticket.attachments.get()
    assert (photo.original_name, photo.content_type, photo.by_customer) == ("e4.png", "image/png", True)
    tracking_url = customer.locator("#tracking-url").input_value()
    assert "/track/" in tracking_url
    shot(customer, "portal-request-thanks")

    # --- follows the private link and writes to us ----------------------------------------------
    customer.click("#tracking-link")
    expect(customer).to_have_url(re.compile(r"/track/[A-Za-z0-9_-]+/$"))
    expect(customer.locator("#status-label")).to_have_attribute("data-status", "new")
    expect(customer.locator("#status-label")).to_have_text(translated("New"))
    expect(customer.locator("#attachments .attachment a")).to_have_text("e4.png")
    customer.fill("#id_message-body", "周末全天在家")
    customer.click("#message button[type=submit]")
    expect(customer.locator(".messages")).to_contain_text(translated("Thank you — your message was sent."))
    expect(customer.locator(".timeline")).to_contain_text("周末全天在家")
    assert ticket.events.filter(action="customer_message", by_customer=True).count() == 1
    shot(customer, "portal-track-new")

    # --- an agent acknowledges it in the admin ---------------------------------------------------
    agent = new_page(locale="en-US")
    agent.goto("/admin/")
    agent.fill("#id_username", "agent-wang")
    agent.fill("#id_password", PASSWORD)
    agent.click("input[type=submit]")
    expect(agent).to_have_url(re.compile(r"/admin/$"))
    agent.goto("/admin/tickets/ticket/")
    row = agent.locator("#result_list tbody tr", has_text=number)
    expect(row).to_have_count(1)
    expect(row.locator(".sla-badge")).to_contain_text("First response")
    shot(agent, "admin-ticket-list")
    row.locator(f"a:text('{number}')").click()
    expect(agent.locator("#content")).to_contain_text("周末全天在家")  # the customer's message, in the timeline
    expect(agent.locator("a[download]", has_text="e4.png")).to_have_count(1)  # the photo, via the checked view
    shot(agent, "admin-ticket-change")
    agent.click("a.ticket-action[data-action=acknowledge]")
    expect(agent).to_have_url(re.compile(r"/action/acknowledge/$"))
    agent.fill("#id_customer_message", "We have your request; a technician will call you today.")
    shot(agent, "admin-action-form")
    agent.click("input[type=submit].default")
    expect(agent.locator("ul.messagelist")).to_contain_text("done")
    expect(agent.locator("a.ticket-action[data-action=acknowledge]")).to_have_count(0)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ACKNOWLEDGED

    # --- the customer's page shows the new status ------------------------------------------------
    customer.reload()
    expect(customer.locator("#status-label")).to_have_attribute("data-status", "acknowledged")
    expect(customer.locator("#status-label")).to_have_text(translated("Acknowledged"))
    expect(customer.locator(".timeline")).to_contain_text("We have your request; a technician will call you today.")
    expect(customer.locator(".step-current")).to_have_count(1)
    assert "agent-wang" not in customer.content()  # no staff names on the customer's page
    shot(customer, "portal-track-acknowledged")


def test_the_ticket_page_works_on_a_phone_for_a_technician(new_page, make_user):
    from tickets.tests import factories

    assert SlaPolicy.objects.exists()
    staff = factories.staff(make_user)
    ticket = factories.ticket_in(Status.DISPATCHED, staff=staff, now=None)
    technician = staff["technician"]

    page = new_page(locale="en-US", width=390, height=844)
    page.goto("/admin/")
    page.fill("#id_username", technician.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto("/admin/tickets/ticket/?queue=mine")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.click(f"text={ticket.number}")
    button = page.locator("a.ticket-action[data-action=start_work]")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["height"] >= 32  # a finger-sized target
    shot(page, "admin-ticket-change-phone")
    button.click()
    page.click("input[type=submit].default")
    expect(page.locator("ul.messagelist")).to_contain_text("done")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
