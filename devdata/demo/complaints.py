"""Demo data of the complaints app: 90 days of complaint history, replayed through the services. Idempotent.

Run by ``manage.py seed_demo`` after core's demo (users, customers), warranty's (units) and
tickets' (tickets to refer to). Like the tickets history, it is *replayed*, not written: every
complaint is created and moved through ``complaints.services`` with ``now=`` in the past, in time
order across all complaints, and the SLA sweep runs at each past minute in which a clock fell due.
Promises kept or broken, escalations, late-promise reports, corrective-action escalations and
outbox messages are therefore what the product would have produced.

The plans are a fixed script (no randomness), counted back from the moment of seeding, so every
run shows the same mix: every category, severity, channel and state, duplicates, a withdrawal, a
reopened complaint, an objection, compensation above the approval limit, corrective actions open,
overdue, done and verified, and a complaint on a staff member's record.
"""

from __future__ import annotations

import heapq
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from aftersales.core import clock as core_clock
from aftersales.core.models import OutboxMessage, SlaClock
from aftersales.core.outbox.services import outbox_settle_history
from aftersales.core.sla.sweep import sla_sweep
from complaints import services
from complaints.choices import Channel
from complaints.models import BreachReport, Complaint, ComplaintEvent, CorrectiveAction
from tickets.models import Ticket
from warranty.models import RegisteredUnit

HISTORY_DAYS = 90
# An internal note on the first demo complaint: its presence means the history was already loaded.
DEMO_MARKER = "演示数据：由 manage.py seed_demo 生成 (complaint demo data loaded by seed_demo)"
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

# --- what the investigations found and proposed ---------------------------------------------------

PROPOSALS = {
    "apology": {
        "cause": "service",
        "root_causes": ["miscommunication"],
        "findings": "上门前未说明收费标准，客户误解为乱收费。",
        "resolution_type": "explanation",
        "resolution": "当面致歉并解释收费标准，赠送一次免费保养。",
        "compensation_kind": "gift",
        "compensation_amount": "0",
    },
    "coupon": {
        "cause": "service",
        "root_causes": ["late_feedback"],
        "findings": "维修排期积压，未及时告知客户延期原因。",
        "resolution_type": "compensation",
        "resolution": "致歉并赠送 100 元服务券，下次维修优先安排。",
        "compensation_kind": "coupon",
        "compensation_amount": "100",
    },
    "repair": {
        "cause": "product_defect",
        "root_causes": ["product_defect", "supplier_part"],
        "findings": "压缩机启动电容批次不良，导致频繁停机。",
        "resolution_type": "repair",
        "resolution": "免费更换启动电容并延长该部件保修 12 个月。",
        "compensation_kind": "",
        "compensation_amount": "0",
    },
    "replacement": {
        "cause": "product_defect",
        "root_causes": ["product_defect"],
        "findings": "外观划伤为出厂前造成，包装无破损。",
        "resolution_type": "replacement",
        "resolution": "免费换新机，上门取回旧机。",
        "compensation_kind": "points",
        "compensation_amount": "200",
    },
    "refund_large": {
        "cause": "product_defect",
        "root_causes": ["product_defect", "logistics"],
        "findings": "运输中主板受潮，两次维修未能修复。",
        "resolution_type": "refund",
        "resolution": "全额退款并上门取回产品。",
        "compensation_kind": "refund",
        "compensation_amount": "1200",
    },
    "refund_pending": {
        "cause": "policy",
        "root_causes": ["unclear_scope"],
        "findings": "退换货政策中“质量问题”的范围表述不清。",
        "resolution_type": "refund",
        "resolution": "按质量问题处理，退还差价。",
        "compensation_kind": "refund",
        "compensation_amount": "800",
    },
    "staff": {
        "cause": "service",
        "root_causes": ["insufficient_skill", "miscommunication"],
        "findings": "技师态度生硬且未做功能测试即离开，经核实属实。",
        "resolution_type": "compensation",
        "resolution": "主管上门致歉，重新安排资深技师维修，赠送 50 元服务券。",
        "compensation_kind": "coupon",
        "compensation_amount": "50",
    },
    "price": {
        "cause": "not_substantiated",
        "root_causes": [],
        "findings": "报价与公示价格一致，已向客户说明各项费用。",
        "resolution_type": "explanation",
        "resolution": "向客户详细解释报价构成，并提供书面价目表。",
        "compensation_kind": "",
        "compensation_amount": "0",
    },
}

# --- the script ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    hours: float  # after the complaint was received
    action: str  # a complaint action, or corrective_* / note
    role: str  # agent, supervisor, manager, customer
    data: dict = field(default_factory=dict)


