"""End-to-end browser tests: a citizen reports, the intake officer answers and decides, the
citizen follows up — with JavaScript on and off, through the real forms of the real server.

Expected texts come from locales/*/main.ftl, so a rewording there does not break the tests but
a wrong key or a missing translation does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import struct
import time
import unicodedata
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

REPO = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "minhbach-demo"
DEFAULT_INTAKE_OFFICER = "tttp.tiepnhan"  # intake officer of "Thanh tra Thành phố Hà Nội"
DEFAULT_AGENCY_VI = "Thanh tra Thành phố Hà Nội"
DEMO_TOTP_SECRET = b"minhbach-demo-totp!!"
TOTP_STEP = 30
RECEIPT_RE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
REFERENCE_RE = re.compile(r"\bHN-\d{4}-\d{9}\b")
MODES = pytest.mark.parametrize("js", [True, False], ids=["js_on", "js_off"])


# --- texts -------------------------------------------------------------------------------


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _load_ftl(lang: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    key = None
    for line in (REPO / "locales" / lang / "main.ftl").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*)$", line)
        if m:
            key = m.group(1)
            messages[key] = m.group(2).strip()
        elif key and line.startswith((" ", "\t")) and line.strip():
            messages[key] = (messages[key] + " " + line.strip()).strip()
        elif not line.strip() or line.startswith("#"):
            key = None
    return {k: nfc(v) for k, v in messages.items()}


VI = _load_ftl("vi")
EN = _load_ftl("en")

# axe-core, installed from the npm registry by run.sh (MINHBACH_TEST_AXE names the file).
_AXE = Path(os.environ.get("MINHBACH_TEST_AXE", "/var/tmp/minhbach-axe/node_modules/axe-core/axe.min.js"))
if not _AXE.exists():
    raise RuntimeError(f"axe-core is missing at {_AXE}: run tests/browser/run.sh, which installs it")
AXE_SOURCE = _AXE.read_text()


# --- page helpers ------------------------------------------------------------------------


class Shots:
    """Numbered full-page screenshots; never fails a test."""

    def __init__(self, folder: Path, prefix: str):
        self.folder = folder
        self.prefix = prefix
        self.n = 0

    def __call__(self, driver, name: str) -> None:
        self.n += 1
        path = self.folder / f"{self.prefix}-{self.n:02d}-{name}.png"
        try:
            metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            shot = driver.execute_cdp_cmd(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {
                        "x": 0,
                        "y": 0,
                        "width": max(1, int(size["width"])),
                        "height": max(1, min(int(size["height"]), 8000)),
                        "scale": 1,
                    },
                },
            )
            path.write_bytes(base64.b64decode(shot["data"]))
        except Exception:  # noqa: BLE001 - screenshots are for humans, never a failure
            try:
                driver.save_screenshot(str(path))
            except Exception:  # noqa: BLE001
                pass


def _is_gone(e: WebDriverException) -> bool:
    # chromedriver reports a node of a replaced document either as stale or, racing the
    # navigation, as an inspector error.
    return isinstance(e, StaleElementReferenceException) or (
        "does not belong to the document" in str(e) or "No node with given id" in str(e)
    )


def _stale(element) -> bool:
    try:
        element.is_enabled()
        return False
    except WebDriverException as e:
        if _is_gone(e):
            return True
        raise


class Page:
    """One browser plus the checks made on every page it shows."""

    def __init__(self, driver, base: str, shots: Shots, who: str):
        self.d = driver
        self.base = base
        self.shots = shots
        self.who = who
        self.logs: list[dict] = []
        self.origin = urlsplit(base)

    @property
    def js(self) -> bool:
        return self.d.js_enabled

    def get(self, path: str) -> None:
        self.d.get(self.base + path)
        self.wait_loaded()

    def wait_loaded(self) -> None:
        WebDriverWait(self.d, 30).until(lambda d: d.find_elements(By.TAG_NAME, "main"))

    def click_and_wait(self, element) -> None:
        """Clicks a link or submit button and waits for the next document."""
        old = self.d.find_element(By.TAG_NAME, "html")
        try:
            element.click()
        except WebDriverException as e:
            # The click's own navigation may replace the document before chromedriver is done
            # with the node; the wait below tells whether a new page came.
            if not _is_gone(e):
                raise
        try:
            WebDriverWait(self.d, 30).until(lambda _: _stale(old))
        except TimeoutException:
            pytest.fail(f"{self.who}: clicking did not load a new page (still {self.d.current_url})")
        self.wait_loaded()

    def submit(self, form_css: str) -> None:
        self.click_and_wait(self.d.find_element(By.CSS_SELECTOR, f"{form_css} button[type=submit]"))

    def type(self, css: str, text: str) -> None:
        field = self.d.find_element(By.CSS_SELECTOR, css)
        field.clear()
        field.send_keys(text)
        got = nfc(field.get_attribute("value") or "")
        assert got == nfc(text), f"{self.who}: typing into {css} gave {got!r}"

    def text(self, css: str = "main") -> str:
        return nfc(self.d.find_element(By.CSS_SELECTOR, css).text)

    def texts(self, css: str) -> list[str]:
        return [nfc(e.text) for e in self.d.find_elements(By.CSS_SELECTOR, css)]

    def path(self) -> str:
        return urlsplit(self.d.current_url).path

    def check(self, name: str) -> None:
        """Screenshot, then: no resource from anywhere but this server, nothing scrolls sideways
        on a 360 px phone, axe-core finds no WCAG 2.1 A/AA violation (with JavaScript), and
        collect the logs."""
        self.shots(self.d, name)
        self.assert_fits(name)
        if self.js:
            self.assert_accessible(name)
        for el in self.d.find_elements(By.CSS_SELECTOR, "[src], link[href]"):
            attr = "src" if el.get_attribute("src") else "href"
            self._assert_local(el.get_attribute(attr), f"<{el.tag_name} {attr}> on {name}")
        if self.js:
            urls = self.d.execute_script(
                "return performance.getEntriesByType('navigation')"
                ".concat(performance.getEntriesByType('resource')).map(e => e.name)"
            )
            assert urls, f"{self.who}: no performance entries on {name}"
            for url in urls:
                self._assert_local(url, f"performance entry on {name}")
        self.collect_logs()

    def assert_fits(self, name: str, width: int = 360) -> None:
        """The page does not scroll sideways at `width` CSS pixels (a small phone)."""
        before = self.d.get_window_size()
        self.d.set_window_size(width, before["height"])
        try:
            WebDriverWait(self.d, 10).until(
                lambda d: d.execute_script("return window.innerWidth") <= width
            )
            wide = self.d.execute_script(
                "const w = window.innerWidth;"
                "const over = [...document.querySelectorAll('body *')]"
                "  .filter(e => e.getBoundingClientRect().right > w + 1"
                "    || (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0"
                "        && getComputedStyle(e).overflowX === 'visible'))"
                "  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + "
                "    (e.textContent || '').trim().slice(0, 40));"
                "return [document.documentElement.scrollWidth, w, over];"
            )
        finally:
            self.d.set_window_size(before["width"], before["height"])
        scroll, inner, over = wide
        assert scroll <= inner, (
            f"{self.who}: {name} scrolls sideways at {width} px ({scroll} > {inner}): {over}"
        )

    def assert_accessible(self, name: str) -> None:
        """axe-core (from the npm registry, loaded from a local file) finds no WCAG 2.1 A or AA
        violation on the page as shown."""
        self.d.execute_script(AXE_SOURCE)
        violations = self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, help: v.help, "
            "nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))))"
            ".catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));"
        )
        assert not violations, f"{self.who}: axe-core on {name}: {violations}"

    def _assert_local(self, url: str | None, what: str) -> None:
        if not url:
            return
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.hostname == "127.0.0.1", (
            f"{self.who}: third-party or non-loopback resource {url!r} ({what})"
        )
        assert parts.netloc == self.origin.netloc, f"{self.who}: resource from another origin {url!r} ({what})"

    def collect_logs(self) -> None:
        try:
            self.logs.extend(self.d.get_log("browser"))
        except Exception:  # noqa: BLE001 - not every driver exposes logs
            pass

    def assert_clean_console(self, allow: tuple[str, ...] = ()) -> None:
        """No CSP report at all; no other error but those whose message contains `allow`."""
        self.collect_logs()
        csp = [
            e
            for e in self.logs
            if "content security policy" in e.get("message", "").lower()
            or "refused to" in e.get("message", "").lower()
        ]
        assert not csp, f"{self.who}: CSP violations in the console: {csp}"
        # Any other error (failed load, script error) is a bug too, except the browser's own
        # favicon probe, which the app does not serve, and what the caller expects.
        allow = ("/favicon.ico", *allow)
        errors = [
            e
            for e in self.logs
            if e.get("level") == "SEVERE" and not any(a in e.get("message", "") for a in allow)
        ]
        assert not errors, f"{self.who}: errors in the console: {errors}"


def assert_session_cookie(page: Page, name: str) -> None:
    """The app's session cookies are __Host-, Secure, HttpOnly, SameSite=Strict."""
    cookie = page.d.get_cookie(name)
    assert cookie is not None, (
        f"{page.who}: Chromium did not keep the {name} cookie on {page.base} — it refused a "
        f"Secure __Host- cookie over plain HTTP on loopback (cookies it has: "
        f"{[c['name'] for c in page.d.get_cookies()]}; now on {page.d.current_url})"
    )
    assert cookie.get("secure") is True, f"{name} is not Secure: {cookie}"
    assert cookie.get("httpOnly") is True, f"{name} is not HttpOnly: {cookie}"
    assert cookie.get("sameSite") == "Strict", f"{name} is not SameSite=Strict: {cookie}"
    assert cookie.get("path") == "/", f"{name} has path {cookie.get('path')!r}"
    if page.js:
        assert name not in page.d.execute_script("return document.cookie"), f"{name} readable from JS"


