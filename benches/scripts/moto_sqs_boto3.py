"""Cross-check of queue-compare's moto column with boto3 instead of the bench's own HTTP client.

Fills an SQS queue of a running `moto_server` with RECORDS messages of 1 KiB (batches of 10), then
CONSUMERS threads receive up to 10 and delete them in a batch until every one is deleted; prints
records/s. Then prints how long one ReceiveMessage takes with about 10 and about 1,000 messages
queued.

    target/moto-venv/bin/moto_server -H 127.0.0.1 -p 5123 &
    target/moto-venv/bin/python benches/scripts/moto_sqs_boto3.py 5123 1000 1 4
"""
import sys
import threading
import time

import boto3


def client(port):
    return boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="y")


def fill(c, url, n):
    for first in range(0, n, 10):
        entries = [{"Id": str(i), "MessageBody": "x" * 1024} for i in range(first, min(n, first + 10))]
        c.send_message_batch(QueueUrl=url, Entries=entries)


def drain(port, url, records, consumers):
    deleted, lock = [0], threading.Lock()

    def work():
        c = client(port)
        while deleted[0] < records:
            got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                continue
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
            c.delete_message_batch(QueueUrl=url, Entries=entries)
            with lock:
                deleted[0] += len(got)

    start = time.time()
    threads = [threading.Thread(target=work) for _ in range(consumers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return records / (time.time() - start)


def main():
    port, records = int(sys.argv[1]), int(sys.argv[2])
    c = client(port)
    for consumers in map(int, sys.argv[3:]):
        url = c.create_queue(QueueName=f"bench{consumers}")["QueueUrl"]
        fill(c, url, records)
        print(f"{consumers} consumers: {drain(port, url, records, consumers):.0f} records/s")
    for depth in (10, 1000):
        url = c.create_queue(QueueName=f"depth{depth}")["QueueUrl"]
        fill(c, url, depth)
        start = time.time()
        c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        print(f"one ReceiveMessage with {depth} queued: {(time.time() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
