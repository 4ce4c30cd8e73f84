"""Numbers typed the Vietnamese way: "1.500" is one thousand five hundred, "12.500,5" twelve
thousand five hundred and a half. Tables of typed strings → stored values or messages, through
the parser, the report service, the report and plan pages, the forms admin and the API; and
the round trip: whatever the app shows reads back as the same number."""

import random
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from lhpn.accounts.models import User
from lhpn.errors import DomainError
from lhpn.extensions import db
from lhpn.numbers import format_number, parse_number
from lhpn.plans import services as plans
from lhpn.plans.models import Plan, PlanTarget
from lhpn.reports import services as reports
from lhpn.reports.models import Report
from lhpn.units.models import Unit
from tests.conftest import api_token
from tests.test_form_admin import NEW_FORM, _post, _template
from tests.test_plan_pages import Browser, add_user, create, plan_form, text, version_on

# ---- the table ---------------------------------------------------------------------------------
# (typed, the number stored, or a piece of the message that refuses it)

COUNT = [  # a count (TUYEN_TRUYEN): whole numbers ≥ 0
    ("1.500", 1500),
    ("1500", 1500),
    (" 12.500.000 ", 12_500_000),
    ("1 500", 1500),
    ("1\u00a0500\u00a0000", 1_500_000),
    ("007", 7),
    ("2,0", 2),
    ("999.999.999.999", 999_999_999_999),
    ("1,5", "“1,5” được đọc là 1,5; ô này chỉ nhận số nguyên."),
    ("1,234", "Nếu ý bạn là 1.234, hãy viết 1.234 hoặc 1234."),
    ("1,500", "“1,500” có thể đọc là 1,5 hoặc 1.500."),
    ("1.5", "“1.5” không đúng cách viết số, có thể là 15 hoặc 1,5."),
    ("1.50", "có thể là 150 hoặc 1,5"),
    ("12.50.000", "có thể là 1.250.000"),
    ("1.500.00", "không đúng cách viết số"),
    ("0.500", "có thể là 500 hoặc 0,5"),
    ("-3", "“-3” là số âm; ô này không nhận số âm."),
    ("+5", "“+5” không phải là một số."),
    ("1e3", "“1e3” không phải là một số."),
    ("1_000", "“1_000” không phải là một số."),
    ("١٢", "“١٢” không phải là một số."),
    ("１２", "“１２” không phải là một số."),
    ("mười", "“mười” không phải là một số."),
    ("1.000.000.000.000", "lớn hơn mức tối đa 999.999.999.999"),
]

DECIMAL = [  # a decimal (KINH_PHI, in millions of đồng): four decimals, negative allowed
    ("1.500", Decimal("1500")),
    ("12.500,5", Decimal("12500.5")),
    ("12,5", Decimal("12.5")),
    ("0,25", Decimal("0.25")),
    ("1,234", Decimal("1.234")),  # what the app shows for 1.234 reads back as 1.234
    ("1,2345", Decimal("1.2345")),
    ("1,50", Decimal("1.5")),
    ("-2,5", Decimal("-2.5")),
    ("1 500,75", Decimal("1500.75")),
    ("999.999.999.999,9999", Decimal("999999999999.9999")),
    ("1,500", "“1,500” có thể đọc là 1,5 hoặc 1.500. Hãy viết 1,5, hoặc 1.500 (hay 1500)"),
    ("10,250", "“10,250” có thể đọc là 10,25 hoặc 10.250."),
    ("1.5", "có thể là 15 hoặc 1,5"),
    ("1,500.5", "có thể là 1.500,5"),
    ("12,5,3", "“12,5,3” không phải là một số."),
    ("1,23456", "“1,23456” có quá 4 chữ số thập phân"),
    ("12,5 triệu", "không phải là một số"),
    ("1.000.000.000.000", "lớn hơn mức tối đa 999.999.999.999,9999"),
]

