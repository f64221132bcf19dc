package dev.lanyard.tls.workloadapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.channels.Channels;
import java.util.Arrays;

/**
 * Properties of reading what the Workload API's end of the HTTP/2 connection sends, for any
 * bytes: frames are read, or the reader refuses one (FRAME_SIZE_ERROR, a cut frame); each frame is
 * handled by the session or is a connection error ({@link Http2ProtocolException}); HPACK blocks
 * decode or are a COMPRESSION_ERROR. Nothing else escapes (an escaping exception is a bug: the
 * connection thread turns it into INTERNAL, but it must not happen), and every frame the session
 * writes in answer is itself valid.
 *
 * <p>Inputs in {@code Http2FramingFuzzTestInputs/<method>/}. {@code mvn test} replays them;
 * {@code scripts/fuzz.sh} explores with {@code JAZZER_FUZZ=1}.
 */
class Http2FramingFuzzTest {

  @FuzzTest(maxDuration = "2m")
  void framesFromThePeerAreHandledOrAConnectionError(byte[] input) throws Exception {
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    Http2Session session = new Http2Session(GrpcPeer.workloadApi("fuzz"), written::writeBytes);
    Http2SessionTest.Recorder first = new Http2SessionTest.Recorder();
    Http2SessionTest.Recorder second = new Http2SessionTest.Recorder();
    session.start(new GrpcCall("/m", first, 64 * 1024), new byte[3], 0);
    session.start(new GrpcCall("/m", second, 64 * 1024), new byte[70_000], 1_000_000);
    Http2FrameReader reader = new Http2FrameReader(
        Channels.newChannel(new ByteArrayInputStream(input)), Http2Session.DEFAULT_MAX_FRAME,
        "the Workload API");
    try {
      for (Http2Frame frame = reader.read(); frame != null; frame = reader.read()) {
        session.onFrame(frame);
      }
    } catch (Http2ProtocolException e) {
      assertThat(e.getMessage()).matches("[A-Z_]+_(ERROR|CALM): .*");
    } catch (EOFException e) {
      assertThat(e.getMessage()).isEqualTo("the connection ended inside an HTTP/2 frame");
    }
    session.connectionLost(new GrpcStatus(GrpcStatus.UNAVAILABLE, "end of input"));
    assertThat(first.closed).hasSizeLessThanOrEqualTo(1);
    assertThat(second.closed).hasSizeLessThanOrEqualTo(1);
    Http2FramesTest.read(written.toByteArray(), 1 << 24);
  }

  @FuzzTest(maxDuration = "2m")
  void headerBlocksDecodeOrAreACompressionError(byte[] input) {
    if (input.length == 0) {
      return;
    }
    // The first byte splits the rest into two blocks, so the second decodes against the dynamic
    // table the first left behind.
    int split = Math.min(input[0] & 0xff, input.length - 1);
    Hpack hpack = new Hpack(Http2Session.MAX_HEADER_LIST);
    for (byte[] block : new byte[][] {Arrays.copyOfRange(input, 1, 1 + split),
        Arrays.copyOfRange(input, 1 + split, input.length)}) {
      try {
        HeaderList headers = hpack.decode(block);
        assertThat(headers.size()).isLessThanOrEqualTo(Http2Session.MAX_HEADER_LIST);
      } catch (Http2ProtocolException e) {
        assertThat(e.code()).isEqualTo(Http2ErrorCodes.COMPRESSION_ERROR);
        return;
      }
    }
  }
}
