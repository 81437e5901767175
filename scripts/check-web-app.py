#!/usr/bin/env python3
"""Real-browser story of the web application (/app) against a running `vaxtrace serve` on a SQLite file.
Run it with the python that scripts/browser-venv.sh prints:

    check-web-app.py BASE_URL SQLITE_PATH ADMIN_TOKEN NURSE_USER NURSE_PASSWORD OFFICIAL_USER OFFICIAL_PASSWORD
        TRACER_USER TRACER_PASSWORD OUT_DIR

In headless Chromium (Debian's /usr/bin/chromium and /usr/bin/chromedriver):
  1. a citizen signs in with a one-time code (read from the outbox table, as an operator would with
     `vaxtrace outbox list`), registers, and - once the district has planned a session and invited (done over
     the API with ADMIN_TOKEN) - sees the booking with its check-in code;
  2. a nurse signs in (password, then enrols a TOTP authenticator), checks the citizen in by the code,
     screens, records the dose and sees the 30-minute observation timer count down;
  3. the citizen sees the green card and a certificate QR, which zbarimg reads off the page and our
     verifier (POST /api/v1/certificates/verify) accepts;
  4. the citizen, as a venue owner, registers a venue and prints its poster; the poster's QR, read off
     the page, opens the check-in page, which confirms the venue;
  5. a provincial official signs in and opens a dashboard, with its chart, and drills down a unit;
  6. two visitors check in at the venue; a tracer records the first as a case, finds the citizen as a
     contact and marks them F1, and the citizen's health book shows the warning.
Every form is first sent with bad input, and the message must sit next to the field. Each page is
saved as a screenshot at 360 px and 1280 px in OUT_DIR; first-load weights and console errors are
measured. Prints one JSON report (also written to OUT_DIR/report.json) and exits 0 when the story ran
to the end (the caller judges the figures), 1 when it could not, 2 on a usage error.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_session import quit_browser, start_browser


class StoryFailed(Exception):
    pass


class Browser:
    """One person's browser: screenshots of each page at both widths, console errors, first-load weights."""

    def __init__(self, who, out_dir, report):
        self.who = who
        self.out_dir = out_dir
        self.report = report
        self.driver = start_browser()
        self.driver.set_window_size(1280, 900)

    def open(self, url):
        self.driver.get(url)
        self.settle()

    def settle(self):
        WebDriverWait(self.driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
        self.collect_console()

    def collect_console(self):
        for entry in self.driver.get_log("browser"):
            if entry.get("level") == "SEVERE":
                self.report["console_errors"].append({"who": self.who, "url": self.driver.current_url,
                                                      "message": entry.get("message", "")})

    def shot(self, name):
        """The current page at 360 px and at 1280 px wide, with its whole height."""
        for width in (360, 1280):
            self.driver.set_window_size(width, 900)
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(width, min(max(height + 140, 600), 6000))
            overflow = self.driver.execute_script(
                "return document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")
            if overflow:
                self.report["overflowing"].append(f"{name}@{width}")
            path = os.path.join(self.out_dir, f"{name}-{width}.png")
            self.driver.save_screenshot(path)
            self.report["screenshots"].append(os.path.basename(path))
        self.driver.set_window_size(1280, 900)

    def weigh(self, name, url):
        """The bytes a first visit transfers: the page and everything it loads, with an empty cache."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        self.driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        self.open(url)
        time.sleep(0.5)
        total = self.driver.execute_script(
            "var n = performance.getEntriesByType('navigation')[0];"
            "var t = n ? n.transferSize : 0;"
            "performance.getEntriesByType('resource').forEach(function (r) { t += r.transferSize; });"
            "return t;")
        self.driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        self.report["weights"][name] = total
        return total

    def by_id(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def fill(self, values):
        for field, value in values.items():
            element = self.by_id(field)
            if element.tag_name == "select":
                self.driver.execute_script(
                    "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));",
                    element, value)
            else:
                element.clear()
                element.send_keys(value)

    def submit(self, button_id):
        self.follow(self.by_id(button_id))

    def follow(self, element):
        """Clicks a link or a form's button and waits for the next page: until the old page is gone (right
        after the click, the old page is still there and "complete"), then until the new one has loaded."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        what = element.get_attribute("id") or element.text or element.tag_name
        url = self.driver.current_url
        element.click()

        def gone(_):
            try:
                old.tag_name
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as error:
                # chromedriver sometimes answers for an element of a replaced page with this instead.
                if "does not belong to the document" in str(error):
                    return True
                raise
        try:
            WebDriverWait(self.driver, 15).until(gone)
        except TimeoutException:
            raise StoryFailed(f"{self.who}: '{what}' on {url} led to no new page within 15 s")
        self.settle()

    def message_next_to(self, field):
        """The error message placed right after the field (or inside its fieldset), or None."""
        return self.driver.execute_script(
            "var f = document.getElementById(arguments[0]); if (!f) return null;"
            "var e = document.getElementById(arguments[0] + '-error'); if (!e) return null;"
            "var described = (f.getAttribute('aria-describedby') || '').split(' ').indexOf(e.id) >= 0;"
            "var near = f.parentNode === e.parentNode || f.closest('fieldset') === e.closest('fieldset');"
            "return (described || near) ? e.textContent : null;", field)

    def quit(self):
        self.collect_console()
        quit_browser(self.driver)


