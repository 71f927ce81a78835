//! The coordinator's decisions as pure functions: which leases to create for a stream's shards,
//! and which leases to take or steal. Kept apart from the I/O so they can be tested exhaustively.

use super::config::InitialPosition;
use super::lease::{Checkpoint, Lease};
use crate::names::ShardId;
use crate::streams::ShardDescription;
use std::collections::{BTreeMap, BTreeSet};

fn parents(s: &ShardDescription) -> impl Iterator<Item = ShardId> {
    s.parent_shard_id
        .into_iter()
        .chain(s.adjacent_parent_shard_id)
}

/// The shards that need a lease and the checkpoint each starts from.
///
/// With no lease yet, the generation the initial position names gets one (the roots for
/// `TrimHorizon`, the open shards for `Latest`, the shards open at the time for `AtTimestamp`).
/// Later, children get their leases from the worker that finishes their parent; this only fills
/// in lineages nobody holds (for example after a crash halfway through the first creation).
pub(crate) fn leases_to_create(
    shards: &[ShardDescription],
    leased: &BTreeSet<ShardId>,
    initial: InitialPosition,
) -> Vec<(ShardDescription, Checkpoint)> {
    let retained: BTreeSet<ShardId> = shards.iter().map(|s| s.shard_id).collect();
    let is_root = |s: &ShardDescription| parents(s).all(|p| !retained.contains(&p));
    let start = initial.checkpoint();
    if !shards.iter().any(|s| leased.contains(&s.shard_id)) {
        let first_generation = |s: &&ShardDescription| match initial {
            InitialPosition::TrimHorizon => is_root(s),
            InitialPosition::Latest => s.ending_sequence_number.is_none(),
            InitialPosition::AtTimestamp(t) => {
                let open_at_t = s.closed_ms.is_none_or(|c| c > t);
                let parents_closed = parents(s).all(|p| {
                    let parent = shards.iter().find(|x| x.shard_id == p);
                    parent.is_none_or(|x| x.closed_ms.is_some_and(|c| c <= t))
                });
                open_at_t && parents_closed
            }
        };
        return shards
            .iter()
            .filter(first_generation)
            .map(|s| (s.clone(), start.clone()))
            .collect();
    }
    let mut children: BTreeMap<ShardId, Vec<ShardId>> = BTreeMap::new();
    for s in shards {
        for p in parents(s) {
            children.entry(p).or_default().push(s.shard_id);
        }
    }
    let has_leased_descendant = |root: ShardId| {
        let mut stack = vec![root];
        let mut seen = BTreeSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            for c in children.get(&id).into_iter().flatten() {
                if leased.contains(c) {
                    return true;
                }
                stack.push(*c);
            }
        }
        false
    };
    shards
        .iter()
        .filter(|s| !leased.contains(&s.shard_id) && is_root(s))
        .filter(|s| !has_leased_descendant(s.shard_id))
        .map(|s| (s.clone(), start.clone()))
        .collect()
}

/// What one balancing pass does.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TakePlan {
    /// Leases nobody holds (or whose holder stopped renewing), to take.
    pub take: Vec<usize>,
    /// One lease of the most loaded worker, to steal when nothing is free.
    pub steal: Option<usize>,
}

