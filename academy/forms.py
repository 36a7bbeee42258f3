"""Forms shared by every package."""

from __future__ import annotations

from flask_wtf import FlaskForm


class CsrfForm(FlaskForm):
    """Forms whose fields are written by hand, and forms of buttons: this only checks the CSRF token."""
