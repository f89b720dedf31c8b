"""Fixtures of the local cloud's tests: an endpoint whose Personalize runs on a paused clock."""

from collections.abc import Iterator

import pytest

from localcloud.endpoint import Endpoint
from localcloud.personalize import Personalize
from localcloud.personalize.clock import ControlledClock

from .personalize_world import World


@pytest.fixture(scope="module")
def personalize_endpoint() -> Iterator[Endpoint]:
    """One endpoint for a module's tests (one endpoint runs per process at a time)."""
    with Endpoint(personalize=Personalize(clock=ControlledClock(paused=True))) as running:
        yield running


@pytest.fixture
def world(personalize_endpoint: Endpoint) -> World:
    """The endpoint with an empty Personalize, its paused clock, and clients of it."""
    personalize_endpoint.personalize.reset()
    return World(personalize_endpoint, personalize_endpoint.personalize.clock)
