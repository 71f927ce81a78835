//! The server's one error type: an AWS error as clients see it (`__type`, message, HTTP status).

/// An error answered to a client: `{"__type": kind, "message": message}` with `status`.
///
/// ```
/// use shardlog_server::ApiError;
/// let e = ApiError::from(shardlog::Error::ResourceNotFound("gone".into()));
/// assert_eq!((e.kind, e.status), ("ResourceNotFoundException", 400));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
#[non_exhaustive]
pub struct ApiError {
    /// The AWS error type name.
    pub kind: &'static str,
    /// Human-readable text, worded as AWS words it where known.
    pub message: String,
    /// HTTP status: 400 for client errors, 500 for internal failures.
    pub status: u16,
}

impl ApiError {
    /// A client error (HTTP 400) of the given type.
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            status: 400,
        }
    }

    /// `InvalidArgumentException`.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new("InvalidArgumentException", message)
    }

    /// `SerializationException`: the body could not be decoded or a member has the wrong type.
    pub fn serialization(message: impl Into<String>) -> Self {
        ApiError::new("SerializationException", message)
    }

    /// `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new("ResourceNotFoundException", message)
    }

    /// `InternalFailure` (HTTP 500).
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            kind: "InternalFailure",
            message: message.into(),
            status: 500,
        }
    }
}

impl From<shardlog::Error> for ApiError {
    fn from(e: shardlog::Error) -> Self {
        if e.is_server_fault() {
            ApiError::internal(e.to_string())
        } else {
            ApiError::new(e.kind(), e.to_string())
        }
    }
}
