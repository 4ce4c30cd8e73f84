from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

REQUIRED = _l("Trường này là bắt buộc.")


class UnitForm(FlaskForm):
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(REQUIRED), Length(max=200)])
    level = SelectField(_l("Cấp"), validate_choice=False)
    code = StringField(_l("Mã (để trống để tự sinh)"), validators=[Length(max=64)])
    opened_on = StringField(_l("Ngày bắt đầu hoạt động"), validators=[Length(max=10)])


class RenameForm(FlaskForm):
    name = StringField(_l("Tên mới"), validators=[DataRequired(REQUIRED), Length(max=200)])


class OfficialNameForm(FlaskForm):
    official_name = StringField(_l("Tên chính thức (dùng trên văn bản)"),
                                validators=[Length(max=200)])


class OpenedForm(FlaskForm):
    opened_on = StringField(_l("Ngày bắt đầu hoạt động"), validators=[Length(max=10)])


class MoveForm(FlaskForm):
    parent_id = SelectField(_l("Chuyển về trực thuộc"), coerce=int, validate_choice=False)
