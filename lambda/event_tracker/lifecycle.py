"""The lifecycle: what the handler does for Create, Update and Delete.

docs/design.md, "Lifecycle": one function per request type, which index hands to crhelper. Each
returns the PhysicalResourceId and puts the attributes in the answer's Data; a HandlerError
becomes a FAILED answer whose Reason is its message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .answers import HandlerError, helper
from .contract import (
    TrackerSpec,
    attributes,
    is_tracker_arn,
    lenient_dataset_group_arn,
    parse_properties,
)
from .one_tracker import start_create
from .ownership import Owner, find_leftover, is_owned_by, owner_of
from .retrying import deadline_of
from .service import ACTIVE, CREATING, find_tracker_on, retag, status_of, tags_of
from .waiting import VISIBILITY_WINDOW_SECONDS, delete_tracker, wait_until

logger = logging.getLogger(__name__)


def on_create(event: Mapping[str, Any], context: Any) -> str:
    """Create: a tracker (this resource's own adopted, if the group holds it), once it is ACTIVE."""
    spec = parse_properties(event.get("ResourceProperties"))
    tracker = create_tracker(spec, owner_of(event), deadline_of(context))
    helper.Data.update(attributes(tracker))
    return str(tracker["eventTrackerArn"])


def on_update(event: Mapping[str, Any], context: Any) -> str:
    """Update: tags and the removal policy in place; a new name or dataset group replaces the tracker."""
    new = parse_properties(event.get("ResourceProperties"))
    deadline = deadline_of(context)
    owner = owner_of(event)
    current = str(event.get("PhysicalResourceId", ""))
    old = _parse_or_none(event.get("OldResourceProperties"))
    if is_tracker_arn(current) and old is not None and old.identity() == new.identity():
        # Tags or the removal policy changed: in place (a policy alone touches nothing).
        tracker = retag(current, old.tags, new.tags, deadline)
        if tracker is not None:
            helper.Data.update(attributes(tracker))
            return current
        # Deleted out of band: create it again, so neither this update nor a rollback is stuck.
        logger.info("Event tracker %s no longer exists; creating it again", current)
    if old is not None and old.dataset_group_arn != new.dataset_group_arn:
        discard_leftover(old.dataset_group_arn, current, owner, deadline)
    # Retained under either template: the stack must not delete it, not even to replace it.
    retained = new.retained or (old is not None and old.retained)
    try:
        # A same-group replacement meets the old tracker through the one-tracker rule; make_way
        # deletes it (ours, unless retained) and waits until it is gone before creating the new one.
        tracker = create_tracker(new, owner, deadline, protected=current if retained else None)
    except Exception:
        # A failed update keeps the resource's identity; its rollback Update cleans up.
        helper.PhysicalResourceId = current
        raise
    helper.Data.update(attributes(tracker))
    return str(tracker["eventTrackerArn"])


def discard_leftover(dataset_group_arn: str, current: str, owner: Owner, deadline: float) -> None:
    """Delete our tracker on `dataset_group_arn` unless it is the resource's current one.

    In a rollback, the old properties are those of the failed attempt: a tracker it created in
    another dataset group is owned by this resource but is not its PhysicalResourceId, and
    nothing else would ever delete it. In a forward update that tracker is the current one and
    is left for CloudFormation's cleanup Delete.
    """
    existing = find_tracker_on(dataset_group_arn, deadline)
    if existing is not None and existing.arn != current and is_owned_by(tags_of(existing.arn, deadline), owner):
        logger.info("Deleting event tracker %s left by a failed update", existing.arn)
        delete_tracker(existing.arn, deadline)


def _parse_or_none(properties: Any) -> TrackerSpec | None:
    try:
        return parse_properties(properties)
    except HandlerError:
        return None


def on_delete(event: Mapping[str, Any], context: Any) -> str:
    """Delete: the tracker, or the one an unfinished Create left, once it is gone; none at all is success."""
    physical_id = str(event.get("PhysicalResourceId", ""))
    deadline = deadline_of(context)
    if is_tracker_arn(physical_id):
        delete_tracker(physical_id, deadline)
        return physical_id
    # Not an ARN: the Create failed before it had a tracker, or was cancelled and CloudFormation
    # invented this id. Its tracker may still exist: find it by its ownership tags.
    dataset_group_arn = lenient_dataset_group_arn(event.get("ResourceProperties"))
    if dataset_group_arn is not None:
        leftover = find_leftover(dataset_group_arn, owner_of(event), deadline)
        if leftover is not None:
            logger.info("Deleting event tracker %s left by an unfinished Create", leftover)
            delete_tracker(leftover, deadline)
    return physical_id


def create_tracker(spec: TrackerSpec, owner: Owner, deadline: float, *, protected: str | None = None) -> dict[str, Any]:
    """Create the tracker (or adopt our own matching one), wait until ACTIVE, return its description.

    `protected` is a retained tracker of this resource that must not be deleted to make way.
    """
    arn, created_at = start_create(spec, owner, deadline, protected)
    # From here on a FAILED answer (crhelper's own timeout included) carries the ARN, so the
    # rollback Delete finds and removes the tracker instead of orphaning it.
    helper.PhysicalResourceId = arn
    invisible_until = created_at + VISIBILITY_WINDOW_SECONDS if created_at is not None else 0.0
    tracker = wait_until(arn, lambda s: s not in CREATING, deadline, "become ACTIVE", invisible_until=invisible_until)
    status = status_of(tracker)
    if tracker is not None and status == ACTIVE:
        return tracker
    if status is None:
        raise HandlerError(f"Event tracker {arn} was deleted while being created. Retry the deployment.")
    raise HandlerError(
        f"Event tracker {arn} ended in {status} (Personalize gives no reason). Check the dataset "
        "group and your quotas, then retry; the rollback deletes it."
    )
