"""The core REST API from the outside (CONTRACT.md §4): token auth, the one error shape, customers
per role (with contact details masked for roles that may not see them), calendars, the schema.

Every error answer is checked for the ``{"detail", "code"}`` body, because clients rely on that
shape rather than on DRF's defaults.
"""

import json

import pytest
from rest_framework.test import APIClient

from aftersales.core.models import Customer
from aftersales.core.privacy import mask_address, mask_phone
from aftersales.core.services import customer_create

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
CUSTOMERS_URL = "/api/v1/customers/"


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    return body


@pytest.fixture
def customer():
    return customer_create(
        name="赵敏", phone="13800138001", email="zhaomin@example.com", address="北京市朝阳区建国路 88 号"
    )


# --- Token authentication -------------------------------------------------------------------


def test_token_obtained_with_good_credentials_authenticates_later_requests(make_user, customer):
    user = make_user("agent")

    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": "test-password"}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"token", "expires_at"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    listing = client.get(CUSTOMERS_URL)
    assert listing.status_code == 200
    assert [row["name"] for row in listing.json()["results"]] == ["赵敏"]


def test_every_login_gets_a_new_token(make_user):
    # Rotation on login (core/tokens.py); the earlier token stays valid (test_tokens.py).
    user = make_user("agent")
    credentials = {"username": user.username, "password": "test-password"}

    first = APIClient().post(TOKEN_URL, credentials, format="json").json()["token"]
    second = APIClient().post(TOKEN_URL, credentials, format="json").json()["token"]

    assert first != second


def test_token_refused_for_a_wrong_password(make_user):
    user = make_user("agent")

    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": "wrong"}, format="json")

    body = assert_error_shape(response, 400)
    assert "token" not in body


def test_token_refused_for_an_inactive_user(make_user):
    user = make_user("agent")
    user.is_active = False
    user.save()

    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": "test-password"}, format="json")

    assert_error_shape(response, 400)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("{not json", "application/json", id="broken-json"),
        pytest.param("", "application/json", id="empty-body"),
        pytest.param("null", "application/json", id="json-null"),
        pytest.param("[1, 2]", "application/json", id="json-list"),
        pytest.param('"agent"', "application/json", id="json-string"),
        pytest.param('{"username": ["agent"], "password": {"a": 1}}', "application/json", id="wrong-types"),
        pytest.param('{"username": 12, "password": 34}', "application/json", id="numbers"),
        pytest.param('{"username": "agent"}', "application/json", id="missing-password"),
        pytest.param('{"password": "x"}', "application/json", id="missing-username"),
        pytest.param("{}", "application/json", id="empty-object"),
        pytest.param('{"username": "a\\u0000b", "password": "x"}', "application/json", id="nul-character"),
        pytest.param(json.dumps({"username": "u" * 100_000, "password": "p"}), "application/json", id="huge-field"),
        pytest.param("username=agent&password=", "application/x-www-form-urlencoded", id="blank-form-field"),
        pytest.param("<xml/>", "application/xml", id="unsupported-media-type"),
        pytest.param(b"\xff\xfe\x00garbage", "application/json", id="not-utf8"),
    ],
)
def test_malformed_token_requests_get_a_4xx_json_error_never_a_5xx(make_user, body, content_type):
    make_user("agent", username="agent")

    response = APIClient().generic("POST", TOKEN_URL, body, content_type=content_type)

    assert 400 <= response.status_code < 500, response.content
    assert_error_shape(response, response.status_code)


def test_token_endpoint_does_not_accept_get():
    response = APIClient().get(TOKEN_URL)

    assert_error_shape(response, 405)


# --- Error format ---------------------------------------------------------------------------


def test_anonymous_request_is_refused_with_the_error_shape():
    response = APIClient().get(CUSTOMERS_URL)

    body = assert_error_shape(response, 401)
    assert body["code"] == "not_authenticated"
    # 401 tells the client how to authenticate (TokenAuthentication comes first).
    assert response["WWW-Authenticate"] == "Token"


def test_unknown_token_is_refused_with_the_error_shape():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    body = assert_error_shape(client.get(CUSTOMERS_URL), 401)
    assert body["code"] == "authentication_failed"


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token \u00e9\u00e9"])
def test_malformed_authorization_header_is_a_401_not_a_5xx(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert_error_shape(client.get(CUSTOMERS_URL), 401)


@pytest.mark.parametrize("customer_id", ["999999", "not-a-number", "99999999999999999999999"])
def test_unknown_customer_is_a_404_with_the_error_shape(api_as, customer_id):
    response = api_as("agent").get(f"{CUSTOMERS_URL}{customer_id}/")

    body = assert_error_shape(response, 404)
    assert body["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/no-such-resource/", "/api/v1/customers/1/no-such-action/", "/api/v2/"])
def test_unknown_api_path_is_a_json_404_not_an_html_page(api_as, path):
    body = assert_error_shape(api_as("agent").get(path), 404)
    assert body["code"] == "not_found"


