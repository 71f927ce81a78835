//! The account: its shard quota and usage (`DescribeLimits`) and its settings
//! (`DescribeAccountSettings`, `UpdateAccountSettings`).

use crate::catalog::StreamMode;
use crate::error::Result;
use crate::settings::{AccountSettings, Commitment, ON_DEMAND_STREAM_LIMIT};
use crate::store::Store;

/// How long a minimum throughput billing commitment runs at least.
const COMMITMENT_MIN_MS: u64 = 24 * 3_600_000;

/// What `DescribeLimits` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountLimits {
    /// Most open shards the store allows ([`StoreOptions::max_shards`](crate::StoreOptions::max_shards)).
    pub shard_limit: usize,
    /// Open shards of every stream.
    pub open_shard_count: usize,
    /// Streams in on-demand mode.
    pub on_demand_stream_count: usize,
    /// [`ON_DEMAND_STREAM_LIMIT`].
    pub on_demand_stream_count_limit: usize,
}

impl Store {
    /// The account's shard quota and usage (`DescribeLimits`).
    ///
    /// ```
    /// use shardlog::{Store, StoreOptions};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), StoreOptions::default())?;
    /// store.create_stream("s", 3)?;
    /// let limits = store.describe_limits()?;
    /// assert_eq!((limits.shard_limit, limits.open_shard_count), (10_000, 3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe_limits(&self) -> Result<AccountLimits> {
        let catalog = self.inner.lock_catalog()?;
        let streams = catalog.streams.values();
        Ok(AccountLimits {
            shard_limit: self.inner.opts.max_shards,
            open_shard_count: streams.clone().map(|s| s.open_shards().count()).sum(),
            on_demand_stream_count: streams.filter(|s| s.mode == StreamMode::OnDemand).count(),
            on_demand_stream_count_limit: ON_DEMAND_STREAM_LIMIT,
        })
    }

    /// The account's settings and the store's clock now (for [`Commitment::status`]).
    pub fn account_settings(&self) -> Result<(AccountSettings, u64)> {
        let catalog = self.inner.lock_catalog()?;
        Ok((catalog.account.clone(), self.inner.now_ms()))
    }

    /// Enables or disables the minimum throughput billing commitment, durably. Enabling a running
    /// one changes nothing; disabling ends it at once, or at its earliest allowed end.
    ///
    /// ```
    /// use shardlog::{Store, StoreOptions};
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open(dir.path(), StoreOptions::default())?;
    /// let (settings, now) = store.set_throughput_commitment(true)?;
    /// assert_eq!(settings.commitment.map(|c| c.status(now)), Some("ENABLED"));
    /// let (settings, now) = store.set_throughput_commitment(false)?;
    /// assert_eq!(settings.commitment.map(|c| c.status(now)), Some("ENABLED_UNTIL_EARLIEST_ALLOWED_END"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_throughput_commitment(&self, enabled: bool) -> Result<(AccountSettings, u64)> {
        let mut catalog = self.inner.lock_catalog()?;
        let now_ms = self.inner.now_ms();
        let mut next = (*catalog).clone();
        let current = next
            .account
            .commitment
            .filter(|c| c.status(now_ms) != "DISABLED");
        next.account.commitment = match (enabled, current) {
            (true, Some(c)) if c.ended_ms.is_none() => Some(c),
            (true, _) => Some(Commitment {
                started_ms: now_ms,
                ended_ms: None,
                earliest_allowed_end_ms: now_ms.saturating_add(COMMITMENT_MIN_MS),
            }),
            (false, Some(c)) => Some(Commitment {
                ended_ms: Some(c.ended_ms.unwrap_or(c.earliest_allowed_end_ms.max(now_ms))),
                ..c
            }),
            (false, None) => next.account.commitment,
        };
        let settings = next.account.clone();
        catalog.commit(next)?;
        Ok((settings, now_ms))
    }
}
