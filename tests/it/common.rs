//! Shared pieces for the integration tests: starting emulators and talking to them with plain HTTP.
#![allow(dead_code)]

use drsync::emulator::{Emulator, EmulatorConfig, Fixtures, DEFAULT_TOKEN};
use serde_json::Value;
use std::path::PathBuf;

/// The repository's `fixtures/` folder.
pub fn fixtures_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Start an emulator on 127.0.0.1 with a random port.
pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts")
}

/// Start an emulator seeded with `fixtures`, otherwise default settings.
pub async fn start_with(fixtures: Fixtures) -> Emulator {
    start(EmulatorConfig {
        fixtures,
        ..EmulatorConfig::default()
    })
    .await
}

/// A raw HTTP helper that sends the default emulator token.
pub struct Raw {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

impl Raw {
    pub fn new(emu: &Emulator) -> Self {
        Raw {
            base: emu.url().to_string(),
            http: reqwest::Client::new(),
            token: DEFAULT_TOKEN.to_string(),
        }
    }

    /// GET `path?query`, returning status and parsed body (Null for an empty body).
    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{}", self.base, path_and_query))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body read");
        (status, parse(&text))
    }

    /// POST a JSON body to `path`.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body read");
        (status, parse(&text))
    }
}

fn parse(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).unwrap_or(Value::String(text.to_string()))
    }
}
