package dev.lanyard.tls;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * Keeps TLS session resumption from outliving what was verified. A resumed session skips the
 * trust manager, so without this a peer could keep resuming after its SVID expired or after our
 * trust bundle or SVID changed.
 *
 * <p>Chosen design: resumption stays on (it matters for handshake rate) but is bounded twice.
 *
 * <ol>
 *   <li><b>Never past the peer's certificate.</b> JSSE has one timeout per session context,
 *       counted from each session's creation. Every verified peer lowers that timeout to the
 *       peer leaf's remaining lifetime (whole seconds, rounded down, minus one for the handshake
 *       itself). Within one epoch the timeout only goes down, so for every cached session {@code
 *       creation + timeout <= peer notAfter}.
 *   <li><b>Never across a rotation.</b> On every SVID or bundle update all sessions of every
 *       tracked context are invalidated and the timeout is reset to its ceiling: a new epoch
 *       starts with nothing cached, so raising the timeout cannot stretch an old session.
 * </ol>
 *
 * JDK caveat: the JDK server's <em>stateless</em> session tickets (on by default since JDK 13)
 * are not kept in the session cache, so neither invalidation nor the timeout check reaches them
 * on resumption: a client holding a ticket could resume after a rotation (SessionPolicyTest shows
 * it). {@link LanyardTls#start} therefore calls {@link #disableStatelessServerTickets()} (unless
 * the operator set the property), before the process creates its {@code SSLContext}s; the
 * property is read when a context is created. Netty's OpenSSL contexts keep their own ticket
 * keys: the sidecar tracks their session contexts here and should rotate or disable tickets there.
 */
public final class SessionPolicy implements DecisionListener, SvidSource.UpdateListener {
  /** JSSE's switch for server-side stateless tickets (read when an SSLContext is created). */
  public static final String STATELESS_TICKETS_PROPERTY = "jdk.tls.server.enableSessionTicketExtension";

  /** The timeout's ceiling: JSSE's default of 24 hours. */
  public static final Duration MAX_TIMEOUT = Duration.ofHours(24);

  private final Clock clock;
  private final Set<SSLSessionContext> contexts =
      Collections.newSetFromMap(new WeakHashMap<SSLSessionContext, Boolean>());
  private int timeoutSeconds = (int) MAX_TIMEOUT.getSeconds();

  public SessionPolicy(Clock clock) {
    this.clock = clock;
  }

  /** Makes JDK server sessions stateful, so that timeouts and invalidation apply to them. */
  public static void disableStatelessServerTickets() {
    System.setProperty(STATELESS_TICKETS_PROPERTY, "false");
  }

  /** Tracks both session contexts of {@code context} (held weakly). */
  public void track(SSLContext context) {
    track(context.getClientSessionContext());
    track(context.getServerSessionContext());
  }

  /** Tracks one session context (held weakly), e.g. a Netty {@code SslContext}'s. */
  public synchronized void track(SSLSessionContext context) {
    if (context != null) {
      contexts.add(context);
      context.setSessionTimeout(timeoutSeconds);
    }
  }

  /** The current timeout every tracked context has. */
  public synchronized Duration currentTimeout() {
    return Duration.ofSeconds(timeoutSeconds);
  }

  @Override
  public void onDecision(PeerDecision decision) {
    if (decision.allowed() && decision.peerNotAfter().isPresent()) {
      lowerTimeoutTo(decision.peerNotAfter().get());
    }
  }

  @Override
  public void onUpdate(Identity previous, Identity current, TrustBundles bundles) {
    onRotation();
  }

  /** Invalidates every session of every tracked context and starts a new epoch. */
  public synchronized void onRotation() {
    for (SSLSessionContext context : new ArrayList<>(contexts)) {
      invalidateAll(context);
    }
    timeoutSeconds = (int) MAX_TIMEOUT.getSeconds();
    for (SSLSessionContext context : contexts) {
      context.setSessionTimeout(timeoutSeconds);
    }
  }

  /** The hook for one context: drops all its client and server sessions. */
  public static void onRotation(SSLContext context) {
    invalidateAll(context.getClientSessionContext());
    invalidateAll(context.getServerSessionContext());
  }

  private synchronized void lowerTimeoutTo(Instant peerNotAfter) {
    long remaining = Duration.between(clock.instant(), peerNotAfter).getSeconds() - 1;
    // 0 means "no limit" to JSSE: a peer that close to expiry gets the shortest real timeout.
    int bounded = (int) Math.max(1, Math.min(remaining, timeoutSeconds));
    if (bounded < timeoutSeconds) {
      timeoutSeconds = bounded;
      for (SSLSessionContext context : contexts) {
        context.setSessionTimeout(timeoutSeconds);
      }
    }
  }

  private static void invalidateAll(SSLSessionContext context) {
    if (context == null) {
      return;
    }
    List<byte[]> ids = new ArrayList<>();
    for (Enumeration<byte[]> e = context.getIds(); e.hasMoreElements(); ) {
      ids.add(e.nextElement());
    }
    for (byte[] id : ids) {
      SSLSession session = context.getSession(id);
      if (session != null) {
        session.invalidate();
      }
    }
  }
}
