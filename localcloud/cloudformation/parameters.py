"""A template's parameters and rules, as CloudFormation settles them before anything is deployed.

- each parameter takes the value given, the stack's previous value (UsePreviousValue) or its
  Default; one without any is refused, as is a value the template does not declare;
- `AllowedValues` and `AllowedPattern` are checked;
- `AWS::SSM::Parameter::Value<...>` parameters name a parameter of Systems Manager: their
  resolved value is read from it (the CDK's `BootstrapVersion`);
- `Rules` assert over the resolved values: a failing assertion refuses the change set with its
  `AssertDescription` (the CDK's `CheckBootstrapVersion`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .intrinsics import Context, TemplateError, resolve
from .state import SettledRecord

SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"
LIST_TYPES = ("CommaDelimitedList", "List<")


class ParameterError(Exception):
    """The parameters given do not fit the template (CloudFormation's ValidationError)."""


@dataclass(frozen=True)
class Settled:
    """The parameters of one stack operation: as given (what DescribeStacks shows) and resolved."""

    values: dict[str, str]  # ParameterValue, the SSM parameter's name for an SSM type
    resolved: dict[str, str]  # ResolvedValue for SSM types, the value otherwise
    ssm_types: frozenset[str]

    def typed(self, template: Mapping[str, Any]) -> dict[str, Any]:
        """The values intrinsic functions see: a list parameter is a list."""
        typed: dict[str, Any] = {}
        for name, value in self.resolved.items():
            declared = str(template.get("Parameters", {}).get(name, {}).get("Type", "String"))
            inner = declared[len(SSM_PARAMETER_TYPE) :] if declared.startswith(SSM_PARAMETER_TYPE) else declared
            typed[name] = value.split(",") if inner.startswith(LIST_TYPES) else value
        return typed

    def as_record(self) -> SettledRecord:
        return {"values": self.values, "resolved": self.resolved, "ssm_types": sorted(self.ssm_types)}

    @staticmethod
    def from_record(record: SettledRecord | None) -> Settled:
        if record is None:
            return Settled({}, {}, frozenset())
        return Settled(
            dict(record.get("values", {})), dict(record.get("resolved", {})), frozenset(record.get("ssm_types", []))
        )


def settle(
    template: Mapping[str, Any],
    given: Mapping[str, str | None],
    previous: Mapping[str, str],
    read_ssm: Callable[[str], str],
) -> Settled:
    """The template's parameters settled from the values given (None: use the previous value)."""
    declared: dict[str, Any] = template.get("Parameters", {}) or {}
    unknown = [name for name in given if name not in declared]
    if unknown:
        raise ParameterError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    values: dict[str, str] = {}
    missing = []
    for name, parameter in declared.items():
        if name in given and given[name] is None:
            if name not in previous:
                raise ParameterError(
                    f"Invalid input for parameter key {name}. Cannot specify usePreviousValue as true "
                    "for a parameter key not in the previous template"
                )
            values[name] = previous[name]
        elif name in given:
            values[name] = str(given[name])
        elif "Default" in parameter:
            default = parameter["Default"]
            values[name] = ",".join(str(v) for v in default) if isinstance(default, list) else _text(default)
        else:
            missing.append(name)
    if missing:
        raise ParameterError(f"Parameters: [{', '.join(missing)}] must have values")
    resolved: dict[str, str] = {}
    ssm_types = set()
    for name, value in values.items():
        parameter = declared[name]
        _check_constraints(name, value, parameter)
        if str(parameter.get("Type", "")).startswith(SSM_PARAMETER_TYPE):
            ssm_types.add(name)
            try:
                resolved[name] = read_ssm(value)
            except KeyError:
                raise ParameterError(
                    f"Unable to fetch parameters [{value}] from parameter store for this account."
                ) from None
        else:
            resolved[name] = value
    return Settled(values, resolved, frozenset(ssm_types))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_constraints(name: str, value: str, parameter: Mapping[str, Any]) -> None:
    allowed = parameter.get("AllowedValues")
    if allowed is not None and value not in [_text(item) for item in allowed]:
        raise ParameterError(
            f"Parameter '{name}' must be one of AllowedValues"
            + (f": {parameter['ConstraintDescription']}" if "ConstraintDescription" in parameter else "")
        )
    pattern = parameter.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), value) is None:
        raise ParameterError(
            f"Parameter '{name}' must match pattern {pattern}"
            + (f": {parameter['ConstraintDescription']}" if "ConstraintDescription" in parameter else "")
        )


def check_rules(template: Mapping[str, Any], context: Context) -> None:
    """Every rule's assertions against the settled parameters; ParameterError with the first
    failing assertion's AssertDescription."""
    for rule_name, rule in (template.get("Rules") or {}).items():
        try:
            if "RuleCondition" in rule and not resolve(rule["RuleCondition"], context):
                continue
            for assertion in rule.get("Assertions", []):
                if not resolve(assertion["Assert"], context):
                    raise ParameterError(
                        str(assertion.get("AssertDescription", f"Template validation error: rule {rule_name} failed"))
                    )
        except TemplateError as error:
            raise ParameterError(f"Template error: rule {rule_name}: {error}") from None
