"""Real Kinesis clients (boto3 and the AWS CLI, from PyPI) against `shardlog serve`.

Usage: kinesis_clients.py ENDPOINT [--signed KEY_ID SECRET]

Every check asserts behaviour a client depends on; the last line is `N passed, M failed`.
With --signed the server verifies SigV4: the right keys work and wrong ones are refused.
"""

import base64
import json
import os
import subprocess
import sys
import time
import traceback

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
ACCOUNT = "000000000000"
ARN = "arn:aws:kinesis:us-east-1:%s:stream/%%s" % ACCOUNT


def client(key="dummy", secret="dummy", region="us-east-1"):
    return boto3.client(
        "kinesis",
        endpoint_url=ENDPOINT,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


k = client()
checks = []


def check(fn):
    checks.append(fn)
    return fn


def expect_error(call, code, message=None, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        got = (e.response["Error"]["Code"], e.response["Error"]["Message"])
        assert got[0] == code, got
        if message is not None:
            assert got[1] == message, got
        return got
    raise AssertionError("expected %s" % code)


def records(it, stop_empty=True):
    """Reads from an iterator until it is caught up or the shard ends; returns data and the last response."""
    out = []
    while True:
        r = k.get_records(ShardIterator=it)
        out += [x["Data"] for x in r["Records"]]
        it = r.get("NextShardIterator")
        if it is None or (stop_empty and not r["Records"]):
            return out, r


@check
def create_put_get_every_iterator_type():
    k.create_stream(StreamName="orders", ShardCount=1)
    k.get_waiter("stream_exists").wait(StreamName="orders", WaiterConfig={"Delay": 1})
    first = k.put_record(StreamName="orders", Data=b"a", PartitionKey="p")
    batch = k.put_records(
        StreamName="orders",
        Records=[{"Data": b"b", "PartitionKey": "p"}, {"Data": b"c", "PartitionKey": "p"}],
    )
    assert batch["FailedRecordCount"] == 0
    shard = first["ShardId"]
    second = batch["Records"][0]["SequenceNumber"]

    def it(kind, **kw):
        return k.get_shard_iterator(StreamName="orders", ShardId=shard, ShardIteratorType=kind, **kw)["ShardIterator"]

    assert records(it("TRIM_HORIZON"))[0] == [b"a", b"b", b"c"]
    assert records(it("AT_SEQUENCE_NUMBER", StartingSequenceNumber=second))[0] == [b"b", b"c"]
    assert records(it("AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=second))[0] == [b"c"]
    got = k.get_records(ShardIterator=it("TRIM_HORIZON"))["Records"]
    arrived = got[0]["ApproximateArrivalTimestamp"]
    assert abs(arrived.timestamp() - time.time()) < 60, arrived
    # boto3 sends whole seconds: one second earlier than the first arrival covers everything.
    assert records(it("AT_TIMESTAMP", Timestamp=arrived.timestamp() - 1))[0] == [b"a", b"b", b"c"]
    latest = it("LATEST")
    k.put_record(StreamName="orders", Data=b"d", PartitionKey="p")
    assert records(latest)[0] == [b"d"]


@check
def split_merge_and_child_shards():
    k.create_stream(StreamName="resharded", ShardCount=2)
    k.put_record(StreamName="resharded", Data=b"before", PartitionKey="x", ExplicitHashKey="0")
    shards = k.list_shards(StreamName="resharded")["Shards"]
    lo, hi = int(shards[0]["HashKeyRange"]["StartingHashKey"]), int(shards[0]["HashKeyRange"]["EndingHashKey"])
    k.split_shard(StreamName="resharded", ShardToSplit=shards[0]["ShardId"], NewStartingHashKey=str((lo + hi) // 2))
    it = k.get_shard_iterator(StreamName="resharded", ShardId=shards[0]["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    data, last = records(it, stop_empty=False)
    assert data == [b"before"], data
    assert "NextShardIterator" not in last, last
    children = [c["ShardId"] for c in last["ChildShards"]]
    assert children == ["shardId-000000000002", "shardId-000000000003"], children
    assert last["ChildShards"][0]["ParentShards"] == [shards[0]["ShardId"]]
    k.merge_shards(StreamName="resharded", ShardToMerge=children[0], AdjacentShardToMerge=children[1])
    open_now = k.list_shards(StreamName="resharded", ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert [s["ShardId"] for s in open_now] == ["shardId-000000000001", "shardId-000000000004"], open_now
    merged = open_now[1]
    assert (merged["ParentShardId"], merged["AdjacentParentShardId"]) == tuple(children)
    expect_error(
        k.merge_shards, "ResourceInUseException",
        "Shard %s in stream resharded under account %s has already been merged or split, and thus is not eligible for merging or splitting." % (children[0], ACCOUNT),
        StreamName="resharded", ShardToMerge=children[0], AdjacentShardToMerge=children[1],
    )
    scaled = k.update_shard_count(StreamName="resharded", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert (scaled["CurrentShardCount"], scaled["TargetShardCount"]) == (2, 4)


@check
def list_shards_filters_and_paging():
    every = [s["ShardId"] for s in k.list_shards(StreamName="resharded")["Shards"]]
    assert every[:5] == ["shardId-%012d" % i for i in range(5)], every
    at_horizon = k.list_shards(StreamName="resharded", ShardFilter={"Type": "AT_TRIM_HORIZON"})["Shards"]
    assert [s["ShardId"] for s in at_horizon] == ["shardId-000000000000", "shardId-000000000001"]
    after = k.list_shards(StreamName="resharded", ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000003"})["Shards"]
    assert [s["ShardId"] for s in after] == every[4:]
    future = k.list_shards(StreamName="resharded", ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": time.time() + 5})["Shards"]
    latest = k.list_shards(StreamName="resharded", ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert future == latest
    from_start = k.list_shards(StreamName="resharded", ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": 0})["Shards"]
    assert [s["ShardId"] for s in from_start] == every
    paged, req = [], {"StreamName": "resharded", "MaxResults": 2}
    while True:
        page = k.list_shards(**req)
        paged += [s["ShardId"] for s in page["Shards"]]
        if "NextToken" not in page:
            break
        req = {"NextToken": page["NextToken"], "MaxResults": 2}
    assert paged == every, paged
    # boto3's list_shards paginator repeats StreamName next to NextToken, which Kinesis refuses.
    pages = k.get_paginator("list_shards").paginate(StreamName="resharded", PaginationConfig={"PageSize": 2})
    expect_error(lambda: list(pages), "InvalidArgumentException", "NextToken and StreamName cannot be provided together.")
    described = [s["ShardId"] for page in k.get_paginator("describe_stream").paginate(StreamName="resharded", PaginationConfig={"PageSize": 3}) for s in page["StreamDescription"]["Shards"]]
    assert described == every, described


@check
def retention_and_tags():
    k.increase_stream_retention_period(StreamName="orders", RetentionPeriodHours=72)
    k.decrease_stream_retention_period(StreamARN=ARN % "orders", RetentionPeriodHours=48)
    summary = k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48
    expect_error(
        k.increase_stream_retention_period, "InvalidArgumentException",
        "Requested retention period (24 hours) for stream orders can not be shorter than existing retention period (48 hours). Use DecreaseRetentionPeriod API.",
        StreamName="orders", RetentionPeriodHours=24,
    )
    k.add_tags_to_stream(StreamName="orders", Tags={"team": "payments", "env": "dev"})
    k.remove_tags_from_stream(StreamName="orders", TagKeys=["env"])
    tags = k.list_tags_for_stream(StreamName="orders")
    assert tags["Tags"] == [{"Key": "team", "Value": "payments"}] and tags["HasMoreTags"] is False, tags
    k.update_stream_mode(StreamARN=ARN % "orders", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    mode = k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]["StreamModeDetails"]
    assert mode == {"StreamMode": "ON_DEMAND"}, mode


@check
def registered_consumers_and_subscribe_to_shard():
    stream_arn = k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]["StreamARN"]
    c = k.register_stream_consumer(StreamARN=stream_arn, ConsumerName="billing")["Consumer"]
    assert c["ConsumerARN"].startswith(stream_arn + "/consumer/billing:"), c
    listed = k.list_stream_consumers(StreamARN=stream_arn)["Consumers"]
    assert [x["ConsumerName"] for x in listed] == ["billing"]
    d = k.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
    assert (d["ConsumerStatus"], d["StreamARN"]) == ("ACTIVE", stream_arn)
    resp = k.subscribe_to_shard(
        ConsumerARN=c["ConsumerARN"], ShardId="shardId-000000000000", StartingPosition={"Type": "TRIM_HORIZON"}
    )
    seen = []
    for event in resp["EventStream"]:
        e = event["SubscribeToShardEvent"]
        seen += [r["Data"] for r in e["Records"]]
        assert "ContinuationSequenceNumber" in e
        if len(seen) >= 4:
            break
    resp["EventStream"].close()
    assert seen == [b"a", b"b", b"c", b"d"], seen
    expect_error(
        k.delete_stream, "ResourceInUseException", StreamName="orders",
    )
    k.deregister_stream_consumer(StreamARN=stream_arn, ConsumerName="billing")
    expect_error(k.describe_stream_consumer, "ResourceNotFoundException", ConsumerARN=c["ConsumerARN"])


@check
def bad_inputs_get_exact_aws_errors():
    expect_error(
        k.describe_stream, "ResourceNotFoundException", "Stream nope under account %s not found." % ACCOUNT,
        StreamName="nope",
    )
    expect_error(
        k.create_stream, "ResourceInUseException", "Stream orders under account %s already exists." % ACCOUNT,
        StreamName="orders", ShardCount=1,
    )
    expect_error(
        k.create_stream, "ValidationException",
        "1 validation error detected: Value 'bad name' at 'streamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        StreamName="bad name", ShardCount=1,
    )
    expect_error(
        k.create_stream, "ValidationException",
        "2 validation errors detected: Value '%s' at 'streamName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128; Value '20000' at 'maxRecordSizeInKiB' failed to "
        "satisfy constraint: Member must have value less than or equal to 10240" % ("x" * 129),
        StreamName="x" * 129, ShardCount=1, MaxRecordSizeInKiB=20000,
    )
    expect_error(
        k.get_shard_iterator, "InvalidArgumentException",
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or "
        "(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.",
        StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="AT_SEQUENCE_NUMBER",
    )
    expect_error(
        k.get_shard_iterator, "InvalidArgumentException",
        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.",
        StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="AT_TIMESTAMP",
    )
    expect_error(
        k.get_shard_iterator, "ResourceNotFoundException",
        "Shard shardId-000000000009 in stream orders under account %s does not exist" % ACCOUNT,
        StreamName="orders", ShardId="shardId-000000000009", ShardIteratorType="LATEST",
    )
    expect_error(
        k.put_record, "ValidationException",
        "1 validation error detected: Value '%s' at 'partitionKey' failed to satisfy constraint: "
        "Member must have length less than or equal to 256" % ("k" * 257),
        StreamName="orders", Data=b"x", PartitionKey="k" * 257,
    )
    expect_error(
        k.put_records, "ValidationException",
        "1 validation error detected: Value '%s' at 'records.2.member.partitionKey' failed to satisfy constraint: "
        "Member must have length less than or equal to 256" % ("q" * 300),
        StreamName="orders", Records=[{"Data": b"x", "PartitionKey": "k"}, {"Data": b"y", "PartitionKey": "q" * 300}],
    )
    expect_error(
        k.decrease_stream_retention_period, "InvalidArgumentException",
        "Minimum allowed retention period is 24 hours. Requested retention period (12 hours) is too short.",
        StreamName="orders", RetentionPeriodHours=12,
    )
    expect_error(
        k.split_shard, "ResourceNotFoundException",
        "Could not find shard shardId-000000000077 in stream resharded under account %s." % ACCOUNT,
        StreamName="resharded", ShardToSplit="shardId-000000000077", NewStartingHashKey="5",
    )
    expect_error(
        k.list_shards, "InvalidArgumentException", "NextToken and StreamName cannot be provided together.",
        StreamName="orders", NextToken="abc",
    )
    expect_error(k.get_records, "InvalidArgumentException", "Invalid ShardIterator.", ShardIterator="not-an-iterator")


@check
def after_the_starting_sequence_number_comes_the_first_record():
    k.create_stream(StreamName="first", ShardCount=1)
    put = k.put_record(StreamName="first", PartitionKey="k", Data=b"first")
    shard = k.list_shards(StreamName="first")["Shards"][0]
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert int(start) < int(put["SequenceNumber"]), (start, put)
    it = k.get_shard_iterator(StreamName="first", ShardId=shard["ShardId"],
                              ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                              StartingSequenceNumber=start)["ShardIterator"]
    assert k.get_records(ShardIterator=it)["Records"][0]["Data"] == b"first"


@check
def settings_tags_policies_and_limits():
    k.create_stream(StreamName="settings", ShardCount=2)
    arn = ARN % "settings"
    on = k.enable_enhanced_monitoring(StreamName="settings", ShardLevelMetrics=["ALL"])
    assert len(on["DesiredShardLevelMetrics"]) == 7, on
    k.disable_enhanced_monitoring(StreamARN=arn, ShardLevelMetrics=["IncomingBytes"])
    k.start_stream_encryption(StreamName="settings", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    d = k.describe_stream(StreamName="settings")["StreamDescription"]
    assert d["EncryptionType"] == "KMS" and d["KeyId"] == "alias/aws/kinesis", d
    assert len(d["EnhancedMonitoring"][0]["ShardLevelMetrics"]) == 6, d
    k.stop_stream_encryption(StreamName="settings", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    k.tag_resource(ResourceARN=arn, Tags={"team": "data"})
    assert k.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "data"}]
    k.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert k.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    policy = '{"Version":"2012-10-17","Statement":[]}'
    k.put_resource_policy(ResourceARN=arn, Policy=policy)
    assert k.get_resource_policy(ResourceARN=arn)["Policy"] == policy
    k.delete_resource_policy(ResourceARN=arn)
    k.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2048)
    k.put_record(StreamName="settings", PartitionKey="k", Data=b"x" * (3 << 19))
    summary = k.describe_stream_summary(StreamName="settings")["StreamDescriptionSummary"]
    assert summary["MaxRecordSizeInKiB"] == 2048, summary
    limits = k.describe_limits()
    assert limits["OpenShardCount"] >= 2 and limits["ShardLimit"] >= limits["OpenShardCount"], limits
    settings = k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    assert settings["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED", settings
    assert k.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED"


@check
def region_in_arns_and_records_without_keys():
    eu = client(region="eu-west-1")
    eu.create_stream(StreamName="auto", StreamModeDetails={"StreamMode": "ON_DEMAND"},
                     RecordDistributionStrategy="AUTO")
    summary = eu.describe_stream_summary(StreamName="auto")["StreamDescriptionSummary"]
    assert summary["StreamARN"] == "arn:aws:kinesis:eu-west-1:%s:stream/auto" % ACCOUNT, summary
    assert summary["RecordDistributionStrategy"] == "AUTO", summary
    eu.put_record(StreamName="auto", Data=b"no key")
    out = eu.put_records(StreamName="auto", Records=[{"Data": b"a"}, {"Data": b"b"}])
    assert out["FailedRecordCount"] == 0, out
    got = []
    for shard in eu.list_shards(StreamName="auto")["Shards"]:
        it = eu.get_shard_iterator(StreamName="auto", ShardId=shard["ShardId"],
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got += eu.get_records(ShardIterator=it)["Records"]
    assert sorted(r["Data"] for r in got) == [b"a", b"b", b"no key"], got
    assert all("PartitionKey" not in r for r in got), got


@check
def aws_cli():
    env = dict(os.environ, AWS_ACCESS_KEY_ID="dummy", AWS_SECRET_ACCESS_KEY="dummy",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    aws = os.path.join(os.path.dirname(sys.executable), "aws")

    def run(*args):
        out = subprocess.run([aws, "--endpoint-url", ENDPOINT, "--output", "json", "kinesis", *args],
                             env=env, capture_output=True, text=True, timeout=60)
        return out

    out = run("create-stream", "--stream-name", "from-cli", "--shard-count", "1")
    assert out.returncode == 0, out.stderr
    out = run("put-record", "--stream-name", "from-cli", "--partition-key", "k", "--data", "aGVsbG8gY2xp")
    assert out.returncode == 0, out.stderr
    put = json.loads(out.stdout)
    assert put["ShardId"] == "shardId-000000000000", put
    it = k.get_shard_iterator(StreamName="from-cli", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    data = k.get_records(ShardIterator=it)["Records"][0]["Data"]
    # CLI v1 sends the text as the blob (base64-encoding it); v2 treats it as base64 already.
    assert data in (b"aGVsbG8gY2xp", b"hello cli"), data
    listed = json.loads(run("list-streams").stdout)
    assert "from-cli" in listed["StreamNames"], listed
    out = run("describe-stream", "--stream-name", "nope")
    assert out.returncode != 0 and "ResourceNotFoundException" in out.stderr, out.stderr
    assert "Stream nope under account %s not found." % ACCOUNT in out.stderr, out.stderr
    out = run("describe-limits")
    assert out.returncode == 0 and "ShardLimit" in json.loads(out.stdout), out.stderr
    out = run("list-tags-for-resource", "--resource-arn", ARN % "from-cli")
    assert out.returncode == 0 and json.loads(out.stdout)["Tags"] == [], out.stderr
    assert run("delete-stream", "--stream-name", "from-cli").returncode == 0
    k.get_waiter("stream_not_exists").wait(StreamName="from-cli", WaiterConfig={"Delay": 1})


def signed_checks(key, secret):
    """With SigV4 on: the configured keys work, a wrong secret is refused and changes nothing."""
    global k
    good, bad = client(key, secret), client(key, secret + "x")
    good.create_stream(StreamName="signed", ShardCount=1)
    err = expect_error(bad.create_stream, "InvalidSignatureException", StreamName="signed2", ShardCount=1)
    assert "signature" in err[1].lower(), err
    assert good.list_streams()["StreamNames"] == ["signed"]
    expect_error(client("someone-else", secret).list_streams, "UnrecognizedClientException")


def main():
    if "--signed" in sys.argv:
        i = sys.argv.index("--signed")
        tests = [lambda: signed_checks(sys.argv[i + 1], sys.argv[i + 2])]
        tests[0].__name__ = "sigv4_verification"
    else:
        tests = checks
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print("ok   %s" % t.__name__)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__)
            traceback.print_exc()
    print("clients: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
