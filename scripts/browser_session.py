"""Headless Chromium for the page checks (check-verify-page.py, check-checkin-page.py): Debian's
/usr/bin/chromium and /usr/bin/chromedriver, with the page's console kept."""
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service


def start_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    # Keep the page's console messages so SEVERE ones (uncaught errors, failed loads) can be reported.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path makes Selenium skip Selenium Manager (which would try to download one).
    return webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))


def quit_browser(driver):
    if driver is not None:
        try:
            driver.quit()
        except WebDriverException:
            pass
