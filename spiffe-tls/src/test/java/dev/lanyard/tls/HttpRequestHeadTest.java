package dev.lanyard.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpRequestHeadTest {
  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aHeadEndsAtItsBlankLineWithCrLfOrBareLf() {
    String crlf = "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n";
    String lf = "GET /ready HTTP/1.1\nHost: x\n\n";

    assertThat(HttpRequestHead.headEnd(bytes(crlf + "rest"), crlf.length() + 4)).isEqualTo(crlf.length());
    assertThat(HttpRequestHead.headEnd(bytes(lf), lf.length())).isEqualTo(lf.length());
    String open = "GET /ready HTTP/1.1\r\nHost: x\r\n";
    assertThat(HttpRequestHead.headEnd(bytes(open), open.length())).isEqualTo(-1);
    assertThat(HttpRequestHead.headEnd(bytes("G"), 1)).isEqualTo(-1);
  }

  @Test
  void theRequestLineGivesMethodPathAndRawQuery() {
    byte[] head = bytes("GET /audit?limit=5&x=%41 HTTP/1.1\r\n\r\n");

    HttpRequestHead parsed = HttpRequestHead.parse(head, head.length).orElseThrow();

    assertThat(parsed.method).isEqualTo("GET");
    assertThat(parsed.path).isEqualTo("/audit");
    assertThat(parsed.rawQuery).isEqualTo("limit=5&x=%41");
    assertThat(HttpRequestHead.parse(bytes("PURGE /ready HTTP/1.0\n\n"), 23).orElseThrow().rawQuery)
        .isNull();
  }

  @Test
  void anythingButOriginFormHttp1IsRefused() {
    for (String line : new String[] {"GET http://x/ready HTTP/1.1", "GET * HTTP/1.1",
        "GET /ready HTTP/2.0", "GET  /ready HTTP/1.1", "GET /ready", "G(T /ready HTTP/1.1",
        "GET /re\u00e9dy HTTP/1.1", "", "\u0016\u0003\u0001"}) {
      byte[] head = bytes(line + "\r\n\r\n");
      assertThat(HttpRequestHead.parse(head, head.length)).as(line).isEmpty();
    }
  }
}
