"""Pages and API under 20 concurrent simulated users (locust, headless, bounded in time),
served by gunicorn over the benchmark database, on 127.0.0.1 only."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.harness import Bench

PORT = 8765
USERS = 20
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", 45))
WORKERS = 4
P95_MS = 100
MEASURED = ("case list", "case overview", "API case read", "section save (API)")
PASSWORD = "bench-load-not-secret"


def _investigator() -> tuple[str, str, list[str]]:
    """A bench investigator of the centre with most open cases, a token, their codes."""
    from django.db.models import Count

    from crf.models import Case
    from registry import tokens
    from registry.models import Centre, Membership, User

    centre = Centre.objects.annotate(n=Count("cases")).order_by("-n").first()
    user, _ = User.objects.get_or_create(username="bench_investigator")
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.get_or_create(user=user, role="investigator", centre=centre)
    user.api_tokens.all().delete()
    _token, secret = tokens.issue(user, name="bench", scope="read_write", days=1)
    codes = list(
        Case.objects.filter(centre=centre, status="draft").values_list("code", flat=True)[:2000]
    )
    return user.username, secret, codes


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer at {url}")


def load(bench: Bench) -> None:
    from django.conf import settings

    username, token, codes = _investigator()
    # Connections kept between requests, as production serves (registry.settings.prod).
    kept = str(settings.SERVED_CONN_MAX_AGE)
    env = dict(os.environ, DJANGO_DEBUG="false", DJANGO_CONN_MAX_AGE=kept)
    bin_dir = Path(sys.executable).parent
    # Served as in production: hashed static files collected first (DEBUG is off).
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   env=env, check=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-load-") as work:
        codes_file = Path(work) / "codes.txt"
        codes_file.write_text("\n".join(codes))
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "registry.wsgi", "-b", f"127.0.0.1:{PORT}",
             "-w", str(WORKERS), "--access-logfile", "/dev/null"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_for(f"http://127.0.0.1:{PORT}/healthz/")
            prefix = str(Path(work) / "locust")
            subprocess.run(
                [str(bin_dir / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")),
                 "--headless", "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s",
                 "--host", f"http://127.0.0.1:{PORT}", "--csv", prefix, "--only-summary"],
                env=dict(env, BENCH_USER=username, BENCH_PASSWORD=PASSWORD, BENCH_TOKEN=token,
                         BENCH_CODES=str(codes_file)),
                check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            stats = {row["Name"]: row for row in csv.DictReader(open(f"{prefix}_stats.csv"))}
            failures = list(csv.DictReader(open(f"{prefix}_failures.csv")))
        finally:
            server.terminate()
            server.wait(timeout=30)
    bench.note(f"load: {USERS} users, {SECONDS} s, gunicorn {WORKERS} sync workers, locust on "
               "the same 2 cores")  # fmt: skip
    for failure in failures:
        bench.note(f"load: {failure['Name']} failed {failure['Occurrences']}x: {failure['Error']}")
    for name in MEASURED:
        row = stats.get(name)
        if row is None:
            bench.note(f"load: no request named {name!r} was made")
            continue
        bench.record(f"{name}: p50", float(row["50%"]), "ms")
        bench.record(f"{name}: p95", float(row["95%"]), "ms", f"<= {P95_MS}")
        bench.record(f"{name}: p99", float(row["99%"]), "ms")
        bench.record(f"{name}: errors", float(row["Failure Count"]), "requests", "<= 0")
        bench.record(f"{name}: requests", float(row["Request Count"]), "requests")