def test_invalid_phone_is_a_400_with_the_field_named(api_as):
    response = api_as("agent").post(CUSTOMERS_URL, {"name": "孙磊", "phone": "call me"}, format="json")

    body = assert_error_shape(response, 400)
    assert list(body) == ["detail", "code", "phone"]
    assert body["code"] == "invalid"
    assert Customer.objects.count() == 0


def test_missing_name_is_a_400_with_the_field_named(api_as):
    response = api_as("agent").post(CUSTOMERS_URL, {"phone": "13698765432"}, format="json")

    body = assert_error_shape(response, 400)
    assert body["code"] == "required"
    assert "name" in body and "phone" not in body


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"name": ["a"], "phone": {"x": 1}}, id="wrong-types"),
        pytest.param({"name": "x" * 1000, "phone": "1" * 1000}, id="too-long"),
        pytest.param({"name": "n", "phone": "13698765432", "region": "nowhere"}, id="unknown-region"),
        pytest.param({"name": "n", "phone": "13698765432", "tier": "platinum"}, id="bad-choice"),
        pytest.param({"name": "n", "phone": "13698765432", "email": "not-an-email"}, id="bad-email"),
        pytest.param({"name": "n\u0000", "phone": "13698765432"}, id="nul-character"),
        pytest.param([{"name": "n", "phone": "13698765432"}], id="list-body"),
    ],
)
def test_malformed_customer_payloads_are_400_not_500(api_as, payload):
    response = api_as("agent").post(CUSTOMERS_URL, payload, format="json")

    assert_error_shape(response, 400)
    assert Customer.objects.count() == 0


# --- Customers per role ---------------------------------------------------------------------


def test_agent_lists_customers_with_full_contact_details(api_as, customer):
    response = api_as("agent").get(CUSTOMERS_URL)

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["phone"] == "13800138001"
    assert row["address"] == "北京市朝阳区建国路 88 号"


def test_agent_creates_a_customer_with_the_phone_normalised(api_as):
    response = api_as("agent").post(
        CUSTOMERS_URL, {"name": "孙磊", "phone": "138 0013-8000", "address": "广州市天河区"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "13800138000"
    assert Customer.objects.get(pk=response.json()["id"]).phone == "13800138000"


def test_agent_updates_a_customer(api_as, customer):
    response = api_as("agent").patch(
        f"{CUSTOMERS_URL}{customer.pk}/", {"phone": "(010) 8888-6666", "tier": "key_account"}, format="json"
    )

    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert (customer.phone, customer.tier) == ("01088886666", "key_account")
    assert customer.name == "赵敏"  # a partial update leaves the other fields alone


def test_manager_lists_customers_with_masked_contact_details(api_as, customer):
    client = api_as("manager")

    (row,) = client.get(CUSTOMERS_URL).json()["results"]
    detail = client.get(f"{CUSTOMERS_URL}{customer.pk}/").json()

    assert row["phone"] == "138****8001" == mask_phone(customer.phone)
    assert row["address"] == mask_address(customer.address)
    assert "建国路" not in row["address"]
    assert detail["phone"] == "138****8001"
    assert row["name"] == "赵敏"  # the name is not contact data: managers read reports by customer


def test_manager_may_not_create_or_update_customers(api_as, customer):
    client = api_as("manager")

    assert_error_shape(client.post(CUSTOMERS_URL, {"name": "x", "phone": "13698765432"}, format="json"), 403)
    assert_error_shape(client.patch(f"{CUSTOMERS_URL}{customer.pk}/", {"name": "x"}, format="json"), 403)
    customer.refresh_from_db()
    assert customer.name == "赵敏"


def test_technician_sees_contact_details_but_may_not_create(make_user, api_client, customer):
    from django.utils import timezone

    from tickets.tests import factories

    # A technician sees the customers of the tickets assigned to them (test_object_permissions.py).
    staff = factories.staff(make_user)
    factories.ticket_in("dispatched", staff=staff, now=timezone.now(), owner=customer)
    client = api_client
    client.force_authenticate(staff["technician"])

    (row,) = client.get(CUSTOMERS_URL).json()["results"]
    response = client.post(CUSTOMERS_URL, {"name": "孙磊", "phone": "13698765432"}, format="json")

    assert row["phone"] == "13800138001"
    body = assert_error_shape(response, 403)
    assert body["code"] == "permission_denied"
    assert Customer.objects.count() == 1


def test_staff_user_without_a_role_may_not_read_customers(make_user, api_client, customer):
    # A staff account nobody has given a role yet: least privilege means nothing, not read-only.
    api_client.force_authenticate(make_user(None, username="newcomer"))

    assert_error_shape(api_client.get(CUSTOMERS_URL), 403)
    assert_error_shape(api_client.get(f"{CUSTOMERS_URL}{customer.pk}/"), 403)


def test_customers_api_has_no_delete(api_as, customer):
    # A superuser passes every permission check, so this is the method itself being absent.
    response = api_as(superuser=True).delete(f"{CUSTOMERS_URL}{customer.pk}/")

    assert_error_shape(response, 405)
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("赵", ["赵敏"]),
        ("sun", ["Sun Lei"]),  # names match case-insensitively
        ("13800138001", ["赵敏"]),
        ("138 0013 8001", ["赵敏"]),  # typed with spaces, as customers read numbers out
        ("8765", ["Sun Lei"]),  # part of a number
        ("zhaomin@example.com", ["赵敏"]),
        ("nobody", []),
    ],
)
def test_agent_searches_customers_by_name_phone_or_email(api_as, customer, search, expected):
    customer_create(name="Sun Lei", phone="13698765432")

    response = api_as("agent").get(CUSTOMERS_URL, {"search": search})

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == expected


