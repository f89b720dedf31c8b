"""AWS Systems Manager Parameter Store, as much of it as stacks use: String parameters by name.

Written by `AWS::SSM::Parameter` resources and read by template parameters of type
`AWS::SSM::Parameter::Value<String>` when a stack deploys. Kept in a file when one is given.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

# The local cloud stands for a bootstrapped environment: the CDK's bootstrap version parameter,
# which every template of the default synthesizer reads, answers with a recent version.
BOOTSTRAP_VERSION = re.compile(r"/cdk-bootstrap/[^/]+/version")
BOOTSTRAPPED_VERSION = "30"


class ParameterNotFound(KeyError):
    """No parameter has this name."""


class ParameterStore:
    def __init__(self, state_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._state_file = state_file
        self._values: dict[str, str] = {}
        if state_file is not None and state_file.exists():
            self._values = json.loads(state_file.read_text())

    def put(self, name: str, value: str) -> None:
        with self._lock:
            self._values[name] = value
            self._save()

    def get(self, name: str) -> str:
        with self._lock:
            if name not in self._values:
                if BOOTSTRAP_VERSION.fullmatch(name):
                    return BOOTSTRAPPED_VERSION
                raise ParameterNotFound(name)
            return self._values[name]

    def delete(self, name: str) -> None:
        with self._lock:
            self._values.pop(name, None)
            self._save()

    def _save(self) -> None:
        if self._state_file is not None:
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            self._state_file.write_text(json.dumps(self._values, indent=1))
