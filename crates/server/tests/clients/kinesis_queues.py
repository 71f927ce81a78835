"""Kinesis queues (issue 20) with boto3 (from PyPI) against `shardlog serve`.

Usage: kinesis_queues.py ENDPOINT [--signed KEY_ID SECRET]

Every queue operation through boto3: consumers sharing a queue acknowledge each record exactly once,
a consumer that never acknowledges has its records redelivered after the visibility timeout,
poison records reach the dead letters and come back, long polls, tags, describe/list/update/delete.
The last line is `N passed, M failed`.
"""

import sys
import threading
import time
import traceback
from collections import Counter

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
KEY, SECRET = ("dummy", "dummy")
if len(sys.argv) > 4 and sys.argv[2] == "--signed":
    KEY, SECRET = sys.argv[3], sys.argv[4]


def client():
    return boto3.client(
        "kinesis",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}, read_timeout=60),
    )


k = client()
checks = []


def check(fn):
    checks.append(fn)
    return fn


def expect_error(call, code, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        got = (e.response["Error"]["Code"], e.response["Error"]["Message"])
        assert got[0] == code, got
        return got
    raise AssertionError("expected %s" % code)


def on_demand(name):
    k.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    return k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def new_queue(name, stream_arn, visibility=30, max_receives=6):
    out = k.create_queue(
        QueueName=name,
        StreamConfigurationList=[{"StreamARN": stream_arn, "StartingPosition": {"Type": "TRIM_HORIZON"}}],
        QueueAttributes={
            "VisibilityTimeoutSeconds": visibility,
            "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": max_receives},
        },
    )
    return out["QueueDescription"]["QueueARN"]


def put_all(stream, items):
    for i in range(0, len(items), 100):
        batch = items[i : i + 100]
        out = k.put_records(StreamName=stream, Records=[{"Data": d, "PartitionKey": d.decode()} for d in batch])
        assert out["FailedRecordCount"] == 0, out


def handles(records):
    return [{"ReceiptHandle": r["ReceiptHandle"]} for r in records]


@check
def botocore_knows_the_queue_operations():
    for op in ("create_queue", "receive_queue_records", "restore_dead_letter_queue_records"):
        assert hasattr(k, op), "botocore %s lacks %s" % (botocore.__version__, op)


