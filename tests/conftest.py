"""Shared test setup.

The handler creates its boto3 clients and crhelper's at import, reading AWS_REGION: set it,
and harmless credentials, before anything imports it. No test reaches AWS.
"""

import os

os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.pop("AWS_PROFILE", None)
