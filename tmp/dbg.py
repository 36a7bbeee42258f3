import sys, tempfile
from pathlib import Path
sys.path.insert(0, ".")
from tests.browser.live import live_server, chromium, sign_in
from tests.browser import test_every_page as t
with live_server(Path(tempfile.mkdtemp()), t._seed) as (url, app), chromium() as browser:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    sign_in(page, url, sys.argv[1])
    for path in sys.argv[2:]:
        page.goto(url + path, wait_until="networkidle")
        print(path, page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"))
        print(page.evaluate("""() => [...document.querySelectorAll('body, body > *, main > *, main table, main table *')].filter(e => e.scrollWidth > 391 || e.getBoundingClientRect().right > 391).slice(0, 15).map(e => e.tagName + '.' + e.className + ' sw=' + e.scrollWidth + ' cw=' + e.clientWidth + ' r=' + Math.round(e.getBoundingClientRect().right) + ' ov=' + getComputedStyle(e).overflowX + ' d=' + getComputedStyle(e).display)"""))
