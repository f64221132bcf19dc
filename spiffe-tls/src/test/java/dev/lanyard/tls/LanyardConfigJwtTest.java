package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** {@link LanyardConfig} reads the JWT knobs with lanyard-config's parsers. */
class LanyardConfigJwtTest {
  @Test
  void lanyardConfigReadsBothJwtKnobsAndNamesTheKnobInErrors() {
    Map<String, String> env = new HashMap<>();
    Properties sys = new Properties();
    assertThat(LanyardConfig.fromEnv(env, sys).jwtAudiences().isEmpty()).isTrue();
    assertThat(LanyardConfig.fromEnv(env, sys).inboundJwtAudience()).isEmpty();
    assertThat(LanyardConfig.fromEnv(env, sys).usesJwt()).isFalse();

    env.put("LANYARD_JWT_AUDIENCES", "*.test=api");
    sys.setProperty("lanyard.inbound.jwt.audience", "sidecar-in");
    LanyardConfig config = LanyardConfig.fromEnv(env, sys);
    assertThat(config.jwtAudiences().audiences()).containsExactly("api");
    assertThat(config.inboundJwtAudience()).contains("sidecar-in");
    assertThat(config.usesJwt()).isTrue();
    assertThat(config.toString()).contains("jwt_audiences=[*.test=api]")
        .contains("inbound_jwt_audience=sidecar-in");

    env.put("LANYARD_JWT_AUDIENCES", "nonsense");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(env, sys))
        .hasMessageStartingWith("LANYARD_JWT_AUDIENCES (or -Dlanyard.jwt.audiences): entry");
    env.remove("LANYARD_JWT_AUDIENCES");
    sys.setProperty("lanyard.inbound.jwt.audience", "a,b");
    assertThatThrownBy(() -> LanyardConfig.fromEnv(env, sys))
        .hasMessageStartingWith("LANYARD_INBOUND_JWT_AUDIENCE (or -Dlanyard.inbound.jwt.audience):")
        .hasMessageContaining("\"a,b\"");
  }
}
