package dev.lanyard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequestEncoder;

/**
 * Encodes the HTTP requests relayed to the app, and lets raw bytes pass untouched: the same app
 * connection carries raw TCP when the client does not speak HTTP.
 */
final class AppRequestEncoder extends HttpRequestEncoder {
  @Override
  public boolean acceptOutboundMessage(Object msg) throws Exception {
    return !(msg instanceof ByteBuf) && super.acceptOutboundMessage(msg);
  }
}
