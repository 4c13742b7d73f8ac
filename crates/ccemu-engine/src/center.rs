//! One tenant's contact center: the single writer that owns its state, clock and timers.
//!
//! Commands arrive over a channel and are applied one at a time. Each command collects its writes
//! and events in a [`Changes`] and commits them in one transaction before it replies, so whatever a
//! client saw succeed is durable. Timers fire from the same task, so nothing races the owner.

use crate::{EngineError, Reply, Result};
use ccemu_core::clock::{Clock, ClockMode};
use ccemu_core::event::{DomainEvent, EventRecord};
use ccemu_core::interaction::Interaction;
use ccemu_core::timer::{Timer, TimerAction};
use ccemu_core::{DomainError, Tenant, TenantId};
use ccemu_store::{Changes, Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

use crate::state::{Effects, State};
pub use crate::state::{Op, OpOutput};

/// Events a state method emitted and timers it armed, `(due, action)`.
type Produced = (Vec<DomainEvent>, Vec<(i64, TimerAction)>);

/// The clock as the control plane shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClockView {
    /// `real` or `manual`.
    pub mode: ClockMode,
    /// Tenant time, epoch milliseconds.
    pub now_ms: i64,
}

/// Wall-clock time, epoch milliseconds.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) enum Command {
    Initialize {
        reply: Reply<Result<()>>,
    },
    Reset {
        /// A new clock (mode, time) instead of keeping the current one.
        clock: Option<(ClockMode, Option<i64>)>,
        reply: Reply<Result<()>>,
    },
    SetClock {
        mode: ClockMode,
        now_ms: Option<i64>,
        reply: Reply<Result<ClockView>>,
    },
    Advance {
        ms: i64,
        reply: Reply<Result<ClockView>>,
    },
    Op {
        op: Op,
        reply: Reply<Result<OpOutput>>,
    },
    Stats {
        reply: Reply<crate::Stats>,
    },
    Waiting {
        queue_id: String,
        reply: Reply<Result<Vec<String>>>,
    },
    GetSim {
        reply: Reply<crate::sim::SimSettings>,
    },
    Agents {
        agent_id: Option<String>,
        reply: Reply<Result<Vec<crate::AgentView>>>,
    },
    Queues {
        queue_id: Option<String>,
        reply: Reply<Result<Vec<ccemu_core::Queue>>>,
    },
    Extensions {
        reply: Reply<Vec<ccemu_core::telephony::Extension>>,
    },
    Teams {
        reply: Reply<Vec<ccemu_core::Team>>,
    },
    Skills {
        reply: Reply<Vec<ccemu_core::Skill>>,
    },
    OpenInteractions {
        reply: Reply<Vec<Interaction>>,
    },
    Campaigns {
        campaign_id: Option<String>,
        reply: Reply<Result<Vec<crate::CampaignView>>>,
    },
    /// Subscribes to the live feed; answers with the last committed `seq`, which nothing can
    /// pass between the subscription and the answer because this task is the only sender.
    Watch {
        reply: Reply<(tokio::sync::broadcast::Receiver<Arc<EventRecord>>, i64)>,
    },
    Shutdown {
        reply: Reply<()>,
    },
}

/// At most this many ops are applied and committed together (group commit).
const GROUP_OPS: usize = 64;

/// The way in to one tenant's owner task.
#[derive(Clone)]
pub(crate) struct CenterHandle {
    pub tenant: Arc<Tenant>,
    /// The vendor surfaces' state of this tenant; it goes with the handle when the tenant does.
    pub vendor: Arc<crate::vendor::TenantState>,
    tx: mpsc::Sender<Command>,
    /// The clock as of the last committed command: reading it needs no trip to the owner task.
    clock: watch::Receiver<Clock>,
}

impl CenterHandle {
    /// Sends a command and waits for its reply.
    pub async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| EngineError::Unavailable)?;
        rx.await.map_err(|_| EngineError::Unavailable)
    }

    /// The tenant's clock now. The owner publishes it before it answers the command that
    /// changed it, so a client that set or advanced the clock reads what it set.
    pub fn clock_view(&self) -> ClockView {
        let clock = *self.clock.borrow();
        ClockView {
            mode: clock.mode,
            now_ms: clock.now(wall_ms()),
        }
    }
}