def vietnam_now():
    return datetime.datetime.utcnow() + datetime.timedelta(hours=7)


def totp(secret, at=None):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def newest_code(database, phone):
    """The one-time code in the newest SMS to `phone` (+84…), from the outbox table."""
    for _ in range(50):
        with sqlite3.connect(database, timeout=10) as connection:
            row = connection.execute(
                "SELECT body FROM message_outbox WHERE recipient = ? AND purpose = 'otp'"
                " ORDER BY created_at DESC, id DESC LIMIT 1", (phone,)).fetchone()
        if row:
            match = re.search(r"\b(\d{6})\b", row[0])
            if match:
                return match.group(1)
        time.sleep(0.1)
    raise StoryFailed(f"no one-time code was sent to {phone}")


def api(base, token, method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def read_qr(browser, element, name):
    """Reads a QR code as the browser drew it: a screenshot of the element, decoded by zbarimg."""
    path = os.path.join(browser.out_dir, f"{name}-qr.png")
    browser.driver.set_window_size(1280, 1400)
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    time.sleep(0.2)
    element.screenshot(path)
    browser.driver.set_window_size(1280, 900)
    result = subprocess.run(["zbarimg", "--raw", "--quiet", "-Sbinary", path], capture_output=True, timeout=60)
    if result.returncode != 0:
        raise StoryFailed(f"zbarimg could not read the QR in {name}")
    return result.stdout.decode("utf-8").strip()


def staff_sign_in(browser, base, username, password, report_key, report, name):
    browser.open(base + "/app/staff")
    browser.shot(f"{name}-sign-in")
    browser.fill({"username": username, "password": "wrong-" + password})
    browser.submit("staff-continue")
    report["form_errors"][f"{report_key}_password"] = browser.message_next_to("password")
    browser.fill({"username": username, "password": password})
    browser.submit("staff-continue")
    secret = browser.by_id("totp-secret").text.strip()
    browser.shot(f"{name}-totp-enrol")
    browser.fill({"code": "123"})
    browser.submit("totp-confirm")
    report["form_errors"][f"{report_key}_totp"] = browser.message_next_to("code")
    browser.fill({"code": totp(secret)})
    browser.submit("totp-confirm")
    browser.shot(f"{name}-recovery-codes")
    browser.follow(browser.by_id("recovery-continue"))


def story(args, report):
    base = args.base_url.rstrip("/")
    phone, international = "0912 345 678", "+84912345678"
    today = (datetime.datetime.utcnow() + datetime.timedelta(hours=7)).date()

    # 1. The citizen signs in and registers.
    citizen = Browser("citizen", args.out_dir, report)
    report["browsers"].append(citizen)
    citizen.weigh("sign-in", base + "/app/sign-in")
    report["lang_default"] = citizen.driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    citizen.shot("citizen-sign-in")
    citizen.fill({"phone": "12345"})
    citizen.submit("send-code")
    report["form_errors"]["phone"] = citizen.message_next_to("phone")
    citizen.shot("citizen-sign-in-bad-phone")
    citizen.fill({"phone": phone})
    citizen.submit("send-code")
    citizen.shot("citizen-sign-in-code")
    citizen.fill({"code": "12"})
    citizen.submit("confirm-code")
    report["form_errors"]["code"] = citizen.message_next_to("code")
    citizen.fill({"code": newest_code(args.database, international)})
    citizen.submit("confirm-code")
    report["citizen_home"] = citizen.driver.current_url.replace(base, "")
    citizen.weigh("health-book-empty", base + "/app/me")
    citizen.shot("citizen-health-book-empty")

    citizen.follow(citizen.by_id("register-link"))
    citizen.fill({"fullName": "Nguyễn Văn Bình", "dateOfBirth": "31/02/1987", "nationalId": "0190870",
                  "occupation": "Giáo viên", "communeCode": "05692", "street": "Tổ 3, Tân Cương"})
    citizen.submit("register-submit")
    report["form_errors"]["dateOfBirth"] = citizen.message_next_to("dateOfBirth")
    report["form_errors"]["nationalId"] = citizen.message_next_to("nationalId")
    report["form_errors"]["priorityGroup"] = citizen.message_next_to("priorityGroup")
    report["form_errors"]["sex"] = citizen.message_next_to("sex-female") or citizen.driver.execute_script(
        "var e = document.getElementById('sex-error'); return e ? e.textContent : null;")
    citizen.shot("citizen-register-errors")
    citizen.fill({"dateOfBirth": "15/03/1987", "nationalId": "019087001234", "priorityGroup": "8"})
    citizen.by_id("sex-male").click()
    citizen.submit("register-submit")
    report["registered_notice"] = bool(citizen.driver.find_elements(By.ID, "registered"))
    # The citizen's mother, who has no phone: registered as his dependant.
    citizen.follow(citizen.by_id("register-link"))
    dependant_of = citizen.driver.execute_script(
        "var o = Array.prototype.find.call(document.querySelectorAll('#for option'),"
        " function (o) { return o.value.indexOf('dependant:') === 0; }); return o ? o.value : null;")
    citizen.fill({"for": dependant_of or "", "fullName": "Nguyễn Thị Cúc", "dateOfBirth": "02/09/1960",
                  "nationalId": "019160004321", "occupation": "Hưu trí", "communeCode": "05692",
                  "street": "Tổ 3, Tân Cương", "priorityGroup": "8"})
    citizen.submit("register-submit")
    report["form_errors"]["relationship"] = citizen.message_next_to("relationship")
    citizen.fill({"relationship": "parent"})
    citizen.by_id("sex-female").click()
    citizen.submit("register-submit")

    # The district plans a single-dose (Janssen) session for today at the commune's health station and invites.
    status, _ = api(base, args.admin_token, "POST", "/api/v1/facilities", {
        "id": "TYT-05692", "name": "Trạm Y tế Tân Cương", "unitCode": "05692", "kind": "fixed",
        "catchment": [{"scheme": "2025", "code": "05692"}]})
    if status != 200:
        raise StoryFailed(f"saving the facility answered {status}")
    status, session = api(base, args.admin_token, "POST", "/api/v1/sessions", {
        "facilityId": "TYT-05692", "date": today.isoformat(), "productCode": "janssen", "doseKinds": ["primary"],
        "slots": [{"start": "00:00", "end": "23:59", "capacity": 40}]})
    if status != 201:
        raise StoryFailed(f"planning the session answered {status}: {session}")
    session_id = session["id"]
    status, invited = api(base, args.admin_token, "POST", f"/api/v1/sessions/{session_id}/invitations",
                          {"limit": 100})
    if status != 200 or len(invited.get("items", [])) != 2:
        raise StoryFailed(f"inviting answered {status}: {invited}")

    citizen.open(base + "/app/me")
    codes = [e.text for e in citizen.driver.find_elements(By.CSS_SELECTOR, "#appointments .checkin-code")]
    report["booking_codes"] = codes
    report["booking_when"] = [e.text for e in citizen.driver.find_elements(By.CSS_SELECTOR, "#appointments td.when")]
    citizen.shot("citizen-health-book-booked")
    if not codes:
        raise StoryFailed("the citizen does not see the booking")
    check_in_code = codes[0]

    # 2. The nurse: sign in, check in, screen, vaccinate, observe.
    nurse = Browser("nurse", args.out_dir, report)
    report["browsers"].append(nurse)
    staff_sign_in(nurse, base, args.nurse_user, args.nurse_password, "nurse", report, "nurse")
    report["nurse_home"] = nurse.driver.current_url.replace(base, "").split("?")[0]
    nurse.open(base + "/app/site?session=not-a-session")
    report["form_errors"]["session"] = nurse.message_next_to("session")
    nurse.open(base + "/app/site")
    # Today's sessions at the nurse's facilities: the one planned above.
    links = nurse.driver.find_elements(By.CSS_SELECTOR, "#today-sessions a.session-link")
    report["today_sessions"] = [link.text for link in links]
    nurse.shot("site-today")
    if not links:
        raise StoryFailed("the nurse does not see today's session")
    nurse.follow(links[0])
    nurse.shot("site-session")
    nurse.fill({"code": "NOPE1234"})
    nurse.submit("checkin-submit")
    report["form_errors"]["checkin"] = nurse.message_next_to("code")
    nurse.fill({"code": check_in_code})
    nurse.submit("checkin-submit")
    rows = nurse.driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
    report["after_check_in"] = [r.get_attribute("data-state") for r in rows]
    report["queue_names"] = [r.find_element(By.TAG_NAME, "td").text for r in rows]
    nurse.shot("site-checked-in")
    nurse.follow(nurse.driver.find_element(By.CSS_SELECTOR, "a.screen-link"))
    nurse.shot("site-screening")
    report["screening_questions"] = len(nurse.driver.find_elements(By.CSS_SELECTOR, "#screening-form fieldset"))
    nurse.fill({"temperature": "36,8"})
    nurse.submit("screening-submit")
    report["form_errors"]["consent"] = nurse.message_next_to("consent")
    nurse.fill({"temperature": "36,8"})
    nurse.by_id("consent").click()
    nurse.submit("screening-submit")
    report["screening_outcome"] = nurse.by_id("outcome").text
    nurse.shot("site-screened")
    nurse.follow(nurse.by_id("to-dose"))
    nurse.fill({"lotNumber": "JNJ-2107", "lotExpiry": "01/01/2020", "doseNumber": "1"})
    nurse.submit("dose-submit")
    report["form_errors"]["lotExpiry"] = nurse.message_next_to("lotExpiry")
    nurse.shot("site-dose-expired-lot")
    expiry = (today + datetime.timedelta(days=200)).strftime("%d/%m/%Y")
    nurse.fill({"lotNumber": "JNJ-2107", "lotExpiry": expiry, "doseNumber": "1"})
    nurse.submit("dose-submit")
    timers = nurse.driver.find_elements(By.CSS_SELECTOR, "#observation-board .timer")
    first = timers[0].text if timers else ""
    time.sleep(2.2)
    second = timers[0].text if timers else ""
    report["observation_timer"] = [first, second]
    nurse.shot("site-observation")

    # The network drops: the nurse checks in, screens and vaccinates the other person on their row; the records wait
    # on the tablet and are sent, once each, when the network is back.
    nurse.driver.execute_cdp_cmd("Network.enable", {})
    nurse.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    WebDriverWait(nurse.driver, 10).until(lambda d: d.execute_script("return !navigator.onLine"))
    row = nurse.driver.find_element(By.CSS_SELECTOR, "#queue tbody tr[data-state='invited']")
    mother = row.get_attribute("data-appointment")  # whichever of the two was not checked in online
    report["offline_name"] = row.find_element(By.TAG_NAME, "td").text.rsplit(" ", 1)[0]
    row.find_element(By.TAG_NAME, "summary").click()
    row.find_element(By.CSS_SELECTOR, "form.row-check-in button").click()
    row.find_element(By.CSS_SELECTOR, "form.row-screening input[name=consent]").click()
    row.find_element(By.CSS_SELECTOR, "form.row-screening button").click()
    for name, value in (("lotNumber", "JNJ-2107"), ("lotExpiry", expiry), ("doseNumber", "1")):
        row.find_element(By.CSS_SELECTOR, f"form.row-dose input[name={name}]").send_keys(value)
    row.find_element(By.CSS_SELECTOR, "form.row-dose button").click()
    dose_minute = vietnam_now().strftime("%H:%M")
    report["offline_queued"] = nurse.by_id("queued").text
    nurse.shot("site-offline-queued")
    nurse.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    WebDriverWait(nurse.driver, 20).until(lambda d: d.execute_script(
        "var r = document.querySelector(\"tr[data-appointment='" + mother + "']\");"
        "return r && r.getAttribute('data-state') === 'vaccinated';"))
    nurse.settle()
    report["after_sync"] = {
        "state": nurse.driver.find_element(
            By.CSS_SELECTOR, f"tr[data-appointment='{mother}']").get_attribute("data-state"),
        "queue_left": nurse.driver.execute_script("return localStorage.getItem('vaxtrace-site-queue')"),
        "problems": [e.text for e in nurse.driver.find_elements(By.CSS_SELECTOR, "#sync-problems li")],
        "observing": len(nurse.driver.find_elements(By.CSS_SELECTOR, "#observation-board li")),
    }
    nurse.shot("site-synced")
    # That person feels breathless: the nurse records it from the observation board.
    nurse.follow(nurse.driver.find_element(
        By.CSS_SELECTOR, f"#observation-board li[data-appointment='{mother}'] a.aefi-link"))
    nurse.shot("site-aefi")
    report["aefi_for"] = nurse.driver.find_element(By.CSS_SELECTOR, "#personId option").text
    nurse.by_id("event-breathlessness").click()
    while vietnam_now().strftime("%H:%M") == dose_minute:
        time.sleep(2)
    now = vietnam_now()
    nurse.fill({"onsetDate": now.strftime("%d/%m/%Y"), "onsetTime": now.strftime("%H:%M"), "outcome": "recovering"})
    nurse.submit("reaction-submit")
    report["aefi_recorded"] = bool(nurse.driver.find_elements(By.ID, "reported"))
    nurse.shot("site-aefi-recorded")

    # 3. The citizen's green card and certificate QR, read back and verified.
    verdict, status_text, colour = None, "", ""
    for _ in range(30):
        citizen.open(base + "/app/me")
        own = [p for p in citizen.driver.find_elements(By.CSS_SELECTOR, "section.person")
               if p.find_element(By.TAG_NAME, "h2").text.startswith("Nguyễn Văn Bình")]
        cards = own[0].find_elements(By.CSS_SELECTOR, ".status") if own else []
        colour = cards[0].get_attribute("data-colour") if cards else ""
        status_text = cards[0].text if cards else ""
        images = own[0].find_elements(By.CSS_SELECTOR, "img.certificate-qr") if own else []
        if colour == "green" and images:
            WebDriverWait(citizen.driver, 10).until(
                lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                                           images[0]))
            qr_text = read_qr(citizen, images[0], "citizen-certificate")
            report["certificate_prefix"] = qr_text[:4]
            _, verdict = api(base, args.admin_token, "POST", "/api/v1/certificates/verify", {"text": qr_text})
            break
        time.sleep(0.5)
    report["card_colour"] = colour
    report["card_text"] = status_text
    report["certificate_verdict"] = verdict
    report["dose_dates"] = [e.text for e in citizen.driver.find_elements(By.CSS_SELECTOR, ".person tbody td:nth-child(4)")]
    citizen.weigh("health-book", base + "/app/me")
    citizen.shot("citizen-health-book-green")
    citizen.follow(citizen.driver.find_element(By.CSS_SELECTOR, "header a[hreflang='en']"))
    report["english"] = {"lang": citizen.driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
                         "heading": citizen.driver.find_element(By.TAG_NAME, "h1").text}
    citizen.shot("citizen-health-book-english")
    citizen.follow(citizen.driver.find_element(By.CSS_SELECTOR, "header a[hreflang='vi']"))

    # The citizen declares their health and reports a reaction, each first with bad input.
    citizen.follow(citizen.by_id("declaration-link"))
    citizen.shot("citizen-declaration")
    citizen.fill({"areas": "x" * 120, "moveFrom": "Thái Nguyên", "moveDate": "32/13/2026"})
    citizen.submit("declaration-submit")
    report["form_errors"]["areas"] = citizen.message_next_to("areas")
    report["form_errors"]["moveTo"] = citizen.message_next_to("moveTo")
    report["form_errors"]["moveDate"] = citizen.message_next_to("moveDate")
    citizen.shot("citizen-declaration-errors")
    citizen.fill({"areas": "", "moveFrom": "", "moveDate": ""})
    citizen.by_id("symptom-fever").click()
    citizen.submit("declaration-submit")
    report["declared_notice"] = bool(citizen.driver.find_elements(By.ID, "declared"))
    citizen.follow(citizen.by_id("reaction-link"))
    citizen.fill({"onsetDate": "99/99/2026", "onsetTime": "25:00"})
    citizen.submit("reaction-submit")
    report["form_errors"]["events"] = citizen.message_next_to("events")
    report["form_errors"]["onsetDate"] = citizen.message_next_to("onsetDate")
    report["form_errors"]["onsetTime"] = citizen.message_next_to("onsetTime")
    report["form_errors"]["outcome"] = citizen.message_next_to("outcome")
    citizen.shot("citizen-reaction-errors")
    citizen.by_id("event-fever").click()
    # The reaction started after the dose: in a later minute than the one the dose was given in.
    while vietnam_now().strftime("%d/%m/%Y %H:%M") in report["dose_dates"]:
        time.sleep(2)
    onset = vietnam_now()
    citizen.fill({"onsetDate": onset.strftime("%d/%m/%Y"), "onsetTime": onset.strftime("%H:%M"),
                  "outcome": "recovering"})
    citizen.submit("reaction-submit")
    report["reported_notice"] = bool(citizen.driver.find_elements(By.ID, "reported"))
    citizen.shot("citizen-reaction-reported")

    # 4. The venue, its poster, and the check-in page the poster's QR opens.
    citizen.open(base + "/app/venues")
    citizen.shot("venues-empty")
    citizen.fill({"name": "", "unitCode": "05692", "address": "Tân Cương", "ownerName": "Lê Mai",
                  "ownerPhone": "123"})
    citizen.submit("venue-submit")
    report["form_errors"]["venueName"] = citizen.message_next_to("name")
    report["form_errors"]["venueKind"] = citizen.message_next_to("kind")
    report["form_errors"]["ownerPhone"] = citizen.message_next_to("ownerPhone")
    citizen.shot("venues-errors")
    citizen.fill({"name": "Quán Cà Phê Đồi Chè", "kind": "cafe", "ownerPhone": ""})
    citizen.submit("venue-submit")
    citizen.shot("venues-registered")
    citizen.follow(citizen.driver.find_element(By.CSS_SELECTOR, "a.poster-link"))
    citizen.shot("venue-poster")
    poster_url = read_qr(citizen, citizen.driver.find_element(By.TAG_NAME, "svg"), "venue-poster")
    report["poster_url_prefix"] = poster_url.split("#")[0].replace(base, "")
    visitor = Browser("visitor", args.out_dir, report)
    report["browsers"].append(visitor)
    visitor.weigh("venue-check-in", poster_url)
    state = WebDriverWait(visitor.driver, 15).until(
        lambda d: d.find_element(By.ID, "venue").get_attribute("data-valid"))
    report["check_in_page"] = {"valid": state, "venue": visitor.by_id("venue").text}
    visitor.shot("venue-check-in-page")
    # Two visitors check in there: one who will test positive, and the citizen.
    checked = []
    for name, number in (("Trần Thị Khách", "0987 654 321"), ("Nguyễn Văn Bình", phone)):
        visitor.driver.get("about:blank")
        visitor.open(poster_url)
        WebDriverWait(visitor.driver, 15).until(lambda d: d.find_element(By.ID, "venue").get_attribute("data-valid"))
        visitor.fill({"name": name, "phone": number})
        visitor.by_id("submit").click()
        checked.append(WebDriverWait(visitor.driver, 15).until(
            lambda d: d.find_element(By.ID, "message").get_attribute("class") or None))
        visitor.collect_console()
    report["visitor_check_ins"] = checked
    visitor.shot("venue-checked-in")

    # 5. The provincial official's dashboard.
    official = Browser("official", args.out_dir, report)
    report["browsers"].append(official)
    staff_sign_in(official, base, args.official_user, args.official_password, "official", report, "official")
    report["official_home"] = official.driver.current_url.replace(base, "").split("?")[0]
    time.sleep(6)  # the rollups are refreshed every 5 s
    official.open(base + "/app/dashboards?view=coverage")
    report["dashboard"] = {
        "title": official.by_id("dashboard-title").text,
        "rows": len(official.driver.find_elements(By.CSS_SELECTOR, "#dashboard tbody tr")),
        "chart_bars": len(official.driver.find_elements(By.CSS_SELECTOR, "svg.chart rect")),
        # The units with a first dose: [code, name, doses] (the province's total row among them).
        "first_doses": [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")[:4]]
                        for row in official.driver.find_elements(By.CSS_SELECTOR, "#dashboard tbody tr")
                        if row.find_elements(By.TAG_NAME, "td")[3].text not in ("0", "–")],
    }
    official.shot("dashboard-coverage")
    official.follow(official.driver.find_element(By.CSS_SELECTOR, "a.drill"))
    report["drill_down_unit"] = official.by_id("unit-name").text
    official.shot("dashboard-drill-down")
    official.open(base + "/app/dashboards?view=doses-per-day")
    official.shot("dashboard-doses-per-day")

    # 6. The tracer records the first visitor as a case, finds the citizen as a contact and marks them F1;
    # the citizen's health book shows the warning.
    tracer = Browser("tracer", args.out_dir, report)
    report["browsers"].append(tracer)
    staff_sign_in(tracer, base, args.tracer_user, args.tracer_password, "tracer", report, "tracer")
    report["tracer_home"] = tracer.driver.current_url.replace(base, "")
    tracer.shot("tracing-form")
    tracer.fill({"name": "Trần Thị Khách", "phone": "0987", "testDate": today.strftime("%d/%m/%Y")})
    tracer.submit("case-submit")
    report["form_errors"]["casePhone"] = tracer.message_next_to("phone")
    tracer.fill({"phone": "0987 654 321", "unitCode": "05692"})
    tracer.submit("case-submit")
    rows = tracer.driver.find_elements(By.CSS_SELECTOR, "#contacts tbody tr")
    report["contacts"] = [[c.text for c in r.find_elements(By.TAG_NAME, "td")[:3]] for r in rows]
    report["warnings_queued_ms"] = tracer.by_id("queued-ms").text if tracer.driver.find_elements(By.ID, "queued-ms") else None
    tracer.shot("tracing-case")
    if rows:
        until = tracer.driver.find_element(By.CSS_SELECTOR, "#contacts form input[name=quarantineUntil]")
        until_id = until.get_attribute("id")
        until.clear()
        until.send_keys("31/02/2026")
        tracer.follow(tracer.driver.find_element(By.CSS_SELECTOR, "#contacts form button"))
        report["form_errors"]["quarantineUntil"] = tracer.message_next_to(until_id)
        tracer.follow(tracer.driver.find_element(By.CSS_SELECTOR, "#contacts form button"))
    report["contact_statuses"] = [r.get_attribute("data-status") for r in
                                  tracer.driver.find_elements(By.CSS_SELECTOR, "#contacts tbody tr")]
    tracer.shot("tracing-case-f1")
    citizen.open(base + "/app/me")
    report["citizen_warnings"] = [e.text for e in citizen.driver.find_elements(By.CSS_SELECTOR, "#warnings li")]
    report["citizen_check_ins"] = [e.text for e in citizen.driver.find_elements(By.CSS_SELECTOR, "#check-ins li")]
    report["people_in_book"] = [e.text for e in citizen.driver.find_elements(By.CSS_SELECTOR, "section.person h2")]
    citizen.shot("citizen-health-book-warning")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("base_url", "database", "admin_token", "nurse_user", "nurse_password", "official_user",
                 "official_password", "tracer_user", "tracer_password", "out_dir"):
        parser.add_argument(name)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    report = {"form_errors": {}, "screenshots": [], "console_errors": [], "weights": {}, "overflowing": [],
              "browsers": []}
    code = 0
    try:
        story(args, report)
        report["finished"] = True
    except (StoryFailed, WebDriverException, TimeoutException) as err:
        report["finished"] = False
        report["failure"] = getattr(err, "msg", None) or str(err)
        code = 1
    finally:
        for browser in report.pop("browsers"):
            try:
                browser.quit()
            except WebDriverException:
                pass
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    print()
    # Kept beside the screenshots, for whoever looks at them.
    with open(os.path.join(args.out_dir, "report.json"), "w", encoding="utf-8") as file:
        json.dump(report, file, ensure_ascii=False, indent=2)
    return code


if __name__ == "__main__":
    sys.exit(main())