def totp(step: int, secret: bytes = DEMO_TOTP_SECRET) -> str:
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


# Last second-factor step used per account: the server refuses a code's step twice.
_LAST_TOTP_STEP: dict[str, int] = {}


def staff_login(page: Page, username: str, home: str = "/staff/inbox") -> None:
    page.get("/staff/login")
    if page.d.find_elements(By.ID, "code"):
        last = _LAST_TOTP_STEP.get(username, -1)
        if int(time.time()) // TOTP_STEP <= last:
            # Like a person whose code was just used: wait for the next one.
            time.sleep((last + 1) * TOTP_STEP - time.time() + 0.5)
            page.get("/staff/login")
        step = int(time.time()) // TOTP_STEP  # after the page: never older than its code
        shown = re.findall(r"\b\d{6}\b", " ".join(page.texts("form .demo-banner")))
        if shown:
            # The demo page shows the real current code (the one an authenticator would).
            assert shown[0] in (totp(step - 1), totp(step)), f"demo code {shown[0]} is not current"
        code = shown[0] if shown else totp(step)
        page.type("#code", code)
        _LAST_TOTP_STEP[username] = step
    page.type("#username", username)
    page.type("#password", DEMO_PASSWORD)
    page.check("staff-login")
    page.submit("form[action='/staff/login']")
    assert page.path() == home, (
        f"{page.who}: login as {username} did not reach {home} but {page.d.current_url}: "
        f"{page.text()[:500]}"
    )
    assert_session_cookie(page, "__Host-mb-staff")


