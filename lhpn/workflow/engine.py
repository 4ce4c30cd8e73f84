"""One workflow engine for plans and reports: a table of allowed transitions; every transition
writes a history row and an audit entry."""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lhpn.audit.services import record
from lhpn.clock import utcnow
from lhpn.errors import Conflict, DomainError
from lhpn.extensions import db
from lhpn.text import clean_text
from lhpn.workflow.models import WorkflowEvent

STATUS_LABELS = {
    "draft": _l("Dự thảo"),
    "submitted": _l("Đã gửi"),
    "approved": _l("Đã duyệt"),
    "returned": _l("Bị trả lại"),
    # incidents (lhpn/incidents)
    "open": _l("Mới ghi nhận"),
    "following": _l("Đang theo dõi cơ quan chức năng xử lý"),
    "closed": _l("Đã kết thúc"),
    # supervisions (lhpn/supervisions)
    "proposed": _l("Đề xuất, chờ duyệt kế hoạch"),
    "in_progress": _l("Đang giám sát"),
    "report_submitted": _l("Đã trình dự thảo báo cáo"),
    "reported": _l("Đã có báo cáo kết quả"),
    # petitions (lhpn/petitions)
    "received": _l("Mới tiếp nhận"),
    "handling": _l("Đang xử lý"),
    "resolved": _l("Đã giải quyết"),
    "forwarded": _l("Đã chuyển cơ quan có thẩm quyền"),
    "guided": _l("Đã hướng dẫn người gửi đơn"),
    # critiques and draft comments (lhpn/critiques); "received" as for petitions
    "sent": _l("Đã gửi ý kiến"),
    "concluded": _l("Đã có kết quả tiếp thu"),
    # dialogues (lhpn/dialogues); "closed" as above
    "planned": _l("Dự kiến tổ chức"),
    "held": _l("Đã tổ chức"),
}
ACTION_LABELS = {
    "create": _l("Tạo"),
    "submit": _l("Gửi duyệt"),
    "approve": _l("Duyệt"),
    "return": _l("Trả lại"),
    "reopen": _l("Mở lại"),
    "follow": _l("Chuyển sang theo dõi xử lý"),
    "close": _l("Kết thúc"),
    # supervisions (lhpn/supervisions)
    "approve_plan": _l("Duyệt kế hoạch giám sát"),
    "return_plan": _l("Trả lại kế hoạch giám sát"),
    "start": _l("Bắt đầu giám sát"),
    "submit_report": _l("Trình dự thảo báo cáo"),
    "approve_report": _l("Ký báo cáo kết quả giám sát"),
    "return_report": _l("Trả lại dự thảo báo cáo"),
    # petitions (lhpn/petitions)
    "handle": _l("Bắt đầu xử lý"),
    "resolve": _l("Ghi kết quả giải quyết"),
    "forward": _l("Chuyển đơn"),
    "guide": _l("Hướng dẫn người gửi đơn"),
    "send": _l("Gửi ý kiến"),
    "conclude": _l("Ghi kết quả tiếp thu"),
    "hold": _l("Ghi nhận đã tổ chức"),
}


def is_current(obj, version: object) -> bool:
    """Whether a client's ``version`` is the object's current one (optimistic locking)."""
    return not isinstance(version, bool) and str(version) == str(obj.version)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    needs_comment: bool = False


class Workflow:
    def __init__(self, object_type: str, transitions: dict[str, Transition]) -> None:
        self.object_type = object_type
        self.transitions = transitions

    def allowed(self, status: str, action: str) -> bool:
        transition = self.transitions.get(action)
        return transition is not None and status in transition.sources

    def require(self, obj, action: str) -> None:
        """409 naming the state ``obj`` is in when ``action`` cannot start from it. Services
        ask this before the version check: a client retrying a step that already happened
        (it never saw the answer) learns that it did, not merely that something changed."""
        if obj.status not in self.transitions[action].sources:
            raise Conflict(_("Không thể %(action)s khi đang ở trạng thái “%(status)s”.",
                             action=str(ACTION_LABELS.get(action, action)).lower(),
                             status=status_label(obj.status)), "status")

    def apply(self, obj, action: str, actor, comment: str | None = None) -> WorkflowEvent:
        """Move ``obj`` (with .status, .id, .tenant_id) along ``action``; flushes."""
        transition = self.transitions[action]
        self.require(obj, action)
        comment = clean_text(comment, _("Ý kiến"), "comment")
        if transition.needs_comment and not comment:
            raise DomainError(_("Hãy ghi ý kiến khi trả lại hoặc mở lại."), "comment")
        if len(comment) > 5000:
            raise DomainError(_("Ý kiến dài quá 5.000 ký tự."), "comment")
        event = WorkflowEvent(
            tenant_id=obj.tenant_id, object_type=self.object_type, object_id=obj.id,
            action=action, from_status=obj.status, to_status=transition.target,
            actor_id=actor.id if actor else None, comment=comment, created_at=utcnow(),
        )
        obj.status = transition.target
        db.session.add(event)
        db.session.flush()
        record(f"{self.object_type}.{action}", self.object_type, obj.id, actor=actor,
               tenant_id=obj.tenant_id, summary=comment[:200], to=transition.target)
        return event

    def replay(self, actions: list[str], start: str = "draft") -> list[tuple[str, str, str]]:
        """(action, from, to) for each of ``actions`` taken in turn from ``start``, as
        ``apply`` would move an object; ValueError at the first one the table does not allow.
        For writers in bulk that cannot go through ``apply`` (lhpn/demo/generate.py)."""
        steps, status = [], start
        for action in actions:
            if not self.allowed(status, action):
                raise ValueError(f"{self.object_type}: no {action!r} from {status!r}")
            target = self.transitions[action].target
            steps.append((action, status, target))
            status = target
        return steps

    def history(self, obj):
        return db.session.scalars(
            select(WorkflowEvent)
            .where(WorkflowEvent.object_type == self.object_type,
                   WorkflowEvent.object_id == obj.id)
            .order_by(WorkflowEvent.created_at, WorkflowEvent.id)
        ).all()
