//! Channels (issue 21) through the SDK: created with the SDK's builders, fed with PutRecords, and
//! their objects read back from the data directory of the server (`SHARDLOG_SDK_DATA`) with the
//! `flate2` and `zstd` decoders, not through shardlog: every record put after the channel was made
//! is in exactly one object. Then describe, list, update, tags, the stream a channel holds, and
//! delete. The server runs with `--channel-freshness-secs 1` (run.sh), so objects appear within
//! seconds.

use crate::{refused, resource_tags, wait_stream_active, Check, Fail, Runner, ACCOUNT};
use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    ChannelDestinationType, ChannelStatus, ChannelStreamConfiguration, PutRecordsRequestEntry,
    RecordConfiguration, RecordFormatType, S3CompressionType, S3DestinationConfiguration,
    S3DestinationUpdateInput, S3StorageConfiguration, StreamFilter, StreamMode, StreamModeDetails,
};
use aws_sdk_kinesis::Client;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROLE: &str = "arn:aws:iam::000000000000:role/sdk-channel-writer";
const BUCKET: &str = "sdk-lake";
/// Records put to each channel's stream.
const RECORDS: usize = 60;

/// One channel of the checks: its stream, format and compression.
struct Plan {
    name: &'static str,
    stream: &'static str,
    format: RecordFormatType,
    compression: S3CompressionType,
}

const PLANS: [Plan; 2] = [
    Plan {
        name: "sdk-json-gzip",
        stream: "sdk-channel-json",
        format: RecordFormatType::Json,
        compression: S3CompressionType::Gzip,
    },
    Plan {
        name: "sdk-string-zstd",
        stream: "sdk-channel-string",
        format: RecordFormatType::String,
        compression: S3CompressionType::Zstd,
    },
];

/// A channel the checks made: its ARN and id, and the records put after it existed.
struct Made {
    arn: String,
    id: String,
    stream_arn: String,
    want: Vec<Vec<u8>>,
}

/// Runs the channel checks; the streams they make are deleted at the end.
pub(crate) async fn run(k: &Client, r: &mut Runner) {
    let Some(data) = std::env::var_os("SHARDLOG_SDK_DATA").map(PathBuf::from) else {
        r.run("channels", async {
            Err::<(), _>(Fail("SHARDLOG_SDK_DATA names no data directory".into()))
        })
        .await;
        return;
    };
    let mut made = Vec::new();
    for plan in &PLANS {
        let kind = plan.name.trim_start_matches("sdk-").replace('-', "_");
        let name = format!("channel_{kind}_delivers_each_record_once");
        if let Some(m) = r.run(&name, deliver(k, &data, plan)).await {
            made.push(m);
        }
    }
    let Some(first) = made.first() else {
        return;
    };
    r.run("channel_describe_and_list", describe_and_list(k, first))
        .await;
    r.run("channel_update_and_tags", update_and_tags(k, first))
        .await;
    r.run("channel_holds_its_stream_until_deleted", async {
        for (plan, m) in PLANS.iter().zip(&made) {
            delete(k, plan.stream, m).await?;
        }
        Ok(())
    })
    .await;
}

/// Makes `plan`'s stream and channel, puts records before and after the channel exists, and
/// reads the objects back: each record put after is delivered once, none put before is.
async fn deliver(k: &Client, data: &Path, plan: &Plan) -> Check<Made> {
    let on_demand = StreamModeDetails::builder()
        .stream_mode(StreamMode::OnDemand)
        .build()?;
    k.create_stream()
        .stream_name(plan.stream)
        .stream_mode_details(on_demand)
        .send()
        .await?;
    wait_stream_active(k, plan.stream).await?;
    let stream_arn = crate::summary(k, plan.stream)
        .await?
        .stream_arn()
        .to_string();
    // Before the channel exists: never delivered (a channel starts at the tip of its stream).
    put(k, plan.stream, &records(plan, "early", 5)).await?;
    let d = create(k, plan, &stream_arn).await?;
    let want = records(plan, "late", RECORDS);
    put(k, plan.stream, &want).await?;
    let prefix = data
        .join("channels")
        .join(BUCKET)
        .join("kinesis-channel")
        .join(plan.name)
        .join(&d.1);
    let got = wait_delivered(&prefix, plan, want.len()).await?;
    let mut want_sorted = want.clone();
    want_sorted.sort();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    ensure!(
        got_sorted == want_sorted,
        "{}: {} records delivered, {} put after the channel was made (duplicates or strays)",
        plan.name,
        got.len(),
        want.len()
    );
    Ok(Made {
        arn: d.0,
        id: d.1,
        stream_arn,
        want,
    })
}

