package dev.lanyard.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * What every server app does around its own library: parse {@code --port}, {@code --bind} and the
 * TLS options, start, print {@code LISTENING port=<n>} on stdout once it accepts connections, then
 * serve until killed. Failures go to stderr as one line each; a server that cannot start prints
 * {@code ERROR <app> cannot start: ...} and exits with 1.
 */
public final class ServerMain {
  /** Options every server app accepts. */
  public static final List<String> OPTIONS;

  static {
    List<String> options = new ArrayList<>(List.of("port", "bind", "client-auth"));
    options.addAll(TlsSettings.OPTIONS);
    OPTIONS = List.copyOf(options);
  }

  /** What a server app is given. */
  public record Settings(
      String app, String bind, int port, TlsSettings tls, ClientAuthSetup clientAuth) {
    /**
     * Whether the app asks its library for client certificates: with {@code --client-auth need}
     * (the default) when its TLS settings call for them (see {@link TlsSettings#requireClientAuth}).
     */
    public boolean needClientAuth() {
      return clientAuth == ClientAuthSetup.NEED && tls.requireClientAuth();
    }

    /** A short description for the start-up line. */
    String describe() {
      if (!tls.mode().isTls()) {
        return tls.describe();
      }
      String asked = needClientAuth() ? "need"
          : clientAuth == ClientAuthSetup.NEED ? "none"
          : clientAuth.name().toLowerCase(java.util.Locale.ROOT);
      return tls.describe() + " client_auth=" + asked;
    }
  }

  /** Starts one server library; returns the port it actually listens on. */
  @FunctionalInterface
  public interface Starter {
    int start(Settings settings) throws Exception;
  }

  private ServerMain() {}

  /** Runs a server app; never returns normally. */
  public static void run(String app, String[] args, Starter starter) throws Exception {
    AppArgs.exitOnUsageError(() -> {
      OneLineLogging.install();
      AppArgs parsed = AppArgs.parse(app, args, OPTIONS, List.of());
      TlsSettings tls = TlsSettings.from(parsed);
      Settings settings = new Settings(app, parsed.get("bind", "0.0.0.0"),
          parsed.intValue("port", 0), tls,
          ClientAuthSetup.parse(app, parsed.get("client-auth", "need")));
      int port;
      try {
        port = starter.start(settings);
      } catch (AppArgs.UsageException e) {
        throw e;
      } catch (Exception | LinkageError e) {
        error(app, "cannot start", e);
        System.exit(1);
        return;
      }
      System.err.println("INFO " + app + " " + settings.describe() + " port=" + port);
      System.out.println("LISTENING port=" + port);
      System.out.flush();
      new CountDownLatch(1).await();
    });
  }

  /** One stderr line for a failure the server saw. */
  public static void error(String app, String what, Throwable failure) {
    System.err.println("ERROR " + app + " " + what + ": " + Failures.describe(failure));
  }
}