/// Decides which of `leases` to take. `expired[i]` says whether lease `i` looks unrenewed to
/// this worker; `held` are the shards this worker holds. Finished shards (`SHARD_END`) do not
/// count. Each worker aims at `ceil(leases / workers)`; it steals only when nothing is free, at
/// most one lease per pass, from a worker above the target (or at it, when we need several).
/// `pick` chooses among candidates (random in production, so workers do not collide).
pub(crate) fn plan_takes(
    leases: &[Lease],
    expired: &[bool],
    me: &str,
    held: &BTreeSet<String>,
    mut pick: impl FnMut(usize) -> usize,
) -> TakePlan {
    let active: Vec<usize> = (0..leases.len())
        .filter(|&i| leases[i].checkpoint != Checkpoint::ShardEnd)
        .collect();
    let is_mine = |i: usize| held.contains(&leases[i].key.shard_id);
    let live_owner = |i: usize| {
        let owner = leases[i].owner.as_deref()?;
        (!expired.get(i).copied().unwrap_or(true) && owner != me).then_some(owner)
    };
    let mut load: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &active {
        if let Some(owner) = live_owner(i) {
            load.entry(owner).or_default().push(i);
        }
    }
    let workers = load.len() + 1;
    let target = active.len().div_ceil(workers).max(1);
    let mine = active.iter().filter(|&&i| is_mine(i)).count();
    let need = target.saturating_sub(mine);
    let mut plan = TakePlan::default();
    if need == 0 {
        return plan;
    }
    let mut free: Vec<usize> = active
        .iter()
        .copied()
        .filter(|&i| !is_mine(i) && live_owner(i).is_none())
        .collect();
    while plan.take.len() < need && !free.is_empty() {
        plan.take.push(free.swap_remove(pick(free.len())));
    }
    if plan.take.is_empty() {
        let busiest = load.values().max_by_key(|v| v.len());
        if let Some(theirs) =
            busiest.filter(|v| v.len() > target || (v.len() == target && need > 1))
        {
            plan.steal = Some(theirs[pick(theirs.len())]);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer::lease::{HashKeyRange, LeaseKey};
    use crate::seqnum::SequenceNumber;

    fn shard(id: u32, parents: &[u32], closed: Option<u64>) -> ShardDescription {
        ShardDescription {
            shard_id: ShardId(id),
            parent_shard_id: parents.first().map(|p| ShardId(*p)),
            adjacent_parent_shard_id: parents.get(1).map(|p| ShardId(*p)),
            starting_hash_key: 0,
            ending_hash_key: u128::MAX,
            starting_sequence_number: SequenceNumber::before(0, id, 0),
            ending_sequence_number: closed.map(|_| SequenceNumber::new(0, id, 9)),
            created_ms: 0,
            closed_ms: closed,
        }
    }

    /// 0..5 -> 6 (0+1), 7 (2+3) -> 8 (6+7), 9 and 10 (split of 5), closed at times 100 and 200.
    fn lineage() -> Vec<ShardDescription> {
        let mut v: Vec<_> = (0..4).map(|i| shard(i, &[], Some(100))).collect();
        v.push(shard(4, &[], None));
        v.push(shard(5, &[], Some(100)));
        v.push(shard(6, &[0, 1], Some(200)));
        v.push(shard(7, &[2, 3], Some(200)));
        v.push(shard(8, &[6, 7], None));
        v.push(shard(9, &[5], None));
        v.push(shard(10, &[5], None));
        v
    }

    fn ids(v: &[(ShardDescription, Checkpoint)]) -> Vec<u32> {
        v.iter().map(|(s, _)| s.shard_id.0).collect()
    }

    #[test]
    fn an_empty_table_gets_the_generation_the_initial_position_names() {
        let none = BTreeSet::new();
        let all = lineage();
        assert_eq!(
            ids(&leases_to_create(&all, &none, InitialPosition::TrimHorizon)),
            [0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            ids(&leases_to_create(&all, &none, InitialPosition::Latest)),
            [4, 8, 9, 10]
        );
        assert_eq!(
            ids(&leases_to_create(
                &all,
                &none,
                InitialPosition::AtTimestamp(150)
            )),
            [4, 6, 7, 9, 10]
        );
        assert_eq!(
            ids(&leases_to_create(
                &all,
                &none,
                InitialPosition::AtTimestamp(50)
            )),
            [0, 1, 2, 3, 4, 5]
        );
        let latest = leases_to_create(&all, &none, InitialPosition::Latest);
        assert!(latest.iter().all(|(_, c)| *c == Checkpoint::Latest));
    }

    #[test]
    fn later_passes_fill_only_unheld_lineages() {
        let all = lineage();
        // Leases for 4, 5 and 7 exist: the lineage 0/1 -> 6 -> 8 has no lease, so its roots get one;
        // 2 and 3 have a leased descendant (7) and stay without.
        let leased: BTreeSet<ShardId> = [4, 5, 7].into_iter().map(ShardId).collect();
        let made = leases_to_create(&all, &leased, InitialPosition::TrimHorizon);
        assert_eq!(ids(&made), [0, 1]);
        // Everything leased: nothing to do.
        let leased: BTreeSet<ShardId> = (0..11).map(ShardId).collect();
        assert!(leases_to_create(&all, &leased, InitialPosition::TrimHorizon).is_empty());
    }

    fn lease(shard: u32, owner: Option<&str>, done: bool) -> Lease {
        Lease {
            key: LeaseKey::new("a", "s", &ShardId(shard).to_string()),
            owner: owner.map(str::to_string),
            counter: 1,
            checkpoint: if done {
                Checkpoint::ShardEnd
            } else {
                Checkpoint::TrimHorizon
            },
            pending_checkpoint: None,
            owner_switches_since_checkpoint: 0,
            parent_shard_ids: vec![],
            child_shard_ids: vec![],
            hash_key_range: HashKeyRange::default(),
            last_renewal_ms: 0,
            checkpoints_recorded: 0,
        }
    }

    fn held(shards: &[u32]) -> BTreeSet<String> {
        shards.iter().map(|s| ShardId(*s).to_string()).collect()
    }

    #[test]
    fn free_leases_are_taken_up_to_the_fair_share() {
        let leases: Vec<Lease> = (0..4).map(|i| lease(i, None, false)).collect();
        let plan = plan_takes(&leases, &[false; 4], "me", &held(&[]), |_| 0);
        assert_eq!(plan.take.len(), 4, "alone: take everything");
        // Another live worker holds two: the target is 2, and the two free ones are ours.
        let mut leases = leases;
        leases[0].owner = Some("w2".into());
        leases[1].owner = Some("w2".into());
        let plan = plan_takes(&leases, &[false; 4], "me", &held(&[]), |_| 0);
        assert_eq!(
            plan.take.iter().copied().collect::<BTreeSet<_>>(),
            [2, 3].into()
        );
        assert_eq!(plan.steal, None);
    }

    #[test]
    fn expired_leases_are_free_and_finished_ones_do_not_count() {
        let mut leases: Vec<Lease> = (0..3).map(|i| lease(i, Some("dead"), false)).collect();
        leases.push(lease(3, Some("dead"), true));
        let plan = plan_takes(&leases, &[true; 4], "me", &held(&[]), |_| 0);
        assert_eq!(plan.take.len(), 3);
        assert!(!plan.take.contains(&3));
    }

    #[test]
    fn steals_one_from_the_busiest_only_when_nothing_is_free() {
        let leases: Vec<Lease> = (0..4).map(|i| lease(i, Some("w2"), false)).collect();
        let plan = plan_takes(&leases, &[false; 4], "me", &held(&[]), |_| 0);
        assert!(plan.take.is_empty());
        assert!(plan.steal.is_some(), "w2 holds 4 > target 2");
        // Balanced already: 2 and 2.
        let mut leases = leases;
        leases[0].owner = Some("me".into());
        leases[1].owner = Some("me".into());
        let plan = plan_takes(&leases, &[false; 4], "me", &held(&[0, 1]), |_| 0);
        assert_eq!(plan, TakePlan::default());
        // Three leases, two workers: target 2; w2 at 2 and we need 1: no steal (it is fair).
        let leases = vec![
            lease(0, Some("w2"), false),
            lease(1, Some("w2"), false),
            lease(2, Some("me"), false),
        ];
        let plan = plan_takes(&leases, &[false; 3], "me", &held(&[2]), |_| 0);
        assert_eq!(plan, TakePlan::default());
    }

    #[test]
    fn our_own_unheld_lease_from_before_a_restart_is_free() {
        let leases = vec![lease(0, Some("me"), false)];
        let plan = plan_takes(&leases, &[false], "me", &held(&[]), |_| 0);
        assert_eq!(plan.take, [0]);
    }
}