/// Loads a tenant's state from the store and starts its owner task.
pub(crate) async fn spawn(
    store: Store,
    tenant: Tenant,
    clock: Clock,
    notifiers: Arc<crate::notify::Notifiers>,
    jobs: crate::JobConfig,
) -> Result<CenterHandle> {
    let tenant = Arc::new(tenant);
    let (published, clock_rx) = watch::channel(clock);
    let mut center = Center {
        store,
        notifiers,
        tenant: tenant.clone(),
        clock,
        published,
        timers: BTreeMap::new(),
        next_timer_id: 1,
        next_seq: 1,
        state: State::default(),
        pending: Changes::default(),
        notified: 0,
        feed: crate::feed::sender(),
        job_batch: jobs.batch_steps.max(1),
        #[cfg(feature = "testing")]
        job_steps_left: jobs.halt_after_steps,
        #[cfg(not(feature = "testing"))]
        job_steps_left: None,
        job_retry_at: None,
        job_stop_before: None,
    };
    center.load().await?;
    center.commit().await?;
    // Bounded: a flood of requests waits for the owner instead of growing memory without limit.
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(center.run(rx));
    Ok(CenterHandle {
        tenant,
        vendor: Arc::default(),
        tx,
        clock: clock_rx,
    })
}

struct Center {
    store: Store,
    /// Turn this tenant's events into outbox notifications at commit.
    notifiers: Arc<crate::notify::Notifiers>,
    tenant: Arc<Tenant>,
    clock: Clock,
    /// Where readers find `clock` as of the last commit.
    published: watch::Sender<Clock>,
    /// Pending timers by (due, id): the first entry is always the next to fire.
    timers: BTreeMap<(i64, i64), TimerAction>,
    next_timer_id: i64,
    next_seq: i64,
    state: State,
    /// Writes and events of the command being applied.
    pending: Changes,
    /// How many of the pending events have been turned into notifications.
    notified: usize,
    /// Live feed of committed events; dropped with the task, which ends every listener's feed.
    feed: crate::feed::FeedSender,
    /// Job steps applied per transaction.
    job_batch: usize,
    /// Job steps this task may still carry out (a test's halt); `None`: no limit.
    job_steps_left: Option<usize>,
    /// After a failed turn of job work, when to try again (no busy loop while the store is down).
    job_retry_at: Option<tokio::time::Instant>,
    /// A step that failed after writing: the next turn ends before it, so that it runs alone.
    job_stop_before: Option<(u64, usize)>,
}

impl Center {
    fn id(&self) -> &TenantId {
        &self.tenant.id
    }

    /// (Re)builds the in-memory state from the store: documents, timers, sequence counters.
    async fn load(&mut self) -> Result<()> {
        let id = self.tenant.id.clone();
        if let Some(record) = self.store.get_tenant(&id).await? {
            self.clock = record.clock;
            self.publish_clock();
        }
        let docs = self.store.live_documents(&id).await?;
        let last_number = self.store.last_interaction_number(&id).await?;
        self.timers = self
            .store
            .list_timers(&id)
            .await?
            .into_iter()
            .map(|t| ((t.due_ms, t.id), t.action))
            .collect();
        self.next_timer_id = self
            .store
            .last_timer_id(&id)
            .await?
            .max(self.next_timer_id - 1)
            + 1;
        self.next_seq = self.store.last_event_seq(&id).await? + 1;
        let last_contact = self.store.last_contact_id(&id).await?;
        self.pending = Changes::default();
        self.notified = 0;
        self.rebuild(docs, last_number)?;
        self.state.raise_contact_id(last_contact);
        self.pending.messages_stored = self.state.message_counts();
        self.pending.numbered_to = Some(last_number);
        Ok(())
    }

    /// Replaces the working set with one built from `docs`; what rebuilding decides (offers to
    /// agents that are available while contacts wait) becomes pending work of this center.
    fn rebuild(&mut self, docs: Vec<ccemu_store::Document>, last_number: u64) -> Result<()> {
        let now = self.now();
        let (state, produced) =
            self.run_state(|_, fx| State::from_documents(docs, last_number, now, fx));
        self.state = state?;
        self.absorb(now, produced);
        Ok(())
    }

