"""Demo data of the tickets app: technicians, standby units and 90 days of service history. Idempotent.

Run by ``manage.py seed_demo`` after core's demo (users, regions, customers) and warranty's
(catalogue, units). The history is *replayed*, not written: every ticket is created and moved
through ``tickets.services`` with ``now=`` in the past, in time order across all tickets, and the SLA
sweep runs at each past minute in which a clock fell due, as Celery beat would have. Clocks, clock
events, escalations, follow-ups, surveys and outbox messages are therefore exactly what the product
would have produced. Plans are drawn from a seeded generator and counted back from the moment of
seeding, so every run shows the same mix: every status, late first responses, breaches, pauses,
quotes, parts, a standby loan, reopened tickets, answered and unanswered surveys.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from aftersales.core import clock as core_clock
from aftersales.core import roles
from aftersales.core.models import Customer, OutboxMessage, Region, SlaClock
from aftersales.core.outbox.services import outbox_settle_history
from aftersales.core.selectors import customer_list
from aftersales.core.services import customer_create
from aftersales.core.sla.sweep import sla_sweep
from devdata.demo.core import DEMO_PASSWORD
from tickets import services
from tickets.choices import Channel, FollowUpKind, Priority, Status, TicketType
from tickets.models import FollowUp, StandbyLoan, StandbyUnit, Survey, Technician, Ticket, TicketEvent
from warranty.choices import Charge, FaultCause, ProductKind
from warranty.models import ProductCategory, ProductModel, RegisteredUnit
from warranty.selectors import unit_list
from warranty.services import warranty_decide

SEED = 20260302
HISTORY_DAYS = 90
HISTORY_TICKETS = 180  # plus the showcase tickets below: 206 in all
# An internal note on the first demo ticket: its presence means the history was already loaded.
DEMO_MARKER = "演示数据：由 manage.py seed_demo 生成 (demo data loaded by seed_demo)"

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

# --- people and things ----------------------------------------------------------------------


@dataclass(frozen=True)
class TechnicianSpec:
    username: str
    display_name: str
    region: str
    skills: tuple[str, ...]  # product category codes
    scores: tuple[int, int, int]  # knowledge, skill, behaviour (pass lines 60/70/80, 004 §5.3)
    certified_days_ago: int | None


TECHNICIANS = [
    TechnicianSpec(
        "technician", "维修技师 李强", "east", ("air-conditioner", "water-purifier", "software"), (92, 88, 95), 400
    ),
    TechnicianSpec("tech_zhao", "维修技师 赵刚", "north", ("air-conditioner", "water-purifier"), (85, 91, 90), 700),
    TechnicianSpec("tech_huang", "维修技师 黄磊", "south", ("air-conditioner",), (78, 82, 88), 250),
    TechnicianSpec("tech_he", "维修工程师 何静", "west", ("water-purifier", "air-conditioner"), (88, 79, 93), 520),
    TechnicianSpec("tech_ma", "软件工程师 马俊", "east", ("software",), (95, 90, 86), 180),
    # Failed the skill line (70): may not be dispatched until re-examined (001 三(二)1).
    TechnicianSpec("trainee", "见习技师 林晓", "east", ("air-conditioner",), (71, 58, 84), None),
]

# Same-model units lent while a critical repair runs long (002 §11): (serial, model code, region).
STANDBY_UNITS = [
    ("SB-KFR35-E01", "KFR-35GW", "east"),
    ("SB-KFR35-E02", "KFR-35GW", "east"),
    ("SB-KFR35-N01", "KFR-35GW", "north"),
    ("SB-KFR35-S01", "KFR-35GW", "south"),
    ("SB-RO400-E01", "RO-400G", "east"),
    ("SB-RO400-W01", "RO-400G", "west"),
]

EXTRA_CUSTOMERS = [
    # name, phone, email, address, region, tier, language
    ("王建国", "13611110001", "wangjg@example.com", "上海市徐汇区漕溪北路 45 号", "east", "standard", "zh-hans"),
    ("陈晓红", "13611110002", "", "杭州市拱墅区莫干山路 77 号", "east", "standard", "zh-hans"),
    ("刘德明", "13611110003", "liudm@example.com", "北京市东城区东直门南大街 9 号", "north", "standard", "zh-hans"),
    ("杨秀英", "13611110004", "", "石家庄市长安区中山东路 21 号", "north", "standard", "zh-hans"),
    ("黄志强", "13611110005", "huangzq@example.net", "广州市海珠区江南大道 160 号", "south", "standard", "zh-hans"),
    ("林美玲", "13611110006", "linml@example.com", "厦门市思明区鹭江道 8 号", "south", "standard", "zh-hans"),
    ("Peter Schmidt", "13611110007", "p.schmidt@example.de", "上海市长宁区虹桥路 1 号", "east", "standard", "en"),
    ("吴婷婷", "13611110008", "wutt@example.com", "成都市武侯区科华北路 65 号", "west", "standard", "zh-hans"),
    (
        "四川蓉城物业服务有限公司",
        "02861110009",
        "service@rongcheng-pm.example",
        "成都市高新区天府大道 888 号",
        "west",
        "key_account",
        "zh-hans",
    ),
    (
        "北京华美连锁酒店",
        "01061110010",
        "eng@huamei-hotels.example",
        "北京市西城区金融街 17 号",
        "north",
        "key_account",
        "zh-hans",
    ),
    ("徐磊", "13611110011", "xulei@example.com", "南京市建邺区江东中路 98 号", "east", "standard", "zh-hans"),
    ("高峰", "13611110012", "", "天津市和平区南京路 219 号", "north", "standard", "zh-hans"),
    ("Emily Chen", "13611110013", "emily.chen@example.com", "深圳市福田区深南大道 6008 号", "south", "standard", "en"),
    ("罗军", "13611110014", "luojun@example.com", "重庆市江北区观音桥步行街 3 号", "west", "standard", "zh-hans"),
    (
        "广州天河科技园管理处",
        "02061110015",
        "facility@thtp.example",
        "广州市天河区天河软件园 2 号",
        "south",
        "key_account",
        "zh-hans",
    ),
    ("朱丽", "13611110016", "zhuli@example.com", "苏州市姑苏区人民路 1188 号", "east", "standard", "zh-hans"),
]

# Parts by product category: number, description, unit cost, carries its own serial.
PARTS = {
    "air-conditioner": [
        ("AC-CAP-35", "启动电容 35µF start capacitor", "25.00", False),
        ("AC-PCB-01", "主控板 main board", "260.00", True),
        ("AC-FAN-02", "室内风机电机 indoor fan motor", "180.00", True),
        ("AC-R32-1KG", "R32 冷媒 1 kg refrigerant", "90.00", False),
        ("AC-COMP-35", "压缩机 compressor", "980.00", True),
        ("AC-DRN-01", "排水管组件 drain hose kit", "18.00", False),
    ],
    "water-purifier": [
        ("RO-FLT-PP", "PP 棉滤芯 PP filter", "45.00", False),
        ("RO-MEM-400", "RO 膜 400G membrane", "320.00", True),
        ("RO-PUMP-24", "增压泵 booster pump", "210.00", True),
        ("RO-VLV-01", "进水电磁阀 inlet valve", "60.00", False),
    ],
}

DESCRIPTIONS = {
    (TicketType.REPAIR, "air-conditioner"): [
        "空调不制冷，室外机不启动",
        "室内机漏水，滴到地板上",
        "开机显示 E1 故障码，遥控器无反应",
        "运行时室外机噪音很大",
        "制热效果差，出风口温度低",
        "空调频繁自动停机",
    ],
    (TicketType.REPAIR, "water-purifier"): [
        "净水器出水量很小",
        "制水不停机，机器底部漏水",
        "TDS 值偏高，水有异味",
        "增压泵响声大，不出水",
    ],
    (TicketType.REPAIR, "software"): [
        "系统登录后报 500 错误",
        "月度报表导出失败",
        "工单列表加载很慢，经常超时",
        "短信通知发不出去",
    ],
    (TicketType.REPAIR, ""): ["设备无法开机", "使用中突然断电，之后无法启动"],
    (TicketType.INSTALLATION, "air-conditioner"): ["新购空调预约安装，需要墙面打孔", "空调移机并重新安装"],
    (TicketType.INSTALLATION, "water-purifier"): ["净水器安装到厨房水槽下", "新房净水器安装，需要加装龙头"],
    (TicketType.INSTALLATION, "software"): ["软件部署到新服务器并迁移数据", "新增分支机构，安装客户端"],
    (TicketType.INSTALLATION, ""): ["预约上门安装"],
    (TicketType.MAINTENANCE, "air-conditioner"): ["年度保养：清洗过滤网和冷凝器", "入夏前检查冷媒压力"],
    (TicketType.MAINTENANCE, "water-purifier"): ["滤芯定期更换上门服务", "半年保养：消毒和水质检测"],
    (TicketType.MAINTENANCE, "software"): ["季度巡检：备份与性能检查"],
    (TicketType.MAINTENANCE, ""): ["预约定期保养"],
    (TicketType.RETURN_EXCHANGE, "air-conditioner"): ["收货后发现外壳破损，申请换货", "开机即故障，申请换新机"],
    (TicketType.RETURN_EXCHANGE, "water-purifier"): ["七天无理由退货", "型号发错，申请换货"],
    (TicketType.RETURN_EXCHANGE, "software"): ["许可证版本购买错误，申请更换"],
    (TicketType.RETURN_EXCHANGE, ""): ["收到的商品与描述不符，申请退货"],
    (TicketType.CONSULTATION, ""): [
        "咨询保修期和延保价格",
        "询问滤芯更换周期",
        "咨询空调清洗保养服务收费标准",
        "发票丢失还能保修吗",
        "想了解以旧换新活动",
        "询问软件新版本的功能",
    ],
}

DIAGNOSES = {
    "air-conditioner": ["启动电容失效", "主控板继电器粘连", "冷媒泄漏，压力偏低", "排水管堵塞", "风机电机轴承磨损"],
    "water-purifier": ["PP 滤芯堵塞", "RO 膜寿命到期", "进水电磁阀关不严", "增压泵损坏"],
    "software": ["数据库连接池耗尽", "导出模板与新版本不兼容", "短信网关证书过期"],
    "": ["现场检查确认故障"],
}
RESOLUTIONS = {
    "air-conditioner": [
        "更换配件后试机正常，制冷温差 10℃",
        "清理排水管，试运行 30 分钟无漏水",
        "补充冷媒，压力恢复正常",
    ],
    "water-purifier": ["更换滤芯并冲洗，出水 TDS 正常", "更换电磁阀，停机正常无渗漏", "更换增压泵，出水量恢复"],
    "software": [
        "调整连接池参数并重启服务，验证通过",
        "升级导出模板，客户验证导出正常",
        "更新网关证书，测试短信发送成功",
    ],
    "": ["处理完毕，功能测试通过"],
}
CONSULTATION_ANSWERS = ["已电话解答并发送保修政策说明", "已告知更换周期并预约提醒", "已发送收费标准和活动链接"]
CANCEL_NOTES = ["客户重复报修，与已有工单合并", "客户表示问题已自行解决", "客户改期，稍后重新报修"]
DECLINE_NOTES = ["客户认为维修费用过高", "客户决定购买新机"]
REOPEN_NOTES = ["同样的故障又出现了", "修好后第二天又漏水", "问题没有彻底解决"]
SURVEY_COMMENTS = {
    5: ["技师很专业，非常满意", "响应快，服务好", ""],
    4: ["整体满意，预约时间可以再灵活些", ""],
    3: ["等配件时间太长", "一般"],
    2: ["技师迟到了两个小时", "修了两次才好"],
    1: ["等了很多天没人处理，非常失望", "态度差，问题没解决"],
}
BREACH_EXPLANATIONS = [
    ("配件缺货，等待厂家发货", "建立常用配件安全库存，并向客户致歉"),
    ("当日技师排班已满", "调整排班，高峰期增加机动技师"),
    ("夜间来电，值班人员不足", "增加夜间值班坐席"),
    ("客户地址偏远，路途耗时", "与当地服务网点签订协作协议"),
]


def _ensure_user(username: str, display_name: str, group: Group, password_hash: str):
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.password = password_hash
        first, _, last = display_name.partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
        user.email = f"{username}@aftersales.invalid"
        user.is_staff = True
        user.save()
    user.groups.add(group)
    return user


def _ensure_technicians(today: date) -> dict[str, Technician]:
    """Dispatch profiles (no service writes them yet: they are admin data)."""
    group = Group.objects.get(name=roles.TECHNICIAN)
    categories = {category.code: category for category in ProductCategory.objects.all()}
    regions = {region.code: region for region in Region.objects.all()}
    profiles = {}
    existing = set(
        get_user_model()
        .objects.filter(username__in=[spec.username for spec in TECHNICIANS])
        .values_list("username", flat=True)
    )
    # One hash for all new users: hashing is slow on purpose (≈0.3 s) and the demo password is public.
    password_hash = make_password(DEMO_PASSWORD) if len(existing) < len(TECHNICIANS) else ""
    for spec in TECHNICIANS:
        user = _ensure_user(spec.username, spec.display_name, group, password_hash)
        knowledge, skill, behaviour = spec.scores
        profile, created = Technician.objects.get_or_create(
            user=user,
            defaults={
                "region": regions.get(spec.region),
                "knowledge_score": knowledge,
                "skill_score": skill,
                "behaviour_score": behaviour,
                "certified_on": today - timedelta(days=spec.certified_days_ago) if spec.certified_days_ago else None,
            },
        )
        if created:
            profile.skills.add(*[categories[code] for code in spec.skills if code in categories])
        profiles[spec.username] = profile
    return profiles


def _ensure_standby_units() -> int:
    models = {model.code: model for model in ProductModel.objects.filter(code__in={m for _, m, _ in STANDBY_UNITS})}
    regions = {region.code: region for region in Region.objects.all()}
    created = 0
    for serial, model_code, region in STANDBY_UNITS:
        if model_code in models:
            _, new = StandbyUnit.objects.get_or_create(
                serial=serial, defaults={"product_model": models[model_code], "region": regions.get(region)}
            )
            created += new
    return created


def _ensure_customers() -> list[Customer]:
    regions = {region.code: region for region in Region.objects.all()}
    for name, phone, email, address, region, tier, language in EXTRA_CUSTOMERS:
        if not Customer.objects.filter(phone=phone).exists():
            customer_create(
                name=name,
                phone=phone,
                email=email,
                address=address,
                region=regions.get(region),
                tier=tier,
                language=language,
            )
    return list(customer_list().order_by("pk"))


# --- plans ----------------------------------------------------------------------------------


@dataclass
class Step:
    offset: timedelta  # wall time after the ticket's creation
    kind: str  # transition | rate | part | lend | return_loan
    action: str = ""
    role: str = ""  # agent | supervisor | technician | customer
    data: dict = field(default_factory=dict)
    status: str = ""  # the ticket's status after this step
    appointment: timedelta | None = None  # dispatch: the visit agreed with the customer


@dataclass
class Plan:
    """One ticket's life: what it is and what happens to it, relative to its creation."""

    ticket_type: str
    priority: str
    channel: str
    customer: Customer
    unit: RegisteredUnit | None
    category: str
    description: str
    technician: str
    steps: list[Step] = field(default_factory=list)
    created_at: datetime | None = None


