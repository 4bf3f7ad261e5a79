"""Demo data of emergency response: one response plan per incident type, a past incident and a drill.

Run by ``manage.py seed_demo`` after the other demos (CONTRACT §1). Each plan is version 1 of its
type at the level such an incident usually gets, with the checklist of REQUIREMENTS §6: what is done
first, by which role, how many minutes after activation. The past incident (a batch failure three
weeks ago) and the drill (a system outage last month, ``drill=True``) are reported and moved through
``emergency.services`` with ``now=`` in the past: assessed, activated (the plan's checklist copied in),
mitigated with every item ticked off by its role in time, recovered, reviewed by the coordinator and
closed by a second coordinator, who verifies the review. Idempotent: what exists is left as it is.

There is no service for writing plans (the admin edits them as rows), so the plans are written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from aftersales.core import clock as core_clock
from aftersales.core import roles
from aftersales.core.models import OutboxMessage
from aftersales.core.outbox.services import outbox_settle_history
from emergency.choices import Channel, IncidentType, Level
from emergency.models import ChecklistItem, Incident, PagingRun, PlanItem, ResponsePlan
from emergency.services import checklist_item_done, incident_acknowledge, incident_create, incident_transition
from warranty.models import ProductModel

from .core import DEMO_PASSWORD

HOUR = 60
DAY = 24 * HOUR
AGENT, TECHNICIAN, SUPERVISOR, MANAGER, COORDINATOR = (
    roles.AGENT,
    roles.TECHNICIAN,
    roles.SUPERVISOR,
    roles.MANAGER,
    roles.COORDINATOR,
)
PLANS_SINCE = date(2026, 1, 1)
DEPUTY = ("coordinator2", "应急协调员 黄磊")  # verifies the reviews: never their author


@dataclass(frozen=True)
class PlanSpec:
    incident_type: str
    level: int
    title: str
    information_channel: str
    items: tuple[tuple[str, str, int], ...]  # (what, owner role, minutes after activation)


PLANS = (
    PlanSpec(
        IncidentType.SUDDEN_COMPLAINT,
        Level.III,
        "突发投诉应急预案 Sudden complaint",
        "专人电话回访 A dedicated person calls the customer",
        (
            ("指定专人负责并联系客户致歉 Name a dedicated person; call and apologise", SUPERVISOR, 30),
            ("核实事实与诉求，记录应急处理记录 Establish the facts and the demand", AGENT, 2 * HOUR),
            (
                "不能立即解决的，给予临时补偿或安抚 Temporary compensation if it cannot be fixed now",
                SUPERVISOR,
                4 * HOUR,
            ),
            ("告知客户处理进度和预计时间 Tell the customer the progress and the expected time", AGENT, 8 * HOUR),
        ),
    ),
    PlanSpec(
        IncidentType.BATCH_FAILURE,
        Level.II,
        "批量故障与质量安全隐患应急预案 Batch failure or safety hazard",
        "400 热线与官网公告 Hotline and website notice",
        (
            ("立即暂停销售受影响批次 Stop selling the affected lot", COORDINATOR, 30),
            ("通知高层管理人员 Inform senior management", MANAGER, HOUR),
            (
                "锁定影响范围：型号、序列号段、销售日期、区域 Fix the scope: models, serials, sale dates, regions",
                SUPERVISOR,
                2 * HOUR,
            ),
            ("检测返回的故障机，收集日志和照片 Inspect returned units, collect logs and photos", TECHNICIAN, 6 * HOUR),
            ("立即展开召回并通知已售客户 Start the recall and notify the owners", COORDINATOR, 12 * HOUR),
            ("原因反馈生产与外购件供应商 Feed the cause back to production and the supplier", MANAGER, 36 * HOUR),
        ),
    ),
    PlanSpec(
        IncidentType.COMPLAINT_SURGE,
        Level.II,
        "投诉激增与舆情危机应急预案 Complaint surge or public-opinion crisis",
        "唯一对外信息渠道：官方微博与官网 One channel: the official Weibo and website",
        (
            (
                "第一时间通知受影响客户（电话、短信、邮件） Notify affected customers first (phone, SMS, email)",
                AGENT,
                HOUR,
            ),
            ("确定公关口径与唯一信息渠道 Agree the PR line and the one information channel", MANAGER, 2 * HOUR),
            ("协调销售、生产、物流 Coordinate sales, production and logistics", COORDINATOR, 4 * HOUR),
            ("增派坐席接听热线 Add agents on the hotline", SUPERVISOR, 2 * HOUR),
        ),
    ),
    PlanSpec(
        IncidentType.STAFF_ACCIDENT,
        Level.II,
        "员工意外、疾病或人身威胁应急预案 Staff accident, illness or threat",
        "站长电话通知 The station manager phones",
        (
            ("遇暴力立即报警，并送医救治 Violence: call the police at once; get medical help", SUPERVISOR, 15),
            ("立即改派其他技师接手工单 Reassign the jobs to other technicians", SUPERVISOR, HOUR),
            ("通知家属与服务经理 Inform the family and the service manager", MANAGER, 2 * HOUR),
            ("补充急救包等应急物资 Restock the first-aid kit", COORDINATOR, DAY),
        ),
    ),
    PlanSpec(
        IncidentType.STAFF_SHORTAGE,
        Level.III,
        "人员短缺与高峰负荷应急预案 Staff shortage or peak load",
        "内部排班群 The internal rota group",
        (
            ("从其他区域借调技师 Borrow technicians from other regions", MANAGER, 4 * HOUR),
            ("按优先级重排预约并通知客户 Re-plan appointments by priority and tell the customers", AGENT, 8 * HOUR),
            ("安排加班与远程支持 Arrange overtime and phone support", SUPERVISOR, 4 * HOUR),
        ),
    ),
    PlanSpec(
        IncidentType.LOGISTICS,
        Level.IV,
        "物流延误或货损应急预案 Logistics delay or damage",
        "短信通知受影响订单 SMS to the affected orders",
        (
            ("联系承运商确认货物位置与状态 Contact the carrier: where are the goods, in what state", COORDINATOR, HOUR),
            ("重新安排配送并告知客户 Re-plan the deliveries and tell the customers", AGENT, 4 * HOUR),
            ("货损按赔偿流程划分责任 Transit damage: compensation process, liability split", SUPERVISOR, 2 * DAY),
        ),
    ),
    PlanSpec(
        IncidentType.SYSTEM_OUTAGE,
        Level.III,
        "设备或系统故障应急预案 Equipment or system outage",
        "400 热线语音提示 A hotline announcement",
        (
            ("切换到备用系统 Switch to the backup system", COORDINATOR, 30),
            ("启用纸质工单登记来电 Log calls on paper job sheets", AGENT, HOUR),
            ("通知技术团队与组长 Inform the technical team and its lead", SUPERVISOR, 30),
            ("恢复后补录工单并核对 Re-enter and check the paper jobs after recovery", AGENT, DAY),
        ),
    ),
    PlanSpec(
        IncidentType.NATURAL_DISASTER,
        Level.I,
        "自然灾害与人为事故应急预案 Natural disaster or man-made accident",
        "全员短信与站点广播 SMS to all staff, station announcements",
        (
            ("按疏散方案撤离并清点人员 Evacuate by the plan and count everyone", SUPERVISOR, 15),
            ("立即通知高层管理人员 Inform senior management at once", MANAGER, 30),
            (
                "调配储备物资、备用机与车辆 Release the stocked materials, standby units and vehicles",
                COORDINATOR,
                4 * HOUR,
            ),
            ("排查受灾区域客户设备 Check the customers' equipment in the area", TECHNICIAN, 2 * DAY),
        ),
    ),
    PlanSpec(
        IncidentType.ONSITE_RESCUE,
        Level.II,
        "客户现场关键设备故障救援预案 On-site rescue of critical equipment",
        "服务经理电话与短信告知客户 The service manager phones and texts the customer",
        (
            ("填写紧急救援单（来电时间、型号、症状） Fill in the rescue form (call time, model, symptom)", AGENT, 15),
            (
                "车间主管制定救援方案（到达时间、人员、备件、费用） Rescue plan: ETA, team, parts, cost",
                SUPERVISOR,
                HOUR,
            ),
            (
                "告知客户到达时间、负责人、费用并取得同意 Tell the customer the ETA, lead and cost; get consent",
                MANAGER,
                90,
            ),
            ("凭批准方案领用备件并出发 Issue parts against the approved plan and depart", TECHNICIAN, 2 * HOUR),
            ("客户签署服务救援记录表 The customer signs the rescue record", TECHNICIAN, 8 * HOUR),
        ),
    ),
)


@dataclass(frozen=True)
class IncidentStory:
    days_ago: int
    data: dict
    review: dict


def _past_incident(model_code: str) -> IncidentStory:
    return IncidentStory(
        days_ago=21,
        data={
            "incident_type": IncidentType.BATCH_FAILURE,
            "title": "压缩机批量故障 Compressor failures in one lot",
            "description": "一周内 9 台同批次空调报压缩机启动失败，客服记录后立即转报。"
            " Nine units of one lot reported compressor start failures within a week.",
            "channel": Channel.PHONE,
            "scope": {"models": [model_code], "serial_from": "SN2608-0001", "serial_to": "SN2608-0450"},
        },
        review={
            "root_cause": "供应商更换了启动电容型号，未经来料检验。"
            " The supplier changed the start capacitor without notice.",
            "lessons": "来料检验须测试电容；批次追溯到序列号段。"
            " Incoming inspection tests capacitors; lots trace to serials.",
            "accountability": "供应商质量工程师与来料检验组长。"
            " The supplier quality engineer and the incoming-inspection lead.",
            "customer_follow_up": "所有受影响客户已回访，满意度调查已发出。 Every owner called back; surveys sent.",
        },
    )


DRILL = IncidentStory(
    days_ago=40,
    data={
        "incident_type": IncidentType.SYSTEM_OUTAGE,
        "title": "季度演练：工单系统宕机 Quarterly drill: ticket system down",
        "description": "演练：工单系统不可用两小时，切换备用系统与纸质登记。"
        " Drill: the ticket system is unavailable for two hours; switch to the backup and paper.",
        "channel": Channel.MONITORING,
        "drill": True,
    },
    review={
        "root_cause": "演练场景：数据库主节点失效。 Drill scenario: the primary database fails.",
        "lessons": "备用系统切换用时 18 分钟，目标 10 分钟；纸质工单模板需更新。 Switch-over took 18 min (target 10).",
        "accountability": "无责任追究（演练）。 None (a drill).",
        "customer_follow_up": "无客户受影响。 No customer affected.",
    },
)


def _ensure_plans() -> int:
    created = 0
    for spec in PLANS:
        with transaction.atomic():
            plan, new = ResponsePlan.objects.get_or_create(
                incident_type=spec.incident_type,
                level=spec.level,
                version=1,
                defaults={
                    "title": spec.title,
                    "effective_from": PLANS_SINCE,
                    "information_channel": spec.information_channel,
                },
            )
            if new:
                PlanItem.objects.bulk_create(
                    PlanItem(plan=plan, title=title, owner_role=role, deadline_minutes=minutes, position=position)
                    for position, (title, role, minutes) in enumerate(spec.items)
                )
                created += 1
    return created


def _ensure_deputy():
    """A second coordinator: the review of an incident is verified by someone other than its author."""
    username, display_name = DEPUTY
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.password = make_password(DEMO_PASSWORD)
        first, _, last = display_name.partition(" ")
        user.first_name, user.last_name = first, last
        user.email = f"{username}@aftersales.invalid"
        user.is_staff = True
        user.save()
    user.groups.add(Group.objects.get(name=COORDINATOR))
    return user


def _doer(item: ChecklistItem, users: dict, coordinator):
    """The demo user of the item's role ticks it off (the coordinator where the role has none)."""
    return users.get(item.owner_role) or coordinator


