//! Interactions of every channel (voice calls, chats, SMS/messaging, errands, conversations), their
//! participants, messages, transfers and recordings, and the state machine they all share.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validate::{check_id, invalid};
use crate::DomainError;

/// The medium of an interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A phone call.
    Voice,
    /// A web chat session (Genesys chat, Cention chat, UJET chat).
    Chat,
    /// SMS or other asynchronous messaging (UJET `Messaging (SMS)`).
    Messaging,
    /// An email-like errand (Cention).
    Errand,
    /// An omni-channel conversation handled by bots and agents (Sangoma / Chatwoot).
    Conversation,
}

/// Who started the interaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The customer contacted the center.
    #[default]
    Inbound,
    /// The center contacted the customer (agent dial, campaign, callback).
    Outbound,
    /// Between agents.
    Internal,
}

/// Lifecycle of an interaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionState {
    /// Recorded, not yet routed (IVR, bot, or about to be queued).
    #[default]
    Created,
    /// Waits for a future start time (UJET scheduled call).
    Scheduled,
    /// Waits in a queue for an agent.
    Queued,
    /// Reserved for an agent, not yet presented.
    Offered,
    /// Presented to an agent (or, outbound, to the customer's phone).
    Ringing,
    /// Agent (or bot) and customer are connected.
    Connected,
    /// Connected but on hold.
    Held,
    /// The customer is gone; the agent does after-contact work.
    WrapUp,
    /// Finished normally.
    Ended,
    /// The customer left before an agent answered.
    Abandoned,
    /// Could not be completed (no answer on an outbound call, bad number, queue full).
    Failed,
}

impl InteractionState {
    /// Stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::Offered => "offered",
            Self::Ringing => "ringing",
            Self::Connected => "connected",
            Self::Held => "held",
            Self::WrapUp => "wrap_up",
            Self::Ended => "ended",
            Self::Abandoned => "abandoned",
            Self::Failed => "failed",
        }
    }

    /// No transition leaves a terminal state.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Ended | Self::Abandoned | Self::Failed)
    }

    /// True before anyone answered: the states a customer can abandon from.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            Self::Created | Self::Queued | Self::Offered | Self::Ringing
        )
    }

    /// Whether the state machine allows moving from `self` to `to`.
    pub fn can_change_to(self, to: InteractionState) -> bool {
        use InteractionState::*;
        match (self, to) {
            (Created, Scheduled | Queued | Offered | Ringing | Connected) => true,
            (Scheduled, Created | Queued | Offered | Ringing) => true,
            (Queued, Offered | Ringing | Connected) => true,
            // Rejected or timed-out offers go back to the queue at their original position.
            (Offered, Ringing | Connected | Queued) => true,
            (Ringing, Connected | Queued) => true,
            // Back to Queued: blind transfer to a queue, or a bot handing over to a human.
            (Connected, Held | WrapUp | Queued | Ended) => true,
            (Held, Connected | WrapUp | Ended) => true,
            (WrapUp, Ended) => true,
            (Created | Scheduled | Queued | Offered | Ringing, Abandoned) => true,
            (s, Failed) => !s.is_terminal() && s != WrapUp,
            // A scheduled callback that is called off never became a contact.
            (Scheduled, Ended) => true,
            _ => false,
        }
    }
}

