"""``/warranty/`` (issue 14 item 1): the home card's serial input leads to a decision in plain words in
both languages, an unknown serial to an estimate from model + purchase date, and a button to request
service for that unit, pre-filled."""

import re
import uuid
from datetime import date

import pytest
from django.core.cache import cache
from django.test import override_settings

from aftersales.core.services import customer_create
from conftest import shanghai
from warranty.tests.factories import PolicyFactory, ProductCategoryFactory, ProductModelFactory, UnitFactory

pytestmark = pytest.mark.django_db
SERIAL = "KFR35-2025-000777"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def client(client):
    client.defaults["REMOTE_ADDR"] = "10.9." + ".".join(str(uuid.uuid4().int % 250) for _ in range(2))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def today(time_machine):
    time_machine.move_to(shanghai(2026, 3, 1, 10), tick=False)


@pytest.fixture
def model():
    category = ProductCategoryFactory(code="ac", name="空调")
    model = ProductModelFactory(code="KFR-35GW", name="Split air conditioner", category=category)
    PolicyFactory(product_model=model, effective_from=date(2020, 1, 1), base_months=12)
    return model


@pytest.fixture
def unit(model):
    owner = customer_create(name="赵敏", phone="13800138001", email="zhaomin@example.com")
    return UnitFactory(serial=SERIAL, product_model=model, purchase_date=date(2025, 6, 1), customer=owner)


def test_home_card_has_a_serial_input_that_opens_the_check(client):
    page = client.get("/").content.decode()

    card = page[page.index('id="warranty"') : page.index("</article>", page.index('id="warranty"'))]
    assert 'action="/warranty/"' in card
    assert 'name="serial"' in card


def test_empty_page_asks_for_the_serial(client):
    response = client.get("/warranty/")

    assert response.status_code == 200
    assert 'name="serial"' in response.content.decode()
    assert "warranty-answer" not in response.content.decode()


def test_registered_unit_in_warranty_in_plain_words(client, unit, today):
    response = client.get("/warranty/", {"serial": SERIAL.lower()})

    assert response.status_code == 200
    text = page_text(response)
    assert "Under warranty until June 1, 2026." in text
    assert "Free: Parts, Labour, Travel." in text
    assert "You may return it for a quality problem." not in text  # bought 9 months ago: the window passed
    assert "A return is not possible now." in text
    # Nothing about who owns it.
    assert "赵敏" not in text and "13800138001" not in text and "zhaomin" not in text
    # The button requests service for this unit, pre-filled.
    assert f'href="/request/?serial={SERIAL}&amp;ticket_type=repair"' in response.content.decode()


def test_the_request_form_opens_prefilled_from_the_button(client, unit, today):
    response = client.get("/request/", {"serial": SERIAL, "ticket_type": "repair"})

    assert f'value="{SERIAL}"' in response.content.decode()


def test_out_of_warranty_says_what_is_charged(client, unit, time_machine):
    time_machine.move_to(shanghai(2026, 8, 1, 10), tick=False)

    text = page_text(client.get("/warranty/", {"serial": SERIAL}))

    assert "Out of warranty: the warranty ended on June 1, 2026." in text
    assert "Charged: Parts, Labour, Travel — we send you a quote to accept before any work." in text
    assert "An exchange is not possible now" in text


def test_in_chinese(client, unit, today):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

    text = page_text(client.get("/warranty/", {"serial": SERIAL}))

    assert "保修期内，至 2026年6月1日。" in text
    assert "免费：备件, 人工费, 上门费。" in text
    assert "为此产品申请服务" in text


def test_unknown_serial_asks_model_and_purchase_date_then_estimates(client, model, today):
    first = client.get("/warranty/", {"serial": "NOPE-1"})

    assert first.status_code == 200
    page = first.content.decode()
    assert 'id="warranty-unknown"' in page
    assert 'name="product_model"' in page and 'name="purchase_date"' in page
    assert "warranty-answer" not in page

    second = client.get("/warranty/", {"serial": "NOPE-1", "product_model": model.pk, "purchase_date": "2026-01-10"})

    text = page_text(second)
    assert "Under warranty until Jan. 10, 2027." in text
    assert "This is an estimate" in text
    assert 'href="/request/?serial=NOPE-1&amp;ticket_type=repair"' in second.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"serial": ""}, {"serial": "a/b"}, {"serial": "x" * 65}, {"serial": "NOPE", "purchase_date": "2031-01-01"}],
)
def test_bad_input_is_a_400_page_with_the_message(client, model, today, query):
    response = client.get("/warranty/", query)

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()


@override_settings(WARRANTY_PAGE_RATE_LIMIT="2/minute")
def test_rate_limited_per_address(client, unit, today):
    cache.clear()
    assert client.get("/warranty/", {"serial": SERIAL}).status_code == 200
    assert client.get("/warranty/", {"serial": "X2"}).status_code == 200

    response = client.get("/warranty/", {"serial": "X3"})

    assert response.status_code == 429
    assert response["Retry-After"]
