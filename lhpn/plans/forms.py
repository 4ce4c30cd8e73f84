"""The plan form: one page for every part of a plan, with rows of targets and activities.

Fields are text on purpose: numbers and dates are checked by the service, whose messages are
the ones the user reads. Empty rows are ignored, so the page can always offer blank ones.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# SelectChoice is new in WTForms 3.3, which types-WTForms (3.2) does not describe yet.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.widgets import CheckboxInput, ListWidget

from lhpn.numbers import format_number
from lhpn.plans.services import ActivityInput, PlanInput, TargetInput

BLANK_ROWS = 3

TARGET_KIND_LABELS = {
    "count": _l("Mỗi đơn vị đạt ≥ …"),
    "share": _l("…% đơn vị đạt ≥ ngưỡng"),
    "rate": _l("Tỷ lệ ≥ …%"),
    "text": _l("Chỉ tiêu định tính (lời văn)"),
}
MEASURED = "count share rate"
# The form's own name of each section (the document's heading is the plan's, see wording.py).
SECTION_LABELS = {
    "purpose": _l("Mục đích, yêu cầu"),
    "targets": _l("Chỉ tiêu"),
    "content": _l("Nội dung"),
    "budget": _l("Kinh phí"),
    "organisation": _l("Tổ chức thực hiện"),
}
WHEN_LABELS = {
    "year": _l("Cả năm"),
    "month": _l("Tháng"),
    "quarter": _l("Quý"),
    "range": _l("Khoảng ngày"),
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TargetRowForm(Form):
    kind = SelectField(_l("Loại"), validate_choice=False,
                       choices=[SelectChoice(k, v) for k, v in TARGET_KIND_LABELS.items()])
    indicator = SelectField(_l("Chỉ tiêu"), validate_choice=False)
    text = TextAreaField(_l("Nội dung chỉ tiêu"), render_kw={"rows": 3})
    level = SelectField(_l("Cấp áp dụng"), validate_choice=False)
    value = StringField(_l("Giá trị"), render_kw={"inputmode": "decimal"})
    threshold = StringField(_l("Ngưỡng"), render_kw={"inputmode": "decimal"})
    deadline = StringField(_l("Thời hạn (không bắt buộc)"), render_kw={"type": "date"})
    note = StringField(_l("Ghi chú"))

    def is_empty(self) -> bool:
        if self.kind.data == "text":
            return not any(_text(f.data) for f in (self.text, self.deadline))
        return not any(_text(f.data) for f in (self.indicator, self.value, self.threshold,
                                                self.note))

    def to_input(self) -> TargetInput:
        if self.kind.data == "text":
            return TargetInput(indicator=None, level=self.level.data, kind="text", value=None,
                               text=self.text.data or "",
                               deadline=_text(self.deadline.data) or None)
        return TargetInput(indicator=_text(self.indicator.data), level=self.level.data,
                           kind=self.kind.data, value=_text(self.value.data),
                           threshold=_text(self.threshold.data) or None,
                           note=_text(self.note.data))


class ActivityRowForm(Form):
    title = StringField(_l("Nội dung hoạt động"))
    when = SelectField(_l("Thời gian"), validate_choice=False,
                       choices=[SelectChoice(k, v) for k, v in WHEN_LABELS.items()])
    when_number = StringField(_l("Tháng/quý số"), render_kw={"inputmode": "numeric"})
    start_date = StringField(_l("Từ ngày"), render_kw={"type": "date"})
    end_date = StringField(_l("Đến ngày"), render_kw={"type": "date"})
    lead = StringField(_l("Chủ trì"))
    coordinators = StringField(_l("Phối hợp"))
    budget_source = StringField(_l("Nguồn kinh phí"))

    def is_empty(self) -> bool:
        return not any(_text(f.data) for f in (
            self.title, self.when_number, self.start_date, self.end_date, self.lead,
            self.coordinators, self.budget_source))

    def to_input(self) -> ActivityInput:
        return ActivityInput(
            title=_text(self.title.data), when=self.when.data or "year",
            when_number=_text(self.when_number.data) or None,
            start_date=_text(self.start_date.data) or None,
            end_date=_text(self.end_date.data) or None, lead=_text(self.lead.data),
            coordinators=_text(self.coordinators.data),
            budget_source=_text(self.budget_source.data))


class PlanForm(FlaskForm):
    number = StringField(_l("Số, ký hiệu"), render_kw={"placeholder": "68/KH-BTV"})
    place = StringField(_l("Địa danh"))
    plan_date = StringField(_l("Ngày ban hành"), render_kw={"type": "date"})
    title = StringField(_l("Tên kế hoạch"))
    year = StringField(_l("Năm"), render_kw={"inputmode": "numeric"})
    parent_plan_id = SelectField(_l("Kế hoạch cấp trên làm căn cứ"), validate_choice=False)
    basis = TextAreaField(_l("Căn cứ (các văn bản khác)"), render_kw={"rows": 3})
    purpose = TextAreaField(_l("I. Mục đích, yêu cầu"), render_kw={"rows": 8})
    targets = FieldList(FormField(TargetRowForm))
    content = TextAreaField(_l("III. Nội dung"), render_kw={"rows": 12})
    activities = FieldList(FormField(ActivityRowForm))
    budget = TextAreaField(_l("Kinh phí (không bắt buộc)"), render_kw={"rows": 3})
    organisation = TextAreaField(_l("IV. Tổ chức thực hiện"), render_kw={"rows": 8})
    heading_purpose = StringField(_l("Tiêu đề phần mục đích"))
    heading_targets = StringField(_l("Tiêu đề phần chỉ tiêu"))
    heading_content = StringField(_l("Tiêu đề phần nội dung"))
    heading_budget = StringField(_l("Tiêu đề phần kinh phí"))
    heading_organisation = StringField(_l("Tiêu đề phần tổ chức thực hiện"))
    counted = BooleanField(_l("Thuộc chương trình công tác năm: các chỉ tiêu của kế hoạch này "
                              "được theo dõi mức đạt khi kế hoạch được ban hành"))
    recipients = TextAreaField(_l("Nơi nhận (mỗi dòng một nơi)"), render_kw={"rows": 4})
    signer_title = StringField(_l("Chức danh người ký"))
    signer_name = StringField(_l("Họ tên người ký"))
    child_levels = CheckboxesField(_l("Yêu cầu cấp dưới xây dựng kế hoạch thực hiện"),
                                   validate_choice=False)
    child_deadline = StringField(_l("Hạn nộp kế hoạch của cấp dưới"), render_kw={"type": "date"})
    version = HiddenField()

    def filled(self, rows: FieldList) -> list:
        return [entry.form for entry in rows if not entry.form.is_empty()]

    def to_input(self) -> PlanInput:
        return PlanInput(
            title=_text(self.title.data), year=_text(self.year.data),
            number=_text(self.number.data), place=_text(self.place.data),
            plan_date=_text(self.plan_date.data) or None,
            parent_plan_id=self.parent_plan_id.data or None, basis=self.basis.data or "",
            purpose=self.purpose.data or "", content=self.content.data or "",
            organisation=self.organisation.data or "", budget=self.budget.data or "",
            headings={key: _text(getattr(self, f"heading_{key}").data)
                      for key in SECTION_LABELS},
            counted=bool(self.counted.data), recipients=self.recipients.data or "",
            signer_title=_text(self.signer_title.data), signer_name=_text(self.signer_name.data),
            child_levels=[level for level in self.child_levels.data or [] if level],
            child_deadline=_text(self.child_deadline.data) or None,
            targets=[row.to_input() for row in self.filled(self.targets)],
            activities=[row.to_input() for row in self.filled(self.activities)],
        )

    def keep_filled_rows(self) -> None:
        """After a refused save: the typed rows, numbered as the service counted them."""
        for rows in (self.targets, self.activities):
            rows.process(None, [row.data for row in self.filled(rows)])

    def add_blank_rows(self, count: int = BLANK_ROWS) -> None:
        for _i in range(count):
            self.targets.append_entry()
            self.activities.append_entry()


def plan_data(plan) -> dict:
    """The form's initial data from a stored plan."""
    return {
        "number": plan.number, "place": plan.place,
        "plan_date": plan.plan_date.isoformat() if plan.plan_date else "",
        "title": plan.title, "year": str(plan.year),
        "parent_plan_id": str(plan.parent_plan_id or ""), "basis": plan.basis,
        "purpose": plan.purpose, "content": plan.content, "organisation": plan.organisation,
        "budget": plan.budget, "counted": plan.counted,
        **{f"heading_{key}": plan.heading(key) for key in SECTION_LABELS},
        "recipients": plan.recipients, "signer_title": plan.signer_title,
        "signer_name": plan.signer_name, "child_levels": plan.child_level_list,
        "child_deadline": plan.child_deadline.isoformat() if plan.child_deadline else "",
        "version": str(plan.version),
        "targets": [_target_data(t) for t in plan.targets],
        "activities": [{
            "title": a.title, "when": a.when_kind,
            "when_number": str(a.when_number) if a.when_number else "",
            "start_date": a.start_date.isoformat() if a.start_date else "",
            "end_date": a.end_date.isoformat() if a.end_date else "",
            "lead": a.lead, "coordinators": a.coordinators, "budget_source": a.budget_source,
        } for a in plan.activities],
    }


def _target_data(t) -> dict:
    if not t.measured:
        return {"kind": "text", "level": t.level, "text": t.text,
                "deadline": t.deadline.isoformat() if t.deadline else ""}
    return {"indicator": t.indicator.code, "level": t.level, "kind": t.kind,
            "value": _plain(t.value),
            "threshold": _plain(t.threshold) if t.threshold is not None else "", "note": t.note}


def _plain(number) -> str:
    """2.00 → "2", 1500.50 → "1.500,5": written as the pages show it, which reads back."""
    return format_number(number, places=2)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""

