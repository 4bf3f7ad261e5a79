"""What each staff role may do with incidents (see aftersales/core/roles.py)."""

from aftersales.core.roles import COORDINATOR, MANAGER, SUPERVISOR

_READ = {
    "emergency.view_incident",
    "emergency.view_incidentevent",
    "emergency.view_incidentattachment",
    "emergency.view_incidentreview",
    "emergency.view_incidentslapolicy",
    "emergency.view_responseplan",
    "emergency.view_planitem",
    "emergency.view_checklistitem",
    "emergency.view_customernotice",
    "emergency.view_noticerecipient",
    "emergency.view_pagingrun",
    "emergency.view_page",
    "emergency.view_oncallrota",
    "emergency.view_oncallshift",
    "emergency.view_pagingpolicy",
    "emergency.view_pagingstep",
}

ROLE_PERMISSIONS = {
    # 应急协调员: reports, assesses, runs and closes incidents.
    COORDINATOR: _READ
    | {
        "emergency.add_incident",
        "emergency.run_incident",
        "emergency.add_incidentattachment",
        "emergency.add_responseplan",
        "emergency.change_responseplan",
        "emergency.add_planitem",
        "emergency.change_planitem",
        "emergency.delete_planitem",
        # Who is on call and how each level pages.
        "emergency.add_oncallrota",
        "emergency.change_oncallrota",
        "emergency.add_oncallshift",
        "emergency.change_oncallshift",
        "emergency.delete_oncallshift",
        "emergency.add_pagercontact",
        "emergency.change_pagercontact",
        "emergency.view_pagercontact",
        "emergency.change_pagingpolicy",
        "emergency.add_pagingstep",
        "emergency.change_pagingstep",
        "emergency.delete_pagingstep",
    },
    # 主管 and 服务经理 follow the response.
    SUPERVISOR: _READ,
    MANAGER: _READ,
}
