#!/usr/bin/env python3
"""Real-browser check of the public certificate verification page (GET /verify). Run it with the
python that scripts/browser-venv.sh prints:

    check-verify-page.py BASE_URL TEXT...
    check-verify-page.py BASE_URL --texts-file FILE      (one text per line)

For each text, in one headless Chromium session (Debian's /usr/bin/chromium and /usr/bin/chromedriver):
open BASE_URL/verify, type the text into #text with real key events, click #check, wait up to 15 s
for #result to get class valid or invalid, and read the verdict, reason and holder. Prints one JSON
object {"page": {...}, "results": [...], "console_errors": [...]} and exits 0 when it ran (the caller
judges the content), 1 when the browser could not be driven, 2 on a usage error.
"""
import argparse
import json
import sys

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_session import quit_browser, start_browser


def severe_logs(driver):
    # Each get_log call drains the browser's buffer, so callers accumulate what it returns.
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def check_text(driver, verify_url, text):
    driver.get(verify_url)
    driver.find_element(By.ID, "text").send_keys(text)
    driver.find_element(By.ID, "check").click()
    # Looked up afresh on each poll: without its script the form submits and the page is replaced.
    def verdict_class(d):
        css = d.find_element(By.ID, "result").get_attribute("class") or ""
        return css if set(css.split()) & {"valid", "invalid"} else None
    try:
        css_class = WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException,)).until(verdict_class)
    except TimeoutException:
        css_class = None  # no verdict within 15 s: reported as is, for the caller to judge
    # name/dob via textContent: Selenium's .text is "" for hidden elements; visibility is separate.
    return {
        "text_prefix": text[:12],
        "class": css_class,
        "verdict": driver.find_element(By.ID, "verdict").text,
        "reason": driver.find_element(By.ID, "reason").text,
        "name": driver.find_element(By.ID, "name").get_property("textContent"),
        "dob": driver.find_element(By.ID, "dob").get_property("textContent"),
        "holder_visible": driver.find_element(By.ID, "holder").is_displayed(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("texts", nargs="*")
    parser.add_argument("--texts-file")
    args = parser.parse_args()  # exits 2 on a usage error
    texts = list(args.texts)
    if args.texts_file:
        try:
            with open(args.texts_file, encoding="utf-8") as f:
                texts += [line.rstrip("\r\n") for line in f if line.strip()]
        except OSError as err:
            parser.error(f"cannot read --texts-file: {err}")
    if not texts:
        parser.error("give at least one TEXT or --texts-file")
    verify_url = args.base_url.rstrip("/") + "/verify"

    driver = None
    try:
        driver = start_browser()
        driver.get(verify_url)
        page = {
            "lang": driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
            "title": driver.title,
            "scan_button_visible": driver.find_element(By.ID, "scan").is_displayed(),
            "has_english": "Verify a vaccination certificate" in driver.find_element(By.TAG_NAME, "body").text,
        }
        console_errors = severe_logs(driver)
        results = []
        for text in texts:
            results.append(check_text(driver, verify_url, text))
            console_errors += severe_logs(driver)
    except WebDriverException as err:
        print(f"check-verify-page: browser could not be driven: {err.msg or err}", file=sys.stderr)
        return 1
    finally:
        quit_browser(driver)
    json.dump({"page": page, "results": results, "console_errors": console_errors},
              sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
