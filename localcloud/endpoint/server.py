"""`Endpoint`: every AWS API the local cloud offers, on one loopback port, started and stopped whole.

    with Endpoint(state_dir=Path(".localcloud"), port=0) as endpoint:
        endpoint.client("s3").list_buckets()
        subprocess.run([...], env={**os.environ, **endpoint.environment()})

The server is werkzeug's threaded WSGI server, because moto's services are a WSGI application:
mounting it as such keeps moto's own request handling intact (its handler keeps S3 metadata
headers that hold underscores), werkzeug de-chunks `Transfer-Encoding: chunked` bodies, and
werkzeug is already there as moto's dependency. Threaded, because requests wait on each other:
CloudFormation runs a custom resource whose function calls Personalize here while the CLI polls.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

from ..cloudformation.api import CloudFormationApi
from ..cloudformation.settings import Settings
from ..local_env import ACCOUNT, TEST_KEYS, local_client
from ..personalize import Delays, Personalize
from ..statedir import StateDirectory
from . import sns_delivery
from .admin import AdminApi
from .bootstrap import QUALIFIER, pre_bootstrap
from .cloudformation import CloudFormationService
from .journal import Journal
from .lambda_api import LambdaService
from .moto_services import MotoServices, moto_services, reset_moto
from .personalize import EndpointS3Writer, PersonalizeService
from .ports import HOST, listening_socket
from .router import Router

LOG = logging.getLogger("localcloud.endpoint")


# moto's backends live in module globals: two endpoints in one process would share them.
_ONE_PER_PROCESS = threading.Lock()


class _QuietHandler(MotoRequestHandler):
    """No access log: a pre-signed URL's query string is a credential. Server errors still go to the log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            LOG.error(message.rstrip(), *args)


