"""A template as CloudFormation receives it: a JSON or YAML body, inline or at an S3 URL.

YAML templates may use the short forms of intrinsic functions (`!Ref`, `!Sub`, `!GetAtt A.b`,
`!If [...]`): each becomes the long form (`{"Ref": ...}`, `{"Fn::Sub": ...}`). Dates stay text
(`AWSTemplateFormatVersion: 2010-09-09` is a string to CloudFormation).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

MAX_BODY_BYTES = 1_000_000  # CloudFormation's limit for a template read from S3


class TemplateFormatError(Exception):
    """The body is neither a JSON nor a YAML template."""


class _Loader(yaml.SafeLoader):
    """YAML 1.1 as CloudFormation reads it: no timestamps, and the intrinsic functions' tags."""


# Drop the timestamp resolver: a date stays the text it was written as.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _short_form(loader: _Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{tag_suffix}", node.start_mark)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {f"Fn::{tag_suffix}": value}


_Loader.add_multi_constructor("!", _short_form)


def parse_template(body: str) -> dict[str, Any]:
    """The template a body holds, JSON or YAML; TemplateFormatError otherwise."""
    text = body.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError as error:
            raise TemplateFormatError(f"Template format error: JSON not well-formed. ({error})") from None
    else:
        try:
            parsed = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader with CloudFormation's tags
        except yaml.YAMLError as error:
            problem = str(error).splitlines()[0]
            raise TemplateFormatError(f"Template format error: YAML not well-formed. ({problem})") from None
    if not isinstance(parsed, dict):
        raise TemplateFormatError("Template format error: a template is a JSON object or a YAML mapping")
    if not isinstance(parsed.get("Resources"), dict) or not parsed["Resources"]:
        raise TemplateFormatError("Template format error: At least one Resources member must be defined.")
    for logical_id, resource in parsed["Resources"].items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateFormatError(
                f"Template format error: [/Resources/{logical_id}] Every Resources object must contain a Type member."
            )
    return parsed


_VIRTUAL_HOSTED = re.compile(r"^(?P<bucket>.+)\.s3([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")
_PATH_STYLE = re.compile(r"^s3([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")


def s3_location(url: str, endpoint_url: str) -> tuple[str, str]:
    """(bucket, key) of a TemplateURL: the endpoint's own path-style URL, or an S3 URL of AWS's
    (`https://s3.<region>.amazonaws.com/<bucket>/<key>`, or virtual-hosted `https://<bucket>.s3...`)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path).lstrip("/")
    endpoint = urlsplit(endpoint_url)
    own_hosts = {endpoint.hostname, "127.0.0.1", "localhost"}
    virtual = _VIRTUAL_HOSTED.match(host)
    if virtual and not _PATH_STYLE.match(host):
        bucket, key = virtual.group("bucket"), path
    elif _PATH_STYLE.match(host) or host in own_hosts:
        bucket, _, key = path.partition("/")
    else:
        raise ValueError(f"TemplateURL must be a supported URL: {url}")
    if not bucket or not key:
        raise ValueError(f"TemplateURL must name a bucket and a key: {url}")
    return bucket, key
