"""Amazon Personalize event trackers as first-class AWS CDK resources."""

from ._validation import EventTrackerPropsError
from .event_tracker import EventTracker, IEventTracker

__all__ = ["EventTracker", "EventTrackerPropsError", "IEventTracker"]
