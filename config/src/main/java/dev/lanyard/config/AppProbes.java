package dev.lanyard.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The value of {@code LANYARD_APP_PROBES}: the application's kubelet probes that the webhook
 * rewrote to the javaagent's health port because they target a strict port (a plaintext
 * connection from the kubelet, which is no mesh peer, would be refused there). A JSON object of
 * {@code /app-health/<container>/<livez|readyz|startupz>} to the original action, port as a
 * number, and its timeout, in the format of Istio's {@code ISTIO_KUBE_APP_PROBERS}:
 *
 * <pre>{@code
 * {"/app-health/app/readyz":{"httpGet":{"path":"/health","port":8080,"scheme":"HTTP",
 *     "httpHeaders":[{"name":"X-Probe","value":"1"}]},"timeoutSeconds":1},
 *  "/app-health/app/livez":{"tcpSocket":{"port":8080},"timeoutSeconds":3},
 *  "/app-health/app/startupz":{"grpc":{"port":9090,"service":""},"timeoutSeconds":1}}
 * }</pre>
 *
 * The webhook writes it ({@link #toJson}) and the javaagent reads it ({@link #parse}), so the two
 * agree by construction.
 */
public final class AppProbes {
  /** Where every rewritten probe's path starts. */
  public static final String PREFIX = "/app-health/";

  /** Nothing rewritten (the default). */
  public static final AppProbes NONE = new AppProbes(Collections.emptyMap());

  /** Which of the kubelet's probes, and the last segment of its path. */
  public enum Probe {
    LIVENESS("livez"), READINESS("readyz"), STARTUP("startupz");

    private final String segment;

    Probe(String segment) {
      this.segment = segment;
    }

    public String segment() {
      return segment;
    }
  }

  private final Map<String, AppProbe> probes;

  private AppProbes(Map<String, AppProbe> probes) {
    this.probes = probes;
  }

  /** The given probes, in the given order. */
  public static AppProbes of(Map<String, AppProbe> probes) {
    probes.keySet().forEach(AppProbes::checkPath);
    return probes.isEmpty() ? NONE
        : new AppProbes(Collections.unmodifiableMap(new LinkedHashMap<>(probes)));
  }

  /** {@code /app-health/<container>/<livez|readyz|startupz>}. */
  public static String path(String container, Probe probe) {
    return PREFIX + container + "/" + probe.segment();
  }

  /** The probe rewritten to {@code path}, if any. */
  public Optional<AppProbe> get(String path) {
    return Optional.ofNullable(probes.get(path));
  }

  public Map<String, AppProbe> asMap() {
    return probes;
  }

  public boolean isEmpty() {
    return probes.isEmpty();
  }

  /** Parses the whole value; every error names the entry, the rule and what to write. */
  public static AppProbes parse(String text) {
    if (text == null || text.trim().isEmpty()) {
      return NONE;
    }
    Object root;
    try {
      root = JsonText.read(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + "; " + EXAMPLE);
    }
    if (!(root instanceof Map)) {
      throw new IllegalArgumentException("not a JSON object of probe paths; " + EXAMPLE);
    }
    Map<String, AppProbe> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> entry : members(root).entrySet()) {
      try {
        checkPath(entry.getKey());
        out.put(entry.getKey(), probe(entry.getValue()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("entry \"" + entry.getKey() + "\": " + e.getMessage()
            + "; " + EXAMPLE);
      }
    }
    return of(out);
  }

  private static final String EXAMPLE = "the webhook writes e.g. {\"/app-health/app/readyz\":"
      + "{\"httpGet\":{\"path\":\"/health\",\"port\":8080,\"scheme\":\"HTTP\"},"
      + "\"timeoutSeconds\":1}}";

  private static AppProbe probe(Object value) {
    Map<String, Object> members = members(value);
    int timeout = members.containsKey("timeoutSeconds")
        ? number(members.get("timeoutSeconds"), "timeoutSeconds") : 1;
    Object http = members.get(AppProbe.Kind.HTTP_GET.jsonName());
    Object tcp = members.get(AppProbe.Kind.TCP_SOCKET.jsonName());
    Object grpc = members.get(AppProbe.Kind.GRPC.jsonName());
    if ((http == null ? 0 : 1) + (tcp == null ? 0 : 1) + (grpc == null ? 0 : 1) != 1) {
      throw new IllegalArgumentException("needs exactly one of httpGet, tcpSocket and grpc");
    }
    for (String name : members.keySet()) {
      if (!name.equals("timeoutSeconds") && !name.equals("httpGet") && !name.equals("tcpSocket")
          && !name.equals("grpc")) {
        throw new IllegalArgumentException("unknown member \"" + name + "\"");
      }
    }
    if (tcp != null) {
      return AppProbe.tcpSocket(number(members(tcp).get("port"), "tcpSocket.port"), timeout);
    }
    if (grpc != null) {
      Map<String, Object> check = members(grpc);
      Object service = check.get("service");
      if (service != null && !(service instanceof String)) {
        throw new IllegalArgumentException("grpc.service is not a string (the kubelet's default"
            + " is \"\", the server as a whole)");
      }
      return AppProbe.grpc(number(check.get("port"), "grpc.port"), (String) service, timeout);
    }
    Map<String, Object> get = members(http);
    Object scheme = get.get("scheme");
    if (scheme != null && !"HTTP".equals(scheme)) {
      throw new IllegalArgumentException("httpGet.scheme " + scheme + " is not HTTP (HTTPS probes"
          + " are not rewritten)");
    }
    Object path = get.get("path");
    if (path != null && !(path instanceof String)) {
      throw new IllegalArgumentException("httpGet.path is not a string");
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    Object list = get.get("httpHeaders");
    if (list != null) {
      if (!(list instanceof List)) {
        throw new IllegalArgumentException("httpGet.httpHeaders is not a list");
      }
      for (Object item : (List<?>) list) {
        Map<String, Object> header = members(item);
        if (!(header.get("name") instanceof String) || !(header.get("value") instanceof String)) {
          throw new IllegalArgumentException("an httpGet.httpHeaders item needs a string name"
              + " and value");
        }
        headers.add(AppProbe.header((String) header.get("name"), (String) header.get("value")));
      }
    }
    return AppProbe.httpGet(number(get.get("port"), "httpGet.port"), (String) path, headers,
        timeout);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> members(Object value) {
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException("a JSON object is expected, found " + value);
    }
    return (Map<String, Object>) value;
  }

  private static int number(Object value, String name) {
    if (!(value instanceof Long) || (Long) value > Integer.MAX_VALUE
        || (Long) value < Integer.MIN_VALUE) {
      throw new IllegalArgumentException(name + " is missing or not a whole number (a named port"
          + " is resolved by the webhook to its number)");
    }
    return (int) (long) (Long) value;
  }

  private static void checkPath(String path) {
    if (!path.startsWith(PREFIX) || path.length() == PREFIX.length()) {
      throw new IllegalArgumentException("path \"" + path + "\" does not start with " + PREFIX
          + "<container>/");
    }
  }

  /** The JSON the javaagent reads back with {@link #parse}. */
  public String toJson() {
    StringBuilder out = new StringBuilder("{");
    for (Map.Entry<String, AppProbe> entry : probes.entrySet()) {
      if (out.length() > 1) {
        out.append(',');
      }
      AppProbe probe = entry.getValue();
      out.append(JsonText.quote(entry.getKey())).append(":{");
      out.append(JsonText.quote(probe.kind().jsonName())).append(":{");
      if (probe.kind() == AppProbe.Kind.HTTP_GET) {
        out.append("\"path\":").append(JsonText.quote(probe.path())).append(',');
      }
      out.append("\"port\":").append(probe.port());
      if (probe.kind() == AppProbe.Kind.GRPC) {
        out.append(",\"service\":").append(JsonText.quote(probe.service()));
      }
      if (probe.kind() == AppProbe.Kind.HTTP_GET) {
        out.append(",\"scheme\":\"HTTP\"");
        if (!probe.headers().isEmpty()) {
          out.append(",\"httpHeaders\":[");
          boolean first = true;
          for (Map.Entry<String, String> header : probe.headers()) {
            out.append(first ? "" : ",").append("{\"name\":").append(JsonText.quote(header.getKey()))
                .append(",\"value\":").append(JsonText.quote(header.getValue())).append('}');
            first = false;
          }
          out.append(']');
        }
      }
      out.append("},\"timeoutSeconds\":").append(probe.timeoutSeconds()).append('}');
    }
    return out.append('}').toString();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof AppProbes && probes.equals(((AppProbes) other).probes);
  }

  @Override
  public int hashCode() {
    return probes.hashCode();
  }

  @Override
  public String toString() {
    return probes.isEmpty() ? "none" : probes.toString();
  }
}
