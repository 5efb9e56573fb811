"""The simulated users of `benchmarks.load`: investigators of one centre who open the case
list, a case overview, read a case through the API and save a section through the API.

Settings come from the environment: BENCH_USER, BENCH_PASSWORD, BENCH_TOKEN, BENCH_CODES
(a file of case codes of the user's centre, one per line)."""

from __future__ import annotations

import os
import random

from locust import HttpUser, between, task

CODES = open(os.environ["BENCH_CODES"]).read().split()
TOKEN = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}"}


class Investigator(HttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        self.client.get("/accounts/login/", name="login page")
        self.client.post(
            "/accounts/login/",
            {
                "username": os.environ["BENCH_USER"],
                "password": os.environ["BENCH_PASSWORD"],
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": self.host + "/accounts/login/"},
            name="log in",
        )

    @task(3)
    def case_list(self) -> None:
        self.client.get(f"/cases/?page={random.randint(1, 20)}", name="case list")

    @task(3)
    def case_overview(self) -> None:
        self.client.get(f"/cases/{random.choice(CODES)}/", name="case overview")

    @task(3)
    def api_case_read(self) -> None:
        self.client.get(
            f"/api/v1/cases/{random.choice(CODES)}/", headers=TOKEN, name="API case read"
        )

    @task(1)
    def section_save(self) -> None:
        """Sex recorded the other way round: a real change through the write contract that
        no date rule can refuse (the next save may flip it back)."""
        url = f"/api/v1/cases/{random.choice(CODES)}/sections/demographics/"
        read = self.client.get(url, headers=TOKEN, name="API section read (before save)")
        if read.status_code != 200 or read.json().get("sex") not in ("male", "female"):
            return
        other = {"male": "female", "female": "male"}[read.json()["sex"]]
        self.client.patch(
            url,
            json={"sex": other, "reason": "benchmark"},
            headers={**TOKEN, "If-Match": read.headers["ETag"]},
            name="section save (API)",
        )
