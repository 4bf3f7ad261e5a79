"""What each staff role may do with KPIs (see aftersales/core/roles.py)."""

from aftersales.core.roles import MANAGER, SUPERVISOR

VIEW_DASHBOARD = "kpi.view_kpi_dashboard"

ROLE_PERMISSIONS = {
    # 服务经理: reads every figure and sets the targets.
    MANAGER: {
        VIEW_DASHBOARD,
        "kpi.view_kpitarget",
        "kpi.add_kpitarget",
        "kpi.change_kpitarget",
        "kpi.delete_kpitarget",
        "kpi.view_kpireport",
    },
    # 主管: reads the figures, changes nothing.
    SUPERVISOR: {VIEW_DASHBOARD, "kpi.view_kpitarget", "kpi.view_kpireport"},
}


def may_view_kpis(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(VIEW_DASHBOARD))