@dataclass
class Options:
    """The twists of one plan; the showcase tickets force some of them."""

    late_response: bool = False
    late_on_site: bool = False
    late_resolution: bool = False
    cancel: str = ""  # "" | "new" | "acknowledged"
    wait_customer_early: bool = False
    quote: str = ""  # "" | "approve" | "decline"
    quote_cause: str = ""
    parts_early: bool = False
    parts_late: bool = False
    wait_customer_late: bool = False
    lend: bool = False
    survey: str = "customer"  # customer | agent (after the 7-day window, by phone) | none
    score: int = 5
    confirm: bool = True
    close: bool = True
    reopen: bool = False
    stop_at: str = ""  # stop after the first step that reaches this status
    stop_after_cycle2: str = ""  # for reopened tickets: stop after this action of the second cycle


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


TYPE_WEIGHTS = {
    TicketType.REPAIR: 50,
    TicketType.CONSULTATION: 15,
    TicketType.INSTALLATION: 13,
    TicketType.MAINTENANCE: 10,
    TicketType.RETURN_EXCHANGE: 12,
}
PRIORITY_WEIGHTS = {
    TicketType.REPAIR: {Priority.CRITICAL: 7, Priority.HIGH: 23, Priority.NORMAL: 55, Priority.LOW: 15},
    TicketType.CONSULTATION: {Priority.CRITICAL: 2, Priority.HIGH: 10, Priority.NORMAL: 58, Priority.LOW: 30},
    TicketType.INSTALLATION: {Priority.CRITICAL: 3, Priority.HIGH: 20, Priority.NORMAL: 60, Priority.LOW: 17},
    TicketType.MAINTENANCE: {Priority.CRITICAL: 2, Priority.HIGH: 10, Priority.NORMAL: 50, Priority.LOW: 38},
    TicketType.RETURN_EXCHANGE: {Priority.CRITICAL: 2, Priority.HIGH: 20, Priority.NORMAL: 63, Priority.LOW: 15},
}
CHANNEL_WEIGHTS = {
    Channel.PHONE: 35,
    Channel.WEB: 18,
    Channel.APP: 10,
    Channel.WECHAT: 17,
    Channel.EMAIL: 5,
    Channel.LETTER: 2,
    Channel.WALK_IN: 8,
    Channel.THIRD_PARTY: 5,
}
# Requests arrive mostly in the day and evening (local time).
HOUR_WEIGHTS = {
    hour: weight
    for hours, weight in [
        (range(0, 7), 1),
        (range(7, 9), 4),
        (range(9, 12), 10),
        (range(12, 14), 7),
        (range(14, 18), 10),
        (range(18, 21), 6),
        (range(21, 24), 3),
    ]
    for hour in hours
}
# CSAT 1–5 around the 4.5 target (000 P1§2.2), lower when the promise was broken.
SCORES_ON_TIME = {5: 70, 4: 22, 3: 4, 2: 3, 1: 1}
SCORES_LATE = {5: 30, 4: 32, 3: 18, 2: 12, 1: 8}
QUOTE_CAUSES = [FaultCause.LIQUID, FaultCause.ABNORMAL_USE, FaultCause.HUMAN_DAMAGE, FaultCause.NORMAL_WEAR]
COVERED_CAUSES = {FaultCause.QUALITY_DEFECT: 90, FaultCause.DESIGN_DEFECT: 10}