RATE = [  # a rate's numerator (HV_HOC_TAP), the denominator typed as "2.000"
    ("1.500", {"numerator": 1500, "denominator": 2000}),
    ("1 999", {"numerator": 1999, "denominator": 2000}),
    ("1,5", "(tử số): “1,5” được đọc là 1,5; ô này chỉ nhận số nguyên."),
    ("1.5", "(tử số): “1.5” không đúng cách viết số, có thể là 15 hoặc 1,5."),
    ("2.500", "tử số (2500) không được lớn hơn mẫu số (2000)"),
    ("3.000.000.000", "lớn hơn mức tối đa 2.147.483.647"),
]

INDICATOR = {"count": "TUYEN_TRUYEN", "decimal": "KINH_PHI", "rate": "HV_HOC_TAP"}
NAMES = {"count": "Số hoạt động tuyên truyền chủ trương, chính sách, pháp luật",
         "decimal": "Kinh phí vận động, hỗ trợ hội viên",
         "rate": "Hội viên được học tập, tuyên truyền chủ trương, chính sách, pháp luật"}
CASES = ([("count", *row) for row in COUNT] + [("decimal", *row) for row in DECIMAL]
         + [("rate", *row) for row in RATE])


def _stored_form(kind: str, want: object) -> object:
    """The value the service reports back (values_dict) for a number stored as ``want``."""
    if kind == "decimal":
        return int(want) if want == int(want) else float(want)
    return want


# ---- the parser --------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, want", COUNT)
def test_counts_as_typed(ctx, typed, want):
    _check(lambda: parse_number(typed, label="X", whole=True,
                                maximum=Decimal("999999999999")), want)


@pytest.mark.parametrize("typed, want", DECIMAL)
def test_decimals_as_typed(ctx, typed, want):
    _check(lambda: parse_number(typed, label="X", negative=True,
                                maximum=Decimal("999999999999.9999")), want)


def _check(read, want) -> None:
    if isinstance(want, str):
        with pytest.raises(DomainError) as refused:
            read()
        assert want in refused.value.message
    else:
        assert read() == want


@pytest.mark.parametrize("typed, want", [
    ("1,500", 1500), ("12,500.5", Decimal("12500.5")), ("1.5", Decimal("1.5")),
    ("1.234", Decimal("1.234")),
    ("1.500", "“1.500” có thể đọc là 1.5 hoặc 1,500."),
    ("12.500,5", "có thể là 12,500.5"),
    ("1,5", "có thể là 15 hoặc 1.5"),
])
def test_the_english_interface_reads_what_it_shows(ctx, typed, want):
    _check(lambda: parse_number(typed, label="X", locale="en"), want)


@pytest.mark.parametrize("value, want", [
    (3, 3), (Decimal("1500"), 1500), (2.0, 2),
    (1.5, "“1.5” được đọc là 1,5; ô này chỉ nhận số nguyên."),
    (-1, "là số âm"), (True, "hãy nhập một số."), (None, "hãy nhập một số."),
    (float("nan"), "không phải là một số"), (10**13, "lớn hơn mức tối đa"),
])
def test_json_numbers_follow_the_same_rules(ctx, value, want):
    _check(lambda: parse_number(value, label="X", whole=True, maximum=10**12 - 1), want)


def _sweep() -> list[Decimal]:
    """Numbers of every size and up to four decimals, with the edges."""
    rng = random.Random(12)
    out = [Decimal(v) for v in ("0", "1", "0.0001", "0.5", "1.234", "1.5", "10.25", "999",
                                "1000", "1500", "12500.5", "999999999999.9999")]
    for _ in range(3000):
        digits = rng.randint(1, 12)
        places = rng.randint(0, 4)
        whole = rng.randrange(10 ** (digits - 1) if digits > 1 else 0, 10 ** digits)
        out.append(Decimal(whole) + Decimal(rng.randrange(10 ** places)) / 10 ** places)
    return out + [-v for v in out[1:200]]


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_number_the_app_shows_reads_back_the_same(ctx, locale):
    for value in _sweep():
        shown = format_number(value, locale)
        assert parse_number(shown, label="X", negative=True, locale=locale) == value, shown
        if value == value.to_integral_value() and value >= 0:
            assert parse_number(shown, label="X", whole=True, locale=locale) == value, shown
        in_a_plan = value.quantize(Decimal("0.01"))
        shown = format_number(in_a_plan, locale, places=2)
        assert parse_number(shown, label="X", places=2, negative=True,
                            locale=locale) == in_a_plan, shown


