"""Amazon Personalize as the local cloud emulates it: dataset groups, event trackers, schemas,
datasets, tags, events and dataset export jobs.

The rules are the service's: statuses change on a clock (CREATE PENDING > CREATE IN_PROGRESS >
ACTIVE or CREATE FAILED; DELETE PENDING > DELETE IN_PROGRESS > gone), one event tracker per
dataset group, one dataset of each type per group, no tracker or dataset on a dataset group that
is not ACTIVE, no dataset group deleted while it has a tracker or datasets, no schema deleted
while a dataset uses it, 50 tags per resource, generated ARNs and UUID trackingIds. PutEvents
checks events against the group's Interactions schema; an export job writes a dataset's records
to S3 as CSV. Faults can be injected. The state can be kept in a file, so separate commands see
the same cloud; the events are appended to a file of their own.

- `service.py`: `Personalize`, the entry for every call, the call log and the operator's view;
- `dataset_groups.py`, `event_trackers.py`, `tags.py`: the operations, by resource;
- `schemas.py`, `datasets.py`: schemas (Avro, checked) and datasets (the schema fits the type);
- `events.py`, `event_log.py`: PutEvents and its checks; the recorded events, appended to a file;
- `exports.py`: dataset export jobs, CSV files written to S3 through an injected writer;
- `backend.py`: the lookups, descriptions and rules the operations share;
- `statuses.py`: statuses, their durations and the clock that reads timelines;
- `faults.py`: what goes wrong on purpose, and the documented behaviour's open choices;
- `rate_limits.py`: per-operation token buckets, and the `TIGHT_LIMITS` preset;
- `clock.py`: `ControlledClock`, the service's wall time, which a test can pause and advance;
- `model.py`: botocore's model of the service, which validates every call;
- `http.py`: the HTTP face (AWS JSON 1.1, PutEvents, the admin API) the endpoint mounts, and
  `Emulator`, the same face served alone;
- `state.py`: the resources, and their file.
"""

from .backend import MAX_TAGS_PER_RESOURCE, ObjectWriteFailed, ObjectWriter
from .faults import EVENTS_WITHOUT_DATASET, INACTIVE_TRACKER_ERRORS, ONE_TRACKER_ERRORS, Faults, RateLimited
from .service import Call, Personalize
from .statuses import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATING,
    DELAY_PRESETS,
    DELETE_IN_PROGRESS,
    DELETE_PENDING,
    DELETING,
    Delays,
)

__all__ = [
    "ACTIVE",
    "CREATE_FAILED",
    "CREATE_IN_PROGRESS",
    "CREATE_PENDING",
    "CREATING",
    "DELAY_PRESETS",
    "DELETE_IN_PROGRESS",
    "DELETE_PENDING",
    "DELETING",
    "EVENTS_WITHOUT_DATASET",
    "INACTIVE_TRACKER_ERRORS",
    "MAX_TAGS_PER_RESOURCE",
    "ONE_TRACKER_ERRORS",
    "Call",
    "Delays",
    "Faults",
    "ObjectWriteFailed",
    "ObjectWriter",
    "Personalize",
    "RateLimited",
]
