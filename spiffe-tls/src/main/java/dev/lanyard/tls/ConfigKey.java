package dev.lanyard.tls;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * One configuration knob: an environment variable and its paired system property. The property
 * name is derived from the variable ({@code LANYARD_ALLOWED_PEERS} → {@code lanyard.allowed.peers})
 * so the pairing never drifts. The system property wins when both are set.
 */
public final class ConfigKey {
  private final String env;
  private final String property;

  private ConfigKey(String env) {
    this.env = env;
    this.property = env.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  static ConfigKey of(String env) {
    return new ConfigKey(env);
  }

  /** The environment variable, e.g. {@code LANYARD_STARTUP}. */
  public String env() {
    return env;
  }

  /** The system property, e.g. {@code lanyard.startup}. */
  public String property() {
    return property;
  }

  /** The trimmed value (system property first); empty when unset or blank. */
  public Optional<String> lookup(Map<String, String> environment, Properties systemProperties) {
    String raw = systemProperties.getProperty(property);
    if (raw == null) {
      raw = environment.get(env);
    }
    if (raw == null || raw.trim().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(raw.trim());
  }

  /** How error messages name this knob: {@code LANYARD_STARTUP (or -Dlanyard.startup)}. */
  public String describe() {
    return env + " (or -D" + property + ")";
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ConfigKey && ((ConfigKey) other).env.equals(env);
  }

  @Override
  public int hashCode() {
    return Objects.hash(env);
  }

  @Override
  public String toString() {
    return env;
  }
}
