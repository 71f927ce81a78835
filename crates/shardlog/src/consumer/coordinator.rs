//! The lease coordinator: one thread per worker that renews, creates, takes and steals leases,
//! and starts a shard thread for every lease it holds.

use super::held::HeldLease;
use super::lease::{HashKeyRange, Lease, LeaseChange, LeaseKey, LeaseOp, NewLease};
use super::leases::{lease_moved, take_refused};
use super::plan;
use super::shard;
use super::shared::Shared;
use crate::error::{Error, Result};
use crate::names::ShardId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) struct Coordinator {
    shared: Arc<Shared>,
    /// Per lease: the counter last seen and when we first saw it. A lease whose counter has not
    /// moved for the failover time is expired; no clock is compared across workers.
    observed: BTreeMap<String, (u64, Instant)>,
    consumers: BTreeMap<String, JoinHandle<()>>,
    next_sync: Instant,
    rng: u64,
}

impl Coordinator {
    pub fn new(shared: Arc<Shared>) -> Self {
        let mut seed = [0u8; 8];
        let _ = getrandom::getrandom(&mut seed);
        Coordinator {
            shared,
            observed: BTreeMap::new(),
            consumers: BTreeMap::new(),
            next_sync: Instant::now(),
            rng: u64::from_le_bytes(seed) | 1,
        }
    }

    /// The KCL's renewer period: a third of the failover time, less a small epsilon, so two
    /// renewals can fail before the lease lapses.
    fn renew_interval(&self) -> Duration {
        (self.shared.failover / 3)
            .saturating_sub(Duration::from_millis(25))
            .max(Duration::from_millis(5))
    }

    pub fn run(mut self) {
        loop {
            if self.shared.abandoned() {
                self.join_all();
                return;
            }
            if self.shared.stopping() {
                self.finish();
                return;
            }
            self.renew();
            if Instant::now() >= self.next_sync {
                if let Err(e) = self.sync_leases() {
                    self.shared.report("lease sync", &e);
                }
            }
            if let Err(e) = self.take() {
                self.shared.report("lease taking", &e);
            }
            self.start_consumers();
            self.reap();
            self.shared.sleep(self.renew_interval());
        }
    }

    /// Renews every held lease in one commit.
    fn renew(&mut self) {
        let held: Vec<Arc<HeldLease>> = self.shared.held().values().cloned().collect();
        if held.is_empty() {
            return;
        }
        let mut states: Vec<_> = held.iter().map(|l| l.lock()).collect();
        let sent = Instant::now();
        let mut batch = Vec::new();
        let mut renewed = Vec::new();
        let now_ms = now_ms();
        for (i, state) in states.iter().enumerate() {
            if !state.lost {
                let op = LeaseOp::renew(now_ms);
                batch.push(LeaseChange::new(held[i].key.clone(), state.counter, op));
                renewed.push(i);
            }
        }
        let results = match self.shared.table.change_all(batch) {
            Ok(r) => r,
            Err(e) => return self.shared.report("lease renewal", &e),
        };
        for (i, result) in renewed.into_iter().zip(results) {
            let state = &mut states[i];
            match result {
                Ok(lease) => {
                    state.counter = lease.counter;
                    state.renewed_at = sent;
                }
                Err(e) if lease_moved(&e) => state.lost = true,
                Err(e) => self.shared.report("lease renewal", &e),
            }
        }
    }

    fn stream_leases(&self) -> Result<Vec<Lease>> {
        let config = &self.shared.config;
        self.shared.table.list(&config.application, &config.stream)
    }

    fn key(&self, shard: &str) -> LeaseKey {
        LeaseKey::new(
            &self.shared.config.application,
            &self.shared.config.stream,
            shard,
        )
    }

    /// Creates leases for shards no lease covers yet.
    pub fn sync_leases(&mut self) -> Result<()> {
        let config = &self.shared.config;
        let shards = self.shared.source.list_shards(&config.stream)?;
        let leased: BTreeSet<ShardId> = self
            .stream_leases()?
            .iter()
            .filter_map(|l| l.key.shard_id.parse().ok())
            .collect();
        for (s, checkpoint) in plan::leases_to_create(&shards, &leased, config.initial_position) {
            let parents = s
                .parent_shard_id
                .into_iter()
                .chain(s.adjacent_parent_shard_id);
            let new = NewLease {
                checkpoint,
                parent_shard_ids: parents.map(|p| p.to_string()).collect(),
                hash_key_range: HashKeyRange {
                    start: s.starting_hash_key,
                    end: s.ending_hash_key,
                },
            };
            self.shared
                .table
                .create_if_absent(&self.key(&s.shard_id.to_string()), new)?;
        }
        self.next_sync = Instant::now() + config.shard_sync_interval;
        Ok(())
    }

