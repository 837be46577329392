//! A release server as tauri-plugin-updater reads one: `GET /latest.json`
//! answers the release announced now (or 204, nothing new), `GET
//! /files/NAME` its file. Signatures are made with the Tauri CLI's signer and
//! a key generated for the test, as the release workflow does with its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

#[derive(Default)]
struct Served {
    manifest: Option<Value>,
    files: Vec<(String, Vec<u8>)>,
    checks: usize,
    downloads: usize,
}

type Shared = Arc<Mutex<Served>>;

/// The release server, on a free port of 127.0.0.1 until dropped.
pub struct UpdateServer {
    pub base: String,
    served: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for UpdateServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl UpdateServer {
    pub async fn start() -> UpdateServer {
        let served = Shared::default();
        let app = Router::new()
            .route("/latest.json", get(manifest))
            .route("/files/{name}", get(file))
            .with_state(served.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        UpdateServer { base, served, task }
    }

    /// What the app is told to look at (`LING_UPDATE_ENDPOINT`).
    pub fn endpoint(&self) -> String {
        format!("{}/latest.json", self.base)
    }

    /// Announces `version` with `notes`: the file `bytes` named `name`,
    /// signed with `signature` (for Linux, any package kind).
    pub fn announce(&self, version: &str, notes: &str, name: &str, bytes: Vec<u8>, signature: &str) {
        let url = format!("{}/files/{name}", self.base);
        let target = json!({ "url": url, "signature": signature });
        let mut s = self.served.lock().unwrap();
        s.files.push((name.to_owned(), bytes));
        s.manifest = Some(json!({
            "version": version,
            "notes": notes,
            "pub_date": "2026-11-26T12:00:00Z",
            "platforms": { "linux-x86_64": target, "linux-x86_64-deb": target },
        }));
    }

    /// How often the manifest and a file were asked for.
    pub fn checks(&self) -> usize {
        self.served.lock().unwrap().checks
    }

    pub fn downloads(&self) -> usize {
        self.served.lock().unwrap().downloads
    }
}

async fn manifest(State(served): State<Shared>) -> Response {
    let mut s = served.lock().unwrap();
    s.checks += 1;
    match &s.manifest {
        Some(m) => axum::Json(m.clone()).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn file(State(served): State<Shared>, UrlPath(name): UrlPath<String>) -> Response {
    let mut s = served.lock().unwrap();
    s.downloads += 1;
    match s.files.iter().rev().find(|(n, _)| *n == name) {
        Some((_, bytes)) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// An update signing key made for the test with the Tauri CLI (`tauri
/// signer`, from the UI's npm packages).
pub struct Signer {
    key: PathBuf,
    /// The public key as the app takes it (`LING_UPDATE_PUBKEY`).
    pub pubkey: String,
    _dir: tempfile::TempDir,
}

fn tauri_cli() -> PathBuf {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/.bin/tauri");
    assert!(cli.exists(), "{} is missing: run scripts/setup.sh", cli.display());
    cli
}

impl Signer {
    pub fn generate() -> Signer {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("update.key");
        let out = Command::new(tauri_cli())
            .args(["signer", "generate", "--ci", "-p", "", "-w"])
            .arg(&key)
            .output()
            .expect("the Tauri CLI runs");
        assert!(out.status.success(), "tauri signer generate: {}", String::from_utf8_lossy(&out.stderr));
        let pubkey = std::fs::read_to_string(key.with_extension("key.pub")).expect("the public key");
        Signer { key, pubkey: pubkey.trim().to_owned(), _dir: dir }
    }

    /// The signature of `file` for `version` (what a manifest carries).
    pub fn sign(&self, file: &Path, version: &str) -> String {
        let out = Command::new(tauri_cli())
            .args(["signer", "sign", "-p", "", "--app-version", version, "-f"])
            .arg(&self.key)
            .arg(file)
            .output()
            .expect("the Tauri CLI runs");
        assert!(out.status.success(), "tauri signer sign: {}", String::from_utf8_lossy(&out.stderr));
        let sig = file.with_file_name(format!("{}.sig", file.file_name().unwrap().to_string_lossy()));
        std::fs::read_to_string(sig).expect("the signature").trim().to_owned()
    }
}
