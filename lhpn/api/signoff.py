"""The sign-off endpoints of a record kind, once for every kind: ``POST /<kind>/ID/<step>`` for
each step of its workflow (submit, approve, return, reopen) and ``GET /<kind>/ID/history``,
each acting through the kind's :class:`lhpn.workflow.signoff.SignOff`.

Each endpoint loads the record through the kind's tenant-scoped getter (404), asks the right
the step needs (403: sending up is the kind's ``require_submit``; deciding is the approver of
the record's approval unit; the history is for who may view its unit), and only then reads the
body (400, 422). The answer is built before the commit, so nothing is read after it (a
connection lost then cannot turn a decision that went through into an error).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify
from pydantic import Field

from lhpn import authz
from lhpn.api import bp
from lhpn.api.contract import Answer, Body, body, endpoint
from lhpn.api.plumbing import ID, caller
from lhpn.extensions import db
from lhpn.workflow.models import Status
from lhpn.workflow.signoff import SignOff


class HistoryEvent(Answer):
    action: str = Field(examples=["submit", "approve", "return"])
    from_: Status = Field(alias="from")
    to: Status
    actor: str | None = Field(description="Tên đăng nhập.")
    comment: str
    at: str = Field(json_schema_extra={"format": "date-time"})


class HistoryList(Answer):
    items: list[HistoryEvent]


@dataclass(frozen=True)
class KindApi:
    """How a record kind appears over the API: its path (``plans``), the id in the path
    (``plan_id``), the noun in operation names (``plan``: ``submit_plan``, ``plan_history``),
    its getter ``get(tenant_id, id)`` (404 for another tenant's), its answer ``answer(record)``
    and schema, the body of a step (a version) and of a step with a comment, and the summary
    of each step as the API document says it."""

    signoff: SignOff[Any]
    path: str
    id_name: str
    noun: str
    get: Callable[[int | None, Any], Any]
    answer: Callable[[Any], dict]
    schema: type[Answer]
    step_body: type[Body]
    comment_body: type[Body]
    summaries: dict[str, str]


def step_endpoints(kind: KindApi) -> None:
    """Declare and route the sign-off endpoints of ``kind`` on the API blueprint."""
    for step in kind.signoff.workflow.transitions:
        _step(kind, step)
    _history(kind)


def _load(kind: KindApi, record_id: int, step: str) -> Any:
    record = kind.get(caller().tenant_id, record_id)
    if step == "submit":
        kind.signoff.require_submit(caller(), record)
    elif step == "history":
        authz.require(caller(), "view", record.unit)
    else:
        authz.require_approver_of(caller(), record)
    return record


def _step(kind: KindApi, step: str) -> None:
    needs_comment = kind.signoff.workflow.transitions[step].needs_comment
    model = kind.comment_body if needs_comment else kind.step_body

    def view(**ids) -> Response:
        record = _load(kind, ids[kind.id_name], step)
        data: Any = body(model)
        if step == "submit":
            kind.signoff.submit(caller(), record, data.version)
        else:
            kind.signoff.decide(caller(), record, step, getattr(data, "comment", ""),
                                data.version)
        answer = kind.answer(record)
        db.session.commit()
        return jsonify(answer)

    view.__name__ = f"{step}_{kind.noun}"
    declared = endpoint(kind.summaries[step], ok={200: kind.schema}, body=model,
                        body_optional=not needs_comment, errors="403 404 409")(view)
    bp.post(f"/{kind.path}/<{ID}:{kind.id_name}>/{step}")(declared)


def _history(kind: KindApi) -> None:
    def view(**ids) -> Response:
        record = _load(kind, ids[kind.id_name], "history")
        return jsonify(items=[event.to_dict() for event in kind.signoff.history(record)])

    view.__name__ = f"{kind.noun}_history"
    declared = endpoint("Các bước đã qua: ai, khi nào, ý kiến.", ok={200: HistoryList},
                        errors="403 404")(view)
    bp.get(f"/{kind.path}/<{ID}:{kind.id_name}>/history")(declared)
