"""The local cloud starts bootstrapped: what `cdk deploy` needs exists before any `cdk bootstrap`.

`cdk deploy` checks the SSM parameter `/cdk-bootstrap/<qualifier>/version` (at least 6) and
uploads assets to `cdk-<qualifier>-assets-<account>-<region>`; with both, it deploys without a
CDKToolkit stack. Both are made through moto like any write, so they are journaled, and made
only when missing. A later `cdk bootstrap` creates them again over what is there: S3 in
us-east-1 lets an owner create its own bucket again, and the bootstrap's change set imports
existing resources (ImportExistingResources).
"""

from __future__ import annotations

import json

from .http import HttpResponse
from .journal import build_request
from .moto_services import MotoServices

QUALIFIER = "hnb659fds"  # the CDK's default qualifier
# What the pinned CLI's bootstrap template writes (aws-cdk 2.1148.1,
# lib/api/bootstrap/bootstrap-template.yaml, CdkBootstrapVersion); a test compares the two.
BOOTSTRAP_VERSION = "33"
SSM_JSON = {"Content-Type": "application/x-amz-json-1.1"}


def assets_bucket(account: str, region: str) -> str:
    return f"cdk-{QUALIFIER}-assets-{account}-{region}"


def version_parameter() -> str:
    return f"/cdk-bootstrap/{QUALIFIER}/version"


def pre_bootstrap(moto: MotoServices, account: str, region: str) -> list[str]:
    """Create the assets bucket and the version parameter where missing; what was created."""
    created = []
    bucket = assets_bucket(account, region)
    if moto(build_request("s3", region, "HEAD", f"/{bucket}")).status == 404:
        _create_bucket(moto, bucket, region)
        created.append(f"s3://{bucket}")
    name = version_parameter()
    found = _ssm(moto, region, "GetParameter", {"Name": name})
    if found.status == 400 and b"ParameterNotFound" in found.body:
        _expect(_ssm(moto, region, "PutParameter", {"Name": name, "Type": "String", "Value": BOOTSTRAP_VERSION}))
        created.append(f"ssm:{name}")
    return created


def _create_bucket(moto: MotoServices, bucket: str, region: str) -> None:
    """The bucket as the bootstrap template makes it: versioned, KMS-encrypted, not public."""
    location = f"<LocationConstraint>{region}</LocationConstraint>"
    configuration = (
        "" if region == "us-east-1" else f"<CreateBucketConfiguration>{location}</CreateBucketConfiguration>"
    )
    _expect(moto(build_request("s3", region, "PUT", f"/{bucket}", body=configuration.encode())))
    _expect(
        moto(
            build_request(
                "s3",
                region,
                "PUT",
                f"/{bucket}",
                query="versioning",
                body=b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
            )
        )
    )
    encryption = (
        b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
        b"<SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
        b"</ServerSideEncryptionConfiguration>"
    )
    _expect(moto(build_request("s3", region, "PUT", f"/{bucket}", query="encryption", body=encryption)))
    block = "".join(
        f"<{setting}>true</{setting}>"
        for setting in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    )
    body = f"<PublicAccessBlockConfiguration>{block}</PublicAccessBlockConfiguration>".encode()
    _expect(moto(build_request("s3", region, "PUT", f"/{bucket}", query="publicAccessBlock", body=body)))


def _ssm(moto: MotoServices, region: str, operation: str, params: dict[str, str]) -> HttpResponse:
    headers = {**SSM_JSON, "X-Amz-Target": f"AmazonSSM.{operation}"}
    return moto(build_request("ssm", region, "POST", "/", headers=headers, body=json.dumps(params).encode()))


def _expect(response: HttpResponse) -> None:
    if response.status >= 300:
        raise RuntimeError(f"pre-bootstrap failed: HTTP {response.status} {response.body[:500]!r}")
