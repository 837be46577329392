//! The desktop benchmark's baseline: an empty Tauri window the size of
//! Ling's (one line of text served over a custom scheme, as Ling's UI is; no
//! plugins, no tray). Prints `loaded` once its page has loaded.

use tauri::webview::PageLoadEvent;
use tauri::{WebviewUrl, WebviewWindowBuilder};

const PAGE: &[u8] = b"<!doctype html><meta charset=utf-8><title>empty</title><p>An empty window</p>";

fn main() {
    let mut context = tauri::generate_context!();
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        .register_uri_scheme_protocol("empty", |_, _| {
            tauri::http::Response::builder().header("content-type", "text/html").body(PAGE.to_vec()).unwrap()
        })
        .setup(|app| {
            WebviewWindowBuilder::new(app, "main", WebviewUrl::CustomProtocol("empty://localhost/".parse()?))
                .title("empty")
                .inner_size(1080.0, 720.0)
                .on_page_load(|_, payload| {
                    if payload.event() == PageLoadEvent::Finished {
                        println!("loaded");
                    }
                })
                .build()?;
            Ok(())
        })
        .run(context)
        .expect("the empty window runs");
}
