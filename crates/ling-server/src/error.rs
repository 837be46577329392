//! The one error type of the HTTP and WebSocket layers: a status, a stable
//! code and a message. 5xx details go to the log, never to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ling_proto::{ErrorBody, ErrorCode};

use crate::store::StoreError;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    /// Machine-readable.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
}

/// Result of handlers and services.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into() }
    }

    /// `invalid_request` naming what is wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// `not_found` for a thing.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// `not_a_member`.
    pub fn not_a_member() -> Self {
        Self::new(ErrorCode::NotAMember, "you are not a member of this conversation")
    }

    /// `blocked`: one of two users blocked the other.
    pub fn blocked() -> Self {
        Self::new(ErrorCode::Blocked, "one of you has blocked the other")
    }

    /// `internal`, with the cause logged.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "something went wrong on the server")
    }

    /// The HTTP status for the code.
    pub fn status(&self) -> StatusCode {
        status_of(self.code)
    }

    /// The body sent to the client.
    pub fn body(&self) -> ErrorBody {
        ErrorBody { code: self.code, message: self.message.clone() }
    }
}

/// The HTTP status each code is answered with.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        InvalidJson | InvalidRequest | InvalidUsername | WeakPassword | InvalidTarget | TextTooLong
        | InvalidContent | InvalidPreview | InvalidClientMsgId | InvalidFileName | EmptyFile | UnknownFrame
        | UnsupportedFrame | InvalidCallSignal | NotAnImage => StatusCode::BAD_REQUEST,
        Unauthorized | InvalidCredentials | InvalidRecoveryCode => StatusCode::UNAUTHORIZED,
        RegistrationClosed | Forbidden | NotAMember | NotFriends | Blocked | InsufficientRole | NotOwnMessage
        | RecallWindowPassed => StatusCode::FORBIDDEN,
        NotFound => StatusCode::NOT_FOUND,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        UsernameTaken | AlreadyFriends | RequestPending | RequestClosed | AlreadyMember | GroupDissolved
        | OwnerCannotLeave | GroupFull | AlreadyRecalled => StatusCode::CONFLICT,
        PayloadTooLarge | FileTooLarge | FrameTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RateLimited | TooManyConnections | AssistantBusy | AssistantRequestLimit => StatusCode::TOO_MANY_REQUESTS,
        AssistantOff => StatusCode::NOT_FOUND,
        AssistantUnavailable | AssistantRateLimited | AssistantInterrupted => StatusCode::BAD_GATEWAY,
        AssistantTimeout => StatusCode::GATEWAY_TIMEOUT,
        RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        Internal | Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), axum::Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rejected(code, message) => ApiError::new(code, message),
            StoreError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            StoreError::Conflict(what) => ApiError::new(ErrorCode::InvalidRequest, format!("already exists: {what}")),
            StoreError::Closed => ApiError::new(ErrorCode::ShuttingDown, "the server is shutting down"),
            other => ApiError::internal(other),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_every_code_maps_to_a_4xx_or_5xx() {
        for code in ling_proto::error::ALL_CODES {
            let code: ErrorCode = serde_json::from_value(serde_json::json!(code)).unwrap();
            let s = status_of(code);
            assert!(s.is_client_error() || s.is_server_error(), "{code} -> {s}");
        }
        assert_eq!(status_of(ErrorCode::UsernameTaken), StatusCode::CONFLICT);
        assert_eq!(status_of(ErrorCode::Internal), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
