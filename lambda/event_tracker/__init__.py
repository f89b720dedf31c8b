"""CloudFormation custom resource handler for ``Custom::PersonalizeEventTracker``.

Creates an Amazon Personalize event tracker, waits until it is ACTIVE, replaces it when its
name or dataset group changes, retags it in place, and deletes it, waiting until it is gone.

One module per concern, each named for the section of docs/design.md it implements:

- ``index``: the Lambda entry point (handler string ``event_tracker.index.handler``); wires
  crhelper to the lifecycle and does nothing else.
- ``lifecycle``: Create, Update and Delete ("Lifecycle").
- ``one_tracker``: CreateEventTracker under the one-tracker rule: adopt, make way, tell the
  rule from throttling ("Lifecycle", "What the service leaves open").
- ``ownership``: the ownership tags, and a leftover tracker found by them ("Ownership tags").
- ``waiting``: polling until a tracker is ACTIVE or gone, reads that lag a write, a delete that
  waits until the tracker is gone ("Waiting, retrying and time budgets").
- ``retrying``: the time budget, the handler's clock, refused calls ridden out with backoff
  ("Waiting, retrying and time budgets").
- ``service``: the Personalize client, the statuses, the reads and tag writes every path shares.
- ``contract``: properties, attributes and limits, the contract shared with the construct
  ("The resource contract").
- ``answers``: the FAILED Reason and the answer sender ("crhelper, logging and secrets").

Lambda imports the package from the asset root as ``event_tracker``, the tests from the wheel as
``personalize_event_tracker._handler``: the modules import each other relatively, so both work.
This file imports nothing, so importing the package costs nothing beyond its modules.
"""