def _run(story: IncidentStory, *, level: int, users: dict, coordinator, deputy, real_now: datetime) -> Incident:
    """Report → assess → activate → mitigate → every item done → recover → review → close, in the past."""
    at = real_now - timedelta(days=story.days_ago)
    incident = incident_create(actor=coordinator, data=story.data, now=at)

    def act(action: str, minutes: float, data: dict | None = None, actor=coordinator) -> None:
        nonlocal incident, at
        at += timedelta(minutes=minutes)
        incident = incident_transition(incident=incident, action=action, actor=actor, data=data, now=at)

    act("assess", 10, {"level": level, "commander": coordinator.username})
    act("activate", 15)
    activated_at = at
    # The paged coordinator takes it within minutes, before the chain climbs (level IV pages nobody).
    if PagingRun.objects.filter(incident=incident).exists():
        incident_acknowledge(incident=incident, actor=coordinator, note="收到 On it", now=at + timedelta(minutes=3))
    act("mitigate", 10)
    # Each item done at a quarter of its deadline, recovery within 12 h: every promise is kept before
    # its first warning (50 %), so the sweep, had it run then, would have had nothing to say.
    for item in sorted(ChecklistItem.objects.filter(incident=incident), key=lambda row: row.due_at):
        at = max(at, activated_at + (item.due_at - activated_at) / 4)
        checklist_item_done(item=item, actor=_doer(item, users, coordinator), note="按预案完成 Done as planned", now=at)
    act("recover", 30)
    act("review", 3 * DAY, story.review)
    act("close", HOUR, actor=deputy)
    return incident


