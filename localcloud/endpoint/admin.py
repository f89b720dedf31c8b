"""The endpoint's admin API under `/_localcloud/`: what a test or an operator does to the local
cloud itself (no signature needed; the endpoint listens on loopback only).

- `GET gates`, `POST gates`: the gates calls and steps wait at until they are let through. A
  gate's name says whose it is: `personalize:<Operation>` holds that operation's calls before
  they run; `cloudformation:operation:<stack>` a stack operation before its first step (after
  ExecuteChangeSet or DeleteStack has answered); `cloudformation:create:<logical id>`,
  `cloudformation:update:<logical id>`, `cloudformation:delete:<logical id>` a resource's step
  before it starts. `POST` takes `{"close": [names], "open": [names], "open_all": true}` (any of
  them); both answer `{"closed": [names], "waiting": {name: calls held}}`.
- `GET clock`, `POST clock`: the clock Personalize times everything by (statuses, the read lag,
  rate limits). `POST` takes `{"pause": true}`, `{"resume": true}` or `{"advance": seconds}`;
  both answer `{"now": seconds since the epoch, "paused": bool}`.
- `GET recovery`: `{"concluding": [stack names]}`, the stacks whose operation the last stop
  interrupted and the restart is still concluding (DescribeStacks shows them *_IN_PROGRESS).
- anything else: Personalize's own admin API (`personalize/http.py`: state, faults, reset,
  out-of-band deletes).

With these a test drives a real `python -m localcloud serve` process to an exact point (a
tracker being created, a stack between two resources) and stops it there, with no sleep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..cloudformation.api import CloudFormationApi
from ..personalize import Personalize
from ..personalize.faults import Gates
from ..personalize.http import ADMIN_PREFIX
from .http import AwsRequest, HttpResponse

Handler = Callable[[AwsRequest], HttpResponse]


class AdminApi:
    """`/_localcloud/gates`, `clock` and `recovery`; the rest goes to `fallback` (Personalize's)."""

    def __init__(self, fallback: Handler, personalize: Personalize, cloudformation: CloudFormationApi) -> None:
        self._fallback = fallback
        self._personalize = personalize
        self._cloudformation = cloudformation  # its engine, and the engine's gates, exist once it starts

    def __call__(self, request: AwsRequest) -> HttpResponse:
        action = request.path[len(ADMIN_PREFIX) :]
        handler = {"gates": self._gates, "clock": self._clock, "recovery": self._recovery}.get(action)
        if handler is None:
            return self._fallback(request)
        try:
            payload = json.loads(request.body or b"{}") if request.method == "POST" else {}
            if not isinstance(payload, dict):
                raise ValueError("the body must be a JSON object")
            return _json(200, handler(payload))
        except (ValueError, TypeError, KeyError) as error:
            return _json(400, {"message": str(error)})

    def _gates_of(self) -> dict[str, Gates]:
        return {"personalize": self._personalize.gates, "cloudformation": self._cloudformation.engine.gates}

    def _gate(self, name: str) -> tuple[Gates, str]:
        owner, _, gate = str(name).partition(":")
        gates = self._gates_of().get(owner)
        if gates is None or not gate:
            raise ValueError(f"a gate is named personalize:<Operation> or cloudformation:<step>, not {name!r}")
        return gates, gate

    def _gates(self, payload: dict[str, Any]) -> dict[str, Any]:
        for name in payload.get("close", []):
            gates, gate = self._gate(name)
            gates.close(gate)
        for name in payload.get("open", []):
            gates, gate = self._gate(name)
            gates.open(gate)
        if payload.get("open_all"):
            for gates in self._gates_of().values():
                gates.open_all()
        closed: list[str] = []
        waiting: dict[str, int] = {}
        for owner, gates in self._gates_of().items():
            owner_closed, owner_waiting = gates.held()
            closed += [f"{owner}:{gate}" for gate in owner_closed]
            waiting.update({f"{owner}:{gate}": count for gate, count in owner_waiting.items()})
        return {"closed": closed, "waiting": waiting}

    def _clock(self, payload: dict[str, Any]) -> dict[str, Any]:
        clock = self._personalize.clock
        if payload.get("pause"):
            clock.pause()
        if payload.get("resume"):
            clock.resume()
        if "advance" in payload:
            clock.advance(float(payload["advance"]))
        return {"now": clock(), "paused": clock.paused}

    def _recovery(self, _payload: dict[str, Any]) -> dict[str, Any]:
        return {"concluding": self._cloudformation.concluding()}


def _json(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})
