package dev.lanyard.tls;

import dev.lanyard.config.ConfigKey;
import dev.lanyard.config.ConfigKeys;
import dev.lanyard.config.HostGlobs;
import dev.lanyard.config.JwtAudiences;
import dev.lanyard.config.StartupPolicy;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Any {@code LANYARD_*} environment (and {@code -Dlanyard.*} properties) either parses into a
 * {@link LanyardConfig} whose parts read back from their own rendering, or fails with an {@link
 * IllegalArgumentException} that names the knob and quotes (part of) its value. Never another
 * exception: the javaagent turns exactly that one into its "Lanyard configuration" startup error.
 *
 * <p>Input: UTF-8 lines {@code NAME=value} (an environment variable, e.g. {@code
 * LANYARD_STARTUP=wait=5s}) or {@code -Dname=value} (a system property, e.g. {@code
 * -Dlanyard.audit=all}); see {@code LanyardConfigFuzzTestInputs/}.
 */
class LanyardConfigFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void configParsesOrNamesTheKnob(byte[] input) {
    Map<String, String> env = new HashMap<>();
    Properties sys = new Properties();
    for (String line : new String(input, StandardCharsets.UTF_8).split("\n")) {
      int equals = line.indexOf('=');
      if (equals < 0) {
        continue;
      }
      String name = line.substring(0, equals);
      String value = line.substring(equals + 1);
      if (name.startsWith("-D")) {
        sys.setProperty(name.substring(2), value);
      } else {
        env.put(name, value);
      }
    }

    LanyardConfig config;
    try {
      config = LanyardConfig.fromEnv(env, sys);
    } catch (IllegalArgumentException e) {
      assertExplains(e, env, sys);
      return;
    }
    assertThat(config.toString()).isNotEmpty();
    // Each part reads back from its own rendering (what /identity and the start line show).
    assertThat(StartupPolicy.parse(config.startupPolicy().toString())).isEqualTo(config.startupPolicy());
    assertThat(PeerPolicy.parse(config.peerPolicy().toString()).toString())
        .isEqualTo(config.peerPolicy().toString());
    assertThat(HostGlobs.parse(config.meshHosts().toString()).globs())
        .isEqualTo(config.meshHosts().globs());
    assertThat(JwtAudiences.parse(config.jwtAudiences().toString()).toString())
        .isEqualTo(config.jwtAudiences().toString());
    assertThat(config.startupPolicy().waitFor().isNegative()).isFalse();
    config.plainPorts().forEach(port -> assertThat(port).isBetween(1, 65535));
    config.adminAddress().ifPresent(address -> assertThat(address.getPort()).isBetween(0, 65535));
  }

  /** What a message may quote: the value, an entry of its comma list, either side of an entry's '='. */
  private static List<String> pieces(String value) {
    List<String> pieces = new ArrayList<>(List.of(value));
    for (String entry : value.split(",")) {
      pieces.add(entry.trim());
      int equals = entry.indexOf('=');
      if (equals >= 0) {
        pieces.add(entry.substring(0, equals).trim());
        pieces.add(entry.substring(equals + 1).trim());
      }
    }
    pieces.removeIf(String::isEmpty);
    return pieces;
  }

  /** The message starts with the knob's name and quotes a non-empty piece of that knob's value. */
  private static void assertExplains(IllegalArgumentException e, Map<String, String> env,
      Properties sys) {
    String message = e.getMessage();
    assertThat(message).as("exception without message: %s", e).isNotBlank();
    ConfigKey culprit = null;
    for (ConfigKey key : ConfigKeys.ALL) {
      if (message.startsWith(key.describe() + ": ")) {
        culprit = key;
      }
    }
    assertThat(culprit).as("message names no knob: %s", message).isNotNull();
    String value = culprit.lookup(env, sys).orElseThrow();
    boolean quotesValue = false;
    for (String piece : pieces(value)) {
      quotesValue |= message.contains("\"" + piece + "\"");
    }
    assertThat(quotesValue).as("%s quotes nothing of %s=%s", message, culprit, value).isTrue();
  }
}
