"""CloudFormation's intrinsic functions and pseudo parameters, as far as CDK templates use them."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()  # AWS::NoValue: the property is removed


class TemplateError(Exception):
    """The template uses something the local cloud cannot resolve."""


@dataclass
class Context:
    pseudo: dict[str, str]
    parameters: dict[str, Any]  # a CommaDelimitedList parameter's value is a list
    ref: Callable[[str], str]  # logical id -> physical id
    get_att: Callable[[str, str], Any]
    conditions: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)


def resolve(value: Any, context: Context) -> Any:
    """The value with every intrinsic function replaced by what it evaluates to."""
    if isinstance(value, list):
        items = [resolve(item, context) for item in value]
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            return _ref(argument, context)
        if key == "Condition":
            return condition(argument, context)
        if key.startswith("Fn::"):
            return _function(key, argument, context)
    resolved = {k: resolve(v, context) for k, v in value.items()}
    return {k: v for k, v in resolved.items() if v is not NO_VALUE}


def condition(name: str, context: Context) -> bool:
    if name not in context.conditions:
        raise TemplateError(f"unknown condition {name}")
    return bool(resolve(context.conditions[name], context))


def _ref(name: str, context: Context) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in context.pseudo:
        return context.pseudo[name]
    if name in context.parameters:
        return context.parameters[name]
    return context.ref(name)


def _function(name: str, argument: Any, context: Context) -> Any:
    if name == "Fn::GetAtt":
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return context.get_att(logical_id, resolve(attribute, context))
    if name == "Fn::Join":
        separator, items = argument
        return str(separator).join(str(item) for item in resolve(items, context))
    if name == "Fn::Sub":
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = resolve(variables, context)

        def substitute(match: re.Match[str]) -> str:
            if match.group(1).startswith("!"):
                return "${" + match.group(1)[1:] + "}"  # ${!Literal} writes ${Literal}
            return str(_sub_variable(match.group(1).strip(), variables, context))

        return re.sub(r"\$\{([^}]+)\}", substitute, text)
    if name == "Fn::Select":
        index, items = resolve(argument, context)
        return items[int(index)]
    if name == "Fn::Split":
        separator, text = resolve(argument, context)
        return str(text).split(separator)
    if name == "Fn::If":
        name_, when_true, when_false = argument
        return resolve(when_true if condition(name_, context) else when_false, context)
    if name == "Fn::Equals":
        left, right = resolve(argument, context)
        return left == right
    if name == "Fn::Or":
        return any(resolve(item, context) for item in argument)
    if name == "Fn::And":
        return all(resolve(item, context) for item in argument)
    if name == "Fn::Not":
        return not resolve(argument[0], context)
    if name == "Fn::ImportValue":
        export = resolve(argument, context)
        if export not in context.exports:
            raise TemplateError(f"no stack exports {export!r}")
        return context.exports[export]
    if name == "Fn::FindInMap":
        mapping, key, attribute = (str(part) for part in resolve(argument[:3], context))
        try:
            return context.mappings[mapping][key][attribute]
        except (KeyError, TypeError):
            if len(argument) > 3 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
                return resolve(argument[3]["DefaultValue"], context)
            raise TemplateError(f"Fn::FindInMap: no {mapping}/{key}/{attribute} in Mappings") from None
    if name == "Fn::GetAZs":
        region = resolve(argument, context) or context.pseudo.get("AWS::Region", "")
        return [f"{region}{zone}" for zone in "abc"]
    # the functions of Rules' assertions
    if name == "Fn::Contains":
        items, value = resolve(argument, context)
        return value in items
    if name == "Fn::EachMemberEquals":
        items, value = resolve(argument, context)
        return all(item == value for item in items)
    if name == "Fn::EachMemberIn":
        items, allowed = resolve(argument, context)
        return all(item in allowed for item in items)
    if name == "Fn::Base64":
        return base64.b64encode(str(resolve(argument, context)).encode()).decode()
    raise TemplateError(f"the local cloud does not evaluate {name}")


def _sub_variable(expression: str, variables: dict[str, Any], context: Context) -> Any:
    if expression in variables:
        return variables[expression]
    if "." in expression and not expression.startswith("AWS::"):
        logical_id, attribute = expression.split(".", 1)
        return context.get_att(logical_id, attribute)
    return _ref(expression, context)


def references(value: Any) -> list[str]:
    """Logical ids (and parameters) a fragment refers to."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and isinstance(argument, str):
                found.append(argument)
            elif key == "Fn::GetAtt":
                found.append(argument[0] if isinstance(argument, list) else str(argument).split(".")[0])
            elif key == "Fn::Sub":
                parts = [argument] if isinstance(argument, str) else list(argument)
                text, variables = parts[0], parts[1] if len(parts) > 1 else {}
                # a name the Sub's own variables give a value is not a reference
                names = [name.strip() for name in re.findall(r"\$\{([^}!]+)\}", text)]
                found += [name.split(".")[0] for name in names if name not in variables]
            found += references(argument)
    elif isinstance(value, list):
        for item in value:
            found += references(item)
    return found


def attributes_read(template: dict[str, Any], logical_id: str) -> frozenset[str]:
    """The attributes of `logical_id` the template reads with Fn::GetAtt or in a Fn::Sub, in its
    resources' properties and its outputs."""
    fragments = [resource.get("Properties", {}) for resource in template.get("Resources", {}).values()]
    fragments += list(template.get("Outputs", {}).values())
    return frozenset(attribute for fragment in fragments for lid, attribute in _get_atts(fragment) if lid == logical_id)


def _get_atts(value: Any) -> list[tuple[str, str]]:
    """(logical id, attribute) of every Fn::GetAtt and `${Id.Attribute}` in a fragment."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, argument in value.items():
            if key == "Fn::GetAtt":
                parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
                if len(parts) == 2 and isinstance(parts[0], str) and isinstance(parts[1], str):
                    found.append((parts[0], parts[1]))
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else (argument[0] if argument else "")
                for name in re.findall(r"\$\{([^}!]+)\}", str(text)):
                    name = name.strip()
                    if "." in name and not name.startswith("AWS::"):
                        lid, attribute = name.split(".", 1)
                        found.append((lid, attribute))
            found += _get_atts(argument)
    elif isinstance(value, list):
        for item in value:
            found += _get_atts(item)
    return found
