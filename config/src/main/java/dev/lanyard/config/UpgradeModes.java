package dev.lanyard.config;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The value of {@code LANYARD_UPGRADE_INBOUND} (the local ports a JVM serves in plain HTTP or any
 * plain TCP that get mTLS in front of them inside the JVM) and {@code LANYARD_UPGRADE_OUTBOUND}
 * (the destination ports of mesh hosts whose plain connections go out as mTLS), and how strictly:
 * a comma list of {@code <port>=<mode>}
 * and at most one {@code *=<mode>} (every other port); a bare {@code <mode>} means {@code
 * *=<mode>}. Modes: {@code off} (untouched), {@code permissive} (mTLS and plaintext both
 * accepted, plaintext counted; outbound: plaintext when the destination does not speak TLS) and
 * {@code strict} (plaintext refused). A port not listed and
 * without {@code *} is off. Example: {@code 8080=strict,9090=permissive,8443=off}.
 */
public final class UpgradeModes {
  /** What happens on one port. */
  public enum Mode {
    OFF, PERMISSIVE, STRICT;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Mode parse(String item, String text) {
      switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "off":
          return OFF;
        case "permissive":
          return PERMISSIVE;
        case "strict":
          return STRICT;
        default:
          throw new IllegalArgumentException("entry \"" + item + "\": mode \"" + text.trim()
              + "\" is not one of off, permissive, strict; write e.g. 8080=strict,*=permissive");
      }
    }
  }

  /** Nothing is upgraded (the default). */
  public static final UpgradeModes OFF =
      new UpgradeModes(Collections.emptyMap(), Mode.OFF, false);

  private final Map<Integer, Mode> ports;
  private final Mode otherPorts;
  private final boolean otherPortsBare;

  private UpgradeModes(Map<Integer, Mode> ports, Mode otherPorts, boolean otherPortsBare) {
    this.ports = ports;
    this.otherPorts = otherPorts;
    this.otherPortsBare = otherPortsBare;
  }

  /** Parses the whole value; every error names the entry, the rule and an example. */
  public static UpgradeModes parse(String text) {
    Map<Integer, Mode> ports = new TreeMap<>();
    Mode otherPorts = null;
    boolean bare = false;
    for (String part : text.split(",")) {
      String item = part.trim();
      if (item.isEmpty()) {
        continue;
      }
      int equals = item.indexOf('=');
      String target = equals < 0 ? "*" : item.substring(0, equals).trim();
      Mode mode = Mode.parse(item, equals < 0 ? item : item.substring(equals + 1));
      if (target.equals("*")) {
        if (otherPorts != null) {
          throw new IllegalArgumentException("entry \"" + item + "\": the mode for every other"
              + " port (a bare mode or *=mode) is given twice; keep one, e.g. 8080=strict,permissive");
        }
        otherPorts = mode;
        bare = equals < 0;
        continue;
      }
      int port = port(target);
      if (port < 1) {
        throw new IllegalArgumentException("entry \"" + item + "\": \"" + target + "\" is not a"
            + " port (1-65535) or *; write e.g. 8080=strict,*=permissive");
      }
      if (ports.put(port, mode) != null) {
        throw new IllegalArgumentException("entry \"" + item + "\": port " + port
            + " is listed twice; keep one mode per port");
      }
    }
    if (ports.isEmpty() && otherPorts == null) {
      return OFF;
    }
    return new UpgradeModes(Collections.unmodifiableMap(ports),
        otherPorts == null ? Mode.OFF : otherPorts, bare);
  }

  /** The ports listed with a mode of their own, in port order ({@code *} is not one). */
  public Map<Integer, Mode> portModes() {
    return ports;
  }

  /** The mode of every port not listed: the {@code *} entry's, or the bare mode, else off. */
  public Mode otherPorts() {
    return otherPorts;
  }

  /**
   * Whether the mode of the other ports was written as a bare mode ({@code strict}) rather than
   * {@code *=strict}. The workload reads both alike; the webhook narrows a bare mode to the ports
   * a container declares and keeps {@code *=} as every port the JVM binds.
   */
  public boolean otherPortsBare() {
    return otherPortsBare;
  }

  /** The mode of {@code port}: its own entry, else the {@code *} entry, else off. */
  public Mode modeFor(int port) {
    Mode mode = ports.get(port);
    return mode != null ? mode : otherPorts;
  }

  /** Whether any port can be upgraded (otherwise no socket is touched at all). */
  public boolean enabled() {
    return otherPorts != Mode.OFF || ports.containsValue(Mode.PERMISSIVE)
        || ports.containsValue(Mode.STRICT);
  }

  private static int port(String text) {
    if (text.isEmpty() || text.length() > 5) {
      return -1;
    }
    for (int i = 0; i < text.length(); i++) {
      if (!Character.isDigit(text.charAt(i))) {
        return -1;
      }
    }
    int port = Integer.parseInt(text);
    return port <= 65535 ? port : -1;
  }

  @Override
  public String toString() {
    if (!enabled()) {
      return "off";
    }
    StringBuilder out = new StringBuilder();
    for (Map.Entry<Integer, Mode> entry : ports.entrySet()) {
      out.append(entry.getKey()).append('=').append(entry.getValue().label()).append(',');
    }
    return out.append("*=").append(otherPorts.label()).toString();
  }
}
