"""Synthesise the CDK app in-process and read its templates (the parent and every nested stack)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from loyalty.routes import ROUTES, Route

from infra.app import build_app

EMAIL = "ops@example.com"


class Synthesized:
    def __init__(self, outdir: Path, routes: tuple[Route, ...] = ROUTES, **context: Any) -> None:
        self.outdir = outdir
        self.app, self.stack = build_app(str(outdir), context={"alarmEmail": EMAIL, **context}, routes=routes)
        assembly = self.app.synth()
        self.parent = assembly.get_stack_by_name(self.stack.stack_name).template
        self.templates: dict[str, dict[str, Any]] = {"parent": self.parent}
        for nested in sorted(outdir.glob("*.nested.template.json")):
            self.templates[nested.name] = json.loads(nested.read_text())

    def resources(self, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(template name, logical id, resource) of every resource of this type."""
        return [
            (name, logical, resource)
            for name, template in self.templates.items()
            for logical, resource in template["Resources"].items()
            if resource["Type"] == kind
        ]

    def props(self, kind: str) -> list[dict[str, Any]]:
        return [resource["Properties"] for _, _, resource in self.resources(kind)]

    def route_stack_of(self, template: str) -> str:
        """`Routes3` for the nested template LoyaltyOffersApiRoutes3ABCD1234.nested.template.json."""
        found = re.search(r"(Routes\d+)[0-9A-F]{8}\.nested", template)
        assert found, template
        return found.group(1)

    def parent_value(self, template: str, value: Any) -> Any:
        """What a nested template's {"Ref": parameter} is given by the parent; other values as they are."""
        if template == "parent" or not (isinstance(value, dict) and "Ref" in value):
            return value
        prefix = f"{self.route_stack_of(template)}NestedStack"
        for logical, resource in self.parent["Resources"].items():
            if resource["Type"] == "AWS::CloudFormation::Stack" and logical.startswith(prefix):
                return resource["Properties"]["Parameters"][value["Ref"]]
        return value

    def deployment_id(self) -> str:
        ((_, logical, _),) = self.resources("AWS::ApiGateway::Deployment")
        return logical


def functions_by_description(synth: Synthesized) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        resource["Properties"]["Description"]: (name, logical, resource)
        for name, logical, resource in synth.resources("AWS::Lambda::Function")
        if "Description" in resource["Properties"]
    }


def dynamo_actions(synth: Synthesized, template: str, function: dict[str, Any]) -> set[str]:
    """Every dynamodb:* action granted to a function's role."""
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    actions: set[str] = set()
    for _, _, policy in (r for r in synth.resources("AWS::IAM::Policy") if r[0] == template):
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions |= {a for a in ([listed] if isinstance(listed, str) else listed) if a.startswith("dynamodb:")}
    return actions