def open_case_from_inbox(page: Page, reference: str) -> None:
    page.get("/staff/inbox")
    page.check("staff-inbox")
    for _ in range(50):
        links = page.d.find_elements(By.LINK_TEXT, reference)
        if links:
            page.click_and_wait(links[0])
            return
        current = re.search(r"page=(\d+)", page.d.current_url)
        nxt = page.d.find_elements(
            By.CSS_SELECTOR, f"nav.pager a[href*='page={int(current.group(1)) + 1 if current else 2}']"
        )
        if not nxt:
            break
        page.click_and_wait(nxt[0])
    pytest.fail(f"{page.who}: {reference} is not in the inbox of {DEFAULT_INTAKE_OFFICER}")


def staff_state(page: Page) -> str:
    facts = page.d.find_element(By.CSS_SELECTOR, "dl.facts")
    dts = facts.find_elements(By.TAG_NAME, "dt")
    dds = facts.find_elements(By.TAG_NAME, "dd")
    for dt, dd in zip(dts, dds):
        if nfc(dt.text) == VI["inbox-state"]:
            return nfc(dd.text)
    pytest.fail(f"no state in the case facts: {nfc(facts.text)}")


def _set_field(page: Page, el, value: str) -> None:
    tag = el.tag_name.lower()
    if tag == "select":
        select = Select(el)
        values = [o.get_attribute("value") for o in select.options]
        select.select_by_value(value if value in values else next(v for v in values if v))
    elif (el.get_attribute("type") or "").lower() == "date":
        # Typing into a date input depends on the browser's locale; set it as a picker would.
        page.d.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
            el,
            value,
        )
    else:
        el.clear()
        el.send_keys(value)


def fill_form(page: Page, form, values: dict[str, str]) -> None:
    """Fills the named fields, and any other required field still empty, as an officer would."""
    generic = {
        "input": "TEST-1",
        "textarea": "Ghi chú của bài kiểm thử trình duyệt.",
        "date": time.strftime("%Y-%m-%d"),
        "select": "",
    }
    for el in form.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select, textarea"):
        name = el.get_attribute("name")
        if name in values:
            _set_field(page, el, values[name])
        elif el.get_attribute("required") is not None and not el.get_attribute("value"):
            kind = el.tag_name.lower()
            if (el.get_attribute("type") or "").lower() == "date":
                kind = "date"
            _set_field(page, el, generic.get(kind, "TEST-1"))


