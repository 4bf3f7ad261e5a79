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
