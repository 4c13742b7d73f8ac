//! The in-memory state of one contact center and the commands that change it.
//!
//! Methods here are synchronous: they check, mutate, and record what must be written ([`Changes`]),
//! announced (events) and scheduled (timers); the owner task in [`crate::center`] commits and emits.
//! Each command validates before it mutates, so a refused command leaves the state untouched.
//!
//! Routing is delegated to `ccemu-acd`, which sees only dense numeric ids; [`Routing`] maps them to
//! the domain's string ids and turns the ACD's decisions into domain changes.

use crate::sim::SimSettings;
use crate::{EngineError, Result};
use ccemu_acd as acd;
use ccemu_core::agent::{Agent, AgentState, AgentStateLog};
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{
    Channel, Direction, EndReason, EndedBy, Interaction, InteractionState, ParticipantKind,
    ParticipantState, Transfer, TransferStatus,
};
use ccemu_core::queue::{Queue, RoutingStrategy};
use ccemu_core::timer::TimerAction;
use ccemu_core::{DomainError, Entity};
use ccemu_store::{Changes, Document};
use std::collections::{BTreeMap, HashMap};

mod calls;
mod campaigns;
mod contact_lists;
mod contacts;
mod directory;
mod dnc;
mod jobs;
mod messages;
mod presence;
mod scheduled;
mod sessions;
mod telephony;
pub use calls::USER_DATA_KEY;
pub use campaigns::{CampaignAction, CampaignContactPatch, CampaignView, ANSWERED_PRIORITY};
pub use contact_lists::{ContactListEdit, ContactListEntryPatch};
pub use contacts::Annotation;
pub use directory::{
    AgentContact, AgentPatch, AgentView, NewExtension, QueueLimits, QueuePatch,
    MAX_EXTENSIONS_PER_AGENT,
};
pub(crate) use jobs::JobTurn;
pub use messages::NewMessage;
pub use telephony::SettingsEntry;

use crate::notify::{Numbering, SubscriptionPatch};

/// A command against one tenant's contact center.
#[derive(Debug, Clone)]
pub enum Op {
    /// Moves an agent to a state; a timed state (wrap-up or break with `until_ms`) arms a timer.
    SetAgentState {
        /// The agent.
        agent_id: String,
        /// The new state.
        state: AgentState,
    },
    /// A customer contacts a queue (inbound call or chat).
    StartInbound {
        /// Voice, chat, ...
        channel: Channel,
        /// Target queue.
        queue_id: String,
        /// Customer address (phone number, chat nickname).
        from: String,
        /// Dialled address.
        to: String,
        /// Higher is routed first.
        priority: i32,
    },
    /// An agent answers the offer ringing for it (the newest one if `interaction_id` is `None`).
    Answer {
        /// The agent.
        agent_id: String,
        /// The interaction, if the agent rings for several.
        interaction_id: Option<String>,
    },
    /// An agent refuses an offer; the contact goes back to its queue position.
    Reject {
        /// The agent.
        agent_id: String,
        /// The interaction, if the agent rings for several.
        interaction_id: Option<String>,
    },
    /// One side hangs up: a waiting contact abandons, a connected one ends.
    Hangup {
        /// The interaction.
        interaction_id: String,
        /// Who hangs up.
        by: EndedBy,
    },
    /// Puts a connected interaction on hold; its agent stays on the contact.
    Hold {
        /// The interaction.
        interaction_id: String,
    },
    /// Takes a held interaction off hold.
    Resume {
        /// The interaction.
        interaction_id: String,
    },
    /// Hands a connected (or held) interaction over: the agent's leg ends and the agent wraps up.
    Transfer {
        /// The interaction.
        interaction_id: String,
        /// Where it goes.
        target: TransferTarget,
    },
    /// Adds a message to an open interaction's transcript.
    AddMessage {
        /// The interaction.
        interaction_id: String,
        /// What is said, and by whom.
        message: NewMessage,
    },
    /// Creates an outbound campaign in `draft` with its list of contacts (dialled in list order).
    CreateCampaign {
        /// The campaign; status and times are set by the engine.
        campaign: Box<ccemu_core::Campaign>,
        /// The list; ids, status and attempts are set by the engine.
        contacts: Vec<ccemu_core::CampaignContact>,
    },
    /// Starts, pauses, resumes or stops a campaign.
    ControlCampaign {
        /// The campaign.
        campaign_id: String,
        /// What to do.
        action: CampaignAction,
    },
    /// Changes the calls per available agent of a ratio campaign (a predictive one only keeps it).
    SetCampaignRatio {
        /// The campaign.
        campaign_id: String,
        /// Calls per available agent.
        ratio: f64,
    },
    /// Preview mode: the agent shown a contact skips it; nobody is called.
    SkipPreview {
        /// The campaign.
        campaign_id: String,
        /// The campaign contact.
        contact_id: String,
    },
    /// Creates agents (logged out) and extensions, all or none; extensions may name the new agents.
    CreateAgents {
        /// The agents; state and times are set by the engine.
        agents: Vec<Agent>,
        /// Extensions to create with them; passwords are generated.
        extensions: Vec<NewExtension>,
    },
    /// Changes an agent's profile.
    UpdateAgent {
        /// The agent.
        agent_id: String,
        /// What changes.
        patch: AgentPatch,
    },
    /// Deletes an agent that is in no queue and holds no extension, unless `delete_extensions`.
    DeleteAgent {
        /// The agent.
        agent_id: String,
        /// Delete its bound extensions with it instead of refusing.
        delete_extensions: bool,
    },
    /// Creates an extension with a generated password.
    CreateExtension(NewExtension),
    /// Deletes an extension no agent holds.
    DeleteExtension {
        /// Extension number.
        extension_id: String,
    },
    /// Binds extensions to an agent (at most [`MAX_EXTENSIONS_PER_AGENT`]).
    BindExtensions {
        /// The agent.
        agent_id: String,
        /// Extension numbers.
        extension_ids: Vec<String>,
    },
    /// Releases extensions an agent holds.
    UnbindExtensions {
        /// The agent.
        agent_id: String,
        /// Extension numbers.
        extension_ids: Vec<String>,
    },
    /// Creates a queue.
    CreateQueue {
        /// The queue; times are set by the engine.
        queue: Box<Queue>,
        /// The surface's caps.
        limits: QueueLimits,
    },
    /// Changes a queue's settings.
    UpdateQueue {
        /// The queue.
        queue_id: String,
        /// What changes.
        patch: QueuePatch,
        /// The surface's caps.
        limits: QueueLimits,
    },
    /// Deletes a queue without members or waiting contacts.
    DeleteQueue {
        /// The queue.
        queue_id: String,
    },
    /// Makes each agent a member of each queue (additive), all or none.
    AddQueueMembers {
        /// The queues.
        queue_ids: Vec<String>,
        /// The agents.
        agent_ids: Vec<String>,
    },
    /// Removes each agent from each queue, all or none.
    RemoveQueueMembers {
        /// The queues.
        queue_ids: Vec<String>,
        /// The agents.
        agent_ids: Vec<String>,
    },
    /// Stores a surface's own settings for the tenant (replacing them).
    PutSurfaceSettings(ccemu_core::SurfaceSettings),
    /// Makes one relay number the tenant's default caller number, or none.
    SetDefaultRelayNumber {
        /// The number; `None` clears the default.
        number: Option<String>,
    },
    /// Sets or clears an agent's own default caller number (one of the tenant's relay numbers).
    SetAgentCallerNumber {
        /// The agent.
        agent_id: String,
        /// The number; `None` clears it.
        number: Option<String>,
    },
    /// Registers a voice file (metadata only); names are unique.
    CreateVoiceFile(ccemu_core::VoiceFile),
    /// Removes a voice file.
    DeleteVoiceFile {
        /// The file name.
        id: String,
    },
    /// Replaces the default prompts; `wav` prompts must name a registered voice file.
    PutDefaultVoices(ccemu_core::DefaultVoices),
    /// A customer calls one of the tenant's numbers and is routed by its IVR menu to a queue.
    StartIvrCall {
        /// Caller number.
        from: String,
        /// The relay number called; its menu (else the entry menu) answers.
        to: String,
        /// Keys pressed, one per menu level; none takes each menu's default.
        dtmf: String,
        /// Higher is routed first.
        priority: i32,
    },
    /// Replaces the DTMF choices of the entry IVR menu, creating the menu if there is none.
    SetEntryMenuOptions {
        /// The choices.
        options: Vec<ccemu_core::telephony::IvrOption>,
    },
    /// Logs an agent in (or changes the state of one logged in): the agent must be enabled and
    /// hold an extension (else `Invalid` with `field` `enabled` or `extension`). Queues are joined
    /// (additive); a contact number sets the call mode: an extension of the agent's is `voip`,
    /// any other number the `cellphone` number.
    LoginAgent {
        /// The agent.
        agent_id: String,
        /// Available, not ready or on break.
        state: AgentState,
        /// Queues to join.
        queue_ids: Vec<String>,
        /// Where calls reach the agent.
        number: Option<String>,
    },
    /// Sets how an agent's voice calls reach them; `cellphone` needs a mobile number (the one
    /// given, else the agent's), `voip` a bound extension (the one named, if a number is given).
    SetCallMode {
        /// The agent.
        agent_id: String,
        /// The mode.
        mode: ccemu_core::agent::CallMode,
        /// Mobile number (cellphone) or extension (voip).
        number: Option<String>,
    },
    /// An agent places an outbound call: the agent's phone rings, then the customer's (see
    /// `state/calls.rs`). Unmet preconditions answer `Invalid` whose `field` names them:
    /// `agent_state` (not logged in), `extension` (none bound), `call_mode` (cellphone without a
    /// number), `from` (no caller number at all), `to` (blank); a busy agent is a `Conflict`.
    Originate {
        /// The agent who calls.
        agent_id: String,
        /// The number called.
        to: String,
        /// The caller number; `None`: the agent's default, else the tenant's.
        from: Option<String>,
        /// Data attached to the call, stored as given (Udesk `user_data` under [`USER_DATA_KEY`]).
        custom_data: BTreeMap<String, serde_json::Value>,
    },
    /// Replaces the simulation settings.
    PutSimSettings(SimSettings),
    /// Creates or replaces a team; its parent must exist.
    PutTeam(ccemu_core::Team),
    /// Replaces the tenant's own retention limits.
    PutRetention(ccemu_core::TenantRetention),
    /// Creates or replaces a webhook subscription (by id).
    PutSubscription(ccemu_core::Subscription),
    /// Deletes a webhook subscription.
    DeleteSubscription {
        /// Subscription id.
        id: String,
    },
    /// Creates subscriptions numbered within a surface, each number allocated inside the
    /// command; one whose name is taken is not created (see [`Numbering`]).
    CreateNumberedSubscriptions {
        /// How the surface numbers them.
        numbering: Numbering,
        /// The subscriptions; id, surface and creation time are set by the engine.
        subscriptions: Vec<ccemu_core::Subscription>,
    },
    /// Changes a numbered subscription; a new name must not be another's.
    UpdateNumberedSubscription {
        /// How the surface numbers them.
        numbering: Numbering,
        /// The subscription's number.
        number: u64,
        /// What changes.
        patch: SubscriptionPatch,
    },
    /// Changes the subscription `template.id`, creating it from `template` if it is missing
    /// (a surface's own fixed record, like the Udesk app's `CallbackUrl`).
    EditSubscription {
        /// The record as it starts when missing.
        template: Box<ccemu_core::Subscription>,
        /// What changes.
        patch: SubscriptionPatch,
    },
    // --- ujet-calls ---
    /// Annotates an interaction that has not ended: language, parent, end user, and attached
    /// data merged key by key (a `null` value removes the key).
    AnnotateInteraction {
        /// The interaction.
        interaction_id: String,
        /// What changes.
        note: Annotation,
    },
    /// Records an interaction that starts later (a scheduled callback) in state `scheduled`.
    ScheduleInteraction {
        /// Voice, chat, ...
        channel: Channel,
        /// Queue it will wait in, if known.
        queue_id: Option<String>,
        /// Customer address.
        customer: String,
        /// Planned start, tenant epoch ms.
        scheduled_at_ms: i64,
        /// Language, parent, end user and attached data.
        note: Annotation,
    },
    /// Creates or updates the end user (contact) with this identifier; blank fields keep theirs.
    UpsertContact {
        /// The caller-chosen key.
        identifier: String,
        /// Display name.
        name: Option<String>,
        /// Email.
        email: Option<String>,
        /// Phone; an existing phone is not overwritten.
        phone: Option<String>,
        /// Id in the client's CRM.
        external_id: Option<String>,
    },
    // --- ujet-chats ---
    /// Opens a session that no human handles yet (see `state/sessions.rs`): with `bot`, a virtual
    /// agent is connected at once; without, it waits unrouted in `created` (a customer choosing a
    /// menu). [`Op::HandToQueue`] routes it later.
    StartSession {
        /// Chat, messaging, ...
        channel: Channel,
        /// Who started it.
        direction: Direction,
        /// The queue it belongs to (the menu chosen), if known yet.
        queue_id: Option<String>,
        /// Customer address.
        from: String,
        /// Center address.
        to: String,
        /// Name of the virtual agent that takes it first, if any.
        bot: Option<String>,
        /// Surface data stored with it (`custom_data`).
        data: BTreeMap<String, serde_json::Value>,
    },
    /// Hands a session the bot holds (or nobody yet) to a queue, where the ACD routes it to a
    /// human; the bot leaves.
    HandToQueue {
        /// The interaction.
        interaction_id: String,
        /// Target queue; `None`: the interaction's own queue.
        queue_id: Option<String>,
    },
    // --- ujet-agents ---
    /// Logs an agent out now or, while it handles a contact, as soon as its last contact ends
    /// (wrap-up skipped); an agent already logged out stays so (see `state/presence.rs`).
    LogoutAgent {
        /// The agent.
        agent_id: String,
    },
    /// Logs out each agent as [`Op::LogoutAgent`] does, all or none, and files `record` (the
    /// surface's note of it, e.g. UJET's force-logout job) in the same command.
    LogoutAgents {
        /// The agents.
        agent_ids: Vec<String>,
        /// Filed under the next number of its settings record.
        record: Option<SettingsEntry>,
    },
    // --- ujet-dialer ---
    /// Puts a number on the do-not-call list, or changes the expiry of a listed one.
    PutDncEntry {
        /// The number as the client sent it (normalised for matching).
        phone_number: String,
        /// When the entry lapses, tenant epoch ms; `None` never.
        expires_at_ms: Option<i64>,
    },
    /// Takes a number off the do-not-call list.
    RemoveDncEntry {
        /// The number, in any format that normalises to the listed one.
        phone_number: String,
    },
    /// Appends contacts to a campaign that still dials (draft, running or paused).
    AddCampaignContacts {
        /// The campaign.
        campaign_id: String,
        /// The contacts; ids, status and times are set by the engine.
        contacts: Vec<ccemu_core::CampaignContact>,
    },
    /// Changes a campaign contact that has not been dialled yet.
    UpdateCampaignContact {
        /// The campaign.
        campaign_id: String,
        /// The contact record id.
        contact_id: String,
        /// What changes.
        patch: CampaignContactPatch,
    },
    /// Removes a campaign contact that has not been dialled yet (it is never dialled).
    RemoveCampaignContact {
        /// The campaign.
        campaign_id: String,
        /// The contact record id.
        contact_id: String,
    },
    /// Stores a new background job with the tenant's next job id; the engine carries out its
    /// work, if it has any (see [`ccemu_core::JobWork`]).
    CreateJob(Box<ccemu_core::Job>),
    /// Replaces a stored job (a new upload, its start with its steps, a result); refused while
    /// the engine runs the job.
    UpdateJob(Box<ccemu_core::Job>),
    /// Creates, changes or deletes a contact list or its entries.
    EditContactList(ContactListEdit),
}