    /// Runs `f` on the working set with this center's pending changes; what it emitted and
    /// armed comes back for the caller to [`Center::absorb`] once it keeps the outcome.
    fn run_state<T>(&mut self, f: impl FnOnce(&mut State, &mut Effects<'_>) -> T) -> (T, Produced) {
        let mut produced = Produced::default();
        let mut fx = Effects {
            tenant: &self.tenant.id,
            changes: &mut self.pending,
            events: &mut produced.0,
            timers: &mut produced.1,
        };
        (f(&mut self.state, &mut fx), produced)
    }

    /// Stamps events and arms timers a state method produced.
    fn absorb(&mut self, at: i64, (events, timers): Produced) {
        for (due, action) in timers {
            self.arm(due, action);
        }
        for event in events {
            self.emit_at(at, event);
        }
    }

    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        // A command that arrived while a group of ops was being applied, taken up after it.
        let mut held: Option<Command> = None;
        let mut folded = false;
        loop {
            // What is due happens before the next command: a customer whose patience ran out
            // hangs up on time however busy the tenant is. An op group already queued is taken
            // along into the timers' transaction; every other turn goes through the `select!`,
            // so job batches get their share under a steady load.
            let due = self.timers_due();
            let next = match held.take() {
                Some(command) => Some(command),
                None if due && !std::mem::take(&mut folded) => {
                    folded = true;
                    rx.try_recv().ok()
                }
                None => {
                    let deadline = self.next_real_deadline();
                    tokio::select! {
                        command = rx.recv() => match command {
                            Some(command) => Some(command),
                            None => break,
                        },
                        _ = sleep_until(deadline), if deadline.is_some() => None,
                        // Job work runs whenever there is some, on any clock: `select!` picks
                        // among ready branches at random, so commands interleave with the batches.
                        () = job_turn(self.job_retry_at), if self.jobs_ready() => {
                            self.work_jobs().await;
                            continue;
                        }
                    }
                }
            };
            match next {
                Some(Command::Op { op, reply }) => {
                    held = self.ops(due, op, reply, &mut rx).await;
                }
                Some(command) => {
                    if due {
                        self.fire_due_logged().await;
                    }
                    if let Command::Shutdown { reply } = command {
                        let _ = reply.send(());
                        break;
                    }
                    held = self.handle(command, &mut rx).await;
                }
                None => self.fire_due_logged().await,
            }
        }
        tracing::debug!(tenant.id = %self.id(), "contact center stopped");
    }

    /// Group commit: applies `first` and every op already queued behind it (up to
    /// [`GROUP_OPS`]) one after another in memory, writes them in one transaction and only then
    /// answers each. A reader never sees the group before it is durable: other commands wait
    /// for the commit. Returns the first command of another kind that ended the group.
    async fn ops(
        &mut self,
        timers_due: bool,
        first: Op,
        reply: Reply<Result<OpOutput>>,
        rx: &mut mpsc::Receiver<Command>,
    ) -> Option<Command> {
        if timers_due {
            let now = self.now();
            if let Err(error) = self.fire_until(now) {
                tracing::error!(tenant.id = %self.id(), %error, "firing timers failed");
                self.abandon().await;
            }
        }
        let mut applied: Vec<(Reply<Result<OpOutput>>, OpOutput)> = Vec::new();
        let mut next = Some((first, reply));
        let mut held = None;
        while let Some((op, reply)) = next.take() {
            let mark = self.pending.mark();
            match self.apply_op(op).await {
                Ok(output) => {
                    self.notify_pending();
                    applied.push((reply, output));
                }
                Err(error) if self.pending.mark() == mark => {
                    let _ = reply.send(Err(error));
                }
                Err(error) => {
                    // Failed half-way: the ops before it are kept and committed; memory holds
                    // this one's partial changes, so it is rebuilt from what is now durable.
                    let _ = reply.send(Err(error));
                    self.pending.truncate(&mark);
                    let committed = if self.pending.is_empty() {
                        Ok(())
                    } else {
                        self.commit().await
                    };
                    if committed.is_ok() {
                        if let Err(error) = self.load().await {
                            tracing::error!(tenant.id = %self.id(), %error, "reload after failed command failed");
                        }
                    }
                    self.answer(applied, committed);
                    return None;
                }
            }
            if applied.len() >= GROUP_OPS {
                break;
            }
            match rx.try_recv() {
                Ok(Command::Op { op, reply }) => next = Some((op, reply)),
                Ok(other) => held = Some(other),
                Err(_) => {}
            }
        }
        // Timers fired ahead of the group commit even when every op of it was refused.
        if !applied.is_empty() || !self.pending.is_empty() {
            let committed = self.commit().await;
            self.answer(applied, committed);
        }
        self.state.forget_contacts();
        held
    }

