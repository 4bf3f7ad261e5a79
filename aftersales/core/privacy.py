"""Customer contact details are personal data, visible only to roles that need them (004 §4.3)."""

CONTACT_PERMISSION = "core.view_customer_contact"


def can_see_contact(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(CONTACT_PERMISSION))


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits (the customer can still recognise their number)."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_address(address: str) -> str:
    return "" if not address else address[:6] + "…"


def mask_email(email: str) -> str:
    """``z***@example.com``: enough for the customer to recognise, not enough to write to."""
    if not email or "@" not in email:
        return ""
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


def customer_summary(customer, user) -> dict:
    """A customer as staff screens and the API show it, masked for roles without contact access."""
    data = {
        "id": customer.pk,
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "address": customer.address,
        "tier": customer.tier,
        "region": customer.region.code if customer.region_id else None,
    }
    if not can_see_contact(user):
        data.update(
            phone=mask_phone(customer.phone), email=mask_email(customer.email), address=mask_address(customer.address)
        )
    return data


# The OpenAPI shape of ``customer_summary`` (for ``extend_schema_field``).
CUSTOMER_SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "phone": {"type": "string", "description": "masked unless the user may see contact details"},
        "email": {"type": "string"},
        "address": {"type": "string"},
        "tier": {"type": "string"},
        "region": {"type": "string", "nullable": True},
    },
}
