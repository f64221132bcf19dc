package dev.lanyard.tls;

import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.JwtAudiences;
import dev.lanyard.reasons.Reason;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The outbound rule for JWT-SVIDs, shared by the javaagent's HTTP client hooks and the sidecar's
 * outbound proxy: which requests get {@code Authorization: Bearer <JWT-SVID>}.
 *
 * <ul>
 *   <li>Only to a host matching {@code LANYARD_JWT_AUDIENCES}, with that entry's audience.
 *   <li>Never over plain HTTP: a bearer token in clear text is a leak (refused, audit record).
 *   <li>Never instead of an {@code Authorization} header the application set itself.
 *   <li>Every token sent, and every refusal to send one, is one {@code jwt.send} audit record;
 *       never the token itself.
 *   <li>Only to a server verified for that very host: the token travels only inside a TLS
 *       connection whose handshake {@link LanyardTrustManager} decided for the request's host
 *       (secure naming: a mesh destination's SVID must be allowed for that host by {@code
 *       LANYARD_SERVER_IDS} and the peer policy; any other host is Web PKI only, an SVID there is
 *       refused). An impostor fails the handshake, so nothing of the request reaches it. Hooks
 *       that add the header before the connection exists (the JDK {@code HttpClient}) rely on
 *       exactly that: the header is written only after the handshake.
 * </ul>
 *
 * A token that cannot be had within {@link #DEFAULT_WAIT} is not sent (audit record, one warning
 * per audience); the request goes on without it and the server decides.
 */
public final class JwtSender {
  /** The longest a request waits for a JWT-SVID it has none of (a cached one never waits). */
  public static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

  private final JwtAudiences audiences;
  private final JwtSvidSource source;
  private final DecisionListener audit;
  private final Duration wait;
  private final Map<String, Boolean> warned = new ConcurrentHashMap<>();

  /** @param source null when no JWT-SVIDs are configured ({@code audiences} empty) */
  public JwtSender(JwtAudiences audiences, JwtSvidSource source, DecisionListener audit,
      Duration wait) {
    this.audiences = audiences;
    this.source = source;
    this.audit = audit;
    this.wait = wait;
  }

  /** Whether any host gets JWT-SVIDs at all (cheap: checked first by every hook). */
  public boolean enabled() {
    return source != null && !audiences.isEmpty();
  }

  /**
   * The {@code Authorization} header value to add to a request, or empty.
   *
   * @param host the request's target host (not a proxy's)
   * @param port its port (-1 when unknown)
   * @param overTls whether the request travels over TLS ({@code https://}, or the sidecar's mTLS)
   * @param hasAuthorization whether the application already set an Authorization header
   * @param client which client sends it, for messages ({@code jdk-httpclient}, {@code okhttp}, ...)
   */
  public Optional<String> authorizationFor(String host, int port, boolean overTls,
      boolean hasAuthorization, String client) {
    if (!enabled() || host == null) {
      return Optional.empty();
    }
    Optional<JwtAudiences.Match> match = audiences.match(host);
    if (!match.isPresent()) {
      return Optional.empty();
    }
    String audience = match.get().audience();
    String resource = port < 0 ? host : host + ":" + port;
    PeerDecision.Builder decision = PeerDecision.builder(Direction.OUTBOUND,
        PeerDecision.Outcome.DENIED).action("jwt.send").audience(audience).peerAddress(resource)
        .rule(Reason.JWT_AUDIENCES).matched(match.get().glob());
    if (hasAuthorization) {
      LanyardLog.debug(client + " request to " + resource + " already has an Authorization header;"
          + " kept it, no JWT-SVID added");
      return Optional.empty();
    }
    if (!overTls) {
      audit(decision.reason("JWT-SVID for audience \"" + audience + "\" not sent to " + resource
          + " over plain HTTP (a bearer token in clear text is a leak); use https://").build());
      return Optional.empty();
    }
    JwtSvidToken token;
    try {
      token = source.token(audience, wait);
    } catch (JwtSvidUnavailableException e) {
      if (warned.putIfAbsent(audience, Boolean.TRUE) == null) {
        LanyardLog.warn(e.getMessage().substring("lanyard: ".length())
            + "; requests to " + match.get().glob() + " go without it");
      }
      audit(decision.reason("JWT-SVID for audience \"" + audience + "\" not sent to " + resource
          + ": " + e.getMessage().substring("lanyard: ".length())).build());
      return Optional.empty();
    }
    warned.remove(audience);
    audit(decision.outcome(PeerDecision.Outcome.ALLOWED).local(token.spiffeId())
        .reason("added JWT-SVID of " + token.spiffeId() + " for audience \"" + audience
            + "\" (valid until " + token.expiry() + ") to the request to " + resource + " with "
            + client + ": host matches " + ConfigKeys.JWT_AUDIENCES.env() + " entry "
            + match.get().glob() + "=" + audience + "; it is written only inside TLS to a server"
            + " verified for " + host)
        .build());
    return Optional.of(token.bearer());
  }

  private void audit(PeerDecision decision) {
    try {
      audit.onDecision(decision);
    } catch (RuntimeException e) {
      LanyardLog.debug("audit of a JWT-SVID decision failed: " + e);
    }
  }
}
