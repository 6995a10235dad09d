"""Load test of the running app: several browser sessions asking questions at once.

    .venv/bin/python bench/load_app.py [--sessions 8] [--questions 5] [--time-limit 600] [--index index]

Starts `streamlit run app.py` on a free localhost port (documents/ and the given, already built index), then
opens N sessions in headless Debian Chromium (Playwright, /usr/bin/chromium; Playwright's own browser downloads
are never used) that all ask their questions at the same time, one after another within a session, as people
typing into the chat. Bounded in count (sessions x questions) and in time (--time-limit, for everything).

An error is anything a user would notice: an exception box or error message on the page, a JavaScript error, a
question whose answer did not appear in time, an answer whose first quote differs from the one the Python API
gives for the same question, or a traceback in the server log. Latency is from pressing Enter until that turn's
answer is drawn. Writes bench/results/load_app.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.evaluation import load_gold  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
GOLD = ROOT / "eval" / "bundled_gold_test.jsonl"
RESULTS = ROOT / "bench" / "results" / "load_app.json"
START_TIMEOUT = 120
NO_ANSWER = "The documents do not answer this question."
_TURN_DONE = re.compile(r"\d+ ms · searched")


class BrowserUnavailable(RuntimeError):
    """Chromium or Playwright is missing, or Chromium cannot start here."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


def _fold(text: str) -> str:
    return " ".join(text.split())


def start_server(index_dir: Path, log: Path, docs_dir: Path | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free localhost port over ``docs_dir`` (default: the bundled documents/)."""
    port = _free_port()
    env = {**os.environ, "ASSISTANT_DOCS_DIR": str(docs_dir or ROOT / "documents"),
           "ASSISTANT_INDEX_DIR": str(index_dir)}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server, url
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"streamlit did not start (exit {server.poll()}):\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


async def _session(browser, url: str, questions: list[str], expected: dict[str, str | None],
                   deadline: float, out: dict) -> None:
    """One user: open the app, ask each question in turn, check what is drawn."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda exc: out["errors"].append(f"page error: {exc}"))
    try:
        await page.goto(url)
        box = page.get_by_placeholder("Ask a question")
        await box.wait_for(timeout=max(1.0, deadline - time.monotonic()) * 1000)
        for n, question in enumerate(questions, 1):
            t0 = time.perf_counter()
            await box.fill(question)
            await box.press("Enter")
            try:
                await page.get_by_text(_TURN_DONE).nth(n - 1).wait_for(
                    timeout=max(1.0, deadline - time.monotonic()) * 1000)
            except Exception as exc:  # a timeout: the user never saw an answer
                out["errors"].append(f"no answer in time for {question!r}: {str(exc).splitlines()[0]}")
                return
            out["latency_s"].append(time.perf_counter() - t0)
            turn = page.locator('[data-testid="stChatMessage"]').nth(2 * n - 1)
            quotes = turn.locator("blockquote.ba-quote")
            want = expected[question]
            if want is None:
                ok = await turn.get_by_text(NO_ANSWER).count() > 0
            else:
                ok = await quotes.count() > 0 and _fold(want) in _fold(await quotes.first.inner_text())
            if not ok:
                out["errors"].append(f"answer to {question!r} differs from the Python API's")
            out["answered"] += 1
        for selector, what in (('[data-testid="stException"]', "exception box"), (".ba-error", "error notice"),
                               ('[data-testid="stAlertContentError"]', "error message")):
            if count := await page.locator(selector).count():
                out["errors"].append(f"{count} {what}(s) on the page")
    finally:
        await context.close()


async def _drive(url: str, plan: list[list[str]], expected: dict[str, str | None], time_limit: float) -> dict:
    try:
        from playwright.async_api import Error, async_playwright
    except ImportError as exc:
        raise BrowserUnavailable(f"the playwright Python package is not installed ({exc}); run `make install`") \
            from exc
    if not CHROMIUM.exists():
        raise BrowserUnavailable(f"{CHROMIUM} is not installed (run `make browser`, or apt-get install chromium)")
    out: dict = {"errors": [], "latency_s": [], "answered": 0}
    async with async_playwright() as p:
        try:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as exc:
            raise BrowserUnavailable(f"Chromium at {CHROMIUM} cannot start here: {str(exc).splitlines()[0]}") \
                from exc
        deadline = time.monotonic() + time_limit
        try:
            await asyncio.gather(*(_session(browser, url, qs, expected, deadline, out) for qs in plan))
        finally:
            await browser.close()
    return out


def run(index_dir: Path, sessions: int = 8, questions_per_session: int = 5, time_limit: float = 600,
        log_dir: Path | None = None) -> dict:
    """Start the app, drive the sessions, stop the app; returns the figures (see the module docstring)."""
    gold = [item.question for item in load_gold(GOLD)]
    plan = [[gold[(s * questions_per_session + i) % len(gold)] for i in range(questions_per_session)]
            for s in range(sessions)]
    assistant = Assistant(index_dir)  # what the page must show: the API's first quote, or an abstention
    expected = {}
    for q in {q for qs in plan for q in qs}:
        answer = assistant.ask(q)
        expected[q] = answer.quotes[0].text if answer.answered else None
    with tempfile.TemporaryDirectory() as tmp:
        log = (log_dir or Path(tmp)) / "streamlit.log"
        server, url = start_server(index_dir, log)
        t0 = time.perf_counter()
        try:
            out = asyncio.run(_drive(url, plan, expected, time_limit))
        finally:
            wall = time.perf_counter() - t0
            stop_server(server)
        server_log = log.read_text(errors="replace")
    if "Traceback" in server_log:
        out["errors"].append("traceback in the server log")
    lat = out["latency_s"]
    return {
        "sessions": sessions, "questions_per_session": questions_per_session,
        "questions": sessions * questions_per_session,
        "answered": out["answered"], "errors": len(out["errors"]), "error_messages": out["errors"][:20],
        "latency_p50_s": round(_pct(lat, 0.5), 2), "latency_p95_s": round(_pct(lat, 0.95), 2),
        "latency_max_s": round(max(lat), 2) if lat else None,
        "latency_mean_s": round(statistics.fmean(lat), 2) if lat else None,
        "wall_s": round(wall, 1), "time_limit_s": time_limit,
        "questions_per_s": round(out["answered"] / wall, 2) if wall else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--questions", type=int, default=5, help="questions per session")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds for the whole run")
    parser.add_argument("--index", type=Path, default=ROOT / "index", help="an already built index")
    args = parser.parse_args()
    try:
        result = run(args.index, args.sessions, args.questions, args.time_limit)
    except BrowserUnavailable as exc:
        print(f"load_app: {exc}", file=sys.stderr)
        return 2
    result["machine"] = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end"
    result["measured_at"] = time.strftime("%Y-%m-%d %H:%M")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
