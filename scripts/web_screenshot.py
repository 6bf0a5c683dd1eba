"""The screenshot in docs/WEB.md: the served page after a dance of the demo song by the shipped model.

Starts ``dancegen serve`` on a free local port, drives headless Debian Chromium (Selenium, as
tests/web/test_browser.py does): **Use the demo song**, the given length, "On every beat" when
asked, **Dance**; waits for the video and saves the whole window as a PNG.

Usage: python scripts/web_screenshot.py [--out docs/img/web.png] [--length 12] [--on-beat]
       [--style-label any] [--size 1400x1500]
Needs the ``ui`` extra (Gradio), selenium, and Debian's chromium + chromium-driver.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read(64)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the page at {url} did not come up in {timeout:g} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "web.png")
    ap.add_argument("--length", type=float, default=12.0, help="excerpt length, seconds")
    ap.add_argument("--on-beat", action="store_true", help="tick 'On every beat' (--beat-every beat)")
    ap.add_argument("--style-label", default="any", help="the 'Dance style' menu entry")
    ap.add_argument("--size", default="1400x1650", help="browser window, WIDTHxHEIGHT pixels")
    args = ap.parse_args()

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_bin = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    work = Path(tempfile.mkdtemp(prefix="dancegen_shot_"))
    dancegen = [sys.executable, "-m", "dancegen"]
    server = subprocess.Popen([*dancegen, "serve", "--port", str(port)], cwd=work,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={args.size.replace('x', ',')}",
                "--mute-audio", "--disable-gpu", "--no-first-run", "--hide-scrollbars"):  # fmt: skip
        opts.add_argument(arg)
    browser = None
    try:
        _wait_http(url, 180)
        browser = webdriver.Chrome(service=Service(driver_bin), options=opts)
        wait = lambda what, timeout, msg: WebDriverWait(browser, timeout, 0.5).until(what, msg)  # noqa: E731
        browser.get(url)
        wait(lambda d: d.find_elements(By.ID, "demo-song"), 60, "page did not load")
        browser.find_element(By.ID, "demo-song").click()
        wait(lambda d: "demo" in d.find_element(By.ID, "song-info").text, 60, "demo song not loaded")
        length = browser.find_element(By.CSS_SELECTOR, "#length input[type=number]")
        length.send_keys(Keys.CONTROL, "a")
        length.send_keys(f"{args.length:g}", Keys.ENTER)
        if args.on_beat:
            browser.find_element(By.CSS_SELECTOR, "#on-beat input[type=checkbox]").click()
        if args.style_label != "any":
            browser.find_element(By.CSS_SELECTOR, "#style-label input").click()
            wait(lambda d: d.find_elements(By.XPATH, f"//li[normalize-space()='{args.style_label}']"), 30,
                 f"no dance style {args.style_label!r} in the menu")  # fmt: skip
            browser.find_element(By.XPATH, f"//li[normalize-space()='{args.style_label}']").click()
        browser.find_element(By.ID, "dance-button").click()
        wait(lambda d: d.execute_script("return (document.querySelector('#video video') || {}).src"), 600,
             "no video came back")  # fmt: skip
        wait(lambda d: d.execute_script("const i = document.querySelector('#beats-plot img');"
                                        "return i && i.complete && i.naturalWidth > 0"), 60, "no beat plot")  # fmt: skip
        time.sleep(2.0)  # let the video show its first frame
        browser.execute_script("window.scrollTo(0, 0)")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(args.out))
        print(f"{args.out}: {browser.find_element(By.ID, 'summary').text}")
    finally:
        if browser is not None:
            browser.quit()
        server.terminate()
        server.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
