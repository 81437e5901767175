#!/usr/bin/env python3
"""Real-browser check of the venue check-in page (GET /checkin#TOKEN). Run it with the python that
scripts/browser-venv.sh prints:

    check-checkin-page.py GOOD_URL FORGED_URL

In one headless Chromium session (Debian's /usr/bin/chromium and /usr/bin/chromedriver): open GOOD_URL
(what a poster's QR holds), wait for the venue to be confirmed, type a phone that is not a phone and
submit, then a real name and phone and submit, reading the message each time; then open FORGED_URL
and read what the page says. Prints one JSON object and exits 0 when it ran (the caller judges the
content), 1 when the browser could not be driven, 2 on a usage error.
"""
import argparse
import json
import sys

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser_session import quit_browser, start_browser


def wait_for(driver, condition):
    try:
        return WebDriverWait(driver, 15).until(condition)
    except TimeoutException:
        return None


def venue_state(driver):
    return wait_for(driver, lambda d: d.find_element(By.ID, "venue").get_attribute("data-valid"))


def submit(driver, name, phone):
    for field, value in (("name", name), ("phone", phone)):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.execute_script("document.getElementById('message').className = '';")
    driver.find_element(By.ID, "submit").click()
    css = wait_for(driver, lambda d: d.find_element(By.ID, "message").get_attribute("class") or None)
    return {"class": css, "text": driver.find_element(By.ID, "message").text,
            "form_visible": driver.find_element(By.ID, "form").is_displayed()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("good_url")
    parser.add_argument("forged_url")
    args = parser.parse_args()
    driver = None
    try:
        driver = start_browser()
        driver.get(args.good_url)
        good = {"valid": venue_state(driver), "venue": driver.find_element(By.ID, "venue").text,
                "lang": driver.find_element(By.TAG_NAME, "html").get_attribute("lang")}
        bad_phone = submit(driver, "Nguyễn Văn Khách", "12345")
        checked_in = submit(driver, "Nguyễn Văn Khách", "0912 345 678")
        driver.get("about:blank")
        driver.get(args.forged_url)
        forged = {"valid": venue_state(driver), "venue": driver.find_element(By.ID, "venue").text,
                  "form_visible": driver.find_element(By.ID, "form").is_displayed()}
        console = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    except WebDriverException as err:
        print(f"check-checkin-page: browser could not be driven: {err.msg or err}", file=sys.stderr)
        return 1
    finally:
        quit_browser(driver)
    json.dump({"good": good, "bad_phone": bad_phone, "checked_in": checked_in, "forged": forged,
               "console_errors": console}, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