def _options(rng: random.Random, ticket_type: str, priority: str, has_hardware_unit: bool) -> Options:
    options = Options(
        late_response=rng.random() < 0.09,
        late_on_site=rng.random() < (0.5 if priority == Priority.CRITICAL and has_hardware_unit else 0.12),
        late_resolution=rng.random() < 0.12,
        wait_customer_early=rng.random() < 0.06,
        parts_early=rng.random() < 0.07,
        parts_late=rng.random() < 0.09,
        wait_customer_late=rng.random() < 0.05,
        survey=_weighted(rng, {"customer": 82, "agent": 8, "none": 10}),
        confirm=rng.random() < 0.55,
        close=rng.random() < 0.96,
    )
    cancel = rng.random()
    options.cancel = "new" if cancel < 0.015 else "acknowledged" if cancel < 0.045 else ""
    late = options.late_response or options.late_resolution or options.late_on_site
    options.score = _weighted(rng, SCORES_LATE if late else SCORES_ON_TIME)
    options.reopen = options.close and rng.random() < (0.35 if options.score <= 2 else 0.03)
    options.lend = priority == Priority.CRITICAL and options.late_on_site and has_hardware_unit
    return options


class Planner:
    """Builds plans; every random draw comes from the generator handed in, nothing from the clock."""

    def __init__(self, *, customers, units, technicians, policies):
        self.customers = customers
        self.units = units
        self.technicians = technicians  # certified profiles only
        self.policies = policies  # (type, priority, tier) → (first response, on site, resolution)

    @staticmethod
    def quote_needed(unit: RegisteredUnit, created_at: datetime, cause: str) -> bool:
        """Would the diagnosis leave something to pay (REQUIREMENTS §2: quote first)?

        Decided for the local and the UTC date of the request: the diagnosis uses one of them (see the
        report on ``prepare_diagnose``), and a quote for free work is refused.
        """
        for day in {timezone.localdate(created_at), created_at.astimezone(UTC).date()}:
            charges = warranty_decide(unit=unit, on_date=day, fault_cause=cause).entitlement.as_dict()["charges"]
            if all(charges[item] == Charge.FREE for item in ("parts", "labour", "travel")):
                return False
        return True

    def maybe_quote(self, rng: random.Random, options: Options, unit: RegisteredUnit, created_at: datetime) -> None:
        cause = rng.choice(QUOTE_CAUSES) if rng.random() < 0.12 else FaultCause.QUALITY_DEFECT
        if self.quote_needed(unit, created_at, cause):
            options.quote = "decline" if rng.random() < 0.15 else "approve"
            options.quote_cause = str(cause)
            options.lend = False

    def technician_for(self, rng: random.Random, customer: Customer, category: str) -> str:
        """Someone skilled for the product, from the customer's region when possible (dispatch rule)."""
        skilled = [profile for profile in self.technicians if category in profile.skill_codes] or self.technicians
        local = [profile for profile in skilled if profile.region_id == customer.region_id]
        return rng.choice(local or skilled).user.username

    def ticket(
        self,
        rng: random.Random,
        *,
        created_at: datetime,
        ticket_type: str | None = None,
        priority: str | None = None,
        options: Options | None = None,
        unit_model: str | None = None,
    ) -> Plan:
        ticket_type = ticket_type or _weighted(rng, TYPE_WEIGHTS)
        priority = priority or _weighted(rng, PRIORITY_WEIGHTS[ticket_type])
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        unit = None
        if unit_model or (ticket_type != TicketType.CONSULTATION and rng.random() < 0.9):
            candidates = [
                unit
                for unit in self.units
                if unit.purchase_date <= timezone.localdate(created_at) - timedelta(days=2)
                and (not unit_model or unit.product_model.code == unit_model)
                and (ticket_type != TicketType.RETURN_EXCHANGE or unit.product_model.kind == ProductKind.HARDWARE)
            ]
            # Most requests concern units still in their first years (and so mostly in warranty).
            day = timezone.localdate(created_at)
            weights = [3 if (day - unit.purchase_date).days < 400 else 1 for unit in candidates]
            unit = rng.choices(candidates, weights=weights)[0] if candidates else None
        customer = unit.customer if unit and unit.customer_id else rng.choice(self.customers)
        category = unit.product_model.category.code if unit else ""
        description = rng.choice(DESCRIPTIONS.get((ticket_type, category)) or DESCRIPTIONS[(ticket_type, "")])
        hardware = bool(unit and unit.product_model.kind == ProductKind.HARDWARE)
        if options is None:
            options = _options(rng, ticket_type, priority, hardware)
            if unit and ticket_type in (TicketType.REPAIR, TicketType.MAINTENANCE):
                self.maybe_quote(rng, options, unit, created_at)
        elif unit is None:
            options.quote, options.lend = "", False  # no registered unit: nothing to quote or swap
        elif options.quote and not self.quote_needed(unit, created_at, options.quote_cause):
            options.quote = ""
        plan = Plan(
            ticket_type=ticket_type,
            priority=priority,
            channel=channel,
            customer=customer,
            unit=unit,
            category=category,
            description=description,
            technician=self.technician_for(rng, customer, category or "air-conditioner"),
            created_at=created_at,
        )
        plan.steps = _Lifecycle(rng, plan, options, self.policies).steps()
        return plan