/// CreateChannel for `plan` on `stream_arn`: (ChannelARN, ChannelId).
async fn create(k: &Client, plan: &Plan, stream_arn: &str) -> Check<(String, String)> {
    let record = RecordConfiguration::builder()
        .record_format_type(plan.format.clone())
        .build()?;
    let stream = ChannelStreamConfiguration::builder()
        .stream_arn(stream_arn)
        .record_configuration(record)
        .build()?;
    let storage = S3StorageConfiguration::builder()
        .bucket_arn(format!("arn:aws:s3:::{BUCKET}"))
        .expected_bucket_owner(ACCOUNT)
        .compression_type(plan.compression.clone())
        .build()?;
    let dest = S3DestinationConfiguration::builder()
        .storage_configuration(storage)
        .build();
    let out = k
        .create_channel()
        .channel_name(plan.name)
        .service_execution_role_arn(ROLE)
        .stream_configuration_list(stream)
        .s3_destination_configuration(dest)
        .tags("team", "data")
        .send()
        .await?;
    let d = out
        .channel_description()
        .ok_or_else(|| Fail("CreateChannel: no ChannelDescription".into()))?;
    ensure!(
        d.channel_status() == &ChannelStatus::Active,
        "ChannelStatus {:?}",
        d.channel_status()
    );
    Ok((d.channel_arn().to_string(), d.channel_id().to_string()))
}

/// `n` records for `plan`'s format, tagged so that early and late ones differ.
fn records(plan: &Plan, tag: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| match plan.format {
            RecordFormatType::Json => format!("{{\"tag\":\"{tag}\",\"i\":{i}}}").into_bytes(),
            _ => format!("{tag}-{i:05}-ünïcode").into_bytes(),
        })
        .collect()
}

