"""Ad-hoc ingest latency: `wirecrawl ingest URL` from a cold start, on an
article page served on 127.0.0.1, with no Prefect server configured and with
one configured and answering (the bench starts a temporary `prefect server
start` on 127.0.0.1 for that, and stops it at the end).

    .venv/bin/python bench/ingest_latency.py [--repeats 5] [--no-prefect-server]

Each repeat runs the command as a fresh process with a fresh data directory.
Baseline, measured in the same run: a fresh interpreter importing the ingest
path (`python -c "import crawler.ingest.ingest"`), i.e. what any ingest must pay
before its first byte. Also shown, for scale: `python -c "import prefect"`,
which the command avoids in both cases (with a server it records its run over
Prefect's REST API). With a server, the bench also checks that every command
left its `ingest-url` run on the server and printed its line once.
Prints medians and the ratios; target: both ingest medians <= 3 s wall.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sampleweb.articles import ARTICLES  # noqa: E402
from tests.sampleweb.templates import TEMPLATES, render_article_page  # noqa: E402
from tests.sites import Site  # noqa: E402

TARGET_S = 3.0


def _environment(home: Path) -> dict[str, str]:
    # No Prefect server configured: neither the environment nor a profile names one.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WIRECRAWL_"))}
    env["PREFECT_HOME"] = str(home / "prefect-home")
    return env


def _wall(cmd: list[str], env: dict[str, str], *, one_line: bool = False) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    if one_line and (len(done.stdout.splitlines()) != 1 or done.stderr):
        raise SystemExit(f"{' '.join(cmd)} printed more than its one line:\n{done.stdout}{done.stderr}")
    return elapsed


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A temporary Prefect server on 127.0.0.1 (its own PREFECT_HOME and
    database, no UI, no analytics); yields its API URL, stops it after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _environment(home)
    env.update(PREFECT_HOME=str(home / "prefect-server"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    log = open(home / "prefect-server.log", "w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "prefect"), "server", "start", "--host",
                               "127.0.0.1", "--port", str(port), "--no-ui"], cwd=home, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while not _answers(api):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the Prefect server did not start; see {home / 'prefect-server.log'}")
            time.sleep(0.5)
        yield api
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the workers it started
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _answers(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _ingest_runs(api: str) -> int:
    answer = httpx.post(f"{api}/flow_runs/count", json={"flows": {"name": {"any_": ["ingest-url"]}}}, timeout=10)
    answer.raise_for_status()
    return int(answer.json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-prefect-server", action="store_true",
                        help="skip the measurement with a Prefect server configured")
    args = parser.parse_args()

    article = next(a for a in ARTICLES if a.lang == "en")
    html = render_article_page(TEMPLATES[0], title=article.title, paragraphs=article.paragraphs,
                               site_name="Latency Times", url="http://latency.example/a.html",
                               author=article.author, published=article.published)
    wirecrawl = str(Path(sys.executable).parent / "wirecrawl")
    with Site() as site, tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        tmp_path = Path(tmp)
        env = _environment(tmp_path)
        url = site.add("/a.html", html)
        api = None if args.no_prefect_server else stack.enter_context(prefect_server(tmp_path))
        with_server = {**env, "PREFECT_API_URL": api} if api else None
        baseline, ingest, served, prefect = [], [], [], []
        for i in range(args.repeats):
            baseline.append(_wall([sys.executable, "-c", "import crawler.ingest.ingest"], env))
            ingest.append(_wall([wirecrawl, "--data-dir", str(tmp_path / f"data-{i}"), "ingest", "--allow-private",
                                 url], env, one_line=True))
            if with_server:
                served.append(_wall([wirecrawl, "--data-dir", str(tmp_path / f"served-{i}"), "ingest",
                                     "--allow-private", url], with_server, one_line=True))
            prefect.append(_wall([sys.executable, "-c", "import prefect"], env))
        recorded = _ingest_runs(api) if api else 0

    base_s, ingest_s, prefect_s = (statistics.median(x) for x in (baseline, ingest, prefect))
    print(f"baseline  python -c 'import crawler.ingest.ingest' median {base_s:.2f} s  "
          f"({', '.join(f'{x:.2f}' for x in baseline)})")
    print(f"ingest    wirecrawl ingest URL (cold, no server)     median {ingest_s:.2f} s  "
          f"({', '.join(f'{x:.2f}' for x in ingest)})")
    if served:
        served_s = statistics.median(served)
        print(f"ingest    ... with a Prefect server configured     median {served_s:.2f} s  "
              f"({', '.join(f'{x:.2f}' for x in served)}); ingest-url runs recorded: {recorded}/{len(served)}")
    print(f"for scale python -c 'import prefect'                 median {prefect_s:.2f} s  (avoided)")
    print(f"ratio     ingest / baseline = {ingest_s / base_s:.2f}"
          + (f"; with a server / without = {served_s / ingest_s:.2f}" if served else ""))
    met = ingest_s <= TARGET_S and (not served or (served_s <= TARGET_S and recorded == len(served)))
    print(f"target    ingest medians <= {TARGET_S:.1f} s"
          + (", every run recorded" if served else "") + f": {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
