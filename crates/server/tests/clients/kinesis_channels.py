"""Kinesis channels (issue 21) with boto3 (from PyPI) against `shardlog serve`.

Usage: kinesis_channels.py ENDPOINT DATA_DIR [--signed KEY_ID SECRET] [--s3 S3_ENDPOINT]

The server must run with a short `--channel-freshness-secs` (run.sh gives 1) and its objects in
the default place, `DATA_DIR/channels/<bucket>/`; or, with `--s3`, in the S3 service the server
was given (`serve --s3-endpoint`, run.sh starts moto's), where this script makes the buckets and
reads the objects back through boto3's S3 client. Channels are created through boto3 for every record
format (JSON, STRING, BYTE_ARRAY) and compression (NONE, GZIP, ZSTD); records are put, and the
objects that appear are read back with Python's own `gzip`, the `zstandard` package and `json`:
every record put after the channel was created appears exactly once, none put before it does, and
records that cannot be converted reach the dead-letter location. Then describe/list/update/tags/
delete and AWS's errors. The last line is `N passed, M failed`.
"""

import base64
import gzip
import json
import os
import re
import sys
import time
import traceback
from collections import Counter

import boto3
import botocore
import zstandard
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
DATA_DIR = sys.argv[2]
KEY, SECRET = ("dummy", "dummy")
if "--signed" in sys.argv:
    at = sys.argv.index("--signed")
    KEY, SECRET = sys.argv[at + 1], sys.argv[at + 2]
S3_ENDPOINT = sys.argv[sys.argv.index("--s3") + 1] if "--s3" in sys.argv else None

ACCOUNT = "000000000000"
ROLE = "arn:aws:iam::%s:role/channel-writer" % ACCOUNT
FORMATS = ("JSON", "STRING", "BYTE_ARRAY")
COMPRESSIONS = ("NONE", "GZIP", "ZSTD")
EXTENSIONS = {"JSON": ".json", "STRING": ".txt", "BYTE_ARRAY": ".bin"}
SUFFIXES = {"NONE": "", "GZIP": ".gz", "ZSTD": ".zst"}
DEFAULT_TEMPLATE = (
    "kinesis-channel/!{channel-name}/!{channel-id}/!{yyyy}/!{MM}/!{dd}/!{HH}/"
    "!{channel-name}-!{channel-id}-!{yyyy}-!{MM}-!{dd}-!{HH}-!{mm}!{extension}"
)
# Records per channel: enough for several shards' worth of keys, few enough to stay quick.
RECORDS = 120
# A BYTE_ARRAY object is its records back to back: fixed-size records (with bytes that are neither
# UTF-8 nor text) split it again.
BYTE_RECORD = 16

