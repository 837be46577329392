//! The `ling-file:` URI scheme: images and files from the account's cache,
//! fetched once from the server. The UI uses
//! `ling-file://localhost/thumb/<file id>` for thumbnails and
//! `ling-file://localhost/file/<file id>?name=..&size=..&mime=..` for whole
//! files (the image viewer). Nothing outside the account's cache is served.

use ling_proto::messages::FileRef;
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

/// The scheme's name.
pub const SCHEME: &str = "ling-file";

/// Answers one request, in the background.
pub fn handle(ctx: UriSchemeContext<'_, tauri::Wry>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = ctx.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        let response = match serve(&app, request.uri()).await {
            Ok((bytes, mime)) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, mime)
                .header(header::CACHE_CONTROL, "private, max-age=31536000, immutable")
                .body(bytes),
            Err((status, why)) => {
                Response::builder().status(status).header(header::CONTENT_TYPE, "text/plain").body(why.into_bytes())
            }
        };
        responder.respond(response.unwrap_or_else(|_| Response::new(Vec::new())));
    });
}

type Served = Result<(Vec<u8>, String), (StatusCode, String)>;

async fn serve(app: &tauri::AppHandle, uri: &tauri::http::Uri) -> Served {
    let session = app.state::<AppState>().session().map_err(|e| (StatusCode::UNAUTHORIZED, e.message))?;
    let path = uri.path().trim_start_matches('/');
    let (kind, id) = path.split_once('/').ok_or((StatusCode::NOT_FOUND, "no such file".to_owned()))?;
    let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy().into_owned();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let param = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let failed = |e: ling_client::ClientError| {
        let status = match e.code().as_str() {
            "not_found" => StatusCode::NOT_FOUND,
            "forbidden" => StatusCode::FORBIDDEN,
            "invalid_input" => StatusCode::BAD_REQUEST,
            _ => StatusCode::BAD_GATEWAY,
        };
        (status, e.to_string())
    };
    match kind {
        "thumb" => {
            let path = session.client.thumbnail(&id).await.map_err(failed)?;
            let path = path.ok_or((StatusCode::NOT_FOUND, "no thumbnail".to_owned()))?;
            let bytes = tokio::fs::read(&path).await.map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            Ok((bytes, "image/jpeg".to_owned()))
        }
        "file" => {
            let file = FileRef {
                id,
                name: param("name"),
                size: param("size").parse().unwrap_or_default(),
                mime: param("mime"),
            };
            let path = session.local_file(&file).await.map_err(failed)?;
            let bytes = tokio::fs::read(&path).await.map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let mime = if file.mime.is_empty() { "application/octet-stream".to_owned() } else { file.mime };
            Ok((bytes, mime))
        }
        _ => Err((StatusCode::NOT_FOUND, "no such file".to_owned())),
    }
}