impl fmt::Display for InteractionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which side ended an interaction (Udesk `HangupBy`, UJET `disconnected_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndedBy {
    /// The customer / end user.
    Customer,
    /// An agent.
    Agent,
    /// A bot.
    Bot,
    /// ccemu itself (timeouts, limits, resets).
    System,
}

/// Why an interaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Completed after being handled.
    Normal,
    /// The customer left while waiting.
    Abandoned,
    /// Nobody answered.
    NoAnswer,
    /// The far end was busy.
    Busy,
    /// The number does not exist or is malformed.
    InvalidNumber,
    /// The queue was full on arrival.
    QueueFull,
    /// The queue timeout passed with no overflow target.
    QueueTimeout,
    /// Handed to someone outside the center.
    TransferredOut,
    /// Went to voicemail.
    Voicemail,
    /// Blocked by the do-not-call list.
    DoNotCall,
    /// Something went wrong.
    Error,
    /// A campaign contact shown to an agent (preview) was skipped, or withdrawn, without a call.
    Skipped,
    /// The campaign was force-stopped while the call rang, before anyone answered; or a
    /// scheduled callback was called off before it started.
    Cancelled,
}

/// Kind of party in an interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    /// The end user.
    Customer,
    /// A human agent.
    Agent,
    /// A virtual agent / bot.
    Bot,
}

/// Where one participant stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantState {
    /// Joined but not connected yet (waiting customer).
    #[default]
    Waiting,
    /// Being invited / rung.
    Ringing,
    /// Connected.
    Connected,
    /// On hold.
    Held,
    /// Gone.
    Left,
}

/// A party of an interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Id within the interaction, `"1"`, `"2"`, ... in join order (Genesys `participantId`).
    pub id: String,
    /// Kind of party.
    pub kind: ParticipantKind,
    /// The agent, for agent participants.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The contact, for customer participants.
    #[serde(default)]
    pub contact_id: Option<String>,
    /// Name shown to the other parties.
    #[serde(default)]
    pub nickname: String,
    /// Phone number or address, when the party is reached through one.
    #[serde(default)]
    pub address: Option<String>,
    /// Current state.
    #[serde(default)]
    pub state: ParticipantState,
    /// Join time, tenant epoch ms.
    pub joined_at_ms: i64,
    /// First connection, tenant epoch ms.
    #[serde(default)]
    pub connected_at_ms: Option<i64>,
    /// Leave time, tenant epoch ms.
    #[serde(default)]
    pub left_at_ms: Option<i64>,
    /// Why this party left while the interaction went on (an agent who transferred it away).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_reason: Option<EndReason>,
}

impl Participant {
    /// Puts the participant on the line, keeping the first connection time.
    pub fn connect(&mut self, now_ms: i64) {
        self.state = ParticipantState::Connected;
        self.connected_at_ms.get_or_insert(now_ms);
    }

    /// Marks the participant gone, keeping the first leave time.
    pub fn leave(&mut self, now_ms: i64) {
        if self.state != ParticipantState::Left {
            self.state = ParticipantState::Left;
            self.left_at_ms = Some(now_ms);
        }
    }
}

/// Kind of a message in an interaction's transcript.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Text (chat line, SMS, errand body).
    #[default]
    Text,
    /// A participant joined.
    ParticipantJoined,
    /// A participant left.
    ParticipantLeft,
    /// Typing started.
    TypingStarted,
    /// Typing stopped.
    TypingStopped,
    /// A system or activity notice.
    Notice,
}

/// Who sees a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every participant.
    #[default]
    All,
    /// Agents only (internal notes, Cention comments, Chatwoot private messages).
    Agents,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Attachment id.
    pub id: String,
    /// File name.
    pub name: String,
    /// MIME type.
    #[serde(default)]
    pub content_type: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Content, base64, when kept inline (Cention attachments).
    #[serde(default)]
    pub content_base64: Option<String>,
    /// Where the content can be fetched, when kept elsewhere.
    #[serde(default)]
    pub url: Option<String>,
}

/// One entry of an interaction's transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Message id.
    pub id: String,
    /// Position in the transcript, from 1 without gaps (Genesys `index`); set by [`Interaction::add_message`].
    #[serde(default)]
    pub index: u32,
    /// Kind of entry.
    #[serde(default)]
    pub kind: MessageKind,
    /// Sending participant (`None` for system notices).
    #[serde(default)]
    pub from_participant_id: Option<String>,
    /// Kind of sender, kept even after the participant left.
    pub from_kind: ParticipantKind,
    /// Plain text.
    #[serde(default)]
    pub text: String,
    /// Subject line (errands).
    #[serde(default)]
    pub subject: Option<String>,
    /// HTML body (errands).
    #[serde(default)]
    pub html: Option<String>,
    /// Who may see it.
    #[serde(default)]
    pub visibility: Visibility,
    /// Files.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Send time, tenant epoch ms.
    pub sent_at_ms: i64,
}

/// Progress of a transfer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// In progress (UJET `transferring`).
    #[default]
    Transferring,
    /// The target took over.
    Completed,
    /// The target did not take over.
    Failed,
}

/// A hand-over of an interaction to another agent or queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Transfer id.
    pub id: String,
    /// Status.
    #[serde(default)]
    pub status: TransferStatus,
    /// Agent that handed over.
    #[serde(default)]
    pub from_agent_id: Option<String>,
    /// Target agent.
    #[serde(default)]
    pub to_agent_id: Option<String>,
    /// Queue the interaction came from.
    #[serde(default)]
    pub from_queue_id: Option<String>,
    /// Target queue.
    #[serde(default)]
    pub to_queue_id: Option<String>,
    /// External number, for transfers out of the center.
    #[serde(default)]
    pub to_number: Option<String>,
    /// Start, tenant epoch ms.
    pub created_at_ms: i64,
}

/// A call recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// Recording id.
    pub id: String,
    /// Where the file is served.
    pub url: String,
    /// Start, tenant epoch ms.
    pub started_at_ms: i64,
    /// End, tenant epoch ms.
    pub ended_at_ms: i64,
}

/// A contact between the center and a customer on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Interaction id (Udesk `CallId`, Cention errand id, ...).
    pub id: String,
    /// Per-tenant sequence number, from 1 in creation order, given by the engine (UJET call and
    /// chat ids); 0 until the engine numbers it.
    #[serde(default)]
    pub number: u64,
    /// Medium.
    pub channel: Channel,
    /// Who started it.
    #[serde(default)]
    pub direction: Direction,
    /// Current state; change it only through the methods below.
    #[serde(default)]
    pub state: InteractionState,
    /// When the current state began, tenant epoch ms.
    #[serde(default)]
    pub state_since_ms: i64,
    /// Current or last queue.
    #[serde(default)]
    pub queue_id: Option<String>,
    /// Agent that currently owns it (offered, ringing or connected), or last owned it.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The customer's contact record.
    #[serde(default)]
    pub contact_id: Option<String>,
    /// Originating address: caller number, email sender, chat nickname.
    #[serde(default)]
    pub from: String,
    /// Destination address: dialled number, mailbox, inbox.
    #[serde(default)]
    pub to: String,
    /// Subject (chat topic, errand subject).
    #[serde(default)]
    pub subject: String,
    /// Routing priority; higher goes first.
    #[serde(default)]
    pub priority: i32,
    /// Language code.
    #[serde(default)]
    pub lang: Option<String>,
    /// Interaction this one follows from (UJET `parent_id`, a callback of a call).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Campaign that dialled it.
    #[serde(default)]
    pub campaign_id: Option<String>,
    /// Creation, tenant epoch ms.
    pub created_at_ms: i64,
    /// Planned start of a scheduled interaction.
    #[serde(default)]
    pub scheduled_at_ms: Option<i64>,
    /// First time it entered a queue.
    #[serde(default)]
    pub queued_at_ms: Option<i64>,
    /// Its place in line: the tenant's next number each time it enters a queue (0 = never
    /// queued). A restart puts waiting contacts back in this order, whatever their times.
    #[serde(default)]
    pub queue_seq: u64,
    /// Last time it was offered or rung to an agent.
    #[serde(default)]
    pub offered_at_ms: Option<i64>,
    /// First connection (answer).
    #[serde(default)]
    pub answered_at_ms: Option<i64>,
    /// Terminal state reached.
    #[serde(default)]
    pub ended_at_ms: Option<i64>,
    /// Total time on hold, including a hold in progress only once it ends.
    #[serde(default)]
    pub hold_ms: i64,
    /// Who ended it.
    #[serde(default)]
    pub ended_by: Option<EndedBy>,
    /// Why it ended.
    #[serde(default)]
    pub end_reason: Option<EndReason>,
    /// Parties, in join order.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// Transfers, oldest first.
    #[serde(default)]
    pub transfers: Vec<Transfer>,
    /// Transcript, by index.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Recordings.
    #[serde(default)]
    pub recordings: Vec<Recording>,
    /// Attached data (Genesys `userData`, Udesk `user_data`, UJET custom data).
    #[serde(default)]
    pub custom_data: BTreeMap<String, serde_json::Value>,
    /// Last change of any field, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}
crate::entity!(Interaction, "interaction");

impl Interaction {
    /// A new interaction in state `Created`.
    pub fn new(id: impl Into<String>, channel: Channel, direction: Direction, now_ms: i64) -> Self {
        Self {
            id: id.into(),
            number: 0,
            channel,
            direction,
            state: InteractionState::Created,
            state_since_ms: now_ms,
            queue_id: None,
            agent_id: None,
            contact_id: None,
            from: String::new(),
            to: String::new(),
            subject: String::new(),
            priority: 0,
            lang: None,
            parent_id: None,
            campaign_id: None,
            created_at_ms: now_ms,
            scheduled_at_ms: None,
            queued_at_ms: None,
            queue_seq: 0,
            offered_at_ms: None,
            answered_at_ms: None,
            ended_at_ms: None,
            hold_ms: 0,
            ended_by: None,
            end_reason: None,
            participants: Vec::new(),
            transfers: Vec::new(),
            messages: Vec::new(),
            recordings: Vec::new(),
            custom_data: BTreeMap::new(),
            updated_at_ms: now_ms,
        }
    }

    /// Checks the id and the participants' references.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("interaction id", &self.id)?;
        for p in &self.participants {
            if p.kind == ParticipantKind::Agent && p.agent_id.is_none() {
                return Err(invalid(
                    "participant",
                    "an agent participant needs an agent id",
                ));
            }
        }
        Ok(())
    }

    /// Moves to `to`, stamps the matching time and returns the previous state.
    pub fn set_state(
        &mut self,
        to: InteractionState,
        now_ms: i64,
    ) -> Result<InteractionState, DomainError> {
        if !self.state.can_change_to(to) {
            return Err(DomainError::IllegalTransition {
                kind: "interaction",
                from: self.state.to_string(),
                to: to.to_string(),
            });
        }
        let from = self.state;
        if from == InteractionState::Held {
            self.hold_ms += (now_ms - self.state_since_ms).max(0);
        }
        match to {
            InteractionState::Queued => {
                self.queued_at_ms.get_or_insert(now_ms);
            }
            InteractionState::Offered | InteractionState::Ringing => {
                self.offered_at_ms = Some(now_ms)
            }
            InteractionState::Connected => {
                self.answered_at_ms.get_or_insert(now_ms);
            }
            s if s.is_terminal() => self.ended_at_ms = Some(now_ms),
            _ => {}
        }
        self.state = to;
        self.state_since_ms = now_ms;
        self.updated_at_ms = now_ms;
        Ok(from)
    }

    /// The customer side hangs up a connected interaction and the agent starts after-contact work.
    pub fn wrap_up(
        &mut self,
        by: EndedBy,
        reason: EndReason,
        now_ms: i64,
    ) -> Result<(), DomainError> {
        self.set_state(InteractionState::WrapUp, now_ms)?;
        self.ended_by = Some(by);
        self.end_reason = Some(reason);
        for p in &mut self.participants {
            if p.kind != ParticipantKind::Agent {
                p.leave(now_ms);
            }
        }
        Ok(())
    }

    /// Ends the interaction and returns the terminal state reached.
    ///
    /// A customer leaving before an answer abandons it; anyone else ending a waiting interaction
    /// fails it, because from the customer's side it was never served; a called-off scheduled
    /// interaction simply ends. After [`Interaction::wrap_up`], `by` and `reason` stay as recorded then.
    pub fn end(
        &mut self,
        by: EndedBy,
        reason: EndReason,
        now_ms: i64,
    ) -> Result<InteractionState, DomainError> {
        let to = match self.state {
            s if s.is_waiting() && by == EndedBy::Customer => InteractionState::Abandoned,
            s if s.is_waiting() => InteractionState::Failed,
            _ => InteractionState::Ended,
        };
        self.set_state(to, now_ms)?;
        self.ended_by.get_or_insert(by);
        self.end_reason
            .get_or_insert(if to == InteractionState::Abandoned {
                EndReason::Abandoned
            } else {
                reason
            });
        for p in &mut self.participants {
            p.leave(now_ms);
        }
        Ok(to)
    }

    /// Total hold time including a hold still in progress.
    pub fn hold_ms_at(&self, now_ms: i64) -> i64 {
        match self.state {
            InteractionState::Held => self.hold_ms + (now_ms - self.state_since_ms).max(0),
            _ => self.hold_ms,
        }
    }

    /// Adds a participant with the next participant id and returns that id.
    pub fn add_participant(
        &mut self,
        kind: ParticipantKind,
        agent_id: Option<String>,
        contact_id: Option<String>,
        nickname: impl Into<String>,
        now_ms: i64,
    ) -> Result<String, DomainError> {
        self.ensure_open()?;
        if kind == ParticipantKind::Agent && agent_id.is_none() {
            return Err(invalid(
                "participant",
                "an agent participant needs an agent id",
            ));
        }
        let id = (self.participants.len() + 1).to_string();
        self.participants.push(Participant {
            id: id.clone(),
            kind,
            agent_id,
            contact_id,
            nickname: nickname.into(),
            address: None,
            state: ParticipantState::Waiting,
            joined_at_ms: now_ms,
            connected_at_ms: None,
            left_at_ms: None,
            left_reason: None,
        });
        self.updated_at_ms = now_ms;
        Ok(id)
    }

    /// The participant with this id.
    pub fn participant(&self, id: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.id == id)
    }

    /// The participant with this id, to change it.
    pub fn participant_mut(&mut self, id: &str) -> Option<&mut Participant> {
        self.participants.iter_mut().find(|p| p.id == id)
    }

    /// The agent's participant that has not left, if any.
    pub fn agent_participant_mut(&mut self, agent_id: &str) -> Option<&mut Participant> {
        self.participants
            .iter_mut()
            .find(|p| p.agent_id.as_deref() == Some(agent_id) && p.state != ParticipantState::Left)
    }

    /// Appends a message, giving it the next index; returns that index.
    pub fn add_message(&mut self, mut message: Message) -> Result<u32, DomainError> {
        self.ensure_open()?;
        if let Some(from) = &message.from_participant_id {
            if self.participant(from).is_none() {
                return Err(DomainError::NotFound {
                    kind: "participant",
                    id: from.clone(),
                });
            }
        }
        let index = u32::try_from(self.messages.len() + 1)
            .map_err(|_| DomainError::LimitExceeded("messages per interaction".into()))?;
        message.index = index;
        self.updated_at_ms = self.updated_at_ms.max(message.sent_at_ms);
        self.messages.push(message);
        Ok(index)
    }

    /// A copy that holds only the messages after the first `skip` (the rest of the transcript is
    /// not copied: a write of a long chat costs what its new messages cost).
    pub fn copy_after_messages(&self, skip: usize) -> Interaction {
        Interaction {
            id: self.id.clone(),
            number: self.number,
            channel: self.channel,
            direction: self.direction,
            state: self.state,
            state_since_ms: self.state_since_ms,
            queue_id: self.queue_id.clone(),
            agent_id: self.agent_id.clone(),
            contact_id: self.contact_id.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            subject: self.subject.clone(),
            priority: self.priority,
            lang: self.lang.clone(),
            parent_id: self.parent_id.clone(),
            campaign_id: self.campaign_id.clone(),
            created_at_ms: self.created_at_ms,
            scheduled_at_ms: self.scheduled_at_ms,
            queued_at_ms: self.queued_at_ms,
            queue_seq: self.queue_seq,
            offered_at_ms: self.offered_at_ms,
            answered_at_ms: self.answered_at_ms,
            ended_at_ms: self.ended_at_ms,
            hold_ms: self.hold_ms,
            ended_by: self.ended_by,
            end_reason: self.end_reason,
            participants: self.participants.clone(),
            transfers: self.transfers.clone(),
            messages: self.messages[skip.min(self.messages.len())..].to_vec(),
            recordings: self.recordings.clone(),
            custom_data: self.custom_data.clone(),
            updated_at_ms: self.updated_at_ms,
        }
    }

    /// Messages from `index` on (Genesys `GetMessages?index=N`); 0 or 1 gives all.
    pub fn messages_from(&self, index: u32) -> &[Message] {
        let start = (index.max(1) as usize - 1).min(self.messages.len());
        &self.messages[start..]
    }

    /// Records a transfer in progress and moves ownership to the target agent or queue.
    pub fn start_transfer(&mut self, mut transfer: Transfer) -> Result<(), DomainError> {
        self.ensure_open()?;
        if transfer.to_agent_id.is_none()
            && transfer.to_queue_id.is_none()
            && transfer.to_number.is_none()
        {
            return Err(invalid("transfer", "needs a target agent, queue or number"));
        }
        if !matches!(
            self.state,
            InteractionState::Connected | InteractionState::Held
        ) {
            return Err(DomainError::IllegalTransition {
                kind: "interaction",
                from: self.state.to_string(),
                to: "transferring".into(),
            });
        }
        transfer.from_agent_id = transfer.from_agent_id.or_else(|| self.agent_id.clone());
        transfer.from_queue_id = transfer.from_queue_id.or_else(|| self.queue_id.clone());
        transfer.status = TransferStatus::Transferring;
        self.updated_at_ms = self.updated_at_ms.max(transfer.created_at_ms);
        self.transfers.push(transfer);
        Ok(())
    }

    /// Settles a transfer; on success the interaction now belongs to its target.
    pub fn finish_transfer(
        &mut self,
        transfer_id: &str,
        success: bool,
        now_ms: i64,
    ) -> Result<(), DomainError> {
        let transfer = self
            .transfers
            .iter_mut()
            .find(|t| t.id == transfer_id)
            .ok_or_else(|| DomainError::NotFound {
                kind: "transfer",
                id: transfer_id.to_owned(),
            })?;
        if transfer.status != TransferStatus::Transferring {
            return Err(DomainError::Conflict(format!(
                "transfer {transfer_id} is already settled"
            )));
        }
        transfer.status = if success {
            TransferStatus::Completed
        } else {
            TransferStatus::Failed
        };
        if success {
            if let Some(agent) = transfer.to_agent_id.clone() {
                self.agent_id = Some(agent);
            }
            if let Some(queue) = transfer.to_queue_id.clone() {
                self.queue_id = Some(queue);
            }
        }
        self.updated_at_ms = now_ms;
        Ok(())
    }

    fn ensure_open(&self) -> Result<(), DomainError> {
        if self.state.is_terminal() {
            Err(DomainError::Conflict(format!(
                "interaction {} has ended",
                self.id
            )))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InteractionState::*;

    fn call() -> Interaction {
        Interaction::new("c1", Channel::Voice, Direction::Inbound, 1_000)
    }

    fn at(state: InteractionState) -> Interaction {
        let mut i = call();
        i.state = state;
        i
    }

    fn text(from: Option<&str>, body: &str, at_ms: i64) -> Message {
        Message {
            id: format!("m{at_ms}"),
            index: 0,
            kind: MessageKind::Text,
            from_participant_id: from.map(Into::into),
            from_kind: ParticipantKind::Customer,
            text: body.into(),
            subject: None,
            html: None,
            visibility: Visibility::All,
            attachments: vec![],
            sent_at_ms: at_ms,
        }
    }

    #[test]
    fn natural_inbound_path_stamps_times() {
        let mut i = call();
        for (to, t) in [
            (Queued, 2_000),
            (Offered, 3_000),
            (Ringing, 3_100),
            (Connected, 5_000),
        ] {
            i.set_state(to, t).unwrap();
        }
        i.set_state(Held, 6_000).unwrap();
        i.set_state(Connected, 9_000).unwrap();
        i.set_state(WrapUp, 20_000).unwrap();
        i.set_state(Ended, 30_000).unwrap();
        assert_eq!(i.queued_at_ms, Some(2_000));
        assert_eq!(i.offered_at_ms, Some(3_100));
        assert_eq!(i.answered_at_ms, Some(5_000));
        assert_eq!(i.ended_at_ms, Some(30_000));
        assert_eq!(i.hold_ms, 3_000);
    }

    #[test]
    fn requeue_after_no_answer_keeps_first_queue_time() {
        let mut i = call();
        i.set_state(Queued, 2_000).unwrap();
        i.set_state(Ringing, 3_000).unwrap();
        i.set_state(Queued, 4_000).unwrap();
        assert_eq!(i.queued_at_ms, Some(2_000));
    }

    #[test]
    fn queued_interaction_cannot_be_held_or_wrapped_up() {
        assert!(at(Queued).set_state(Held, 2_000).is_err());
        assert!(at(Queued).set_state(WrapUp, 2_000).is_err());
        assert!(at(Ringing).set_state(Held, 2_000).is_err());
    }

    #[test]
    fn terminal_states_are_final() {
        for s in [Ended, Abandoned, Failed] {
            for to in [Created, Queued, Connected, Ended, Failed] {
                let err = at(s).set_state(to, 2_000).unwrap_err();
                assert!(matches!(
                    err,
                    DomainError::IllegalTransition {
                        kind: "interaction",
                        ..
                    }
                ));
            }
        }
    }

    #[test]
    fn connected_cannot_be_abandoned_and_wrap_up_cannot_fail() {
        assert!(at(Connected).set_state(Abandoned, 2_000).is_err());
        assert!(at(WrapUp).set_state(Failed, 2_000).is_err());
        assert!(at(WrapUp).set_state(Connected, 2_000).is_err());
        assert!(at(Ringing).set_state(Failed, 2_000).is_ok());
    }

    #[test]
    fn customer_hanging_up_in_queue_abandons() {
        let mut i = at(Queued);
        assert_eq!(
            i.end(EndedBy::Customer, EndReason::Normal, 5_000).unwrap(),
            Abandoned
        );
        assert_eq!(i.end_reason, Some(EndReason::Abandoned));
        assert_eq!(i.ended_at_ms, Some(5_000));
    }

    #[test]
    fn system_ending_a_waiting_call_fails_it() {
        let mut i = at(Queued);
        assert_eq!(
            i.end(EndedBy::System, EndReason::QueueTimeout, 5_000)
                .unwrap(),
            Failed
        );
        assert_eq!(i.end_reason, Some(EndReason::QueueTimeout));
    }

    #[test]
    fn hangup_while_connected_ends_and_releases_participants() {
        let mut i = call();
        let p = i
            .add_participant(
                ParticipantKind::Customer,
                None,
                Some("u1".into()),
                "Chris",
                1_000,
            )
            .unwrap();
        i.set_state(Connected, 2_000).unwrap();
        assert_eq!(
            i.end(EndedBy::Agent, EndReason::Normal, 3_000).unwrap(),
            Ended
        );
        assert_eq!(i.ended_by, Some(EndedBy::Agent));
        let part = i.participant(&p).unwrap();
        assert_eq!(
            (part.state, part.left_at_ms),
            (ParticipantState::Left, Some(3_000))
        );
        assert!(i.end(EndedBy::Agent, EndReason::Normal, 4_000).is_err());
    }

    #[test]
    fn wrap_up_keeps_who_hung_up_when_the_agent_finishes() {
        let mut i = call();
        i.add_participant(ParticipantKind::Customer, None, None, "Chris", 1_000)
            .unwrap();
        i.add_participant(
            ParticipantKind::Agent,
            Some("1001".into()),
            None,
            "A",
            1_000,
        )
        .unwrap();
        i.set_state(Connected, 2_000).unwrap();
        i.wrap_up(EndedBy::Customer, EndReason::Normal, 3_000)
            .unwrap();
        assert_eq!(i.participants[0].state, ParticipantState::Left);
        assert_ne!(i.participants[1].state, ParticipantState::Left);
        assert_eq!(
            i.end(EndedBy::Agent, EndReason::Error, 9_000).unwrap(),
            Ended
        );
        assert_eq!(i.ended_by, Some(EndedBy::Customer));
        assert_eq!(i.end_reason, Some(EndReason::Normal));
        assert_eq!(i.participants[1].left_at_ms, Some(9_000));
    }

    #[test]
    fn cancelled_scheduled_interaction_ends_rather_than_fails() {
        let mut i = at(Scheduled);
        assert_eq!(
            i.end(EndedBy::Agent, EndReason::Normal, 2_000).unwrap(),
            Ended
        );
        assert!(at(Created).set_state(Ended, 2_000).is_err());
    }

    #[test]
    fn hold_in_progress_counts_toward_hold_time() {
        let mut i = at(Connected);
        i.set_state(Held, 10_000).unwrap();
        assert_eq!(i.hold_ms_at(12_500), 2_500);
        assert_eq!(i.hold_ms, 0);
    }

    #[test]
    fn messages_get_consecutive_indexes_and_page_from_index() {
        let mut i = Interaction::new("ch1", Channel::Chat, Direction::Inbound, 0);
        let p = i
            .add_participant(ParticipantKind::Customer, None, None, "Chris", 0)
            .unwrap();
        assert_eq!(i.add_message(text(Some(&p), "hi", 1)).unwrap(), 1);
        assert_eq!(i.add_message(text(None, "notice", 2)).unwrap(), 2);
        assert_eq!(i.add_message(text(Some(&p), "there?", 3)).unwrap(), 3);
        assert_eq!(i.messages_from(2).len(), 2);
        assert_eq!(i.messages_from(0).len(), 3);
        assert!(i.messages_from(9).is_empty());
    }

    #[test]
    fn message_from_unknown_participant_or_after_end_is_rejected() {
        let mut i = Interaction::new("ch1", Channel::Chat, Direction::Inbound, 0);
        assert!(matches!(
            i.add_message(text(Some("7"), "x", 1)),
            Err(DomainError::NotFound {
                kind: "participant",
                ..
            })
        ));
        i.end(EndedBy::Customer, EndReason::Normal, 2).unwrap();
        assert!(matches!(
            i.add_message(text(None, "x", 3)),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn agent_participant_needs_agent_id() {
        let mut i = call();
        assert!(i
            .add_participant(ParticipantKind::Agent, None, None, "A", 0)
            .is_err());
        let id = i
            .add_participant(ParticipantKind::Agent, Some("1001".into()), None, "A", 0)
            .unwrap();
        assert_eq!(id, "1");
        assert!(i.agent_participant_mut("1001").is_some());
    }

    #[test]
    fn transfer_moves_ownership_only_when_completed() {
        let mut i = at(Connected);
        i.agent_id = Some("1001".into());
        let t = Transfer {
            id: "t1".into(),
            status: TransferStatus::Transferring,
            from_agent_id: None,
            to_agent_id: Some("1002".into()),
            from_queue_id: None,
            to_queue_id: None,
            to_number: None,
            created_at_ms: 5_000,
        };
        i.start_transfer(t.clone()).unwrap();
        assert_eq!(i.transfers[0].from_agent_id.as_deref(), Some("1001"));
        assert_eq!(i.agent_id.as_deref(), Some("1001"));
        i.finish_transfer("t1", true, 6_000).unwrap();
        assert_eq!(i.agent_id.as_deref(), Some("1002"));
        assert!(i.finish_transfer("t1", false, 7_000).is_err());
        assert!(at(Queued).start_transfer(t).is_err());
    }

    #[test]
    fn transfer_without_target_is_invalid() {
        let mut i = at(Connected);
        let t = Transfer {
            id: "t1".into(),
            status: TransferStatus::Transferring,
            from_agent_id: None,
            to_agent_id: None,
            from_queue_id: None,
            to_queue_id: None,
            to_number: None,
            created_at_ms: 0,
        };
        assert!(matches!(
            i.start_transfer(t),
            Err(DomainError::Invalid { .. })
        ));
    }

    #[test]
    fn interaction_round_trips_through_json() {
        let mut i = Interaction::new("e1", Channel::Errand, Direction::Inbound, 7);
        i.custom_data
            .insert("case".into(), serde_json::json!(21345));
        let p = i
            .add_participant(ParticipantKind::Customer, None, None, "David", 7)
            .unwrap();
        let mut m = text(Some(&p), "body", 8);
        m.subject = Some("Hello".into());
        m.attachments.push(Attachment {
            id: "a1".into(),
            name: "a.txt".into(),
            content_type: "text/plain".into(),
            size: 3,
            content_base64: Some("YWJj".into()),
            url: None,
        });
        i.add_message(m).unwrap();
        let json = serde_json::to_string(&i).unwrap();
        assert!(json.contains(r#""channel":"errand""#));
        let back: Interaction = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i);
    }
}
