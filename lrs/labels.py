"""What admins read for the LRS's codes, in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lrs.clients import IGNORED_NOT_GRANTED, IGNORED_OUTSIDE_AGENCY, IGNORED_PLATFORM_COURSE

#: Why the trust rules ignored a statement: the statement's page and the client's ignored list say it alike.
IGNORED_LABELS = {
    IGNORED_PLATFORM_COURSE: _l(
        "ignored: a provider's statement about one of the platform's courses changes no enrolment"
    ),
    IGNORED_NOT_GRANTED: _l("ignored: provider not granted this alignment"),
    IGNORED_OUTSIDE_AGENCY: _l("ignored: the person is outside the client's agencies"),
}