    /// One balancing pass: observe counters, then take and steal as [`plan::plan_takes`] says.
    fn take(&mut self) -> Result<()> {
        let leases = self.stream_leases()?;
        let now = Instant::now();
        let failover = self.shared.failover;
        let mut expired = Vec::with_capacity(leases.len());
        for l in &leases {
            let seen = self
                .observed
                .entry(l.key.shard_id.clone())
                .or_insert((l.counter, now));
            if seen.0 != l.counter {
                *seen = (l.counter, now);
            }
            expired.push(l.owner.is_none() || now.duration_since(seen.1) > failover);
        }
        self.observed
            .retain(|k, _| leases.iter().any(|l| l.key.shard_id == *k));
        let held: BTreeSet<String> = self.shared.held().keys().cloned().collect();
        let me = self.shared.config.worker_id.clone();
        let mut rng = self.rng;
        let plan = plan::plan_takes(&leases, &expired, &me, &held, |n| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            usize::try_from(rng % n as u64).unwrap_or(0)
        });
        self.rng = rng;
        for i in plan.take {
            self.acquire(&leases[i], false);
        }
        if self.shared.config.max_leases_to_steal > 0 {
            if let Some(i) = plan.steal {
                self.acquire(&leases[i], true);
            }
        }
        Ok(())
    }

    fn acquire(&mut self, lease: &Lease, steal: bool) {
        let Ok(shard) = lease.key.shard_id.parse::<ShardId>() else {
            return;
        };
        let (table, me) = (&self.shared.table, &self.shared.config.worker_id);
        let started = Instant::now();
        let op = if steal {
            LeaseOp::steal(me, now_ms())
        } else {
            LeaseOp::take(me, now_ms())
        };
        let result = table.change(&lease.key, lease.counter, op);
        match result {
            Ok(taken) => {
                let held = HeldLease::new(
                    lease.key.clone(),
                    shard,
                    taken.counter,
                    started,
                    self.shared.failover,
                );
                self.shared
                    .held()
                    .insert(lease.key.shard_id.clone(), Arc::new(held));
            }
            // Someone renewed, took or deleted it since our scan: try again next pass.
            Err(e) if take_refused(&e) => {}
            Err(e) => self.shared.report("lease taking", &e),
        }
    }

    fn start_consumers(&mut self) {
        let held: Vec<(String, Arc<HeldLease>)> = self
            .shared
            .held()
            .iter()
            .map(|(k, v)| (k.clone(), Arc::clone(v)))
            .collect();
        for (shard_id, lease) in held {
            if self.consumers.contains_key(&shard_id) {
                continue;
            }
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new()
                .name(format!("shard-{shard_id}"))
                .spawn(move || shard::run(shared, lease));
            match spawned {
                Ok(handle) => {
                    self.consumers.insert(shard_id, handle);
                }
                Err(e) => {
                    let e = Error::InvalidArgument(format!("cannot start a shard thread: {e}"));
                    self.shared.report("shard start", &e);
                }
            }
        }
    }

    /// Joins shard threads that ended.
    fn reap(&mut self) {
        let done: Vec<String> = self
            .consumers
            .iter()
            .filter(|(_, h)| h.is_finished())
            .map(|(k, _)| k.clone())
            .collect();
        for k in done {
            if let Some(h) = self.consumers.remove(&k) {
                let _ = h.join();
            }
        }
    }

    fn join_all(&mut self) {
        for (_, h) in std::mem::take(&mut self.consumers) {
            let _ = h.join();
        }
    }

    /// Graceful shutdown: keep renewing while the shard threads run their `shutdown_requested`
    /// and release their leases; release leases whose shard never started.
    fn finish(&mut self) {
        while !self.consumers.is_empty() {
            self.renew();
            self.reap();
            std::thread::sleep(Duration::from_millis(5));
        }
        let left: Vec<Arc<HeldLease>> = std::mem::take(&mut *self.shared.held())
            .into_values()
            .collect();
        for lease in left {
            let state = lease.lock();
            let _ = self
                .shared
                .table
                .change(&lease.key, state.counter, LeaseOp::Evict);
        }
    }
}
