"""Lesson content: the sanitiser keeps rich text and drops what could run; video links and files are checked."""

from __future__ import annotations

import pytest

from courses.content import (
    MAX_FILE_BYTES,
    ContentError,
    clean_file_name,
    sanitise_html,
    validate_lesson_file,
    validate_video_url,
    video_embed_url,
)

RICH = (
    "<h2>หัวข้อ</h2><h3>ย่อย</h3><p>ย่อหน้า <strong>หนา</strong> <em>เอียง</em> <code>x = 1</code></p>"
    '<ul><li>หนึ่ง</li></ul><ol start="3"><li>สาม</li></ol>'
    "<blockquote>คำกล่าว</blockquote><pre><code>print(1)</code></pre>"
    '<table><caption>ตาราง</caption><thead><tr><th scope="col">ก</th></tr></thead>'
    '<tbody><tr><td colspan="2">ข</td></tr></tbody></table>'
    '<img src="https://www.dga.or.th/logo.png" alt="โลโก้" width="120">'
)


def test_allowed_markup_is_kept_as_written() -> None:
    assert sanitise_html(RICH) == RICH


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>ก่อน</p><script>alert(1)</script><p>หลัง</p>", "<p>ก่อน</p><p>หลัง</p>"),
        ('<p onclick="steal()" onmouseover="x()">ข้อความ</p>', "<p>ข้อความ</p>"),
        ('<img src="https://a.example/i.png" onerror="alert(1)">', '<img src="https://a.example/i.png">'),
        ('<a href="javascript:alert(1)">ลิงก์</a>', '<a rel="noopener noreferrer">ลิงก์</a>'),
        ('<a href="JaVaScRiPt:alert(1)">ลิงก์</a>', '<a rel="noopener noreferrer">ลิงก์</a>'),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ("<style>body{display:none}</style><p>ก</p>", "<p>ก</p>"),
        ('<iframe src="https://evil.example"></iframe><p>ก</p>', "<p>ก</p>"),
        ('<p style="position:fixed" class="x" id="y">ก</p>', "<p>ก</p>"),
        ('<form action="https://evil.example"><input name="p"></form>', ""),
        ("<svg><script>alert(1)</script></svg><p>ก</p>", "<p>ก</p>"),
        ("<!-- comment --><p>ก</p>", "<p>ก</p>"),
        ('<img src="http://insecure.example/i.png">', "<img>"),
        ('<img src="/relative.png">', "<img>"),
        ('<img src="data:image/png;base64,AAAA">', "<img>"),
        ('<td colspan="2;evil">x</td>', "x"),
        ("<unknown>ข้อความ</unknown>", "ข้อความ"),
    ],
)
def test_what_could_run_or_restyle_is_dropped(html: str, expected: str) -> None:
    assert sanitise_html(html) == expected


def test_links_get_safe_rel_and_keep_allowed_schemes() -> None:
    html = (
        '<a href="https://www.ocsc.go.th" target="_blank" rel="opener">ก.พ.</a> '
        '<a href="http://example.go.th">http</a> <a href="mailto:help@dga.or.th">อีเมล</a>'
    )
    assert sanitise_html(html) == (
        '<a href="https://www.ocsc.go.th" rel="noopener noreferrer">ก.พ.</a> '
        '<a href="http://example.go.th" rel="noopener noreferrer">http</a> '
        '<a href="mailto:help@dga.or.th" rel="noopener noreferrer">อีเมล</a>'
    )


def test_empty_and_plain_text() -> None:
    assert sanitise_html("") == ""
    assert sanitise_html("  ข้อความธรรมดา < 5 & > 3  ") == "ข้อความธรรมดา &lt; 5 &amp; &gt; 3"


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?t=10", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://m.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://media.dga.or.th/videos/lesson-1.mp4", None),
    ],
)
def test_https_video_links_are_accepted(url: str, embed: str | None) -> None:
    assert validate_video_url(f"  {url} ") == url
    assert video_embed_url(url) == embed


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://www.youtube.com/watch?v=dQw4w9WgXcQ", "must be an https:// address"),
        ("javascript:alert(1)", "must be an https:// address"),
        ("ftp://files.example/v.mp4", "must be an https:// address"),
        ("https://", "must be an https:// address"),
        ("https://user:pw@video.example/v", "user name or password"),
        ("https://video.example/a b", "spaces or control characters"),
        ("https://www.youtube.com/watch?v=short", "names no video"),
        ("https://www.youtube.com/channel/UC123", "names no video"),
        ("https://vimeo.com/channels/staffpicks", "names no video"),
        ("https://video.example/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_bad_video_links_are_refused(url: str, message: str) -> None:
    with pytest.raises(ContentError) as error:
        validate_video_url(url)
    assert message in str(error.value)


def test_no_video_link_is_none() -> None:
    assert validate_video_url("") is None
    assert validate_video_url(None) is None
    assert validate_video_url("   ") is None


def test_lesson_files_are_typed_by_their_extension() -> None:
    file = validate_lesson_file("C:\\Users\\me\\เอกสาร\\สรุป บทที่ 1.PDF", b"%PDF-1.4")
    assert (file.name, file.content_type, file.data) == ("สรุป บทที่ 1.PDF", "application/pdf", b"%PDF-1.4")
    assert validate_lesson_file("../../etc/แบบฝึก.xlsx", b"x").name == "แบบฝึก.xlsx"
    assert clean_file_name("a\u0000b\u200b.txt") == "ab.txt"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("page.html", b"<script>", "files of type .html are not accepted"),
        ("image.svg", b"<svg/>", "files of type .svg are not accepted"),
        ("noextension", b"x", "files of type (none) are not accepted"),
        ("empty.pdf", b"", "the file is empty"),
        ("   ", b"x", "the file has no name"),
        ("big.pdf", b"x" * (MAX_FILE_BYTES + 1), "larger than 20 MB"),
        ("ก" * 252 + ".pdf", b"x", "longer than 255 characters"),
    ],
)
def test_unsafe_or_bad_files_are_refused(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ContentError) as error:
        validate_lesson_file(name, data)
    assert message in str(error.value)