def _path(*, ack=2, investigate=8, propose=30, proposal="coupon", owner="", by="supervisor") -> list[Step]:
    ack_data = {"note": "已电话联系客户，告知处理时限。", **({"owner": owner} if owner else {})}
    return [
        Step(ack, "acknowledge", "agent", ack_data),
        Step(investigate, "investigate", "supervisor"),
        Step(propose, "propose_resolution", by, dict(PROPOSALS[proposal])),
    ]


def _answered(path: list[Step], *, confirm=40, close=None) -> list[Step]:
    steps = [*path, Step(confirm, "confirm", "customer")]
    if close is not None:
        steps.append(Step(close, "close", "agent", {"return_visit": "回访：客户对处理结果满意。"}))
    return steps


@dataclass(frozen=True)
class Plan:
    key: str
    days_ago: float
    category: str
    severity: str
    channel: str
    description: str
    steps: list[Step]
    repeat_of: str = ""  # the same matter complained again: linked to that complaint
    hour: int = 10  # local time of day it came in


PLANS = [
    # Closed, the long way round (004 §2.2–2.5).
    Plan(
        "closed-repair",
        84,
        "product.function_defect",
        "general",
        Channel.PHONE,
        "空调频繁停机，维修两次仍未解决。",
        _answered(_path(proposal="repair"), close=60),
    ),
    Plan(
        "closed-staff",
        80,
        "service.attitude",
        "general",
        Channel.VISIT,
        "技师态度恶劣，未修好就走了。",
        _answered(_path(proposal="staff", ack=1), confirm=36, close=50),
        hour=15,
    ),
    Plan(
        "closed-approved",
        76,
        "product.performance",
        "major",
        Channel.LETTER,
        "新机制冷效果差，要求退货。",
        [
            *_path(proposal="refund_large", owner="supervisor"),
            Step(34, "approve_resolution", "manager", {"note": "同意全额退款。"}),
            Step(46, "confirm", "customer"),
            Step(70, "close", "agent", {"return_visit": "退款已到账，客户满意。"}),
        ],
    ),
    Plan(
        "closed-no-answer",
        70,
        "other.price_dispute",
        "general",
        Channel.ONLINE,
        "维修报价比官网贵一倍。",
        [
            *_path(proposal="price"),
            Step(52, "contact_attempt", "agent", {"note": "第一次电话无人接听。"}),
            Step(76, "contact_attempt", "agent", {"note": "第二次电话无人接听，已发短信。"}),
            Step(100, "contact_attempt", "agent", {"note": "第三次电话无人接听。"}),
            Step(102, "close", "agent", {"close_reason": "三次联系未果，按已解释结案。"}),
        ],
    ),
    Plan(
        "closed-critical",
        64,
        "product.function_defect",
        "critical",
        Channel.THIRD_PARTY,
        "电暖器插头冒烟，有安全隐患！",
        [
            Step(0.5, "acknowledge", "agent", {"owner": "supervisor", "note": "立即联系，建议停止使用。"}),
            Step(6, "record_visit", "supervisor", {"note": "上门检查，已断电封存。"}),
            Step(8, "investigate", "supervisor"),
            Step(20, "propose_resolution", "supervisor", dict(PROPOSALS["replacement"])),
            Step(30, "confirm", "customer"),
            Step(40, "close", "agent", {"return_visit": "新机运行正常，客户满意。"}),
        ],
        hour=21,
    ),
    # Late: the first answer, or the resolution, broke the promise; the sweep escalated it.
    Plan(
        "closed-late",
        58,
        "service.late_repair",
        "general",
        Channel.PHONE,
        "报修一周没人上门。",
        _answered(_path(ack=40, investigate=60, propose=130), confirm=140, close=150),
    ),
    Plan(
        "reopened",
        44,
        "service.repair_quality",
        "general",
        Channel.ONLINE,
        "维修后三天又坏了。",
        [
            *_answered(_path(proposal="repair"), confirm=44, close=60),
            Step(200, "reopen", "customer", {"note": "又出现同样的故障。"}),
        ],
    ),
    Plan(
        "objected-confirmed",
        40,
        "product.appearance",
        "general",
        Channel.PHONE,
        "新机面板有明显划痕。",
        [
            *_path(proposal="coupon"),
            Step(38, "object", "customer", {"note": "划痕明显，我要换新机，不要代金券。"}),
            Step(56, "propose_resolution", "supervisor", dict(PROPOSALS["replacement"])),
            Step(64, "confirm", "customer"),
        ],
    ),
    Plan(
        "confirmed",
        9,
        "other.return_exchange",
        "general",
        Channel.ONLINE,
        "退货流程太复杂，来回跑了三次。",
        _answered(_path(proposal="apology"), confirm=45),
    ),
    Plan(
        "withdrawn",
        35,
        "product.packaging",
        "general",
        Channel.PHONE,
        "包装破损，担心产品有问题。",
        [Step(3, "acknowledge", "agent"), Step(10, "withdraw", "agent", {"note": "客户开箱检查无问题，撤回投诉。"})],
    ),
    Plan(
        "original-open",
        12,
        "service.slow_response",
        "major",
        Channel.PHONE,
        "热线打了五次都没人接。",
        [Step(1, "acknowledge", "agent", {"owner": "supervisor"}), Step(5, "investigate", "supervisor")],
    ),
    Plan(
        "linked",
        10,
        "service.slow_response",
        "general",
        Channel.ONLINE,
        "还是没人联系我！",
        [],
        repeat_of="original-open",
        hour=16,
    ),
    Plan(
        "awaiting-approval",
        4,
        "other.unclear_policy",
        "general",
        Channel.LETTER,
        "说好 7 天无理由退货，却不给退。",
        _path(proposal="refund_pending", propose=26, ack=1),
    ),
    Plan(
        "proposed",
        3,
        "service.late_repair",
        "general",
        Channel.PHONE,
        "维修超过承诺时间两天。",
        _path(proposal="coupon", propose=20),
    ),
    Plan(
        "proposed-major",
        5,
        "product.function_defect",
        "major",
        Channel.VISIT,
        "洗衣机漏水，地板泡坏。",
        _path(proposal="repair", owner="supervisor", ack=1, propose=30),
    ),
    Plan(
        "investigating",
        6,
        "product.performance",
        "general",
        Channel.ONLINE,
        "制热效果明显变差。",
        _path(propose=9999)[:2],
    ),
    Plan(
        "investigating-late",
        16,
        "service.repair_quality",
        "general",
        Channel.THIRD_PARTY,
        "维修后噪音变大。",
        _path(propose=9999)[:2],
    ),
    Plan(
        "investigating-critical",
        2,
        "product.function_defect",
        "critical",
        Channel.PHONE,
        "热水器漏电，家人被电到。",
        [Step(0.5, "acknowledge", "agent", {"owner": "supervisor"}), Step(2, "investigate", "supervisor")],
        hour=9,
    ),
    Plan(
        "classified",
        7,
        "service.attitude",
        "general",
        Channel.PHONE,
        "客服挂断电话，态度很差。",
        [
            Step(
                1,
                "classify",
                "agent",
                {"category": "service.attitude", "severity": "major", "note": "客户已投诉至 12315。"},
            ),
            Step(2, "acknowledge", "agent", {"owner": "supervisor"}),
            Step(4, "investigate", "supervisor"),
        ],
    ),
    Plan(
        "acknowledged",
        1.2,
        "product.packaging",
        "general",
        Channel.LETTER,
        "快递外箱严重变形。",
        [Step(3, "acknowledge", "agent")],
    ),
    Plan(
        "acknowledged-major",
        2.5,
        "other.return_exchange",
        "major",
        Channel.THIRD_PARTY,
        "平台上申请退货被拒三次。",
        [Step(1, "acknowledge", "agent", {"owner": "supervisor"})],
    ),
    Plan("received", 0.1, "service.slow_response", "general", Channel.ONLINE, "在线客服一直排队。", []),
    Plan(
        "received-critical", 0.02, "product.function_defect", "critical", Channel.PHONE, "空调外机起火！", [], hour=11
    ),
    Plan("received-late", 4, "other.price_dispute", "general", Channel.VISIT, "配件价格比外面贵很多。", []),
    Plan("received-late-major", 3, "product.appearance", "major", Channel.ONLINE, "收到的颜色与订单不符。", []),
    Plan(
        "withdrawn-recent",
        1.5,
        "service.attitude",
        "general",
        Channel.PHONE,
        "预约时间被随意改动。",
        [Step(2, "withdraw", "agent", {"note": "客户表示已与技师沟通好，撤回。"})],
    ),
]


