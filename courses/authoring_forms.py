"""Forms of the course authoring pages (Flask-WTF: each carries a CSRF token).

The forms check shapes (a number is a number); the rules live in ``courses.services.authoring``,
whose errors the views attach to the field they name.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from academy.forms import Form as PortalForm
from courses.models import CompletionRule, CourseFormat, CourseStatus, QuestionKind

FORMAT_LABELS = {
    CourseFormat.ONLINE: _l("Online, self-paced"),
    CourseFormat.CLASSROOM: _l("Classroom"),
    CourseFormat.EXTERNAL: _l("External provider"),
}
STATUS_LABELS = {
    CourseStatus.DRAFT: _l("Draft"),
    CourseStatus.PUBLISHED: _l("Published"),
    CourseStatus.ARCHIVED: _l("Archived"),
}
RULE_LABELS = {
    CompletionRule.LESSONS_AND_QUIZZES: _l("Every lesson viewed and every quiz passed"),
    CompletionRule.LESSONS: _l("Every lesson viewed"),
    CompletionRule.QUIZZES: _l("Every quiz passed"),
}
KIND_LABELS = {
    QuestionKind.SINGLE: _l("Single choice"),
    QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.TRUE_FALSE: _l("True or false"),
}
LANGUAGE_LABELS = {"th": _l("Thai"), "en": _l("English")}
CHOICE_ROWS = 6


class CourseForm(PortalForm):
    code = StringField(_l("Code"), description=_l("Letters, digits, '.', '_' and '-', e.g. EWA-DG-201."))
    title_th = StringField(_l("Title (Thai)"))
    title_en = StringField(_l("Title (English)"))
    description_th = TextAreaField(_l("Description (Thai)"), render_kw={"rows": 4})
    description_en = TextAreaField(_l("Description (English)"), render_kw={"rows": 4})
    provider = StringField(_l("Provider"))
    format = SelectField(_l("Format"), choices=[SelectChoice(f.value, label) for f, label in FORMAT_LABELS.items()])
    hours = StringField(_l("Hours"), description=_l("Learning hours, e.g. 3 or 1.5."))
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()]
    )
    completion_rule = SelectField(
        _l("Completion rule"), choices=[SelectChoice(r.value, label) for r, label in RULE_LABELS.items()]
    )
    quiz_review = BooleanField(
        _l("After a failed quiz, show the learner which answers were wrong"),
        description=_l("The right answers are not shown."),
    )


class ModuleForm(PortalForm):
    title_th = StringField(_l("Title (Thai)"))
    title_en = StringField(_l("Title (English)"))


class LessonForm(PortalForm):
    title_th = StringField(_l("Title (Thai)"))
    title_en = StringField(_l("Title (English)"))
    minutes = IntegerField(_l("Minutes"), default=10, validators=[InputRequired(), NumberRange(min=1, max=1440)])
    video_url = StringField(
        _l("Video link"), description=_l("An https:// address: YouTube, Vimeo or any other video page.")
    )
    body_format = RadioField(
        _l("Written in"),
        choices=[SelectChoice("markdown", _l("Markdown")), SelectChoice("html", _l("HTML"))],
        default="markdown",
    )
    body_th = TextAreaField(
        _l("Content (Thai)"),
        render_kw={"rows": 14},
        description=_l(
            "Markdown: # heading, **bold**, *italics*, - lists, [link](https://…), ![image](https://…), tables. "
            "In HTML: headings, paragraphs, lists, links, https images, tables, code and quotes. "
            "Anything else is removed when saved."
        ),
    )
    body_en = TextAreaField(_l("Content (English)"), render_kw={"rows": 10})
    file = FileField(
        _l("File to download"), description=_l("PDF, office documents, images, audio or video; 20 MB at most.")
    )
    remove_file = BooleanField(_l("Remove the current file"))


class QuizForm(PortalForm):
    title_th = StringField(_l("Title (Thai)"))
    title_en = StringField(_l("Title (English)"))
    pass_mark = IntegerField(_l("Pass mark (%)"), default=70, validators=[InputRequired(), NumberRange(min=0, max=100)])
    attempt_limit = IntegerField(
        _l("Attempts allowed"),
        validators=[Optional(), NumberRange(min=1, max=100)],
        description=_l("Leave empty for unlimited attempts."),
    )
    shuffle = BooleanField(_l("Shuffle the questions and choices for each attempt"), default=True)


class ChoiceRow(Form):
    """One choice of a question (a sub-form: the question form carries the CSRF token)."""

    code = StringField(_l("Code"))
    text_th = StringField(_l("Choice (Thai)"))
    text_en = StringField(_l("Choice (English)"))
    correct = BooleanField(_l("Correct"))

    def is_empty(self) -> bool:
        return not any((field.data or "").strip() for field in (self.code, self.text_th, self.text_en))


class QuestionForm(PortalForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()])
    text_th = TextAreaField(_l("Question (Thai)"), render_kw={"rows": 3})
    text_en = TextAreaField(_l("Question (English)"), render_kw={"rows": 3})
    choices = FieldList(FormField(ChoiceRow), min_entries=CHOICE_ROWS, max_entries=CHOICE_ROWS)


class ImportForm(PortalForm):
    file = FileField(_l("Course file (JSON or YAML)"), validators=[FileRequired()])
