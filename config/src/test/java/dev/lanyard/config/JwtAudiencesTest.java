package dev.lanyard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JwtAudiencesTest {
  @Test
  void theFirstMatchingGlobChoosesTheAudience() {
    JwtAudiences audiences = JwtAudiences.parse(
        " llm.example.com=llm-gateway , *.db.internal=db,*.example.com=other ");

    assertThat(audiences.match("LLM.example.com.").map(JwtAudiences.Match::audience))
        .contains("llm-gateway");
    assertThat(audiences.match("eu.db.internal").map(JwtAudiences.Match::glob))
        .contains("*.db.internal");
    assertThat(audiences.match("api.example.com").map(JwtAudiences.Match::audience))
        .contains("other");
    assertThat(audiences.match("example.org")).isEmpty();
    assertThat(audiences.match(null)).isEmpty();
    assertThat(audiences).hasToString("llm.example.com=llm-gateway,*.db.internal=db,*.example.com=other");
  }

  @Test
  void anAudienceMayBeASpiffeIdOrAUrl() {
    assertThat(JwtAudiences.parse("a.test=spiffe://td/llm").match("a.test")
        .map(JwtAudiences.Match::audience)).contains("spiffe://td/llm");
  }

  @Test
  void badEntriesAreRefusedWithTheEntryAndAnExample() {
    assertThatThrownBy(() -> JwtAudiences.parse("llm.example.com"))
        .hasMessageContaining("\"llm.example.com\" is not host-glob=audience")
        .hasMessageContaining("e.g. llm.example.com=llm-gateway");
    assertThatThrownBy(() -> JwtAudiences.parse("llm/x=aud"))
        .hasMessageContaining("host glob \"llm/x\"");
    assertThatThrownBy(() -> JwtAudiences.parse("a.test=a,llm.example.com="))
        .hasMessageContaining("entry \"llm.example.com=\": audience \"\" must be one word");
    assertThatThrownBy(() -> JwtAudiences.parse("a.test=two words"))
        .hasMessageContaining("audience \"two words\"");
  }
}
