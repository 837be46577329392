//! Calls in the desktop app: the commands over `ling_client::calls`, the
//! devices chosen in the settings (see [`crate::devices`]), and the
//! pictures. Pictures are decoded in Rust and kept, the latest per tile, in a
//! [`crate::devices::FrameStore`]; the UI pulls them
//! over the `ling-video:` URI scheme once per animation frame and draws them
//! with WebGL (`ling-video://localhost/<peer>?after=<seq>`, peer 0 being the
//! self view). A body is a 16-byte header — width, height, sequence number
//! and 0, each a little-endian `u32` — and the I420 planes; `204` when there
//! is nothing newer than `after`.

use ling_call::VideoFrame;
use ling_call::camera::cameras;
use ling_call::devices::audio_devices;
use ling_client::calls::CallView;
use ling_proto::ConversationId;
use ling_proto::messages::CallMedia;
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, State, UriSchemeContext, UriSchemeResponder};

use crate::devices::{CallDeviceList, DeviceView};
use crate::error::{AppError, AppResult, ShellCode};
use crate::state::AppState;

/// The scheme's name.
pub const VIDEO_SCHEME: &str = "ling-video";

/// Calls everyone else in a conversation.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_start(
    state: State<'_, AppState>,
    conversation_id: ConversationId,
    video: bool,
) -> AppResult<CallView> {
    let media = if video { CallMedia::Video } else { CallMedia::Audio };
    Ok(state.session()?.calls.call(conversation_id, media).await?)
}

/// Answers the ringing call.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_accept(state: State<'_, AppState>, call_id: String) -> AppResult<CallView> {
    Ok(state.session()?.calls.accept(&call_id).await?)
}

/// Turns the ringing call down.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_decline(state: State<'_, AppState>, call_id: String) -> AppResult<()> {
    Ok(state.session()?.calls.decline(&call_id).await?)
}

/// Leaves (or cancels) the call.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_hang_up(state: State<'_, AppState>) -> AppResult<()> {
    Ok(state.session()?.calls.hang_up().await?)
}

/// Rings someone of the conversation into the call (again).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_invite(state: State<'_, AppState>, user_id: i64) -> AppResult<CallView> {
    Ok(state.session()?.calls.invite(user_id).await?)
}

#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_set_muted(state: State<'_, AppState>, muted: bool) -> AppResult<CallView> {
    Ok(state.session()?.calls.set_muted(muted).await?)
}

#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_set_camera(state: State<'_, AppState>, on: bool) -> AppResult<CallView> {
    Ok(state.session()?.calls.set_camera(on).await?)
}

/// The call in progress (after a reload of the UI).
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_current(state: State<'_, AppState>) -> AppResult<Option<CallView>> {
    Ok(state.session()?.calls.current().await)
}

/// The microphones, speakers and cameras, and the ones chosen.
#[tauri::command]
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn call_devices(state: State<'_, AppState>) -> AppResult<CallDeviceList> {
    let chosen = state.session()?.devices.choice();
    tokio::task::spawn_blocking(move || {
        let audio = audio_devices();
        let view = |d: ling_call::devices::AudioDevice| DeviceView { id: d.id, name: d.name, is_default: d.is_default };
        CallDeviceList {
            microphones: audio.microphones.into_iter().map(view).collect(),
            speakers: audio.speakers.into_iter().map(view).collect(),
            cameras: cameras()
                .into_iter()
                .enumerate()
                .map(|(i, c)| DeviceView { id: c.id, name: c.name, is_default: i == 0 })
                .collect(),
            chosen,
        }
    })
    .await
    .map_err(|e| AppError::new(ShellCode::ShellFailed, e.to_string()))
}

/// Lets the page fetch from `ling-video:`. WebKitGTK refuses a fetch to a
/// custom scheme unless the scheme is marked CORS-enabled (WebView2 and
/// WKWebView follow the response's `Access-Control-Allow-Origin`).
pub fn allow_video_fetch(app: &tauri::AppHandle) -> tauri::Result<()> {
    #[cfg(target_os = "linux")]
    for window in app.webview_windows().values() {
        window.with_webview(|webview| {
            use webkit2gtk::{SecurityManagerExt, WebContextExt, WebViewExt};
            if let Some(security) = webview.inner().context().and_then(|c| c.security_manager()) {
                security.register_uri_scheme_as_cors_enabled(VIDEO_SCHEME);
            }
        })?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
    Ok(())
}

/// Answers one `ling-video:` request.
pub fn handle_video(ctx: UriSchemeContext<'_, tauri::Wry>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let state = ctx.app_handle().state::<AppState>();
    let response = match state.current() {
        None => Response::builder().status(StatusCode::UNAUTHORIZED).body(Vec::new()),
        Some(session) => {
            let uri = request.uri();
            let peer: i64 = uri.path().trim_start_matches('/').parse().unwrap_or(-1);
            let after: u64 = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "after")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            match session.devices.frames.newer(peer, after) {
                Some((seq, frame)) => Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
                    .header(header::CACHE_CONTROL, "no-store")
                    .body(encode(seq, &frame)),
                None => Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
                    .body(Vec::new()),
            }
        }
    };
    responder.respond(response.unwrap_or_else(|_| Response::new(Vec::new())));
}

/// The header and the planes.
fn encode(seq: u64, frame: &VideoFrame) -> Vec<u8> {
    let mut body = Vec::with_capacity(16 + frame.y.len() + frame.u.len() + frame.v.len());
    for n in [frame.width as u32, frame.height as u32, seq as u32, 0] {
        body.extend_from_slice(&n.to_le_bytes());
    }
    body.extend_from_slice(&frame.y);
    body.extend_from_slice(&frame.u);
    body.extend_from_slice(&frame.v);
    body
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ling_call::VideoFrame;

    use super::*;
    use crate::devices::FrameStore;

    #[test]
    fn a_tile_gives_its_latest_picture_once() {
        let store = Arc::new(FrameStore::default());
        let mut sink = (store.sinks())(7);
        assert!(store.newer(7, 0).is_none());
        let frame = VideoFrame::black(4, 2).unwrap();
        sink.write(&frame).unwrap();
        sink.write(&frame).unwrap();
        let (seq, latest) = store.newer(7, 0).unwrap();
        assert_eq!(seq, 2);
        assert!(store.newer(7, seq).is_none(), "nothing newer");
        let body = encode(seq, &latest);
        assert_eq!(&body[..12], &[4, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(body.len(), 16 + 8 + 2 + 2);
    }
}
