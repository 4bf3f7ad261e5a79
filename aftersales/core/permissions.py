"""What each staff role may do with the core models (see roles.py)."""

from .roles import AGENT, COORDINATOR, MANAGER, SUPERVISOR, TECHNICIAN

_CUSTOMER_READ = {"core.view_customer", "core.view_region"}
# Agents call customers and technicians visit them, so both see contact details (004 §4.3).
_CONTACT = {"core.view_customer_contact"}
_CALENDAR_READ = {"core.view_businesscalendar", "core.view_workingperiod", "core.view_calendarday"}
_SLA_READ = {"core.view_slaclock", "core.view_clockevent"}

ROLE_PERMISSIONS = {
    AGENT: _CUSTOMER_READ | _CONTACT | {"core.add_customer", "core.change_customer"} | _CALENDAR_READ | _SLA_READ,
    TECHNICIAN: _CUSTOMER_READ | _CONTACT,
    SUPERVISOR: _CUSTOMER_READ
    | _CONTACT
    | {"core.add_customer", "core.change_customer"}
    | _CALENDAR_READ
    | _SLA_READ
    | {"core.view_outboxmessage", "core.view_deliveryattempt", "core.view_unreachedbreach"},
    # Managers review the security audit log (logins, lockouts, permission denials).
    # ... and see to breaches that reached nobody (the alarm on /healthz), as administrators do.
    MANAGER: _CUSTOMER_READ
    | _CALENDAR_READ
    | _SLA_READ
    | {"core.view_auditevent", "core.view_unreachedbreach", "core.change_unreachedbreach"},
    COORDINATOR: _CUSTOMER_READ | _SLA_READ | {"core.view_outboxmessage"},
}
