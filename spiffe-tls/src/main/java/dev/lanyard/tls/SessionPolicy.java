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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

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
 *       starts with nothing cached, so raising the timeout cannot stretch an old session. For
 *       {@link #WATCH_AFTER_ROTATION} the sweeper keeps emptying the caches, for a resumption
 *       that was in flight during the update caches a new session with the old certificates.
 *   <li><b>Never past either SVID, however often the peer resumes.</b> The timeout is lowered
 *       for our own leaf's remaining life too (the key manager never presents an SVID in its last
 *       second, so that bound is met). But a JSSE <em>server</em> makes a new session (new
 *       creation time, the old certificates) on every TLS 1.3 resumption, so a client resuming
 *       more often than the timeout chains sessions forever and the timeout never ends them. A
 *       sweeper therefore invalidates every cached session whose peer or local leaf expires within
 *       {@link #EXPIRY_MARGIN} (it looks every {@link #SWEEP_PERIOD}, scans the caches only once
 *       such an expiry is near, then every {@link #NEAR_SWEEP_PERIOD} until a scan finds nothing
 *       to drop and that expiry is {@link #WATCH_AFTER_EXPIRY} past: a TLS 1.3 client caches a
 *       full handshake's session only when the ticket arrives, after the handshake), and a full
 *       handshake whose peer or local leaf expires within margin plus period has its session
 *       invalidated at once ({@link #keepFromOutliving}). The next connection then makes a full
 *       handshake, which an expired SVID fails. The bound holds as long as the sweeper thread is
 *       not held up for longer than the margin minus the period (1.5 s), with one residue: a TLS
 *       1.3 ticket a client receives in the last {@link #NEAR_SWEEP_PERIOD} before expiry can be
 *       resumed until the next scan, at most that period past it (SessionResumptionTrustTest).
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

  /** Sessions whose peer or local leaf expires within this are invalidated by the sweeper. */
  static final Duration EXPIRY_MARGIN = Duration.ofSeconds(2);
  /** How often the sweeper looks; it scans the caches only once an expiry is near. */
  static final Duration SWEEP_PERIOD = Duration.ofMillis(500);
  /** How often it looks while an expiry is near (a session made then is dropped this soon). */
  static final Duration NEAR_SWEEP_PERIOD = Duration.ofMillis(50);
  /**
   * How long after the expiry that made it scan the sweeper keeps scanning, even when a scan finds
   * nothing: a TLS 1.3 client caches the session of a full handshake only when the server's
   * ticket arrives, after the handshake (and after {@link #keepFromOutliving} ran), and each
   * resumption caches a new one; a scan in between sees nothing to drop.
   */
  static final Duration WATCH_AFTER_EXPIRY = Duration.ofSeconds(5);
  /**
   * How long after a rotation the sweeper keeps invalidating every cached session (every {@link
   * #NEAR_SWEEP_PERIOD}). A JSSE TLS 1.3 server takes a session out of its cache while a
   * resumption of it is in flight and caches a new one, with the old certificates, when that
   * handshake completes: a resumption racing {@link #onRotation()} would otherwise start a chain of
   * resumptions that carries the previous SVID (or a peer verified under the previous bundle) past
   * the rotation until the next full handshake happens by chance (CaRotationIT: up to 12 s;
   * SessionRotationRaceTest: every connection 5.5 s after the last of 10 rotations).
   */
  static final Duration WATCH_AFTER_ROTATION = Duration.ofSeconds(5);

  private final Clock clock;
  private final Set<SSLSessionContext> contexts =
      Collections.newSetFromMap(new WeakHashMap<SSLSessionContext, Boolean>());
  private int timeoutSeconds = (int) MAX_TIMEOUT.getSeconds();
  /** No cached session expires before this (peer or local leaf); the sweeper waits for it. */
  private Instant earliestExpiry = Instant.MAX;
  /** Until then the sweeper drops every cached session (see {@link #WATCH_AFTER_ROTATION}). */
  private Instant rotationWatchUntil = Instant.MIN;
  private ScheduledExecutorService sweeper;

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
      if (sweeper == null) {
        sweeper = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.factory("lanyard-session-sweeper"));
        sweeper.schedule(this::sweepAndReschedule, SWEEP_PERIOD.toMillis(),
            TimeUnit.MILLISECONDS);
      }
    }
  }

  /** Stops the sweeper (the contexts stay as they are). */
  public synchronized void close() {
    if (sweeper != null) {
      sweeper.shutdownNow();
      sweeper = null;
    }
  }

  /**
   * Called during a full handshake that verified a peer: when the peer's or our own leaf expires
   * before the sweeper can be relied on to catch the new session ({@link #EXPIRY_MARGIN} plus
   * {@link #SWEEP_PERIOD}), the handshake session is invalidated, so it is never cached and never
   * resumed; the handshake itself completes.
   */
  public void keepFromOutliving(SSLSession handshakeSession, Instant peerNotAfter,
      Instant localNotAfter) {
    Instant expiry = earlier(peerNotAfter, localNotAfter);
    if (expiry == null) {
      return;
    }
    lowerTimeoutTo(expiry);
    if (handshakeSession != null
        && clock.instant().plus(EXPIRY_MARGIN).plus(SWEEP_PERIOD).isAfter(expiry)) {
      handshakeSession.invalidate();
    }
    noteExpiry(expiry);
  }

  /** Remembers that a cached session may expire at {@code expiry}. */
  synchronized void noteExpiry(Instant expiry) {
    if (expiry.isBefore(earliestExpiry)) {
      earliestExpiry = expiry;
    }
  }

  private void sweepAndReschedule() {
    boolean near = sweepIfDue();
    synchronized (this) {
      if (sweeper != null) {
        sweeper.schedule(this::sweepAndReschedule,
            (near ? NEAR_SWEEP_PERIOD : SWEEP_PERIOD).toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * Invalidates the sessions near expiry once the earliest known expiry is near.
   *
   * @return whether it scanned (an expiry is near: look again soon)
   */
  synchronized boolean sweepIfDue() {
    try {
      Instant now = clock.instant();
      if (now.isBefore(rotationWatchUntil)) {
        for (SSLSessionContext context : new ArrayList<>(contexts)) {
          invalidateAll(context);
        }
        return true;
      }
      Instant limit = now.plus(EXPIRY_MARGIN);
      if (limit.isBefore(earliestExpiry)) {
        return false;
      }
      Instant due = earliestExpiry;
      Instant next = Instant.MAX;
      Instant invalidated = null;
      for (SSLSessionContext context : new ArrayList<>(contexts)) {
        for (SSLSession session : sessions(context)) {
          Instant expiry = expiryOf(session);
          if (expiry == null) {
            continue;
          }
          if (limit.isBefore(expiry)) {
            next = expiry.isBefore(next) ? expiry : next;
          } else {
            session.invalidate();
            invalidated = invalidated == null || expiry.isBefore(invalidated) ? expiry : invalidated;
          }
        }
      }
      // A resumption racing this scan may have made a new session from one just invalidated
      // (same certificates, same expiry): keep sweeping until a scan finds nothing to drop, and
      // until the expiry that made this scan due is WATCH_AFTER_EXPIRY past (a TLS 1.3 ticket,
      // i.e. a new cached session, can arrive after the full handshake that noted the expiry).
      if (invalidated != null) {
        earliestExpiry = invalidated;
      } else if (now.isBefore(due.plus(WATCH_AFTER_EXPIRY))) {
        earliestExpiry = due;
      } else {
        earliestExpiry = next;
      }
      return true;
    } catch (RuntimeException e) {
      LanyardLog.warn("TLS session sweep failed: " + e);
      return true;
    }
  }

  /** The earlier of the session's peer and local leaf notAfter; null when it has neither. */
  static Instant expiryOf(SSLSession session) {
    Instant peer = null;
    try {
      peer = leafNotAfter(session.getPeerCertificates());
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      // no peer certificate: only the local one counts
    }
    return earlier(peer, leafNotAfter(session.getLocalCertificates()));
  }

  private static Instant leafNotAfter(Certificate[] chain) {
    return chain != null && chain.length > 0 && chain[0] instanceof X509Certificate
        ? ((X509Certificate) chain[0]).getNotAfter().toInstant() : null;
  }

  private static Instant earlier(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isBefore(b) ? a : b;
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
    earliestExpiry = Instant.MAX;
    rotationWatchUntil = clock.instant().plus(WATCH_AFTER_ROTATION);
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
    for (SSLSession session : sessions(context)) {
      session.invalidate();
    }
  }

  private static List<SSLSession> sessions(SSLSessionContext context) {
    List<byte[]> ids = new ArrayList<>();
    for (Enumeration<byte[]> e = context.getIds(); e.hasMoreElements(); ) {
      ids.add(e.nextElement());
    }
    List<SSLSession> sessions = new ArrayList<>();
    for (byte[] id : ids) {
      SSLSession session = context.getSession(id);
      if (session != null) {
        sessions.add(session);
      }
    }
    return sessions;
  }
}
