package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * One HTTP mesh connection's requests sent to the app, in order, matched with the app's answers
 * ({@link AppResponseWatcher}), for one purpose: to learn whether the app accepted a WebSocket
 * upgrade (only a {@code 101} to that very request turns the connection raw) or declined it.
 * Both sides of a connection run on one event loop, so no locking.
 */
final class UpgradeTracker {
  private record Sent(boolean head, boolean webSocket) {}

  private final Channel client;
  private final Queue<Sent> sent = new ArrayDeque<>();
  private InboundRequestDecoder requests;
  /** Why the app's answers can no longer be followed; null while they can. */
  private String blind;

  UpgradeTracker(Channel client) {
    this.client = client;
  }

  void requestsFrom(InboundRequestDecoder decoder) {
    this.requests = decoder;
  }

  /** A request on its way to the app; false: it must not go (the connection is closing). */
  boolean sent(HttpRequest request) {
    boolean webSocket = Upgrades.webSocketRequested(request.headers());
    if (webSocket && blind != null) {
      fail("the app's answers could not be read earlier on this connection (" + blind
          + "), so whether it accepts this WebSocket upgrade could not be judged");
      return false;
    }
    sent.add(new Sent(HttpMethod.HEAD.equals(request.method()), webSocket));
    return true;
  }

  /** Whether the answer now expected is to a HEAD request (no body, whatever its headers say). */
  boolean answeringHead() {
    Sent next = sent.peek();
    return next != null && next.head();
  }

  /**
   * The app's answer to the oldest unanswered request (interim 1xx answers other than 101 are not
   * answers). Returns whether the connection is now raw: watching ends there.
   */
  boolean answered(HttpResponse response) {
    int code = response.status().code();
    if (code >= 100 && code < 200 && code != HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
      return false;
    }
    Sent request = sent.poll();
    boolean switched = code == HttpResponseStatus.SWITCHING_PROTOCOLS.code();
    if (switched && (request == null || !request.webSocket() || requests == null
        || !requests.awaitingApp())) {
      fail("the app answered 101 Switching Protocols to a request that was not a WebSocket"
          + " upgrade");
      return true;
    }
    if (request != null && request.webSocket() && requests != null) {
      requests.appAnswered(switched);
    }
    return switched;
  }

  /** The app's answers cannot be followed: a pending or later upgrade could not be judged. */
  void unreadable(String why) {
    blind = why;
    if (requests != null && requests.awaitingApp()) {
      fail("the app's answer to a WebSocket upgrade could not be read (" + why + ")");
    }
  }

  private void fail(String reason) {
    ConnectionRecord record = ConnectionRecord.of(client);
    if (record != null) {
      record.close(Reason.UPGRADE_REFUSED, reason);
    }
    client.close();
  }
}
