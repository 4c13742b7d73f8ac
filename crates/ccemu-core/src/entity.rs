//! The contract between domain records and the store.

use serde::{de::DeserializeOwned, Serialize};

/// A tenant-scoped domain record that the store keeps as a document under `(tenant, KIND, id)`.
///
/// Records are kept whole (as JSON) because the engine holds the working set in memory and the store
/// only has to make it durable and give it back after a restart; queries by field happen in memory.
pub trait Entity: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stable name of the record kind, used as the storage discriminator. Never rename one.
    const KIND: &'static str;

    /// The record's id, unique within its tenant and kind.
    fn id(&self) -> &str;
}

/// Implements [`Entity`] for a struct with a `String` field named `id`.
#[macro_export]
macro_rules! entity {
    ($ty:ty, $kind:literal) => {
        impl $crate::Entity for $ty {
            const KIND: &'static str = $kind;
            fn id(&self) -> &str {
                &self.id
            }
        }
    };
}
