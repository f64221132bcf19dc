package dev.lanyard.proxy;

import dev.lanyard.reasons.Reason;
import dev.lanyard.tls.LanyardLog;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * One mesh port: terminate mTLS, authorize the peer, relay to {@code 127.0.0.1:appPort}.
 *
 * <pre>
 * access-log → limit → tls (server, client cert required, handshake timeout) → bytes → idle
 *   → idle-close → authorize → [HTTP port: sniff-http → http-request-decoder → peer-id-header
 *   [→ jwt-svid] → http-upgrade] → relay
 * (jwt-svid only with LANYARD_INBOUND_JWT_AUDIENCE; a raw port, meshPort:appPort/tcp, relays bytes)
 * app side, HTTP port: app-request-encoder (HTTP objects; raw bytes after an accepted WebSocket
 *   upgrade pass) → app-responses (reads along, for the upgrade's answer) → relay back
 * app side, raw port: relay back
 * </pre>
 */
final class InboundInitializer extends ChannelInitializer<SocketChannel> {
  private final InboundRoute route;
  private final SslContexts contexts;
  private final UpstreamOpener upstreams;
  private final ListenerSettings settings;
  private final String listener;
  /**
   * The {@code limit} above, in two parts. A connection still in its TLS handshake holds a place
   * in the handshake budget, per port and per source address, taken at accept (over it, the
   * connection is reset before any handler is added) and given back by {@code handshake-slot}
   * (after {@code tls}) when the handshake ends. Only an authorized peer's connection counts
   * against {@code LANYARD_MAX_CONNECTIONS} ({@link #authorizedConnections}, checked before the
   * app is dialled). Connections without an SVID therefore cannot keep authorized peers out.
   */
  private final HandshakeBudget handshakes;
  private final RefusalLog refusals;
  private final AuthorizedConnections authorizedConnections;
  /** Null when {@code LANYARD_INBOUND_JWT_AUDIENCE} is unset. */
  private final InboundJwt jwt;

  InboundInitializer(InboundRoute route, SslContexts contexts, UpstreamOpener upstreams,
      InboundJwt jwt, ListenerSettings settings) {
    this.route = route;
    this.jwt = jwt;
    this.contexts = contexts;
    this.upstreams = upstreams;
    this.settings = settings;
    this.listener = "inbound:" + route.meshPort();
    this.handshakes = new HandshakeBudget("inbound " + route, settings.config.maxPendingHandshakes(),
        settings.config.maxPendingHandshakesPerSource());
    this.refusals = new RefusalLog(listener, settings.metrics(), LanyardLog::warn, System::nanoTime);
    this.authorizedConnections = new AuthorizedConnections("inbound " + route, listener,
        settings.config.maxConnections(), settings.metrics());
    settings.metrics().watch(listener, handshakes);
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    InetAddress source = ((InetSocketAddress) ch.remoteAddress()).getAddress();
    HandshakeBudget.Admission admission = handshakes.admit(source);
    if (!admission.admitted()) {
      refuse(ch, source, admission.refusal());
      return;
    }
    try {
      settings.addAccounting(ch.pipeline(), listener, "inbound");
      SslHandler tls = contexts.server().newHandler(ch.alloc());
      tls.setHandshakeTimeoutMillis(settings.config.handshakeTimeout().toMillis());
      ch.pipeline().addLast("tls", tls);
      ch.pipeline().addLast("handshake-slot", new HandshakeSlotHandler(admission.slot()));
    } catch (RuntimeException e) {
      admission.slot().release();
      throw e;
    }
    settings.addCountingAndIdle(ch.pipeline());
    Promise<String> authorized = ch.eventLoop().newPromise();
    ch.pipeline().addLast("authorize", new PeerAuthorizationHandler(authorized));
    UpgradeTracker upgrades = route.raw() ? null : new UpgradeTracker(ch);
    if (upgrades != null) {
      ch.pipeline().addLast("sniff-http", new HttpSniffer(route, jwt, upgrades));
    }
    HostAndPort app = new HostAndPort("127.0.0.1", route.appPort());
    ch.pipeline().addLast("start-relay", new RelayStarter(client -> afterAuthorized(authorized,
        client, app, upgrades)));
  }

  /** The app is dialled only for an authorized peer: refused peers never reach it. */
  private Future<Channel> afterAuthorized(Promise<String> authorized, Channel client, HostAndPort app,
      UpgradeTracker upgrades) {
    Promise<Channel> ready = client.eventLoop().newPromise();
    authorized.addListener(done -> {
      if (!done.isSuccess()) {
        ready.tryFailure(done.cause());
        return;
      }
      Optional<String> full = authorizedConnections.admit(client, (String) done.getNow());
      if (full.isPresent()) {
        ready.tryFailure(new PeerAuthorizationHandler.PeerRefusedException(
            Reason.CONNECTION_LIMIT, full.get()));
        return;
      }
      upstreams.plain(client, app, pipeline -> {
        if (upgrades != null) {
          pipeline.addLast("app-request-encoder", new AppRequestEncoder(upgrades));
          pipeline.addLast("app-responses", new AppResponseWatcher(upgrades));
        }
        pipeline.addLast("relay", new RelayHandler(client));
      }).addListener(connected -> {
        if (connected.isSuccess()) {
          ready.trySuccess((Channel) connected.getNow());
        } else {
          ready.tryFailure(new PeerAuthorizationHandler.PeerRefusedException(
              Reason.APP_UNREACHABLE, connected.cause().getMessage() + "; is the app listening on " + app + "?"));
        }
      });
    });
    return ready;
  }

  /**
   * Over the handshake budget: closed at once, with a reset (no TIME_WAIT left behind, nothing
   * allocated for TLS), counted, and logged at most once per address per interval.
   */
  private void refuse(SocketChannel ch, InetAddress source, HandshakeBudget.Refusal refusal) {
    refusals.refused(source, refusal);
    ch.config().setOption(ChannelOption.SO_LINGER, 0);
    ch.close();
  }
}