# ---- the report service and pages --------------------------------------------------------------

def _report_for(app, world, kind: str) -> int:
    with app.app_context():
        staff = db.session.get(User, world.users["staff.c11"])
        code = "BC_GSPB_NAM" if kind == "rate" else "BC_THANG"
        template = reports.get_template(world.tenants["TB"], code)
        report = reports.open_report(staff, db.session.get(Unit, world.units["C11"]), template,
                                     "2026" if kind == "rate" else "2026-03")
        db.session.commit()
        return report.id


def _typed_values(kind: str, typed: str) -> dict:
    if kind == "rate":
        return {"HV_HOC_TAP": {"numerator": typed, "denominator": "2.000"}}
    return {INDICATOR[kind]: typed}


@pytest.mark.parametrize("kind, typed, want", CASES)
def test_the_service_stores_or_refuses_what_was_typed(app, world, kind, typed, want):
    add_user(app, world, "staff.c11", "staff", "C11")
    report_id = _report_for(app, world, kind)
    with app.test_request_context():
        staff = db.session.get(User, world.users["staff.c11"])
        report = db.session.get(Report, report_id)
        if isinstance(want, str):
            with pytest.raises(DomainError) as refused:
                reports.save_report(staff, report, _typed_values(kind, typed), report.version)
            assert want in refused.value.message
            assert refused.value.field == INDICATOR[kind]
            assert refused.value.message.startswith(NAMES[kind]) or kind == "rate"
            db.session.rollback()
            assert reports.values_dict(db.session.get(Report, report_id)) == {}
        else:
            reports.save_report(staff, report, _typed_values(kind, typed), report.version)
            db.session.commit()
            assert reports.values_dict(report)[INDICATOR[kind]] == _stored_form(kind, want)


@pytest.mark.parametrize("kind, typed, want", CASES)
def test_the_report_page_stores_or_refuses_what_was_typed(app, world, kind, typed, want):
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    report_id = _report_for(app, world, kind)
    page = text(staff.get(f"/reports/{report_id}/edit"))
    data = {"version": version_on(page), "then": "save"}
    if kind == "rate":
        data |= {"v-HV_HOC_TAP-n": typed, "v-HV_HOC_TAP-d": "2.000"}
    else:
        data[f"v-{INDICATOR[kind]}"] = typed
    response = staff.post(f"/reports/{report_id}/edit", data)
    with app.app_context():
        values = reports.values_dict(db.session.get(Report, report_id))
    if isinstance(want, str):
        assert response.status_code == 422
        page = text(response)
        # The message stands next to the field, and what was typed is shown again.
        field = re.search(rf'<div class="field[^"]*has-error[^"]*" id="field-{INDICATOR[kind]}">'
                          r'(.*?)</div>\s*(?:<div class="field|</section>)', page, re.S)
        assert field, "no error next to the field"
        assert want in field.group(1)
        assert f'value="{typed}"' in page
        assert values == {}
    else:
        assert response.status_code == 302, text(response)[:3000]
        assert values[INDICATOR[kind]] == _stored_form(kind, want)


def test_number_inputs_let_the_server_see_what_was_typed(app, world):
    """type=number refuses "1.500" or reads it by the browser's locale: the inputs are text,
    with the phone keyboard hinted."""
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    for kind in ("count", "rate"):
        page = text(staff.get(f"/reports/{_report_for(app, world, kind)}/edit"))
        assert 'type="number"' not in page
        assert 'name="v-TUYEN_TRUYEN" type="text" inputmode="numeric"' in page or kind == "rate"
        assert 'name="v-KINH_PHI" type="text" inputmode="decimal"' in page or kind == "rate"
        assert 'name="v-HV_HOC_TAP-n" inputmode="numeric"' in page or kind == "count"
        assert "Viết số như trang hiển thị: 1.500 là một nghìn năm trăm, 12,5 là mười hai" in page


