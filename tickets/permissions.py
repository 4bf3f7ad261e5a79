"""What each staff role may do with tickets (see aftersales/core/roles.py)."""

from aftersales.core.roles import AGENT, COORDINATOR, MANAGER, SUPERVISOR, TECHNICIAN

_READ = {
    "tickets.view_ticket",
    "tickets.view_ticketevent",
    "tickets.view_partusage",
    "tickets.view_survey",
    "tickets.view_followup",
    "tickets.view_standbyunit",
    "tickets.view_standbyloan",
    "tickets.view_technician",
    "tickets.view_slapolicy",
    "tickets.view_ticketattachment",
}

ROLE_PERMISSIONS = {
    # 客服: registers requests, first response, keeps the customer informed, return visits.
    AGENT: _READ
    | {
        "tickets.add_ticket",
        "tickets.change_ticket",
        "tickets.add_ticketattachment",
        "tickets.respond_ticket",
        "tickets.diagnose_ticket",
        "tickets.quote_ticket",
        "tickets.cancel_ticket",
        "tickets.reopen_ticket",
        "tickets.change_followup",
        "tickets.change_survey",
    },
    # 维修技师: own queue, diagnosis, parts, on-site work, fix and functional test.
    TECHNICIAN: _READ
    | {
        "tickets.diagnose_ticket",
        "tickets.quote_ticket",
        "tickets.work_ticket",
        "tickets.add_partusage",
        "tickets.add_ticketattachment",
        "tickets.change_followup",
    },
    # 主管: dispatch, quotes, escalations, everything an agent does.
    SUPERVISOR: _READ
    | {
        "tickets.add_ticket",
        "tickets.change_ticket",
        "tickets.add_ticketattachment",
        "tickets.respond_ticket",
        "tickets.diagnose_ticket",
        "tickets.quote_ticket",
        "tickets.dispatch_ticket",
        "tickets.work_ticket",
        "tickets.cancel_ticket",
        "tickets.reopen_ticket",
        "tickets.add_partusage",
        "tickets.change_followup",
        "tickets.change_survey",
        "tickets.add_standbyloan",
        "tickets.change_standbyloan",
        "tickets.change_technician",
    },
    MANAGER: _READ,
    COORDINATOR: {
        "tickets.view_ticket",
        "tickets.view_ticketevent",
        "tickets.view_ticketattachment",
        "tickets.view_standbyunit",
        "tickets.view_standbyloan",
    },
}
