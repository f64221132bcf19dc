package dev.lanyard.webhook.inject;

import dev.lanyard.config.UpgradeModes;
import dev.lanyard.config.UpgradeModes.Mode;
import java.util.Collection;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Which ports of one JVM container the javaagent upgrades ({@code LANYARD_UPGRADE_INBOUND}), from
 * the value of {@code lanyard.dev/upgrade-inbound} (or the chart's default) and the ports the
 * container declares. A bare mode ({@code strict}) means the ports the container serves: each
 * declared port not listed with a mode of its own gets it ({@code 8080=strict,9090=strict}), and a
 * container that declares none gets {@code *=strict} (any port it binds). Port entries stay as
 * written, so {@code 8080=strict,9090=off} narrows or excludes; {@code *=strict} written out stays
 * every port the JVM binds, declared or not. Pure: the caller passes the declared TCP ports
 * without Lanyard's own.
 */
final class UpgradeScope {
  private UpgradeScope() {}

  /**
   * The variable's value for one container, in port order: {@code 8080=strict,9090=off}, with
   * {@code *=<mode>} last when it applies; {@code off} when no entry is left.
   *
   * @param value a value {@link UpgradeModes#parse} accepts (the webhook refused any other)
   * @param declaredPorts the container's declared TCP ports, Lanyard's own left out
   */
  static String inbound(String value, Collection<Integer> declaredPorts) {
    UpgradeModes modes = UpgradeModes.parse(value);
    Map<Integer, Mode> ports = new TreeMap<>(modes.portModes());
    Mode other = modes.otherPorts();
    boolean everyPort = other != Mode.OFF;
    if (modes.otherPortsBare() && everyPort) {
      // A container that declares ports serves those; one that declares none, any port it binds.
      declaredPorts.forEach(port -> ports.putIfAbsent(port, other));
      everyPort = declaredPorts.isEmpty();
    }
    StringJoiner out = new StringJoiner(",");
    ports.forEach((port, mode) -> out.add(port + "=" + mode.label()));
    if (everyPort) {
      out.add("*=" + other.label());
    }
    return out.length() == 0 ? Mode.OFF.label() : out.toString();
  }
}
