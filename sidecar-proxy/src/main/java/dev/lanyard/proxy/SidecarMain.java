package dev.lanyard.proxy;

import dev.lanyard.tls.LanyardConfig;
import dev.lanyard.tls.LanyardLog;
import dev.lanyard.tls.LanyardTls;
import dev.lanyard.tls.NoSvidException;
import dev.lanyard.tls.TerminationMessage;
import java.util.List;

/**
 * {@code java -jar lanyard-sidecar.jar}: reads {@code LANYARD_*}, starts spiffe-tls (SVID source,
 * policy, audit, admin endpoint), waits for the first SVID as {@code LANYARD_STARTUP} says, then
 * binds the listeners and prints one {@code lanyard: sidecar ready} line. Exit codes: 2 for bad
 * configuration, 3 when no SVID arrived under {@code then=fail}, 1 when a port cannot be bound.
 */
public final class SidecarMain {
  private SidecarMain() {}

  public static void main(String[] args) {
    long started = System.nanoTime();
    LanyardConfig shared;
    SidecarConfig config;
    try {
      shared = LanyardConfig.fromEnvironment();
      config = SidecarConfig.fromEnvironment();
      config.checkJwtAudience(shared.inboundJwtAudience());
      OwnPorts.checkInbound(config, shared);
    } catch (IllegalArgumentException e) {
      LanyardLog.warn("bad configuration: " + e.getMessage());
      TerminationMessage.write("lanyard: bad configuration (exit 2): " + e.getMessage());
      System.exit(2);
      return;
    }
    LanyardTls tls = LanyardTls.start(shared, LanyardTls.webPkiTrustManager("PKIX"));
    SslContexts contexts = SslContexts.start(tls);
    LanyardTls.StartupState state;
    try {
      state = tls.awaitStartup();
    } catch (NoSvidException e) {
      LanyardLog.warn(e.getMessage());
      TerminationMessage.write(e.getMessage() + "; stopping the sidecar (then=fail, exit 3)");
      tls.close();
      System.exit(3);
      return;
    }
    Sidecar sidecar = new Sidecar(tls, config);
    try {
      List<String> listeners = sidecar.start(contexts, System.out);
      Runtime.getRuntime().addShutdownHook(new Thread(sidecar::stop, "lanyard-drain"));
      LanyardLog.info("sidecar ready (" + state.name().toLowerCase(java.util.Locale.ROOT) + ", "
          + (System.nanoTime() - started) / 1_000_000 + " ms, tls=" + contexts.provider() + "): "
          + String.join("; ", listeners) + "; " + shared);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Includes a BindException that Netty's sync() rethrows unchecked-style.
      LanyardLog.warn("cannot start the sidecar: " + e);
      sidecar.stop();
      System.exit(1);
    }
  }
}
