"""Lessons in Markdown with a live preview; HTML lessons keep working, sanitised as before."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.db import db
from courses.content import render_markdown
from courses.models import Course, Lesson
from tests.support.app import csrf_token

Login = Callable[[User], FlaskClient]


def test_markdown_renders_to_the_sanitised_subset() -> None:
    html = render_markdown(
        "# หัวข้อ\n\n**ตัวหนา** [ลิงก์](https://example.go.th)\n\n<script>alert(1)</script>\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h1>หัวข้อ</h1>" in html and "<strong>ตัวหนา</strong>" in html
    assert 'href="https://example.go.th"' in html and "<table>" in html
    assert "<script" not in html and "alert" not in html
    assert 'href="javascript' not in render_markdown("[x](javascript:alert(1))")


def test_an_author_writes_markdown_sees_a_preview_and_edits_the_markdown_again(
    make_course: Callable[..., Course], make_user: Callable[..., User], login: Login
) -> None:
    course = make_course("MD101")
    module = course.modules[0]
    client = login(make_user(Role.ADMIN))
    new = f"/admin/courses/modules/{module.id}/lessons/new"
    page = client.get(new).get_data(as_text=True)
    assert "checked" in page[page.index('value="markdown"') - 80 : page.index('value="markdown"') + 20]
    assert "js/lesson-editor.js" in page
    token = csrf_token(client, new)
    preview = client.post("/admin/courses/preview", data={"csrf_token": token, "format": "markdown", "text": "**หนา**"})
    assert preview.get_json() == {"html": "<p><strong>หนา</strong></p>"}
    assert client.post("/admin/courses/preview", data={"format": "markdown", "text": "x"}).status_code == 400
    response = client.post(
        new,
        data={
            "csrf_token": token,
            "title_th": "บทเรียนมาร์กดาวน์",
            "minutes": "5",
            "body_format": "markdown",
            "body_th": "## ส่วนที่หนึ่ง\n\n- ข้อ 1\n- ข้อ 2",
            "body_en": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    lesson = db.session.scalars(db.select(Lesson).where(Lesson.title_th == "บทเรียนมาร์กดาวน์")).one()
    assert "<h2>ส่วนที่หนึ่ง</h2>" in lesson.body_th and "<li>ข้อ 1</li>" in lesson.body_th
    assert lesson.markdown_th == "## ส่วนที่หนึ่ง\n\n- ข้อ 1\n- ข้อ 2"
    edit = client.get(f"/admin/courses/lessons/{lesson.id}").get_data(as_text=True)
    assert "## ส่วนที่หนึ่ง" in edit  # the author edits what they wrote, not the HTML


def test_html_lessons_stay_html_and_are_sanitised(
    make_course: Callable[..., Course], make_user: Callable[..., User], login: Login
) -> None:
    course = make_course("HT101")
    lesson = course.modules[0].lessons[0]  # written in HTML (no Markdown)
    client = login(make_user(Role.ADMIN))
    page = f"/admin/courses/lessons/{lesson.id}"
    text = client.get(page).get_data(as_text=True)
    assert "&lt;p&gt;ข้อมูลส่วนบุคคล&lt;/p&gt;" in text  # the HTML in the textarea
    response = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "title_th": lesson.title_th,
            "minutes": "10",
            "body_format": "html",
            "body_th": '<p onclick="x()">ปลอดภัย</p><script>bad()</script>',
        },
    )
    assert response.status_code == 302
    db.session.refresh(lesson)
    assert lesson.body_th == "<p>ปลอดภัย</p>" and lesson.markdown_th is None
