//! The response body type every answer has: a whole buffer, or a stream of event frames.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Frame;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A response body: [`full`] for one buffer, or a boxed stream (SubscribeToShard's events).
pub(crate) type Body = BoxBody<Bytes, Infallible>;

/// A body holding `bytes`.
pub(crate) fn full(bytes: Vec<u8>) -> Body {
    Full::new(crate::answer_buffers::ANSWERS.answer_bytes(bytes)).boxed()
}

/// A body fed by `rx`: each message is one chunk, and the body ends when every sender is gone.
pub(crate) fn channel(rx: tokio::sync::mpsc::Receiver<Bytes>) -> Body {
    ChannelBody(rx).boxed()
}

/// See [`channel`].
struct ChannelBody(tokio::sync::mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|m| m.map(|b| Ok(Frame::data(b))))
    }
}
