"""Headless Chromium through Selenium, for the report tests: opens a page from file://, reads
the browser's console, emulates a dark theme or print, takes full-page screenshots.

Debian's python3-selenium lives in /usr/lib/python3/dist-packages, which a Python other than
/usr/bin/python3 (a pyenv one, say) does not see: `ensure_selenium()` re-runs the test with
/usr/bin/python3 when it has Selenium and the current interpreter has not.
"""
import base64
import os
import shutil
import sys
import tempfile

SKIP = 77  # CTest's SKIP_RETURN_CODE for these tests


def ensure_selenium():
    """Returns the reason Selenium/Chromium cannot run here, or None; may re-exec this script."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        system = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system) \
                and not os.environ.get("TLSLAB_REPORT_REEXEC"):
            os.environ["TLSLAB_REPORT_REEXEC"] = "1"
            # The script starts again from its beginning: what it started so far must not outlive it.
            harness = sys.modules.get("harness")
            if harness is not None and hasattr(harness, "close_open_labs"):
                harness.close_open_labs()
            os.execv(system, [system] + sys.argv)
        return "python3-selenium is not installed (apt-get install python3-selenium)"
    if not chromium_binary():
        return "chromium is not installed (apt-get install chromium)"
    if not chromedriver_binary():
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromedriver_binary():
    return shutil.which("chromedriver")


class Browser:
    def __init__(self, width=1280, height=1000):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="tlslab-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium_binary()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    "--hide-scrollbars", f"--user-data-dir={self.profile}", f"--window-size={width},{height}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(chromedriver_binary()), options=options)
        self.driver.set_page_load_timeout(30)
        self.width = width

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, path, dark=False, media=""):
        """Opens a file; dark: prefers-color-scheme dark; media: "print" to lay it out for print."""
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "media": media, "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})
        self.driver.get("file://" + os.path.abspath(path))
        self.driver.implicitly_wait(0)
        return self.driver

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def console(self):
        """The browser console since the last call: [(level, message)]."""
        return [(entry["level"], entry["message"]) for entry in self.driver.get_log("browser")]

    def timing(self):
        """The page's own timing: ms from navigation start to DOMContentLoaded, load end, and drawn."""
        return self.js("""
            const nav = performance.getEntriesByType('navigation')[0];
            const drawn = performance.getEntriesByName('tlslab-report-drawn')[0];
            return {dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                    drawn: drawn ? drawn.startTime : null, resources: performance.getEntriesByType('resource').length};
        """)

    def screenshot(self, path, full_page=True, media=""):
        """A PNG of the whole page (not only the viewport), as the browser renders it."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        params = {"format": "png"}
        if full_page:
            size = self.js("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update({"captureBeyondViewport": True,
                           "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}})
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", params)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path

    def screenshot_element(self, element, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(element.screenshot_as_png)
        return path