/// Where a transfer sends an interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// Blind transfer: the contact waits in this queue and is routed like any other contact.
    Queue(String),
    /// Transfer out of the center: the agent's leg ends, this number rings like a dialled callee
    /// and, if it picks up, the customer talks to it.
    Number(String),
}

/// What a command produced.
#[derive(Debug, Clone)]
pub enum OpOutput {
    /// The agent after the command.
    Agent(Box<Agent>),
    /// The interaction after the command.
    Interaction(Box<Interaction>),
    /// The simulation settings after the command.
    SimSettings(SimSettings),
    /// The tenant's own retention limits after the command.
    Retention(ccemu_core::TenantRetention),
    /// The subscription after the command.
    Subscription(Box<ccemu_core::Subscription>),
    /// Subscriptions as created, in the order asked; `None` where one was not (name taken).
    Subscriptions(Vec<Option<ccemu_core::Subscription>>),
    /// The agents are logged out (or will be after their contact).
    LoggedOut {
        /// The number the record was filed under.
        record: Option<u64>,
    },
    /// The campaign after the command.
    Campaign(Box<CampaignView>),
    /// The message as added, with its transcript index.
    Message(Box<ccemu_core::interaction::Message>),
    /// Agents and extensions as created.
    Provisioned {
        /// The agents.
        agents: Vec<Agent>,
        /// The extensions, with their generated passwords.
        extensions: Vec<ccemu_core::telephony::Extension>,
    },
    /// The extension after the command.
    Extension(Box<ccemu_core::telephony::Extension>),
    /// The queue after the command.
    Queue(Box<Queue>),
    /// The queues after a membership change, in the order named.
    Queues(Vec<Queue>),
    /// The IVR menu after the command.
    IvrMenu(Box<ccemu_core::IvrMenu>),
    /// The contact after the command.
    Contact(Box<ccemu_core::Contact>),
    /// The record is gone.
    Deleted,
    // --- ujet-dialer ---
    /// A do-not-call entry after the command.
    DncEntry {
        /// The entry.
        entry: Box<ccemu_core::DncEntry>,
        /// It was not listed before.
        created: bool,
    },
    /// The job after the command.
    Job(Box<ccemu_core::Job>),
    /// The contact list after the command.
    ContactList(Box<ccemu_core::ContactList>),
    /// The team after the command.
    Team(Box<ccemu_core::Team>),
}

/// Counts for metrics.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Tenants.
    pub tenants: usize,
    /// Agents by state name.
    pub agents_by_state: BTreeMap<String, u64>,
    /// Interactions by state name.
    pub interactions_by_state: BTreeMap<String, u64>,
    /// Interactions the routing engine knows by number: the live ones. A count that grew with
    /// the history would be a leak.
    pub routed_contacts: usize,
}

/// Where a command's side effects go: documents, events and timers.
pub(crate) struct Effects<'a> {
    /// The tenant the effects belong to (for the paths of files ccemu serves, like recordings).
    pub tenant: &'a ccemu_core::TenantId,
    pub changes: &'a mut Changes,
    pub events: &'a mut Vec<DomainEvent>,
    pub timers: &'a mut Vec<(i64, TimerAction)>,
}

/// Dense ids for the ACD, both ways.
#[derive(Debug, Default)]
struct Ids {
    by_name: HashMap<String, u64>,
    names: HashMap<u64, String>,
    next: u64,
}

impl Ids {
    fn get_or_insert(&mut self, name: &str) -> u64 {
        if let Some(id) = self.by_name.get(name) {
            return *id;
        }
        self.next += 1;
        self.by_name.insert(name.to_owned(), self.next);
        self.names.insert(self.next, name.to_owned());
        self.next
    }