    /// Answers the ops of a group once its commit is done: their outputs, or the commit's error.
    fn answer(&self, applied: Vec<(Reply<Result<OpOutput>>, OpOutput)>, committed: Result<()>) {
        match committed {
            Ok(()) => {
                for (reply, output) in applied {
                    let _ = reply.send(Ok(output));
                }
            }
            Err(error) => {
                let text = error.to_string();
                let mut error = Some(error);
                for (reply, _) in applied {
                    let error = error
                        .take()
                        .unwrap_or_else(|| StoreError::SharedCommit(text.clone()).into());
                    let _ = reply.send(Err(error));
                }
            }
        }
    }

    /// Carries out one command; an op takes the ops queued behind it along ([`Center::ops`]) and
    /// hands back the command of another kind that ended the group, if one did.
    async fn handle(
        &mut self,
        command: Command,
        rx: &mut mpsc::Receiver<Command>,
    ) -> Option<Command> {
        match command {
            Command::Initialize { reply } => {
                let result = self.initialize().await;
                let _ = reply.send(result);
            }
            Command::Reset { clock, reply } => {
                let result = self.reset(clock).await;
                let _ = reply.send(result);
            }
            Command::SetClock {
                mode,
                now_ms,
                reply,
            } => {
                let result = self.set_clock(mode, now_ms).await;
                let _ = reply.send(result);
            }
            Command::Advance { ms, reply } => {
                let result = self.advance(ms).await;
                let _ = reply.send(result);
            }
            Command::Op { op, reply } => return self.ops(false, op, reply, rx).await,
            Command::Stats { reply } => {
                let mut stats = crate::Stats::default();
                self.state.count(&mut stats);
                let _ = reply.send(stats);
            }
            Command::Waiting { queue_id, reply } => {
                let _ = reply.send(self.state.waiting(&queue_id));
            }
            Command::GetSim { reply } => {
                let _ = reply.send(self.state.sim().clone());
            }
            Command::Agents { agent_id, reply } => {
                let _ = reply.send(self.state.agent_views(agent_id.as_deref()));
            }
            Command::Queues { queue_id, reply } => {
                let _ = reply.send(self.state.queue_list(queue_id.as_deref()));
            }
            Command::Extensions { reply } => {
                let _ = reply.send(self.state.extension_list());
            }
            Command::Teams { reply } => {
                let _ = reply.send(self.state.catalog().teams.values().cloned().collect());
            }
            Command::Skills { reply } => {
                let _ = reply.send(self.state.catalog().skills.values().cloned().collect());
            }
            Command::OpenInteractions { reply } => {
                let _ = reply.send(self.state.open_interactions());
            }
            Command::Campaigns { campaign_id, reply } => {
                let _ = reply.send(self.state.campaign_views(campaign_id.as_deref()));
            }
            Command::Watch { reply } => {
                let _ = reply.send((self.feed.subscribe(), self.next_seq - 1));
            }
            Command::Shutdown { reply } => {
                let _ = reply.send(());
            }
        }
        None
    }

    fn now(&self) -> i64 {
        self.clock.now(wall_ms())
    }

    fn jobs_ready(&self) -> bool {
        self.state.has_job_work() && self.job_steps_left != Some(0)
    }

    /// Carries out one bounded batch of job work and commits it with the job's progress.
    async fn work_jobs(&mut self) {
        self.job_retry_at = None;
        let budget = self
            .job_steps_left
            .map_or(self.job_batch, |left| left.min(self.job_batch));
        let now = self.now();
        let stop_before = self.job_stop_before;
        let (turn, produced) =
            self.run_state(|state, fx| state.work_job(budget, stop_before, now, fx));
        let result = match turn {
            Ok(crate::state::JobTurn::Idle) => return,
            Ok(crate::state::JobTurn::Worked { steps }) => {
                if let Some(left) = self.job_steps_left.as_mut() {
                    *left = left.saturating_sub(steps);
                }
                self.job_stop_before = None;
                self.absorb(now, produced);
                self.commit().await
            }
            Ok(crate::state::JobTurn::Unclean {
                job_id,
                step,
                first,
                error,
            }) => {
                tracing::error!(tenant.id = %self.id(), job.id = job_id, step, "a job step failed after it wrote; its writes are dropped");
                self.abandon().await;
                if first {
                    self.fail_job_step(job_id, step, error, now).await
                } else {
                    self.job_stop_before = Some((job_id, step));
                    Ok(())
                }
            }
            Err(error) => {
                self.abandon().await;
                Err(error)
            }
        };
        if let Err(error) = result {
            tracing::error!(tenant.id = %self.id(), %error, "job work failed; retrying in a second");
            self.job_retry_at =
                Some(tokio::time::Instant::now() + std::time::Duration::from_secs(1));
        }
    }

