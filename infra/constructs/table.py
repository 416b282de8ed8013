"""The single DynamoDB table (TableV2), built from the same definition as the local table."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct
from loyalty.repository.table import INDEXES, PARTITION_KEY, PROJECTIONS, SORT_KEY, STREAM_VIEW, TTL_ATTRIBUTE


class LoyaltyTable(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        string = dynamodb.AttributeType.STRING
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=string),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=string),
            billing=dynamodb.Billing.on_demand(),
            time_to_live_attribute=TTL_ATTRIBUTE,
            dynamo_stream=dynamodb.StreamViewType(STREAM_VIEW),  # the event builder's source (event_stream.py)
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=name,
                    partition_key=dynamodb.Attribute(name=pk, type=string),
                    sort_key=dynamodb.Attribute(name=sk, type=string),
                    projection_type=dynamodb.ProjectionType.ALL
                    if PROJECTIONS[name] is None
                    else dynamodb.ProjectionType.INCLUDE,
                    non_key_attributes=None if PROJECTIONS[name] is None else list(PROJECTIONS[name] or ()),
                )
                for name, (pk, sk) in INDEXES.items()
            ],
        )
