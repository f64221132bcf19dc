package dev.lanyard.config;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

/**
 * One configuration knob: an environment variable and its paired system property, and where set
 * by the webhook, the pod annotation and the chart value it comes from. The property name is
 * derived from the variable ({@code LANYARD_ALLOWED_PEERS} → {@code lanyard.allowed.peers}) so the
 * pairing never drifts. The system property wins when both are set.
 */
public final class ConfigKey {
  private final String env;
  private final String property;
  private final String annotation;
  private final String chartValue;

  private ConfigKey(String env, String annotation, String chartValue) {
    this.env = env;
    this.property = env.toLowerCase(Locale.ROOT).replace('_', '.');
    this.annotation = annotation;
    this.chartValue = chartValue;
  }

  /** A knob set only through its environment variable or system property. */
  public static ConfigKey of(String env) {
    return new ConfigKey(env, null, null);
  }

  /**
   * A knob the webhook sets from a pod annotation ({@code lanyard.dev/...}) and, for pods without
   * one, from a chart value under {@code injector.defaults} (null when there is none).
   */
  static ConfigKey of(String env, String annotation, String chartValue) {
    return new ConfigKey(env, annotation, chartValue);
  }

  /** The environment variable, e.g. {@code LANYARD_STARTUP}. */
  public String env() {
    return env;
  }

  /** The system property, e.g. {@code lanyard.startup}. */
  public String property() {
    return property;
  }

  /** The pod annotation the webhook copies into this variable, e.g. {@code lanyard.dev/startup}. */
  public Optional<String> annotation() {
    return Optional.ofNullable(annotation);
  }

  /** The chart value giving the cluster-wide default, e.g. {@code injector.defaults.startup}. */
  public Optional<String> chartValue() {
    return Optional.ofNullable(chartValue);
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

  /**
   * The value parsed by {@code parser}, or {@code defaultValue} when unset. A parse error is
   * rethrown prefixed with {@link #describe()}, so every message names the knob.
   */
  public <T> T parse(Map<String, String> environment, Properties systemProperties,
      Function<String, T> parser, T defaultValue) {
    Optional<String> value = lookup(environment, systemProperties);
    if (!value.isPresent()) {
      return defaultValue;
    }
    try {
      return parser.apply(value.get());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
    }
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
