package dev.lanyard.tls.workloadapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** HPACK as this client uses it: requests it encodes, and RFC 7541's response examples. */
class HpackTest {
  private static final int MAX_HEADER_LIST = 16 * 1024;

  @Test
  void requestHeadersDecodeAsEncoded() throws Exception {
    List<String> request = List.of(":method", "POST", ":scheme", "http", ":path",
        "/SpiffeWorkloadAPI/FetchX509SVID", ":authority", "localhost", "content-type",
        "application/grpc", "te", "trailers", "workload.spiffe.io", "true", "grpc-timeout", "10S");
    Hpack client = new Hpack(MAX_HEADER_LIST);
    Hpack server = new Hpack(MAX_HEADER_LIST);

    for (int round = 0; round < 3; round++) { // no dynamic table: every block stands alone
      HeaderList decoded = server.decode(client.encode(request));
      assertThat(decoded.size()).isEqualTo(8);
      assertThat(decoded.get(":path")).isEqualTo("/SpiffeWorkloadAPI/FetchX509SVID");
      assertThat(decoded.get("workload.spiffe.io")).isEqualTo("true");
      assertThat(decoded.get("grpc-timeout")).isEqualTo("10S");
      assertThat(decoded.truncated()).isFalse();
    }
  }

  @Test
  void rfc7541ResponseExamplesWithHuffmanAndTheDynamicTableDecode() throws Exception {
    // RFC 7541 appendix C.6: responses, Huffman-coded, the second indexing into the dynamic
    // table the first filled.
    Hpack hpack = new Hpack(MAX_HEADER_LIST);
    HeaderList first = hpack.decode(hex("488264025885aec3771a4b6196d07abe941054d444a8200595040b"
        + "8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3"));
    assertThat(first.toString()).isEqualTo("{:status: 302, cache-control: private,"
        + " date: Mon, 21 Oct 2013 20:13:21 GMT, location: https://www.example.com}");
    HeaderList second = hpack.decode(hex("4883640effc1c0bf"));
    assertThat(second.toString()).isEqualTo("{:status: 307, cache-control: private,"
        + " date: Mon, 21 Oct 2013 20:13:21 GMT, location: https://www.example.com}");
  }

  @Test
  void anIndexOutsideBothTablesIsACompressionError() {
    Hpack hpack = new Hpack(MAX_HEADER_LIST);
    assertThatThrownBy(() -> hpack.decode(hex("be"))) // index 62: the dynamic table is empty
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessage("COMPRESSION_ERROR: the Workload API sent a header block that is not valid"
            + " HPACK (illegal index value)");
  }

  @Test
  void aBlockThatStopsInsideAFieldIsACompressionError() {
    Hpack hpack = new Hpack(MAX_HEADER_LIST);
    // A literal whose value says 10 bytes and carries 3.
    assertThatThrownBy(() -> hpack.decode(hex("4003616263" + "0a414243")))
        .isInstanceOf(Http2ProtocolException.class)
        .hasMessage("COMPRESSION_ERROR: the Workload API sent a header block that ends inside a"
            + " field (3 bytes left)");
  }

  @Test
  void headersAboveTheListSizeAreCutAndSaidSo() throws Exception {
    Hpack small = new Hpack(40);
    Hpack encoder = new Hpack(40);
    HeaderList headers = small.decode(encoder.encode(List.of(":status", "200",
        "grpc-message", "x".repeat(100))));
    assertThat(headers.truncated()).isTrue();
    assertThat(headers.get(":status")).isEqualTo("200");
    assertThat(headers.get("grpc-message")).isNull();
  }

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }
}
