//! Domain model of ccemu: tenants, agents, teams, queues, interactions and their state machines.
//!
//! Everything here is plain Rust: no HTTP, no SQL, no async. Vendor surfaces map their wire formats
//! onto these types; the engine applies commands to them; the store persists them.

pub mod agent;
pub mod campaign;
pub mod clock;
pub mod contact;
pub mod contact_list;
pub mod coverage;
pub mod credential;
pub mod dnc;
pub mod entity;
pub mod error;
pub mod event;
pub mod interaction;
pub mod job;
pub mod lenient;
pub mod origin;
pub mod queue;
pub mod retention;
pub mod seed;
pub mod settings;
pub mod skill;
pub mod subscription;
pub mod team;
pub mod telephony;
pub mod tenant;
pub mod timer;
pub mod validate;

pub use entity::Entity;
pub use error::DomainError;
pub use tenant::{Credentials, Tenant, TenantId};

pub use agent::{Agent, AgentState, AgentStateLog, Capacity, Role};
pub use campaign::{Campaign, CampaignContact, CampaignContactStatus, DialerMode};
pub use contact::Contact;
pub use contact_list::{ContactList, ContactListEntry};
pub use credential::ApiCredential;
pub use dnc::DncEntry;
pub use interaction::{Channel, Direction, EndReason, EndedBy, Interaction, InteractionState};
pub use job::{Job, JobStatus, JobStep, JobWork, StepAction, StepError, StepFailure};
pub use queue::{Queue, QueueMember, RoutingStrategy};
pub use retention::{Retention, TenantRetention};
pub use seed::{demo_seed, DemoSeed};
pub use settings::SurfaceSettings;
pub use skill::{Skill, SkillLevel};
pub use subscription::Subscription;
pub use team::Team;
pub use telephony::{DefaultVoices, Extension, IvrMenu, RelayNumber, VoiceFile};
