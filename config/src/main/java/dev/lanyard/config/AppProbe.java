package dev.lanyard.config;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One of the application's own kubelet probes, as the webhook moved it into {@link AppProbes}:
 * a plain HTTP GET (path and headers), a TCP connect or a gRPC health check ({@code
 * grpc.health.v1.Health/Check} of a service name), to a port given as a number, with the probe's
 * timeout. The javaagent runs it against the application's real listener.
 */
public final class AppProbe {
  /** What the probe does. */
  public enum Kind {
    HTTP_GET("httpGet"), TCP_SOCKET("tcpSocket"), GRPC("grpc");

    private final String jsonName;

    Kind(String jsonName) {
      this.jsonName = jsonName;
    }

    /** The member name, as in the Kubernetes Probe object. */
    public String jsonName() {
      return jsonName;
    }
  }

  private final Kind kind;
  private final int port;
  private final String path;
  private final List<Map.Entry<String, String>> headers;
  private final String service;
  private final int timeoutSeconds;

  private AppProbe(Kind kind, int port, String path, List<Map.Entry<String, String>> headers,
      String service, int timeoutSeconds) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not a port (1-65535)");
    }
    if (timeoutSeconds < 1) {
      throw new IllegalArgumentException("timeoutSeconds " + timeoutSeconds
          + " is not a positive whole number (the kubelet's default is 1)");
    }
    this.kind = kind;
    this.port = port;
    this.path = path;
    this.headers = Collections.unmodifiableList(new ArrayList<>(headers));
    this.service = service;
    this.timeoutSeconds = timeoutSeconds;
  }

  /**
   * An HTTP GET of {@code path} (with its query, as the kubelet sends it; empty means {@code /})
   * with {@code headers} in order.
   */
  public static AppProbe httpGet(int port, String path, List<Map.Entry<String, String>> headers,
      int timeoutSeconds) {
    return new AppProbe(Kind.HTTP_GET, port, path == null || path.isEmpty() ? "/" : path,
        headers, null, timeoutSeconds);
  }

  /** A TCP connect. */
  public static AppProbe tcpSocket(int port, int timeoutSeconds) {
    return new AppProbe(Kind.TCP_SOCKET, port, null, List.of(), null, timeoutSeconds);
  }

  /**
   * A gRPC health check of {@code service} (the kubelet's {@code grpc.service}; absent or empty
   * means {@code ""}, the server as a whole), over plaintext HTTP/2 as the kubelet makes it.
   */
  public static AppProbe grpc(int port, String service, int timeoutSeconds) {
    return new AppProbe(Kind.GRPC, port, null, List.of(), service == null ? "" : service,
        timeoutSeconds);
  }

  /** One header, for {@link #httpGet}. */
  public static Map.Entry<String, String> header(String name, String value) {
    return new AbstractMap.SimpleImmutableEntry<>(name, value);
  }

  public Kind kind() {
    return kind;
  }

  public int port() {
    return port;
  }

  /** The HTTP path (with query); {@code null} for a TCP or gRPC probe. */
  public String path() {
    return path;
  }

  /** The gRPC health service name ({@code ""}: the server); {@code null} unless a gRPC probe. */
  public String service() {
    return service;
  }

  public List<Map.Entry<String, String>> headers() {
    return headers;
  }

  public int timeoutSeconds() {
    return timeoutSeconds;
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof AppProbe)) {
      return false;
    }
    AppProbe that = (AppProbe) other;
    return kind == that.kind && port == that.port && Objects.equals(path, that.path)
        && headers.equals(that.headers) && Objects.equals(service, that.service)
        && timeoutSeconds == that.timeoutSeconds;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, port, path, headers, service, timeoutSeconds);
  }

  @Override
  public String toString() {
    switch (kind) {
      case HTTP_GET:
        return "httpGet http://<app>:" + port + path;
      case GRPC:
        return "grpc :" + port + " service \"" + service + "\"";
      default:
        return "tcpSocket :" + port;
    }
  }
}
