package dev.lanyard.compat;

import java.util.ArrayList;
import java.util.List;

/**
 * What every client app does around its own library: parse the target, the TLS options and the
 * {@link ClientRunner} options, then run the request loop and exit with its result.
 */
public final class ClientMain {
  /** What a client app is given. */
  public record Settings(String app, String target, TlsSettings tls, ClientRunner.Settings loop) {}

  /** Builds the app's {@link ClientRunner.ClientFactory} from its settings. */
  @FunctionalInterface
  public interface Factory {
    ClientRunner.ClientFactory create(Settings settings) throws Exception;
  }

  private ClientMain() {}

  /**
   * Runs a client app: {@code targetOption} is {@code url} for HTTP clients and {@code target} for
   * gRPC; never returns normally.
   */
  public static void run(String app, String[] args, String targetOption, Factory factory)
      throws Exception {
    AppArgs.exitOnUsageError(() -> {
      OneLineLogging.install();
      List<String> options = new ArrayList<>(List.of(targetOption));
      options.addAll(TlsSettings.OPTIONS);
      options.addAll(ClientRunner.OPTIONS);
      AppArgs parsed = AppArgs.parse(app, args, options, ClientRunner.FLAGS);
      Settings settings = new Settings(app, parsed.required(targetOption),
          TlsSettings.from(parsed), ClientRunner.Settings.from(parsed));
      ClientRunner.ClientFactory clients;
      try {
        clients = factory.create(settings);
      } catch (AppArgs.UsageException e) {
        throw e;
      } catch (Exception | LinkageError e) {
        System.out.println("FAIL " + Failures.describe(e));
        System.out.println("SUMMARY ok=0 failed=1 p50_us=0 p99_us=0 elapsed_ms=0 per_second=0.0");
        System.exit(1);
        return;
      }
      int code = new ClientRunner(settings.loop(), System.out).run(clients);
      System.exit(code);
    });
  }
}
