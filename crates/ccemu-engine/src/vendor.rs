//! Typed places for what a vendor surface keeps to itself: settings it was started with and state
//! per tenant (rate buckets, ...). They hang off the [`crate::Engine`] value instead of a
//! process-wide static, so two engines in one process share nothing, and a tenant's state goes
//! with the tenant when it is deleted or reset.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Slot = Arc<dyn Any + Send + Sync>;

/// Engine-wide settings of the vendor surfaces, one value per type, fixed when the engine starts.
#[derive(Clone, Default)]
pub struct VendorSettings {
    values: HashMap<TypeId, Slot>,
}

impl VendorSettings {
    /// Sets the value of type `T`, replacing one set before.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`, if one was set.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.values.get(&TypeId::of::<T>())?.downcast_ref()
    }
}

impl std::fmt::Debug for VendorSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorSettings")
            .field("values", &self.values.len())
            .finish()
    }
}

/// One tenant's vendor state: one value per type, created on first use.
#[derive(Default)]
pub(crate) struct TenantState {
    // std Mutex: held only to look up or insert a slot, never across an await. The values do
    // their own locking, so a surface never blocks another surface's state.
    slots: Mutex<HashMap<TypeId, Slot>>,
}

impl TenantState {
    /// The tenant's `T`, created with `T::default()` if it has none yet.
    pub fn get_or_default<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = slots
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        match Arc::clone(slot).downcast::<T>() {
            Ok(value) => value,
            // Unreachable: the key is T's own type id. Should it ever differ, start afresh.
            Err(_) => {
                let value = Arc::new(T::default());
                *slot = value.clone();
                value
            }
        }
    }

    /// Forgets every value (the tenant was reset).
    pub fn clear(&self) {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Counter(std::sync::atomic::AtomicU64);

    #[test]
    fn a_tenants_state_is_one_value_per_type_until_cleared() {
        let state = TenantState::default();
        let a = state.get_or_default::<Counter>();
        a.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let b = state.get_or_default::<Counter>();
        assert_eq!(b.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(*state.get_or_default::<String>(), "");
        state.clear();
        let c = state.get_or_default::<Counter>();
        assert_eq!(c.0.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn settings_are_found_by_type() {
        let mut settings = VendorSettings::default();
        assert!(settings.get::<u32>().is_none());
        settings.insert(7_u32);
        settings.insert(String::from("x"));
        settings.insert(9_u32);
        assert_eq!(settings.get::<u32>(), Some(&9));
        assert_eq!(settings.get::<String>().map(String::as_str), Some("x"));
    }
}
