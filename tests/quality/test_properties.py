"""Property-based tests: validation agrees with the API model, and malformed input always gets an answer."""

import copy
from typing import Any

import botocore.session
import pytest
import regex
from botocore.model import StructureShape
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalize_event_tracker import _validation
from personalize_event_tracker._handler import contract, index, service
from personalize_event_tracker._handler.answers import HandlerError
from tests.handler.conftest import FakeClock, LambdaContext, fake_time, make_event, properties, record_answers

_CREATE = botocore.session.get_session().get_service_model("personalize").operation_model("CreateEventTracker")
assert isinstance(_CREATE.input_shape, StructureShape)
NAME_SHAPE = _CREATE.input_shape.members["name"].metadata
ARN_SHAPE = _CREATE.input_shape.members["datasetGroupArn"].metadata

# Strings near the rules' edges: the characters the patterns care about, lengths around the limits.
NAMEISH = st.text(alphabet=st.sampled_from("aZ09-_ .é/:\n"), min_size=0, max_size=70) | st.text(max_size=70)
ARNISH = st.builds(
    lambda partition, service, rest: f"arn:{partition}:{service}:{rest}",
    st.sampled_from(["aws", "aws-cn", "AWS", "", "a b"]),
    st.sampled_from(["personalize", "s3", "Personalize"]),
    st.text(alphabet=st.sampled_from("ab1:/-\n"), max_size=260),
) | st.text(max_size=300)


def model_accepts(value: str, shape: dict[str, Any]) -> bool:
    """The service's rule as the botocore model states it (Java-style whole-string match)."""
    return shape.get("min", 0) <= len(value) <= shape["max"] and regex.fullmatch(shape["pattern"], value) is not None


@given(NAMEISH)
def test_name_validation_is_the_models(name: str) -> None:
    assert (_validation.check_event_tracker_name(name) is None) == model_accepts(name, NAME_SHAPE)


@given(ARNISH)
def test_arn_validation_is_the_models(arn: str) -> None:
    assert (_validation.check_dataset_group_arn(arn) is None) == model_accepts(arn, ARN_SHAPE)


@given(NAMEISH, ARNISH)
def test_handler_accepts_exactly_what_the_model_accepts(name: str, arn: str) -> None:
    valid = model_accepts(name, NAME_SHAPE) and model_accepts(arn, ARN_SHAPE)
    try:
        contract.parse_properties({"Name": name, "DatasetGroupArn": arn})
        accepted = True
    except HandlerError:
        accepted = False
    assert accepted == valid


# --- malformed ResourceProperties --------------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=300),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)
BAD_TAGS = st.one_of(
    JUNK,
    # a key that is not text: JUNK's own text could make a valid tag ({"Key": "0", "Value": ""})
    st.lists(
        st.fixed_dictionaries({"Key": JUNK.filter(lambda v: not isinstance(v, str)), "Value": JUNK}),
        min_size=1,
        max_size=3,
    ),
    st.lists(st.fixed_dictionaries({"Key": st.text(min_size=129, max_size=140), "Value": st.just("v")}), min_size=1),
    st.lists(
        st.fixed_dictionaries(
            {"Key": st.sampled_from(["aws:x", "personalize-event-tracker:y"]), "Value": st.just("v")}
        ),
        min_size=1,
        max_size=1,
    ),
)


@st.composite
def malformed_properties(draw: st.DrawFn) -> Any:
    props: dict[str, Any] = properties()
    breakage = draw(st.sampled_from(["drop", "retype", "oversize", "unknown", "tags", "not-an-object"]))
    if breakage == "not-an-object":
        return draw(st.one_of(st.none(), st.text(), st.lists(st.integers(), max_size=2)))
    if breakage == "drop":
        del props[draw(st.sampled_from(["Name", "DatasetGroupArn"]))]
    elif breakage == "retype":
        props[draw(st.sampled_from(["Name", "DatasetGroupArn"]))] = draw(JUNK.filter(lambda v: not isinstance(v, str)))
    elif breakage == "oversize":
        key = draw(st.sampled_from(["Name", "DatasetGroupArn"]))
        props[key] = props[key] + draw(st.text(min_size=257, max_size=400))
    elif breakage == "unknown":
        props[draw(st.text(min_size=1, max_size=20).filter(lambda k: k not in contract.KNOWN_PROPERTIES))] = "x"
    else:
        props["Tags"] = draw(BAD_TAGS.filter(lambda t: t is not None and t != []))  # no tags is valid
    return props


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(malformed_properties(), st.sampled_from(["Create", "Update"]))
def test_malformed_properties_are_answered_failed_with_a_reason(resource_properties: Any, request_type: str) -> None:
    answers: list[dict[str, Any]] = []
    clock = FakeClock()
    # a function-scoped fixture would last across every example: the patches are scoped here instead
    with pytest.MonkeyPatch.context() as monkeypatch:
        record_answers(monkeypatch, lambda url, body, verify: answers.append(copy.deepcopy(body)))
        fake_time(monkeypatch, clock)
        # no call is stubbed: reaching the service at all would be a failure of its own kind
        with Stubber(service.personalize):
            event = make_event(
                request_type,
                old_properties=properties() if request_type == "Update" else None,
                physical_id=None if request_type == "Create" else "arn:aws:personalize:x:1:event-tracker/1",
            )
            event["ResourceProperties"] = copy.deepcopy(resource_properties)
            index.handler(event, LambdaContext(clock, budget_seconds=900))
    (answer,) = answers
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith(("Invalid properties: ", "ResourceProperties must be an object"))
    assert 0 < len(answer["Reason"]) <= 256
