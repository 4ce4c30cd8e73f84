"""The follow-up part of a record's page, once for every kind: the routes that start, correct,
answer, close and chase a follow-up, settle what it came to (implemented, not accepted) or
reopen it, the chasing letter's download, and the data of the partial
lhpn/templates/_follow_up.html.

A kind adds them to its blueprint::

    FOLLOW_UPS = follow_up_routes(bp, "incident", id_name="incident_id", load=_load,
                                  may_edit=may_handle, done=lambda i: url_for(...),
                                  subject=lambda i: f"vụ việc số {i.number}")

and its page shows ``{{ follow_ups(FOLLOW_UPS.panel(current_user, incident)) }}``
(``{% from "_follow_up.html" import follow_ups %}``).

``load(id)`` returns the record its reader may see (404 for another tenant's or an
unreachable one), whose ``unit`` is the unit that follows it; ``may_edit(user, record)`` is
the kind's rule for who follows it up; ``done(record)`` is the URL of the record's page, where
every action goes back; ``subject(record)`` names the record in the chasing letter without
personal data. A refusal flashes its reason; with ``render(record, status)`` the page is
shown again with what was typed, otherwise the user goes back to it. Each action commits
once.

A kind whose follow-ups are things asked of the agency (a supervision's recommendations, a
dialogue's commitments) passes ``outcomes=True``: the partial then offers, on each follow-up
still waited for, "implemented" and "not accepted" (final) and, once answered, "wait for a
further answer" (lhpn/followups/services.settle and reopen).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from lhpn import authz
from lhpn.errors import DomainError, NotFound
from lhpn.extensions import db
from lhpn.followups import services as follow_ups
from lhpn.followups.forms import AnswerForm, FollowUpForm, VersionForm
from lhpn.followups.letter import chasing_letter
from lhpn.followups.models import FINAL_STATUSES, FollowUp
from lhpn.throttle import export_limit

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACTIONS = ("start", "update", "answer", "close", "chased")
OUTCOME_ACTIONS = ("settle", "reopen")


@dataclass(frozen=True)
class Item:
    """One follow-up as the partial shows it."""

    fu: FollowUp
    overdue: bool
    days_overdue: int
    urls: dict[str, str]
    edit_form: FollowUpForm | None = None
    answer_form: AnswerForm | None = None
    chase_form: VersionForm | None = None
    close_form: VersionForm | None = None


@dataclass(frozen=True)
class Panel:
    items: list[Item]
    may_edit: bool
    start_url: str
    start_form: FollowUpForm | None = None
    outcomes: bool = False


@dataclass(frozen=True)
class FollowUpPages:
    bp_name: str
    object_type: str
    id_name: str
    may_edit: Callable[[Any, Any], bool]
    with_start: bool = True
    with_outcomes: bool = False

    def url(self, action: str, record: Any, fu: FollowUp | None = None, **query: str) -> str:
        values: dict[str, Any] = {self.id_name: record.id, **query}
        if fu is not None:
            values["follow_up_id"] = fu.id
        return url_for(f"{self.bp_name}.follow_up_{action}", **values)

    def panel(self, user, record) -> Panel:
        """What the partial shows of ``record`` to ``user``; on a refused POST, the forms hold
        what was typed."""
        editable = bool(self.may_edit(user, record))
        found = db.session.scalars(follow_ups.follow_ups_of(self.object_type, record.id)).all()
        items = []
        for fu in found:
            urls = {action: self.url(action, record, fu) for action in ACTIONS[1:]}
            urls["letter"] = self.url("letter", record, fu)
            urls["letter_superior"] = self.url("letter", record, fu, to="superior")
            if self.with_outcomes:
                urls |= {action: self.url(action, record, fu) for action in OUTCOME_ACTIONS}
            forms: dict[str, Any] = {}
            if editable and fu.status not in FINAL_STATUSES:
                prefix = f"fu{fu.id}"
                forms = {
                    "edit_form": FollowUpForm(prefix=f"{prefix}-edit", data=_fields(fu)),
                    "answer_form": AnswerForm(prefix=f"{prefix}-answer", data={
                        "answered_on": fu.answered_on.isoformat() if fu.answered_on else "",
                        "answer": fu.answer, "version": fu.version}),
                    "chase_form": VersionForm(prefix=f"{prefix}-chase",
                                              data={"version": fu.version}),
                    "close_form": VersionForm(prefix=f"{prefix}-close",
                                              data={"version": fu.version}),
                }
            items.append(Item(fu, follow_ups.is_overdue(fu), follow_ups.days_overdue(fu), urls,
                              **forms))
        if not self.with_start:
            return Panel(items=items, may_edit=editable, start_url="",
                         outcomes=self.with_outcomes)
        return Panel(items=items, may_edit=editable, start_url=self.url("start", record),
                     start_form=FollowUpForm(prefix="fu-new") if editable else None,
                     outcomes=self.with_outcomes)


def follow_up_routes(bp: Blueprint, object_type: str, *, id_name: str,
                     load: Callable[[int], Any], may_edit: Callable[[Any, Any], bool],
                     done: Callable[[Any], str], subject: Callable[[Any], str],
                     render: Callable[[Any, int], Any] | None = None,
                     start: bool = True, outcomes: bool = False,
                     outcomes_under: str = "follow-ups") -> FollowUpPages:
    """Add to ``bp``: ``POST /<id>/follow-ups`` (start) and, for one follow-up,
    ``POST …/<follow_up_id>/update|answer|close|chased`` and
    ``GET …/<follow_up_id>/chasing-letter.docx`` (``?to=superior`` for the superior).

    ``start=False`` leaves out the generic start: for a kind whose follow-ups are started
    by its own form, with what it requires (a recommendation's text).

    ``outcomes=True`` adds ``POST /<id>/<outcomes_under>/<follow_up_id>/settle`` (form fields
    ``status`` = implemented | not_accepted and ``version``) and ``…/reopen`` (``version``);
    ``outcomes_under`` is the kind's word in those paths (``recommendations``)."""
    pages = FollowUpPages(bp.name, object_type, id_name, may_edit, with_start=start,
                          with_outcomes=outcomes)
    base = f"/<int:{id_name}>/follow-ups"

    def editable(record_id: int) -> Any:
        record = load(record_id)
        if not may_edit(current_user, record):
            raise authz.Forbidden("follow_up")
        return record

    def one(record_id: int, follow_up_id: int) -> tuple[Any, FollowUp]:
        """The record, then its follow-up (404 before 403, as everywhere)."""
        record = load(record_id)
        fu = follow_ups.get_follow_up(current_user.tenant_id, follow_up_id)
        if fu.object_type != object_type or fu.object_id != record.id:
            raise NotFound(_("Không tìm thấy việc theo dõi."))
        if not may_edit(current_user, record):
            raise authz.Forbidden("follow_up")
        return record, fu

    def act(record: Any, operation: Callable[[], object], message: str) -> Any:
        try:
            operation()
            db.session.commit()
        except DomainError as exc:
            return refused(record, exc.message, exc.status)
        except StaleDataError:
            return refused(record, _("Việc theo dõi vừa được người khác thay đổi. Hãy tải lại "
                                     "trang rồi làm lại."), 409)
        flash(message, "success")
        return redirect(done(record), 303)

    def refused(record: Any, message: str, status: int) -> Any:
        db.session.rollback()
        flash(message, "error")
        if render is not None:
            return render(record, status)
        return redirect(done(record), 303)

    def start_one(**ids: int):
        record = editable(ids[id_name])
        form = FollowUpForm(prefix="fu-new")
        return act(record, lambda: follow_ups.start(
            current_user, object_type, record, record.unit, **form.values()),
            _("Đã ghi nhận việc chuyển cơ quan chức năng giải quyết."))

    def update(follow_up_id: int, **ids: int):
        record, fu = one(ids[id_name], follow_up_id)
        form = FollowUpForm(prefix=f"fu{fu.id}-edit")
        return act(record, lambda: follow_ups.update(current_user, fu, form.version.data,
                                                     **form.values()),
                   _("Đã lưu việc theo dõi."))

    def answer(follow_up_id: int, **ids: int):
        record, fu = one(ids[id_name], follow_up_id)
        form = AnswerForm(prefix=f"fu{fu.id}-answer")
        return act(record, lambda: follow_ups.answer(
            current_user, fu, form.version.data, answered_on=form.answered_on.data,
            answer=form.answer.data), _("Đã ghi nhận trả lời của cơ quan."))

    def close(follow_up_id: int, **ids: int):
        record, fu = one(ids[id_name], follow_up_id)
        form = VersionForm(prefix=f"fu{fu.id}-close")
        return act(record, lambda: follow_ups.close(current_user, fu, form.version.data),
                   _("Đã kết thúc việc theo dõi."))

    def chased(follow_up_id: int, **ids: int):
        record, fu = one(ids[id_name], follow_up_id)
        form = VersionForm(prefix=f"fu{fu.id}-chase")
        return act(record, lambda: follow_ups.record_chase(current_user, fu,
                                                           form.version.data),
                   _("Đã ghi nhận công văn đôn đốc đã gửi."))

    def settle(follow_up_id: int, **ids: int):
        record, fu = one(ids[id_name], follow_up_id)
        return act(record, lambda: follow_ups.settle(
            current_user, fu, request.form.get("version"), request.form.get("status", "")),
            _("Đã ghi kết quả thực hiện."))

    def reopen(follow_up_id: int, **ids: int):
        record, fu = one(ids[id_name], follow_up_id)
        return act(record, lambda: follow_ups.reopen(current_user, fu,
                                                     request.form.get("version")),
                   _("Đã chuyển lại chờ cơ quan trả lời."))

    def letter(follow_up_id: int, **ids: int):
        record, fu = one(ids[id_name], follow_up_id)
        try:
            data = chasing_letter(fu, sender_unit=fu.unit, subject=subject(record),
                                  to_superior=request.args.get("to") == "superior")
        except DomainError as exc:
            return refused(record, exc.message, exc.status)
        name = f"Công văn đôn đốc - {object_type} {record.id}.docx"
        response = Response(data, mimetype=DOCX_MIMETYPE)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="cong-van-don-doc-{object_type}-{record.id}.docx"; '
            f"filename*=UTF-8''{quote(name, safe='')}")
        return response

    for action, view in (("start", start_one), ("update", update), ("answer", answer),
                         ("close", close), ("chased", chased)):
        if action == "start" and not start:
            continue
        view.__name__ = f"follow_up_{action}"
        rule = base if action == "start" else f"{base}/<int:follow_up_id>/{action}"
        bp.add_url_rule(rule, view.__name__, login_required(view), methods=["POST"])
    for action, view in (("settle", settle), ("reopen", reopen)) if outcomes else ():
        view.__name__ = f"follow_up_{action}"
        bp.add_url_rule(f"/<int:{id_name}>/{outcomes_under}/<int:follow_up_id>/{action}",
                        view.__name__, login_required(view), methods=["POST"])
    letter.__name__ = "follow_up_letter"
    bp.add_url_rule(f"{base}/<int:follow_up_id>/chasing-letter.docx", letter.__name__,
                    login_required(export_limit(letter)), methods=["GET"])
    return pages


def _fields(fu: FollowUp) -> dict[str, object]:
    return {"agency": fu.agency, "agency_superior": fu.agency_superior,
            "letter_number": fu.letter_number, "written_on": fu.written_on.isoformat(),
            "due_on": fu.due_on.isoformat(), "version": fu.version}
