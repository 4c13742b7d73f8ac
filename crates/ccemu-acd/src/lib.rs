//! Routing engine of ccemu: synchronous, deterministic automatic contact distribution.
//!
//! `ccemu-acd` owns waiting contacts, agent availability and capacity, strategies, skills,
//! priorities and timers. It does no I/O, has no runtime dependency, and takes the current time
//! as an argument (`now_ms`), so the same events and clock always give the same [`Decision`]s.
//! Every method returns the decisions it made, in the order the caller must apply them.
//!
//! # Deviations from the agreed API (additions only)
//! - [`AcdError`] has two more variants: `NotConnected` (`complete` of a contact the agent does
//!   not hold) and `QueueNotEmpty` (`remove_queue` while contacts wait or ring). `AcdError`
//!   implements `Display` + `Error`.
//! - [`Channel::ALL`] and [`Channel::index`]; `Default` for [`QueueConfig`], [`AgentConfig`],
//!   [`Channel`], [`Strategy`], [`QueueStats`] and [`Acd`] (seed 0).
//!
//! # Model
//! - **Agent status**: logged out (new agents), ready, not ready. A ready agent is *available for
//!   channel c* when it has no running no-answer/reject delay, `load[c] < capacity[c]`, and, if
//!   `voice_blocks_others`, it holds no voice contact when c is chat or errand (one direction:
//!   chats never block a voice offer). `load` counts reservations (ringing offers), connected
//!   contacts and wrap-ups of that channel.
//! - **Eligibility** of an agent for a contact: membership of the contact's queue with
//!   `tier <= level`, skills covering the queue's and the contact's requirements (same skill,
//!   proficiency >= minimum), available for the contact's channel, not already ringing for it.
//! - **Tier level** of a contact: no tier rules = every tier; otherwise 1, raised to the
//!   `max_tier` of every rule whose `after_ms` has passed since the contact entered the queue.
//!   Each widening is a timer; nothing polls.
//! - **Queue order**: (higher priority, earlier enqueue time, enqueue sequence). Re-queueing after
//!   a reject/no-answer/withdrawal restores exactly this key (original position). An overflowed
//!   contact keeps priority and original enqueue time in the new queue; its timeout and tier
//!   rules restart there. A contact may overflow at most 16 times (guards against cycles).
//! - **Contacts the engine knows** are the waiting and ringing ones; their ids are unique among
//!   them (`DuplicateContact`). An accepted contact is its agent's: `complete` names both, and
//!   the engine keeps no index of connected ids, so that the cost of an event does not grow with
//!   the number of agents talking (at 100k agents such an index no longer stays in the cache).
//!   `abandon` of a connected contact therefore sees an unknown contact (`accept` and
//!   `reject` a contact not offered to that agent), and its id may be enqueued again while the agent still holds it (a transfer to a queue that
//!   keeps the first leg up): that is a second, independent routing, and each connection ends
//!   with its own `complete`.
//! - **Work conservation**: after every call, no waiting contact has an eligible agent. When
//!   several agents or contacts become eligible in one event, they are paired by alternating
//!   "best agent for this contact" / "best contact for this agent" until both agree, so every
//!   offer respects both the queue order and the strategy. An agent in several queues takes the
//!   best contact by (priority, enqueue time, sequence) across its queues.
//!
//! # Strategies (agent choice for a contact)
//! The first key is always the agent's **tier** in the queue (lower first); ties on the
//! strategy key go to the smaller [`AgentId`].
//! - `LongestIdle`: smallest `idle_since`, the time of the agent's last routing activity: becoming
//!   ready (from not ready / logged out), receiving an offer, or freeing a slot (completion
//!   without wrap-up, or wrap-up end). Delay ends do not count.
//! - `FewestCalls`: fewest contacts ever accepted (all queues). `LeastTalkTime`: least cumulative
//!   talk time, accept to complete (all queues).
//! - `TopDown`: smallest `(position, id)`, from the top for every contact.
//! - `SequentialByOrder`: `(position, id)` order, starting after the agent (same tier) who got
//!   this queue's previous offer and wrapping around. `RoundRobin`: the same rotation over agent
//!   ids instead of positions.
//! - `Random`: each time an agent becomes available (or its state changes) it draws a ticket from
//!   the engine's seeded SplitMix64; the smallest ticket wins. Repeatable per seed; close to
//!   uniform, not exactly (a ticket is kept while the agent stays available).
//! - `RingAll`: the contact is offered at once to every eligible available agent (all eligible
//!   tiers) whose own best waiting contact is this one; each offer has that agent's own ring
//!   deadline. The first `accept` wins and the others get `OfferWithdrawn`. An agent who becomes
//!   available while the contact already rings is not added.
//! - `RingProgressively`: top-down order. The first agent rings; the *interval* is that agent's
//!   `ring_timeout_ms`. At every interval while nobody accepted, the next eligible available agent
//!   (not already ringing) is added and everyone keeps ringing: the reported `ring_deadline_ms` is
//!   the next step, and earlier agents' deadlines are extended silently. At a step where no agent
//!   can be added, every ringing agent gets `OfferWithdrawn` and a no-answer, and the contact is
//!   re-queued. A reject removes only that agent; the contact is re-queued when nobody rings.
//!
//! # Offers, delays and timers
//! - Ring timeout → `OfferWithdrawn`, the agent's consecutive no-answer count +1 and its
//!   no-answer delay; reaching `max_no_answer` (if > 0) also sets it not ready
//!   (`AgentNotReady`); when nobody else rings, `Requeued`. `accept` resets the count, as does
//!   `agent_ready` from not ready. Reject → reject delay, no decision for the rejecting agent.
//! - Queue timeout → `QueueTimeout` while waiting. A contact that is ringing at its timeout is
//!   not interrupted; if it is not accepted, it times out instead of being re-queued.
//! - `complete` with `wrap_up_ms > 0` keeps the slot until the wrap-up ends.
//! - `advance(now)` fires every due timer in (deadline, creation) order and handles each one *at
//!   its own deadline*, so results do not depend on how often it is called.
//!
//! # Data structures and cost (n = waiting contacts, m = agents)
//! - Per queue, waiting contacts are split into *classes* (channel, tier level, requirement
//!   signature); each class is a `BTreeSet` ordered by the queue key. All contacts of a class
//!   have the same eligible agents, so the best contact for an agent is the best class head.
//! - Per queue and channel, available agents sit in `BTreeSet`s ordered by the strategy key,
//!   one per (tier, skill signature) bucket: agents with the same skills share a bucket.
//! - Skill lists are interned into signatures; timers live in one `BTreeMap` keyed by
//!   (deadline, sequence) and are cancelled exactly.
//! - Best agent for a contact: O(B log m) for B buckets of the lowest eligible tier. Best
//!   contact for an agent: O(Σ classes of its queues × log n). Both are bounded by the number of
//!   distinct skill sets / requirement classes, never by the number of agents or contacts.
//! - `enqueue`, `abandon`, `reject`, timer events: O(log n + log t) plus the matching above.
//!   An agent state change re-indexes it in each (queue, channel) it serves: O(Q_a log m).
//! - The class and bucket indexes of a queue are small sorted vectors (a queue has few of
//!   either), so a lookup or prefix range is one binary search over a contiguous block.
//! - **Agent freed** (the most common event: a completion, wrap-up end, delay end or ready, with
//!   nothing else changed): work conservation held before the event, so no other available
//!   agent is eligible for any waiting contact, and the agent's best contact over its queues is
//!   the stable pair. The engine offers it directly, without inserting the agent into its pools
//!   and taking it out again: O(Σ classes of its queues × log n).
//! - Agents live in a slab indexed by their id (ids far beyond the number of agents fall back
//!   to a map); an agent's memberships and contact lists are stored inline, and the record is
//!   four cache-line-aligned lines, the first three holding everything a routing event reads.
//!   Waiting and ringing contacts are a map from id to a slot of a slab; a connected contact
//!   is only in its agent's record. Maps use a fast non-cryptographic hash (ids are
//!   chosen by the caller, not by an attacker).
//! - `queue_stats` is O(member agents + waiting contacts); `waiting` is
//!   O(n log n); both are off the routing path. Queue reconfiguration re-classifies that queue's
//!   waiting contacts.

pub mod dialer;
mod engine;
pub mod sim;
mod table;
mod types;
mod vecmap;
pub use engine::Acd;
pub use types::*;

#[cfg(test)]
mod prop_tests;

#[cfg(test)]
mod tests;
