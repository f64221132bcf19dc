package dev.lanyard.tls;

import dev.lanyard.config.ConfigKey;
import dev.lanyard.config.ConfigKeys;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where the workload runs, from the Downward API variables the webhook sets ({@code
 * LANYARD_POD_NAME}, ...). It fills the {@code attestation} object of audit records; every field
 * is absent when its variable is unset, and the object is absent when all are.
 */
public final class Attestation {
  public static final Attestation NONE = new Attestation(Collections.<String, String>emptyMap());

  private final Map<String, String> fields;

  private Attestation(Map<String, String> fields) {
    this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  static Attestation fromEnv(Map<String, String> env, Properties sys) {
    Map<String, String> fields = new LinkedHashMap<>();
    putIfSet(fields, "node", ConfigKeys.NODE_NAME, env, sys);
    putIfSet(fields, "namespace", ConfigKeys.POD_NAMESPACE, env, sys);
    putIfSet(fields, "pod", ConfigKeys.POD_NAME, env, sys);
    putIfSet(fields, "service_account", ConfigKeys.SERVICE_ACCOUNT, env, sys);
    if (fields.isEmpty()) {
      return NONE;
    }
    Map<String, String> withPlatform = new LinkedHashMap<>();
    withPlatform.put("platform", "kubernetes");
    withPlatform.putAll(fields);
    return new Attestation(withPlatform);
  }

  private static void putIfSet(Map<String, String> fields, String name, ConfigKey key,
      Map<String, String> env, Properties sys) {
    key.lookup(env, sys).ifPresent(value -> fields.put(name, value));
  }

  /** {@code platform}, {@code node}, {@code namespace}, {@code pod}, {@code service_account}: only those set. */
  public Map<String, String> fields() {
    return fields;
  }

  public boolean isEmpty() {
    return fields.isEmpty();
  }

  @Override
  public String toString() {
    return fields.toString();
  }
}
