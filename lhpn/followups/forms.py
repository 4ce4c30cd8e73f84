"""The forms of a follow-up. Fields are text on purpose: dates are checked by the service,
whose messages are the ones the user reads. Each follow-up's forms carry its own prefix, so a
page listing several refills only the one that was posted."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField


class FollowUpForm(FlaskForm):
    agency = StringField(_l("Cơ quan giải quyết"))
    agency_superior = StringField(_l("Cơ quan cấp trên (để đôn đốc, không bắt buộc)"))
    letter_number = StringField(_l("Số văn bản của Hội (không bắt buộc)"))
    written_on = StringField(_l("Ngày gửi văn bản"), render_kw={"type": "date"})
    due_on = StringField(_l("Thời hạn giải quyết theo quy định"), render_kw={"type": "date"})
    version = HiddenField()

    def values(self) -> dict[str, object]:
        return {"agency": self.agency.data, "agency_superior": self.agency_superior.data,
                "letter_number": self.letter_number.data, "written_on": self.written_on.data,
                "due_on": self.due_on.data}


class AnswerForm(FlaskForm):
    answered_on = StringField(_l("Ngày cơ quan trả lời"), render_kw={"type": "date"})
    answer = TextAreaField(_l("Tóm tắt kết quả trả lời (không ghi thông tin cá nhân)"))
    version = HiddenField()


class VersionForm(FlaskForm):
    """Closing, or recording a chase: only the version the page showed."""

    version = HiddenField()