@check
def three_consumers_share_a_queue_and_acknowledge_each_record_once():
    arn_s = on_demand("q-shared")
    queue = new_queue("shared", arn_s)
    items = [b"r-%03d" % i for i in range(200)]
    put_all("q-shared", items)
    acked = Counter()
    received = Counter()
    lock = threading.Lock()
    errors = []

    def consume():
        c = client()
        deadline = time.time() + 60
        try:
            while time.time() < deadline:
                with lock:
                    if sum(acked.values()) >= len(items):
                        return
                got = c.receive_queue_records(QueueARN=queue, Limit=10, WaitTimeSeconds=1)["QueueRecords"]
                if not got:
                    continue
                out = c.acknowledge_queue_records(QueueARN=queue, Entries=handles(got))
                assert out["Failed"] == [], out["Failed"]
                by_handle = {r["ReceiptHandle"]: r["Data"] for r in got}
                with lock:
                    received.update(r["Data"] for r in got)
                    acked.update(by_handle[e["ReceiptHandle"]] for e in out["Successful"])
        except Exception as e:  # reported by the main thread
            errors.append(repr(e))

    threads = [threading.Thread(target=consume) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert set(acked) == set(items), "missing %d" % len(set(items) - set(acked))
    twice = [d for d, n in acked.items() if n != 1]
    assert not twice, "acknowledged more than once: %s" % twice[:5]
    # Nothing was redelivered (30 s visibility, all acknowledged in time) and nothing is left.
    assert all(n == 1 for n in received.values()), received.most_common(3)
    assert k.receive_queue_records(QueueARN=queue)["QueueRecords"] == []


@check
def a_consumer_that_never_acknowledges_has_its_records_redelivered():
    arn_s = on_demand("q-crash")
    queue = new_queue("crash", arn_s, visibility=2)
    put_all("q-crash", [b"c-%d" % i for i in range(5)])
    first = []
    while len(first) < 5:
        got = k.receive_queue_records(QueueARN=queue, WaitTimeSeconds=1)["QueueRecords"]
        assert got, "records should be visible"
        first += got
    # The "crashed" consumer holds them: invisible to others until the timeout.
    assert k.receive_queue_records(QueueARN=queue)["QueueRecords"] == []
    time.sleep(2.2)
    again = []
    deadline = time.time() + 10
    while len(again) < 5 and time.time() < deadline:
        again += k.receive_queue_records(QueueARN=queue, WaitTimeSeconds=1)["QueueRecords"]
    assert sorted(r["Data"] for r in again) == sorted(r["Data"] for r in first)
    assert all(r["ReceiveCount"] == 2 for r in again), [r["ReceiveCount"] for r in again]
    first_seen = {r["Data"]: r["FirstReceiveTimestamp"] for r in first}
    assert all(r["FirstReceiveTimestamp"] == first_seen[r["Data"]] for r in again)
    # The old handles name a delivery that is over.
    stale = k.acknowledge_queue_records(QueueARN=queue, Entries=handles(first[:1]))
    assert stale["Successful"] == [] and stale["Failed"][0]["ErrorCode"], stale
    out = k.acknowledge_queue_records(QueueARN=queue, Entries=handles(again))
    assert len(out["Successful"]) == 5 and out["Failed"] == [], out


@check
def a_poison_record_reaches_the_dead_letters_and_is_restored():
    arn_s = on_demand("q-poison")
    queue = new_queue("poison", arn_s, max_receives=3)
    put_all("q-poison", [b"poison"])
    for n in range(1, 4):
        got = k.receive_queue_records(QueueARN=queue, WaitTimeSeconds=1)["QueueRecords"]
        assert len(got) == 1 and got[0]["ReceiveCount"] == n, got
        # The consumer fails on it: visible again at once.
        out = k.update_queue_records_visibility(
            QueueARN=queue, Entries=[{"ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeoutSeconds": 0}]
        )
        assert len(out["Successful"]) == 1, out
    # Received MaxReceiveCount times: a dead letter, no longer on the main path.
    assert k.receive_queue_records(QueueARN=queue)["QueueRecords"] == []
    dead = k.receive_dead_letter_queue_records(QueueARN=queue, Limit=10)["QueueRecords"]
    assert [r["Data"] for r in dead] == [b"poison"], dead
    assert k.receive_dead_letter_queue_records(QueueARN=queue)["QueueRecords"] == []
    out = k.update_dead_letter_queue_records_visibility(
        QueueARN=queue, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"], "VisibilityTimeoutSeconds": 0}]
    )
    assert len(out["Successful"]) == 1, out
    dead = k.receive_dead_letter_queue_records(QueueARN=queue, WaitTimeSeconds=1)["QueueRecords"]
    out = k.restore_dead_letter_queue_records(QueueARN=queue, Entries=handles(dead))
    assert len(out["Successful"]) == 1 and out["Failed"] == [], out
    back = k.receive_queue_records(QueueARN=queue, WaitTimeSeconds=1)["QueueRecords"]
    assert [(r["Data"], r["ReceiveCount"]) for r in back] == [(b"poison", 1)], back
    # Fails again until dead, and this time is acknowledged among the dead letters.
    h = back[0]["ReceiptHandle"]
    for _ in range(2):
        k.update_queue_records_visibility(QueueARN=queue, Entries=[{"ReceiptHandle": h, "VisibilityTimeoutSeconds": 0}])
        h = k.receive_queue_records(QueueARN=queue)["QueueRecords"][0]["ReceiptHandle"]
    k.update_queue_records_visibility(QueueARN=queue, Entries=[{"ReceiptHandle": h, "VisibilityTimeoutSeconds": 0}])
    assert k.receive_queue_records(QueueARN=queue)["QueueRecords"] == []
    dead = k.receive_dead_letter_queue_records(QueueARN=queue)["QueueRecords"]
    out = k.acknowledge_dead_letter_queue_records(QueueARN=queue, Entries=handles(dead))
    assert len(out["Successful"]) == 1, out
    assert k.receive_dead_letter_queue_records(QueueARN=queue)["QueueRecords"] == []


@check
def a_long_poll_returns_when_a_record_arrives():
    arn_s = on_demand("q-poll")
    queue = new_queue("poll", arn_s)
    started = time.time()
    assert k.receive_queue_records(QueueARN=queue, WaitTimeSeconds=1)["QueueRecords"] == []
    assert time.time() - started >= 0.95
    timer = threading.Timer(0.5, lambda: client().put_record(StreamName="q-poll", Data=b"late", PartitionKey="k"))
    timer.start()
    started = time.time()
    got = k.receive_queue_records(QueueARN=queue, WaitTimeSeconds=20)["QueueRecords"]
    took = time.time() - started
    timer.join()
    assert [r["Data"] for r in got] == [b"late"], got
    assert took < 5, took


@check
def describe_list_update_tag_delete():
    arn_s = on_demand("q-admin")
    out = k.create_queue(
        QueueName="admin",
        StreamConfigurationList=[{"StreamARN": arn_s}],
        Tags={"team": "ops"},
    )["QueueDescription"]
    queue = out["QueueARN"]
    assert out["QueueStatus"] == "ACTIVE" and out["QueueName"] == "admin", out
    assert out["StreamConfigurationList"][0]["StreamARN"] == arn_s
    assert out["StreamConfigurationList"][0]["StartingPosition"]["Type"] == "LATEST"
    assert out["QueueAttributes"] == {
        "VisibilityTimeoutSeconds": 30,
        "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 6},
    }, out["QueueAttributes"]
    d = k.describe_queue(QueueARN=queue)["QueueDescription"]
    assert d == out, (d, out)
    names = [q["QueueName"] for q in k.list_queues()["QueueSummaries"]]
    assert "admin" in names, names
    mine = k.list_queues(StreamFilter=[{"StreamARN": arn_s}])["QueueSummaries"]
    assert [(q["QueueName"], q["Streams"][0]["StreamARN"]) for q in mine] == [("admin", arn_s)], mine
    paged = k.get_paginator("list_queues") if k.can_paginate("list_queues") else None
    if paged is not None:
        all_names = [q["QueueName"] for p in paged.paginate(PaginationConfig={"PageSize": 1}) for q in p["QueueSummaries"]]
        assert sorted(all_names) == sorted(names), (all_names, names)
    u = k.update_queue(
        QueueARN=queue,
        QueueAttributes={"VisibilityTimeoutSeconds": 120, "DeadLetterConfiguration": {"TargetType": "NONE"}},
    )["QueueDescription"]
    assert u["QueueAttributes"] == {"VisibilityTimeoutSeconds": 120, "DeadLetterConfiguration": {"TargetType": "NONE"}}, u
    assert k.list_tags_for_resource(ResourceARN=queue)["Tags"] == [{"Key": "team", "Value": "ops"}]
    k.tag_resource(ResourceARN=queue, Tags={"env": "test"})
    k.untag_resource(ResourceARN=queue, TagKeys=["team"])
    assert k.list_tags_for_resource(ResourceARN=queue)["Tags"] == [{"Key": "env", "Value": "test"}]
    k.delete_queue(QueueARN=queue)
    expect_error(k.describe_queue, "ResourceNotFoundException", QueueARN=queue)
    expect_error(k.receive_queue_records, "ResourceNotFoundException", QueueARN=queue)


@check
def errors_are_aws_errors():
    k.create_stream(StreamName="q-prov", ShardCount=1)
    arn_p = k.describe_stream_summary(StreamName="q-prov")["StreamDescriptionSummary"]["StreamARN"]
    expect_error(k.create_queue, "InvalidArgumentException", QueueName="p", StreamConfigurationList=[{"StreamARN": arn_p}])
    arn_s = on_demand("q-errors")
    queue = new_queue("errors", arn_s)
    _, message = expect_error(
        k.receive_queue_records, "ValidationException", QueueARN=queue, VisibilityTimeoutSeconds=43201
    )
    assert "visibilityTimeoutSeconds" in message, message
    expect_error(
        k.acknowledge_queue_records,
        "ValidationException",
        QueueARN=queue,
        Entries=[{"ReceiptHandle": "h%d" % i} for i in range(11)],
    )
    out = k.acknowledge_queue_records(QueueARN=queue, Entries=[{"ReceiptHandle": "forged"}])
    assert out["Failed"][0]["ErrorCode"] == "InvalidArgumentException", out
    expect_error(k.create_queue, "ResourceInUseException", QueueName="errors", StreamConfigurationList=[{"StreamARN": arn_s}])


passed = failed = 0
for fn in checks:
    try:
        fn()
        passed += 1
        print("ok   %s" % fn.__name__)
    except Exception:
        failed += 1
        print("FAIL %s" % fn.__name__)
        traceback.print_exc()
print("boto3 %s, botocore %s" % (boto3.__version__, botocore.__version__))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
