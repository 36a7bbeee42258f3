"""Thai pages say their messages in Thai: WTForms' validation, account refusals, statuses, the course status."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from academy.auth.models import Role, User
from academy.auth.views import account_message
from academy.forms import Form
from tests.support.app import csrf_token

Login = Callable[[User], FlaskClient]


def test_an_invalid_email_is_explained_in_thai(make_user: Callable[..., User], login: Login) -> None:
    client = login(make_user(Role.ADMIN))
    page = client.post(
        "/admin/users/new",
        data={
            "email": "not-an-email",
            "password": "a-long-password",
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    ).get_data(as_text=True)
    assert "อีเมลไม่ถูกต้อง" in page and "Invalid email address." not in page


def test_wtforms_messages_follow_the_page_language(app: Flask) -> None:
    from wtforms import StringField
    from wtforms.validators import DataRequired, Length

    class Sample(Form):
        class Meta:
            csrf = False

        name = StringField(validators=[DataRequired(), Length(min=5)])

    with app.test_request_context(method="POST", data={"name": "ab"}):
        with force_locale("th"):
            form = Sample()
            assert not form.validate()
            assert form.name.errors == ["ต้องมีอย่างน้อย 5 ตัวอักษร"]
        with force_locale("en"):
            form = Sample()
            assert not form.validate()
            assert form.name.errors == ["Field must be at least 5 characters long."]


def test_account_refusals_are_translated(app: Flask) -> None:
    with app.test_request_context(), force_locale("th"):
        assert account_message(ValueError("an HR officer needs at least one agency")) == (
            "เจ้าหน้าที่ HR ต้องมีหน่วยงานอย่างน้อยหนึ่งหน่วยงาน"
        )
        assert "a@b.go.th" in account_message(ValueError("a user with email a@b.go.th already exists"))
        assert account_message(ValueError("something else")) == "something else"


def test_statuses_and_the_course_status_read_in_thai(app: Flask) -> None:
    from flask_babel import gettext

    with app.test_request_context(), force_locale("th"):
        published = gettext("Published")
        said = gettext("The course is now %(status)s.", status=published)
        assert published in said and f"{published} แล้ว" not in said  # no doubled "แล้ว"
        for word in ("pending", "delivered", "failed", "draft", "active"):
            assert gettext(word) != word