class _Lifecycle:
    """One ticket's steps. Clock-relevant moments are placed in *running* time; pauses add wall time."""

    def __init__(self, rng: random.Random, plan: Plan, options: Options, policies):
        self.rng, self.plan, self.options = rng, plan, options
        tier = plan.customer.tier
        targets = (
            policies.get((plan.ticket_type, plan.priority, tier)) or policies[(plan.ticket_type, plan.priority, "")]
        )
        self.first_response, self.on_site, self.resolution = targets
        self.paused = timedelta(0)
        self.steps_: list[Step] = []
        self.status = Status.NEW
        self.stopped = False

    # --- helpers ---
    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def add(self, running: timedelta, kind: str, action: str = "", role: str = "", data=None, status=None):
        if self.stopped:
            return
        offset = running + self.paused
        if self.steps_ and offset <= self.steps_[-1].offset:
            offset = self.steps_[-1].offset + self.minutes(1, 5)
        self.status = status or self.status
        self.steps_.append(Step(offset, kind, action, role, data or {}, self.status))
        if self.options.stop_at and self.status == self.options.stop_at:
            self.stopped = True

    def add_wall(self, offset: timedelta, kind: str, action: str = "", role: str = "", data=None, status=None):
        self.add(offset - self.paused, kind, action, role, data, status)

    def pause(
        self,
        running: timedelta,
        action: str,
        role: str,
        paused_status: str,
        resume_action: str,
        resume_role,
        length: timedelta,
        data=None,
    ) -> None:
        before = self.status
        self.add(running, "transition", action, role, data or {"note": _PAUSE_NOTES[action]}, paused_status)
        self.paused += length
        self.add(running + MINUTE, "transition", resume_action, resume_role, {}, before)

    # --- the life ---
    def steps(self) -> list[Step]:
        rng, options = self.rng, self.options
        if options.stop_at == Status.NEW:
            return []
        late = options.late_response
        ack = self.first_response * (rng.uniform(1.05, 1.9) if late else rng.uniform(0.03, 0.45))
        ack = max(ack, 2 * MINUTE)
        if options.cancel == "new":
            self.add(ack * 0.5, "transition", "cancel", "agent", {"note": rng.choice(CANCEL_NOTES)}, Status.CANCELLED)
            return self.steps_
        self.add(ack, "transition", "acknowledge", "agent", {}, Status.ACKNOWLEDGED)
        if options.cancel == "acknowledged":
            note = {"note": rng.choice(CANCEL_NOTES)}
            self.add(ack + self.minutes(20, 1200), "transition", "cancel", "agent", note, Status.CANCELLED)
            return self.steps_
        factor = rng.uniform(1.05, 1.6) if options.late_resolution else rng.uniform(0.15, 0.75)
        budget = max(self.resolution * factor, ack + 3 * HOUR)
        cursor = ack + self.minutes(5, 60)
        if options.wait_customer_early:
            self.pause(
                cursor,
                "wait_customer",
                "agent",
                Status.AWAITING_CUSTOMER,
                "resume",
                "customer",
                self.minutes(240, 4000),
            )
            cursor += 2 * MINUTE
        if self.plan.ticket_type == TicketType.CONSULTATION:
            answer = {"resolution": rng.choice(CONSULTATION_ANSWERS)}
            # Agents may not resolve (no work permission): the supervisor answers consultations.
            self.add(max(budget, cursor + 10 * MINUTE), "transition", "resolve", "supervisor", answer, Status.RESOLVED)
            return self.after_resolution(cycle=1)
        cursor = self.repair(cursor, budget)
        if cursor is None:
            return self.steps_
        return self.after_resolution(cycle=1)

    def repair(self, cursor: timedelta, budget: timedelta, *, cycle: int = 1) -> timedelta | None:
        rng, options, plan = self.rng, self.options, self.plan
        category = plan.category
        diagnose_at = cursor + min(self.minutes(5, 180), (budget - cursor) * 0.15)
        cause, component = self.fault(cycle)
        data = {"diagnosis": rng.choice(DIAGNOSES.get(category) or DIAGNOSES[""]), "fault_cause": cause}
        if component:
            data["component"] = component
        self.add(diagnose_at, "transition", "diagnose", "technician", data, Status.DIAGNOSING)
        cursor = diagnose_at + self.minutes(10, 90)
        if cycle == 1 and options.quote:
            quote = {"parts": self.quote_parts(), "labour_hours": rng.choice(["1.0", "1.5", "2.0"])}
            self.add(cursor, "transition", "request_quote", "agent", quote, Status.AWAITING_QUOTE)
            self.paused += self.minutes(120, 4000)
            if options.quote == "decline":
                note = {"note": rng.choice(DECLINE_NOTES)}
                self.add(cursor + MINUTE, "transition", "decline_quote", "customer", note, Status.CANCELLED)
                return None
            self.add(cursor + MINUTE, "transition", "approve_quote", "customer", {}, Status.DIAGNOSING)
            cursor += 5 * MINUTE
        if cycle == 1 and options.parts_early:
            self.pause(
                cursor,
                "wait_parts",
                "technician",
                Status.AWAITING_PARTS,
                "parts_arrived",
                "technician",
                self.minutes(24 * 60, 6 * 24 * 60),
            )
            cursor += 5 * MINUTE
        start = self.start_time(cursor, budget, cycle)
        dispatch = {"technician": plan.technician}
        self.add(cursor + self.minutes(5, 30), "transition", "dispatch", "supervisor", dispatch, Status.DISPATCHED)
        if not self.stopped:
            self.steps_[-1].appointment = start + self.paused  # made when dispatching: the planned visit
        if cycle == 1 and options.lend and self.on_site:
            # The on-site breach asks for a standby unit (002 §11); the supervisor lends one soon after.
            lend_at = self.on_site + min(self.minutes(15, 60), (start - self.on_site) / 2)
            self.add(lend_at, "lend", role="supervisor")
        self.add(start, "transition", "start_work", "technician", {}, Status.IN_PROGRESS)
        cursor = start + self.minutes(15, 90)
        if category in PARTS and rng.random() < 0.6:
            for number, description, cost, has_serial in rng.sample(PARTS[category], rng.choice([1, 1, 2])):
                serial = f"{number}-{rng.randrange(10**6):06d}" if has_serial else ""
                part = {"part_number": number, "description": description, "unit_cost": cost, "serial": serial}
                self.add(cursor, "part", role="technician", data={**part, "quantity": 1 if has_serial else 2})
                cursor += MINUTE
        if cycle == 1 and options.parts_late:
            self.pause(
                cursor,
                "wait_parts",
                "technician",
                Status.AWAITING_PARTS,
                "parts_arrived",
                "technician",
                self.minutes(12 * 60, 5 * 24 * 60),
            )
            cursor += 5 * MINUTE
        if cycle == 1 and options.wait_customer_late:
            self.pause(
                cursor,
                "wait_customer",
                "agent",
                Status.AWAITING_CUSTOMER,
                "resume",
                "customer",
                self.minutes(120, 3000),
            )
            cursor += 5 * MINUTE
        if options.stop_after_cycle2 == "start_work" and cycle == 2:
            self.stopped = True
        resolution = {
            "resolution": rng.choice(RESOLUTIONS.get(category) or RESOLUTIONS[""]),
            "functional_test": "passed",
        }
        resolve_at = max(budget, cursor + self.minutes(30, 180))
        self.add(resolve_at, "transition", "resolve", "technician", resolution, Status.RESOLVED)
        if cycle == 1 and options.lend:
            self.add(resolve_at + self.minutes(60, 600), "return_loan", role="supervisor")
        return cursor

    def start_time(self, cursor: timedelta, budget: timedelta, cycle: int) -> timedelta:
        rng = self.rng
        if self.on_site and cycle == 1:
            factor = rng.uniform(1.05, 1.5) if self.options.late_on_site else rng.uniform(0.15, 0.7)
            start = self.on_site * factor
        else:
            start = cursor + (budget - cursor) * rng.uniform(0.2, 0.6)
        earliest = cursor + 40 * MINUTE
        return max(start, earliest)

    def fault(self, cycle: int) -> tuple[str, str]:
        rng, plan = self.rng, self.plan
        if self.options.quote and cycle == 1:
            return self.options.quote_cause, ""
        cause = _weighted(rng, COVERED_CAUSES)
        component = ""
        if plan.unit and plan.category == "air-conditioner" and rng.random() < 0.2:
            component = "compressor"
        return str(cause), component

    def quote_parts(self) -> list[dict]:
        parts = PARTS.get(self.plan.category)
        if not parts:
            return []
        number, description, cost, _ = self.rng.choice(parts)
        return [{"part_number": number, "description": description, "quantity": 1, "unit_price": cost}]

    def after_resolution(self, *, cycle: int) -> list[Step]:
        rng, options = self.rng, self.options
        if self.stopped:
            return self.steps_
        resolved = next(step.offset for step in reversed(self.steps_) if step.action == "resolve")
        later = []
        rate_at = None
        if options.survey == "customer":
            rate_at = resolved + self.minutes(60, 3 * 24 * 60)
        elif options.survey == "agent":
            rate_at = resolved + 7 * DAY + self.minutes(120, 2 * 24 * 60)
        if rate_at is not None:
            score = options.score if cycle == 1 else _weighted(rng, SCORES_ON_TIME)
            comment = rng.choice(SURVEY_COMMENTS[score])
            later.append(
                (
                    rate_at,
                    "rate",
                    "",
                    "agent" if options.survey == "agent" else "customer",
                    {"score": score, "comment": comment},
                )
            )
        close_at = resolved + self.minutes(2 * 24 * 60, 8 * 24 * 60)
        if rate_at is not None:
            close_at = max(close_at, rate_at + self.minutes(30, 600))
        if options.confirm:
            confirm_at = resolved + self.minutes(30, 2 * 24 * 60)
            if confirm_at < close_at:
                later.append((confirm_at, "transition", "confirm", "customer", {}))
        if options.close:
            later.append((close_at, "transition", "close", "agent", {"note": "回访完成，关闭工单"}))
        later.sort(key=lambda item: item[0])
        for offset, kind, action, role, data in later:
            status = {"confirm": Status.CONFIRMED, "close": Status.CLOSED}.get(action)
            self.add_wall(offset, kind, action, role, data, status)
        if options.reopen and cycle == 1 and options.close and not self.stopped:
            reopen_at = self.steps_[-1].offset + self.minutes(24 * 60, 10 * 24 * 60)
            reopen_at = min(reopen_at, resolved + 29 * DAY)
            if reopen_at > self.steps_[-1].offset:
                note = {"note": rng.choice(REOPEN_NOTES)}
                self.add_wall(reopen_at, "transition", "reopen", "customer", note, Status.ACKNOWLEDGED)
                running = reopen_at - self.paused
                budget = running + self.resolution * rng.uniform(0.15, 0.6)
                if self.plan.ticket_type == TicketType.CONSULTATION:
                    answer = {"resolution": rng.choice(CONSULTATION_ANSWERS)}
                    self.add(budget, "transition", "resolve", "supervisor", answer, Status.RESOLVED)
                elif self.repair(running + self.minutes(30, 240), budget, cycle=2) is None:
                    return self.steps_
                return self.after_resolution(cycle=2)
        return self.steps_


