"""What each staff role may do with complaints (see aftersales/core/roles.py)."""

from aftersales.core.roles import AGENT, MANAGER, SUPERVISOR

_READ = {
    "complaints.view_complaint",
    "complaints.view_complaintevent",
    "complaints.view_correctiveaction",
    "complaints.view_breachreport",
    "complaints.view_complaintslapolicy",
    "complaints.view_complaintattachment",
}

ROLE_PERMISSIONS = {
    # 客服: takes complaints in, answers first, keeps the customer informed, return visit, closes.
    AGENT: _READ
    | {
        "complaints.add_complaint",
        "complaints.add_complaintattachment",
        "complaints.respond_complaint",
        "complaints.reopen_complaint",
        "complaints.change_breachreport",
    },
    # 主管: owns and investigates, proposes resolutions, decides duplicates, runs corrective actions.
    SUPERVISOR: _READ
    | {
        "complaints.add_complaint",
        "complaints.add_complaintattachment",
        "complaints.respond_complaint",
        "complaints.investigate_complaint",
        "complaints.assign_complaint",
        "complaints.reopen_complaint",
        "complaints.add_correctiveaction",
        "complaints.change_correctiveaction",
        "complaints.change_breachreport",
        "complaints.view_staffcomplaintrecord",
    },
    # 服务经理: hears of major and critical complaints, approves large compensation, verifies actions.
    MANAGER: _READ
    | {
        "complaints.investigate_complaint",
        "complaints.assign_complaint",
        "complaints.approve_compensation",
        "complaints.add_correctiveaction",
        "complaints.change_correctiveaction",
        "complaints.verify_correctiveaction",
        "complaints.view_staffcomplaintrecord",
    },
}
