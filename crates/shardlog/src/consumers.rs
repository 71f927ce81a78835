//! Registered consumers (Kinesis enhanced fan-out): named readers of a stream, kept in the catalog so
//! they survive restarts. Reading itself goes through [`Store::subscribe`]; a registration only gives
//! the reader a durable name and ARN.

use crate::catalog::ConsumerMeta;
use crate::error::{Error, Result};
use crate::settings::ConsumerSettings;
use crate::store::Store;

/// Most consumers one stream may have registered, as in Kinesis.
pub const MAX_CONSUMERS_PER_STREAM: usize = 20;

/// A registered consumer.
///
/// ```
/// use shardlog::{Store, StoreOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
/// store.create_stream("clicks", 1).unwrap();
/// let c = store.register_consumer("clicks", "billing").unwrap();
/// assert!(c.arn.starts_with(&format!("{}/consumer/billing:", c.stream_arn)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredConsumer {
    /// Name, unique within the stream.
    pub name: String,
    /// `<stream ARN>/consumer/<name>:<registration time in epoch seconds>`.
    pub arn: String,
    /// The stream's ARN.
    pub stream_arn: String,
    /// Registration time, ms since the epoch.
    pub created_ms: u64,
}

impl RegisteredConsumer {
    fn from_meta(stream_arn: String, meta: &ConsumerMeta) -> Self {
        RegisteredConsumer {
            arn: format!(
                "{stream_arn}/consumer/{}:{}",
                meta.name,
                meta.created_ms / 1000
            ),
            name: meta.name.clone(),
            stream_arn,
            created_ms: meta.created_ms,
        }
    }
}

impl Store {
    /// Registers a consumer under a stream; the name follows the stream-name rules.
    pub fn register_consumer(&self, stream: &str, name: &str) -> Result<RegisteredConsumer> {
        crate::names::validate_stream_name(name)
            .map_err(|_| Error::Validation(consumer_name_violation(name)))?;
        let created_ms = self.inner.now_ms();
        let meta = ConsumerMeta {
            name: name.to_string(),
            created_ms,
            settings: Default::default(),
        };
        let account = self.account_id();
        self.update_meta(stream, |m| {
            if m.consumers.iter().any(|c| c.name == name) {
                return Err(Error::ResourceInUse(format!(
                    "Consumer {name} under stream {stream} under account {account} already exists."
                )));
            }
            if m.consumers.len() + m.queues.len() >= MAX_CONSUMERS_PER_STREAM {
                return Err(Error::LimitExceeded(format!(
                    "Stream {stream} under account {account} already has {MAX_CONSUMERS_PER_STREAM} consumers."
                )));
            }
            m.consumers.push(meta.clone());
            Ok(())
        })?;
        Ok(RegisteredConsumer::from_meta(
            self.stream_arn(stream),
            &meta,
        ))
    }

    /// The consumers of a stream, in registration order.
    pub fn consumers(&self, stream: &str) -> Result<Vec<RegisteredConsumer>> {
        let s = self.inner.stream(stream)?;
        let state = s.read();
        Ok(state
            .meta
            .consumers
            .iter()
            .map(|c| RegisteredConsumer::from_meta(self.stream_arn(stream), c))
            .collect())
    }

    /// One consumer by name.
    pub fn consumer(&self, stream: &str, name: &str) -> Result<RegisteredConsumer> {
        self.consumers(stream)?
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| consumer_not_found(stream, name, self.account_id()))
    }

    /// Forgets a consumer.
    pub fn deregister_consumer(&self, stream: &str, name: &str) -> Result<()> {
        self.update_meta(stream, |m| {
            let before = m.consumers.len();
            m.consumers.retain(|c| c.name != name);
            if m.consumers.len() == before {
                return Err(consumer_not_found(stream, name, self.account_id()));
            }
            Ok(())
        })
    }
}

pub(crate) fn consumer_not_found(stream: &str, name: &str, account: &str) -> Error {
    Error::ResourceNotFound(format!(
        "Consumer {name}, stream {stream} under account {account} not found."
    ))
}

fn consumer_name_violation(name: &str) -> String {
    format!(
        "1 validation error detected: Value '{name}' at 'consumerName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 1 and 128"
    )
}

impl Store {
    /// A registered consumer's settings.
    pub fn consumer_settings(&self, stream: &str, consumer: &str) -> Result<ConsumerSettings> {
        let s = self.inner.stream(stream)?;
        let state = s.read();
        state
            .meta
            .consumers
            .iter()
            .find(|c| c.name == consumer)
            .map(|c| c.settings.clone())
            .ok_or_else(|| {
                crate::consumers::consumer_not_found(stream, consumer, self.account_id())
            })
    }

    /// Changes a registered consumer's settings in one durable catalog update.
    pub fn update_consumer_settings(
        &self,
        stream: &str,
        consumer: &str,
        change: impl FnOnce(&mut ConsumerSettings) -> Result<()>,
    ) -> Result<ConsumerSettings> {
        let mut after = ConsumerSettings::default();
        self.update_meta(stream, |meta| {
            let c = meta
                .consumers
                .iter_mut()
                .find(|c| c.name == consumer)
                .ok_or_else(|| {
                    crate::consumers::consumer_not_found(stream, consumer, self.account_id())
                })?;
            change(&mut c.settings)?;
            after = c.settings.clone();
            Ok(())
        })?;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreOptions;

    #[test]
    fn register_list_deregister_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        store.create_stream("s", 1).unwrap();
        let a = store.register_consumer("s", "a").unwrap();
        store.register_consumer("s", "b").unwrap();
        assert_eq!(
            store.register_consumer("s", "a").unwrap_err().kind(),
            "ResourceInUseException"
        );
        assert_eq!(
            store.register_consumer("s", "x/y").unwrap_err().kind(),
            "ValidationException"
        );
        assert_eq!(
            store.register_consumer("nope", "a").unwrap_err().kind(),
            "ResourceNotFoundException"
        );
        store.deregister_consumer("s", "b").unwrap();
        assert_eq!(
            store.deregister_consumer("s", "b").unwrap_err().kind(),
            "ResourceNotFoundException"
        );
        store.close().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        assert_eq!(store.consumers("s").unwrap(), vec![a.clone()]);
        assert_eq!(store.consumer("s", "a").unwrap(), a);
    }

    #[test]
    fn at_most_twenty() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        store.create_stream("s", 1).unwrap();
        for i in 0..MAX_CONSUMERS_PER_STREAM {
            store.register_consumer("s", &format!("c{i}")).unwrap();
        }
        assert_eq!(
            store.register_consumer("s", "one-more").unwrap_err().kind(),
            "LimitExceededException"
        );
    }
}
