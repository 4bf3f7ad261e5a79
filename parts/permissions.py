"""What each staff role may do with parts and stock (see aftersales/core/roles.py).

Technicians move stock only in warehouses they own (their van); ``parts.move_any_stock`` lifts that.
"""

from aftersales.core.roles import COORDINATOR, MANAGER, SUPERVISOR, TECHNICIAN

_READ = {"parts.view_part", "parts.view_warehouse", "parts.view_stockbalance", "parts.view_stockmovement"}
MOVE = "parts.add_stockmovement"
MOVE_ANY = "parts.move_any_stock"

ROLE_PERMISSIONS = {
    TECHNICIAN: _READ | {MOVE},
    SUPERVISOR: _READ | {MOVE, MOVE_ANY},
    MANAGER: _READ | {MOVE, MOVE_ANY},
    COORDINATOR: _READ,
}