def decide(page: Page, label: str, expected_state: str, shot: str, values=None) -> None:
    """Takes the decision `label`: opens its panel if it has one, fills it, submits it."""
    summaries = [
        s
        for s in page.d.find_elements(By.CSS_SELECTOR, "#decisions details > summary")
        if nfc(s.text) == label
    ]
    if summaries:
        details = summaries[0].find_element(By.XPATH, "..")
        if details.get_attribute("open") is None:
            summaries[0].click()  # native <details>: works without JavaScript
        form = details.find_element(By.TAG_NAME, "form")
    else:
        xpath = f"//section[@id='decisions']//button[normalize-space()='{label}']"
        buttons = page.d.find_elements(By.XPATH, xpath)
        if not buttons:
            pytest.fail(f"{page.who}: no decision {label!r}; decisions: {page.text('#decisions')}")
        form = buttons[0].find_element(By.XPATH, "./ancestor::form")
    fill_form(page, form, values or {})
    page.shots(page.d, f"{shot}-form")
    page.click_and_wait(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    facts = page.d.find_elements(By.CSS_SELECTOR, "dl.facts")
    assert facts and staff_state(page) == expected_state, (
        f"{page.who}: after {label!r} expected state {expected_state!r}, got "
        f"{page.d.current_url}: {page.text()[:800]}"
    )
    page.check(shot)


def reporter_open(page: Page, receipt: str) -> None:
    page.get("/status")
    page.check("status-form")
    page.type("#receipt", receipt)
    page.submit("form[action='/status']")
    assert_session_cookie(page, "__Host-mb-reporter")
    assert page.path() == "/status/case", (
        f"{page.who}: the receipt did not open the case but {page.d.current_url}: {page.text()[:500]}"
    )


# --- the tests ---------------------------------------------------------------------------


@MODES
def test_report_reply_decide_answer(server, browser, shot_dir, js):
    mode = "js_on" if js else "js_off"
    shots = Shots(shot_dir, mode)
    marker = f"MB{mode.upper().replace('_', '')}{uuid.uuid4().hex[:10]}"
    what = nfc(
        f"Phản ánh thử nghiệm {marker}: cán bộ bộ phận một cửa thu thêm 2 triệu đồng "
        "không có biên lai khi cấp giấy phép xây dựng nhà ở riêng lẻ."
    )

    # (1) A citizen reports through the real form, anonymously, to the default intake desk.
    citizen = Page(browser(js), server, shots, f"citizen[{mode}]")
    citizen.get("/")
    assert citizen.text("h1") == VI["landing-title"]
    citizen.check("landing")
    citizen.click_and_wait(citizen.d.find_element(By.CSS_SELECTOR, "main a[href='/report']"))
    assert citizen.path() == "/report"
    Select(citizen.d.find_element(By.ID, "category")).select_by_value("land")
    Select(citizen.d.find_element(By.ID, "agency")).select_by_value("")
    citizen.type("#what", what)
    citizen.type("#when", "Tháng 10 năm 2026")
    citizen.type("#where", "Phường Hoàn Kiếm, Hà Nội")
    citizen.type("#who", "Một cán bộ bộ phận tiếp nhận và trả kết quả")
    citizen.d.find_element(By.ID, "anonymous").click()
    assert citizen.d.find_element(By.ID, "anonymous").is_selected()
    citizen.check("report-form-filled")
    citizen.submit("form[action='/report']")

    receipt = nfc(citizen.d.find_element(By.ID, "receipt").text).strip()
    assert RECEIPT_RE.match(receipt), f"not a receipt: {receipt!r}; page: {citizen.text()[:500]}"
    refs = REFERENCE_RE.findall(citizen.text())
    assert refs, f"no reference on the receipt page: {citizen.text()[:500]}"
    reference = refs[0]
    citizen.check("receipt")
    print(f"[{mode}] {reference} receipt {receipt} marker {marker}")
    # The receipt page survives a reload (the form is not sent again) until the reporter says
    # they have written the code down; then it is gone from the browser.
    assert citizen.path() == "/report/receipt"
    citizen.d.refresh()
    citizen.wait_loaded()
    assert nfc(citizen.d.find_element(By.ID, "receipt").text).strip() == receipt

    citizen.submit("form[action='/report/receipt/done']")
    assert citizen.path() == "/status"
    citizen.type("#receipt", receipt)
    citizen.submit("form[action='/status']")
    assert_session_cookie(citizen, "__Host-mb-reporter")
    assert citizen.path() == "/status/case", f"receipt did not open the case: {citizen.text()[:500]}"
    assert reference in citizen.text("h1")
    assert what in citizen.texts("main p.content")
    assert citizen.text(".state-text") == VI["reporter-state-received"]
    assert DEFAULT_AGENCY_VI in citizen.text(".state")
    citizen.check("status-case-new")
    if js:
        citizen.assert_clean_console()

    # (2) The default agency's intake officer finds it, replies, starts triage and accepts.
    officer = Page(browser(js), server, shots, f"officer[{mode}]")
    staff_login(officer, DEFAULT_INTAKE_OFFICER)
    open_case_from_inbox(officer, reference)
    assert officer.path() == f"/staff/cases/{reference}"
    assert what in officer.texts("main p.content"), "the officer does not see the report's text"
    assert staff_state(officer) == VI["state-received"]
    officer.check("staff-case-new")

    reply = nfc(f"Chào bạn, chúng tôi đã nhận phản ánh {marker}. Xin cho biết số biên nhận nếu có.")
    officer.type("#messages form textarea#body", reply)
    officer.submit("#messages form")
    assert officer.path() == f"/staff/cases/{reference}"
    assert reply in officer.texts("#messages article .content"), "the reply is not in the thread"

    decide(officer, VI["transition-start-triage"], VI["state-triage"], "staff-case-triage")
    decide(
        officer,
        VI["transition-accept"],
        VI["state-accepted"],
        "staff-case-accepted",
        # An anonymous report is handled as information with denunciation content.
        {"document_number": f"15/TB-TTTP-{marker}", "track": "anonymous_information"},
    )

    # (3) The reporter comes back in a fresh browser with only the receipt, reads and answers.
    again = Page(browser(js), server, shots, f"reporter-again[{mode}]")
    reporter_open(again, receipt)
    assert again.text(".state-text") == VI["reporter-state-accepted"]
    assert reply in again.texts("#messages article.theirs .content"), (
        f"the reporter does not see the reply: {again.text('#messages')}"
    )
    again.check("status-case-replied")
    answer = nfc(f"Cảm ơn. Biên nhận không được cấp. ({marker}-answer)")
    again.type("#messages form textarea#body", answer)
    again.submit("#messages form")
    assert again.path() == "/status/case"
    assert answer in again.texts("#messages article.mine .content")
    again.check("status-case-answered")

    officer.get(f"/staff/cases/{reference}")
    thread = officer.texts("#messages article .content")
    assert answer in thread, f"the officer does not see the reporter's answer: {thread}"
    assert thread.index(reply) < thread.index(answer), f"thread out of order: {thread}"
    officer.check("staff-case-answered")

    if js:
        for page in (citizen, officer, again):
            page.assert_clean_console()


def _jpeg_with_exif(marker: str) -> bytes:
    """The evidence crate's tiny JPEG with an EXIF block (Artist and a GPS latitude reference)
    and a comment, each naming `marker`."""
    tiny = (Path(__file__).resolve().parents[2] / "crates/evidence/src/tiny.jpg").read_bytes()
    artist = f"Nguyen Van {marker}".encode() + b"\0"
    # TIFF, little-endian: IFD0 with Artist (ASCII, value after the IFD) and GPSInfo -> GPS IFD.
    ifd0_at, entries = 8, 2
    artist_at = ifd0_at + 2 + 12 * entries + 4
    gps_at = artist_at + len(artist) + (len(artist) % 2)
    tiff = b"II*\0" + struct.pack("<I", ifd0_at)
    tiff += struct.pack("<H", entries)
    tiff += struct.pack("<HHII", 0x013B, 2, len(artist), artist_at)
    tiff += struct.pack("<HHII", 0x8825, 4, 1, gps_at)
    tiff += struct.pack("<I", 0) + artist + b"\0" * (len(artist) % 2)
    tiff += struct.pack("<H", 1) + struct.pack("<HHI", 0x0001, 2, 2) + b"N\0\0\0" + struct.pack("<I", 0)
    exif = b"Exif\0\0" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    comment = f"taken by {marker}".encode()
    com = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    app0_end = 4 + struct.unpack(">H", tiny[4:6])[0]
    return tiny[:app0_end] + app1 + com + tiny[app0_end:]


def test_report_with_a_picture_shows_what_was_removed(server, browser, shot_dir, tmp_path):
    """A plain form with a file input: the reporter sees what was removed before sending, and
    the officer downloads the picture from the case page (JavaScript off, as the strictest)."""
    shots = Shots(shot_dir, "js_off")
    marker = f"MBPIC{uuid.uuid4().hex[:10]}"
    photo = tmp_path / f"IMG_{marker}.jpg"
    photo.write_bytes(_jpeg_with_exif(marker))
    citizen = Page(browser(False), server, shots, "citizen[file]")
    citizen.get("/report")
    Select(citizen.d.find_element(By.ID, "category")).select_by_value("land")
    what = nfc(f"Ảnh chụp biên lai thu tiền trái quy định {marker}")
    citizen.type("#what", what)
    citizen.d.find_element(By.ID, "files").send_keys(str(photo))
    citizen.check("report-form-with-file")
    citizen.submit("form[action='/report']")
    assert citizen.text("h1") == VI["files-confirm-title"], citizen.text()[:500]
    body = citizen.text()
    for key in ("file-removed-location", "file-removed-author", "file-removed-comment",
                "file-kept-picture-content"):
        assert nfc(VI[key]) in body, f"{key} not shown: {body[:800]}"
    citizen.check("confirm-files")
    citizen.submit("main form")
    receipt = nfc(citizen.d.find_element(By.ID, "receipt").text).strip()
    assert RECEIPT_RE.match(receipt), citizen.text()[:500]
    reference = REFERENCE_RE.findall(citizen.text())[0]

    officer = Page(browser(False), server, shots, "officer[file]")
    staff_login(officer, DEFAULT_INTAKE_OFFICER)
    open_case_from_inbox(officer, reference)
    links = officer.d.find_elements(By.CSS_SELECTOR, "#files a[download]")
    assert len(links) == 1 and links[0].text == photo.name
    assert nfc(VI["file-removed-location"]) in officer.text("#files")
    officer.check("staff-case-with-file")
    # The download itself, with the officer's session cookie: the picture, without the marker.
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in officer.d.get_cookies())
    req = urllib.request.Request(links[0].get_attribute("href"), headers={"Cookie": cookies})
    with urllib.request.urlopen(req) as r:
        data = r.read()
        assert r.headers["Content-Type"] == "image/jpeg"
    assert data.startswith(b"\xff\xd8") and marker.encode() not in data


