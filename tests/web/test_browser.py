"""End to end as a person uses it: headless Debian Chromium (Selenium) on the served page.

Uploads a short song, presses Dance, waits for the video, checks that it plays with its sound, that
every download link fetches, that a refusal shows its message, and that closing the page removes
the session's files; saves a screenshot (its path is printed; run with -s to see it). Needs
Debian's chromium and chromium-driver (no browser is downloaded); skipped without them.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.skipif(
        not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; CI installs them)",
    ),
    pytest.mark.filterwarnings("ignore:.*copy keyword is deprecated", "ignore:.*no_silent_downcasting"),
]

pytest.importorskip("gradio")
webdriver = pytest.importorskip("selenium.webdriver")


@pytest.fixture()
def browser():
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1250",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update"):  # fmt: skip
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, what, timeout: float = 60.0, message: str = ""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(what, message)


def _open(driver, url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url)
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#song input[type=file]"), message="page did not load")


_PLAY = """
const done = arguments[arguments.length - 1];
const v = document.querySelector('#video video');
v.muted = true;
v.play().then(() => setTimeout(() => done({
    readyState: v.readyState, duration: v.duration, time: v.currentTime, paused: v.paused,
    width: v.videoWidth, audioBytes: v.webkitAudioDecodedByteCount, error: v.error && v.error.code,
}), 1200)).catch(e => done({error: String(e)}));
"""

_FETCH = """
const done = arguments[arguments.length - 1];
Promise.all(arguments[0].map(u => fetch(u, {cache: "no-store"}).then(async r => {
    const b = new Uint8Array(await r.arrayBuffer());
    return {status: r.status, size: b.length, head: Array.from(b.slice(0, 4))};
}))).then(done).catch(e => done(String(e)));
"""


def test_a_person_uploads_a_song_and_gets_a_dance(browser, web_server, short_song: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, web_server.url)
    sessions_before = set((web_server.work / "sessions").glob("*")) if (web_server.work / "sessions").is_dir() else set()
    browser.find_element(By.CSS_SELECTOR, "#song input[type=file]").send_keys(str(short_song))
    _wait(browser, lambda d: "short song.wav" in d.find_element(By.ID, "song-info").text, message="song not accepted")
    assert "0:04 (3.5 s)" in browser.find_element(By.ID, "song-info").text
    next(lab for lab in browser.find_elements(By.CSS_SELECTOR, "#size label") if lab.text.strip() == "128").click()

    browser.find_element(By.ID, "dance-button").click()
    seen_progress = set()

    def finished(d) -> bool:
        texts, src = d.execute_script(
            "return [Array.from(document.querySelectorAll('.progress-text, .meta-text, .progress-level-inner'))"
            ".map(e => e.textContent.trim()).filter(t => t), (document.querySelector('#video video') || {}).src]"
        )
        seen_progress.update(texts)
        return bool(src)

    _wait(browser, finished, timeout=120, message="no video came back")
    assert any("%" in t for t in seen_progress), f"no progress was shown while it worked: {seen_progress}"

    state = browser.execute_async_script(_PLAY)
    assert state.get("error") is None, state
    assert state["readyState"] >= 2 and state["duration"] == pytest.approx(3.5, abs=0.15), state
    assert state["time"] > 0.3 and state["width"] == 128, state  # it plays
    assert state["audioBytes"] > 0, state  # with the music

    summary = browser.find_element(By.ID, "summary").text
    assert "seed 0" in summary and "beat alignment" in summary
    plot_w = browser.execute_script("const i = document.querySelector('#beats-plot img'); return i && i.naturalWidth")
    assert plot_w == 800

    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a[href]")]
    links = list(dict.fromkeys(links))
    assert [Path(u.split("?")[0]).suffix for u in links] == [".mp4", ".npz", ".zip", ".bvh"], links
    got = browser.execute_async_script(_FETCH, links)
    assert [g["status"] for g in got] == [200] * 4 and all(g["size"] > 1000 for g in got), got
    assert got[1]["head"][:2] == [80, 75] and got[2]["head"][:2] == [80, 75]  # .npz and .zip are zip files
    assert bytes(got[3]["head"]) == b"HIER"  # BVH

    # the page loaded nothing from anywhere but this server
    origin = web_server.url.rstrip("/")
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(u.startswith(origin) or u.startswith(("data:", "blob:")) for u in loaded), [
        u for u in loaded if not u.startswith(origin)]  # fmt: skip

    shot = tmp_path / "dancegen_web_page.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"\nscreenshot: {shot}")
    if os.environ.get("DANCEGEN_SCREENSHOT"):
        shutil.copy(shot, os.environ["DANCEGEN_SCREENSHOT"])

    # Closing the page removes the session's files.
    new_sessions = set((web_server.work / "sessions").glob("*")) - sessions_before
    assert len(new_sessions) == 1 and any(next(iter(new_sessions)).iterdir())
    browser.get("about:blank")
    deadline = time.time() + 30
    while time.time() < deadline and next(iter(new_sessions)).exists():
        time.sleep(0.25)
    assert not next(iter(new_sessions)).exists(), "the closed page's files are still there"


def test_a_refusal_is_shown_on_the_page(browser, web_server, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    fake = tmp_path / "holiday photo.wav"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    _open(browser, web_server.url)
    browser.find_element(By.CSS_SELECTOR, "#song input[type=file]").send_keys(str(fake))
    _wait(browser, lambda d: "is not a song this server can play" in d.find_element(By.TAG_NAME, "body").text,
          timeout=30, message="no error message shown")  # fmt: skip
    assert "holiday photo.wav" in browser.find_element(By.TAG_NAME, "body").text
