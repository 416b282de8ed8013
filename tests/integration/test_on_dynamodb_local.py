"""The integration suite really runs on DynamoDB Local: the data lands there, not in the unit tests' moto."""

from loyalty.repository.client import client, table_name
from loyalty.services import tenants


def test_requests_over_the_local_api_land_in_dynamodb_local(local_api, tenant):
    assert tenant.admin.get("/program").status == 200
    assert ":ddblocal:" in client.describe_table(TableName=table_name())["Table"]["TableArn"]  # DynamoDB Local's ARN
    assert tenants.tenant_exists(tenant.tenant_id)
    local_api.redirect.active = False  # the same client without the redirect: moto, which never saw this tenant
    try:
        assert not tenants.tenant_exists(tenant.tenant_id)
    finally:
        local_api.redirect.active = True
