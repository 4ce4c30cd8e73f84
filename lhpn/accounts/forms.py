from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

REQUIRED = _l("Trường này là bắt buộc.")


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(REQUIRED), Length(max=256)])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(REQUIRED)])
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(REQUIRED),
                    EqualTo("new_password", _l("Hai mật khẩu không khớp."))],
    )


class UserForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(REQUIRED), Length(max=64)])
    full_name = StringField(_l("Họ và tên"), validators=[Length(max=200)])
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(REQUIRED)])
    unit_id = SelectField(_l("Đơn vị công tác"), coerce=int, validate_choice=False)
    email = StringField(_l("E-mail (nhận thông báo)"), validators=[Length(max=254)])


class EmailForm(FlaskForm):
    email = StringField(_l("E-mail (nhận thông báo)"), validators=[Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(REQUIRED)])


class AssignRoleForm(FlaskForm):
    role = SelectField(_l("Vai trò"), validate_choice=False)
    unit_id = SelectField(_l("Tại đơn vị"), coerce=int, validate_choice=False)


class EmptyForm(FlaskForm):
    """CSRF token only, for button-only POSTs."""
