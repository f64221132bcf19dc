package dev.lanyard.tls;

import dev.lanyard.config.AppProbes;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What the health port answers: {@code GET /ready} ({@link AdminEndpoints#health}) and, for the
 * probes the webhook moved there, {@code GET /app-health/<container>/<livez|readyz|startupz>},
 * run against the application by {@link AppProbeRunner} without holding a worker thread.
 */
final class HealthPort implements AdminServer.Handler {
  /**
   * Typed as the interface so that verifying {@link LanyardTls} loads neither this class nor
   * {@code AdminServer.Handler} while the health port is off (the agent loads only what is used).
   */
  static AdminServer.Handler handler(AdminEndpoints endpoints, AppProbeRunner appProbes) {
    return new HealthPort(endpoints, appProbes);
  }

  private final AdminEndpoints endpoints;
  private final AppProbeRunner probes;

  HealthPort(AdminEndpoints endpoints, AppProbeRunner probes) {
    this.endpoints = endpoints;
    this.probes = probes;
  }

  @Override
  public AdminEndpoints.Response handle(String method, String path, String rawQuery) {
    if (!path.startsWith(AppProbes.PREFIX)) {
      return endpoints.health(method, path, rawQuery);
    }
    if (probes.probe(path).isPresent()) {
      return AdminEndpoints.Response.text(405, method + " not allowed: the health port is"
          + " read-only (GET)\n");
    }
    return AdminEndpoints.Response.text(404, "not found: " + path + " (no application probe was"
        + " moved there: LANYARD_APP_PROBES names the paths the webhook wrote)\n");
  }

  @Override
  public CompletableFuture<AdminEndpoints.Response> handleLater(String method, String path,
      String rawQuery) {
    return method.equals("GET") && probes.probe(path).isPresent() ? probes.run(path) : null;
  }

  @Override
  public Duration answerTime(String path) {
    return probes.timeout(path);
  }
}
