from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField


class IndicatorForm(FlaskForm):
    """Text fields on purpose: the service checks them and words the messages."""

    code = StringField(_l("Mã"), render_kw={"placeholder": "GIAM_SAT",
                                            "autocapitalize": "characters"})
    name = StringField(_l("Tên chỉ tiêu"))
    kind = SelectField(_l("Loại giá trị"), validate_choice=False)
    aggregation = SelectField(_l("Cách tổng hợp"), validate_choice=False)
    unit_label = StringField(_l("Đơn vị tính"))
    description = TextAreaField(_l("Mô tả"), render_kw={"rows": 3})
    binding = SelectField(_l("Lấy số từ hồ sơ"), validate_choice=False)
    active = BooleanField(_l("Đang dùng"), default=True)