k = boto3.client(
    "kinesis",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id=KEY,
    aws_secret_access_key=SECRET,
    config=Config(retries={"max_attempts": 1}, read_timeout=60),
)
s3 = None
if S3_ENDPOINT:
    s3 = boto3.client(
        "s3",
        endpoint_url=S3_ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    for bucket in ("lake", "errors", "tpl-bucket"):
        s3.create_bucket(Bucket=bucket)
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


def storage(bucket, compression, template=None):
    s = {"BucketARN": "arn:aws:s3:::" + bucket, "ExpectedBucketOwner": ACCOUNT, "CompressionType": compression}
    if template:
        s["OutputKeyTemplate"] = template
    return s


def new_channel(name, stream_arn, fmt, compression, **extra):
    dest = {"StorageConfiguration": storage(extra.pop("bucket", "lake"), compression, extra.pop("template", None))}
    dest.update(extra.pop("dest", {}))
    out = k.create_channel(
        ChannelName=name,
        ServiceExecutionRoleARN=ROLE,
        StreamConfigurationList=[{"StreamARN": stream_arn, "RecordConfiguration": {"RecordFormatType": fmt}}],
        S3DestinationConfiguration=dest,
        **extra,
    )
    return out["ChannelDescription"]


def record(fmt, tag, i):
    if fmt == "JSON":
        # Pretty-printed on purpose: the object holds it on one line.
        return json.dumps({"tag": tag, "i": i, "nested": {"ok": True}}, indent=1).encode()
    if fmt == "STRING":
        return ("%s-%05d ünïcode" % (tag, i)).encode()
    data = b"\x00\xff" + (b"%s%05d" % (tag.encode()[:6], i)).ljust(BYTE_RECORD - 2, b"~")
    assert len(data) == BYTE_RECORD
    return data


def put_all(stream, datas):
    for i in range(0, len(datas), 100):
        batch = datas[i : i + 100]
        entries = [{"Data": d, "PartitionKey": "pk-%d" % (i + j)} for j, d in enumerate(batch)]
        out = k.put_records(StreamName=stream, Records=entries)
        assert out["FailedRecordCount"] == 0, out


def objects_under(bucket, prefix=""):
    """Every finished object of a bucket below `prefix` (a key prefix), as {key: bytes}."""
    if s3:
        return s3_objects(bucket, prefix)
    root = os.path.join(DATA_DIR, "channels", bucket)
    found = {}
    for dirpath, _, names in os.walk(os.path.join(root, prefix)):
        for n in names:
            if n.endswith(".tmp"):
                continue
            path = os.path.join(dirpath, n)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = f.read()
    return found


def s3_objects(bucket, prefix):
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            found[o["Key"]] = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return found


def decompress(key, body):
    if key.endswith(".gz"):
        return gzip.decompress(body)
    if key.endswith(".zst"):
        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    return body


def split_records(fmt, text):
    if fmt == "BYTE_ARRAY":
        assert len(text) % BYTE_RECORD == 0, len(text)
        return [text[i : i + BYTE_RECORD] for i in range(0, len(text), BYTE_RECORD)]
    assert text.endswith(b"\n"), text[-20:]
    lines = text[:-1].split(b"\n")
    if fmt == "JSON":
        return [json.dumps(json.loads(line), indent=1).encode() for line in lines]
    return [line.decode("utf-8").encode() for line in lines]


def delivered(fmt, objects):
    """The records of `objects`, each as often as the objects hold it."""
    got = Counter()
    for key, body in objects.items():
        got.update(split_records(fmt, decompress(key, body)))
    return got


def wait_for(predicate, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


@check
def botocore_knows_the_channel_operations():
    for op in ("create_channel", "describe_channel", "list_channels", "update_channel", "delete_channel"):
        assert hasattr(k, op), "botocore %s lacks %s" % (botocore.__version__, op)


@check
def every_format_and_compression_delivers_each_record_exactly_once():
    channels = {}
    for fmt in FORMATS:
        for comp in COMPRESSIONS:
            name = "c-%s-%s" % (fmt.lower().replace("_", ""), comp.lower())
            arn = on_demand("s-" + name)
            # Put before the channel exists: never delivered (Kinesis starts a channel at the tip).
            put_all("s-" + name, [record(fmt, "early", i) for i in range(5)])
            d = new_channel(name, arn, fmt, comp)
            want = [record(fmt, name[-8:], i) for i in range(RECORDS)]
            put_all("s-" + name, want)
            channels[name] = (fmt, comp, d["ChannelId"], want)
    for name, (fmt, comp, cid, want) in channels.items():
        prefix = "kinesis-channel/%s/%s" % (name, cid)
        wait_for(lambda: sum(delivered(fmt, objects_under("lake", prefix)).values()) >= len(want), name)
        objects = objects_under("lake", prefix)
        ext = EXTENSIONS[fmt] + SUFFIXES[comp]
        for key in objects:
            # kinesis-channel/<name>/<id>/yyyy/MM/dd/HH/<name>-<id>-yyyy-MM-dd-HH-mm-<shard>-<first>-<last><ext>
            pattern = r"%s/\d{4}/\d\d/\d\d/\d\d/%s-%s-\d{4}-\d\d-\d\d-\d\d-\d\d-shardId-\d{12}-\d+-\d+%s$" % (
                re.escape(prefix), re.escape(name), cid, re.escape(ext))
            assert re.match(pattern, key), key
        got = delivered(fmt, objects)
        assert set(got) == set(want), (name, "missing %d, unexpected %s" % (len(set(want) - set(got)), list(set(got) - set(want))[:3]))
        twice = [r for r, n in got.items() if n != 1]
        assert not twice, (name, "delivered more than once", twice[:3])
        print("     %-22s %3d records in %d objects" % (name, sum(got.values()), len(objects)))


@check
def unconvertible_records_reach_the_dead_letter_location():
    arn = on_demand("s-dlq")
    errors = {"BucketARN": "arn:aws:s3:::errors", "ExpectedBucketOwner": ACCOUNT, "ErrorOutputPrefix": "bad/"}
    d = new_channel("dlq", arn, "JSON", "GZIP", dest={"DeadLetterQueueS3Configuration": errors})
    good = [b'{"n": %d}' % i for i in range(10)]
    bad = [b"not json", b'{"open": ']
    put_all("s-dlq", good[:5] + bad + good[5:])
    prefix = "kinesis-channel/dlq/" + d["ChannelId"]
    wait_for(lambda: sum(delivered("JSON", objects_under("lake", prefix)).values()) >= 10, "dlq data")
    wait_for(lambda: objects_under("errors", "bad"), "dead letters")
    got = delivered("JSON", objects_under("lake", prefix))
    assert sorted(got) == sorted(json.dumps(json.loads(g), indent=1).encode() for g in good), got
    letters = []
    for key, body in objects_under("errors", "bad").items():
        assert key.startswith("bad/dlq/%s/" % d["ChannelId"]) and key.endswith(".json"), key
        letters += [json.loads(line) for line in body.decode().splitlines()]
    assert sorted(base64.b64decode(l["rawData"]) for l in letters) == sorted(bad), letters
    assert {l["errorCode"] for l in letters} == {"InvalidJson"}, letters
    assert all(l["streamARN"] == arn and l["shardId"].startswith("shardId-") for l in letters), letters


@check
def an_output_key_template_names_the_objects():
    arn = on_demand("s-template")
    new_channel("tpl", arn, "STRING", "NONE", bucket="tpl-bucket", template="by-stream/!{stream-name}/!{shard-id}/part!{extension}")
    want = [record("STRING", "tpl", i) for i in range(20)]
    put_all("s-template", want)
    wait_for(lambda: sum(delivered("STRING", objects_under("tpl-bucket")).values()) >= len(want), "templated objects")
    objects = objects_under("tpl-bucket")
    for key in objects:
        assert re.match(r"by-stream/s-template/shardId-\d{12}/part-shardId-\d{12}-\d+-\d+\.txt$", key), key
    assert sorted(delivered("STRING", objects).elements()) == sorted(want)


@check
def describe_list_update_tag_delete():
    arn = on_demand("s-admin")
    created = new_channel(
        "admin", arn, "JSON", "ZSTD",
        Tags={"team": "data"},
        LoggingConfiguration={"CloudWatchLogs": {"Enabled": False}},
    )
    channel = created["ChannelARN"]
    assert re.match(r"arn:aws:kinesis:us-east-1:%s:channel/\S+$" % ACCOUNT, channel), channel
    d = k.describe_channel(ChannelARN=channel)["ChannelDescription"]
    assert d == created, (d, created)
    assert d["ChannelName"] == "admin" and re.match(r"[0-9a-f]{32}$", d["ChannelId"]), d
    assert d["ChannelStatus"] == "ACTIVE" and "ChannelStatusReason" not in d, d
    assert abs(time.time() - d["ChannelCreationTimestamp"].timestamp()) < 120, d["ChannelCreationTimestamp"]
    assert d["ServiceExecutionRoleARN"] == ROLE
    [s] = d["StreamConfigurationList"]
    assert s["StreamARN"] == arn and s["RecordConfiguration"] == {"RecordFormatType": "JSON"}, s
    assert s["StreamCreationTimestamp"] <= d["ChannelCreationTimestamp"], s
    dest = d["S3DestinationConfiguration"]
    assert dest["DataFreshnessInSeconds"] == 300, dest
    sc = dict(dest["StorageConfiguration"])
    # Kinesis' default template, reported as resolved.
    assert sc.pop("OutputKeyTemplate", DEFAULT_TEMPLATE) == DEFAULT_TEMPLATE, sc
    assert sc == storage("lake", "ZSTD"), sc
    dlq = dest["DeadLetterQueueS3Configuration"]
    assert dlq["BucketARN"] == "arn:aws:s3:::lake" and dlq["ExpectedBucketOwner"] == ACCOUNT, dlq
    assert d["LoggingConfiguration"]["CloudWatchLogs"]["Enabled"] is False, d
    assert "S3TablesDestinationConfiguration" not in d, d

    mine = k.list_channels(StreamFilter=[{"StreamARN": arn}])["ChannelSummaries"]
    assert [(c["ChannelName"], c["ChannelARN"], c["ChannelStatus"], c["ChannelDestinationType"]) for c in mine] == [
        ("admin", channel, "ACTIVE", "S3")
    ], mine
    assert mine[0]["Streams"][0]["StreamARN"] == arn, mine
    names = [c["ChannelName"] for c in k.list_channels()["ChannelSummaries"]]
    assert "admin" in names, names
    pages, token = [], None
    while True:
        out = k.list_channels(MaxResults=1, **({"NextToken": token} if token else {}))
        pages.append([c["ChannelName"] for c in out["ChannelSummaries"]])
        token = out.get("NextToken")
        if not token:
            break
    assert sorted(n for p in pages for n in p) == sorted(names), (pages, names)
    assert all(len(p) <= 1 for p in pages), pages

    u = k.update_channel(
        ChannelARN=channel,
        S3DestinationConfiguration={"DataFreshnessInSeconds": 600},
        LoggingConfiguration={"CloudWatchLogs": {"Enabled": True, "LogGroupName": "channels"}},
    )["ChannelDescription"]
    assert u["S3DestinationConfiguration"]["DataFreshnessInSeconds"] == 600, u
    assert u["LoggingConfiguration"]["CloudWatchLogs"] == {"Enabled": True, "LogGroupName": "channels"}, u
    assert u["ChannelStatus"] in ("ACTIVE", "UPDATING"), u
    assert k.describe_channel(ChannelARN=channel)["ChannelDescription"]["S3DestinationConfiguration"]["DataFreshnessInSeconds"] == 600

    assert k.list_tags_for_resource(ResourceARN=channel)["Tags"] == [{"Key": "team", "Value": "data"}]
    k.tag_resource(ResourceARN=channel, Tags={"env": "test"})
    k.untag_resource(ResourceARN=channel, TagKeys=["team"])
    assert k.list_tags_for_resource(ResourceARN=channel)["Tags"] == [{"Key": "env", "Value": "test"}]

    # A channel holds its stream.
    expect_error(k.delete_stream, "ResourceInUseException", StreamName="s-admin")
    k.delete_channel(ChannelARN=channel)
    expect_error(k.describe_channel, "ResourceNotFoundException", ChannelARN=channel)
    expect_error(k.delete_channel, "ResourceNotFoundException", ChannelARN=channel)
    k.delete_stream(StreamName="s-admin")


@check
def errors_are_aws_errors():
    arn = on_demand("s-errors")
    new_channel("errors", arn, "JSON", "NONE")
    expect_error(new_channel, "ResourceInUseException", name="errors", stream_arn=arn, fmt="JSON", compression="NONE")
    expect_error(new_channel, "LimitExceededException", name="second", stream_arn=arn, fmt="JSON", compression="NONE")
    other = on_demand("s-errors-2")
    expect_error(
        new_channel, "InvalidArgumentException", name="stale", stream_arn=other, fmt="JSON", compression="NONE",
        dest={"DataFreshnessInSeconds": 30},
    )
    _, message = expect_error(
        new_channel, "InvalidArgumentException", name="tpl", stream_arn=other, fmt="JSON", compression="NONE",
        template="x/!{nope}",
    )
    assert "unknown variable" in message, message
    k.create_stream(StreamName="s-provisioned", ShardCount=1)
    prov = k.describe_stream_summary(StreamName="s-provisioned")["StreamDescriptionSummary"]["StreamARN"]
    expect_error(new_channel, "InvalidArgumentException", name="prov", stream_arn=prov, fmt="JSON", compression="NONE")
    missing = arn.replace("stream/s-errors", "stream/s-nope")
    expect_error(new_channel, "ResourceNotFoundException", name="gone", stream_arn=missing, fmt="JSON", compression="NONE")
    expect_error(k.describe_channel, "ValidationException", ChannelARN=arn)


if s3:

    @check
    def s3_objects_are_in_s3_only():
        local = os.path.join(DATA_DIR, "channels")
        files = [f for _, _, names in os.walk(local) for f in names]
        assert not files, "objects written to the data directory too: %s" % files[:3]
        assert s3_objects("lake", "kinesis-channel/"), "no objects in S3"


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
print("boto3 %s, botocore %s, zstandard %s" % (boto3.__version__, botocore.__version__, zstandard.__version__))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
