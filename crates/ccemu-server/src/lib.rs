//! The ccemu server: configuration, router assembly, control plane, TLS and graceful shutdown.
//!
//! No vendor logic lives here: each vendor crate brings its routes, this crate mounts them next to
//! the control plane behind one prefix-stripping layer, and wires journal, metrics and tracing.

pub mod access;
pub mod campaigns;
pub mod config;
pub mod control;
pub mod journal;
pub mod memory;
pub mod messages;
pub mod metrics;
pub mod mount;
pub mod recordings;
pub mod simulate;
pub mod text;
pub mod tls;
pub mod webhooks;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::Router;
use ccemu_engine::{Engine, EngineConfig};
use ccemu_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt as _;
use tower_http::trace::TraceLayer;

use crate::access::Access;
use crate::config::Config;
use crate::journal::Journal;
use crate::metrics::Metrics;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    /// The request journal.
    pub journal: Journal,
    /// Request metrics.
    pub metrics: Metrics,
    /// Who may use the control plane.
    pub access: Access,
}

impl axum::extract::FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Self {
        state.engine.clone()
    }
}

/// Wall-clock time, epoch milliseconds.
pub fn wall_ms() -> i64 {
    ccemu_engine::wall_ms()
}

/// Every route of every surface, with journal, metrics, tracing and the body limit.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .merge(control::router())
        .merge(simulate::router())
        .merge(campaigns::router())
        .merge(messages::router())
        .route(
            "/_ccemu/tenants/{id}/recordings/{interaction_id}/{file}",
            axum::routing::get(recordings::get_recording),
        )
        .merge(ccemu_vendor_udesk::router())
        .merge(ccemu_vendor_ujet::router())
        .merge(ccemu_vendor_genesys::router())
        .merge(ccemu_vendor_cention::router())
        .merge(ccemu_vendor_sangoma::router())
        .fallback(control::not_found)
        .layer(axum::middleware::from_fn_with_state(
            max_body_bytes,
            text::refuse,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.access.clone(),
            access::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.journal.clone(),
            journal::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str)
                .unwrap_or("unmatched");
            // Debug, not info: enabled at the default level, the span costs every request the
            // formatting of its fields (a third of `/_ccemu/health`'s CPU) for logs that rarely come.
            tracing::debug_span!("request", http.method = %req.method(), http.route = route)
        }))
        .with_state(state)
}

/// The whole application as a service: the prefix-stripping step (which must run before routing,
/// so it cannot be a router layer) in front of [`router`].
pub fn app(
    state: AppState,
    max_body_bytes: usize,
    tls: bool,
) -> impl tower::Service<
    Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    let bases = Arc::new(mount::bases());
    router(state, max_body_bytes).map_request(move |req: Request| mount::rewrite(req, &bases, tls))
}

/// A running server: its address and a way to stop it.
pub struct Running {
    /// Address it listens on.
    pub addr: SocketAddr,
    /// Resolves when the server has stopped.
    pub done: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Opens the configured store and starts the engine on it.
pub async fn open_engine(config: &Config) -> anyhow::Result<Engine> {
    let url = config.database_url()?;
    let store = Store::connect(&url)
        .await
        .with_context(|| format!("opening store {}", redact(&url)))?;
    Engine::start(
        store,
        EngineConfig {
            demo_credentials: config.demo.enabled.then(|| config.demo.credentials.clone()),
            notifiers: vec![
                Arc::new(webhooks::EventWebhooks),
                Arc::new(ccemu_vendor_udesk::events::UdeskCallbacks),
                Arc::new(ccemu_vendor_ujet::webhooks::UjetWebhooks),
            ],
            delivery: config.delivery.engine_config(),
            retention: config.retention.engine_config(),
            jobs: config.jobs.engine_config(),
            vendor: vendor_settings(config),
        },
    )
    .await
    .context("starting engine")
}

/// What the vendor surfaces take from the configuration, held by the engine (not a static, so
/// two servers in one process keep their own).
fn vendor_settings(config: &Config) -> ccemu_engine::vendor::VendorSettings {
    let mut settings = ccemu_engine::vendor::VendorSettings::default();
    settings.insert(ccemu_vendor_udesk::socket::SocketSettings::new(
        std::time::Duration::from_millis(config.udesk.ws_resend_ms),
    ));
    settings
}

/// Opens the store and the engine and serves until `shutdown` resolves.
pub async fn serve(
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Running> {
    let url = config.database_url()?;
    let engine = open_engine(&config).await?;
    let state = AppState {
        engine: engine.clone(),
        journal: Journal::new(
            config.journal.capacity,
            config.journal.max_body_bytes,
            config.journal.max_total_bytes,
            config.server.max_body_bytes,
        ),
        metrics: Metrics::default(),
        access: Access::new(&config.server),
    };
    if access::exposed(&config.server.bind) && config.server.admin_token.trim().is_empty() {
        tracing::warn!(
            bind = %config.server.bind,
            "the control plane is open to anyone who can reach this port: they can read every \
             tenant's secrets and the request journal, and delete tenants; set an admin token \
             (--admin-token, CCEMU_ADMIN_TOKEN or server.admin_token), or bind 127.0.0.1"
        );
    }
    let tls = config.server.tls;
    let app = app(state, config.server.max_body_bytes, tls);
    let addr: SocketAddr = format!("{}:{}", config.server.bind, config.server.port)
        .parse()
        .context("bind address")?;
    let listener = std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let done = if tls {
        let rustls = tls::server_config(&config.storage.data_dir)?;
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
        });
        let server = axum_server::from_tcp_rustls(listener, rustls)
            .handle(handle)
            .serve(tower::make::Shared::new(app.map_request(
                |req: http::Request<hyper::body::Incoming>| req.map(axum::body::Body::new),
            )));
        tokio::spawn(async move {
            server.await.context("TLS server")?;
            engine.shutdown().await;
            Ok(())
        })
    } else {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let server =
            axum::serve(listener, tower::make::Shared::new(app)).with_graceful_shutdown(shutdown);
        tokio::spawn(async move {
            server.await.context("HTTP server")?;
            engine.shutdown().await;
            Ok(())
        })
    };
    tracing::info!(%addr, tls, store = %redact(&url), "ccemu listening");
    Ok(Running { addr, done })
}

/// Hides a password in a database URL for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
