"""The catalog of what moto answers is found once and kept in the user's cache; the region lists
moto asks botocore for are read once per process, and kept in the user's cache too."""

from __future__ import annotations

import json

import boto3.session
import botocore.session
import moto
import pytest

from localcloud.endpoint import moto_catalog, moto_services
from localcloud.endpoint.moto_services import share_region_lists
from localcloud.statedir.user_cache import kept_entry


@pytest.fixture
def fresh_catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    moto_catalog._moto_backends.cache_clear()
    yield moto_catalog._catalog_file()
    moto_catalog._moto_backends.cache_clear()


def test_the_kept_catalog_is_what_moto_answers(fresh_catalog):
    found = moto_catalog.moto_backends()
    assert fresh_catalog is not None and fresh_catalog.exists()
    assert "sqs" in found and "cloudformation" not in found
    # a new process reads it back instead of asking moto again
    moto_catalog._moto_backends.cache_clear()
    assert moto_catalog.moto_backends() == found
    assert json.loads(fresh_catalog.read_text())["sqs"] == [moto_catalog.moto_clients()["sqs"], found["sqs"]]


def test_a_torn_catalog_is_found_again_and_replaced(fresh_catalog):
    expected = moto_catalog.moto_backends()
    fresh_catalog.write_text('{"sqs": ["sqs", "sq')
    moto_catalog._moto_backends.cache_clear()
    assert moto_catalog.moto_backends() == expected
    assert json.loads(fresh_catalog.read_text()) == {
        name: [client, backend] for name, (client, backend) in moto_catalog._moto_backends().items()
    }


def test_the_catalogs_name_changes_with_moto(fresh_catalog, monkeypatch):
    monkeypatch.setattr(moto, "__version__", "0.0.0-other")
    assert moto_catalog._catalog_file() != fresh_catalog


@pytest.mark.parametrize(
    ("service", "partition"), [("ec2", "aws"), ("ec2", "aws-cn"), ("ec2", "aws-us-gov"), ("personalize", "aws")]
)
def test_every_sessions_region_lists_are_botocores_own(service, partition):
    share_region_lists()
    own = botocore.session.Session().get_available_regions(service, partition)
    assert "us-east-1" in own or partition != "aws"

    listed = boto3.session.Session().get_available_regions(service, partition)
    assert listed == own
    listed.append("changed-by-a-caller")  # each caller gets a list of its own
    assert boto3.session.Session().get_available_regions(service, partition) == own


def test_a_kept_table_answers_each_entry_once_and_keeps_the_others(tmp_path):
    table = tmp_path / "cache" / "table.json"
    found: list[str] = []

    def finder(value):
        def find():
            found.append(value)
            return [value]

        return find

    assert kept_entry(table, "a", finder("first")) == ["first"]
    assert kept_entry(table, "b", finder("second")) == ["second"]
    # a later process reads both from the table, and finds neither again
    assert kept_entry(table, "a", finder("not asked")) == ["first"]
    assert kept_entry(table, "b", finder("not asked")) == ["second"]
    assert found == ["first", "second"]
    assert json.loads(table.read_text()) == {"a": ["first"], "b": ["second"]}


def test_a_torn_table_is_found_again(tmp_path):
    table = tmp_path / "table.json"
    table.write_text('{"a": ["fir')
    assert kept_entry(table, "a", lambda: ["found again"]) == ["found again"]
    assert json.loads(table.read_text()) == {"a": ["found again"]}


def test_the_region_lists_are_kept_for_the_next_process(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    moto_services._region_list.cache_clear()
    share_region_lists()
    own = botocore.session.Session().get_available_regions("ec2", "aws-cn")

    assert boto3.session.Session().get_available_regions("ec2", "aws-cn") == own
    kept_at = moto_services.region_lists_file()
    assert kept_at is not None
    assert json.loads(kept_at.read_text())["ec2 aws-cn regional"] == own

    # WHEN the next process asks (the kept list changed, to tell it from botocore's)
    kept_at.write_text(json.dumps({"ec2 aws-cn regional": ["cn-kept-1"]}))
    moto_services._region_list.cache_clear()
    # THEN it reads the kept list instead of botocore's model
    assert boto3.session.Session().get_available_regions("ec2", "aws-cn") == ["cn-kept-1"]
    moto_services._region_list.cache_clear()
