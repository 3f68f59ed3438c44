"""Ad-hoc ingest latency: `wirecrawl ingest URL` from a cold start, with no
Prefect server configured, on an article page served on 127.0.0.1.

    .venv/bin/python bench/ingest_latency.py [--repeats 5]

Each repeat runs the command as a fresh process with a fresh data directory.
Baseline, measured in the same run: a fresh interpreter importing the ingest
path (`python -c "import crawler.ingest.ingest"`), i.e. what any ingest must pay
before its first byte. Also shown, for scale: `python -c "import prefect"`,
which the command avoids when no Prefect server is configured.
Prints medians and the ratio; target: the ingest median <= 3 s wall.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    article = next(a for a in ARTICLES if a.lang == "en")
    html = render_article_page(TEMPLATES[0], title=article.title, paragraphs=article.paragraphs,
                               site_name="Latency Times", url="http://latency.example/a.html",
                               author=article.author, published=article.published)
    wirecrawl = str(Path(sys.executable).parent / "wirecrawl")
    with Site() as site, tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = _environment(tmp_path)
        url = site.add("/a.html", html)
        baseline, ingest, prefect = [], [], []
        for i in range(args.repeats):
            baseline.append(_wall([sys.executable, "-c", "import crawler.ingest.ingest"], env))
            ingest.append(_wall([wirecrawl, "--data-dir", str(tmp_path / f"data-{i}"), "ingest", "--allow-private",
                                 url], env))
            prefect.append(_wall([sys.executable, "-c", "import prefect"], env))

    base_s, ingest_s, prefect_s = (statistics.median(x) for x in (baseline, ingest, prefect))
    print(f"baseline  python -c 'import crawler.ingest.ingest' median {base_s:.2f} s  "
          f"({', '.join(f'{x:.2f}' for x in baseline)})")
    print(f"ingest    wirecrawl ingest URL (cold)                median {ingest_s:.2f} s  "
          f"({', '.join(f'{x:.2f}' for x in ingest)})")
    print(f"for scale python -c 'import prefect'                 median {prefect_s:.2f} s  (avoided)")
    print(f"ratio     ingest / baseline = {ingest_s / base_s:.2f}")
    print(f"target    ingest median <= {TARGET_S:.1f} s: {'met' if ingest_s <= TARGET_S else 'NOT met'}")


if __name__ == "__main__":
    main()
