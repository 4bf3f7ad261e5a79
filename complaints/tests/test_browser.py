"""A complaint end to end in a real browser (Playwright driving Debian's Chromium, live server).

The customer makes a complaint on /complaint/ from the home page, opens the private link, staff
acknowledge, investigate and propose a resolution (through the services, as the admin would), and
the customer objects to the proposal on the tracking page: the complaint is investigated again.
Screenshots go to $BROWSER_SCREENSHOTS when that is set.
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
from complaints.choices import Status  # noqa: E402
from complaints.models import Complaint, ComplaintSlaPolicy  # noqa: E402
from complaints.portal.views import COMPLAINT_RATE_SCOPE, complaint_rate  # noqa: E402
from complaints.services import complaint_transition  # noqa: E402

from .factories import PROPOSAL  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")


@pytest.fixture
def new_page(browser, live_server):
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
def complaint_policies(transactional_db):
    """The calendars and the promises per severity, as the data migrations made them (a flush removes them)."""
    calendar_ensure_defaults()
    importlib.import_module("complaints.migrations.0002_default_sla_policies").create_policies(apps, None)


@pytest.fixture(autouse=True)
def complaint_limit_cleared():
    # The live server sees every browser as 127.0.0.1; a rerun within the hour must not be limited.
    rate_limit_reset(scope=COMPLAINT_RATE_SCOPE, ident="127.0.0.1", rate=complaint_rate())
    yield
    rate_limit_reset(scope=COMPLAINT_RATE_SCOPE, ident="127.0.0.1", rate=complaint_rate())


def translated(message: str, language: str = "zh-hans") -> str:
    with translation.override(language):
        return gettext(message)


def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_a_complaint_from_the_portal_and_an_objection_to_the_proposal(new_page, make_user):
    assert ComplaintSlaPolicy.objects.count() == 3
    agent = make_user("agent", username="agent-li")
    supervisor = make_user("supervisor", username="supervisor-zhang")

    # --- the customer complains ---------------------------------------------------------------------
    customer = new_page(width=390, height=844)  # a phone
    customer.goto("/")
    customer.click("#complaint a.card-link")
    expect(customer).to_have_url(re.compile(r"/complaint/$"))
    expect(customer.locator("#id_category optgroup")).to_have_count(3)
    customer.select_option("#id_category", "service.attitude")
    customer.fill("#id_name", "张无忌")
    customer.fill("#id_phone", "139 0000 2222")
    customer.fill("#id_description", "技师态度很差，没修好就走了。")
    shot(customer, "portal-complaint-form")
    customer.click("form.form button[type=submit]")

    expect(customer).to_have_url(re.compile(r"/complaint/thanks/$"))
    number = customer.locator(".complaint-number").inner_text()
    complaint = Complaint.objects.get(number=number)
    assert complaint.status == Status.RECEIVED and complaint.channel == "online"
    assert "/track/" in customer.locator("#tracking-url").input_value()
    shot(customer, "portal-complaint-thanks")

    customer.click("#tracking-link")
    expect(customer).to_have_url(re.compile(r"/track/[A-Za-z0-9_-]+/$"))
    expect(customer.locator("#status-label")).to_have_attribute("data-status", "received")
    expect(customer.locator(".step-current")).to_have_text(translated("Received"))

    # --- staff answer, investigate and propose (what the admin's forms call) -------------------------
    complaint = complaint_transition(
        complaint=complaint, action="acknowledge", actor=agent, data={"owner": supervisor.username}
    )
    complaint = complaint_transition(complaint=complaint, action="investigate", actor=supervisor)
    complaint = complaint_transition(
        complaint=complaint, action="propose_resolution", actor=supervisor, data=dict(PROPOSAL)
    )
    assert complaint.status == Status.PROPOSED

    customer.reload()
    expect(customer.locator("#status-label")).to_have_attribute("data-status", "proposed")
    expect(customer.locator("#complaint-owner")).to_have_text("supervisor-zhang")
    expect(customer.locator("#complaint-promised-by")).to_be_visible()
    expect(customer.locator("#resolution-details")).to_contain_text(PROPOSAL["resolution"])
    expect(customer.locator("#resolution-compensation")).to_contain_text("100.00")
    shot(customer, "portal-complaint-proposed")

    # --- the customer objects ------------------------------------------------------------------------
    customer.click("#object button[type=submit]")  # without a reason: refused on the page
    expect(customer.locator("#object .has-error")).to_have_count(1)
    customer.fill("#id_object-reason", "代金券不够，我要求重新上门维修。")
    customer.click("#object button[type=submit]")
    expect(customer.locator(".messages")).to_contain_text(
        translated("We have your objection; we will look into it again.")
    )
    expect(customer.locator("#status-label")).to_have_attribute("data-status", "investigating")
    expect(customer.locator("#object")).to_have_count(0)
    expect(customer.locator(".timeline")).to_contain_text("代金券不够")
    shot(customer, "portal-complaint-objected")

    complaint.refresh_from_db()
    assert complaint.status == Status.INVESTIGATING and complaint.objection_count == 1
    assert complaint.events.filter(action="object", by_customer=True).count() == 1
