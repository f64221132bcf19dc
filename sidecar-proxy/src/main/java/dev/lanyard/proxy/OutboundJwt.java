package dev.lanyard.proxy;

import dev.lanyard.config.JwtAudiences;
import dev.lanyard.tls.JwtSender;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.Optional;

/**
 * {@code LANYARD_JWT_AUDIENCES} for the outbound proxy: spiffe-tls's {@link JwtSender} decides
 * (the javaagent's rules: only matching hosts, never over plain HTTP, never over the app's own
 * {@code Authorization}, one {@code jwt.send} audit record per token sent or refused); this class
 * only says which requests need asking and keeps a possible wait for a token off the event loop.
 */
final class OutboundJwt {
  /** How the sidecar names itself in {@code jwt.send} reasons. */
  static final String CLIENT = "lanyard-sidecar";

  private final JwtSender sender;
  private final JwtAudiences audiences;
  private final OffLoopWork workers;

  OutboundJwt(JwtSender sender, JwtAudiences audiences, OffLoopWork workers) {
    this.sender = sender;
    this.audiences = audiences;
    this.workers = workers;
  }

  /** Whether a request to {@code host} is a JWT decision at all (cheap: no token, no I/O). */
  boolean applies(String host) {
    return sender.enabled() && audiences.match(host).isPresent();
  }

  /**
   * The decision that needs no token, made at once: a plain-HTTP destination (refused, audit
   * record) or a request that carries the app's own Authorization (kept, nothing added).
   */
  void decideWithoutToken(HostAndPort destination, boolean overMtls, boolean hasAuthorization) {
    sender.authorizationFor(destination.host(), destination.port(), overMtls, hasAuthorization,
        CLIENT);
  }

  /** The {@code Authorization} value for a mesh request, or empty; completes on {@code loop}. */
  Future<Optional<String>> authorization(EventExecutor loop, HostAndPort destination) {
    return workers.submit(loop, () -> sender.authorizationFor(destination.host(),
        destination.port(), true, false, CLIENT));
  }
}
