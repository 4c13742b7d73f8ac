//! What every engine test starts from: an engine with the demo tenant on the backend under test.

use ccemu_core::TenantId;
use ccemu_engine::{credentials, Engine, EngineConfig};
use ccemu_store::testing::TestDb;
use ccemu_store::Store;

/// Tenant time the tests put their manual clocks at.
#[allow(dead_code)] // not every test file uses it
pub const T0: i64 = 1_800_000_000_000;

/// An engine on `db` (kept alive by the caller, so a test can restart on the same data).
pub async fn engine(db: &TestDb) -> Engine {
    engine_with(db, ccemu_engine::JobConfig::default()).await
}

/// [`engine`] carrying out background jobs as `jobs` says.
pub async fn engine_with(db: &TestDb, jobs: ccemu_engine::JobConfig) -> Engine {
    let store = Store::connect(&db.url).await.expect("store");
    Engine::start(
        store,
        EngineConfig {
            demo_credentials: Some(credentials::generate("demo")),
            jobs,
            ..EngineConfig::default()
        },
    )
    .await
    .expect("engine")
}

/// The demo tenant's id.
pub fn demo() -> TenantId {
    TenantId::parse("demo").unwrap()
}

/// The demo tenant on a manual clock at [`T0`], with a simulator that answers nothing by itself.
#[allow(dead_code)] // not every test file uses it
pub async fn manual(engine: &Engine) {
    engine
        .set_clock(&demo(), ccemu_core::clock::ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let sim = ccemu_engine::sim::SimSettings {
        auto: false,
        ..Default::default()
    };
    engine
        .execute(&demo(), ccemu_engine::Op::PutSimSettings(sim))
        .await
        .unwrap();
}