class Endpoint:
    """S3, STS, SSM, IAM, Logs, ECR (moto), Personalize, CloudFormation and Lambda on 127.0.0.1:`port`.

    `state_dir`: where the state survives a restart (None: in memory only). `port` 0 picks a free port.
    `personalize`: the Personalize to serve, for a test that controls its clock, gates and faults
    (default: a new one, kept in `state_dir`). `settings`: the stack engine's (fault injection).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        state_dir: Path | None = None,
        region: str = "us-east-1",
        delays: Delays | None = None,
        settings: Settings | None = None,
        pre_bootstrapped: bool = True,
        personalize: Personalize | None = None,
    ) -> None:
        self.region = region
        self.account = ACCOUNT
        self.state_dir = state_dir
        self.pre_bootstrapped = pre_bootstrapped
        self.created_at_start: list[str] = []
        # The port, then the state directory, before anything reads the state: a busy port or a
        # directory another local cloud holds (or that this one cannot read) refuses the endpoint,
        # and nothing in the directory has been touched.
        listener = listening_socket(port)
        self.state: StateDirectory | None = None
        try:
            self.state = StateDirectory.open(state_dir) if state_dir is not None else None
            self.personalize = personalize or Personalize(
                region=region,
                account=ACCOUNT,
                delays=delays,
                state_file=state_dir / "personalize.json" if state_dir else None,
            )
            self._personalize = PersonalizeService(self.personalize)
            self.moto = MotoServices(Journal(state_dir / "aws") if state_dir else None)
            self._router = Router(
                {
                    **dict.fromkeys(moto_services(), self.moto),
                    "personalize": self._personalize,
                },
                admin=self._personalize.admin,
            )
            # served from the socket bound above, of which werkzeug takes a copy
            self._server: BaseWSGIServer = make_server(
                HOST, port, self._router, threaded=True, request_handler=_QuietHandler, fd=listener.fileno()
            )
        except BaseException:
            if self.state is not None:
                self.state.close()
            raise
        finally:
            listener.close()
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # export jobs write to this endpoint's S3 (a writer another endpoint gave is replaced)
        if self.personalize.put_object is None or isinstance(self.personalize.put_object, EndpointS3Writer):
            self.personalize.put_object = EndpointS3Writer(self.url, region)
        self.cloudformation = CloudFormationApi(self.url, state_dir, settings or Settings(region=region))
        self._router.services["cloudformation"] = CloudFormationService(self.cloudformation)
        # /_localcloud/: gates and the clock, then Personalize's own admin API
        self._router.admin = AdminApi(self._personalize.admin, self.personalize, self.cloudformation)
        # Lambda's API runs the functions the stacks deploy, through the engine made at start()
        self._router.services["lambda"] = LambdaService(lambda: self.cloudformation.engine)
        # a short poll: stop() waits for the serving loop to notice, and tests start and stop often
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="localcloud-endpoint", daemon=True
        )
        self._started = False

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Endpoint:
        """Restore the state, pre-bootstrap, then serve. Raises RuntimeError if another endpoint runs here."""
        if not _ONE_PER_PROCESS.acquire(blocking=False):
            self.stop()  # not started: frees the port and the state directory
            raise RuntimeError("an endpoint is already running in this process (moto's backends are per process)")
        try:
            reset_moto()
            journal = self.moto.journal
            if journal is not None:
                replayed = journal.replay(self.moto.call)
                if replayed:
                    LOG.info("restored %d writes from %s", replayed, journal.directory)
            if self.pre_bootstrapped:
                self.created_at_start = pre_bootstrap(self.moto, self.account, self.region)
            self._thread.start()
            self._started = True
            self.cloudformation.start()
            # the mappings the stacks held when the endpoint last stopped poll again
            self.cloudformation.engine.event_sources.reconcile()
            sns_delivery.install(sns_delivery.SnsToLambda(lambda: self.cloudformation.engine.functions))
        except BaseException:
            self._release()
            raise
        return self

    def stop(self) -> None:
        if not self._started:
            self._server.server_close()  # made but never started (or start failed): free the port
            if self.state is not None:
                self.state.close()
            return
        try:
            sns_delivery.install(None)
            self.cloudformation.engine.event_sources.stop()
            self.cloudformation.stop()
        finally:
            self._release()

    def halt(self) -> None:
        """Stop at once, for a process that exits next (`serve`, told to stop): the state
        directory is fenced first (a write under way ends, and no thread of this endpoint writes
        it again), then the port is closed. A stack operation under way stays recorded as it was,
        in progress, for the next start to conclude. Threads are not waited for, and the Lambda
        environments are left to the process (`lambda_runtime.environments().shutdown()`)."""
        if self.state is not None:
            self.state.fence.close()
        if self._started:
            self.cloudformation.responses.stop()  # its port, and its key's temporary directory
            self._release()

    def _release(self) -> None:
        if self._started:
            self._server.shutdown()
            self._thread.join()
            self._started = False
        self._server.server_close()
        if self.state is not None:
            self.state.close()  # fenced, then unlocked: a thread still running writes nothing more
        _ONE_PER_PROCESS.release()

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- for clients ---------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """What a client needs (boto3, the AWS CLI, the CDK CLI): the endpoint, test keys, the region."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            **TEST_KEYS,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client(self, service_name: str, *, attempts: int = 3, **kwargs: Any) -> Any:
        """A boto3 client for any service, pointed here, with test keys; few retries."""
        region = kwargs.pop("region_name", self.region)
        return local_client(service_name, self.url, region=region, attempts=attempts, **kwargs)

    def banner(self) -> list[str]:
        """What `serve` prints: where the endpoint is, how to point a client at it, the bootstrap."""
        exports = " ".join(f"{name}={value}" for name, value in self.environment().items())
        state = f"state kept in {self.state_dir}" if self.state_dir else "state in memory only"
        lines = [f"Local cloud on {self.url} ({state})", f"export {exports}"]
        if self.pre_bootstrapped:
            made = f" (created {', '.join(self.created_at_start)})" if self.created_at_start else ""
            lines.append(
                f"The local cloud starts bootstrapped for qualifier {QUALIFIER}: `cdk deploy` needs no "
                f"`cdk bootstrap` first{made}"
            )
        return lines
