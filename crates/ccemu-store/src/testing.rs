//! Fresh databases for tests, on the backend named by `CCEMU_TEST_BACKEND` (`sqlite` or `postgres`).
//!
//! A test asks for a [`TestDb`] and gets a database nobody else uses. The PostgreSQL backend creates
//! a new database per test on the server at `CCEMU_TEST_POSTGRES_URL` (default: the local cluster);
//! if that server cannot be reached the test fails: a skipped backend never counts as a pass.

use ccemu_core::tenant::*;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Default admin URL for the PostgreSQL test backend.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A throw-away database: its URL, kept alive (SQLite file in a temp dir) for the test's lifetime.
#[derive(Debug)]
pub struct TestDb {
    /// URL to hand to [`crate::Store::connect`] or to `ccemu serve --database-url`.
    pub url: String,
    /// The backend chosen for this test run.
    pub backend: crate::Backend,
    _dir: tempfile::TempDir,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    /// Creates a fresh, empty database on the backend selected for this test run.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend_under_test() {
            crate::Backend::Sqlite => {
                let path = dir.path().join("ccemu.db");
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    backend: crate::Backend::Sqlite,
                    _dir: dir,
                }
            }
            crate::Backend::Postgres => {
                let admin = std::env::var("CCEMU_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
                let name = format!(
                    "ccemu_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.subsec_nanos())
                        .unwrap_or(0)
                );
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL test backend unreachable at {admin}: {e}")
                    });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Self {
                    url: format!("{base}/{name}"),
                    backend: crate::Backend::Postgres,
                    _dir: dir,
                }
            }
        }
    }
}

impl TestDb {
    /// A fresh database holding what an earlier release wrote: on SQLite `sqlite_file` copied
    /// into place, on PostgreSQL `postgres_dump` (plain SQL from `pg_dump`) executed in it. The
    /// dump's psql meta-commands (lines starting with a backslash, such as `\restrict`) are left
    /// out: they are psql's, not SQL.
    pub async fn with_fixture(sqlite_file: &Path, postgres_dump: &Path) -> Self {
        let db = Self::new().await;
        match db.backend {
            crate::Backend::Sqlite => {
                let path = db._dir.path().join("ccemu.db");
                std::fs::copy(sqlite_file, &path).unwrap_or_else(|e| {
                    panic!("copy {} to {}: {e}", sqlite_file.display(), path.display())
                });
            }
            crate::Backend::Postgres => {
                let dump = std::fs::read_to_string(postgres_dump)
                    .unwrap_or_else(|e| panic!("read {}: {e}", postgres_dump.display()));
                let sql: String = dump
                    .lines()
                    .filter(|line| !line.starts_with('\\'))
                    .flat_map(|line| [line, "\n"])
                    .collect();
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
                    .await
                    .expect("connect to the test database");
                sqlx::raw_sql(&sql)
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("load {}: {e}", postgres_dump.display()));
            }
        }
        db
    }
}

/// The backend this test run exercises; an unknown value is a configuration error, not a skip.
pub fn backend_under_test() -> crate::Backend {
    match std::env::var("CCEMU_TEST_BACKEND").as_deref() {
        Err(_) | Ok("sqlite") => crate::Backend::Sqlite,
        Ok("postgres") => crate::Backend::Postgres,
        Ok(other) => panic!("CCEMU_TEST_BACKEND must be sqlite or postgres, not {other}"),
    }
}

/// A tenant with credentials derived from its id (`{id}-sid`, `{id}-tok`, ...).
pub fn tenant(id: &str) -> Tenant {
    let s = |x: &str| format!("{id}-{x}");
    Tenant {
        id: TenantId::parse(id).unwrap(),
        name: format!("tenant {id}"),
        created_at_ms: 1_700_000_000_000,
        credentials: Credentials {
            udesk: UdeskCredentials {
                sid: s("sid"),
                auth_token: s("tok"),
                app_id: s("app"),
                app_secret: s("sec"),
            },
            ujet: UjetCredentials {
                subdomain: s("sub"),
                api_token: s("api"),
                company_key: s("ck"),
                company_secret: s("cs"),
            },
            genesys: GenesysCredentials {
                contact_center_id: s("cc"),
                agent_password: s("pw"),
            },
            cention: CentionCredentials {
                workspace: s("ws"),
                jwt: s("jwt"),
                jwt_secret: s("js"),
                access_key_id: s("ak"),
                access_key_secret: s("as"),
            },
            sangoma: SangomaCredentials {
                tenant_domain: s("dom"),
                client_id: s("ci"),
                client_secret: s("cs"),
            },
        },
    }
}