    fn get(&self, name: &str) -> Option<u64> {
        self.by_name.get(name).copied()
    }

    /// Forgets a name; its number is never given out again.
    fn remove(&mut self, name: &str) {
        if let Some(id) = self.by_name.remove(name) {
            self.names.remove(&id);
        }
    }

    fn name(&self, id: u64) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }
}

/// Teams and skills, which agents and queues name, by id.
#[derive(Debug, Default, Clone)]
pub(crate) struct Catalog {
    pub teams: BTreeMap<String, ccemu_core::Team>,
    pub skills: BTreeMap<String, ccemu_core::Skill>,
}

/// One tenant's working set.
pub(crate) struct State {
    agents: BTreeMap<String, Agent>,
    queues: BTreeMap<String, Queue>,
    extensions: BTreeMap<String, ccemu_core::telephony::Extension>,
    /// Interactions that have not ended; ended ones live in the store only.
    active: BTreeMap<String, Interaction>,
    sim: SimSettings,
    acd: acd::Acd,
    agent_ids: Ids,
    queue_ids: Ids,
    contact_ids: Ids,
    campaigns: campaigns::Campaigns,
    telephony: telephony::Telephony,
    contacts: contacts::Contacts,
    /// Webhook subscriptions, handed to the notifiers at each commit.
    pub subscriptions: crate::notify::Subscriptions,
    /// The surfaces' own settings by id, so a command can change one without reading the store.
    settings: BTreeMap<String, ccemu_core::SurfaceSettings>,
    /// The do-not-call list by normalised number.
    dnc: BTreeMap<String, ccemu_core::DncEntry>,
    /// Teams and skills by id (seeded or imported; no op changes them).
    catalog: Catalog,
    /// Highest job id given out (jobs without work live in the store only).
    last_job_id: u64,
    /// Jobs the engine has work for, by id: the oldest is carried out first.
    jobs: BTreeMap<u64, ccemu_core::Job>,
    /// Custom contact lists by id.
    contact_lists: BTreeMap<String, ccemu_core::ContactList>,
    /// Highest contact list id given out.
    last_contact_list_id: u64,
    /// Highest interaction number given out.
    last_number: u64,
    /// Highest place in line given out ([`Interaction::queue_seq`]).
    last_queue_seq: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            agents: BTreeMap::new(),
            queues: BTreeMap::new(),
            extensions: BTreeMap::new(),
            active: BTreeMap::new(),
            sim: SimSettings::default(),
            acd: acd::Acd::new(0),
            agent_ids: Ids::default(),
            queue_ids: Ids::default(),
            contact_ids: Ids::default(),
            campaigns: Default::default(),
            telephony: Default::default(),
            contacts: Default::default(),
            subscriptions: Default::default(),
            settings: BTreeMap::new(),
            dnc: BTreeMap::new(),
            catalog: Catalog::default(),
            last_job_id: 0,
            jobs: BTreeMap::new(),
            contact_lists: BTreeMap::new(),
            last_contact_list_id: 0,
            last_number: 0,
            last_queue_seq: 0,
        }
    }
}

fn corrupt(e: serde_json::Error) -> EngineError {
    EngineError::Store(e.into())
}

fn not_found(kind: &'static str, id: &str) -> EngineError {
    EngineError::Domain(DomainError::NotFound {
        kind,
        id: id.to_owned(),
    })
}

fn acd_channel(channel: Channel) -> acd::Channel {
    match channel {
        Channel::Voice => acd::Channel::Voice,
        Channel::Chat | Channel::Messaging | Channel::Conversation => acd::Channel::Chat,
        Channel::Errand => acd::Channel::Errand,
    }
}

/// The routing engine's strategy for a domain strategy.
pub fn acd_strategy(strategy: RoutingStrategy) -> acd::Strategy {
    match strategy {
        RoutingStrategy::LongestIdle => acd::Strategy::LongestIdle,
        RoutingStrategy::RoundRobin => acd::Strategy::RoundRobin,
        RoutingStrategy::TopDown => acd::Strategy::TopDown,
        RoutingStrategy::RingAll => acd::Strategy::RingAll,
        RoutingStrategy::RingProgressively => acd::Strategy::RingProgressively,
        RoutingStrategy::LeastTalkTime => acd::Strategy::LeastTalkTime,
        RoutingStrategy::FewestCalls => acd::Strategy::FewestCalls,
        RoutingStrategy::SequentialByOrder => acd::Strategy::SequentialByOrder,
        RoutingStrategy::Random => acd::Strategy::Random,
    }
}

