"""What each staff role may do in the warranty app (see aftersales/core/roles.py)."""

from aftersales.core.roles import AGENT, COORDINATOR, MANAGER, SUPERVISOR, TECHNICIAN

_CATALOGUE_READ = {
    "warranty.view_productcategory",
    "warranty.view_productmodel",
    "warranty.view_component",
    "warranty.view_warrantypolicy",
    "warranty.view_componentwarranty",
}
_UNITS_READ = {"warranty.view_registeredunit", "warranty.view_extendedwarranty"}
_DECIDE = {"warranty.view_entitlementdecision", "warranty.add_entitlementdecision"}
# The customer answers a quote on the ticket (its tracking link, or the ticket's action for a phone
# answer), never through the warranty app: there is no "change" of a quote to grant.
_QUOTES = {"warranty.view_quote", "warranty.add_quote", "warranty.view_quoteline"}
# Who sees every ticket sees every quote; a technician only those of the tickets assigned to them.
_ALL_QUOTES = {"warranty.view_all_quotes"}
_REQUEST_REPLACEMENT = {"warranty.view_specialreplacement", "warranty.add_specialreplacement"}
# The change log of the catalogue, policies, units and contracts (REQUIREMENTS §9): for those who
# review the service (supervisors) and audit it (managers).
_CHANGE_LOG = {"warranty.view_warrantychange"}
# Bulk import of sold units (warranty/services/imports.py); importing also needs add_registeredunit.
_IMPORT_UNITS = {"warranty.view_unitimport", "warranty.add_unitimport"}

ROLE_PERMISSIONS = {
    AGENT: _CATALOGUE_READ
    | _UNITS_READ
    | {"warranty.add_registeredunit", "warranty.change_registeredunit"}
    | _IMPORT_UNITS
    | _DECIDE
    | _QUOTES
    | _ALL_QUOTES
    | _REQUEST_REPLACEMENT,
    TECHNICIAN: _CATALOGUE_READ | _UNITS_READ | _DECIDE | _QUOTES | _REQUEST_REPLACEMENT,
    SUPERVISOR: _CATALOGUE_READ
    | _UNITS_READ
    | {"warranty.add_registeredunit", "warranty.change_registeredunit"}
    | _IMPORT_UNITS
    | {"warranty.view_all_unitimports"}
    | {"warranty.add_extendedwarranty", "warranty.change_extendedwarranty"}
    | _DECIDE
    | _QUOTES
    | _ALL_QUOTES
    | _REQUEST_REPLACEMENT
    | {"warranty.change_specialreplacement", "warranty.approve_specialreplacement"}
    | _CHANGE_LOG,
    MANAGER: _CATALOGUE_READ
    | _UNITS_READ
    | {"warranty.view_entitlementdecision", "warranty.view_quote"}
    | _ALL_QUOTES
    | _CHANGE_LOG,
    COORDINATOR: _CATALOGUE_READ | _UNITS_READ,
}