class _Inputs(HTMLParser):
    """The values a form would send as it is shown: its text inputs and textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("text", "hidden") and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "input" and attrs.get("type") == "radio" and "checked" in attrs:
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.values[self._textarea] = ""

    def handle_data(self, data) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag) -> None:
        if tag == "textarea":
            self._textarea = None


def _shown_inputs(page: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(page[page.index('class="report-form"'):])
    return parser.values


@pytest.mark.parametrize("lang, shown", [
    ("vi", {"v-KINH_PHI": "12.500,5", "v-TUYEN_TRUYEN": "1.500", "v-HOA_GIAI": "0"}),
    ("en", {"v-KINH_PHI": "12,500.5", "v-TUYEN_TRUYEN": "1,500", "v-HOA_GIAI": "0"}),
])
@pytest.mark.parametrize("kinh_phi", [12500.5, 1.234, 0.0001, 999999999999.9999, -7.25])
def test_saving_a_report_as_shown_changes_no_number(app, world, lang, shown, kinh_phi):
    """The form shows the stored numbers the way the pages write them; sent back untouched
    they store the same numbers (in either interface language)."""
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    if lang == "en":
        staff.post("/lang/en", {"next": "/"})
    report_id = _report_for(app, world, "count")
    stored = {"TUYEN_TRUYEN": 1500, "HOA_GIAI": 0, "KINH_PHI": kinh_phi}
    with app.app_context():
        staff_user = db.session.get(User, world.users["staff.c11"])
        report = db.session.get(Report, report_id)
        reports.save_report(staff_user, report, stored, report.version)
        db.session.commit()
    page = text(staff.get(f"/reports/{report_id}/edit"))
    inputs = _shown_inputs(page)
    if kinh_phi == 12500.5:
        assert {name: inputs[name] for name in shown} == shown
    saved = staff.post(f"/reports/{report_id}/edit", {**inputs, "then": "save"})
    assert saved.status_code == 302, text(saved)[:3000]
    # The form also shows the month's counts bound to records (incidents, petitions,
    # dialogues, supervisions, critiques), prefilled (none here: 0), and saving as shown
    # stores them too (tests/test_indicator_binding.py).
    with app.app_context():
        assert reports.values_dict(db.session.get(Report, report_id)) == stored | dict.fromkeys(
            ("BAO_LUC", "NAN_NHAN", "DON_THU", "DOI_THOAI", "GIAM_SAT", "PHAN_BIEN", "GOP_Y"), 0)
    view = text(staff.get(f"/reports/{report_id}"))
    assert inputs["v-KINH_PHI"] in view  # the report page shows what the form showed


def test_the_english_interface_reads_english_numbers(app, world):
    add_user(app, world, "staff.c11", "staff", "C11")
    staff = Browser(app, "staff.c11")
    staff.post("/lang/en", {"next": "/"})
    report_id = _report_for(app, world, "count")
    version = version_on(text(staff.get(f"/reports/{report_id}/edit")))
    refused = staff.post(f"/reports/{report_id}/edit", {
        "version": version, "v-KINH_PHI": "1.500", "then": "save"})
    assert refused.status_code == 422
    assert "“1.500” could be read as 1.5 or 1,500." in text(refused)
    saved = staff.post(f"/reports/{report_id}/edit", {
        "version": version, "v-KINH_PHI": "12,500.5", "v-TUYEN_TRUYEN": "1,500",
        "then": "save"})
    assert saved.status_code == 302
    with app.app_context():
        assert reports.values_dict(db.session.get(Report, report_id)) == {
            "KINH_PHI": 12500.5, "TUYEN_TRUYEN": 1500}


# ---- the API: JSON numbers only ----------------------------------------------------------------

@pytest.mark.parametrize("values, status, stored", [
    ({"KINH_PHI": 12500.5, "TUYEN_TRUYEN": 1500}, 200,
     {"KINH_PHI": 12500.5, "TUYEN_TRUYEN": 1500}),
    ({"KINH_PHI": 1.23456}, 422, {}),  # rounding would change the number sent
    ({"KINH_PHI": "12.500,5"}, 422, {}),  # numbers are JSON numbers, never strings
    ({"TUYEN_TRUYEN": "1.500"}, 422, {}),
    ({"TUYEN_TRUYEN": 1.5}, 422, {}),
])
def test_the_api_takes_json_numbers(app, client, world, values, status, stored):
    add_user(app, world, "staff.c11", "staff", "C11")
    report_id = _report_for(app, world, "count")
    token = api_token(client, "staff.c11")
    response = client.put(f"/api/v1/reports/{report_id}/values",
                          json={"values": values, "version": 1},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert response.get_json()["error"]["code"] == "invalid"
    with app.app_context():
        assert reports.values_dict(db.session.get(Report, report_id)) == stored


# ---- plan targets -----------------------------------------------------------------------------
# target 0 of the plan form: (kind, indicator, value, threshold) typed → stored or a message

TARGETS = [
    (("share", "TUYEN_TRUYEN", "90,5", "2"), (Decimal("90.5"), Decimal("2"))),
    (("share", "TUYEN_TRUYEN", "100", "1.000"), (Decimal("100"), Decimal("1000"))),
    (("share", "TUYEN_TRUYEN", "1.5", "2"),
     ("value", "Chỉ tiêu thứ 1, giá trị: “1.5” không đúng cách viết số, có thể là 15 hoặc 1,5.")),
    (("share", "TUYEN_TRUYEN", "33,333", "2"), ("value", "có quá 2 chữ số thập phân")),
    (("share", "TUYEN_TRUYEN", "90", "1,5"),
     ("threshold", "Chỉ tiêu thứ 1, ngưỡng: “1,5” được đọc là 1,5; ô này chỉ nhận số nguyên.")),
    (("count", "TUYEN_TRUYEN", "1,5", ""), ("value", "ô này chỉ nhận số nguyên")),
    (("count", "TUYEN_TRUYEN", "1.500", ""), (Decimal("1500"), None)),
    (("count", "KINH_PHI", "12.500,5", ""), (Decimal("12500.5"), None)),
    (("count", "KINH_PHI", "1.500", ""), (Decimal("1500"), None)),
    (("count", "KINH_PHI", "1,500", ""), ("value", "có thể đọc là 1,5 hoặc 1.500")),
    (("rate", "HV_HOC_TAP", "90,5", ""), (Decimal("90.5"), None)),
    (("rate", "HV_HOC_TAP", "-5", ""), ("value", "“-5” là số âm")),
]


@pytest.mark.parametrize("typed, want", TARGETS)
def test_plan_targets_store_or_refuse_what_was_typed(app, world, typed, want):
    kind, indicator, value, threshold = typed
    staff = Browser(app, "staff.d1")
    changes = {"targets-0-kind": kind, "targets-0-indicator": indicator,
               "targets-0-value": value, "targets-0-threshold": threshold}
    if isinstance(want[1], str):
        field, message = want
        response = staff.post(f"/plans/new?unit={world.units['D1']}", plan_form(**changes))
        assert response.status_code == 422
        page = text(response)
        typed_input = re.search(rf'<input[^>]*name="targets-0-{field}"[^>]*>', page).group(0)
        assert f'value="{typed[2 if field == "value" else 3]}"' in typed_input
        # The message follows the field it is about.
        after = page[page.index(typed_input):]
        assert message in after[:after.index("</div>")]
        with app.app_context():
            assert db.session.query(Plan).count() == 0
        return
    plan_id = create(staff, world.units["D1"], **changes)
    with app.app_context():
        target = db.session.get(Plan, plan_id).targets[0]
        assert (target.value, target.threshold if kind == "share" else None) == want


def test_a_plan_saved_as_shown_keeps_its_numbers(app, world):
    staff = Browser(app, "staff.d1")
    plan_id = create(staff, world.units["D1"], **{
        "targets-0-kind": "share", "targets-0-value": "90,5", "targets-0-threshold": "1.000",
        "targets-1-kind": "count", "targets-1-indicator": "KINH_PHI",
        "targets-1-level": "commune", "targets-1-value": "12.500,5"})
    page = text(staff.get(f"/plans/{plan_id}/edit"))
    assert "Viết số như trang hiển thị: 1.500 là một nghìn năm trăm" in page
    shown = {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
             for name in ("targets-0-value", "targets-0-threshold", "targets-1-value")}
    assert shown == {"targets-0-value": "90,5", "targets-0-threshold": "1.000",
                     "targets-1-value": "12.500,5"}
    saved = staff.post(f"/plans/{plan_id}/edit", plan_form(
        version=version_on(page), **{
            "targets-0-kind": "share", **{k: v for k, v in shown.items() if k != "targets-1-value"},
            "targets-1-kind": "count", "targets-1-indicator": "KINH_PHI",
            "targets-1-level": "commune", "targets-1-value": shown["targets-1-value"]}))
    assert saved.status_code == 302, text(saved)[:3000]
    with app.app_context():
        targets = db.session.get(Plan, plan_id).targets
        assert [(t.value, t.threshold) for t in targets] == [
            (Decimal("90.50"), Decimal("1000.00")), (Decimal("12500.50"), None)]
    assert "12.500,5" in text(staff.get(f"/plans/{plan_id}"))


def test_a_stored_count_target_with_decimals_still_cascades(app, world):
    """A count target stored as 1,5 before counts had to be whole (values already stored are
    not touched) asks for what 2 asks: the child's plan starts from 2 instead of failing."""
    staff = Browser(app, "staff.d1")
    plan_id = create(staff, world.units["D1"], **{
        "targets-0-kind": "count", "targets-0-value": "2", "targets-0-threshold": ""})
    staff_c11 = add_user(app, world, "staff.c11", "staff", "C11")
    with app.test_request_context():
        plan = db.session.get(Plan, plan_id)
        target_id = plan.targets[0].id
        plan.targets[0].value = Decimal("1.50")  # as an older version of the page let it be
        plans.submit_plan(db.session.get(User, world.users["staff.d1"]), plan)
        plans.approve_plan(db.session.get(User, world.users["approver.tb"]), plan)
        db.session.commit()
        request = plans.get_request(world.tenants["TB"], plan_id, world.units["C11"])
        child = plans.start_from_request(db.session.get(User, staff_c11), request)
        db.session.commit()
        assert [t.value for t in child.targets] == [Decimal("2.00")]
        assert db.session.get(PlanTarget, target_id).value == Decimal("1.50")


# ---- the forms admin --------------------------------------------------------------------------

@pytest.mark.parametrize("typed, want", [
    ("20", 20),
    (" 05 ", 5),
    ("2,5", "Ngày hạn nộp là một số từ 1 đến 31: “2,5” được đọc là 2,5; ô này chỉ nhận số "
            "nguyên."),
    ("1_5", "“1_5” không phải là một số."),
    ("٢٠", "“٢٠” không phải là một số."),
])
def test_form_admin_days_store_or_refuse_what_was_typed(app, client, world, typed, want):
    from tests.conftest import login

    login(client, "tenant_admin.tb")
    response = _post(client, "/forms/new", NEW_FORM | {"due_day": typed})
    template = _template(app, world.tenants["TB"], NEW_FORM["code"])
    if isinstance(want, str):
        assert response.status_code == 422
        page = text(response)
        typed_input = re.search(r'<input[^>]*name="due_day"[^>]*>', page).group(0)
        assert 'type="text"' in typed_input and 'inputmode="numeric"' in typed_input
        assert f'value="{typed}"' in typed_input
        after = page[page.index(typed_input):]
        assert want in after[:after.index("</div>")]  # next to the field
        assert template is None
    else:
        assert response.status_code == 302
        assert template.due_day == want