impl State {
    /// Rebuilds the working set from stored documents, then the ACD from the working set:
    /// queues, agents, contacts in progress, waiting contacts in their original order, and
    /// finally the agents that are available. Decisions this produces (offers to agents that were
    /// available while contacts waited) go into `fx` for the caller to commit.
    pub fn from_documents(
        docs: Vec<Document>,
        last_number: u64,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<Self> {
        let mut state = Self {
            last_number,
            ..Self::default()
        };
        let (mut campaigns, mut contacts) = (Vec::new(), Vec::new());
        for doc in docs {
            match doc.kind.as_str() {
                k if k == Agent::KIND => {
                    let agent: Agent = serde_json::from_value(doc.data).map_err(corrupt)?;
                    state.agents.insert(agent.id.clone(), agent);
                }
                k if k == Queue::KIND => {
                    let queue: Queue = serde_json::from_value(doc.data).map_err(corrupt)?;
                    state.queues.insert(queue.id.clone(), queue);
                }
                k if k == ccemu_core::telephony::Extension::KIND => {
                    let e: ccemu_core::telephony::Extension =
                        serde_json::from_value(doc.data).map_err(corrupt)?;
                    state.extensions.insert(e.id.clone(), e);
                }
                k if k == Interaction::KIND => {
                    let i: Interaction = serde_json::from_value(doc.data).map_err(corrupt)?;
                    state.last_number = state.last_number.max(i.number);
                    if !i.state.is_terminal() {
                        state.last_queue_seq = state.last_queue_seq.max(i.queue_seq);
                        state.active.insert(i.id.clone(), i);
                    }
                }
                k if k == SimSettings::KIND => {
                    state.sim = serde_json::from_value(doc.data).map_err(corrupt)?;
                }
                k if k == ccemu_core::Subscription::KIND => state.subscriptions.load(doc.data)?,
                k if k == ccemu_core::SurfaceSettings::KIND => {
                    let s: ccemu_core::SurfaceSettings =
                        serde_json::from_value(doc.data).map_err(corrupt)?;
                    state.settings.insert(s.id.clone(), s);
                }
                k if telephony::Telephony::owns(k) => state.telephony.load(k, doc.data)?,
                k if k == ccemu_core::Contact::KIND => state.contacts.load(doc.data)?,
                k if k == ccemu_core::Campaign::KIND => {
                    campaigns.push(serde_json::from_value(doc.data).map_err(corrupt)?);
                }
                k if k == ccemu_core::Team::KIND => {
                    let team: ccemu_core::Team =
                        serde_json::from_value(doc.data).map_err(corrupt)?;
                    state.catalog.teams.insert(team.id.clone(), team);
                }
                k if k == ccemu_core::Skill::KIND => {
                    let skill: ccemu_core::Skill =
                        serde_json::from_value(doc.data).map_err(corrupt)?;
                    state.catalog.skills.insert(skill.id.clone(), skill);
                }
                k if k == ccemu_core::DncEntry::KIND => {
                    let e: ccemu_core::DncEntry =
                        serde_json::from_value(doc.data).map_err(corrupt)?;
                    state.dnc.insert(e.id.clone(), e);
                }
                k if k == ccemu_core::ContactList::KIND => {
                    let l: ccemu_core::ContactList =
                        serde_json::from_value(doc.data).map_err(corrupt)?;
                    let n = l.id.parse::<u64>().unwrap_or(0);
                    state.last_contact_list_id = state.last_contact_list_id.max(n);
                    state.contact_lists.insert(l.id.clone(), l);
                }
                // Only a job with work is read whole: the others just count for the numbering.
                k if k == ccemu_core::Job::KIND && doc.data.get("work").is_some() => {
                    state.load_job(serde_json::from_value(doc.data).map_err(corrupt)?);
                }
                k if k == ccemu_core::Job::KIND => {
                    let id = doc.data.get("id").and_then(|v| v.as_str());
                    let n = id.and_then(|id| id.parse::<u64>().ok()).unwrap_or(0);
                    state.last_job_id = state.last_job_id.max(n);
                }
                k if k == ccemu_core::CampaignContact::KIND => {
                    contacts.push(serde_json::from_value(doc.data).map_err(corrupt)?);
                }
                _ => {}
            }
        }
        state.acd = acd::Acd::new(state.sim.seed);
        state.campaigns.load(campaigns, contacts);
        state.rebuild_routing(now, fx)?;
        state.restore_sessions();
        state.restore_campaigns()?;
        state.pace(now, fx)?;
        Ok(state)
    }

    fn rebuild_routing(&mut self, now: i64, fx: &mut Effects<'_>) -> Result<()> {
        let queue_ids: Vec<String> = self.queues.keys().cloned().collect();
        // Nothing is waiting and every agent is logged out yet, so these decide nothing.
        for id in &queue_ids {
            self.sync_queue(id, now);
        }
        let agent_ids: Vec<String> = self.agents.keys().cloned().collect();
        for id in &agent_ids {
            self.sync_agent_config(id, now);
        }
        // Contacts in progress: make the ACD count them against their agent's capacity by offering
        // each to its agent alone and accepting it at once.
        let mut in_progress: Vec<(String, String)> = self
            .active
            .values()
            .filter(|i| {
                matches!(
                    i.state,
                    InteractionState::Connected | InteractionState::Held | InteractionState::WrapUp
                )
            })
            .filter_map(|i| Some((i.agent_id.clone()?, i.id.clone())))
            .collect();
        in_progress.sort();
        for (agent_id, interaction_id) in in_progress {
            let Some(aid) = self.agent_ids.get(&agent_id) else {
                continue;
            };
            let aid = acd::AgentId(aid as u32);
            let _ = self.acd.agent_ready(aid, now);
            if let Some(spec) = self.contact_spec(&interaction_id) {
                let cid = spec.id;
                if let Ok(decisions) = self.acd.enqueue(spec, now) {
                    let offered = decisions.iter().any(|d| {
                        matches!(d, acd::Decision::Offer { contact, agent, .. } if *contact == cid && *agent == aid)
                    });
                    if offered {
                        let _ = self.acd.accept(cid, aid, now);
                    } else {
                        let _ = self.acd.abandon(cid, now);
                    }
                }
            }
            let _ = self.acd.agent_not_ready(aid, now);
        }
        // Waiting contacts in their order in line; a contact that was ringing is re-offered. An
        // agent's own call rings on for its agent: its timers were persisted with it.
        let mut waiting: Vec<(u64, i64, String)> = self
            .active
            .values()
            .filter(|i| !calls::is_direct(i))
            .filter(|i| {
                matches!(
                    i.state,
                    InteractionState::Queued
                        | InteractionState::Offered
                        | InteractionState::Ringing
                )
            })
            .map(|i| {
                let queued_at = i.queued_at_ms.unwrap_or(i.created_at_ms);
                (i.queue_seq, queued_at, i.id.clone())
            })
            .collect();
        waiting.sort();
        // The routing engine orders a queue by enqueue time, then by arrival: enqueue times
        // that never go back along the line keep it in exactly this order.
        let mut line_ends: HashMap<String, i64> = HashMap::new();
        for (_, queued_at, interaction_id) in waiting {
            let requeue = {
                let i = &self.active[&interaction_id];
                i.state != InteractionState::Queued
            };
            if requeue {
                let i = self
                    .active
                    .get_mut(&interaction_id)
                    .ok_or_else(|| not_found("interaction", &interaction_id))?;
                let agent = i.agent_id.take();
                i.set_state(InteractionState::Queued, now)?;
                let i = i.clone();
                fx.changes.put(&i)?;
                fx.events.push(DomainEvent::InteractionQueued {
                    interaction_id: i.id.clone(),
                    queue_id: i.queue_id.clone().unwrap_or_default(),
                });
                if let Some(agent_id) = agent {
                    if let Some(a) = self.agents.get_mut(&agent_id) {
                        if matches!(a.state, AgentState::Ringing | AgentState::Reserved) {
                            let log = a.set_state(AgentState::Available, now)?;
                            let a = a.clone();
                            record_state_change(&a, &log, fx)?;
                        }
                    }
                }
            }
            let queue = self.active[&interaction_id]
                .queue_id
                .clone()
                .unwrap_or_default();
            let end = line_ends.entry(queue).or_insert(i64::MIN);
            *end = (*end).max(queued_at.min(now));
            let enqueued_at = *end;
            if let Some(spec) = self.contact_spec(&interaction_id) {
                // The original enqueue time keeps waiting times and the place in line.
                let _ = self.acd.enqueue(spec, enqueued_at);
            }
        }
        let mut decisions = Vec::new();
        for id in &agent_ids {
            decisions.extend(self.sync_agent_availability(id, now));
        }
        self.apply_decisions(decisions, now, fx)
    }

    /// The next place in line: taken each time an interaction enters a queue (not when it goes
    /// back to its place after a ring nobody answered).
    pub(crate) fn next_queue_seq(&mut self) -> u64 {
        self.last_queue_seq += 1;
        self.last_queue_seq
    }

    /// A new interaction with a fresh id and the tenant's next number. The id is a UUIDv7: ids
    /// made one after the other sort together, so the tables keyed by it take each new row
    /// beside the last one instead of at a random page of their index.
    pub(crate) fn new_interaction(
        &mut self,
        channel: Channel,
        direction: Direction,
        now: i64,
    ) -> Interaction {
        self.last_number += 1;
        let mut i = Interaction::new(uuid::Uuid::now_v7().to_string(), channel, direction, now);
        i.number = self.last_number;
        i
    }

    /// The tenant's teams and skills.
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Adds this tenant's counts to `stats`.
    pub fn count(&self, stats: &mut Stats) {
        for agent in self.agents.values() {
            *stats
                .agents_by_state
                .entry(agent.state.name().to_owned())
                .or_default() += 1;
        }
        for i in self.active.values() {
            *stats
                .interactions_by_state
                .entry(i.state.name().to_owned())
                .or_default() += 1;
        }
        stats.routed_contacts += self.contact_ids.by_name.len();
    }

    /// Drops the routing engine's number of an interaction that has ended and left the working
    /// set; without this, every interaction ever routed kept its id twice in memory.
    pub fn forget_ended(&mut self, interaction_id: &str) {
        if !self.active.contains_key(interaction_id) {
            self.contact_ids.remove(interaction_id);
        }
    }

    /// The earliest moment the ACD (ring timeout, delay end, ...) or the dialer (a redial) has
    /// something to do.
    pub fn next_deadline(&self) -> Option<i64> {
        match (self.acd.next_deadline(), self.campaigns.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Lets the ACD and the dialer act on everything due at `now`.
    pub fn advance(&mut self, now: i64, fx: &mut Effects<'_>) -> Result<()> {
        let decisions = self.acd.advance(now);
        self.apply_decisions(decisions, now, fx)?;
        self.pace(now, fx)
    }

    /// The waiting contacts of a queue in routing order.
    pub fn waiting(&self, queue_id: &str) -> Result<Vec<String>> {
        let qid = self
            .queue_ids
            .get(queue_id)
            .ok_or_else(|| not_found("queue", queue_id))?;
        let waiting = self
            .acd
            .waiting(acd::QueueId(qid as u32))
            .map_err(|_| not_found("queue", queue_id))?;
        Ok(waiting
            .into_iter()
            .filter_map(|c| self.contact_ids.name(c.0).map(str::to_owned))
            .collect())
    }

    /// The current simulation settings.
    pub fn sim(&self) -> &SimSettings {
        &self.sim
    }

    /// An agent, for notifiers.
    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.get(id)
    }

    /// How many messages each open interaction holds.
    pub fn message_counts(&self) -> std::collections::HashMap<String, u32> {
        self.active
            .values()
            .map(|i| {
                (
                    i.id.clone(),
                    u32::try_from(i.messages.len()).unwrap_or(u32::MAX),
                )
            })
            .collect()
    }

    /// Every interaction that has not ended, by id.
    pub fn open_interactions(&self) -> Vec<Interaction> {
        self.active.values().cloned().collect()
    }

    /// An interaction that has not ended, for notifiers.
    pub fn interaction(&self, id: &str) -> Option<&Interaction> {
        self.active.get(id)
    }

    /// An extension, for notifiers.
    pub fn extension(&self, id: &str) -> Option<&ccemu_core::telephony::Extension> {
        self.extensions.get(id)
    }

    /// The extensions bound to an agent, by number, for notifiers.
    pub fn extensions_of<'a>(
        &'a self,
        agent_id: &'a str,
    ) -> impl Iterator<Item = &'a ccemu_core::telephony::Extension> + 'a {
        self.extensions
            .values()
            .filter(move |e| e.agent_id.as_deref() == Some(agent_id))
    }

    /// Applies a command, then lets the dialer pace against what it changed.
    pub fn apply(&mut self, op: Op, now: i64, fx: &mut Effects<'_>) -> Result<OpOutput> {
        let output = self.apply_op(op, now, fx)?;
        self.pace(now, fx)?;
        Ok(match output {
            // Pacing may have dialled right after a start.
            OpOutput::Campaign(view) => {
                OpOutput::Campaign(Box::new(self.campaign_view(&view.campaign.id)?))
            }
            other => other,
        })
    }

    fn apply_op(&mut self, op: Op, now: i64, fx: &mut Effects<'_>) -> Result<OpOutput> {
        match op {
            Op::SetAgentState { agent_id, state } => {
                self.set_agent_state(&agent_id, state, now, fx)?;
                let agent = self
                    .agents
                    .get(&agent_id)
                    .ok_or_else(|| not_found("agent", &agent_id))?;
                Ok(OpOutput::Agent(Box::new(agent.clone())))
            }
            Op::StartInbound {
                channel,
                queue_id,
                from,
                to,
                priority,
            } => self.start_inbound(channel, &queue_id, from, to, priority, now, fx),
            Op::Answer {
                agent_id,
                interaction_id,
            } => {
                let id = self.ringing_for(&agent_id, interaction_id)?;
                self.answer(&id, &agent_id, now, fx)?;
                self.interaction_output(&id)
            }
            Op::Reject {
                agent_id,
                interaction_id,
            } => {
                let id = self.ringing_for(&agent_id, interaction_id)?;
                if self.is_direct_call(&id) {
                    // Refusing one's own call ends it.
                    let ended = self.hangup_direct(&id, EndedBy::Agent, now, fx)?;
                    return Ok(OpOutput::Interaction(Box::new(ended)));
                }
                let cid = self.contact_id(&id)?;
                let aid = self.agent_id(&agent_id)?;
                let decisions = self.acd.reject(cid, aid, now).map_err(acd_error)?;
                self.apply_decisions(decisions, now, fx)?;
                // The ACD answers a refusal with no decision about the agent (only its reject
                // delay): the agent's own state follows here.
                self.ring_ended(&agent_id, now, fx)?;
                self.interaction_output(&id)
            }
            Op::Hangup { interaction_id, by } => {
                let ended = self.hangup(&interaction_id, by, now, fx)?;
                Ok(OpOutput::Interaction(Box::new(ended)))
            }
            Op::Hold { interaction_id } => self.hold(&interaction_id, true, now, fx),
            Op::Resume { interaction_id } => self.hold(&interaction_id, false, now, fx),
            Op::Transfer {
                interaction_id,
                target,
            } => self.transfer(&interaction_id, target, now, fx),
            Op::AddMessage {
                interaction_id,
                message,
            } => self.add_message(&interaction_id, message, now, fx),
            Op::CreateAgents { agents, extensions } => {
                self.create_agents(agents, extensions, now, fx)
            }
            Op::UpdateAgent { agent_id, patch } => self.update_agent(&agent_id, patch, now, fx),
            Op::DeleteAgent {
                agent_id,
                delete_extensions,
            } => self.delete_agent(&agent_id, delete_extensions, now, fx),
            Op::CreateExtension(extension) => self.create_extension(extension, fx),
            Op::DeleteExtension { extension_id } => self.delete_extension(&extension_id, fx),
            Op::BindExtensions {
                agent_id,
                extension_ids,
            } => self.bind_extensions(&agent_id, &extension_ids, fx),
            Op::UnbindExtensions {
                agent_id,
                extension_ids,
            } => self.unbind_extensions(&agent_id, &extension_ids, fx),
            Op::CreateQueue { queue, limits } => self.create_queue(*queue, limits, now, fx),
            Op::UpdateQueue {
                queue_id,
                patch,
                limits,
            } => self.update_queue(&queue_id, patch, limits, now, fx),
            Op::DeleteQueue { queue_id } => self.delete_queue(&queue_id, fx),
            Op::AddQueueMembers {
                queue_ids,
                agent_ids,
            } => self.change_members(&queue_ids, &agent_ids, true, now, fx),
            Op::RemoveQueueMembers {
                queue_ids,
                agent_ids,
            } => self.change_members(&queue_ids, &agent_ids, false, now, fx),
            Op::PutRetention(mut retention) => {
                retention.id = ccemu_core::TenantRetention::ID.to_owned();
                fx.changes.put(&retention)?;
                Ok(OpOutput::Retention(retention))
            }
            Op::PutTeam(team) => self.put_team(team, fx),
            Op::PutSimSettings(settings) => {
                settings.validate()?;
                fx.changes.put(&settings)?;
                self.sim = settings.clone();
                // Ring timeouts and no-answer limits live in each agent's routing profile.
                let ids: Vec<String> = self.agents.keys().cloned().collect();
                let mut decisions = Vec::new();
                for id in ids {
                    decisions.extend(self.sync_agent_config(&id, now));
                    decisions.extend(self.sync_agent_availability(&id, now));
                }
                self.apply_decisions(decisions, now, fx)?;
                Ok(OpOutput::SimSettings(settings))
            }
            Op::CreateCampaign { campaign, contacts } => {
                self.create_campaign(*campaign, contacts, now, fx)
            }
            Op::ControlCampaign {
                campaign_id,
                action,
            } => self.control_campaign(&campaign_id, action, now, fx),
            Op::SetCampaignRatio { campaign_id, ratio } => {
                self.set_campaign_ratio(&campaign_id, ratio, now, fx)
            }
            Op::SkipPreview {
                campaign_id,
                contact_id,
            } => self.skip_preview(&campaign_id, &contact_id, now, fx),
            op @ (Op::PutSurfaceSettings(_)
            | Op::SetDefaultRelayNumber { .. }
            | Op::SetAgentCallerNumber { .. }
            | Op::CreateVoiceFile(_)
            | Op::DeleteVoiceFile { .. }
            | Op::PutDefaultVoices(_)
            | Op::SetEntryMenuOptions { .. }
            | Op::StartIvrCall { .. }) => self.apply_telephony(op, now, fx),
            Op::LoginAgent {
                agent_id,
                state,
                queue_ids,
                number,
            } => self.login_agent(&agent_id, state, &queue_ids, number, now, fx),
            Op::SetCallMode {
                agent_id,
                mode,
                number,
            } => self.set_call_mode(&agent_id, mode, number, now, fx),
            Op::Originate {
                agent_id,
                to,
                from,
                custom_data,
            } => self.originate(&agent_id, to, from, custom_data, now, fx),
            Op::PutSubscription(sub) => self.subscriptions.put(sub, fx.changes),
            Op::DeleteSubscription { id } => self.subscriptions.delete(&id, fx.changes),
            Op::CreateNumberedSubscriptions {
                numbering,
                subscriptions,
            } => self
                .subscriptions
                .create_numbered(&numbering, subscriptions, now, fx.changes),
            Op::UpdateNumberedSubscription {
                numbering,
                number,
                patch,
            } => self
                .subscriptions
                .update_numbered(&numbering, number, patch, fx.changes),
            Op::EditSubscription { template, patch } => {
                self.subscriptions.edit(*template, patch, now, fx.changes)
            }
            op @ (Op::AnnotateInteraction { .. }
            | Op::ScheduleInteraction { .. }
            | Op::UpsertContact { .. }) => self.apply_contacts(op, now, fx),
            op @ (Op::StartSession { .. } | Op::HandToQueue { .. }) => {
                self.apply_session(op, now, fx)
            }
            Op::LogoutAgent { agent_id } => self.logout_agent(&agent_id, now, fx),
            Op::LogoutAgents { agent_ids, record } => {
                for agent_id in &agent_ids {
                    self.logout_agent(agent_id, now, fx)?;
                }
                let record = match record {
                    Some(entry) => Some(self.file_settings_entry(entry, now, fx)?),
                    None => None,
                };
                Ok(OpOutput::LoggedOut { record })
            }
            Op::PutDncEntry {
                phone_number,
                expires_at_ms,
            } => self.put_dnc_entry(&phone_number, expires_at_ms, now, fx),
            Op::RemoveDncEntry { phone_number } => self.remove_dnc_entry(&phone_number, fx),
            Op::AddCampaignContacts {
                campaign_id,
                contacts,
            } => self.add_campaign_contacts(&campaign_id, contacts, now, fx),
            Op::UpdateCampaignContact {
                campaign_id,
                contact_id,
                patch,
            } => self.update_campaign_contact(&campaign_id, &contact_id, patch, now, fx),
            Op::RemoveCampaignContact {
                campaign_id,
                contact_id,
            } => self.remove_campaign_contact(&campaign_id, &contact_id, now, fx),
            Op::CreateJob(job) => self.create_job(*job, now, fx),
            Op::UpdateJob(job) => self.update_job(*job, now, fx),
            Op::EditContactList(edit) => self.edit_contact_list(edit, now, fx),
        }
    }

    fn interaction_output(&self, id: &str) -> Result<OpOutput> {
        let i = self
            .active
            .get(id)
            .ok_or_else(|| not_found("interaction", id))?;
        Ok(OpOutput::Interaction(Box::new(i.clone())))
    }

    /// Applies a timer that fell due, then lets the dialer pace.
    pub fn apply_timer(
        &mut self,
        action: &TimerAction,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        self.apply_timer_action(action, now, fx)?;
        self.pace(now, fx)
    }

    fn apply_timer_action(
        &mut self,
        action: &TimerAction,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        match action {
            TimerAction::AgentStateEnds { agent_id } => {
                let agent = self.agent_mut(agent_id)?;
                // A stale timer (the agent already left the timed state) does nothing.
                if let Some(log) = agent.end_timed_state(now) {
                    let agent = agent.clone();
                    record_state_change(&agent, &log, fx)?;
                    let decisions = self.sync_agent_availability(agent_id, now);
                    self.apply_decisions(decisions, now, fx)?;
                }
                Ok(())
            }
            TimerAction::SimAnswer {
                interaction_id,
                agent_id,
            } => {
                let ringing = self.active.get(interaction_id).is_some_and(|i| {
                    i.state == InteractionState::Ringing && i.agent_id.as_deref() == Some(agent_id)
                });
                if ringing && self.sim.auto {
                    self.answer(interaction_id, agent_id, now, fx)?;
                }
                Ok(())
            }
            TimerAction::SimHangup {
                interaction_id,
                agent_id,
            } => {
                // A talk timer of an agent who has transferred the contact away is stale.
                let connected = self.active.get(interaction_id).is_some_and(|i| {
                    matches!(
                        i.state,
                        InteractionState::Connected | InteractionState::Held
                    ) && (agent_id.is_none() || i.agent_id == *agent_id)
                });
                if connected && self.sim.auto {
                    self.hangup(interaction_id, EndedBy::Agent, now, fx)?;
                }
                Ok(())
            }
            TimerAction::SimDialResult { interaction_id }
                if self.is_direct_call(interaction_id)
                    || self.is_transferred_out(interaction_id) =>
            {
                self.direct_dial_result(interaction_id, now, fx)
            }
            TimerAction::SimDialResult { interaction_id } => {
                self.dial_result(interaction_id, now, fx)
            }
            TimerAction::StartScheduled { interaction_id } => {
                self.start_scheduled(interaction_id, now, fx)
            }
            TimerAction::SimAbandon { interaction_id } => {
                let waiting = self
                    .active
                    .get(interaction_id)
                    .is_some_and(|i| i.state.is_waiting());
                if waiting {
                    self.hangup(interaction_id, EndedBy::Customer, now, fx)?;
                }
                Ok(())
            }
        }
    }

    fn set_agent_state(
        &mut self,
        agent_id: &str,
        state: AgentState,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        // An agent's own call moves its agent itself (ringing, talking, then free again).
        self.check_not_on_direct_call(agent_id)?;
        let until = state.until_ms();
        let agent = self.agent_mut(agent_id)?;
        let log = agent.set_state(state, now)?;
        let agent = agent.clone();
        if let Some(due) = until {
            fx.timers.push((
                due,
                TimerAction::AgentStateEnds {
                    agent_id: agent_id.to_owned(),
                },
            ));
        }
        record_state_change(&agent, &log, fx)?;
        let decisions = self.sync_agent_availability(agent_id, now);
        self.apply_decisions(decisions, now, fx)
    }

    #[allow(clippy::too_many_arguments)]
    fn start_inbound(
        &mut self,
        channel: Channel,
        queue_id: &str,
        from: String,
        to: String,
        priority: i32,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let queue = self
            .queues
            .get(queue_id)
            .ok_or_else(|| not_found("queue", queue_id))?;
        if !queue.serves(channel) {
            return Err(DomainError::Invalid {
                field: "channel",
                reason: format!("queue {queue_id} does not take {channel:?} contacts"),
            }
            .into());
        }
        let mut i = self.new_interaction(channel, Direction::Inbound, now);
        let id = i.id.clone();
        i.queue_id = Some(queue_id.to_owned());
        i.from = from.clone();
        i.to = to;
        i.priority = priority;
        i.queue_seq = self.next_queue_seq();
        i.add_participant(ParticipantKind::Customer, None, None, from, now)?;
        let spec = acd::ContactSpec {
            id: acd::ContactId(self.contact_ids.get_or_insert(&id)),
            queue: acd::QueueId(self.queue_ids.get_or_insert(queue_id) as u32),
            channel: acd_channel(channel),
            priority,
            required_skills: Vec::new(),
        };
        let decisions = match self.acd.enqueue(spec, now) {
            Ok(d) => d,
            Err(acd::AcdError::QueueFull(_)) => {
                return Err(DomainError::LimitExceeded(format!("queue {queue_id} is full")).into())
            }
            Err(e) => return Err(acd_error(e)),
        };
        i.set_state(InteractionState::Queued, now)?;
        fx.events.push(DomainEvent::InteractionCreated {
            interaction_id: id.clone(),
            channel,
            direction: Direction::Inbound,
            queue_id: Some(queue_id.to_owned()),
            agent_id: None,
        });
        fx.events.push(DomainEvent::InteractionQueued {
            interaction_id: id.clone(),
            queue_id: queue_id.to_owned(),
        });
        if channel == Channel::Chat {
            self.sim_first_message(&mut i, now, fx)?;
        }
        self.arm_patience(&id, now, fx);
        fx.changes.put(&i)?;
        let snapshot = i.clone();
        self.active.insert(id.clone(), i);
        self.apply_decisions(decisions, now, fx)?;
        Ok(OpOutput::Interaction(Box::new(
            self.active.get(&id).cloned().unwrap_or(snapshot),
        )))
    }

    /// A simulated customer who waits in a queue hangs up after its patience runs out.
    fn arm_patience(&self, interaction_id: &str, now: i64, fx: &mut Effects<'_>) {
        if let Some(patience) = self.sim.patience {
            let due = now.saturating_add(
                patience.sample(self.sim.seed, &format!("patience:{interaction_id}")),
            );
            fx.timers.push((
                due,
                TimerAction::SimAbandon {
                    interaction_id: interaction_id.to_owned(),
                },
            ));
        }
    }

    fn answer(
        &mut self,
        interaction_id: &str,
        agent_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        if self.is_direct_call(interaction_id) {
            return self.answer_direct(interaction_id, agent_id, now, fx);
        }
        let cid = self.contact_id(interaction_id)?;
        let aid = self.agent_id(agent_id)?;
        let decisions = self.acd.accept(cid, aid, now).map_err(acd_error)?;
        let i = self
            .active
            .get_mut(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        i.set_state(InteractionState::Connected, now)?;
        i.agent_id = Some(agent_id.to_owned());
        let name = self
            .agents
            .get(agent_id)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        let pid = i.add_participant(
            ParticipantKind::Agent,
            Some(agent_id.to_owned()),
            None,
            name,
            now,
        )?;
        fx.events.push(DomainEvent::InteractionAnswered {
            interaction_id: interaction_id.to_owned(),
            agent_id: Some(agent_id.to_owned()),
        });
        // A transferred contact is handed over once an agent of the target takes it.
        settle_transfer(i, true, now, fx)?;
        let callee_rings = self.campaign_call_connected(interaction_id, now, fx)?;
        let i = self
            .active
            .get_mut(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        if let Some(p) = i.participant_mut(&pid) {
            p.connect(now);
        }
        // The customer is on the line from the answer on, unless this answer confirmed a
        // campaign preview and only now dials the callee.
        if let Some(p) = calls::customer(i) {
            if callee_rings {
                p.state = ParticipantState::Ringing;
            } else {
                p.connect(now);
            }
        }
        let i = i.clone();
        fx.changes.put(&i)?;
        let agent = self.agent_mut(agent_id)?;
        if agent.state != AgentState::OnContact {
            let log = agent.set_state(AgentState::OnContact, now)?;
            let agent = agent.clone();
            record_state_change(&agent, &log, fx)?;
        }
        if !callee_rings {
            self.arm_talk_time(interaction_id, agent_id, now, fx);
        }
        self.apply_decisions(decisions, now, fx)
    }

    /// With `auto`, the simulated agent hangs up once the talk time has passed.
    fn arm_talk_time(&self, interaction_id: &str, agent_id: &str, now: i64, fx: &mut Effects<'_>) {
        if self.sim.auto {
            let talk = self
                .sim
                .talk_time
                .sample(self.sim.seed, &format!("talk:{interaction_id}"));
            fx.timers.push((
                now.saturating_add(talk),
                TimerAction::SimHangup {
                    interaction_id: interaction_id.to_owned(),
                    agent_id: Some(agent_id.to_owned()),
                },
            ));
        }
    }

    fn hangup(
        &mut self,
        interaction_id: &str,
        by: EndedBy,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<Interaction> {
        let i = self
            .active
            .get(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        // A callback not started yet is in no queue: calling it off just ends it.
        if i.state == InteractionState::Scheduled {
            return self.call_off_scheduled(interaction_id, by, now, fx);
        }
        if calls::is_direct(i) || self.is_transferred_out(interaction_id) {
            return self.hangup_direct(interaction_id, by, now, fx);
        }
        if self.attempt_pending(interaction_id) {
            return Err(DomainError::Conflict(format!(
                "interaction {interaction_id} is a campaign attempt still being previewed or dialled"
            ))
            .into());
        }
        let cid = self.contact_id(interaction_id)?;
        let waiting = i.state.is_waiting();
        let agent_id = i.agent_id.clone();
        let mut decisions = Vec::new();
        if waiting {
            decisions.extend(self.acd.abandon(cid, now).map_err(acd_error)?);
        }
        let mut i = self
            .active
            .remove(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        let reason = if waiting {
            EndReason::Abandoned
        } else {
            EndReason::Normal
        };
        if waiting {
            settle_transfer(&mut i, false, now, fx)?;
        }
        // Read before the end releases the participants: where the current agent's leg began.
        let leg = if waiting { None } else { leg_start(&i) };
        let end = i.end(by, reason, now);
        if let Err(e) = end {
            self.active.insert(interaction_id.to_owned(), i);
            return Err(e.into());
        }
        if let Some(start) = leg {
            record(&mut i, fx.tenant, start, now);
        }
        fx.changes.put(&i)?;
        if i.state == InteractionState::Abandoned {
            fx.events.push(DomainEvent::InteractionAbandoned {
                interaction_id: interaction_id.to_owned(),
                queue_id: i.queue_id.clone(),
            });
        } else {
            fx.events.push(DomainEvent::InteractionEnded {
                interaction_id: interaction_id.to_owned(),
                ended_by: by,
                reason,
            });
        }
        if !waiting {
            if let Some(agent_id) = agent_id {
                decisions.extend(self.end_agent_leg(&agent_id, cid, now, fx)?);
            }
        }
        let contact_status = if waiting {
            ccemu_core::CampaignContactStatus::AbandonedByContact
        } else {
            ccemu_core::CampaignContactStatus::Finished
        };
        self.campaign_call_ended(interaction_id, contact_status, now, fx)?;
        self.apply_decisions(decisions, now, fx)?;
        Ok(i)
    }

    /// Ends an agent's part in a connected contact: the ACD frees the slot and the agent wraps up
    /// (or is available at once), unless it still holds another contact. The contact must no
    /// longer be counted as the agent's in `active` (ended, or waiting again).
    fn end_agent_leg(
        &mut self,
        agent_id: &str,
        cid: acd::ContactId,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<Vec<acd::Decision>> {
        // The engine owns wrap-up: the ACD sees the agent as not ready until it ends.
        let aid = self.agent_id(agent_id)?;
        let _ = self.acd.agent_not_ready(aid, now);
        let mut decisions = self.acd.complete(cid, aid, 0, now).map_err(acd_error)?;
        decisions.extend(self.release_agent(agent_id, now, fx)?);
        Ok(decisions)
    }

    /// The agent's part in a contact the ACD no longer counts (or never did, for an agent's own
    /// call) is over: the agent wraps up, or is available at once, unless it holds another.
    fn release_agent(
        &mut self,
        agent_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<Vec<acd::Decision>> {
        let mut decisions = Vec::new();
        let wrap_ms = match self.sim.wrap_up_ms {
            Some(ms) => ms,
            None => i64::from(self.agents.get(agent_id).map_or(0, |a| a.wrap_up_secs)) * 1000,
        };
        let still_busy = self
            .active
            .values()
            .any(|other| other.agent_id.as_deref() == Some(agent_id) && !other.state.is_waiting());
        if !still_busy
            && self
                .agents
                .get(agent_id)
                .is_some_and(|a| a.logout_after_contact)
        {
            self.finish_pending_logout(agent_id, now, fx)?;
        } else if !still_busy {
            let next = if wrap_ms > 0 {
                AgentState::WrapUp {
                    until_ms: Some(now.saturating_add(wrap_ms)),
                }
            } else {
                AgentState::Available
            };
            self.set_agent_state(agent_id, next, now, fx)?;
        } else {
            decisions.extend(self.sync_agent_availability(agent_id, now));
        }
        Ok(decisions)
    }

    /// Hold (`hold`) or resume a connected interaction.
    fn hold(
        &mut self,
        interaction_id: &str,
        hold: bool,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        self.check_customer_on_line(interaction_id)?;
        let i = self
            .active
            .get_mut(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        let to = if hold {
            InteractionState::Held
        } else {
            InteractionState::Connected
        };
        // The state machine also lets a waiting contact connect; resuming is only from hold.
        if !hold && i.state != InteractionState::Held {
            return Err(DomainError::IllegalTransition {
                kind: "interaction",
                from: i.state.to_string(),
                to: to.to_string(),
            }
            .into());
        }
        i.set_state(to, now)?;
        let i = i.clone();
        fx.changes.put(&i)?;
        let interaction_id = interaction_id.to_owned();
        fx.events.push(if hold {
            DomainEvent::InteractionHeld { interaction_id }
        } else {
            DomainEvent::InteractionResumed { interaction_id }
        });
        Ok(OpOutput::Interaction(Box::new(i)))
    }

    /// Blind transfer: the agent's leg ends (reason `transferred_out`, then wrap-up) and the
    /// contact enters the target queue, where the ACD routes it like any other. The transfer is
    /// completed when an agent answers there, failed if the customer leaves first.
    fn transfer(
        &mut self,
        interaction_id: &str,
        target: TransferTarget,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let queue_id = match target {
            TransferTarget::Queue(queue_id) if !self.is_direct_call(interaction_id) => queue_id,
            other => return self.transfer_call(interaction_id, other, now, fx),
        };
        let mut i = self
            .active
            .get(interaction_id)
            .cloned()
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        let queue = self
            .queues
            .get(&queue_id)
            .ok_or_else(|| not_found("queue", &queue_id))?;
        if !queue.serves(i.channel) {
            return Err(DomainError::Invalid {
                field: "queue_id",
                reason: format!("queue {queue_id} does not take {:?} contacts", i.channel),
            }
            .into());
        }
        // Checked before anything changes: the ACD would refuse the enqueue only after the
        // agent's leg had already ended.
        let in_queue = self
            .active
            .values()
            .filter(|o| o.queue_id.as_deref() == Some(&queue_id) && o.state.is_waiting())
            .count();
        if queue.max_length > 0 && in_queue >= queue.max_length as usize {
            return Err(DomainError::LimitExceeded(format!("queue {queue_id} is full")).into());
        }
        let transfer = ccemu_core::interaction::Transfer {
            id: uuid::Uuid::new_v4().to_string(),
            status: TransferStatus::Transferring,
            from_agent_id: None,
            to_agent_id: None,
            from_queue_id: None,
            to_queue_id: Some(queue_id.clone()),
            to_number: None,
            created_at_ms: now,
        };
        if self.attempt_pending(interaction_id) {
            return Err(DomainError::Conflict(format!(
                "interaction {interaction_id} is a campaign attempt still being dialled"
            ))
            .into());
        }
        // Refuses anything but a connected or held contact, before any change.
        i.start_transfer(transfer)?;
        let agent_id = i.agent_id.clone().ok_or_else(|| {
            DomainError::Conflict(format!("interaction {interaction_id} has no agent"))
        })?;
        let cid = self.contact_id(interaction_id)?;
        self.agent_id(&agent_id)?;
        if i.state == InteractionState::Held {
            // The customer leaves hold for the target queue.
            i.set_state(InteractionState::Connected, now)?;
            fx.events.push(DomainEvent::InteractionResumed {
                interaction_id: interaction_id.to_owned(),
            });
        }
        if let Some(t) = i.transfers.last() {
            fx.events.push(transferred(interaction_id, t));
        }
        if let Some(start) = leg_start(&i) {
            record(&mut i, fx.tenant, start, now);
        }
        if let Some(p) = i.agent_participant_mut(&agent_id) {
            p.leave(now);
            p.left_reason = Some(EndReason::TransferredOut);
        }
        i.set_state(InteractionState::Queued, now)?;
        i.queue_id = Some(queue_id.clone());
        i.queue_seq = self.next_queue_seq();
        i.agent_id = None;
        fx.changes.put(&i)?;
        fx.events.push(DomainEvent::InteractionQueued {
            interaction_id: interaction_id.to_owned(),
            queue_id,
        });
        self.active.insert(interaction_id.to_owned(), i);
        let mut decisions = self.end_agent_leg(&agent_id, cid, now, fx)?;
        let spec = self
            .contact_spec(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        decisions.extend(self.acd.enqueue(spec, now).map_err(acd_error)?);
        self.apply_decisions(decisions, now, fx)?;
        self.interaction_output(interaction_id)
    }

    /// Turns routing decisions into domain changes, events and simulator timers.
    fn apply_decisions(
        &mut self,
        decisions: Vec<acd::Decision>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        for decision in decisions {
            match decision {
                acd::Decision::Offer { contact, agent, .. } => {
                    let (Some(iid), Some(aid)) = (
                        self.contact_ids.name(contact.0).map(str::to_owned),
                        self.agent_ids.name(u64::from(agent.0)).map(str::to_owned),
                    ) else {
                        continue;
                    };
                    let Some(i) = self.active.get_mut(&iid) else {
                        continue;
                    };
                    i.set_state(InteractionState::Offered, now)?;
                    i.set_state(InteractionState::Ringing, now)?;
                    i.agent_id = Some(aid.clone());
                    let i = i.clone();
                    fx.changes.put(&i)?;
                    fx.events.push(DomainEvent::InteractionOffered {
                        interaction_id: iid.clone(),
                        agent_id: aid.clone(),
                    });
                    fx.events.push(DomainEvent::InteractionRinging {
                        interaction_id: iid.clone(),
                        agent_id: aid.clone(),
                    });
                    let a = self.agent_mut(&aid)?;
                    if a.state.can_change_to(&AgentState::Ringing)
                        && a.state != AgentState::OnContact
                    {
                        let log = a.set_state(AgentState::Ringing, now)?;
                        let a = a.clone();
                        record_state_change(&a, &log, fx)?;
                    }
                    if self.sim.auto {
                        fx.timers.push((
                            now.saturating_add(self.sim.answer_delay_ms),
                            TimerAction::SimAnswer {
                                interaction_id: iid,
                                agent_id: aid,
                            },
                        ));
                    }
                }
                acd::Decision::OfferWithdrawn { contact, agent } => {
                    let Some(aid) = self.agent_ids.name(u64::from(agent.0)).map(str::to_owned)
                    else {
                        continue;
                    };
                    let iid = self.contact_ids.name(contact.0).map(str::to_owned);
                    if let Some(i) = iid.as_ref().and_then(|iid| self.active.get_mut(iid)) {
                        if i.agent_id.as_deref() == Some(&aid) && i.state.is_waiting() {
                            i.agent_id = None;
                        }
                    }
                    self.ring_ended(&aid, now, fx)?;
                }
                acd::Decision::Requeued { contact } => {
                    let Some(iid) = self.contact_ids.name(contact.0).map(str::to_owned) else {
                        continue;
                    };
                    let Some(i) = self.active.get_mut(&iid) else {
                        continue;
                    };
                    if i.state != InteractionState::Queued {
                        i.set_state(InteractionState::Queued, now)?;
                        i.agent_id = None;
                        let i = i.clone();
                        fx.changes.put(&i)?;
                        fx.events.push(DomainEvent::InteractionQueued {
                            interaction_id: iid,
                            queue_id: i.queue_id.clone().unwrap_or_default(),
                        });
                    }
                }
                acd::Decision::AgentNotReady { agent } => {
                    let Some(aid) = self.agent_ids.name(u64::from(agent.0)).map(str::to_owned)
                    else {
                        continue;
                    };
                    let a = self.agent_mut(&aid)?;
                    let to = AgentState::NotReady {
                        reason: Some("no_answer".into()),
                    };
                    if a.state.can_change_to(&to) {
                        let log = a.set_state(to, now)?;
                        let a = a.clone();
                        record_state_change(&a, &log, fx)?;
                    }
                }
                acd::Decision::QueueTimeout {
                    contact,
                    overflow_to,
                } => {
                    let Some(iid) = self.contact_ids.name(contact.0).map(str::to_owned) else {
                        continue;
                    };
                    match overflow_to
                        .and_then(|q| self.queue_ids.name(u64::from(q.0)).map(str::to_owned))
                    {
                        Some(target) => {
                            let Some(i) = self.active.get_mut(&iid) else {
                                continue;
                            };
                            i.queue_id = Some(target.clone());
                            let i = i.clone();
                            fx.changes.put(&i)?;
                            fx.events.push(DomainEvent::InteractionQueued {
                                interaction_id: iid,
                                queue_id: target,
                            });
                        }
                        None => {
                            let Some(mut i) = self.active.remove(&iid) else {
                                continue;
                            };
                            settle_transfer(&mut i, false, now, fx)?;
                            i.end(EndedBy::System, EndReason::QueueTimeout, now)?;
                            fx.changes.put(&i)?;
                            self.campaign_call_ended(
                                &iid,
                                ccemu_core::CampaignContactStatus::AbandonedByDialer,
                                now,
                                fx,
                            )?;
                            fx.events.push(DomainEvent::InteractionFailed {
                                interaction_id: iid,
                                reason: EndReason::QueueTimeout,
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// An offer stopped ringing for an agent (withdrawn, timed out or refused): an agent whose
    /// phone rings for nothing else any more is available again (the ACD keeps any delay).
    fn ring_ended(&mut self, agent_id: &str, now: i64, fx: &mut Effects<'_>) -> Result<()> {
        let ringing_elsewhere = self.active.values().any(|i| {
            i.agent_id.as_deref() == Some(agent_id) && i.state == InteractionState::Ringing
        });
        let a = self.agent_mut(agent_id)?;
        if a.state == AgentState::Ringing && !ringing_elsewhere {
            let log = a.set_state(AgentState::Available, now)?;
            let a = a.clone();
            record_state_change(&a, &log, fx)?;
        }
        Ok(())
    }

    /// Tells the ACD whether an agent takes new contacts, after its domain state changed.
    fn sync_agent_availability(&mut self, agent_id: &str, now: i64) -> Vec<acd::Decision> {
        let Some(agent) = self.agents.get(agent_id) else {
            return Vec::new();
        };
        let aid = acd::AgentId(self.agent_ids.get_or_insert(agent_id) as u32);
        let result = match agent.state {
            // The ACD does not count an agent's own call: ready, the agent would be offered more.
            AgentState::Available if self.on_direct_call(agent_id) => {
                self.acd.agent_not_ready(aid, now)
            }
            AgentState::Available => self.acd.agent_ready(aid, now),
            AgentState::LoggedOut => self.acd.agent_logout(aid, now),
            AgentState::NotReady { .. }
            | AgentState::OnBreak { .. }
            | AgentState::WrapUp { .. } => self.acd.agent_not_ready(aid, now),
            // Ringing / on contact: the ACD put the agent there itself.
            AgentState::Reserved | AgentState::Ringing | AgentState::OnContact => Ok(Vec::new()),
        };
        result.unwrap_or_default()
    }

    /// Gives the ACD an agent's routing profile: capacity, skills, queue memberships. A ready
    /// agent that joins a queue may be offered a waiting contact at once: the caller applies it.
    fn sync_agent_config(&mut self, agent_id: &str, now: i64) -> Vec<acd::Decision> {
        let Some(agent) = self.agents.get(agent_id) else {
            return Vec::new();
        };
        let memberships = self
            .queues
            .values()
            .filter_map(|q| {
                let m = q.member(agent_id)?;
                Some(acd::Membership {
                    queue: acd::QueueId(self.queue_ids.get(&q.id)? as u32),
                    // The ACD counts tiers from 1 (a contact's level starts at 1), the queue
                    // from 0: shift, so a tier-1 backup stays behind the tier-0 members.
                    tier: m.tier.saturating_add(1),
                    position: m.position,
                })
            })
            .collect();
        let config = acd::AgentConfig {
            capacity: [
                agent.capacity.voice,
                agent.capacity.chat,
                agent.capacity.errand,
            ],
            voice_blocks_others: true,
            skills: Vec::new(),
            memberships,
            ring_timeout_ms: self.sim.ring_timeout_ms,
            no_answer_delay_ms: self.sim.no_answer_delay_ms,
            reject_delay_ms: self.sim.reject_delay_ms,
            max_no_answer: self.sim.max_no_answer,
        };
        let aid = acd::AgentId(self.agent_ids.get_or_insert(agent_id) as u32);
        self.acd.upsert_agent(aid, config, now)
    }

    /// Gives the ACD a queue's configuration; waiting contacts are re-classified under it.
    fn sync_queue(&mut self, queue_id: &str, now: i64) -> Vec<acd::Decision> {
        let Some(q) = self.queues.get(queue_id) else {
            return Vec::new();
        };
        let overflow = match &q.overflow {
            Some(ccemu_core::queue::OverflowTarget::Queue { queue_id }) => {
                Some(acd::QueueId(self.queue_ids.get_or_insert(queue_id) as u32))
            }
            _ => None,
        };
        let config = acd::QueueConfig {
            strategy: acd_strategy(q.strategy),
            max_length: q.max_length as usize,
            // Without an overflow target a timed-out contact is disconnected (`queue_timeout`).
            timeout_ms: (q.timeout_secs > 0).then(|| i64::from(q.timeout_secs) * 1000),
            overflow,
            ..acd::QueueConfig::default()
        };
        let qid = acd::QueueId(self.queue_ids.get_or_insert(queue_id) as u32);
        self.acd.upsert_queue(qid, config, now)
    }

    fn contact_spec(&mut self, interaction_id: &str) -> Option<acd::ContactSpec> {
        let i = self.active.get(interaction_id)?;
        let queue = i.queue_id.clone()?;
        let (channel, priority) = (i.channel, i.priority);
        Some(acd::ContactSpec {
            id: acd::ContactId(self.contact_ids.get_or_insert(interaction_id)),
            queue: acd::QueueId(self.queue_ids.get(&queue)? as u32),
            channel: acd_channel(channel),
            priority,
            required_skills: Vec::new(),
        })
    }

    fn ringing_for(&self, agent_id: &str, interaction_id: Option<String>) -> Result<String> {
        if !self.agents.contains_key(agent_id) {
            return Err(not_found("agent", agent_id));
        }
        let ringing = |i: &&Interaction| {
            i.state == InteractionState::Ringing && i.agent_id.as_deref() == Some(agent_id)
        };
        match interaction_id {
            Some(id) => self
                .active
                .get(&id)
                .filter(ringing)
                .map(|i| i.id.clone())
                .ok_or_else(|| {
                    DomainError::Conflict(format!(
                        "interaction {id} is not ringing for agent {agent_id}"
                    ))
                    .into()
                }),
            None => self
                .active
                .values()
                .filter(ringing)
                .max_by_key(|i| (i.offered_at_ms, i.id.clone()))
                .map(|i| i.id.clone())
                .ok_or_else(|| {
                    DomainError::Conflict(format!("nothing is ringing for agent {agent_id}")).into()
                }),
        }
    }

    fn contact_id(&self, interaction_id: &str) -> Result<acd::ContactId> {
        self.contact_ids
            .get(interaction_id)
            .map(acd::ContactId)
            .ok_or_else(|| not_found("interaction", interaction_id))
    }

    fn agent_id(&self, agent_id: &str) -> Result<acd::AgentId> {
        self.agent_ids
            .get(agent_id)
            .map(|id| acd::AgentId(id as u32))
            .ok_or_else(|| not_found("agent", agent_id))
    }

    fn agent_mut(&mut self, id: &str) -> Result<&mut Agent> {
        self.agents
            .get_mut(id)
            .ok_or_else(|| not_found("agent", id))
    }
}

fn acd_error(e: acd::AcdError) -> EngineError {
    EngineError::Domain(DomainError::Conflict(format!("routing: {e:?}")))
}

/// The event announcing a transfer's progress.
fn transferred(interaction_id: &str, t: &Transfer) -> DomainEvent {
    DomainEvent::InteractionTransferred {
        interaction_id: interaction_id.to_owned(),
        transfer_id: t.id.clone(),
        status: t.status,
        from_agent_id: t.from_agent_id.clone(),
        to_agent_id: t.to_agent_id.clone(),
        to_queue_id: t.to_queue_id.clone(),
    }
}

/// Settles the interaction's transfer in progress, if there is one, and announces it.
fn settle_transfer(
    i: &mut Interaction,
    success: bool,
    now: i64,
    fx: &mut Effects<'_>,
) -> Result<()> {
    let Some(id) = i
        .transfers
        .iter()
        .rev()
        .find(|t| t.status == TransferStatus::Transferring)
        .map(|t| t.id.clone())
    else {
        return Ok(());
    };
    i.finish_transfer(&id, success, now)?;
    if let Some(t) = i.transfers.iter().find(|t| t.id == id) {
        fx.events.push(transferred(&i.id, t));
    }
    Ok(())
}

/// Where ccemu serves a recording's audio, on the control plane: one vendor-neutral path that
/// every surface turns into an absolute URL under the scheme and host its client used.
pub fn recording_path(
    tenant: &ccemu_core::TenantId,
    interaction_id: &str,
    recording_id: &str,
) -> String {
    format!("/_ccemu/tenants/{tenant}/recordings/{interaction_id}/{recording_id}.wav")
}

/// When the current agent's leg of an answered voice call began (that agent's join, which is
/// its answer); `None` for other channels and for calls nobody answered.
fn leg_start(i: &Interaction) -> Option<i64> {
    if i.channel != Channel::Voice {
        return None;
    }
    let agent_id = i.agent_id.as_deref()?;
    i.participants
        .iter()
        .rev()
        .find(|p| {
            p.kind == ParticipantKind::Agent
                && p.agent_id.as_deref() == Some(agent_id)
                && p.state != ccemu_core::interaction::ParticipantState::Left
        })
        .map(|p| p.joined_at_ms)
}

/// Every answered voice call is recorded, one recording per agent leg: from the agent's answer
/// to the end of the call or to the transfer that took it away.
fn record(i: &mut Interaction, tenant: &ccemu_core::TenantId, start: i64, now: i64) {
    let id = uuid::Uuid::new_v4().to_string();
    i.recordings.push(ccemu_core::interaction::Recording {
        url: recording_path(tenant, &i.id, &id),
        id,
        started_at_ms: start,
        ended_at_ms: now.max(start),
    });
}

fn record_state_change(agent: &Agent, log: &AgentStateLog, fx: &mut Effects<'_>) -> Result<()> {
    fx.changes.put_agent_state(agent);
    fx.changes.put(log)?;
    fx.events.push(DomainEvent::AgentStateChanged {
        agent_id: agent.id.clone(),
        from: log.from.clone(),
        to: log.to.clone(),
    });
    Ok(())
}

/// The demo tenant's seeded records as documents.
pub fn demo_documents() -> Result<Vec<Document>> {
    ccemu_core::seed::demo_seed()
        .records()
        .into_iter()
        .map(|(kind, id, data)| {
            Ok(Document {
                kind: kind.to_owned(),
                id,
                data,
            })
        })
        .collect()
}
