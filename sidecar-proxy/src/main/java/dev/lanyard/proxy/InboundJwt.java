package dev.lanyard.proxy;

import dev.lanyard.tls.JwtVerifier;
import dev.lanyard.tls.PeerDecision;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * {@code LANYARD_INBOUND_JWT_AUDIENCE} for a mesh port: spiffe-tls's {@link JwtVerifier} checks
 * the bearer token (signature against the bundle of the token's trust domain, {@code aud}, {@code
 * exp} with clock skew, {@code sub} a SPIFFE ID, then {@code LANYARD_ALLOWED_PEERS}) and writes
 * the one {@code jwt.accept} audit record; the check runs on {@link OffLoopWork}, because it may
 * wait for JWT bundles.
 */
final class InboundJwt {
  private final JwtVerifier verifier;
  private final OffLoopWork workers;

  InboundJwt(JwtVerifier verifier, OffLoopWork workers) {
    this.verifier = verifier;
    this.workers = workers;
  }

  String audience() {
    return verifier.audience();
  }

  /** The decision about one request's {@code Authorization} value (null: none), on its loop. */
  Future<PeerDecision> verify(Channel client, String authorization) {
    String resource = resource(client.remoteAddress());
    return workers.submit(client.eventLoop(), () -> verifier.verify(authorization, resource));
  }

  private static String resource(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet.getHostString() + ":" + inet.getPort();
    }
    return address == null ? null : address.toString();
  }
}
