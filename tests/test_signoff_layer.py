"""The shared sign-off layer (lhpn/workflow/signoff.py, pages.py; lhpn/api/signoff.py): a kind
gets exactly the steps its workflow declares, in the pages and in the API, and nothing else."""

import pytest

from lhpn.plans import services as plans
from lhpn.reports import services as reports
from lhpn.workflow.engine import Transition, Workflow


def _routes(app, prefix: str) -> set[tuple[str, str]]:
    """(rule, method) of the POST routes and GET history below ``prefix``."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix) and (rule.rule.endswith("/history")
                                             or "POST" in rule.methods):
            out.add((rule.rule, rule.endpoint))
    return out


def test_each_kind_has_the_step_routes_of_its_workflow_and_no_other(app):
    pages = _routes(app, "/plans/<int:plan_id>/")
    steps = {rule.rsplit("/", 1)[1] for rule, endpoint in pages
             if endpoint in ("plans.submit", "plans.approve", "plans.return_", "plans.reopen")}
    assert steps == set(plans.WORKFLOW.transitions) == {"submit", "approve", "return"}
    pages = _routes(app, "/reports/<int:report_id>/")
    steps = {rule.rsplit("/", 1)[1] for rule, endpoint in pages
             if endpoint in ("reports.submit", "reports.approve", "reports.return_",
                             "reports.reopen")}
    assert steps == set(reports.WORKFLOW.transitions) == {"submit", "approve", "return",
                                                            "reopen"}
    api = {endpoint for _rule, endpoint in _routes(app, "/api/v1/plans/")}
    assert {"api.submit_plan", "api.approve_plan", "api.return_plan", "api.plan_history"} <= api
    assert "api.reopen_plan" not in api
    api = {endpoint for _rule, endpoint in _routes(app, "/api/v1/reports/")}
    assert {"api.submit_report", "api.approve_report", "api.return_report",
            "api.reopen_report", "api.report_history"} <= api


def test_a_plan_cannot_be_reopened_through_the_shared_steps(app, client):
    # Not a step of the plan workflow: refused by the layer before anything is read.
    with pytest.raises(ValueError, match="reopen"):
        plans.SIGN_OFF.decide(None, None, "reopen", "x")
    with pytest.raises(ValueError, match="publish"):
        reports.SIGN_OFF.decide(None, None, "publish")
    assert client.post("/plans/1/reopen").status_code in (404, 405)


def test_replay_moves_as_the_table_says_and_refuses_what_it_does_not_allow():
    flow = Workflow("thing", {
        "submit": Transition(frozenset({"draft", "returned"}), "submitted"),
        "approve": Transition(frozenset({"submitted"}), "approved"),
        "return": Transition(frozenset({"submitted"}), "returned", needs_comment=True),
    })
    assert flow.replay(["submit", "return", "submit", "approve"]) == [
        ("submit", "draft", "submitted"), ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"), ("approve", "submitted", "approved")]
    with pytest.raises(ValueError, match="approve"):
        flow.replay(["approve"])
    with pytest.raises(ValueError, match="submit"):
        flow.replay(["submit", "submit"])