def test_customer_list_query_count_does_not_grow_with_rows(api_as, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aftersales.core.services import region_get_or_create

    client = api_as("manager")
    region = region_get_or_create(code="east", name="华东区")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(CUSTOMERS_URL)
        assert response.status_code == 200
        return len(captured)

    for number in range(3):
        customer_create(name=f"Customer {number}", phone=f"1380000{number:04d}", region=region)
    count_queries()  # the first request also loads the user's permissions, cached on the user after
    with_three = count_queries()
    for number in range(3, 30):
        customer_create(name=f"Customer {number}", phone=f"1380000{number:04d}", region=region)
    with_thirty = count_queries()

    assert with_thirty == with_three
    # A bounded COUNT, the page's ids on the bare index, one SELECT joined with the region.
    with django_assert_max_num_queries(3):
        client.get(CUSTOMERS_URL)


# --- Calendars ------------------------------------------------------------------------------


def test_supervisor_lists_the_calendars(api_as, calendars):
    response = api_as("supervisor").get("/api/v1/calendars/")

    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    assert set(rows) == {"business", "24x7"}
    assert rows["24x7"]["always_open"] is True


def test_supervisor_reads_the_business_calendar_with_its_working_periods(api_as, calendars):
    response = api_as("supervisor").get("/api/v1/calendars/business/")

    assert response.status_code == 200
    body = response.json()
    assert body["timezone"] == "Asia/Shanghai"
    assert body["always_open"] is False
    # Monday to Friday, 09:00–18:00 (004 §4.2), in weekday order.
    assert body["working_periods"] == [{"weekday": day, "start": "09:00:00", "end": "18:00:00"} for day in range(5)]


def test_unknown_calendar_is_a_404(api_as, calendars):
    assert_error_shape(api_as("supervisor").get("/api/v1/calendars/nope/"), 404)


def test_calendars_are_read_only(api_as, calendars):
    # Calendars are edited in the admin, where inline changes also invalidate cached specs.
    client = api_as(superuser=True)

    assert_error_shape(client.post("/api/v1/calendars/", {"code": "x", "name": "x"}, format="json"), 405)
    assert_error_shape(client.delete("/api/v1/calendars/business/"), 405)


def test_technician_may_not_read_calendars(api_as, calendars):
    assert_error_shape(api_as("technician").get("/api/v1/calendars/"), 403)


# --- Schema and docs ------------------------------------------------------------------------


def test_openapi_schema_is_public_and_describes_the_api(client):
    # Public on purpose (drf-spectacular's default SERVE_PERMISSIONS is AllowAny): integrators
    # read the schema before they have an account.
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "After-sales service API"
    assert {"/api/v1/auth/token/", "/api/v1/customers/", "/api/v1/customers/{id}/", "/api/v1/calendars/"} <= set(
        schema["paths"]
    )
    assert "Token" in json.dumps(schema["components"]["securitySchemes"])


def test_openapi_schema_defaults_to_yaml(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


def test_api_docs_render_swagger_ui_from_vendored_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "swagger-ui" in page
    # The start-up script is a file of its own (no inline script: Content-Security-Policy).
    script = client.get("/api/docs/?script")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
    # The sidecar serves Swagger UI locally: no CDN (STYLE.md: vendored JS/CSS).
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page


def test_a_validation_error_about_the_whole_request_keeps_its_message():
    from django.core.exceptions import PermissionDenied, ValidationError

    from aftersales.core.api.errors import exception_handler

    response = exception_handler(ValidationError({"detail": "Diagnose a registered unit before quoting."}), {})
    assert response.status_code == 400
    assert response.data["detail"] == "Diagnose a registered unit before quoting."

    response = exception_handler(PermissionDenied("Only the assigned technician may do this."), {})
    assert (response.status_code, response.data["code"]) == (403, "permission_denied")
    assert response.data["detail"] == "Only the assigned technician may do this."


def test_deeply_nested_json_is_a_400_not_a_500(api_client):
    response = api_client.generic("POST", "/api/v1/auth/token/", "[" * 50000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_adding_a_customer_in_the_admin_redirects_to_the_saved_customer(make_user, client):
    from aftersales.core.models import Customer

    client.force_login(make_user(superuser=True, username="root"))
    response = client.post(
        "/admin/core/customer/add/",
        {"name": "钱七", "phone": "139 0000-1111", "tier": "standard", "language": "zh-hans", "_continue": "1"},
    )
    customer = Customer.objects.get(name="钱七")
    assert customer.phone == "13900001111"
    assert response.status_code == 302 and response["Location"] == f"/admin/core/customer/{customer.pk}/change/"