@MODES
def test_english_switch(server, browser, shot_dir, js):
    mode = "js_on" if js else "js_off"
    page = Page(browser(js), server, Shots(shot_dir, f"{mode}-lang"), f"lang[{mode}]")
    page.get("/")
    assert page.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    page.click_and_wait(page.d.find_element(By.CSS_SELECTOR, "header a[href^='/lang/en']"))
    assert page.path() == "/"
    assert page.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert page.text("h1") == EN["landing-title"]
    main = page.text()
    for key in ("landing-lead", "landing-what-happens", "landing-protection"):
        assert EN[key] in main, f"{key} not in English on the landing page"
    nav = page.text("header nav")
    assert EN["nav-report"] in nav and EN["nav-status"] in nav
    page.check("landing-en")

    # The choice sticks and the switch keeps the current page.
    page.get("/report")
    assert page.text("h1") == EN["report-title"]
    page.check("report-en")
    page.click_and_wait(page.d.find_element(By.CSS_SELECTOR, "header a[href^='/lang/vi']"))
    assert page.path() == "/report"
    assert page.text("h1") == VI["report-title"]
    if js:
        page.assert_clean_console()


def test_public_pages_local_resources_and_csp(server, browser, shot_dir):
    """JS on: every public page loads only from this server, and nothing breaks the CSP."""
    page = Page(browser(True), server, Shots(shot_dir, "js_on-public"), "public[js_on]")
    for path, name in (("/", "landing"), ("/report", "report"), ("/status", "status"),
                       ("/staff/login", "staff-login")):
        page.get(path)
        page.check(name)
    # A refused submission re-renders the form with its errors: check that page too.
    page.get("/report")
    page.d.execute_script("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
    page.submit("form[action='/report']")
    assert page.path() == "/report"
    assert VI["report-fix-errors"] in page.text(), "the refused form shows no error summary"
    page.check("report-errors")
    # The refusal is answered with 422, which Chromium logs as a failed load: expected.
    page.assert_clean_console(allow=("/report - Failed to load resource: the server responded with a status of 422",))


def test_browser_js_modes(browser):
    """The js_off browser really runs no script (checked on a data: page, no network)."""
    probe = "data:text/html,<title>before</title><script>document.title='after'</script>"
    for js, expected in ((True, "after"), (False, "before")):
        d = browser(js)
        d.get(probe)
        assert d.title == expected, f"js={js}: page title {d.title!r}"


def totp_from_key(key: str, step: int) -> str:
    """The code of an authenticator app given the key typed from the setup page."""
    text = key.replace(" ", "").upper()
    return totp(step, base64.b32decode(text + "=" * (-len(text) % 8)))


@MODES
def test_admin_creates_an_account_whose_holder_sets_up_from_the_qr_code(server, browser, shot_dir, js):
    """Issue 9: the console creates an account; its holder signs in with the one-time password,
    enrols the second factor from the QR page (its key typed, as without a camera), chooses a
    password and reaches their account page; every page fits a phone and passes axe-core."""
    mode = "js_on" if js else "js_off"
    shots = Shots(shot_dir, f"console-{mode}")
    admin = Page(browser(js), server, shots, f"admin[{mode}]")
    staff_login(admin, "admin", home="/admin/users")
    admin.check("admin-users")
    username = f"moi.{mode.replace('_', '')}.{uuid.uuid4().hex[:6]}"
    admin.type("#username", username)
    admin.type("#display_name", "Cán bộ Mới Vào")
    Select(admin.d.find_element(By.ID, "role")).select_by_value("intake_officer")
    Select(admin.d.find_element(By.ID, "agency")).select_by_visible_text(DEFAULT_AGENCY_VI)
    admin.submit("form[action='/admin/users']")
    admin.check("admin-user-created")
    password = admin.text("div.notice code.secret")
    assert re.fullmatch(r"[a-z0-9]{5}(-[a-z0-9]{5}){3}", password), password
    for path in ("/admin/agencies", "/admin/categories"):
        admin.get(path)
        admin.check(path.strip("/").replace("/", "-"))

    person = Page(browser(js), server, shots, f"new-officer[{mode}]")
    person.get("/staff/login")
    person.type("#username", username)
    person.type("#password", password)
    person.submit("form[action='/staff/login']")
    assert person.path() == "/staff/setup", f"{person.who}: {person.d.current_url}: {person.text()[:400]}"
    assert person.d.find_elements(By.CSS_SELECTOR, "figure.qr svg"), "the QR code is drawn"
    person.check("setup")
    key = person.text("figure.qr code.secret")
    step = int(time.time()) // TOTP_STEP
    mine = "một mật khẩu của riêng tôi"
    person.type("#new_password", mine)
    person.type("#confirm", mine)
    person.type("#code", totp_from_key(key, step))
    person.submit("form[action='/staff/setup']")
    assert person.path() == "/staff/account", f"{person.who}: {person.d.current_url}: {person.text()[:400]}"
    assert VI["account-setup-done"].split(".")[0] in person.text()
    person.check("account")
    person.get("/staff/inbox")
    person.check("inbox-new-officer")
    assert person.path() == "/staff/inbox"


def test_the_desktop_inbox_uses_the_width(server, browser, shot_dir):
    """Issue 9: at 1,366 px the inbox table takes at least 90 % of the window."""
    shots = Shots(shot_dir, "wide")
    lead = Page(browser(True), server, shots, "lead[wide]")
    lead.d.set_window_size(1366, 900)
    staff_login(lead, "tttp.lanhdao")
    lead.get("/staff/inbox")
    lead.check("inbox-wide")
    table, window = lead.d.execute_script(
        "const t = document.querySelector('table.inbox');"
        "return [t ? t.getBoundingClientRect().width : 0, window.innerWidth];"
    )
    assert table >= 0.9 * window, f"the inbox table is {table} px of {window}"


def test_every_role_s_pages_fit_a_phone_and_pass_axe(server, browser, shot_dir):
    """Issue 9: the pages no other flow visits, one role after another, with JavaScript (so
    axe-core runs on each) and the 360 px check."""
    shots = Shots(shot_dir, "roles")
    visitor = Page(browser(True), server, shots, "visitor")
    for path in ("/", "/report", "/status", "/retaliation", "/report/receipt", "/staff/login", "/figures",
                 "/regulations", "/report?category=regulation"):
        visitor.get(path)
        visitor.check("public" + path.replace("/", "-"))
    roles = [
        ("kiemtoan", "/audit", ["/staff/account", "/staff/notifications"]),
        ("giamsat", "/staff/inbox", ["/staff/figures"]),
        ("mttq.giamsat", "/staff/figures", []),
        ("admin", "/admin/users", ["/admin/agencies", "/admin/categories", "/admin/legal"]),
        ("giamho.thanhtra", "/staff/custodian", []),
        ("hoankiem.baove", "/staff/protection", []),
        ("mttq.doitac", "/partner/cases", ["/staff/register"]),
        ("tttp.lanhdao", "/staff/inbox", ["/staff/exclusions", "/staff/held", "/staff/register", "/staff/register/slip",
                                          "/staff/re-reviews"]),
    ]
    for username, home, more in roles:
        page = Page(browser(True), server, shots, username)
        staff_login(page, username, home=home)
        page.check(f"{username}-home")
        links = page.d.find_elements(By.CSS_SELECTOR, "a[href^='/oversee/cases/']")
        if links:
            page.click_and_wait(links[0])
            page.check(f"{username}-oversee-case")
        for path in more:
            page.get(path)
            page.check(f"{username}{path.replace('/', '-')}")
        page.assert_clean_console()


@MODES
def test_the_desk_registers_a_walk_in_and_the_slip_opens_the_case(server, browser, shot_dir, js):
    """Issue 8: an intake officer registers a report for a person at the desk; the printed slip's
    code opens the case on the status page."""
    mode = "js_on" if js else "js_off"
    shots = Shots(shot_dir, f"desk-{mode}")
    desk = Page(browser(js), server, shots, f"desk[{mode}]")
    staff_login(desk, "hoankiem.tiepnhan")
    desk.get("/staff/register")
    desk.check("register-form")
    what = nfc(f"Người dân đến trình bày {uuid.uuid4().hex[:8]}: công trình lấn chiếm vỉa hè.")
    Select(desk.d.find_element(By.ID, "channel")).select_by_value("walk_in")
    Select(desk.d.find_element(By.ID, "category")).select_by_value("land")
    desk.type("#what", what)
    desk.submit("form[action='/staff/register']")
    assert desk.path() == "/staff/register/slip", f"{desk.who}: {desk.d.current_url}: {desk.text()[:400]}"
    desk.check("slip")
    receipt = nfc(desk.d.find_element(By.ID, "receipt").text).strip()
    assert RECEIPT_RE.match(receipt), receipt
    # Printed, the slip is the slip alone: the staff bar, the site's navigation, the forms and
    # the hint to print are left off; the code and the reference stay.
    desk.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        for css in (".staff-bar", "header.site nav", "form", ".no-print"):
            shown = [e for e in desk.d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
            assert not shown, f"{css} is printed"
        assert desk.d.find_element(By.ID, "receipt").is_displayed()
        assert REFERENCE_RE.search(desk.text()), desk.text()[:400]
    finally:
        desk.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    citizen = Page(browser(js), server, shots, f"walk-in[{mode}]")
    reporter_open(citizen, receipt)
    assert what in citizen.text()
    citizen.check("walk-in-status")


@MODES
def test_after_a_conclusion_the_reporter_answers_and_the_superior_reviews(server, browser, shot_dir, js):
    """Issue 8, must-have 7: after the ward concludes, the reporter says they are not satisfied
    and asks the City Inspectorate to review the resolution; its lead records the outcome,
    which the reporter reads on the status page."""
    mode = "js_on" if js else "js_off"
    shots = Shots(shot_dir, f"review-{mode}")
    marker = uuid.uuid4().hex[:8]
    citizen = Page(browser(js), server, shots, f"citizen[{mode}]")
    citizen.get("/report")
    Select(citizen.d.find_element(By.ID, "category")).select_by_value("land")
    Select(citizen.d.find_element(By.ID, "agency")).select_by_visible_text("Ủy ban nhân dân phường Hoàn Kiếm")
    citizen.type("#what", nfc(f"Phường cấp phép xây dựng sai quy hoạch {marker}."))
    citizen.d.find_element(By.ID, "anonymous").click()
    citizen.submit("form[action='/report']")
    receipt = nfc(citizen.d.find_element(By.ID, "receipt").text).strip()
    reference = REFERENCE_RE.findall(citizen.text())[0]

    lead = Page(browser(js), server, shots, f"ward-lead[{mode}]")
    staff_login(lead, "hoankiem.lanhdao")
    lead.get(f"/staff/cases/{reference}")
    decide(lead, VI["transition-start-triage"], VI["state-triage"], "triage")
    decide(lead, VI["transition-accept"], VI["state-accepted"], "accepted",
           {"document_number": f"3/QĐ-{marker}", "track": "anonymous_information"})
    decide(lead, VI["transition-start-verification"], VI["state-verifying"], "verifying")
    decide(lead, VI["transition-conclude"], VI["state-concluded"], "concluded",
           {"document_number": f"4/KL-{marker}", "finding": "unfounded"})

    reporter = Page(browser(js), server, shots, f"reporter[{mode}]")
    reporter_open(reporter, receipt)
    assert VI["feedback-question"] in reporter.text("#outcome"), reporter.text("#outcome")
    reporter.check("status-outcome")
    reporter.click_and_wait(reporter.d.find_element(By.CSS_SELECTOR, "button[name='satisfied'][value='no']"))
    assert VI["feedback-thanks"] in reporter.text("#outcome")
    reporter.type("#grounds", nfc(f"Kết luận không phù hợp với chứng cứ {marker}."))
    reporter.submit("form[action='/status/case/review']")
    assert VI["feedback-review-asked"] in reporter.text("#outcome"), reporter.text("#outcome")
    reporter.check("status-review-asked")

    superior = Page(browser(js), server, shots, f"city-lead[{mode}]")
    staff_login(superior, "tttp.lanhdao")
    superior.get("/staff/re-reviews")
    assert reference in superior.text(), superior.text()[:800]
    superior.check("re-reviews")
    superior.d.find_element(By.ID, f"outcome-{reference}-upheld").click()
    superior.type(f"#doc-{reference}", f"12/QĐ-TTTP-{marker}")
    superior.submit(f"form[action='/staff/re-reviews/{reference}']")
    assert superior.path() == "/staff/re-reviews"
    assert f"12/QĐ-TTTP-{marker}" in superior.text()
    superior.check("re-reviews-decided")

    reporter.get("/status/case")
    assert f"12/QĐ-TTTP-{marker}" in reporter.text("#outcome"), reporter.text("#outcome")
    reporter.check("status-review-decided")
    if js:
        for page in (citizen, lead, reporter, superior):
            page.assert_clean_console()


def test_the_figures_fit_a_phone_and_pass_axe_and_open_their_cases(server_with_history, browser, shot_dir):
    """Issue 8: the public figures and the overseers' dashboard over two years of cases, with
    JavaScript (axe-core) and the 360 px check; a number opens the cases behind it."""
    shots = Shots(shot_dir, "figures")
    visitor = Page(browser(True), server_with_history, shots, "visitor")
    visitor.get("/figures")
    visitor.check("public")
    assert visitor.d.find_elements(By.CSS_SELECTOR, "figure.chart svg rect"), "the trend is drawn"
    assert visitor.d.find_elements(By.CSS_SELECTOR, "a[href^='/open-data/figures.csv']")
    overseer = Page(browser(True), server_with_history, shots, "giamsat")
    staff_login(overseer, "giamsat")
    overseer.get("/staff/figures")
    overseer.check("dashboard")
    links = overseer.d.find_elements(By.CSS_SELECTOR, "table.figures a[href^='/staff/figures/cases?metric=received']")
    assert links, "every number links to its cases"
    overseer.click_and_wait(links[0])
    overseer.check("dashboard-cases")
    assert overseer.d.find_elements(By.CSS_SELECTOR, "a[href^='/oversee/cases/']"), "the cases are listed"
    overseer.get("/staff/figures?by=month")
    overseer.check("dashboard-by-month")
    overseer.get("/staff/figures/signals")
    overseer.check("signals")
    observer = Page(browser(False), server_with_history, shots, "mttq.giamsat")
    staff_login(observer, "mttq.giamsat", home="/staff/figures")
    assert observer.d.find_elements(By.CSS_SELECTOR, "figure.chart svg"), "charts without JavaScript"
    observer.assert_clean_console()
