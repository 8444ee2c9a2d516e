//! Kafka's `CooperativeStickyAssignor`
//! (clients/src/main/java/org/apache/kafka/clients/consumer/CooperativeStickyAssignor.java, 4.x):
//! the sticky core of [`super::sticky`] over the members' `ownedPartitions` and generations, after
//! which every partition that must first be revoked by its current owner is taken out of its new
//! owner's assignment (KIP-429): it is given in the follow-up rebalance, once revoked.
//! Knows only the [`Group`] it is given.

use super::{java, remove_first, sticky, Group, Tp};
use std::collections::{BTreeMap, BTreeSet};

/// `CooperativeStickyAssignor.assignPartitions`: what one call returns.
pub(super) fn assign(group: &Group) -> Vec<Vec<Tp>> {
    let owned: Vec<Vec<Tp>> = (0..group.len()).map(|m| owned_partitions(group, m)).collect();
    let outcome = sticky::assign_partitions(group, &owned);
    let mut assignment = outcome.assignment;
    // The constrained path fills partitionsTransferringOwnership as it goes; after the general
    // path it is null and computed from the result.
    let transferring = match outcome.transferring {
        Some(t) => t,
        None => partitions_transferring_ownership(&owned, &assignment),
    };
    // adjustAssignment
    for (tp, member) in transferring {
        remove_first(&mut assignment[member], tp);
    }
    assignment
}

/// `memberData`: the subscription's `ownedPartitions` (which `ConsumerProtocol` sends sorted by
/// topic, then partition) and its generation.
fn owned_partitions(group: &Group, member: usize) -> Vec<Tp> {
    let mut owned = group.owned_partitions(member);
    owned.sort_by(|a, b| java::compare(a.0, b.0).then(a.1.cmp(&b.1)));
    owned.into_iter().filter_map(|(t, p)| group.tp(t, p)).collect()
}

/// `computePartitionsTransferringOwnership`: partitions given to a member that did not own them
/// while a member that owned them no longer gets them.
fn partitions_transferring_ownership(owned: &[Vec<Tp>], assignment: &[Vec<Tp>]) -> BTreeMap<Tp, usize> {
    let mut added: BTreeMap<Tp, usize> = BTreeMap::new();
    let mut revoked: BTreeSet<Tp> = BTreeSet::new();
    for (m, assigned) in assignment.iter().enumerate() {
        let owned_set: BTreeSet<Tp> = owned[m].iter().copied().collect();
        for &tp in assigned {
            if !owned_set.contains(&tp) {
                added.insert(tp, m);
            }
        }
        let assigned_set: BTreeSet<Tp> = assigned.iter().copied().collect();
        revoked.extend(owned[m].iter().copied().filter(|tp| !assigned_set.contains(tp)));
    }
    added.retain(|tp, _| revoked.contains(tp));
    added
}
