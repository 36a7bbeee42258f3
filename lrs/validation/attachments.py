"""The attachments of a statement or SubStatement."""

from __future__ import annotations

from academy.inputs import MAX_INT
from lrs.validation.basics import _array, _check_keys, _fail, _object, _require, _wrong_type
from lrs.validation.constants import _ATTACHMENT_KEYS, _ATTACHMENT_REQUIRED, _MEDIA_TYPE, _SHA2, MAX_MEDIA_TYPE_LENGTH
from lrs.validation.scalars import validate_iri, validate_language_map


def _attachments(value: object, path: str) -> None:
    for index, item in enumerate(_array(value, path)):
        item_path = f"{path}[{index}]"
        attachment = _object(item, item_path)
        _check_keys(attachment, _ATTACHMENT_KEYS, item_path)
        _require(attachment, _ATTACHMENT_REQUIRED, item_path)
        validate_iri(attachment["usageType"], f"{item_path}.usageType")
        validate_language_map(attachment["display"], f"{item_path}.display")
        if "description" in attachment:
            validate_language_map(attachment["description"], f"{item_path}.description")
        content_type = attachment["contentType"]
        if type(content_type) is not str:
            _wrong_type(f"{item_path}.contentType", "an Internet media type string", content_type)
        if len(content_type) > MAX_MEDIA_TYPE_LENGTH:
            _fail(f"{item_path}.contentType", f"must have at most {MAX_MEDIA_TYPE_LENGTH} characters")
        if not _MEDIA_TYPE.fullmatch(content_type):
            _fail(f"{item_path}.contentType", "must be an Internet media type such as text/plain")
        length = attachment["length"]
        if type(length) is not int:
            _wrong_type(f"{item_path}.length", "an integer", length)
        if length < 0:
            _fail(f"{item_path}.length", "must not be negative")
        if length > MAX_INT:
            _fail(f"{item_path}.length", f"must not be greater than {MAX_INT}")
        sha2 = attachment["sha2"]
        if type(sha2) is not str:
            _wrong_type(f"{item_path}.sha2", "a string of hexadecimal digits", sha2)
        if not _SHA2.fullmatch(sha2):
            _fail(f"{item_path}.sha2", "must be a SHA-2 hash (224, 256, 384 or 512 bits) in hexadecimal digits")
        if "fileUrl" in attachment:
            validate_iri(attachment["fileUrl"], f"{item_path}.fileUrl")
