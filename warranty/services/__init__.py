"""Writes of the warranty app. Admin pages, API views, tasks and other apps call these; nothing else
writes warranty rows (STYLE.md). Each module has one job:

- ``catalogue``: product categories, models and their components;
- ``policies``: policy versions with their components' own periods;
- ``units``: registering units, changing them, their proof of purchase and extended contracts;
- ``decisions``: the entitlement decision and its stored snapshot;
- ``quotes``: quotes priced from a decision, answered through the case that uses them;
- ``replacements``: special replacements and their approval;
- ``imports``: bulk import of sold units (the task and the upload pages run it);
- ``changes``: the change log every write above appends to (REQUIREMENTS §9).
"""

from .catalogue import (
    ComponentSpec,
    product_category_create,
    product_category_update,
    product_model_create,
    product_model_update,
)
from .decisions import Decision, warranty_decide, warranty_decision_record, warranty_estimate
from .policies import ComponentPeriod, policy_create, policy_update
from .quotes import MAX_LABOUR_HOURS, AlreadyAnswered, PartLine, quote_create, quote_respond
from .replacements import APPROVE_PERMISSION, special_replacement_decide, special_replacement_request
from .units import (
    Contract,
    extended_warranty_add,
    extended_warranty_update,
    unit_attach_proof,
    unit_register,
    unit_update,
)

__all__ = [
    "APPROVE_PERMISSION",
    "MAX_LABOUR_HOURS",
    "AlreadyAnswered",
    "ComponentPeriod",
    "ComponentSpec",
    "Contract",
    "Decision",
    "PartLine",
    "extended_warranty_add",
    "extended_warranty_update",
    "policy_create",
    "policy_update",
    "product_category_create",
    "product_category_update",
    "product_model_create",
    "product_model_update",
    "quote_create",
    "quote_respond",
    "special_replacement_decide",
    "special_replacement_request",
    "unit_attach_proof",
    "unit_register",
    "unit_update",
    "warranty_decide",
    "warranty_decision_record",
    "warranty_estimate",
]
