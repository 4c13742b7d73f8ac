//! Black-box tests: each starts the real `ccemu` binary on a fresh database of the backend chosen by
//! `CCEMU_TEST_BACKEND` and talks to it over HTTP like a client would.

mod bad_text;
mod campaigns;
mod control_plane;
mod harness;
mod hold_transfer;
mod messages;
mod routing;
mod server;
mod udesk;
mod udesk_calls;
mod udesk_config;
mod udesk_events;
mod udesk_reports;
mod udesk_scenario;
mod udesk_socket;
mod ujet;
mod ujet_apps;
mod ujet_examples;
mod ujet_manager;
mod ujet_queue_settings;
mod ujet_scenario;
mod upgrade;
mod webhooks;