def _already_seeded(story: IncidentStory) -> bool:
    return Incident.objects.filter(title=story.data["title"], drill=story.data.get("drill", False)).exists()


def seed(stdout) -> None:
    new_plans = _ensure_plans()
    users = {user.username: user for user in get_user_model().objects.filter(is_staff=True, is_active=True)}
    coordinator = users.get(COORDINATOR)
    if coordinator is None:
        stdout.write("emergency: incidents skipped (no coordinator demo user)")
        return
    deputy = _ensure_deputy()
    model_code = ProductModel.objects.order_by("pk").values_list("code", flat=True).first() or "AC-1"
    past, levels = _past_incident(model_code), {spec.incident_type: spec.level for spec in PLANS}
    real_now = core_clock.now()
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    made = []
    for story in (past, DRILL):
        if _already_seeded(story):
            continue
        with transaction.atomic():
            level = levels[story.data["incident_type"]]
            made.append(
                _run(story, level=level, users=users, coordinator=coordinator, deputy=deputy, real_now=real_now)
            )
    outbox_settle_history(after_id=last_message, note="demo history: recorded, not delivered")
    stdout.write(
        f"emergency: {len(PLANS)} response plans ({new_plans} new), "
        f"{Incident.objects.filter(drill=False).count()} incidents and {Incident.objects.filter(drill=True).count()} "
        f"drills ({len(made)} new)"
    )
