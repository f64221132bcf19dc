package dev.lanyard.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What every client app does around its own library: parse the target, the TLS options and the
 * {@link ClientRunner} options, then run the request loop and exit with its result.
 */
public final class ClientMain {
  /**
   * What a client app is given. {@code headers} are extra request headers ({@code --header
   * Name=Value}, HTTP clients only), e.g. an application's own Authorization header.
   */
  public record Settings(String app, String target, TlsSettings tls, ClientRunner.Settings loop,
      Map<String, String> headers) {
    public Settings(String app, String target, TlsSettings tls, ClientRunner.Settings loop) {
      this(app, target, tls, loop, Map.of());
    }
  }

  /** The HTTP clients' extra option: one request header, {@code --header Name=Value}. */
  public static final String HEADER_OPTION = "header";

  /** Builds the app's {@link ClientRunner.ClientFactory} from its settings. */
  @FunctionalInterface
  public interface Factory {
    ClientRunner.ClientFactory create(Settings settings) throws Exception;
  }

  private ClientMain() {}

  private static Map<String, String> headers(String app, AppArgs parsed) {
    String header = parsed.get(HEADER_OPTION, null);
    if (header == null) {
      return Map.of();
    }
    int equals = header.indexOf('=');
    if (equals < 1) {
      throw new AppArgs.UsageException(app + ": --header must be Name=Value, not '" + header + "'");
    }
    return Map.of(header.substring(0, equals), header.substring(equals + 1));
  }

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
      if (targetOption.equals("url")) {
        options.add(HEADER_OPTION);
      }
      AppArgs parsed = AppArgs.parse(app, args, options, ClientRunner.FLAGS);
      Settings settings = new Settings(app, parsed.required(targetOption),
          TlsSettings.from(parsed), ClientRunner.Settings.from(parsed), headers(app, parsed));
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