_PAUSE_NOTES = {
    "wait_customer": "等待客户补充照片和购买凭证",
    "wait_parts": "配件缺货，已向总部订货",
}

# --- replay ---------------------------------------------------------------------------------


class _SimulatedClock:
    """The one clock of the product (``aftersales.core.clock.now``), held at the replayed moment.

    Services are given ``now=`` explicitly; this also dates what they stamp from the clock on
    their own (entitlement decisions, quotes, outbox rows), so the history is consistent. DESIGN-SLA
    makes that function the single source of time precisely so that tools can control it.
    """

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


class Replay:
    """Replays the plans in time order through the services, sweeping at each beat something fell due."""

    def __init__(self, *, users: dict, real_now: datetime):
        self.users = users
        self.real_now = real_now
        self.tickets: dict[int, Ticket] = {}
        self.sweeps = 0
        self.warnings = 0
        self.breaches = 0
        self.clock = _SimulatedClock(real_now)

    def sweep_until(self, moment: datetime) -> None:
        """Run the sweep at each beat minute in which a clock fell due before ``moment``."""
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

    def actor(self, role: str, plan: Plan):
        if role == "customer":
            return None
        if role == "technician":
            return self.users[plan.technician]
        return self.users[role]

    def run(self, index: int, plan: Plan, step: Step, at: datetime) -> None:
        ticket = self.tickets[index]
        actor = self.actor(step.role, plan)
        if step.kind == "transition":
            data = step.data
            if step.appointment is not None:
                data = {**data, "appointment_at": timezone.localtime(plan.created_at + step.appointment).isoformat()}
            self.tickets[index] = services.ticket_transition(
                ticket=ticket,
                action=step.action,
                actor=actor,
                by_customer=step.role == "customer",
                data=data,
                now=at,
            )
        elif step.kind == "rate":
            services.survey_answer(
                ticket=ticket, score=step.data["score"], comment=step.data["comment"], agent=actor, now=at
            )
        elif step.kind == "part":
            services.part_record(
                ticket=ticket,
                actor=actor,
                part_number=step.data["part_number"],
                description=step.data["description"],
                quantity=step.data["quantity"],
                unit_cost=Decimal(step.data["unit_cost"]),
                replacement_serial=step.data["serial"],
                now=at,
            )
        elif step.kind == "lend":
            available = StandbyUnit.objects.filter(product_model_id=plan.unit.product_model_id, is_available=True)
            # One from the customer's region if there is one (002 §11: kept per region); none free, no loan.
            candidates = sorted(available, key=lambda unit: (unit.region_id != plan.customer.region_id, unit.serial))
            if candidates:
                services.standby_lend(ticket=ticket, standby_unit=candidates[0], actor=actor, now=at)
        elif step.kind == "return_loan":
            for loan in StandbyLoan.objects.filter(ticket=ticket, returned_at__isnull=True):
                services.standby_return(loan=loan, actor=actor, now=at)

    def create(self, index: int, plan: Plan) -> None:
        staff_channel = plan.channel not in (Channel.WEB, Channel.APP)
        created = services.ticket_create(
            customer=plan.customer,
            ticket_type=plan.ticket_type,
            description=plan.description,
            channel=plan.channel,
            priority=plan.priority,
            unit=plan.unit,
            actor=self.users["agent"] if staff_channel else None,
            now=plan.created_at,
        )
        self.tickets[index] = created.ticket

    def replay(self, plans: list[Plan]) -> None:
        queue = []
        for index, plan in enumerate(plans):
            queue.append((plan.created_at, index, -1))
            for number, step in enumerate(plan.steps):
                at = plan.created_at + step.offset
                if at <= self.real_now:
                    queue.append((at, index, number))
        heapq.heapify(queue)
        with self.clock.installed():
            while queue:
                at, index, number = heapq.heappop(queue)
                self.sweep_until(at)
                self.clock.now = at
                if number < 0:
                    self.create(index, plans[index])
                    if index == 0:
                        services.ticket_staff_note(
                            ticket=self.tickets[0], body=DEMO_MARKER, actor=self.users["admin"], now=at
                        )
                else:
                    self.run(index, plans[index], plans[index].steps[number], at)
            self.sweep_until(self.real_now)
            self.clock.now = self.real_now
            result = sla_sweep(now=self.real_now)
            self.warnings += result.warnings
            self.breaches += result.breaches
            self.settle_follow_ups(random.Random(SEED + 1))  # noqa: S311 - demo data

    def settle_follow_ups(self, rng: random.Random) -> None:
        """Staff worked off most follow-ups older than two days: explanations, apologies, calls."""
        open_tasks = FollowUp.objects.filter(
            done_at__isnull=True, ticket__in=[ticket.pk for ticket in self.tickets.values()]
        ).select_related("ticket__assignee")
        for follow_up in open_tasks.order_by("pk"):
            called = None
            if follow_up.kind == FollowUpKind.RETURN_VISIT:
                # The agent's call is the return visit: done when the customer's score was recorded.
                called = Survey.objects.filter(
                    ticket_id=follow_up.ticket_id,
                    answered_by_agent__isnull=False,
                    answered_at__gte=follow_up.created_at,
                ).first()
            if not called and (follow_up.created_at > self.real_now - 2 * DAY or rng.random() < 0.12):
                continue
            done_at = min(follow_up.created_at + timedelta(minutes=rng.uniform(60, 36 * 60)), self.real_now)
            actor = self.users["supervisor"]
            if follow_up.kind == FollowUpKind.BREACH_REPORT:
                explanation, remedy = rng.choice(BREACH_EXPLANATIONS)
                kwargs = {"explanation": explanation, "remedy": remedy}
                actor = follow_up.ticket.assignee or self.users["agent"]
            elif follow_up.kind == FollowUpKind.LOW_SCORE:
                kwargs = {"note": "主管电话回访致歉，已安排复查"}
            elif follow_up.kind == FollowUpKind.RETURN_VISIT:
                kwargs = {"note": "电话回访完成"}
                actor = self.users["agent"]
                done_at = called.answered_at if called else done_at
            else:
                kwargs = {"note": "客户同意等待维修，无需备用机"}
            self.clock.now = done_at
            services.follow_up_complete(follow_up=follow_up, actor=actor, now=done_at, **kwargs)


