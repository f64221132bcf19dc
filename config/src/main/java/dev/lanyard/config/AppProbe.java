package dev.lanyard.config;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One of the application's own kubelet probes, as the webhook moved it into {@link AppProbes}:
 * a plain HTTP GET (path and headers) or a TCP connect, to a port given as a number, with the
 * probe's timeout. The javaagent runs it against the application's real listener.
 */
public final class AppProbe {
  /** What the probe does. */
  public enum Kind {
    HTTP_GET("httpGet"), TCP_SOCKET("tcpSocket");

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
  private final int timeoutSeconds;

  private AppProbe(Kind kind, int port, String path, List<Map.Entry<String, String>> headers,
      int timeoutSeconds) {
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
    this.timeoutSeconds = timeoutSeconds;
  }

  /**
   * An HTTP GET of {@code path} (with its query, as the kubelet sends it; empty means {@code /})
   * with {@code headers} in order.
   */
  public static AppProbe httpGet(int port, String path, List<Map.Entry<String, String>> headers,
      int timeoutSeconds) {
    return new AppProbe(Kind.HTTP_GET, port, path == null || path.isEmpty() ? "/" : path,
        headers, timeoutSeconds);
  }

  /** A TCP connect. */
  public static AppProbe tcpSocket(int port, int timeoutSeconds) {
    return new AppProbe(Kind.TCP_SOCKET, port, null, List.of(), timeoutSeconds);
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

  /** The HTTP path (with query); {@code null} for a TCP probe. */
  public String path() {
    return path;
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
        && headers.equals(that.headers) && timeoutSeconds == that.timeoutSeconds;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, port, path, headers, timeoutSeconds);
  }

  @Override
  public String toString() {
    return kind == Kind.HTTP_GET ? "httpGet http://<app>:" + port + path : "tcpSocket :" + port;
  }
}
