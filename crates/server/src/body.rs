//! The response body type every answer has: a whole buffer, or a stream of event frames.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use std::convert::Infallible;

/// A response body: [`full`] for one buffer, or a boxed stream (SubscribeToShard's events).
pub(crate) type Body = BoxBody<Bytes, Infallible>;

/// A body holding `bytes`.
pub(crate) fn full(bytes: Vec<u8>) -> Body {
    Full::new(Bytes::from(bytes)).boxed()
}
