"""A flow run recorded on a Prefect server for work this process does itself:
what `wirecrawl ingest` leaves in the Prefect UI when a server is configured.

The command does its work directly and reports it, rather than running it
inside a Prefect flow: importing Prefect alone costs about 2 s, more than the
command's whole budget, and a flow run started in the command printed every
line twice (once by the command, once by Prefect's console log). So this
module speaks to Prefect's public REST API with httpx (already loaded for
the health check), a handful of requests of a few milliseconds each:

- before the work, a run of the named flow in state Running (the flow is
  created on the server if it is new there), tagged `wirecrawl` and `cli`;
- after it, its log lines, its table artifacts, and its final state:
  Completed, or Failed with a message that says why.

The run looks in the UI like a run of the same flow made by a worker: the
same flow name, parameters, artifacts and log lines, without task runs.

Reporting never stops the work: when the server refuses a request or stops
answering, one warning names the server and the reason, and the rest of the
report is skipped. The API URL and, when set, `PREFECT_API_KEY` (Prefect
Cloud) or `PREFECT_API_AUTH_STRING` (a server behind basic auth) are read as
Prefect reads them, without importing Prefect (`flows.runs`).
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

import httpx

log = logging.getLogger(__name__)

TAGS = ("wirecrawl", "cli")


class ReportedRun:
    """One flow run on the Prefect server at `api_url`, for work done in
    this process. Use as a context manager around the work:

        with ReportedRun(api_url, "ingest-url", {"urls": urls}) as run:
            ...                      # the work
            run.log("a line")
            run.table("key", rows, "what the table shows")
            run.finish(failure=None, message="done: ...")

    Leaving the block without `finish` marks the run Failed (an exception)
    or Crashed (Ctrl-C, a kill signal turned into an exception), with the
    exception named, and lets the exception go on. Never raises for the
    server: a refused or unanswered request is one warning and ends the
    reporting (`recorded` then says False)."""

    def __init__(self, api_url: str, flow_name: str, parameters: dict[str, Any], *,
                 headers: dict[str, str] | None = None, timeout: float = 5.0):
        self.api_url = api_url.rstrip("/")
        self.flow_name = flow_name
        self.parameters = parameters
        self.id: str | None = None  # the flow run's id, once created
        self.recorded = False  # the server holds the run and everything reported so far
        self._broken = False
        self._finished = False
        self._logs: list[dict[str, Any]] = []
        self._http = httpx.Client(base_url=self.api_url, headers=headers or {}, timeout=timeout)

    # -- the run's life --------------------------------------------------------

    def __enter__(self) -> "ReportedRun":
        flow = self._post("/flows/", {"name": self.flow_name})
        if flow and flow.get("id"):
            run = self._post("/flow_runs/", {
                "flow_id": flow["id"], "parameters": self.parameters, "tags": list(TAGS),
                "state": {"type": "RUNNING", "name": "Running"}})
            if run and run.get("id"):
                self.id, self.recorded = run["id"], True
        return self

    def log(self, message: str, level: int = logging.INFO) -> None:
        """Add a line to the run's log (sent with the final state)."""
        self._logs.append({"name": f"wirecrawl.{self.flow_name}", "level": level, "message": message,
                           "timestamp": _now()})

    def table(self, key: str, rows: list[dict[str, Any]], description: str) -> None:
        """Leave a table artifact under `key` (lowercase letters, digits and
        dashes), one row per dict, as Prefect's `create_table_artifact` does."""
        if self.id is not None:
            self._post("/artifacts/", {"key": key, "type": "table", "description": description,
                                       "data": json.dumps(rows), "flow_run_id": self.id})

    def finish(self, failure: str | None, message: str) -> None:
        """Send the log lines and the final state: Failed with `failure` as
        its message when `failure` is set, else Completed with `message`."""
        self._finished = True
        self._flush_logs()
        state = ({"type": "FAILED", "name": "Failed", "message": failure} if failure
                 else {"type": "COMPLETED", "name": "Completed", "message": message})
        self._set_state(state)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if not self._finished:
                self._flush_logs()
                if exc is None:
                    self._set_state({"type": "COMPLETED", "name": "Completed", "message": None})
                else:
                    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    crashed = not isinstance(exc, Exception)
                    self._set_state({"type": "CRASHED" if crashed else "FAILED",
                                     "name": "Crashed" if crashed else "Failed",
                                     "message": f"the run {'was stopped' if crashed else 'failed'}: {what}"})
        finally:
            self._http.close()

    # -- requests --------------------------------------------------------------

    def _flush_logs(self) -> None:
        if self.id is not None and self._logs:
            self._post("/logs/", [{**entry, "flow_run_id": self.id} for entry in self._logs])
        self._logs = []

    def _set_state(self, state: dict[str, Any]) -> None:
        # Through the server's orchestration rules, as Prefect's client does:
        # a run cancelled in the UI meanwhile is not turned Completed.
        if self.id is None:
            return
        answer = self._post(f"/flow_runs/{self.id}/set_state", {"state": state, "force": False})
        if isinstance(answer, dict) and answer.get("status") != "ACCEPT":
            self.recorded = False
            log.warning("the Prefect server at %s kept the %s run %s out of state %s (%s: %s)", self.api_url,
                        self.flow_name, self.id, state["name"], answer.get("status"),
                        (answer.get("details") or {}).get("reason"))

    def _post(self, path: str, body: Any) -> Any:
        """The decoded answer, or None when the server refused or did not
        answer (warned once; later requests are then skipped)."""
        if self._broken:
            return None
        try:
            answer = self._http.post(path, json=body)
            answer.raise_for_status()
            decoded = answer.json() if answer.content else {}
            if not isinstance(decoded, (dict, list)) and decoded is not None:
                raise ValueError(f"unexpected answer {answer.text[:100]!r}")
            return decoded if decoded is not None else {}
        except (httpx.HTTPError, ValueError) as exc:
            self._broken, self.recorded = True, False
            log.warning("the Prefect server at %s did not take the %s run's report (%s %s: %s); "
                        "the work itself is done", self.api_url, self.flow_name, "POST", path, _reason(exc))
            return None


def auth_headers(api_key: str | None, auth_string: str | None) -> dict[str, str]:
    """The Authorization header Prefect's client sends: a bearer token for
    `PREFECT_API_KEY`, basic auth for `PREFECT_API_AUTH_STRING`
    ("user:password"); none when neither is set."""
    if api_key:
        return {"Authorization": f"Bearer {api_key}"}
    if auth_string:
        return {"Authorization": "Basic " + base64.b64encode(auth_string.encode()).decode("ascii")}
    return {}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        detail = exc.response.text.strip().replace("\n", " ")[:200]
        return f"HTTP {exc.response.status_code}" + (f" {detail}" if detail else "")
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