# --- the plan of the whole history ----------------------------------------------------------


def _created_at(rng: random.Random, real_now: datetime, days_ago: float) -> datetime:
    local_day = timezone.localtime(real_now - timedelta(days=days_ago)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    hour = _weighted(rng, HOUR_WEIGHTS)
    moment = local_day + timedelta(hours=hour, minutes=rng.uniform(0, 60))
    if moment > real_now - 30 * MINUTE:
        moment -= DAY
    return moment


# Showcase tickets: every status is on screen, whatever the generator drew for the history.
# (status to stop at, type, priority, options overrides, unit model, how long ago the last step happened)
SHOWCASE = [
    (Status.NEW, TicketType.REPAIR, Priority.CRITICAL, {}, "KFR-35GW", 50 * MINUTE),
    (Status.NEW, TicketType.CONSULTATION, Priority.NORMAL, {}, None, 3 * HOUR),
    (Status.ACKNOWLEDGED, TicketType.INSTALLATION, Priority.NORMAL, {}, "RO-400G", 2 * HOUR),
    (Status.ACKNOWLEDGED, TicketType.REPAIR, Priority.HIGH, {}, "KFR-35GW", 20 * MINUTE),
    (Status.DIAGNOSING, TicketType.REPAIR, Priority.NORMAL, {}, "RO-400G", 5 * HOUR),
    (Status.DIAGNOSING, TicketType.MAINTENANCE, Priority.LOW, {}, "KFR-35GW", 1 * DAY),
    (Status.AWAITING_QUOTE, TicketType.REPAIR, Priority.NORMAL, {"quote": "approve"}, "KFR-35GW", 1 * DAY),
    (Status.AWAITING_QUOTE, TicketType.REPAIR, Priority.HIGH, {"quote": "approve"}, "RO-400G", 3 * HOUR),
    (Status.AWAITING_PARTS, TicketType.REPAIR, Priority.NORMAL, {"parts_late": True}, "KFR-35GW", 12 * DAY),
    (Status.AWAITING_PARTS, TicketType.REPAIR, Priority.HIGH, {"parts_early": True}, "RO-400G", 2 * DAY),
    (Status.AWAITING_CUSTOMER, TicketType.CONSULTATION, Priority.NORMAL, {"wait_customer_early": True}, None, DAY),
    (Status.AWAITING_CUSTOMER, TicketType.REPAIR, Priority.NORMAL, {"wait_customer_late": True}, "KFR-35GW", 6 * HOUR),
    (Status.DISPATCHED, TicketType.REPAIR, Priority.NORMAL, {}, "KFR-35GW", 4 * HOUR),
    (Status.DISPATCHED, TicketType.INSTALLATION, Priority.HIGH, {}, "KFR-35GW", 2 * HOUR),
    # Critical repair not restored in 4 h: on-site breach, a standby unit still with the customer.
    (
        Status.IN_PROGRESS,
        TicketType.REPAIR,
        Priority.CRITICAL,
        {"late_on_site": True, "lend": True},
        "KFR-35GW",
        2 * HOUR,
    ),
    (Status.IN_PROGRESS, TicketType.MAINTENANCE, Priority.NORMAL, {}, "RO-400G", 3 * HOUR),
    # Stale: on site for days, resolution breached and escalated.
    (Status.IN_PROGRESS, TicketType.REPAIR, Priority.NORMAL, {"late_resolution": True}, "KFR-35GW", 6 * DAY),
    (Status.RESOLVED, TicketType.REPAIR, Priority.HIGH, {"survey": "none", "confirm": False}, "KFR-35GW", 5 * HOUR),
    (Status.RESOLVED, TicketType.CONSULTATION, Priority.LOW, {"survey": "none", "confirm": False}, None, DAY),
    (Status.CONFIRMED, TicketType.REPAIR, Priority.NORMAL, {"confirm": True}, "RO-400G", 10 * HOUR),
    (Status.CONFIRMED, TicketType.INSTALLATION, Priority.NORMAL, {"confirm": True}, "KFR-35GW", 2 * DAY),
    (Status.CANCELLED, TicketType.REPAIR, Priority.NORMAL, {"cancel": "acknowledged"}, None, 3 * DAY),
    (Status.CANCELLED, TicketType.REPAIR, Priority.NORMAL, {"quote": "decline"}, "RO-400G", 6 * DAY),
    (Status.CLOSED, TicketType.RETURN_EXCHANGE, Priority.HIGH, {}, "RO-400G", 4 * DAY),
    # Reopened after a low score, being repaired again (a second resolution cycle).
    (
        Status.IN_PROGRESS,
        TicketType.REPAIR,
        Priority.HIGH,
        {"reopen": True, "score": 2, "survey": "customer", "stop_after_cycle2": "start_work"},
        "KFR-35GW",
        5 * HOUR,
    ),
    (
        Status.CLOSED,
        TicketType.REPAIR,
        Priority.NORMAL,
        {"reopen": True, "score": 1, "survey": "customer"},
        "RO-400G",
        3 * DAY,
    ),
]


def _showcase_options(rng: random.Random, stop_at: str, overrides: dict) -> Options:
    options = Options(score=_weighted(rng, SCORES_ON_TIME), survey="customer", confirm=False, close=True)
    for name, value in overrides.items():
        setattr(options, name, value)
    if stop_at not in (Status.CLOSED, Status.CANCELLED) and not options.reopen:
        options.stop_at = stop_at
    if stop_at == Status.CONFIRMED:
        options.close = False
    if options.quote:
        options.quote_cause = FaultCause.LIQUID  # in warranty, parts at cost (002 §4.6): a quote is needed
    return options


def build_plans(planner: Planner, real_now: datetime) -> list[Plan]:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    plans = []
    for _ in range(HISTORY_TICKETS):
        created_at = _created_at(rng, real_now, rng.uniform(0.05, HISTORY_DAYS - 0.6))
        ticket_rng = random.Random(rng.getrandbits(64))  # noqa: S311 - demo data
        plans.append(planner.ticket(ticket_rng, created_at=created_at))
    for number, (stop_at, ticket_type, priority, overrides, model, ago) in enumerate(SHOWCASE):
        ticket_rng = random.Random(SEED * 100 + number)  # noqa: S311 - demo data
        options = _showcase_options(ticket_rng, stop_at, overrides)
        draft = planner.ticket(
            ticket_rng,
            created_at=real_now - 60 * DAY,  # units bought since are not drawn: the ticket moves later
            ticket_type=ticket_type,
            priority=priority,
            options=options,
            unit_model=model,
        )
        # Place the ticket so that its last step happened ``ago`` before now.
        last = draft.steps[-1].offset if draft.steps else timedelta(0)
        draft.created_at = real_now - ago - last
        plans.append(draft)
    return plans


# --- seed -----------------------------------------------------------------------------------


def _policies() -> dict:
    from tickets.models import SlaPolicy

    targets = {}
    for policy in SlaPolicy.objects.all():
        on_site = timedelta(minutes=policy.on_site_minutes) if policy.on_site_minutes else None
        targets[(policy.ticket_type, policy.priority, policy.customer_tier)] = (
            timedelta(minutes=policy.first_response_minutes),
            on_site
            if policy.ticket_type in (TicketType.REPAIR, TicketType.INSTALLATION, TicketType.MAINTENANCE)
            else None,
            timedelta(minutes=policy.resolution_minutes),
        )
    return targets


def _already_seeded() -> bool:
    return TicketEvent.objects.filter(action="note", note=DEMO_MARKER).exists()


@transaction.atomic
def seed(stdout) -> None:
    real_now = core_clock.now()
    technicians = _ensure_technicians(timezone.localdate(real_now))
    new_standby = _ensure_standby_units()
    if _already_seeded():
        stdout.write(
            f"tickets: history already loaded ({Ticket.objects.count()} tickets); "
            f"{len(technicians)} technicians, {StandbyUnit.objects.count()} standby units ({new_standby} new)"
        )
        return
    customers = _ensure_customers()
    certified = []
    for profile in Technician.objects.select_related("user", "region").prefetch_related("skills"):
        profile.skill_codes = {category.code for category in profile.skills.all()}
        if profile.is_certified and profile.is_active:
            certified.append(profile)
    units = list(unit_list().select_related("product_model__category", "customer__region").order_by("pk"))
    planner = Planner(customers=customers, units=units, technicians=certified, policies=_policies())
    plans = build_plans(planner, real_now)
    users = {user.username: user for user in get_user_model().objects.filter(is_staff=True)}
    replay = Replay(users=users, real_now=real_now)
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    replay.replay(sorted(plans, key=lambda plan: plan.created_at))
    outbox_settle_history(after_id=last_message, note="demo history: recorded, not delivered")
    statuses = Counter(
        ticket.status for ticket in Ticket.objects.filter(pk__in=[t.pk for t in replay.tickets.values()])
    )
    stdout.write(
        f"tickets: {len(plans)} tickets over {HISTORY_DAYS} days "
        f"({', '.join(f'{status} {count}' for status, count in sorted(statuses.items()))}); "
        f"{replay.sweeps} past sweeps recorded {replay.warnings} warnings and {replay.breaches} breaches; "
        f"{len(technicians)} technicians, {StandbyUnit.objects.count()} standby units"
    )
