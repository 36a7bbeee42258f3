import sys, json, tempfile
from pathlib import Path
sys.path.insert(0, ".")
from tests.browser.live import live_server, chromium
AXE = Path("node_modules/axe-core/axe.min.js").read_text()
with live_server(Path(tempfile.mkdtemp())) as (url, app), chromium() as browser:
    page = browser.new_page(viewport={"width": int(sys.argv[1]), "height": 900})
    page.goto(url + "/api/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    page.evaluate(AXE + "\n;0")
    r = page.evaluate("async () => (await axe.run(document, {resultTypes:['violations']})).violations.map(v => [v.id, v.nodes.slice(0,2).map(n => n.html.slice(0,300) + ' || ' + (n.failureSummary||'').slice(0,200))])")
    print(json.dumps(r, indent=1, ensure_ascii=False))
    print(page.evaluate("[document.documentElement.scrollWidth, innerWidth]"), page.evaluate("[...document.querySelectorAll(\"h1,h2,h3,h4,h5,h6\")].slice(0,8).map(h => h.tagName + \" \" + h.className + \" \" + getComputedStyle(h).display)"))
    page.screenshot(path="tmp/docs.png", full_page=True)
