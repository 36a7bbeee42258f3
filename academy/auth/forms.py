"""Forms of the auth package (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectMultipleField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from academy.auth.models import Role
from academy.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from academy.forms import Form

ROLE_LABELS = {Role.LEARNER: _l("Learner"), Role.HR_OFFICER: _l("HR officer"), Role.ADMIN: _l("Academy admin")}


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=255)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=255)])
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=_l("Leave empty to keep the current password; a new user without one gets an invitation by email."),
    )
    roles = MultiCheckboxField(
        _l("Roles"), choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]
    )
    agency_codes = StringField(
        _l("HR officer's agencies"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Type a code or a name; the officer sees these agencies and everything beneath them."),
    )
    employee = StringField(
        _l("Linked person"),
        validators=[Optional(), Length(max=300)],
        description=_l("Type a name or an employee number, for a user who is a learner."),
    )
    active = BooleanField(_l("Active"), default=True)


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=255)])


class SetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        description=_l("At least 12 characters; a few unrelated words make a good one."),
    )
    confirm = PasswordField(
        _l("New password again"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )


class SecondFactorForm(Form):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 6-digit code of your authenticator app, or one of your recovery codes."),
    )


class EnrolForm(Form):
    code = StringField(
        _l("Code from the app"), validators=[DataRequired(), Length(max=10)], description=_l("6 digits.")
    )


class ConfirmForm(Form):
    """A button that only needs its CSRF token."""
