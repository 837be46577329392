//! What can go wrong with media, with a stable code for each kind.

/// A media failure.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// A device (microphone, speaker, camera) could not be opened or read.
    #[error("the device {device} cannot be used: {reason}")]
    DeviceUnavailable { device: String, reason: String },
    /// A media file could not be read or written.
    #[error("the media file {path} could not be used: {reason}")]
    File { path: String, reason: String },
    /// The media is in a form Ling does not handle.
    #[error("unsupported media: {0}")]
    Unsupported(String),
    /// An encoder or decoder failed.
    #[error("the {codec} codec failed: {reason}")]
    Codec { codec: &'static str, reason: String },
    /// A peer connection could not be made or used.
    #[error("the call connection failed: {0}")]
    Connection(String),
    /// A signal named a peer the call has no connection to.
    #[error("no connection to peer {0} in this call")]
    UnknownPeer(i64),
    /// A finite source (a file) has nothing more.
    #[error("the source has ended")]
    Ended,
}

impl CallError {
    /// The stable code of this kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            CallError::DeviceUnavailable { .. } => "device_unavailable",
            CallError::File { .. } => "media_file",
            CallError::Unsupported(_) => "unsupported_media",
            CallError::Codec { .. } => "codec_failed",
            CallError::Connection(_) => "connection_failed",
            CallError::UnknownPeer(_) => "unknown_peer",
            CallError::Ended => "source_ended",
        }
    }

    pub(crate) fn file(path: &std::path::Path, reason: impl std::fmt::Display) -> CallError {
        CallError::File { path: path.display().to_string(), reason: reason.to_string() }
    }

    pub(crate) fn codec(codec: &'static str, reason: impl std::fmt::Display) -> CallError {
        CallError::Codec { codec, reason: reason.to_string() }
    }
}

/// A media result.
pub type CallResult<T> = Result<T, CallError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_code() {
        let all = [
            CallError::DeviceUnavailable { device: "cam".into(), reason: "busy".into() },
            CallError::File { path: "a.wav".into(), reason: "missing".into() },
            CallError::Unsupported("44.1 kHz".into()),
            CallError::Codec { codec: "opus", reason: "bad packet".into() },
            CallError::Connection("ice".into()),
            CallError::UnknownPeer(7),
            CallError::Ended,
        ];
        let mut codes: Vec<&str> = all.iter().map(CallError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all[0].to_string().contains("cam"));
    }
}
