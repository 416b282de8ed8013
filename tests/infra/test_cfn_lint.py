"""cfn-lint finds no error in any synthesised template (the parent and every nested stack)."""

import pytest
from cfnlint.api import ManualArgs, lint_file

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def test_cfn_lint_reports_no_error_in_any_template(synthesized):
    paths = sorted(synthesized.outdir.glob("*.template.json"))
    assert len(paths) == len(synthesized.templates) >= 2
    errors = [
        f"{path.name}: {match.rule.id} {match.message}"
        for path in paths
        for match in lint_file(path, ManualArgs(regions=REGIONS))
        if match.rule.id.startswith("E")
    ]
    assert errors == []
