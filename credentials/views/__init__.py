"""The credentials' pages: the verifier's (public) and the holder's (My credentials)."""

from __future__ import annotations

from credentials.views.holder import bp as holder_bp
from credentials.views.public import bp as public_bp

__all__ = ["holder_bp", "public_bp"]