async fn put(k: &Client, stream: &str, datas: &[Vec<u8>]) -> Check {
    let entries = datas
        .iter()
        .enumerate()
        .map(|(i, d)| {
            PutRecordsRequestEntry::builder()
                .data(Blob::new(d.clone()))
                .partition_key(format!("pk-{i}"))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let out = k
        .put_records()
        .stream_name(stream)
        .set_records(Some(entries))
        .send()
        .await?;
    ensure!(
        out.failed_record_count() == Some(0),
        "FailedRecordCount {:?}",
        out.failed_record_count()
    );
    Ok(())
}

/// Polls the channel's objects until they hold `n` records (or 30 s pass), then returns them.
async fn wait_delivered(prefix: &Path, plan: &Plan, n: usize) -> Check<Vec<Vec<u8>>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = delivered(prefix, plan)?;
        if got.len() >= n {
            return Ok(got);
        }
        ensure!(
            Instant::now() < deadline,
            "{}: {} of {n} records in {} after 30 s",
            plan.name,
            got.len(),
            prefix.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The records in every finished object below `prefix`: decompressed with the decoder the
/// extension names, one record per line.
fn delivered(prefix: &Path, plan: &Plan) -> Check<Vec<Vec<u8>>> {
    let (ext, suffix) = match (&plan.format, &plan.compression) {
        (RecordFormatType::Json, S3CompressionType::Gzip) => (".json", ".gz"),
        (RecordFormatType::String, S3CompressionType::Zstd) => (".txt", ".zst"),
        other => return Err(Fail(format!("no reader for {other:?}"))),
    };
    let mut files = Vec::new();
    walk(prefix, &mut files).map_err(|e| Fail(format!("{}: {e}", prefix.display())))?;
    let mut records = Vec::new();
    for path in files
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with(".tmp"))
    {
        let name = path.to_string_lossy();
        ensure!(
            name.ends_with(&format!("{ext}{suffix}")),
            "object {name} lacks the extension {ext}{suffix}"
        );
        let body = std::fs::read(path)?;
        let mut text = Vec::new();
        match plan.compression {
            S3CompressionType::Gzip => {
                flate2::read::MultiGzDecoder::new(&body[..]).read_to_end(&mut text)?;
            }
            _ => text = zstd::stream::decode_all(&body[..])?,
        }
        let lines = text
            .strip_suffix(b"\n")
            .ok_or_else(|| Fail(format!("object {name} does not end in a line break")))?;
        records.extend(lines.split(|&b| b == b'\n').map(<[u8]>::to_vec));
    }
    Ok(records)
}

/// Every file below `dir`; none if it does not exist yet.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), out)?;
        } else {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// DescribeChannel answers what CreateChannel was given; ListChannels, filtered by stream, lists it.
async fn describe_and_list(k: &Client, m: &Made) -> Check {
    let out = k.describe_channel().channel_arn(&m.arn).send().await?;
    let d = out
        .channel_description()
        .ok_or_else(|| Fail("no ChannelDescription".into()))?;
    let want_arn = format!("arn:aws:kinesis:us-east-1:{ACCOUNT}:channel/");
    ensure!(
        d.channel_arn().starts_with(&want_arn) && d.channel_id() == m.id,
        "ChannelARN {} ChannelId {}",
        d.channel_arn(),
        d.channel_id()
    );
    ensure!(
        d.service_execution_role_arn() == ROLE,
        "ServiceExecutionRoleARN {}",
        d.service_execution_role_arn()
    );
    let [s] = d.stream_configuration_list() else {
        return Err(Fail(format!("streams {:?}", d.stream_configuration_list())));
    };
    let format = s.record_configuration().map(|r| r.record_format_type());
    ensure!(
        s.stream_arn() == m.stream_arn && format == Some(&RecordFormatType::Json),
        "stream {} format {format:?}",
        s.stream_arn()
    );
    let dest = d
        .s3_destination_configuration()
        .ok_or_else(|| Fail("no S3DestinationConfiguration".into()))?;
    let storage = dest
        .storage_configuration()
        .ok_or_else(|| Fail("no StorageConfiguration".into()))?;
    ensure!(
        dest.data_freshness_in_seconds() == 300
            && storage.bucket_arn() == format!("arn:aws:s3:::{BUCKET}")
            && storage.compression_type() == &S3CompressionType::Gzip,
        "destination {dest:?}"
    );
    let filter = StreamFilter::builder().stream_arn(&m.stream_arn).build()?;
    let out = k.list_channels().stream_filter(filter).send().await?;
    let listed: Vec<_> = out
        .channel_summaries()
        .iter()
        .map(|c| {
            (
                c.channel_arn(),
                c.channel_status(),
                c.channel_destination_type(),
            )
        })
        .collect();
    ensure!(
        listed
            == [(
                m.arn.as_str(),
                &ChannelStatus::Active,
                &ChannelDestinationType::S3
            )],
        "ListChannels for the stream: {listed:?}"
    );
    Ok(())
}

/// UpdateChannel changes the freshness; TagResource and UntagResource work on the channel's ARN.
async fn update_and_tags(k: &Client, m: &Made) -> Check {
    let update = S3DestinationUpdateInput::builder()
        .data_freshness_in_seconds(600)
        .build()?;
    k.update_channel()
        .channel_arn(&m.arn)
        .s3_destination_configuration(update)
        .send()
        .await?;
    let out = k.describe_channel().channel_arn(&m.arn).send().await?;
    let freshness = out
        .channel_description()
        .and_then(|d| d.s3_destination_configuration())
        .map(|d| d.data_freshness_in_seconds());
    ensure!(
        freshness == Some(600),
        "DataFreshnessInSeconds {freshness:?}"
    );
    let tags = resource_tags(k, &m.arn).await?;
    ensure!(
        tags == BTreeMap::from([("team".into(), "data".into())]),
        "tags at creation {tags:?}"
    );
    k.tag_resource()
        .resource_arn(&m.arn)
        .tags("env", "test")
        .send()
        .await?;
    k.untag_resource()
        .resource_arn(&m.arn)
        .tag_keys("team")
        .send()
        .await?;
    let tags = resource_tags(k, &m.arn).await?;
    ensure!(
        tags == BTreeMap::from([("env".into(), "test".into())]),
        "tags after tag and untag {tags:?}"
    );
    Ok(())
}

/// DeleteStream is refused while the channel exists (ResourceInUseException); DeleteChannel
/// removes it (then DescribeChannel is ResourceNotFoundException) and the stream can go.
async fn delete(k: &Client, stream: &str, m: &Made) -> Check {
    let e = refused(
        "DeleteStream of a stream with a channel",
        k.delete_stream().stream_name(stream).send().await,
    )?;
    ensure!(
        e.code() == Some("ResourceInUseException"),
        "want ResourceInUseException, got {}",
        DisplayErrorContext(&e)
    );
    k.delete_channel().channel_arn(&m.arn).send().await?;
    let e = refused(
        "DescribeChannel after DeleteChannel",
        k.describe_channel().channel_arn(&m.arn).send().await,
    )?;
    ensure!(
        e.code() == Some("ResourceNotFoundException"),
        "want ResourceNotFoundException, got {}",
        DisplayErrorContext(&e)
    );
    ensure!(!m.want.is_empty(), "no records were put");
    crate::delete_stream(k, stream).await
}