def _corrective_plans(real_now: datetime) -> dict[str, list[tuple]]:
    """Corrective actions (PDCA) on investigated complaints: (hours after receipt, description, owner, due, steps)."""
    return {
        "closed-repair": [
            (
                40,
                "对同批次启动电容全部抽检并更换供应商。",
                "supervisor",
                21 * DAY,
                [(3 * DAY, "done"), (6 * DAY, "verified")],
            ),
        ],
        "closed-staff": [
            (40, "对该技师进行服务规范再培训并考核。", "agent", 14 * DAY, [(5 * DAY, "done"), (9 * DAY, "verified")]),
        ],
        "closed-late": [(150, "热线排班增加一名晚班客服。", "agent", 10 * DAY, [(4 * DAY, "done")])],
        "reopened": [(62, "维修后 24 小时内增加电话回访。", "supervisor", None, [])],  # due a week from now: open
        "investigating-late": [(20, "梳理返修件的质检流程。", "agent", 5 * DAY, [])],  # overdue
        "objected-confirmed": [(70, "出厂前增加外观全检工位。", "supervisor", 60 * DAY, [])],
    }


# --- the replay ---------------------------------------------------------------------------------


class _SimulatedClock:
    """The product's one clock (``aftersales.core.clock.now``) held at the replayed moment."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    @contextmanager
    def installed(self):
        real = core_clock.now
        core_clock.now = self
        try:
            yield self
        finally:
            core_clock.now = real


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    kind: str = field(compare=False)
    plan: Plan | None = field(compare=False, default=None)
    step: Step | None = field(compare=False, default=None)
    payload: dict = field(compare=False, default_factory=dict)


class Replay:
    def __init__(self, *, users: dict, units: list, real_now: datetime):
        self.users, self.units, self.real_now = users, units, real_now
        self.clock = _SimulatedClock(real_now)
        self.complaints: dict[str, Complaint] = {}
        self.unit_of: dict[str, RegisteredUnit] = {}
        self.corrective: dict[tuple[str, int], CorrectiveAction] = {}
        self.sweeps = self.warnings = self.breaches = 0
        self.skipped: list[str] = []

    def created_at(self, plan: Plan) -> datetime:
        day = timezone.localtime(self.real_now - timedelta(days=plan.days_ago))
        if plan.days_ago < 1:
            return self.real_now - timedelta(days=plan.days_ago)
        return day.replace(hour=plan.hour, minute=17, second=0, microsecond=0)

    def sweep_until(self, moment: datetime) -> None:
        while True:
            due = SlaClock.objects.filter(next_check_at__isnull=False).aggregate(first=Min("next_check_at"))["first"]
            if due is None or due > moment:
                return
            beat = due.replace(second=0, microsecond=0) + (MINUTE if due.second or due.microsecond else timedelta(0))
            self.clock.now = min(beat, moment)
            result = sla_sweep(now=self.clock.now)
            self.sweeps += 1
            self.warnings += result.warnings
            self.breaches += result.breaches

    def events(self) -> list[_Event]:
        events, order = [], 0
        corrective = _corrective_plans(self.real_now)
        for plan in PLANS:
            start = self.created_at(plan)
            events.append(_Event(start, order := order + 1, "create", plan))
            for step in plan.steps:
                events.append(_Event(start + timedelta(hours=step.hours), order := order + 1, "step", plan, step))
            for number, (hours, description, owner, due, follow) in enumerate(corrective.get(plan.key, [])):
                added = start + timedelta(hours=hours)
                due_at = added + due if due is not None else self.real_now + 7 * DAY
                payload = {"number": number, "description": description, "owner": owner, "due_at": due_at}
                events.append(_Event(added, order := order + 1, "corrective_add", plan, payload=payload))
                for offset, kind in follow:
                    events.append(
                        _Event(added + offset, order := order + 1, f"corrective_{kind}", plan, payload=payload)
                    )
        return [event for event in events if event.at <= self.real_now]

    def actor(self, role: str):
        return None if role == "customer" else self.users[role]

    def unit_for(self, plan: Plan) -> RegisteredUnit:
        if plan.repeat_of:
            return self.unit_of[plan.repeat_of]
        unit = self.units[len(self.unit_of) % len(self.units)]
        self.unit_of[plan.key] = unit
        return unit

    def create(self, plan: Plan, at: datetime) -> None:
        unit = self.unit_for(plan)
        if plan.repeat_of:
            self.unit_of[plan.key] = unit
        staff_channel = plan.channel not in (Channel.ONLINE, Channel.THIRD_PARTY) and not plan.repeat_of
        related = []
        if plan.category.startswith("service."):
            ticket = Ticket.objects.filter(customer=unit.customer, created_at__lt=at).order_by("-created_at").first()
            related = [ticket] if ticket else []
        created = services.complaint_create(
            customer=unit.customer,
            unit=unit,
            category=plan.category,
            severity=plan.severity,
            channel=plan.channel,
            description=plan.description,
            tickets=related,
            actor=self.users["agent"] if staff_channel else None,
            now=at,
        )
        self.complaints[plan.key] = created.complaint

    def step(self, plan: Plan, step: Step, at: datetime) -> None:
        data = dict(step.data)
        if step.action == "propose_resolution" and data.get("cause") == "service" and plan.key == "closed-staff":
            data["responsible_staff"] = self.users["technician"].username
        self.complaints[plan.key] = services.complaint_transition(
            complaint=self.complaints[plan.key],
            action=step.action,
            actor=self.actor(step.role),
            by_customer=step.role == "customer",
            data=data,
            now=at,
        )

    def corrective_step(self, plan: Plan, kind: str, payload: dict, at: datetime) -> None:
        key = (plan.key, payload["number"])
        if kind == "corrective_add":
            self.corrective[key] = services.corrective_action_add(
                complaint=self.complaints[plan.key],
                description=payload["description"],
                owner=self.users[payload["owner"]],
                due_at=payload["due_at"],
                actor=self.users["supervisor"],
                now=at,
            )
        elif kind == "corrective_done":
            self.corrective[key] = services.corrective_action_complete(
                action=self.corrective[key], actor=self.users[payload["owner"]], note="已完成，附整改记录。", now=at
            )
        elif kind == "corrective_verified":
            self.corrective[key] = services.corrective_action_verify(
                action=self.corrective[key], actor=self.users["manager"], effective=True, note="抽查确认有效。", now=at
            )

    def replay(self) -> None:
        queue = self.events()
        heapq.heapify(queue)
        first = True
        with self.clock.installed():
            while queue:
                event = heapq.heappop(queue)
                self.sweep_until(event.at)
                self.clock.now = event.at
                if event.kind == "create":
                    self.create(event.plan, event.at)
                    if first:
                        services.complaint_staff_note(
                            complaint=self.complaints[event.plan.key],
                            body=DEMO_MARKER,
                            actor=self.users["admin"],
                            now=event.at,
                        )
                        first = False
                elif event.kind == "step":
                    self.step(event.plan, event.step, event.at)
                else:
                    self.corrective_step(event.plan, event.kind, event.payload, event.at)
            self.sweep_until(self.real_now)
            self.clock.now = self.real_now
            result = sla_sweep(now=self.real_now)
            self.warnings += result.warnings
            self.breaches += result.breaches
            self.explain_breaches()

    def explain_breaches(self) -> None:
        """Most late promises older than two days were explained; the recent ones wait in the list."""
        reports = BreachReport.objects.filter(
            complaint__in=[complaint.pk for complaint in self.complaints.values()], done_at__isnull=True
        ).order_by("created_at", "pk")
        for number, report in enumerate(reports):
            if report.created_at > self.real_now - 2 * DAY or number % 3 == 2:
                continue
            at = report.created_at + 5 * HOUR
            self.clock.now = at
            services.breach_report_explain(
                report=report,
                actor=self.users["agent"],
                explanation="当日投诉量激增，排班不足，未能按时处理。",
                remedy="已向客户致歉并优先处理；调整排班增加高峰时段人手。",
                now=at,
            )


# --- seed -----------------------------------------------------------------------------------


def _already_seeded() -> bool:
    return ComplaintEvent.objects.filter(action="note", note=DEMO_MARKER).exists()


def _units() -> list[RegisteredUnit]:
    return list(RegisteredUnit.objects.filter(customer__isnull=False).select_related("customer").order_by("pk"))


@transaction.atomic
def seed(stdout) -> None:
    if _already_seeded():
        stdout.write(f"complaints: history already loaded ({Complaint.objects.count()} complaints)")
        return
    users = {user.username: user for user in get_user_model().objects.filter(is_staff=True)}
    missing = {"admin", "agent", "technician", "supervisor", "manager"} - users.keys()
    units = _units()
    if missing or not units:
        stdout.write(f"complaints: skipped (missing demo users {sorted(missing)} or registered units)")
        return
    real_now = core_clock.now()
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    replay = Replay(users=users, units=units, real_now=real_now)
    replay.replay()
    outbox_settle_history(after_id=last_message, note="demo history: recorded, not delivered")
    statuses = Counter(
        Complaint.objects.filter(pk__in=[c.pk for c in replay.complaints.values()]).values_list("status", flat=True)
    )
    corrective = Counter(
        CorrectiveAction.objects.filter(complaint__in=replay.complaints.values()).values_list("status", flat=True)
    )
    stdout.write(
        f"complaints: {len(replay.complaints)} complaints over {HISTORY_DAYS} days "
        f"({', '.join(f'{status} {count}' for status, count in sorted(statuses.items()))}); "
        f"{sum(corrective.values())} corrective actions; "
        f"{replay.sweeps} past sweeps recorded {replay.warnings} warnings and {replay.breaches} breaches"
    )