    /// Records a job step as failed without its writes, and commits that alone.
    async fn fail_job_step(
        &mut self,
        job_id: u64,
        step: usize,
        error: ccemu_core::StepError,
        now: i64,
    ) -> Result<()> {
        let (failed, _) =
            self.run_state(|state, fx| state.fail_job_step(job_id, step, error, now, fx));
        if let Err(error) = failed {
            self.abandon().await;
            return Err(error);
        }
        self.job_stop_before = None;
        self.commit().await
    }

    /// Makes the clock as it is now what readers of the handle see.
    fn publish_clock(&self) {
        let clock = self.clock;
        self.published.send_if_modified(|seen| {
            let changed = *seen != clock;
            *seen = clock;
            changed
        });
    }

    fn clock_view(&self) -> ClockView {
        ClockView {
            mode: self.clock.mode,
            now_ms: self.now(),
        }
    }

    /// In real mode, the instant at which the next timer falls due.
    fn next_real_deadline(&self) -> Option<tokio::time::Instant> {
        if self.clock.mode != ClockMode::Real {
            return None;
        }
        let due = self.next_due()?;
        let wait_ms = (due - self.now()).max(0) as u64;
        Some(tokio::time::Instant::now() + std::time::Duration::from_millis(wait_ms))
    }

    /// The earliest of the next timer and the ACD's next deadline.
    fn next_due(&self) -> Option<i64> {
        let timer = self.timers.first_key_value().map(|(&(due, _), _)| due);
        match (timer, self.state.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn emit_at(&mut self, at_ms: i64, event: DomainEvent) {
        self.pending.events.push(EventRecord {
            seq: self.next_seq,
            at_ms,
            event,
        });
        self.next_seq += 1;
    }

    fn emit(&mut self, event: DomainEvent) {
        let now = self.now();
        self.emit_at(now, event);
    }

    /// Arms a timer; it is persisted with the command that armed it.
    pub(crate) fn arm(&mut self, due_ms: i64, action: TimerAction) -> i64 {
        let id = self.next_timer_id;
        self.next_timer_id += 1;
        self.pending.timers_armed.push(Timer {
            id,
            due_ms,
            action: action.clone(),
        });
        self.timers.insert((due_ms, id), action);
        id
    }

    /// Turns the pending events not yet notified into notifications, from the state as it is
    /// now: an op of a group is notified before the next one changes what the notification
    /// shows.
    fn notify_pending(&mut self) {
        self.notifiers
            .collect(&self.tenant, &self.state, &mut self.pending, self.notified);
        self.notified = self.pending.events.len();
    }

    /// Writes the pending changes. On failure the in-memory state is rebuilt from the store so
    /// that memory never runs ahead of what is durable.
    async fn commit(&mut self) -> Result<()> {
        // Notifications ride in the same transaction as the events they announce.
        self.notify_pending();
        self.notified = 0;
        let mut changes = std::mem::take(&mut self.pending);
        let committed = self.store.commit(&self.tenant.id, &changes).await;
        if committed.is_ok() {
            // What is stored now: the next command copies only messages added after these.
            let mut stored = std::mem::take(&mut changes.messages_stored);
            for i in &changes.interactions {
                if i.state.is_terminal() {
                    stored.remove(&i.id);
                    self.state.forget_ended(&i.id);
                } else if let Some(last) = i.messages.last() {
                    stored.insert(i.id.clone(), last.index);
                }
            }
            self.pending.messages_stored = stored;
            self.pending.numbered_to = changes.numbered_after();
            // Only now: a listener must never see an event the log does not hold.
            crate::feed::publish(&self.feed, &changes.events);
            self.publish_clock();
        }
        match committed {
            Ok(()) if !changes.notifications.is_empty() => {
                self.notifiers.wake();
                Ok(())
            }
            Ok(()) => Ok(()),
            Err(error) => {
                tracing::error!(tenant.id = %self.id(), %error, "commit failed; reloading state");
                if let Err(reload) = self.load().await {
                    tracing::error!(tenant.id = %self.id(), error = %reload, "reload failed");
                }
                Err(error.into())
            }
        }
    }

    /// Drops uncommitted work after a command failed half-way.
    async fn abandon(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        if let Err(error) = self.load().await {
            tracing::error!(tenant.id = %self.id(), %error, "reload after failed command failed");
        }
    }

    async fn initialize(&mut self) -> Result<()> {
        self.emit(DomainEvent::TenantCreated {
            name: self.tenant.name.clone(),
        });
        self.seed()?;
        self.commit().await
    }

    fn seed(&mut self) -> Result<()> {
        if self.tenant.id.as_str() == TenantId::DEMO {
            let docs = crate::state::demo_documents()?;
            self.pending.puts.extend(docs.clone());
            self.rebuild(docs, 0)?;
        }
        Ok(())
    }

    /// Wipes the tenant and seeds it again; with `clock`, starts a new clock at any time (the
    /// history that kept time from going back is gone).
    async fn reset(&mut self, clock: Option<(ClockMode, Option<i64>)>) -> Result<()> {
        let restarted = clock
            .map(|(mode, now_ms)| Clock::restart(mode, now_ms, wall_ms()))
            .transpose()?;
        self.pending.wipe = true;
        self.pending.messages_stored.clear();
        self.timers.clear();
        self.state = State::default();
        if let Some(clock) = restarted {
            self.clock = clock;
            self.pending.clock = Some(clock);
        }
        self.emit(DomainEvent::TenantReset);
        self.seed()?;
        self.commit().await
    }

    async fn set_clock(&mut self, mode: ClockMode, now_ms: Option<i64>) -> Result<ClockView> {
        // One wall reading for the check and the change: a second one, a millisecond later,
        // would put a real clock ahead of the `now` it is frozen at and refuse the change.
        let wall = wall_ms();
        let current = self.clock.now(wall);
        // Checked here as well as in Clock::set so that no timer fires for a refused change.
        let target = ccemu_core::clock::check_time("now_ms", now_ms.unwrap_or(current))?;
        if target < current {
            return Err(DomainError::Invalid {
                field: "now_ms",
                reason: format!("the clock never goes backwards (now {current}, asked {target})"),
            }
            .into());
        }
        // Timers due up to the new time fire first, each at its own due time.
        if self.clock.mode == ClockMode::Manual {
            if let Err(error) = self.fire_until(target) {
                self.abandon().await;
                return Err(error);
            }
        }
        if let Err(error) = self.clock.set(mode, Some(target), wall) {
            self.abandon().await;
            return Err(error.into());
        }
        self.pending.clock = Some(self.clock);
        self.emit(DomainEvent::ClockChanged {
            mode,
            now_ms: target,
        });
        self.commit().await?;
        Ok(self.clock_view())
    }

    async fn advance(&mut self, ms: i64) -> Result<ClockView> {
        if self.clock.mode != ClockMode::Manual || ms < 0 {
            // Let Clock::advance produce the exact domain error.
            let mut probe = self.clock;
            probe.advance(ms)?;
        }
        let target = ccemu_core::clock::check_time("ms", self.now().saturating_add(ms))?;
        if let Err(error) = self.fire_until(target) {
            self.abandon().await;
            return Err(error);
        }
        self.clock.frozen_ms = target;
        self.pending.clock = Some(self.clock);
        self.emit(DomainEvent::ClockChanged {
            mode: self.clock.mode,
            now_ms: target,
        });
        self.commit().await?;
        Ok(self.clock_view())
    }

    /// Fires, in (due, id) order, every timer due at or before `target` on a manual clock, moving
    /// the clock to each timer's due time so that what it does is stamped with that time.
    fn fire_until(&mut self, target: i64) -> Result<()> {
        loop {
            let timer = self
                .timers
                .first_key_value()
                .map(|(&(due, id), _)| (due, id));
            let acd = self.state.next_deadline();
            // Timers and ACD deadlines interleave in time order; a timer wins a tie because it
            // was armed by something that already happened.
            let next_is_timer = match (timer, acd) {
                (Some((due, _)), Some(d)) => due <= d,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let due = if next_is_timer {
                timer.map(|t| t.0)
            } else {
                acd
            };
            let Some(due) = due.filter(|d| *d <= target) else {
                break;
            };
            if self.clock.mode == ClockMode::Manual {
                self.clock.frozen_ms = self.clock.frozen_ms.max(due);
            }
            if next_is_timer {
                let Some(((due, id), action)) = self.timers.pop_first() else {
                    break;
                };
                self.apply_timer(id, due, action)?;
            } else {
                let at = self.now().max(due);
                let (advanced, produced) = self.run_state(|state, fx| state.advance(at, fx));
                advanced?;
                self.absorb(at, produced);
            }
        }
        Ok(())
    }

    /// Whether the real clock has reached the next timer or ACD deadline.
    fn timers_due(&self) -> bool {
        self.clock.mode == ClockMode::Real && self.next_due().is_some_and(|due| due <= self.now())
    }

    /// Fires what is due on the real clock in a transaction of its own; a failure is logged,
    /// since nobody waits for it.
    async fn fire_due_logged(&mut self) {
        let now = self.now();
        if let Err(error) = self.fire_due(now).await {
            tracing::error!(tenant.id = %self.id(), %error, "firing timers failed");
        }
    }

    /// Real mode: fires what is due now and commits it.
    async fn fire_due(&mut self, now: i64) -> Result<()> {
        if let Err(error) = self.fire_until(now) {
            self.abandon().await;
            return Err(error);
        }
        self.commit().await
    }

    fn apply_timer(&mut self, id: i64, due: i64, action: TimerAction) -> Result<()> {
        self.pending.timers_done.push(id);
        let at = self.now().max(due);
        let (result, produced) = self.run_state(|state, fx| state.apply_timer(&action, at, fx));
        self.emit_at(
            at,
            DomainEvent::TimerFired {
                timer_id: id,
                due_ms: due,
                action,
            },
        );
        match result {
            Ok(()) => {}
            // A timer whose subject is gone (agent deleted) just lapses; it is still consumed.
            Err(EngineError::Domain(DomainError::NotFound { .. })) => {}
            Err(error) => return Err(error),
        }
        self.absorb(at, produced);
        Ok(())
    }

    /// Applies one op in memory, after its stored contacts are cached (a contact an earlier op
    /// of the group wrote is cached already, newer than the store's copy). Its changes join
    /// the pending ones; on failure what it produced is dropped (see [`Center::ops`]).
    async fn apply_op(&mut self, op: Op) -> Result<OpOutput> {
        let message_to = op.message_target().map(str::to_owned);
        for key in op.contact_keys() {
            if self.state.has_contact(&key) {
                continue;
            }
            if let Some(c) = self.store.contact(self.id(), &key).await? {
                self.state.cache_contacts([c]);
            }
        }
        let now = self.now();
        let (applied, produced) = self.run_state(|state, fx| state.apply(op, now, fx));
        match applied {
            Ok(output) => {
                self.absorb(now, produced);
                Ok(output)
            }
            Err(error) => Err(match message_to {
                Some(id) => self.ended_or(error, &id).await,
                None => error,
            }),
        }
    }

    /// Ended interactions live in the store only, so the state does not find them; a message for
    /// one is refused because it has ended, not because it is unknown.
    async fn ended_or(&self, error: EngineError, interaction_id: &str) -> EngineError {
        let unknown = matches!(
            &error,
            EngineError::Domain(DomainError::NotFound { kind: "interaction", id }) if id == interaction_id
        );
        if !unknown {
            return error;
        }
        // Ended by an earlier op of this group, not stored yet.
        if self
            .pending
            .interaction(interaction_id)
            .is_some_and(|i| i.state.is_terminal())
        {
            return DomainError::Conflict(format!("interaction {interaction_id} has ended")).into();
        }
        match self.store.interaction(self.id(), interaction_id).await {
            Ok(Some(i)) if i.state.is_terminal() => {
                DomainError::Conflict(format!("interaction {interaction_id} has ended")).into()
            }
            Ok(_) => error,
            Err(e) => e.into(),
        }
    }
}

/// Ready at once, or at `retry_at` after a failed turn.
async fn job_turn(retry_at: Option<tokio::time::Instant>) {
    if let Some(at) = retry_at {
        tokio::time::sleep_until(at).await;
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
