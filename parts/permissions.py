"""What each staff role may do with parts and stock (see aftersales/core/roles.py).

Technicians move stock only in warehouses they own (their van); ``parts.move_any_stock`` lifts that.
Technicians see stock in their own van and in the central and regional stores (to know where a part
is before leaving), not in other technicians' vans; ``parts.view_any_stock`` sees every warehouse and
every movement. The manager is the stock manager: they keep the catalogue and hear of low stock.
"""

from aftersales.core.roles import COORDINATOR, MANAGER, SUPERVISOR, TECHNICIAN

_READ = {
    "parts.view_part",
    "parts.view_warehouse",
    "parts.view_stockbalance",
    "parts.view_stockmovement",
    "parts.view_transfer",
    "parts.view_reservation",
}
MOVE = "parts.add_stockmovement"
MOVE_ANY = "parts.move_any_stock"
VIEW_ANY = "parts.view_any_stock"
ADD_PART = "parts.add_part"
CHANGE_PART = "parts.change_part"
SET_REORDER_POINT = "parts.change_stockbalance"
ADD_WAREHOUSE = "parts.add_warehouse"
CHANGE_WAREHOUSE = "parts.change_warehouse"

# The role that keeps the catalogue and receives low-stock alerts.
STOCK_MANAGER = MANAGER

ROLE_PERMISSIONS = {
    TECHNICIAN: _READ | {MOVE},
    SUPERVISOR: _READ | {MOVE, MOVE_ANY, VIEW_ANY, SET_REORDER_POINT},
    MANAGER: _READ
    | {MOVE, MOVE_ANY, VIEW_ANY, SET_REORDER_POINT, ADD_PART, CHANGE_PART, ADD_WAREHOUSE, CHANGE_WAREHOUSE},
    COORDINATOR: _READ | {VIEW_ANY},
}
